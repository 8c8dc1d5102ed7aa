/*
 * lua_json: the `json` module, lualab's one JSON codec for Lua, over
 * util/json (cJSON).
 *
 *   json.encode(v [, indent | {indent=, allow_nan=true}]) -> string
 *   json.decode(text [, name]) -> value | nil, "name:line:col: ..."
 *   json.null, json.array([t])
 *
 * Tables with only the keys 1..n (n > 0) or marked by json.array() are
 * arrays; other tables are objects, keys sorted (strings, or integers
 * written as strings).  Decoding gives objects as tables, arrays as tables
 * marked by json.array, null as json.null and integral numbers below 2^53
 * as integers.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/lua_util.h"
#include "util/buf.h"
#include "util/json.h"

#define NULL_KEY "lualab.json.null"
#define ARRAY_KEY "lualab.json.array"
#define MAX_DEPTH 200

typedef struct enc {
    lua_State *L;
    ll_buf out;
    ll_buf path; /* "$.layers[2]" for messages */
    const char *indent;
    int allow_nan;
    ll_err err;
} enc;

static int is_null(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, NULL_KEY);
    int r = lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return r;
}

static int marked_array(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_KEY);
    int r = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return r;
}

static int newline(enc *e, int depth)
{
    if (!e->indent)
        return LL_OK;
    int rc = ll_buf_putc(&e->out, '\n');
    for (int i = 0; i < depth && rc == LL_OK; i++)
        rc = ll_buf_puts(&e->out, e->indent);
    return rc;
}

static int fail(enc *e, const char *what)
{
    const char *p = ll_buf_str(&e->path);
    size_t n = strlen(p);
    if (n > 80) /* a cycle: the end of the path says enough */
        return ll_err_set(&e->err, LL_EINVAL, "json.encode: %s at $...%s", what,
                          p + n - 60);
    return ll_err_set(&e->err, LL_EINVAL, "json.encode: %s at %s", what, p);
}

typedef struct key {
    const char *s;
    size_t n;
    int orig; /* stack index of the key as it is in the table */
} key;

static int cmp_key(const void *a, const void *b)
{
    const key *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int encode(enc *e, int idx, int depth);

static int encode_array(enc *e, int idx, lua_Integer n, int depth)
{
    if (n == 0)
        return ll_buf_puts(&e->out, "[]");
    int rc = ll_buf_putc(&e->out, '[');
    size_t plen = e->path.len;
    for (lua_Integer i = 1; i <= n && rc == LL_OK; i++) {
        luaL_checkstack(e->L, 4, "json.encode");
        if (i > 1)
            rc = ll_buf_puts(&e->out, e->indent ? "," : ", ");
        if (rc == LL_OK)
            rc = newline(e, depth + 1);
        e->path.len = plen;
        if (rc == LL_OK)
            rc = ll_buf_printf(&e->path, "[%lld]", (long long)i);
        lua_rawgeti(e->L, idx, i);
        if (rc == LL_OK)
            rc = encode(e, -1, depth + 1);
        lua_pop(e->L, 1);
    }
    e->path.len = plen;
    if (e->path.data)
        e->path.data[plen] = '\0';
    if (rc == LL_OK)
        rc = newline(e, depth);
    if (rc == LL_OK)
        rc = ll_buf_putc(&e->out, ']');
    return rc;
}

static int encode_object(enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    int base = lua_gettop(L);
    size_t n = 0, cap = 16;
    key *keys = malloc(cap * sizeof *keys);
    if (!keys)
        return ll_err_set(&e->err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    /* each key stays on the stack twice: as it is and as a string */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int kt = lua_type(L, -1);
        if (kt != LUA_TSTRING && !lua_isinteger(L, -1)) {
            rc = fail(e, kt == LUA_TNUMBER ? "a non-integer number key"
                                           : "a key that is not a string");
            break;
        }
        if (n == cap) {
            key *k2 = realloc(keys, 2 * cap * sizeof *keys);
            if (!k2) {
                rc = ll_err_set(&e->err, LL_ENOMEM, "out of memory");
                break;
            }
            keys = k2;
            cap *= 2;
        }
        luaL_checkstack(L, 4, "json.encode: too many keys");
        lua_pushvalue(L, -1);
        lua_pushvalue(L, -1);
        keys[n].s = lua_tolstring(L, -1, &keys[n].n);
        lua_rotate(L, -3, -1); /* orig str key: the key on top for next */
        keys[n].orig = lua_gettop(L) - 2;
        n++;
    }
    if (rc == LL_OK) {
        qsort(keys, n, sizeof *keys, cmp_key);
        rc = ll_buf_putc(&e->out, '{');
    }
    size_t plen = e->path.len;
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        if (i > 0)
            rc = ll_buf_puts(&e->out, e->indent ? "," : ", ");
        if (rc == LL_OK)
            rc = newline(e, depth + 1);
        if (rc == LL_OK)
            rc = ll_json_put_string(&e->out, keys[i].s, keys[i].n);
        if (rc == LL_OK)
            rc = ll_buf_puts(&e->out, ": ");
        e->path.len = plen;
        if (rc == LL_OK)
            rc = ll_buf_printf(&e->path, ".%.*s", (int)keys[i].n, keys[i].s);
        lua_pushvalue(L, keys[i].orig);
        lua_rawget(L, idx);
        if (rc == LL_OK)
            rc = encode(e, -1, depth + 1);
        lua_pop(L, 1);
    }
    if (rc == LL_OK) {
        e->path.len = plen;
        e->path.data[plen] = '\0';
        if (n > 0)
            rc = newline(e, depth);
        if (rc == LL_OK)
            rc = ll_buf_putc(&e->out, '}');
    }
    free(keys);
    lua_settop(L, base);
    if (rc == LL_ENOMEM && !e->err.code)
        ll_err_set(&e->err, LL_ENOMEM, "out of memory");
    return rc;
}

static int encode(enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    idx = lua_absindex(L, idx);
    int rc;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return ll_buf_puts(&e->out, "null");
    case LUA_TBOOLEAN:
        return ll_buf_puts(&e->out, lua_toboolean(L, idx) ? "true" : "false");
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return ll_buf_printf(&e->out, "%lld",
                                 (long long)lua_tointeger(L, idx));
        if (!e->allow_nan && !isfinite(lua_tonumber(L, idx)))
            return fail(e, "NaN or infinity (allow_nan is false)");
        return ll_json_put_double(&e->out, (double)lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return ll_json_put_string(&e->out, s, n);
    }
    case LUA_TTABLE: {
        if (is_null(L, idx))
            return ll_buf_puts(&e->out, "null");
        if (depth >= MAX_DEPTH)
            return fail(e, "nesting deeper than 200 (a table that contains "
                           "itself?)");
        luaL_checkstack(L, 8, "json.encode");
        lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
        if (marked_array(L, idx))
            return encode_array(e, idx, n, depth);
        lua_Integer count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            count++;
        }
        if (n > 0 && count == n)
            return encode_array(e, idx, n, depth);
        if (n > 0) {
            rc = fail(e, "a table with both array entries and keys");
            return rc;
        }
        return encode_object(e, idx, depth);
    }
    default:
        if (is_null(L, idx))
            return ll_buf_puts(&e->out, "null");
        {
            char what[64];
            snprintf(what, sizeof what, "cannot encode a %s",
                     luaL_typename(L, idx));
            return fail(e, what);
        }
    }
}

static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    enc e;
    memset(&e, 0, sizeof e);
    e.L = L;
    e.allow_nan = 1;
    char pad[17];
    if (lua_isinteger(L, 2)) {
        lua_Integer k = lua_tointeger(L, 2);
        luaL_argcheck(L, k >= 0 && k <= 16, 2, "indent must be 0 to 16");
        memset(pad, ' ', (size_t)k);
        pad[k] = '\0';
        e.indent = pad;
    } else if (lua_type(L, 2) == LUA_TSTRING) {
        e.indent = lua_tostring(L, 2);
    } else if (lua_istable(L, 2)) {
        lua_Integer k = ll_opt_int(L, 2, "indent", -1);
        luaL_argcheck(L, k <= 16, 2, "indent must be 0 to 16");
        if (k >= 0) {
            memset(pad, ' ', (size_t)k);
            pad[k] = '\0';
            e.indent = pad;
        }
        e.allow_nan = ll_opt_bool(L, 2, "allow_nan", 1);
    } else if (!lua_isnoneornil(L, 2)) {
        return luaL_argerror(L, 2,
                             "indent (integer or string) or options "
                             "table expected");
    }
    lua_settop(L, 2); /* the indent string stays anchored */
    ll_buf_puts(&e.path, "$");
    int rc = encode(&e, 1, 0);
    ll_buf_free(&e.path);
    if (rc != LL_OK) {
        ll_buf_free(&e.out);
        if (!e.err.code)
            ll_err_set(&e.err, LL_ENOMEM, "out of memory");
        return ll_lua_raise(L, &e.err);
    }
    lua_pushlstring(L, ll_buf_str(&e.out), e.out.len);
    ll_buf_free(&e.out);
    return 1;
}

/* Push the Lua value of j. */
static void push(lua_State *L, const cJSON *j)
{
    luaL_checkstack(L, 4, "json.decode: nesting too deep");
    if (cJSON_IsNull(j)) {
        lua_getfield(L, LUA_REGISTRYINDEX, NULL_KEY);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (v == floor(v) && fabs(v) < 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, v);
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsArray(j)) {
        lua_createtable(L, cJSON_GetArraySize(j), 0);
        lua_Integer i = 1;
        const cJSON *it;
        cJSON_ArrayForEach(it, j)
        {
            push(L, it);
            lua_rawseti(L, -2, i++);
        }
        lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_KEY);
        lua_setmetatable(L, -2);
    } else {
        lua_newtable(L);
        const cJSON *it;
        cJSON_ArrayForEach(it, j)
        {
            push(L, it);
            lua_setfield(L, -2, it->string);
        }
    }
}

#define TREE "lualab.json.tree"

static int tree_gc(lua_State *L)
{
    cJSON **box = luaL_checkudata(L, 1, TREE);
    cJSON_Delete(*box);
    *box = NULL;
    return 0;
}

static int l_decode(lua_State *L)
{
    size_t n;
    const char *text = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "json");
    ll_err err;
    cJSON *j = ll_json_parse(text, n, name, &err);
    if (!j)
        return ll_lua_fail(L, &err);
    /* boxed, so a Lua error while building cannot leak the tree */
    cJSON **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = j;
    luaL_setmetatable(L, TREE);
    push(L, j);
    cJSON_Delete(*box);
    *box = NULL;
    return 1;
}

static int l_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_KEY);
    lua_setmetatable(L, 1);
    return 1;
}

static int null_tostring(lua_State *L)
{
    lua_pushliteral(L, "null");
    return 1;
}

static const ll_lua_fn json_fns[] = {
    {"encode", l_encode,
     "json.encode(v [, indent | {indent=, allow_nan=true}]) -> string -- "
     "JSON text, keys sorted, laid out as Python's json.dumps (indent: "
     "spaces or a string)."},
    {"decode", l_decode,
     "json.decode(text [, name]) -> value | nil, msg -- Parse JSON; the "
     "message names name:line:column.  null is json.null, arrays are "
     "marked with json.array."},
    {"array", l_array,
     "json.array([t]) -> t -- Mark t (or a new table) as a JSON array, so "
     "an empty one encodes as []."},
    {NULL, NULL, NULL}};

int luaopen_lualab_json(lua_State *L);

int luaopen_lualab_json(lua_State *L)
{
    if (luaL_newmetatable(L, TREE)) {
        lua_pushcfunction(L, tree_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_KEY);
    if (lua_isnil(L, -1)) {
        lua_newtable(L);
        lua_pushliteral(L, "json.array");
        lua_setfield(L, -2, "__name");
        lua_setfield(L, LUA_REGISTRYINDEX, ARRAY_KEY);
    }
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, NULL_KEY);
    if (lua_isnil(L, -1)) {
        lua_newtable(L);
        lua_newtable(L);
        lua_pushcfunction(L, null_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "json.null");
        lua_setfield(L, -2, "__name");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, NULL_KEY);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "json", json_fns);
    lua_getfield(L, LUA_REGISTRYINDEX, NULL_KEY);
    lua_setfield(L, -2, "null");
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_KEY);
    lua_setfield(L, -2, "array_mt");
    return 1;
}
