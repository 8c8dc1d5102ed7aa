#!/bin/sh
# The command line: modes, exit codes, usage errors.
. "$top_srcdir/tests/tap.sh"

is "$("$LUALAB" -e 'print(1 + 1)')" "2" "-e runs code"
out=$("$LUALAB" --version)
like "$out" "^lualab [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4" "--version names lualab and Lua"

"$LUALAB" --no-such-option >/dev/null 2>"$tap_tmp/err"
ok $([ $? -eq 2 ]; echo $?) "unknown option exits 2"
is "$(head -1 "$tap_tmp/err")" "lualab: unknown option '--no-such-option'" "unknown option message"
is "$(sed -n 2p "$tap_tmp/err")" "see lualab --help" "a pointer to --help follows the message"
is "$(wc -l < "$tap_tmp/err" | tr -d ' ')" "2" "a usage error is two lines, not the whole usage"

printf 'print("from stdin")\n' | "$LUALAB" > "$tap_tmp/out"
is "$(cat "$tap_tmp/out")" "from stdin" "reads Lua from stdin when it is not a terminal"

printf 'print(select("#", ...), ...)\nprint(arg[0], arg[1])\n' > "$tap_tmp/s.lua"
is "$("$LUALAB" --lua "$tap_tmp/s.lua" a b)" "$(printf '2\ta\tb\n%s\ta' "$tap_tmp/s.lua")" "--lua passes arguments like lua"

"$LUALAB" --lua "$tap_tmp/missing.lua" 2>"$tap_tmp/err"
ok $([ $? -eq 1 ]; echo $?) "--lua of a missing script exits 1"
like "$(cat "$tap_tmp/err")" "cannot open .*missing.lua" "--lua names the missing script"

"$LUALAB" -e 'error("boom")' 2>"$tap_tmp/err"
ok $([ $? -eq 1 ]; echo $?) "-e with an error exits 1"
is "$(cat "$tap_tmp/err")" "$(printf "lualab: (command line):1: boom\nstack traceback:\n\t[C]: in function 'error'\n\t(command line):1: in main chunk")" "-e error message, with a traceback as --lua prints"
"$LUALAB" -e 'error({code = 1})' 2>"$tap_tmp/err"
is "$?" 1 "-e raising a table exits 1"
is "$(sed -n 1p "$tap_tmp/err")" "lualab: (error object is a table value)" "-e raising a table says what lua says"
like "$(sed -n 2p "$tap_tmp/err")" "^stack traceback:" "and a traceback follows"
"$LUALAB" -e 'error(setmetatable({}, {__tostring = function() return "custom error" end}))' 2>"$tap_tmp/err"
is "$(sed -n 1p "$tap_tmp/err")" "lualab: custom error" "-e raising an object with __tostring prints it"
"$LUALAB" -e 'x =' 2>"$tap_tmp/err"
is "$?" 1 "-e with a syntax error exits 1"
is "$(cat "$tap_tmp/err")" "lualab: (command line):1: unexpected symbol near <eof>" "-e syntax error: the message alone, as lua prints it"
is "$("$LUALAB" -e 'print(1)' -e 'print(2)' 2>&1)" "$(printf '1\n2')" "several -e run in order"


# --help lists every registered command (from the generated registry)
"$LUALAB" --help >"$tap_tmp/help" 2>&1
is "$?" 0 "--help exits 0"
cmds=$(sed -n 's/^LL_COMMAND(\(.*\))$/\1/p' "$top_builddir/src/gen/registry.h")
ok $([ -n "$cmds" ]; echo $?) "the registry lists commands"
for c in $cmds; do
    like "$(cat "$tap_tmp/help")" "^       lualab $c( |$)" "--help lists the '$c' command"
done
for c in runs models gen convert; do
    like "$(cat "$tap_tmp/help")" "^       lualab $c " "--help lists $c"
done
like "$(grep -A1 '^       lualab models' "$tap_tmp/help" | tail -1)" "registered models" "a command's line has its summary"
"$LUALAB" -e >/dev/null 2>"$tap_tmp/err"
is "$?" 2 "-e without code exits 2"
is "$(cat "$tap_tmp/err")" "$(printf 'lualab: -e needs an argument\nsee lualab --help')" "-e without code names the flag"
"$LUALAB" --run "$tap_tmp" >/dev/null 2>"$tap_tmp/err"
is "$?" 2 "--run DIR exits 2"
like "$(head -1 "$tap_tmp/err")" "is a directory, not a notebook" "--run DIR says it is a directory"
printf '{not json' > "$tap_tmp/bad.ipynb"
for mode in "--run" "convert"; do
    "$LUALAB" $mode "$tap_tmp/bad.ipynb" "$tap_tmp/out.lua" >/dev/null 2>"$tap_tmp/err"
    is "$?" 2 "a notebook that fails to parse exits 2 ($mode)"
done

# runs: run id messages, the metrics table, the user without $USER
mkdir "$tap_tmp/trk"
(cd "$tap_tmp/trk" && env -u USER -u LOGNAME "$LUALAB" -e '
for i = 1, 3 do
    mlflow.start_run{run_name = "dup"}
    mlflow.log_metric("loss", 123456.789 * i)
    mlflow.log_metric("validation_loss_long_name", -1234567.125)
    mlflow.end_run()
end')
(cd "$tap_tmp/trk" && "$LUALAB" runs show dup >/dev/null 2>"$tap_tmp/err")
like "$(cat "$tap_tmp/err")" "^lualab: run 'dup' is ambiguous: it matches 3 runs: [0-9a-f]{8} \(dup\), [0-9a-f]{8} \(dup\), [0-9a-f]{8} \(dup\)$" "an ambiguous run name lists the matches"
(cd "$tap_tmp/trk" && "$LUALAB" runs show abc >/dev/null 2>"$tap_tmp/err")
is "$(cat "$tap_tmp/err")" "lualab: run 'abc' not found (a run id prefix needs at least 6 hex digits)" "a too-short run id says the minimum"
(cd "$tap_tmp/trk" && "$LUALAB" runs show >/dev/null 2>"$tap_tmp/err")
is "$?" 2 "runs show without a RUN exits 2"
is "$(cat "$tap_tmp/err")" "$(printf 'lualab: runs show: expected one RUN\nsee lualab runs --help')" \
    "a runs usage error is one line and where the usage is"
(cd "$tap_tmp" && "$LUALAB" runs --help >"$tap_tmp/out" 2>&1)
is "$?" 0 "runs --help exits 0, without a store"
like "$(head -1 "$tap_tmp/out")" "^usage: lualab runs" "runs --help prints the usage"
(cd "$tap_tmp/trk" && "$LUALAB" models extra >/dev/null 2>"$tap_tmp/err")
is "$(cat "$tap_tmp/err")" "$(printf 'lualab: models: unexpected argument extra\nsee lualab models --help')" \
    "a models usage error is one line and where the usage is"
id=$(cd "$tap_tmp/trk" && "$LUALAB" runs list | awk 'NR == 3 {print $2}')
out=$(cd "$tap_tmp/trk" && "$LUALAB" runs show "$id")
like "$out" "  metric  +latest  +min  +max  history" "runs show: the metrics table has a header"
like "$out" "  validation_loss_long_name  -1.23457e\+06  -1.23457e\+06  -1.23457e\+06  " "runs show: metric columns are separated"
like "$out" "status FINISHED, user $(id -un)" "without \$USER the run user is the login name"

done_testing
