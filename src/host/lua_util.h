/*
 * lua_util: helpers for the bindings (src/<sub>/lua_<sub>.c), written only
 * with Lua's public API, in the spirit of lauxlib.
 *
 * Every function a binding registers carries a one-line doc string; the
 * REPL's `?name`, help(f) and the man page read them from here.
 */
#ifndef LL_LUA_UTIL_H
#define LL_LUA_UTIL_H

#include <lua.h>
#include <lauxlib.h>

#include "util/err.h"

/* A function bound to Lua with its doc string: "read_csv(path [, opts]) ->
 * Frame | nil, msg -- Read a CSV file into a Frame." */
typedef struct ll_lua_fn {
    const char *name;
    lua_CFunction fn;
    const char *doc;
} ll_lua_fn;

/* Set fns (ended by a {NULL} row) as fields of the table at the top of the
 * stack and register each doc string under "<qualifier>.<name>"
 * (qualifier may be NULL). */
void ll_lua_setfuncs(lua_State *L, const char *qualifier, const ll_lua_fn *fns);

/* Register doc for the function at idx. */
void ll_lua_setdoc(lua_State *L, int idx, const char *doc);

/* Create the metatable `tname` for a userdata class: __index = a table of
 * `methods` (also kept as __methods, which completion reads when a class
 * replaces __index with a function), __name = tname, plus `metamethods`
 * (__gc, __close, __tostring, __display, ...).  Leaves the metatable on
 * the stack.
 * Method docs are registered as "<tname without 'lualab.'>:<name>". */
void ll_lua_newclass(lua_State *L, const char *tname, const ll_lua_fn *methods,
                     const ll_lua_fn *metamethods);

/* Call require(module)[fn] with the first nargs arguments of the running
 * function and return its one result: a C method implemented in Lua. */
int ll_lua_call_module(lua_State *L, const char *module, const char *fn,
                       int nargs);

/* Raise a Lua error carrying err's message (never returns). */
int ll_lua_raise(lua_State *L, const ll_err *err);
/* Push nil, message and return 2: the expected-failure convention. */
int ll_lua_fail(lua_State *L, const ll_err *err);

/* A set of live objects kept in the registry under key (a table made by
 * the module opener): add (in != 0) or remove the value at idx. */
void ll_lua_regset(lua_State *L, const char *key, int idx, int in);
/* Push a new array of the members of the registry set key; returns 1. */
int ll_lua_regset_list(lua_State *L, const char *key);

/* Option readers for a table argument at idx (absent field -> default;
 * idx 0 or a non-table: no options, every reader gives its default). */
lua_Integer ll_opt_int(lua_State *L, int idx, const char *key, lua_Integer def);
lua_Number ll_opt_num(lua_State *L, int idx, const char *key, lua_Number def);
int ll_opt_bool(lua_State *L, int idx, const char *key, int def);
/* The string stays valid while the table is on the stack. */
const char *ll_opt_str(lua_State *L, int idx, const char *key, const char *def);

/* Raise "<fname>: unknown option 'titel' (did you mean 'title'?)" when the
 * table at idx has a string key not in known (NULL-ended); the suggestion
 * is the closest known name (ll_suggest, util/suggest.h), left out when
 * none is close.  Integer keys (list items) are not checked; a non-table
 * at idx is ignored. */
void ll_lua_check_opts(lua_State *L, int idx, const char *fname,
                       const char *const *known);

#endif
