#!/bin/sh
# Streaming queries killed with SIGKILL and started again on their
# checkpoints lose no input and write nothing twice: 20 files of fleet
# telemetry into SQLite (every input row exactly once) and the alerts
# (one row per battery over its rated cycles, exactly once).
. "$top_srcdir/tests/tap.sh"
query="$top_srcdir/tests/stream/fleet_query.lua"
in="$tap_tmp/in"
mkdir -p "$in"
"$LUALAB" gen battery-fleet-telemetry --batteries 20 --days 1095 --seed 7 \
    --out "$tap_tmp/all.csv" || exit 1
# 20 files of 1,100 rows
head -1 "$tap_tmp/all.csv" > "$tap_tmp/header"
tail -n +2 "$tap_tmp/all.csv" | split -l 1100 -d -a 2 - "$tap_tmp/part-"
for p in "$tap_tmp"/part-*; do
    cat "$tap_tmp/header" "$p" > "$in/$(basename "$p").csv"
    rm "$p"
done
is "$(ls "$in" | wc -l)" "20" "20 input files"
rows=$(($(wc -l < "$tap_tmp/all.csv") - 1))

db="$tap_tmp/fleet.db"
chk="$tap_tmp/chk"
# first kill: once a few batches of both queries are committed (60 s at
# most: a loaded machine may be slow)
"$LUALAB" --lua "$query" "$in" "$db" "$chk" slow > "$tap_tmp/run1.out" 2>&1 &
pid=$!
for i in $(seq 1 1200); do
    n1=$(ls "$chk/scores/commits" 2>/dev/null | wc -l)
    n2=$(ls "$chk/alerts/commits" 2>/dev/null | wc -l)
    [ "$n1" -ge 3 ] && [ "$n2" -ge 3 ] && break
    sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
n1=$(ls "$chk/scores/commits" | wc -l)
ok $([ "$n1" -ge 3 ] && [ "$n1" -lt 20 ] && echo 0 || echo 1) \
    "killed after $n1 of 20 batches"
before=$(sqlite3 "$db" "SELECT count(*) FROM scores")
ok $([ "$before" -lt "$rows" ] && echo 0 || echo 1) "$before of $rows rows before the restart"
# killed again at each instant of a batch's life: after its offsets
# were written, after the sink committed it, after its state was written
for at in scores:offsets:5 alerts:sink:8 alerts:state:10 scores:sink:12; do
    LUALAB_STREAM_KILL_AT=$at "$LUALAB" --lua "$query" "$in" "$db" "$chk" slow \
        >> "$tap_tmp/run1.out" 2>&1
    st=$?
    q=${at%%:*}
    b=${at##*:}
    ok $([ $st -eq 137 ] && [ -f "$chk/$q/offsets/$b" ] && [ ! -f "$chk/$q/commits/$b" ] \
        && echo 0 || echo 1) "killed at $at: batch $b planned, not committed"
done

"$LUALAB" --lua "$query" "$in" "$db" "$chk" now > "$tap_tmp/run2.out" 2>&1
is "$?" "0" "the restarted queries finish"
is "$(cat "$tap_tmp/run2.out")" "done 19 19" "batches 0..19 in all"

# every input row exactly once: the multiset of (index, battery, date)
tail -n +2 "$tap_tmp/all.csv" | cut -d, -f1-3 | sort > "$tap_tmp/want"
sqlite3 -csv "$db" 'SELECT "Unnamed: 0", Date, Battery_ID FROM scores' \
    | sort > "$tap_tmp/got"
is "$(wc -l < "$tap_tmp/got")" "$rows" "the table has as many rows as the input"
ok $(cmp -s "$tap_tmp/want" "$tap_tmp/got" && echo 0 || echo 1) \
    "every input row exactly once"
is "$(sqlite3 "$db" "SELECT count(*) FROM _lualab_stream_batches")" "40" \
    "40 batches recorded once each"

# alerts: exactly the batteries over their rated cycles, once each
tail -n +2 "$tap_tmp/all.csv" | awk -F, '$8 > $9 { print $3 }' | sort -un \
    > "$tap_tmp/want_alerts"
sqlite3 "$db" "SELECT Battery_ID FROM alerts ORDER BY Battery_ID" \
    > "$tap_tmp/got_alerts"
ok $([ -s "$tap_tmp/want_alerts" ] && echo 0 || echo 1) \
    "$(wc -l < "$tap_tmp/want_alerts") batteries pass their rated cycles"
ok $(cmp -s "$tap_tmp/want_alerts" "$tap_tmp/got_alerts" && echo 0 || echo 1) \
    "one alert per battery over its rated cycles"
done_testing
