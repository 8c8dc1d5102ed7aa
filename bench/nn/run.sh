#!/bin/sh
# Time lualab's nn against PyTorch 1.13 (python3-torch) on the issue's
# shapes: same initial weights (safetensors), parity checked before timing,
# warm-up then BENCH_ITERS (default 20) timed steps, medians, threads 1 and
# 2 on both sides.  The one-epoch run of the lab's text model (90,000 x 15,
# batch 16) is timed with 1 thread only.  PyTorch's OpenMP threads sleep
# instead of spinning when they wait (OMP_WAIT_POLICY=PASSIVE): on a shared
# machine spinning threads made its 2-thread steps 10-100x slower.
# usage: bench/nn/run.sh [path/to/lualab]
set -e
here=$(cd "$(dirname "$0")" && pwd)
LUALAB=${1:-${LUALAB:-$here/../../lualab}}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" "$here/bench_torch.py" prepare "$work"
epoch_n=${BENCH_EPOCH_N:-90000}
for th in 1 2; do
    [ "$th" = 1 ] && n=$epoch_n || n=0
    OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th MKL_NUM_THREADS=$th \
        OMP_WAIT_POLICY=PASSIVE BENCH_EPOCH_N=$n \
        "$PY" "$here/bench_torch.py" time "$work" "$th" > "$work/torch_$th"
    OPENBLAS_NUM_THREADS=$th BENCH_EPOCH_N=$n \
        "$LUALAB" --lua "$here/bench.lua" "$work" "$th" > "$work/lualab_$th"
done
flops512=$(awk 'BEGIN { print 3 * 2 * 25 * 64 * 2048 * 1024 }')
# The single-thread SGEMM rate (1024^3, measured by each side at 1 thread
# in its threads=1 run) is the yardstick for the 512 shape.
sg1=$(awk '$1 == "sgemm_gflops" { print $2 }' "$work/lualab_1")
printf '%-12s %7s %12s %12s %8s %10s\n' case threads "torch ms" "lualab ms" ratio parity
for th in 1 2; do
    awk -v th="$th" -v fl="$flops512" -v sg="$sg1" '
        FNR == NR { t[$1] = $2; next }
        { l[$1] = $2; p[$1] = $3; order[++n] = $1 }
        END {
            for (i = 1; i <= n; i++) {
                c = order[i]
                if (c == "sgemm_gflops") {
                    if (th == 1)
                        printf "%-12s %7s %12s %12s %8s\n", "sgemm GF/s", 1, t[c], l[c], "-"
                    continue
                }
                printf "%-12s %7s %12.2f %12.2f %8.2f %10s\n", c, th, t[c], l[c], l[c] / t[c], p[c]
            }
            if (l["deep512"] > 0 && sg > 0)
                printf "deep512 lualab, %d thread(s): %.1f GF/s = %.0f%% of the 1-thread sgemm rate\n", th,
                    fl / l["deep512"] / 1e6, 100 * fl / l["deep512"] / 1e6 / sg
        }' "$work/torch_$th" "$work/lualab_$th"
done
