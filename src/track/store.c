/*
 * store: the tracking store on SQLite (see track.h for the contract).
 *
 * The schema follows MLflow's SQL store closely (experiments, runs, params,
 * metrics, latest_metrics, tags, experiment_tags) so the concepts map one to
 * one.  `schema_version` records which migrations ran; each migration runs
 * in its own IMMEDIATE transaction, so two processes opening a new database
 * at once apply it once.
 *
 * This file opens and closes stores and holds the helpers the other store
 * files share (store_int.h): experiments.c, runs.c (runs, params, tags,
 * search), metrics.c (the metric buffer and its flusher thread) and
 * artifacts.c (copies and listings of artifact trees).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

const char *ll_trk_errmsg(sqlite3 *db)
{
    if (!db)
        return "out of memory";
    /* a full disk shows as SQLITE_FULL, or as an I/O error (growing the WAL
     * index, syncing) whose system error is ENOSPC */
    if ((sqlite3_errcode(db) & 0xff) == SQLITE_FULL ||
        sqlite3_system_errno(db) == ENOSPC)
        return "disk is full";
    return sqlite3_errmsg(db);
}

int ll_track_sqlerr(ll_track *t, ll_err *err, const char *what)
{
    int rc = sqlite3_errcode(t->db);
    int code = rc == SQLITE_NOMEM        ? LL_ENOMEM
               : rc == SQLITE_CONSTRAINT ? LL_EINVAL
                                         : LL_EIO;
    return ll_err_set(err, code, "%s: %s: %s", t->db_path, what,
                      ll_trk_errmsg(t->db));
}

int ll_trk_exec(ll_track *t, const char *sql, ll_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(t->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(t->db) == SQLITE_NOMEM ? LL_ENOMEM : LL_EIO;
        int full = (sqlite3_errcode(t->db) & 0xff) == SQLITE_FULL ||
                   sqlite3_system_errno(t->db) == ENOSPC;
        ll_err_set(err, code, "%s: %s", t->db_path,
                   msg && !full ? msg : ll_trk_errmsg(t->db));
        sqlite3_free(msg);
        return code;
    }
    return LL_OK;
}

int ll_track_begin(ll_track *t, ll_err *err)
{
    return ll_trk_exec(t, "BEGIN IMMEDIATE", err);
}

int ll_track_commit(ll_track *t, ll_err *err)
{
    return ll_trk_exec(t, "COMMIT", err);
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

char *ll_trk_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? ll_strdup((const char *)s) : NULL;
}

int ll_trk_prepare(ll_track *t, const char *sql, sqlite3_stmt **st, ll_err *err)
{
    if (sqlite3_prepare_v2(t->db, sql, -1, st, NULL) != SQLITE_OK)
        return ll_track_sqlerr(t, err, "preparing a statement");
    return LL_OK;
}

int ll_trk_valid_key(const char *what, const char *key, ll_err *err)
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

int ll_trk_kv_append(ll_track_kv **arr, size_t *n, const char *k, const char *v)
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

void ll_trk_kv_free(ll_track_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

/* ---- open / close ---- */

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
            return ll_trk_exec(t, sql, err);
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
        rc = ll_trk_exec(t, migrations[target - 1], err);
        if (rc == LL_OK && target == 1) {
            char *sql = sqlite3_mprintf(
                "INSERT INTO experiments VALUES (0, 'Default', '%q/0', "
                "'active', %lld, %lld)",
                t->artifact_root, ll_now_ms(), ll_now_ms());
            rc = sql ? ll_trk_exec(t, sql, err)
                     : ll_err_set(err, LL_ENOMEM, "out of memory");
            sqlite3_free(sql);
        }
        if (rc == LL_OK) {
            char sql[96];
            snprintf(sql, sizeof sql,
                     "DELETE FROM schema_version;"
                     "INSERT INTO schema_version VALUES (%d)",
                     target);
            rc = ll_trk_exec(t, sql, err);
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

/* A handle without a connection yet; NULL when out of memory. */
static ll_track *track_new(const char *db_path, const char *artifact_root)
{
    ll_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
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
        return NULL;
    }
    return t;
}

int ll_track_open_existing(const char *db_path, ll_track **out, ll_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(db_path, &st) != 0 || !S_ISREG(st.st_mode))
        return ll_err_set(err, LL_ENOTFOUND, "no tracking store at %s",
                          db_path);
    ll_track *t = track_new(db_path, NULL);
    if (!t)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    if (sqlite3_open_v2(db_path, &t->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = ll_err_set(err, LL_EIO, "%s: cannot open: %s", db_path,
                        ll_trk_errmsg(t->db));
        ll_track_free(t);
        return rc;
    }
    sqlite3_busy_timeout(t->db, 30000);
    rc = exec_retry(t, "PRAGMA case_sensitive_like=ON;", err);
    int have = rc == LL_OK ? ll_track_schema_version(t) : 0;
    if (rc == LL_OK && have == 0)
        rc = ll_err_set(err, LL_EPARSE, "%s is not a lualab tracking store",
                        db_path);
    if (rc != LL_OK || have < LL_TRACK_SCHEMA_VERSION) {
        ll_track_free(t);
        if (rc != LL_OK)
            return rc;
        /* an older store: migrate it (it exists; nothing is created) */
        return ll_track_open(db_path, NULL, out, err);
    }
    *out = t;
    return LL_OK;
}

int ll_track_open(const char *db_path, const char *artifact_root,
                  ll_track **out, ll_err *err)
{
    *out = NULL;
    ll_track *t = track_new(db_path, artifact_root);
    if (!t)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
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
        int rc =
            ll_err_set(err, nomem ? LL_ENOMEM : LL_EIO, "%s: cannot open: %s",
                       db_path, ll_trk_errmsg(t->db));
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
    t->has_flusher =
        pthread_create(&t->flusher, NULL, ll_trk_flusher_main, t) == 0;
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
