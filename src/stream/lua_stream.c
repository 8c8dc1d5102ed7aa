/*
 * lua_stream: the `stream` module.
 *
 * stream.read{...} gives a DataStream (a source's options and a list of
 * operators); its methods give new DataStreams; ds:write{...} starts a
 * Query.  Queries run cooperatively: while any query's await runs, every
 * active query of the kernel makes progress (stream.active() lists them).
 * foreachBatch functions and the console sink call back into the Lua
 * thread that runs await.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame/lua_frame.h"
#include "host/lua_util.h"
#include "stream/stream.h"
#include "util/signals.h"

#define DS_MT "lualab.DataStream"
#define QUERY_MT "lualab.StreamingQuery"
#define ACTIVE_KEY "lualab.stream.active"

/* The Lua thread running await (callbacks run on it). */
static lua_State *running_L;

/* ---- DataStream ---- */

typedef struct ds {
    ll_op **ops;
    int nops;
} ds;

static ds *check_ds(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, DS_MT);
}

static int ds_gc(lua_State *L)
{
    ds *d = check_ds(L, 1);
    for (int i = 0; i < d->nops; i++)
        ll_op_free(d->ops[i]);
    free(d->ops);
    d->ops = NULL;
    d->nops = 0;
    return 0;
}

/* Push a new DataStream: the source options of `from` (a DataStream or
 * the options table at idx) and its operators plus op (may be NULL). */
static int push_ds(lua_State *L, int from, ll_op *op)
{
    ds *d = lua_newuserdatauv(L, sizeof *d, 1);
    memset(d, 0, sizeof *d);
    luaL_setmetatable(L, DS_MT);
    ds *src = luaL_testudata(L, from, DS_MT);
    if (src)
        lua_getiuservalue(L, from, 1);
    else
        lua_pushvalue(L, from);
    lua_setiuservalue(L, -2, 1);
    int n = (src ? src->nops : 0) + (op ? 1 : 0);
    d->ops = calloc((size_t)(n ? n : 1), sizeof *d->ops);
    if (!d->ops) {
        ll_op_free(op);
        return luaL_error(L, "out of memory");
    }
    ll_err err;
    for (int i = 0; src && i < src->nops; i++) {
        if (!(d->ops[d->nops] = ll_op_clone(src->ops[i], &err))) {
            ll_op_free(op);
            return ll_lua_raise(L, &err);
        }
        d->nops++;
    }
    if (op)
        d->ops[d->nops++] = op;
    return 1;
}

/* A list of strings at idx (a table of strings) into names; caller frees
 * the array (the strings stay in the table). */
static const char **string_list(lua_State *L, int idx, const char *what, int *n)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    int len = (int)lua_rawlen(L, idx);
    if (len == 0)
        luaL_error(L, "%s: a list of column names expected", what);
    const char **names = lua_newuserdatauv(L, sizeof *names * (size_t)len, 0);
    for (int i = 0; i < len; i++) {
        lua_rawgeti(L, idx, i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: item %d is not a column name", what, i + 1);
        names[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the array is anchored nowhere else: copy out */
    const char **out = malloc(sizeof *out * (size_t)len);
    if (!out)
        luaL_error(L, "out of memory");
    memcpy(out, names, sizeof *out * (size_t)len);
    *n = len;
    return out;
}

static int push_op(lua_State *L, int kind, const char **names, int n,
                   const char *expr, const char *name)
{
    ll_err err;
    ll_op *op = ll_op_new(kind, names, n, expr, name, &err);
    free(names);
    if (!op)
        return ll_lua_raise(L, &err);
    return push_ds(L, 1, op);
}

static int ds_select(lua_State *L)
{
    check_ds(L, 1);
    int n;
    const char **names = string_list(L, 2, "select", &n);
    return push_op(L, LL_OP_SELECT, names, n, NULL, NULL);
}

static int ds_filter(lua_State *L)
{
    check_ds(L, 1);
    const char *expr = luaL_checkstring(L, 2);
    return push_op(L, LL_OP_FILTER, NULL, 0, expr, NULL);
}

static int ds_with_column(lua_State *L)
{
    check_ds(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const char *expr = luaL_checkstring(L, 3);
    return push_op(L, LL_OP_WITH_COLUMN, NULL, 0, expr, name);
}

static int ds_drop_duplicates(lua_State *L)
{
    check_ds(L, 1);
    int n = 0;
    const char **names = NULL;
    if (!lua_isnoneornil(L, 2))
        names = string_list(L, 2, "drop_duplicates", &n);
    return push_op(L, LL_OP_DROP_DUPLICATES, names, n, NULL, NULL);
}

/* ds:with_forecast{model, by, time, target, horizon, name, tracking_uri,
 * history, refit_every} */
static int ds_with_forecast(lua_State *L)
{
    check_ds(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    ll_forecast_opts o;
    memset(&o, 0, sizeof o);
    o.model = ll_opt_str(L, 2, "model", NULL);
    o.by = ll_opt_str(L, 2, "by", NULL);
    o.time = ll_opt_str(L, 2, "time", NULL);
    o.target = ll_opt_str(L, 2, "target", NULL);
    o.name = ll_opt_str(L, 2, "name", "forecast");
    o.tracking_uri = ll_opt_str(L, 2, "tracking_uri", NULL);
    o.horizon = (int)ll_opt_int(L, 2, "horizon", 0);
    o.history = (int)ll_opt_int(L, 2, "history", 0);
    o.refit_every = (int)ll_opt_int(L, 2, "refit_every", 0);
    ll_err err;
    ll_op *op = ll_op_forecast(&o, &err);
    if (!op)
        return ll_lua_raise(L, &err);
    return push_ds(L, 1, op);
}

static int ds_tostring(lua_State *L)
{
    ds *d = check_ds(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, "source");
    lua_pushfstring(L, "DataStream(source %s, %d operators)",
                    lua_tostring(L, -1) ? lua_tostring(L, -1) : "?", d->nops);
    return 1;
}

/* ---- sources ---- */

static int parse_schema(lua_State *L, int idx, ll_schema *s, int *unordered)
{
    ll_schema_init(s);
    *unordered = 0;
    if (lua_type(L, idx) != LUA_TTABLE)
        return luaL_error(L, "option 'schema': a table expected, got %s",
                          luaL_typename(L, idx));
    ll_err err;
    size_t len = lua_rawlen(L, idx);
    if (len > 0) {
        /* {{"Date", "date"}, ...}: in that order */
        for (size_t i = 1; i <= len; i++) {
            lua_rawgeti(L, idx, (lua_Integer)i);
            lua_rawgeti(L, -1, 1);
            lua_rawgeti(L, -2, 2);
            const char *name = lua_tostring(L, -2);
            const char *type = lua_tostring(L, -1);
            int t = type ? ll_dtype_parse(type) : -1;
            if (!name || t < 0) {
                ll_schema_free(s);
                return luaL_error(L,
                                  "option 'schema': item %d: {name, type} "
                                  "expected",
                                  (int)i);
            }
            ll_schema_add(s, name, t, &err);
            lua_pop(L, 3);
        }
        return 0;
    }
    /* {Date = "date", ...}: ordered as the first file's header */
    *unordered = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *name =
            lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        const char *type = lua_tostring(L, -1);
        int t = type ? ll_dtype_parse(type) : -1;
        if (!name || t < 0) {
            const char *bad = type ? type : luaL_typename(L, -1);
            ll_schema_free(s);
            return luaL_error(L,
                              "option 'schema': column '%s': unknown type "
                              "'%s' (bool, int, float, string, category, "
                              "date, datetime)",
                              name ? name : "?", bad);
        }
        ll_schema_add(s, name, t, &err);
        lua_pop(L, 1);
    }
    return 0;
}

/* The options every reading source shares: mode (permissive,
 * dropmalformed, failfast) returned, and an optional schema into sch
 * (initialised here; *unordered as parse_schema says). */
static int mode_and_schema(lua_State *L, int idx, ll_schema *sch,
                           int *unordered)
{
    const char *mode = ll_opt_str(L, idx, "mode", "permissive");
    int m = ll_stream_mode_parse(mode);
    if (m < 0)
        luaL_error(L,
                   "stream.read: unknown mode '%s' (permissive, "
                   "dropmalformed, failfast)",
                   mode);
    ll_schema_init(sch);
    *unordered = 0;
    lua_getfield(L, idx, "schema");
    if (!lua_isnil(L, -1))
        parse_schema(L, lua_gettop(L), sch, unordered);
    lua_pop(L, 1);
    return m;
}

/* The message sources (mqtt, kafka): JSON payloads, then the mode
 * (returned) and schema as every source. */
static int message_opts(lua_State *L, int idx, const char *kind, ll_schema *sch)
{
    const char *format = ll_opt_str(L, idx, "format", "json");
    if (strcmp(format, "json") && strcmp(format, "jsonl"))
        luaL_error(L,
                   "stream.read: the %s source reads format \"json\" "
                   "(got '%s')",
                   kind, format);
    int unordered;
    return mode_and_schema(L, idx, sch, &unordered);
}

/* Build the source from the options table at idx. */
static ll_source *make_source(lua_State *L, int idx, ll_err *err)
{
    const char *kind = ll_opt_str(L, idx, "source", NULL);
    if (!kind)
        luaL_error(L, "stream.read: option 'source' is required (files, "
                      "mqtt, kafka, rate, replay)");
    if (!strcmp(kind, "files")) {
        ll_file_source_opts o;
        memset(&o, 0, sizeof o);
        o.path = ll_opt_str(L, idx, "path", NULL);
        if (!o.path)
            luaL_error(L, "stream.read: option 'path' is required");
        o.format = ll_opt_str(L, idx, "format", "csv");
        o.max_files_per_trigger =
            (int)ll_opt_int(L, idx, "max_files_per_trigger", 0);
        ll_schema s;
        o.mode = mode_and_schema(L, idx, &s, &o.schema_unordered);
        o.schema = &s;
        ll_source *src = ll_source_files(&o, err);
        ll_schema_free(&s);
        return src;
    }
    if (!strcmp(kind, "mqtt")) {
        ll_mqtt_source_opts o;
        memset(&o, 0, sizeof o);
        o.url = ll_opt_str(L, idx, "url", "mqtt://127.0.0.1:1883");
        o.topic = ll_opt_str(L, idx, "topic", NULL);
        if (!o.topic)
            luaL_error(L, "stream.read: option 'topic' is required");
        o.qos = (int)ll_opt_int(L, idx, "qos", 1);
        if (o.qos < 0 || o.qos > 2)
            luaL_error(L, "stream.read: qos must be 0, 1 or 2");
        o.client_id = ll_opt_str(L, idx, "client_id", NULL);
        ll_schema sch;
        o.mode = message_opts(L, idx, "mqtt", &sch);
        o.schema = &sch;
        ll_source *src = ll_source_mqtt(&o, err);
        ll_schema_free(&sch);
        return src;
    }
    if (!strcmp(kind, "kafka")) {
        ll_kafka_source_opts o;
        memset(&o, 0, sizeof o);
        o.brokers = ll_opt_str(L, idx, "brokers", NULL);
        o.topic = ll_opt_str(L, idx, "topic", NULL);
        if (!o.brokers || !o.topic)
            luaL_error(L, "stream.read: the kafka source needs brokers and "
                          "a topic");
        o.group = ll_opt_str(L, idx, "group", NULL);
        o.starting_offsets = ll_opt_str(L, idx, "starting_offsets", NULL);
        o.max_offsets_per_trigger =
            ll_opt_int(L, idx, "max_offsets_per_trigger", 0);
        ll_schema sch;
        o.mode = message_opts(L, idx, "kafka", &sch);
        o.schema = &sch;
        ll_source *src = ll_source_kafka(&o, err);
        ll_schema_free(&sch);
        return src;
    }
    if (!strcmp(kind, "replay")) {
        const char *path = ll_opt_str(L, idx, "path", NULL);
        const char *time = ll_opt_str(L, idx, "time", NULL);
        if (!path || !time)
            luaL_error(L, "stream.read: the replay source needs a path and "
                          "a time column");
        return ll_source_replay(path, time, ll_opt_num(L, idx, "speed", 1),
                                err);
    }
    if (!strcmp(kind, "rate")) {
        double rps = ll_opt_num(L, idx, "rows_per_second", 1);
        if (!(rps > 0))
            luaL_error(L, "stream.read: rows_per_second must be > 0");
        return ll_source_rate(rps, err);
    }
    luaL_error(
        L,
        "stream.read: unknown source '%s' (files, mqtt, kafka, rate, replay)",
        kind);
    return NULL;
}

/* stream.read{source = ..., ...} -> DataStream */
static int l_read(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    /* check the options now: a bad source fails here, not at write */
    ll_err err;
    ll_source *src = make_source(L, 1, &err);
    if (!src)
        return ll_lua_raise(L, &err);
    src->free(src);
    lua_newtable(L); /* a copy of the options */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, -4);
    }
    return push_ds(L, lua_gettop(L), NULL);
}

/* ---- queries ---- */

typedef struct query {
    ll_query *q;
    int fn_ref; /* foreachBatch function, LUA_NOREF */
} query;

static query *check_query(lua_State *L, int idx)
{
    query *q = luaL_checkudata(L, idx, QUERY_MT);
    if (!q->q)
        luaL_error(L, "the query is closed");
    return q;
}

static void print_text(void *ud, const char *text)
{
    (void)ud;
    lua_State *L = running_L;
    if (!L) {
        fputs(text, stdout);
        return;
    }
    size_t n = strlen(text);
    if (n && text[n - 1] == '\n')
        n--;
    lua_getglobal(L, "print");
    lua_pushlstring(L, text, n);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}

typedef struct batch_fn {
    int ref;
} batch_fn;

static int call_batch_fn(void *ud, const ll_frame *batch, int64_t id,
                         ll_err *err)
{
    batch_fn *b = ud;
    lua_State *L = running_L;
    if (!L)
        return ll_err_set(err, LL_EINVAL, "foreach_batch: no Lua thread");
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref);
    ll_frame **slot = ll_lua_new_frame(L);
    if (!(*slot = ll_frame_copy(batch, err))) {
        lua_pop(L, 2);
        return LL_ENOMEM;
    }
    lua_pushinteger(L, (lua_Integer)id);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        ll_err_set(err, LL_EINVAL, "foreach_batch: %s",
                   msg ? msg : "(error object is not a string)");
        lua_pop(L, 1);
        return LL_EINVAL;
    }
    return LL_OK;
}

static void free_batch_fn(void *ud)
{
    free(ud);
}

static const char **opt_list(lua_State *L, int idx, const char *key, int *n)
{
    *n = 0;
    lua_getfield(L, idx, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) == LUA_TSTRING) {
        /* one name */
        lua_newtable(L);
        lua_pushvalue(L, -2);
        lua_rawseti(L, -2, 1);
        lua_replace(L, -2);
    }
    const char **names = string_list(L, lua_gettop(L), key, n);
    /* the strings live in the options table's list, which stays there */
    lua_pop(L, 1);
    return names;
}

static ll_stream_sink *make_sink(lua_State *L, int opts, int *fn_ref,
                                 ll_err *err)
{
    *fn_ref = LUA_NOREF;
    lua_getfield(L, opts, "sink");
    if (lua_isfunction(L, -1)) {
        batch_fn *b = malloc(sizeof *b);
        if (!b)
            luaL_error(L, "out of memory");
        b->ref = luaL_ref(L, LUA_REGISTRYINDEX);
        *fn_ref = b->ref;
        return ll_sink_callback(call_batch_fn, b, free_batch_fn, err);
    }
    lua_pop(L, 1);
    const char *kind = ll_opt_str(L, opts, "sink", "console");
    if (!strcmp(kind, "console"))
        return ll_sink_console(print_text, NULL,
                               (int)ll_opt_int(L, opts, "num_rows", 20), err);
    if (!strcmp(kind, "memory")) {
        const char *name = ll_opt_str(L, opts, "name", NULL);
        if (!name)
            luaL_error(L, "write: the memory sink needs a name (the table)");
        return ll_sink_memory(name, err);
    }
    if (!strcmp(kind, "mqtt")) {
        const char *topic = ll_opt_str(L, opts, "topic", NULL);
        if (!topic)
            luaL_error(L, "write: the mqtt sink needs a topic");
        return ll_sink_mqtt(ll_opt_str(L, opts, "url", NULL), topic,
                            (int)ll_opt_int(L, opts, "qos", 1), err);
    }
    if (!strcmp(kind, "kafka")) {
        const char *brokers = ll_opt_str(L, opts, "brokers", NULL);
        const char *topic = ll_opt_str(L, opts, "topic", NULL);
        if (!brokers || !topic)
            luaL_error(L, "write: the kafka sink needs brokers and a topic");
        return ll_sink_kafka(brokers, topic, err);
    }
    int npart;
    const char **part = opt_list(L, opts, "partition_by", &npart);
    ll_stream_sink *s = NULL;
    if (!strcmp(kind, "csv") || !strcmp(kind, "jsonl")) {
        const char *path = ll_opt_str(L, opts, "path", NULL);
        if (!path) {
            free(part);
            luaL_error(L, "write: the %s sink needs a path (a folder)", kind);
        }
        s = ll_sink_files(path, kind, part, npart, err);
    } else if (!strcmp(kind, "sqlite")) {
        const char *path = ll_opt_str(L, opts, "path", NULL);
        const char *table = ll_opt_str(L, opts, "table", NULL);
        if (!path || !table) {
            free(part);
            luaL_error(L, "write: the sqlite sink needs a path and a table");
        }
        s = ll_sink_sqlite(path, table, part, npart, err);
    } else {
        free(part);
        luaL_error(L,
                   "write: unknown sink '%s' (console, memory, csv, jsonl, "
                   "sqlite, mqtt, kafka, or a function)",
                   kind);
        return NULL;
    }
    free(part);
    return s;
}

static void parse_trigger(lua_State *L, int opts, int *trigger,
                          double *interval)
{
    *trigger = LL_TRIGGER_PROCESSING_TIME;
    *interval = 0;
    lua_getfield(L, opts, "trigger");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "write: option 'trigger': a table expected "
                      "({processing_time = s} | {available_now = true} | "
                      "{once = true})");
    int t = lua_gettop(L);
    if (ll_opt_bool(L, t, "available_now", 0))
        *trigger = LL_TRIGGER_AVAILABLE_NOW;
    else if (ll_opt_bool(L, t, "once", 0))
        *trigger = LL_TRIGGER_ONCE;
    else {
        lua_getfield(L, t, "processing_time");
        if (!lua_isnumber(L, -1))
            luaL_error(L, "write: option 'trigger': processing_time, "
                          "available_now or once expected");
        *interval = lua_tonumber(L, -1);
        if (!(*interval >= 0))
            luaL_error(L, "write: trigger processing_time must be >= 0");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* ds:write{sink = ..., checkpoint = ..., trigger = ...} -> Query */
static int ds_write(lua_State *L)
{
    ds *d = check_ds(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int trigger;
    double interval;
    parse_trigger(L, 2, &trigger, &interval);
    const char *ckpt = ll_opt_str(L, 2, "checkpoint", NULL);
    const char *name = ll_opt_str(L, 2, "name", "");
    query *uq = lua_newuserdatauv(L, sizeof *uq, 0);
    uq->q = NULL;
    uq->fn_ref = LUA_NOREF;
    luaL_setmetatable(L, QUERY_MT);
    int qidx = lua_gettop(L);
    ll_err err;
    int fn_ref;
    ll_stream_sink *sink = make_sink(L, 2, &fn_ref, &err);
    uq->fn_ref = fn_ref;
    if (!sink)
        return ll_lua_raise(L, &err);
    lua_getiuservalue(L, 1, 1);
    ll_source *src = make_source(L, lua_gettop(L), &err);
    lua_pop(L, 1);
    if (!src) {
        sink->free(sink);
        return ll_lua_raise(L, &err);
    }
    ll_op **ops = malloc(sizeof *ops * (size_t)(d->nops ? d->nops : 1));
    int nops = 0;
    for (int i = 0; ops && i < d->nops; i++, nops++)
        if (!(ops[i] = ll_op_clone(d->ops[i], &err)))
            break;
    if (!ops || nops < d->nops) {
        for (int i = 0; i < nops; i++)
            ll_op_free(ops[i]);
        free(ops);
        src->free(src);
        sink->free(sink);
        return luaL_error(L, "out of memory");
    }
    uq->q =
        ll_query_new(name, src, ops, nops, sink, ckpt, trigger, interval, &err);
    free(ops);
    if (!uq->q)
        return ll_lua_raise(L, &err);
    ll_lua_regset(L, ACTIVE_KEY, qidx, 1);
    lua_pushvalue(L, qidx);
    return 1;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* The live lines of the running queries, through the host's progress
 * handler (the REPL and the notebook draw it): "streaming", the batches
 * of all and the first query's status on the bar line, then a row per
 * further query (metrics of several lines, see plot/progress.h); at most
 * 4 times a second, and once finished when none is left. */
static void report_status(lua_State *L, int force)
{
    static double last, last_done;
    static char last_line[2048];
    static int open;
    double now = ll_stream_now();
    if (!force && now - last < 0.25)
        return;
    last = now;
    ll_buf line;
    ll_buf_init(&line);
    double batches = 0;
    int n = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, ACTIVE_KEY);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        query *q = lua_touserdata(L, -1);
        if (!q || !q->q)
            continue;
        if (n++)
            ll_buf_putc(&line, '\n');
        ll_query_status(q->q, &line);
        batches += (double)ll_query_batches(q->q);
    }
    lua_pop(L, 1);
    if (n == 0 && !open) {
        ll_buf_free(&line);
        return;
    }
    ll_progress p;
    memset(&p, 0, sizeof p);
    p.label = "streaming";
    p.unit = "batch";
    if (n > 0) {
        snprintf(last_line, sizeof last_line, "%s", ll_buf_str(&line));
        last_done = batches;
    }
    p.done = last_done;
    p.metrics = last_line;
    p.finished = n == 0;
    open = n > 0;
    ll_progress_report(&p);
    ll_buf_free(&line);
}

/* Step every active query once; returns the earliest next due time. */
static double step_all(lua_State *L)
{
    double next = HUGE_VAL;
    lua_State *prev = running_L;
    running_L = L;
    lua_getfield(L, LUA_REGISTRYINDEX, ACTIVE_KEY);
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        query *q = lua_touserdata(L, -1);
        if (!q || !q->q || !ll_query_active(q->q))
            continue;
        ll_err err;
        int rc = ll_query_step(q->q, ll_stream_now(), &err);
        if (rc == LL_QUERY_RAN)
            next = 0;
        else if (rc == LL_QUERY_IDLE && ll_query_next_due(q->q) < next)
            next = ll_query_next_due(q->q);
    }
    lua_pop(L, 1);
    running_L = prev;
    report_status(L, 0);
    /* drop the queries that ended */
    lua_getfield(L, LUA_REGISTRYINDEX, ACTIVE_KEY);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        query *q = lua_touserdata(L, -1);
        if (!q || !q->q || !ll_query_active(q->q)) {
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, t);
        }
    }
    lua_pop(L, 1);
    return next;
}

/* q:await([timeout] | {timeout = s}) -> true when it ended, false on
 * timeout; raises the query's error. */
static int q_await(lua_State *L)
{
    query *q = check_query(L, 1);
    double timeout = -1;
    if (lua_istable(L, 2))
        timeout = ll_opt_num(L, 2, "timeout", -1);
    else if (!lua_isnoneornil(L, 2))
        timeout = luaL_checknumber(L, 2);
    double end = timeout >= 0 ? ll_stream_now() + timeout : HUGE_VAL;
    while (ll_query_active(q->q)) {
        if (ll_interrupted())
            return luaL_error(L, "interrupted");
        double next = step_all(L);
        double now = ll_stream_now();
        if (!ll_query_active(q->q))
            break;
        if (now >= end)
            return lua_pushboolean(L, 0), 1;
        double wait = next - now;
        if (wait > end - now)
            wait = end - now;
        if (wait > 0.05)
            wait = 0.05;
        sleep_s(wait);
    }
    report_status(L, 1);
    if (ll_query_error(q->q))
        return luaL_error(L, "%s", ll_query_error(q->q));
    lua_pushboolean(L, 1);
    return 1;
}

static int q_stop(lua_State *L)
{
    query *q = check_query(L, 1);
    ll_query_stop(q->q);
    ll_lua_regset(L, ACTIVE_KEY, 1, 0);
    return 0;
}

static int q_gc(lua_State *L)
{
    query *q = luaL_checkudata(L, 1, QUERY_MT);
    if (q->q) {
        ll_query_free(q->q);
        q->q = NULL;
    }
    if (q->fn_ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, q->fn_ref);
        q->fn_ref = LUA_NOREF;
    }
    return 0;
}

static void push_json_value(lua_State *L, const char *text);

static void push_progress(lua_State *L, const ll_query *qq,
                          const ll_batch_progress *p)
{
    lua_createtable(L, 0, 12);
    lua_pushstring(L, ll_query_id(qq));
    lua_setfield(L, -2, "id");
    lua_pushstring(L, ll_query_name(qq));
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)p->batch_id);
    lua_setfield(L, -2, "batch_id");
    lua_pushinteger(L, (lua_Integer)p->num_input_rows);
    lua_setfield(L, -2, "num_input_rows");
    lua_pushinteger(L, (lua_Integer)p->num_output_rows);
    lua_setfield(L, -2, "num_output_rows");
    lua_pushinteger(L, (lua_Integer)p->num_malformed_rows);
    lua_setfield(L, -2, "num_malformed_rows");
    lua_pushnumber(L, p->input_rows_per_second);
    lua_setfield(L, -2, "input_rows_per_second");
    lua_pushnumber(L, p->processed_rows_per_second);
    lua_setfield(L, -2, "processed_rows_per_second");
    lua_pushnumber(L, p->duration_ms);
    lua_setfield(L, -2, "duration_ms");
    lua_pushnumber(L, p->timestamp);
    lua_setfield(L, -2, "timestamp");
    push_json_value(L, p->offsets);
    lua_setfield(L, -2, "offsets");
    /* the malformed-row lines as a list */
    lua_newtable(L);
    const char *s = p->log;
    int i = 0;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        lua_pushlstring(L, s, n);
        lua_rawseti(L, -2, ++i);
        s += n + (nl ? 1 : 0);
    }
    lua_setfield(L, -2, "messages");
}

static int q_index(lua_State *L)
{
    query *q = luaL_checkudata(L, 1, QUERY_MT);
    const char *k = luaL_checkstring(L, 2);
    if (q->q) {
        int n = ll_query_progress_count(q->q);
        if (!strcmp(k, "last_progress")) {
            if (n == 0)
                return lua_pushnil(L), 1;
            push_progress(L, q->q, ll_query_progress(q->q, n - 1));
            return 1;
        }
        if (!strcmp(k, "recent_progress")) {
            lua_createtable(L, n, 0);
            for (int i = 0; i < n; i++) {
                push_progress(L, q->q, ll_query_progress(q->q, i));
                lua_rawseti(L, -2, i + 1);
            }
            return 1;
        }
        if (!strcmp(k, "id"))
            return lua_pushstring(L, ll_query_id(q->q)), 1;
        if (!strcmp(k, "name"))
            return lua_pushstring(L, ll_query_name(q->q)), 1;
        if (!strcmp(k, "active"))
            return lua_pushboolean(L, ll_query_active(q->q)), 1;
        if (!strcmp(k, "error")) {
            const char *e = ll_query_error(q->q);
            if (e)
                lua_pushstring(L, e);
            else
                lua_pushnil(L);
            return 1;
        }
        if (!strcmp(k, "batches"))
            return lua_pushinteger(L, ll_query_batches(q->q)), 1;
        if (!strcmp(k, "lag")) {
            int64_t lag = ll_query_lag(q->q);
            if (lag < 0)
                lua_pushnil(L);
            else
                lua_pushinteger(L, (lua_Integer)lag);
            return 1;
        }
        if (!strcmp(k, "status")) {
            ll_buf b;
            ll_buf_init(&b);
            ll_query_status(q->q, &b);
            lua_pushstring(L, ll_buf_str(&b));
            ll_buf_free(&b);
            return 1;
        }
    }
    luaL_getmetafield(L, 1, "__methods");
    lua_getfield(L, -1, k);
    return 1;
}

static int q_tostring(lua_State *L)
{
    query *q = luaL_checkudata(L, 1, QUERY_MT);
    if (!q->q)
        return lua_pushstring(L, "StreamingQuery(closed)"), 1;
    lua_pushfstring(L, "StreamingQuery(%s%s%s, %d batches, %s)",
                    *ll_query_name(q->q) ? ll_query_name(q->q) : "",
                    *ll_query_name(q->q) ? " " : "", ll_query_id(q->q),
                    (int)ll_query_batches(q->q),
                    ll_query_error(q->q)    ? "failed"
                    : ll_query_active(q->q) ? "active"
                                            : "stopped");
    return 1;
}

/* ---- JSON offsets as Lua values ---- */

#include <cjson/cJSON.h>

static void push_cjson(lua_State *L, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        lua_newtable(L);
        const cJSON *c;
        cJSON_ArrayForEach(c, v)
        {
            push_cjson(L, c);
            lua_setfield(L, -2, c->string);
        }
    } else if (cJSON_IsArray(v)) {
        lua_newtable(L);
        const cJSON *c;
        int i = 0;
        cJSON_ArrayForEach(c, v)
        {
            push_cjson(L, c);
            lua_rawseti(L, -2, ++i);
        }
    } else if (cJSON_IsString(v))
        lua_pushstring(L, v->valuestring);
    else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9e15)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (cJSON_IsBool(v))
        lua_pushboolean(L, cJSON_IsTrue(v));
    else
        lua_pushnil(L);
}

static void push_json_value(lua_State *L, const char *text)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    push_cjson(L, j);
    cJSON_Delete(j);
}

/* ---- module functions ---- */

static int l_table(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    ll_err err;
    ll_frame **slot = ll_lua_new_frame(L);
    if (!(*slot = ll_stream_table(name, &err))) {
        lua_pop(L, 1);
        return ll_lua_fail(L, &err);
    }
    return 1;
}

static int l_active(lua_State *L)
{
    return ll_lua_regset_list(L, ACTIVE_KEY);
}

/* stream.await_all([timeout]) -> true when every query ended */
static int l_await_all(lua_State *L)
{
    double timeout = luaL_optnumber(L, 1, -1);
    double end = timeout >= 0 ? ll_stream_now() + timeout : HUGE_VAL;
    for (;;) {
        if (ll_interrupted())
            return luaL_error(L, "interrupted");
        double next = step_all(L);
        lua_getfield(L, LUA_REGISTRYINDEX, ACTIVE_KEY);
        lua_pushnil(L);
        int any = lua_next(L, -2);
        lua_pop(L, any ? 3 : 1);
        if (!any) {
            report_status(L, 1);
            return lua_pushboolean(L, 1), 1;
        }
        double now = ll_stream_now();
        if (now >= end)
            return lua_pushboolean(L, 0), 1;
        double wait = next - now;
        if (wait > end - now)
            wait = end - now;
        if (wait > 0.05)
            wait = 0.05;
        sleep_s(wait);
    }
}

static const ll_lua_fn ds_methods[] = {
    {"select", ds_select,
     "ds:select{col, ...} -> DataStream -- Keep these columns, in this "
     "order."},
    {"filter", ds_filter,
     "ds:filter(expr) -> DataStream -- Keep the rows where the expression "
     "(df's expression language) is true."},
    {"with_column", ds_with_column,
     "ds:with_column(name, expr) -> DataStream -- Add (or replace) a "
     "column computed by an expression."},
    {"drop_duplicates", ds_drop_duplicates,
     "ds:drop_duplicates([{col, ...}]) -> DataStream -- Keep the first row "
     "of each key ever seen (the keys are state in the checkpoint)."},
    {"with_forecast", ds_with_forecast,
     "ds:with_forecast{model = URI | dir, by, time, target, horizon, name = "
     "\"forecast\", tracking_uri, history = 1000, refit_every = 0} -> "
     "DataStream -- Add the sum of a forecast pipeline's next horizon "
     "forecasts from each key's history (kept as state in the checkpoint); "
     "a statistical model keeps its parameters and advances its states, "
     "and is fitted again every refit_every new values (0 = never)."},
    {"write", ds_write,
     "ds:write{sink = \"console\"|\"memory\"|\"csv\"|\"jsonl\"|\"sqlite\"|"
     "\"mqtt\"|\"kafka\"|function(batch, id), path, table, name, "
     "partition_by, url, brokers, topic, qos, checkpoint, "
     "trigger = {processing_time = s}|{available_now = true}|{once = true}}"
     " -> StreamingQuery -- Start the query; it runs while any await "
     "runs."},
    {NULL, NULL, NULL}};

static const ll_lua_fn ds_meta[] = {{"__gc", ds_gc, NULL},
                                    {"__tostring", ds_tostring, NULL},
                                    {NULL, NULL, NULL}};

static const ll_lua_fn query_methods[] = {
    {"await", q_await,
     "q:await([timeout] | {timeout = s}) -> true | false -- Run the "
     "kernel's queries until this one ends (true) or timeout seconds pass "
     "(false); raises the query's error with its batch id."},
    {"stop", q_stop, "q:stop() -- Stop the query after its current batch."},
    {NULL, NULL, NULL}};

static const ll_lua_fn query_meta[] = {{"__gc", q_gc, NULL},
                                       {"__close", q_gc, NULL},
                                       {"__tostring", q_tostring, NULL},
                                       {NULL, NULL, NULL}};

static const ll_lua_fn module_fns[] = {
    {"read", l_read,
     "stream.read{source = \"files\", path, format = \"csv\"|\"jsonl\", "
     "schema = {col = type}, max_files_per_trigger, mode = "
     "\"permissive\"|\"dropmalformed\"|\"failfast\"} | {source = \"rate\", "
     "rows_per_second} | {source = \"mqtt\", url = \"mqtt://host:port\", "
     "topic, qos = 1, format = \"json\", schema, client_id} "
     "| {source = \"kafka\", brokers, topic, group, starting_offsets, "
     "max_offsets_per_trigger, schema} | {source = \"replay\", path, time, "
     "speed} -> DataStream -- A streaming "
     "source."},
    {"table", l_table,
     "stream.table(name) -> Frame | nil, msg -- The rows a memory sink "
     "named name has received."},
    {"active", l_active,
     "stream.active() -> {StreamingQuery...} -- The queries still running."},
    {"await_all", l_await_all,
     "stream.await_all([timeout]) -> true | false -- Run every query until "
     "all have ended (true) or timeout seconds pass (false)."},
    {NULL, NULL, NULL}};

int luaopen_lualab_stream(lua_State *L);
int luaopen_lualab_stream(lua_State *L)
{
    /* batches reach Lua as df Frames */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lualab.df");
    lua_call(L, 1, 0);
    ll_lua_newclass(L, DS_MT, ds_methods, ds_meta);
    lua_pop(L, 1);
    ll_lua_newclass(L, QUERY_MT, query_methods, query_meta);
    lua_pushcfunction(L, q_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, ACTIVE_KEY);
    lua_newtable(L);
    ll_lua_setfuncs(L, "stream", module_fns);
    return 1;
}
