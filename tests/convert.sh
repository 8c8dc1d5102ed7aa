#!/bin/sh
# lualab convert: percent .lua <-> .ipynb, .md as input; and 500 cells fast.
. "$top_srcdir/tests/tap.sh"
t=$tap_tmp

cat > "$t/a.lua" <<'EOF'
-- -*- coding: utf-8 -*-
-- ---
-- title: Convert me
-- ---

-- %% [markdown]
-- # Heading
--
-- Some *text*.

-- %% tags=["parameters"]
n = 3

-- %%
local s = [==[
-- %% not a marker
]==]
print(#s)
EOF
"$LUALAB" convert "$t/a.lua" "$t/a.ipynb"
is "$?" 0 "convert .lua -> .ipynb exits 0"
is "$(/usr/bin/python3 -c 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))' "$t/a.ipynb" 2>&1)" "" "the converted notebook validates"
is "$(grep -c '"cell_type"' "$t/a.ipynb")" 3 "three cells, the long string did not split"
"$LUALAB" convert "$t/a.ipynb" "$t/b.lua"
is "$?" 0 "convert .ipynb -> .lua exits 0"
ok "$(cmp -s "$t/a.lua" "$t/b.lua"; echo $?)" ".lua -> .ipynb -> .lua is byte-identical"
"$LUALAB" convert "$t/a.lua" "$t/c.lua"
ok "$(cmp -s "$t/a.lua" "$t/c.lua"; echo $?)" "a canonical .lua rewrites byte-identical"

cat > "$t/m.md" <<'EOF'
# From Markdown

```lua
x = 40 + 2
```

Then:

```lua
print(x)
```
EOF
"$LUALAB" convert "$t/m.md" "$t/m.lua"
is "$(cat "$t/m.lua")" "$(printf -- '-- %%%% [markdown]\n-- # From Markdown\n\n-- %%%%\nx = 40 + 2\n\n-- %%%% [markdown]\n-- Then:\n\n-- %%%%\nprint(x)')" "convert .md -> .lua"
is "$("$LUALAB" --run "$t/m.md" --quiet)" "42" "--run reads .md"

"$LUALAB" convert "$t/a.lua" >/dev/null 2>"$t/err"
is "$?" 2 "convert with one file exits 2"
is "$(sed -n 1p "$t/err")" "lualab: convert needs an input and an output file" "convert usage message"
is "$(sed -n 2p "$t/err")" "see lualab --help" "a pointer to --help follows"
"$LUALAB" convert "$t/a.lua" "$t/x.txt" 2>"$t/err"
is "$?" 2 "convert to an unknown format exits 2"
is "$(sed -n 1p "$t/err")" "lualab: convert writes .lua, .ipynb or .md files" "convert names the formats it writes"
ok $([ ! -e "$t/x.txt" ]; echo $?) "and writes nothing"

# Markdown out: code cells as ```lua fences with their metadata; a canonical
# file comes back byte-identical, and a fence inside code gets a longer fence.
cat > "$t/md1.md" <<'MD'
---
title: A markdown notebook
---

# Heading

Some text.

```lua tags=["parameters"]
x = 1
```

More text.

````lua
s = [[
```
]]
print(x + #s)
````
MD
"$LUALAB" convert "$t/md1.md" "$t/md2.md"
is "$?" 0 "convert .md -> .md exits 0"
cmp -s "$t/md1.md" "$t/md2.md"
ok $? "a canonical .md converts back byte-identical"
"$LUALAB" convert "$t/a.lua" "$t/a.md" && "$LUALAB" convert "$t/a.md" "$t/a2.lua"
is "$("$LUALAB" --run "$t/a2.lua" --quiet)" "$("$LUALAB" --run "$t/a.lua" --quiet)" ".lua -> .md -> .lua runs the same"
is "$("$LUALAB" --run "$t/md2.md" --quiet)" "5" "the written .md runs"
printf '{"cells": [}' > "$t/bad.ipynb"
"$LUALAB" convert "$t/bad.ipynb" "$t/bad.lua" 2>"$t/err"
is "$?" 2 "convert of bad JSON exits 2"
is "$(cat "$t/err")" "lualab: $t/bad.ipynb:1:12: invalid JSON" "convert names file:line:col"
ok "$([ ! -e "$t/bad.lua" ]; echo $?)" "nothing is written on a parse error"

# 500 trivial cells under --run (the target is 0.3 s; this bound is generous)
i=0
while [ $i -lt 500 ]; do printf -- '-- %%%%\nx = %d\n\n' $i; i=$((i + 1)); done > "$t/many.lua"
start=$(date +%s%N)
"$LUALAB" --run "$t/many.lua" --quiet
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "500 cells run"
ok "$([ $ms -lt 3000 ]; echo $?)" "500 cells in ${ms} ms (< 3000)"
# with -o the notebook is written (and fsynced) after every cell: no time
# bound here, the disk decides
"$LUALAB" --run "$t/many.lua" --quiet -o "$t/many.ipynb"
is "$(grep -c '"execution_count": 500' "$t/many.ipynb")" 1 "with -o the last cell ran as the 500th"

# CRLF line ends (a notebook saved by a Windows editor) leave no \r behind
printf -- '-- %%%%\r\nx = 1\r\nprint(x)\r\n\r\n-- %%%% [markdown]\r\n-- # Title\r\n' > "$tap_tmp/crlf.lua"
"$LUALAB" convert "$tap_tmp/crlf.lua" "$tap_tmp/crlf.ipynb" 2>"$tap_tmp/err"
is "$?" 0 "a CRLF notebook converts"
is "$(grep -c '\\r' "$tap_tmp/crlf.ipynb")" 0 "the converted .ipynb has no \\r in its sources"
"$LUALAB" convert "$tap_tmp/crlf.lua" "$tap_tmp/crlf.md" 2>"$tap_tmp/err"
is "$(tr -d '\n' < "$tap_tmp/crlf.md" | od -c | grep -c '\\r')" 0 "the converted .md has no CR"

# notebook operations are linear in the number of cells: 100,000 cells
# convert in well under the bound (quadratic id checks took minutes)
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "-- %%%%\nx = %d\n\n", i }' > "$t/big.lua"
s0=$(date +%s)
"$LUALAB" convert "$t/big.lua" "$t/big.md" && "$LUALAB" convert "$t/big.md" "$t/big.ipynb" &&
    "$LUALAB" convert "$t/big.ipynb" "$t/big2.lua"
is "$?" 0 "100,000 cells convert .lua -> .md -> .ipynb -> .lua"
el=$(($(date +%s) - s0))
ok "$([ "$el" -le 10 ]; echo $?)" "in linear time ($el s for three conversions)"
is "$(grep -o '"id": "[^"]*"' "$t/big.ipynb" | sort -u | wc -l | tr -d ' ')" 100000 "every cell has its own id"
printf '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [\n{"cell_type": "code", "id": "same", "metadata": {}, "source": "a = 1", "outputs": [], "execution_count": null},\n{"cell_type": "code", "id": "same", "metadata": {}, "source": "b = 2", "outputs": [], "execution_count": null}]}\n' > "$t/dup.ipynb"
"$LUALAB" convert "$t/dup.ipynb" "$t/dup2.ipynb"
is "$(grep -o '"id": "[^"]*"' "$t/dup2.ipynb" | head -1)" '"id": "same"' "the first of two cells with one id keeps it"
is "$(grep -o '"id": "[^"]*"' "$t/dup2.ipynb" | sort -u | wc -l | tr -d ' ')" 2 "the second gets a fresh one"

# a NUL byte never cuts a cell silently: refused with its position in
# each format, raw or (.ipynb) as the escape \u0000, and nothing written
printf -- '-- %%%%\nx = "a\0b"\nprint(1)\n' > "$t/nul.lua"
"$LUALAB" convert "$t/nul.lua" "$t/nul_out.ipynb" 2>"$t/err"
is "$?" 2 "a NUL byte in a .lua notebook is refused"
is "$(cat "$t/err")" "lualab: $t/nul.lua:2:7: NUL byte in the notebook" "with file:line:col"
printf '# T\n\n```lua\nx = 1\0 y\n```\n\npara after\n' > "$t/nul.md"
"$LUALAB" convert "$t/nul.md" "$t/nul_out.ipynb" 2>"$t/err"
is "$(cat "$t/err")" "lualab: $t/nul.md:4:6: NUL byte in the notebook" "a NUL byte in a .md notebook is refused with file:line:col"
printf '{"nbformat": 4, "metadata": {}, "cells": [\n {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1\\u0000\\ny = 2"}]}\n' > "$t/nul.ipynb"
"$LUALAB" convert "$t/nul.ipynb" "$t/nul_out.lua" 2>"$t/err"
is "$?" 2 "a \\u0000 in an .ipynb cell is refused (it used to cut the cell)"
is "$(cat "$t/err")" "lualab: $t/nul.ipynb:2:71: NUL character (\\u0000) in the notebook" "with file:line:col"
ok "$([ ! -e "$t/nul_out.lua" ] && [ ! -e "$t/nul_out.ipynb" ]; echo $?)" "nothing is written for a refused notebook"

done_testing
