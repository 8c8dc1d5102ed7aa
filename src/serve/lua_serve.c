/*
 * lua_serve: the `serve` module.  serve.start{model=, port=, ...} starts
 * `lualab serve` as a child process and returns a Service; the Service
 * talks to it over HTTP with libcurl (predict, score, wait_healthy) and
 * stops it.  Services a kernel started are stopped when the kernel ends
 * (the registry table holds them; lua_close collects them).
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame/lua_frame.h"
#include "host/lua_util.h"
#include "serve/request.h"
#include "util/buf.h"

#define SERVICE_MT "lualab.Service"
#define REGISTRY_KEY "lualab.serve.services"

typedef struct service {
    pid_t pid; /* 0 once stopped */
    int port;
    char url[96];
    char model[256];
    char log[256];
    int own_log; /* the log is a temporary file we remove */
    CURL *curl;
    char *api_key;
} service;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static service *check_service(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SERVICE_MT);
}

static void stop_child(service *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    double until = now_s() + 15.0;
    int status;
    while (waitpid(s->pid, &status, WNOHANG) == 0) {
        if (now_s() > until) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    s->pid = 0;
}

static int l_service_gc(lua_State *L)
{
    service *s = check_service(L, 1);
    stop_child(s);
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
    }
    free(s->api_key);
    s->api_key = NULL;
    if (s->own_log && s->log[0]) {
        unlink(s->log);
        s->own_log = 0;
    }
    return 0;
}

/* The last lines of the child's log, for a failed start. */
static void log_tail(const char *path, ll_buf *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        ll_buf_reset(out);
        ll_buf_puts(out, strncmp(line, "lualab serve: ", 14) == 0 ? line + 14
                                                                  : line);
    }
    fclose(f);
}

/* serve.start{model=, port=5000, host=, workers=, api_key=, max_body=,
 * timeout=, tracking_uri=, log=} -> Service */
static int l_start(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *model = ll_opt_str(L, 1, "model", NULL);
    if (!model)
        return luaL_error(L, "serve.start: 'model' is required (a model URI "
                             "or directory)");
    lua_Integer port = ll_opt_int(L, 1, "port", 5000);
    if (port < 0 || port > 65535)
        return luaL_error(L, "serve.start: port must be 0..65535");
    const char *host = ll_opt_str(L, 1, "host", "127.0.0.1");
    lua_Integer workers = ll_opt_int(L, 1, "workers", 0);
    const char *key = ll_opt_str(L, 1, "api_key", NULL);
    lua_Integer max_body = ll_opt_int(L, 1, "max_body", 0);
    lua_Integer timeout = ll_opt_int(L, 1, "timeout", 0);
    const char *tracking = ll_opt_str(L, 1, "tracking_uri", NULL);
    const char *log = ll_opt_str(L, 1, "log", NULL);

    service *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    luaL_setmetatable(L, SERVICE_MT);
    snprintf(s->model, sizeof s->model, "%s", model);
    if (log) {
        snprintf(s->log, sizeof s->log, "%s", log);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->log, sizeof s->log, "%s/lualab-serve-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(s->log);
        if (fd < 0)
            return luaL_error(L, "serve.start: cannot make a log file: %s",
                              strerror(errno));
        close(fd);
        s->own_log = 1;
    }

    char portbuf[32], wbuf[32], mbuf[32], tbuf[32];
    const char *argv[32];
    int n = 0;
    argv[n++] = "lualab";
    argv[n++] = "serve";
    argv[n++] = "-m";
    argv[n++] = model;
    snprintf(portbuf, sizeof portbuf, "%lld", (long long)port);
    argv[n++] = "--port";
    argv[n++] = portbuf;
    argv[n++] = "--host";
    argv[n++] = host;
    if (workers > 0) {
        snprintf(wbuf, sizeof wbuf, "%lld", (long long)workers);
        argv[n++] = "--workers";
        argv[n++] = wbuf;
    }
    if (key) {
        argv[n++] = "--api-key";
        argv[n++] = key;
    }
    if (max_body > 0) {
        snprintf(mbuf, sizeof mbuf, "%lld", (long long)max_body);
        argv[n++] = "--max-body";
        argv[n++] = mbuf;
    }
    if (timeout > 0) {
        snprintf(tbuf, sizeof tbuf, "%lld", (long long)timeout);
        argv[n++] = "--timeout";
        argv[n++] = tbuf;
    }
    if (tracking) {
        argv[n++] = "--tracking-uri";
        argv[n++] = tracking;
    }
    if (!log)
        argv[n++] = "--quiet";
    argv[n] = NULL;

    int pfd[2];
    if (pipe(pfd) != 0)
        return luaL_error(L, "serve.start: pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return luaL_error(L, "serve.start: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* The child: stdout is the pipe (the "listening" line), stderr the
         * log; its own process group, so a Ctrl-C meant for the kernel
         * does not reach it. */
        setpgid(0, 0);
        int lfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (lfd >= 0)
            dup2(lfd, 2);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(pfd[1], 1);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv("/proc/self/exe", (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    close(pfd[1]);
    s->pid = pid;
    /* Wait for "listening on URL" (or the child's end). */
    char line[256];
    size_t got = 0;
    double until = now_s() + 30.0;
    int ok = 0;
    for (;;) {
        double left = until - now_s();
        if (left <= 0)
            break;
        struct pollfd p = {pfd[0], POLLIN, 0};
        int pr = poll(&p, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        ssize_t r = read(pfd[0], line + got, sizeof line - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        line[got] = '\0';
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
            char *u = strstr(line, "http://");
            if (u) {
                snprintf(s->url, sizeof s->url, "%s", u);
                char *colon = strrchr(u, ':');
                s->port = colon ? atoi(colon + 1) : (int)port;
                ok = 1;
            }
            break;
        }
        if (got >= sizeof line - 1)
            break;
    }
    close(pfd[0]);
    if (!ok) {
        stop_child(s);
        ll_buf msg;
        ll_buf_init(&msg);
        log_tail(s->log, &msg);
        lua_pushfstring(L, "serve.start: the server did not start: %s",
                        msg.len ? ll_buf_str(&msg) : "no answer in 30 s");
        ll_buf_free(&msg);
        return lua_error(L);
    }
    s->curl = curl_easy_init();
    if (key)
        s->api_key = strdup(key);
    /* Keep it in the kernel's list until it is stopped. */
    ll_lua_regset(L, REGISTRY_KEY, -1, 1);
    return 1;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
    ll_buf *b = ud;
    return ll_buf_append(b, data, size * nmemb) == LL_OK ? size * nmemb : 0;
}

/* One HTTP request to the service; the body in out, the status code
 * returned (or -1 with msg set when the request failed). */
static long http(service *s, const char *method, const char *path,
                 const char *ctype, const char *body, size_t len,
                 double timeout, ll_buf *out, char *msg, size_t msgcap)
{
    CURL *c = s->curl;
    if (!c) {
        snprintf(msg, msgcap, "the service is stopped");
        return -1;
    }
    char url[256];
    snprintf(url, sizeof url, "%s%s", s->url, path);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    struct curl_slist *h = NULL;
    char ct[128], auth[300];
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        h = curl_slist_append(h, ct);
        h = curl_slist_append(h, "Expect:");
    }
    if (s->api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->api_key);
        h = curl_slist_append(h, auth);
    }
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        snprintf(msg, msgcap, "%s %s: %s", method, url, curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* svc:wait_healthy([timeout = 30]) -> true, or raises after timeout */
static int l_wait_healthy(lua_State *L)
{
    service *s = check_service(L, 1);
    double timeout = luaL_optnumber(L, 2, 30.0);
    double until = now_s() + timeout;
    char msg[300] = "";
    for (;;) {
        ll_buf b;
        ll_buf_init(&b);
        long st = http(s, "GET", "/", NULL, NULL, 0, 2.0, &b, msg, sizeof msg);
        int healthy = st == 200 && strncmp(ll_buf_str(&b), "Healthy", 7) == 0;
        ll_buf_free(&b);
        if (healthy) {
            lua_pushboolean(L, 1);
            return 1;
        }
        if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return luaL_error(L, "wait_healthy: the server exited");
        }
        if (now_s() >= until)
            return luaL_error(L,
                              "wait_healthy: %s not healthy after %.0f s%s%s",
                              s->url, timeout, msg[0] ? ": " : "", msg);
        usleep(50000);
    }
}

/* A Frame from argument idx: a Frame, or a list of row tables, or one row
 * table; converted through the server's own JSON reader. */
static ll_frame *frame_arg(lua_State *L, int idx, int *owned)
{
    if (ll_lua_test_frame(L, idx)) {
        *owned = 0;
        return ll_lua_check_frame(L, idx);
    }
    luaL_argexpected(L, lua_type(L, idx) == LUA_TTABLE, idx,
                     "Frame or table of rows");
    /* Rows as JSON records, parsed as a request would be. */
    ll_buf b;
    ll_buf_init(&b);
    ll_buf_puts(&b, "{\"dataframe_records\":[");
    int one = lua_rawlen(L, idx) == 0;
    lua_Integer nrows = one ? 1 : (lua_Integer)lua_rawlen(L, idx);
    for (lua_Integer r = 1; r <= nrows; r++) {
        if (one)
            lua_pushvalue(L, idx);
        else
            lua_rawgeti(L, idx, r);
        if (!lua_istable(L, -1)) {
            ll_buf_free(&b);
            luaL_error(L,
                       "predict: row %d is a %s, not a table of column "
                       "values",
                       (int)r, luaL_typename(L, -1));
        }
        ll_buf_puts(&b, r > 1 ? ",{" : "{");
        /* Lua tables have no key order: columns go by name, sorted. */
        lua_newtable(L);
        int nkeys = 0;
        lua_pushnil(L);
        while (lua_next(L, -3)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING) {
                lua_pushvalue(L, -1);
                lua_rawseti(L, -3, ++nkeys);
            }
        }
        lua_getglobal(L, "table");
        lua_getfield(L, -1, "sort");
        lua_remove(L, -2);
        lua_pushvalue(L, -2);
        lua_call(L, 1, 0);
        for (int k = 1; k <= nkeys; k++) {
            lua_rawgeti(L, -1, k);
            if (k > 1)
                ll_buf_putc(&b, ',');
            ll_buf_printf(&b, "\"%s\":", lua_tostring(L, -1));
            lua_gettable(L, -3);
            if (lua_type(L, -1) == LUA_TNUMBER) {
                ll_buf_printf(&b, "%.17g", (double)lua_tonumber(L, -1));
            } else if (lua_type(L, -1) == LUA_TBOOLEAN) {
                ll_buf_puts(&b, lua_toboolean(L, -1) ? "true" : "false");
            } else if (lua_type(L, -1) == LUA_TSTRING) {
                ll_buf_putc(&b, '"');
                for (const char *p = lua_tostring(L, -1); *p; p++) {
                    if (*p == '"' || *p == '\\')
                        ll_buf_putc(&b, '\\');
                    if ((unsigned char)*p >= 0x20)
                        ll_buf_putc(&b, *p);
                }
                ll_buf_putc(&b, '"');
            } else {
                ll_buf_puts(&b, "null");
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1); /* the sorted keys */
        ll_buf_putc(&b, '}');
        lua_pop(L, 1);
    }
    ll_buf_puts(&b, "]}");
    ll_req_input in;
    ll_err err = {0};
    int rc = ll_req_parse("application/json", ll_buf_str(&b), b.len,
                          LL_REQ_MLFLOW, &in, NULL, &err);
    ll_buf_free(&b);
    if (rc != LL_OK)
        luaL_error(L, "predict: %s", err.msg);
    ll_frame *f = in.frame;
    in.frame = NULL;
    for (int c = 0; f && c < f->ncol; c++)
        free(in.bad_value[c]);
    ll_req_input_clear(&in);
    *owned = 1;
    return f;
}

/* svc:predict(frame | rows [, {path = "/invocations"}]) -> Frame */
static int l_predict(lua_State *L)
{
    service *s = check_service(L, 1);
    /* The result's userdata first, so no error can leak C memory later. */
    ll_frame **out = ll_lua_new_frame(L);
    int owned = 0;
    ll_frame *f = frame_arg(L, 2, &owned);
    ll_buf body;
    ll_buf_init(&body);
    int rc = ll_req_frame_to_split(f, &body);
    if (owned)
        ll_frame_free(f);
    if (rc != LL_OK) {
        ll_buf_free(&body);
        return luaL_error(L, "predict: out of memory");
    }
    ll_buf resp;
    ll_buf_init(&resp);
    char msg[300];
    long st = http(s, "POST", "/invocations", "application/json",
                   ll_buf_str(&body), body.len, 300.0, &resp, msg, sizeof msg);
    ll_buf_free(&body);
    if (st < 0) {
        ll_buf_free(&resp);
        return luaL_error(L, "predict: %s", msg);
    }
    ll_err err = {0};
    rc = ll_req_parse_response(resp.data ? resp.data : "", resp.len, out, &err);
    ll_buf_free(&resp);
    if (rc != LL_OK)
        return luaL_error(L, "predict: HTTP %d: %s", (int)st, err.msg);
    if (st != 200)
        return luaL_error(L, "predict: HTTP %d", (int)st);
    return 1;
}

/* svc:score(json_text [, path = "/score"]) -> response text, status */
static int l_score(lua_State *L)
{
    service *s = check_service(L, 1);
    size_t len;
    const char *body = luaL_checklstring(L, 2, &len);
    const char *path = luaL_optstring(L, 3, "/score");
    ll_buf resp;
    ll_buf_init(&resp);
    char msg[300];
    const char *ctype = len > 0 && (body[0] == '{' || body[0] == '[' ||
                                    body[0] == ' ' || body[0] == '\n')
                            ? "application/json"
                            : "text/csv";
    long st =
        http(s, "POST", path, ctype, body, len, 300.0, &resp, msg, sizeof msg);
    if (st < 0) {
        ll_buf_free(&resp);
        return luaL_error(L, "score: %s", msg);
    }
    lua_pushlstring(L, resp.data ? resp.data : "", resp.len);
    lua_pushinteger(L, st);
    ll_buf_free(&resp);
    return 2;
}

/* svc:get(path) -> text, status */
static int l_get(lua_State *L)
{
    service *s = check_service(L, 1);
    const char *path = luaL_checkstring(L, 2);
    ll_buf resp;
    ll_buf_init(&resp);
    char msg[300];
    long st = http(s, "GET", path, NULL, NULL, 0, 30.0, &resp, msg, sizeof msg);
    if (st < 0) {
        ll_buf_free(&resp);
        return luaL_error(L, "get: %s", msg);
    }
    lua_pushlstring(L, resp.data ? resp.data : "", resp.len);
    lua_pushinteger(L, st);
    ll_buf_free(&resp);
    return 2;
}

static int l_stop(lua_State *L)
{
    service *s = check_service(L, 1);
    stop_child(s);
    ll_lua_regset(L, REGISTRY_KEY, 1, 0);
    return 0;
}

static int l_index(lua_State *L)
{
    service *s = check_service(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "url") == 0)
        lua_pushstring(L, s->url);
    else if (strcmp(k, "port") == 0)
        lua_pushinteger(L, s->port);
    else if (strcmp(k, "pid") == 0)
        lua_pushinteger(L, s->pid);
    else if (strcmp(k, "model") == 0)
        lua_pushstring(L, s->model);
    else if (strcmp(k, "running") == 0)
        lua_pushboolean(L, s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == 0);
    else if (strcmp(k, "log") == 0)
        lua_pushstring(L, s->log);
    else {
        luaL_getmetafield(L, 1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int l_tostring(lua_State *L)
{
    service *s = check_service(L, 1);
    lua_pushfstring(L, "Service(%s, model %s, %s)", s->url, s->model,
                    s->pid > 0 ? "running" : "stopped");
    return 1;
}

/* serve.list() -> a list of the running services */
static int l_list(lua_State *L)
{
    return ll_lua_regset_list(L, REGISTRY_KEY);
}

static const ll_lua_fn service_methods[] = {
    {"wait_healthy", l_wait_healthy,
     "svc:wait_healthy([timeout = 30]) -> true -- Wait until GET / answers "
     "Healthy; raises after timeout seconds or when the server exits."},
    {"predict", l_predict,
     "svc:predict(frame | rows) -> Frame -- Score a Frame (or a list of row "
     "tables) at POST /invocations; the predictions as a Frame."},
    {"score", l_score,
     "svc:score(json_text [, path = \"/score\"]) -> text, status -- POST a "
     "raw body (JSON, or CSV when it does not start with '{' or '[')."},
    {"get", l_get,
     "svc:get(path) -> text, status -- GET a path (\"/\", "
     "\"/version\", \"/swagger.json\")."},
    {"stop", l_stop,
     "svc:stop() -- Stop the server (it finishes the requests in flight)."},
    {NULL, NULL, NULL}};

static const ll_lua_fn service_meta[] = {{"__gc", l_service_gc, NULL},
                                         {"__close", l_service_gc, NULL},
                                         {"__tostring", l_tostring, NULL},
                                         {NULL, NULL, NULL}};

static const ll_lua_fn module_fns[] = {
    {"start", l_start,
     "serve.start{model = URI, port = 5000, host = \"127.0.0.1\", workers, "
     "api_key, max_body, timeout, tracking_uri, log} -> Service -- Start "
     "`lualab serve` for a model (models:/NAME@ALIAS, runs:/ID/model or a "
     "directory) as a child process; port = 0 picks a free one."},
    {"list", l_list,
     "serve.list() -> {Service...} -- The services this "
     "kernel started and has not stopped."},
    {NULL, NULL, NULL}};

int luaopen_lualab_serve(lua_State *L);
int luaopen_lualab_serve(lua_State *L)
{
    static int curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    ll_lua_newclass(L, SERVICE_MT, service_methods, service_meta);
    lua_pushcfunction(L, l_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_newtable(L); /* the kernel's services, weak neither way */
    lua_setfield(L, LUA_REGISTRYINDEX, REGISTRY_KEY);
    lua_newtable(L);
    ll_lua_setfuncs(L, "serve", module_fns);
    return 1;
}
