/*
 * runs: runs of the tracking store: create, end, params and tags
 * (written at once), reading runs back with their data, counting and
 * searching them (see track.h; the filter language is filter.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "track/store_int.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/signals.h"

/* ---- runs ---- */

static int random_hex(char out[33])
{
    unsigned char bytes[16];
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof bytes) {
        /* no urandom: time, pid and a counter still give unique ids */
        static unsigned counter;
        unsigned long long x = (unsigned long long)ll_now_ms() * 2654435761u ^
                               (unsigned long long)getpid() << 20 ^ ++counter;
        for (int i = 0; i < 16; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes[i] = (unsigned char)x;
        }
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return LL_OK;
}

const char *ll_track_user(char *buf, size_t cap)
{
    static const char *const vars[] = {"LOGNAME", "USER", "LNAME", "USERNAME"};
    const char *name = NULL;
    for (size_t i = 0; i < sizeof vars / sizeof *vars && !name; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            name = v;
    }
    if (!name) {
        struct passwd *pw = getpwuid(geteuid());
        if (pw && pw->pw_name && *pw->pw_name)
            name = pw->pw_name;
    }
    snprintf(buf, cap, "%s", name ? name : "unknown");
    return buf;
}

int ll_track_run_create(ll_track *t, long long experiment_id,
                        const char *run_name, const char *user,
                        const char *source, long long start_time,
                        char run_id[33], ll_err *err)
{
    ll_track_experiment e;
    int rc = ll_track_experiment_get(t, experiment_id, &e, err);
    if (rc != LL_OK)
        return rc;
    random_hex(run_id);
    char name[32];
    if (!run_name || !*run_name) {
        snprintf(name, sizeof name, "run-%.8s", run_id);
        run_name = name;
    }
    char *uri = sqlite3_mprintf("%s/%s/artifacts", e.artifact_location, run_id);
    ll_track_experiment_clear(&e);
    if (!uri)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    if ((rc = ll_track_begin(t, err)) != LL_OK) {
        sqlite3_free(uri);
        return rc;
    }
    sqlite3_stmt *st = NULL;
    rc = ll_trk_prepare(
        t,
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, "
        "source_name, start_time, artifact_uri) VALUES "
        "(?,?,?,?,?,?,?)",
        &st, err);
    if (rc == LL_OK) {
        sqlite3_bind_text(st, 1, run_id, 32, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, run_name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, experiment_id);
        sqlite3_bind_text(st, 4, user ? user : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, source ? source : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, start_time);
        sqlite3_bind_text(st, 7, uri, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = ll_track_sqlerr(t, err, "creating a run");
        sqlite3_finalize(st);
    }
    sqlite3_free(uri);
    const char *tags[][2] = {{"mlflow.runName", run_name},
                             {"mlflow.user", user},
                             {"mlflow.source.name", source}};
    for (int i = 0; rc == LL_OK && i < 3; i++) {
        if (!tags[i][1] || !*tags[i][1])
            continue;
        rc = ll_trk_prepare(t, "INSERT INTO tags VALUES (?, ?, ?)", &st, err);
        if (rc != LL_OK)
            break;
        sqlite3_bind_text(st, 1, run_id, 32, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, tags[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, tags[i][1], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = ll_track_sqlerr(t, err, "tagging a run");
        sqlite3_finalize(st);
    }
    return ll_track_end(t, rc, err);
}

/* Resolve a full id, a unique prefix or a run name to the 32-hex id.  An
 * ambiguous reference lists the runs it matches (the first five); a short
 * hex reference that matches nothing says how long a prefix must be. */
static int resolve_run(ll_track *t, const char *ref, char id[33], ll_err *err)
{
    if (!ref || !*ref)
        return ll_err_set(err, LL_EINVAL, "run id must not be empty");
    sqlite3_stmt *st;
    int rc = ll_trk_prepare(
        t,
        "SELECT run_uuid, coalesce(name, '') FROM runs WHERE run_uuid = ?1 "
        "UNION SELECT run_uuid, coalesce(name, '') FROM runs WHERE "
        "length(?1) >= 6 AND run_uuid LIKE ?1 || '%' UNION "
        "SELECT run_uuid, coalesce(name, '') FROM runs WHERE name = ?1 "
        "LIMIT 6",
        &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    int found = 0, step;
    char list[400] = "";
    size_t used = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (!s || !name) { /* the text could not be allocated */
            step = SQLITE_NOMEM;
            break;
        }
        if (found == 0 || strcmp(s, ref) == 0)
            snprintf(id, 33, "%s", s);
        if (strcmp(s, ref) == 0) {
            found = 1;
            break;
        }
        if (found < 5 && used < sizeof list) {
            int n = snprintf(list + used, sizeof list - used, "%s%.8s%s%s%s",
                             found ? ", " : "", s, *name ? " (" : "", name,
                             *name ? ")" : "");
            if (n > 0)
                used += (size_t)n;
        } else if (found == 5 && used < sizeof list) {
            snprintf(list + used, sizeof list - used, ", ...");
            used = sizeof list;
        }
        found++;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return step == SQLITE_NOMEM ? ll_err_oom(err)
                                    : ll_track_sqlerr(t, err, "finding a run");
    if (found == 0) {
        size_t n = strlen(ref);
        if (n < 6 && strspn(ref, "0123456789abcdef") == n)
            return ll_err_set(err, LL_ENOTFOUND,
                              "run '%s' not found (a run id prefix needs at "
                              "least 6 hex digits)",
                              ref);
        return ll_err_set(err, LL_ENOTFOUND, "run '%s' not found", ref);
    }
    if (found > 1)
        return ll_err_set(
            err, LL_EINVAL, "run '%s' is ambiguous: it matches %s%d runs: %s",
            ref, found > 5 ? "more than " : "", found > 5 ? 5 : found, list);
    return LL_OK;
}

static int run_exists(ll_track *t, const char *run_id, ll_err *err)
{
    sqlite3_stmt *st;
    int rc = ll_trk_prepare(t, "SELECT status FROM runs WHERE run_uuid = ?",
                            &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE)
        rc = ll_err_set(err, LL_ENOTFOUND, "run '%s' not found", run_id);
    else if (s != SQLITE_ROW) /* out of memory is not "not found" */
        rc = ll_track_sqlerr(t, err, "reading a run");
    sqlite3_finalize(st);
    return rc;
}

int ll_track_run_end(ll_track *t, const char *run_id, const char *status,
                     long long end_time, ll_err *err)
{
    static const char *const ok[] = {"RUNNING", "FINISHED", "FAILED", "KILLED",
                                     "SCHEDULED"};
    int known = 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        known |= status && strcmp(status, ok[i]) == 0;
    if (!known)
        return ll_err_set(err, LL_EINVAL,
                          "unknown run status '%s' (expected FINISHED, "
                          "FAILED, KILLED or RUNNING)",
                          status ? status : "");
    int rc = ll_track_flush(t, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = ll_trk_prepare(
             t,
             "UPDATE runs SET status = ?2, end_time = CASE WHEN "
             "?2 = 'RUNNING' THEN NULL ELSE ?3 END WHERE run_uuid "
             "= ?1",
             &st, err)) != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, end_time);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "ending a run");
    else if (sqlite3_changes(t->db) == 0)
        rc = ll_err_set(err, LL_ENOTFOUND, "run '%s' not found", run_id);
    sqlite3_finalize(st);
    return rc;
}

int ll_track_log_param(ll_track *t, const char *run_id, const char *key,
                       const char *value, ll_err *err)
{
    int rc = ll_trk_valid_key("param", key, err);
    if (rc != LL_OK)
        return rc;
    if (strlen(value) > 6000)
        return ll_err_set(err, LL_EINVAL,
                          "param '%s': value is longer than 6000 characters",
                          key);
    if ((rc = ll_track_flush(t, err)) != LL_OK)
        return rc;
    if ((rc = run_exists(t, run_id, err)) != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = ll_trk_prepare(
             t,
             "INSERT INTO params VALUES (?1, ?2, ?3) ON CONFLICT "
             "DO NOTHING",
             &st, err)) != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    while (s == SQLITE_ROW)
        s = sqlite3_step(st);
    int inserted = sqlite3_changes(t->db);
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return ll_track_sqlerr(t, err, "logging a param");
    if (inserted)
        return LL_OK;
    /* already there: the same value is fine, another is an error */
    if ((rc = ll_trk_prepare(
             t,
             "SELECT value FROM params WHERE run_uuid = ? AND key "
             "= ?",
             &st, err)) != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *old = (const char *)sqlite3_column_text(st, 0);
        if (strcmp(old, value) != 0)
            rc = ll_err_set(err, LL_EINVAL,
                            "param '%s' was already logged as '%s' for run "
                            "%s; params are immutable, cannot change it to "
                            "'%s'",
                            key, old, run_id, value);
    }
    sqlite3_finalize(st);
    return rc;
}

int ll_track_set_tag(ll_track *t, const char *run_id, const char *key,
                     const char *value, ll_err *err)
{
    int rc = ll_trk_valid_key("tag", key, err);
    if (rc != LL_OK)
        return rc;
    if ((rc = run_exists(t, run_id, err)) != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = ll_trk_prepare(
             t,
             "INSERT INTO tags VALUES (?1, ?2, ?3) ON CONFLICT DO "
             "UPDATE SET value = excluded.value",
             &st, err)) != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "setting a tag");
    sqlite3_finalize(st);
    if (rc == LL_OK && strcmp(key, "mlflow.runName") == 0) {
        if (ll_trk_prepare(t, "UPDATE runs SET name = ?2 WHERE run_uuid = ?1",
                           &st, err) == LL_OK) {
            sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    return rc;
}

void ll_track_run_free(ll_track_run *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->user);
    free(r->source);
    free(r->status);
    free(r->lifecycle);
    free(r->artifact_uri);
    ll_trk_kv_free(r->params, r->n_params);
    ll_trk_kv_free(r->tags, r->n_tags);
    for (size_t i = 0; i < r->n_metrics; i++)
        free(r->metrics[i].key);
    free(r->metrics);
    free(r);
}

void ll_track_runs_free(ll_track_run **runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++)
        ll_track_run_free(runs[i]);
    free(runs);
}

#define RUN_COLS                                                               \
    "SELECT runs.run_uuid, runs.experiment_id, runs.name, runs.user_id, "      \
    "runs.source_name, runs.status, runs.lifecycle_stage, "                    \
    "runs.artifact_uri, runs.start_time, coalesce(runs.end_time, -1) FROM "    \
    "runs "

static ll_track_run *run_from_row(sqlite3_stmt *st)
{
    ll_track_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(r->run_id, sizeof r->run_id, "%s", sqlite3_column_text(st, 0));
    r->experiment_id = sqlite3_column_int64(st, 1);
    r->name = ll_trk_col_dup(st, 2);
    r->user = ll_trk_col_dup(st, 3);
    r->source = ll_trk_col_dup(st, 4);
    r->status = ll_trk_col_dup(st, 5);
    r->lifecycle = ll_trk_col_dup(st, 6);
    r->artifact_uri = ll_trk_col_dup(st, 7);
    r->start_time = sqlite3_column_int64(st, 8);
    r->end_time = sqlite3_column_int64(st, 9);
    if (!r->name || !r->user || !r->source || !r->status || !r->lifecycle ||
        !r->artifact_uri) {
        ll_track_run_free(r);
        return NULL;
    }
    return r;
}

/* Binary search of runs sorted by id (for filling params/tags/metrics). */
static ll_track_run *find_run(ll_track_run **by_id, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(by_id[mid]->run_id, id);
        if (c == 0)
            return by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int cmp_run_id(const void *a, const void *b)
{
    const ll_track_run *const *x = a;
    const ll_track_run *const *y = b;
    return strcmp((*x)->run_id, (*y)->run_id);
}

/* Fill params, tags and latest metrics of runs whose ids are in temp.sel. */
static int fill_runs(ll_track *t, ll_track_run **runs, size_t n, ll_err *err)
{
    if (n == 0)
        return LL_OK;
    ll_track_run **by_id = malloc(n * sizeof *by_id);
    if (!by_id)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    memcpy(by_id, runs, n * sizeof *by_id);
    qsort(by_id, n, sizeof *by_id, cmp_run_id);
    static const char *const sqls[3] = {
        /* CROSS JOIN keeps the (small) selection as the outer loop */
        "SELECT p.run_uuid, p.key, p.value FROM temp.sel s CROSS JOIN params "
        "p ON p.run_uuid = s.id ORDER BY p.key",
        "SELECT g.run_uuid, g.key, g.value FROM temp.sel s CROSS JOIN tags g "
        "ON g.run_uuid = s.id ORDER BY g.key",
        "SELECT m.run_uuid, m.key, m.value, m.timestamp, m.step, m.is_nan "
        "FROM temp.sel s CROSS JOIN latest_metrics m ON m.run_uuid = s.id "
        "ORDER BY m.key"};
    int rc = LL_OK;
    for (int k = 0; k < 3 && rc == LL_OK; k++) {
        sqlite3_stmt *st;
        if ((rc = ll_trk_prepare(t, sqls[k], &st, err)) != LL_OK)
            break;
        while (rc == LL_OK && sqlite3_step(st) == SQLITE_ROW) {
            ll_track_run *r =
                find_run(by_id, n, (const char *)sqlite3_column_text(st, 0));
            if (!r)
                continue;
            const char *key = (const char *)sqlite3_column_text(st, 1);
            if (k == 0)
                rc = ll_trk_kv_append(&r->params, &r->n_params, key,
                                      (const char *)sqlite3_column_text(st, 2));
            else if (k == 1)
                rc = ll_trk_kv_append(&r->tags, &r->n_tags, key,
                                      (const char *)sqlite3_column_text(st, 2));
            else {
                ll_track_metric *g =
                    realloc(r->metrics, (r->n_metrics + 1) * sizeof *g);
                if (!g) {
                    rc = LL_ENOMEM;
                    break;
                }
                r->metrics = g;
                ll_track_metric *m = &g[r->n_metrics];
                m->key = ll_strdup(key);
                m->value = sqlite3_column_int(st, 5)
                               ? (double)NAN
                               : sqlite3_column_double(st, 2);
                m->timestamp = sqlite3_column_int64(st, 3);
                m->step = sqlite3_column_int64(st, 4);
                if (!m->key)
                    rc = LL_ENOMEM;
                else
                    r->n_metrics++;
            }
        }
        sqlite3_finalize(st);
        if (rc == LL_ENOMEM)
            ll_err_set(err, rc, "out of memory");
    }
    free(by_id);
    return rc;
}

/* Run `sql` (RUN_COLS ... with binds) and collect the runs with their data. */
static int collect_runs(ll_track *t, const char *sql, const ll_track_bind *b,
                        size_t nb, ll_track_run ***out, size_t *n, ll_err *err)
{
    *out = NULL;
    *n = 0;
    /* one read transaction: a consistent snapshot, and the temp-table
     * inserts are not each a transaction of their own */
    int own_txn = sqlite3_get_autocommit(t->db);
    int rc =
        ll_trk_exec(t,
                    own_txn ? "CREATE TEMP TABLE IF NOT EXISTS sel (id TEXT "
                              "PRIMARY KEY); BEGIN; DELETE FROM temp.sel;"
                            : "CREATE TEMP TABLE IF NOT EXISTS sel (id TEXT "
                              "PRIMARY KEY); DELETE FROM temp.sel;",
                    err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st, *ins;
    if ((rc = ll_trk_prepare(t, sql, &st, err)) != LL_OK) {
        if (own_txn)
            ll_track_rollback(t);
        return rc;
    }
    if ((rc = ll_trk_prepare(t, "INSERT OR IGNORE INTO temp.sel VALUES (?)",
                             &ins, err)) != LL_OK) {
        sqlite3_finalize(st);
        if (own_txn)
            ll_track_rollback(t);
        return rc;
    }
    for (size_t i = 0; i < nb; i++) {
        if (b[i].is_num)
            sqlite3_bind_double(st, (int)i + 1, b[i].num);
        else
            sqlite3_bind_text(st, (int)i + 1, b[i].text, -1, SQLITE_STATIC);
    }
    size_t cap = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            ll_track_run **g = realloc(*out, cap * sizeof *g);
            if (!g) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            *out = g;
        }
        ll_track_run *r = run_from_row(st);
        if (!r) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        (*out)[(*n)++] = r;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, r->run_id, -1, SQLITE_STATIC);
        sqlite3_step(ins);
    }
    if (rc == LL_OK && s != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "searching runs");
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    if (rc == LL_OK)
        rc = fill_runs(t, *out, *n, err);
    if (own_txn && rc == LL_OK)
        rc = ll_trk_exec(t, "COMMIT", err);
    if (own_txn && rc != LL_OK)
        ll_track_rollback(t);
    if (rc != LL_OK) {
        ll_track_runs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int ll_track_run_get(ll_track *t, const char *run_ref, ll_track_run **out,
                     ll_err *err)
{
    *out = NULL;
    int rc = ll_track_flush(t, err);
    if (rc != LL_OK)
        return rc;
    char id[33];
    if ((rc = resolve_run(t, run_ref, id, err)) != LL_OK)
        return rc;
    ll_track_bind b = {0, 0, id};
    ll_track_run **runs;
    size_t n;
    rc = collect_runs(t, RUN_COLS "WHERE run_uuid = ?1", &b, 1, &runs, &n, err);
    if (rc != LL_OK)
        return rc;
    if (n != 1) {
        ll_track_runs_free(runs, n);
        return ll_err_set(err, LL_ENOTFOUND, "run '%s' not found", run_ref);
    }
    *out = runs[0];
    free(runs);
    return LL_OK;
}

long long ll_track_count(ll_track *t, const char *table, const char *run_id)
{
    static const char *const ok[] = {"metrics", "params", "tags", "runs",
                                     "latest_metrics"};
    int known = 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        known |= strcmp(table, ok[i]) == 0;
    if (!known || ll_track_flush(t, NULL) != LL_OK)
        return -1;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", table,
             run_id ? " WHERE run_uuid = ?" : "");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (run_id)
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    long long c =
        sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return c;
}

int ll_track_search(ll_track *t, const long long *exp_ids, size_t n_exp,
                    const char *filter, const char *const *order_by,
                    size_t n_order, long long max_results, ll_track_run ***out,
                    size_t *n, ll_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = ll_track_flush(t, err);
    if (rc != LL_OK)
        return rc;
    ll_track_query q = {0};
    if ((rc = ll_track_filter_compile(filter, &q, err)) != LL_OK)
        return rc;
    ll_buf sql;
    ll_buf_init(&sql);
    rc = ll_buf_printf(&sql,
                       RUN_COLS "WHERE runs.lifecycle_stage = "
                                "'active' AND (%s)",
                       q.sql);
    if (n_exp > 0) {
        rc |= ll_buf_puts(&sql, " AND runs.experiment_id IN (");
        for (size_t i = 0; i < n_exp; i++)
            rc |= ll_buf_printf(&sql, "%s%lld", i ? "," : "", exp_ids[i]);
        rc |= ll_buf_puts(&sql, ")");
    }
    /* ORDER BY terms are compiled after the filter so binds stay in order */
    free(q.sql);
    q.sql = NULL;
    rc |= ll_buf_puts(&sql, " ORDER BY ");
    for (size_t i = 0; rc == LL_OK && i < n_order; i++) {
        if ((rc = ll_track_order_compile(order_by[i], &q, err)) != LL_OK)
            break;
        rc = ll_buf_printf(&sql, "%s, ", q.sql);
        free(q.sql);
        q.sql = NULL;
    }
    if (rc == LL_OK) {
        rc = ll_buf_puts(&sql, "runs.start_time DESC, runs.run_uuid");
        if (max_results > 0)
            rc |= ll_buf_printf(&sql, " LIMIT %lld", max_results);
        if (rc != LL_OK)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    if (rc == LL_OK)
        rc = collect_runs(t, ll_buf_str(&sql), q.binds, q.n_binds, out, n, err);
    ll_buf_free(&sql);
    ll_track_query_clear(&q);
    return rc;
}
