/* Tests for forecast/prophet.c: the MAP fit against R's L-BFGS-B on the
 * same objective (Prophet is not packaged for Debian), recovery of a known
 * trend, seasonality and regressor, the lab's linear-regressor case,
 * interval coverage on simulated data, determinism, restore, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"
#include "data/generators.h"
#include "forecast/prophet.h"
#include "util/buf.h"
#include "forecast_more_fixture.h"

static double param(const ll_fc_fit *f, const char *name)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return f->params[i].value;
    fail_msg("no param %s", name);
    return NAN;
}

/* Deterministic standard normals for the simulations (Box-Muller on an
 * LCG), independent of the code under test. */
static uint64_t lcg_state = 42;
static double test_uniform(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(lcg_state >> 11) + 0.5) / 9007199254740992.0;
}
static double test_normal(void)
{
    double u = test_uniform(), v = test_uniform();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static ll_fc_fit *fit_prophet(const ll_fc_spec *spec, const double *y, size_t n,
                              const double *x, size_t k, double t0, double step)
{
    ll_fc_data data = {y, n, x, k, t0, step};
    ll_fc_fit *fit = NULL;
    ll_err err;
    int rc = ll_fc_fit_series(spec, &data, &fit, &err);
    if (rc != LL_OK)
        fail_msg("%s", err.msg);
    return fit;
}

static void test_prophet_map_matches_r(void **state)
{
    (void)state;
    fixture fx;
    assert_int_equal(fixture_load(&fx, "prophet_map"), 0);
    size_t n, nx, nf, nd;
    double *y = fixture_numbers(&fx, "y", &n);
    double *x = fixture_numbers(&fx, "x", &nx);
    double *fitted_r = fixture_numbers(&fx, "fitted", &nf);
    double *delta_r = fixture_numbers(&fx, "delta", &nd);
    assert_int_equal(nx, n);
    assert_int_equal(nd, 25);
    double objective_r = fixture_number(&fx, "objective");
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    ll_fc_fit *fit =
        fit_prophet(&spec, y, n, x, 1, fixture_number(&fx, "t0"), 1);
    assert_string_equal(fit->method,
                        "Prophet(25 changepoints, yearly 10, weekly 3)");
    double objective = ll_fc_prophet_objective(fit);
    print_message("objective lualab %.10f, R L-BFGS-B %.10f\n", objective,
                  objective_r);
    /* At least as good a posterior mode as R's optimiser finds. */
    assert_true(objective <= objective_r + 1e-4);
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(y[i]));
        worst = fmax(worst, fabs(fit->fitted[i] - fitted_r[i]));
    }
    print_message("max |fitted - R fitted| = %g (max |y| %g)\n", worst, scale);
    assert_true(worst < 1e-3 * scale);
    assert_float_equal(param(fit, "coef_x1"), fixture_number(&fx, "reg_coef"),
                       1e-3);
    assert_float_equal(param(fit, "k"), fixture_number(&fx, "k"), 1e-3);
    assert_float_equal(param(fit, "sigma_obs"), fixture_number(&fx, "sigma"),
                       1e-5);
    char name[16];
    for (size_t j = 0; j < 25; j++) {
        snprintf(name, sizeof name, "delta%zu", j + 1);
        assert_float_equal(param(fit, name), delta_r[j], 2e-3);
    }
    ll_fc_fit_free(fit);
    free(y), free(x), free(fitted_r), free(delta_r);
    fixture_free(&fx);
}

static void test_prophet_recovers_known_model(void **state)
{
    (void)state;
    /* The fixture's series: trend 100 + 40 t + 60 (t - 0.4)+ - 150 (t -
     * 0.7)+ over t in [0, 1], weekly 8 sin, yearly 15 cos, 0.7 x, noise
     * sd 2. */
    fixture fx;
    assert_int_equal(fixture_load(&fx, "prophet_map"), 0);
    size_t n, nx;
    double *y = fixture_numbers(&fx, "y", &n);
    double *x = fixture_numbers(&fx, "x", &nx);
    double t0 = fixture_number(&fx, "t0");
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    ll_fc_fit *fit = fit_prophet(&spec, y, n, x, 1, t0, 1);
    /* 25 changepoints on history points over the first 80%. */
    size_t count;
    const double *cp = ll_fc_prophet_changepoints(fit, &count);
    assert_int_equal(count, 25);
    assert_float_equal(cp[0], 26.0 / 799.0, 1e-15);
    assert_float_equal(cp[24], 639.0 / 799.0, 1e-15);
    assert_float_equal(param(fit, "coef_x1"), 0.7, 0.03);
    double sse = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / (double)(n - 1), day = t0 + (double)i;
        double truth = 100 + 40 * t + 60 * fmax(t - 0.4, 0) -
                       150 * fmax(t - 0.7, 0) + 8 * sin(2 * M_PI * day / 7) +
                       15 * cos(2 * M_PI * day / 365.25) + 0.7 * x[i];
        sse += (fit->fitted[i] - truth) * (fit->fitted[i] - truth);
        scale = fmax(scale, fabs(y[i]));
    }
    double rmse = sqrt(sse / (double)n);
    print_message("rmse to the noiseless truth %g (noise sd 2)\n", rmse);
    assert_true(rmse < 0.6);
    /* The slope (in y per unit of scaled time) on each true segment, away
     * from the breaks where the Laplace prior spreads the change over
     * neighbouring changepoints: 40, 100, then -50. */
    double slope_at[3] = {0.2, 0.55, 0.9}, truth[3] = {40, 100, -50};
    char name[16];
    for (int s = 0; s < 3; s++) {
        double slope = param(fit, "k");
        for (size_t j = 0; j < count; j++) {
            snprintf(name, sizeof name, "delta%zu", j + 1);
            if (cp[j] <= slope_at[s])
                slope += param(fit, name);
        }
        slope *= scale;
        print_message("slope at %.2f: %g (true %g)\n", slope_at[s], slope,
                      truth[s]);
        assert_float_equal(slope, truth[s], 12);
    }
    ll_fc_fit_free(fit);
    free(y), free(x);
    fixture_free(&fx);
}

static void test_prophet_lab_linear_regressor(void **state)
{
    (void)state;
    /* The lab's case: the target is 0.00246 times a regressor (daily cycles
     * and daily trip duration); fit 500 days, forecast 30 more. */
    enum { N = 530, H = 30, FIT = N - H };
    double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = 60 + 25 * sin(i * 0.37) + 10 * test_normal();
        y[i] = 0.00246 * x[i];
    }
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    ll_fc_fit *fit = fit_prophet(&spec, y, FIT, x, 1, 17000, 1);
    assert_float_equal(param(fit, "coef_x1"), 0.00246, 1e-5);
    double mean[H], lo[H], hi[H], level = 95;
    ll_err err;
    assert_int_equal(
        ll_fc_predict(fit, H, x + FIT, &level, 1, mean, lo, hi, &err), LL_OK);
    double ybar = 0, ss = 0, sse = 0;
    for (int i = 0; i < H; i++)
        ybar += y[FIT + i] / H;
    for (int i = 0; i < H; i++) {
        ss += (y[FIT + i] - ybar) * (y[FIT + i] - ybar);
        sse += (y[FIT + i] - mean[i]) * (y[FIT + i] - mean[i]);
        assert_true(lo[i] <= mean[i] && mean[i] <= hi[i]);
    }
    double r2 = 1 - sse / ss;
    print_message("hold-out R2 %.8f\n", r2);
    assert_true(r2 > 0.9999);
    ll_fc_fit_free(fit);
}

static void test_prophet_lab_battery_data(void **state)
{
    (void)state;
    /* The lab's exercise 1 on its own data: Daily_Cycles_Used with
     * Daily_Trip_Duration as a regressor, the last 30 days held out.  The
     * lab's Prophet model scored NRMSE 0.0000592 (R2 = 1). */
    ll_gen_opts o;
    ll_gen_opts_init(&o);
    ll_buf csv;
    ll_buf_init(&csv);
    long rows;
    ll_err err;
    assert_int_equal(
        ll_gen_csv("daily-battery-time-series", &o, &csv, &rows, &err), LL_OK);
    assert_int_equal(rows, 1539);
    double *y = malloc((size_t)rows * sizeof *y);
    double *x = malloc((size_t)rows * sizeof *x);
    const char *line = strchr(ll_buf_str(&csv), '\n') + 1;
    for (long r = 0; r < rows; r++) {
        /* index, Date, id, age, trips, duration, cycles, ... */
        const char *p = line;
        for (int c = 0; c < 5; c++)
            p = strchr(p, ',') + 1;
        x[r] = strtod(p, NULL);
        p = strchr(p, ',') + 1;
        y[r] = strtod(p, NULL);
        line = strchr(line, '\n') + 1;
    }
    enum { H = 30 };
    size_t fit_n = (size_t)rows - H;
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    /* 2013-01-01 is day 15706 since 1970-01-01. */
    ll_fc_fit *fit = fit_prophet(&spec, y, fit_n, x, 1, 15706, 1);
    assert_string_equal(fit->method,
                        "Prophet(25 changepoints, yearly 10, weekly 3)");
    double mean[H];
    assert_int_equal(
        ll_fc_predict(fit, H, x + fit_n, NULL, 0, mean, NULL, NULL, &err),
        LL_OK);
    double lo = INFINITY, hi = -INFINITY, sse = 0, ybar = 0, ss = 0;
    for (int i = 0; i < H; i++)
        ybar += y[fit_n + i] / H;
    for (int i = 0; i < H; i++) {
        double v = y[fit_n + i];
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        sse += (v - mean[i]) * (v - mean[i]);
        ss += (v - ybar) * (v - ybar);
    }
    double nrmse = sqrt(sse / H) / (hi - lo), r2 = 1 - sse / ss;
    print_message("battery hold-out: NRMSE %.3g, R2 %.9f, coef %.12g\n", nrmse,
                  r2, param(fit, "coef_x1"));
    assert_true(nrmse < 5.92e-5);
    assert_true(r2 > 0.99999);
    ll_fc_fit_free(fit);
    free(y);
    free(x);
    ll_buf_free(&csv);
}

static void test_prophet_interval_coverage(void **state)
{
    (void)state;
    /* Linear trend plus weekly pattern plus N(0, 1) noise, 40 series:
     * the share of hold-out points inside the 80% and 95% intervals. */
    enum { N = 300, H = 14, REPS = 40 };
    double y[N + H];
    size_t in80 = 0, in95 = 0, total = 0;
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < N + H; i++)
            y[i] = 20 + 0.02 * i + 3 * sin(2 * M_PI * i / 7) + test_normal();
        ll_fc_spec spec;
        ll_fc_spec_init(&spec, "Prophet");
        spec.seed = (unsigned long long)r;
        ll_fc_fit *fit = fit_prophet(&spec, y, N, NULL, 0, 18000, 1);
        double mean[H], lo[2 * H], hi[2 * H], levels[] = {80, 95};
        ll_err err;
        assert_int_equal(
            ll_fc_predict(fit, H, NULL, levels, 2, mean, lo, hi, &err), LL_OK);
        for (int i = 0; i < H; i++) {
            double v = y[N + i];
            in80 += lo[i] <= v && v <= hi[i];
            in95 += lo[H + i] <= v && v <= hi[H + i];
            total++;
        }
        ll_fc_fit_free(fit);
    }
    double c80 = (double)in80 / (double)total,
           c95 = (double)in95 / (double)total;
    print_message("coverage: 80%% -> %.3f, 95%% -> %.3f\n", c80, c95);
    assert_true(c80 > 0.74 && c80 < 0.88);
    assert_true(c95 > 0.91 && c95 < 0.99);
}

static void test_prophet_seeded_and_restored(void **state)
{
    (void)state;
    enum { N = 120, H = 10 };
    double y[N];
    for (int i = 0; i < N; i++)
        y[i] = 5 + 0.1 * i + (i > 60 ? 0.3 * (i - 60) : 0) + test_normal();
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    spec.seed = 11;
    ll_fc_fit *fit = fit_prophet(&spec, y, N, NULL, 0, 0, 0);
    assert_string_equal(fit->method, "Prophet(25 changepoints)");
    double m1[H], lo1[H], hi1[H], m2[H], lo2[H], hi2[H], level = 90;
    ll_err err;
    assert_int_equal(ll_fc_predict(fit, H, NULL, &level, 1, m1, lo1, hi1, &err),
                     LL_OK);
    assert_int_equal(ll_fc_predict(fit, H, NULL, &level, 1, m2, lo2, hi2, &err),
                     LL_OK);
    assert_memory_equal(lo1, lo2, sizeof lo1);
    assert_memory_equal(hi1, hi2, sizeof hi1);
    /* Intervals widen with the horizon (future trend changes). */
    assert_true(hi1[H - 1] - lo1[H - 1] > hi1[0] - lo1[0]);
    ll_fc_fit *back;
    ll_fc_data data = {y, N, NULL, 0, 0, 0};
    assert_int_equal(ll_fc_prophet.restore(&fit->spec, fit->params,
                                           fit->nparams, &data, &back, &err),
                     LL_OK);
    assert_int_equal(
        ll_fc_predict(back, H, NULL, &level, 1, m2, lo2, hi2, &err), LL_OK);
    for (int i = 0; i < H; i++) {
        assert_float_equal(m1[i], m2[i], 1e-12);
        assert_float_equal(lo1[i], lo2[i], 1e-12);
    }
    ll_fc_fit_free(back);
    ll_fc_spec other = fit->spec;
    other.seed = 12;
    assert_int_equal(ll_fc_prophet.restore(&other, fit->params, fit->nparams,
                                           &data, &back, &err),
                     LL_OK);
    assert_int_equal(
        ll_fc_predict(back, H, NULL, &level, 1, m2, lo2, hi2, &err), LL_OK);
    assert_true(memcmp(lo1, lo2, sizeof lo1) != 0);
    ll_fc_fit_free(back);
    ll_fc_fit_free(fit);
}

static void test_prophet_constant_and_auto_seasons(void **state)
{
    (void)state;
    double y[60];
    for (int i = 0; i < 60; i++)
        y[i] = 42;
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    ll_fc_fit *fit = fit_prophet(&spec, y, 60, NULL, 0, 20000, 1);
    /* 59 days: weekly on, yearly off. */
    assert_string_equal(fit->method, "Prophet(25 changepoints, weekly 3)");
    double mean[5];
    ll_err err;
    assert_int_equal(
        ll_fc_predict(fit, 5, NULL, NULL, 0, mean, NULL, NULL, &err), LL_OK);
    for (int i = 0; i < 5; i++)
        assert_float_equal(mean[i], 42, 1e-6);
    ll_fc_fit_free(fit);
    /* Monthly steps over 3 years: yearly on, weekly off; few points, so
     * fewer changepoints (floor(0.8 * 36) - 1). */
    double z[36];
    for (int i = 0; i < 36; i++)
        z[i] = 10 + sin(2 * M_PI * i / 12);
    fit = fit_prophet(&spec, z, 36, NULL, 0, 10000, 30.4375);
    assert_string_equal(fit->method, "Prophet(25 changepoints, yearly 10)");
    ll_fc_fit_free(fit);
    fit = fit_prophet(&spec, z, 20, NULL, 0, 10000, 30.4375);
    assert_string_equal(fit->method, "Prophet(15 changepoints)");
    ll_fc_fit_free(fit);
    ll_fc_spec off = spec;
    off.weekly = 0;
    off.n_changepoints = 3;
    off.yearly = 2;
    fit = fit_prophet(&off, y, 60, NULL, 0, 20000, 1);
    assert_string_equal(fit->method, "Prophet(3 changepoints, yearly 2)");
    ll_fc_fit_free(fit);
}

static void test_prophet_bad_input(void **state)
{
    (void)state;
    double y[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, x[10] = {0};
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "Prophet");
    ll_fc_data data = {y, 1, NULL, 0, 0, 1};
    ll_fc_fit *fit = NULL;
    ll_err err;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "series too short: Prophet needs at least 2 "
                                 "observations, got 1");
    data.n = 10;
    data.x = x;
    data.k = 1;
    x[2] = NAN;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "Prophet: regressor 1 has a missing value "
                                 "(NA) at position 3");
    x[2] = 1;
    x[5] = 3;
    assert_int_equal(ll_fc_fit_series(&spec, &data, &fit, &err), LL_OK);
    double mean[2], xf[2] = {1, NAN};
    assert_int_equal(
        ll_fc_predict(fit, 2, NULL, NULL, 0, mean, NULL, NULL, &err),
        LL_EINVAL);
    assert_string_equal(err.msg, "Prophet(7 changepoints) was fitted with 1 "
                                 "regressors: the future regressors X are "
                                 "missing");
    assert_int_equal(ll_fc_predict(fit, 2, xf, NULL, 0, mean, NULL, NULL, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "Prophet: future regressor 1 has a missing "
                                 "value (NA) at step 2");
    assert_int_equal(ll_fc_predict(fit, 0, xf, NULL, 0, mean, NULL, NULL, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "forecast horizon h must be >= 1, got 0");
    ll_fc_param few[1] = {{"k", 1}};
    ll_fc_fit *back;
    assert_int_equal(
        ll_fc_prophet.restore(&fit->spec, few, 1, &data, &back, &err),
        LL_EINVAL);
    assert_string_equal(err.msg, "Prophet restore needs 11 params (k, m, "
                                 "delta1.., the seasonal and regressor "
                                 "betas, sigma_obs), got 1 of them");
    ll_fc_fit_free(fit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prophet_map_matches_r),
        cmocka_unit_test(test_prophet_recovers_known_model),
        cmocka_unit_test(test_prophet_lab_linear_regressor),
        cmocka_unit_test(test_prophet_lab_battery_data),
        cmocka_unit_test(test_prophet_interval_coverage),
        cmocka_unit_test(test_prophet_seeded_and_restored),
        cmocka_unit_test(test_prophet_constant_and_auto_seasons),
        cmocka_unit_test(test_prophet_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
