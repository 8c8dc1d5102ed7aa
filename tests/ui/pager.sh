#!/bin/sh
# The output pager: O shows the selected cell's whole output full-screen
# (j/k, space/b, g/G, / with n/N, q back); the help screen names keys as
# people write them; an interrupted cell shows its traceback.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/long.lua" <<'NB'
-- %%
for i = 1, 200 do print(string.format("row %03d", i)) end
NB

ui_start long.lua
see 'kernel: idle' "the notebook opens"
keys C-e
see 'more rows \(o: expand, O: page\)' "a long output folds and names O"
keys O
see 'OUTPUT of cell 1  rows 1-29 of 200' "O opens the output in the pager"
see '^row 001$' "the pager starts at the first row"
keys j
see 'rows 2-30 of 200' "j scrolls one row"
keys Space
see 'rows 31-59 of 200' "space scrolls a screen"
keys b
see 'rows 2-30 of 200' "b scrolls back a screen"
keys G
see '^row 200$' "G goes to the end"
see 'rows 172-200 of 200' "the last screen ends at the last row"
keys g
see '^row 001$' "g goes to the top"
keys /
type_text 'row 150'
keys Enter
see '/row 150: row 150 of 200' "/ finds a row and says where"
see '^row 150$' "the match is on screen"
keys g
keys /
type_text 'row 1'
keys Enter
see '/row 1: row 100 of 200' "searching from the top, the first match of 'row 1' is row 100"
keys n
see '/row 1: row 101 of 200' "n goes to the next match"
keys N
see '/row 1: row 100 of 200' "N goes to the previous match"
keys N
see '/row 1: row 199 of 200' "N wraps around to the last match"
keys q
see '\[1\]' "q goes back to the notebook"
not_see 'OUTPUT of cell' "the pager is closed"

# / on the notebook scrolls to a match inside a long output, unfolding it.
keys /
type_text 'row 180'
keys Enter
see '│ row 180$' "search scrolls to a match deep inside a folded output"
not_see 'more rows' "the output was unfolded to show the match"
keys Escape
sleep 0.2

keys '?'
see 'PgDn' "the help screen names PgDn"
not_see 'NPage|PPage' "no curses page key names in the help"
keys Space
see '^ +O +page-output +read the cell.s output full-screen' "the help screen lists O"
keys G
see 'Backspace +backspace' "the help screen names Backspace"
see 'Delete +delete-char' "the help screen names Delete"
not_see 'BSpace|DC ' "no curses key names in the help"
keys q
keys q
see 'EXIT=0' "the notebook quits"

# An interrupted cell shows its traceback under it, and O pages it.
cat > "$tap_tmp/spin.lua" <<'NB'
-- %%
local function spin()
    while true do end
end
spin()
NB
ui_start spin.lua
see 'kernel: idle' "the spinning notebook opens"
keys C-e
see 'kernel: busy' "the cell runs"
keys C-c
see 'cell 1:[0-9]+: interrupted' "the interrupt shows under the cell"
see '│ stack traceback:' "with the traceback under it"
keys O
see '^stack traceback:' "O pages the traceback"
keys q
keys q
see 'EXIT=0' "the notebook quits"

# Folding where docs/notebook-ui.md says: more than half the screen plus
# four rows (19 on this 30-row screen) folds, 19 rows do not.
cat > "$tap_tmp/fold.lua" <<'NB'
-- %%
for i = 1, 19 do print("r" .. i) end

-- %%
for i = 1, 20 do print("s" .. i) end
NB
ui_start fold.lua
see 'kernel: idle' "the folding notebook opens"
keys C-e
see '│ r19$' "19 rows of output are shown whole"
not_see 'more row' "and not folded"
keys j C-e
see '│ \.\.\. 1 more row \(o: expand, O: page\)' "20 rows fold after the 19th (one more row)"
see '│ s19$' "the 19th row is the last one shown"
not_see '│ s20$' "the 20th is folded away"
keys q
see 'EXIT=0' "the notebook quits"

done_testing
