/*
 * export_mlflow: write the store in MLflow's file-store layout, the one
 * mlflow.store.tracking.file_store.FileStore and
 * mlflow.store.model_registry.file_store.FileStore read:
 *
 *   DIR/<exp_id>/meta.yaml                experiment (sorted keys)
 *   DIR/<exp_id>/tags/<key>               experiment tags
 *   DIR/<exp_id>/<run_id>/meta.yaml       run info (status as RunStatus int)
 *   DIR/<exp_id>/<run_id>/metrics/<key>   "timestamp value step" per line
 *   DIR/<exp_id>/<run_id>/params/<key>    the value, no newline
 *   DIR/<exp_id>/<run_id>/tags/<key>      the value, no newline
 *   DIR/<exp_id>/<run_id>/artifacts/...   a copy of the run's artifacts
 *   DIR/models/<name>/meta.yaml           registered model
 *   DIR/models/<name>/aliases/<alias>     the version number
 *   DIR/models/<name>/version-<n>/meta.yaml
 *
 * YAML is written the way PyYAML's safe_dump(default_flow_style=False)
 * writes these flat mappings; floats the way Python's repr() writes them.
 * Keys containing '/' become nested directories, as in MLflow.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/track.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/yaml.h"

/* "key: value\n" with value as a YAML string (NULL -> null). */
static int yaml_str(ll_buf *b, const char *key, const char *value)
{
    return ll_yaml_str(b, 0, key, value);
}

static int write_text(const char *dir, const char *rel, const char *data,
                      size_t len, ll_err *err)
{
    ll_buf path;
    ll_buf_init(&path);
    if (ll_buf_printf(&path, "%s/%s", dir, rel) != LL_OK)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    char *slash = strrchr(path.data, '/');
    *slash = '\0';
    int rc = ll_mkdir_p(path.data, err);
    *slash = '/';
    if (rc == LL_OK)
        rc = ll_write_file_atomic(path.data, data, len, err);
    ll_buf_free(&path);
    return rc;
}

static int mkdirf(ll_err *err, const char *fmt, const char *a, const char *b)
{
    ll_buf path;
    ll_buf_init(&path);
    if (ll_buf_printf(&path, "%s/%s%s", a, b, fmt) != LL_OK)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = ll_mkdir_p(path.data, err);
    ll_buf_free(&path);
    return rc;
}

static int run_status_int(const char *s)
{
    static const char *const names[] = {"RUNNING", "SCHEDULED", "FINISHED",
                                        "FAILED", "KILLED"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i + 1;
    return 1;
}

static int export_metrics(ll_track *t, const char *run_dir, const char *run_id,
                          ll_err *err)
{
    sqlite3 *db = ll_track_db(t);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT key, value, is_nan, timestamp, step FROM "
                           "metrics WHERE run_uuid = ? ORDER BY key, rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return ll_track_sqlerr(t, err, "exporting metrics");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    ll_buf lines;
    ll_buf_init(&lines);
    char *cur = NULL;
    int rc = LL_OK;
    int s;
    while (rc == LL_OK) {
        s = sqlite3_step(st);
        const char *key =
            s == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (cur && (!key || strcmp(key, cur) != 0)) {
            char rel[600];
            snprintf(rel, sizeof rel, "metrics/%s", cur);
            rc = write_text(run_dir, rel, lines.data ? lines.data : "",
                            lines.len, err);
            ll_buf_reset(&lines);
            free(cur);
            cur = NULL;
        }
        if (!key || rc != LL_OK)
            break;
        if (!cur) {
            size_t n = strlen(key) + 1;
            cur = malloc(n);
            if (!cur) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            memcpy(cur, key, n);
        }
        char val[64];
        ll_fmt_double(sqlite3_column_int(st, 2) ? (double)NAN
                                                : sqlite3_column_double(st, 1),
                      val, sizeof val);
        if (ll_buf_printf(&lines, "%lld %s %lld\n",
                          (long long)sqlite3_column_int64(st, 3), val,
                          (long long)sqlite3_column_int64(st, 4)) != LL_OK)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    free(cur);
    ll_buf_free(&lines);
    sqlite3_finalize(st);
    return rc;
}

static int export_kv(const char *run_dir, const char *sub,
                     const ll_track_kv *kv, size_t n, ll_err *err)
{
    int rc = LL_OK;
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        char rel[600];
        snprintf(rel, sizeof rel, "%s/%s", sub, kv[i].key);
        rc = write_text(run_dir, rel, kv[i].value, strlen(kv[i].value), err);
    }
    return rc;
}

static int export_run(ll_track *t, const char *dir, const ll_track_run *r,
                      ll_err *err)
{
    char run_dir[4096];
    snprintf(run_dir, sizeof run_dir, "%s/%lld/%s", dir, r->experiment_id,
             r->run_id);
    int rc = LL_OK;
    static const char *const subs[] = {"/metrics", "/params", "/tags",
                                       "/artifacts"};
    for (int i = 0; i < 4 && rc == LL_OK; i++)
        rc = mkdirf(err, subs[i], run_dir, "");
    if (rc != LL_OK)
        return rc;
    ll_buf y;
    ll_buf_init(&y);
    char exp_id[32];
    snprintf(exp_id, sizeof exp_id, "%lld", r->experiment_id);
    rc |= ll_buf_printf(&y, "artifact_uri: file://%s/artifacts\n", run_dir);
    if (r->end_time >= 0)
        rc |= ll_buf_printf(&y, "end_time: %lld\n", r->end_time);
    else
        rc |= ll_buf_puts(&y, "end_time: null\n");
    rc |= ll_buf_puts(&y, "entry_point_name: ''\n");
    rc |= yaml_str(&y, "experiment_id", exp_id);
    rc |= yaml_str(&y, "lifecycle_stage", r->lifecycle);
    rc |= ll_buf_printf(&y, "run_id: %s\n", r->run_id);
    rc |= yaml_str(&y, "run_name", r->name);
    rc |= ll_buf_printf(&y, "run_uuid: %s\n", r->run_id);
    rc |= ll_buf_puts(&y, "source_name: ''\nsource_type: 4\n"
                          "source_version: ''\n");
    rc |= ll_buf_printf(&y, "start_time: %lld\n", r->start_time);
    rc |= ll_buf_printf(&y, "status: %d\n", run_status_int(r->status));
    rc |= ll_buf_puts(&y, "tags: []\n");
    rc |= yaml_str(&y, "user_id", r->user);
    if (rc != LL_OK) {
        ll_buf_free(&y);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    rc = write_text(run_dir, "meta.yaml", y.data, y.len, err);
    ll_buf_free(&y);
    if (rc == LL_OK)
        rc = export_metrics(t, run_dir, r->run_id, err);
    if (rc == LL_OK)
        rc = export_kv(run_dir, "params", r->params, r->n_params, err);
    if (rc == LL_OK)
        rc = export_kv(run_dir, "tags", r->tags, r->n_tags, err);
    if (rc == LL_OK && ll_file_exists(r->artifact_uri)) {
        char dst[4200];
        snprintf(dst, sizeof dst, "%s/artifacts", run_dir);
        rc = ll_track_copy(r->artifact_uri, dst, err);
    }
    return rc;
}

static int export_experiment(const char *dir, const ll_track_experiment *e,
                             ll_err *err)
{
    char exp_dir[4096];
    snprintf(exp_dir, sizeof exp_dir, "%s/%lld", dir, e->id);
    char id[32];
    snprintf(id, sizeof id, "%lld", e->id);
    ll_buf y;
    ll_buf_init(&y);
    int rc = ll_buf_printf(&y, "artifact_location: file://%s\n", exp_dir);
    rc |= ll_buf_printf(&y, "creation_time: %lld\n", e->creation_time);
    rc |= yaml_str(&y, "experiment_id", id);
    rc |= ll_buf_printf(&y, "last_update_time: %lld\n", e->last_update_time);
    rc |= yaml_str(&y, "lifecycle_stage", e->lifecycle);
    rc |= yaml_str(&y, "name", e->name);
    if (rc != LL_OK) {
        ll_buf_free(&y);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    rc = write_text(exp_dir, "meta.yaml", y.data, y.len, err);
    ll_buf_free(&y);
    if (rc == LL_OK)
        rc = export_kv(exp_dir, "tags", e->tags, e->n_tags, err);
    return rc;
}

/* runs:/<id>/<path> -> file://DIR/<exp>/<id>/artifacts/<path> */
static char *resolve_source(ll_track *t, const char *dir, const char *source)
{
    ll_buf b;
    ll_buf_init(&b);
    if (strncmp(source, "runs:/", 6) == 0) {
        char id[33];
        const char *p = source + 6;
        size_t n = strcspn(p, "/");
        if (n == 32) {
            memcpy(id, p, 32);
            id[32] = '\0';
            ll_track_run *r;
            if (ll_track_run_get(t, id, &r, NULL) == LL_OK) {
                ll_buf_printf(&b, "file://%s/%lld/%s/artifacts%s", dir,
                              r->experiment_id, id, p + 32);
                ll_track_run_free(r);
                return ll_buf_take(&b);
            }
        }
    }
    ll_buf_puts(&b, source);
    return ll_buf_take(&b);
}

static int export_models(ll_track *t, const char *dir, ll_err *err)
{
    ll_track_model *models;
    size_t n;
    int rc = ll_track_model_list(t, &models, &n, err);
    if (rc != LL_OK)
        return rc;
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        ll_track_model *m = &models[i];
        char mdir[4096];
        snprintf(mdir, sizeof mdir, "%s/models/%s", dir, m->name);
        ll_buf y;
        ll_buf_init(&y);
        if (m->n_aliases == 0) {
            rc |= ll_buf_puts(&y, "aliases: {}\n");
        } else {
            rc |= ll_buf_puts(&y, "aliases:\n");
            for (size_t k = 0; k < m->n_aliases; k++)
                rc |=
                    ll_yaml_str(&y, 2, m->aliases[k].key, m->aliases[k].value);
        }
        rc |= ll_buf_printf(&y, "creation_timestamp: %lld\n", m->creation_time);
        rc |= yaml_str(&y, "description", m->description);
        rc |= ll_buf_printf(&y, "last_updated_timestamp: %lld\n",
                            m->last_updated_time);
        rc |= yaml_str(&y, "name", m->name);
        if (rc != LL_OK) {
            ll_buf_free(&y);
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        rc = write_text(mdir, "meta.yaml", y.data, y.len, err);
        ll_buf_free(&y);
        for (size_t k = 0; k < m->n_aliases && rc == LL_OK; k++) {
            char rel[600];
            snprintf(rel, sizeof rel, "aliases/%s", m->aliases[k].key);
            rc = write_text(mdir, rel, m->aliases[k].value,
                            strlen(m->aliases[k].value), err);
        }
        if (rc == LL_OK)
            rc = export_kv(mdir, "tags", m->tags, m->n_tags, err);
        ll_track_model_version *v;
        size_t nv;
        if (rc != LL_OK ||
            (rc = ll_track_model_versions(t, m->name, &v, &nv, err)) != LL_OK)
            break;
        for (size_t k = 0; k < nv && rc == LL_OK; k++) {
            char *src = resolve_source(t, dir, v[k].source);
            ll_buf_init(&y);
            if (v[k].n_aliases == 0)
                rc |= ll_buf_puts(&y, "aliases: []\n");
            else {
                rc |= ll_buf_puts(&y, "aliases:\n");
                for (size_t a = 0; a < v[k].n_aliases; a++)
                    rc |= ll_yaml_item(&y, 0, v[k].aliases[a]);
            }
            rc |= ll_buf_printf(&y, "creation_timestamp: %lld\n",
                                v[k].creation_time);
            rc |= yaml_str(&y, "current_stage", v[k].stage);
            rc |= yaml_str(&y, "description", v[k].description);
            rc |= ll_buf_printf(&y, "last_updated_timestamp: %lld\n",
                                v[k].last_updated_time);
            rc |= yaml_str(&y, "name", v[k].name);
            rc |= yaml_str(&y, "run_id", v[k].run_id);
            rc |= ll_buf_puts(&y, "run_link: null\n");
            rc |= yaml_str(&y, "source", src ? src : v[k].source);
            rc |= yaml_str(&y, "status", v[k].status);
            rc |= ll_buf_puts(&y, "status_message: null\n");
            rc |= yaml_str(&y, "storage_location", src ? src : v[k].source);
            rc |= yaml_str(&y, "user_id", v[k].user_id);
            rc |= ll_buf_printf(&y, "version: %lld\n", v[k].version);
            free(src);
            if (rc != LL_OK) {
                ll_buf_free(&y);
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            char rel[64];
            snprintf(rel, sizeof rel, "version-%lld/meta.yaml", v[k].version);
            rc = write_text(mdir, rel, y.data, y.len, err);
            ll_buf_free(&y);
        }
        ll_track_model_versions_free(v, nv);
    }
    ll_track_models_free(models, n);
    return rc;
}

int ll_track_export_mlflow(ll_track *t, const char *dir_in, ll_err *err)
{
    int rc = ll_track_flush(t, err);
    if (rc != LL_OK)
        return rc;
    if ((rc = ll_mkdir_p(dir_in, err)) != LL_OK)
        return rc;
    char *dir = realpath(dir_in, NULL);
    if (!dir)
        return ll_err_set(err, LL_EIO, "%s: cannot resolve the path", dir_in);
    rc = mkdirf(err, "", dir, ".trash");
    if (rc == LL_OK)
        rc = mkdirf(err, "", dir, "models");
    ll_track_experiment *exps = NULL;
    size_t n_exp = 0;
    if (rc == LL_OK)
        rc = ll_track_experiment_list(t, &exps, &n_exp, err);
    for (size_t i = 0; i < n_exp && rc == LL_OK; i++) {
        rc = export_experiment(dir, &exps[i], err);
        ll_track_run **runs = NULL;
        size_t n_runs = 0;
        if (rc == LL_OK)
            rc = ll_track_search(t, &exps[i].id, 1, NULL, NULL, 0, 0, &runs,
                                 &n_runs, err);
        for (size_t k = 0; k < n_runs && rc == LL_OK; k++)
            rc = export_run(t, dir, runs[k], err);
        ll_track_runs_free(runs, n_runs);
    }
    ll_track_experiments_free(exps, n_exp);
    if (rc == LL_OK)
        rc = export_models(t, dir, err);
    if (rc != LL_OK)
        ll_err_prefix(err, "export to %s", dir_in);
    free(dir);
    return rc;
}
