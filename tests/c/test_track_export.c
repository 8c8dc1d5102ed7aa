/* Tests for track/export_mlflow.c: Python float repr, PyYAML scalars and
 * the whole exported tree, byte for byte against fixtures made by
 * tests/fixtures/track/make_formats.py and make_mlflow_export.py. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track/track.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/yaml.h"

static char fixtures[1024];

static char *read_fixture(const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", fixtures, name);
    char *data;
    size_t len;
    ll_err err;
    if (ll_read_file(path, &data, &len, &err) != LL_OK)
        fail_msg("%s", err.msg);
    return data;
}

static void test_pyfloat(void **state)
{
    (void)state;
    char *data = read_fixture("pyfloat.txt");
    int lines = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        *tab = '\0';
        double v = strtod(line, NULL);
        char got[64];
        ll_fmt_double(v, got, sizeof got);
        if (strcmp(got, tab + 1) != 0)
            fail_msg("repr(%s): want %s, got %s", line, tab + 1, got);
        lines++;
    }
    assert_true(lines >= 25);
    free(data);
}

static void test_yaml_scalars(void **state)
{
    (void)state;
    char *data = read_fixture("yaml_scalars.txt");
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        *tab = '\0';
        /* the fixture writes folded lines' newlines as \n */
        for (char *p = tab + 1, *q = tab + 1;; p++, q++) {
            if (p[0] == '\\' && p[1] == 'n') {
                *q = '\n';
                p++;
            } else {
                *q = *p;
            }
            if (!*p)
                break;
        }
        char *got;
        assert_int_equal(ll_yaml_scalar(line, 0, 3, &got), LL_OK);
        if (strcmp(got, tab + 1) != 0)
            fail_msg("yaml(%s): want %s, got %s", line, tab + 1, got);
        free(got);
        lines++;
    }
    assert_true(lines >= 50);
    free(data);
}

static void sql(ll_track *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *q = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (sqlite3_exec(ll_track_db(t), q, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", q, msg);
    sqlite3_free(q);
}

#define RUN_A "0123456789abcdef0123456789abcdef"
#define RUN_B "fedcba9876543210fedcba9876543210"

/* Give a new run a fixed id (the store picks random ones). */
static void fix_id(ll_track *t, const char *id, const char *fixed)
{
    sql(t,
        "PRAGMA foreign_keys=OFF; UPDATE runs SET run_uuid = '%q', "
        "artifact_uri = replace(artifact_uri, '%q', '%q') WHERE run_uuid = "
        "'%q'; UPDATE tags SET run_uuid = '%q' WHERE run_uuid = '%q'; "
        "PRAGMA foreign_keys=ON;",
        fixed, id, fixed, id, fixed, id);
}

static void metric(ll_track *t, const char *key, double v, long long ts,
                   long long step)
{
    ll_err err;
    assert_int_equal(ll_track_log_metric(t, RUN_A, key, v, ts, step, &err),
                     LL_OK);
}

static void build_store(ll_track *t, const char *art_root)
{
    ll_err err;
    long long exp;
    assert_int_equal(
        ll_track_experiment_create(t, "battery life", NULL, &exp, &err), LL_OK);
    assert_int_equal(ll_track_experiment_set_tag(t, exp, "team", "fleet", &err),
                     LL_OK);
    sql(t, "UPDATE experiments SET creation_time = 1700000000000 + 500 * "
           "experiment_id, last_update_time = 1700000000000 + 500 * "
           "experiment_id");
    char id[33];
    assert_int_equal(ll_track_run_create(t, exp, "run-a", "lab", "train.lua",
                                         1700000001000, id, &err),
                     LL_OK);
    fix_id(t, id, RUN_A);
    const char *params[][2] = {
        {"lr", "0.001"}, {"epochs", "5"}, {"optimizer", "adam"}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            ll_track_log_param(t, RUN_A, params[i][0], params[i][1], &err),
            LL_OK);
    metric(t, "loss", 0.5, 1700000002000, 0);
    metric(t, "loss", 0.25, 1700000003000, 1);
    metric(t, "loss", 0.125, 1700000004000, 2);
    metric(t, "val/acc", 0.9, 1700000004000, 2);
    metric(t, "tiny", 1e-05, 1700000004000, 0);
    metric(t, "big", 1e16, 1700000004000, 0);
    metric(t, "big", 100.0, 1700000004001, 1);
    assert_int_equal(ll_track_set_tag(t, RUN_A, "note", "a: b", &err), LL_OK);
    assert_int_equal(
        ll_track_run_end(t, RUN_A, "FINISHED", 1700000005000, &err), LL_OK);
    char path[1200];
    snprintf(path, sizeof path, "%s/1/%s/artifacts/model", art_root, RUN_A);
    assert_int_equal(ll_mkdir_p(path, &err), LL_OK);
    strcat(path, "/MLmodel");
    assert_int_equal(ll_write_file_atomic(path, "flavors: {}\n", 12, &err),
                     LL_OK);
    assert_int_equal(ll_track_run_create(t, exp, "yes", "lab", NULL,
                                         1700000006000, id, &err),
                     LL_OK);
    fix_id(t, id, RUN_B);
    long long v;
    for (int i = 0; i < 2; i++)
        assert_int_equal(ll_track_model_version_create(t, "battery",
                                                       "runs:/" RUN_A "/model",
                                                       RUN_A, &v, &err),
                         LL_OK);
    assert_int_equal(
        ll_track_model_alias_set(t, "battery", "champion", 2, &err), LL_OK);
    assert_int_equal(
        ll_track_model_version_stage(t, "battery", 2, "Production", 0, &err),
        LL_OK);
    sql(t, "UPDATE registered_models SET creation_time = 1700000007000, "
           "last_updated_time = 1700000009000;"
           "UPDATE model_versions SET creation_time = 1700000007000 + "
           "version, last_updated_time = 1700000008000 + version");
}

static char *replace_all(const char *s, const char *what, const char *with)
{
    ll_buf b;
    ll_buf_init(&b);
    size_t n = strlen(what);
    for (const char *p = s; *p;) {
        if (strncmp(p, what, n) == 0) {
            ll_buf_puts(&b, with);
            p += n;
        } else {
            ll_buf_putc(&b, *p++);
        }
    }
    return ll_buf_take(&b);
}

static void test_export_tree(void **state)
{
    (void)state;
    char dir[64] = "/tmp/ll-export-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[128], art[128], out[128];
    snprintf(db, sizeof db, "%s/s.db", dir);
    snprintf(art, sizeof art, "%s/mlartifacts", dir);
    snprintf(out, sizeof out, "%s/export", dir);
    ll_track *t;
    ll_err err;
    assert_int_equal(ll_track_open(db, NULL, &t, &err), LL_OK);
    build_store(t, art);
    assert_int_equal(ll_track_export_mlflow(t, out, &err), LL_OK);
    ll_track_free(t);

    char want_root[1200];
    snprintf(want_root, sizeof want_root, "%s/mlflow_export", fixtures);
    char *want_list, *got_list;
    assert_int_equal(ll_track_list_files(want_root, &want_list, &err), LL_OK);
    assert_int_equal(ll_track_list_files(out, &got_list, &err), LL_OK);
    assert_string_equal(got_list, want_list);
    assert_true(ll_file_exists(out) && strlen(want_list) > 500);
    char *real = realpath(out, NULL);
    int files = 0;
    for (char *line = want_list; *line;) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        char a[1400], b[1400];
        snprintf(a, sizeof a, "%s/%s", want_root, line);
        snprintf(b, sizeof b, "%s/%s", out, line);
        char *wd, *gd;
        size_t wl, gl;
        assert_int_equal(ll_read_file(a, &wd, &wl, &err), LL_OK);
        assert_int_equal(ll_read_file(b, &gd, &gl, &err), LL_OK);
        char *want = replace_all(wd, "@DIR@", real);
        if (strcmp(want, gd) != 0)
            fail_msg("%s differs:\n--- want\n%s--- got\n%s", line, want, gd);
        free(want);
        free(wd);
        free(gd);
        files++;
        line = nl + 1;
    }
    assert_int_equal(files, 23);
    free(real);
    free(want_list);
    free(got_list);
    ll_remove_tree(dir, NULL);
}

int main(void)
{
    const char *src = getenv("top_srcdir");
    snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/track",
             src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pyfloat),
        cmocka_unit_test(test_yaml_scalars),
        cmocka_unit_test(test_export_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
