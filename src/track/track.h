/*
 * track: experiment tracking and a model registry on SQLite, shaped after
 * MLflow's entities (experiments, runs, params, metrics, tags, registered
 * models, model versions, aliases, stages).
 *
 * One ll_track handle is one connection to one database file (WAL mode,
 * busy timeout, foreign keys on).  Several processes may log to the same
 * file at once: every write is an IMMEDIATE transaction, so writers queue
 * behind the busy timeout instead of failing.
 *
 * Metric points are buffered in memory and written in one transaction when
 * the buffer is large, by a background thread (its own connection) once the
 * oldest point is LL_TRACK_FLUSH_MS old, on every read, on ll_track_flush
 * and on ll_track_free.  A failed background write is returned by the next
 * ll_track_log_metric or ll_track_flush.  One handle is used from one
 * thread (plus its flusher).
 * Params and tags are written at once so a conflicting param is reported
 * by the call that logs it.
 *
 * Strings in results are owned by the result; free results with their
 * _free function (all accept NULL).
 */
#ifndef LL_TRACK_H
#define LL_TRACK_H

#include <stddef.h>

#include "util/err.h"

#define LL_TRACK_FLUSH_MS 200
#define LL_TRACK_SCHEMA_VERSION 3

typedef struct ll_track ll_track;

typedef struct ll_track_kv {
    char *key;
    char *value;
} ll_track_kv;

typedef struct ll_track_metric {
    char *key;
    double value;
    long long timestamp; /* ms since the epoch */
    long long step;
} ll_track_metric;

typedef struct ll_track_experiment {
    long long id;
    char *name;
    char *artifact_location; /* absolute directory */
    char *lifecycle;         /* "active" | "deleted" */
    long long creation_time;
    long long last_update_time;
    ll_track_kv *tags;
    size_t n_tags;
} ll_track_experiment;

typedef struct ll_track_run {
    char run_id[33];
    long long experiment_id;
    char *name;
    char *user;
    char *source;
    char *status; /* RUNNING FINISHED FAILED KILLED SCHEDULED */
    char *lifecycle;
    char *artifact_uri; /* absolute directory */
    long long start_time;
    long long end_time; /* -1 while running */
    ll_track_kv *params;
    size_t n_params;
    ll_track_kv *tags;
    size_t n_tags;
    ll_track_metric *metrics; /* latest value of each metric */
    size_t n_metrics;
} ll_track_run;

typedef struct ll_track_model_version {
    char *name;
    long long version;
    long long creation_time;
    long long last_updated_time;
    char *description; /* may be NULL */
    char *user_id;     /* may be NULL */
    char *stage;       /* None Staging Production Archived */
    char *source;      /* "runs:/<id>/model" or a path */
    char *run_id;      /* may be NULL */
    char *status;      /* READY */
    char **aliases;
    size_t n_aliases;
} ll_track_model_version;

typedef struct ll_track_model {
    char *name;
    long long creation_time;
    long long last_updated_time;
    char *description;    /* may be NULL */
    ll_track_kv *aliases; /* alias -> version (decimal string) */
    size_t n_aliases;
    ll_track_kv *tags;
    size_t n_tags;
    long long latest_version; /* 0 when none */
} ll_track_model;

/* ---- store.c (open, close), experiments.c, runs.c, metrics.c ---- */

/* Open (creating and migrating as needed) the database at db_path.
 * Artifacts live under artifact_root (NULL: "mlartifacts" beside the
 * database).  *out is owned by the caller (ll_track_free). */
int ll_track_open(const char *db_path, const char *artifact_root,
                  ll_track **out, ll_err *err);
/* Open an existing store for reading (the read-only commands): a missing
 * file is LL_ENOTFOUND "no tracking store at PATH" and nothing is created.
 * A store of an older schema is migrated first.  Writes through this
 * handle fail. */
int ll_track_open_existing(const char *db_path, ll_track **out, ll_err *err);
/* Flush buffered metrics and close; accepts NULL. */
void ll_track_free(ll_track *t);
int ll_track_flush(ll_track *t, ll_err *err);
const char *ll_track_db_path(const ll_track *t);
const char *ll_track_artifact_root(const ll_track *t);
/* The schema version recorded in the database. */
int ll_track_schema_version(ll_track *t);

/* Parse "sqlite:///path", "sqlite:////abs", "file:..."-less plain paths.
 * Writes the database path into out (cap bytes). */
int ll_track_uri_to_path(const char *uri, char *out, size_t cap, ll_err *err);

int ll_track_experiment_create(ll_track *t, const char *name,
                               const char *artifact_location, long long *id,
                               ll_err *err);
/* LL_ENOTFOUND when there is none. */
int ll_track_experiment_get_by_name(ll_track *t, const char *name,
                                    ll_track_experiment *out, ll_err *err);
int ll_track_experiment_get(ll_track *t, long long id, ll_track_experiment *out,
                            ll_err *err);
int ll_track_experiment_set_tag(ll_track *t, long long id, const char *key,
                                const char *value, ll_err *err);
/* Every experiment, by id.  *out is an array of *n (free with
 * ll_track_experiments_free). */
int ll_track_experiment_list(ll_track *t, ll_track_experiment **out, size_t *n,
                             ll_err *err);
void ll_track_experiment_clear(ll_track_experiment *e);
void ll_track_experiments_free(ll_track_experiment *e, size_t n);

/* The user a new run is recorded under, as MLflow's getpass.getuser():
 * $LOGNAME, $USER, $LNAME, $USERNAME, then the login name of the process's
 * user from the password database; "unknown" when none is known.  Written
 * into buf (cap bytes); returns buf. */
const char *ll_track_user(char *buf, size_t cap);

/* A new RUNNING run; run_name NULL picks "run-<first 8 hex>".  The id is
 * written into run_id (33 bytes). */
int ll_track_run_create(ll_track *t, long long experiment_id,
                        const char *run_name, const char *user,
                        const char *source, long long start_time,
                        char run_id[33], ll_err *err);
/* status: FINISHED FAILED KILLED (or RUNNING to reopen). */
int ll_track_run_end(ll_track *t, const char *run_id, const char *status,
                     long long end_time, ll_err *err);
int ll_track_log_param(ll_track *t, const char *run_id, const char *key,
                       const char *value, ll_err *err);
int ll_track_log_metric(ll_track *t, const char *run_id, const char *key,
                        double value, long long timestamp, long long step,
                        ll_err *err);
int ll_track_set_tag(ll_track *t, const char *run_id, const char *key,
                     const char *value, ll_err *err);
/* A run with its params, tags and latest metrics; *out owned by the caller
 * (ll_track_run_free).  Accepts a unique prefix of the id (>= 6 hex) or
 * a run name.  LL_ENOTFOUND "run 'x' not found". */
int ll_track_run_get(ll_track *t, const char *run_id, ll_track_run **out,
                     ll_err *err);
void ll_track_run_free(ll_track_run *r);
void ll_track_runs_free(ll_track_run **runs, size_t n);
/* The full history of one metric, ordered by step then timestamp. */
int ll_track_metric_history(ll_track *t, const char *run_id, const char *key,
                            ll_track_metric **out, size_t *n, ll_err *err);
void ll_track_metrics_free(ll_track_metric *m, size_t n);
/* Count rows of table ("metrics", "params", "tags", "runs") for a run (NULL:
 * all runs); for tests and `runs show`. */
long long ll_track_count(ll_track *t, const char *table, const char *run_id);

/* Runs of the given experiments (n_exp 0: every experiment) matching
 * filter (MLflow's search syntax, may be NULL) ordered by order_by
 * ("metrics.loss ASC", ...; default start_time DESC), at most max_results
 * (<= 0: no limit).  *out is an array of *n runs (ll_track_runs_free). */
int ll_track_search(ll_track *t, const long long *exp_ids, size_t n_exp,
                    const char *filter, const char *const *order_by,
                    size_t n_order, long long max_results, ll_track_run ***out,
                    size_t *n, ll_err *err);

/* ---- artifacts.c ---- */
/* Copy a file or a directory tree src to dst (parents created). */
int ll_track_copy(const char *src, const char *dst, ll_err *err);
/* Relative paths of every file under dir, sorted, '\n'-separated, into
 * out (caller frees). */
int ll_track_list_files(const char *dir, char **out, ll_err *err);

/* ---- filter.c ---- */

/* Compile an MLflow filter string into a SQL condition over table `runs`
 * (appended to sql) with its bound values.  Errors say what and at which
 * column ("... at column 12 of the filter"). */
typedef struct ll_track_bind {
    int is_num;
    double num;
    char *text;
} ll_track_bind;

typedef struct ll_track_query {
    char *sql; /* condition, "1" when the filter is empty */
    ll_track_bind *binds;
    size_t n_binds;
} ll_track_query;

int ll_track_filter_compile(const char *filter, ll_track_query *q, ll_err *err);
/* One "metrics.x DESC" into an ORDER BY term (appended to q->sql after a
 * comma by the caller). */
int ll_track_order_compile(const char *order, ll_track_query *q, ll_err *err);
void ll_track_query_clear(ll_track_query *q);

/* ---- registry.c ---- */

/* Create the registered model; an existing one is fine when exist_ok. */
int ll_track_model_create(ll_track *t, const char *name, int exist_ok,
                          ll_err *err);
/* The next version of name (created if needed) from source; *version is
 * gap-free even with many writers. */
int ll_track_model_version_create(ll_track *t, const char *name,
                                  const char *source, const char *run_id,
                                  long long *version, ll_err *err);
int ll_track_model_version_get(ll_track *t, const char *name, long long version,
                               ll_track_model_version *out, ll_err *err);
int ll_track_model_version_by_alias(ll_track *t, const char *name,
                                    const char *alias,
                                    ll_track_model_version *out, ll_err *err);
/* The newest version in stage (NULL: any stage). */
int ll_track_model_version_latest(ll_track *t, const char *name,
                                  const char *stage,
                                  ll_track_model_version *out, ll_err *err);
/* stage is matched case-insensitively and stored canonical. */
int ll_track_model_version_stage(ll_track *t, const char *name,
                                 long long version, const char *stage,
                                 int archive_existing, ll_err *err);
int ll_track_model_alias_set(ll_track *t, const char *name, const char *alias,
                             long long version, ll_err *err);
int ll_track_model_alias_delete(ll_track *t, const char *name,
                                const char *alias, ll_err *err);
int ll_track_model_list(ll_track *t, ll_track_model **out, size_t *n,
                        ll_err *err);
int ll_track_model_versions(ll_track *t, const char *name,
                            ll_track_model_version **out, size_t *n,
                            ll_err *err);
void ll_track_model_version_clear(ll_track_model_version *v);
void ll_track_model_versions_free(ll_track_model_version *v, size_t n);
void ll_track_models_free(ll_track_model *m, size_t n);

/* ---- export_mlflow.c ---- */

/* Write every experiment, run and registered model in MLflow's file-store
 * layout under dir (created). */
int ll_track_export_mlflow(ll_track *t, const char *dir, ll_err *err);

/* ---- store.c: transactions for registry.c and filter.c ---- */
void *ll_track_db(ll_track *t); /* the sqlite3 handle */
int ll_track_begin(ll_track *t, ll_err *err);
int ll_track_commit(ll_track *t, ll_err *err);
void ll_track_rollback(ll_track *t);
/* End a transaction: commit when rc is LL_OK, else (or when the commit
 * fails) roll back; returns the final code. */
int ll_track_end(ll_track *t, int rc, ll_err *err);
int ll_track_sqlerr(ll_track *t, ll_err *err, const char *what);

/* ---- model_uri.c ---- */

/* The directory of the model a URI names: models:/NAME/VERSION,
 * models:/NAME/STAGE, models:/NAME/latest, models:/NAME@ALIAS,
 * runs:/RUN_ID/PATH, file://PATH or a directory.  The store is
 * tracking_uri (NULL: MLFLOW_TRACKING_URI, else sqlite:///mlruns.db); a
 * missing store is an error, never created.  *dir is the caller's (free). */
int ll_track_model_uri_dir(const char *uri, const char *tracking_uri,
                           char **dir, ll_err *err);

#endif
