#!/bin/sh
# A bounded libFuzzer run of the notebook reader for .md, with a
# write-then-read round trip (tests/fuzz/fuzz_nb_md.c).
. "$top_srcdir/tests/fuzz/nb_fuzz_lib.sh"
fuzz_nb md md
