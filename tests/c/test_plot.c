/* Tests for plot/chart.c, render_text.c, render_svg.c: golden charts of
 * every kind (UTF-8 and ASCII), ticks, calendar ticks, histogram bins
 * against numpy, degenerate data, speed, live-update registry.
 *
 * Goldens live in tests/fixtures/plot/<name>.txt.  To rewrite them after
 * an intended change: LL_UPDATE_GOLDEN=1 tests/c/test_plot (then look at
 * every diff). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plot/plot.h"
#include "util/fsutil.h"

static char *fixture_path(const char *name)
{
    const char *src = getenv("top_srcdir");
    static char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/plot/%s", src ? src : ".",
             name);
    return path;
}

static void golden(const char *name, const char *got)
{
    const char *path = fixture_path(name);
    ll_err err;
    if (getenv("LL_UPDATE_GOLDEN")) {
        assert_int_equal(ll_write_file_atomic(path, got, strlen(got), &err), 0);
        return;
    }
    char *want = NULL;
    size_t len = 0;
    if (ll_read_file(path, &want, &len, &err) != 0)
        fail_msg("missing golden %s: %s", path, err.msg);
    if (strcmp(want, got) != 0)
        fprintf(stderr, "# %s differs; got:\n%s", name, got);
    assert_string_equal(want, got);
    free(want);
}

static char *render(const ll_plot *p, int w, int h, int unicode, int color)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_err err;
    assert_int_equal(ll_plot_render_text(p, w, h, unicode, color, &b, &err), 0);
    return ll_buf_take(&b);
}

static void golden_both(const char *name, const ll_plot *p, int w, int h)
{
    char file[128];
    char *t = render(p, w, h, 1, 0);
    snprintf(file, sizeof file, "%s.txt", name);
    golden(file, t);
    free(t);
    t = render(p, w, h, 0, 0);
    snprintf(file, sizeof file, "%s.ascii.txt", name);
    golden(file, t);
    free(t);
}

/* ---- the lab's charts ---- */

static ll_plot *loss_curve(void)
{
    double tr[40], va[40];
    for (int i = 0; i < 40; i++) {
        tr[i] = 0.9 * exp(-i / 8.0) + 0.04 + 0.01 * sin(i * 1.7);
        va[i] = 0.95 * exp(-i / 10.0) + 0.09 + 0.015 * cos(i * 1.3);
    }
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, NULL);
    assert_int_equal(ll_plot_add_series(p, "train", NULL, tr, 40, 0, NULL), 0);
    assert_int_equal(ll_plot_add_series(p, "val", NULL, va, 40, 0, NULL), 1);
    ll_plot_set_text(p, LL_PLOT_TITLE, "Training loss", NULL);
    ll_plot_set_text(p, LL_PLOT_XLABEL, "epoch", NULL);
    ll_plot_set_text(p, LL_PLOT_YLABEL, "loss", NULL);
    return p;
}

static ll_plot *pred_vs_true(void)
{
    double x[60], y[60];
    for (int i = 0; i < 60; i++) {
        x[i] = 200 + 10 * i;
        y[i] = x[i] + 40 * sin(i * 2.3) + 15 * cos(i * 0.7);
    }
    ll_plot *p = ll_plot_new(LL_PLOT_SCATTER, NULL);
    ll_plot_add_series(p, "forecast", x, y, 60, 0, NULL);
    ll_plot_options(p)->identity = 1;
    ll_plot_set_text(p, LL_PLOT_TITLE, "Cycles to failure: predicted vs true",
                     NULL);
    ll_plot_set_text(p, LL_PLOT_XLABEL, "true cycles", NULL);
    ll_plot_set_text(p, LL_PLOT_YLABEL, "predicted", NULL);
    return p;
}

static ll_plot *importance(void)
{
    const char *names[] = {"cycle_count", "avg_temp", "max_discharge",
                           "age_days",    "trip_km",  "soc_min"};
    double v[] = {0.21, 0.34, 0.18, 0.12, 0.04, 0.11};
    ll_plot *p = ll_plot_new(LL_PLOT_BARH, NULL);
    ll_plot_set_bars(p, names, v, 6, NULL);
    ll_plot_set_text(p, LL_PLOT_TITLE, "Feature importance", NULL);
    return p;
}

static ll_plot *confusion(void)
{
    const char *xl[] = {"ok", "fail"}, *yl[] = {"ok", "fail"};
    double m[] = {912, 14, 23, 51};
    ll_plot *p = ll_plot_new(LL_PLOT_HEATMAP, NULL);
    ll_plot_set_matrix(p, m, 2, 2, xl, yl, NULL);
    ll_plot_set_text(p, LL_PLOT_TITLE, "Confusion matrix", NULL);
    ll_plot_set_text(p, LL_PLOT_XLABEL, "predicted", NULL);
    ll_plot_set_text(p, LL_PLOT_YLABEL, "true", NULL);
    return p;
}

static void test_golden_line(void **state)
{
    (void)state;
    ll_plot *p = loss_curve();
    golden_both("line", p, 60, 16);
    ll_plot_free(p);
}

static void test_golden_scatter(void **state)
{
    (void)state;
    ll_plot *p = pred_vs_true();
    golden_both("scatter", p, 60, 18);
    ll_plot_free(p);
}

static void test_golden_barh(void **state)
{
    (void)state;
    ll_plot *p = importance();
    golden_both("barh", p, 56, 10);
    ll_plot_free(p);
}

static void test_golden_heatmap(void **state)
{
    (void)state;
    ll_plot *p = confusion();
    golden_both("heatmap", p, 40, 14);
    ll_plot_free(p);
}

static void test_golden_bar(void **state)
{
    (void)state;
    const char *days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    double v[] = {120, 135, 98, 160, 171, 64, 40};
    ll_plot *p = ll_plot_new(LL_PLOT_BAR, NULL);
    ll_plot_set_bars(p, days, v, 7, NULL);
    ll_plot_set_text(p, LL_PLOT_TITLE, "Trips per day", NULL);
    golden_both("bar", p, 50, 12);
    ll_plot_free(p);
}

static void test_golden_hist(void **state)
{
    (void)state;
    double r[200];
    for (int i = 0; i < 200; i++) /* a deterministic bell-ish shape */
        r[i] = 3 * (sin(i * 12.9898) + sin(i * 78.233) + sin(i * 37.719));
    ll_plot *p = ll_plot_new(LL_PLOT_HIST, NULL);
    ll_plot_add_series(p, "residual", NULL, r, 200, 0, NULL);
    ll_plot_set_text(p, LL_PLOT_TITLE, "Residuals", NULL);
    golden_both("hist", p, 50, 12);
    ll_plot_free(p);
}

static void test_golden_sparkline(void **state)
{
    (void)state;
    double y[30];
    for (int i = 0; i < 30; i++)
        y[i] = 100 + 50 * sin(i / 3.0);
    ll_plot *p = ll_plot_new(LL_PLOT_SPARKLINE, NULL);
    ll_plot_add_series(p, NULL, NULL, y, 30, 0, NULL);
    ll_plot_set_text(p, LL_PLOT_TITLE, "msgs/s", NULL);
    golden_both("sparkline", p, 40, 1);
    ll_plot_free(p);
}

static void test_golden_grid(void **state)
{
    (void)state;
    double acc[10], vacc[10], l[10], vl[10];
    for (int i = 0; i < 10; i++) {
        acc[i] = 1 - 0.5 * exp(-i / 2.0);
        vacc[i] = 0.95 - 0.5 * exp(-i / 2.5);
        l[i] = exp(-i / 3.0);
        vl[i] = 0.1 + exp(-i / 3.5);
    }
    ll_plot *a = ll_plot_new(LL_PLOT_LINE, NULL),
            *b = ll_plot_new(LL_PLOT_LINE, NULL);
    ll_plot_add_series(a, "training", NULL, acc, 10, 0, NULL);
    ll_plot_add_series(a, "validation", NULL, vacc, 10, 0, NULL);
    ll_plot_set_text(a, LL_PLOT_TITLE, "accuracy", NULL);
    ll_plot_add_series(b, "training", NULL, l, 10, 0, NULL);
    ll_plot_add_series(b, "validation", NULL, vl, 10, 0, NULL);
    ll_plot_set_text(b, LL_PLOT_TITLE, "loss", NULL);
    ll_plot *g = ll_plot_new(LL_PLOT_GRID, NULL);
    assert_int_equal(ll_plot_grid_add(g, a, NULL), 0);
    assert_int_equal(ll_plot_grid_add(g, b, NULL), 0);
    golden_both("grid", g, 80, 14);
    ll_plot_free(a);
    ll_plot_free(b);
    ll_plot_free(g);
}

static void test_ansi_colour(void **state)
{
    (void)state;
    ll_plot *p = loss_curve();
    char *t = render(p, 60, 16, 1, 1);
    /* series colours (blue, orange), bold title, resets at line ends */
    assert_non_null(strstr(t, "\x1b[0;38;5;33m"));
    assert_non_null(strstr(t, "\x1b[0;38;5;208m"));
    assert_non_null(strstr(t, "\x1b[0;1m"));
    assert_non_null(strstr(t, "\x1b[0m\n"));
    free(t);
    ll_plot_free(p);
}

static void test_cells(void **state)
{
    (void)state;
    ll_plot *p = confusion();
    ll_plot_cells c;
    ll_err err;
    assert_int_equal(ll_plot_render_cells(p, 40, 14, 1, &c, &err), 0);
    assert_int_equal(c.width, 40);
    assert_int_equal(c.height, 14);
    /* the largest cell (912) is on the brightest ramp colour, bold text */
    int found = 0;
    for (int i = 0; i < c.width * c.height - 2 && !found; i++)
        if (c.cells[i].cp == '9' && c.cells[i + 1].cp == '1' &&
            c.cells[i + 2].cp == '2') {
            assert_int_equal(c.cells[i].bg, LL_COLOR_RAMP + 7);
            assert_int_equal(c.cells[i].attr, LL_CELL_BOLD);
            found = 1;
        }
    assert_true(found);
    ll_plot_cells_free(&c);
    ll_plot_free(p);
}

/* ---- ticks ---- */

static void tick_labels(double lo, double hi, int n, char *out, size_t len)
{
    double v[32], step;
    int k = ll_plot_ticks(lo, hi, n, v, 32, &step);
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        char b[32];
        ll_plot_format_tick(v[i], step, b, sizeof b);
        strncat(out, b, len - strlen(out) - 2);
        if (i + 1 < k)
            strncat(out, " ", len - strlen(out) - 1);
    }
}

static void test_ticks(void **state)
{
    (void)state;
    char s[512];
    tick_labels(0.1355, 0.1360, 6, s, sizeof s);
    assert_string_equal(s, "0.1355 0.1356 0.1357 0.1358 0.1359 0.1360");
    tick_labels(-3, 1e6, 6, s, sizeof s);
    assert_string_equal(s, "0 200k 400k 600k 800k 1M");
    tick_labels(0, 1, 6, s, sizeof s);
    assert_string_equal(s, "0.0 0.2 0.4 0.6 0.8 1.0");
    tick_labels(-7.5, 12, 5, s, sizeof s);
    assert_string_equal(s, "-5 0 5 10");
    tick_labels(2e-8, 9e-8, 4, s, sizeof s);
    assert_string_equal(s, "2e-08 4e-08 6e-08 8e-08");
    tick_labels(1, 3.5e9, 4, s, sizeof s);
    assert_string_equal(s, "0 1G 2G 3G");
    /* never more than asked */
    double v[64], step;
    for (int n = 2; n < 12; n++)
        assert_true(ll_plot_ticks(-123.4, 5678.9, n, v, 64, &step) <= n);
    /* one value: one tick */
    assert_int_equal(ll_plot_ticks(5, 5, 6, v, 64, &step), 1);
    assert_true(v[0] == 5);
}

static void date_ticks(double lo, double hi, int type, int n, char *out,
                       size_t len)
{
    double v[64];
    char lab[64][32];
    int k = ll_plot_date_ticks(lo, hi, type, n, v, lab, 64);
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        strncat(out, lab[i], len - strlen(out) - 2);
        if (i + 1 < k)
            strncat(out, ", ", len - strlen(out) - 1);
    }
}

static void test_date_ticks(void **state)
{
    (void)state;
    char s[1024];
    /* 2023-11-15 .. 2024-02-20 in days: months, the year shown when it
     * changes */
    date_ticks(19676, 19773, LL_PLOT_XDATE, 6, s, sizeof s);
    assert_string_equal(s, "Dec 2023, Jan 2024, Feb");
    /* 2023-12-28 .. 2024-01-04: days, the long form at the new year */
    date_ticks(19719, 19726, LL_PLOT_XDATE, 8, s, sizeof s);
    assert_string_equal(s, "2023-12-28, Dec 29, Dec 30, Dec 31, 2024-01-01, "
                           "Jan 02, Jan 03, Jan 04");
    /* weeks start on Mondays: 2024-01-01 was one */
    date_ticks(19719, 19760, LL_PLOT_XDATE, 6, s, sizeof s);
    assert_string_equal(s, "2024-01-01, Jan 08, Jan 15, Jan 22, Jan 29, "
                           "Feb 05");
    /* years */
    date_ticks(0, 365.0 * 30, LL_PLOT_XDATE, 5, s, sizeof s);
    assert_string_equal(s, "1970, 1980, 1990");
    /* datetime in ms: 2023-12-31 22:00 .. 2024-01-01 02:00 UTC, hours */
    double t0 = 1704060000000.0;
    date_ticks(t0, t0 + 4 * 3600e3, LL_PLOT_XDATETIME, 5, s, sizeof s);
    assert_string_equal(s, "Dec 31 22:00, 23:00, Jan 01, 01:00, 02:00");
}

static void test_parse_date(void **state)
{
    (void)state;
    double v;
    int t;
    assert_int_equal(ll_plot_parse_date("2024-01-01", &v, &t), 0);
    assert_true(v == 19723 && t == LL_PLOT_XDATE);
    assert_int_equal(ll_plot_parse_date("1969-12-31", &v, &t), 0);
    assert_true(v == -1);
    assert_int_equal(ll_plot_parse_date("2024-01-01T00:00:01.5Z", &v, &t), 0);
    assert_true(v == 1704067201500.0 && t == LL_PLOT_XDATETIME);
    assert_int_equal(ll_plot_parse_date("2024-01-01 23:59", &v, &t), 0);
    assert_true(v == 1704067200000.0 + 86340000.0);
    const char *bad[] = {"2024-1-01",     "2024-01-01x",
                         "2024-00-10",    "2024-01-01T25:00",
                         "2024-01-01T10", "",
                         "today"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ll_plot_parse_date(bad[i], &v, &t), LL_EPARSE);
}

/* ---- histogram bins: numpy.histogram(y, bins="auto") ---- */

static void test_hist_bins_numpy(void **state)
{
    (void)state;
    /* tests/fixtures/plot/make_hist.py printed these */
    char *text = NULL;
    size_t len;
    ll_err err;
    assert_int_equal(
        ll_read_file(fixture_path("hist_numpy.txt"), &text, &len, &err), 0);
    char *line = strtok(text, "\n");
    int cases = 0;
    while (line) {
        /* "n=<k> data=<v,...> edges=<v,...> counts=<v,...>" */
        double data[512], edges[512], counts[512];
        int nd = 0, ne = 0, nc = 0, bins = 0;
        char *d = strstr(line, "data="), *e = strstr(line, "edges="),
             *c = strstr(line, "counts=");
        sscanf(line, "bins=%d", &bins);
        assert_non_null(d);
        for (char *q = d + 5; q < e && nd < 512;) {
            data[nd++] = strtod(q, &q);
            if (*q == ',')
                q++;
            else
                break;
        }
        for (char *q = e + 6; q < c && ne < 512;) {
            edges[ne++] = strtod(q, &q);
            if (*q == ',')
                q++;
            else
                break;
        }
        for (char *q = c + 7; *q && nc < 512;) {
            counts[nc++] = strtod(q, &q);
            if (*q == ',')
                q++;
            else
                break;
        }
        double *ge, *gc;
        size_t nb;
        assert_int_equal(
            ll_plot_hist_bins(data, (size_t)nd, bins, &ge, &gc, &nb, &err), 0);
        assert_int_equal((int)nb, nc);
        assert_int_equal(ne, nc + 1);
        for (int i = 0; i < ne; i++)
            assert_true(fabs(ge[i] - edges[i]) <= 1e-9 * (1 + fabs(edges[i])));
        for (int i = 0; i < nc; i++)
            assert_true(gc[i] == counts[i]);
        free(ge);
        free(gc);
        cases++;
        line = strtok(NULL, "\n");
    }
    assert_true(cases >= 4);
    free(text);
}

static void test_hist_bad_bins(void **state)
{
    (void)state;
    double *e, *c;
    size_t n;
    ll_err err;
    double y[] = {1, 2};
    assert_int_equal(ll_plot_hist_bins(y, 2, -3, &e, &c, &n, &err), LL_EINVAL);
    assert_string_equal(err.msg, "plot.hist: bins must be positive, got -3");
}

/* ---- degenerate data ---- */

static void test_empty_and_nan(void **state)
{
    (void)state;
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, NULL);
    char *t = render(p, 40, 8, 1, 0);
    assert_non_null(strstr(t, "(no data)"));
    free(t);
    double y[] = {1, NAN, 3, INFINITY, 2, -INFINITY};
    ll_plot_add_series(p, "y", NULL, y, 6, 0, NULL);
    t = render(p, 40, 8, 1, 0);
    assert_non_null(strstr(t, "3 NaN/Inf values skipped"));
    assert_null(strstr(t, "(no data)"));
    free(t);
    ll_plot_free(p);
    /* all NaN */
    p = ll_plot_new(LL_PLOT_SCATTER, NULL);
    double n[] = {NAN, NAN};
    ll_plot_add_series(p, NULL, NULL, n, 2, 0, NULL);
    t = render(p, 40, 8, 0, 0);
    assert_non_null(strstr(t, "(no data)"));
    assert_non_null(strstr(t, "2 NaN/Inf values skipped"));
    free(t);
    ll_plot_free(p);
}

static void test_one_point_and_constant(void **state)
{
    (void)state;
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, NULL);
    double one[] = {5};
    ll_plot_add_series(p, NULL, NULL, one, 1, 0, NULL);
    char *t = render(p, 40, 8, 0, 0);
    /* the point is drawn, with ticks around it */
    assert_non_null(strchr(t, '*'));
    assert_non_null(strstr(t, "5.0"));
    free(t);
    ll_plot_free(p);
    p = ll_plot_new(LL_PLOT_LINE, NULL);
    double c[] = {0, 0, 0, 0};
    ll_plot_add_series(p, NULL, NULL, c, 4, 0, NULL);
    t = render(p, 40, 8, 1, 0);
    assert_non_null(strstr(t, " 0┤⠉⠉⠉"));
    assert_non_null(strstr(t, "-1┤"));
    free(t);
    ll_plot_free(p);
    /* an empty heatmap and empty bars */
    p = ll_plot_new(LL_PLOT_BARH, NULL);
    ll_plot_set_bars(p, NULL, NULL, 0, NULL);
    t = render(p, 40, 6, 1, 0);
    assert_non_null(strstr(t, "(no data)"));
    free(t);
    ll_plot_free(p);
}

static void test_log_scale(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, 5}, y[] = {1, 10, 100, 1000, -5};
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, NULL);
    ll_plot_add_series(p, NULL, x, y, 5, 0, NULL);
    ll_plot_options(p)->ylog = 1;
    char *t = render(p, 40, 12, 1, 0);
    assert_non_null(strstr(t, "1k┤"));
    assert_non_null(strstr(t, "100┤"));
    assert_non_null(strstr(t, "1 non-positive value skipped (log scale)"));
    free(t);
    ll_plot_free(p);
}

/* The bound is 50 ms of CPU time (the machine may be shared, so not wall
 * time); an ASan+UBSan build (-O1, instrumented) gets 10x. */
#if defined(__SANITIZE_ADDRESS__)
#define BOUND_MS 500
#else
#define BOUND_MS 50
#endif

static void test_million_points_fast(void **state)
{
    (void)state;
    size_t n = 1000000;
    double *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        y[i] = sin((double)i / 5000.0) + 0.1 * sin((double)i * 0.7);
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, NULL);
    ll_plot_add_series(p, NULL, NULL, y, n, 0, NULL);
    ll_plot *s = ll_plot_new(LL_PLOT_SCATTER, NULL);
    ll_plot_add_series(s, NULL, NULL, y, n, 0, NULL);
    free(y);
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    char *t = render(p, 100, 30, 1, 0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
                (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    fprintf(stderr, "# 1e6-point line: %.1f ms\n", ms);
    assert_true(ms < BOUND_MS);
    free(t);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    t = render(s, 100, 30, 1, 0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
         (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    fprintf(stderr, "# 1e6-point scatter: %.1f ms\n", ms);
    assert_true(ms < BOUND_MS);
    free(t);
    /* and the SVG stays small: one min/max pair per pixel column */
    ll_buf buf;
    ll_buf_init(&buf);
    assert_int_equal(ll_plot_render_svg(p, 0, 0, &buf, NULL), 0);
    assert_true(buf.len < 200000);
    ll_buf_free(&buf);
    ll_plot_free(p);
    ll_plot_free(s);
}

/* ---- live updates ---- */

static void test_live_registry(void **state)
{
    (void)state;
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, NULL);
    uint64_t id = ll_plot_id(p), v0 = ll_plot_version(p);
    uint64_t c0 = ll_plot_changes();
    assert_ptr_equal(ll_plot_find(id), p);
    ll_plot_add_series(p, "loss", NULL, NULL, 0, 0, NULL);
    assert_int_equal(ll_plot_append(p, 0, NAN, 0.5, NULL), 0);
    assert_int_equal(ll_plot_append(p, 0, NAN, 0.25, NULL), 0);
    assert_true(ll_plot_version(p) > v0);
    assert_true(ll_plot_changes() > c0);
    assert_int_equal((int)ll_plot_series_len(p, 0), 2);
    ll_err err;
    assert_int_equal(ll_plot_append(p, 3, 1, 1, &err), LL_EINVAL);
    assert_string_equal(err.msg, "plot: append: no series 4 (the chart has 1)");
    ll_plot_free(p);
    assert_null(ll_plot_find(id));
}

static void test_svg_content(void **state)
{
    (void)state;
    ll_plot *p = loss_curve();
    ll_buf b;
    ll_buf_init(&b);
    assert_int_equal(ll_plot_render_svg(p, 0, 0, &b, NULL), 0);
    const char *s = ll_buf_str(&b);
    assert_non_null(strstr(s, "width=\"640\" height=\"400\""));
    assert_non_null(strstr(s, ">Training loss</text>"));
    assert_non_null(strstr(s, "data-name=\"train\""));
    assert_non_null(strstr(s, ">val</text>"));
    assert_non_null(strstr(s, ">epoch</text>"));
    assert_non_null(strstr(s, "<polyline"));
    assert_null(strstr(s, "<script"));
    ll_buf_free(&b);
    /* text is escaped */
    ll_plot_set_text(p, LL_PLOT_TITLE, "a<b & \"c\"", NULL);
    ll_buf_init(&b);
    ll_plot_render_svg(p, 0, 0, &b, NULL);
    assert_non_null(strstr(ll_buf_str(&b), "a&lt;b &amp; &quot;c&quot;"));
    ll_buf_free(&b);
    ll_plot_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_line),
        cmocka_unit_test(test_golden_scatter),
        cmocka_unit_test(test_golden_barh),
        cmocka_unit_test(test_golden_heatmap),
        cmocka_unit_test(test_golden_bar),
        cmocka_unit_test(test_golden_hist),
        cmocka_unit_test(test_golden_sparkline),
        cmocka_unit_test(test_golden_grid),
        cmocka_unit_test(test_ansi_colour),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_date_ticks),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_hist_bins_numpy),
        cmocka_unit_test(test_hist_bad_bins),
        cmocka_unit_test(test_empty_and_nan),
        cmocka_unit_test(test_one_point_and_constant),
        cmocka_unit_test(test_log_scale),
        cmocka_unit_test(test_million_points_fast),
        cmocka_unit_test(test_live_registry),
        cmocka_unit_test(test_svg_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
