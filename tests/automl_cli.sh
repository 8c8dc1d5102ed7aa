#!/bin/sh
# `lualab automl forecast`: the lab's no-code path on 200 battery days, its
# outputs (leaderboard, best metrics, top features, forecast CSV, saved
# model, tracking) and its exit codes.
. "$top_srcdir/tests/tap.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$LUALAB" gen daily-battery-time-series --rows 200 --out "$dir/all.csv" 2>/dev/null
head -171 "$dir/all.csv" >"$dir/train.csv"
{ head -1 "$dir/all.csv"; tail -30 "$dir/all.csv"; } >"$dir/future.csv"
excl="Unnamed: 0,Number_Of_Trips,Lifetime_Cycles_Used,Battery_Rated_Cycles"

out=$(cd "$dir" && timeout 120 "$LUALAB" automl forecast train.csv --target Daily_Cycles_Used \
    --time Date --series Battery_ID --horizon 30 --exclude "$excl" \
    --allowed Ridge,Naive,SES,KNN --threads 2 --future future.csv --out fc.csv \
    --save model --experiment battery-automl --register battery-cycles 2>"$dir/err.txt")
is "$?" "0" "a successful search exits 0"
like "$out" "best model: Ridge" "the best model is named"
like "$out" "  nrmse +[0-9.e-]+" "its metrics are listed"
like "$(printf '%s\n' "$out" | grep -A1 'top features')" "Daily_Trip_Duration" \
    "Daily_Trip_Duration is the top feature"
like "$out" "registered as battery-cycles" "where it was logged"
like "$(cat "$dir/err.txt")" "automl: \[[0-9]/4\] Ridge +nrmse" "progress lines while it runs"
is "$(wc -l <"$dir/fc.csv" | tr -d ' ')" "31" "the forecast CSV has 30 rows"
is "$(head -1 "$dir/fc.csv")" "Battery_ID,Date,forecast,lower,upper" "its columns"
ok "$([ -f "$dir/model/MLmodel" ] && [ -f "$dir/model/data.safetensors" ]; echo $?)" \
    "the model directory is saved"
# The forecast follows the given durations: cycles = k * duration.
got=$("$LUALAB" -e "
local f = df.read_csv('$dir/fc.csv'); local u = df.read_csv('$dir/future.csv')
local a, b = f.forecast:to_table(), u.Daily_Cycles_Used:to_table()
local m = 0; for i = 1, #a do m = math.max(m, math.abs(a[i] - b[i])) end
print(m < 1e-6)" 2>/dev/null)
is "$got" "true" "forecasts equal the true cycles of the future durations"

"$LUALAB" automl forecast "$dir/train.csv" --time Date --horizon 30 >/dev/null 2>"$dir/e1"
is "$?" "2" "a missing --target is a usage error (2)"
is "$(cat "$dir/e1")" "$(printf 'lualab automl: --target is required\nsee lualab automl --help')" \
    "and says so in one line, then where the usage is"
"$LUALAB" automl forecast "$dir/train.csv" --target Nope --time Date --horizon 30 \
    >/dev/null 2>"$dir/e2"
is "$?" "2" "a data error exits 2"
is "$(cat "$dir/e2")" "lualab automl: $dir/train.csv: target column 'Nope' not found" \
    "naming the file and the column"
"$LUALAB" automl forecast "$dir/train.csv" --target Daily_Cycles_Used --time Date \
    --horizon 30 --allowed Ridge,Bogus >/dev/null 2>"$dir/e3"
is "$?" "2" "an unknown model exits 2"
like "$(cat "$dir/e3")" "allowed: unknown model 'Bogus'" "naming it"
# Every trial fails: ETS seasonality stops at 24, the season is 60.
"$LUALAB" automl forecast "$dir/train.csv" --target Daily_Cycles_Used --time Date \
    --horizon 30 --exclude "$excl" --allowed HoltWinters --season-length 60 \
    --quiet >/dev/null 2>"$dir/e4"
is "$?" "1" "no successful model exits 1"
like "$(cat "$dir/e4")" "no model succeeded" "and says so"
# A timeout before the first trial ends: no model, exit 4.
"$LUALAB" automl forecast "$dir/train.csv" --target Daily_Cycles_Used --time Date \
    --horizon 30 --allowed Prophet,AutoARIMA --timeout 1e-9 --quiet >"$dir/o6" 2>"$dir/e6"
is "$?" "4" "a timeout with no model exits 4"
like "$(cat "$dir/e6")" "no model succeeded before the timeout" "and says so"
# --enable-dnn: the LSTM on the leaderboard; without it, asking for it is refused.
out=$("$LUALAB" automl forecast "$dir/train.csv" --target Daily_Cycles_Used --time Date \
    --series Battery_ID --horizon 30 --exclude "$excl" --allowed LSTM,Naive --threads 2 \
    --enable-dnn --dnn-hidden 8 --dnn-epochs 20 --quiet 2>/dev/null)
is "$?" "0" "--enable-dnn runs the LSTM"
like "$out" "best model: LSTM" "and it beats Naive on the battery"
"$LUALAB" automl forecast "$dir/train.csv" --target Daily_Cycles_Used --time Date \
    --horizon 30 --allowed LSTM >/dev/null 2>"$dir/e5"
is "$?" "2" "LSTM without --enable-dnn exits 2"
like "$(cat "$dir/e5")" "allowed: LSTM is a deep learning model; set enable_dnn = true" "saying why"
"$LUALAB" automl --help >"$dir/help"
like "$(cat "$dir/help")" "--cv-step N\] \[--season-length N\]" "the usage lists every option"
like "$(cat "$dir/help")" "--max-trials N" "max trials too"
"$LUALAB" automl models >"$dir/models"
like "$(cat "$dir/models")" "^Naive" "automl models lists the families"
like "$(cat "$dir/models")" "ExtremeRandomTrees" "and the regression models"
like "$(cat "$dir/models")" "LSTM" "and the LSTM"
done_testing
