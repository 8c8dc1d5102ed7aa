/*
 * server: the REST scoring server behind `lualab serve` (DESIGN 5.10), on
 * libmicrohttpd.  One loaded model is shared read-only by every worker
 * thread; each request scores in C through ll_model_predict, no Lua.
 *
 * Endpoints: MLflow's POST /invocations, GET /ping, /health, /version;
 * Azure ML's POST /score, GET / ("Healthy"), GET /swagger.json.  Errors
 * are JSON {"error_code": ..., "message": ...} with the HTTP status.
 */
#ifndef LL_SERVE_SERVER_H
#define LL_SERVE_SERVER_H

#include <signal.h>
#include <stddef.h>

#include "model/model.h"
#include "util/err.h"

typedef struct ll_server_opts {
    const char *host;      /* "127.0.0.1" */
    int port;              /* 5000; 0 = any free port */
    int workers;           /* threads; 0 = the number of cores */
    const char *api_key;   /* NULL = no authentication */
    size_t max_body;       /* bytes; 0 = 50 MB */
    unsigned timeout;      /* idle connection timeout in s; 0 = 60 */
    int quiet;             /* no access log */
    const char *model_uri; /* for /version and the start-up line */
} ll_server_opts;

typedef struct ll_server ll_server;

/* Start serving m (borrowed: keep it alive until ll_server_stop).  The
 * bound port is ll_server_port(). */
int ll_server_start(ll_model *m, const ll_server_opts *o, ll_server **out,
                    ll_err *err);
int ll_server_port(const ll_server *s);
/* Stop accepting, let the requests in flight finish (up to grace
 * seconds), stop the threads and free s.  Accepts NULL. */
void ll_server_stop(ll_server *s, double grace);

/* `lualab serve ...`: the command; returns the exit code. */
int ll_cmd_serve(int argc, char **argv);

#endif
