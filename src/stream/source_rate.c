/*
 * source_rate: rows_per_second rows a second, as Spark's rate source:
 * (timestamp datetime, value int), value counting from 0.  The offsets
 * of a batch are the value range [start, end) and the start time t0, so
 * a restarted query goes on from where it was with the same timestamps.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stream/stream_int.h"

typedef struct rate_source {
    ll_source base;
    double rps;
    int64_t t0_ms; /* -1 until the first batch */
    int64_t next;  /* the first value not yet taken */
    int64_t bound; /* available_now: the values there at the start */
} rate_source;

static int64_t available(const rate_source *s)
{
    if (s->t0_ms < 0)
        return 0;
    int64_t n = (int64_t)floor((double)(ll_stream_now_ms() - s->t0_ms) /
                               1000.0 * s->rps);
    if (s->bound >= 0 && n > s->bound)
        n = s->bound;
    return n;
}

static int rate_plan(ll_source *base, int all, char **offsets, ll_err *err)
{
    rate_source *s = (rate_source *)base;
    (void)all;
    *offsets = NULL;
    if (s->t0_ms < 0)
        s->t0_ms = ll_stream_now_ms();
    int64_t end = available(s);
    if (end <= s->next)
        return LL_OK;
    return ll_stream_range_offsets(s->next, end, s->t0_ms, offsets, err);
}

static int rate_restore(ll_source *base, const char *offsets, ll_err *err)
{
    rate_source *s = (rate_source *)base;
    int64_t a, b, t0;
    int rc = ll_stream_range_parse(offsets, "rate", &a, &b, &t0, err);
    if (rc)
        return rc;
    s->t0_ms = t0;
    if (b > s->next)
        s->next = b;
    return LL_OK;
}

static ll_frame *rate_read(ll_source *base, const char *offsets,
                           int64_t *malformed, ll_buf *log, ll_err *err)
{
    rate_source *s = (rate_source *)base;
    (void)log;
    *malformed = 0;
    int64_t a, b, t0;
    if (ll_stream_range_parse(offsets, "rate", &a, &b, &t0, err))
        return NULL;
    int64_t n = b - a;
    ll_column *ts = ll_col_new(LL_DATETIME, n, err);
    ll_column *v = ts ? ll_col_new(LL_INT, n, err) : NULL;
    ll_frame *f = v ? ll_frame_new(err) : NULL;
    if (!ts || !v || !f)
        goto fail;
    for (int64_t i = 0; i < n; i++) {
        LL_I64(v)[i] = a + i;
        LL_I64(ts)[i] = t0 + (int64_t)((double)(a + i) * 1000.0 / s->rps);
    }
    if (ll_frame_set(f, "timestamp", ts, err) ||
        ll_frame_set(f, "value", v, err))
        goto fail;
    ll_col_unref(ts);
    ll_col_unref(v);
    return f;
fail:
    ll_col_unref(ts);
    ll_col_unref(v);
    ll_frame_free(f);
    return NULL;
}

static int rate_snapshot(ll_source *base, ll_err *err)
{
    rate_source *s = (rate_source *)base;
    (void)err;
    if (s->t0_ms < 0)
        s->t0_ms = ll_stream_now_ms();
    s->bound = available(s);
    return LL_OK;
}

static int rate_committed(ll_source *base, const char *offsets, ll_err *err)
{
    (void)base;
    (void)offsets;
    (void)err;
    return LL_OK;
}

static int64_t rate_lag(ll_source *base)
{
    rate_source *s = (rate_source *)base;
    int64_t n = available(s) - s->next;
    return n > 0 ? n : 0;
}

static void rate_free(ll_source *base)
{
    ll_schema_free(&base->schema);
    free(base);
}

ll_source *ll_source_rate(double rows_per_second, ll_err *err)
{
    if (!(rows_per_second > 0)) {
        ll_err_set(err, LL_EINVAL, "rate source: rows_per_second must be > 0");
        return NULL;
    }
    rate_source *s = calloc(1, sizeof *s);
    if (!s) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "rate";
    s->base.plan = rate_plan;
    s->base.restore = rate_restore;
    s->base.read = rate_read;
    s->base.snapshot = rate_snapshot;
    s->base.committed = rate_committed;
    s->base.lag = rate_lag;
    s->base.free = rate_free;
    ll_schema_init(&s->base.schema);
    s->rps = rows_per_second;
    s->t0_ms = -1;
    s->bound = -1;
    return &s->base;
}
