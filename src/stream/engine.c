/*
 * engine: a query's life, one batch at a time (see stream.h for the
 * protocol).
 *
 * Starting a query reads its checkpoint: every batch with offsets marks
 * its input as taken, stateful operators load the state of the last
 * committed batch, and a batch with offsets but no commit becomes the
 * pending batch, run first with exactly those offsets.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "stream/stream_int.h"
#include "util/fsutil.h"

#define HISTORY 100

struct ll_query {
    char *name;
    ll_source *src;
    ll_op **ops;
    int nops;
    ll_stream_sink *sink;
    ll_checkpoint ck;
    char *tmp_dir; /* a checkpoint of our own, removed at the end */
    int trigger;
    double interval;
    int64_t next_batch;
    char *pending; /* offsets of a batch planned but not committed */
    double next_due, last_start;
    int active;
    char *error;
    int64_t batches;
    ll_batch_progress hist[HISTORY];
    int nhist, hfirst;
    ll_text_fn log;
    void *log_ud;
};

double ll_stream_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Fault injection for the kill tests: LUALAB_STREAM_KILL_AT =
 * "QUERY:STAGE:N" sends SIGKILL to this process when query QUERY reaches
 * STAGE (offsets: offsets written; sink: the sink committed; state:
 * state written, commit not; all of batch N) or when its MQTT source
 * received message number N (message: before its write-ahead log holds
 * it; logged: after, before the PUBACK left). */
void ll_stream_kill_point(const char *query, const char *stage, int64_t n)
{
    const char *spec = getenv("LUALAB_STREAM_KILL_AT");
    if (!spec || !*spec || !query)
        return;
    char want[256];
    snprintf(want, sizeof want, "%s:%s:%lld", query, stage, (long long)n);
    if (!strcmp(spec, want))
        kill(getpid(), SIGKILL);
}

static void kill_point(const ll_query *q, const char *stage, int64_t id)
{
    ll_stream_kill_point(q->name, stage, id);
}

static void log_stderr(void *ud, const char *text)
{
    (void)ud;
    fputs(text, stderr);
}

void ll_query_set_log(ll_query *q, ll_text_fn fn, void *ud)
{
    q->log = fn ? fn : log_stderr;
    q->log_ud = ud;
}

static void progress_free(ll_batch_progress *p)
{
    free(p->offsets);
    free(p->log);
    memset(p, 0, sizeof *p);
}

void ll_query_free(ll_query *q)
{
    if (!q)
        return;
    if (q->src)
        q->src->free(q->src);
    for (int i = 0; i < q->nops; i++)
        ll_op_free(q->ops[i]);
    free(q->ops);
    if (q->sink)
        q->sink->free(q->sink);
    ll_ckpt_close(&q->ck);
    if (q->tmp_dir) {
        ll_remove_tree(q->tmp_dir, NULL);
        free(q->tmp_dir);
    }
    for (int i = 0; i < q->nhist; i++)
        progress_free(&q->hist[(q->hfirst + i) % HISTORY]);
    free(q->pending);
    free(q->error);
    free(q->name);
    free(q);
}

/* Load every stateful operator's state after batch id (-1: empty). */
static int load_state(ll_query *q, int64_t id, ll_err *err)
{
    for (int i = 0; i < q->nops; i++) {
        if (!ll_op_is_stateful(q->ops[i]))
            continue;
        char *text = NULL;
        int rc =
            id >= 0 ? ll_ckpt_read_state(&q->ck, i, id, &text, err) : LL_OK;
        if (!rc)
            rc = ll_op_state_load(q->ops[i], text, err);
        free(text);
        if (rc) {
            ll_err_prefix(err, "checkpoint %s: state of operator %d", q->ck.dir,
                          i);
            return rc;
        }
    }
    return LL_OK;
}

ll_query *ll_query_new(const char *name, ll_source *src, ll_op **ops, int nops,
                       ll_stream_sink *sink, const char *ckpt_dir, int trigger,
                       double interval, ll_err *err)
{
    ll_query *q = calloc(1, sizeof *q);
    if (!q) {
        if (src)
            src->free(src);
        for (int i = 0; i < nops; i++)
            ll_op_free(ops[i]);
        if (sink)
            sink->free(sink);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    q->src = src;
    q->sink = sink;
    q->nops = nops;
    q->ops = calloc((size_t)(nops ? nops : 1), sizeof *q->ops);
    if (q->ops && nops > 0)
        memcpy(q->ops, ops, sizeof *ops * (size_t)nops);
    else {
        for (int i = 0; i < nops; i++)
            ll_op_free(ops[i]);
        q->nops = 0;
    }
    q->trigger = trigger;
    q->interval = interval > 0 ? interval : 0;
    q->log = log_stderr;
    q->name = ll_strdup(name ? name : "");
    if (!q->ops || !q->name || !src || !sink)
        goto nomem;
    if (!ckpt_dir) {
        const char *tmp = getenv("TMPDIR");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/lualab-stream-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            ll_err_set(err, LL_EIO, "cannot make a temporary checkpoint %s",
                       dir);
            goto fail;
        }
        if (!(q->tmp_dir = ll_strdup(dir)))
            goto nomem;
        ckpt_dir = q->tmp_dir;
    }
    if (ll_ckpt_open(&q->ck, ckpt_dir, err))
        goto fail;
    memcpy(sink->query_id, q->ck.id, sizeof q->ck.id);
    src->query = q->name;
    if (src->open && src->open(src, q->ck.dir, q->ck.id, err))
        goto fail;
    for (int64_t b = 0; b <= q->ck.last_offsets; b++) {
        ll_err e;
        char *text = ll_ckpt_read_offsets(&q->ck, b, &e);
        if (!text) {
            if (e.code == LL_ENOTFOUND)
                continue; /* purged or never written */
            *err = e;
            goto fail;
        }
        int rc = src->restore(src, text, err);
        if (rc) {
            free(text);
            ll_err_prefix(err, "checkpoint %s: offsets/%lld", q->ck.dir,
                          (long long)b);
            goto fail;
        }
        if (b == q->ck.last_offsets && b > q->ck.last_commit)
            q->pending = text;
        else
            free(text);
    }
    q->next_batch = q->pending ? q->ck.last_offsets : q->ck.last_commit + 1;
    if (load_state(q, q->next_batch - 1, err))
        goto fail;
    if (trigger == LL_TRIGGER_AVAILABLE_NOW && src->snapshot(src, err))
        goto fail;
    q->active = 1;
    q->last_start = ll_stream_now();
    return q;
nomem:
    ll_err_set(err, LL_ENOMEM, "out of memory");
fail:
    ll_query_free(q);
    return NULL;
}

static void add_progress(ll_query *q, ll_batch_progress *p)
{
    if (q->nhist == HISTORY) {
        progress_free(&q->hist[q->hfirst]);
        q->hist[q->hfirst] = *p;
        q->hfirst = (q->hfirst + 1) % HISTORY;
    } else {
        q->hist[(q->hfirst + q->nhist) % HISTORY] = *p;
        q->nhist++;
    }
}

/* Run batch q->next_batch over offsets. */
static int run_batch(ll_query *q, const char *offsets, double start,
                     ll_err *err)
{
    int64_t id = q->next_batch;
    int64_t malformed = 0;
    ll_buf log;
    ll_buf_init(&log);
    ll_frame *f = q->src->read(q->src, offsets, &malformed, &log, err);
    if (log.len)
        q->log(q->log_ud, log.data);
    if (!f) {
        ll_buf_free(&log);
        return err->code ? err->code : LL_EIO;
    }
    int64_t in_rows = f->nrow;
    int rc = LL_OK;
    for (int i = 0; i < q->nops && f; i++) {
        ll_frame *g = ll_op_apply(q->ops[i], f, err);
        ll_frame_free(f);
        f = g;
    }
    if (!f) {
        ll_buf_free(&log);
        return err->code ? err->code : LL_EINVAL;
    }
    rc = q->sink->write(q->sink, f, id, err);
    if (!rc)
        kill_point(q, "sink", id);
    int64_t out_rows = f->nrow;
    ll_frame_free(f);
    ll_buf state;
    ll_buf_init(&state);
    for (int i = 0; !rc && i < q->nops; i++) {
        if (!ll_op_is_stateful(q->ops[i]))
            continue;
        rc = ll_op_state_save(q->ops[i], &state, err);
        if (!rc)
            rc = ll_ckpt_write_state(
                &q->ck, i, id, state.data ? state.data : "", state.len, err);
    }
    ll_buf_free(&state);
    if (!rc)
        kill_point(q, "state", id);
    if (!rc)
        rc = ll_ckpt_write_commit(&q->ck, id, err);
    if (!rc)
        rc = q->src->committed(q->src, offsets, err);
    if (!rc && id % 10 == 0 && id >= 10)
        ll_ckpt_purge(&q->ck, id - 10, NULL);
    if (rc) {
        ll_buf_free(&log);
        return rc;
    }
    double end = ll_stream_now();
    ll_batch_progress p;
    memset(&p, 0, sizeof p);
    p.batch_id = id;
    p.num_input_rows = in_rows;
    p.num_output_rows = out_rows;
    p.num_malformed_rows = malformed;
    p.duration_ms = (end - start) * 1000;
    double since = start - q->last_start;
    p.input_rows_per_second = since > 0 ? (double)in_rows / since : 0;
    p.processed_rows_per_second =
        end > start ? (double)in_rows / (end - start) : 0;
    p.timestamp = wall_now();
    p.offsets = ll_strdup(offsets);
    p.log = ll_buf_take(&log);
    if (!p.offsets || !p.log) {
        progress_free(&p);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    add_progress(q, &p);
    q->last_start = start;
    return LL_OK;
}

static int die(ll_query *q, int64_t id, ll_err *err)
{
    q->active = 0;
    free(q->error);
    ll_buf b;
    ll_buf_init(&b);
    if (*q->name)
        ll_buf_printf(&b, "query '%s' ", q->name);
    ll_buf_printf(&b, "batch %lld: %s", (long long)id, err->msg);
    q->error = ll_buf_take(&b);
    int code = err->code ? err->code : LL_EIO;
    ll_err_set(err, code, "%s", q->error ? q->error : "query died");
    return code;
}

int ll_query_step(ll_query *q, double now, ll_err *err)
{
    if (!q->active)
        return LL_QUERY_DONE;
    if (now < q->next_due)
        return LL_QUERY_IDLE;
    char *offsets = q->pending;
    q->pending = NULL;
    int fresh = 0;
    if (!offsets) {
        int rc =
            q->src->plan(q->src, q->trigger == LL_TRIGGER_ONCE, &offsets, err);
        if (rc)
            return die(q, q->next_batch, err);
        if (!offsets) {
            if (q->trigger != LL_TRIGGER_PROCESSING_TIME) {
                q->active = 0;
                return LL_QUERY_DONE;
            }
            q->next_due = now + (q->interval > 0 ? q->interval : 0.05);
            return LL_QUERY_IDLE;
        }
        fresh = 1;
    }
    if (fresh) {
        if (ll_ckpt_write_offsets(&q->ck, q->next_batch, offsets, err) ||
            q->src->restore(q->src, offsets, err)) {
            free(offsets);
            return die(q, q->next_batch, err);
        }
    }
    kill_point(q, "offsets", q->next_batch);
    double start = ll_stream_now();
    int rc = run_batch(q, offsets, start, err);
    free(offsets);
    if (rc)
        return die(q, q->next_batch, err);
    q->next_batch++;
    q->batches++;
    if (q->trigger == LL_TRIGGER_ONCE) {
        q->active = 0;
        return LL_QUERY_DONE;
    }
    if (q->trigger == LL_TRIGGER_PROCESSING_TIME && q->interval > 0) {
        q->next_due = start + q->interval;
    } else
        q->next_due = 0;
    return LL_QUERY_RAN;
}

double ll_query_next_due(const ll_query *q)
{
    return q->next_due;
}

void ll_query_stop(ll_query *q)
{
    q->active = 0;
}

int ll_query_active(const ll_query *q)
{
    return q->active;
}

const char *ll_query_name(const ll_query *q)
{
    return q->name;
}

const char *ll_query_id(const ll_query *q)
{
    return q->ck.id;
}

const char *ll_query_error(const ll_query *q)
{
    return q->error;
}

int64_t ll_query_batches(const ll_query *q)
{
    return q->batches;
}

int64_t ll_query_lag(const ll_query *q)
{
    return q->src->lag ? q->src->lag(q->src) : -1;
}

int ll_query_progress_count(const ll_query *q)
{
    return q->nhist;
}

const ll_batch_progress *ll_query_progress(const ll_query *q, int i)
{
    if (i < 0 || i >= q->nhist)
        return NULL;
    return &q->hist[(q->hfirst + i) % HISTORY];
}

int ll_query_status(const ll_query *q, ll_buf *out)
{
    const ll_batch_progress *p =
        q->nhist ? ll_query_progress(q, q->nhist - 1) : NULL;
    int rc = ll_buf_printf(out, "%s: %lld batch%s, %.0f rows/s",
                           *q->name ? q->name : "query", (long long)q->batches,
                           q->batches == 1 ? "" : "es",
                           p ? p->processed_rows_per_second : 0.0);
    int64_t lag = q->active ? ll_query_lag(q) : -1;
    if (!rc && lag >= 0)
        rc = ll_buf_printf(out, ", lag %lld", (long long)lag);
    return rc;
}
