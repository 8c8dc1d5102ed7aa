/* forecast/theta: Theta against R's thetaf() on the standard fixtures,
 * the optimised theta models' recursions and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "forecast/forecast.h"
#include "forecast_fixture.h"

static ll_fc_fit *fit(const char *family, const double *y, size_t n, int m)
{
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, family);
    spec.season_length = m;
    ll_fc_data d = {.y = y, .n = n};
    ll_fc_fit *f = NULL;
    ll_err err = {0};
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), 0);
    return f;
}

static double param(const ll_fc_fit *f, const char *name)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return f->params[i].value;
    fail_msg("no param %s", name);
    return NAN;
}

static void test_theta_vs_r(void **state)
{
    (void)state;
    const char *keys[4] = {"theta_lo80", "theta_hi80", "theta_lo95",
                           "theta_hi95"};
    for (int s = 0; fx_series[s]; s++) {
        fx_file fx;
        assert_int_equal(fx_load(fx_series[s], &fx), 0);
        const fx_line *y = fx_get(&fx, "y"), *mean = fx_get(&fx, "theta_mean");
        int m = (int)fx_get(&fx, "m")->v[0];
        ll_fc_fit *f = fit("Theta", y->v, y->n, m);
        size_t h = mean->n;
        double mu[64], lo[128], hi[128], lv[2] = {80, 95};
        assert_int_equal(
            ll_fc_predict(f, h, NULL, lv, 2, mu, lo, hi, &(ll_err){0}), 0);
        for (size_t i = 0; i < h; i++) {
            assert_true(fabs(mu[i] - mean->v[i]) <=
                        1e-9 * fmax(1, fabs(mean->v[i])));
            for (int k = 0; k < 4; k++) {
                double got = (k % 2 ? hi : lo)[(k / 2) * h + i];
                double want = fx_get(&fx, keys[k])->v[i];
                assert_true(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)));
            }
        }
        ll_fc_fit_free(f);
        fx_free(&fx);
    }
}

static void test_seasonality_test(void **state)
{
    (void)state;
    fx_file fx;
    assert_int_equal(fx_load("AirPassengers", &fx), 0);
    const fx_line *y = fx_get(&fx, "y");
    ll_fc_fit *f = fit("Theta", y->v, y->n, 12);
    assert_string_equal(f->method, "Theta[12]");
    ll_fc_fit_free(f);
    /* Two seasons only: no test, no decomposition. */
    f = fit("Theta", y->v, 24, 12);
    assert_string_equal(f->method, "Theta");
    ll_fc_fit_free(f);
    fx_free(&fx);
    assert_int_equal(fx_load("Nile", &fx), 0);
    y = fx_get(&fx, "y");
    f = fit("OptimizedTheta", y->v, y->n, 1);
    assert_string_equal(f->method, "OptimizedTheta");
    ll_fc_fit_free(f);
    fx_free(&fx);
}

/* The dynamic model's recursive line ends as the least squares line
 * through the whole series; the optimised theta fits at least as well in
 * sample as the standard theta model (theta = 2) it starts from. */
static void test_optimized_theta(void **state)
{
    (void)state;
    fx_file fx;
    assert_int_equal(fx_load("WWWusage", &fx), 0);
    const fx_line *y = fx_get(&fx, "y");
    size_t n = y->n;
    ll_fc_fit *f = fit("DynamicOptimizedTheta", y->v, n, 1);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)(i + 1);
        sx += x, sy += y->v[i], sxx += x * x, sxy += x * y->v[i];
    }
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    double icpt = (sy - slope * sx) / n;
    assert_true(fabs(param(f, "B") - slope) < 1e-9 * fabs(slope));
    assert_true(fabs(param(f, "A") - icpt) < 1e-9 * fabs(icpt));
    ll_fc_fit_free(f);

    f = fit("OptimizedTheta", y->v, n, 1);
    assert_true(param(f, "theta") >= 1);
    assert_true(param(f, "alpha") >= 0.1 && param(f, "alpha") <= 0.99);
    /* Restore with theta = 2 and the fitted alpha, l0: no better. */
    ll_fc_param p[3] = {
        {"alpha", param(f, "alpha")}, {"l0", param(f, "l0")}, {"theta", 2}};
    ll_fc_data d = {.y = y->v, .n = n};
    ll_fc_fit *g;
    ll_err err = {0};
    assert_int_equal(f->family->restore(&f->spec, p, 3, &d, &g, &err), 0);
    assert_true(f->sigma2 <= g->sigma2);
    ll_fc_fit_free(g);
    /* Restoring the fit's own params gives its forecasts. */
    assert_int_equal(
        f->family->restore(&f->spec, f->params, f->nparams, &d, &g, &err), 0);
    double a[10], b[10];
    assert_int_equal(ll_fc_predict(f, 10, NULL, NULL, 0, a, NULL, NULL, &err),
                     0);
    assert_int_equal(ll_fc_predict(g, 10, NULL, NULL, 0, b, NULL, NULL, &err),
                     0);
    for (int i = 0; i < 10; i++)
        assert_true(a[i] == b[i]);
    ll_fc_fit_free(g);
    ll_fc_fit_free(f);
    fx_free(&fx);
}

static void test_constant(void **state)
{
    (void)state;
    double y[20];
    for (int i = 0; i < 20; i++)
        y[i] = 3;
    const char *fams[] = {"Theta", "OptimizedTheta", "DynamicOptimizedTheta",
                          NULL};
    for (int k = 0; fams[k]; k++) {
        ll_fc_fit *f = fit(fams[k], y, 20, 4);
        double mu[6];
        assert_int_equal(
            ll_fc_predict(f, 6, NULL, NULL, 0, mu, NULL, NULL, &(ll_err){0}),
            0);
        for (int i = 0; i < 6; i++)
            assert_true(fabs(mu[i] - 3) < 1e-9);
        ll_fc_fit_free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_theta_vs_r),
        cmocka_unit_test(test_seasonality_test),
        cmocka_unit_test(test_optimized_theta),
        cmocka_unit_test(test_constant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
