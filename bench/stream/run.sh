#!/bin/sh
# Streaming throughput: the fleet's telemetry (200 batteries x 1095 days,
# `lualab gen battery-fleet-telemetry`) in 20 CSV files read as a stream
# by two queries with available_now: files -> select/filter -> SQLite,
# and the alert query (one row per battery over its rated cycles) into a
# second table.  Rows/s = input rows / wall time of the whole run (start
# to exit).  Checks the tables against the input with sqlite3 and awk.
# Usage: bench/stream/run.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
lualab=$top/lualab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$lualab" gen battery-fleet-telemetry --out "$tmp/all.csv" 2>/dev/null
mkdir "$tmp/in"
head -1 "$tmp/all.csv" > "$tmp/header"
total=$(($(wc -l < "$tmp/all.csv") - 1))
tail -n +2 "$tmp/all.csv" > "$tmp/body"
split -n l/20 -d -a 2 "$tmp/body" "$tmp/part-"
for p in "$tmp"/part-*; do
    cat "$tmp/header" "$p" > "$tmp/in/$(basename "$p").csv"
    rm "$p"
done
start=$(date +%s.%N)
"$lualab" --lua "$top/bench/stream/bench.lua" "$tmp/in" "$tmp/f.db" "$tmp/chk" > "$tmp/out"
end=$(date +%s.%N)
cat "$tmp/out"
got=$(sqlite3 "$tmp/f.db" "SELECT count(*) FROM scores")
want_alerts=$(tail -n +2 "$tmp/all.csv" | awk -F, '$8 > $9 { print $3 }' | sort -un | wc -l)
got_alerts=$(sqlite3 "$tmp/f.db" "SELECT count(*) FROM alerts")
[ "$got" = "$total" ] || { echo "scores: $got rows, want $total"; exit 1; }
[ "$got_alerts" = "$want_alerts" ] || { echo "alerts: $got_alerts, want $want_alerts"; exit 1; }
echo "checked: $got rows in scores, $got_alerts alerts (one per battery over its rated cycles)"
awk -v n="$total" -v a="$start" -v b="$end" 'BEGIN {
    printf "files -> select/filter -> SQLite + alerts: %d rows in %.3f s = %.0f rows/s end to end\n",
        n, b - a, n / (b - a) }'
