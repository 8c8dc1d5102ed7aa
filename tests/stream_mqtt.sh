#!/bin/sh
# The MQTT source and sink against a real mosquitto broker on a free
# loopback port: a query killed with SIGKILL, messages published while it
# is down, then started again with available_now: every message once in
# SQLite (persistent session + write-ahead log), and one alert per
# battery over its rated cycles on alerts/battery (seen by mosquitto_sub).
. "$top_srcdir/tests/tap.sh"
query="$top_srcdir/tests/stream/mqtt_query.lua"
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tap_tmp"' EXIT

# Every wait below is for a condition (bounded), never a fixed time: on a
# loaded machine the broker, the clients and the queries may each take
# seconds to get going.  The broker logs each subscription ("CLIENT QOS
# TOPIC"): a message published before its subscriber's SUBSCRIBE reached
# the broker would be lost to it.
# a broker on the first free port from a pseudo-random start
port=$((20000 + $$ % 20000))
for try in 1 2 3 4 5 6 7 8 9 10; do
    printf 'listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nlog_dest stderr\nlog_type information\nlog_type notice\nlog_type subscribe\nlog_timestamp false\n' \
        "$port" > "$tap_tmp/broker.conf"
    mosquitto -c "$tap_tmp/broker.conf" > "$tap_tmp/broker.log" 2>&1 &
    broker=$!
    # until it runs (listening) or has given up (the port was taken)
    for i in $(seq 1 400); do
        grep -q ' running$' "$tap_tmp/broker.log" && break
        kill -0 $broker 2>/dev/null || break
        sleep 0.05
    done
    kill -0 $broker 2>/dev/null && grep -q ' running$' "$tap_tmp/broker.log" && break
    kill -9 $broker 2>/dev/null
    port=$((port + 1))
done
# subscribed N TOPIC: until the broker has logged N subscriptions to TOPIC
subscribed() {
    for i in $(seq 1 1200); do
        [ "$(grep -c " 1 $2\$" "$tap_tmp/broker.log")" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
pids="$pids $broker"
ok $(kill -0 $broker 2>/dev/null && echo 0 || echo 1) "mosquitto listens on $port"
url="mqtt://127.0.0.1:$port"

"$LUALAB" gen battery-fleet-telemetry --batteries 10 --days 1095 --seed 7 \
    --out "$tap_tmp/all.csv" 2>/dev/null || exit 1
tail -n +2 "$tap_tmp/all.csv" | awk -F, '{
    printf "{\"Idx\":%s,\"Date\":\"%s\",\"Battery_ID\":%s,\"Daily_Trip_Duration\":%s,\"Lifetime_Cycles_Used\":%s,\"Battery_Rated_Cycles\":%s}\n",
        $1, $2, $3, $6, $8, $9 }' > "$tap_tmp/all.jsonl"
rows=$(wc -l < "$tap_tmp/all.jsonl")
head -n 4000 "$tap_tmp/all.jsonl" > "$tap_tmp/first"
tail -n +4001 "$tap_tmp/all.jsonl" > "$tap_tmp/second"

mosquitto_sub -p "$port" -V 5 -q 1 -t alerts/battery -F '%P|%p' \
    > "$tap_tmp/alerts.txt" 2>&1 &
pids="$pids $!"
subscribed 1 alerts/battery

# start_slow DB CHECKPOINT [KILL_AT]: the queries in the background (pid),
# until both have subscribed
start_slow() {
    subs=$(($(grep -c ' 1 fleet/+/telemetry$' "$tap_tmp/broker.log") + 2))
    LUALAB_STREAM_KILL_AT="${3:-}" \
        "$LUALAB" --lua "$query" "$url" "$1" "$2" slow > "$2.out" 2>&1 &
    pid=$!
    pids="$pids $pid"
    subscribed $subs 'fleet/+/telemetry'
}

db="$tap_tmp/fleet.db"
chk="$tap_tmp/chk"
start_slow "$db" "$chk"
mosquitto_pub -p "$port" -q 1 -t fleet/b/telemetry -l < "$tap_tmp/first"
for i in $(seq 1 1200); do
    n=$(sqlite3 "$db" "SELECT count(*) FROM scores" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 4000 ] && break
    sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
is "$(sqlite3 "$db" "SELECT count(*) FROM scores")" "4000" \
    "4000 messages in SQLite when the query is killed"

# published while the query is down: the broker keeps them for the session
mosquitto_pub -p "$port" -q 1 -t fleet/b/telemetry -l < "$tap_tmp/second"
"$LUALAB" --lua "$query" "$url" "$db" "$chk" now > "$tap_tmp/run2.out" 2>&1
is "$(cat "$tap_tmp/run2.out")" "done" "the restarted queries finish"

cut -d, -f1 "$tap_tmp/all.jsonl" | sed 's/.*://' | sort > "$tap_tmp/want"
sqlite3 "$db" "SELECT Idx FROM scores" | sort > "$tap_tmp/got"
is "$(wc -l < "$tap_tmp/got" | tr -d ' ')" "$rows" "$rows rows in SQLite"
ok $(cmp -s "$tap_tmp/want" "$tap_tmp/got" && echo 0 || echo 1) \
    "every message exactly once"

tail -n +2 "$tap_tmp/all.csv" | awk -F, '$8 > $9 { print $3 }' | sort -un \
    > "$tap_tmp/want_alerts"
# until mosquitto_sub has written as many alerts as expected (the last were
# published just before the restarted queries ended)
for i in $(seq 1 400); do
    [ "$(grep -c '"Battery_ID":' "$tap_tmp/alerts.txt")" -ge "$(wc -l < "$tap_tmp/want_alerts")" ] && break
    sleep 0.05
done
sed -n 's/.*"Battery_ID":\([0-9]*\).*/\1/p' "$tap_tmp/alerts.txt" | sort -n \
    > "$tap_tmp/got_alerts"
ok $([ -s "$tap_tmp/want_alerts" ] && echo 0 || echo 1) \
    "$(wc -l < "$tap_tmp/want_alerts") batteries pass their rated cycles"
ok $(cmp -s "$tap_tmp/want_alerts" "$tap_tmp/got_alerts" && echo 0 || echo 1) \
    "one alert per battery on alerts/battery"
like "$(head -1 "$tap_tmp/alerts.txt")" '^key:[0-9a-f]{32}:[0-9]+:[0-9]+\|\{"Battery_ID":' \
    "alerts carry a key property"

# A kill between a message's arrival and its record in the write-ahead
# log (LUALAB_STREAM_KILL_AT=scores:message:N raises SIGKILL in the
# message callback before the write): the PUBACK has not left, so the
# broker sends the message again when the session resumes, and it is in
# SQLite exactly once.  The message is the last one published before the
# kill: with more messages unread, the kernel answers the close with a
# reset that also discards a PUBACK already written, which would hide the
# window.
head -n 300 "$tap_tmp/all.jsonl" > "$tap_tmp/three"
head -n 101 "$tap_tmp/three" > "$tap_tmp/three_a"
tail -n +102 "$tap_tmp/three" > "$tap_tmp/three_b"
cut -d, -f1 "$tap_tmp/three" | sed 's/.*://' | sort > "$tap_tmp/want3"
# killed_at STAGE LOGGED WHAT: a fresh query killed at STAGE of message
# 100, the last of three_a; LOGGED of the messages are then in the log or
# in SQLite; three_b published while it is down; restarted.
killed_at() {
    d="$tap_tmp/$1"
    start_slow "$d.db" "$d" "scores:$1:100"
    mosquitto_pub -p "$port" -q 1 -t fleet/b/telemetry -l < "$tap_tmp/three_a"
    wait $pid
    is "$?" "137" "killed at the 101st message ($1)"
    is "$(($(grep -c . "$d/scores/sources/0/wal") + $(
        sqlite3 "$d.db" "SELECT count(*) FROM scores" 2>/dev/null || echo 0)))" \
        "$2" "$2 messages in the log or in SQLite ($1)"
    mosquitto_pub -p "$port" -q 1 -t fleet/b/telemetry -l < "$tap_tmp/three_b"
    "$LUALAB" --lua "$query" "$url" "$d.db" "$d" now > "$d.out" 2>&1
    is "$(cat "$d.out")" "done" "the restarted queries finish ($1)"
    sqlite3 "$d.db" "SELECT Idx FROM scores" | sort > "$d.got"
    is "$(wc -l < "$d.got" | tr -d ' ')" "300" "300 rows in SQLite ($1)"
    ok $(cmp -s "$tap_tmp/want3" "$d.got" && echo 0 || echo 1) \
        "every message exactly once, $3"
}
killed_at message 100 "the one at the kill included"

# A kill after the record, before its PUBACK left: the broker sends the
# message again, the source finds it among the records and drops it.
killed_at logged 101 "the one sent again included"

# Malformed messages (permissive): counted, kept with NA and named by
# topic and message number, in the progress and on standard error.
cat > "$tap_tmp/bad.lua" <<'LUA'
local q = stream.read{source = "mqtt", url = arg[1], topic = "bad/+",
                      schema = {{"id", "int"}, {"x", "float"}}}
    :write{sink = "memory", name = "bad", checkpoint = arg[2], trigger = {processing_time = 0.1}}
for _ = 1, 200 do
    q:await(0.1)
    if stream.table("bad") and #stream.table("bad") >= 3 then break end
end
q:stop()
local n = 0
for _, p in ipairs(q.recent_progress) do
    n = n + p.num_malformed_rows
    for _, m in ipairs(p.messages) do print(m) end
end
local t = stream.table("bad")
print(string.format("rows %d, malformed %d, x %s %s", #t, n, t.x[1], tostring(t.x[2])))
LUA
"$LUALAB" --lua "$tap_tmp/bad.lua" "$url" "$tap_tmp/badchk" > "$tap_tmp/bad.out" 2> "$tap_tmp/bad.err" &
pid=$!
pids="$pids $pid"
for i in $(seq 1 100); do
    [ -d "$tap_tmp/badchk/sources/0" ] && break
    sleep 0.05
done
sleep 0.3
printf '{"id":1,"x":0.5}\n{"id":2,"x":"oops"}\nnot json\n' |
    mosquitto_pub -p "$port" -q 1 -t bad/a -l
wait $pid
is "$(cat "$tap_tmp/bad.out")" "bad/a:1: column 'x': cannot parse 'oops' as float (kept with NA)
bad/a:2: not a JSON object (kept with NA)
rows 3, malformed 2, x 0.5 nil" "malformed messages named by topic and number, kept with NA"
is "$(cat "$tap_tmp/bad.err")" "bad/a:1: column 'x': cannot parse 'oops' as float (kept with NA)
bad/a:2: not a JSON object (kept with NA)" "and logged to standard error"
done_testing
