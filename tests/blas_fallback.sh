#!/bin/sh
# Without OpenBLAS the nn engine computes the same results with a plain GEMM.
. "$top_srcdir/tests/tap.sh"

LUALAB_NO_BLAS=1 "$top_builddir/tests/c/test_blas" plain
ok $? "the plain GEMM matches the reference for every transpose and beta"

code='nn.manual_seed(1) local a, b = nn.randn{33, 17}, nn.randn{17, 29} print(string.format("%.4f", (a:matmul(b)):sum():item()))'
with=$("$LUALAB" -e "$code")
without=$(LUALAB_NO_BLAS=1 "$LUALAB" -e "$code" 2>&1)
is "$without" "$with" "nn matmul agrees with and without OpenBLAS"
done_testing
