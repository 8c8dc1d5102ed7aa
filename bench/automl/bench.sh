#!/bin/sh
# bench/automl: R's forecast (the peer) and lualab's automated ML on the
# same held-out real series, in one invocation; prints sMAPE, MASE and CPU
# per series ratios.  Then the lab's battery setting.
#   sh bench/automl/bench.sh [fast|ets|full]
set -e
here=$(cd "$(dirname "$0")" && pwd)
LUALAB=${LUALAB:-$here/../../lualab}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rcpu=$(Rscript "$here/peer.R" "$dir" | sed -n 's/.*cpu \([0-9.]*\).*/\1/p')
echo "R: ets + auto.arima + thetaf, CPU $rcpu s"
for mode in ${1:-combo}; do
    echo "== lualab automl ($mode, 1 thread)"
    OPENBLAS_NUM_THREADS=1 "$LUALAB" --lua "$here/bench_automl.lua" "$dir" "$rcpu" 1 "$mode"
done
echo "== the lab's battery setting (2 threads)"
(cd "$dir" && "$LUALAB" --lua "$here/battery.lua" 2 2>/dev/null | tail -16)
