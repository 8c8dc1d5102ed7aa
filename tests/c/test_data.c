/* Tests for data/: the generators, fetch's reuse and GloVe reading. */
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

#include "data/generators.h"
#include "util/calendar.h"
#include "util/fsutil.h"

static char *gen(const char *name, ll_gen_opts *o, long *rows)
{
    ll_buf b;
    ll_err err;
    ll_buf_init(&b);
    assert_int_equal(ll_gen_csv(name, o, &b, rows, &err), LL_OK);
    return ll_buf_take(&b);
}

/* The n-th (0-based) comma-separated field of line. */
static double field(const char *line, int n)
{
    for (int i = 0; i < n; i++)
        line = strchr(line, ',') + 1;
    return strtod(line, NULL);
}

static void test_battery_series(void **state)
{
    ll_gen_opts o;
    long rows;
    (void)state;
    ll_gen_opts_init(&o);
    char *csv = gen("daily-battery-time-series", &o, &rows);
    assert_int_equal(rows, 1539);
    const char *head = ",Date,Battery_ID,Battery_Age_Days,Number_Of_Trips,"
                       "Daily_Trip_Duration,Daily_Cycles_Used,"
                       "Lifetime_Cycles_Used,Battery_Rated_Cycles\n0,2013-"
                       "01-01,0,0,5,";
    assert_true(strncmp(csv, head, strlen(head)) == 0);
    double sum = 0, sumsq = 0, lo = 1e9, hi = -1e9, life = 0;
    char crossed[11] = "";
    int n = 0;
    char last_date[11] = "";
    for (char *line = strchr(csv, '\n') + 1; *line;
         line = strchr(line, '\n') + 1, n++) {
        double dur = field(line, 5), cyc = field(line, 6);
        double lifetime = field(line, 7);
        assert_int_equal((int)field(line, 0), n);
        assert_int_equal((int)field(line, 3), n);
        assert_true(fabs(cyc - 0.002460296605531603 * dur) < 1e-15);
        life += cyc;
        assert_true(fabs(lifetime - life) < 1e-9);
        if (lifetime >= 200 && !crossed[0])
            memcpy(crossed, strchr(line, ',') + 1, 10);
        memcpy(last_date, strchr(line, ',') + 1, 10);
        assert_true(strncmp(strchr(line, '\n') - 6, ",200.0", 6) == 0);
        sum += dur;
        sumsq += dur * dur;
        lo = dur < lo ? dur : lo;
        hi = dur > hi ? dur : hi;
    }
    assert_int_equal(n, 1539);
    double mean = sum / n, sd = sqrt(sumsq / n - mean * mean);
    assert_true(fabs(mean - 57.75) < 0.5);
    assert_true(fabs(sd - 4.93) < 0.4);
    assert_true(lo >= 42.9 && hi <= 75.3);
    assert_string_equal(crossed, "2016-11-07");
    assert_string_equal(last_date, "2017-03-19");
    free(csv);
}

static void test_deterministic(void **state)
{
    ll_gen_opts o;
    long rows;
    (void)state;
    for (int i = 0; ll_gen_names[i]; i++) {
        ll_gen_opts_init(&o);
        o.rows = 3000;
        char *a = gen(ll_gen_names[i], &o, &rows);
        assert_int_equal(rows, 3000);
        char *b = gen(ll_gen_names[i], &o, &rows);
        assert_string_equal(a, b);
        o.seed = 7;
        char *c = gen(ll_gen_names[i], &o, &rows);
        assert_true(strcmp(a, c) != 0);
        free(a);
        free(b);
        free(c);
    }
}

static void test_components(void **state)
{
    ll_gen_opts o;
    long rows;
    (void)state;
    ll_gen_opts_init(&o);
    char *csv = gen("connected-car-components", &o, &rows);
    assert_int_equal(rows, 100000);
    assert_true(strncmp(csv, "text,label\n", 11) == 0);
    /* The first note uses the "{condition} condition" template. */
    char *first = csv + 11;
    assert_true(strstr(first, " condition ") < strstr(first, "manufactured"));
    long ones = 0, good = 0, steel = 0, y2012 = 0;
    int n = 0;
    for (char *line = first; *line; line = strchr(line, '\n') + 1, n++) {
        char *comma = strchr(line, ',');
        char text[128];
        memcpy(text, line, (size_t)(comma - line));
        text[comma - line] = '\0';
        int label = comma[1] - '0';
        int year = 0;
        for (char *p = text; *p; p++)
            if (p[0] >= '1' && p[0] <= '2' && p[1] >= '0' && p[1] <= '9' &&
                p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9') {
                year = atoi(p);
                break;
            }
        assert_true(year >= 1970 && year <= 2019);
        int bad = year < 1995 || strstr(text, "fair ") ||
                  strstr(text, "poor ") || strstr(text, "plastic") ||
                  strstr(text, "iron");
        assert_int_equal(label, bad);
        ones += label;
        good += strstr(text, "good ") != NULL;
        steel += strstr(text, "steel") != NULL;
        y2012 += year == 2012;
    }
    assert_int_equal(n, 100000);
    /* Exact counts: the word order a tokenizer finds never moves. */
    assert_int_equal(good, 25200);
    assert_int_equal(steel, 25150);
    assert_int_equal(y2012, 2001);
    assert_true(ones > 80000 && ones < 95000);
    free(csv);
}

static void test_fleet(void **state)
{
    ll_gen_opts o;
    long rows;
    (void)state;
    ll_gen_opts_init(&o);
    o.batteries = 20;
    o.days = 400;
    char *csv = gen("battery-fleet-telemetry", &o, &rows);
    /* about 1% missing and 0.3% duplicated */
    assert_true(rows > 20 * 400 * 0.97 && rows < 20 * 400);
    int crossed = 0, dups = 0, last_b = -1;
    char prev[256] = "";
    for (char *line = strchr(csv, '\n') + 1; *line;) {
        char *nl = strchr(line, '\n');
        int b = (int)field(line, 2);
        if ((size_t)(nl - line) < sizeof prev) {
            if (strncmp(prev, line, (size_t)(nl - line)) == 0 &&
                prev[nl - line] == '\0')
                dups++;
            memcpy(prev, line, (size_t)(nl - line));
            prev[nl - line] = '\0';
        }
        double rated = field(line, 8), life = field(line, 7);
        assert_true(rated >= 150 && rated <= 300);
        if (b != last_b)
            last_b = b;
        if (life > rated && (nl[1] == '\0' || (int)field(nl + 1, 2) != b))
            crossed++;
        line = nl + 1;
    }
    assert_true(dups > 0);
    assert_true(crossed > 0 && crossed < 20);
    free(csv);
}

static void test_unknown_and_bad(void **state)
{
    ll_buf b;
    ll_err err;
    ll_gen_opts o;
    (void)state;
    ll_buf_init(&b);
    ll_gen_opts_init(&o);
    assert_int_equal(ll_gen_csv("nope", &o, &b, NULL, &err), LL_ENOTFOUND);
    assert_string_equal(err.msg,
                        "unknown data set 'nope' (known: "
                        "daily-battery-time-series, battery-fleet-telemetry, "
                        "connected-car-components)");
    o.rows = -3;
    assert_int_equal(
        ll_gen_csv("daily-battery-time-series", &o, &b, NULL, &err), LL_EINVAL);
    assert_string_equal(err.msg, "rows must be >= 1, got -3");
    ll_buf_free(&b);
}

static void test_fetch_reuse(void **state)
{
    char dir[] = "test_data.tmp-XXXXXX"; /* in the build tree */
    char sub[64];
    char *path = NULL;
    int reused = -1;
    long rows;
    ll_err err;
    ll_gen_opts o;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/data", dir);
    ll_gen_opts_init(&o);
    o.rows = 50;
    assert_int_equal(ll_dataset_fetch("connected-car-components", &o, sub,
                                      &path, &reused, &rows, &err),
                     LL_OK);
    assert_int_equal(reused, 0);
    assert_int_equal(rows, 50);
    assert_non_null(strstr(path, "/data/connected-car-components-r50.csv"));
    free(path);
    assert_int_equal(ll_dataset_fetch("connected-car-components", &o, sub,
                                      &path, &reused, &rows, &err),
                     LL_OK);
    assert_int_equal(reused, 1);
    /* A damaged file (same size, other bytes) is written again. */
    char *data;
    size_t len;
    assert_int_equal(ll_read_file(path, &data, &len, &err), LL_OK);
    data[20] = data[20] == 'x' ? 'y' : 'x';
    assert_int_equal(ll_write_file_atomic(path, data, len, &err), LL_OK);
    free(data);
    free(path);
    assert_int_equal(ll_dataset_fetch("connected-car-components", &o, sub,
                                      &path, &reused, &rows, &err),
                     LL_OK);
    assert_int_equal(reused, 0);
    free(path);
    assert_int_equal(ll_remove_tree(dir, &err), LL_OK);
}

static void test_glove(void **state)
{
    const char *words[] = {NULL,    "in",      "condition", "good",
                           "steel", "missing", "2012",      "in"};
    float m[8 * 4];
    unsigned char found[8];
    size_t count = 0;
    ll_err err;
    (void)state;
    memset(m, 0, sizeof m);
    assert_int_equal(ll_glove_load(LL_TEST_FIXTURES "/data/glove-mini.txt",
                                   words, 8, 4, m, found, &count, &err),
                     LL_OK);
    assert_int_equal(count, 6);
    assert_int_equal(found[0], 0);
    assert_int_equal(found[5], 0);
    assert_int_equal(found[7], 1);
    assert_true(m[1 * 4 + 0] == 0.085703f);
    assert_true(m[7 * 4 + 1] == -0.22201f);
    assert_true(m[4 * 4 + 3] == 0.015f);
    assert_true(m[5 * 4 + 0] == 0.0f);
    assert_int_equal(ll_glove_load(LL_TEST_FIXTURES "/data/glove-bad.txt",
                                   words, 8, 4, m, found, &count, &err),
                     LL_EPARSE);
    assert_non_null(strstr(err.msg, "/data/glove-bad.txt:2: word 'good' has "
                                    "fewer than 4 numbers"));
    assert_int_equal(ll_glove_load(LL_TEST_FIXTURES "/data/glove-mini.txt",
                                   words, 8, 3, m, found, &count, &err),
                     LL_EPARSE);
    assert_non_null(strstr(err.msg, ":2: word 'in' has more than 3 numbers"));
    assert_int_equal(ll_glove_load("/nonexistent/g.txt", words, 8, 4, m, found,
                                   &count, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg,
                        "/nonexistent/g.txt: No such file or directory");
}

/* npm's wink-embeddings JSON: the same vectors as glove-mini.txt, each
 * followed by its l2 norm and word index; escaped words. */
static void test_glove_json(void **state)
{
    const char *words[] = {NULL,    "in",         "condition", "good",
                           "steel", "missing",    "2012",      "in",
                           "\"",    "caf\xc3\xa9"};
    float m[10 * 4];
    unsigned char found[10];
    size_t count = 0;
    ll_err err;
    (void)state;
    memset(m, 0, sizeof m);
    assert_int_equal(ll_glove_load(LL_TEST_FIXTURES "/data/glove-mini.json",
                                   words, 10, 4, m, found, &count, &err),
                     LL_OK);
    assert_int_equal(count, 8);
    assert_int_equal(found[0], 0);
    assert_int_equal(found[5], 0);
    assert_int_equal(found[7], 1);
    assert_true(m[1 * 4 + 0] == 0.085703f);
    assert_true(m[7 * 4 + 1] == -0.22201f);
    assert_true(m[4 * 4 + 3] == 0.015f);
    assert_true(m[5 * 4 + 0] == 0.0f);
    assert_true(m[8 * 4 + 3] == 4.0f);  /* the word '"' */
    assert_true(m[9 * 4 + 0] == -1.0f); /* "caf\u00e9" */
    assert_int_equal(ll_glove_load(LL_TEST_FIXTURES "/data/glove-bad.json",
                                   words, 10, 4, m, found, &count, &err),
                     LL_EPARSE);
    assert_non_null(strstr(err.msg, "/data/glove-bad.json:2:23: word 'good' "
                                    "has fewer than 4 numbers"));
    assert_int_equal(ll_glove_load(LL_TEST_FIXTURES "/data/glove-mini.json",
                                   words, 10, 3, m, found, &count, &err),
                     LL_EPARSE);
    assert_non_null(strstr(err.msg, "/data/glove-mini.json: key 'dimensions': "
                                    "the vectors have 4 numbers, not dim = 3"));
}

/* Where the vectors are: $LUALAB_GLOVE, else npm's package under
 * $XDG_DATA_HOME/lualab when it is there. */
static void test_glove_path(void **state)
{
    char dir[] = "/tmp/ll-glove-XXXXXX", *p, want[512], sub[128];
    ll_err err;
    (void)state;
    assert_non_null(mkdtemp(dir));
    setenv("LUALAB_GLOVE", "/some/glove.6B.100d.txt", 1);
    p = ll_glove_path(&err);
    assert_string_equal(p, "/some/glove.6B.100d.txt");
    free(p);
    unsetenv("LUALAB_GLOVE");
    setenv("XDG_DATA_HOME", dir, 1);
    snprintf(sub, sizeof sub, "%s/lualab/node_modules/%s", dir, LL_GLOVE_NPM);
    snprintf(want, sizeof want, "%s/%s.json", sub, LL_GLOVE_NPM);
    /* not there: LL_ENOTFOUND naming the path looked for */
    ll_err_clear(&err);
    assert_null(ll_glove_path(&err));
    assert_int_equal(err.code, LL_ENOTFOUND);
    char msg[700];
    snprintf(msg, sizeof msg,
             "no word vectors: $LUALAB_GLOVE is not set and %s is not there",
             want);
    assert_string_equal(err.msg, msg);
    /* nowhere to look */
    const char *home = getenv("HOME");
    char *home_copy = home ? strdup(home) : NULL;
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    ll_err_clear(&err);
    assert_null(ll_glove_path(&err));
    assert_int_equal(err.code, LL_ENOTFOUND);
    assert_string_equal(err.msg,
                        "no word vectors: $LUALAB_GLOVE is not set and "
                        "neither $XDG_DATA_HOME nor $HOME says where to look "
                        "for " LL_GLOVE_NPM);
    if (home_copy)
        setenv("HOME", home_copy, 1);
    free(home_copy);
    setenv("XDG_DATA_HOME", dir, 1);
    assert_int_equal(ll_mkdir_p(sub, &err), LL_OK);
    FILE *f = fopen(want, "w");
    assert_non_null(f);
    fputs("{\"vectors\": {}}\n", f);
    fclose(f);
    p = ll_glove_path(&err);
    assert_string_equal(p, want);
    free(p);
    unsetenv("XDG_DATA_HOME");
    assert_int_equal(ll_remove_tree(dir, &err), LL_OK);
}

static void test_word_vector(void **state)
{
    float a[100], b[100], c[100];
    (void)state;
    ll_word_vector("steel", 100, 0, a);
    ll_word_vector("steel", 100, 0, b);
    ll_word_vector("steels", 100, 0, c);
    assert_memory_equal(a, b, sizeof a);
    assert_true(memcmp(a, c, sizeof a) != 0);
    double sum = 0;
    for (int i = 0; i < 100; i++) {
        assert_true(a[i] > -0.5f && a[i] < 0.5f);
        sum += (double)a[i];
    }
    assert_true(fabs(sum / 100) < 0.15);
}

static void test_civil(void **state)
{
    int64_t y;
    unsigned m, d;
    (void)state;
    ll_civil_from_days(0, &y, &m, &d);
    assert_true(y == 1970 && m == 1 && d == 1);
    ll_civil_from_days(15706 + 1406, &y, &m, &d);
    assert_true(y == 2016 && m == 11 && d == 7);
    ll_civil_from_days(15706 + 1154, &y, &m, &d);
    assert_true(y == 2016 && m == 2 && d == 29);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_battery_series),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_fleet),
        cmocka_unit_test(test_unknown_and_bad),
        cmocka_unit_test(test_fetch_reuse),
        cmocka_unit_test(test_glove),
        cmocka_unit_test(test_glove_json),
        cmocka_unit_test(test_glove_path),
        cmocka_unit_test(test_word_vector),
        cmocka_unit_test(test_civil),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
