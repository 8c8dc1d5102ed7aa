/* Tests for forecast/mstl.c: STL and MSTL decompositions against R's
 * mstl() (nottem, USAccDeaths, four weeks of taylor with seasons 48 and
 * 336), the MSTL family's forecasts against R's forecast(mstl(y)), and
 * bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "forecast/families.h"
#include "forecast/forecast.h"
#include "forecast/mstl.h"
#include "forecast_more_fixture.h"

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]));
    return worst;
}

static void check_decomposition(const char *name)
{
    fixture fx;
    assert_int_equal(fixture_load(&fx, name), 0);
    size_t n, np, nt, nr;
    double *y = fixture_numbers(&fx, "y", &n);
    double *pd = fixture_numbers(&fx, "periods", &np);
    double *trend_r = fixture_numbers(&fx, "trend", &nt);
    double *rem_r = fixture_numbers(&fx, "remainder", &nr);
    assert_int_equal(nt, n);
    int periods[4];
    for (size_t i = 0; i < np; i++)
        periods[i] = (int)pd[i];
    double *seasonals = malloc(np * n * sizeof *seasonals);
    double *trend = malloc(n * sizeof *trend);
    size_t kept;
    ll_err err;
    assert_int_equal(ll_mstl(y, n, periods, np, NULL, np > 1 ? 2 : 1, seasonals,
                             trend, &kept, &err),
                     LL_OK);
    assert_int_equal(kept, np);
    double scale = 0;
    for (size_t t = 0; t < n; t++)
        scale = fmax(scale, fabs(y[t]));
    assert_true(max_abs_diff(trend, trend_r, n) < 1e-9 * scale);
    for (size_t i = 0; i < np; i++) {
        char key[32];
        snprintf(key, sizeof key, "seasonal%d", periods[i]);
        size_t ns;
        double *s_r = fixture_numbers(&fx, key, &ns);
        assert_int_equal(ns, n);
        assert_true(max_abs_diff(seasonals + i * n, s_r, n) < 1e-9 * scale);
        free(s_r);
    }
    for (size_t t = 0; t < n; t++) {
        double r = y[t] - trend[t];
        for (size_t i = 0; i < np; i++)
            r -= seasonals[i * n + t];
        assert_true(fabs(r - rem_r[t]) < 1e-9 * scale);
    }
    free(seasonals);
    free(trend);
    free(y);
    free(pd);
    free(trend_r);
    free(rem_r);
    fixture_free(&fx);
}

static void test_stl_matches_r(void **state)
{
    (void)state;
    check_decomposition("mstl_nottem");
    check_decomposition("mstl_usaccdeaths");
}

static void test_mstl_two_seasons_matches_r(void **state)
{
    (void)state;
    check_decomposition("mstl_taylor");
}

static void test_stl_defaults_as_r(void **state)
{
    (void)state;
    ll_stl_opts o;
    ll_stl_default(&o, 12, 11);
    /* R: t.window = nextodd(ceiling(1.5 * 12 / (1 - 1.5 / 11))) = 21. */
    assert_int_equal(o.t_window, 21);
    assert_int_equal(o.l_window, 13);
    assert_int_equal(o.s_jump, 2);
    assert_int_equal(o.t_jump, 3);
    assert_int_equal(o.l_jump, 2);
    ll_stl_default(&o, 336, 15);
    assert_int_equal(o.t_window, 561);
}

static void test_stl_recovers_pure_season(void **state)
{
    (void)state;
    /* A level plus a fixed zero-mean pattern: STL gives both back exactly
     * (a linear trend would not be: degree-0 loess of the subseries bends
     * at the ends). */
    enum { N = 96, P = 8 };
    double pattern[P] = {3, 1, -2, -4, -1, 0, 2, 1};
    double y[N], seasonal[N], trend[N];
    for (int t = 0; t < N; t++)
        y[t] = 10 + pattern[t % P];
    ll_stl_opts o;
    ll_stl_default(&o, P, 11);
    ll_err err;
    assert_int_equal(ll_stl(y, N, &o, seasonal, trend, &err), LL_OK);
    for (int t = 0; t < N; t++) {
        assert_float_equal(seasonal[t], pattern[t % P], 1e-9);
        assert_float_equal(trend[t], 10, 1e-9);
    }
}

static void test_mstl_drops_long_seasons(void **state)
{
    (void)state;
    enum { N = 40 };
    double y[N], seasonals[3 * N], trend[N];
    for (int t = 0; t < N; t++)
        y[t] = sin(t * 2 * M_PI / 4) + 0.1 * t;
    int periods[3] = {30, 4, 20};
    size_t kept;
    ll_err err;
    assert_int_equal(
        ll_mstl(y, N, periods, 3, NULL, 2, seasonals, trend, &kept, &err),
        LL_OK);
    assert_int_equal(kept, 1); /* 20 and 30 have fewer than two periods */
    assert_int_equal(periods[0], 4);
    int too_long[1] = {20};
    assert_int_equal(
        ll_mstl(y, N, too_long, 1, NULL, 2, seasonals, trend, &kept, &err),
        LL_EINVAL);
    assert_string_equal(err.msg,
                        "series too short: MSTL needs two full periods of a "
                        "season (41 observations for season length 20), got "
                        "40");
}

static void test_mstl_forecast_matches_r(void **state)
{
    (void)state;
    if (!ll_fc_family_find("AutoETS")) {
        skip();
        return;
    }
    const char *names[] = {"mstl_nottem", "mstl_usaccdeaths", "mstl_taylor"};
    for (size_t c = 0; c < 3; c++) {
        fixture fx;
        assert_int_equal(fixture_load(&fx, names[c]), 0);
        size_t n, np, h, k;
        double *y = fixture_numbers(&fx, "y", &n);
        double *pd = fixture_numbers(&fx, "periods", &np);
        double *mean_r = fixture_numbers(&fx, "mean", &h);
        double *lo95_r = fixture_numbers(&fx, "lo95", &k);
        double *hi95_r = fixture_numbers(&fx, "hi95", &k);
        char method_r[64];
        fixture_string(&fx, "ets_method", method_r, sizeof method_r);
        ll_fc_spec spec;
        ll_fc_spec_init(&spec, "MSTL");
        for (size_t i = 0; i < np; i++)
            spec.season_lengths[i] = (int)pd[i];
        spec.n_season_lengths = (int)np;
        ll_fc_data data = {y, n, NULL, 0, 0, 0};
        ll_fc_fit *fit;
        ll_err err;
        assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_OK);
        char expect[96];
        snprintf(expect, sizeof expect, "MSTL(%d%s%s) + %s", (int)pd[0],
                 np > 1 ? "," : "", np > 1 ? "336" : "", method_r);
        print_message("%s: %s (R %s)\n", names[c], fit->method, method_r);
        double *mean = malloc(h * sizeof *mean);
        double *lo = malloc(h * sizeof *lo), *hi = malloc(h * sizeof *hi);
        double level = 95;
        assert_int_equal(
            ll_fc_predict(fit, h, NULL, &level, 1, mean, lo, hi, &err), LL_OK);
        double scale = 0, width = 0;
        for (size_t i = 0; i < h; i++) {
            scale = fmax(scale, fabs(mean_r[i]));
            width = fmax(width, hi95_r[i] - lo95_r[i]);
        }
        /* Same ETS form as R: forecasts agree closely; the interval widths
         * too (ETS parameters from a different optimiser). */
        assert_string_equal(fit->method, expect);
        assert_true(max_abs_diff(mean, mean_r, h) < 0.01 * scale);
        assert_true(max_abs_diff(lo, lo95_r, h) < 0.05 * width);
        assert_true(max_abs_diff(hi, hi95_r, h) < 0.05 * width);
        /* Restore from the reported spec and params: same forecasts. */
        ll_fc_fit *back;
        assert_int_equal(ll_fc_mstl.restore(&fit->spec, fit->params,
                                            fit->nparams, &data, &back, &err),
                         LL_OK);
        double *mean2 = malloc(h * sizeof *mean2);
        assert_int_equal(
            ll_fc_predict(back, h, NULL, NULL, 0, mean2, NULL, NULL, &err),
            LL_OK);
        assert_true(max_abs_diff(mean, mean2, h) < 1e-9 * scale);
        ll_fc_fit_free(back);
        free(mean2);
        free(mean), free(lo), free(hi);
        ll_fc_fit_free(fit);
        free(y), free(pd), free(mean_r), free(lo95_r), free(hi95_r);
        fixture_free(&fx);
    }
}

static void test_mstl_bad_input(void **state)
{
    (void)state;
    double y[20];
    for (int t = 0; t < 20; t++)
        y[t] = t % 7;
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "MSTL");
    spec.season_lengths[0] = 7;
    spec.season_lengths[1] = 365;
    spec.n_season_lengths = 2;
    ll_fc_data data = {y, 10, NULL, 0, 0, 0};
    ll_fc_fit *fit = NULL;
    ll_err err;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "series too short: MSTL needs at least 15 "
                                 "observations, got 10");
    ll_fc_spec none;
    ll_fc_spec_init(&none, "MSTL");
    data.n = 20;
    assert_int_equal(ll_fc_mstl.fit(&none, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "MSTL needs season_lengths (or "
                                 "season_length) greater than 1");
    double x[20] = {0};
    data.x = x;
    data.k = 1;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "MSTL takes no exogenous regressors (got 1)");
    ll_stl_opts o;
    ll_stl_default(&o, 12, 11);
    double s[20], tr[20];
    assert_int_equal(ll_stl(y, 20, &o, s, tr, &err), LL_EINVAL);
    assert_string_equal(err.msg, "series too short: STL with period 12 needs "
                                 "at least 25 observations, got 20");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stl_defaults_as_r),
        cmocka_unit_test(test_stl_matches_r),
        cmocka_unit_test(test_mstl_two_seasons_matches_r),
        cmocka_unit_test(test_stl_recovers_pure_season),
        cmocka_unit_test(test_mstl_drops_long_seasons),
        cmocka_unit_test(test_mstl_forecast_matches_r),
        cmocka_unit_test(test_mstl_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
