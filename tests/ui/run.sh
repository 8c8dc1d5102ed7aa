#!/bin/sh
# The curses notebook running cells: streamed output while a cell runs,
# interrupting a busy loop (i i and Ctrl-C) with the kernel still usable,
# run all stopping at an error, coloured display output, progress, folding
# of long outputs, restarting the kernel.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/run.lua" <<'NB'
-- %%
for i = 1, 3 do
    print("tick " .. i)
    local t = os.clock()
    while os.clock() - t < 0.4 do end
end

-- %%
while true do end

-- %%
kept = (kept or 0) + 1
print("kernel alive", kept)

-- %%
setmetatable({}, {__display = function(self, o)
    return {text = "chart", kind = "plot",
            ansi = "\27[31m#### red\27[0m\n\27[32m==== green\27[0m\n\27[1;34mtitle\27[0m"}
end})

-- %%
plot.line{y = {1, 3, 2, 5, 4, 6}, title = "Loss curve"}
NB

ui_start run.lua
see 'kernel: idle' "the notebook opens"

keys C-e
see 'tick 1' "output printed by a running cell appears before it ends"
not_see 'tick 3' "the cell has not finished when its first line shows"
see 'kernel: busy' "the header shows the kernel busy"
see '\[\*\]' "the running cell shows [*]"
see 'tick 3' "the rest of the output follows"
see 'kernel: idle' "the kernel is idle again"
see '^.\[1\]' "the finished cell shows [1]"

keys j C-e
see 'kernel: busy' "a busy loop runs"
sleep 0.3
keys i i
see 'cell [0-9]+:1: interrupted' "i i interrupts a cell that prints nothing"
see 'kernel: idle' "the kernel is idle after the interrupt"
see 'cell 2: interrupted' "the status line says it was interrupted"

keys j C-e
see 'kernel alive +1' "another cell runs after the interrupt"

keys k C-e
see 'kernel: busy' "the busy loop runs again"
sleep 0.3
keys C-c
see 'cell 2: interrupted' "Ctrl-C interrupts it too"
keys j C-e
see 'kernel alive +2' "the kernel kept its state across interrupts"

keys j C-e
see '#### red' "a displayed value's ANSI text is shown"
see '==== green' "all its lines are shown"
not_see '│ .*\[3[12]m' "escape codes are not shown raw in the output"
esc_scr=$(tm capture-pane -e -p)
printf '%s' "$esc_scr" | grep -q "$(printf '\033')\[31m#### red"
ok $? "the red part of the chart is drawn in red"
printf '%s' "$esc_scr" | grep -q "$(printf '\033')\[32m==== green"
ok $? "the green part is drawn in green"

keys j C-e
see '^.\[[0-9]+\] +plot\.line' "a plot cell runs"
see '│ +Loss curve' "the chart from the plot module is drawn with its title"
see '│ +6┤' "with its y axis"
see '│ +└┬' "and its x axis"
not_see 'more rows' "the chart is not folded"
esc_scr=$(tm capture-pane -e -p)
n=$(printf '%s\n' "$esc_scr" | sed -n '/Loss curve/,$p' | grep -c "$(printf '\033')\[3[0-9]m")
ok $([ "$n" -ge 8 ]; echo $?) "the chart's lines are drawn in colour ($n coloured rows)"

# run all stops at the first error
cat > "$tap_tmp/all.lua" <<'NB'
-- %%
print("first ran")

-- %%
error("boom here")

-- %%
print("third ran")
NB
ui_start all.lua
see 'kernel: idle' "a second notebook opens"
keys R
see 'boom here' "run all shows the error"
see 'stopped at cell 2: error' "run all stops at the error"
see 'first ran' "cells before the error ran"
not_see '│ third ran' "cells after the error did not run"
see 'failed' "the failed cell is marked"
keys B
see 'stopped at cell 2' "B runs from the selected cell and stops at the error"
not_see '│ third ran' "B stopped before the cell below"
keys A
see 'ran 1 cell' "A runs the cells above"
keys j l
wait_for 'x' 1
not_see '│ .*boom here' "l clears the error output"

keys 0 0
see 'kernel restarted' "0 0 restarts the kernel"
see 'stale: changed since it ran' "outputs are kept but marked stale"

# long outputs fold, o expands
cat > "$tap_tmp/long.lua" <<'NB'
-- %%
for i = 1, 60 do print("row " .. i) end

-- %%
local t = {}
for i = 1, 1e6 do t[i] = {i, tostring(i)} end
t
NB
ui_start long.lua
see 'kernel: idle' "a third notebook opens"
keys C-e
see '\.\.\. [0-9]+ more rows \(o: expand, O: page\)' "a long output is folded"
not_see 'row 40' "folded rows are not shown"
keys o
see 'output expanded' "o expands the output"
see 'row 20' "more rows are shown when expanded"
keys j C-e
see '│   \{3, "3"\},' "a huge table is shown"
see '\.\.\. [0-9]+ more rows \(o: expand, O: page\)' "and folded"
keys k
see 'cell 1/2' "the notebook still answers keys after a huge value"

# progress bars
cat > "$tap_tmp/prog.lua" <<'NB'
-- %%
for i = 1, 8 do
    lualab.progress{label = "epoch", done = i, total = 8, metrics = "loss 0.5"}
    local t = os.clock()
    while os.clock() - t < 0.15 do end
end
NB
ui_start prog.lua
see 'kernel: idle' "a fourth notebook opens"
keys C-e
see 'epoch +[0-9]+% \|.*\| +[0-9]/8 .*loss 0\.5' "a progress bar is drawn while the cell runs"
see 'cell 1: done' "the cell finishes"
not_see 'epoch +[0-9]+% \|' "the bar goes away when the cell ends"

done_testing
