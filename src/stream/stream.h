/*
 * stream: a micro-batch streaming engine in the model of Spark Structured
 * Streaming, on one machine.
 *
 * A query is a source, a list of operators and a sink, run one batch at a
 * time by a trigger.  Each batch follows the checkpoint protocol:
 *
 *   plan the batch's offsets -> write offsets/<id> -> read the rows ->
 *   run the operators (stateful ones from the state of batch id - 1) ->
 *   the sink commits the batch (idempotently, keyed by the batch id) ->
 *   write state/<op>/<id> -> write commits/<id>
 *
 * A query started again on the same checkpoint re-runs the last batch
 * whose offsets were written but not committed, with the same offsets, and
 * then goes on; sinks that already hold that batch skip it.  So a query
 * killed at any instant loses no input and writes nothing twice.
 *
 * Queries are run cooperatively: ll_query_step runs at most one batch of
 * one query when its trigger is due; the binding's await loops over every
 * active query.  Nothing here includes lua.h.
 */
#ifndef LL_STREAM_H
#define LL_STREAM_H

#include <stdint.h>

#include "frame/frame.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- schema and text rows (rows.c) ---- */

/* Malformed-record modes, Spark's names. */
enum { LL_MODE_PERMISSIVE, LL_MODE_DROPMALFORMED, LL_MODE_FAILFAST };
/* "permissive" "dropmalformed" "failfast"; -1 when unknown. */
int ll_stream_mode_parse(const char *s);

typedef struct ll_schema {
    int n;
    char **names;
    int *types; /* ll_dtype */
} ll_schema;

void ll_schema_init(ll_schema *s);
void ll_schema_free(ll_schema *s);
int ll_schema_add(ll_schema *s, const char *name, int type, ll_err *err);
int ll_schema_copy(ll_schema *dst, const ll_schema *src, ll_err *err);
/* The schema of a frame's columns. */
int ll_schema_of(ll_schema *s, const ll_frame *f, ll_err *err);

/* Rows of text values typed by a schema, with the malformed-record mode:
 * a bad row is logged as "FILE:LINE: ..." into log (one line each) and
 * kept with NA in its bad fields (permissive), dropped (dropmalformed) or
 * an LL_EPARSE error with that message (failfast). */
typedef struct ll_rows ll_rows;
ll_rows *ll_rows_new(const ll_schema *s, int mode, ll_err *err);
void ll_rows_free(ll_rows *r);
/* One row: vals[i] / lens[i] for column i (vals[i] NULL = NA); nvals may
 * differ from the schema's width (a malformed row).  Returns LL_OK, or a
 * negative code (failfast, out of memory). */
int ll_rows_add(ll_rows *r, const char *const *vals, const size_t *lens,
                int nvals, const char *src, int64_t line, ll_buf *log,
                ll_err *err);
/* A row from a JSON object text (fields by name). */
int ll_rows_add_json(ll_rows *r, const char *text, size_t len, const char *src,
                     int64_t line, ll_buf *log, ll_err *err);
int64_t ll_rows_malformed(const ll_rows *r);
/* The rows as a frame; the builder is emptied. */
ll_frame *ll_rows_finish(ll_rows *r, ll_err *err);

/* Read a whole CSV or JSON-lines file (format "csv" / "jsonl") as a
 * schema's columns under a mode; *malformed counts the bad rows, which
 * are logged into log. */
ll_frame *ll_stream_read_file(const char *path, const char *format,
                              const ll_schema *schema, int mode,
                              int64_t *malformed, ll_buf *log, ll_err *err);
/* The schema of a file's rows as the CSV reader infers it. */
int ll_stream_infer_schema(const char *path, const char *format, ll_schema *out,
                           ll_err *err);
/* The schema of one JSON object's fields, typed by their values (text of
 * len bytes; where names it in errors: "file:1", "topic:7"). */
int ll_stream_infer_json_schema(const char *text, size_t len, const char *where,
                                ll_schema *out, ll_err *err);

/* ---- checkpoint (checkpoint.c) ---- */

/* A checkpoint folder: metadata (the query id), offsets/<id>,
 * commits/<id>, state/<op>/<id>, and sources/ for sources' own logs.
 * Every file is written atomically. */
typedef struct ll_checkpoint {
    char *dir;
    char id[33];          /* the query id, kept across restarts */
    int64_t last_offsets; /* highest batch with offsets, -1 when none */
    int64_t last_commit;  /* highest committed batch, -1 when none */
} ll_checkpoint;

/* Open (create) a checkpoint folder and find its last batches. */
int ll_ckpt_open(ll_checkpoint *c, const char *dir, ll_err *err);
void ll_ckpt_close(ll_checkpoint *c);
/* The text of offsets/<id> (caller frees), or NULL with LL_ENOTFOUND. */
char *ll_ckpt_read_offsets(const ll_checkpoint *c, int64_t id, ll_err *err);
int ll_ckpt_write_offsets(ll_checkpoint *c, int64_t id, const char *text,
                          ll_err *err);
int ll_ckpt_write_commit(ll_checkpoint *c, int64_t id, ll_err *err);
/* State of operator op after batch id; *text NULL when there is none. */
int ll_ckpt_read_state(const ll_checkpoint *c, int op, int64_t id, char **text,
                       ll_err *err);
int ll_ckpt_write_state(const ll_checkpoint *c, int op, int64_t id,
                        const char *text, size_t len, ll_err *err);
/* Remove operators' state older than keep_from (offsets and commits
 * stay: the file source's offsets name the files it has taken). */
int ll_ckpt_purge(const ll_checkpoint *c, int64_t keep_from, ll_err *err);
/* A path under the checkpoint ("sources/0"); caller frees. */
char *ll_ckpt_path(const ll_checkpoint *c, const char *sub, ll_err *err);

/* ---- sources (source_*.c) ---- */

typedef struct ll_source ll_source;
struct ll_source {
    const char *kind;  /* "files", "rate", ... */
    const char *query; /* the query's name, set before open */
    /* Optional: called once the checkpoint is open, before restore
     * (sources that keep files there, or a session named after the
     * query). */
    int (*open)(ll_source *s, const char *ckpt_dir, const char *query_id,
                ll_err *err);
    /* The offsets (JSON text, caller frees) of the next batch after the
     * ones restored, or NULL when there is nothing new.  all: ignore the
     * per-trigger limits (trigger once). */
    int (*plan)(ll_source *s, int all, char **offsets, ll_err *err);
    /* Mark a batch's offsets as taken (on restart, and after plan). */
    int (*restore)(ll_source *s, const char *offsets, ll_err *err);
    /* The rows of a batch.  *malformed and log as ll_rows. */
    ll_frame *(*read)(ll_source *s, const char *offsets, int64_t *malformed,
                      ll_buf *log, ll_err *err);
    /* Bound the source to what is there now (trigger available_now). */
    int (*snapshot)(ll_source *s, ll_err *err);
    /* The batch is committed (sources may release input). */
    int (*committed)(ll_source *s, const char *offsets, ll_err *err);
    /* How many inputs are waiting (files, messages), -1 when unknown. */
    int64_t (*lag)(ll_source *s);
    void (*free)(ll_source *s);
    ll_schema schema;
};

typedef struct ll_file_source_opts {
    const char *path;          /* a folder */
    const char *format;        /* "csv" (default) or "jsonl" */
    const ll_schema *schema;   /* NULL = inferred from the first file */
    int max_files_per_trigger; /* 0 = no limit */
    int mode;
    /* the schema's order is not the columns' order: take the first
     * file's header order (a Lua table {col = type}) */
    int schema_unordered;
} ll_file_source_opts;
ll_source *ll_source_files(const ll_file_source_opts *o, ll_err *err);

/* rows_per_second rows a second of (timestamp datetime, value int). */
ll_source *ll_source_rate(double rows_per_second, ll_err *err);

/* A CSV file replayed in the time of column `time`, speed times faster
 * than real time (source_replay.c). */
ll_source *ll_source_replay(const char *path, const char *time, double speed,
                            ll_err *err);

/* An MQTT topic (mqtt.c): JSON object payloads, a persistent session at
 * QoS 1 and a write-ahead log in the checkpoint. */
typedef struct ll_mqtt_source_opts {
    const char *url;   /* mqtt://host:port */
    const char *topic; /* may hold + and # */
    int qos;
    const char *client_id; /* NULL = from the query id */
    const ll_schema *schema;
    int mode;
} ll_mqtt_source_opts;
ll_source *ll_source_mqtt(const ll_mqtt_source_opts *o, ll_err *err);

/* A Kafka topic (kafka.c): JSON values; offsets per partition in the
 * checkpoint. */
typedef struct ll_kafka_source_opts {
    const char *brokers; /* bootstrap servers "host:port,..." */
    const char *topic;
    const char *group;            /* offsets committed there for monitoring */
    const char *starting_offsets; /* "earliest" (default) or "latest" */
    int64_t max_offsets_per_trigger; /* 0 = no limit */
    const ll_schema *schema;
    int mode;
} ll_kafka_source_opts;
ll_source *ll_source_kafka(const ll_kafka_source_opts *o, ll_err *err);

/* ---- operators (ops.c) ---- */

enum {
    LL_OP_SELECT,
    LL_OP_FILTER,
    LL_OP_WITH_COLUMN,
    LL_OP_DROP_DUPLICATES,
    LL_OP_WITH_FORECAST
};

typedef struct ll_op {
    int kind;
    char **names; /* select / drop_duplicates keys */
    int n;
    char *expr; /* filter / with_column */
    char *name; /* with_column's and with_forecast's output */
    int horizon, history, refit_every; /* with_forecast */
    void *state;                       /* stateful operators' state */
} ll_op;

/* A new operator (a copy of its arguments, no state). */
ll_op *ll_op_new(int kind, const char *const *names, int n, const char *expr,
                 const char *name, ll_err *err);
ll_op *ll_op_clone(const ll_op *op, ll_err *err);
void ll_op_free(ll_op *op);
int ll_op_is_stateful(const ll_op *op);
/* with_forecast (forecast_op.c): the sum of the next horizon forecasts
 * of a saved forecast pipeline, from each key's history (the state). */
typedef struct ll_forecast_opts {
    const char *model;        /* models:/NAME@ALIAS, runs:/..., a folder */
    const char *tracking_uri; /* NULL: MLFLOW_TRACKING_URI or the default */
    const char *by, *time, *target;
    const char *name; /* the output column ("forecast") */
    int horizon;
    int history; /* values kept per key; 0 = 1000 */
    /* a family model is searched and fitted again on a key's history
     * when it grew by this many values; 0 = never (the pipeline's) */
    int refit_every;
} ll_forecast_opts;
ll_op *ll_op_forecast(const ll_forecast_opts *o, ll_err *err);
/* Apply to a batch; returns a new frame. */
ll_frame *ll_op_apply(ll_op *op, const ll_frame *in, ll_err *err);
/* State as text and back (stateful operators only). */
int ll_op_state_save(const ll_op *op, ll_buf *out, ll_err *err);
int ll_op_state_load(ll_op *op, const char *text, ll_err *err);
/* Forget the state (before loading an older one). */
void ll_op_state_reset(ll_op *op);

/* ---- sinks (sinks.c) ---- */

typedef struct ll_stream_sink ll_stream_sink;
struct ll_stream_sink {
    const char *kind;
    /* Write batch id; a batch the sink already holds is skipped. */
    int (*write)(ll_stream_sink *s, const ll_frame *batch, int64_t id,
                 ll_err *err);
    void (*free)(ll_stream_sink *s);
    char query_id[33]; /* set by the engine before the first write */
};

typedef void (*ll_text_fn)(void *ud, const char *text);
/* Console: "Batch: N" and the batch as a table, through out. */
ll_stream_sink *ll_sink_console(ll_text_fn out, void *ud, int max_rows,
                                ll_err *err);
/* Memory: appends to the named table (ll_stream_table). */
ll_stream_sink *ll_sink_memory(const char *name, ll_err *err);
/* Files: part files per batch in dir, under partition_by folders
 * (col=value/); format "csv" or "jsonl". */
ll_stream_sink *ll_sink_files(const char *dir, const char *format,
                              const char *const *partition_by, int npart,
                              ll_err *err);
/* SQLite: rows appended to table (created from the first batch's columns)
 * in one transaction with the batch id recorded in
 * _lualab_stream_batches; partition_by columns get an index. */
ll_stream_sink *ll_sink_sqlite(const char *path, const char *table,
                               const char *const *partition_by, int npart,
                               ll_err *err);
/* MQTT: every row as a JSON object to topic (mqtt.c); at least once,
 * with a user property key "<query id>:<batch>:<row>". */
ll_stream_sink *ll_sink_mqtt(const char *url, const char *topic, int qos,
                             ll_err *err);
/* Kafka: every row as a JSON value keyed "<query id>:<batch>:<row>"
 * (kafka.c); idempotent producer, at least once. */
ll_stream_sink *ll_sink_kafka(const char *brokers, const char *topic,
                              ll_err *err);
/* foreachBatch: fn is called with every batch; its error stops the
 * query.  ud belongs to the sink (free_ud, may be NULL), also when this
 * fails. */
typedef int (*ll_batch_fn)(void *ud, const ll_frame *batch, int64_t id,
                           ll_err *err);
ll_stream_sink *ll_sink_callback(ll_batch_fn fn, void *ud,
                                 void (*free_ud)(void *), ll_err *err);

/* The memory sink's table (a new frame the caller owns), NULL with
 * LL_ENOTFOUND when no query wrote it. */
ll_frame *ll_stream_table(const char *name, ll_err *err);
void ll_stream_tables_clear(void);

/* ---- the engine (engine.c) ---- */

enum {
    LL_TRIGGER_PROCESSING_TIME, /* every interval seconds (0 = at once) */
    LL_TRIGGER_AVAILABLE_NOW,   /* what is there now, in batches; stop */
    LL_TRIGGER_ONCE             /* one batch of everything; stop */
};

typedef struct ll_batch_progress {
    int64_t batch_id;
    int64_t num_input_rows;
    int64_t num_output_rows;
    int64_t num_malformed_rows;
    double input_rows_per_second;
    double processed_rows_per_second;
    double duration_ms;
    double timestamp; /* seconds since 1970 when the batch started */
    char *offsets;    /* the source's offsets (JSON text) */
    char *log;        /* the batch's malformed-row lines ("" when none) */
} ll_batch_progress;

typedef struct ll_query ll_query;

/* Start a query: takes ownership of src, the ops (array copied) and
 * sink, whatever the result.  Restores the checkpoint (ckpt_dir NULL = a
 * temporary one, removed by ll_query_free). */
ll_query *ll_query_new(const char *name, ll_source *src, ll_op **ops, int nops,
                       ll_stream_sink *sink, const char *ckpt_dir, int trigger,
                       double interval, ll_err *err);
void ll_query_free(ll_query *q);

enum { LL_QUERY_IDLE = 0, LL_QUERY_RAN = 1, LL_QUERY_DONE = 2 };
/* Run the next batch if the trigger is due at now (seconds): returns
 * LL_QUERY_IDLE, LL_QUERY_RAN or LL_QUERY_DONE, or a negative code when
 * the query died (its error, with the batch id, stays in ll_query_error). */
int ll_query_step(ll_query *q, double now, ll_err *err);
/* When the query wants its next step (seconds; 0 = now). */
double ll_query_next_due(const ll_query *q);
void ll_query_stop(ll_query *q);
int ll_query_active(const ll_query *q);
const char *ll_query_name(const ll_query *q);
const char *ll_query_id(const ll_query *q);
const char *ll_query_error(const ll_query *q); /* NULL when none */
int64_t ll_query_batches(const ll_query *q);   /* batches run here */
int64_t ll_query_lag(const ll_query *q);
/* Recent progress, oldest first (up to 100); i < count. */
int ll_query_progress_count(const ll_query *q);
const ll_batch_progress *ll_query_progress(const ll_query *q, int i);
/* One line for a live display: "name: 12 batches, 3400 rows/s, lag 2"
 * (the rate of the last batch; no lag when the source cannot tell). */
int ll_query_status(const ll_query *q, ll_buf *out);
/* Where malformed-row lines go as they happen (default: stderr). */
void ll_query_set_log(ll_query *q, ll_text_fn fn, void *ud);

double ll_stream_now(void);

#endif
