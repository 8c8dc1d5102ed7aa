/*
 * metrics: metric points of the tracking store.  Points are buffered in
 * memory and written in one transaction by ll_track_flush, by every read,
 * by a full buffer or by the flusher thread once the oldest point is
 * LL_TRACK_FLUSH_MS old; also the metric histories (see track.h).
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

int ll_track_log_metric(ll_track *t, const char *run_id, const char *key,
                        double value, long long timestamp, long long step,
                        ll_err *err)
{
    int rc = ll_trk_valid_key("metric", key, err);
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
                      ll_trk_errmsg(db));
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
void *ll_trk_flusher_main(void *arg)
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
    if ((rc = ll_trk_prepare(
             t,
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
