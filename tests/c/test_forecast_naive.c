/* forecast/naive: the six baselines against R's naive(), snaive(),
 * meanf() and rwf(drift = TRUE) on the standard fixtures, and the window
 * averages on hand-checked values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "forecast/forecast.h"
#include "forecast_fixture.h"

static void check_vs(const fx_file *fx, const char *family, const char *pre,
                     int m)
{
    char key[80];
    const fx_line *y = fx_get(fx, "y");
    snprintf(key, sizeof key, "%s_mean", pre);
    const fx_line *mean = fx_get(fx, key);
    assert_non_null(y);
    assert_non_null(mean);
    size_t h = mean->n;
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, family);
    spec.season_length = m;
    ll_fc_data d = {.y = y->v, .n = y->n};
    ll_fc_fit *f = NULL;
    ll_err err = {0};
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), 0);
    double lv[2] = {80, 95}, mu[64], lo[128], hi[128];
    assert_true(h <= 64);
    assert_int_equal(ll_fc_predict(f, h, NULL, lv, 2, mu, lo, hi, &err), 0);
    const char *suf[4] = {"lo80", "hi80", "lo95", "hi95"};
    for (size_t i = 0; i < h; i++)
        assert_true(fabs(mu[i] - mean->v[i]) <= 1e-9 * fmax(1, fabs(mu[i])));
    for (int k = 0; k < 4; k++) {
        snprintf(key, sizeof key, "%s_%s", pre, suf[k]);
        const fx_line *ref = fx_get(fx, key);
        assert_non_null(ref);
        const double *got = (k % 2 == 0 ? lo : hi) + (size_t)(k / 2) * h;
        for (size_t i = 0; i < h; i++)
            if (fabs(got[i] - ref->v[i]) > 1e-7 * fmax(1, fabs(ref->v[i]))) {
                print_error("%s %s %s[%zu]: %.10g vs R %.10g\n", family, pre,
                            suf[k], i, got[i], ref->v[i]);
                fail();
            }
    }
    ll_fc_fit_free(f);
}

static void test_vs_r(void **state)
{
    (void)state;
    for (int s = 0; fx_series[s]; s++) {
        fx_file fx;
        assert_int_equal(fx_load(fx_series[s], &fx), 0);
        int m = (int)fx_get(&fx, "m")->v[0];
        check_vs(&fx, "Naive", "naive", m);
        check_vs(&fx, "HistoricAverage", "mean", m);
        check_vs(&fx, "RandomWalkWithDrift", "drift", m);
        if (m > 1)
            check_vs(&fx, "SeasonalNaive", "snaive", m);
        fx_free(&fx);
    }
}

static void test_window_averages(void **state)
{
    (void)state;
    double y[8] = {1, 2, 3, 4, 5, 6, 7, 9};
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "WindowAverage");
    spec.window = 3;
    ll_fc_data d = {.y = y, .n = 8};
    ll_fc_fit *f;
    ll_err err = {0};
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), 0);
    double mu[2], lo[2], hi[2], lv = 95;
    assert_int_equal(ll_fc_predict(f, 2, NULL, &lv, 1, mu, lo, hi, &err), 0);
    assert_true(fabs(mu[0] - 22.0 / 3) < 1e-12 && mu[1] == mu[0]);
    /* One-step errors of the rule at t = 3..7: 2, 2, 2, 2, 3. */
    double mse = (4 * 4.0 + 9.0) / 5;
    assert_true(fabs(hi[0] - mu[0] - 1.959963984540054 * sqrt(mse)) < 1e-9);
    assert_string_equal(f->method, "WindowAverage(3)");
    ll_fc_fit_free(f);

    double z[8] = {1, 10, 2, 20, 3, 30, 4, 40};
    ll_fc_spec_init(&spec, "SeasonalWindowAverage");
    spec.season_length = 2;
    spec.window = 2;
    d.y = z;
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), 0);
    double m4[4];
    assert_int_equal(ll_fc_predict(f, 4, NULL, NULL, 0, m4, NULL, NULL, &err),
                     0);
    assert_true(m4[0] == 3.5 && m4[1] == 35 && m4[2] == 3.5 && m4[3] == 35);
    ll_fc_fit_free(f);
}

static void test_bad_input(void **state)
{
    (void)state;
    double y[5] = {1, 2, NAN, 4, 5};
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "SeasonalNaive");
    spec.season_length = 12;
    ll_fc_data d = {.y = y, .n = 5};
    ll_fc_fit *f = NULL;
    ll_err err = {0};
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), LL_EINVAL);
    assert_string_equal(err.msg,
                        "SeasonalNaive: the target has a missing value (NA) "
                        "at position 3; fill or drop it first");
    y[2] = 3;
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), LL_EINVAL);
    assert_string_equal(err.msg,
                        "series too short: SeasonalNaive with season_length "
                        "12 needs at least 13 observations, got 5");
    spec.season_length = 2;
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), 0);
    double mu[1];
    assert_int_equal(ll_fc_predict(f, 0, NULL, NULL, 0, mu, NULL, NULL, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "forecast horizon h must be >= 1, got 0");
    ll_fc_fit_free(f);
    ll_fc_spec_init(&spec, "Nope");
    assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), LL_ENOTFOUND);
    assert_string_equal(err.msg, "unknown forecasting model 'Nope'");
}

static void test_constant(void **state)
{
    (void)state;
    double y[10];
    for (int i = 0; i < 10; i++)
        y[i] = 4.5;
    const char *fams[] = {"Naive", "HistoricAverage", "RandomWalkWithDrift",
                          "WindowAverage", NULL};
    for (int k = 0; fams[k]; k++) {
        ll_fc_spec spec;
        ll_fc_spec_init(&spec, fams[k]);
        ll_fc_data d = {.y = y, .n = 10};
        ll_fc_fit *f;
        ll_err err = {0};
        assert_int_equal(ll_fc_fit_series(&spec, &d, &f, &err), 0);
        double mu[3], lo[3], hi[3], lv = 95;
        assert_int_equal(ll_fc_predict(f, 3, NULL, &lv, 1, mu, lo, hi, &err),
                         0);
        for (int i = 0; i < 3; i++)
            assert_true(mu[i] == 4.5);
        ll_fc_fit_free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_r),
        cmocka_unit_test(test_window_averages),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_constant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
