/* forecast/panel: frequency inference, the forecast calendar, and fitting
 * many series on several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/panel.h"
#include "util/calendar.h"

static double day(int y, int m, int d)
{
    return (double)ll_days_from_civil(y, (unsigned)m, (unsigned)d);
}

static void test_infer(void **state)
{
    (void)state;
    double t[24];
    ll_fc_freq f;
    ll_err err = {0};
    for (int i = 0; i < 24; i++)
        t[i] = day(2020 + i / 12, i % 12 + 1, 1);
    assert_int_equal(ll_fc_infer_freq(t, 24, LL_FC_TIME_DATE, &f, &err), 0);
    assert_string_equal(f.name, "monthly");
    assert_int_equal(f.season_length, 12);
    for (int i = 0; i < 24; i++)
        t[i] = day(2020, 1, 1) + 7 * i;
    assert_int_equal(ll_fc_infer_freq(t, 24, LL_FC_TIME_DATE, &f, &err), 0);
    assert_string_equal(f.name, "weekly");
    assert_int_equal(f.season_length, 52);
    for (int i = 0; i < 24; i++)
        t[i] = day(2000 + i / 4, 3 * (i % 4) + 1, 1);
    assert_int_equal(ll_fc_infer_freq(t, 24, LL_FC_TIME_DATE, &f, &err), 0);
    assert_string_equal(f.name, "quarterly");
    assert_int_equal(f.season_length, 4);
    for (int i = 0; i < 24; i++)
        t[i] = 1.7e12 + 3600e3 * i; /* hourly datetimes, ms */
    assert_int_equal(ll_fc_infer_freq(t, 24, LL_FC_TIME_DATETIME, &f, &err), 0);
    assert_string_equal(f.name, "hourly");
    assert_int_equal(f.season_length, 24);
    for (int i = 0; i < 24; i++)
        t[i] = 5 * i;
    assert_int_equal(ll_fc_infer_freq(t, 24, LL_FC_TIME_NUMBER, &f, &err), 0);
    assert_string_equal(f.name, "step 5");
    for (int i = 0; i < 24; i++)
        t[i] = 3;
    assert_int_equal(ll_fc_infer_freq(t, 24, LL_FC_TIME_NUMBER, &f, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "the time column does not advance "
                                 "(duplicate times in a series)");
}

static void test_calendar(void **state)
{
    (void)state;
    ll_fc_freq f;
    ll_err err = {0};
    double t[3] = {day(2023, 11, 30), day(2023, 12, 31), day(2024, 1, 31)};
    assert_int_equal(ll_fc_infer_freq(t, 3, LL_FC_TIME_DATE, &f, &err), 0);
    /* The ends of months stay ends of months, across a leap February. */
    assert_true(ll_fc_next_time(&f, LL_FC_TIME_DATE, t[2], 1) ==
                day(2024, 2, 29));
    assert_true(ll_fc_next_time(&f, LL_FC_TIME_DATE, t[2], 2) ==
                day(2024, 3, 31));
    assert_true(ll_fc_next_time(&f, LL_FC_TIME_DATE, t[2], 14) ==
                day(2025, 3, 31));
    /* A mid-month day keeps its day. */
    assert_true(ll_fc_next_time(&f, LL_FC_TIME_DATE, day(2024, 1, 15), 13) ==
                day(2025, 2, 15));
    char buf[40];
    ll_fc_format_time(LL_FC_TIME_DATE, day(2024, 2, 29), buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29");
}

static void test_threads(void **state)
{
    (void)state;
    /* 40 series of 60 monthly values, rows shuffled. */
    size_t ns = 40, len = 60, n = ns * len;
    int64_t *g = malloc(n * sizeof *g);
    double *t = malloc(n * sizeof *t), *y = malloc(n * sizeof *y);
    uint64_t s = 99;
    for (size_t i = 0; i < n; i++) {
        size_t k = i / len, j = i % len;
        g[i] = (int64_t)k;
        t[i] = day(2015 + (int)j / 12, (int)j % 12 + 1, 1);
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        y[i] = 100 + (double)k + 10 * sin(2 * M_PI * (double)j / 12) +
               0.3 * (double)j + (double)(s % 1000) / 200.0;
    }
    for (size_t i = n - 1; i > 0; i--) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        size_t r = s % (i + 1);
        int64_t tg = g[i];
        g[i] = g[r], g[r] = tg;
        double tt = t[i];
        t[i] = t[r], t[r] = tt;
        tt = y[i], y[i] = y[r], y[r] = tt;
    }
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "AutoETS");
    ll_fc_panel *p1, *p2;
    ll_err err = {0};
    ll_fc_panel_opts o = {.spec = &spec,
                          .threads = 1,
                          .fill = LL_FC_FILL_NONE,
                          .time_kind = LL_FC_TIME_DATE};
    assert_int_equal(ll_fc_panel_fit(g, ns, t, y, n, &o, &p1, &err), 0);
    o.threads = 2;
    assert_int_equal(ll_fc_panel_fit(g, ns, t, y, n, &o, &p2, &err), 0);
    assert_int_equal(p1->spec.season_length, 12);
    for (size_t k = 0; k < ns; k++) {
        assert_non_null(p1->fits[k]);
        assert_string_equal(p1->fits[k]->method, p2->fits[k]->method);
        assert_true(p1->fits[k]->aicc == p2->fits[k]->aicc);
        assert_true(ll_fc_panel_future_time(p1, k, 1) == day(2020, 1, 1));
    }
    ll_fc_panel_free(p1);
    ll_fc_panel_free(p2);
    /* A duplicate time in one series. */
    t[1] = t[0];
    g[1] = g[0];
    assert_int_equal(ll_fc_panel_fit(g, ns, t, y, n, &o, &p1, &err), LL_EINVAL);
    assert_non_null(strstr(err.msg, "has two rows at time"));
    free(g), free(t), free(y);
}

static void test_fill(void **state)
{
    (void)state;
    double a[7] = {NAN, 1, NAN, NAN, 4, NAN, NAN};
    double b[7];
    memcpy(b, a, sizeof a);
    size_t skip;
    ll_err err = {0};
    assert_int_equal(ll_fc_fill(a, 7, LL_FC_FILL_FFILL, &skip, &err), 0);
    assert_int_equal(skip, 1);
    double fa[6] = {1, 1, 1, 4, 4, 4};
    for (int i = 0; i < 6; i++)
        assert_true(a[i + 1] == fa[i]);
    assert_int_equal(ll_fc_fill(b, 7, LL_FC_FILL_INTERPOLATE, &skip, &err), 0);
    double fb[6] = {1, 2, 3, 4, 4, 4};
    for (int i = 0; i < 6; i++)
        assert_true(fabs(b[i + 1] - fb[i]) < 1e-12);
    double c[2] = {NAN, NAN};
    assert_int_equal(ll_fc_fill(c, 2, LL_FC_FILL_FFILL, &skip, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "the target has no values");
    double d[3] = {1, NAN, 3};
    assert_int_equal(ll_fc_fill(d, 3, LL_FC_FILL_NONE, &skip, &err), LL_EINVAL);
    assert_string_equal(err.msg, "the target has a missing value (NA) at "
                                 "position 2; use fill = \"ffill\" or "
                                 "\"interpolate\"");
}

static void test_gaps_and_regressors(void **state)
{
    (void)state;
    /* Two monthly series of 24 months; series 1 lacks 2020-03 and 2020-04.
     * y = 3 x exactly, x a regressor. */
    enum { LEN = 24 };
    int64_t g[2 * LEN];
    double t[2 * LEN], y[2 * LEN], x[2 * LEN];
    size_t n = 0;
    for (int s = 0; s < 2; s++)
        for (int j = 0; j < LEN; j++) {
            if (s == 1 && (j == 2 || j == 3))
                continue;
            g[n] = s;
            t[n] = day(2020 + j / 12, j % 12 + 1, 1);
            x[n] = 10 + (j * 7 % 5);
            y[n] = 3 * x[n];
            n++;
        }
    ll_fc_freq f;
    ll_err err = {0};
    assert_int_equal(ll_fc_infer_freq(t, LEN, LL_FC_TIME_DATE, &f, &err), 0);
    assert_int_equal(ll_fc_periods_between(&f, LL_FC_TIME_DATE, day(2020, 2, 1),
                                           day(2020, 5, 1)),
                     3);
    assert_int_equal(ll_fc_periods_between(&f, LL_FC_TIME_DATE, day(2020, 2, 1),
                                           day(2020, 3, 1)),
                     1);
    /* Off the calendar: one period. */
    assert_int_equal(ll_fc_periods_between(&f, LL_FC_TIME_DATE, day(2020, 2, 1),
                                           day(2020, 4, 17)),
                     1);
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, "HistoricAverage");
    ll_fc_panel *p;
    ll_fc_panel_opts o = {.spec = &spec,
                          .threads = 2,
                          .fill = LL_FC_FILL_NONE,
                          .time_kind = LL_FC_TIME_DATE};
    assert_int_equal(ll_fc_panel_fit(g, 2, t, y, n, &o, &p, &err), 0);
    assert_non_null(p->fits[0]);
    assert_null(p->fits[1]);
    assert_string_equal(p->errs[1].msg,
                        "no row at 2020-03-01 (a gap in the monthly "
                        "calendar); use fill = \"ffill\" or \"interpolate\"");
    assert_int_equal(p->len[1], LEN);
    assert_true(p->gap_time[1] == day(2020, 3, 1));
    assert_true(isnan(p->gap_time[0]));
    ll_fc_panel_free(p);
    o.fill = LL_FC_FILL_INTERPOLATE;
    assert_int_equal(ll_fc_panel_fit(g, 2, t, y, n, &o, &p, &err), 0);
    assert_non_null(p->fits[1]);
    assert_int_equal(p->fits[1]->n, LEN);
    /* months 2 and 3 interpolated between y[1] = 36 and y[4] = 39 */
    assert_true(fabs(p->y[p->start[1] + 2] - 37) < 1e-12);
    assert_true(fabs(p->y[p->start[1] + 3] - 38) < 1e-12);
    ll_fc_panel_free(p);
    /* Regressors go with their rows (reordered), NA named with its time. */
    const char *names[] = {"temp"};
    ll_fc_spec_init(&spec, "Prophet");
    spec.n_changepoints = 0;
    o = (ll_fc_panel_opts){.spec = &spec,
                           .threads = 1,
                           .fill = LL_FC_FILL_NONE,
                           .time_kind = LL_FC_TIME_DATE,
                           .k = 1,
                           .xnames = names};
    /* series 0 only, rows reversed */
    int64_t g0[LEN];
    double t0[LEN], y0[LEN], x0[LEN];
    for (int j = 0; j < LEN; j++) {
        g0[j] = 0;
        t0[j] = t[LEN - 1 - j];
        y0[j] = y[LEN - 1 - j];
        x0[j] = x[LEN - 1 - j];
    }
    o.x = x0;
    assert_int_equal(ll_fc_panel_fit(g0, 1, t0, y0, LEN, &o, &p, &err), 0);
    assert_non_null(p->fits[0]);
    assert_int_equal(p->fits[0]->k, 1);
    assert_true(p->x[5] == x[5]);
    double xf[2] = {20, 11}, mean[2];
    assert_int_equal(
        ll_fc_predict(p->fits[0], 2, xf, NULL, 0, mean, NULL, NULL, &err), 0);
    assert_true(fabs(mean[0] - 60) < 1e-3 && fabs(mean[1] - 33) < 1e-3);
    ll_fc_panel_free(p);
    x0[LEN - 1 - 6] = NAN; /* 2020-07-01 */
    assert_int_equal(ll_fc_panel_fit(g0, 1, t0, y0, LEN, &o, &p, &err), 0);
    assert_null(p->fits[0]);
    assert_string_equal(p->errs[0].msg, "regressor 'temp' has a missing "
                                        "value (NA) at 2020-07-01");
    ll_fc_panel_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_gaps_and_regressors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
