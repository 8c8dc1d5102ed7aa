/* forecast/arima: ARIMA and AutoARIMA against R forecast 8.20 (fixtures
 * written by tests/fixtures/make_forecast_arima.R): fixed-order
 * likelihoods, coefficients and forecasts, auto.arima's chosen orders, the
 * unit-root statistics, restore, and bad inputs with their messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forecast/arima.h"
#include "forecast/forecast.h"

/* One fixture file: "key v1 v2 ..." lines. */
typedef struct fx_line {
    char key[32];
    char *text; /* the rest of the line */
    double *v;
    size_t n;
} fx_line;

typedef struct fixture {
    fx_line lines[64];
    size_t nlines;
} fixture;

static void fx_free(fixture *f)
{
    for (size_t i = 0; i < f->nlines; i++) {
        free(f->lines[i].text);
        free(f->lines[i].v);
    }
    f->nlines = 0;
}

static int fx_load(const char *path, fixture *f)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    memset(f, 0, sizeof *f);
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    while (fgets(buf, (int)cap, fp) && f->nlines < 64) {
        fx_line *l = &f->lines[f->nlines++];
        buf[strcspn(buf, "\n")] = 0;
        char *sp = strchr(buf, ' ');
        size_t kl = sp ? (size_t)(sp - buf) : strlen(buf);
        if (kl >= sizeof l->key)
            kl = sizeof l->key - 1;
        memcpy(l->key, buf, kl);
        l->key[kl] = 0;
        l->text = strdup(sp ? sp + 1 : "");
        size_t vc = 16;
        l->v = malloc(vc * sizeof *l->v);
        char *s = l->text, *end;
        for (;;) {
            double x = strtod(s, &end);
            if (end == s)
                break;
            if (l->n == vc) {
                vc *= 2;
                l->v = realloc(l->v, vc * sizeof *l->v);
            }
            l->v[l->n++] = x;
            s = end;
        }
    }
    free(buf);
    fclose(fp);
    return 0;
}

static const fx_line *fx_get(const fixture *f, const char *key)
{
    for (size_t i = 0; i < f->nlines; i++)
        if (strcmp(f->lines[i].key, key) == 0)
            return &f->lines[i];
    return NULL;
}

static double rel_err(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-8);
}

/* Fit the fixture's series with spec; data filled from the fixture. */
static int fit_fixture(const fixture *f, ll_fc_spec *spec, ll_fc_fit **fit,
                       ll_err *err)
{
    const fx_line *y = fx_get(f, "y"), *x = fx_get(f, "x"), *k = fx_get(f, "k");
    ll_fc_data d = {.y = y->v, .n = y->n};
    if (k) {
        d.k = (size_t)k->v[0];
        d.x = x->v;
    }
    spec->season_length = (int)fx_get(f, "m")->v[0];
    return ll_fc_fit_series(spec, &d, fit, err);
}

/* Forecasts of fit against the fixture's; returns the largest relative
 * error over mean and the 80/95% bounds. */
static double forecast_err(const fixture *f, const ll_fc_fit *fit)
{
    size_t h = (size_t)fx_get(f, "h")->v[0];
    const fx_line *xf = fx_get(f, "xf");
    double levels[2] = {80, 95};
    double *mean = malloc(h * sizeof *mean), *lo = malloc(2 * h * sizeof *lo),
           *hi = malloc(2 * h * sizeof *hi);
    ll_err err;
    int rc =
        ll_fc_predict(fit, h, xf ? xf->v : NULL, levels, 2, mean, lo, hi, &err);
    assert_int_equal(rc, 0);
    const fx_line *rm = fx_get(f, "mean_fc"), *l80 = fx_get(f, "lo80"),
                  *h80 = fx_get(f, "hi80"), *l95 = fx_get(f, "lo95"),
                  *h95 = fx_get(f, "hi95");
    double worst = 0;
    for (size_t i = 0; i < h; i++) {
        /* relative to the interval width so near-zero means are fair */
        double scale = fmax(fabs(rm->v[i]), h95->v[i] - l95->v[i]);
        worst = fmax(worst, fabs(mean[i] - rm->v[i]) / scale);
        worst = fmax(worst, fabs(lo[i] - l80->v[i]) / scale);
        worst = fmax(worst, fabs(hi[i] - h80->v[i]) / scale);
        worst = fmax(worst, fabs(lo[h + i] - l95->v[i]) / scale);
        worst = fmax(worst, fabs(hi[h + i] - h95->v[i]) / scale);
    }
    free(mean), free(lo), free(hi);
    return worst;
}

typedef void (*fx_fn)(const char *name, const fixture *f, void *ctx);

static int for_each_fixture(const char *prefix, fx_fn fn, void *ctx)
{
    DIR *dir = opendir(FIXTURE_DIR);
    assert_non_null(dir);
    char names[128][128];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && count < 128)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            snprintf(names[count++], sizeof names[0], "%.100s", e->d_name);
    closedir(dir);
    qsort(names, (size_t)count, sizeof names[0],
          (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < count; i++) {
        char path[1024];
        fixture f;
        snprintf(path, sizeof path, "%s/%.127s", FIXTURE_DIR, names[i]);
        assert_int_equal(fx_load(path, &f), 0);
        fn(names[i], &f, ctx);
        fx_free(&f);
    }
    return count;
}

/* ---- the two likelihoods ----------------------------------------------- */

static void test_filters_agree(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/auto_USAccDeaths.txt", FIXTURE_DIR);
    fixture f;
    assert_int_equal(fx_load(path, &f), 0);
    const fx_line *y = fx_get(&f, "y");
    /* stationary models: the Chandrasekhar recursions and the Kalman
     * filter compute the same likelihood */
    struct {
        int order[7];
        double coef[4];
    } st[] = {
        {{1, 0, 0, 0, 0, 0, 1}, {0.6}},
        {{2, 0, 1, 0, 0, 0, 1}, {0.5, -0.3, 0.4}},
        {{1, 0, 1, 1, 0, 1, 12}, {0.4, 0.2, 0.5, -0.3}},
        {{0, 0, 2, 0, 0, 0, 1}, {-0.9, 0.2}},
    };
    double mean = 0;
    for (size_t i = 0; i < y->n; i++)
        mean += y->v[i];
    mean /= (double)y->n;
    double *yc = malloc(y->n * sizeof *yc);
    for (size_t i = 0; i < y->n; i++)
        yc[i] = y->v[i] - mean;
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        double l0, l1;
        assert_int_equal(
            ll_fc_arima_loglik(yc, y->n, st[i].order, st[i].coef, 0, &l0), 0);
        assert_int_equal(
            ll_fc_arima_loglik(yc, y->n, st[i].order, st[i].coef, 1, &l1), 0);
        assert_true(rel_err(l1, l0) < 1e-10);
    }
    /* with differencing they differ only through R's finite diffuse prior
     * (1e6): here by 0.0011 in -425.44 (2.6e-6); R's value for the airline
     * model (fixed_USAccDeaths_011_011) is the full filter's */
    int airline[7] = {0, 1, 1, 0, 1, 1, 12};
    snprintf(path, sizeof path, "%s/fixed_USAccDeaths_011_011.txt",
             FIXTURE_DIR);
    fixture g;
    assert_int_equal(fx_load(path, &g), 0);
    const double *coef = fx_get(&g, "coef")->v;
    double r_ll = fx_get(&g, "loglik")->v[0], l0, l1;
    assert_int_equal(ll_fc_arima_loglik(y->v, y->n, airline, coef, 0, &l0), 0);
    assert_int_equal(ll_fc_arima_loglik(y->v, y->n, airline, coef, 1, &l1), 0);
    assert_true(rel_err(l0, r_ll) < 1e-9);
    printf("# airline: full %.12g fast %.12g R %.12g\n", l0, l1, r_ll);
    assert_true(rel_err(l1, l0) < 1e-5);
    /* a non-stationary AR part has no stationary start */
    int ar1[7] = {1, 0, 0, 0, 0, 0, 1};
    double bad = 1.2;
    assert_int_equal(ll_fc_arima_loglik(yc, y->n, ar1, &bad, 0, &l0),
                     LL_ERANGE);
    free(yc);
    fx_free(&f);
    fx_free(&g);
}

/* ---- fixed orders ------------------------------------------------------ */

static void check_fixed(const char *name, const fixture *f, void *ctx)
{
    (void)ctx;
    const fx_line *o = fx_get(f, "order");
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "ARIMA");
    spec.p = (int)o->v[0], spec.d = (int)o->v[1], spec.q = (int)o->v[2];
    spec.P = (int)o->v[3], spec.D = (int)o->v[4], spec.Q = (int)o->v[5];
    spec.include_drift = (int)fx_get(f, "drift")->v[0];
    int has_mean = (int)fx_get(f, "mean")->v[0];
    if (!has_mean && spec.d + spec.D == 0)
        spec.include_mean = 0;
    ll_fc_fit *fit = NULL;
    ll_err err = {0};
    int rc = fit_fixture(f, &spec, &fit, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    assert_int_equal(rc, 0);
    const fx_line *coef = fx_get(f, "coef");
    double ll = fx_get(f, "loglik")->v[0];
    double ce = 0;
    for (size_t i = 0; i < coef->n; i++)
        ce = fmax(ce, fabs(fit->params[i].value - coef->v[i]) /
                          fmax(fabs(coef->v[i]), 0.01));
    double fe = forecast_err(f, fit);
    printf("# %-40s %-45s loglik %.6f (R %.6f) coef %.1e fc %.1e\n", name,
           fit->method, fit->loglik, ll, ce, fe);
    assert_int_equal(fit->nparams, coef->n);
    assert_string_equal(fit->method, fx_get(f, "method")->text);
    assert_true(rel_err(fit->loglik, ll) < 1e-4);
    assert_true(rel_err(fit->aicc, fx_get(f, "aicc")->v[0]) < 1e-4);
    assert_true(rel_err(fit->sigma2, fx_get(f, "sigma2")->v[0]) < 1e-3);
    assert_true(ce < 1e-3);
    assert_true(fe < 1e-3);
    ll_fc_fit_free(fit);
}

static void test_fixed_orders(void **state)
{
    (void)state;
    assert_true(for_each_fixture("fixed_", check_fixed, NULL) >= 10);
    assert_true(for_each_fixture("xreg_fixed", check_fixed, NULL) >= 2);
}

/* ---- AutoARIMA --------------------------------------------------------- */

typedef struct auto_stats {
    int total, same;
    double cpu;
    double r_cpu;
} auto_stats;

static void check_auto(const char *name, const fixture *f, void *ctx)
{
    auto_stats *st = ctx;
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "AutoARIMA");
    spec.stepwise = strncmp(name, "exh_", 4) != 0;
    ll_fc_fit *fit = NULL;
    ll_err err = {0};
    clock_t t0 = clock();
    int rc = fit_fixture(f, &spec, &fit, &err);
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    assert_int_equal(rc, 0);
    const char *want = fx_get(f, "method")->text;
    int same = strcmp(fit->method, want) == 0;
    const fx_line *rcpu = fx_get(f, "cpu");
    st->total++;
    st->same += same;
    st->cpu += cpu;
    st->r_cpu += rcpu ? rcpu->v[0] : 0;
    double fe = same ? forecast_err(f, fit) : (double)NAN;
    printf("# %-28s %-42s R %-42s aicc %.3f (R %.3f) fc %.1e cpu %.3f s "
           "(R %.3f s)\n",
           name, fit->method, want, fit->aicc, fx_get(f, "aicc")->v[0], fe, cpu,
           rcpu ? rcpu->v[0] : (double)NAN);
    if (same) {
        assert_true(rel_err(fit->aicc, fx_get(f, "aicc")->v[0]) < 1e-3);
        assert_true(fe < 1e-2);
    } else {
        /* a different choice must not be a worse one by R's own measure:
         * our AICc within 2 of R's (a near tie) or better */
        assert_true(fit->aicc < fx_get(f, "aicc")->v[0] + 2);
    }
    ll_fc_fit_free(fit);
}

static void test_auto_orders(void **state)
{
    (void)state;
    auto_stats st = {0};
    for_each_fixture("auto_", check_auto, &st);
    for_each_fixture("xreg_auto", check_auto, &st);
    for_each_fixture("xreg_dax", check_auto, &st);
    for_each_fixture("exh_", check_auto, &st);
    printf("# AutoARIMA: same order as R on %d of %d series; CPU %.3f s "
           "(R %.3f s, ratio %.3f)\n",
           st.same, st.total, st.cpu, st.r_cpu, st.cpu / st.r_cpu);
    assert_true(st.total >= 45);
    /* R forecast 8.20 picks the same order on all of them today; leave
     * room for a near tie (checked per series above) */
    assert_true(st.same * 20 >= st.total * 19);
    /* the bound: at most a quarter of R's CPU (about 2% here) */
    assert_true(st.cpu < 0.25 * st.r_cpu);
}

/* ---- unit-root tests -------------------------------------------------- */

static void test_unitroot(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/unitroot.txt", FIXTURE_DIR);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[256];
    int rows = 0, same_d = 0, same_D = 0;
    while (fgets(line, sizeof line, fp)) {
        char name[64], ss_txt[64];
        double kpss;
        int D, d;
        if (sscanf(line, "%63s %lf %63s %d %d", name, &kpss, ss_txt, &D, &d) !=
            5)
            continue;
        char fx[512];
        snprintf(fx, sizeof fx, "%s/auto_%s.txt", FIXTURE_DIR, name);
        fixture f;
        assert_int_equal(fx_load(fx, &f), 0);
        const fx_line *y = fx_get(&f, "y");
        int m = (int)fx_get(&f, "m")->v[0];
        double k = ll_fc_kpss(y->v, y->n, -1);
        assert_true(rel_err(k, kpss) < 1e-9);
        double ss = strtod(ss_txt, NULL);
        int myD = 0;
        if (m > 1 && y->n > 2 * (size_t)m) {
            double s = ll_fc_seasonal_strength(y->v, y->n, m);
            if (fabs(s - ss) > 1e-6)
                printf("# %s seasonal strength %.9f R %.9f\n", name, s, ss);
            assert_true(fabs(s - ss) < 1e-6);
            myD = ll_fc_nsdiffs(y->v, y->n, m, 1);
        }
        double *w = malloc(y->n * sizeof *w);
        memcpy(w, y->v, y->n * sizeof *w);
        size_t len = y->n;
        if (myD > 0) {
            for (size_t i = 0; i + (size_t)m < len; i++)
                w[i] = w[i + (size_t)m] - w[i];
            len -= (size_t)m;
        }
        int myd = ll_fc_ndiffs(w, len, 2);
        free(w);
        same_D += myD == D;
        same_d += myd == d;
        rows++;
        fx_free(&f);
    }
    fclose(fp);
    assert_true(rows >= 30);
    assert_int_equal(same_D, rows);
    assert_int_equal(same_d, rows);
}

/* ---- restore, constants, bad input ------------------------------------- */

static void test_restore(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/auto_USAccDeaths.txt", FIXTURE_DIR);
    fixture f;
    assert_int_equal(fx_load(path, &f), 0);
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "AutoARIMA");
    ll_fc_fit *fit = NULL, *back = NULL;
    ll_err err;
    assert_int_equal(fit_fixture(&f, &spec, &fit, &err), 0);
    const fx_line *y = fx_get(&f, "y");
    ll_fc_data d = {.y = y->v, .n = y->n};
    const ll_fc_family *fam = ll_fc_family_find("AutoARIMA");
    assert_int_equal(
        fam->restore(&fit->spec, fit->params, fit->nparams, &d, &back, &err),
        0);
    assert_string_equal(back->method, fit->method);
    assert_true(rel_err(back->loglik, fit->loglik) < 1e-12);
    assert_true(rel_err(back->aicc, fit->aicc) < 1e-12);
    double m1[12], m2[12], lv = 95, lo1[12], hi1[12], lo2[12], hi2[12];
    assert_int_equal(ll_fc_predict(fit, 12, NULL, &lv, 1, m1, lo1, hi1, &err),
                     0);
    assert_int_equal(ll_fc_predict(back, 12, NULL, &lv, 1, m2, lo2, hi2, &err),
                     0);
    for (int i = 0; i < 12; i++) {
        assert_true(fabs(m1[i] - m2[i]) < 1e-9 * fabs(m1[i]));
        assert_true(fabs(hi1[i] - hi2[i]) < 1e-9 * fabs(hi1[i]));
    }
    ll_fc_fit_free(fit);
    ll_fc_fit_free(back);
    fx_free(&f);
}

static void test_constant_series(void **state)
{
    (void)state;
    double y[30];
    for (int i = 0; i < 30; i++)
        y[i] = 4.25;
    ll_fc_data d = {.y = y, .n = 30};
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "AutoARIMA");
    spec.season_length = 4;
    ll_fc_fit *fit = NULL;
    ll_err err;
    assert_int_equal(ll_fc_fit_series(&spec, &d, &fit, &err), 0);
    assert_string_equal(fit->method, "ARIMA(0,0,0) with non-zero mean");
    double mean[5], lv = 95, lo[5], hi[5];
    assert_int_equal(ll_fc_predict(fit, 5, NULL, &lv, 1, mean, lo, hi, &err),
                     0);
    for (int i = 0; i < 5; i++) {
        assert_true(fabs(mean[i] - 4.25) < 1e-12);
        assert_true(fabs(hi[i] - 4.25) < 1e-9);
    }
    ll_fc_fit_free(fit);
}

static void test_bad_input(void **state)
{
    (void)state;
    double y[40];
    for (int i = 0; i < 40; i++)
        y[i] = sin(i * 0.7) + 0.05 * i;
    ll_fc_data d = {.y = y, .n = 10};
    ll_fc_spec spec;
    ll_fc_fit *fit = NULL;
    ll_err err;
    /* too short for the seasonal order */
    ll_fc_spec_init(&spec, "ARIMA");
    spec.season_length = 12;
    spec.p = 0, spec.d = 1, spec.q = 1, spec.P = 0, spec.D = 1, spec.Q = 1;
    assert_int_equal(ll_fc_fit_series(&spec, &d, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "series too short: ARIMA with season_length "
                                 "12 needs at least 28 observations, got 10");
    /* NA in the target */
    y[5] = NAN;
    d.n = 40;
    ll_fc_spec_init(&spec, "AutoARIMA");
    assert_int_equal(ll_fc_fit_series(&spec, &d, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "AutoARIMA: the target has a missing value "
                                 "(NA) at position 6; fill or drop it first");
    y[5] = 0.3;
    /* a CSS start outside the stationary region */
    double walk[60];
    walk[0] = 1;
    for (int i = 1; i < 60; i++)
        walk[i] = walk[i - 1] * 1.08 + (i % 3 == 0 ? 0.5 : -0.2);
    ll_fc_data w = {.y = walk, .n = 60};
    ll_fc_spec_init(&spec, "ARIMA");
    spec.p = 1, spec.d = 0, spec.q = 0;
    spec.include_mean = 0;
    assert_int_equal(ll_fc_fit_series(&spec, &w, &fit, &err), LL_EINVAL);
    assert_string_equal(err.msg, "ARIMA: non-stationary AR part from CSS");
    /* regressors fitted but missing in the future */
    double x[40];
    for (int i = 0; i < 40; i++)
        x[i] = (i % 5) * 1.0;
    ll_fc_data dx = {.y = y, .n = 40, .x = x, .k = 1};
    ll_fc_spec_init(&spec, "ARIMA");
    spec.p = 1, spec.d = 0, spec.q = 0;
    assert_int_equal(ll_fc_fit_series(&spec, &dx, &fit, &err), 0);
    assert_string_equal(fit->method, "Regression with ARIMA(1,0,0) errors");
    double mean[3];
    assert_int_equal(
        ll_fc_predict(fit, 3, NULL, NULL, 0, mean, NULL, NULL, &err),
        LL_EINVAL);
    assert_string_equal(err.msg,
                        "Regression with ARIMA(1,0,0) errors was fitted with "
                        "1 regressors: the future regressors X are missing");
    assert_int_equal(
        ll_fc_predict(fit, 0, NULL, NULL, 0, mean, NULL, NULL, &err),
        LL_EINVAL);
    assert_string_equal(err.msg, "forecast horizon h must be >= 1, got 0");
    ll_fc_fit_free(fit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unitroot),
        cmocka_unit_test(test_filters_agree),
        cmocka_unit_test(test_fixed_orders),
        cmocka_unit_test(test_auto_orders),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_constant_series),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
