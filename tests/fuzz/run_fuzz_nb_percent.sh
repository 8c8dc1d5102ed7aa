#!/bin/sh
# A bounded libFuzzer run of the notebook reader for .lua, with a
# write-then-read round trip (tests/fuzz/fuzz_nb_percent.c).
. "$top_srcdir/tests/fuzz/nb_fuzz_lib.sh"
fuzz_nb percent lua
