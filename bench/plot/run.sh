#!/bin/sh
# Time lualab's plot renderers against matplotlib (Agg) on the same data in
# one run: a 1e6-point line and its numpy-"auto" histogram, drawn to the
# terminal form (lualab text vs matplotlib raster) and to SVG.  Checks both
# saw the same data range and chose the same number of bins, then prints
# the medians and the ratio matplotlib/lualab (> 1: lualab faster).
# Needs python3-matplotlib (bench/setup.sh).  Usage: bench/plot/run.sh [N] [REPEATS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lualab=${LUALAB:-$here/../../lualab}
n=${1:-1000000}
reps=${2:-5}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
ll=$(mktemp) py=$(mktemp)
trap 'rm -f "$ll" "$py"' EXIT
LANG=C.UTF-8 "$lualab" --lua "$here/bench.lua" "$n" "$reps" > "$ll"
/usr/bin/python3 "$here/bench.py" "$n" "$reps" > "$py"
awk -v n="$n" '
    FNR == NR { py[$1] = $2; pyd[$1] = $3; next }
    { ll[$1] = $2; lld[$1] = $3 }
    END {
        ok = 1
        split("line_text hist_text", chk, " ")
        for (i in chk) {
            k = chk[i]
            if (lld[k] != pyd[k]) {
                printf "DISAGREE %s: lualab %s, matplotlib %s\n", k, lld[k], pyd[k]
                ok = 0
            }
        }
        printf "n = %d points; both sides agree on data range and bins: %s\n", n, ok ? "yes" : "NO"
        printf "%-10s %12s %12s %8s\n", "task", "lualab s", "mpl s", "ratio"
        split("line_text line_svg hist_text hist_svg", t, " ")
        for (i = 1; i <= 4; i++) {
            k = t[i]
            printf "%-10s %12.4f %12.4f %8.1f\n", k, ll[k], py[k], py[k] / (ll[k] > 0 ? ll[k] : 1e-9)
        }
        printf "(lualab build: line %.4f s, hist %.4f s, from a Lua table)\n", ll["line_build"], ll["hist_build"]
        exit ok ? 0 : 1
    }' "$py" "$ll"
