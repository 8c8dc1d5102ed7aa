/* forecast/optim: the minimisers on standard test functions, and the
 * shared quantile helpers against R's qnorm/qt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "forecast/forecast.h"
#include "forecast/optim.h"

static double rosen(const double *x, size_t n, void *ctx)
{
    (void)ctx;
    double s = 0;
    for (size_t i = 0; i + 1 < n; i++)
        s += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return s;
}

static void rosen_grad(const double *x, size_t n, double *g, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        g[i] = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        g[i] += -400 * x[i] * (x[i + 1] - x[i] * x[i]) - 2 * (1 - x[i]);
        g[i + 1] += 200 * (x[i + 1] - x[i] * x[i]);
    }
}

/* A quadratic with an inadmissible region: x0 > 2 is infinite. */
static double walled(const double *x, size_t n, void *ctx)
{
    (void)n, (void)ctx;
    if (x[0] > 2)
        return INFINITY;
    return pow(x[0] - 3, 2) + pow(x[1] + 1, 2);
}

static void test_nm_rosenbrock(void **state)
{
    (void)state;
    /* R: optim(c(-1.2, 1), fr) gives 1.000260 1.000506, value 8.825241e-08
     * after 195 evaluations. */
    double x[2] = {-1.2, 1};
    ll_opt_result r;
    assert_int_equal(ll_opt_nelder_mead(rosen, NULL, x, 2, NULL, &r), 0);
    assert_true(r.converged);
    assert_true(fabs(x[0] - 1.000260) < 1e-6);
    assert_true(fabs(x[1] - 1.000506) < 1e-6);
    assert_true(fabs(r.value - 8.825241e-08) < 1e-12);
    assert_int_equal(r.evaluations, 195);
}

static void test_nm_inadmissible(void **state)
{
    (void)state;
    double x[2] = {0, 0};
    ll_opt_result r;
    ll_opt_opts o = {.reltol = 1e-12};
    assert_int_equal(ll_opt_nelder_mead(walled, NULL, x, 2, &o, &r), 0);
    /* The simplex may flatten against the wall (as R's does) but never
     * crosses it and ends far below the start value 10. */
    assert_true(x[0] <= 2);
    assert_true(fabs(x[0] - 2) < 0.05);
    assert_true(isfinite(r.value) && r.value < 1.2);
}

static void test_nm_bounds(void **state)
{
    (void)state;
    double x[2] = {0.5, 0.5}, lo[2] = {0, 0}, hi[2] = {0.8, 0.6};
    ll_opt_opts o = {.lower = lo, .upper = hi, .reltol = 1e-12};
    ll_opt_result r;
    assert_int_equal(ll_opt_nelder_mead(rosen, NULL, x, 2, &o, &r), 0);
    /* The constrained minimum lies on x1 = x0^2 with x0 <= 0.8 and
     * x1 <= 0.6: x0 ~ 0.7746, x1 = 0.6. */
    assert_true(x[0] <= 0.8 && x[1] <= 0.6);
    assert_true(fabs(x[1] - 0.6) < 1e-3);
    assert_true(fabs(x[0] - sqrt(0.6)) < 5e-3);
}

static void test_bfgs_rosenbrock(void **state)
{
    (void)state;
    /* R: optim(c(-1.2,1), fr, grr, method = "BFGS") reaches 1, 1 with
     * value 9.59e-18. */
    double x[2] = {-1.2, 1};
    ll_opt_result r;
    assert_int_equal(ll_opt_bfgs(rosen, rosen_grad, NULL, x, 2, NULL, &r), 0);
    assert_true(fabs(x[0] - 1) < 1e-4 && fabs(x[1] - 1) < 1e-4);
    /* Numeric gradients. */
    double y[2] = {-1.2, 1};
    ll_opt_opts o = {.max_iter = 500};
    assert_int_equal(ll_opt_bfgs(rosen, NULL, NULL, y, 2, &o, &r), 0);
    assert_true(fabs(y[0] - 1) < 1e-3 && fabs(y[1] - 1) < 2e-3);
}

static void test_bfgs_quadratic_5d(void **state)
{
    (void)state;
    double x[5] = {1, -2, 3, 0.5, 4};
    ll_opt_result r;
    assert_int_equal(ll_opt_bfgs(rosen, NULL, NULL, x, 5,
                                 &(ll_opt_opts){.max_iter = 1000}, &r),
                     0);
    for (int i = 0; i < 5; i++)
        assert_true(fabs(x[i] - 1) < 1e-2 || fabs(x[0] + 1) < 1e-2);
    assert_true(r.value < 4.0); /* the 5-d Rosenbrock: 0 or the local 3.93 */
}

static void test_lbfgsb(void **state)
{
    (void)state;
    double x[4] = {-1.2, 1, -1.2, 1};
    ll_opt_opts o = {.max_iter = 1000, .reltol = 1e-14};
    ll_opt_result r;
    assert_int_equal(ll_opt_lbfgsb(rosen, rosen_grad, NULL, x, 4, &o, &r), 0);
    for (int i = 0; i < 4; i++)
        assert_true(fabs(x[i] - 1) < 1e-3);
    /* Box: R optim(c(3,3), fr, grr, method="L-BFGS-B", lower=2)
     * stops at (2, 4), value 1. */
    double y[2] = {3, 3}, lo[2] = {2, 2};
    o.lower = lo;
    assert_int_equal(ll_opt_lbfgsb(rosen, rosen_grad, NULL, y, 2, &o, &r), 0);
    assert_true(fabs(y[0] - 2) < 1e-6 && fabs(y[1] - 4) < 1e-3);
    assert_true(fabs(r.value - 1) < 1e-5);
}

static void test_quantiles(void **state)
{
    (void)state;
    assert_true(fabs(ll_fc_normal_quantile(95) - 1.959963984540054) < 1e-12);
    assert_true(fabs(ll_fc_normal_quantile(80) - 1.281551565544601) < 1e-12);
    assert_true(fabs(ll_fc_qnorm(1e-5) + 4.264890793922825) < 1e-10);
    /* R: qt(0.975, 10), qt(0.9, 3), qt(0.975, 1) */
    assert_true(fabs(ll_fc_qt(0.975, 10) - 2.228138851986274) < 1e-9);
    assert_true(fabs(ll_fc_qt(0.9, 3) - 1.637744353696210) < 1e-9);
    assert_true(fabs(ll_fc_qt(0.975, 1) - 12.70620473617471) < 1e-7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nm_rosenbrock),
        cmocka_unit_test(test_nm_inadmissible),
        cmocka_unit_test(test_nm_bounds),
        cmocka_unit_test(test_bfgs_rosenbrock),
        cmocka_unit_test(test_bfgs_quadratic_5d),
        cmocka_unit_test(test_lbfgsb),
        cmocka_unit_test(test_quantiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
