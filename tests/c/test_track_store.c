/* Tests for track/store.c and track/filter.c: schema, experiments, runs,
 * params, metrics, tags, search and its filter errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track/track.h"
#include "util/fsutil.h"

typedef struct fx {
    char dir[64];
    char db[128];
    ll_track *t;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ll-track-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/runs.db", f->dir);
    ll_err err;
    if (ll_track_open(f->db, NULL, &f->t, &err) != LL_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ll_track_free(f->t);
    ll_remove_tree(f->dir, NULL);
    free(f);
    return 0;
}

static void test_schema_and_default_experiment(void **state)
{
    fx *f = *state;
    assert_int_equal(ll_track_schema_version(f->t), LL_TRACK_SCHEMA_VERSION);
    ll_track_experiment e;
    ll_err err;
    assert_int_equal(ll_track_experiment_get(f->t, 0, &e, &err), LL_OK);
    assert_string_equal(e.name, "Default");
    assert_string_equal(e.lifecycle, "active");
    char want[200];
    snprintf(want, sizeof want, "%s/mlartifacts/0", f->dir);
    assert_string_equal(e.artifact_location, want);
    ll_track_experiment_clear(&e);
    /* reopening runs no migration twice and keeps the data */
    ll_track_free(f->t);
    assert_int_equal(ll_track_open(f->db, NULL, &f->t, &err), LL_OK);
    assert_int_equal(ll_track_schema_version(f->t), 3);
    assert_int_equal(ll_track_experiment_get_by_name(f->t, "Default", &e, &err),
                     LL_OK);
    ll_track_experiment_clear(&e);
}

static void test_experiments(void **state)
{
    fx *f = *state;
    long long id;
    ll_err err;
    assert_int_equal(ll_track_experiment_create(f->t, "a", NULL, &id, &err),
                     LL_OK);
    assert_int_equal(id, 1);
    assert_int_equal(ll_track_experiment_create(f->t, "b", NULL, &id, &err),
                     LL_OK);
    assert_int_equal(id, 2);
    assert_int_equal(ll_track_experiment_create(f->t, "a", NULL, &id, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "experiment 'a' already exists");
    ll_track_experiment e;
    assert_int_equal(ll_track_experiment_get_by_name(f->t, "zz", &e, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "experiment 'zz' not found");
    assert_int_equal(ll_track_experiment_set_tag(f->t, 2, "team", "x", &err),
                     LL_OK);
    assert_int_equal(ll_track_experiment_get(f->t, 2, &e, &err), LL_OK);
    assert_int_equal(e.n_tags, 1);
    assert_string_equal(e.tags[0].value, "x");
    ll_track_experiment_clear(&e);
    ll_track_experiment *all;
    size_t n;
    assert_int_equal(ll_track_experiment_list(f->t, &all, &n, &err), LL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(all[2].name, "b");
    ll_track_experiments_free(all, n);
}

static void test_run_lifecycle_params_tags(void **state)
{
    fx *f = *state;
    char id[33];
    ll_err err;
    assert_int_equal(
        ll_track_run_create(f->t, 0, "first", "ann", "x.lua", 1000, id, &err),
        LL_OK);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(strspn(id, "0123456789abcdef"), 32);
    assert_int_equal(ll_track_log_param(f->t, id, "lr", "0.001", &err), LL_OK);
    /* the same value again is fine, another one is not */
    assert_int_equal(ll_track_log_param(f->t, id, "lr", "0.001", &err), LL_OK);
    assert_int_equal(ll_track_log_param(f->t, id, "lr", "0.01", &err),
                     LL_EINVAL);
    char want[300];
    snprintf(want, sizeof want,
             "param 'lr' was already logged as '0.001' for run %s; params "
             "are immutable, cannot change it to '0.01'",
             id);
    assert_string_equal(err.msg, want);
    assert_int_equal(ll_track_log_param(f->t, id, "bad key!", "1", &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "invalid param name 'bad key!': only letters, "
                                 "digits, '_', '-', '.', ' ', ':' and '/' are "
                                 "allowed");
    assert_int_equal(ll_track_log_param(f->t, id, "../x", "1", &err),
                     LL_EINVAL);
    assert_int_equal(ll_track_log_param(f->t, "nope", "a", "1", &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "run 'nope' not found");
    assert_int_equal(
        ll_track_set_tag(f->t, id, "mlflow.runName", "renamed", &err), LL_OK);
    assert_int_equal(ll_track_run_end(f->t, id, "DONE", 5, &err), LL_EINVAL);
    assert_string_equal(err.msg, "unknown run status 'DONE' (expected "
                                 "FINISHED, FAILED, KILLED or RUNNING)");
    assert_int_equal(ll_track_run_end(f->t, id, "FINISHED", 2500, &err), LL_OK);
    ll_track_run *r;
    assert_int_equal(ll_track_run_get(f->t, id, &r, &err), LL_OK);
    assert_string_equal(r->name, "renamed");
    assert_string_equal(r->status, "FINISHED");
    assert_int_equal(r->start_time, 1000);
    assert_int_equal(r->end_time, 2500);
    assert_string_equal(r->user, "ann");
    assert_int_equal(r->n_params, 1);
    /* mlflow.runName, mlflow.source.name, mlflow.user */
    assert_int_equal(r->n_tags, 3);
    assert_string_equal(r->tags[0].key, "mlflow.runName");
    assert_string_equal(r->tags[1].value, "x.lua");
    ll_track_run_free(r);
    /* a prefix and the name find it too */
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", id);
    assert_int_equal(ll_track_run_get(f->t, prefix, &r, &err), LL_OK);
    assert_string_equal(r->run_id, id);
    ll_track_run_free(r);
    assert_int_equal(ll_track_run_get(f->t, "renamed", &r, &err), LL_OK);
    ll_track_run_free(r);
    assert_int_equal(ll_track_run_get(f->t, "ffffffffff", &r, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "run 'ffffffffff' not found");
}

static void test_metrics_history_and_latest(void **state)
{
    fx *f = *state;
    char id[33];
    ll_err err;
    assert_int_equal(ll_track_run_create(f->t, 0, NULL, "u", "s", 1, id, &err),
                     LL_OK);
    /* out of order steps: latest is the highest step, then timestamp */
    assert_int_equal(ll_track_log_metric(f->t, id, "loss", 0.5, 10, 2, &err),
                     LL_OK);
    assert_int_equal(ll_track_log_metric(f->t, id, "loss", 0.9, 20, 0, &err),
                     LL_OK);
    assert_int_equal(ll_track_log_metric(f->t, id, "loss", 0.7, 30, 1, &err),
                     LL_OK);
    assert_int_equal(ll_track_log_metric(f->t, id, "loss", 0.4, 40, 2, &err),
                     LL_OK);
    assert_int_equal(ll_track_log_metric(f->t, id, "nan", NAN, 40, 0, &err),
                     LL_OK);
    ll_track_metric *h;
    size_t n;
    assert_int_equal(ll_track_metric_history(f->t, id, "loss", &h, &n, &err),
                     LL_OK);
    assert_int_equal(n, 4);
    assert_int_equal(h[0].step, 0);
    assert_true(h[0].value == 0.9);
    assert_true(h[3].value == 0.4);
    ll_track_metrics_free(h, n);
    ll_track_run *r;
    assert_int_equal(ll_track_run_get(f->t, id, &r, &err), LL_OK);
    assert_int_equal(r->n_metrics, 2);
    assert_string_equal(r->metrics[0].key, "loss");
    assert_true(r->metrics[0].value == 0.4);
    assert_true(isnan(r->metrics[1].value));
    assert_memory_equal(r->name, "run-", 4);
    ll_track_run_free(r);
    assert_int_equal(ll_track_count(f->t, "metrics", id), 5);
    /* an unknown run is reported when the batch is written */
    assert_int_equal(ll_track_log_metric(f->t,
                                         "0123456789abcdef0123456789abcdef",
                                         "x", 1, 1, 0, &err),
                     LL_OK);
    assert_int_equal(ll_track_flush(f->t, &err), LL_ENOTFOUND);
    assert_string_equal(err.msg,
                        "run '0123456789abcdef0123456789abcdef' not found");
    assert_int_equal(ll_track_count(f->t, "metrics", NULL), 5);
}

static void make_runs(fx *f, char ids[4][33])
{
    ll_err err;
    const char *lrs[] = {"0.1", "0.01", "0.001", "0.001"};
    const double acc[] = {0.80, 0.91, 0.95, 0.85};
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", i);
        assert_int_equal(
            ll_track_run_create(f->t, 0, name, "u", "s", 100 + i, ids[i], &err),
            LL_OK);
        assert_int_equal(ll_track_log_param(f->t, ids[i], "lr", lrs[i], &err),
                         LL_OK);
        assert_int_equal(ll_track_log_metric(f->t, ids[i], "val_accuracy",
                                             acc[i], 1, 0, &err),
                         LL_OK);
        if (i < 3)
            assert_int_equal(ll_track_log_metric(f->t, ids[i], "val_loss",
                                                 1.0 - acc[i], 1, 0, &err),
                             LL_OK);
    }
    assert_int_equal(ll_track_set_tag(f->t, ids[1], "model", "LSTM", &err),
                     LL_OK);
    assert_int_equal(ll_track_run_end(f->t, ids[3], "FAILED", 200, &err),
                     LL_OK);
}

static size_t search(fx *f, const char *filter, const char *order,
                     ll_track_run ***runs)
{
    size_t n = 0;
    ll_err err;
    const char *ob[1] = {order};
    int rc = ll_track_search(f->t, NULL, 0, filter, ob, order ? 1 : 0, 0, runs,
                             &n, &err);
    if (rc != LL_OK)
        fail_msg("search failed: %s", err.msg);
    return n;
}

static void test_search(void **state)
{
    fx *f = *state;
    char ids[4][33];
    make_runs(f, ids);
    ll_track_run **runs;
    size_t n = search(f, "metrics.val_accuracy > 0.9 and params.lr = '0.001'",
                      NULL, &runs);
    assert_int_equal(n, 1);
    assert_string_equal(runs[0]->run_id, ids[2]);
    assert_int_equal(runs[0]->n_params, 1);
    ll_track_runs_free(runs, n);
    /* default order: newest first */
    n = search(f, NULL, NULL, &runs);
    assert_int_equal(n, 4);
    assert_string_equal(runs[0]->name, "r3");
    ll_track_runs_free(runs, n);
    /* order by a metric, runs without it last */
    n = search(f, "", "metrics.val_loss ASC", &runs);
    assert_int_equal(n, 4);
    assert_string_equal(runs[0]->name, "r2");
    assert_string_equal(runs[1]->name, "r1");
    assert_string_equal(runs[3]->name, "r3");
    ll_track_runs_free(runs, n);
    n = search(f, "attributes.status = 'FAILED'", NULL, &runs);
    assert_int_equal(n, 1);
    assert_string_equal(runs[0]->name, "r3");
    ll_track_runs_free(runs, n);
    n = search(f, "tags.model LIKE 'LS%'", "attributes.start_time DESC", &runs);
    assert_int_equal(n, 1);
    assert_string_equal(runs[0]->name, "r1");
    ll_track_runs_free(runs, n);
    n = search(f, "tags.model LIKE 'ls%'", NULL, &runs); /* case matters */
    assert_int_equal(n, 0);
    ll_track_runs_free(runs, n);
    n = search(f, "tags.model ILIKE 'ls%'", NULL, &runs);
    assert_int_equal(n, 1);
    ll_track_runs_free(runs, n);
    n = search(f,
               "params.lr IN ('0.1', '0.01') AND metrics.`val_accuracy` >= 0.8",
               "params.lr DESC", &runs);
    assert_int_equal(n, 2);
    assert_string_equal(runs[0]->name, "r0");
    ll_track_runs_free(runs, n);
    n = search(f, "run.run_name != 'r0' and metrics.val_loss <= 0.06", NULL,
               &runs);
    assert_int_equal(n, 1);
    assert_string_equal(runs[0]->name, "r2");
    ll_track_runs_free(runs, n);
    /* a limit */
    ll_err err;
    assert_int_equal(
        ll_track_search(f->t, NULL, 0, NULL, NULL, 0, 2, &runs, &n, &err),
        LL_OK);
    assert_int_equal(n, 2);
    ll_track_runs_free(runs, n);
}

static void expect_filter_error(const char *filter, const char *msg)
{
    ll_track_query q;
    ll_err err;
    assert_int_equal(ll_track_filter_compile(filter, &q, &err), LL_EPARSE);
    assert_string_equal(err.msg, msg);
}

static void test_filter_errors(void **state)
{
    (void)state;
    expect_filter_error("metrics.acc >> 1",
                        "invalid filter: expected a number at column 14 of "
                        "\"metrics.acc >> 1\"");
    expect_filter_error("metrics.acc 1",
                        "invalid filter: expected a comparison operator (=, "
                        "!=, <, <=, >, >=, LIKE, ILIKE, IN) at column 13 of "
                        "\"metrics.acc 1\"");
    expect_filter_error("metrix.acc > 1",
                        "invalid filter: unknown entity (expected metrics., "
                        "params., tags. or attributes.) at column 1 of "
                        "\"metrix.acc > 1\"");
    expect_filter_error("params.lr = 0.1",
                        "invalid filter: expected a quoted string value at "
                        "column 13 of \"params.lr = 0.1\"");
    expect_filter_error("params.lr > '1'",
                        "invalid filter: params and tags are strings: use =, "
                        "!=, LIKE, ILIKE or IN at column 11 of \"params.lr > "
                        "'1'\"");
    expect_filter_error("metrics.a > 1 or metrics.b > 2",
                        "invalid filter: OR is not supported (use AND) at "
                        "column 15 of \"metrics.a > 1 or metrics.b > 2\"");
    expect_filter_error("params.x = 'open",
                        "invalid filter: unterminated string at column 12 of "
                        "\"params.x = 'open\"");
    expect_filter_error("attributes.color = 'red'",
                        "invalid filter: unknown attribute (expected status, "
                        "run_name, run_id, user_id, artifact_uri, start_time "
                        "or end_time) at column 1 of \"attributes.color = "
                        "'red'\"");
    expect_filter_error("metrics.a > 1 and",
                        "invalid filter: expected metrics.<key>, "
                        "params.<key>, tags.<key> or attributes.<name> at "
                        "column 18 of \"metrics.a > 1 and\"");
    ll_track_query q;
    ll_err err;
    assert_int_equal(ll_track_order_compile("metrics.x SIDEWAYS", &q, &err),
                     LL_EPARSE);
    assert_string_equal(err.msg, "order_by: invalid filter: expected ASC or "
                                 "DESC at column 11 of \"metrics.x "
                                 "SIDEWAYS\"");
}

static void test_uri_and_artifacts(void **state)
{
    fx *f = *state;
    char path[256];
    ll_err err;
    assert_int_equal(
        ll_track_uri_to_path("sqlite:///rel/x.db", path, sizeof path, &err),
        LL_OK);
    assert_string_equal(path, "rel/x.db");
    assert_int_equal(
        ll_track_uri_to_path("sqlite:////abs/x.db", path, sizeof path, &err),
        LL_OK);
    assert_string_equal(path, "/abs/x.db");
    assert_int_equal(
        ll_track_uri_to_path("http://host:5000", path, sizeof path, &err),
        LL_EINVAL);
    assert_string_equal(err.msg, "tracking URI 'http://host:5000': only "
                                 "sqlite:///PATH is supported");
    char src[200], dst[200];
    snprintf(src, sizeof src, "%s/src/sub", f->dir);
    assert_int_equal(ll_mkdir_p(src, &err), LL_OK);
    snprintf(src, sizeof src, "%s/src/sub/b.txt", f->dir);
    assert_int_equal(ll_write_file_atomic(src, "bb", 2, &err), LL_OK);
    snprintf(src, sizeof src, "%s/src/a.txt", f->dir);
    assert_int_equal(ll_write_file_atomic(src, "a", 1, &err), LL_OK);
    snprintf(src, sizeof src, "%s/src", f->dir);
    snprintf(dst, sizeof dst, "%s/dst/x", f->dir);
    assert_int_equal(ll_track_copy(src, dst, &err), LL_OK);
    char *list;
    assert_int_equal(ll_track_list_files(dst, &list, &err), LL_OK);
    assert_string_equal(list, "a.txt\nsub/b.txt\n");
    free(list);
    snprintf(src, sizeof src, "%s/none", f->dir);
    assert_int_equal(ll_track_copy(src, dst, &err), LL_ENOTFOUND);
}

static void test_open_existing_creates_nothing(void **state)
{
    fx *f = *state;
    ll_err err;
    ll_track *r = NULL;
    char missing[200];
    snprintf(missing, sizeof missing, "%s/typo/x.db", f->dir);
    assert_int_equal(ll_track_open_existing(missing, &r, &err), LL_ENOTFOUND);
    assert_null(r);
    char want[260];
    snprintf(want, sizeof want, "no tracking store at %s", missing);
    assert_string_equal(err.msg, want);
    char typo_dir[200];
    snprintf(typo_dir, sizeof typo_dir, "%s/typo", f->dir);
    assert_false(ll_file_exists(typo_dir));
    /* a file that is not a store is refused, and left as it was */
    char other[200];
    snprintf(other, sizeof other, "%s/notes.db", f->dir);
    assert_int_equal(ll_write_file_atomic(other, "", 0, &err), LL_OK);
    assert_int_equal(ll_track_open_existing(other, &r, &err), LL_EPARSE);
    snprintf(want, sizeof want, "%s is not a lualab tracking store", other);
    assert_string_equal(err.msg, want);
    /* an existing store reads; writing through the handle fails */
    char id[33];
    assert_int_equal(ll_track_run_create(f->t, 0, "r", "u", "s", 0, id, &err),
                     LL_OK);
    assert_int_equal(ll_track_open_existing(f->db, &r, &err), LL_OK);
    ll_track_run *run = NULL;
    assert_int_equal(ll_track_run_get(r, id, &run, &err), LL_OK);
    assert_string_equal(run->name, "r");
    ll_track_run_free(run);
    assert_int_not_equal(ll_track_set_tag(r, id, "k", "v", &err), LL_OK);
    ll_track_free(r);
}

static void test_model_uri_dir(void **state)
{
    fx *f = *state;
    ll_err err;
    char *dir = NULL;
    char uri[300], want[400];
    /* a plain directory, file:///, file://localhost/, file: with %XX */
    assert_int_equal(ll_track_model_uri_dir(f->dir, NULL, &dir, &err), LL_OK);
    assert_string_equal(dir, f->dir);
    free(dir);
    snprintf(uri, sizeof uri, "file://%s/", f->dir);
    assert_int_equal(ll_track_model_uri_dir(uri, NULL, &dir, &err), LL_OK);
    assert_string_equal(dir, f->dir);
    free(dir);
    snprintf(uri, sizeof uri, "file://localhost%s", f->dir);
    assert_int_equal(ll_track_model_uri_dir(uri, NULL, &dir, &err), LL_OK);
    assert_string_equal(dir, f->dir);
    free(dir);
    /* "/tmp/ll-track-..." with its first "-" escaped */
    snprintf(uri, sizeof uri, "file:%.*s%%2D%s", 7, f->dir, f->dir + 8);
    assert_int_equal(ll_track_model_uri_dir(uri, NULL, &dir, &err), LL_OK);
    assert_string_equal(dir, f->dir);
    free(dir);
    assert_int_equal(ll_track_model_uri_dir("file://host/x", NULL, &dir, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "model URI 'file://host/x': a file URI names "
                                 "a local path (file:///abs/path)");
    /* a store that does not exist is reported, not created */
    char tu[300];
    snprintf(tu, sizeof tu, "sqlite:///%s/typo/x.db", f->dir);
    assert_int_equal(ll_track_model_uri_dir("models:/m/1", tu, &dir, &err),
                     LL_ENOTFOUND);
    snprintf(want, sizeof want,
             "models:/m/1: no tracking store at %s/typo/x.db (set "
             "MLFLOW_TRACKING_URI or --tracking-uri)",
             f->dir);
    assert_string_equal(err.msg, want);
    snprintf(uri, sizeof uri, "%s/typo", f->dir);
    assert_false(ll_file_exists(uri));
}

/* A full disk: a VFS over the default one whose writes fail as on ENOSPC
 * (an I/O error whose system error is ENOSPC, as growing the WAL index or
 * syncing reports it), or with SQLITE_FULL. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs full_vfs;
static sqlite3_io_methods full_io;
static int full_rc;

static int full_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 o)
{
    (void)f;
    (void)p;
    (void)n;
    (void)o;
    return full_rc;
}

static int full_open(sqlite3_vfs *v, const char *name, sqlite3_file *f,
                     int flags, int *out_flags)
{
    (void)v;
    int rc = real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
    if (rc == SQLITE_OK && f->pMethods) {
        full_io = *f->pMethods;
        full_io.xWrite = full_write;
        f->pMethods = &full_io;
    }
    return rc;
}

static int full_last_error(sqlite3_vfs *v, int n, char *buf)
{
    (void)v;
    (void)n;
    (void)buf;
    return ENOSPC;
}

static void test_full_disk_says_so(void **state)
{
    (void)state;
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    full_vfs = *real_vfs;
    full_vfs.zName = "lualab-full";
    full_vfs.xOpen = full_open;
    full_vfs.xGetLastError = full_last_error;
    assert_int_equal(sqlite3_vfs_register(&full_vfs, 1), SQLITE_OK);
    char dir[] = "/tmp/ll-track-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[128], want[200];
    int rcs[] = {SQLITE_IOERR_WRITE, SQLITE_FULL};
    for (int i = 0; i < 2; i++) {
        snprintf(db, sizeof db, "%s/runs%d.db", dir, i);
        full_rc = rcs[i];
        ll_track *t = NULL;
        ll_err err;
        ll_err_clear(&err);
        int rc = ll_track_open(db, NULL, &t, &err);
        assert_int_equal(rc, LL_EIO);
        assert_null(t);
        snprintf(want, sizeof want, "%s: disk is full", db);
        assert_non_null(strstr(err.msg, want));
        assert_null(strstr(err.msg, "I/O error"));
    }
    sqlite3_vfs_unregister(&full_vfs);
    ll_err err;
    assert_int_equal(ll_remove_tree(dir, &err), LL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_and_default_experiment,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_experiments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_lifecycle_params_tags, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_metrics_history_and_latest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test(test_filter_errors),
        cmocka_unit_test_setup_teardown(test_open_existing_creates_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_uri_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_and_artifacts, setup,
                                        teardown),
        /* last: it replaces sqlite's default VFS */
        cmocka_unit_test(test_full_disk_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
