/*
 * range: the offsets of the clocked sources (rate, replay).  A batch takes
 * the values start..end-1 that the clock, started at t0 (wall clock, ms),
 * had made available; the offsets are {"start":, "end":, "t0":}.
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

int ll_stream_range_offsets(int64_t start, int64_t end, int64_t t0, char **out,
                            ll_err *err)
{
    char buf[128];
    snprintf(buf, sizeof buf, "{\"start\":%lld,\"end\":%lld,\"t0\":%lld}",
             (long long)start, (long long)end, (long long)t0);
    if (!(*out = ll_strdup(buf)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

int ll_stream_range_parse(const char *offsets, const char *who, int64_t *start,
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
