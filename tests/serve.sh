#!/bin/sh
# `lualab serve`: every endpoint and every client error with its exact
# status and message, API keys, body limits, signals; answers equal
# mlflow.pyfunc.load_model(dir):predict(frame).  Servers listen on free
# loopback ports and are stopped by this script.
. "$top_srcdir/tests/tap.sh"
model="$top_srcdir/tests/fixtures/model/frame"
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tap_tmp"' EXIT

# serve NAME ARGS...: start a server on a free port; sets $url and $pid.
serve() {
    name=$1
    shift
    "$LUALAB" serve "$@" -p 0 > "$tap_tmp/$name.out" 2> "$tap_tmp/$name.err" &
    pid=$!
    pids="$pids $pid"
    url=""
    # 30 s at most: a loaded machine may be slow to load the model
    for i in $(seq 1 600); do
        url=$(sed -n 's/^lualab serve: listening on //p' "$tap_tmp/$name.out" 2>/dev/null)
        [ -n "$url" ] && break
        sleep 0.05
    done
}
# req METHOD PATH [CONTENT-TYPE BODY [HEADER]]: prints "STATUS BODY"
req() {
    if [ -n "${4+x}" ]; then
        curl -s -o "$tap_tmp/body" -w '%{http_code}' -X "$1" \
            -H "Content-Type: $3" ${5:+-H "$5"} --data-binary "$4" "$url$2" > "$tap_tmp/code"
    else
        curl -s -o "$tap_tmp/body" -w '%{http_code}' -X "$1" "$url$2" > "$tap_tmp/code"
    fi
    printf '%s %s' "$(cat "$tap_tmp/code")" "$(cat "$tap_tmp/body")"
}
J=application/json

serve main -m "$model" --workers 2
like "$url" '^http://127\.0\.0\.1:[0-9]+$' "prints the URL it listens on"
is "$(req GET /)" "200 Healthy" "GET / answers Healthy"
is "$(req GET /ping)" "200 " "GET /ping"
is "$(req GET /health)" "200 " "GET /health"
like "$(req GET /version)" '^200 [0-9]+\.[0-9]+\.[0-9]+$' "GET /version"
req GET /swagger.json > /dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["openapi"].startswith("3"); assert d["components"]["schemas"]["Row"]["required"]==["a","b","c"]; assert "/score" in d["paths"]' "$tap_tmp/body"
ok $? "GET /swagger.json is OpenAPI 3 with the signature's columns"

# The reference: the same rows through mlflow.pyfunc.load_model.
ref=$("$LUALAB" -e "
local m = assert(require('lualab._model').load('$model'))
local f = df.read_csv('$top_srcdir/tests/fixtures/serve/rows.csv')
local p = m:predict(f)
local out = {}
for i = 1, #p do out[i] = string.format('%.6f', p.prediction[i]) end
print(table.concat(out, ','))")
got=$(req POST /invocations $J '{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3], [0.5, -1, 2], [-3, 0, 0.25]]}}')
is "$(echo "$got" | python3 -c 'import sys,json; c,b=sys.stdin.read().split(" ",1); print(c, ",".join("%.6f"%x for x in json.loads(b)["predictions"]))')" "200 $ref" "dataframe_split equals pyfunc predict"
got=$(req POST /invocations $J '{"dataframe_records": [{"c": 3, "b": 2, "a": 1}, {"a": 0.5, "b": -1, "c": 2}, {"a": -3, "b": 0, "c": 0.25}]}')
is "$(echo "$got" | python3 -c 'import sys,json; c,b=sys.stdin.read().split(" ",1); print(c, ",".join("%.6f"%x for x in json.loads(b)["predictions"]))')" "200 $ref" "dataframe_records (any key order) equals pyfunc predict"
got=$(req POST /invocations $J '{"instances": [[1, 2, 3], [0.5, -1, 2], [-3, 0, 0.25]]}')
is "$(echo "$got" | python3 -c 'import sys,json; c,b=sys.stdin.read().split(" ",1); print(c, ",".join("%.6f"%x for x in json.loads(b)["predictions"]))')" "200 $ref" "instances (a tensor) equals pyfunc predict"
got=$(req POST /invocations $J '{"inputs": {"a": [1, 0.5, -3], "b": [2, -1, 0], "c": [3, 2, 0.25]}}')
is "$(echo "$got" | python3 -c 'import sys,json; c,b=sys.stdin.read().split(" ",1); print(c, ",".join("%.6f"%x for x in json.loads(b)["predictions"]))')" "200 $ref" "inputs as columns equals pyfunc predict"
got=$(req POST /invocations text/csv "$(cat "$top_srcdir/tests/fixtures/serve/rows.csv")")
is "$(echo "$got" | python3 -c 'import sys,json; c,b=sys.stdin.read().split(" ",1); print(c, ",".join("%.6f"%x for x in json.loads(b)["predictions"]))')" "200 $ref" "a CSV body equals pyfunc predict"
got=$(req POST /score $J '{"Inputs": {"data": [{"a": 1, "b": 2, "c": 3}, {"a": 0.5, "b": -1, "c": 2}, {"a": -3, "b": 0, "c": 0.25}]}, "GlobalParameters": {}}')
is "$(echo "$got" | python3 -c 'import sys,json; c,b=sys.stdin.read().split(" ",1); print(c, ",".join("%.6f"%x for x in json.loads(b)["Results"]))')" "200 $ref" "Azure ML's /score answers Results"

is "$(req POST /invocations $J '{"dataframe_split": {"columns": ["a"], "data": [[1]')" \
   '400 {"error_code":"BAD_REQUEST","message":"malformed JSON at line 1, column 51"}' "malformed JSON: 400 and where"
is "$(req POST /invocations $J '{"rows": [1]}')" \
   '400 {"error_code":"BAD_REQUEST","message":"unknown key '"'"'rows'"'"' (expected dataframe_split, dataframe_records, instances or inputs)"}' "an unknown payload key: 400"
is "$(req POST /invocations $J '{"dataframe_records": [{"a": 1, "b": 2}]}')" \
   '400 {"error_code":"BAD_REQUEST","message":"missing input column '"'"'c'"'"'"}' "a missing input column: 400 naming it"
is "$(req POST /invocations $J '{"dataframe_records": [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": "two", "c": 3}]}')" \
   '400 {"error_code":"BAD_REQUEST","message":"row 1, column '"'"'b'"'"': '"'"'two'"'"' is not a number"}' "a non-numeric value: 400 with row and column"
is "$(req POST /invocations $J '{"instances": [[1, 2, 3, 4]]}')" \
   '400 {"error_code":"BAD_REQUEST","message":"input shape [1, 4] does not match the model'"'"'s [N, 3]"}' "a wrong tensor shape: 400"
is "$(req GET /nope)" \
   '404 {"error_code":"ENDPOINT_NOT_FOUND","message":"no endpoint /nope (POST /invocations or /score; GET /ping, /health, /version, /, /swagger.json)"}' "an unknown path: 404"
is "$(req GET /invocations)" \
   '405 {"error_code":"METHOD_NOT_ALLOWED","message":"GET /invocations is not allowed (use POST)"}' "a wrong method: 405"
is "$(req POST /ping $J '{}')" \
   '405 {"error_code":"METHOD_NOT_ALLOWED","message":"POST /ping is not allowed (use GET)"}' "POST to a GET endpoint: 405"
is "$(req GET /)" "200 Healthy" "a bad request never takes the server down"

# Scoring is thread-safe: 8 clients at once, 25 requests each, every
# answer equal to the single-threaded reference.
clients=""
for c in 1 2 3 4 5 6 7 8; do
    (for i in $(seq 1 25); do
        curl -s -H "Content-Type: $J" -d '{"instances": [[1, 2, 3], [0.5, -1, 2], [-3, 0, 0.25]]}' "$url/invocations"
        echo
    done > "$tap_tmp/conc$c") &
    clients="$clients $!"
done
for j in $clients; do wait "$j"; done
agree=$(cat "$tap_tmp"/conc* | python3 -c '
import sys, json
want = sys.argv[1]
n = bad = 0
for line in sys.stdin:
    line = line.strip()
    if not line: continue
    n += 1
    got = ",".join("%.6f" % x for x in json.loads(line)["predictions"])
    if got != want: bad += 1
print(n, bad)' "$ref")
is "$agree" "200 0" "200 concurrent requests on 2 workers all equal the reference"

# SIGTERM: stop accepting, finish, exit 0.
kill -TERM $pid
wait $pid
ok $? "SIGTERM ends the server with exit 0"
like "$(cat "$tap_tmp/main.err")" 'POST /invocations 400 0 [0-9.]+ms' "one access-log line per request (method, path, status, rows, ms)"
like "$(cat "$tap_tmp/main.err")" 'POST /score 200 3 [0-9.]+ms' "the access log counts rows"

# --max-body: 413 before the whole body is read.
serve small -m "$model" --max-body 100 --quiet
big=$(python3 -c 'print("{\"instances\": [" + ",".join(["[1,2,3]"] * 5000) + "]}")')
is "$(req POST /invocations $J "$big")" \
   '413 {"error_code":"REQUEST_LIMIT_EXCEEDED","message":"the request body is larger than the limit of 100 bytes (--max-body)"}' "a body over --max-body: 413"
is "$(req POST /invocations $J '{"instances": [[1, 2, 3]]}' | cut -c1-3)" "200" "a body under the limit still scores"
kill -INT $pid
wait $pid
ok $? "SIGINT ends the server with exit 0"
is "$(cat "$tap_tmp/small.err" | wc -l | tr -d ' ')" "1" "--quiet writes no access log"

# --api-key (and LUALAB_API_KEY): 401 without the bearer token.
LUALAB_API_KEY=s3cret serve keyed -m "$model" --quiet
is "$(req POST /invocations $J '{"instances": [[1, 2, 3]]}')" \
   '401 {"error_code":"UNAUTHENTICATED","message":"missing or wrong API key: send the header '"'"'Authorization: Bearer KEY'"'"'"}' "no key: 401"
is "$(req POST /invocations $J '{"instances": [[1, 2, 3]]}' 'Authorization: Bearer wrong' | cut -c1-3)" "401" "a wrong key: 401"
is "$(req POST /invocations $J '{"instances": [[1, 2, 3]]}' 'Authorization: Bearer s3cret' | cut -c1-3)" "200" "the right key scores"
is "$(req GET /)" "200 Healthy" "health needs no key"
kill -TERM $pid
wait $pid

# A kernel's services end with the kernel, even when its code fails.
kpid=$("$LUALAB" -e "local s = serve.start{model = '$model', port = 0}; s:wait_healthy(); print(s.pid)")
sleep 0.1
ok $(kill -0 "$kpid" 2>/dev/null; [ $? -ne 0 ]; echo $?) "a service stops when its kernel exits"
kpid=$("$LUALAB" -e "local s = serve.start{model = '$model', port = 0}; s:wait_healthy(); print(s.pid); error('boom')" 2>/dev/null)
sleep 0.1
ok $(kill -0 "$kpid" 2>/dev/null; [ $? -ne 0 ]; echo $?) "and when the kernel dies of an error"

# Usage errors.
"$LUALAB" serve > /dev/null 2> "$tap_tmp/err"
ok $([ $? -eq 2 ]; echo $?) "no model: exit 2"
is "$(head -1 "$tap_tmp/err")" "lualab serve: a model is required: -m MODEL_URI" "no model: the message"
"$LUALAB" serve -m "$model" -p 70000 > /dev/null 2> "$tap_tmp/err"
is "$(head -1 "$tap_tmp/err")" "lualab serve: --port takes a number from 0 to 65535, got '70000'" "a bad port"
"$LUALAB" serve -m "$tap_tmp/none" > /dev/null 2> "$tap_tmp/err"
ok $([ $? -eq 1 ]; echo $?) "a missing model: exit 1"
is "$(cat "$tap_tmp/err")" "lualab serve: model URI '$tap_tmp/none': no such directory (expected models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH or a directory)" "a missing model: the message"
(cd "$tap_tmp" && "$LUALAB" serve -m models:/battery/1 > /dev/null 2> "$tap_tmp/err")
is "$(cat "$tap_tmp/err")" "lualab serve: models:/battery/1: no tracking store at mlruns.db (set MLFLOW_TRACKING_URI or --tracking-uri)" "a registry URI without a store"
ok $([ ! -e "$tap_tmp/mlruns.db" ]; echo $?) "and no store was created"
"$LUALAB" serve -m "$model" -h 999.1.1.1 > /dev/null 2> "$tap_tmp/err"
is "$(cat "$tap_tmp/err")" "lualab serve: --host '999.1.1.1' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)" "a bad host"

done_testing
