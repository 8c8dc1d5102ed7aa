/*
 * server: the scoring server on libmicrohttpd.  A thread pool of workers
 * each runs whole requests: the body is gathered (refused with 413 as soon
 * as it passes the limit), parsed into a frame or tensor (request.c),
 * scored with ll_model_predict on the shared model, and answered.  The
 * access log line is written when a request completes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/request.h"
#include "serve/server.h"
#include "util/buf.h"

#if MHD_VERSION < 0x00097002
typedef int ll_mhd_result;
#else
typedef enum MHD_Result ll_mhd_result;
#endif

struct ll_server {
    struct MHD_Daemon *d;
    ll_model *m;
    ll_server_opts o;
    char *api_key;
    char *model_uri;
    int port;
    char *swagger; /* built once */
    pthread_mutex_t lock;
    int active; /* requests in flight */
};

/* One request's state, from the first call to the completion callback. */
typedef struct req {
    ll_buf body;
    double t0;
    int too_big;
    int status;
    long long rows;
    char method[8];
    char path[128];
} req;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static ll_mhd_result reply(struct MHD_Connection *c, req *r, int status,
                           const char *ctype, const char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", ctype);
    if (status == 405)
        MHD_add_response_header(resp, "Allow",
                                strcmp(r->path, "/invocations") == 0 ||
                                        strcmp(r->path, "/score") == 0
                                    ? "POST"
                                    : "GET");
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    ll_mhd_result rc = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return rc;
}

static ll_mhd_result reply_error(struct MHD_Connection *c, req *r, int status,
                                 const char *code, const char *msg)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_req_write_error(code, msg, &b);
    ll_mhd_result rc =
        reply(c, r, status, "application/json", ll_buf_str(&b), b.len);
    ll_buf_free(&b);
    return rc;
}

static ll_mhd_result reply_text(struct MHD_Connection *c, req *r,
                                const char *text)
{
    return reply(c, r, 200, "text/plain; charset=utf-8", text, strlen(text));
}

/* Constant-time comparison of the bearer token with the key. */
static int authorized(ll_server *s, struct MHD_Connection *c)
{
    if (!s->api_key)
        return 1;
    const char *h =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    size_t n = strlen(h), k = strlen(s->api_key);
    unsigned diff = (unsigned)(n ^ k);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned)(unsigned char)h[i] ^
                (unsigned)(unsigned char)s->api_key[i % (k ? k : 1)];
    return diff == 0;
}

/* Score a parsed body; the answer goes to out, or an error to err with
 * *status set. */
static int score(ll_server *s, ll_req_input *in, ll_req_contract used,
                 ll_buf *out, long long *rows, int *status, ll_err *err)
{
    ll_model *m = s->m;
    *status = 400;
    if (in->tensor) {
        const int64_t *shape = ll_tensor_shape(in->tensor);
        int nd = ll_tensor_ndim(in->tensor);
        int want = ll_model_input_ndim(m);
        const int64_t *ws = ll_model_input_shape(m);
        int ok = nd == want + 1;
        for (int i = 0; ok && i < want; i++)
            if (ws[i] > 0 && shape[i + 1] != ws[i])
                ok = 0;
        if (!ok) {
            char got[96], exp[96];
            ll_shape_str(nd, shape, got, sizeof got);
            int64_t full[LL_MAXDIM + 1];
            full[0] = -1;
            for (int i = 0; i < want && i < LL_MAXDIM; i++)
                full[i + 1] = ws[i];
            ll_shape_str(want + 1, full, exp, sizeof exp);
            char *q = strstr(exp, "-1");
            if (q) {
                q[0] = 'N';
                memmove(q + 1, q + 2, strlen(q + 2) + 1);
            }
            return ll_err_set(err, LL_EINVAL,
                              "input shape %s does not match the model's %s",
                              got, exp);
        }
        *rows = shape[0];
        ll_tensor *y = NULL;
        int rc = ll_model_predict_tensor(m, in->tensor, &y, err);
        if (rc != LL_OK) {
            if (rc == LL_ENOMEM)
                *status = 500;
            return rc;
        }
        rc = ll_req_write_tensor(y, used, out);
        ll_tensor_free(y);
        *status = 200;
        return rc;
    }
    int nin = ll_model_n_inputs(m);
    if (nin > 0) {
        const char *names[256];
        int n = nin < 256 ? nin : 256;
        for (int i = 0; i < n; i++)
            names[i] = ll_model_input_name(m, i);
        int rc = ll_req_check_numeric(in, names, n, err);
        if (rc != LL_OK)
            return rc;
    }
    *rows = in->frame->nrow;
    ll_frame *pred = NULL;
    int rc = ll_model_predict(m, in->frame, &pred, err);
    if (rc != LL_OK) {
        if (rc == LL_ENOMEM)
            *status = 500;
        return rc;
    }
    if (used == LL_REQ_FORECAST)
        rc = ll_req_write_forecast(pred, out, err);
    else
        rc = ll_req_write_frame(pred, used, out);
    ll_frame_free(pred);
    if (rc == LL_OK)
        *status = 200;
    return rc;
}

static ll_mhd_result handle_post(ll_server *s, struct MHD_Connection *c, req *r,
                                 ll_req_contract contract)
{
    const char *ct =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    ll_req_input in;
    ll_req_contract used;
    ll_err err;
    ll_err_clear(&err);
    int rc = ll_req_parse(ct, r->body.data ? r->body.data : "", r->body.len,
                          contract, &in, &used, &err);
    if (rc != LL_OK)
        return reply_error(c, r, rc == LL_ENOMEM ? 500 : 400,
                           rc == LL_ENOMEM ? "INTERNAL_ERROR" : "BAD_REQUEST",
                           err.msg);
    ll_buf out;
    ll_buf_init(&out);
    int status;
    rc = score(s, &in, used, &out, &r->rows, &status, &err);
    ll_req_input_clear(&in);
    ll_mhd_result res;
    if (rc != LL_OK)
        res = reply_error(c, r, status,
                          status == 500 ? "INTERNAL_ERROR" : "BAD_REQUEST",
                          err.msg);
    else
        res = reply(c, r, 200, "application/json", ll_buf_str(&out), out.len);
    ll_buf_free(&out);
    return res;
}

static ll_mhd_result handle(void *cls, struct MHD_Connection *c,
                            const char *url, const char *method,
                            const char *version, const char *upload,
                            size_t *upload_size, void **con_cls)
{
    (void)version;
    ll_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        ll_buf_init(&r->body);
        r->t0 = now_ms();
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->path, sizeof r->path, "%s", url);
        *con_cls = r;
        pthread_mutex_lock(&s->lock);
        s->active++;
        pthread_mutex_unlock(&s->lock);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body) {
            /* Refuse before the body is sent: no "100 Continue". */
            r->too_big = 1;
            char msg[160];
            snprintf(msg, sizeof msg,
                     "the request body is larger than the limit of %zu "
                     "bytes (--max-body)",
                     s->o.max_body);
            return reply_error(c, r, 413, "REQUEST_LIMIT_EXCEEDED", msg);
        }
        return MHD_YES;
    }
    if (r->status) /* answered already (413): drop the rest */
        return MHD_YES;
    if (*upload_size > 0) {
        if (!r->too_big && r->body.len + *upload_size > s->o.max_body)
            r->too_big = 1;
        if (!r->too_big &&
            ll_buf_append(&r->body, upload, *upload_size) != LL_OK)
            return MHD_NO;
        *upload_size = 0;
        if (!r->too_big)
            return MHD_YES;
    }
    int is_post = strcmp(method, "POST") == 0;
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int score_path =
        strcmp(url, "/invocations") == 0 || strcmp(url, "/score") == 0;
    int get_path = strcmp(url, "/ping") == 0 || strcmp(url, "/health") == 0 ||
                   strcmp(url, "/version") == 0 || strcmp(url, "/") == 0 ||
                   strcmp(url, "/swagger.json") == 0;
    if (!score_path && !get_path) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "no endpoint %.100s (POST /invocations or /score; GET /ping, "
                 "/health, /version, /, /swagger.json)",
                 url);
        return reply_error(c, r, 404, "ENDPOINT_NOT_FOUND", msg);
    }
    if ((score_path && !is_post) || (get_path && !is_get)) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s %s is not allowed (use %s)", method, url,
                 score_path ? "POST" : "GET");
        return reply_error(c, r, 405, "METHOD_NOT_ALLOWED", msg);
    }
    if (score_path && !authorized(s, c))
        return reply_error(c, r, 401, "UNAUTHENTICATED",
                           "missing or wrong API key: send the header "
                           "'Authorization: Bearer KEY'");
    if (r->too_big) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the request body is larger than the limit of %zu bytes "
                 "(--max-body)",
                 s->o.max_body);
        return reply_error(c, r, 413, "REQUEST_LIMIT_EXCEEDED", msg);
    }
    if (strcmp(url, "/invocations") == 0)
        return handle_post(s, c, r, LL_REQ_MLFLOW);
    if (strcmp(url, "/score") == 0)
        return handle_post(s, c, r, LL_REQ_AZURE);
    if (strcmp(url, "/ping") == 0 || strcmp(url, "/health") == 0)
        return reply_text(c, r, "\n");
    if (strcmp(url, "/") == 0)
        return reply_text(c, r, "Healthy\n");
    if (strcmp(url, "/version") == 0)
        return reply_text(c, r, PACKAGE_VERSION "\n");
    return reply(c, r, 200, "application/json", s->swagger, strlen(s->swagger));
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    ll_server *s = cls;
    req *r = *con_cls;
    if (!r)
        return;
    if (!s->o.quiet) {
        time_t t = time(NULL);
        struct tm tm;
        char ts[32];
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s %s %s %d %lld %.2fms\n", ts, r->method, r->path,
                r->status ? r->status : 499, r->rows, now_ms() - r->t0);
    }
    ll_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
    pthread_mutex_lock(&s->lock);
    s->active--;
    pthread_mutex_unlock(&s->lock);
}

/* An OpenAPI 3 document of the model's input and output. */
static char *swagger_doc(ll_model *m)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_buf_puts(&b, "{\"openapi\":\"3.0.1\",\"info\":{\"title\":\"lualab "
                    "scoring service\",\"version\":\"" PACKAGE_VERSION "\"},"
                    "\"paths\":{");
    const char *paths[] = {"/invocations", "/score"};
    for (int p = 0; p < 2; p++) {
        if (p)
            ll_buf_putc(&b, ',');
        ll_buf_printf(&b,
                      "\"%s\":{\"post\":{\"requestBody\":{\"content\":{"
                      "\"application/json\":{\"schema\":{\"$ref\":"
                      "\"#/components/schemas/Input\"}}}},\"responses\":{"
                      "\"200\":{\"description\":\"predictions\",\"content\":"
                      "{\"application/json\":{\"schema\":{\"$ref\":"
                      "\"#/components/schemas/Output\"}}}},\"400\":{"
                      "\"description\":\"bad request\"}}}}",
                      paths[p]);
    }
    ll_buf_puts(&b, ",\"/\":{\"get\":{\"responses\":{\"200\":{"
                    "\"description\":\"Healthy\"}}}}},\"components\":{"
                    "\"schemas\":{\"Input\":{\"type\":\"object\","
                    "\"properties\":{\"dataframe_split\":{\"type\":"
                    "\"object\",\"properties\":{\"columns\":{\"type\":"
                    "\"array\",\"items\":{\"type\":\"string\"}},\"data\":{"
                    "\"type\":\"array\",\"items\":{\"type\":\"array\"}}}},"
                    "\"dataframe_records\":{\"type\":\"array\",\"items\":{"
                    "\"$ref\":\"#/components/schemas/Row\"}},\"instances\":{"
                    "\"type\":\"array\"},\"inputs\":{},\"Inputs\":{\"type\":"
                    "\"object\",\"properties\":{\"data\":{\"type\":\"array\","
                    "\"items\":{\"$ref\":\"#/components/schemas/Row\"}}}}}},"
                    "\"Row\":{\"type\":\"object\",\"properties\":{");
    int nin = ll_model_n_inputs(m);
    for (int i = 0; i < nin; i++) {
        ll_buf_printf(&b, "%s\"", i ? "," : "");
        const char *nm = ll_model_input_name(m, i);
        for (const char *q = nm; *q; q++)
            if (*q != '"' && *q != '\\')
                ll_buf_putc(&b, *q);
        ll_buf_puts(&b, "\":{\"type\":\"number\"}");
    }
    ll_buf_puts(&b, "}");
    if (nin > 0) {
        ll_buf_puts(&b, ",\"required\":[");
        for (int i = 0; i < nin; i++) {
            ll_buf_printf(&b, "%s\"", i ? "," : "");
            for (const char *q = ll_model_input_name(m, i); *q; q++)
                if (*q != '"' && *q != '\\')
                    ll_buf_putc(&b, *q);
            ll_buf_putc(&b, '"');
        }
        ll_buf_putc(&b, ']');
    }
    ll_buf_puts(&b, "},\"Output\":{\"type\":\"object\",\"properties\":{"
                    "\"predictions\":{\"type\":\"array\",\"items\":{");
    int nout = ll_model_n_outputs(m);
    if (nout > 1) {
        ll_buf_puts(&b, "\"type\":\"object\",\"properties\":{");
        for (int i = 0; i < nout; i++) {
            ll_buf_printf(&b, "%s\"", i ? "," : "");
            for (const char *q = ll_model_output_name(m, i); *q; q++)
                if (*q != '"' && *q != '\\')
                    ll_buf_putc(&b, *q);
            ll_buf_puts(&b, "\":{\"type\":\"number\"}");
        }
        ll_buf_putc(&b, '}');
    } else {
        ll_buf_puts(&b, "\"type\":\"number\"");
    }
    ll_buf_printf(&b, "}}}}}},\"x-lualab\":{\"flavor\":\"%s\"}}",
                  ll_model_flavor(m));
    return ll_buf_take(&b);
}

int ll_server_start(ll_model *m, const ll_server_opts *o, ll_server **out,
                    ll_err *err)
{
    *out = NULL;
    ll_server *s = calloc(1, sizeof *s);
    if (!s)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    s->m = m;
    s->o = *o;
    if (!s->o.host)
        s->o.host = "127.0.0.1";
    if (s->o.max_body == 0)
        s->o.max_body = (size_t)50 << 20;
    if (s->o.timeout == 0)
        s->o.timeout = 60;
    if (s->o.workers <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->o.workers = n > 0 ? (int)n : 1;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->api_key = o->api_key ? ll_strdup(o->api_key) : NULL;
    s->swagger = swagger_doc(m);
    if (!s->swagger || (o->api_key && !s->api_key)) {
        ll_server_stop(s, 0);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    s->o.api_key = s->api_key;

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t slen;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    if (strchr(s->o.host, ':')) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)s->o.port);
        if (inet_pton(AF_INET6, s->o.host, &a6->sin6_addr) != 1) {
            ll_server_stop(s, 0);
            return ll_err_set(err, LL_EINVAL,
                              "--host '%s' is not an IPv6 address", o->host);
        }
        slen = sizeof *a6;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)s->o.port);
        const char *h =
            strcmp(s->o.host, "localhost") == 0 ? "127.0.0.1" : s->o.host;
        if (inet_pton(AF_INET, h, &a4->sin_addr) != 1) {
            ll_server_stop(s, 0);
            return ll_err_set(err, LL_EINVAL,
                              "--host '%s' is not an IPv4 address (e.g. "
                              "127.0.0.1 or 0.0.0.0)",
                              o->host);
        }
        slen = sizeof *a4;
    }
    (void)slen;
    if (s->o.workers > 1)
        flags |= MHD_USE_EPOLL_LINUX_ONLY;
    s->d = MHD_start_daemon(
        flags, (uint16_t)s->o.port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)s->o.workers, MHD_OPTION_CONNECTION_TIMEOUT, s->o.timeout,
        MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1024, MHD_OPTION_END);
    if (!s->d) {
        ll_server_stop(s, 0);
        return ll_err_set(err, LL_EIO,
                          "cannot listen on %s:%d (in use, or not an address "
                          "of this machine)",
                          o->host ? o->host : "127.0.0.1", o->port);
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->o.port;
    *out = s;
    return LL_OK;
}

int ll_server_port(const ll_server *s)
{
    return s->port;
}

void ll_server_stop(ll_server *s, double grace)
{
    if (!s)
        return;
    if (s->d) {
        MHD_socket fd = MHD_quiesce_daemon(s->d);
        double until = now_ms() + grace * 1e3;
        for (;;) {
            pthread_mutex_lock(&s->lock);
            int active = s->active;
            pthread_mutex_unlock(&s->lock);
            if (active <= 0 || now_ms() >= until)
                break;
            usleep(10000);
        }
        MHD_stop_daemon(s->d);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
    pthread_mutex_destroy(&s->lock);
    free(s->api_key);
    free(s->swagger);
    free(s);
}
