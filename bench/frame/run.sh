#!/bin/sh
# bench/frame: lualab vs data.table (1 thread) vs pandas on db-benchmark's
# groupby table.  Usage: bench/frame/run.sh [N=1000000] [repeats=3]
# Data goes to $BENCH_DATA (default: bench/frame/data, not committed).
set -e
N=${1:-1000000}
R=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=${BENCH_DATA:-$here/data}
mkdir -p "$data"
csv="$data/G1_${N}_1e2.csv"
[ -f "$csv" ] || Rscript "$here/gen.R" "$N" 100 "$csv"
lualab="${LUALAB:-$top/lualab}"
echo "data: $csv ($(du -m "$csv" | cut -f1) MB, $N rows)"
"$lualab" --lua "$here/bench.lua" "$csv" "$R" > "$data/lualab.txt"
"$lualab" --lua "$here/bench.lua" "$csv" "$R" 1 > "$data/lualab1w.txt"
"$lualab" --lua "$here/bench.lua" "$csv" "$R" 2 > "$data/lualab2.txt"
Rscript "$here/bench.R" "$csv" "$R" > "$data/datatable.txt"
/usr/bin/python3 "$here/bench.py" "$csv" "$R" > "$data/pandas.txt"
# peak memory of a loaded frame (max RSS of a process that only reads it)
rss=$( { /usr/bin/time -f "%M" "$lualab" -e "local f = assert(df.read_csv('$csv'))" ; } 2>&1 | tail -1)
size_kb=$(( $(stat -c %s "$csv") / 1024 ))
awk -v rss="$rss" -v size="$size_kb" '
  # answers agree to 1e-9 relative (sums of 10M floats differ in the last
  # printed digit with the summation order)
  function abs(x) { return x < 0 ? -x : x }
  function near(a, b) { return abs(a - b) <= 1e-9 * (abs(a) > 1 ? abs(a) : 1) }
  FNR == 1 { file++ }
  file == 1 { lt[$1] = $2; lc[$1] = $3; order[++n] = $1 }
  file == 2 { l1w[$1] = $2 }
  file == 3 { l2[$1] = $2 }
  file == 4 { dt[$1] = $2; dc[$1] = $3 }
  file == 5 { pd[$1] = $2; pc[$1] = $3 }
  END {
    printf "%-22s %9s %9s %9s %8s %8s  %s\n", "op", "lualab", "dt(1thr)", "pandas", "ll/dt", "ll/pd", "answers"
    for (i = 1; i <= n; i++) {
      op = order[i]
      agree = (near(lc[op], dc[op]) && near(lc[op], pc[op])) ? "agree" : "DIFFER " lc[op] " " dc[op] " " pc[op]
      printf "%-22s %9.3f %9.3f %9.3f %8.2f %8.2f  %s\n", op, lt[op], dt[op], pd[op], lt[op] / dt[op], lt[op] / pd[op], agree
    }
    printf "(seconds of process CPU time, median of repeats)\n"
    printf "read_csv wall clock: 1 thread %.3f s, 2 threads %.3f s (%.2fx)\n", l1w["read_csv"], l2["read_csv"], l1w["read_csv"] / l2["read_csv"]
    printf "peak RSS after read_csv: %d MB for a %d MB CSV (%.2fx)\n", rss / 1024, size / 1024, rss / size
  }' "$data/lualab.txt" "$data/lualab1w.txt" "$data/lualab2.txt" "$data/datatable.txt" "$data/pandas.txt"
