#!/bin/sh
# A chart displayed by a running cell grows on screen as the cell appends to
# it (a live loss curve), and the saved notebook keeps the final chart.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/live.lua" <<'NB'
-- %%
p = plot.line{y = {1, 2}, title = "Live loss", width = 60, height = 10}
display(p)
for i = 3, 80 do
    p:append(1, i, i * i)
    lualab.progress{label = "epoch", done = i, total = 80}
    local t = os.clock() + 0.04
    while os.clock() < t do end
end
print("training done")
NB
ui_start live.lua
see 'kernel: idle' "the notebook opens"
keys C-e
see '│ +Live loss' "the chart is drawn while the cell runs"
see '│ +[0-9.]+k?┤' "with its y axis"
# Before the cell ends the axis has already grown past the first points.
wait_for '│ +(1k|[2-9]00)┤' 30
rc=$?
printf '%s\n' "$scr" | grep -q '│ training done'
ended=$?
ok $([ $rc -eq 0 ] && [ $ended -ne 0 ]; echo $?) "the chart grows while the cell still runs"
[ $rc -eq 0 ] && [ $ended -ne 0 ] || printf '%s\n' "$scr" | sed 's/^/#   | /'

see '│ training done' "the cell ends" 60
see '│ +6k┤' "the final chart shows the last points (80 squared)"
# The cell's end message replaces the status line: save after it, or the
# end of the cell can overwrite "saved" before the screen is read.
wait_for 'cell 1: ' 60
keys s
see 'saved' "the notebook saves"
ui_stop

# A cell that prints nothing still redraws: its clock runs, its chart grows.
cat > "$tap_tmp/silent.lua" <<'NB'
-- %%
p = plot.line{y = {1, 2}, title = "Silent loss", width = 60, height = 10}
display(p)
for i = 3, 60 do
    p:append(1, i, i * i)
    local t = os.clock() + 0.05
    while os.clock() < t do end
end
NB
ui_start silent.lua
see 'kernel: idle' "a notebook with a silent cell opens"
keys C-e
see 'running [1-9]\.[0-9] s' "the clock of a silent cell runs"
see '│ +(1000|[4-9]00)┤' "its chart grows while it runs, without any output or progress"
see 'done [0-9.]+ s' "the silent cell ends" 60
ui_stop

"$LUALAB" --run "$tap_tmp/live.lua" -o "$tap_tmp/live.ipynb" --quiet >/dev/null
final=$(/usr/bin/python3 - "$tap_tmp/live.ipynb" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))["cells"][0]["outputs"][0]
print("6k┤" in "".join(out["data"]["text/plain"]), ">80<" in "".join(out["data"]["image/svg+xml"]))
PY
)
is "$final" "True True" "the executed notebook holds the final chart, as text and SVG"
done_testing
