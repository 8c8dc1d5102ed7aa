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
    ll_clocked clk;
    double rps;
} rate_source;

static int64_t available(const ll_clocked *c)
{
    const rate_source *s = (const rate_source *)c;
    return (int64_t)floor((double)(ll_stream_now_ms() - c->t0_ms) / 1000.0 *
                          s->rps);
}

static ll_frame *rate_read(ll_source *base, const char *offsets,
                           int64_t *malformed, ll_buf *log, ll_err *err)
{
    rate_source *s = (rate_source *)base;
    (void)log;
    *malformed = 0;
    int64_t a, b, t0;
    if (ll_clocked_range(&s->clk, offsets, &a, &b, &t0, err))
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
    ll_clocked_init(&s->clk, "rate");
    s->clk.avail = available;
    s->clk.base.read = rate_read;
    s->clk.base.free = rate_free;
    s->rps = rows_per_second;
    return &s->clk.base;
}
