#!/bin/sh
# Notebook operations are linear in the number of cells: convert between
# the three formats and --run (with and without -o and --cell-timeout) on
# 5,000 and 20,000 trivial cells.  Four times the cells may take four
# times as long (less: startup is fixed); the bound of 8 leaves room for a
# busy machine and still fails a quadratic step, which takes 16 times as
# long.  Each time is the median of three runs.
. "$top_srcdir/tests/tap.sh"
t=$tap_tmp

for n in 5000 20000; do
    awk -v n=$n 'BEGIN { for (i = 0; i < n; i++) printf "-- %%%%\nx = %d\n\n", i }' > "$t/c$n.lua"
    "$LUALAB" convert "$t/c$n.lua" "$t/c$n.ipynb" && "$LUALAB" convert "$t/c$n.lua" "$t/c$n.md"
    is "$?" 0 "$n cells convert"
done

ms() { # ms CMD...: milliseconds the command takes (median of three)
    for r in 1 2 3; do
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1 || echo "failed: $*" >&2
        echo $(( ($(date +%s%N) - s) / 1000000 ))
    done | sort -n | sed -n 2p
}

check() { # check NAME ARGS (with @N@ for the cell count)
    name=$1
    shift
    small=$(ms sh -c "$(echo "$*" | sed 's/@N@/5000/g')")
    big=$(ms sh -c "$(echo "$*" | sed 's/@N@/20000/g')")
    [ "$small" -gt 0 ] || small=1
    ok "$([ "$big" -le $((8 * small)) ]; echo $?)" "$name: 20,000 cells in $big ms, 5,000 in $small ms (ratio <= 8)"
}

L=$LUALAB
check "convert .lua -> .ipynb" "'$L' convert '$t/c@N@.lua' '$t/o@N@.ipynb'"
check "convert .ipynb -> .md" "'$L' convert '$t/c@N@.ipynb' '$t/o@N@.md'"
check "convert .md -> .lua" "'$L' convert '$t/c@N@.md' '$t/o@N@.lua'"
check "--run" "'$L' --run '$t/c@N@.lua' --quiet"
check "--run -o" "'$L' --run '$t/c@N@.lua' --quiet -o '$t/r@N@.ipynb'"
check "--run --cell-timeout" "'$L' --run '$t/c@N@.lua' --quiet --cell-timeout 60"
check "--run -o --cell-timeout" "'$L' --run '$t/c@N@.lua' --quiet --cell-timeout 60 -o '$t/r@N@.ipynb'"
is "$(grep -c '"execution_count": 20000' "$t/r20000.ipynb")" 1 "the output notebook holds the 20,000th cell run"

done_testing
