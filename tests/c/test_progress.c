/* Tests for plot/progress.c: bar line formatting (clock injected) and the
 * headless renderer on a terminal, a pipe, and quiet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/progress.h"

static double fake_now;
static double fake_clock(void)
{
    return fake_now;
}

static int setup(void **state)
{
    (void)state;
    fake_now = 100;
    ll_progress_set_clock(fake_clock);
    ll_progress_reset();
    return 0;
}

static char *fmt(const ll_progress *p, double elapsed, int width, int uni)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_progress_format(p, elapsed, width, uni, &b);
    return ll_buf_take(&b);
}

static void test_format_full(void **state)
{
    (void)state;
    ll_progress p = {"Epoch 3/5", 37, 100, "batch", "loss 0.0123 acc 0.998",
                     0,           0};
    /* wide: the bar is capped at 40 columns */
    char *s = fmt(&p, 3.0, 120, 1);
    assert_string_equal(s, "Epoch 3/5   37% |██████████████▊              "
                           "           | 37/100  12.3 batch/s  00:03<00:05  "
                           "loss 0.0123 acc 0.998");
    free(s);
    /* 100 columns: the bar takes what is left, the line fills them */
    s = fmt(&p, 3.0, 100, 0);
    assert_string_equal(s, "Epoch 3/5   37% |#########                | "
                           "37/100  12.3 batch/s  00:03<00:05  loss 0.0123 "
                           "acc 0.998");
    assert_int_equal((int)strlen(s), 100);
    free(s);
}

static void test_format_narrow(void **state)
{
    (void)state;
    ll_progress p = {"Epoch 3/5", 37, 100, "batch", "loss 0.0123 acc 0.998",
                     0,           0};
    /* 80 columns: the metrics matter more than the bar */
    char *s = fmt(&p, 3.0, 80, 0);
    assert_string_equal(s, "Epoch 3/5   37% 37/100  12.3 batch/s  "
                           "00:03<00:05  loss 0.0123 acc 0.998");
    free(s);
    /* 50: no room for the metrics */
    s = fmt(&p, 3.0, 50, 0);
    assert_string_equal(s, "Epoch 3/5   37% 37/100  12.3 batch/s  "
                           "00:03<00:05");
    free(s);
    /* never wider than asked */
    ll_progress l = {"a very long label that will not fit in the line at all",
                     2,
                     4,
                     NULL,
                     NULL,
                     0,
                     0};
    s = fmt(&l, 4, 30, 0);
    assert_string_equal(s, "a very long label that will no");
    free(s);
}

static void test_format_unknown_total_and_finished(void **state)
{
    (void)state;
    ll_progress p = {"reading data.csv", 120000, 0, "row", NULL, 0, 0};
    char *s = fmt(&p, 2.0, 80, 1);
    assert_string_equal(s, "reading data.csv  120000 row  60000 row/s  00:02");
    free(s);
    /* finished: no ETA; slower than a unit a second: seconds per unit */
    ll_progress f = {"fit", 10, 10, NULL, "loss 0.5", 0, 1};
    s = fmt(&f, 125.0, 60, 0);
    assert_string_equal(s, "fit  100% |##############| 10/10  12.5 s/it  "
                           "02:05  loss 0.5");
    free(s);
    /* past an hour: h:mm:ss */
    ll_progress slow = {"x", 2, 4, NULL, NULL, 0, 0};
    s = fmt(&slow, 4000, 60, 0);
    assert_string_equal(s, "x   50% |########        | 2/4  2000.0 s/it  "
                           "1:06:40<1:06:40");
    free(s);
}

static void test_render_tracks_elapsed(void **state)
{
    (void)state;
    ll_progress p = {"train", 0, 10, "epoch", NULL, 0, 0};
    ll_buf b;
    ll_buf_init(&b);
    ll_progress_render(&p, 60, 0, &b);
    fake_now += 4;
    p.done = 2;
    ll_buf_reset(&b);
    ll_progress_render(&p, 60, 0, &b);
    assert_string_equal(ll_buf_str(&b),
                        "train   20% |###            | 2/10  2.0 s/epoch  "
                        "00:04<00:16");
    /* a new label restarts the clock */
    p.label = "test";
    p.done = 1;
    fake_now += 1;
    ll_buf_reset(&b);
    ll_progress_render(&p, 60, 0, &b);
    assert_non_null(strstr(ll_buf_str(&b), "00:00"));
    ll_buf_free(&b);
}

static char *run_term(int tty, int quiet, double step)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    ll_progress_term *t = ll_progress_term_new(f, tty, quiet, NULL);
    ll_progress_term_set_width(t, 70);
    ll_progress_term_set_unicode(t, 0);
    ll_progress_term_set_interval(t, 5);
    for (int e = 1; e <= 2; e++) {
        ll_progress outer = {"fit", e - 1, 2, "epoch", NULL, 0, 0};
        ll_progress_term_update(t, &outer);
        for (int b = 1; b <= 4; b++) {
            fake_now += step;
            char m[32];
            snprintf(m, sizeof m, "loss %.2f", 1.0 / (e * b));
            ll_progress inner = {"Epoch", b, 4, "batch", m, 1, b == 4};
            ll_progress_term_update(t, &inner);
        }
    }
    ll_progress done = {"fit", 2, 2, "epoch", "loss 0.12", 0, 1};
    ll_progress_term_update(t, &done);
    ll_progress_term_free(t);
    fclose(f);
    return data;
}

static void test_term_tty(void **state)
{
    (void)state;
    char *out = run_term(1, 0, 0.05);
    /* redrawn in place, nested as "outer | inner", throttled to ~10/s */
    assert_non_null(strstr(out, "\rfit    0% 0/2 | Epoch   75% 3/4  "
                                "30.0 batch/s  00:00<00:00  loss 0.33\x1b[K"));
    assert_null(strstr(out, "Epoch   25%"));
    assert_null(strstr(out, "Epoch   50%"));
    /* one newline only: after the finished outer bar, which stays */
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    const char *last = strrchr(out, '\r');
    assert_string_equal(last, "\rfit  100% |######################| 2/2  "
                              "5.00 epoch/s  00:00  loss 0.12\x1b[K\n");
    free(out);
}

static void test_term_pipe(void **state)
{
    (void)state;
    char *out = run_term(0, 0, 1.0);
    /* no carriage returns or escapes; a line when a bar ends or every 5 s */
    assert_string_equal(
        out, "fit    0% 0/2 | Epoch  100% 4/4  1.33 batch/s  00:03  loss "
             "0.25\n"
             "fit   50% 1/2 | Epoch  100% 4/4  1.33 batch/s  00:03  loss "
             "0.12\n"
             "fit  100% |#######################| 2/2  4.0 s/epoch  00:08  "
             "loss 0.12\n");
    free(out);
    /* slower batches: the periodic line appears between bar ends */
    ll_progress_reset();
    out = run_term(0, 0, 3.0);
    assert_string_equal(
        out, "fit    0% 0/2 | Epoch   50% 2/4  1.5 s/batch  00:03<00:03  loss "
             "0.50\n"
             "fit    0% 0/2 | Epoch  100% 4/4  2.2 s/batch  00:09  loss 0.25\n"
             "fit   50% 1/2 | Epoch   50% 2/4  1.5 s/batch  00:03<00:03  loss "
             "0.25\n"
             "fit   50% 1/2 | Epoch  100% 4/4  2.2 s/batch  00:09  loss 0.12\n"
             "fit  100% |######################| 2/2  12.0 s/epoch  00:24  "
             "loss 0.12\n");
    free(out);
}

static void test_term_quiet(void **state)
{
    (void)state;
    char *out = run_term(1, 1, 1.0);
    assert_string_equal(out, "");
    free(out);
    ll_progress_term_free(NULL);
}

/* Metrics of several lines (a line per running query): the first beside
 * the bar, each further one a row of its own, indented and cut. */
static void test_format_rows(void **state)
{
    (void)state;
    ll_progress p = {"streaming",
                     5,
                     0,
                     "batch",
                     "a: 2 batches\nb: 3 batches, a long line that is cut",
                     0,
                     0};
    char *s = fmt(&p, -1, 30, 0);
    assert_string_equal(s, "streaming  5 batch  a: 2 batch\n"
                           "  b: 3 batches, a long line th");
    assert_int_equal(ll_progress_rows(s), 2);
    free(s);
    p.metrics = "\nb: 1\n\nc: 2";
    s = fmt(&p, -1, 30, 0);
    assert_string_equal(s, "streaming  5 batch\n  b: 1\n  \n  c: 2");
    assert_int_equal(ll_progress_rows(s), 4);
    free(s);
    assert_int_equal(ll_progress_rows(""), 1);
    assert_int_equal(ll_progress_rows(NULL), 1);
}

/* On a terminal a block of rows is redrawn in place: cursor up to its
 * first row, each row cleared to its end, the rest of the screen cleared
 * when the block shrinks, a newline after the finished one. */
static void test_term_rows_tty(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    ll_progress_term *t = ll_progress_term_new(f, 1, 0, NULL);
    ll_progress_term_set_width(t, 60);
    ll_progress_term_set_unicode(t, 0);
    assert_int_equal(ll_progress_term_open_rows(t), 0);
    ll_progress p = {"streaming", 2, 0, "batch", "a: 1\nb: 1", 0, 0};
    ll_progress_term_update(t, &p);
    assert_int_equal(ll_progress_term_open_rows(t), 2);
    fflush(f);
    assert_string_equal(data, "\rstreaming  2 batch  00:00  a: 1\x1b[K\n"
                              "  b: 1\x1b[K");
    size_t mark = len;
    fake_now += 1;
    p.done = 4;
    p.metrics = "a: 2\nb: 2\nc: 1";
    ll_progress_term_update(t, &p);
    assert_int_equal(ll_progress_term_open_rows(t), 3);
    fflush(f);
    assert_string_equal(data + mark,
                        "\x1b[1A\rstreaming  4 batch  4.00 batch/s  00:01  "
                        "a: 2\x1b[K\n  b: 2\x1b[K\n  c: 1\x1b[K");
    mark = len;
    fake_now += 1;
    p.done = 5;
    p.metrics = "a: 3";
    ll_progress_term_update(t, &p);
    assert_int_equal(ll_progress_term_open_rows(t), 1);
    fflush(f);
    assert_string_equal(data + mark,
                        "\x1b[2A\rstreaming  5 batch  2.50 batch/s  00:02  "
                        "a: 3\x1b[K\x1b[J");
    mark = len;
    fake_now += 1;
    p.done = 6;
    p.metrics = "a: 3\nb: 3";
    p.finished = 1;
    ll_progress_term_update(t, &p);
    assert_int_equal(ll_progress_term_open_rows(t), 0);
    fflush(f);
    assert_string_equal(data + mark,
                        "\rstreaming  6 batch  2.00 batch/s  00:03  "
                        "a: 3\x1b[K\n  b: 3\x1b[K\n");
    ll_progress_term_free(t);
    fclose(f);
    free(data);
}

/* Not a terminal: the rows as plain lines, every few seconds. */
static void test_term_rows_pipe(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    ll_progress_term *t = ll_progress_term_new(f, 0, 0, NULL);
    ll_progress_term_set_width(t, 60);
    ll_progress_term_set_unicode(t, 0);
    ll_progress p = {"streaming", 2, 0, "batch", "a: 1\nb: 1", 0, 0};
    for (int i = 1; i <= 6; i++) {
        fake_now += 1;
        p.done = 2 * i;
        ll_progress_term_update(t, &p);
    }
    assert_int_equal(ll_progress_term_open_rows(t), 0);
    ll_progress_term_free(t);
    fclose(f);
    assert_string_equal(data, "streaming  10 batch  2.50 batch/s  00:04  "
                              "a: 1\n  b: 1\n");
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_format_full, setup),
        cmocka_unit_test_setup(test_format_narrow, setup),
        cmocka_unit_test_setup(test_format_unknown_total_and_finished, setup),
        cmocka_unit_test_setup(test_render_tracks_elapsed, setup),
        cmocka_unit_test_setup(test_term_tty, setup),
        cmocka_unit_test_setup(test_term_pipe, setup),
        cmocka_unit_test_setup(test_term_quiet, setup),
        cmocka_unit_test_setup(test_format_rows, setup),
        cmocka_unit_test_setup(test_term_rows_tty, setup),
        cmocka_unit_test_setup(test_term_rows_pipe, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
