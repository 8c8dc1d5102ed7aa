#!/bin/sh
# Notebook operations against the number of cells: `lualab convert` between
# .lua, .md and .ipynb, and `lualab --run` with and without -o and
# --cell-timeout, on 20,000, 40,000 and 100,000 trivial cells ("x = i").
# Prints a markdown table: the median wall time of three runs and the time
# per cell; linear operations keep the time per cell flat.
# Usage: bench/notebook/scale.sh [path/to/lualab] [SIZES...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LUALAB=${1:-$here/../../lualab}
[ $# -gt 0 ] && shift
sizes=${*:-20000 40000 100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ms() { # ms CMD: the median wall time of three runs, in milliseconds
    for r in 1 2 3; do
        s=$(date +%s%N)
        sh -c "$1" >/dev/null 2>&1 || { echo "failed: $1" >&2; exit 1; }
        echo $(( ($(date +%s%N) - s) / 1000000 ))
    done | sort -n | sed -n 2p
}

echo "| operation | cells | median | per cell |"
echo "|---|---|---|---|"
for n in $sizes; do
    awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "-- %%%%\nx = %d\n\n", i }' > "$tmp/c.lua"
    "$LUALAB" convert "$tmp/c.lua" "$tmp/c.ipynb"
    "$LUALAB" convert "$tmp/c.lua" "$tmp/c.md"
    for case in \
        "convert .lua -> .ipynb|'$LUALAB' convert '$tmp/c.lua' '$tmp/o.ipynb'" \
        "convert .lua -> .md|'$LUALAB' convert '$tmp/c.lua' '$tmp/o.md'" \
        "convert .md -> .ipynb|'$LUALAB' convert '$tmp/c.md' '$tmp/o.ipynb'" \
        "convert .md -> .lua|'$LUALAB' convert '$tmp/c.md' '$tmp/o.lua'" \
        "convert .ipynb -> .lua|'$LUALAB' convert '$tmp/c.ipynb' '$tmp/o.lua'" \
        "convert .ipynb -> .md|'$LUALAB' convert '$tmp/c.ipynb' '$tmp/o.md'" \
        "--run|'$LUALAB' --run '$tmp/c.lua' --quiet" \
        "--run -o out.ipynb|'$LUALAB' --run '$tmp/c.lua' --quiet -o '$tmp/r.ipynb'" \
        "--run --cell-timeout 60|'$LUALAB' --run '$tmp/c.lua' --quiet --cell-timeout 60" \
        "--run --cell-timeout 60 -o out.ipynb|'$LUALAB' --run '$tmp/c.lua' --quiet --cell-timeout 60 -o '$tmp/r.ipynb'"; do
        name=${case%%|*}
        t=$(ms "${case#*|}")
        printf '| %s | %s | %d ms | %.1f us |\n' "$name" "$n" "$t" "$(echo "$t * 1000 / $n" | bc -l)"
    done
    [ "$(grep -c "\"execution_count\": $n" "$tmp/r.ipynb")" = 1 ] ||
        { echo "the $n-cell run did not finish" >&2; exit 1; }
done
