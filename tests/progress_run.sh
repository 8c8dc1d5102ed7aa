#!/bin/sh
# Progress reported by a cell is drawn on stderr by --run, and not with --quiet.
. "$top_srcdir/tests/tap.sh"

cat > "$tap_tmp/p.lua" <<'NB'
-- %%
for i = 1, 4 do lualab.progress{label = "Epoch", done = i, total = 4, metrics = {loss = 1 / i}} end
print("done")
NB
LUALAB_ASCII=1 "$LUALAB" --run "$tap_tmp/p.lua" >"$tap_tmp/out" 2>"$tap_tmp/err"
is "$(cat "$tap_tmp/out")" "done" "stdout holds only the cell's output"
like "$(head -1 "$tap_tmp/err")" "^Epoch +100% \|#+\| 4/4 .* loss 0\.25$" "the finished bar is one line on stderr"
is "$(grep -c "%" "$tap_tmp/err")" "1" "not a tty: no line per update"
"$LUALAB" --run "$tap_tmp/p.lua" --quiet >/dev/null 2>"$tap_tmp/err"
is "$(cat "$tap_tmp/err")" "" "--quiet draws nothing"
# --lua and -e draw bars when stderr is a terminal (script(1) gives one)
if command -v script >/dev/null 2>&1; then
    code='for i = 1, 3 do lualab.progress{label = "Epoch", done = i, total = 3} end print("done")'
    printf '%s\n' "$code" > "$tap_tmp/bars.lua"
    for mode in "-e" "--lua"; do
        if [ "$mode" = "-e" ]; then arg=$code; else arg=$tap_tmp/bars.lua; fi
        LUALAB_ASCII=1 COLUMNS=60 script -qec "\"$LUALAB\" $mode '$arg'" /dev/null \
            </dev/null >"$tap_tmp/tty" 2>&1
        like "$(tr '\r' '\n' < "$tap_tmp/tty")" "Epoch +100% \|#+\| 3/3" "$mode: the bar is drawn on a terminal"
        is "$(grep -c Epoch "$tap_tmp/tty")" 1 "$mode: redrawn in place on one line"
        ok $([ "$(tr '\r' '\n' < "$tap_tmp/tty" | grep -c Epoch)" -ge 2 ]; echo $?) "$mode: drawn more than once (first and finished reports)"
        like "$(tr -d '\r' < "$tap_tmp/tty" | tail -1)" "^done$" "$mode: the output follows on its own line"
    done
    LUALAB_ASCII=1 script -qec "\"$LUALAB\" -e 'lualab.progress{label = \"Half\", done = 1, total = 2} error(\"boom\")'" /dev/null \
        </dev/null >"$tap_tmp/tty" 2>&1
    like "$(tr -d '\r' < "$tap_tmp/tty" | grep 'boom' | head -1)" "^(.*\[K)?lualab: \(command line\):1: boom$" "an error mid-bar starts its own line"
fi
"$LUALAB" -e "$code" >"$tap_tmp/out" 2>"$tap_tmp/err"
is "$(cat "$tap_tmp/err")" "" "-e: no bar when stderr is not a terminal"
is "$(cat "$tap_tmp/out")" "done" "-e: stdout unchanged"
done_testing
