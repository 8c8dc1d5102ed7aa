#!/bin/sh
# Benchmark C model scoring against keras.lua (see bench.lua).
# Usage: bench/model/run.sh [path/to/lualab]
here=$(dirname "$0")
exec "${1:-$here/../../lualab}" --lua "$here/bench.lua"
