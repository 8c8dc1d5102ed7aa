/* Tests for the frame core functions the bindings call: fillna policies,
 * the group/order arrays behind lag/rolling/ffill, and the frame -> float
 * matrix conversion. */
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

#include "frame/frame.h"
#include "frame/frame_int.h"

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

static const ll_column *col(const ll_frame *f, const char *name)
{
    int i = ll_frame_find(f, name);
    assert_true(i >= 0);
    return f->cols[i];
}

static void assert_str(const ll_column *c, int64_t i, const char *want)
{
    size_t n;
    const char *s = ll_col_str(c, i, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(s, want, n);
}

static void test_fillna_scalar_fills_columns_of_its_kind(void **state)
{
    (void)state;
    ll_frame *f = csv("i,x,s,b,d\n1,,a,true,2024-01-01\n,2.5,,,\n");
    ll_err err;
    ll_err_clear(&err);
    ll_fill num = {NULL, LL_FILL_NUM, 7, NULL};
    ll_frame *r = ll_frame_fillna(f, &num, 1, &err);
    assert_non_null(r);
    assert_int_equal(col(r, "i")->type, LL_INT);
    assert_int_equal(LL_I64(col(r, "i"))[1], 7);
    assert_true(LL_F64(col(r, "x"))[0] == 7);
    assert_int_equal(col(r, "s")->null_count, 1); /* text: not a number */
    assert_int_equal(LL_U8(col(r, "b"))[1], 1);   /* bool: 7 != 0 */
    ll_frame_free(r);
    /* a string fills text and (parsed) dates; a boolean only bools */
    ll_fill two[] = {{NULL, LL_FILL_STR, 0, "2024-02-01"},
                     {NULL, LL_FILL_BOOL, 0, NULL}};
    r = ll_frame_fillna(f, two, 2, &err);
    assert_non_null(r);
    assert_str(col(r, "s"), 1, "2024-02-01");
    assert_int_equal(LL_I32(col(r, "d"))[1], 19754);
    assert_int_equal(col(r, "b")->null_count, 0);
    assert_int_equal(LL_U8(col(r, "b"))[1], 0);
    assert_int_equal(col(r, "i")->null_count, 1);
    ll_frame_free(r);
    ll_frame_free(f);
}

static void test_fillna_per_column_and_errors(void **state)
{
    (void)state;
    ll_frame *f = csv("i,s,d\n1,a,2024-01-01\n,,\n");
    ll_err err;
    ll_err_clear(&err);
    ll_fill fills[] = {{"s", LL_FILL_STR, 0, "?"},
                       {"i", LL_FILL_NUM, 0.5, NULL}};
    ll_frame *r = ll_frame_fillna(f, fills, 2, &err);
    assert_non_null(r);
    assert_str(col(r, "s"), 1, "?");
    assert_int_equal(col(r, "i")->type, LL_FLOAT); /* 0.5 widens int */
    assert_true(LL_F64(col(r, "i"))[1] == 0.5);
    assert_int_equal(col(r, "d")->null_count, 1); /* not named */
    ll_frame_free(r);
    ll_fill bad = {"s", LL_FILL_NUM, 1, NULL};
    assert_null(ll_frame_fillna(f, &bad, 1, &err));
    assert_string_equal(err.msg,
                        "fillna: column 's' (category) cannot take a number");
    ll_fill nocol = {"ii", LL_FILL_NUM, 1, NULL};
    assert_null(ll_frame_fillna(f, &nocol, 1, &err));
    assert_string_equal(err.msg, "fillna: no column 'ii' (did you mean 'i'?)");
    ll_fill baddate = {"d", LL_FILL_STR, 0, "soon"};
    assert_null(ll_frame_fillna(f, &baddate, 1, &err));
    assert_string_equal(err.msg,
                        "fillna: column 'd': fillna: 'soon' for a date column");
    ll_frame_free(f);
}

static void test_group_order_arrays(void **state)
{
    (void)state;
    ll_frame *f = csv("g,t,v\nb,3,1\na,2,2\nb,1,3\na,1,4\n");
    ll_err err;
    ll_err_clear(&err);
    int64_t *order, *group;
    const char *by[] = {"g"}, *ord[] = {"t"};
    assert_int_equal(
        ll_frame_group_order(f, by, 1, ord, 1, 0, &order, &group, &err), LL_OK);
    /* groups in order of first appearance; rows by (g, t) */
    int64_t want_group[] = {0, 1, 0, 1};
    int64_t want_order[] = {3, 1, 2, 0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(group[i], want_group[i]);
        assert_int_equal(order[i], want_order[i]);
    }
    /* lag within groups in time order */
    ll_column *lag = ll_col_shift(col(f, "v"), 1, order, group, &err);
    assert_non_null(lag);
    assert_true(ll_col_isna(lag, 2) && ll_col_isna(lag, 3));
    assert_int_equal(LL_I64(lag)[0], 3);
    assert_int_equal(LL_I64(lag)[1], 4);
    ll_col_unref(lag);
    free(order);
    free(group);
    /* by only: no order unless asked */
    assert_int_equal(
        ll_frame_group_order(f, by, 1, NULL, 0, 0, &order, &group, &err),
        LL_OK);
    assert_null(order);
    assert_non_null(group);
    free(group);
    assert_int_equal(
        ll_frame_group_order(f, by, 1, NULL, 0, 1, &order, &group, &err),
        LL_OK);
    int64_t want_by[] = {1, 3, 0, 2}; /* stable within a group */
    for (int i = 0; i < 4; i++)
        assert_int_equal(order[i], want_by[i]);
    free(order);
    free(group);
    assert_int_equal(
        ll_frame_group_order(f, NULL, 0, NULL, 0, 1, &order, &group, &err),
        LL_OK);
    assert_null(order);
    assert_null(group);
    const char *bad[] = {"tt"};
    assert_int_not_equal(
        ll_frame_group_order(f, by, 1, bad, 1, 0, &order, &group, &err), LL_OK);
    assert_string_equal(err.msg, "option 'order': no column 'tt' (did you "
                                 "mean 't'?)");
    assert_null(order);
    assert_null(group);
    /* ffill by group in time order */
    ll_frame *g = csv("g,t,v\na,1,1\nb,1,\na,2,\nb,2,5\nb,0,9\n");
    const char *ord2[] = {"t"};
    assert_int_equal(
        ll_frame_group_order(g, by, 1, ord2, 1, 1, &order, &group, &err),
        LL_OK);
    ll_frame *r = ll_frame_fill_dir(g, 1, order, group, &err);
    assert_non_null(r);
    assert_int_equal(LL_I64(col(r, "v"))[2], 1); /* a at t=2 from t=1 */
    assert_int_equal(LL_I64(col(r, "v"))[1], 9); /* b at t=1 from t=0 */
    ll_frame_free(r);
    free(order);
    free(group);
    ll_frame_free(g);
    ll_frame_free(f);
}

static void test_matrix_rules(void **state)
{
    (void)state;
    ll_frame *f = csv("a,c,b,d,x\n1,y,true,1970-01-03,0.5\n2,x,false,"
                      "1970-01-01,-1\n3,y,true,1970-01-02,2\n");
    ll_err err;
    ll_err_clear(&err);
    int cols[] = {0, 1, 2, 3, 4};
    int64_t w;
    assert_int_equal(ll_frame_matrix_width(f, cols, 5, 0, &w, &err), LL_OK);
    assert_int_equal(w, 5);
    float m[15];
    assert_int_equal(ll_frame_to_matrix(f, cols, 5, 0, m, w, &err), LL_OK);
    float want[] = {1, 1, 1, 2, 0.5f, 2, 0, 0, 0, -1, 3, 1, 1, 1, 2};
    for (int i = 0; i < 15; i++)
        assert_true(m[i] == want[i]);
    /* one-hot: the category spans its 2 values, in sorted order */
    int cols2[] = {1, 0};
    assert_int_equal(ll_frame_matrix_width(f, cols2, 2, 1, &w, &err), LL_OK);
    assert_int_equal(w, 3);
    float h[9];
    memset(h, 0x7f, sizeof h);
    assert_int_equal(ll_frame_to_matrix(f, cols2, 2, 1, h, w, &err), LL_OK);
    float want_h[] = {0, 1, 1, 1, 0, 2, 0, 1, 3};
    for (int i = 0; i < 9; i++)
        assert_true(h[i] == want_h[i]);
    /* a string column: codes into its sorted distinct values */
    ll_strbuilder sb;
    ll_sb_init(&sb);
    ll_sb_push(&sb, "q", 1);
    ll_sb_push(&sb, "p", 1);
    ll_sb_push(&sb, "q", 1);
    ll_column *s = ll_sb_finish(&sb, NULL);
    assert_int_equal(ll_frame_set(f, "s", s, &err), LL_OK);
    ll_col_unref(s);
    int cols3[] = {5};
    float sv[3];
    assert_int_equal(ll_frame_to_matrix(f, cols3, 1, 0, sv, 1, &err), LL_OK);
    assert_true(sv[0] == 1 && sv[1] == 0 && sv[2] == 1);
    /* a width that does not match */
    assert_int_not_equal(ll_frame_to_matrix(f, cols, 5, 0, m, 4, &err), LL_OK);
    assert_string_equal(err.msg, "the columns need more than 4 matrix columns");
    ll_frame_free(f);
    /* NA and NaN name the column and the row (from 1) */
    f = csv("a,x\n1,0.5\n,1\n");
    int c0[] = {0}, c1[] = {1};
    assert_int_not_equal(ll_frame_to_matrix(f, c0, 1, 0, m, 1, &err), LL_OK);
    assert_string_equal(err.msg, "column 'a' row 2 is NA");
    ll_frame_free(f);
    f = csv("a,x\n1,0.5\n2,NaN\n");
    assert_int_not_equal(ll_frame_to_matrix(f, c1, 1, 0, m, 1, &err), LL_OK);
    assert_string_equal(err.msg, "column 'x' row 2 is NA");
    assert_int_not_equal(ll_frame_matrix_width(f, c0, 0, 0, &w, &err), LL_OK);
    assert_string_equal(err.msg, "no columns");
    ll_frame_free(f);
    /* for charts, NA (a missing int, a NaN, a missing string) is NaN */
    f = csv("a,x,s\n1,0.5,p\n,NaN,\n3,2,q\n");
    int c3[] = {0, 1, 2};
    float g[9];
    assert_int_equal(ll_frame_to_matrix_nan(f, c3, 3, g, 3, &err), LL_OK);
    assert_true(g[0] == 1 && g[1] == 0.5f && g[2] == 0);
    assert_true(isnan(g[3]) && isnan(g[4]) && isnan(g[5]));
    assert_true(g[6] == 3 && g[7] == 2 && g[8] == 1);
    assert_int_not_equal(ll_frame_to_matrix_nan(f, c3, 3, g, 2, &err), LL_OK);
    assert_string_equal(err.msg, "the columns need more than 2 matrix columns");
    ll_frame_free(f);
}

static double num(const ll_column *c, int64_t i)
{
    return ll_col_isna(c, i) ? -999 : ll_col_num(c, i);
}

static void test_series_verbs(void **state)
{
    (void)state;
    ll_frame *f = csv("x,k\n1.5,3\n,1\n-2.5,4\n4,1\n");
    const ll_column *x = col(f, "x"), *k = col(f, "k");
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_cum(x, "cumsum", &err);
    assert_true(r->type == LL_FLOAT);
    assert_true(num(r, 0) == 1.5 && num(r, 1) == -999 && num(r, 2) == -1 &&
                num(r, 3) == 3);
    ll_col_unref(r);
    r = ll_col_cum(k, "cumprod", &err);
    assert_true(r->type == LL_INT && LL_I64(r)[3] == 12);
    ll_col_unref(r);
    r = ll_col_diff(k, 1, &err);
    assert_true(r->type == LL_FLOAT && num(r, 0) == -999 && num(r, 1) == -2 &&
                num(r, 3) == -3);
    ll_col_unref(r);
    r = ll_col_pct_change(x, -1, &err); /* x[i] / x[i+1] - 1 */
    assert_true(num(r, 0) == -999 && num(r, 2) == -1.625);
    ll_col_unref(r);
    r = ll_col_round(x, 0, &err); /* half to even: 1.5 -> 2, -2.5 -> -2 */
    assert_true(num(r, 0) == 2 && num(r, 2) == -2);
    ll_col_unref(r);
    r = ll_col_clip(k, 2, LL_NAN, &err);
    assert_true(r->type == LL_INT && LL_I64(r)[1] == 2 && LL_I64(r)[2] == 4);
    ll_col_unref(r);
    assert_null(ll_col_clip(k, 3, 2, &err));
    assert_string_equal(err.msg, "clip: lower 3 is above upper 2");
    double from = 1, to = 0.5;
    r = ll_col_replace_num(k, &from, &to, 1, &err);
    assert_true(r->type == LL_FLOAT && num(r, 1) == 0.5 && num(r, 0) == 3);
    ll_col_unref(r);
    r = ll_col_unique(ll_col_mut(k), &err);
    assert_int_equal(r->len, 3);
    assert_true(LL_I64(r)[0] == 3 && LL_I64(r)[1] == 1 && LL_I64(r)[2] == 4);
    ll_col_unref(r);
    ll_frame *vc = ll_col_value_counts(ll_col_mut(x), "x", 0, 0, &err);
    assert_int_equal(vc->nrow, 4); /* NA kept as a value */
    ll_frame_free(vc);
    vc = ll_col_value_counts(ll_col_mut(k), "k", 1, 1, &err);
    assert_true(num(vc->cols[0], 0) == 1 && num(vc->cols[1], 0) == 0.5);
    assert_string_equal(vc->names[1], "proportion");
    ll_frame_free(vc);
    assert_null(ll_col_cum(x, "cumfoo", &err));
    assert_string_equal(err.msg, "unknown cumulative function 'cumfoo'");
    ll_frame_free(f);
}

static void test_str_replace(void **state)
{
    (void)state;
    ll_frame *f = csv("s\naXa\nXX\nb\n\n");
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_str_replace(col(f, "s"), "X", "yz", &err);
    assert_str(r, 0, "ayza");
    assert_str(r, 1, "yzyz");
    assert_str(r, 2, "b");
    ll_col_unref(r);
    assert_null(ll_col_str_replace(col(f, "s"), "", "y", &err));
    assert_string_equal(err.msg, "str.replace: empty pattern");
    ll_frame_free(f);
}

static void test_reshape(void **state)
{
    (void)state;
    ll_frame *f = csv("i,c,v\nb,x,1\na,y,2\na,x,3\nb,y,4\n,x,5\n");
    ll_err err;
    ll_err_clear(&err);
    ll_frame *p = ll_frame_pivot(f, "i", "c", "v", &err);
    assert_non_null(p);
    assert_int_equal(p->nrow, 2); /* the NA index is left out */
    assert_string_equal(p->names[1], "x");
    assert_str(col(p, "i"), 0, "a");
    assert_true(LL_I64(col(p, "x"))[0] == 3 && LL_I64(col(p, "y"))[1] == 4);
    ll_frame_free(p);
    const char *id = "i";
    ll_frame *m = ll_frame_melt(f, &id, 1, NULL, 0, "var", "val", &err);
    assert_int_equal(m->nrow, 10);
    assert_str(col(m, "var"), 5, "v");
    ll_frame_free(m);
    ll_frame *c = ll_frame_corr(f, 1, &err);
    assert_int_equal(c->ncol, 2);
    assert_true(LL_F64(c->cols[1])[0] == 1.0);
    ll_frame_free(c);
    const char *v = "v";
    ll_frame *top = ll_frame_nlargest(f, 2, &v, 1, 1, &err);
    assert_true(LL_I64(col(top, "v"))[0] == 5 && LL_I64(col(top, "v"))[1] == 4);
    ll_frame_free(top);
    ll_frame *s1 = ll_frame_sample(f, 3, LL_NAN, 0, 9, &err);
    ll_frame *s2 = ll_frame_sample(f, 3, LL_NAN, 0, 9, &err);
    assert_int_equal(s1->nrow, 3);
    for (int64_t i = 0; i < 3; i++)
        assert_true(LL_I64(col(s1, "v"))[i] == LL_I64(col(s2, "v"))[i]);
    ll_frame_free(s1);
    ll_frame_free(s2);
    assert_null(ll_frame_sample(f, 6, LL_NAN, 0, 1, &err));
    ll_frame *dup = ll_frame_concat(f, f, &err);
    assert_null(ll_frame_pivot(dup, "i", "c", "v", &err));
    assert_string_equal(err.msg, "pivot: index 'b' and column 'x' appear "
                                 "together twice (use pivot_table to "
                                 "aggregate)");
    ll_frame *pt = ll_frame_pivot_table(dup, "i", "c", "v", "sum", &err);
    assert_true(LL_I64(col(pt, "x"))[0] == 6);
    ll_frame_free(pt);
    ll_frame_free(dup);
    ll_frame_free(f);
}

static void test_date_formats_and_coerce(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(ll_parse_date_fmt("03/15/2024", 10, "%m/%d/%Y", &ms));
    assert_true(ms == 1710460800000LL);
    assert_true(ll_parse_date_fmt("15 Mar 24 10:20:30.5", 20,
                                  "%d %b %y %H:%M:%S.%f", &ms));
    assert_true(ms == 1710460800000LL + 37230500);
    assert_false(ll_parse_date_fmt("02/30/2024", 10, "%m/%d/%Y", &ms));
    assert_false(ll_parse_date_fmt("03/15/2024x", 11, "%m/%d/%Y", &ms));
    assert_true(ll_date_fmt_has_time("%Y %H"));
    assert_false(ll_date_fmt_has_time("%Y-%m-%d"));
    assert_false(ll_date_fmt_check("%Y %Q"));
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    const char *pd[] = {"d"};
    o.parse_dates = pd;
    o.nparse_dates = 1;
    o.dayfirst = 1;
    o.coerce = 1;
    const char *text = "d\n15/03/2024\nsoon\nNone\n";
    ll_err err;
    ll_err_clear(&err);
    ll_frame *f =
        ll_frame_read_csv_mem(text, strlen(text), "t.csv", &o, NULL, &err);
    assert_non_null(f);
    assert_true(f->cols[0]->type == LL_DATE && f->cols[0]->null_count == 2);
    assert_int_equal(LL_I32(f->cols[0])[0], 19797);
    ll_frame_free(f);
    o.coerce = 0;
    assert_null(
        ll_frame_read_csv_mem(text, strlen(text), "t.csv", &o, NULL, &err));
    assert_string_equal(err.msg,
                        "t.csv:3: column 'd': cannot parse 'soon' as a "
                        "day-first date");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fillna_scalar_fills_columns_of_its_kind),
        cmocka_unit_test(test_fillna_per_column_and_errors),
        cmocka_unit_test(test_group_order_arrays),
        cmocka_unit_test(test_matrix_rules),
        cmocka_unit_test(test_series_verbs),
        cmocka_unit_test(test_str_replace),
        cmocka_unit_test(test_reshape),
        cmocka_unit_test(test_date_formats_and_coerce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
