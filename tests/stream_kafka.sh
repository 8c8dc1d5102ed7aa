#!/bin/sh
# The Kafka source and sink through the Lua API against a Kafka cluster on
# loopback ports (librdkafka's mock cluster, tests/c/kafka_mock): 30
# messages over 2 partitions into SQLite in batches of at most 8 offsets,
# the rows with x >= 10 to another topic and read back; started again on
# its checkpoint, the query reads nothing twice.
. "$top_srcdir/tests/tap.sh"
query="$top_srcdir/tests/stream/kafka_query.lua"
mock="$top_builddir/tests/c/kafka_mock"
mkfifo "$tap_tmp/ctl"
"$mock" tele 2 30 alerts < "$tap_tmp/ctl" > "$tap_tmp/bs" 2> "$tap_tmp/mock.err" &
mpid=$!
exec 3> "$tap_tmp/ctl" # the cluster serves until this closes
for i in $(seq 1 200); do
    [ -s "$tap_tmp/bs" ] && break
    sleep 0.05
done
bs=$(cat "$tap_tmp/bs")
like "$bs" '^127\.0\.0\.1:[0-9]+' "a mock cluster at $bs with 30 messages"

db="$tap_tmp/k.db"
chk="$tap_tmp/chk"
"$LUALAB" --lua "$query" "$bs" "$db" "$chk" > "$tap_tmp/run1.out" 2> "$tap_tmp/run1.err"
is "$?" "0" "the queries finish"
is "$(cat "$tap_tmp/run1.out")" \
    "scores 4 batches, alerts 4 batches, alerts topic 10 rows, id sum 245" \
    "30 offsets in 4 batches of at most 8; ids 20..29 on the alerts topic"
is "$(sqlite3 "$db" "SELECT count(*), count(DISTINCT id), sum(id), sum(x) FROM scores")" \
    "30|30|435|217.5" "every message once in SQLite"
is "$(sqlite3 "$db" "SELECT count(*) FROM _lualab_stream_batches")" "4" "4 batches recorded"
is "$(ls "$chk/scores/offsets" | wc -l | tr -d ' ')" "4" "4 offsets files in the checkpoint"

"$LUALAB" --lua "$query" "$bs" "$db" "$chk" > "$tap_tmp/run2.out" 2> "$tap_tmp/run2.err"
is "$?" "0" "the queries finish again"
like "$(cat "$tap_tmp/run2.out")" "^scores 0 batches, alerts 0 batches, alerts topic 10 rows" \
    "started again on its checkpoint: nothing new, nothing sent twice"
is "$(sqlite3 "$db" "SELECT count(*) FROM scores")" "30" "still 30 rows"

exec 3>&-
wait $mpid
st=$?
cat "$tap_tmp/run1.err" "$tap_tmp/run2.err" "$tap_tmp/mock.err" | sed 's/^/# /'
[ $st -eq 0 ]
is "$?" "0" "the cluster shuts down"
done_testing
