#!/bin/sh
# The interactive REPL on a real terminal: lualab runs in a detached tmux
# pane; the test types into it and reads the screen back.  Covers the
# banner, =expr and bare expressions, multi-line chunks, Tab completion
# (globals, fields, methods through __index chains, userdata methods,
# table keys after t[" and Frame columns),
# ?name, :time, errors in red, Ctrl-C at the prompt and in a running
# chunk, the history file, and Ctrl-D.
. "$top_srcdir/tests/tap.sh"

if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi

unset TMUX # run from inside tmux too
sock=lualab-test-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$tap_tmp"' EXIT

hist=$tap_tmp/history
# Seconds to wait for the screen (sanitizer builds are slow).
wait_s=${LUALAB_TEST_WAIT:-20}

# start NAME [VAR=VALUE]: lualab in a 100x30 pane; its exit status lands
# in $tap_tmp/NAME.rc
start() {
    rm -f "$tap_tmp/$1.rc"
    tm new-session -d -s "$1" -x 100 -y 30 \
        "LUALAB_HISTORY='$hist' TERM=screen $2 '$LUALAB'; echo \$? > '$tap_tmp/$1.rc'"
}
# screen NAME [capture options]: the pane, with 500 lines of scrollback
screen() {
    s=$1
    shift
    tm capture-pane -p -S -500 "$@" -t "$s"
}
# wait_for NAME PATTERN: poll the screen until grep -E finds PATTERN
wait_for() {
    i=0
    while [ $i -lt $((wait_s * 10)) ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# wait_count NAME PATTERN N: poll until N lines match PATTERN
wait_count() {
    i=0
    while [ $i -lt $((wait_s * 10)) ]; do
        [ "$(screen "$1" | grep -Ec -- "$2")" -ge "$3" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# type NAME TEXT: literal keys; key NAME KEY...: named keys (Enter, Tab, C-c)
type() { tm send-keys -t "$1" -l "$2"; }
key() {
    s=$1
    shift
    tm send-keys -t "$s" "$@"
}
# wait_rc NAME: wait for the session's exit status file
wait_rc() {
    i=0
    while [ $i -lt $((wait_s * 10)) ] && [ ! -s "$tap_tmp/$1.rc" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    cat "$tap_tmp/$1.rc" 2>/dev/null
}

# An old history of 1200 entries: on exit the file is cut to 1000 lines.
i=1
while [ $i -le 1200 ]; do
    printf '#1700000000\nold_entry_%d = 1\n' $i
    i=$((i + 1))
done > "$hist"

start a
wait_for a '^> $|^>$'
ok $? "the prompt appears"
like "$(screen a)" "^lualab [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4[^)]*\) -- help\(\) / \?name / :help" \
    "the banner names the version and the help commands"

type a '=1+1'
key a Enter
wait_for a '^2$'
ok $? "=1+1 shows 2"

type a 'x = 6 * 7'
key a Enter
type a 'x'
key a Enter
wait_for a '^42$'
ok $? "a bare expression shows its value"

type a '{1, "two", k = true}'
key a Enter
wait_for a '^\{1, "two", k = true\}$'
ok $? "a table shows through the pretty printer"

# Multi-line: the chunk is incomplete until "end".
type a 'for i = 1, 3 do'
key a Enter
wait_for a '^>> ?$'
ok $? "an incomplete chunk asks for more with >>"
key a Tab
type a 'print(i * 11)'
wait_for a '^>>   print\(i \* 11\)$'
ok $? "Tab at the start of a line indents by two spaces"
key a Enter
type a 'end'
key a Enter
wait_for a '^33$'
ok $? "the multi-line chunk runs when complete"
is "$(screen a | grep -E '^(11|22|33)$' | tr '\n' ' ')" "11 22 33 " \
    "the loop printed each line once"

# Tab completion of a global prefix.
type a 'tostr'
key a Tab
wait_for a '^> tostring$'
ok $? "Tab completes a global prefix (tostr -> tostring)"
type a '(12345)'
key a Enter
wait_for a '^"?12345"?$'
ok $? "the completed line runs"

# Methods of a userdata (a file handle) through its metatable __index.
type a 'io.stdout:wr'
key a Tab
wait_for a '^> io\.stdout:write$'
ok $? "Tab completes a userdata method (io.stdout:wr -> write)"
type a '("written\n")'
key a Enter
wait_for a '^written$'
ok $? "the completed method call runs"

# Methods of a table object through a two-level __index chain.
type a 'Base = {}; Base.__index = Base; function Base.greet(s) return "hi" end'
key a Enter
type a 'Mid = setmetatable({}, Base); Mid.__index = Mid; obj = setmetatable({}, Mid)'
key a Enter
type a 'obj:gr'
key a Tab
wait_for a '^> obj:greet$'
ok $? "Tab completes a method two __index levels up"
key a C-u
type a 'config = {alpha = 1, beta = 2}'
key a Enter
type a 'config.al'
key a Tab
wait_for a '^> config\.alpha$'
ok $? "Tab completes a table field"
key a C-u

# Tab Tab lists the candidates, as in bash and Python's REPL.
type a 'config.'
key a Tab
key a Tab
wait_for a 'alpha +beta'
ok $? "Tab Tab lists the candidates (config. -> alpha beta)"
key a C-u

# A Frame's methods complete, and ?value.method finds their doc.
type a 'fr = df.frame{a = {1, 2}}'
key a Enter
type a 'fr:grou'
key a Tab
wait_for a '^> fr:groupby$'
ok $? "Tab completes a Frame method (fr:grou -> groupby)"
key a C-u
type a '?fr.groupby'
key a Enter
wait_for a '^Frame:groupby\{keys\} -> GroupBy'
ok $? "?fr.groupby shows the method's doc string"
type a '?lualab.progress'
key a Enter
wait_for a '^lualab\.progress\{label='
ok $? "?lualab.progress names the function once"
is "$(screen a | grep -c 'lualab\.lualab')" "0" "no doubled prefix in help"

# Keys of a table after t[" (closed with "] when one fits), and a Frame's
# column names after f[" and f., as IPython completes dict keys.
type a 'ages = {alice = 31, albert = 40, ["bob smith"] = 22}'
key a Enter
type a 'ages["bo'
key a Tab
wait_for a '^> ages\["bob smith"\]$'
ok $? "Tab completes a table key and closes it (ages[\"bo -> ages[\"bob smith\"])"
key a Enter
wait_for a '^22$'
ok $? "the completed key expression runs"
type a 'ages["al'
key a Tab
wait_for a '^> ages\["al$'
key a Tab
wait_for a 'albert +alice'
ok $? "Tab Tab lists the keys (ages[\"al -> albert alice)"
type a 'i'
key a Tab
wait_for a '^> ages\["alice"\]$'
ok $? "the key completes once unique (ages[\"ali -> ages[\"alice\"])"
key a C-u
type a 'ages['
key a Tab
wait_for a '^> ages\["$'
ok $? "Tab after t[ opens the key's quote (ages[ -> ages[\")"
key a Tab
key a Tab
wait_for a 'albert +alice +bob smith'
ok $? "then Tab Tab lists the keys"
key a C-u
type a "cf = df.frame{Cycles = {7, 8}, ['Cycle time'] = {0.5, 0.25}}"
key a Enter
type a "=cf['Cycle t"
key a Tab
wait_for a "^> =cf\['Cycle time'\]\$"
ok $? "Tab completes a Frame column name with a space (cf['Cycle t)"
key a C-u
type a 'cf["Cycle'
key a Tab
key a Tab
wait_for a 'Cycle time +Cycles'
ok $? "Tab Tab lists a Frame's column names"
key a C-u
type a 'cf.Cycl'
key a Tab
wait_for a '^> cf\.Cycles$'
ok $? "Tab completes a Frame column as a field (cf.Cycl -> Cycles)"
key a C-u

# A <close> variable on its own entry is closed when the entry ends.
type a 'local x <close> = setmetatable({}, {__close = function() print("closed now") end})'
key a Enter
wait_for a "^warning: 'x' <close> is closed as soon as this entry ends"
ok $? "the REPL warns that a line's <close> variable closes at once"
wait_for a '^closed now$'
ok $? "the variable was indeed closed"

# compile shows nothing (the model's summary is not printed again).
type a 'km = keras.Sequential{keras.layers.Dense(1, {input_shape = {2}})}'
key a Enter
type a 'km:compile{loss = "mse"}'
key a Enter
type a 'print("compiled")'
key a Enter
wait_for a '^compiled$'
ok $? "compile ran"
is "$(screen a | grep -c 'Total params')" "0" "compile does not print the summary"
# A caller's mistake found deep in lualab names the line typed, also when
# the entry is a bare call (shown as a value, so never a tail call).
type a 'km:fit(nn.zeros({3, 3}), nn.zeros({3}))'
key a Enter
wait_for a '^stdin:1: fit: the model expects input of shape \(None, 2\), got \(None, 3\)$'
ok $? "an error in a bare call names stdin:1, not lualab's own file"

# Help.
type a '?print'
key a Enter
wait_for a '^print\(\.\.\.\) -- Write the values'
ok $? "?print shows the doc string"
type a '?nosuchname'
key a Enter
wait_for a "^help: no such name 'nosuchname'$"
ok $? "?name of an unknown name says so"
type a '?'
key a Enter
wait_for a '^lualab REPL$'
ok $? "? alone shows the REPL help"

# :time and commands.
type a ':time #string.rep("ab", 500500)'
key a Enter
wait_for a '^wall time: [0-9.]+ (us|ms|s) \(cpu [0-9.]+ (us|ms|s)\)$'
ok $? ":time prints the wall and CPU time"
like "$(screen a)" '^1001000$' ":time shows the value too"
type a ':time for i = 1, 2 do'
key a Enter
wait_for a '^> :time for i = 1, 2 do$'
type a 'io.write("timed", i, " ") end'
key a Enter
wait_for a '^>> io.write\("timed", i, " "\) end$'
wait_for a '^timed1 timed2 wall time: '
ok $? ":time takes a multi-line chunk"
type a ':time'
key a Enter
wait_for a '^:time: usage: :time CODE$'
ok $? ":time without code prints its usage"
type a ':frobnicate'
key a Enter
wait_for a '^:frobnicate: unknown command \(try :help\)$'
ok $? "an unknown command is named"

# Errors: the traceback, in red on a terminal.
type a 'error("boom")'
key a Enter
wait_for a '^stdin:1: boom$'
ok $? "an error shows its message"
like "$(screen a -e | grep 'stdin:1: boom')" "$(printf '\033')\[31m" \
    "the error is red on a terminal"
type a 'x = = 1'
key a Enter
wait_for a "^stdin:1: unexpected symbol near '='$"
ok $? "a syntax error is reported, not continued"

# Ctrl-C at the prompt cancels the line.
# (wait for the echo: the terminal drops unread input on Ctrl-C)
type a 'cancelled_var = 1'
wait_for a '^> cancelled_var = 1$'
key a C-c
wait_for a '^> cancelled_var = 1\^C$'
ok $? "Ctrl-C at the prompt cancels the line"
type a 'for i = 1, 2 do'
key a Enter
wait_for a '^> for i = 1, 2 do$'
wait_for a '^>> ?$'
key a C-c
type a '=cancelled_var == nil'
key a Enter
wait_for a '^true$'
ok $? "the cancelled lines did not run (also a pending multi-line chunk)"

# Ctrl-C while a chunk runs interrupts it; the session stays usable.
type a 'print("looping") while true do end'
key a Enter
wait_for a '^looping$'
sleep 0.2
key a C-c
wait_for a 'interrupted'
ok $? "Ctrl-C interrupts a running chunk"
type a 'print("alive")'
key a Enter
wait_for a '^alive$'
ok $? "the session survives the interrupt"
type a '=x'
key a Enter
wait_count a '^42$' 2
ok $? "globals survive the interrupt"

# display() mid-chunk and progress reports reach the terminal.
type a 'display({7, 8}); print("after display")'
key a Enter
wait_for a '^after display$'
ok $? "a chunk with display() runs"
like "$(screen a | grep -B1 '^after display$' | head -1)" '^\{7, 8\}$' \
    "display() shows its value before later output"
type a 'for i = 1, 3 do lualab.progress{label = "steps", done = i, total = 3} end'
key a Enter
wait_for a '^steps +100% .* 3/3 '
ok $? "progress reports draw one bar line, finished at 3/3"
type a 'lualab.progress{label = "part", done = 1, total = 6} print("bar erased")'
key a Enter
wait_for a '^bar erased$'
is "$(screen a | grep -B1 '^bar erased$' | head -1)" \
    '> lualab.progress{label = "part", done = 1, total = 6} print("bar erased")' \
    "output in the middle of a bar erases the bar's line"

# _PROMPT changes the prompt, as in lua.
type a '_PROMPT = "lab> "'
key a Enter
wait_for a '^lab> $|^lab>$'
ok $? "_PROMPT sets the prompt"
type a '_PROMPT = nil'
key a Enter

# :run NOTEBOOK runs the code cells into this session.
printf -- '-- %%%% [markdown]\n-- # A notebook\n\n-- %%%%\nnb_value = 1234\nprint("cell one ran")\n\n-- %%%%\nnb_value * 2\n' \
    > "$tap_tmp/good.lua"
printf -- '-- %%%%\nprint("first cell")\n\n-- %%%%\nerror("nb boom")\n\n-- %%%%\nprint("never printed")\n' \
    > "$tap_tmp/bad.lua"
type a ":run $tap_tmp/goo"
key a Tab
wait_for a "^> :run $tap_tmp/good\.lua\$"
ok $? "Tab completes the notebook path after :run"
key a Enter
wait_for a "^:run: $tap_tmp/good\.lua: 2 code cells in [0-9.]+ (us|ms|s)\$"
ok $? ":run reports the code cells it ran"
is "$(screen a | grep -A2 '^cell one ran$' | tr '\n' ' ')" \
    "cell one ran 2468 :run: $tap_tmp/good.lua: 2 code cells in $(screen a | sed -n 's/^:run: .*good.lua: 2 code cells in //p') " \
    ":run shows output and values as the cells run"
type a '=nb_value'
key a Enter
wait_for a '^1234$'
ok $? "the notebook's globals live on in the session"
type a ":run $tap_tmp/bad.lua"
key a Enter
wait_for a "^:run: $tap_tmp/bad\.lua: cell 2 failed: error\(\"nb boom\"\)\$"
ok $? ":run stops at the failing cell and names it"
like "$(screen a)" '^cell 2:1: nb boom$' "the traceback has the cell's own line"
like "$(screen a)" '^first cell$' "cells before the failure ran"
ok $(screen a | grep -q 'never printed'; [ $? -ne 0 ]; echo $?) "cells after the failure did not run"
type a ":run $tap_tmp/missing.lua"
key a Enter
wait_for a "^:run: $tap_tmp/missing\.lua: No such file or directory\$"
ok $? ":run of a missing file says so"
type a ':run'
key a Enter
wait_for a '^:run: usage: :run NOTEBOOK$'
ok $? ":run without a path prints its usage"

# Ctrl-D exits with status 0 and the history is saved.
key a C-d
is "$(wait_rc a)" "0" "Ctrl-D exits with status 0"
ok $([ -f "$hist" ]; echo $?) "the history file is written"
grep -q '^=1+1$' "$hist"
ok $? "the history holds a line typed"
ok $(grep -q '^  print(i \* 11)$' "$hist" && grep -q '^for i = 1, 3 do$' "$hist"; echo $?) \
    "the history holds the multi-line chunk"
is "$(grep -c '^:time for i = 1, 2 do$' "$hist")" "1" "a multi-line :time is one history entry"

is "$(grep -vc '^#[0-9]' "$hist")" "1000" "the history file is cut to 1000 lines on exit"
ok $(grep -q '^old_entry_1 = 1$' "$hist"; [ $? -ne 0 ]; echo $?) "the oldest entries went first"

# A new session reads the history back: Up recalls the last entry.
start b NO_COLOR=1
wait_for b '^> $|^>$'
key b Up
wait_for b '^> :run$'
ok $? "a new session recalls the last entry with Up"
key b C-u
type b 'error("plain")'
key b Enter
wait_for b '^stdin:1: plain$'
ok $(screen b -e | grep 'stdin:1: plain' | grep -q "$(printf '\033')"; [ $? -ne 0 ]; echo $?) \
    "NO_COLOR: the error is not coloured"
key b C-d
is "$(wait_rc b)" "0" "the second session exits 0"

# The stuck chunks below are interrupted on conditions, not after fixed
# sleeps (a loaded machine may not run lualab for a while):
# pid_of NAME: lualab's pid in session NAME
pid_of() { pgrep -P "$(tm list-panes -t "$1" -F '#{pane_pid}')" -x lualab; }
# in_c PID: wait until the process has used 0.3 s of CPU since the call,
# so it is inside the pattern match that follows its print
in_c() {
    c0=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
    i=0
    while [ $(($(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }') - c0)) -lt $(($(getconf CLK_TCK) * 3 / 10)) ] &&
        [ $i -lt $((wait_s * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
# taken PID: wait until no SIGINT is pending for the process (two pending
# SIGINTs are one)
taken() {
    i=0
    while [ $((0x$(awk '/^ShdPnd:/ { print $2 }' "/proc/$1/status") & 2)) -ne 0 ] &&
        [ $i -lt $((wait_s * 10)) ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

# A chunk stuck in C code (a pattern that backtracks for hours) cannot
# see the interrupt hook: a second Ctrl-C within a second exits with 130.
start c
tm set-option -w -t c remain-on-exit on
wait_for c '^> $|^>$'
type c 'print("stuck") string.rep("a", 2000):find(".-.-.-b")'
key c Enter
wait_for c '^stuck$'
pid=$(pid_of c)
in_c "$pid"
key c C-c
taken "$pid"
key c C-c
is "$(wait_rc c)" "130" "a second Ctrl-C within a second exits with 130"
like "$(screen c)" "^lualab: interrupted twice, exiting$" "and says why"

# A second Ctrl-C two seconds or more after the first offers to restart
# the kernel: lualab executes itself again, the variables are gone.
start r
wait_for r '^> $|^>$'
type r 'kept = 41'
key r Enter
type r 'print("stuck") string.rep("a", 200000):find(".-.-.-b")'
key r Enter
wait_for r '^stuck$'
pid=$(pid_of r)
in_c "$pid"
key r C-c
taken "$pid"
sleep 2.2
key r C-c
wait_for r 'the chunk is stuck in a C function\. Restart the kernel\?'
ok $? "a late second Ctrl-C offers to restart the kernel"
type r y
wait_count r '^lualab [0-9.]+ \(Lua' 2
ok $? "lualab starts again (the banner shows twice)"
type r 'print(kept, 1 + 1)'
key r Enter
wait_for r '^nil[[:space:]]+2$'
ok $? "the new kernel runs, without the old variables"
key r C-d
is "$(wait_rc r)" "0" "the restarted session exits 0"

# SIGTERM and SIGHUP at the prompt end lualab with the terminal as it was
for sig in TERM HUP; do
    rm -f "$tap_tmp/t$sig.rc"
    tm new-session -d -s "t$sig" -x 100 -y 30 \
        "LUALAB_HISTORY='$hist' TERM=screen '$LUALAB'; echo \$? > '$tap_tmp/t$sig.rc'; stty -a > '$tap_tmp/t$sig.stty'"
    wait_for "t$sig" '^> $|^>$'
    type "t$sig" 'half a line'
    pid=$(pgrep -P "$(tm list-panes -t "t$sig" -F '#{pane_pid}')" -x lualab)
    kill -$sig "$pid"
    code=143
    [ $sig = HUP ] && code=129
    is "$(wait_rc "t$sig")" "$code" "SIG$sig at the prompt exits $code"
    i=0
    while [ ! -s "$tap_tmp/t$sig.stty" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    ok $(grep -Eq '(^| )-(icanon|echo|icrnl)( |$)' "$tap_tmp/t$sig.stty"; [ $? -ne 0 ]; echo $?) \
        "after SIG$sig the terminal has icanon, echo and icrnl back"
done

# The first SIGTERM or SIGHUP also ends a chunk stuck in a C function
# (it never reaches the interrupt hook), with the terminal restored
for sig in TERM HUP; do
    rm -f "$tap_tmp/s$sig.rc" "$tap_tmp/s$sig.stty"
    tm new-session -d -s "s$sig" -x 100 -y 30 \
        "LUALAB_HISTORY='$hist' TERM=screen '$LUALAB'; echo \$? > '$tap_tmp/s$sig.rc'; stty -a > '$tap_tmp/s$sig.stty'"
    wait_for "s$sig" '^> $|^>$'
    type "s$sig" 'print("stuck") string.rep("a", 200000):find(".-.-.-b")'
    key "s$sig" Enter
    wait_for "s$sig" '^stuck$'
    pid=$(pgrep -P "$(tm list-panes -t "s$sig" -F '#{pane_pid}')" -x lualab)
    kill -$sig "$pid"
    code=143
    [ $sig = HUP ] && code=129
    is "$(wait_rc "s$sig")" "$code" "SIG$sig ends a chunk stuck in C with $code"
    i=0
    while [ ! -s "$tap_tmp/s$sig.stty" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    ok $([ -s "$tap_tmp/s$sig.stty" ] && ! grep -Eq '(^| )-(icanon|echo|icrnl)( |$)' "$tap_tmp/s$sig.stty"; echo $?) \
        "after SIG$sig on a stuck chunk the terminal has icanon, echo and icrnl back"
done

# Ctrl-Z at the prompt suspends lualab; after `fg` the line is redrawn and
# editing goes on (the terminal is handed back and taken again).
if command -v bash >/dev/null 2>&1; then
    tm new-session -d -s d -x 100 -y 30 \
        "HISTFILE=/dev/null PS1='sh$ ' bash --norc --noprofile -i"
    wait_for d '^sh\$'
    type d "LUALAB_HISTORY=/dev/null '$LUALAB'"
    key d Enter
    wait_for d '^> $|^>$'
    type d 'print("sus'
    wait_for d '^> print\("sus$'
    key d C-z
    wait_for d 'Stopped'
    ok $? "Ctrl-Z at the prompt stops lualab"
    type d 'fg'
    key d Enter
    wait_count d '^> print\("sus$' 2
    ok $? "after fg the line is redrawn"
    type d 'pended")'
    key d Enter
    wait_for d '^suspended$'
    ok $? "editing goes on after fg"
    type d 'tostr'
    key d Tab
    wait_for d '^> tostring$'
    ok $? "completion works after fg"
    key d C-u C-d
    type d 'exit'
    key d Enter
fi

done_testing
