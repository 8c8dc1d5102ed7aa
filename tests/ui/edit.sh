#!/bin/sh
# The curses notebook: open, move, edit with undo/redo, run, cell
# operations, cell types, search and help, asserted on the screen.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/nb.lua" <<'NB'
-- %% [markdown]
-- # Battery lab
-- Some **bold** text and `code`.

-- %%
local answer = 6 * 7
print("answer is", answer)

-- %%
print("needle in cell three")
NB

ui_start nb.lua
see 'kernel: idle' "the header shows the kernel state"
see '^ lualab \| nb\.lua' "the header names the file"
see 'Battery lab' "the markdown heading is rendered"
not_see '# Battery lab' "the heading is shown without its #"
see '\[ \] +local answer = 6 \* 7' "the first code cell shows [ ] and its source"
see 'cell 1/3' "the status line shows the cell position"

keys j
see 'cell 2/3' "j moves to the next cell"
keys Down
see 'cell 3/3' "Down moves to the next cell"
keys k k
see 'cell 1/3' "k moves back"

keys Enter
see '^. md +# Battery lab' "editing a Markdown cell shows its source"
esc
see '^. md +Battery lab' "leaving the editor renders it again"
keys C-c
see 'nothing is running \(q quits\)' "Ctrl-C with nothing running does not quit"

keys j C-e
see '^.\[1\] +local answer' "running a cell shows its execution count [1]"
see 'answer is +42' "the cell's output is shown under it"
see 'done [0-9.]+ ms' "the run time is shown"

keys Enter
see ' EDIT ' "Enter starts editing"
type_text '
print("typed")'
see 'print\("typed"\)' "typed text appears in the cell"
see 'stale: changed since it ran' "an edited cell that ran is marked stale"
see 'nb\.lua \[\+\]' "the header shows the dirty marker"
keys C-z
wait_for 'typed' 1
not_see 'print\("typed"\)' "Ctrl-Z undoes the typing"
keys C-y
see 'print\("typed"\)' "Ctrl-Y redoes it"
keys C-e
see '^.\[2\] +local answer' "Ctrl-E runs from edit mode"
see '│ typed' "the new output appears"
see ' COMMAND ' "running from edit mode returns to command mode"

# insert, delete, undo delete, move
keys b
see 'cell 3/4' "b inserts a cell below"
keys Enter
type_text 'print("fresh")'
esc
see 'print\("fresh"\)' "the new cell holds what was typed"
keys d d
see 'cell 3/3' "d d deletes the cell"
not_see 'fresh' "the deleted cell is gone"
keys z
see 'print\("fresh"\)' "z brings the deleted cell back"
see 'cell 3/4' "it is back in its place"
keys K
see 'cell 2/4' "K moves the cell up"
scr=$(screen)
first=$(printf '%s\n' "$scr" | grep -n 'fresh' | head -1 | cut -d: -f1)
second=$(printf '%s\n' "$scr" | grep -n 'local answer' | head -1 | cut -d: -f1)
ok $([ "$first" -lt "$second" ]; echo $?) "the moved cell is now above the other"
keys J
see 'cell 3/4' "J moves it back down"

# copy and paste
keys c v
see 'cell 4/5' "c then v pastes a copy below"
keys d d

# cut and paste
keys G
see 'cell 4/4' "G goes to the last cell"
keys x
see 'cell 3/3' "x cuts the cell"
not_see 'needle in cell three' "the cut cell is gone"
keys g v
see 'cell 2/4' "v pastes it below the selected cell"
see 'needle in cell three' "the pasted cell is back"
keys d d G v
see 'cell 4/4' "and it can be pasted again at the end"

# cell types
keys g
see 'cell 1/' "g goes to the first cell"
keys j j
keys m
see '^. md +print\("fresh"\)' "m makes a Markdown cell"
keys y
see '^.\[ \] +print\("fresh"\)' "y makes it code again"

# search
keys /
see '/' "/ opens the search prompt"
type_text 'needle'
keys Enter
see '/needle: cell 4' "search finds the matching cell"
see 'cell 4/4' "and selects it"
keys n
see '/needle: cell 4' "n finds the next match (wrapping)"
tm capture-pane -e -p | grep -q "$(printf '\033')\[[0-9;]*7m[^$(printf '\033')]*needle"
ok $? "the match is shown in reverse video"

keys g NPage
see 'cell 4/4' "PgDn selects the last cell on screen"
keys PPage
see 'cell 1/4' "PgUp goes back a screen"

# the editor: auto-indent, Tab, Home/End, Delete, Ctrl-A
keys G b Enter
type_text 'for i = 1, 2 do'
keys Enter
type_text 'print(i)'
see '\[ \] +for i = 1, 2 do$' "a block opener"
see '^. {6}    print\(i\)$' "Enter after 'do' indents the next line by four"
keys Enter
type_text 'x'
see '^. {6}    x$' "the next line keeps the indentation"
keys BSpace BSpace Home
type_text 'end'
see '^. {6}end$' "Home goes to the line start"
keys Up End Tab
type_text '-- t'
see '^. {6}    print\(i\)    -- t$' "End then Tab inserts spaces to the next stop"
keys C-a DC DC
see '^. {6}  print\(i\)    -- t$' "Ctrl-A goes to the line start and Delete deletes forward"
keys C-r
see '│ 1' "Ctrl-R runs the cell"
see 'cell 6/6' "and moves to the next cell (a new one at the end)"
keys Up
see 'cell 5/6' "the run cell is above"
keys d d d d
see 'cell 4/4' "the test cells are deleted again"
see 'needle in cell three' "the other cells are still there"

# word jumps
keys G b Enter
type_text 'alpha beta gamma'
keys C-Left
type_text 'X'
see '\] +alpha beta Xgamma$' "Ctrl-Left jumps to the previous word"
keys Home C-Right
type_text 'Y'
see '\] +alpha Ybeta Xgamma$' "Ctrl-Right jumps to the next word"
keys M-b
type_text 'Z'
see '\] +alpha ZYbeta Xgamma$' "Alt-B jumps back to the start of the word"
keys M-f M-f
type_text 'W'
see '\] +alpha ZYbeta XgammaW$' "Alt-F jumps forward a word at a time"
esc
keys d d

# help
keys ?
see 'command mode' "? opens the help"
see 'd d +delete-cell' "help lists two-key bindings from the table"
keys G
see 'i i, C-c +interrupt' "help lists the interrupt keys"
see "C-z +undo" "help lists the edit-mode keys"
keys q
see 'kernel: idle' "q closes the help"

# an unbound key says so
keys Z
see 'no key Z in command mode' "an unbound key is reported"

# quitting with unsaved changes asks
keys q
see 'Unsaved changes: save before quitting\? \(y\)es \(n\)o \(c\)ancel' "q asks when there are unsaved changes"
keys c
see 'quit cancelled' "c cancels quitting"
keys q
see 'Unsaved changes' "q asks again"
keys n
see 'EXIT=0' "n quits without saving"
ok $([ ! -f "$tap_tmp/.nb.lua.autosave" ]; echo $?) "quitting without saving removes the autosave"

done_testing
