#!/bin/sh
# Forecasting benchmark: R's forecast package and lualab on the same few
# hundred series in one run (see r_bench.R, bench.lua, scale.lua).
# Usage: bench/forecast/run.sh [path/to/lualab]
set -e
here=$(cd "$(dirname "$0")" && pwd)
lualab=${1:-$here/../../lualab}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The lab's battery data: one series per seed.
: > "$out/battery.csv"
for seed in $(seq 1 15); do
    "$lualab" gen daily-battery-time-series --seed "$seed" \
        --out "$out/b.csv" >/dev/null 2>&1
    if [ ! -s "$out/battery.csv" ]; then
        head -1 "$out/b.csv" > "$out/battery.csv"
    fi
    tail -n +2 "$out/b.csv" | awk -F, -v OFS=, -v s="$seed" '{$3 = s; print}' \
        >> "$out/battery.csv"
done
Rscript "$here/r_bench.R" "$out" "$out/battery.csv"
"$lualab" --lua "$here/bench.lua" "$out"
for t in 1 2; do
    start=$(date +%s.%N)
    "$lualab" --lua "$here/scale.lua" "$out" "$t" 5
    end=$(date +%s.%N)
    echo "wall $t thread(s): $(echo "$end - $start" | bc) s"
done
