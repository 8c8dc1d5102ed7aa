#!/bin/sh
# The headless runner: lualab --run, its exit codes, parameters, -o.
. "$top_srcdir/tests/tap.sh"
t=$tap_tmp
validate() { # validate NB.ipynb: nbformat's JSON schema (Debian python3-nbformat)
    /usr/bin/python3 -c 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))' "$1" 2>&1
}

cat > "$t/ok.lua" <<'EOF'
-- ---
-- title: Runner test
-- ---

-- %% [markdown]
-- # A notebook

-- %% tags=["parameters"]
horizon = 30
label = "base"
flag = false

-- %%
print("horizon", horizon, math.type(horizon), type(label), label, tostring(flag))

-- %%
local t = setmetatable({}, {__display = function() return {text = "a chart", svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", kind = "plot"} end})
display(t)
6 * 7
EOF

"$LUALAB" --run "$t/ok.lua" -o "$t/ok.ipynb" >"$t/out" 2>"$t/err"
is "$?" 0 "a notebook that runs exits 0"
is "$(cat "$t/out")" "$(printf 'horizon\t30\tinteger\tstring\tbase\tfalse\na chart\n42')" "outputs stream to stdout"
like "$(sed -n 1p "$t/err")" '^\[1/3\] horizon = 30 \.\.\. [0-9]+\.[0-9]{2} s$' "progress line for cell 1"
like "$(sed -n 3p "$t/err")" '^\[3/3\] local t = setmetatable' "progress line for cell 3"
is "$(wc -l < "$t/err" | tr -d ' ')" 3 "one progress line per code cell"
is "$(validate "$t/ok.ipynb")" "" "the output notebook validates against nbformat's schema"
like "$(cat "$t/ok.ipynb")" '"image/svg\+xml": \[' "display with svg lands as image/svg+xml"
like "$(cat "$t/ok.ipynb")" '"output_type": "execute_result"' "the value of the last expression is an execute_result"
like "$(cat "$t/ok.ipynb")" '"display_name": "Lua \(lualab\)"' "kernelspec names lualab"

"$LUALAB" --run "$t/ok.lua" --quiet >/dev/null 2>"$t/err"
is "$(cat "$t/err")" "" "--quiet prints no progress"

# colour: the ansi form of a display with --color=always only
printf -- '-- %%%%\nsetmetatable({}, {__display = function() return {text = "plain", ansi = "\\27[31mred\\27[0m"} end})\n' > "$t/color.lua"
is "$("$LUALAB" --run "$t/color.lua" --quiet --color=always | od -An -c | tr -s ' ' | head -1)" " 033 [ 3 1 m r e d 033 [ 0 m \n" "--color=always prints the ansi form"
is "$("$LUALAB" --run "$t/color.lua" --quiet --color=never)" "plain" "--color=never prints the text"
is "$("$LUALAB" --run "$t/color.lua" --quiet)" "plain" "auto: no colour when stdout is not a terminal"

# parameters: typed (-p), raw (-r), unknown names warned about
"$LUALAB" --run "$t/ok.lua" -o "$t/p.ipynb" -p horizon 60 -p label nil -p flag true -r other 007 >"$t/out" 2>"$t/err"
is "$?" 0 "run with parameters exits 0"
is "$(sed -n 1p "$t/out")" "$(printf 'horizon\t60\tinteger\tnil\tnil\ttrue')" "-p values are typed (number, nil, true)"
is "$(sed -n 1p "$t/err")" "lualab: warning: parameter 'other' is not assigned in the parameters cell (cell 2)" "warning for a name the parameters cell does not assign"
/usr/bin/python3 - "$t/p.ipynb" >"$t/cells" <<'EOF'
import json, sys
nb = json.load(open(sys.argv[1]))
for c in nb["cells"]:
    print(c["cell_type"], ",".join(c["metadata"].get("tags", [])), repr("".join(c["source"])))
EOF
is "$(sed -n 3p "$t/cells")" "code injected-parameters '-- Parameters\\nhorizon = 60\\nlabel = nil\\nflag = true\\nother = \"007\"'" "injected cell right after the parameters cell, -r as a raw string"
"$LUALAB" --run "$t/ok.lua" -p label 2.5e3 -r horizon 12 >"$t/out" 2>/dev/null
is "$(sed -n 1p "$t/out")" "$(printf 'horizon\t12\tnil\tnumber\t2500.0\tfalse')" "-p 2.5e3 is a number, -r 12 a string"
"$LUALAB" --run "$t/ok.lua" -p label 'say "hi"\' >"$t/out" 2>/dev/null
like "$(sed -n 1p "$t/out")" 'string	say "hi"\\	false$' "-p strings are quoted safely"
"$LUALAB" --run "$t/ok.lua" -p 2x 1 >/dev/null 2>"$t/err"
is "$?" 2 "a bad parameter name exits 2"
is "$(sed -n 1p "$t/err")" "lualab: -p: '2x' is not a Lua name" "bad parameter name message"

# a failing cell
cat > "$t/fail.lua" <<'EOF'
-- %%
print("one")

-- %%
local x = 1
error("boom")

-- %%
print("never")
EOF
"$LUALAB" --run "$t/fail.lua" -o "$t/fail.ipynb" >"$t/out" 2>"$t/err"
is "$?" 1 "a failing cell exits 1"
is "$(cat "$t/out")" "one" "cells after the failure do not run"
is "$(sed -n 3p "$t/err")" "lualab: cell 2 failed: local x = 1" "stderr names the cell and its first line"
is "$(sed -n 4p "$t/err")" "cell 2:2: boom" "stderr shows the error with the cell's line"
like "$(cat "$t/err")" "stack traceback:" "stderr shows the traceback"
is "$(validate "$t/fail.ipynb")" "" "the notebook written on failure validates"
like "$(cat "$t/fail.ipynb")" '"ename": "LuaError"' "the output notebook holds the error"
like "$(cat "$t/fail.ipynb")" '"evalue": "cell 2:2: boom"' "the output notebook holds the message"
like "$(tr -d '\n' < "$t/fail.ipynb")" '"traceback": \[ *"cell 2:2: boom", *"stack traceback:"' "the output notebook holds the traceback"

"$LUALAB" --run "$t/fail.lua" --allow-errors >"$t/out" 2>/dev/null
is "$?" 0 "--allow-errors runs on and exits 0"
is "$(cat "$t/out")" "$(printf 'one\nnever')" "--allow-errors runs every cell"
sed 's/^-- %%$/-- %% tags=["raises-exception"]/' "$t/fail.lua" > "$t/raises.lua"
"$LUALAB" --run "$t/raises.lua" >"$t/out" 2>/dev/null
is "$?" 0 "a cell tagged raises-exception may fail"
is "$(cat "$t/out")" "$(printf 'one\nnever')" "the run goes on after a raises-exception cell"

printf -- '-- %%%%\nx = = 1\n' > "$t/syntax.lua"
"$LUALAB" --run "$t/syntax.lua" >/dev/null 2>"$t/err"
is "$?" 1 "a syntax error in a cell exits 1"
like "$(sed -n 3p "$t/err")" "^cell 1:1: unexpected symbol near '='" "syntax error names the cell line"

# time limits and interrupts
printf -- '-- %%%%\nprint("start")\n\n-- %%%%\nwhile true do end\n' > "$t/loop.lua"
"$LUALAB" --run "$t/loop.lua" --cell-timeout 0.3 -o "$t/loop.ipynb" >/dev/null 2>"$t/err"
is "$?" 3 "--cell-timeout exits 3"
is "$(sed -n 3p "$t/err")" "lualab: cell 2 timed out after 0.3 s: while true do end" "cell timeout message"
is "$(validate "$t/loop.ipynb")" "" "the notebook written on a timeout validates"
"$LUALAB" --run "$t/loop.lua" --timeout 0.3 --cell-timeout 10 >/dev/null 2>"$t/err"
is "$?" 4 "--timeout exits 4"
like "$(cat "$t/err")" "lualab: cell 2 hit the run's time limit \(0.3 s\)" "run timeout message"
# a cell stuck inside one C call never reaches the Lua hook: the watchdog
# writes -o with the cell timed out and ends the process a grace second later
printf -- '-- %%%%\nprint("start")\n\n-- %%%%\nstring.rep("a", 200000):find(".-.-.-b")\n' > "$t/stuck.lua"
s0=$(date +%s%N)
"$LUALAB" --run "$t/stuck.lua" --quiet --cell-timeout 0.5 -o "$t/stuck.ipynb" >/dev/null 2>"$t/err"
is "$?" 3 "a cell stuck in C still exits 3 on --cell-timeout"
el=$(( ($(date +%s%N) - s0) / 1000000 ))
ok "$([ "$el" -lt 3000 ]; echo $?)" "it stops within a few seconds of the limit (took $el ms)"
is "$(cat "$t/err")" "lualab: cell 2 timed out after 0.5 s and did not stop (stuck in a C function): the process is stopped" "stuck cell message"
is "$(validate "$t/stuck.ipynb")" "" "the notebook written by the watchdog validates"
like "$(cat "$t/stuck.ipynb")" '"evalue": "cell timed out after 0.5 s in a C function' "the stuck cell is marked timed out in -o"
like "$(cat "$t/stuck.ipynb")" '^ *"start\\n"$' "the cell before it keeps its output"
ls "$t" | grep -q 'stuck.ipynb.tmp' ; is "$?" 1 "no temporary file is left behind"
"$LUALAB" --run "$t/stuck.lua" --quiet --timeout 0.5 -o "$t/stuck2.ipynb" >/dev/null 2>"$t/err"
is "$?" 4 "a cell stuck in C still exits 4 on --timeout"
is "$(cat "$t/err")" "lualab: cell 2 hit the run's time limit (0.5 s) and did not stop (stuck in a C function): the process is stopped" "stuck run message"
like "$(cat "$t/stuck2.ipynb")" '"evalue": "the run hit its time limit \(0.5 s\) in a C function' "-o notes the run's time limit"
# The signal tests below wait for conditions, never for a fixed time: on a
# loaded machine a process may take seconds to start or to get the CPU.
# wait_out TEXT: until the run's stdout is TEXT (60 s at most); the cells
# below print when they begin, so the cell under test is then running.
wait_out() {
    n=0
    while [ "$(cat "$t/out")" != "$1" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
}
cpu_ticks() { # user + system CPU time of process $1, in clock ticks
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# a second SIGINT ends a run whose cell is stuck in C: the first is sent
# once the cell has used 0.3 s of CPU after its print, so inside the match
printf -- '-- %%%%\nprint("start")\n\n-- %%%%\nprint("stuck") string.rep("a", 200000):find(".-.-.-b")\n' > "$t/stucksig.lua"
"$LUALAB" --run "$t/stucksig.lua" --quiet -o "$t/int2.ipynb" >"$t/out" 2>"$t/err" &
pid=$!
wait_out "$(printf 'start\nstuck')"
c0=$(cpu_ticks $pid)
n=0
while [ $(($(cpu_ticks $pid) - c0)) -lt $(($(getconf CLK_TCK) * 3 / 10)) ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
kill -INT $pid
# the second only once the first was taken (two pending SIGINTs are one)
n=0
while [ $((0x$(awk '/^ShdPnd:/ { print $2 }' "/proc/$pid/status") & 2)) -ne 0 ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
kill -INT $pid
wait $pid
is "$?" 130 "a second SIGINT stops a run stuck in C (exit 130)"
is "$(cat "$t/err")" "lualab: interrupted twice: the run is stopped (the output notebook keeps the finished cells)" "the second SIGINT's message"
like "$(cat "$t/int2.ipynb")" '^ *"start\\n"$' "-o keeps the cell finished before"
like "$(cat "$t/int2.ipynb")" '"evalue": "the run was interrupted twice while this cell ran"' "-o marks the stuck cell Interrupted"
is "$(ls "$t" | grep -c 'int2.ipynb.tmp')" 0 "no temporary file is left after two SIGINTs"
# temporary files: stale ones from a crashed run go, SIGTERM leaves none
: > "$t/term.ipynb.tmp.2147483646.abc123"
printf -- '-- %%%%\nprint("start")\n\n-- %%%%\nprint("looping") while true do end\n' > "$t/loopsig.lua"
"$LUALAB" --run "$t/loopsig.lua" --quiet -o "$t/term.ipynb" >"$t/out" 2>"$t/err" &
pid=$!
wait_out "$(printf 'start\nlooping')"
ok "$([ ! -e "$t/term.ipynb.tmp.2147483646.abc123" ]; echo $?)" "a stale temporary file of a crashed run is removed"
kill -TERM $pid
wait $pid
is "$?" 143 "SIGTERM ends --run at once (exit 143)"
is "$(cat "$t/err")" "lualab: terminated (SIGTERM)" "SIGTERM message"
like "$(cat "$t/term.ipynb")" '^ *"start\\n"$' "-o keeps the cells finished before SIGTERM"
is "$(ls "$t" | grep -c 'term.ipynb.tmp')" 0 "no temporary file is left after SIGTERM"
/usr/bin/python3 - "$t/term.ipynb" >"$t/cells" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["cells"]:
    print(c["execution_count"], [(o.get("ename"), o.get("evalue")) for o in c["outputs"] if o["output_type"] == "error"])
PY
is "$(sed -n 2p "$t/cells")" "2 [('Terminated', 'the run was terminated (SIGTERM) while this cell ran')]" "the cell running at SIGTERM is marked Terminated in -o"
# -o is written at most once a second, yet a kill -9 loses about a second
# at most: 3000 quick cells, then one that runs on; one and a half seconds
# into it the output notebook holds all 3000
awk 'BEGIN { for (i = 1; i <= 3000; i++) printf "-- %%%%\nprint(%d)\n\n", i; printf "-- %%%%\nwhile true do end\n" }' > "$t/long.lua"
"$LUALAB" --run "$t/long.lua" --quiet -o "$t/long.ipynb" >"$t/out" 2>"$t/err" &
pid=$!
n=0
while [ "$(tail -n 1 "$t/out")" != "3000" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
sleep 1.5
kill -KILL $pid
wait $pid
is "$?" 137 "kill -9 during a long cell"
/usr/bin/python3 - "$t/long.ipynb" >"$t/cells" <<'PY'
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
print(len(cells), cells[2999]["execution_count"], "".join(cells[2999]["outputs"][0]["text"]).strip(), cells[3000]["execution_count"])
PY
is "$(cat "$t/cells")" "3001 3000 3000 None" "-o holds every cell finished more than a second before the kill -9"
"$LUALAB" --run "$t/loopsig.lua" --quiet -o "$t/int.ipynb" >"$t/out" 2>"$t/err" &
pid=$!
# wait until the loop cell runs (it has printed), then Ctrl-C
wait_out "$(printf 'start\nlooping')"
kill -INT $pid
wait $pid
is "$?" 130 "SIGINT during --run exits 130"
is "$(sed -n 1p "$t/err")" "lualab: cell 2 was interrupted: print(\"looping\") while true do end" "interrupt message"
like "$(cat "$t/int.ipynb")" '"ename": "Interrupted"' "the output notebook is written on an interrupt"
# a SIGINT that arrives once a cell's last instruction has run (here inside
# the C call the cell ends with, a tail call) stops the run before the
# next cell instead of being forgotten
cat > "$t/between.lua" <<'EOF'
-- %%
local pid = io.open("/proc/self/stat"):read("n")
local p = io.popen("read x; kill -INT " .. pid, "w")
return p:close()

-- %%
print("after")
EOF
"$LUALAB" --run "$t/between.lua" --quiet -o "$t/between.ipynb" >"$t/out" 2>"$t/err"
is "$?" 130 "SIGINT between two cells exits 130"
is "$(cat "$t/err")" "lualab: interrupted before cell 2" "the message names the cell that did not run"
is "$(cat "$t/out")" "" "the next cell did not run"
/usr/bin/python3 - "$t/between.ipynb" >"$t/cells" <<'PY'
import json, sys
print([c["execution_count"] for c in json.load(open(sys.argv[1]))["cells"]])
PY
is "$(cat "$t/cells")" "[1, None]" "-o holds the cell that finished"
like "$("$LUALAB" --help)" "lualab --run NOTEBOOK \[-o OUT.ipynb\]" "--help shows --run"
like "$("$LUALAB" --help)" "lualab NOTEBOOK .*full-screen on a" "--help says lualab NOTEBOOK opens it full-screen on a terminal"
like "$("$LUALAB" --help)" "lualab convert IN OUT" "--help shows convert"

# usage and parse errors
"$LUALAB" --run "$t/ok.lua" --bogus >/dev/null 2>"$t/err"
is "$?" 2 "unknown --run option exits 2"
is "$(sed -n 1p "$t/err")" "lualab: unknown option '--bogus'" "unknown option message"
is "$(sed -n 2p "$t/err")" "see lualab --help" "a pointer to --help follows"
"$LUALAB" --run "$t/missing.lua" >/dev/null 2>"$t/err"
is "$?" 2 "a missing notebook exits 2"
like "$(sed -n 1p "$t/err")" "^lualab: .*missing.lua: No such file or directory$" "missing notebook message"
"$LUALAB" --run >/dev/null 2>"$t/err"
is "$(sed -n 1p "$t/err")" "lualab: --run needs a notebook" "--run without a notebook"
"$LUALAB" --run "$t/ok.lua" --cell-timeout soon >/dev/null 2>"$t/err"
is "$(sed -n 1p "$t/err")" "lualab: --cell-timeout needs a number of seconds > 0, got 'soon'" "bad --cell-timeout"
"$LUALAB" --run "$t/ok.lua" --color=sometimes >/dev/null 2>"$t/err"
is "$(sed -n 1p "$t/err")" "lualab: --color must be always, never or auto, got 'sometimes'" "bad --color"
printf -- '-- %%%%\nx = 1\n\n-- %%%% tags=["parameters"\ny = 2\n' > "$t/badmeta.lua"
"$LUALAB" --run "$t/badmeta.lua" -o "$t/badmeta.ipynb" >/dev/null 2>"$t/err"
is "$?" 2 "broken cell metadata exits 2"
is "$(cat "$t/err")" "lualab: $t/badmeta.lua:4:12: bad metadata value for 'tags' on the cell marker (expected JSON)" "broken metadata message names file:line:col"
ok "$([ ! -e "$t/badmeta.ipynb" ]; echo $?)" "nothing is written for a notebook that does not parse"
printf '{"nbformat": 4, "cells": [\n  {"cell_type": "code",]\n}\n' > "$t/bad.ipynb"
"$LUALAB" --run "$t/bad.ipynb" >/dev/null 2>"$t/err"
is "$?" 2 "bad JSON exits 2"
is "$(cat "$t/err")" "lualab: $t/bad.ipynb:2:25: invalid JSON" "bad JSON message"
printf '{"nbformat": 3, "worksheets": []}\n' > "$t/old.ipynb"
"$LUALAB" --run "$t/old.ipynb" >/dev/null 2>"$t/err"
is "$(cat "$t/err")" "lualab: $t/old.ipynb:1:14: unsupported nbformat 3 (lualab reads nbformat 4)" "unknown nbformat message"

# lualab NOTEBOOK runs it in the terminal for now
"$LUALAB" "$t/ok.lua" >"$t/out" 2>/dev/null
is "$?" 0 "lualab NOTEBOOK exits 0"
is "$(tail -1 "$t/out")" "42" "lualab NOTEBOOK runs the cells"
"$LUALAB" "$t/nope.lua" >/dev/null 2>"$t/err"
is "$?" 2 "lualab MISSING.lua exits 2"
is "$(sed -n 1p "$t/err")" "lualab: cannot open '$t/nope.lua': no such file" "missing notebook message"

# an ipynb notebook runs too, and its old outputs are replaced
"$LUALAB" --run "$t/fail.ipynb" --allow-errors -o "$t/again.ipynb" >"$t/out" 2>/dev/null
is "$(cat "$t/out")" "$(printf 'one\nnever')" "--run reads .ipynb"
is "$(grep -c '"output_type": "error"' "$t/again.ipynb")" 1 "outputs are replaced, not appended"

# -o naming the input notebook (directly, through another path or a
# symlink) is refused before anything is written
printf -- '-- %%%%\nprint("self")\n' > "$t/self.lua"
cp "$t/self.lua" "$t/self.orig"
mkdir -p "$t/sub"
ln -s "$t/self.lua" "$t/link.lua"
for out in "$t/self.lua" "$t/sub/../self.lua" "$t/link.lua"; do
    "$LUALAB" --run "$t/self.lua" -o "$out" -p x 1 >/dev/null 2>"$t/err"
    is "$?" 2 "-o $(basename "$out") (the input) exits 2"
    is "$(sed -n 1p "$t/err")" "lualab: -o: '$out' is the input notebook; write the executed notebook to another file" "the message for -o $(basename "$out")"
    cmp -s "$t/self.lua" "$t/self.orig"
    ok $? "the source is untouched after -o $(basename "$out")"
done
(cd "$t" && "$LUALAB" --run self.lua -o ./self.lua >/dev/null 2>"$t/err")
is "$?" 2 "a relative -o ./self.lua for self.lua exits 2"

# os.exit in a cell: the run stops, -o is written, the exit code is the cell's
printf -- '-- %%%%\nprint("a")\nlocal x <close> = setmetatable({}, {__close = function() print("closed") end})\nos.exit(3)\n\n-- %%%%\nprint("never")\n' > "$t/exit.lua"
"$LUALAB" --run "$t/exit.lua" -o "$t/exit.ipynb" >"$t/out" 2>"$t/err"
is "$?" 3 "os.exit(3) in a cell exits 3"
is "$(cat "$t/out")" "$(printf 'a\nclosed')" "the cell's output (and its <close> handler) came, the next cell did not run"
is "$(sed -n 2p "$t/err")" "lualab: cell 1 called os.exit(3): the run stops here" "stderr says why the run stopped"
/usr/bin/python3 - "$t/exit.ipynb" >"$t/cells" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
for c in nb["cells"]:
    print(c["execution_count"], [(o["output_type"], o.get("ename"), o.get("evalue")) for o in c["outputs"]])
PY
is "$(cat "$t/cells")" "$(printf "1 [('stream', None, None), ('error', 'SystemExit', 'os.exit(3) called in a cell')]\nNone []")" "the output notebook was written with the SystemExit error"
for c in 'pcall(os.exit, 5)=5' 'os.exit()=0' 'os.exit(false)=1' 'os.exit(true)=0' \
    'string.gsub("x", "x", function() os.exit(6) end)=6' \
    'coroutine.wrap(function() os.exit(7) end)()=7'; do
    printf -- '-- %%%%\n%s\n\n-- %%%%\nprint("after")\n' "${c%=*}" > "$t/exit2.lua"
    "$LUALAB" --run "$t/exit2.lua" -q >"$t/out" 2>&1
    is "$?" "${c##*=}" "${c%=*} exits ${c##*=}"
    is "$(cat "$t/out")" "" "nothing runs after ${c%=*}"
done

# charts: SVG without the XML declaration, and a PNG twin nbconvert can show
printf -- '-- %%%%\np = plot.line{y = {1, 2, 3, 2, 5}, title = "t"}\np\n\n-- %%%%\ndisplay(p)\n' > "$t/chart.lua"
"$LUALAB" --run "$t/chart.lua" -q -o "$t/chart.ipynb" >/dev/null 2>"$t/err"
is "$?" 0 "a notebook with charts runs"
/usr/bin/python3 - "$t/chart.ipynb" >"$t/imgs" <<'PY'
import base64, json, struct, sys
nb = json.load(open(sys.argv[1]))
for c in nb["cells"]:
    for o in c["outputs"]:
        d = o.get("data", {})
        svg = d.get("image/svg+xml")
        svg = svg if isinstance(svg, str) else "".join(svg)
        png = base64.b64decode(d["image/png"])
        w, h = struct.unpack(">II", png[16:24])
        print(o["output_type"], svg[:5], png[:8] == b"\x89PNG\r\n\x1a\n", w, h)
PY
is "$(cat "$t/imgs")" "$(printf 'execute_result <svg  True 640 400\ndisplay_data <svg  True 640 400')" "each chart output has its SVG (starting at <svg) and a 640x400 PNG"
is "$(validate "$t/chart.ipynb")" "" "the notebook with PNG outputs validates"
if /usr/bin/python3 -c 'import nbconvert' 2>/dev/null; then
    (cd "$t" && /usr/bin/python3 -m nbconvert --to html chart.ipynb >conv.log 2>&1)
    is "$?" 0 "nbconvert converts the executed notebook to HTML"
    is "$(grep -o 'class="jp-RenderedSVG' "$t/chart.html" | wc -l | tr -d ' ')" 2 "the HTML shows both charts"
fi

# a NUL byte in an output does not cut it: outputs are text, each NUL is
# kept as U+FFFD and the rest of the output stays (it used to end at the NUL)
printf -- '-- %%%%\nprint("a\\0b")\nio.write("c\\0d\\n")\ndisplay("e\\0f")\nlocal s = "g\\0h"\ns\n' > "$t/pnul.lua"
"$LUALAB" --run "$t/pnul.lua" --quiet -o "$t/pnul.ipynb" >/dev/null 2>&1
is "$?" 0 "a cell printing NUL bytes runs"
is "$(validate "$t/pnul.ipynb")" "" "its output notebook validates"
is "$(/usr/bin/python3 -c '
import json, sys
for o in json.load(open(sys.argv[1]))["cells"][0]["outputs"]:
    print(repr(o.get("text") or o["data"]["text/plain"]))' "$t/pnul.ipynb")" "$(printf "['a\357\277\275b\\\\n', 'c\357\277\275d\\\\n']\n['e\357\277\275f']\n['g\357\277\275h']")" "each NUL is kept as U+FFFD, nothing after it is lost"
"$LUALAB" convert "$t/pnul.ipynb" "$t/pnul2.ipynb"
is "$?" 0 "lualab reads back the notebook it wrote"

done_testing
