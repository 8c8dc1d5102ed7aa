/*
 * lua_groupby: f:groupby{keys} and the GroupBy methods (agg, size), with
 * the aggregation specs resample also takes.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/lua_frame_int.h"

int df_frame_groupby(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    int n;
    const char **keys = df_str_list(L, 2, &n, "groupby");
    if (n < 1 || n > 16)
        return luaL_error(L, "groupby: 1 to 16 keys expected, got %d", n);
    ll_err err;
    ll_err_clear(&err);
    for (int k = 0; k < n; k++)
        if (ll_frame_col(f, keys[k], &err) < 0) {
            ll_err_prefix(&err, "groupby");
            return ll_lua_raise(L, &err);
        }
    lgroup *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->f = NULL;
    luaL_setmetatable(L, GROUP_MT);
    g->nkeys = n;
    g->dropna = 1;
    int oi = lua_istable(L, 3) ? 3 : lua_istable(L, 2) ? 2 : 0;
    if (oi) {
        static const char *const opts[] = {"dropna", NULL};
        ll_lua_check_opts(L, oi, "groupby", opts);
        g->dropna = ll_opt_bool(L, oi, "dropna", 1);
    }
    for (int k = 0; k < n; k++)
        snprintf(g->keys[k], sizeof g->keys[k], "%s", keys[k]);
    g->f = ll_frame_copy(f, &err);
    if (!g->f)
        return ll_lua_raise(L, &err);
    return 1;
}

static int is_aggfn(const char *s)
{
    static const char *const fns[] = {
        "sum", "mean",   "min",   "max",  "count", "nunique", "std",
        "var", "median", "first", "last", "size",  NULL};
    for (int i = 0; fns[i]; i++)
        if (!strcmp(s, fns[i]))
            return 1;
    return 0;
}

/* Aggregations from {col = "fn" | {"fn", ...}, out = {"col", "fn"}} or
 * {{"col", "fn", name = "out"}, ...}, kept in a scratch userdata. */
int df_agg_spec(lua_State *L, int idx, const ll_frame *f, ll_agg **out)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    int cap = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        cap += lua_istable(L, -1) ? (int)luaL_len(L, -1) + 1 : 1;
        lua_pop(L, 1);
    }
    ll_agg *a = lua_newuserdatauv(L, sizeof *a * (size_t)(cap + 1), 0);
    lua_newtable(L); /* keeps generated names alive */
    int names = lua_gettop(L);
    int n = 0, nn = 1;
    int64_t alen = (int64_t)luaL_len(L, idx);
    for (int64_t i = 1; i <= alen; i++) {
        lua_geti(L, idx, i);
        if (!lua_istable(L, -1))
            luaL_error(L, "agg: item %d: {\"col\", \"fn\", name=} expected",
                       (int)i);
        lua_geti(L, -1, 1);
        lua_geti(L, -2, 2);
        lua_getfield(L, -3, "name");
        const char *col = lua_tostring(L, -3), *fn = lua_tostring(L, -2);
        if (!col || !fn)
            luaL_error(L, "agg: item %d: {\"col\", \"fn\", name=} expected",
                       (int)i);
        if (!is_aggfn(fn))
            luaL_error(L, "agg: unknown function '%s'", fn);
        if (lua_isstring(L, -1)) {
            lua_pushvalue(L, -1);
        } else {
            lua_pushfstring(L, "%s_%s", col, fn);
        }
        a[n].out = lua_tostring(L, -1);
        lua_rawseti(L, names, nn++);
        lua_pushvalue(L, -3);
        a[n].col = lua_tostring(L, -1);
        lua_rawseti(L, names, nn++);
        lua_pushvalue(L, -2);
        a[n].fn = lua_tostring(L, -1);
        lua_rawseti(L, names, nn++);
        n++;
        lua_pop(L, 4);
    }
    /* string keys, sorted so the output order is stable */
    lua_newtable(L);
    int keys = lua_gettop(L);
    int nk = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, keys, nk++);
        }
        lua_pop(L, 1);
    }
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, keys);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    for (int k = 1; k < nk; k++) {
        lua_geti(L, keys, k);
        const char *key = lua_tostring(L, -1);
        lua_getfield(L, idx, key);
        if (lua_type(L, -1) == LUA_TSTRING) {
            if (!is_aggfn(lua_tostring(L, -1)))
                luaL_error(L, "agg: unknown function '%s' for '%s'",
                           lua_tostring(L, -1), key);
            a[n].col = key;
            a[n].out = key;
            a[n].fn = lua_tostring(L, -1);
            n++;
        } else if (lua_istable(L, -1)) {
            int len = (int)luaL_len(L, -1);
            lua_geti(L, -1, 1);
            lua_geti(L, -2, 2);
            int named = len == 2 && lua_isstring(L, -2) &&
                        lua_isstring(L, -1) && !is_aggfn(lua_tostring(L, -2)) &&
                        is_aggfn(lua_tostring(L, -1));
            if (named) {
                a[n].out = key;
                lua_pushvalue(L, -2);
                a[n].col = lua_tostring(L, -1);
                lua_rawseti(L, names, nn++);
                lua_pushvalue(L, -1);
                a[n].fn = lua_tostring(L, -1);
                lua_rawseti(L, names, nn++);
                n++;
                lua_pop(L, 2);
            } else {
                lua_pop(L, 2);
                for (int j = 1; j <= len; j++) {
                    lua_geti(L, -1, j);
                    const char *fn = lua_tostring(L, -1);
                    if (!fn || !is_aggfn(fn))
                        luaL_error(L, "agg: unknown function '%s' for '%s'",
                                   fn ? fn : "?", key);
                    a[n].fn = fn;
                    lua_rawseti(L, names, nn++);
                    lua_pushfstring(L, "%s_%s", key, fn);
                    a[n].out = lua_tostring(L, -1);
                    lua_rawseti(L, names, nn++);
                    a[n].col = key;
                    n++;
                }
            }
        } else {
            luaL_error(L, "agg: '%s': function name or list expected", key);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1); /* keys */
    (void)f;
    *out = a;
    return n;
}

static int l_group_agg(lua_State *L)
{
    lgroup *g = luaL_checkudata(L, 1, GROUP_MT);
    if (!g->f)
        return luaL_error(L, "attempt to use a closed GroupBy");
    ll_agg *aggs;
    int na = df_agg_spec(L, 2, g->f, &aggs);
    const char *keys[16];
    for (int k = 0; k < g->nkeys; k++)
        keys[k] = g->keys[k];
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(
        L, u,
        ll_frame_groupby_opt(g->f, keys, g->nkeys, aggs, na, g->dropna, &err),
        &err);
}

static int l_group_size(lua_State *L)
{
    lgroup *g = luaL_checkudata(L, 1, GROUP_MT);
    if (!g->f)
        return luaL_error(L, "attempt to use a closed GroupBy");
    const char *keys[16];
    for (int k = 0; k < g->nkeys; k++)
        keys[k] = g->keys[k];
    ll_agg a = {"size", keys[0], "size"};
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(
        L, u,
        ll_frame_groupby_opt(g->f, keys, g->nkeys, &a, 1, g->dropna, &err),
        &err);
}

static int l_group_close(lua_State *L)
{
    lgroup *g = luaL_checkudata(L, 1, GROUP_MT);
    ll_frame_free(g->f);
    g->f = NULL;
    return 0;
}

static int l_group_tostring(lua_State *L)
{
    lgroup *g = luaL_checkudata(L, 1, GROUP_MT);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "GroupBy(");
    for (int k = 0; k < g->nkeys; k++) {
        if (k)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, g->keys[k]);
    }
    luaL_addstring(&b, ")");
    luaL_pushresult(&b);
    return 1;
}

const ll_lua_fn df_group_methods[] = {
    {"agg", l_group_agg,
     "agg{col = fn | {fns}, out = {col, fn}} -> Frame -- Aggregate each "
     "group (sum mean min max count nunique std var median first last "
     "size)."},
    {"size", l_group_size, "size() -> Frame -- Rows per group."},
    {NULL, NULL, NULL}};

const ll_lua_fn df_group_meta[] = {{"__gc", l_group_close, NULL},
                                   {"__close", l_group_close, NULL},
                                   {"__tostring", l_group_tostring, NULL},
                                   {NULL, NULL, NULL}};
