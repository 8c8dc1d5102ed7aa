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
    ll_column *s = ll_sb_finish(&sb);
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fillna_scalar_fills_columns_of_its_kind),
        cmocka_unit_test(test_fillna_per_column_and_errors),
        cmocka_unit_test(test_group_order_arrays),
        cmocka_unit_test(test_matrix_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
