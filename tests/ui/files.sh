#!/bin/sh
# The curses notebook and its files: saving in the opened format,
# autosave and recovery after kill -9, resize, UTF-8, and the terminal
# restored when lualab is ended by a signal.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/save.lua" <<'NB'
-- %%
x = 1

-- %%
print(x)
NB
cp "$tap_tmp/save.lua" "$tap_tmp/orig.lua"

ui_start save.lua
see 'kernel: idle' "the notebook opens"
keys j Enter
type_text ' -- changed'
esc
see 'save\.lua \[\+\]' "an edit makes the notebook dirty"
keys s
see 'saved save\.lua' "s saves"
not_see 'save\.lua \[\+\]' "the dirty marker goes away"
printf -- '-- %%%%\nx = 1\n\n-- %%%%\nprint(x) -- changed\n' > "$tap_tmp/expect.lua"
cmp -s "$tap_tmp/save.lua" "$tap_tmp/expect.lua"
ok $? "the file on disk holds the edited notebook"
[ $? -eq 0 ] || diff "$tap_tmp/expect.lua" "$tap_tmp/save.lua" | sed 's/^/# /'
keys b Enter
type_text 'y = 2'
esc
keys C-s
see 'saved save\.lua' "Ctrl-S saves"
like "$(cat "$tap_tmp/save.lua")" 'y = 2' "the inserted cell is saved"
ok $([ ! -f "$tap_tmp/.save.lua.autosave" ]; echo $?) "a clean save leaves no autosave"

# saving a notebook opened through a symbolic link writes the file it
# points to and keeps the link
mkdir -p "$tap_tmp/real"
cp "$tap_tmp/orig.lua" "$tap_tmp/real/target.lua"
ln -s real/target.lua "$tap_tmp/link.lua"
ui_start link.lua
see 'kernel: idle' "a notebook opens through a symlink"
keys Enter
type_text ' -- via the link'
esc
keys s
see 'saved link\.lua' "it saves"
ok $([ -L "$tap_tmp/link.lua" ]; echo $?) "the link is still a link"
is "$(readlink "$tap_tmp/link.lua")" "real/target.lua" "pointing where it did"
like "$(cat "$tap_tmp/real/target.lua")" '^x = 1 -- via the link$' "the target holds the edit"
ok $([ -z "$(ls -A "$tap_tmp/real" | grep -v '^target\.lua$')" ]; echo $?) "no temporary file is left beside the target"

# .ipynb is saved with its outputs
cat > "$tap_tmp/book.ipynb" <<'NB'
{"cells": [{"cell_type": "code", "execution_count": null, "id": "c1",
  "metadata": {}, "outputs": [], "source": ["print(\"from ipynb\")"]}],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
NB
ui_start book.ipynb
see 'kernel: idle' "an .ipynb notebook opens"
keys C-e
see '│ from ipynb' "its cell runs"
keys s
see 'saved book\.ipynb' "it saves"
like "$(cat "$tap_tmp/book.ipynb")" '"from ipynb\\n"' "the .ipynb on disk has the output"
like "$(cat "$tap_tmp/book.ipynb")" '"execution_count": 1' "and the execution count"

# kill -9, then recover from the autosave
cp "$tap_tmp/orig.lua" "$tap_tmp/crash.lua"
ui_exec crash.lua
see 'kernel: idle' "a notebook opens for the crash test"
keys Enter
type_text ' -- unsaved work'
wait_for x 1
i=0
while [ ! -f "$tap_tmp/.crash.lua.autosave" ] && [ $i -lt 400 ]; do
    sleep 0.05
    i=$((i + 1))
done
ok $([ -f "$tap_tmp/.crash.lua.autosave" ]; echo $?) "an autosave is written shortly after a change"
like "$(cat "$tap_tmp/.crash.lua.autosave")" 'unsaved work' "the autosave holds the change"
pid=$(tm list-panes -F '#{pane_pid}')
kill -9 "$pid"
sleep 0.2
cmp -s "$tap_tmp/crash.lua" "$tap_tmp/orig.lua"
ok $? "the notebook file itself was not touched"
ui_start crash.lua
see 'Recover unsaved changes from \.crash\.lua\.autosave \(newer than the file\)\? \(y/n\)' "reopening offers the autosave"
keys y
see 'x = 1 -- unsaved work' "the recovered notebook holds the unsaved change"
see 'recovered from \.crash\.lua\.autosave' "the status line says so"
see 'crash\.lua \[\+\]' "the recovered notebook is dirty"
keys s
see 'saved crash\.lua' "it can be saved"
like "$(cat "$tap_tmp/crash.lua")" 'unsaved work' "the saved file has the recovered change"

# resize
# wait_header COLS: until lualab has redrawn its header at COLS columns
# with the kernel state at the right edge (20 s at most); sets $hdr
wait_header() {
    _n=0
    while [ $_n -lt 400 ]; do
        hdr=$(tm capture-pane -p -N | head -1)
        [ "${#hdr}" -eq "$1" ] && printf '%s' "$hdr" | grep -Eq 'kernel: idle $' && return 0
        sleep 0.05
        _n=$((_n + 1))
    done
    return 1
}
ui_start save.lua 100 30
see 'kernel: idle' "the notebook opens at 100x30"
tm resize-window -x 80 -y 24
wait_header 80
is "${#hdr}" "80" "after resizing to 80 columns the header is 80 wide"
like "$hdr" 'kernel: idle $' "the kernel state is at the right edge"
is "$(screen | wc -l)" "24" "the screen has 24 rows"
like "$(screen | tail -1)" 'cell 1/3' "the status line is on the last row"
tm resize-window -x 120 -y 40
wait_header 120
is "${#hdr}" "120" "growing the window redraws at 120 columns"

# resize while a cell runs
cat > "$tap_tmp/slow.lua" <<'NB'
-- %%
for i = 1, 20 do
    print("slow " .. i)
    local t = os.clock()
    while os.clock() - t < 0.1 do end
end
NB
ui_start slow.lua 100 30
see 'kernel: idle' "a slow notebook opens"
keys C-e
see 'slow 2' "the slow cell is printing"
tm resize-window -x 80 -y 24
wait_for 'slow 5' 30
hdr=$(tm capture-pane -p -N | head -1)
is "${#hdr}" "80" "the screen follows a resize while a cell runs"
like "$hdr" 'kernel: busy' "the cell was still running"

# UTF-8 and wide characters
printf -- '-- %%%%\ns = "\303\251t\303\251 \344\270\226\347\225\214"\n' > "$tap_tmp/utf.lua"
ui_start utf.lua
see 's = "été 世界"' "UTF-8 and wide characters are shown"
keys Enter End Left Left BSpace
see 's = "été 界"' "the cursor moves over wide characters as single characters"
type_text 'ü'
see 's = "été ü界"' "typing a non-ASCII character inserts it"
esc

# SIGTERM and SIGHUP end lualab with the terminal restored
ui_start save.lua
see 'kernel: idle' "the notebook opens for the signal test"
pid=$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" -x lualab || true)
[ -z "$pid" ] && pid=$(pgrep -P "$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" | head -1)" -x lualab || true)
ok $([ -n "$pid" ]; echo $?) "found lualab's pid"
kill -TERM "$pid"
see 'EXIT=143' "SIGTERM ends lualab with 128+15"
not_see 'kernel: idle' "the notebook screen is gone (terminal restored)"
tm send-keys -l 'echo-is-back'
see '^echo-is-back' "the terminal echoes typed input again after lualab ended"

# a malformed notebook: the reader's message, exit 2 (as --run and
# convert), no screen left over
printf '{"cells": [\n  {"cell_type": "code", "source": [1, 2]}\n' > "$tap_tmp/bad.ipynb"
ui_start bad.ipynb
see 'EXIT=2' "a malformed notebook exits 2, as with --run"
see '^lualab: .*bad\.ipynb:[0-9]+:[0-9]+: ' "the message names the file, line and column"
not_see 'kernel: idle' "no notebook screen is left behind"
msg_tty=$(screen | grep '^lualab: ' | head -1)
is "$msg_tty" "lualab: bad.ipynb:2:42: invalid JSON" "the exact message on a terminal"
(cd "$tap_tmp" && "$LUALAB" bad.ipynb </dev/null >/dev/null 2>err)
is "$(cat "$tap_tmp/err")" "$msg_tty" "the same message as without a terminal"

# os.exit() from a cell: the notebook stays open with its edits
printf -- '-- %%%%\nos.exit(3)\n\n-- %%%%\nprint("next")\n' > "$tap_tmp/exit.lua"
ui_start exit.lua
see 'kernel: idle' "a notebook whose cell calls os.exit opens"
keys Enter End
type_text ' -- edited'
esc
keys C-e
see 'cell 1 called os\.exit\(3\): the notebook stays open with your edits \(q quits\)' "os.exit(3) in a cell says the notebook stays open"
see '│ os\.exit\(3\) called in a cell' "the cell shows the os.exit error"
not_see 'EXIT=' "lualab did not end"
see 'exit\.lua \[\+\]' "the unsaved edit is still there"
keys k
keys R
see 'cell 1 called os\.exit\(3\)' "run-all stops at the os.exit cell with the same message"
not_see '│ next' "the cells after it did not run"
keys q
see 'Unsaved changes: save before quitting' "quitting still asks to save"
keys y
see 'EXIT=0' "then lualab ends normally"
like "$(cat "$tap_tmp/exit.lua")" 'os.exit\(3\) -- edited' "the edit was saved"

# SIGHUP (the terminal closed) writes the autosave before ending
cp "$tap_tmp/orig.lua" "$tap_tmp/hup.lua"
UI_ENV='LUALAB_UI_AUTOSAVE_MS=60000'
ui_start hup.lua
UI_ENV=
see 'kernel: idle' "the notebook opens for the hangup test"
keys Enter
type_text ' -- before hangup'
see 'x = 1 -- before hangup' "an unsaved change"
ok $([ ! -f "$tap_tmp/.hup.lua.autosave" ]; echo $?) "no autosave yet (a long delay)"
pid=$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" -x lualab || true)
[ -z "$pid" ] && pid=$(pgrep -P "$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" | head -1)" -x lualab || true)
kill -HUP "$pid"
see 'EXIT=129' "SIGHUP ends lualab with 128+1"
like "$(cat "$tap_tmp/.hup.lua.autosave" 2>/dev/null)" 'before hangup' "the unsaved change is in the autosave"

# a crash signal restores the terminal too
ui_start save.lua
see 'kernel: idle' "the notebook opens for the crash-signal test"
pid=$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" -x lualab || true)
[ -z "$pid" ] && pid=$(pgrep -P "$(pgrep -P "$(tm list-panes -F '#{pane_pid}')" | head -1)" -x lualab || true)
kill -SEGV "$pid"
see 'lualab: crashed; the terminal was restored' "a crash signal says the terminal was restored"
see 'EXIT=1[0-9][0-9]' "lualab ends by the signal"
not_see 'kernel: idle' "the notebook screen is gone after a crash"
tm send-keys -l 'echo-after-crash'
see '^echo-after-crash' "the terminal echoes input again after a crash"

# another program changes the file while it is open: saving asks first
printf -- '-- %%%%\nx = 1\n' > "$tap_tmp/shared.lua"
ui_start shared.lua
see 'kernel: idle' "a notebook opens for the changed-on-disk test"
keys Enter
type_text ' -- mine'
esc
see 'shared\.lua \[\+\]' "a local edit"
printf -- '-- %%%%\nx = 1 -- theirs\n' > "$tap_tmp/shared.lua"
sleep 0.5
like "$(cat "$tap_tmp/shared.lua")" 'theirs' "autosave leaves the changed file alone"
keys s
see 'shared\.lua changed on disk since it was opened or saved: \(o\)verwrite \(r\)eload \(c\)ancel' "saving over a file changed on disk asks"
keys c
see 'not saved: shared\.lua changed on disk' "cancel says it was not saved"
like "$(cat "$tap_tmp/shared.lua")" 'theirs' "cancel keeps the other program's change"
see 'shared\.lua \[\+\]' "the edit is still there, unsaved"
keys s
see 'changed on disk since it was opened' "asked again on the next save"
keys r
see 'x = 1 -- theirs' "reload shows the file's content"
see 'reloaded shared\.lua from disk' "the status line says it reloaded"
not_see 'shared\.lua \[\+\]' "the reloaded notebook is clean"
keys Enter End
type_text ' and mine'
esc
keys s
see 'saved shared\.lua' "after a reload, saving does not ask"
like "$(cat "$tap_tmp/shared.lua")" 'theirs and mine' "the save holds both"
printf -- '-- %%%%\nx = 2 -- theirs again\n' > "$tap_tmp/shared.lua"
keys Enter End
type_text ' -- overwrite'
esc
keys s
see 'changed on disk since it was opened' "a change after our save is noticed too"
keys o
see 'saved shared\.lua' "overwrite saves"
like "$(cat "$tap_tmp/shared.lua")" 'theirs and mine -- overwrite' "overwrite writes our version"
touch "$tap_tmp/shared.lua"
keys Enter End
type_text '!'
esc
keys s
see 'saved shared\.lua' "a file only touched (same bytes) saves without asking"
keys q
see 'EXIT=0' "quits"

done_testing
