/*
 * cmd_serve: `lualab serve -m MODEL_URI [options]`, the command line of
 * the scoring server, with `mlflow models serve`'s option names.  It
 * resolves the URI through the tracking store, loads the model, serves
 * until SIGTERM or SIGINT, then finishes the requests in flight and
 * exits 0.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "serve/server.h"
#include "track/track.h"

static const char serve_usage[] =
    "usage: lualab serve -m MODEL_URI [-p PORT] [-h HOST] [--workers N]\n"
    "                    [--api-key KEY] [--max-body BYTES] [--timeout S]\n"
    "                    [--tracking-uri URI] [--quiet]\n"
    "MODEL_URI: models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE,\n"
    "runs:/RUN_ID/PATH, file://DIR or a model directory.  Defaults: port "
    "5000,\n"
    "host 127.0.0.1, one worker per core, no API key (LUALAB_API_KEY), 50 MB\n"
    "bodies, 60 s idle timeout.  Endpoints: POST /invocations, POST /score,\n"
    "GET /ping /health /version / /swagger.json.\n";

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lualab serve: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nsee lualab serve --help\n", stderr);
    va_end(ap);
    return 2;
}

/* A whole number in [lo, hi] from s, or -1. */
static long long number(const char *s, long long lo, long long hi)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    return v;
}

int ll_cmd_serve(int argc, char **argv)
{
    ll_server_opts o;
    memset(&o, 0, sizeof o);
    o.port = 5000;
    const char *uri = NULL, *tracking = NULL;
    o.api_key = getenv("LUALAB_API_KEY");
    if (o.api_key && !*o.api_key)
        o.api_key = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--help") == 0) {
            fputs(serve_usage, stdout);
            return 0;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.quiet = 1;
            takes = 0;
        } else if (strcmp(a, "-m") == 0 || strcmp(a, "--model-uri") == 0) {
            uri = v;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "--port") == 0) {
            long long p = number(v, 0, 65535);
            if (p < 0)
                return usage_error("--port takes a number from 0 to 65535, "
                                   "got '%s'",
                                   v ? v : "");
            o.port = (int)p;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--host") == 0) {
            o.host = v;
        } else if (strcmp(a, "-w") == 0 || strcmp(a, "--workers") == 0) {
            long long w = number(v, 1, 256);
            if (w < 0)
                return usage_error("--workers takes a number from 1 to 256, "
                                   "got '%s'",
                                   v ? v : "");
            o.workers = (int)w;
        } else if (strcmp(a, "--api-key") == 0) {
            o.api_key = v;
        } else if (strcmp(a, "--max-body") == 0) {
            long long b = number(v, 1, LLONG_MAX);
            if (b < 0)
                return usage_error("--max-body takes a number of bytes, got "
                                   "'%s'",
                                   v ? v : "");
            o.max_body = (size_t)b;
        } else if (strcmp(a, "--timeout") == 0) {
            long long t = number(v, 1, 86400);
            if (t < 0)
                return usage_error("--timeout takes seconds from 1 to 86400, "
                                   "got '%s'",
                                   v ? v : "");
            o.timeout = (unsigned)t;
        } else if (strcmp(a, "--tracking-uri") == 0) {
            tracking = v;
        } else {
            return usage_error("unknown option '%s'", a);
        }
        if (takes) {
            if (!v)
                return usage_error("%s needs a value", a);
            i++;
        }
    }
    if (!uri)
        return usage_error("%s", "a model is required: -m MODEL_URI");
    if (o.api_key && !*o.api_key)
        return usage_error("%s", "--api-key must not be empty");

    ll_err err;
    ll_err_clear(&err);
    char *dir = NULL;
    if (ll_track_model_uri_dir(uri, tracking, &dir, &err) != LL_OK) {
        fprintf(stderr, "lualab serve: %s\n", err.msg);
        return 1;
    }
    ll_model *m = NULL;
    if (ll_model_load(dir, &m, &err) != LL_OK) {
        fprintf(stderr, "lualab serve: %s\n", err.msg);
        free(dir);
        return 1;
    }
    o.model_uri = uri;

    /* Signals are taken by sigwait below; the server's threads inherit
     * the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    ll_server *s = NULL;
    if (ll_server_start(m, &o, &s, &err) != LL_OK) {
        fprintf(stderr, "lualab serve: %s\n", err.msg);
        ll_model_free(m);
        free(dir);
        return 1;
    }
    const char *host = o.host ? o.host : "127.0.0.1";
    int v6 = strchr(host, ':') != NULL;
    printf("lualab serve: listening on http://%s%s%s:%d\n", v6 ? "[" : "", host,
           v6 ? "]" : "", ll_server_port(s));
    fflush(stdout);
    fprintf(stderr,
            "lualab serve: model %s (%s flavor, from %s), %s; stop with "
            "Ctrl-C or SIGTERM\n",
            uri, ll_model_flavor(m), dir,
            o.api_key ? "API key required" : "no API key");
    int sig = 0;
    sigwait(&set, &sig);
    if (!o.quiet)
        fprintf(stderr, "lualab serve: %s, finishing requests in flight\n",
                sig == SIGINT ? "interrupted" : "terminated");
    ll_server_stop(s, 10.0);
    ll_model_free(m);
    free(dir);
    return 0;
}
