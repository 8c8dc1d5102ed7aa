/* Tests for forecast/croston.c: Croston against R forecast's croston(),
 * the SBA and optimised variants, intervals and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "forecast/families.h"
#include "forecast/forecast.h"
#include "forecast_more_fixture.h"

static ll_fc_fit *fit_named(const char *family, const double *y, size_t n)
{
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, family);
    ll_fc_data data = {y, n, NULL, 0, 0, 0};
    ll_fc_fit *fit = NULL;
    ll_err err;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_OK);
    return fit;
}

/* R's fixture: y, mean (h values) and fitted (NA first). */
static void check_against_r(const char *name, const char *family, double alpha)
{
    fixture fx;
    assert_int_equal(fixture_load(&fx, name), 0);
    size_t n, h, nf;
    double *y = fixture_numbers(&fx, "y", &n);
    double *mean_r = fixture_numbers(&fx, "mean", &h);
    double *fitted_r = fixture_numbers(&fx, "fitted", &nf);
    assert_int_equal(nf, n);
    ll_fc_fit *fit;
    if (alpha == 0.1) {
        fit = fit_named(family, y, n);
    } else {
        ll_fc_spec spec;
        ll_fc_spec_init(&spec, family);
        ll_fc_param params[2] = {{"alpha_demand", alpha},
                                 {"alpha_interval", alpha}};
        ll_fc_data data = {y, n, NULL, 0, 0, 0};
        ll_err err;
        assert_int_equal(
            ll_fc_croston.restore(&spec, params, 2, &data, &fit, &err), LL_OK);
    }
    double mean[16];
    ll_err err;
    assert_int_equal(
        ll_fc_predict(fit, h, NULL, NULL, 0, mean, NULL, NULL, &err), LL_OK);
    for (size_t i = 0; i < h; i++)
        assert_float_equal(mean[i], mean_r[i], 1e-12);
    assert_true(isnan(fit->fitted[0]));
    for (size_t t = 1; t < n; t++)
        assert_float_equal(fit->fitted[t], fitted_r[t], 1e-12);
    ll_fc_fit_free(fit);
    free(y);
    free(mean_r);
    free(fitted_r);
    fixture_free(&fx);
}

static void test_croston_matches_r(void **state)
{
    (void)state;
    check_against_r("croston_demand", "Croston", 0.1);
    check_against_r("croston_demand_a25", "Croston", 0.25);
    check_against_r("croston_one_demand", "Croston", 0.1);
}

static void test_croston_by_hand(void **state)
{
    (void)state;
    /* Demands 4 (after 2 periods), 2 (after 3), 6 (after 1). */
    double y[] = {0, 4, 0, 0, 2, 6, 0};
    ll_fc_fit *fit = fit_named("Croston", y, 7);
    double z = 4 + 0.1 * (2 - 4);
    z += 0.1 * (6 - z);
    double p = 2 + 0.1 * (3 - 2);
    p += 0.1 * (1 - p);
    double mean[3];
    ll_err err;
    assert_int_equal(
        ll_fc_predict(fit, 3, NULL, NULL, 0, mean, NULL, NULL, &err), LL_OK);
    assert_float_equal(mean[2], z / p, 1e-14);
    assert_float_equal(fit->fitted[2], 4.0 / 2.0, 1e-14);
    assert_string_equal(fit->method, "Croston");
    ll_fc_fit_free(fit);

    fit = fit_named("CrostonSBA", y, 7);
    assert_int_equal(
        ll_fc_predict(fit, 1, NULL, NULL, 0, mean, NULL, NULL, &err), LL_OK);
    assert_float_equal(mean[0], 0.95 * z / p, 1e-14);
    ll_fc_fit_free(fit);
}

static void test_croston_all_zero_and_intervals(void **state)
{
    (void)state;
    double zeros[5] = {0};
    ll_fc_fit *fit = fit_named("Croston", zeros, 5);
    double mean[2], levels[] = {80, 95}, lo[4], hi[4];
    ll_err err;
    assert_int_equal(ll_fc_predict(fit, 2, NULL, levels, 2, mean, lo, hi, &err),
                     LL_OK);
    assert_float_equal(mean[0], 0, 0);
    assert_float_equal(hi[3], 0, 0);
    ll_fc_fit_free(fit);

    double y[] = {0, 3, 0, 0, 5, 0, 1, 0, 0, 4, 0, 2};
    fit = fit_named("Croston", y, 12);
    assert_int_equal(ll_fc_predict(fit, 2, NULL, levels, 2, mean, lo, hi, &err),
                     LL_OK);
    double sse = 0;
    for (size_t t = 1; t < 12; t++)
        sse += (y[t] - fit->fitted[t]) * (y[t] - fit->fitted[t]);
    double sigma = sqrt(sse / 11);
    assert_float_equal(hi[0], mean[0] + 1.2815515655446004 * sigma, 1e-9);
    assert_float_equal(hi[2], mean[0] + 1.959963984540054 * sigma, 1e-9);
    assert_float_equal(lo[2], 0, 0); /* demand is never negative */
    assert_true(hi[2] > hi[0]);
    ll_fc_fit_free(fit);
}

static void test_croston_optimized(void **state)
{
    (void)state;
    fixture fx;
    assert_int_equal(fixture_load(&fx, "croston_demand"), 0);
    size_t n;
    double *y = fixture_numbers(&fx, "y", &n);
    ll_fc_fit *fit = fit_named("CrostonOptimized", y, n);
    double az = fit->params[0].value, ap = fit->params[1].value;
    assert_true(az >= 0.1 && az <= 0.3 && ap >= 0.1 && ap <= 0.3);
    /* Each alpha minimises its own smoothing's one-step SSE: a grid over
     * the bracket finds nothing better. */
    double sizes[120], gaps[120];
    size_t m = 0, last = 0;
    for (size_t t = 0; t < n; t++)
        if (y[t] > 0) {
            sizes[m] = y[t];
            gaps[m++] = (double)(t + 1 - last);
            last = t + 1;
        }
    for (int which = 0; which < 2; which++) {
        const double *x = which ? gaps : sizes;
        double best = which ? ap : az;
        double sse_best = 0, level = x[0];
        for (size_t t = 1; t < m; t++) {
            sse_best += (x[t] - level) * (x[t] - level);
            level += best * (x[t] - level);
        }
        for (double a = 0.1; a <= 0.3; a += 0.005) {
            double sse = 0;
            level = x[0];
            for (size_t t = 1; t < m; t++) {
                sse += (x[t] - level) * (x[t] - level);
                level += a * (x[t] - level);
            }
            assert_true(sse >= sse_best - 1e-9);
        }
    }
    ll_fc_fit_free(fit);
    free(y);
    fixture_free(&fx);
}

static void test_croston_bad_input(void **state)
{
    (void)state;
    double y[] = {0, 2, -1, 0};
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Croston");
    ll_fc_data data = {y, 4, NULL, 0, 0, 0};
    ll_fc_fit *fit = NULL;
    ll_err err;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "Croston needs non-negative demand, got -1 at "
                                 "position 3");
    double x[4] = {1, 2, 3, 4};
    y[2] = 1;
    data.x = x;
    data.k = 1;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg,
                        "Croston takes no exogenous regressors (got 1)");
    y[1] = NAN;
    data.k = 0;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "Croston: the target has a missing value "
                                 "(NA) at position 2; fill or drop it first");
    ll_fc_param bad[1] = {{"alpha_demand", 0.1}};
    y[1] = 0;
    assert_int_equal(ll_fc_croston.restore(&spec, bad, 1, &data, &fit, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "Croston restore needs params alpha_demand "
                                 "and alpha_interval in (0, 1]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_croston_matches_r),
        cmocka_unit_test(test_croston_by_hand),
        cmocka_unit_test(test_croston_all_zero_and_intervals),
        cmocka_unit_test(test_croston_optimized),
        cmocka_unit_test(test_croston_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
