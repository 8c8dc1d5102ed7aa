/* Tests for util/: err, buf, fsutil. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/calendar.h"
#include "util/err.h"
#include "util/suggest.h"
#include "util/fsutil.h"

static void test_err_set_and_prefix(void **state)
{
    (void)state;
    ll_err e;
    ll_err_clear(&e);
    assert_int_equal(ll_err_set(&e, LL_EPARSE, "line %d", 7), LL_EPARSE);
    ll_err_prefix(&e, "%s", "data.csv");
    assert_string_equal(e.msg, "data.csv: line 7");
    assert_int_equal(e.code, LL_EPARSE);
    assert_int_equal(ll_err_set(NULL, LL_EIO, "x"), LL_EIO);
    assert_string_equal(ll_err_name(LL_ENOMEM), "out of memory");
}

static void test_buf_grows_and_takes(void **state)
{
    (void)state;
    ll_buf b;
    ll_buf_init(&b);
    assert_string_equal(ll_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ll_buf_printf(&b, "%d,", i), LL_OK);
    assert_int_equal(b.len, 3890);
    assert_memory_equal(b.data, "0,1,2,", 6);
    char *s = ll_buf_take(&b);
    assert_int_equal(strlen(s), 3890);
    assert_null(b.data);
    free(s);
    s = ll_buf_take(&b);
    assert_string_equal(s, "");
    free(s);
}

static void test_atomic_write_and_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/lualab-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/file.txt", dir);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    ll_err e;
    assert_int_equal(ll_mkdir_p(sub, &e), LL_OK);
    assert_int_equal(ll_write_file_atomic(path, "hello", 5, &e), LL_OK);
    assert_int_equal(ll_write_file_atomic(path, "bye", 3, &e), LL_OK);
    char *data;
    size_t len;
    assert_int_equal(ll_read_file(path, &data, &len, &e), LL_OK);
    assert_int_equal(len, 3);
    assert_string_equal(data, "bye");
    free(data);
    assert_int_equal(ll_remove_tree(dir, &e), LL_OK);
    assert_false(ll_file_exists(dir));
}

static void test_read_missing_file_names_it(void **state)
{
    (void)state;
    ll_err e;
    char *data;
    assert_int_equal(ll_read_file("/nonexistent/x.lua", &data, NULL, &e),
                     LL_ENOTFOUND);
    assert_string_equal(e.msg, "/nonexistent/x.lua: No such file or directory");
    assert_null(data);
}

static void test_path_ext(void **state)
{
    (void)state;
    assert_string_equal(ll_path_ext("a/b.ipynb"), "ipynb");
    assert_string_equal(ll_path_ext("x.d/file"), "");
    assert_string_equal(ll_path_ext(".hidden"), "");
}

static void test_calendar_round_trip(void **state)
{
    (void)state;
    int64_t y;
    unsigned m, d;
    assert_int_equal(ll_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ll_days_from_civil(2013, 1, 1), 15706);
    assert_int_equal(ll_days_from_civil(1969, 12, 31), -1);
    ll_civil_from_days(ll_days_from_civil(2016, 2, 29), &y, &m, &d);
    assert_true(y == 2016 && m == 2 && d == 29);
    for (int64_t z = -800000; z <= 800000; z += 997) {
        ll_civil_from_days(z, &y, &m, &d);
        assert_int_equal(ll_days_from_civil(y, m, d), z);
    }
}

static void test_suggest(void **state)
{
    (void)state;
    static const char *const known[] = {"title", "xlabel", "aggfunc", "dropna",
                                        NULL};
    assert_int_equal(ll_edit_distance("titel", "title"), 2);
    assert_int_equal(ll_edit_distance("", "abc"), 3);
    assert_string_equal(ll_suggest("titel", known, -1), "title");
    assert_string_equal(ll_suggest("dropnan", known, -1), "dropna");
    assert_string_equal(ll_suggest("agg", known, -1), "aggfunc");
    assert_null(ll_suggest("colour", known, -1));
    assert_null(ll_suggest("ag", known, -1)); /* too short to be a prefix */
    const char *two[] = {"ylabel", NULL, "xlabel"};
    assert_string_equal(ll_suggest("xlabl", two, 3), "xlabel");
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_null(ll_suggest(big, known, -1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_set_and_prefix),
        cmocka_unit_test(test_buf_grows_and_takes),
        cmocka_unit_test(test_atomic_write_and_read),
        cmocka_unit_test(test_read_missing_file_names_it),
        cmocka_unit_test(test_path_ext),
        cmocka_unit_test(test_calendar_round_trip),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
