#!/bin/sh
# Tracking benchmark: lualab's mlflow module against the same SQL done by
# Python's sqlite3 (the statements MLflow's SQL store issues), same data,
# one invocation.  Usage: bench/track/bench.sh [REPEATS]   (from the top,
# after make).  Prints both timings, checks they agree, prints ratios.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
repeats=${1:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ll=$("$top/lualab" --lua "$here/bench_track.lua" "$dir" "$repeats" | grep -v '^mlflow:')
py=$(/usr/bin/python3 "$here/bench_peer.py" "$dir" "$repeats")
echo "lualab: $ll" | tr '\n' ' '; echo
echo "peer:   $py" | tr '\n' ' '; echo
field() { echo "$1" | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }
for k in points rows; do
    a=$(field "$ll" "$k"); b=$(field "$py" "$k")
    [ "$a" = "$b" ] || { echo "DISAGREE on $k: $a vs $b"; exit 1; }
done
echo "agree: 100000 points, $(field "$ll" rows) rows found"
for k in log_metric_100k_s search_10k_s; do
    a=$(field "$ll" "$k"); b=$(field "$py" "$k")
    awk -v k="$k" -v a="$a" -v b="$b" 'BEGIN { printf "%-18s lualab %.4f s  peer %.4f s  ratio %.2fx\n", k, a, b, b / a }'
done
