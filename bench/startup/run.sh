#!/bin/sh
# Startup and --run speed: `lualab -e 'print(1)'` against `lua5.4 -e
# 'print(1)'` (target: at most 3x), and `lualab --run` of 500 trivial cells
# (target: under 0.3 s), with and without -o.  Needs hyperfine and lua5.4.
# Usage: bench/startup/run.sh [path/to/lualab]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LUALAB=${1:-$here/../../lualab}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

a=$("$LUALAB" -e 'print(1)')
b=$(lua5.4 -e 'print(1)')
[ "$a" = "$b" ] || { echo "outputs differ: '$a' vs '$b'"; exit 1; }

hyperfine -N -w 5 -r 50 --export-json "$tmp/start.json" \
    "$LUALAB -e 'print(1)'" "lua5.4 -e 'print(1)'" >/dev/null

i=0
while [ $i -lt 500 ]; do printf -- '-- %%%%\nx = %d\n\n' $i; i=$((i + 1)); done > "$tmp/many.lua"
hyperfine -N -w 2 -r 10 --export-json "$tmp/run.json" \
    "$LUALAB --run $tmp/many.lua --quiet" \
    "$LUALAB --run $tmp/many.lua --quiet -o $tmp/many.ipynb" >/dev/null
[ "$(grep -c '"execution_count": 500' "$tmp/many.ipynb")" = 1 ] ||
    { echo "the 500-cell run did not finish"; exit 1; }

/usr/bin/python3 - "$tmp/start.json" "$tmp/run.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["results"]
r = json.load(open(sys.argv[2]))["results"]
ll, lua = s[0]["median"], s[1]["median"]
print("| case | median | target | ratio |")
print("|---|---|---|---|")
print("| lualab -e 'print(1)' | %.2f ms | <= 3x lua5.4 | %.2fx |" % (ll * 1e3, ll / lua))
print("| lua5.4 -e 'print(1)' | %.2f ms | | 1.00x |" % (lua * 1e3))
print("| --run 500 trivial cells | %.1f ms | < 300 ms | |" % (r[0]["median"] * 1e3))
print("| --run 500 cells -o out.ipynb (written at the end and at most once a second) | %.1f ms | | |" % (r[1]["median"] * 1e3))
PY
