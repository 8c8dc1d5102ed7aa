/*
 * lua_data: the `datasets` module -- the lab's data sets generated on this
 * machine (the lab's "download the data" step) and word vectors for an
 * embedding matrix.
 */
#include <stdlib.h>
#include <string.h>

#include "data/generators.h"
#include "host/lua_util.h"

int luaopen_lualab_datasets(lua_State *L);

/* Read {seed=, rows=, batteries=, days=} from the table at idx. */
static void read_gen_opts(lua_State *L, int idx, ll_gen_opts *o)
{
    ll_gen_opts_init(o);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer seed = ll_opt_int(L, idx, "seed", LL_GEN_DEFAULT_SEED);
    lua_Integer rows = ll_opt_int(L, idx, "rows", 0);
    lua_Integer batteries = ll_opt_int(L, idx, "batteries", 0);
    lua_Integer days = ll_opt_int(L, idx, "days", 0);
    if (seed < 0)
        luaL_error(L, "option 'seed': must be >= 0, got %I", seed);
    if (lua_getfield(L, idx, "rows") != LUA_TNIL && rows < 1)
        luaL_error(L, "option 'rows': must be >= 1, got %I", rows);
    lua_pop(L, 1);
    if (batteries < 0 || batteries > 1000000)
        luaL_error(L, "option 'batteries': must be in 1..1000000, got %I",
                   batteries);
    if (days < 0 || days > 1000000)
        luaL_error(L, "option 'days': must be in 1..1000000, got %I", days);
    o->seed = (uint64_t)seed;
    o->rows = (long)rows;
    o->batteries = (int)batteries;
    o->days = (int)days;
}

static void check_name(lua_State *L, int idx)
{
    const char *name = luaL_checkstring(L, idx);
    for (int i = 0; ll_gen_names[i]; i++)
        if (strcmp(ll_gen_names[i], name) == 0)
            return;
    luaL_error(L,
               "unknown data set '%s' (known: daily-battery-time-series, "
               "battery-fleet-telemetry, connected-car-components)",
               name);
}

static int l_names(lua_State *L)
{
    lua_newtable(L);
    for (int i = 0; ll_gen_names[i]; i++) {
        lua_pushstring(L, ll_gen_names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* The CSV is built in a buffer boxed in a to-be-closed userdata so a Lua
 * error while pushing cannot leak it. */
static int buf_close(lua_State *L)
{
    ll_buf *b = lua_touserdata(L, 1);
    ll_buf_free(b);
    return 0;
}

static ll_buf *push_boxed_buf(lua_State *L)
{
    ll_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    ll_buf_init(b);
    if (luaL_newmetatable(L, "lualab.datasets.buf")) {
        lua_pushcfunction(L, buf_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, buf_close);
        lua_setfield(L, -2, "__close");
    }
    lua_setmetatable(L, -2);
    return b;
}

static int l_generate(lua_State *L)
{
    ll_gen_opts o;
    ll_err err;
    long rows = 0;
    check_name(L, 1);
    read_gen_opts(L, 2, &o);
    ll_buf *b = push_boxed_buf(L);
    int box = lua_gettop(L);
    if (ll_gen_csv(lua_tostring(L, 1), &o, b, &rows, &err) != LL_OK)
        return ll_lua_raise(L, &err);
    lua_pushlstring(L, ll_buf_str(b), b->len);
    lua_pushinteger(L, rows);
    ll_buf_free(b);
    lua_remove(L, box);
    return 2;
}

static int l_fetch(lua_State *L)
{
    ll_gen_opts o;
    ll_err err;
    long rows = 0;
    int reused = 0;
    char *path = NULL;
    check_name(L, 1);
    read_gen_opts(L, 2, &o);
    const char *dir =
        lua_isnoneornil(L, 2) ? "data" : ll_opt_str(L, 2, "dir", "data");
    if (ll_dataset_fetch(lua_tostring(L, 1), &o, dir, &path, &reused, &rows,
                         &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushstring(L, path);
    free(path);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, rows);
    lua_setfield(L, -2, "rows");
    lua_pushboolean(L, reused);
    lua_setfield(L, -2, "reused");
    lua_pushinteger(L, (lua_Integer)o.seed);
    lua_setfield(L, -2, "seed");
    return 2;
}

static const ll_lua_fn datasets_fns[] = {
    {"names", l_names,
     "names() -> {string} -- The data sets fetch and generate know."},
    {"generate", l_generate,
     "generate(name [, {seed=, rows=, batteries=, days=}]) -> csv, rows -- "
     "Generate a data set as CSV text (deterministic for a seed)."},
    {"fetch", l_fetch,
     "fetch(name [, {seed=, rows=, batteries=, days=, dir='data'}]) -> "
     "path, info | nil, msg -- Write the data set as CSV under dir once; "
     "later calls reuse the file after checking its size and checksum."},
    {NULL, NULL, NULL}};

int luaopen_lualab_datasets(lua_State *L)
{
    lua_newtable(L);
    ll_lua_setfuncs(L, "datasets", datasets_fns);
    return 1;
}
