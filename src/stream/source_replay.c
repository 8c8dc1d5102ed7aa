/*
 * source_replay: a CSV file replayed as a stream in the time of one of its
 * columns, speed times faster than real time (speed 86400: a day of data
 * a second).  The rows are sorted by the time column (stably); a row is
 * available once (now - t0) * speed >= its time - the first row's time.
 * A batch's offsets are a row range [start, end) and t0, so a restarted
 * query goes on where it was, on the same clock.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stream/stream_int.h"

typedef struct replay_source {
    ll_clocked clk;
    char *path, *time;
    double speed;
    ll_frame *rows; /* sorted by time */
    double *secs;   /* each row's time in seconds from the first row */
} replay_source;

static int load(ll_clocked *clk, ll_err *err)
{
    replay_source *s = (replay_source *)clk;
    if (s->rows)
        return LL_OK;
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_frame *f = ll_frame_read_csv(s->path, &o, NULL, err);
    if (!f)
        return err->code ? err->code : LL_EIO;
    int c = ll_frame_col(f, s->time, err);
    if (c < 0) {
        ll_err_prefix(err, "replay source %s: time", s->path);
        ll_frame_free(f);
        return LL_ENOTFOUND;
    }
    const ll_column *tc = f->cols[c];
    double unit = tc->type == LL_DATE       ? 86400.0
                  : tc->type == LL_DATETIME ? 0.001
                                            : 1.0;
    if (tc->type != LL_INT && tc->type != LL_FLOAT && tc->type != LL_DATE &&
        tc->type != LL_DATETIME) {
        ll_err_set(err, LL_EINVAL,
                   "replay source %s: column '%s' is %s, not a time", s->path,
                   s->time, ll_dtype_name(tc->type));
        ll_frame_free(f);
        return LL_EINVAL;
    }
    const char *keys[1] = {s->time};
    int desc[1] = {0};
    ll_frame *sorted = ll_frame_sort(f, keys, desc, 1, err);
    ll_frame_free(f);
    if (!sorted)
        return err->code ? err->code : LL_ENOMEM;
    s->secs = malloc(sizeof *s->secs * (size_t)(sorted->nrow + 1));
    if (!s->secs) {
        ll_frame_free(sorted);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    tc = sorted->cols[c];
    double first = sorted->nrow ? ll_col_num(tc, 0) : 0;
    for (int64_t i = 0; i < sorted->nrow; i++) {
        double v = ll_col_num(tc, i);
        s->secs[i] = isnan(v) ? HUGE_VAL : (v - first) * unit;
    }
    s->rows = sorted;
    return LL_OK;
}

static int64_t available(const ll_clocked *c)
{
    const replay_source *s = (const replay_source *)c;
    if (!s->rows)
        return 0;
    double played = (double)(ll_stream_now_ms() - c->t0_ms) / 1000.0 * s->speed;
    /* the first row whose time is still to come */
    int64_t lo = 0, hi = s->rows->nrow;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->secs[mid] <= played)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static ll_frame *rp_read(ll_source *base, const char *offsets,
                         int64_t *malformed, ll_buf *log, ll_err *err)
{
    replay_source *s = (replay_source *)base;
    (void)log;
    *malformed = 0;
    int64_t a, b, t0;
    if (ll_clocked_range(&s->clk, offsets, &a, &b, &t0, err))
        return NULL;
    return ll_frame_slice(s->rows, a, b - a, err);
}

static void rp_free(ll_source *base)
{
    replay_source *s = (replay_source *)base;
    ll_frame_free(s->rows);
    free(s->secs);
    free(s->path);
    free(s->time);
    ll_schema_free(&s->clk.base.schema);
    free(s);
}

ll_source *ll_source_replay(const char *path, const char *time, double speed,
                            ll_err *err)
{
    if (!(speed > 0)) {
        ll_err_set(err, LL_EINVAL, "replay source: speed must be > 0");
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode)) {
        ll_err_set(err, LL_ENOTFOUND, "replay source: %s: no such file", path);
        return NULL;
    }
    replay_source *s = calloc(1, sizeof *s);
    if (!s || !(s->path = ll_strdup(path)) || !(s->time = ll_strdup(time))) {
        if (s)
            rp_free(&s->clk.base);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    ll_clocked_init(&s->clk, "replay");
    s->clk.avail = available;
    s->clk.prepare = load;
    s->clk.base.read = rp_read;
    s->clk.base.free = rp_free;
    s->speed = speed;
    return &s->clk.base;
}
