/* lua_util: see lua_util.h. */
#include "host/lua_util.h"
#include "util/suggest.h"

#include <string.h>

/* Registry key of the weak table function -> doc string. */
static const char DOCS_KEY[] = "lualab.docs";

static void push_docs(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, DOCS_KEY) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, DOCS_KEY);
}

void ll_lua_setdoc(lua_State *L, int idx, const char *doc)
{
    idx = lua_absindex(L, idx);
    push_docs(L);
    lua_pushvalue(L, idx);
    lua_pushstring(L, doc);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static void set_doc_qualified(lua_State *L, int fn_idx, const char *qualifier,
                              const char *sep, const char *doc)
{
    if (!doc)
        return;
    /* "t:sum(...)" or "df.read_csv(...)" is qualified already. */
    size_t word = strspn(doc, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    if (word > 0 && (doc[word] == ':' || doc[word] == '.') &&
        (doc[word + 1] != ' ' && doc[word + 1] != '\0'))
        qualifier = NULL;
    if (qualifier && *qualifier) {
        luaL_Buffer b;
        fn_idx = lua_absindex(L, fn_idx);
        luaL_buffinit(L, &b);
        luaL_addstring(&b, qualifier);
        luaL_addstring(&b, sep);
        luaL_addstring(&b, doc);
        luaL_pushresult(&b);
        ll_lua_setdoc(L, fn_idx, lua_tostring(L, -1));
        lua_pop(L, 1);
    } else {
        ll_lua_setdoc(L, fn_idx, doc);
    }
}

void ll_lua_setfuncs(lua_State *L, const char *qualifier, const ll_lua_fn *fns)
{
    for (; fns->name; fns++) {
        lua_pushcfunction(L, fns->fn);
        set_doc_qualified(L, -1, qualifier, ".", fns->doc);
        lua_setfield(L, -2, fns->name);
    }
}

void ll_lua_newclass(lua_State *L, const char *tname, const ll_lua_fn *methods,
                     const ll_lua_fn *metamethods)
{
    const char *short_name = tname;
    if (strncmp(short_name, "lualab.", 7) == 0)
        short_name += 7;
    luaL_newmetatable(L, tname);
    if (metamethods) {
        for (const ll_lua_fn *m = metamethods; m->name; m++) {
            lua_pushcfunction(L, m->fn);
            lua_setfield(L, -2, m->name);
        }
    }
    lua_newtable(L);
    if (methods) {
        for (const ll_lua_fn *m = methods; m->name; m++) {
            lua_pushcfunction(L, m->fn);
            set_doc_qualified(L, -1, short_name, ":", m->doc);
            lua_setfield(L, -2, m->name);
        }
    }
    /* Also as __methods: a class may later make __index a function (to
     * find columns or fields), and the REPL still completes methods. */
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__methods");
    lua_setfield(L, -2, "__index");
}

int ll_lua_call_module(lua_State *L, const char *module, const char *fn,
                       int nargs)
{
    lua_settop(L, nargs);
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    lua_call(L, 1, 1);
    lua_getfield(L, -1, fn);
    for (int i = 1; i <= nargs; i++)
        lua_pushvalue(L, i);
    lua_call(L, nargs, 1);
    return 1;
}

int ll_lua_raise(lua_State *L, const ll_err *err)
{
    return luaL_error(L, "%s", err->msg);
}

int ll_lua_fail(lua_State *L, const ll_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg);
    return 2;
}

void ll_lua_regset(lua_State *L, const char *key, int idx, int in)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, key);
    lua_pushvalue(L, idx);
    if (in)
        lua_pushboolean(L, 1);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

int ll_lua_regset_list(lua_State *L, const char *key)
{
    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, key);
    lua_Integer i = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -4, ++i);
    }
    lua_pop(L, 1);
    return 1;
}

/* Push field key of the options table at idx and return 1, or push
 * nothing and return 0 when idx is 0 (no options), not a table, or the
 * field is nil. */
static int push_opt(lua_State *L, int idx, const char *key)
{
    if (idx == 0 || lua_type(L, idx) != LUA_TTABLE)
        return 0;
    if (lua_getfield(L, idx, key) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    return 0;
}

/* Raise "option 'key': <expected> expected, got <type>" for the value at
 * the top of the stack. */
static void opt_type_error(lua_State *L, const char *key, const char *expected)
{
    luaL_error(L, "option '%s': %s expected, got %s", key, expected,
               luaL_typename(L, -1));
}

lua_Integer ll_opt_int(lua_State *L, int idx, const char *key, lua_Integer def)
{
    if (!push_opt(L, idx, key))
        return def;
    int isnum = 0;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum)
        opt_type_error(L, key, "integer");
    lua_pop(L, 1);
    return v;
}

lua_Number ll_opt_num(lua_State *L, int idx, const char *key, lua_Number def)
{
    if (!push_opt(L, idx, key))
        return def;
    int isnum = 0;
    lua_Number v = lua_tonumberx(L, -1, &isnum);
    if (!isnum)
        opt_type_error(L, key, "number");
    lua_pop(L, 1);
    return v;
}

int ll_opt_bool(lua_State *L, int idx, const char *key, int def)
{
    if (!push_opt(L, idx, key))
        return def;
    if (lua_type(L, -1) != LUA_TBOOLEAN)
        opt_type_error(L, key, "boolean");
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

const char *ll_opt_str(lua_State *L, int idx, const char *key, const char *def)
{
    if (!push_opt(L, idx, key))
        return def;
    if (lua_type(L, -1) != LUA_TSTRING)
        opt_type_error(L, key, "string");
    /* The string is referenced by the options table, which the caller
     * keeps on the stack, so it stays alive after the pop. */
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    return s;
}

void ll_lua_check_opts(lua_State *L, int idx, const char *fname,
                       const char *const *known)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            continue; /* array items (column lists) are not options */
        const char *key = lua_tostring(L, -1);
        int found = 0;
        for (int k = 0; known[k] && !found; k++)
            found = !strcmp(known[k], key);
        if (found)
            continue;
        const char *best = ll_suggest(key, known, -1);
        if (best)
            luaL_error(L, "%s: unknown option '%s' (did you mean '%s'?)", fname,
                       key, best);
        luaL_error(L, "%s: unknown option '%s'", fname, key);
    }
}
