/* Tests for track/view.c: sparklines and the run/experiment tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track/track.h"
#include "plot/plot.h"
#include "track/view.h"
#include "util/buf.h"
#include "util/fsutil.h"

static void test_sparkline(void **state)
{
    (void)state;
    ll_buf b;
    ll_buf_init(&b);
    const double ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(ll_plot_sparkline_text(ramp, 8, 40, &b), LL_OK);
    assert_string_equal(b.data, "▁▂▃▄▅▆▇█");
    ll_buf_reset(&b);
    /* 8 points into 4 columns: the mean of each pair */
    assert_int_equal(ll_plot_sparkline_text(ramp, 8, 4, &b), LL_OK);
    assert_string_equal(b.data, "▂▄▆█"); /* levels round(0.5), ... */
    ll_buf_reset(&b);
    const double flat[3] = {2, 2, NAN};
    assert_int_equal(ll_plot_sparkline_text(flat, 3, 10, &b), LL_OK);
    assert_string_equal(b.data, "▄▄ ");
    ll_buf_free(&b);
}

static void test_tables(void **state)
{
    (void)state;
    char dir[64] = "/tmp/ll-view-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[128];
    snprintf(db, sizeof db, "%s/v.db", dir);
    ll_track *t;
    ll_err err;
    assert_int_equal(ll_track_open(db, NULL, &t, &err), LL_OK);
    long long exp;
    assert_int_equal(ll_track_experiment_create(t, "lab", NULL, &exp, &err),
                     LL_OK);
    char id[33];
    assert_int_equal(
        ll_track_run_create(t, exp, "alpha", "u", "s", 1700000000000, id, &err),
        LL_OK);
    assert_int_equal(ll_track_log_metric(t, id, "acc", 0.875, 1, 0, &err),
                     LL_OK);
    assert_int_equal(ll_track_run_end(t, id, "FINISHED", 1700000090500, &err),
                     LL_OK);
    ll_buf b;
    ll_buf_init(&b);
    assert_int_equal(ll_track_view_runs(t, "lab", &b, &err), LL_OK);
    char want[512];
    snprintf(want, sizeof want,
             "name   run_id    experiment  status    start                "
             "duration  acc\n"
             "-----  --------  ----------  --------  -------------------  "
             "--------  -----\n"
             "alpha  %.8s  1           FINISHED  2023-11-14 22:13:20  "
             "1m30s     0.875\n",
             id);
    assert_string_equal(b.data, want);
    ll_buf_reset(&b);
    assert_int_equal(ll_track_view_runs(t, "nope", &b, &err), LL_ENOTFOUND);
    assert_string_equal(err.msg, "experiment 'nope' not found");
    assert_int_equal(ll_track_view_experiments(t, &b, &err), LL_OK);
    assert_non_null(strstr(b.data, "id  name     runs  created\n"));
    assert_non_null(strstr(b.data, "\n1   lab      1     "));
    ll_buf_reset(&b);
    assert_int_equal(ll_track_view_run(t, "alpha", 80, &b, &err), LL_OK);
    assert_non_null(strstr(b.data, "Run alpha ("));
    assert_non_null(strstr(b.data, "duration 1m30s"));
    ll_buf_reset(&b);
    const char *refs[] = {"alpha", "nosuch"};
    assert_int_equal(ll_track_view_compare(t, refs, 2, 80, &b, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "run 'nosuch' not found");
    ll_buf_free(&b);
    ll_track_free(t);
    ll_remove_tree(dir, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparkline),
        cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
