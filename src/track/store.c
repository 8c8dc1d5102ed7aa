/*
 * store: the tracking store on SQLite (see track.h for the contract).
 *
 * The schema follows MLflow's SQL store closely (experiments, runs, params,
 * metrics, latest_metrics, tags, experiment_tags) so the concepts map one to
 * one.  `schema_version` records which migrations ran; each migration runs
 * in its own IMMEDIATE transaction, so two processes opening a new database
 * at once apply it once.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "track/track.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/signals.h"

typedef struct pending_metric {
    char run_id[33];
    char *key;
    double value;
    long long timestamp;
    long long step;
} pending_metric;

struct ll_track {
    sqlite3 *db;
    char *db_path;
    char *artifact_root;
    /* The metric buffer and the flusher thread.  mu guards the buffer and
     * is held while a batch is written (by either thread), so a flush that
     * returns has every earlier point committed. */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t flusher;
    int has_flusher;
    int stop;
    pending_metric *pending;
    size_t n_pending;
    size_t cap_pending;
    long long pending_since; /* ms of the oldest buffered point */
    int async_rc;            /* a failed background write, reported once */
    ll_err async_err;
};

#define PENDING_MAX 20000

static const char *const migrations[] = {
    /* 1: MLflow's entities */
    "CREATE TABLE experiments ("
    " experiment_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " artifact_location TEXT NOT NULL,"
    " lifecycle_stage TEXT NOT NULL DEFAULT 'active'"
    "  CHECK (lifecycle_stage IN ('active','deleted')),"
    " creation_time INTEGER NOT NULL,"
    " last_update_time INTEGER NOT NULL);"
    "CREATE TABLE experiment_tags ("
    " experiment_id INTEGER NOT NULL REFERENCES experiments ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (experiment_id, key));"
    "CREATE TABLE runs ("
    " run_uuid TEXT PRIMARY KEY CHECK (length(run_uuid) = 32),"
    " name TEXT NOT NULL,"
    " experiment_id INTEGER NOT NULL REFERENCES experiments,"
    " user_id TEXT NOT NULL DEFAULT '',"
    " source_name TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL DEFAULT 'RUNNING' CHECK (status IN"
    "  ('SCHEDULED','RUNNING','FINISHED','FAILED','KILLED')),"
    " start_time INTEGER NOT NULL,"
    " end_time INTEGER,"
    " lifecycle_stage TEXT NOT NULL DEFAULT 'active',"
    " artifact_uri TEXT NOT NULL);"
    "CREATE INDEX runs_exp ON runs (experiment_id, start_time);"
    "CREATE TABLE params ("
    " run_uuid TEXT NOT NULL REFERENCES runs ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (run_uuid, key));"
    "CREATE TABLE tags ("
    " run_uuid TEXT NOT NULL REFERENCES runs ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (run_uuid, key));"
    "CREATE TABLE metrics ("
    " run_uuid TEXT NOT NULL REFERENCES runs ON DELETE CASCADE,"
    " key TEXT NOT NULL, value REAL, is_nan INTEGER NOT NULL DEFAULT 0,"
    " timestamp INTEGER NOT NULL, step INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX metrics_run_key ON metrics (run_uuid, key, step);"
    "CREATE TABLE latest_metrics ("
    " run_uuid TEXT NOT NULL REFERENCES runs ON DELETE CASCADE,"
    " key TEXT NOT NULL, value REAL, is_nan INTEGER NOT NULL DEFAULT 0,"
    " timestamp INTEGER NOT NULL, step INTEGER NOT NULL,"
    " PRIMARY KEY (run_uuid, key));"
    "CREATE INDEX latest_metrics_key ON latest_metrics (key, value);",
    /* 2: the model registry */
    "CREATE TABLE registered_models ("
    " name TEXT PRIMARY KEY,"
    " creation_time INTEGER NOT NULL,"
    " last_updated_time INTEGER NOT NULL,"
    " description TEXT);"
    "CREATE TABLE registered_model_tags ("
    " name TEXT NOT NULL REFERENCES registered_models ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, key));"
    "CREATE TABLE model_versions ("
    " name TEXT NOT NULL REFERENCES registered_models ON DELETE CASCADE,"
    " version INTEGER NOT NULL CHECK (version >= 1),"
    " creation_time INTEGER NOT NULL,"
    " last_updated_time INTEGER NOT NULL,"
    " description TEXT, user_id TEXT,"
    " current_stage TEXT NOT NULL DEFAULT 'None' CHECK (current_stage IN"
    "  ('None','Staging','Production','Archived')),"
    " source TEXT NOT NULL, run_id TEXT,"
    " status TEXT NOT NULL DEFAULT 'READY',"
    " PRIMARY KEY (name, version));"
    "CREATE TABLE registered_model_aliases ("
    " name TEXT NOT NULL REFERENCES registered_models ON DELETE CASCADE,"
    " alias TEXT NOT NULL, version INTEGER NOT NULL,"
    " PRIMARY KEY (name, alias),"
    " FOREIGN KEY (name, version) REFERENCES model_versions"
    "  ON DELETE CASCADE);",
    /* 3: indexes for search_runs filters on params and tags */
    "CREATE INDEX params_key ON params (key, value);"
    "CREATE INDEX tags_key ON tags (key, value);",
};

/* ---- small helpers ---- */

void *ll_track_db(ll_track *t)
{
    return t->db;
}

int ll_track_sqlerr(ll_track *t, ll_err *err, const char *what)
{
    int rc = sqlite3_errcode(t->db);
    int code = rc == SQLITE_NOMEM        ? LL_ENOMEM
               : rc == SQLITE_CONSTRAINT ? LL_EINVAL
                                         : LL_EIO;
    return ll_err_set(err, code, "%s: %s: %s", t->db_path, what,
                      sqlite3_errmsg(t->db));
}

static int exec(ll_track *t, const char *sql, ll_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(t->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(t->db) == SQLITE_NOMEM ? LL_ENOMEM : LL_EIO;
        ll_err_set(err, code, "%s: %s", t->db_path,
                   msg ? msg : sqlite3_errmsg(t->db));
        sqlite3_free(msg);
        return code;
    }
    return LL_OK;
}

int ll_track_begin(ll_track *t, ll_err *err)
{
    return exec(t, "BEGIN IMMEDIATE", err);
}

int ll_track_commit(ll_track *t, ll_err *err)
{
    return exec(t, "COMMIT", err);
}

void ll_track_rollback(ll_track *t)
{
    if (!sqlite3_get_autocommit(t->db))
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
}

int ll_track_end(ll_track *t, int rc, ll_err *err)
{
    if (rc == LL_OK)
        rc = ll_track_commit(t, err);
    if (rc != LL_OK)
        ll_track_rollback(t);
    return rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? ll_strdup((const char *)s) : NULL;
}

static int prepare(ll_track *t, const char *sql, sqlite3_stmt **st, ll_err *err)
{
    if (sqlite3_prepare_v2(t->db, sql, -1, st, NULL) != SQLITE_OK)
        return ll_track_sqlerr(t, err, "preparing a statement");
    return LL_OK;
}

static int valid_key(const char *what, const char *key, ll_err *err)
{
    if (!key || !*key)
        return ll_err_set(err, LL_EINVAL, "%s name must not be empty", what);
    if (strlen(key) > 250)
        return ll_err_set(err, LL_EINVAL,
                          "%s name '%.40s...' is longer than 250 characters",
                          what, key);
    for (const char *p = key; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
            !(c >= '0' && c <= '9') && !strchr("_-. /:", c) && c < 0x80)
            return ll_err_set(err, LL_EINVAL,
                              "invalid %s name '%s': only letters, digits, "
                              "'_', '-', '.', ' ', ':' and '/' are allowed",
                              what, key);
    }
    if (strstr(key, "..") || key[0] == '/')
        return ll_err_set(err, LL_EINVAL,
                          "invalid %s name '%s': it must be a relative path "
                          "without '..'",
                          what, key);
    return LL_OK;
}

/* ---- open / close ---- */

static void *flusher_main(void *arg);

int ll_track_uri_to_path(const char *uri, char *out, size_t cap, ll_err *err)
{
    const char *p = uri;
    if (!uri || !*uri)
        return ll_err_set(err, LL_EINVAL, "empty tracking URI");
    if (strncmp(uri, "sqlite:", 7) == 0) {
        p = uri + 7;
        if (strncmp(p, "///", 3) != 0)
            return ll_err_set(err, LL_EINVAL,
                              "tracking URI '%s': expected sqlite:///PATH",
                              uri);
        p += 3; /* sqlite:///rel.db or sqlite:////abs.db */
    } else if (strstr(uri, "://")) {
        return ll_err_set(err, LL_EINVAL,
                          "tracking URI '%s': only sqlite:///PATH is "
                          "supported",
                          uri);
    }
    if (!*p)
        return ll_err_set(err, LL_EINVAL, "tracking URI '%s' has no path", uri);
    if (strlen(p) + 1 > cap)
        return ll_err_set(err, LL_ERANGE, "tracking URI '%s' is too long", uri);
    strcpy(out, p);
    return LL_OK;
}

static char *abs_path(const char *path)
{
    if (path[0] == '/')
        return ll_strdup(path);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    ll_buf b;
    ll_buf_init(&b);
    const char *p = path;
    while (strncmp(p, "./", 2) == 0)
        p += 2;
    if (ll_buf_printf(&b, "%s/%s", cwd, p) != LL_OK)
        return NULL;
    return ll_buf_take(&b);
}

/* Switching a new database to WAL and creating the first table can report
 * SQLITE_BUSY without waiting in the busy handler when several processes
 * open a new file at once: retry those for up to 30 s. */
static int exec_retry(ll_track *t, const char *sql, ll_err *err)
{
    double start = ll_monotonic();
    for (;;) {
        int rc = sqlite3_exec(t->db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return LL_OK;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return exec(t, sql, err);
        if (ll_monotonic() - start > 30.0)
            return ll_err_set(err, LL_ETIMEOUT, "%s: %s", t->db_path,
                              sqlite3_errmsg(t->db));
        struct timespec nap = {0, 10 * 1000000L};
        nanosleep(&nap, NULL);
    }
}

static int schema_version(ll_track *t, int *v, ll_err *err);

static int migrate(ll_track *t, ll_err *err)
{
    int rc = exec_retry(t,
                        "CREATE TABLE IF NOT EXISTS schema_version ("
                        " version INTEGER NOT NULL)",
                        err);
    if (rc != LL_OK)
        return rc;
    int n = (int)(sizeof migrations / sizeof migrations[0]);
    for (int target = 1; target <= n; target++) {
        if ((rc = ll_track_begin(t, err)) != LL_OK)
            return rc;
        int have;
        if ((rc = schema_version(t, &have, err)) != LL_OK) {
            ll_track_rollback(t);
            return rc;
        }
        if (have >= target) {
            ll_track_rollback(t);
            continue;
        }
        rc = exec(t, migrations[target - 1], err);
        if (rc == LL_OK && target == 1) {
            char *sql = sqlite3_mprintf(
                "INSERT INTO experiments VALUES (0, 'Default', '%q/0', "
                "'active', %lld, %lld)",
                t->artifact_root, ll_now_ms(), ll_now_ms());
            rc = sql ? exec(t, sql, err)
                     : ll_err_set(err, LL_ENOMEM, "out of memory");
            sqlite3_free(sql);
        }
        if (rc == LL_OK) {
            char sql[96];
            snprintf(sql, sizeof sql,
                     "DELETE FROM schema_version;"
                     "INSERT INTO schema_version VALUES (%d)",
                     target);
            rc = exec(t, sql, err);
        }
        if ((rc = ll_track_end(t, rc, err)) != LL_OK) {
            ll_err_prefix(err, "migration %d", target);
            return rc;
        }
    }
    return LL_OK;
}

/* The recorded version into *v; a failed query is an error, never
 * "version 0" (which would run the migrations again). */
static int schema_version(ll_track *t, int *v, ll_err *err)
{
    sqlite3_stmt *st;
    *v = 0;
    if (sqlite3_prepare_v2(t->db, "SELECT max(version) FROM schema_version", -1,
                           &st, NULL) != SQLITE_OK)
        return ll_track_sqlerr(t, err, "schema version");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? LL_OK
               : ll_track_sqlerr(t, err, "schema version");
}

int ll_track_schema_version(ll_track *t)
{
    int v;
    return schema_version(t, &v, NULL) ? 0 : v;
}

int ll_track_open(const char *db_path, const char *artifact_root,
                  ll_track **out, ll_err *err)
{
    *out = NULL;
    ll_track *t = calloc(1, sizeof *t);
    if (!t)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->wake, NULL);
    t->db_path = ll_strdup(db_path);
    if (artifact_root) {
        t->artifact_root = abs_path(artifact_root);
    } else {
        char *abs = abs_path(db_path);
        if (abs) {
            char *slash = strrchr(abs, '/');
            *slash = '\0';
            ll_buf b;
            ll_buf_init(&b);
            if (ll_buf_printf(&b, "%s/mlartifacts", abs) == LL_OK)
                t->artifact_root = ll_buf_take(&b);
            free(abs);
        }
    }
    if (!t->db_path || !t->artifact_root) {
        ll_track_free(t);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    char *dir = ll_strdup(db_path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        ll_mkdir_p(dir, NULL);
    }
    free(dir);
    if (sqlite3_open_v2(db_path, &t->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        int nomem = !t->db || sqlite3_errcode(t->db) == SQLITE_NOMEM;
        int rc = ll_err_set(err, nomem ? LL_ENOMEM : LL_EIO,
                            "%s: cannot open: %s", db_path,
                            t->db ? sqlite3_errmsg(t->db) : "out of memory");
        ll_track_free(t);
        return rc;
    }
    sqlite3_busy_timeout(t->db, 30000);
    int rc =
        exec_retry(t,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON;",
                   err);
    if (rc == LL_OK)
        rc = migrate(t, err);
    if (rc != LL_OK) {
        ll_track_free(t);
        return rc;
    }
    /* without the thread, points still reach the database at the next
     * read, end_run, flush or close */
    t->has_flusher = pthread_create(&t->flusher, NULL, flusher_main, t) == 0;
    *out = t;
    return LL_OK;
}

void ll_track_free(ll_track *t)
{
    if (!t)
        return;
    if (t->has_flusher) {
        pthread_mutex_lock(&t->mu);
        t->stop = 1;
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->flusher, NULL);
        t->has_flusher = 0;
    }
    if (t->db)
        ll_track_flush(t, NULL);
    for (size_t i = 0; i < t->n_pending; i++)
        free(t->pending[i].key);
    free(t->pending);
    if (t->db)
        sqlite3_close_v2(t->db);
    free(t->db_path);
    free(t->artifact_root);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

const char *ll_track_db_path(const ll_track *t)
{
    return t->db_path;
}

const char *ll_track_artifact_root(const ll_track *t)
{
    return t->artifact_root;
}

/* ---- experiments ---- */

int ll_track_experiment_create(ll_track *t, const char *name,
                               const char *artifact_location, long long *id,
                               ll_err *err)
{
    if (!name || !*name)
        return ll_err_set(err, LL_EINVAL, "experiment name must not be empty");
    int rc = ll_track_begin(t, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = prepare(t,
                 "INSERT INTO experiments (experiment_id, name, "
                 "artifact_location, creation_time, last_update_time) "
                 "VALUES ((SELECT coalesce(max(experiment_id), 0) + 1 FROM "
                 "experiments), ?1, '', ?2, ?2)",
                 &st, err);
    if (rc != LL_OK)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ll_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_errcode(t->db) == SQLITE_CONSTRAINT)
            rc = ll_err_set(err, LL_EINVAL, "experiment '%s' already exists",
                            name);
        else
            rc = ll_track_sqlerr(t, err, "creating an experiment");
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    long long new_id = sqlite3_last_insert_rowid(t->db);
    char *sql;
    if (artifact_location)
        sql = sqlite3_mprintf("UPDATE experiments SET artifact_location = %Q "
                              "WHERE experiment_id = %lld",
                              artifact_location, new_id);
    else
        sql = sqlite3_mprintf("UPDATE experiments SET artifact_location = "
                              "'%q/%lld' WHERE experiment_id = %lld",
                              t->artifact_root, new_id, new_id);
    rc = exec(t, sql, err);
    sqlite3_free(sql);
    if (rc == LL_OK)
        rc = ll_track_commit(t, err);
    if (rc != LL_OK)
        goto fail;
    if (id)
        *id = new_id;
    return LL_OK;
fail:
    sqlite3_finalize(st);
    ll_track_rollback(t);
    return rc;
}

void ll_track_experiment_clear(ll_track_experiment *e)
{
    if (!e)
        return;
    free(e->name);
    free(e->artifact_location);
    free(e->lifecycle);
    for (size_t i = 0; i < e->n_tags; i++) {
        free(e->tags[i].key);
        free(e->tags[i].value);
    }
    free(e->tags);
    memset(e, 0, sizeof *e);
}

void ll_track_experiments_free(ll_track_experiment *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        ll_track_experiment_clear(&e[i]);
    free(e);
}

static int kv_append(ll_track_kv **arr, size_t *n, const char *k, const char *v)
{
    ll_track_kv *grown = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!grown)
        return LL_ENOMEM;
    *arr = grown;
    grown[*n].key = ll_strdup(k);
    grown[*n].value = ll_strdup(v ? v : "");
    if (!grown[*n].key || !grown[*n].value) {
        free(grown[*n].key);
        free(grown[*n].value);
        return LL_ENOMEM;
    }
    (*n)++;
    return LL_OK;
}

static int experiment_from_row(ll_track *t, sqlite3_stmt *st,
                               ll_track_experiment *e, ll_err *err)
{
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->name = col_dup(st, 1);
    e->artifact_location = col_dup(st, 2);
    e->lifecycle = col_dup(st, 3);
    e->creation_time = sqlite3_column_int64(st, 4);
    e->last_update_time = sqlite3_column_int64(st, 5);
    if (!e->name || !e->artifact_location || !e->lifecycle) {
        ll_track_experiment_clear(e);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    sqlite3_stmt *tg;
    int rc = prepare(t,
                     "SELECT key, value FROM experiment_tags WHERE "
                     "experiment_id = ? ORDER BY key",
                     &tg, err);
    if (rc != LL_OK) {
        ll_track_experiment_clear(e);
        return rc;
    }
    sqlite3_bind_int64(tg, 1, e->id);
    int s = SQLITE_DONE;
    while (rc == LL_OK && (s = sqlite3_step(tg)) == SQLITE_ROW)
        rc = kv_append(&e->tags, &e->n_tags,
                       (const char *)sqlite3_column_text(tg, 0),
                       (const char *)sqlite3_column_text(tg, 1));
    if (rc == LL_OK && s != SQLITE_DONE) /* not a short list of tags */
        rc = ll_track_sqlerr(t, err, "reading experiment tags");
    else if (rc != LL_OK)
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    sqlite3_finalize(tg);
    if (rc != LL_OK)
        ll_track_experiment_clear(e);
    return rc;
}

#define EXP_COLS                                                               \
    "SELECT experiment_id, name, artifact_location, lifecycle_stage, "         \
    "creation_time, last_update_time FROM experiments "

static int experiment_query(ll_track *t, const char *where, const char *name,
                            long long id, ll_track_experiment *out, ll_err *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "%s%s", EXP_COLS, where);
    sqlite3_stmt *st;
    int rc = prepare(t, sql, &st, err);
    if (rc != LL_OK)
        return rc;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        rc = experiment_from_row(t, st, out, err);
    else if (s == SQLITE_DONE && name)
        rc = ll_err_set(err, LL_ENOTFOUND, "experiment '%s' not found", name);
    else if (s == SQLITE_DONE)
        rc = ll_err_set(err, LL_ENOTFOUND, "experiment %lld not found", id);
    else
        rc = ll_track_sqlerr(t, err, "reading an experiment");
    sqlite3_finalize(st);
    return rc;
}

int ll_track_experiment_get_by_name(ll_track *t, const char *name,
                                    ll_track_experiment *out, ll_err *err)
{
    return experiment_query(t, "WHERE name = ?", name, 0, out, err);
}

int ll_track_experiment_get(ll_track *t, long long id, ll_track_experiment *out,
                            ll_err *err)
{
    return experiment_query(t, "WHERE experiment_id = ?", NULL, id, out, err);
}

int ll_track_experiment_set_tag(ll_track *t, long long id, const char *key,
                                const char *value, ll_err *err)
{
    int rc = valid_key("tag", key, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = prepare(t,
                      "INSERT INTO experiment_tags VALUES (?, ?, ?) ON "
                      "CONFLICT DO UPDATE SET value = excluded.value",
                      &st, err)) != LL_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc =
            sqlite3_errcode(t->db) == SQLITE_CONSTRAINT
                ? ll_err_set(err, LL_ENOTFOUND, "experiment %lld not found", id)
                : ll_track_sqlerr(t, err, "setting an experiment tag");
    sqlite3_finalize(st);
    return rc;
}

int ll_track_experiment_list(ll_track *t, ll_track_experiment **out, size_t *n,
                             ll_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = prepare(t, EXP_COLS "ORDER BY experiment_id", &st, err);
    if (rc != LL_OK)
        return rc;
    while (rc == LL_OK && sqlite3_step(st) == SQLITE_ROW) {
        ll_track_experiment *g = realloc(*out, (*n + 1) * sizeof *g);
        if (!g) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        *out = g;
        rc = experiment_from_row(t, st, &g[*n], err);
        if (rc == LL_OK)
            (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != LL_OK) {
        ll_track_experiments_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

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
    rc = prepare(t,
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
        rc = prepare(t, "INSERT INTO tags VALUES (?, ?, ?)", &st, err);
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

/* Resolve a full id, a unique prefix or a run name to the 32-hex id. */
static int resolve_run(ll_track *t, const char *ref, char id[33], ll_err *err)
{
    if (!ref || !*ref)
        return ll_err_set(err, LL_EINVAL, "run id must not be empty");
    sqlite3_stmt *st;
    int rc = prepare(t,
                     "SELECT run_uuid FROM runs WHERE run_uuid = ?1 UNION "
                     "SELECT run_uuid FROM runs WHERE length(?1) >= 6 AND "
                     "run_uuid LIKE ?1 || '%' UNION "
                     "SELECT run_uuid FROM runs WHERE name = ?1 LIMIT 3",
                     &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    int found = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (!s) { /* the text could not be allocated */
            step = SQLITE_NOMEM;
            break;
        }
        if (found == 0 || strcmp(s, ref) == 0)
            snprintf(id, 33, "%s", s);
        if (strcmp(s, ref) == 0) {
            found = 1;
            break;
        }
        found++;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return step == SQLITE_NOMEM ? ll_err_oom(err)
                                    : ll_track_sqlerr(t, err, "finding a run");
    if (found == 0)
        return ll_err_set(err, LL_ENOTFOUND, "run '%s' not found", ref);
    if (found > 1)
        return ll_err_set(err, LL_EINVAL,
                          "run '%s' is ambiguous: several runs match", ref);
    return LL_OK;
}

static int run_exists(ll_track *t, const char *run_id, ll_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(t, "SELECT status FROM runs WHERE run_uuid = ?", &st, err);
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
    if ((rc = prepare(t,
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
    int rc = valid_key("param", key, err);
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
    if ((rc = prepare(t,
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
    if ((rc = prepare(t,
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
    int rc = valid_key("tag", key, err);
    if (rc != LL_OK)
        return rc;
    if ((rc = run_exists(t, run_id, err)) != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = prepare(t,
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
        if (prepare(t, "UPDATE runs SET name = ?2 WHERE run_uuid = ?1", &st,
                    err) == LL_OK) {
            sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    return rc;
}

int ll_track_log_metric(ll_track *t, const char *run_id, const char *key,
                        double value, long long timestamp, long long step,
                        ll_err *err)
{
    int rc = valid_key("metric", key, err);
    if (rc != LL_OK)
        return rc;
    if (strlen(run_id) != 32)
        return ll_err_set(err, LL_ENOTFOUND, "run '%s' not found", run_id);
    pthread_mutex_lock(&t->mu);
    if (t->async_rc != LL_OK) {
        rc = t->async_rc;
        if (err)
            *err = t->async_err;
        t->async_rc = LL_OK;
        pthread_mutex_unlock(&t->mu);
        return rc;
    }
    if (t->n_pending == t->cap_pending) {
        size_t cap = t->cap_pending ? 2 * t->cap_pending : 256;
        pending_metric *g = realloc(t->pending, cap * sizeof *g);
        if (!g) {
            pthread_mutex_unlock(&t->mu);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        t->pending = g;
        t->cap_pending = cap;
    }
    pending_metric *p = &t->pending[t->n_pending];
    memcpy(p->run_id, run_id, 33);
    p->key = ll_strdup(key);
    if (!p->key) {
        pthread_mutex_unlock(&t->mu);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    p->value = value;
    p->timestamp = timestamp;
    p->step = step;
    if (t->n_pending++ == 0)
        t->pending_since = ll_now_ms();
    int full = t->n_pending >= PENDING_MAX;
    pthread_mutex_unlock(&t->mu);
    /* the flusher thread writes points older than LL_TRACK_FLUSH_MS; a
     * full buffer is written now */
    if (full || (!t->has_flusher &&
                 ll_now_ms() - t->pending_since >= LL_TRACK_FLUSH_MS))
        return ll_track_flush(t, err);
    return LL_OK;
}

static void drop_pending(ll_track *t)
{
    for (size_t i = 0; i < t->n_pending; i++)
        free(t->pending[i].key);
    t->n_pending = 0;
}

static int db_err(ll_track *t, sqlite3 *db, ll_err *err, const char *what)
{
    int rc = sqlite3_errcode(db) == SQLITE_NOMEM ? LL_ENOMEM : LL_EIO;
    return ll_err_set(err, rc, "%s: %s: %s", t->db_path, what,
                      sqlite3_errmsg(db));
}

static int db_exec(ll_track *t, sqlite3 *db, const char *sql, ll_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(t, db, err, sql);
    return LL_OK;
}

static int db_prepare(ll_track *t, sqlite3 *db, const char *sql,
                      sqlite3_stmt **st, ll_err *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return db_err(t, db, err, "preparing a statement");
    return LL_OK;
}

/* Write the buffer through connection db; the caller holds t->mu. */
static int write_batch(ll_track *t, sqlite3 *db, ll_err *err)
{
    if (t->n_pending == 0)
        return LL_OK;
    int rc = db_exec(t, db, "BEGIN IMMEDIATE", err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *ins = NULL, *lat = NULL, *chk = NULL;
    rc =
        db_prepare(t, db, "INSERT INTO metrics VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   &ins, err);
    if (rc == LL_OK)
        rc = db_prepare(t, db,
                        "INSERT INTO latest_metrics VALUES (?1, ?2, ?3, ?4, "
                        "?5, ?6) ON CONFLICT DO UPDATE SET value = "
                        "excluded.value, is_nan = excluded.is_nan, timestamp = "
                        "excluded.timestamp, step = excluded.step WHERE "
                        "excluded.step > step OR (excluded.step = step AND "
                        "excluded.timestamp >= timestamp)",
                        &lat, err);
    if (rc == LL_OK)
        rc = db_prepare(t, db, "SELECT 1 FROM runs WHERE run_uuid = ?", &chk,
                        err);
    char checked[33] = "";
    for (size_t i = 0; rc == LL_OK && i < t->n_pending; i++) {
        pending_metric *p = &t->pending[i];
        if (strcmp(checked, p->run_id) != 0) {
            sqlite3_reset(chk);
            sqlite3_bind_text(chk, 1, p->run_id, -1, SQLITE_STATIC);
            int s = sqlite3_step(chk);
            if (s != SQLITE_ROW) {
                rc = s == SQLITE_DONE
                         ? ll_err_set(err, LL_ENOTFOUND, "run '%s' not found",
                                      p->run_id)
                         : db_err(t, db, err, "checking a run");
                break;
            }
            memcpy(checked, p->run_id, 33);
        }
        sqlite3_stmt *two[2] = {ins, lat};
        for (int k = 0; k < 2 && rc == LL_OK; k++) {
            sqlite3_stmt *st = two[k];
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, p->run_id, 32, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, p->key, -1, SQLITE_STATIC);
            if (isnan(p->value))
                sqlite3_bind_null(st, 3);
            else
                sqlite3_bind_double(st, 3, p->value);
            sqlite3_bind_int(st, 4, isnan(p->value) ? 1 : 0);
            sqlite3_bind_int64(st, 5, p->timestamp);
            sqlite3_bind_int64(st, 6, p->step);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = db_err(t, db, err, "logging metrics");
        }
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(lat);
    sqlite3_finalize(chk);
    if (rc == LL_OK)
        rc = db_exec(t, db, "COMMIT", err);
    if (rc != LL_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    /* points of a bad batch are dropped: keeping them would fail forever */
    drop_pending(t);
    return rc;
}

int ll_track_flush(ll_track *t, ll_err *err)
{
    pthread_mutex_lock(&t->mu);
    int rc = t->async_rc;
    if (rc != LL_OK) {
        if (err)
            *err = t->async_err;
        t->async_rc = LL_OK;
    } else {
        rc = write_batch(t, t->db, err);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The flusher thread: its own connection (SQLite connections are not
 * shared between threads here), waking every 50 ms to write points older
 * than LL_TRACK_FLUSH_MS, so other processes see them even while this
 * one is busy elsewhere. */
static void *flusher_main(void *arg)
{
    ll_track *t = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(t->db_path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
    } else {
        sqlite3_busy_timeout(db, 30000);
    }
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 50 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->wake, &t->mu, &until);
        if (t->stop || !db || t->n_pending == 0 ||
            ll_now_ms() - t->pending_since < LL_TRACK_FLUSH_MS)
            continue;
        ll_err e;
        int rc = write_batch(t, db, &e);
        if (rc != LL_OK && t->async_rc == LL_OK) {
            t->async_rc = rc;
            t->async_err = e;
        }
    }
    pthread_mutex_unlock(&t->mu);
    sqlite3_close(db);
    return NULL;
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
    for (size_t i = 0; i < r->n_params; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    for (size_t i = 0; i < r->n_tags; i++) {
        free(r->tags[i].key);
        free(r->tags[i].value);
    }
    for (size_t i = 0; i < r->n_metrics; i++)
        free(r->metrics[i].key);
    free(r->params);
    free(r->tags);
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
    r->name = col_dup(st, 2);
    r->user = col_dup(st, 3);
    r->source = col_dup(st, 4);
    r->status = col_dup(st, 5);
    r->lifecycle = col_dup(st, 6);
    r->artifact_uri = col_dup(st, 7);
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
        if ((rc = prepare(t, sqls[k], &st, err)) != LL_OK)
            break;
        while (rc == LL_OK && sqlite3_step(st) == SQLITE_ROW) {
            ll_track_run *r =
                find_run(by_id, n, (const char *)sqlite3_column_text(st, 0));
            if (!r)
                continue;
            const char *key = (const char *)sqlite3_column_text(st, 1);
            if (k == 0)
                rc = kv_append(&r->params, &r->n_params, key,
                               (const char *)sqlite3_column_text(st, 2));
            else if (k == 1)
                rc = kv_append(&r->tags, &r->n_tags, key,
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
    int rc = exec(t,
                  own_txn ? "CREATE TEMP TABLE IF NOT EXISTS sel (id TEXT "
                            "PRIMARY KEY); BEGIN; DELETE FROM temp.sel;"
                          : "CREATE TEMP TABLE IF NOT EXISTS sel (id TEXT "
                            "PRIMARY KEY); DELETE FROM temp.sel;",
                  err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st, *ins;
    if ((rc = prepare(t, sql, &st, err)) != LL_OK) {
        if (own_txn)
            ll_track_rollback(t);
        return rc;
    }
    if ((rc = prepare(t, "INSERT OR IGNORE INTO temp.sel VALUES (?)", &ins,
                      err)) != LL_OK) {
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
        rc = exec(t, "COMMIT", err);
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

void ll_track_metrics_free(ll_track_metric *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        free(m[i].key);
    free(m);
}

int ll_track_metric_history(ll_track *t, const char *run_id, const char *key,
                            ll_track_metric **out, size_t *n, ll_err *err)
{
    *out = NULL;
    *n = 0;
    int rc = ll_track_flush(t, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = prepare(t,
                      "SELECT value, timestamp, step, is_nan FROM metrics "
                      "WHERE run_uuid = ? AND key = ? ORDER BY step, "
                      "timestamp, rowid",
                      &st, err)) != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            ll_track_metric *g = realloc(*out, cap * sizeof *g);
            if (!g) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            *out = g;
        }
        ll_track_metric *m = &(*out)[*n];
        m->key = ll_strdup(key);
        if (!m->key) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        m->value = sqlite3_column_int(st, 3) ? (double)NAN
                                             : sqlite3_column_double(st, 0);
        m->timestamp = sqlite3_column_int64(st, 1);
        m->step = sqlite3_column_int64(st, 2);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != LL_OK) {
        ll_track_metrics_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
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

/* ---- artifacts ---- */

static int copy_file(const char *src, const char *dst, ll_err *err)
{
    char *data;
    size_t len;
    int rc = ll_read_file(src, &data, &len, err);
    if (rc != LL_OK)
        return rc;
    rc = ll_write_file_atomic(dst, data, len, err);
    free(data);
    return rc;
}

static int parent_dir(const char *path, ll_err *err)
{
    char *d = ll_strdup(path);
    if (!d)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    char *s = strrchr(d, '/');
    int rc = LL_OK;
    if (s && s != d) {
        *s = '\0';
        rc = ll_mkdir_p(d, err);
    }
    free(d);
    return rc;
}

int ll_track_copy(const char *src, const char *dst, ll_err *err)
{
    struct stat sb;
    if (stat(src, &sb) != 0)
        return ll_err_set(err, LL_ENOTFOUND, "%s: %s", src, strerror(errno));
    int rc = parent_dir(dst, err);
    if (rc != LL_OK)
        return rc;
    if (!S_ISDIR(sb.st_mode))
        return copy_file(src, dst, err);
    if ((rc = ll_mkdir_p(dst, err)) != LL_OK)
        return rc;
    DIR *d = opendir(src);
    if (!d)
        return ll_err_set(err, LL_EIO, "%s: %s", src, strerror(errno));
    struct dirent *e;
    while (rc == LL_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        ll_buf a, b;
        ll_buf_init(&a);
        ll_buf_init(&b);
        if (ll_buf_printf(&a, "%s/%s", src, e->d_name) != LL_OK ||
            ll_buf_printf(&b, "%s/%s", dst, e->d_name) != LL_OK)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        else
            rc = ll_track_copy(a.data, b.data, err);
        ll_buf_free(&a);
        ll_buf_free(&b);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_into(const char *root, const char *rel, char ***names,
                     size_t *n, ll_err *err)
{
    ll_buf path;
    ll_buf_init(&path);
    if (ll_buf_printf(&path, "%s%s%s", root, *rel ? "/" : "", rel) != LL_OK)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    DIR *d = opendir(path.data);
    ll_buf_free(&path);
    if (!d)
        return LL_OK; /* no artifacts yet */
    struct dirent *e;
    int rc = LL_OK;
    while (rc == LL_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' &&
            (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        ll_buf r;
        ll_buf_init(&r);
        if (ll_buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", e->d_name) !=
            LL_OK) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", root, r.data);
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = list_into(root, r.data, names, n, err);
            ll_buf_free(&r);
        } else {
            char **g = realloc(*names, (*n + 1) * sizeof *g);
            if (!g) {
                ll_buf_free(&r);
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            *names = g;
            g[(*n)++] = ll_buf_take(&r);
        }
    }
    closedir(d);
    return rc;
}

int ll_track_list_files(const char *dir, char **out, ll_err *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = list_into(dir, "", &names, &n, err);
    ll_buf b;
    ll_buf_init(&b);
    if (rc == LL_OK) {
        if (n > 1)
            qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n && rc == LL_OK; i++)
            if (ll_buf_printf(&b, "%s\n", names[i]) != LL_OK)
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc != LL_OK) {
        ll_buf_free(&b);
        *out = NULL;
        return rc;
    }
    *out = ll_buf_take(&b);
    return *out ? LL_OK : ll_err_set(err, LL_ENOMEM, "out of memory");
}
