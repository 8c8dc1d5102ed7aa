#!/bin/sh
# Run one busted spec through lualab and print TAP for automake's driver.
spec="$1"
cd "${top_builddir:-.}" || exit 99
exec busted --lua="$top_srcdir/tests/lualab-lua" -o TAP \
    --helper="$top_srcdir/tests/lua/helper.lua" "$spec"
