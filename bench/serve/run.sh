#!/bin/sh
# Load on `lualab serve`, measured with wrk on loopback (bench/setup.sh
# installs wrk): one-row dataframe_split requests to a small Dense model
# (3 -> 4 -> 1), 2 wrk threads and 32 connections; then 1,000-row
# requests (rows/s).  Checks that every answer was 200 and that the
# server's numbers equal the C scorer's.  Usage: bench/serve/run.sh [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
lualab=$top/lualab
model=$top/tests/fixtures/model/frame
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

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
