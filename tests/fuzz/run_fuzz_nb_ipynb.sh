#!/bin/sh
# A bounded libFuzzer run of the notebook reader for .ipynb, with a
# write-then-read round trip (tests/fuzz/fuzz_nb_ipynb.c).
. "$top_srcdir/tests/fuzz/nb_fuzz_lib.sh"
fuzz_nb ipynb ipynb
