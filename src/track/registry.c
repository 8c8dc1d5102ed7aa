/*
 * registry: registered models, their versions, stages and aliases, in the
 * tracking database (tables created by store.c's migration 2).
 *
 * A new version number is taken inside one IMMEDIATE transaction as
 * max(version) + 1, so versions stay 1..N without gaps however many
 * processes register at once (SQLite serialises the writers).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "track/store_int.h"
#include "track/track.h"
#include "util/buf.h"
#include "util/signals.h"

static int prep(ll_track *t, const char *sql, sqlite3_stmt **st, ll_err *err)
{
    if (sqlite3_prepare_v2(ll_track_db(t), sql, -1, st, NULL) != SQLITE_OK)
        return ll_track_sqlerr(t, err, "preparing a statement");
    return LL_OK;
}

static int valid_name(const char *name, ll_err *err)
{
    if (!name || !*name)
        return ll_err_set(err, LL_EINVAL,
                          "registered model name must not be empty");
    if (strchr(name, '/') || strchr(name, '%') || strchr(name, '\\'))
        return ll_err_set(err, LL_EINVAL,
                          "invalid registered model name '%s': it must not "
                          "contain '/', '\\' or '%%'",
                          name);
    return LL_OK;
}

static int model_exists(ll_track *t, const char *name)
{
    sqlite3_stmt *st;
    if (prep(t, "SELECT 1 FROM registered_models WHERE name = ?", &st, NULL) !=
        LL_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Inside a transaction. */
static int create_model(ll_track *t, const char *name, int exist_ok,
                        ll_err *err)
{
    if (model_exists(t, name)) {
        if (exist_ok)
            return LL_OK;
        return ll_err_set(err, LL_EINVAL,
                          "registered model '%s' already exists", name);
    }
    sqlite3_stmt *st;
    int rc = prep(t, "INSERT INTO registered_models VALUES (?, ?2, ?2, NULL)",
                  &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ll_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "creating a registered model");
    sqlite3_finalize(st);
    return rc;
}

int ll_track_model_create(ll_track *t, const char *name, int exist_ok,
                          ll_err *err)
{
    int rc = valid_name(name, err);
    if (rc != LL_OK)
        return rc;
    if ((rc = ll_track_begin(t, err)) != LL_OK)
        return rc;
    rc = create_model(t, name, exist_ok, err);
    return ll_track_end(t, rc, err);
}

static int touch_model(ll_track *t, const char *name, long long now,
                       ll_err *err)
{
    sqlite3_stmt *st;
    int rc = prep(t,
                  "UPDATE registered_models SET last_updated_time = ? "
                  "WHERE name = ?",
                  &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "updating a registered model");
    sqlite3_finalize(st);
    return rc;
}

int ll_track_model_version_create(ll_track *t, const char *name,
                                  const char *source, const char *run_id,
                                  long long *version, ll_err *err)
{
    int rc = valid_name(name, err);
    if (rc != LL_OK)
        return rc;
    if (!source || !*source)
        return ll_err_set(err, LL_EINVAL, "model source must not be empty");
    if ((rc = ll_track_flush(t, err)) != LL_OK)
        return rc;
    if ((rc = ll_track_begin(t, err)) != LL_OK)
        return rc;
    if ((rc = create_model(t, name, 1, err)) != LL_OK)
        goto fail;
    sqlite3_stmt *st;
    if ((rc = prep(t,
                   "INSERT INTO model_versions (name, version, "
                   "creation_time, last_updated_time, source, run_id) "
                   "VALUES (?1, (SELECT coalesce(max(version), 0) + 1 FROM "
                   "model_versions WHERE name = ?1), ?2, ?2, ?3, ?4)",
                   &st, err)) != LL_OK)
        goto fail;
    long long now = ll_now_ms();
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, source, -1, SQLITE_TRANSIENT);
    if (run_id)
        sqlite3_bind_text(st, 4, run_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 4);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "creating a model version");
    sqlite3_finalize(st);
    if (rc != LL_OK)
        goto fail;
    if ((rc = prep(t, "SELECT max(version) FROM model_versions WHERE name = ?",
                   &st, err)) != LL_OK)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && version)
        *version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if ((rc = touch_model(t, name, now, err)) != LL_OK)
        goto fail;
    if ((rc = ll_track_commit(t, err)) != LL_OK)
        goto fail;
    return LL_OK;
fail:
    ll_track_rollback(t);
    return rc;
}

void ll_track_model_version_clear(ll_track_model_version *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->description);
    free(v->user_id);
    free(v->stage);
    free(v->source);
    free(v->run_id);
    free(v->status);
    for (size_t i = 0; i < v->n_aliases; i++)
        free(v->aliases[i]);
    free(v->aliases);
    memset(v, 0, sizeof *v);
}

void ll_track_model_versions_free(ll_track_model_version *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        ll_track_model_version_clear(&v[i]);
    free(v);
}

static char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? ll_strdup((const char *)s) : NULL;
}

#define MV_COLS                                                                \
    "SELECT name, version, creation_time, last_updated_time, description, "    \
    "user_id, current_stage, source, run_id, status FROM model_versions "

static int version_from_row(ll_track *t, sqlite3_stmt *st,
                            ll_track_model_version *v, ll_err *err)
{
    memset(v, 0, sizeof *v);
    v->name = col(st, 0);
    v->version = sqlite3_column_int64(st, 1);
    v->creation_time = sqlite3_column_int64(st, 2);
    v->last_updated_time = sqlite3_column_int64(st, 3);
    v->description = col(st, 4);
    v->user_id = col(st, 5);
    v->stage = col(st, 6);
    v->source = col(st, 7);
    v->run_id = col(st, 8);
    v->status = col(st, 9);
    if (!v->name || !v->stage || !v->source || !v->status) {
        ll_track_model_version_clear(v);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    sqlite3_stmt *al;
    int rc = prep(t,
                  "SELECT alias FROM registered_model_aliases WHERE name = ? "
                  "AND version = ? ORDER BY alias",
                  &al, err);
    if (rc != LL_OK) {
        ll_track_model_version_clear(v);
        return rc;
    }
    sqlite3_bind_text(al, 1, v->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(al, 2, v->version);
    while (rc == LL_OK && sqlite3_step(al) == SQLITE_ROW) {
        char **g = realloc(v->aliases, (v->n_aliases + 1) * sizeof *g);
        char *a = col(al, 0);
        if (!g || !a) {
            free(a);
            if (g)
                v->aliases = g;
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        v->aliases = g;
        g[v->n_aliases++] = a;
    }
    sqlite3_finalize(al);
    if (rc != LL_OK)
        ll_track_model_version_clear(v);
    return rc;
}

static int version_query(ll_track *t, const char *sql, const char *name,
                         const char *text, long long num,
                         ll_track_model_version *out, const char *what,
                         ll_err *err)
{
    memset(out, 0, sizeof *out);
    if (!model_exists(t, name))
        return ll_err_set(err, LL_ENOTFOUND, "registered model '%s' not found",
                          name);
    sqlite3_stmt *st;
    int rc = prep(t, sql, &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 2, num);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        rc = version_from_row(t, st, out, err);
    else if (s == SQLITE_DONE)
        rc = ll_err_set(err, LL_ENOTFOUND, "model '%s' has no %s", name, what);
    else
        rc = ll_track_sqlerr(t, err, "reading a model version");
    sqlite3_finalize(st);
    return rc;
}

int ll_track_model_version_get(ll_track *t, const char *name, long long version,
                               ll_track_model_version *out, ll_err *err)
{
    char what[64];
    snprintf(what, sizeof what, "version %lld", version);
    return version_query(t, MV_COLS "WHERE name = ?1 AND version = ?2", name,
                         NULL, version, out, what, err);
}

int ll_track_model_version_by_alias(ll_track *t, const char *name,
                                    const char *alias,
                                    ll_track_model_version *out, ll_err *err)
{
    char what[160];
    snprintf(what, sizeof what, "alias '%.100s'", alias);
    return version_query(t,
                         MV_COLS "WHERE name = ?1 AND version = (SELECT "
                                 "version FROM registered_model_aliases "
                                 "WHERE name = ?1 AND alias = ?2)",
                         name, alias, 0, out, what, err);
}

static const char *canonical_stage(const char *s)
{
    static const char *const stages[] = {"None", "Staging", "Production",
                                         "Archived"};
    for (size_t i = 0; s && i < 4; i++)
        if (strcasecmp(s, stages[i]) == 0)
            return stages[i];
    return NULL;
}

int ll_track_model_version_latest(ll_track *t, const char *name,
                                  const char *stage,
                                  ll_track_model_version *out, ll_err *err)
{
    const char *canon = NULL;
    if (stage && !(canon = canonical_stage(stage)))
        return ll_err_set(err, LL_EINVAL,
                          "unknown stage '%s' (expected None, Staging, "
                          "Production or Archived)",
                          stage);
    char what[96];
    snprintf(what, sizeof what, "version in stage %s", canon ? canon : "any");
    if (!canon)
        return version_query(t,
                             MV_COLS "WHERE name = ?1 AND ?2 = ?2 ORDER BY "
                                     "version DESC LIMIT 1",
                             name, "any", 0, out, "versions", err);
    return version_query(t,
                         MV_COLS "WHERE name = ?1 AND current_stage = ?2 "
                                 "ORDER BY version DESC LIMIT 1",
                         name, canon, 0, out, what, err);
}

static int version_exists(ll_track *t, const char *name, long long version,
                          ll_err *err)
{
    ll_track_model_version v;
    int rc = ll_track_model_version_get(t, name, version, &v, err);
    ll_track_model_version_clear(&v);
    return rc;
}

static int exec_bound(ll_track *t, const char *sql, const char *a,
                      const char *b, long long n, long long now, ll_err *err)
{
    sqlite3_stmt *st;
    int rc = prep(t, sql, &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, n);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ll_track_sqlerr(t, err, "updating the registry");
    sqlite3_finalize(st);
    return rc;
}

/* In one transaction, check that version `version` of model `name`
 * exists, run first (when not NULL) then sql, each bound to ?1 = name,
 * ?2 = text, ?3 = version, ?4 = now, and touch the model. */
static int update_version(ll_track *t, const char *name, long long version,
                          const char *text, const char *first, const char *sql,
                          ll_err *err)
{
    int rc = ll_track_begin(t, err);
    if (rc != LL_OK)
        return rc;
    long long now = ll_now_ms();
    rc = version_exists(t, name, version, err);
    if (rc == LL_OK && first)
        rc = exec_bound(t, first, name, text, version, now, err);
    if (rc == LL_OK)
        rc = exec_bound(t, sql, name, text, version, now, err);
    if (rc == LL_OK)
        rc = touch_model(t, name, now, err);
    return ll_track_end(t, rc, err);
}

int ll_track_model_version_stage(ll_track *t, const char *name,
                                 long long version, const char *stage,
                                 int archive_existing, ll_err *err)
{
    const char *canon = canonical_stage(stage);
    if (!canon)
        return ll_err_set(err, LL_EINVAL,
                          "unknown stage '%s' (expected None, Staging, "
                          "Production or Archived)",
                          stage ? stage : "");
    if (archive_existing && strcmp(canon, "Staging") != 0 &&
        strcmp(canon, "Production") != 0)
        return ll_err_set(err, LL_EINVAL,
                          "archive_existing_versions needs stage Staging or "
                          "Production, not %s",
                          canon);
    return update_version(t, name, version, canon,
                          archive_existing
                              ? "UPDATE model_versions SET current_stage = "
                                "'Archived', last_updated_time = ?4 WHERE "
                                "name = ?1 AND current_stage = ?2 AND "
                                "version != ?3"
                              : NULL,
                          "UPDATE model_versions SET current_stage = ?2, "
                          "last_updated_time = ?4 WHERE name = ?1 AND "
                          "version = ?3",
                          err);
}

static int valid_alias(const char *alias, ll_err *err)
{
    if (!alias || !*alias)
        return ll_err_set(err, LL_EINVAL, "alias must not be empty");
    if ((alias[0] == 'v' || alias[0] == 'V') && alias[1] &&
        strspn(alias + 1, "0123456789") == strlen(alias + 1))
        return ll_err_set(err, LL_EINVAL,
                          "alias '%s' is reserved (v<number> names a "
                          "version)",
                          alias);
    if (strcasecmp(alias, "latest") == 0)
        return ll_err_set(err, LL_EINVAL, "alias 'latest' is reserved");
    for (const char *p = alias; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_-",
                    *p))
            return ll_err_set(err, LL_EINVAL,
                              "invalid alias '%s': use letters, digits, '_' "
                              "and '-'",
                              alias);
    return LL_OK;
}

int ll_track_model_alias_set(ll_track *t, const char *name, const char *alias,
                             long long version, ll_err *err)
{
    int rc = valid_alias(alias, err);
    if (rc != LL_OK)
        return rc;
    return update_version(t, name, version, alias, NULL,
                          "INSERT INTO registered_model_aliases VALUES (?1, "
                          "?2, ?3) ON CONFLICT DO UPDATE SET version = "
                          "excluded.version",
                          err);
}

int ll_track_model_alias_delete(ll_track *t, const char *name,
                                const char *alias, ll_err *err)
{
    if (!model_exists(t, name))
        return ll_err_set(err, LL_ENOTFOUND, "registered model '%s' not found",
                          name);
    return exec_bound(t,
                      "DELETE FROM registered_model_aliases WHERE name = ?1 "
                      "AND alias = ?2 AND ?3 = ?3 AND ?4 = ?4",
                      name, alias, 0, 0, err);
}

void ll_track_models_free(ll_track_model *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].name);
        free(m[i].description);
        ll_trk_kv_free(m[i].aliases, m[i].n_aliases);
        ll_trk_kv_free(m[i].tags, m[i].n_tags);
    }
    free(m);
}

int ll_track_model_list(ll_track *t, ll_track_model **out, size_t *n,
                        ll_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st, *sub;
    int rc = prep(t,
                  "SELECT name, creation_time, last_updated_time, "
                  "description, (SELECT coalesce(max(version), 0) FROM "
                  "model_versions v WHERE v.name = m.name) FROM "
                  "registered_models m ORDER BY name",
                  &st, err);
    if (rc != LL_OK)
        return rc;
    while (rc == LL_OK && sqlite3_step(st) == SQLITE_ROW) {
        ll_track_model *g = realloc(*out, (*n + 1) * sizeof *g);
        if (!g) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        *out = g;
        ll_track_model *m = &g[*n];
        memset(m, 0, sizeof *m);
        (*n)++;
        m->name = col(st, 0);
        m->creation_time = sqlite3_column_int64(st, 1);
        m->last_updated_time = sqlite3_column_int64(st, 2);
        m->description = col(st, 3);
        m->latest_version = sqlite3_column_int64(st, 4);
        if (!m->name) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        for (int k = 0; k < 2 && rc == LL_OK; k++) {
            rc = prep(t,
                      k == 0 ? "SELECT alias, CAST(version AS TEXT) FROM "
                               "registered_model_aliases WHERE name = ? "
                               "ORDER BY alias"
                             : "SELECT key, value FROM registered_model_tags "
                               "WHERE name = ? ORDER BY key",
                      &sub, err);
            if (rc != LL_OK)
                break;
            sqlite3_bind_text(sub, 1, m->name, -1, SQLITE_TRANSIENT);
            while (rc == LL_OK && sqlite3_step(sub) == SQLITE_ROW)
                rc =
                    ll_trk_kv_append(k == 0 ? &m->aliases : &m->tags,
                                     k == 0 ? &m->n_aliases : &m->n_tags,
                                     (const char *)sqlite3_column_text(sub, 0),
                                     (const char *)sqlite3_column_text(sub, 1));
            sqlite3_finalize(sub);
            if (rc == LL_ENOMEM)
                ll_err_set(err, rc, "out of memory");
        }
    }
    sqlite3_finalize(st);
    if (rc != LL_OK) {
        ll_track_models_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int ll_track_model_versions(ll_track *t, const char *name,
                            ll_track_model_version **out, size_t *n,
                            ll_err *err)
{
    *out = NULL;
    *n = 0;
    if (!model_exists(t, name))
        return ll_err_set(err, LL_ENOTFOUND, "registered model '%s' not found",
                          name);
    sqlite3_stmt *st;
    int rc = prep(t, MV_COLS "WHERE name = ? ORDER BY version", &st, err);
    if (rc != LL_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    while (rc == LL_OK && sqlite3_step(st) == SQLITE_ROW) {
        ll_track_model_version *g = realloc(*out, (*n + 1) * sizeof *g);
        if (!g) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        *out = g;
        rc = version_from_row(t, st, &g[*n], err);
        if (rc == LL_OK)
            (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != LL_OK) {
        ll_track_model_versions_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
