/* forecast/ets: a fit advanced one observation at a time with its
 * parameters fixed (the fit ops' update, used by the stream's
 * with_forecast) equals the fit restored from the same parameters on the
 * longer series, to 1e-9: forecasts, intervals, sigma2, fitted values
 * and criteria, for every ETS form on seasonal and plain series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "forecast/forecast.h"
#include "forecast_fixture.h"

static void assert_close(double a, double b, const char *what)
{
    if (!(fabs(a - b) <= 1e-9 * fmax(1, fabs(b)))) {
        print_error("%s: %.17g vs %.17g\n", what, a, b);
        fail();
    }
}

static ll_fc_fit *fit_series(const char *family, const char *model, int damped,
                             int m, const double *y, size_t n)
{
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, family);
    spec.season_length = m;
    if (model) {
        memcpy(spec.ets_model, model, 3);
        spec.damped = damped;
    }
    ll_fc_data d = {.y = y, .n = n};
    ll_fc_fit *f = NULL;
    ll_err err = {0};
    if (ll_fc_fit_series(&spec, &d, &f, &err)) {
        print_error("%s %s: %s\n", family, model ? model : "", err.msg);
        fail();
    }
    return f;
}

/* Fit on the first n0 values of y, feed the rest with update, and
 * compare with a restore on all n. */
static void check_form(const char *family, const char *model, int damped, int m,
                       const double *y, size_t n, size_t n0)
{
    ll_fc_fit *f = fit_series(family, model, damped, m, y, n0), *g = NULL;
    ll_fc_data d = {.y = y, .n = n};
    ll_err err = {0};
    assert_non_null(f->ops->update);
    for (size_t t = n0; t < n; t++)
        assert_int_equal(f->ops->update(f, y[t], NULL, &err), 0);
    d.n = n;
    assert_int_equal(
        f->family->restore(&f->spec, f->params, f->nparams, &d, &g, &err), 0);
    assert_string_equal(f->method, g->method);
    assert_int_equal(f->n, n);
    assert_int_equal(g->n, n);
    double lv[2] = {80, 95}, a[3][24], b[3][24];
    assert_int_equal(ll_fc_predict(f, 12, NULL, lv, 2, a[0], a[1], a[2], &err),
                     0);
    assert_int_equal(ll_fc_predict(g, 12, NULL, lv, 2, b[0], b[1], b[2], &err),
                     0);
    for (int i = 0; i < 12; i++)
        assert_close(a[0][i], b[0][i], f->method);
    for (int i = 0; i < 24; i++) {
        assert_close(a[1][i], b[1][i], "lower");
        assert_close(a[2][i], b[2][i], "upper");
    }
    assert_close(f->sigma2, g->sigma2, "sigma2");
    assert_close(f->loglik, g->loglik, "loglik");
    assert_close(f->aicc, g->aicc, "aicc");
    for (size_t t = 0; t < n; t++)
        assert_close(f->fitted[t], g->fitted[t], "fitted");
    ll_fc_fit_free(f);
    ll_fc_fit_free(g);
}

static void test_every_form(void **state)
{
    (void)state;
    fx_file fx;
    assert_int_equal(fx_load("AirPassengers", &fx), 0);
    const fx_line *y = fx_get(&fx, "y");
    size_t n = y->n, n0 = n - 30;
    const char *forms[] = {"ANN", "AAN", "AAA", "ANA", "MNN",
                           "MAN", "MAM", "MNM", "MAA", NULL};
    for (int k = 0; forms[k]; k++) {
        check_form("AutoETS", forms[k], 0, 12, y->v, n, n0);
        if (forms[k][1] == 'A')
            check_form("AutoETS", forms[k], 1, 12, y->v, n, n0);
    }
    check_form("AutoETS", NULL, -1, 12, y->v, n, n0);
    check_form("SES", NULL, -1, 1, y->v, n, n0);
    check_form("Holt", NULL, -1, 1, y->v, n, n0);
    check_form("HoltWinters", NULL, -1, 12, y->v, n, n0);
    fx_free(&fx);
    /* a plain series, one value at a time from its minimum on */
    assert_int_equal(fx_load("Nile", &fx), 0);
    y = fx_get(&fx, "y");
    check_form("AutoETS", NULL, -1, 1, y->v, y->n, 20);
    fx_free(&fx);
}

static void test_no_update(void **state)
{
    (void)state;
    double flat[30];
    for (int i = 0; i < 30; i++)
        flat[i] = 7;
    ll_fc_fit *f = fit_series("AutoETS", NULL, -1, 1, flat, 30);
    ll_err err;
    assert_int_equal(f->ops->update(f, 7, NULL, &err), LL_EINVAL);
    assert_string_equal(err.msg, "AutoETS: a constant or broken-down fit has "
                                 "no states to advance");
    ll_fc_fit_free(f);
    /* families without an update say so by a NULL */
    f = fit_series("Naive", NULL, -1, 1, flat, 30);
    assert_null(f->ops->update);
    ll_fc_fit_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_form),
        cmocka_unit_test(test_no_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
