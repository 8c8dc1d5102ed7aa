/*
 * store_int: what the files of the tracking store share (store.c,
 * experiments.c, runs.c, metrics.c, artifacts.c): the handle and small
 * SQLite helpers.  Not for other subsystems: they use track.h.
 */
#ifndef LL_TRACK_STORE_INT_H
#define LL_TRACK_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "track/track.h"

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

/* store.c: run sql (no results); the error names the database. */
int ll_trk_exec(ll_track *t, const char *sql, ll_err *err);
/* sqlite3_errmsg, but "disk is full" for a full disk (SQLITE_FULL or an
 * I/O error with ENOSPC) and "out of memory" without a handle. */
const char *ll_trk_errmsg(sqlite3 *db);
/* A malloc'd copy of column i (NULL when NULL or out of memory). */
char *ll_trk_col_dup(sqlite3_stmt *st, int i);
int ll_trk_prepare(ll_track *t, const char *sql, sqlite3_stmt **st,
                   ll_err *err);
/* Check a param/metric/tag name ("what" names the kind in the message). */
int ll_trk_valid_key(const char *what, const char *key, ll_err *err);
/* Append a copy of k/v to *arr. */
int ll_trk_kv_append(ll_track_kv **arr, size_t *n, const char *k,
                     const char *v);
/* Free the keys and values of kv[0..n) and kv itself. */
void ll_trk_kv_free(ll_track_kv *kv, size_t n);
/* metrics.c: the flusher thread's body (started by ll_track_open). */
void *ll_trk_flusher_main(void *arg);

#endif
