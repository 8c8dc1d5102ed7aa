/*
 * stream_int: what the files of stream/ share and nothing else uses.
 */
#ifndef LL_STREAM_INT_H
#define LL_STREAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "stream/stream.h"

/* The kill tests' fault injection (engine.c): SIGKILL this process when
 * LUALAB_STREAM_KILL_AT is "QUERY:STAGE:N" for these values. */
void ll_stream_kill_point(const char *query, const char *stage, int64_t n);

/* A set of byte strings in insertion order. */
typedef struct ll_strset {
    char **keys;
    size_t *lens;
    size_t *order; /* slots in insertion order */
    size_t *idx;   /* per slot: its place in that order */
    size_t cap, count;
} ll_strset;
void ll_strset_init(ll_strset *s);
void ll_strset_free(ll_strset *s);
int ll_strset_has(const ll_strset *s, const char *k, size_t n);
/* 1 when added, 0 when it was there, LL_ENOMEM. */
int ll_strset_add(ll_strset *s, const char *k, size_t n);
/* The place of k in insertion order, -1 when absent. */
long ll_strset_index(const ll_strset *s, const char *k, size_t n);
/* The j-th key added (j < count). */
const char *ll_strset_at(const ll_strset *s, size_t j, size_t *n);

/* The key of row i over columns cols[0..n) as text (values joined by
 * the unit separator) into out. */
int ll_row_key(const ll_frame *f, const int *cols, int n, int64_t i,
               ll_buf *out);

/* with_forecast's parts (forecast_op.c). */
ll_op *ll_forecast_clone(const ll_op *op, ll_err *err);
void ll_forecast_state_free(void *state);
void ll_forecast_state_reset(void *state);
ll_frame *ll_forecast_apply(ll_op *op, const ll_frame *in, ll_err *err);
int ll_forecast_state_save(const ll_op *op, ll_buf *out, ll_err *err);
int ll_forecast_state_load(ll_op *op, const char *text, ll_err *err);

/* o printed (compact) onto out, then deleted; NULL o: out of memory. */
struct cJSON;
int ll_stream_json_out(struct cJSON *o, ll_buf *out, ll_err *err);

/* Row i as a JSON object (NA as null, dates as text) appended to out. */
int ll_row_json(const ll_frame *f, int64_t i, ll_buf *out);
/* The message sinks (mqtt, kafka): each row of batch as a JSON object
 * handed to send with its key "<query id>:<batch>:<row>", which makes the
 * duplicates of a batch sent again detectable; stops at send's first
 * error. */
typedef int (*ll_row_send_fn)(void *ud, const char *key, size_t klen, char *msg,
                              size_t len, ll_err *err);
int ll_sink_send_rows(const ll_stream_sink *sink, const ll_frame *batch,
                      int64_t id, ll_row_send_fn send, void *ud, ll_err *err);

/* range.c: a source on a clock (rate, replay).  A batch takes the values
 * [start, end) the clock, started at t0 (wall clock, ms) with the first
 * batch, had made available; its offsets are {"start":, "end":, "t0":},
 * so a restarted query goes on where it was, on the same clock.  A
 * clocked source begins with this struct; ll_clocked_init gives it
 * plan, restore, snapshot, committed and lag, and it brings read, free,
 * avail and (optional) prepare. */
typedef struct ll_clocked ll_clocked;
struct ll_clocked {
    ll_source base;
    int64_t t0_ms; /* -1 until the first batch */
    int64_t next;  /* the first value not yet taken */
    int64_t bound; /* available_now: the values there then; -1 = none */
    /* How many values the clock has made available now (t0_ms set). */
    int64_t (*avail)(const ll_clocked *c);
    /* Called before the clock is read (loads input). */
    int (*prepare)(ll_clocked *c, ll_err *err);
};
void ll_clocked_init(ll_clocked *c, const char *kind);
/* The range of a batch's offsets, the source prepared (for read). */
int ll_clocked_range(ll_clocked *c, const char *offsets, int64_t *start,
                     int64_t *end, int64_t *t0, ll_err *err);
int64_t ll_stream_now_ms(void);

#endif
