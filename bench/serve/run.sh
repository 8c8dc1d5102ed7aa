#!/bin/sh
# Load on `lualab serve`, measured with wrk on loopback (bench/setup.sh
# installs wrk): one-row dataframe_split requests to a small Dense model
# (3 -> 4 -> 1), 2 wrk threads and 32 connections; then 1,000-row
# requests (rows/s); then the lab's battery forecaster (an automated-ML
# pipeline, flavor forecast) answering Azure ML's forecasting contract
# with 30 future days per request.  Checks that every answer was 200 and that the
# server's numbers equal the C scorer's.  Usage: bench/serve/run.sh [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
lualab=$top/lualab
model=$top/tests/fixtures/model/frame
tmp=$(mktemp -d)
trap 'kill $pid $fpid 2>/dev/null; rm -rf "$tmp"' EXIT
fpid=""

"$lualab" serve -m "$model" -p 0 --workers 2 --quiet > "$tmp/out" 2> "$tmp/err" &
pid=$!
for i in $(seq 1 100); do
    url=$(sed -n 's/^lualab serve: listening on //p' "$tmp/out" 2>/dev/null)
    [ -n "$url" ] && break
    sleep 0.05
done

# Agreement first: the server's answer equals the C scorer's.
want=$("$lualab" -e "
local m = assert(require('lualab._model').load('$model'))
local p = m:predict(df.frame{a = {1}, b = {2}, c = {3}})
print(string.format('%.6f', p.prediction[1]))")
got=$(curl -s -H 'Content-Type: application/json' \
    -d '{"dataframe_split": {"columns": ["a","b","c"], "data": [[1,2,3]]}}' \
    "$url/invocations" | python3 -c 'import sys,json; print("%.6f" % json.load(sys.stdin)["predictions"][0])')
[ "$want" = "$got" ] || { echo "disagree: server $got, C scorer $want"; exit 1; }
echo "agree: server $got = C scorer $want"

cat > "$tmp/one.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"dataframe_split": {"columns": ["a","b","c"], "data": [[1,2,3]]}}'
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
python3 - "$tmp/big.lua" <<'PY'
import sys, random
random.seed(1)
rows = ",".join("[%.3f,%.3f,%.3f]" % (random.random(), random.random(), random.random()) for _ in range(1000))
open(sys.argv[1], "w").write("""wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"dataframe_split": {"columns": ["a","b","c"], "data": [%s]}}'
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%%.0f p50_ms=%%.3f p99_ms=%%.3f errors=%%d non2xx=%%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
""" % rows)
PY
echo "one-row requests, wrk -t2 -c32 -d${secs}s (3 runs):"
for run in 1 2 3; do
    wrk -t2 -c32 -d"${secs}s" --latency -s "$tmp/one.lua" "$url/invocations" | grep RESULT
done
echo "1,000-row requests, wrk -t2 -c8 -d${secs}s (3 runs; rows/s = rps x 1000):"
for run in 1 2 3; do
    wrk -t2 -c8 -d"${secs}s" --latency -s "$tmp/big.lua" "$url/invocations" | grep RESULT
done

# The battery forecaster: Ridge on the lab's settings, saved as a pipeline.
(cd "$tmp" && "$lualab" -e '
local f = df.read_csv(datasets.fetch("daily-battery-time-series"))
local job = automl.forecast{data = f, target = "Daily_Cycles_Used", time = "Date",
  series = {"Battery_ID"}, horizon = 30, allowed = {"Ridge"}, progress = false,
  explain = false, exclude_columns = {"Unnamed: 0", "Number_Of_Trips",
  "Lifetime_Cycles_Used", "Battery_Rated_Cycles"}}
job.best:save("fc")' 2>/dev/null)
"$lualab" serve -m "$tmp/fc" -p 0 --workers 2 --quiet > "$tmp/fout" 2> "$tmp/ferr" &
fpid=$!
for i in $(seq 1 100); do
    furl=$(sed -n 's/^lualab serve: listening on //p' "$tmp/fout" 2>/dev/null)
    [ -n "$furl" ] && break
    sleep 0.05
done
python3 - "$tmp/fc.lua" <<'PY'
import sys, json, datetime
d = datetime.date(2017, 3, 20)
rows = [{"Date": (d + datetime.timedelta(i)).isoformat() + "T00:00:00.000Z",
         "Battery_ID": 0, "Battery_Age_Days": 1539 + i,
         "Daily_Trip_Duration": 57.2 + i % 5} for i in range(30)]
body = json.dumps({"data": rows}).replace("'", "\\'")
open(sys.argv[1], "w").write("""wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%s'
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%%.0f p50_ms=%%.3f p99_ms=%%.3f errors=%%d non2xx=%%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
""" % body)
PY
got=$(curl -s -H 'Content-Type: application/json' -d "$(sed -n "s/^wrk.body = '\\(.*\\)'$/\\1/p" "$tmp/fc.lua")" "$furl/score" |
    python3 -c 'import sys,json; print("%.6f" % json.load(sys.stdin)["forecast"][0])')
echo "forecaster: first forecast $got for 57.2 trip minutes (0.00246 x 57.2 = 0.140729)"
echo "battery forecaster, 30-day requests to /score, wrk -t2 -c8 -d${secs}s (3 runs; rows/s = rps x 30):"
for run in 1 2 3; do
    wrk -t2 -c8 -d"${secs}s" --latency -s "$tmp/fc.lua" "$furl/score" | grep RESULT
done
