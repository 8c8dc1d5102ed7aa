/*
 * lua_track: the `mlflow` module.  The C part binds the store (a
 * lualab.TrackStore userdata per database) and the registry; the fluent
 * API (active runs, <close> runs, artifacts, models, autolog) is written
 * in Lua on top of it in lua/lualab/_mlflow.lua, which this opener loads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/lua_util.h"
#include "track/track.h"
#include "track/view.h"
#include "util/json.h"
#include "util/signals.h"

#define STORE "lualab.TrackStore"

typedef struct store_ud {
    ll_track *t;
} store_ud;

static ll_track *check_store(lua_State *L)
{
    store_ud *s = luaL_checkudata(L, 1, STORE);
    if (!s->t)
        luaL_error(L, "tracking store is closed");
    return s->t;
}

/* Raise err's message as is: the Lua layer calling these adds no
 * position of its own, so the message reads the same from any caller. */
static int raise_if(lua_State *L, int rc, const ll_err *err)
{
    if (rc != LL_OK) {
        lua_pushstring(L, err->msg);
        return lua_error(L);
    }
    return 0;
}

static int l_track_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    const char *artifacts = luaL_optstring(L, 2, NULL);
    store_ud *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->t = NULL;
    luaL_setmetatable(L, STORE);
    ll_err err;
    int rc = ll_track_open(path, artifacts, &s->t, &err);
    raise_if(L, rc, &err);
    return 1;
}

static int l_track_close(lua_State *L)
{
    store_ud *s = luaL_checkudata(L, 1, STORE);
    ll_track_free(s->t);
    s->t = NULL;
    return 0;
}

static int l_track_tostring(lua_State *L)
{
    store_ud *s = luaL_checkudata(L, 1, STORE);
    if (s->t)
        lua_pushfstring(L, "TrackStore(%s)", ll_track_db_path(s->t));
    else
        lua_pushliteral(L, "TrackStore(closed)");
    return 1;
}

static int l_track_paths(lua_State *L)
{
    ll_track *t = check_store(L);
    lua_pushstring(L, ll_track_db_path(t));
    lua_pushstring(L, ll_track_artifact_root(t));
    return 2;
}

/* Push an array of n items of size bytes each, each pushed by push. */
static void push_array(lua_State *L, const void *items, size_t n, size_t size,
                       void (*push)(lua_State *, const void *))
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        push(L, (const char *)items + i * size);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_kv_table(lua_State *L, const ll_track_kv *kv, size_t n)
{
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, kv[i].value);
        lua_setfield(L, -2, kv[i].key);
    }
}

static void set_int(lua_State *L, const char *k, long long v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (!v)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void push_experiment(lua_State *L, const void *item)
{
    const ll_track_experiment *e = item;
    lua_createtable(L, 0, 7);
    set_int(L, "experiment_id", e->id);
    set_str(L, "name", e->name);
    set_str(L, "artifact_location", e->artifact_location);
    set_str(L, "lifecycle_stage", e->lifecycle);
    set_int(L, "creation_time", e->creation_time);
    set_int(L, "last_update_time", e->last_update_time);
    push_kv_table(L, e->tags, e->n_tags);
    lua_setfield(L, -2, "tags");
}

static int l_track_create_experiment(lua_State *L)
{
    ll_track *t = check_store(L);
    const char *name = luaL_checkstring(L, 2);
    const char *loc = luaL_optstring(L, 3, NULL);
    long long id;
    ll_err err;
    raise_if(L, ll_track_experiment_create(t, name, loc, &id, &err), &err);
    lua_pushinteger(L, (lua_Integer)id);
    return 1;
}

static int l_track_get_experiment(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_track_experiment e;
    ll_err err;
    int rc = lua_type(L, 2) == LUA_TNUMBER
                 ? ll_track_experiment_get(t, luaL_checkinteger(L, 2), &e, &err)
                 : ll_track_experiment_get_by_name(t, luaL_checkstring(L, 2),
                                                   &e, &err);
    if (rc == LL_ENOTFOUND)
        return ll_lua_fail(L, &err);
    raise_if(L, rc, &err);
    push_experiment(L, &e);
    ll_track_experiment_clear(&e);
    return 1;
}

static int l_track_list_experiments(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_track_experiment *e;
    size_t n;
    ll_err err;
    raise_if(L, ll_track_experiment_list(t, &e, &n, &err), &err);
    push_array(L, e, n, sizeof *e, push_experiment);
    ll_track_experiments_free(e, n);
    return 1;
}

static int l_track_set_experiment_tag(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_experiment_set_tag(t, luaL_checkinteger(L, 2),
                                                luaL_checkstring(L, 3),
                                                luaL_checkstring(L, 4), &err),
                    &err);
}

static int l_track_create_run(lua_State *L)
{
    ll_track *t = check_store(L);
    lua_Integer exp = luaL_checkinteger(L, 2);
    const char *name = luaL_optstring(L, 3, NULL);
    const char *user = luaL_optstring(L, 4, NULL);
    const char *source = luaL_optstring(L, 5, NULL);
    lua_Integer start = luaL_optinteger(L, 6, ll_now_ms());
    char id[33];
    ll_err err;
    raise_if(L,
             ll_track_run_create(t, exp, name, user, source, start, id, &err),
             &err);
    lua_pushstring(L, id);
    return 1;
}

static int l_track_end_run(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_run_end(t, luaL_checkstring(L, 2),
                                     luaL_checkstring(L, 3),
                                     luaL_optinteger(L, 4, ll_now_ms()), &err),
                    &err);
}

static int l_track_log_param(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_log_param(t, luaL_checkstring(L, 2),
                                       luaL_checkstring(L, 3),
                                       luaL_checkstring(L, 4), &err),
                    &err);
}

static int l_track_log_metric(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_log_metric(t, luaL_checkstring(L, 2),
                                        luaL_checkstring(L, 3),
                                        (double)luaL_checknumber(L, 4),
                                        luaL_optinteger(L, 5, ll_now_ms()),
                                        luaL_optinteger(L, 6, 0), &err),
                    &err);
}

static int l_track_set_tag(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_set_tag(t, luaL_checkstring(L, 2),
                                     luaL_checkstring(L, 3),
                                     luaL_checkstring(L, 4), &err),
                    &err);
}

static int l_track_flush(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L, ll_track_flush(t, &err), &err);
}

/* A run as MLflow's Run: {info = {...}, data = {params, metrics, tags}}. */
static void push_run(lua_State *L, const ll_track_run *r)
{
    lua_createtable(L, 0, 2);
    lua_createtable(L, 0, 11);
    set_str(L, "run_id", r->run_id);
    set_str(L, "run_uuid", r->run_id);
    set_int(L, "experiment_id", r->experiment_id);
    set_str(L, "run_name", r->name);
    set_str(L, "user_id", r->user);
    set_str(L, "source_name", r->source);
    set_str(L, "status", r->status);
    set_str(L, "lifecycle_stage", r->lifecycle);
    set_str(L, "artifact_uri", r->artifact_uri);
    set_int(L, "start_time", r->start_time);
    if (r->end_time >= 0)
        set_int(L, "end_time", r->end_time);
    lua_setfield(L, -2, "info");
    lua_createtable(L, 0, 3);
    push_kv_table(L, r->params, r->n_params);
    lua_setfield(L, -2, "params");
    push_kv_table(L, r->tags, r->n_tags);
    lua_setfield(L, -2, "tags");
    lua_createtable(L, 0, (int)r->n_metrics);
    for (size_t i = 0; i < r->n_metrics; i++) {
        lua_pushnumber(L, (lua_Number)r->metrics[i].value);
        lua_setfield(L, -2, r->metrics[i].key);
    }
    lua_setfield(L, -2, "metrics");
    lua_setfield(L, -2, "data");
}

/* push_run for an item of an array of run pointers. */
static void push_run_at(lua_State *L, const void *item)
{
    push_run(L, *(ll_track_run *const *)item);
}

static int l_track_get_run(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_track_run *r;
    ll_err err;
    raise_if(L, ll_track_run_get(t, luaL_checkstring(L, 2), &r, &err), &err);
    push_run(L, r);
    ll_track_run_free(r);
    return 1;
}

static int l_track_metric_history(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_track_metric *m;
    size_t n;
    ll_err err;
    raise_if(L,
             ll_track_metric_history(t, luaL_checkstring(L, 2),
                                     luaL_checkstring(L, 3), &m, &n, &err),
             &err);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 4);
        set_str(L, "key", m[i].key);
        lua_pushnumber(L, (lua_Number)m[i].value);
        lua_setfield(L, -2, "value");
        set_int(L, "timestamp", m[i].timestamp);
        set_int(L, "step", m[i].step);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    ll_track_metrics_free(m, n);
    return 1;
}

/* A userdata of size bytes (zeroed) whose __gc and __close call close,
 * marked to be closed when the running function returns or raises: C
 * memory it holds cannot leak through a Lua error. */
static void *closing_box(lua_State *L, size_t size, lua_CFunction close)
{
    void *box = lua_newuserdatauv(L, size, 0);
    memset(box, 0, size);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__close");
    lua_setmetatable(L, -2);
    lua_toclose(L, -1);
    return box;
}

/* Free C arrays held while reading Lua tables if a Lua error escapes. */
typedef struct search_scratch {
    long long *exp;
    const char **order;
} search_scratch;

static int scratch_gc(lua_State *L)
{
    search_scratch *s = lua_touserdata(L, 1);
    free(s->exp);
    free(s->order);
    s->exp = NULL;
    s->order = NULL;
    return 0;
}

/* store:search(exp_ids, filter, order_by, max_results) -> array of runs */
static int l_track_search(lua_State *L)
{
    ll_track *t = check_store(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *filter = luaL_optstring(L, 3, NULL);
    lua_Integer max = luaL_optinteger(L, 5, 0);
    search_scratch *s = closing_box(L, sizeof *s, scratch_gc);
    size_t n_exp = lua_rawlen(L, 2);
    s->exp = calloc(n_exp + 1, sizeof *s->exp);
    size_t n_order = lua_istable(L, 4) ? lua_rawlen(L, 4) : 0;
    s->order = calloc(n_order + 1, sizeof *s->order);
    if (!s->exp || !s->order)
        return luaL_error(L, "out of memory");
    for (size_t i = 0; i < n_exp; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        s->exp[i] = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    for (size_t i = 0; i < n_order; i++) {
        lua_rawgeti(L, 4, (lua_Integer)i + 1);
        s->order[i] = lua_tostring(L, -1); /* kept alive by the table */
        lua_pop(L, 1);
        if (!s->order[i])
            return luaL_error(L, "order_by[%d] must be a string", (int)i + 1);
    }
    ll_track_run **runs;
    size_t n;
    ll_err err;
    int rc = ll_track_search(t, s->exp, n_exp, filter, s->order, n_order, max,
                             &runs, &n, &err);
    raise_if(L, rc, &err);
    push_array(L, runs, n, sizeof *runs, push_run_at);
    ll_track_runs_free(runs, n);
    return 1;
}

static int l_track_count(lua_State *L)
{
    ll_track *t = check_store(L);
    lua_pushinteger(L, (lua_Integer)ll_track_count(t, luaL_checkstring(L, 2),
                                                   luaL_optstring(L, 3, NULL)));
    return 1;
}

static void push_version(lua_State *L, const void *item)
{
    const ll_track_model_version *v = item;
    lua_createtable(L, 0, 10);
    set_str(L, "name", v->name);
    set_int(L, "version", v->version);
    set_int(L, "creation_timestamp", v->creation_time);
    set_int(L, "last_updated_timestamp", v->last_updated_time);
    set_str(L, "description", v->description);
    set_str(L, "current_stage", v->stage);
    set_str(L, "source", v->source);
    set_str(L, "run_id", v->run_id);
    set_str(L, "status", v->status);
    lua_createtable(L, (int)v->n_aliases, 0);
    for (size_t i = 0; i < v->n_aliases; i++) {
        lua_pushstring(L, v->aliases[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "aliases");
}

static int l_track_register(lua_State *L)
{
    ll_track *t = check_store(L);
    long long v;
    ll_err err;
    raise_if(L,
             ll_track_model_version_create(
                 t, luaL_checkstring(L, 2), luaL_checkstring(L, 3),
                 luaL_optstring(L, 4, NULL), &v, &err),
             &err);
    lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

static int l_track_create_model(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_model_create(t, luaL_checkstring(L, 2),
                                          lua_toboolean(L, 3), &err),
                    &err);
}

/* store:model_version(name, how, what): how = "version" | "alias" |
 * "stage" | "latest" */
static int l_track_model_version(lua_State *L)
{
    ll_track *t = check_store(L);
    const char *name = luaL_checkstring(L, 2);
    const char *how = luaL_checkstring(L, 3);
    ll_track_model_version v;
    ll_err err;
    int rc;
    if (strcmp(how, "version") == 0)
        rc = ll_track_model_version_get(t, name, luaL_checkinteger(L, 4), &v,
                                        &err);
    else if (strcmp(how, "alias") == 0)
        rc = ll_track_model_version_by_alias(t, name, luaL_checkstring(L, 4),
                                             &v, &err);
    else if (strcmp(how, "stage") == 0)
        rc = ll_track_model_version_latest(t, name, luaL_checkstring(L, 4), &v,
                                           &err);
    else if (strcmp(how, "latest") == 0)
        rc = ll_track_model_version_latest(t, name, NULL, &v, &err);
    else
        return luaL_argerror(L, 3, "expected version, alias, stage or latest");
    raise_if(L, rc, &err);
    push_version(L, &v);
    ll_track_model_version_clear(&v);
    return 1;
}

static int l_track_model_versions(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_track_model_version *v;
    size_t n;
    ll_err err;
    raise_if(L,
             ll_track_model_versions(t, luaL_checkstring(L, 2), &v, &n, &err),
             &err);
    push_array(L, v, n, sizeof *v, push_version);
    ll_track_model_versions_free(v, n);
    return 1;
}

static int l_track_list_models(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_track_model *m;
    size_t n;
    ll_err err;
    raise_if(L, ll_track_model_list(t, &m, &n, &err), &err);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 6);
        set_str(L, "name", m[i].name);
        set_int(L, "creation_timestamp", m[i].creation_time);
        set_int(L, "last_updated_timestamp", m[i].last_updated_time);
        set_str(L, "description", m[i].description);
        set_int(L, "latest_version", m[i].latest_version);
        lua_createtable(L, 0, (int)m[i].n_aliases);
        for (size_t k = 0; k < m[i].n_aliases; k++) {
            lua_pushinteger(L, strtoll(m[i].aliases[k].value, NULL, 10));
            lua_setfield(L, -2, m[i].aliases[k].key);
        }
        lua_setfield(L, -2, "aliases");
        push_kv_table(L, m[i].tags, m[i].n_tags);
        lua_setfield(L, -2, "tags");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    ll_track_models_free(m, n);
    return 1;
}

static int l_track_set_alias(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_model_alias_set(t, luaL_checkstring(L, 2),
                                             luaL_checkstring(L, 3),
                                             luaL_checkinteger(L, 4), &err),
                    &err);
}

static int l_track_delete_alias(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_model_alias_delete(t, luaL_checkstring(L, 2),
                                                luaL_checkstring(L, 3), &err),
                    &err);
}

static int l_track_transition(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    return raise_if(L,
                    ll_track_model_version_stage(
                        t, luaL_checkstring(L, 2), luaL_checkinteger(L, 3),
                        luaL_checkstring(L, 4), lua_toboolean(L, 5), &err),
                    &err);
}

static int l_track_export(lua_State *L)
{
    ll_track *t = check_store(L);
    ll_err err;
    int rc = ll_track_export_mlflow(t, luaL_checkstring(L, 2), &err);
    if (rc != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_track_copy(lua_State *L)
{
    ll_err err;
    int rc =
        ll_track_copy(luaL_checkstring(L, 1), luaL_checkstring(L, 2), &err);
    if (rc != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_track_list_files(lua_State *L)
{
    char *list;
    ll_err err;
    int rc = ll_track_list_files(luaL_checkstring(L, 1), &list, &err);
    if (rc != LL_OK)
        return ll_lua_fail(L, &err);
    lua_newtable(L);
    int i = 0;
    for (char *p = list; *p;) {
        char *nl = strchr(p, '\n');
        lua_pushlstring(L, p, (size_t)(nl - p));
        lua_rawseti(L, -2, ++i);
        p = nl + 1;
    }
    free(list);
    return 1;
}

static int l_track_uri_path(lua_State *L)
{
    char path[4096];
    ll_err err;
    if (ll_track_uri_to_path(luaL_checkstring(L, 1), path, sizeof path, &err) !=
        LL_OK)
        return raise_if(L, LL_EINVAL, &err);
    lua_pushstring(L, path);
    return 1;
}

static int l_track_model_uri_dir(lua_State *L)
{
    char *dir;
    ll_err err;
    if (ll_track_model_uri_dir(luaL_checkstring(L, 1),
                               luaL_optstring(L, 2, NULL), &dir, &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushstring(L, dir);
    free(dir);
    return 1;
}

static int l_track_pyfloat(lua_State *L)
{
    char buf[64];
    ll_fmt_double((double)luaL_checknumber(L, 1), buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

/* Render into a buffer boxed in a to-be-closed userdata, so a Lua error
 * between rendering and pushing cannot leak it. */
static int buf_close(lua_State *L)
{
    ll_buf_free(lua_touserdata(L, 1));
    return 0;
}

static ll_buf *boxed_buf(lua_State *L)
{
    ll_buf *b = closing_box(L, sizeof *b, buf_close);
    ll_buf_init(b);
    return b;
}

static int l_track_render_run(lua_State *L)
{
    ll_track *t = check_store(L);
    const char *ref = luaL_checkstring(L, 2);
    lua_Integer width = luaL_optinteger(L, 3, 100);
    ll_buf *b = boxed_buf(L);
    ll_err err;
    raise_if(
        L, ll_track_view_run(t, ref, width > 20 ? (size_t)width : 20, b, &err),
        &err);
    lua_pushstring(L, ll_buf_str(b));
    return 1;
}

static int l_track_render_compare(lua_State *L)
{
    ll_track *t = check_store(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer width = luaL_optinteger(L, 3, 100);
    size_t n = lua_rawlen(L, 2);
    if (n == 0 || n > 6)
        return luaL_argerror(L, 2, "expected 1 to 6 run ids");
    const char *refs[6];
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        refs[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
        if (!refs[i])
            return luaL_argerror(L, 2, "run ids must be strings");
    }
    ll_buf *b = boxed_buf(L);
    ll_err err;
    raise_if(L,
             ll_track_view_compare(t, refs, n, width > 20 ? (size_t)width : 20,
                                   b, &err),
             &err);
    lua_pushstring(L, ll_buf_str(b));
    return 1;
}

static int l_track_user(lua_State *L)
{
    char buf[256];
    lua_pushstring(L, ll_track_user(buf, sizeof buf));
    return 1;
}

static int l_track_now_ms(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)ll_now_ms());
    return 1;
}

static const ll_lua_fn store_methods[] = {
    {"paths", l_track_paths, "store:paths() -> db_path, artifact_root"},
    {"create_experiment", l_track_create_experiment,
     "store:create_experiment(name [, artifact_location]) -> id"},
    {"get_experiment", l_track_get_experiment,
     "store:get_experiment(id | name) -> table | nil, msg"},
    {"list_experiments", l_track_list_experiments,
     "store:list_experiments() -> {experiment...}"},
    {"set_experiment_tag", l_track_set_experiment_tag,
     "store:set_experiment_tag(id, key, value)"},
    {"create_run", l_track_create_run,
     "store:create_run(exp_id, name, user, source, start_ms) -> run_id"},
    {"end_run", l_track_end_run, "store:end_run(run_id, status, end_ms)"},
    {"log_param", l_track_log_param, "store:log_param(run_id, key, value)"},
    {"log_metric", l_track_log_metric,
     "store:log_metric(run_id, key, value, timestamp_ms [, step])"},
    {"set_tag", l_track_set_tag, "store:set_tag(run_id, key, value)"},
    {"flush", l_track_flush, "store:flush() -- Write buffered metrics."},
    {"get_run", l_track_get_run,
     "store:get_run(run_id) -> {info=, data={params=, metrics=, tags=}}"},
    {"metric_history", l_track_metric_history,
     "store:metric_history(run_id, key) -> {{step=, value=, timestamp=}...}"},
    {"search", l_track_search,
     "store:search(exp_ids, filter, order_by, max_results) -> {run...}"},
    {"count", l_track_count,
     "store:count(table [, run_id]) -> n -- Rows of metrics/params/tags/runs."},
    {"register", l_track_register,
     "store:register(name, source [, run_id]) -> version"},
    {"create_model", l_track_create_model,
     "store:create_model(name [, exist_ok])"},
    {"model_version", l_track_model_version,
     "store:model_version(name, 'version'|'alias'|'stage'|'latest', x) -> "
     "table"},
    {"model_versions", l_track_model_versions,
     "store:model_versions(name) -> {version...}"},
    {"list_models", l_track_list_models, "store:list_models() -> {model...}"},
    {"set_alias", l_track_set_alias, "store:set_alias(name, alias, version)"},
    {"delete_alias", l_track_delete_alias, "store:delete_alias(name, alias)"},
    {"transition", l_track_transition,
     "store:transition(name, version, stage [, archive_existing])"},
    {"export_mlflow", l_track_export,
     "store:export_mlflow(dir) -> true | nil, msg -- MLflow file-store "
     "layout."},
    {"render_run", l_track_render_run,
     "store:render_run(run_id [, width]) -> string -- The run as text."},
    {"render_compare", l_track_render_compare,
     "store:render_compare({run_id...} [, width]) -> string"},
    {"close", l_track_close, "store:close() -- Flush and close."},
    {NULL, NULL, NULL}};

static const ll_lua_fn store_meta[] = {{"__gc", l_track_close, NULL},
                                       {"__close", l_track_close, NULL},
                                       {"__tostring", l_track_tostring, NULL},
                                       {NULL, NULL, NULL}};

static const ll_lua_fn module_fns[] = {
    {"_open", l_track_open,
     "_open(db_path [, artifact_root]) -> TrackStore -- Open a tracking "
     "database."},
    {"_copy", l_track_copy,
     "_copy(src, dst) -> true | nil, msg -- Copy a file or directory tree."},
    {"_list_files", l_track_list_files,
     "_list_files(dir) -> {relative path...} | nil, msg"},
    {"_uri_path", l_track_uri_path,
     "_uri_path(uri) -> path -- The database path of sqlite:///PATH."},
    {"_user", l_track_user,
     "_user() -> string -- The user runs are recorded under: $LOGNAME, "
     "$USER, ..., else the login name."},
    {"_now_ms", l_track_now_ms,
     "_now_ms() -> integer -- Milliseconds since the epoch."},
    {"_model_uri_dir", l_track_model_uri_dir,
     "_model_uri_dir(uri [, tracking_uri]) -> dir | nil, msg -- The "
     "directory a model URI names (models:/, runs:/, file://, a directory)."},
    {"_pyfloat", l_track_pyfloat,
     "_pyfloat(x) -> string -- x as Python's repr(float)."},
    {NULL, NULL, NULL}};

int luaopen_lualab_mlflow(lua_State *L);

int luaopen_lualab_mlflow(lua_State *L)
{
    ll_lua_newclass(L, STORE, store_methods, store_meta);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "mlflow", module_fns);
    /* the fluent API, in Lua, completes the table */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lualab._mlflow");
    lua_call(L, 1, 1);
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
    return 1;
}
