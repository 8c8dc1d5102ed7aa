#!/bin/sh
# The curses notebook and signals: a cell stuck inside one C call (a
# pattern match that backtracks for hours) never reaches the Lua hook;
# SIGTERM still ends lualab (the edits autosaved before the cell ran),
# SIGQUIT autosaves and restores the terminal like SIGTERM, and a second
# interrupt offers to restart the kernel.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/stuck.lua" <<'NB'
-- %%
x = 1

-- %%
string.rep("a", 200000):find(".-.-.-b")
NB
cp "$tap_tmp/stuck.lua" "$tap_tmp/orig.lua"

lualab_pid() {
    _p=$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" -x lualab || true)
    [ -z "$_p" ] && _p=$(pgrep -P "$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" | head -1)" -x lualab || true)
    echo "$_p"
}

# SIGTERM during a stuck cell: the edit made just before is autosaved,
# lualab ends with 143 about two seconds later, the terminal restored
UI_ENV='LUALAB_UI_AUTOSAVE_MS=60000'
ui_start stuck.lua
UI_ENV=
see 'kernel: idle' "the notebook opens"
keys Enter
type_text ' -- edited before the run'
esc
keys j C-e
see 'kernel: busy' "the stuck cell runs"
like "$(cat "$tap_tmp/.stuck.lua.autosave" 2>/dev/null)" 'edited before the run' "the edit is autosaved before the cell runs"
pid=$(lualab_pid)
ok $([ -n "$pid" ]; echo $?) "found lualab's pid"
kill -TERM "$pid"
see 'EXIT=143' "SIGTERM ends lualab although the cell is stuck in C" 30
see 'the running cell did not stop; ended' "it says why"
not_see 'kernel: busy' "the notebook screen is gone (terminal restored)"
tm send-keys -l 'echo-is-back'
see '^echo-is-back' "the terminal echoes typed input again"

# SIGQUIT at rest: autosave, terminal restored, 128+3
cp "$tap_tmp/orig.lua" "$tap_tmp/quit.lua"
UI_ENV='LUALAB_UI_AUTOSAVE_MS=60000'
ui_start quit.lua
UI_ENV=
see 'kernel: idle' "the notebook opens for SIGQUIT"
keys Enter
type_text ' -- before quit'
see 'x = 1 -- before quit' "an unsaved change"
kill -QUIT "$(lualab_pid)"
see 'EXIT=131' "SIGQUIT ends lualab with 128+3"
like "$(cat "$tap_tmp/.quit.lua.autosave" 2>/dev/null)" 'before quit' "SIGQUIT writes the autosave"
tm send-keys -l 'echo-is-back'
see '^echo-is-back' "the terminal is restored after SIGQUIT"

# a second interrupt after the grace period offers a kernel restart
cp "$tap_tmp/orig.lua" "$tap_tmp/restart.lua"
ui_start restart.lua
see 'kernel: idle' "the notebook opens for the restart"
keys Enter
type_text ' -- kept across the restart'
esc
keys j C-e
see 'kernel: busy' "the stuck cell runs"
# the first Ctrl-C once the cell is inside the match (lualab has used
# 0.3 s of CPU since), the second well after the grace of 2 s even when a
# loaded machine is slow to read the first
pid=$(lualab_pid)
c0=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
n=0
while [ $(($(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }') - c0)) -lt $(($(getconf CLK_TCK) * 3 / 10)) ] &&
    [ $n -lt 600 ]; do
    sleep 0.05
    n=$((n + 1))
done
keys C-c
sleep 0.5
not_see 'Restart the kernel' "a first interrupt only asks the cell to stop"
sleep 3
keys C-c
see 'cell 2 is stuck in a C function\. Restart the kernel\?' "a second interrupt after the grace offers a restart"
keys y
see 'kernel restarted \(a cell was stuck\)' "the kernel restarts"
see 'kernel: idle' "and is idle"
see 'x = 1 -- kept across the restart' "the edit made before the run is back"
keys C-e
see '^.\[1\]' "cells run in the new kernel"
keys q
see 'Unsaved changes' "quitting asks to save the recovered edits"
keys n
see 'EXIT=0' "lualab ends normally after a restart"

# Esc at the recovery question keeps the unrecovered work out of the way
# of this session's autosaves, and it is offered again at the next open
printf -- '-- %%%%\nx = 1\n' > "$tap_tmp/esc.lua"
printf -- '-- %%%%\nx = 1 -- the day'"'"'s work\n' > "$tap_tmp/.esc.lua.autosave"
touch -d '1 minute ago' "$tap_tmp/esc.lua"
ui_start esc.lua
see 'Recover unsaved changes from \.esc\.lua\.autosave' "an autosave newer than the file is offered"
esc
see 'not recovered: the unsaved changes stay in \.esc\.lua\.autosave\.aside' "Esc says where the work is kept"
keys Enter
type_text ' -- another edit'
esc
sleep 1
like "$(cat "$tap_tmp/.esc.lua.autosave" 2>/dev/null)" 'another edit' "this session autosaves"
like "$(cat "$tap_tmp/.esc.lua.autosave.aside" 2>/dev/null)" "the day's work" "without overwriting the unrecovered work"
keys q
see 'Unsaved changes' "quitting asks to save"
keys n
see 'EXIT=0' "lualab ends without saving"
rm -f "$tap_tmp/.esc.lua.autosave"
ui_start esc.lua
see 'Recover unsaved changes kept in \.esc\.lua\.autosave\.aside\? \(y/n\)' "the work set aside is offered again"
keys y
see "x = 1 -- the day's work" "and recovered"
ok $([ ! -e "$tap_tmp/.esc.lua.autosave.aside" ]; echo $?) "the file set aside is gone once recovered"
keys q
keys n
see 'EXIT=0' "lualab ends"

done_testing
