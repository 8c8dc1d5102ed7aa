/*
 * range: the sources on a clock (rate, replay).  A batch takes the values
 * start..end-1 that the clock, started at t0 (wall clock, ms) with the
 * first batch, had made available; the offsets are {"start":, "end":,
 * "t0":}.  Planning, restoring, available_now's bound and the lag are the
 * same for every such source; each brings how many values its clock has
 * made available and how to read a range.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <time.h>

#include "stream/stream_int.h"

int64_t ll_stream_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse(const char *offsets, const char *who, int64_t *start,
                 int64_t *end, int64_t *t0, ll_err *err)
{
    cJSON *o = cJSON_Parse(offsets);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "start");
    cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "end");
    cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t0");
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !cJSON_IsNumber(t)) {
        cJSON_Delete(o);
        return ll_err_set(err, LL_EPARSE,
                          "%s source: offsets without start, end, t0", who);
    }
    *start = (int64_t)a->valuedouble;
    *end = (int64_t)b->valuedouble;
    *t0 = (int64_t)t->valuedouble;
    cJSON_Delete(o);
    return LL_OK;
}

/* The values available now, within available_now's bound. */
static int64_t available(const ll_clocked *c)
{
    if (c->t0_ms < 0)
        return 0;
    int64_t n = c->avail(c);
    if (c->bound >= 0 && n > c->bound)
        n = c->bound;
    return n;
}

/* Prepared, and the clock started. */
static int clock_start(ll_clocked *c, ll_err *err)
{
    int rc = c->prepare ? c->prepare(c, err) : LL_OK;
    if (!rc && c->t0_ms < 0)
        c->t0_ms = ll_stream_now_ms();
    return rc;
}

static int clk_plan(ll_source *base, int all, char **offsets, ll_err *err)
{
    ll_clocked *c = (ll_clocked *)base;
    (void)all;
    *offsets = NULL;
    int rc = clock_start(c, err);
    if (rc)
        return rc;
    int64_t end = available(c);
    if (end <= c->next)
        return LL_OK;
    char buf[128];
    snprintf(buf, sizeof buf, "{\"start\":%lld,\"end\":%lld,\"t0\":%lld}",
             (long long)c->next, (long long)end, (long long)c->t0_ms);
    if (!(*offsets = ll_strdup(buf)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

static int clk_restore(ll_source *base, const char *offsets, ll_err *err)
{
    ll_clocked *c = (ll_clocked *)base;
    int64_t a, b, t0;
    int rc = parse(offsets, base->kind, &a, &b, &t0, err);
    if (rc)
        return rc;
    c->t0_ms = t0;
    if (b > c->next)
        c->next = b;
    return LL_OK;
}

static int clk_snapshot(ll_source *base, ll_err *err)
{
    ll_clocked *c = (ll_clocked *)base;
    int rc = clock_start(c, err);
    if (!rc)
        c->bound = available(c);
    return rc;
}

static int clk_committed(ll_source *base, const char *offsets, ll_err *err)
{
    (void)base;
    (void)offsets;
    (void)err;
    return LL_OK;
}

static int64_t clk_lag(ll_source *base)
{
    ll_clocked *c = (ll_clocked *)base;
    int64_t n = available(c) - c->next;
    return n > 0 ? n : 0;
}

void ll_clocked_init(ll_clocked *c, const char *kind)
{
    c->base.kind = kind;
    c->base.plan = clk_plan;
    c->base.restore = clk_restore;
    c->base.snapshot = clk_snapshot;
    c->base.committed = clk_committed;
    c->base.lag = clk_lag;
    ll_schema_init(&c->base.schema);
    c->t0_ms = -1;
    c->next = 0;
    c->bound = -1;
}

int ll_clocked_range(ll_clocked *c, const char *offsets, int64_t *start,
                     int64_t *end, int64_t *t0, ll_err *err)
{
    int rc = parse(offsets, c->base.kind, start, end, t0, err);
    if (!rc && c->prepare)
        rc = c->prepare(c, err);
    return rc;
}
