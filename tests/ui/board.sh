#!/bin/sh
# automl.forecast{progress = true} in the curses notebook: a live
# leaderboard table under the cell, redrawn after each trial (rows grow,
# best first) beside the progress bar, whose final state equals
# job.leaderboard.
. "$top_srcdir/tests/ui/ui_lib.sh"

cat > "$tap_tmp/board.lua" <<'NB'
-- %%
warn("@off")
local b = df.parse_csv((datasets.generate("daily-battery-time-series", {rows = 1539})))
job = automl.forecast{data = b, target = "Daily_Cycles_Used", time = "Date",
  horizon = 30, threads = 1, progress = true, explain = false,
  exclude_columns = {"Unnamed: 0", "Number_Of_Trips", "Lifetime_Cycles_Used",
                     "Battery_Rated_Cycles", "Battery_ID"},
  allowed = {"Naive", "SES", "Theta", "AutoETS", "AutoARIMA", "RandomForest",
             "ExtremeRandomTrees", "Ridge", "KNN"}}
local lb = job.leaderboard
for i = 1, #lb do print(("LB %d %s %g"):format(i, lb.model[i], lb.nrmse[i])) end
NB

# The table's rows on the screen: "rank model nrmse" of each.
rows() { printf '%s\n' "$1" | sed -n 's/^.*│ *[0-9][0-9]* *\([0-9][0-9]*\)  *\([A-Za-z]*\)  *\([-0-9.e+]*\) .*$/\1 \2 \3/p'; }

ui_start board.lua 120 50
see 'kernel: idle' "the notebook opens"
keys C-e
counts=""
busy_table=1
bar=1
n=0
while [ $n -lt 600 ]; do
    scr=$(screen)
    if printf '%s\n' "$scr" | grep -q 'kernel: busy'; then
        c=$(rows "$scr" | wc -l | tr -d ' ')
        if [ "$c" -gt 0 ]; then
            busy_table=0
            case " $counts " in *" $c "*) ;; *) counts="$counts $c" ;; esac
            printf '%s\n' "$scr" | grep -q 'rank  model  *nrmse  *nmae  *r2' || busy_table=2
        fi
        printf '%s\n' "$scr" | grep -Eq 'automl trials +[0-9]+% .* [0-9]/9' && bar=0
    elif printf '%s\n' "$scr" | grep -q 'kernel: idle' && [ -n "$counts" ]; then
        break
    fi
    sleep 0.05
    n=$((n + 1))
done
ok $busy_table "the leaderboard table (rank, model, nrmse, nmae, r2, ...) is drawn while the cell runs"
ok $bar "the progress bar counts the trials beside it"
set -- $counts
ok $([ $# -ge 2 ]; echo $?) "its rows grow while the search runs (row counts seen:$counts)"
see 'LB 9 ' "the cell ends" 60
final=$(rows "$scr")
want=$(printf '%s\n' "$scr" | sed -n 's/^.*│ LB \([0-9]*\) \([A-Za-z]*\) \([-0-9.e+]*\).*$/\1 \2 \3/p')
is "$(printf '%s\n' "$final" | wc -l | tr -d ' ')" 9 "the final table has a row per trial"
is "$final" "$want" "the final table equals job.leaderboard (rank, model, nrmse)"
is "$(printf '%s\n' "$final" | head -1 | cut -d' ' -f2)" Ridge "best first: the duration regressor wins"
keys s
see 'saved' "the notebook saves"
ui_stop
done_testing
