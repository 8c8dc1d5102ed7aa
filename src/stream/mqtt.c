/*
 * mqtt: an MQTT topic as a source and as a sink, on libmosquitto.
 *
 * Source: a persistent session (MQTT 3.1.1, clean session off, a client
 * id kept in the checkpoint) subscribed at QoS 1, so the broker keeps
 * the messages published while the query is down.  Every message is
 * appended to a write-ahead log in the checkpoint (sources/0/wal, one
 * JSON record {"s": seq, "m": MQTT message id, "t": topic, "p": payload}
 * a line) as it arrives; a batch's offsets are a range of sequence
 * numbers, and the log keeps the records not yet committed.
 *
 * The PUBACK leaves after the record is written: libmosquitto (2.0.x)
 * queues the PUBACK before it calls the message callback, and writes it
 * at once unless the client is marked threaded
 * (mosquitto_threaded_set), in which case the queue is written by the
 * next mosquitto_loop call, after the callback returned.  A kill between
 * the record and its PUBACK makes the broker send the message again
 * when the session resumes; the source knows it by its message id,
 * topic and payload among the records not yet committed, and drops it.
 * pump() writes the queued PUBACKs before a batch is planned.
 *
 * available_now reads what the broker kept for the session: the source
 * also subscribes to a topic of its own, lualab/snapshot/CLIENT_ID, and
 * publishes a marker there once subscribed; the broker sends a
 * session's messages in order, so every message kept before arrives
 * before the marker, however slow the burst is on a loaded machine.
 *
 * Sink: each row as a JSON object to a topic at QoS 1 (MQTT 5), with a
 * user property key = "<query id>:<batch>:<row>" that makes the
 * duplicates of a batch sent again after a kill detectable; a batch is
 * done when the broker acknowledged every message (at least once).
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stream/stream_int.h"
#include "util/fsutil.h"

static void lib_init(void)
{
    static int done;
    if (!done) {
        mosquitto_lib_init();
        done = 1;
    }
}

/* "mqtt://host:port" -> host, port (1883 by default). */
static int parse_url(const char *url, char *host, size_t cap, int *port,
                     ll_err *err)
{
    const char *p = url;
    if (!strncmp(p, "mqtt://", 7))
        p += 7;
    else if (strstr(p, "://"))
        return ll_err_set(err, LL_EINVAL,
                          "mqtt: url '%s': only mqtt://host:port is "
                          "supported",
                          url);
    const char *colon = strrchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    if (n == 0 || n >= cap)
        return ll_err_set(err, LL_EINVAL, "mqtt: url '%s': no host", url);
    memcpy(host, p, n);
    host[n] = 0;
    *port = 1883;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || v <= 0 || v > 65535)
            return ll_err_set(err, LL_EINVAL, "mqtt: url '%s': bad port", url);
        *port = (int)v;
    }
    return LL_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- source ---- */

typedef struct wal_rec {
    int64_t seq;
    int mid;   /* the broker's message id, -1 when unknown */
    int again; /* the broker sent it a second time (dropped) */
    char *topic;
    char *payload;
    size_t len;
} wal_rec;

typedef struct mqtt_source {
    ll_source base;
    char *url, *topic, *client_id;
    char host[256];
    int port, qos, mode, have_schema;
    struct mosquitto *mosq;
    int connected, subscribed, subacks;
    char marker_topic[160], marker[64]; /* available_now's marker */
    int marker_seen;
    int64_t marker_seq; /* next_seq when the marker came */
    char *wal_path;
    int wal_fd;
    wal_rec *recs; /* not yet committed, by seq */
    size_t nrecs, cap;
    int64_t next_seq; /* the next message's number */
    int64_t taken;    /* messages up to here are in a batch */
    int64_t bound;    /* available_now: -1 = none */
    int io_error;
    char io_msg[256];
} mqtt_source;

static int add_rec(mqtt_source *s, int64_t seq, int mid, const char *topic,
                   const char *payload, size_t len)
{
    if (s->nrecs == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        wal_rec *r = realloc(s->recs, sizeof *r * cap);
        if (!r)
            return LL_ENOMEM;
        s->recs = r;
        s->cap = cap;
    }
    wal_rec *r = &s->recs[s->nrecs];
    r->seq = seq;
    r->mid = mid;
    r->again = 0;
    r->topic = ll_strdup(topic);
    r->payload = malloc(len + 1);
    if (!r->topic || !r->payload) {
        free(r->topic);
        free(r->payload);
        return LL_ENOMEM;
    }
    memcpy(r->payload, payload, len);
    r->payload[len] = 0;
    r->len = len;
    s->nrecs++;
    return LL_OK;
}

static char *wal_line(int64_t seq, int mid, const char *topic,
                      const char *payload)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "s", (double)seq);
    if (mid >= 0)
        cJSON_AddNumberToObject(o, "m", mid);
    cJSON_AddStringToObject(o, "t", topic);
    cJSON_AddStringToObject(o, "p", payload);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void on_message(struct mosquitto *m, void *ud,
                       const struct mosquitto_message *msg)
{
    (void)m;
    mqtt_source *s = ud;
    if (s->io_error)
        return;
    char *payload = malloc((size_t)msg->payloadlen + 1);
    if (!payload) {
        s->io_error = 1;
        snprintf(s->io_msg, sizeof s->io_msg, "out of memory");
        return;
    }
    memcpy(payload, msg->payload, (size_t)msg->payloadlen);
    payload[msg->payloadlen] = 0;
    if (!strcmp(msg->topic, s->marker_topic)) {
        /* a marker of an older run (killed before it came) is not ours */
        if (s->marker[0] && !s->marker_seen && !strcmp(payload, s->marker)) {
            s->marker_seen = 1;
            s->marker_seq = s->next_seq;
        }
        free(payload);
        return;
    }
    /* sent again after a kill between its record and its PUBACK (QoS 1;
     * QoS 0 messages all have id 0 and are never sent again) */
    int mid = msg->qos == 1 ? msg->mid : -1;
    for (size_t i = 0; mid >= 0 && i < s->nrecs; i++) {
        wal_rec *r = &s->recs[i];
        if (!r->again && r->mid == mid && !strcmp(r->topic, msg->topic) &&
            r->len == (size_t)msg->payloadlen &&
            !memcmp(r->payload, payload, r->len)) {
            r->again = 1;
            free(payload);
            return;
        }
    }
    ll_stream_kill_point(s->base.query, "message", s->next_seq);
    char *line = wal_line(s->next_seq, mid, msg->topic, payload);
    if (!line || ll_write_fd(s->wal_fd, line, strlen(line)) ||
        ll_write_fd(s->wal_fd, "\n", 1) ||
        add_rec(s, s->next_seq, mid, msg->topic, payload,
                (size_t)msg->payloadlen)) {
        s->io_error = 1;
        snprintf(s->io_msg, sizeof s->io_msg, "%s: %s", s->wal_path,
                 strerror(errno));
    } else {
        ll_stream_kill_point(s->base.query, "logged", s->next_seq);
        s->next_seq++;
    }
    free(line);
    free(payload);
}

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
    mqtt_source *s = ud;
    if (rc == 0) {
        s->connected = 1;
        s->subacks = 0;
        mosquitto_subscribe(m, NULL, s->topic, s->qos);
        mosquitto_subscribe(m, NULL, s->marker_topic, 1);
    }
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n,
                         const int *granted)
{
    (void)m;
    (void)mid;
    (void)n;
    (void)granted;
    mqtt_source *s = ud;
    if (++s->subacks >= 2) /* the topic and the marker's */
        s->subscribed = 1;
}

/* Read what the broker has for us: at least wait seconds and until quiet
 * seconds pass without a message (a call of mosquitto_loop reads one
 * packet), at most 2 s when messages keep coming. */
static int pump(mqtt_source *s, double wait, double quiet, ll_err *err)
{
    double start = now_s(), last = start;
    int64_t seen = s->next_seq;
    int idle = 0;
    for (;;) {
        int rc = mosquitto_loop(s->mosq, idle ? 5 : 0, 1);
        if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN) {
            s->connected = 0;
            s->subscribed = 0;
            mosquitto_reconnect(s->mosq);
        } else if (rc != MOSQ_ERR_SUCCESS)
            return ll_err_set(err, LL_EIO, "mqtt %s: %s", s->url,
                              mosquitto_strerror(rc));
        if (s->io_error)
            return ll_err_set(err, LL_EIO, "mqtt source: %s", s->io_msg);
        double now = now_s();
        if (s->next_seq != seen) {
            seen = s->next_seq;
            last = now;
            idle = 0;
        } else
            idle++;
        if (now - start > 2 && s->subscribed)
            break;
        if (now - start >= wait && now - last >= quiet && idle >= 3 &&
            s->subscribed)
            break;
        if (now - start > 10)
            break;
    }
    if (!s->subscribed)
        return ll_err_set(err, LL_EIO, "mqtt %s: no answer to SUBSCRIBE %s",
                          s->url, s->topic);
    /* the PUBACKs of what was read leave before the batch is planned */
    for (int i = 0; i < 1000 && mosquitto_want_write(s->mosq); i++) {
        int rc = mosquitto_loop_write(s->mosq, 1);
        if (rc != MOSQ_ERR_SUCCESS)
            return ll_err_set(err, LL_EIO, "mqtt %s: %s", s->url,
                              mosquitto_strerror(rc));
    }
    return LL_OK;
}

static int mq_open(ll_source *base, const char *dir, const char *query_id,
                   ll_err *err)
{
    mqtt_source *s = (mqtt_source *)base;
    char path[4200];
    snprintf(path, sizeof path, "%s/sources/0", dir);
    int rc = ll_mkdir_p(path, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/sources/0/wal", dir);
    if (!(s->wal_path = ll_strdup(path)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    /* records left by the last run */
    if (ll_file_exists(path)) {
        char *text;
        size_t len;
        if ((rc = ll_read_file(path, &text, &len, err)))
            return rc;
        char *p = text;
        while (p && *p) {
            char *nl = strchr(p, '\n');
            if (!nl)
                break; /* a torn last line: never acknowledged */
            *nl = 0;
            cJSON *o = cJSON_Parse(p);
            cJSON *sq = cJSON_GetObjectItemCaseSensitive(o, "s");
            cJSON *mid = cJSON_GetObjectItemCaseSensitive(o, "m");
            cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
            cJSON *pl = cJSON_GetObjectItemCaseSensitive(o, "p");
            if (cJSON_IsNumber(sq) && cJSON_IsString(t) && cJSON_IsString(pl)) {
                int64_t seq = (int64_t)sq->valuedouble;
                if (add_rec(s, seq,
                            cJSON_IsNumber(mid) ? (int)mid->valuedouble : -1,
                            t->valuestring, pl->valuestring,
                            strlen(pl->valuestring))) {
                    cJSON_Delete(o);
                    free(text);
                    return ll_err_set(err, LL_ENOMEM, "out of memory");
                }
                if (seq + 1 > s->next_seq)
                    s->next_seq = seq + 1;
            }
            cJSON_Delete(o);
            p = nl + 1;
        }
        free(text);
    }
    s->wal_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->wal_fd < 0)
        return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(errno));
    if (!s->client_id) {
        char id[64];
        snprintf(id, sizeof id, "lualab-%.16s", query_id);
        s->client_id = ll_strdup(id);
    }
    snprintf(s->marker_topic, sizeof s->marker_topic, "lualab/snapshot/%.100s",
             s->client_id ? s->client_id : "");
    lib_init();
    s->mosq = mosquitto_new(s->client_id, false, s);
    if (!s->mosq)
        return ll_err_set(err, LL_ENOMEM, "mqtt: cannot make a client");
    /* PUBACKs (and every packet) queued, written by mosquitto_loop */
    mosquitto_threaded_set(s->mosq, true);
    mosquitto_connect_callback_set(s->mosq, on_connect);
    mosquitto_message_callback_set(s->mosq, on_message);
    mosquitto_subscribe_callback_set(s->mosq, on_subscribe);
    rc = mosquitto_connect(s->mosq, s->host, s->port, 30);
    if (rc != MOSQ_ERR_SUCCESS)
        return ll_err_set(err, LL_EIO, "mqtt %s: %s", s->url,
                          rc == MOSQ_ERR_ERRNO ? strerror(errno)
                                               : mosquitto_strerror(rc));
    /* messages are read from the first plan on, after restore has set
     * the sequence numbers */
    return LL_OK;
}

static int parse_range(const char *offsets, int64_t *a, int64_t *b, ll_err *err)
{
    cJSON *o = cJSON_Parse(offsets);
    cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "start");
    cJSON *y = cJSON_GetObjectItemCaseSensitive(o, "end");
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y)) {
        cJSON_Delete(o);
        return ll_err_set(err, LL_EPARSE,
                          "mqtt source: offsets without start, end");
    }
    *a = (int64_t)x->valuedouble;
    *b = (int64_t)y->valuedouble;
    cJSON_Delete(o);
    return LL_OK;
}

static int mq_plan(ll_source *base, int all, char **offsets, ll_err *err)
{
    mqtt_source *s = (mqtt_source *)base;
    (void)all;
    *offsets = NULL;
    int rc = pump(s, 0, 0, err);
    if (rc)
        return rc;
    int64_t end = s->next_seq;
    if (s->bound >= 0 && end > s->bound)
        end = s->bound;
    if (end <= s->taken)
        return LL_OK;
    /* the log is on disk before the batch is planned */
    if (fdatasync(s->wal_fd))
        return ll_err_set(err, LL_EIO, "%s: %s", s->wal_path, strerror(errno));
    char buf[96];
    snprintf(buf, sizeof buf, "{\"start\":%lld,\"end\":%lld}",
             (long long)s->taken, (long long)end);
    if (!(*offsets = ll_strdup(buf)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

static int mq_restore(ll_source *base, const char *offsets, ll_err *err)
{
    mqtt_source *s = (mqtt_source *)base;
    int64_t a, b;
    int rc = parse_range(offsets, &a, &b, err);
    if (rc)
        return rc;
    if (b > s->taken)
        s->taken = b;
    if (b > s->next_seq)
        s->next_seq = b;
    return LL_OK;
}

static ll_frame *mq_read(ll_source *base, const char *offsets,
                         int64_t *malformed, ll_buf *log, ll_err *err)
{
    mqtt_source *s = (mqtt_source *)base;
    *malformed = 0;
    int64_t a, b;
    if (parse_range(offsets, &a, &b, err))
        return NULL;
    if (!s->have_schema) {
        for (size_t i = 0; i < s->nrecs; i++) {
            if (s->recs[i].seq < a || s->recs[i].seq >= b)
                continue;
            /* the first message's fields */
            char where[600];
            snprintf(where, sizeof where, "%s:%lld", s->recs[i].topic,
                     (long long)s->recs[i].seq);
            int rc =
                ll_stream_infer_json_schema(s->recs[i].payload, s->recs[i].len,
                                            where, &s->base.schema, err);
            if (rc) {
                ll_err_prefix(err, "mqtt source: schema");
                return NULL;
            }
            s->have_schema = 1;
            break;
        }
    }
    ll_rows *r = ll_rows_new(&s->base.schema, s->mode, err);
    if (!r)
        return NULL;
    for (size_t i = 0; i < s->nrecs; i++) {
        const wal_rec *w = &s->recs[i];
        if (w->seq < a || w->seq >= b)
            continue;
        if (ll_rows_add_json(r, w->payload, w->len, w->topic, w->seq, log,
                             err)) {
            ll_rows_free(r);
            return NULL;
        }
    }
    *malformed = ll_rows_malformed(r);
    ll_frame *f = ll_rows_finish(r, err);
    ll_rows_free(r);
    return f;
}

static int mq_snapshot(ll_source *base, ll_err *err)
{
    mqtt_source *s = (mqtt_source *)base;
    /* what the broker kept for us arrives after connecting, before the
     * marker published once subscribed */
    int rc = pump(s, 0, 0, err);
    if (rc)
        return rc;
    snprintf(s->marker, sizeof s->marker, "%ld-%.0f", (long)getpid(),
             now_s() * 1e6);
    s->marker_seen = 0;
    rc = mosquitto_publish(s->mosq, NULL, s->marker_topic,
                           (int)strlen(s->marker), s->marker, 1, false);
    if (rc != MOSQ_ERR_SUCCESS)
        return ll_err_set(err, LL_EIO, "mqtt %s: %s", s->url,
                          mosquitto_strerror(rc));
    double start = now_s();
    while (!s->marker_seen) {
        rc = mosquitto_loop(s->mosq, 50, 1);
        if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN) {
            /* the session resumes; libmosquitto sends the marker again */
            s->connected = 0;
            s->subscribed = 0;
            mosquitto_reconnect(s->mosq);
        } else if (rc != MOSQ_ERR_SUCCESS)
            return ll_err_set(err, LL_EIO, "mqtt %s: %s", s->url,
                              mosquitto_strerror(rc));
        if (s->io_error)
            return ll_err_set(err, LL_EIO, "mqtt source: %s", s->io_msg);
        if (now_s() - start > 120)
            return ll_err_set(err, LL_ETIMEOUT,
                              "mqtt %s: available_now: the marker published "
                              "to %s did not come back within 120 s (may "
                              "the client publish and subscribe there?)",
                              s->url, s->marker_topic);
    }
    s->bound = s->marker_seq;
    return LL_OK;
}

/* Keep only the records after the committed batch; rewrite the log. */
static int mq_committed(ll_source *base, const char *offsets, ll_err *err)
{
    mqtt_source *s = (mqtt_source *)base;
    int64_t a, b;
    int rc = parse_range(offsets, &a, &b, err);
    if (rc)
        return rc;
    size_t keep = 0;
    for (size_t i = 0; i < s->nrecs; i++) {
        if (s->recs[i].seq < b) {
            free(s->recs[i].topic);
            free(s->recs[i].payload);
        } else
            s->recs[keep++] = s->recs[i];
    }
    s->nrecs = keep;
    ll_buf text;
    ll_buf_init(&text);
    for (size_t i = 0; i < s->nrecs; i++) {
        char *line = wal_line(s->recs[i].seq, s->recs[i].mid, s->recs[i].topic,
                              s->recs[i].payload);
        if (!line || ll_buf_puts(&text, line) || ll_buf_putc(&text, '\n')) {
            free(line);
            ll_buf_free(&text);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        free(line);
    }
    /* a record for the last committed number keeps the count going
     * when the log is otherwise empty */
    rc = ll_write_file_atomic(s->wal_path, text.data ? text.data : "", text.len,
                              err);
    ll_buf_free(&text);
    if (rc)
        return rc;
    close(s->wal_fd);
    s->wal_fd =
        open(s->wal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->wal_fd < 0)
        return ll_err_set(err, LL_EIO, "%s: %s", s->wal_path, strerror(errno));
    return LL_OK;
}

static int64_t mq_lag(ll_source *base)
{
    mqtt_source *s = (mqtt_source *)base;
    return s->next_seq - s->taken;
}

static void mq_free(ll_source *base)
{
    mqtt_source *s = (mqtt_source *)base;
    if (s->mosq) {
        mosquitto_disconnect(s->mosq);
        mosquitto_loop(s->mosq, 10, 1);
        mosquitto_destroy(s->mosq);
    }
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    for (size_t i = 0; i < s->nrecs; i++) {
        free(s->recs[i].topic);
        free(s->recs[i].payload);
    }
    free(s->recs);
    free(s->wal_path);
    free(s->url);
    free(s->topic);
    free(s->client_id);
    ll_schema_free(&s->base.schema);
    free(s);
}

ll_source *ll_source_mqtt(const ll_mqtt_source_opts *o, ll_err *err)
{
    mqtt_source *s = calloc(1, sizeof *s);
    if (!s) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "mqtt";
    s->base.open = mq_open;
    s->base.plan = mq_plan;
    s->base.restore = mq_restore;
    s->base.read = mq_read;
    s->base.snapshot = mq_snapshot;
    s->base.committed = mq_committed;
    s->base.lag = mq_lag;
    s->base.free = mq_free;
    ll_schema_init(&s->base.schema);
    s->wal_fd = -1;
    s->bound = -1;
    s->qos = o->qos;
    s->mode = o->mode;
    if (!o->topic || !*o->topic) {
        mq_free(&s->base);
        ll_err_set(err, LL_EINVAL, "mqtt source: a topic is required");
        return NULL;
    }
    if (parse_url(o->url ? o->url : "mqtt://127.0.0.1:1883", s->host,
                  sizeof s->host, &s->port, err)) {
        mq_free(&s->base);
        return NULL;
    }
    s->url = ll_strdup(o->url ? o->url : "mqtt://127.0.0.1:1883");
    s->topic = ll_strdup(o->topic);
    if (o->client_id)
        s->client_id = ll_strdup(o->client_id);
    if (!s->url || !s->topic ||
        (o->schema && o->schema->n &&
         ll_schema_copy(&s->base.schema, o->schema, err))) {
        mq_free(&s->base);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->have_schema = o->schema && o->schema->n;
    return &s->base;
}

/* ---- sink ---- */

typedef struct mqtt_sink {
    ll_stream_sink base;
    char *url, *topic;
    char host[256];
    int port, qos;
    struct mosquitto *mosq;
    int connected;
    int64_t acked, sent;
} mqtt_sink;

static void sink_on_connect(struct mosquitto *m, void *ud, int rc, int flags,
                            const mosquitto_property *props)
{
    (void)m;
    (void)flags;
    (void)props;
    if (rc == 0)
        ((mqtt_sink *)ud)->connected = 1;
}

static void sink_on_publish(struct mosquitto *m, void *ud, int mid, int rc,
                            const mosquitto_property *props)
{
    (void)m;
    (void)mid;
    (void)rc;
    (void)props;
    ((mqtt_sink *)ud)->acked++;
}

static int sink_connect(mqtt_sink *s, ll_err *err)
{
    if (s->mosq && s->connected)
        return LL_OK;
    lib_init();
    if (!s->mosq) {
        s->mosq = mosquitto_new(NULL, true, s);
        if (!s->mosq)
            return ll_err_set(err, LL_ENOMEM, "mqtt: cannot make a client");
        mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                             MQTT_PROTOCOL_V5);
        mosquitto_connect_v5_callback_set(s->mosq, sink_on_connect);
        mosquitto_publish_v5_callback_set(s->mosq, sink_on_publish);
        int rc = mosquitto_connect(s->mosq, s->host, s->port, 30);
        if (rc != MOSQ_ERR_SUCCESS)
            return ll_err_set(err, LL_EIO, "mqtt sink %s: %s", s->url,
                              rc == MOSQ_ERR_ERRNO ? strerror(errno)
                                                   : mosquitto_strerror(rc));
    } else
        mosquitto_reconnect(s->mosq);
    double start = now_s();
    while (!s->connected && now_s() - start < 10)
        mosquitto_loop(s->mosq, 50, 1);
    if (!s->connected)
        return ll_err_set(err, LL_EIO, "mqtt sink %s: no CONNACK", s->url);
    return LL_OK;
}

static int mqtt_send(void *ud, const char *key, size_t klen, char *msg,
                     size_t len, ll_err *err)
{
    mqtt_sink *s = ud;
    (void)klen;
    mosquitto_property *props = NULL;
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "key",
                                       key);
    int prc = mosquitto_publish_v5(s->mosq, NULL, s->topic, (int)len, msg,
                                   s->qos, false, props);
    mosquitto_property_free_all(&props);
    if (prc != MOSQ_ERR_SUCCESS)
        return ll_err_set(err, LL_EIO, "mqtt sink %s: %s", s->url,
                          mosquitto_strerror(prc));
    if (++s->sent % 256 == 0)
        mosquitto_loop(s->mosq, 0, 1);
    return LL_OK;
}

static int mqtt_write(ll_stream_sink *base, const ll_frame *batch, int64_t id,
                      ll_err *err)
{
    mqtt_sink *s = (mqtt_sink *)base;
    int rc = sink_connect(s, err);
    if (rc)
        return rc;
    s->acked = s->sent = 0;
    if ((rc = ll_sink_send_rows(base, batch, id, mqtt_send, s, err)))
        return rc;
    int64_t sent = s->sent;
    if (s->qos == 0) {
        mosquitto_loop(s->mosq, 10, 1);
        return LL_OK;
    }
    double start = now_s();
    while (s->acked < sent && now_s() - start < 30) {
        int lrc = mosquitto_loop(s->mosq, 50, 1);
        if (lrc != MOSQ_ERR_SUCCESS)
            return ll_err_set(err, LL_EIO, "mqtt sink %s: %s", s->url,
                              mosquitto_strerror(lrc));
    }
    if (s->acked < sent)
        return ll_err_set(err, LL_ETIMEOUT,
                          "mqtt sink %s: %lld of %lld messages acknowledged",
                          s->url, (long long)s->acked, (long long)sent);
    return LL_OK;
}

static void mqtt_sink_free(ll_stream_sink *base)
{
    mqtt_sink *s = (mqtt_sink *)base;
    if (s->mosq) {
        mosquitto_disconnect(s->mosq);
        mosquitto_destroy(s->mosq);
    }
    free(s->url);
    free(s->topic);
    free(s);
}

ll_stream_sink *ll_sink_mqtt(const char *url, const char *topic, int qos,
                             ll_err *err)
{
    mqtt_sink *s = calloc(1, sizeof *s);
    if (!s) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "mqtt";
    s->base.write = mqtt_write;
    s->base.free = mqtt_sink_free;
    s->qos = qos;
    if (!topic || !*topic) {
        mqtt_sink_free(&s->base);
        ll_err_set(err, LL_EINVAL, "mqtt sink: a topic is required");
        return NULL;
    }
    if (parse_url(url ? url : "mqtt://127.0.0.1:1883", s->host, sizeof s->host,
                  &s->port, err)) {
        mqtt_sink_free(&s->base);
        return NULL;
    }
    s->url = ll_strdup(url ? url : "mqtt://127.0.0.1:1883");
    s->topic = ll_strdup(topic);
    if (!s->url || !s->topic) {
        mqtt_sink_free(&s->base);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    return &s->base;
}
