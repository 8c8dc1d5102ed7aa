/* Tests for nn/blas.c: OpenBLAS opened on first use, and the plain GEMM
 * that stands in without it, against a double-precision reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"

static double ref_at(const float *x, int trans, int rows, int cols, int i,
                     int j)
{
    /* element (i, j) of op(X), where op(X) is rows x cols */
    return trans ? x[(size_t)j * (size_t)rows + (size_t)i]
                 : x[(size_t)i * (size_t)cols + (size_t)j];
}

static void check_all_shapes(void)
{
    const int m = 7, n = 5, k = 9;
    float a[63], b[45], c[35], c0[35];
    unsigned seed = 12345;
    for (int i = 0; i < 63; i++)
        a[i] =
            (float)((seed = seed * 1103515245u + 12345u) % 1000) / 500.0f - 1;
    for (int i = 0; i < 45; i++)
        b[i] =
            (float)((seed = seed * 1103515245u + 12345u) % 1000) / 500.0f - 1;
    for (int i = 0; i < 35; i++)
        c0[i] = (float)i / 10.0f;
    for (int ta = 0; ta <= 1; ta++)
        for (int tb = 0; tb <= 1; tb++)
            for (int bi = 0; bi <= 1; bi++) {
                float beta = bi ? 0.5f : 0.0f;
                memcpy(c, c0, sizeof c);
                ll_blas_sgemm(ta, tb, m, n, k, a, b, beta, c);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double want = beta * c0[i * n + j];
                        for (int p = 0; p < k; p++)
                            want += ref_at(a, ta, m, k, i, p) *
                                    ref_at(b, tb, k, n, p, j);
                        assert_true(fabs((double)c[i * n + j] - want) < 1e-5);
                    }
            }
}

/* C = A'A in double: both triangles, against the sums written out. */
static void check_dsyrk(void)
{
    const int n = 6, k = 11;
    double a[66], c[36];
    unsigned seed = 777;
    for (int i = 0; i < 66; i++)
        a[i] =
            (double)((seed = seed * 1103515245u + 12345u) % 1000) / 250.0 - 2;
    ll_blas_dsyrk_t(n, k, a, c);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double want = 0;
            for (int r = 0; r < k; r++)
                want += a[r * n + i] * a[r * n + j];
            assert_true(fabs(c[i * n + j] - want) < 1e-12 * (1 + fabs(want)));
            assert_true(c[i * n + j] == c[j * n + i]);
        }
}

static void test_openblas(void **state)
{
    (void)state;
    assert_true(ll_blas_available());
    assert_string_equal(ll_blas_name(), "libopenblas.so.0");
    check_all_shapes();
    assert_true(ll_blas_has_dsyrk());
    check_dsyrk();
    ll_blas_set_threads(1);
    assert_int_equal(ll_blas_get_threads(), 1);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        /* run as `test_blas plain` by the fallback test below */
        check_all_shapes();
        check_dsyrk();
        if (ll_blas_has_dsyrk())
            return 1;
        return strcmp(ll_blas_name(), "plain C GEMM (LUALAB_NO_BLAS is set)") !=
               0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openblas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
