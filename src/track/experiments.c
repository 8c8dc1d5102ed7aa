/*
 * experiments: experiments of the tracking store: create, get, tag, list
 * (see track.h).
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
    rc = ll_trk_prepare(
        t,
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
    rc = ll_trk_exec(t, sql, err);
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
    ll_trk_kv_free(e->tags, e->n_tags);
    memset(e, 0, sizeof *e);
}

void ll_track_experiments_free(ll_track_experiment *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        ll_track_experiment_clear(&e[i]);
    free(e);
}

static int experiment_from_row(ll_track *t, sqlite3_stmt *st,
                               ll_track_experiment *e, ll_err *err)
{
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->name = ll_trk_col_dup(st, 1);
    e->artifact_location = ll_trk_col_dup(st, 2);
    e->lifecycle = ll_trk_col_dup(st, 3);
    e->creation_time = sqlite3_column_int64(st, 4);
    e->last_update_time = sqlite3_column_int64(st, 5);
    if (!e->name || !e->artifact_location || !e->lifecycle) {
        ll_track_experiment_clear(e);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    sqlite3_stmt *tg;
    int rc = ll_trk_prepare(t,
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
        rc = ll_trk_kv_append(&e->tags, &e->n_tags,
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
    int rc = ll_trk_prepare(t, sql, &st, err);
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
    int rc = ll_trk_valid_key("tag", key, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_stmt *st;
    if ((rc = ll_trk_prepare(t,
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
    int rc = ll_trk_prepare(t, EXP_COLS "ORDER BY experiment_id", &st, err);
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
