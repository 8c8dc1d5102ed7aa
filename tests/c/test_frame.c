/* Tests for frame/: parsing, columns, sort, groupby, join, time series,
 * CSV read/write and display, through the core API. */
#define _POSIX_C_SOURCE 200809L
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

#include "frame/frame.h"

/* CPU seconds allowed for the 40,000-column read (sanitizers are ~10x
 * slower) */
#if defined(__SANITIZE_ADDRESS__)
#define LL_TEST_WIDE_SECS 5.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LL_TEST_WIDE_SECS 5.0
#endif
#endif
#ifndef LL_TEST_WIDE_SECS
#define LL_TEST_WIDE_SECS 1.0
#endif

static ll_frame *csv(const char *text)
{
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_err err;
    ll_err_clear(&err);
    ll_frame *f =
        ll_frame_read_csv_mem(text, strlen(text), "t.csv", &o, NULL, &err);
    if (!f)
        fail_msg("%s", err.msg);
    return f;
}

static ll_column *col(ll_frame *f, const char *name)
{
    int i = ll_frame_find(f, name);
    assert_true(i >= 0);
    return f->cols[i];
}

static void test_parse_scalars(void **state)
{
    (void)state;
    int64_t i;
    double d;
    int32_t days;
    int64_t ms;
    assert_true(ll_parse_int("-42", 3, &i));
    assert_int_equal(i, -42);
    assert_true(ll_parse_int("9223372036854775807", 19, &i));
    assert_false(ll_parse_int("9223372036854775808", 19, &i));
    assert_false(ll_parse_int("1.0", 3, &i));
    assert_true(ll_parse_float("0.1", 3, &d));
    assert_true(d == 0.1);
    assert_true(ll_parse_float("1e-300", 6, &d));
    assert_true(d == 1e-300);
    assert_true(ll_parse_float("123456789012345678", 18, &d));
    assert_true(d == 123456789012345678.0);
    assert_false(ll_parse_float("0x10", 4, &d));
    assert_true(ll_parse_date("2024-02-29", 10, &days));
    assert_int_equal(days, 19782);
    assert_false(ll_parse_date("2023-02-29", 10, &days));
    assert_true(ll_parse_datetime("1970-01-02T00:00:01.5Z", 22, &ms));
    assert_int_equal(ms, 86401500);
    assert_true(ll_parse_datetime("1970-01-01T01:00:00+01:00", 25, &ms));
    assert_int_equal(ms, 0);
    char buf[64];
    double xs[] = {0.1, 1.0 / 3, 5e-324, 1.7976931348623157e308, -2.5, 100};
    for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
        ll_format_float(xs[k], buf, sizeof buf);
        assert_true(strtod(buf, NULL) == xs[k]);
    }
    ll_format_float(100, buf, sizeof buf);
    assert_string_equal(buf, "100.0");
    ll_format_float(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    assert_true(ll_utf8_valid("h\xc3\xa9", 3));
    assert_false(ll_utf8_valid("h\xe9", 2));
}

static void test_column_ops_and_views(void **state)
{
    (void)state;
    ll_frame *f = csv("a,b\n1,2.5\n2,\n3,1.5\n");
    ll_err err;
    ll_err_clear(&err);
    ll_column *a = col(f, "a"), *b = col(f, "b");
    ll_column *s = ll_col_arith(a, b, '*', &err);
    assert_non_null(s);
    assert_int_equal(s->type, LL_FLOAT);
    assert_true(LL_F64(s)[0] == 2.5);
    assert_true(ll_col_isna(s, 1));
    double out;
    assert_int_equal(ll_col_reduce(s, "sum", 0, &out, &err), LL_OK);
    assert_true(out == 7.0);
    ll_col_unref(s);
    /* a slice shares memory and holds a reference */
    ll_column *v = ll_col_slice(b, 1, 2, NULL);
    assert_ptr_equal(v->base, b);
    assert_int_equal(b->refs, 2);
    assert_true(ll_col_isna(v, 0));
    assert_true(LL_F64(v)[1] == 1.5);
    ll_frame_free(f);
    assert_true(LL_F64(v)[1] == 1.5); /* still alive */
    ll_col_unref(v);
    /* integer overflow gives NA, not garbage */
    ll_column *big = ll_col_new(LL_INT, 1, NULL);
    LL_I64(big)[0] = INT64_MAX;
    ll_column *o = ll_col_arith_scalar(big, 1, '+', 0, &err);
    assert_true(ll_col_isna(o, 0));
    ll_col_unref(o);
    ll_col_unref(big);
}

static void test_sort_radix_and_na(void **state)
{
    (void)state;
    ll_frame *f = csv("k,x\n3,-1.5\n1,\n3,2\n-7,-0.0\n1,1e9\n");
    ll_err err;
    ll_err_clear(&err);
    const char *keys[] = {"k", "x"};
    int desc[] = {0, 1};
    ll_frame *s = ll_frame_sort(f, keys, desc, 2, &err);
    assert_non_null(s);
    int64_t want_k[] = {-7, 1, 1, 3, 3};
    for (int i = 0; i < 5; i++)
        assert_int_equal(LL_I64(col(s, "k"))[i], want_k[i]);
    /* within k = 1: 1e9 first, NA last even when descending */
    assert_true(LL_F64(col(s, "x"))[1] == 1e9);
    assert_true(ll_col_isna(col(s, "x"), 2));
    assert_true(LL_F64(col(s, "x"))[3] == 2);
    ll_frame_free(s);
    const char *bad[] = {"kk"};
    assert_null(ll_frame_sort(f, bad, NULL, 1, &err));
    assert_string_equal(err.msg, "sort: no column 'kk' (did you mean 'k'?)");
    ll_frame_free(f);
}

static void test_groupby_and_value_counts(void **state)
{
    (void)state;
    ll_frame *f = csv("g,h,v\nb,1,1\na,1,2\nb,2,\nb,1,4\na,1,6\n");
    ll_err err;
    ll_err_clear(&err);
    const char *keys[] = {"g"};
    ll_agg aggs[] = {{"s", "v", "sum"},     {"m", "v", "mean"},
                     {"n", "v", "count"},   {"z", "v", "size"},
                     {"md", "v", "median"}, {"f", "h", "first"},
                     {"sd", "v", "std"},    {"u", "h", "nunique"}};
    ll_frame *r = ll_frame_groupby(f, keys, 1, aggs, 8, &err);
    assert_non_null(r);
    assert_int_equal(r->nrow, 2);
    size_t len;
    assert_memory_equal(ll_col_str(col(r, "g"), 0, &len), "a", 1);
    assert_int_equal(LL_I64(col(r, "s"))[0], 8);
    assert_int_equal(LL_I64(col(r, "s"))[1], 5);
    assert_true(LL_F64(col(r, "m"))[1] == 2.5);
    assert_int_equal(LL_I64(col(r, "n"))[1], 2);
    assert_int_equal(LL_I64(col(r, "z"))[1], 3);
    assert_true(LL_F64(col(r, "md"))[0] == 4);
    assert_int_equal(LL_I64(col(r, "f"))[1], 1);
    assert_true(fabs(LL_F64(col(r, "sd"))[0] - sqrt(8)) < 1e-12);
    assert_int_equal(LL_I64(col(r, "u"))[1], 2);
    ll_frame_free(r);
    const char *two[] = {"g", "h"};
    ll_agg cnt = {"c", "v", "size"};
    r = ll_frame_groupby(f, two, 2, &cnt, 1, &err);
    assert_int_equal(r->nrow, 3);
    assert_int_equal(LL_I64(col(r, "c"))[1], 2); /* b,1 */
    ll_frame_free(r);
    ll_agg badagg = {"x", "v", "mode"};
    assert_null(ll_frame_groupby(f, keys, 1, &badagg, 1, &err));
    assert_string_equal(err.msg, "agg 'v': unknown aggregation 'mode'");
    ll_frame_free(f);
}

static void test_join_kinds(void **state)
{
    (void)state;
    ll_frame *a = csv("k,x\n1,a\n2,b\n3,c\n");
    ll_frame *b = csv("k,x,y\n2,B,20\n4,D,40\n2,BB,21\n");
    ll_err err;
    ll_err_clear(&err);
    const char *on[] = {"k"};
    int64_t want[] = {2, 4, 5, 3};
    const char *hows[] = {"inner", "left", "outer", "right"};
    for (int h = 0; h < 4; h++) {
        ll_frame *j = ll_frame_join(a, b, on, 1, hows[h], "_l", "_r", &err);
        assert_non_null(j);
        assert_int_equal(j->nrow, want[h]);
        assert_int_equal(ll_frame_find(j, "x_l"), 1);
        assert_int_equal(ll_frame_find(j, "x_r"), 2);
        ll_frame_free(j);
    }
    assert_null(ll_frame_join(a, b, on, 1, "cross", "", "", &err));
    assert_string_equal(
        err.msg, "join: how must be inner, left, right or outer, got 'cross'");
    ll_frame_free(a);
    ll_frame_free(b);
}

static void test_shift_rolling(void **state)
{
    (void)state;
    ll_column *c = ll_col_new(LL_FLOAT, 6, NULL);
    double v[] = {1, 2, 3, 10, 20, 30};
    memcpy(c->data, v, sizeof v);
    int64_t group[] = {0, 0, 0, 1, 1, 1};
    ll_err err;
    ll_err_clear(&err);
    ll_column *lag = ll_col_shift(c, 1, NULL, group, &err);
    assert_true(ll_col_isna(lag, 0));
    assert_true(LL_F64(lag)[2] == 2);
    assert_true(ll_col_isna(lag, 3));
    ll_col_unref(lag);
    ll_column *r = ll_col_rolling(c, 2, 1, "mean", NULL, group, &err);
    assert_true(LL_F64(r)[0] == 1);
    assert_true(LL_F64(r)[2] == 2.5);
    assert_true(LL_F64(r)[3] == 10);
    ll_col_unref(r);
    r = ll_col_rolling(c, 3, 3, "max", NULL, NULL, &err);
    assert_true(ll_col_isna(r, 1));
    assert_true(LL_F64(r)[4] == 20);
    ll_col_unref(r);
    assert_null(ll_col_rolling(c, 0, 1, "mean", NULL, NULL, &err));
    assert_string_equal(err.msg, "rolling: window must be >= 1, got 0");
    ll_col_unref(c);
}

static void test_resample_month(void **state)
{
    (void)state;
    ll_frame *f = csv("d,v\n2024-01-05,1\n2024-01-31,2\n2024-03-02,4\n");
    ll_err err;
    ll_err_clear(&err);
    ll_agg a = {"v", "v", "sum"};
    ll_frame *r = ll_frame_resample(f, "1m", "d", NULL, 0, &a, 1, &err);
    assert_non_null(r);
    assert_int_equal(r->nrow, 3);
    char buf[32];
    ll_format_date(LL_I32(col(r, "d"))[1], buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29");
    assert_int_equal(LL_I64(col(r, "v"))[0], 3);
    assert_int_equal(LL_I64(col(r, "v"))[1], 0);
    ll_frame_free(r);
    assert_null(ll_frame_resample(f, "1y", "d", NULL, 0, &a, 1, &err));
    ll_frame_free(f);
}

static void test_csv_errors_and_roundtrip(void **state)
{
    (void)state;
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_err err;
    ll_err_clear(&err);
    const char *bad = "a,b\n1,2\n\"x\ny\",3,4\n";
    assert_null(
        ll_frame_read_csv_mem(bad, strlen(bad), "m.csv", &o, NULL, &err));
    assert_string_equal(err.msg, "m.csv:3: expected 2 fields, found 3");
    ll_buf warn;
    ll_buf_init(&warn);
    o.on_bad_lines = 1;
    ll_frame *f =
        ll_frame_read_csv_mem(bad, strlen(bad), "m.csv", &o, &warn, &err);
    assert_non_null(f);
    assert_int_equal(f->nrow, 1);
    assert_string_equal(ll_buf_str(&warn),
                        "m.csv:3: expected 2 fields, found 3 (skipped)\n");
    ll_buf_free(&warn);
    ll_frame_free(f);
    f = csv("s,x\n\"a,\"\"b\"\"\",0.30000000000000004\n,1e22\n");
    ll_buf out;
    ll_buf_init(&out);
    assert_int_equal(ll_frame_to_csv(f, ',', &out), LL_OK);
    assert_string_equal(ll_buf_str(&out),
                        "s,x\n\"a,\"\"b\"\"\",0.30000000000000004\n,1e+22\n");
    ll_buf_free(&out);
    ll_frame_free(f);
    assert_null(ll_frame_read_csv("/no/such.csv", &o, NULL, &err));
    assert_string_equal(err.msg, "/no/such.csv: No such file or directory");
    assert_int_equal(err.code, LL_ENOTFOUND);
}

static void test_eval(void **state)
{
    (void)state;
    ll_frame *f = csv("a,b\n1,x\n5,y\n,x\n");
    ll_err err;
    ll_err_clear(&err);
    ll_column *m =
        ll_frame_eval(f, "(a * 2 > 3 or isna(a)) and b == 'x'", &err);
    assert_non_null(m);
    assert_int_equal(LL_U8(m)[0], 0);
    assert_int_equal(LL_U8(m)[1], 0);
    assert_int_equal(LL_U8(m)[2], 1);
    ll_col_unref(m);
    assert_null(ll_frame_eval(f, "a >", &err));
    assert_string_equal(err.msg,
                        "expression 'a >': unexpected end at position 4");
    ll_frame_free(f);
}

/* Two threads give the same frame, warnings and errors as one. */
static void test_threads_agree(void **state)
{
    (void)state;
    ll_buf text;
    ll_buf_init(&text);
    ll_buf_puts(&text, "a,b,c\n");
    for (int i = 1; i <= 120000; i++) {
        if (i == 90000)
            ll_buf_puts(&text, "1,2,3,4\n"); /* a bad line late */
        if (i % 5000 == 0)
            ll_buf_printf(&text, "%d,\"q\nr\",%d.5\n", i, i);
        else
            ll_buf_printf(&text, "%d,s%d,%d\n", i, i % 9, i);
    }
    const char *d = ll_buf_str(&text);
    char *frames[2] = {NULL, NULL}, *warns[2], *errs[2];
    for (int t = 0; t < 2; t++) {
        ll_csv_opts o;
        ll_csv_opts_init(&o);
        o.threads = t + 1;
        o.on_bad_lines = 1;
        ll_err err;
        ll_err_clear(&err);
        ll_buf w;
        ll_buf_init(&w);
        ll_frame *f =
            ll_frame_read_csv_mem(d, text.len, "big.csv", &o, &w, &err);
        assert_non_null(f);
        ll_buf out;
        ll_buf_init(&out);
        ll_frame_to_csv(f, ',', &out);
        frames[t] = ll_buf_take(&out);
        warns[t] = ll_buf_take(&w);
        ll_frame_free(f);
        o.on_bad_lines = 0;
        assert_null(
            ll_frame_read_csv_mem(d, text.len, "big.csv", &o, NULL, &err));
        errs[t] = strdup(err.msg);
    }
    assert_string_equal(frames[0], frames[1]);
    assert_string_equal(warns[0], warns[1]);
    assert_string_equal(
        warns[0], "big.csv:90018: expected 3 fields, found 4 (skipped)\n");
    assert_string_equal(errs[0], errs[1]);
    for (int t = 0; t < 2; t++) {
        free(frames[t]);
        free(warns[t]);
        free(errs[t]);
    }
    /* invalid UTF-8 late in the file */
    text.data[text.len - 3] = (char)0xFF;
    for (int t = 0; t < 2; t++) {
        ll_csv_opts o;
        ll_csv_opts_init(&o);
        o.threads = t + 1;
        ll_err err;
        ll_err_clear(&err);
        assert_null(
            ll_frame_read_csv_mem(d, text.len, "big.csv", &o, NULL, &err));
        assert_string_equal(err.msg, "big.csv:120026: invalid UTF-8 (use "
                                     "encoding=\"latin1\" for latin-1 files)");
    }
    ll_buf_free(&text);
}

/* Header names as pandas gives them: an empty last name is a column, not a
 * trailing separator; repeats become x.1, x.2 skipping names taken. */
static ll_frame *csv_warn(const char *text, ll_buf *warn)
{
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_err err;
    ll_err_clear(&err);
    ll_frame *f =
        ll_frame_read_csv_mem(text, strlen(text), "h.csv", &o, warn, &err);
    if (!f)
        fail_msg("%s", err.msg);
    return f;
}

static void assert_names(const ll_frame *f, const char *const *want, int n)
{
    assert_int_equal(f->ncol, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(f->names[i], want[i]);
}

static void test_csv_header_names(void **state)
{
    (void)state;
    ll_buf w;
    ll_buf_init(&w);
    ll_frame *f = csv_warn("a,b,\n1,2,3\n", &w);
    const char *n1[] = {"a", "b", "Unnamed: 2"};
    assert_names(f, n1, 3);
    assert_int_equal(f->nrow, 1);
    assert_int_equal(LL_I64(col(f, "Unnamed: 2"))[0], 3);
    assert_string_equal(ll_buf_str(&w),
                        "h.csv: column 3 has no name; named 'Unnamed: 2'\n");
    ll_frame_free(f);
    ll_buf_reset(&w);
    f = csv_warn("x,x,\n1,2,3\n", &w);
    const char *n2[] = {"x", "x.1", "Unnamed: 2"};
    assert_names(f, n2, 3);
    assert_int_equal(LL_I64(col(f, "x.1"))[0], 2);
    ll_frame_free(f);
    ll_buf_reset(&w);
    f = csv_warn("x,x,x.1,x\n1,2,3,4\n", &w);
    const char *n3[] = {"x", "x.2", "x.1", "x.3"};
    assert_names(f, n3, 4);
    assert_string_equal(ll_buf_str(&w),
                        "h.csv: duplicate column name 'x' renamed to 'x.2'\n"
                        "h.csv: duplicate column name 'x' renamed to 'x.3'\n");
    ll_frame_free(f);
    /* the trailing empty name with empty values: an all-NA column */
    f = csv_warn("a,b,\n1,2,\n3,4,\n", NULL);
    const char *n4[] = {"a", "b", "Unnamed: 2"};
    assert_names(f, n4, 3);
    assert_int_equal(col(f, "Unnamed: 2")->null_count, 2);
    ll_frame_free(f);
    ll_buf_free(&w);
}

/* pandas writes its index as an unnamed first column of 0..n-1. */
static void test_csv_pandas_index_warning(void **state)
{
    (void)state;
    ll_buf w;
    ll_buf_init(&w);
    ll_frame *f = csv_warn(",a\n0,5\n1,6\n2,7\n", &w);
    assert_string_equal(f->names[0], "Unnamed: 0");
    assert_string_equal(ll_buf_str(&w),
                        "h.csv: column 1 has no name and holds 0..2, the row "
                        "index pandas writes; named 'Unnamed: 0' (drop it "
                        "with f = f:drop(\"Unnamed: 0\"))\n");
    ll_frame_free(f);
    ll_buf_reset(&w);
    /* usecols may put the index column elsewhere, or name it twice */
    ll_buf_reset(&w);
    {
        ll_csv_opts o;
        ll_csv_opts_init(&o);
        const char *use[] = {"a", "Unnamed: 0", "a"};
        o.usecols = use;
        o.nusecols = 3;
        ll_err err;
        ll_err_clear(&err);
        const char *t = ",a\n0,5\n1,6\n";
        f = ll_frame_read_csv_mem(t, strlen(t), "h.csv", &o, &w, &err);
        assert_non_null(f);
        const char *want[] = {"a", "Unnamed: 0"};
        assert_names(f, want, 2);
        assert_string_equal(ll_buf_str(&w),
                            "h.csv: column 1 has no name and holds 0..1, the "
                            "row index pandas writes; named 'Unnamed: 0' "
                            "(drop it with f = f:drop(\"Unnamed: 0\"))\n");
        ll_frame_free(f);
    }
    ll_buf_reset(&w);
    f = csv_warn(",a\n1,5\n0,6\n", &w);
    assert_string_equal(ll_buf_str(&w),
                        "h.csv: column 1 has no name; named 'Unnamed: 0'\n");
    ll_frame_free(f);
    ll_buf_free(&w);
}

/* Reading is linear in the number of columns: 40,000 columns x 3 rows. */
static void test_csv_wide_is_linear(void **state)
{
    (void)state;
    ll_buf text;
    ll_buf_init(&text);
    int ncol = 40000;
    for (int r = -1; r < 3; r++)
        for (int c = 0; c < ncol; c++) {
            if (r < 0)
                ll_buf_printf(&text, "c%d", c % 20000); /* repeats too */
            else
                ll_buf_printf(&text, "%d", r + c);
            ll_buf_puts(&text, c + 1 < ncol ? "," : "\n");
        }
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_err err;
    ll_err_clear(&err);
    clock_t t0 = clock();
    ll_frame *f = ll_frame_read_csv_mem(ll_buf_str(&text), text.len, "w.csv",
                                        &o, NULL, &err);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_non_null(f);
    assert_int_equal(f->ncol, ncol);
    assert_int_equal(f->nrow, 3);
    assert_string_equal(f->names[20000], "c0.1");
    assert_int_equal(LL_I64(f->cols[39999])[2], 2 + 39999);
    print_message("40000 columns x 3 rows: %.3f s CPU\n", secs);
    assert_true(secs < LL_TEST_WIDE_SECS);
    /* every column by usecols, in reverse order */
    const char **use = malloc(sizeof *use * (size_t)ncol);
    assert_non_null(use);
    for (int c = 0; c < ncol; c++)
        use[c] = f->names[ncol - 1 - c];
    o.usecols = use;
    o.nusecols = ncol;
    t0 = clock();
    ll_frame *u = ll_frame_read_csv_mem(ll_buf_str(&text), text.len, "w.csv",
                                        &o, NULL, &err);
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_non_null(u);
    print_message("the same by usecols: %.3f s CPU\n", secs);
    assert_true(secs < LL_TEST_WIDE_SECS);
    assert_int_equal(u->ncol, ncol);
    assert_string_equal(u->names[0], "c19999.1");
    assert_int_equal(LL_I64(u->cols[0])[2], 2 + 39999);
    ll_frame_free(u);
    free(use);
    ll_frame_free(f);
    ll_buf_free(&text);
}

/* describe(): NA is no unique value and never the top. */
static void test_describe_na_not_unique(void **state)
{
    (void)state;
    ll_frame *f = csv("s\nx\n\n\n\ny\nx\n");
    ll_err err;
    ll_err_clear(&err);
    ll_frame *d = ll_frame_describe(f, &err);
    assert_non_null(d);
    size_t len;
    const ll_column *c = col(d, "s");
    const char *v = ll_col_str(c, 0, &len); /* count */
    assert_memory_equal(v, "3", len);
    v = ll_col_str(c, 8, &len); /* unique */
    assert_int_equal(len, 1);
    assert_memory_equal(v, "2", 1);
    v = ll_col_str(c, 9, &len); /* top */
    assert_int_equal(len, 1);
    assert_memory_equal(v, "x", 1);
    v = ll_col_str(c, 10, &len); /* freq */
    assert_memory_equal(v, "2", len);
    ll_frame_free(d);
    ll_frame_free(f);
}

/* Integer keys spanning the full 64-bit range sort with NA (last). */
static void test_sort_full_range_with_na(void **state)
{
    (void)state;
    ll_frame *f = csv("i,j\n9223372036854775807,1\n,2\n"
                      "-9223372036854775808,3\n5,4\n,5\n");
    ll_err err;
    ll_err_clear(&err);
    const char *keys[] = {"i", "j"};
    int desc[] = {0, 1};
    for (int d = 0; d < 2; d++) {
        desc[0] = d;
        ll_frame *s = ll_frame_sort(f, keys, desc, 2, &err);
        if (!s)
            fail_msg("%s", err.msg);
        const ll_column *i = col(s, "i"), *j = col(s, "j");
        int64_t asc[] = {INT64_MIN, 5, INT64_MAX};
        for (int r = 0; r < 3; r++)
            assert_true(LL_I64(i)[r] == asc[d ? 2 - r : r]);
        assert_true(ll_col_isna(i, 3) && ll_col_isna(i, 4));
        /* NA rows ordered by j descending */
        assert_int_equal(LL_I64(j)[3], 5);
        assert_int_equal(LL_I64(j)[4], 2);
        ll_frame_free(s);
    }
    ll_frame *d = ll_frame_describe(f, &err);
    if (!d)
        fail_msg("%s", err.msg);
    assert_true(LL_F64(col(d, "i"))[0] == 3);
    assert_true(LL_F64(col(d, "i"))[5] == 5); /* median */
    ll_frame_free(d);
    ll_frame_free(f);
}

/* A one-column file with blank lines (missing values) long enough to
 * cross the reader's blocks: every blank row is NA, none reads as "". */
static void test_csv_one_column_blank_rows(void **state)
{
    (void)state;
    const int sizes[] = {1000, 10000};
    for (int k = 0; k < 2; k++) {
        ll_buf text;
        ll_buf_init(&text);
        ll_buf_puts(&text, "h\n");
        for (int i = 0; i < sizes[k]; i++)
            ll_buf_puts(&text, "x\n\n");
        for (int t = 1; t <= 2; t++) {
            ll_csv_opts o;
            ll_csv_opts_init(&o);
            o.threads = t;
            ll_err err;
            ll_err_clear(&err);
            ll_frame *f = ll_frame_read_csv_mem(ll_buf_str(&text), text.len,
                                                "t.csv", &o, NULL, &err);
            if (!f)
                fail_msg("%s", err.msg);
            assert_int_equal(f->nrow, 2 * sizes[k]);
            const ll_column *c = col(f, "h");
            assert_int_equal(c->null_count, sizes[k]);
            int64_t bad = -1;
            for (int64_t i = 0; i < 2 * sizes[k] && bad < 0; i++)
                if (ll_col_isna(c, i) != (i % 2 == 1))
                    bad = i;
            assert_int_equal(bad, -1);
            ll_frame_free(f);
        }
        ll_buf_free(&text);
    }
}

/* A file whose sampled rows are long and the others short: the row
 * estimate falls short and the columns grow past it; NA bits read before
 * a growth must survive it. */
static void test_csv_growth_keeps_na(void **state)
{
    (void)state;
    const size_t target = 6000000;
    ll_buf text;
    ll_buf_init(&text);
    ll_buf_puts(&text, "a,s\n");
    char pad[151];
    memset(pad, 'x', 150);
    pad[150] = 0;
    int64_t n = 0;
    while (text.len < target) {
        size_t pos = text.len;
        int sampled = pos < 300000;
        for (int k = 1; k <= 10 && !sampled; k++) {
            size_t at = target / 11 * (size_t)k;
            sampled = pos + 20000 >= at && pos < at + 80000;
        }
        if (n % 3 == 0)
            ll_buf_puts(&text, ",");
        else
            ll_buf_printf(&text, "%lld,", (long long)n);
        ll_buf_puts(&text, sampled ? pad : "b");
        ll_buf_puts(&text, "\n");
        n++;
    }
    for (int t = 1; t <= 2; t++) {
        ll_csv_opts o;
        ll_csv_opts_init(&o);
        o.threads = t;
        ll_err err;
        ll_err_clear(&err);
        ll_frame *f = ll_frame_read_csv_mem(ll_buf_str(&text), text.len,
                                            "g.csv", &o, NULL, &err);
        if (!f)
            fail_msg("%s", err.msg);
        assert_int_equal(f->nrow, n);
        const ll_column *a = col(f, "a");
        assert_int_equal(a->type, LL_INT);
        assert_int_equal(a->null_count, (n + 2) / 3);
        for (int64_t i = 0; i < n; i++) {
            if (ll_col_isna(a, i) != (i % 3 == 0))
                fail_msg("threads %d row %lld: NA flag %d", t, (long long)i,
                         ll_col_isna(a, i));
            if (i % 3)
                assert_int_equal(LL_I64(a)[i], i);
        }
        ll_frame_free(f);
    }
    ll_buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_scalars),
        cmocka_unit_test(test_column_ops_and_views),
        cmocka_unit_test(test_sort_radix_and_na),
        cmocka_unit_test(test_groupby_and_value_counts),
        cmocka_unit_test(test_join_kinds),
        cmocka_unit_test(test_shift_rolling),
        cmocka_unit_test(test_resample_month),
        cmocka_unit_test(test_csv_errors_and_roundtrip),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_threads_agree),
        cmocka_unit_test(test_csv_header_names),
        cmocka_unit_test(test_csv_pandas_index_warning),
        cmocka_unit_test(test_csv_wide_is_linear),
        cmocka_unit_test(test_describe_na_not_unique),
        cmocka_unit_test(test_sort_full_range_with_na),
        cmocka_unit_test(test_csv_one_column_blank_rows),
        cmocka_unit_test(test_csv_growth_keeps_na),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
