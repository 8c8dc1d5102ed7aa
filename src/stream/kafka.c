/*
 * kafka: a Kafka topic as a source and as a sink, on librdkafka.
 *
 * Source: as Spark's, the offsets live in the checkpoint, not in Kafka: a
 * batch's offsets are {"topic": T, "start": {"0": a, ...}, "end": {"0":
 * b, ...}} per partition, end taken from the high watermarks when the
 * batch is planned (at most max_offsets_per_trigger in all).  The batch
 * reads exactly [start, end) of every partition by assigning the
 * partitions at start.  After a batch commits, its end offsets are also
 * committed to the consumer group, for monitoring only.  Values are JSON
 * objects, matched to the schema by name.
 *
 * Sink: each row as a JSON object with the key "<query id>:<batch>:<row>"
 * (duplicates of a batch sent again after a kill are detectable), an
 * idempotent producer (acks=all); a batch is done when every message is
 * delivered (at least once).
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stream/stream_int.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int conf_set(rd_kafka_conf_t *c, const char *k, const char *v,
                    ll_err *err)
{
    char msg[256];
    if (rd_kafka_conf_set(c, k, v, msg, sizeof msg) != RD_KAFKA_CONF_OK)
        return ll_err_set(err, LL_EINVAL, "kafka: %s", msg);
    return LL_OK;
}

/* ---- source ---- */

typedef struct kafka_source {
    ll_source base;
    char *brokers, *topic, *group, *starting;
    int mode, have_schema;
    int64_t max_per_trigger;
    rd_kafka_t *rk;
    int npart;
    int64_t *next;  /* per partition: the first offset not in a batch */
    int64_t *bound; /* available_now: high watermarks at the start */
    int started;    /* next[] known (restored or from starting_offsets) */
} kafka_source;

static int ks_connect(kafka_source *s, ll_err *err)
{
    if (s->rk)
        return LL_OK;
    char msg[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (conf_set(c, "bootstrap.servers", s->brokers, err) ||
        conf_set(c, "group.id", s->group, err) ||
        conf_set(c, "enable.auto.commit", "false", err) ||
        conf_set(c, "enable.partition.eof", "true", err) ||
        conf_set(c, "auto.offset.reset", "earliest", err) ||
        conf_set(c, "fetch.wait.max.ms", "50", err)) {
        rd_kafka_conf_destroy(c);
        return LL_EINVAL;
    }
    s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, msg, sizeof msg);
    if (!s->rk) {
        rd_kafka_conf_destroy(c);
        return ll_err_set(err, LL_EIO, "kafka %s: %s", s->brokers, msg);
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *t = rd_kafka_topic_new(s->rk, s->topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(s->rk, 0, t, &md, 10000);
    rd_kafka_topic_destroy(t);
    if (e) {
        return ll_err_set(err, LL_EIO, "kafka %s: topic '%s': %s", s->brokers,
                          s->topic, rd_kafka_err2str(e));
    }
    int rc = LL_OK;
    if (md->topic_cnt < 1 || md->topics[0].err ||
        md->topics[0].partition_cnt < 1)
        rc = ll_err_set(err, LL_ENOTFOUND, "kafka %s: no topic '%s'",
                        s->brokers, s->topic);
    else
        s->npart = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    if (rc)
        return rc;
    s->next = calloc((size_t)s->npart, sizeof *s->next);
    s->bound = malloc(sizeof *s->bound * (size_t)s->npart);
    if (!s->next || !s->bound)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (int p = 0; p < s->npart; p++)
        s->bound[p] = -1;
    return LL_OK;
}

static int watermarks(kafka_source *s, int p, int64_t *lo, int64_t *hi,
                      ll_err *err)
{
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(s->rk, s->topic, p, lo, hi, 10000);
    if (e)
        return ll_err_set(err, LL_EIO, "kafka %s: %s [%d]: %s", s->brokers,
                          s->topic, p, rd_kafka_err2str(e));
    return LL_OK;
}

static int ks_start(kafka_source *s, ll_err *err)
{
    int rc = ks_connect(s, err);
    if (rc || s->started)
        return rc;
    for (int p = 0; p < s->npart; p++) {
        int64_t lo, hi;
        if ((rc = watermarks(s, p, &lo, &hi, err)))
            return rc;
        s->next[p] = strcmp(s->starting, "latest") ? lo : hi;
    }
    s->started = 1;
    return LL_OK;
}

static int ks_plan(ll_source *base, int all, char **offsets, ll_err *err)
{
    kafka_source *s = (kafka_source *)base;
    *offsets = NULL;
    int rc = ks_start(s, err);
    if (rc)
        return rc;
    int64_t *end = malloc(sizeof *end * (size_t)s->npart);
    if (!end)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int64_t total = 0;
    for (int p = 0; p < s->npart; p++) {
        int64_t lo, hi;
        if ((rc = watermarks(s, p, &lo, &hi, err))) {
            free(end);
            return rc;
        }
        if (s->bound[p] >= 0 && hi > s->bound[p])
            hi = s->bound[p];
        if (s->next[p] < lo)
            s->next[p] = lo; /* deleted by retention */
        end[p] = hi > s->next[p] ? hi : s->next[p];
        if (!all && s->max_per_trigger > 0) {
            int64_t cap = s->max_per_trigger / s->npart;
            if (cap < 1)
                cap = 1;
            if (end[p] - s->next[p] > cap)
                end[p] = s->next[p] + cap;
        }
        total += end[p] - s->next[p];
    }
    if (total == 0) {
        free(end);
        return LL_OK;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "topic", s->topic);
    cJSON *a = cJSON_AddObjectToObject(o, "start");
    cJSON *b = cJSON_AddObjectToObject(o, "end");
    for (int p = 0; a && b && p < s->npart; p++) {
        char k[16];
        snprintf(k, sizeof k, "%d", p);
        cJSON_AddNumberToObject(a, k, (double)s->next[p]);
        cJSON_AddNumberToObject(b, k, (double)end[p]);
    }
    free(end);
    *offsets = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!*offsets)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

/* The start and end offsets of partition p in a batch's offsets. */
static int range_of(const cJSON *o, int p, int64_t *a, int64_t *b)
{
    char k[16];
    snprintf(k, sizeof k, "%d", p);
    cJSON *x = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "start"), k);
    cJSON *y = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "end"), k);
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y))
        return 0;
    *a = (int64_t)x->valuedouble;
    *b = (int64_t)y->valuedouble;
    return 1;
}

static cJSON *parse_offsets(const char *text, ll_err *err)
{
    cJSON *o = cJSON_Parse(text);
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "end"))) {
        cJSON_Delete(o);
        ll_err_set(err, LL_EPARSE, "kafka source: offsets without \"end\"");
        return NULL;
    }
    return o;
}

static int ks_restore(ll_source *base, const char *offsets, ll_err *err)
{
    kafka_source *s = (kafka_source *)base;
    int rc = ks_connect(s, err);
    if (rc)
        return rc;
    cJSON *o = parse_offsets(offsets, err);
    if (!o)
        return LL_EPARSE;
    for (int p = 0; p < s->npart; p++) {
        int64_t a, b;
        if (range_of(o, p, &a, &b) && b > s->next[p])
            s->next[p] = b;
    }
    cJSON_Delete(o);
    s->started = 1;
    return LL_OK;
}

static ll_frame *ks_read(ll_source *base, const char *offsets,
                         int64_t *malformed, ll_buf *log, ll_err *err)
{
    kafka_source *s = (kafka_source *)base;
    *malformed = 0;
    if (ks_connect(s, err))
        return NULL;
    cJSON *o = parse_offsets(offsets, err);
    if (!o)
        return NULL;
    int64_t *a = calloc((size_t)s->npart, sizeof *a);
    int64_t *b = calloc((size_t)s->npart, sizeof *b);
    ll_rows *r = NULL;
    ll_frame *f = NULL;
    rd_kafka_topic_partition_list_t *tl =
        rd_kafka_topic_partition_list_new(s->npart);
    int open = 0;
    if (!a || !b)
        goto nomem;
    for (int p = 0; p < s->npart; p++) {
        if (!range_of(o, p, &a[p], &b[p]) || b[p] <= a[p])
            continue;
        rd_kafka_topic_partition_list_add(tl, s->topic, p)->offset = a[p];
        open++;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(s->rk, tl);
    if (e) {
        ll_err_set(err, LL_EIO, "kafka %s: assign: %s", s->brokers,
                   rd_kafka_err2str(e));
        goto done;
    }
    double start = now_s();
    while (open > 0) {
        if (now_s() - start > 60) {
            ll_err_set(err, LL_ETIMEOUT,
                       "kafka %s: %s: the batch's messages did not arrive "
                       "in 60 s",
                       s->brokers, s->topic);
            goto done;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->rk, 100);
        if (!m)
            continue;
        int p = m->partition;
        if (p < 0 || p >= s->npart || b[p] <= a[p]) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->offset >= b[p]) {
                b[p] = a[p]; /* done */
                open--;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            ll_err_set(err, LL_EIO, "kafka %s: %s", s->brokers,
                       rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            goto done;
        }
        if (m->offset >= a[p] && m->offset < b[p]) {
            const char *payload = m->payload ? m->payload : "";
            char src[300];
            snprintf(src, sizeof src, "%s[%d]", s->topic, p);
            if (!s->have_schema) {
                /* the first message's fields */
                char where[340];
                snprintf(where, sizeof where, "%s:%lld", src,
                         (long long)m->offset);
                int rc = ll_stream_infer_json_schema(payload, m->len, where,
                                                     &s->base.schema, err);
                if (rc) {
                    rd_kafka_message_destroy(m);
                    goto done;
                }
                s->have_schema = 1;
            }
            if (!r && !(r = ll_rows_new(&s->base.schema, s->mode, err))) {
                rd_kafka_message_destroy(m);
                goto done;
            }
            if (ll_rows_add_json(r, payload, m->len, src, m->offset, log,
                                 err)) {
                rd_kafka_message_destroy(m);
                goto done;
            }
        }
        if (m->offset >= b[p] - 1) {
            b[p] = a[p];
            open--;
        }
        rd_kafka_message_destroy(m);
    }
    if (!r && !(r = ll_rows_new(&s->base.schema, s->mode, err)))
        goto done;
    *malformed = ll_rows_malformed(r);
    f = ll_rows_finish(r, err);
    goto done;
nomem:
    ll_err_set(err, LL_ENOMEM, "out of memory");
done:
    rd_kafka_assign(s->rk, NULL);
    rd_kafka_topic_partition_list_destroy(tl);
    ll_rows_free(r);
    free(a);
    free(b);
    cJSON_Delete(o);
    return f;
}

static int ks_snapshot(ll_source *base, ll_err *err)
{
    kafka_source *s = (kafka_source *)base;
    int rc = ks_start(s, err);
    for (int p = 0; !rc && p < s->npart; p++) {
        int64_t lo, hi;
        rc = watermarks(s, p, &lo, &hi, err);
        if (!rc)
            s->bound[p] = hi;
    }
    return rc;
}

static int ks_committed(ll_source *base, const char *offsets, ll_err *err)
{
    kafka_source *s = (kafka_source *)base;
    cJSON *o = parse_offsets(offsets, err);
    if (!o)
        return LL_EPARSE;
    rd_kafka_topic_partition_list_t *tl =
        rd_kafka_topic_partition_list_new(s->npart);
    for (int p = 0; p < s->npart; p++) {
        int64_t a, b;
        if (range_of(o, p, &a, &b))
            rd_kafka_topic_partition_list_add(tl, s->topic, p)->offset = b;
    }
    /* for monitoring (consumer lag); the checkpoint is the truth */
    rd_kafka_commit(s->rk, tl, 1);
    rd_kafka_topic_partition_list_destroy(tl);
    cJSON_Delete(o);
    return LL_OK;
}

static int64_t ks_lag(ll_source *base)
{
    kafka_source *s = (kafka_source *)base;
    if (!s->rk || !s->started)
        return -1;
    int64_t lag = 0;
    for (int p = 0; p < s->npart; p++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(s->rk, s->topic, p, &lo, &hi))
            return -1;
        if (hi > s->next[p])
            lag += hi - s->next[p];
    }
    return lag;
}

static void ks_free(ll_source *base)
{
    kafka_source *s = (kafka_source *)base;
    if (s->rk) {
        rd_kafka_consumer_close(s->rk);
        rd_kafka_destroy(s->rk);
    }
    free(s->next);
    free(s->bound);
    free(s->brokers);
    free(s->topic);
    free(s->group);
    free(s->starting);
    ll_schema_free(&s->base.schema);
    free(s);
}

ll_source *ll_source_kafka(const ll_kafka_source_opts *o, ll_err *err)
{
    if (!o->brokers || !o->topic) {
        ll_err_set(err, LL_EINVAL,
                   "kafka source: brokers and topic are "
                   "required");
        return NULL;
    }
    const char *starting =
        o->starting_offsets ? o->starting_offsets : "earliest";
    if (strcmp(starting, "earliest") && strcmp(starting, "latest")) {
        ll_err_set(err, LL_EINVAL,
                   "kafka source: starting_offsets '%s' (earliest, latest)",
                   starting);
        return NULL;
    }
    kafka_source *s = calloc(1, sizeof *s);
    if (!s) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "kafka";
    s->base.plan = ks_plan;
    s->base.restore = ks_restore;
    s->base.read = ks_read;
    s->base.snapshot = ks_snapshot;
    s->base.committed = ks_committed;
    s->base.lag = ks_lag;
    s->base.free = ks_free;
    ll_schema_init(&s->base.schema);
    s->mode = o->mode;
    s->max_per_trigger = o->max_offsets_per_trigger;
    s->brokers = ll_strdup(o->brokers);
    s->topic = ll_strdup(o->topic);
    s->group = ll_strdup(o->group ? o->group : "lualab-stream");
    s->starting = ll_strdup(starting);
    if (!s->brokers || !s->topic || !s->group || !s->starting ||
        (o->schema && o->schema->n &&
         ll_schema_copy(&s->base.schema, o->schema, err))) {
        ks_free(&s->base);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->have_schema = o->schema && o->schema->n;
    return &s->base;
}

/* ---- sink ---- */

typedef struct kafka_sink {
    ll_stream_sink base;
    char *brokers, *topic;
    rd_kafka_t *rk;
    int64_t delivered, failed;
    char last_error[256];
} kafka_sink;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *ud)
{
    (void)rk;
    kafka_sink *s = ud;
    if (m->err) {
        s->failed++;
        snprintf(s->last_error, sizeof s->last_error, "%s",
                 rd_kafka_err2str(m->err));
    } else
        s->delivered++;
}

static int kafka_send(void *ud, const char *key, size_t klen, char *msg,
                      size_t len, ll_err *err)
{
    kafka_sink *s = ud;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            s->rk, RD_KAFKA_V_TOPIC(s->topic),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, klen),
            RD_KAFKA_V_VALUE(msg, len), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(s->rk, 50);
            continue;
        }
        if (e)
            return ll_err_set(err, LL_EIO, "kafka sink %s: %s: %s", s->brokers,
                              s->topic, rd_kafka_err2str(e));
        break;
    }
    rd_kafka_poll(s->rk, 0);
    return LL_OK;
}

static int kafka_write(ll_stream_sink *base, const ll_frame *batch, int64_t id,
                       ll_err *err)
{
    kafka_sink *s = (kafka_sink *)base;
    s->delivered = s->failed = 0;
    int rc = ll_sink_send_rows(base, batch, id, kafka_send, s, err);
    if (rc)
        return rc;
    rd_kafka_resp_err_t e = rd_kafka_flush(s->rk, 60000);
    if (e)
        return ll_err_set(err, LL_ETIMEOUT, "kafka sink %s: %s: flush: %s",
                          s->brokers, s->topic, rd_kafka_err2str(e));
    if (s->failed)
        return ll_err_set(err, LL_EIO,
                          "kafka sink %s: %s: %lld of %lld messages not "
                          "delivered: %s",
                          s->brokers, s->topic, (long long)s->failed,
                          (long long)batch->nrow, s->last_error);
    return LL_OK;
}

static void kafka_sink_free(ll_stream_sink *base)
{
    kafka_sink *s = (kafka_sink *)base;
    if (s->rk) {
        rd_kafka_flush(s->rk, 10000);
        rd_kafka_destroy(s->rk);
    }
    free(s->brokers);
    free(s->topic);
    free(s);
}

ll_stream_sink *ll_sink_kafka(const char *brokers, const char *topic,
                              ll_err *err)
{
    if (!brokers || !topic) {
        ll_err_set(err, LL_EINVAL,
                   "kafka sink: brokers and topic are "
                   "required");
        return NULL;
    }
    kafka_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->brokers = ll_strdup(brokers)) ||
        !(s->topic = ll_strdup(topic))) {
        if (s)
            kafka_sink_free(&s->base);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "kafka";
    s->base.write = kafka_write;
    s->base.free = kafka_sink_free;
    char msg[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (conf_set(c, "bootstrap.servers", brokers, err) ||
        conf_set(c, "enable.idempotence", "true", err) ||
        conf_set(c, "linger.ms", "5", err)) {
        rd_kafka_conf_destroy(c);
        kafka_sink_free(&s->base);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_conf_set_opaque(c, s);
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, msg, sizeof msg);
    if (!s->rk) {
        rd_kafka_conf_destroy(c);
        kafka_sink_free(&s->base);
        ll_err_set(err, LL_EIO, "kafka sink %s: %s", brokers, msg);
        return NULL;
    }
    return &s->base;
}
