/*
 * lua_fs: the `_fs` module, the file helpers every Lua-side save uses, so
 * Lua code writes files the way the C core does:
 *
 *   _fs.write_file(path, data) -> true | nil, msg   atomic: temp, fsync, rename
 *   _fs.mkdir_p(path) -> true | nil, msg
 *   _fs.read_file(path) -> data | nil, msg
 *   _fs.is_dir(path), _fs.exists(path) -> boolean
 *   _fs.yaml(t) -> string          t as a YAML block mapping (util/yaml)
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/lua_util.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/yaml.h"

static int l_write_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *data = luaL_checklstring(L, 2, &n);
    ll_err err;
    if (ll_write_file_atomic(path, data, n, &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_mkdir_p(lua_State *L)
{
    ll_err err;
    if (ll_mkdir_p(luaL_checkstring(L, 1), &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_read_file(lua_State *L)
{
    char *data;
    size_t n;
    ll_err err;
    if (ll_read_file(luaL_checkstring(L, 1), &data, &n, &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushlstring(L, data, n);
    free(data);
    return 1;
}

static int l_is_dir(lua_State *L)
{
    struct stat st;
    lua_pushboolean(L, stat(luaL_checkstring(L, 1), &st) == 0 &&
                           S_ISDIR(st.st_mode));
    return 1;
}

static int l_exists(lua_State *L)
{
    lua_pushboolean(L, ll_file_exists(luaL_checkstring(L, 1)));
    return 1;
}

/* ---- yaml ---- */

typedef struct yw {
    lua_State *L;
    ll_buf out;
    ll_err err;
} yw;

static int is_json_null(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, "lualab.json.null");
    int r = !lua_isnil(L, -1) && lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return r;
}

/* A float as PyYAML writes it: repr with a '.' in the mantissa. */
static void yaml_float(double v, char *out, size_t cap)
{
    if (isnan(v)) {
        snprintf(out, cap, ".nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v < 0 ? "-.inf" : ".inf");
        return;
    }
    char r[64];
    ll_fmt_double(v, r, sizeof r);
    char *e = strchr(r, 'e');
    if (e && !memchr(r, '.', (size_t)(e - r)))
        snprintf(out, cap, "%.*s.0%s", (int)(e - r), r, e);
    else
        snprintf(out, cap, "%s", r);
}

/* The text of a scalar at idx, or NULL (not a scalar). */
static const char *scalar_text(lua_State *L, int idx, char *tmp, size_t cap,
                               int *is_string)
{
    *is_string = 0;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return "null";
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? "true" : "false";
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(tmp, cap, "%lld", (long long)lua_tointeger(L, idx));
        else
            yaml_float((double)lua_tonumber(L, idx), tmp, cap);
        return tmp;
    case LUA_TSTRING:
        *is_string = 1;
        return lua_tostring(L, idx);
    default:
        return is_json_null(L, idx) ? "null" : NULL;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int y_table(yw *w, int idx, size_t indent, const char *path, int depth);

/* "key: value" or "key:" and the nested block. */
static int y_entry(yw *w, int vidx, size_t indent, const char *key,
                   const char *path, int depth)
{
    lua_State *L = w->L;
    char tmp[64];
    int is_string;
    const char *text = scalar_text(L, vidx, tmp, sizeof tmp, &is_string);
    if (text)
        return is_string ? ll_yaml_str(&w->out, indent, key, text)
                         : ll_yaml_raw(&w->out, indent, key, text);
    if (!lua_istable(L, vidx))
        return ll_err_set(&w->err, LL_EINVAL, "yaml: cannot write a %s (at %s)",
                          luaL_typename(L, vidx), path);
    lua_pushnil(L);
    int empty = !lua_next(L, vidx);
    if (!empty)
        lua_pop(L, 2);
    if (empty) {
        int arr = lua_getmetatable(L, vidx);
        if (arr) {
            lua_getfield(L, LUA_REGISTRYINDEX, "lualab.json.array");
            arr = lua_rawequal(L, -1, -2);
            lua_pop(L, 2);
        }
        return ll_yaml_raw(&w->out, indent, key, arr ? "[]" : "{}");
    }
    int rc = ll_yaml_key(&w->out, indent, key);
    if (rc == LL_OK)
        rc = y_table(w, vidx, lua_rawlen(L, vidx) > 0 ? indent : indent + 2,
                     path, depth + 1);
    return rc;
}

/* The entries of the table at idx: a sequence of scalars (1..n) or a
 * mapping with sorted keys. */
static int y_table(yw *w, int idx, size_t indent, const char *path, int depth)
{
    lua_State *L = w->L;
    idx = lua_absindex(L, idx);
    if (depth > 64)
        return ll_err_set(&w->err, LL_EINVAL,
                          "yaml: nesting deeper than 64 (at %s)", path);
    luaL_checkstack(L, 8, "yaml");
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    if (n > 0) {
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            char tmp[64];
            int is_string;
            const char *text = scalar_text(L, -1, tmp, sizeof tmp, &is_string);
            int rc;
            if (!text)
                rc = ll_err_set(&w->err, LL_EINVAL,
                                "yaml: only scalars are written in lists "
                                "(at %s[%lld])",
                                path, (long long)i);
            else if (is_string)
                rc = ll_yaml_item(&w->out, indent, text);
            else {
                for (size_t k = 0; k < indent; k++)
                    ll_buf_putc(&w->out, ' ');
                rc = ll_buf_printf(&w->out, "- %s\n", text);
            }
            lua_pop(L, 1);
            if (rc != LL_OK)
                return rc;
        }
        return LL_OK;
    }
    /* keys, as strings, in a Lua table (anchored against collection) */
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer nk = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING && !lua_isinteger(L, -1)) {
            lua_pop(L, 2);
            return ll_err_set(&w->err, LL_EINVAL,
                              "yaml: keys must be strings (at %s)", path);
        }
        lua_pushvalue(L, -1);
        lua_tostring(L, -1);
        lua_rawseti(L, keys, ++nk);
    }
    const char **names = malloc((size_t)(nk ? nk : 1) * sizeof *names);
    if (!names) {
        lua_pop(L, 1);
        return ll_err_set(&w->err, LL_ENOMEM, "out of memory");
    }
    for (lua_Integer i = 0; i < nk; i++) {
        lua_rawgeti(L, keys, i + 1);
        names[i] = lua_tostring(L, -1);
        lua_pop(L, 1); /* still referenced by the keys table */
    }
    qsort(names, (size_t)nk, sizeof *names, cmp_str);
    int rc = LL_OK;
    ll_buf sub;
    ll_buf_init(&sub);
    for (lua_Integer i = 0; i < nk && rc == LL_OK; i++) {
        lua_pushstring(L, names[i]);
        lua_rawget(L, idx);
        if (lua_isnil(L, -1)) {
            /* an integer key */
            lua_pop(L, 1);
            lua_rawgeti(L, idx, (lua_Integer)strtoll(names[i], NULL, 10));
        }
        ll_buf_reset(&sub);
        rc = ll_buf_printf(&sub, "%s.%s", path, names[i]);
        if (rc == LL_OK)
            rc = y_entry(w, lua_gettop(L), indent, names[i], ll_buf_str(&sub),
                         depth);
        lua_pop(L, 1);
    }
    ll_buf_free(&sub);
    free(names);
    lua_pop(L, 1);
    return rc;
}

static int l_yaml(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    yw w;
    memset(&w, 0, sizeof w);
    w.L = L;
    int rc = y_table(&w, 1, 0, "$", 0);
    if (rc != LL_OK) {
        ll_buf_free(&w.out);
        if (!w.err.code)
            ll_err_set(&w.err, LL_ENOMEM, "out of memory");
        return ll_lua_raise(L, &w.err);
    }
    lua_pushlstring(L, ll_buf_str(&w.out), w.out.len);
    ll_buf_free(&w.out);
    return 1;
}

static const ll_lua_fn fs_fns[] = {
    {"write_file", l_write_file,
     "_fs.write_file(path, data) -> true | nil, msg -- Write a file "
     "atomically (a temporary file, fsync, rename): a crash leaves the old "
     "file or the new one."},
    {"mkdir_p", l_mkdir_p,
     "_fs.mkdir_p(path) -> true | nil, msg -- Create a directory and its "
     "parents (existing ones are fine)."},
    {"read_file", l_read_file,
     "_fs.read_file(path) -> string | nil, msg -- A whole file."},
    {"is_dir", l_is_dir, "_fs.is_dir(path) -> boolean"},
    {"exists", l_exists, "_fs.exists(path) -> boolean"},
    {"yaml", l_yaml,
     "_fs.yaml(t) -> string -- t as YAML the way PyYAML's safe_dump writes "
     "it (keys sorted, strings quoted only when needed)."},
    {NULL, NULL, NULL}};

int luaopen_lualab__fs(lua_State *L);

int luaopen_lualab__fs(lua_State *L)
{
    lua_newtable(L);
    ll_lua_setfuncs(L, "_fs", fs_fns);
    return 1;
}
