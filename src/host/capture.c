/*
 * capture: the base functions every kernel has.
 *
 * print and io.write send text to the front end's sink (the cell's
 * output) instead of the process's stdout; display(x) shows a value in the
 * middle of a cell; help(x) prints a doc string; lualab.progress reports
 * progress to whichever front end draws it.
 */
#include "config.h"

#include "host/host_int.h"
#include "host/lua_util.h"
#include "util/suggest.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ll_host_write(ll_host *h, const char *stream, const char *s, size_t n)
{
    if (h && h->has_sink && h->sink.stream) {
        h->sink.stream(h->sink.ud, stream, s, n);
        return;
    }
    FILE *f = strcmp(stream, "stderr") == 0 ? stderr : stdout;
    fwrite(s, 1, n, f);
}

static int l_print(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
        (void)s;
        (void)len;
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    ll_host_write(h, "stdout", s, len);
    if (!(h && h->has_sink))
        fflush(stdout);
    return 0;
}

/* io.write with the same number formatting as Lua's liolib. */
static int l_io_write(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (lua_type(L, i) == LUA_TNUMBER) {
            char num[64];
            if (lua_isinteger(L, i))
                snprintf(num, sizeof num, LUA_INTEGER_FMT,
                         (LUAI_UACINT)lua_tointeger(L, i));
            else
                snprintf(num, sizeof num, LUA_NUMBER_FMT,
                         (LUAI_UACNUMBER)lua_tonumber(L, i));
            luaL_addstring(&b, num);
        } else {
            size_t len;
            const char *s = luaL_checklstring(L, i, &len);
            luaL_addlstring(&b, s, len);
        }
    }
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    ll_host_write(h, "stdout", s, len);
    lua_getglobal(L, "io");
    lua_getfield(L, -1, "stdout");
    return 1;
}

static int l_display(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        ll_display d = {0};
        if (ll_host_display_at(h, L, i, &d) != LL_OK)
            return luaL_error(L, "display: out of memory");
        ll_host_emit_display(h, &d);
        ll_display_free(&d);
    }
    return 0;
}

/* ---- display handles (Jupyter's display(x, display_id=True)) ---- */

#define HANDLE_MT "lualab.DisplayHandle"

typedef struct dhandle {
    uint64_t epoch; /* the host's display_epoch when it was made */
    char id[32];    /* "ll-1" */
} dhandle;

/* Show the value at idx as version `update` of the display `id`. */
static void show_versioned(lua_State *L, ll_host *h, int idx, const char *id,
                           int update)
{
    ll_display d = {0};
    if (ll_host_display_at(h, L, idx, &d) != LL_OK)
        luaL_error(L, "display: out of memory");
    d.display_id = ll_strdup(id);
    d.update = update;
    int rc = d.display_id ? ll_host_emit_display(h, &d) : LL_ENOMEM;
    ll_display_free(&d);
    if (rc != LL_OK)
        luaL_error(L, "display: out of memory");
}

static int l_lualab_display(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    luaL_checkany(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const known[] = {"update", NULL};
    ll_lua_check_opts(L, 2, "lualab.display", known);
    int update = lua_istable(L, 2) && ll_opt_bool(L, 2, "update", 0);
    if (!update) {
        lua_settop(L, 1);
        return l_display(L);
    }
    dhandle *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->epoch = h->display_epoch;
    snprintf(u->id, sizeof u->id, "ll-%llu",
             (unsigned long long)++h->next_display);
    luaL_setmetatable(L, HANDLE_MT);
    show_versioned(L, h, 1, u->id, 0);
    return 1;
}

static int l_handle_update(lua_State *L)
{
    dhandle *u = luaL_checkudata(L, 1, HANDLE_MT);
    luaL_checkany(L, 2);
    ll_host *h = ll_host_from_lua(L);
    if (u->epoch != h->display_epoch)
        return luaL_error(L,
                          "update: display %s belongs to a cell that has "
                          "ended; show a new one with lualab.display(x, "
                          "{update = true})",
                          u->id);
    show_versioned(L, h, 2, u->id, 1);
    return 0;
}

static int l_handle_index(lua_State *L)
{
    dhandle *u = luaL_checkudata(L, 1, HANDLE_MT);
    const char *k = luaL_checkstring(L, 2);
    ll_host *h = ll_host_from_lua(L);
    if (strcmp(k, "update") == 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, HANDLE_MT);
        lua_getfield(L, -1, "update");
    } else if (strcmp(k, "id") == 0) {
        lua_pushstring(L, u->id);
    } else if (strcmp(k, "live") == 0) {
        lua_pushboolean(L, h->has_sink && h->sink.live &&
                               u->epoch == h->display_epoch);
    } else if (strcmp(k, "active") == 0) {
        lua_pushboolean(L, u->epoch == h->display_epoch);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int l_handle_tostring(lua_State *L)
{
    dhandle *u = luaL_checkudata(L, 1, HANDLE_MT);
    lua_pushfstring(L, "DisplayHandle(%s)", u->id);
    return 1;
}

static int l_display_live(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    lua_pushboolean(L, h->has_sink && h->sink.live);
    return 1;
}

static void open_handles(lua_State *L)
{
    luaL_newmetatable(L, HANDLE_MT);
    lua_pushcfunction(L, l_handle_update);
    ll_lua_setdoc(L, -1,
                  "h:update(x) -- Replace the output h shows with x, in "
                  "place (while the cell that made h runs).");
    lua_setfield(L, -2, "update");
    lua_pushcfunction(L, l_handle_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_handle_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}

/* Resolve "df.read_csv" or "Frame:head" style names from _G. */
/* t[k] for the table or value t and key k on the stack (the help lookup
 * runs it protected: a Frame's __index raises for a missing column). */
static int get_field(lua_State *L)
{
    lua_gettable(L, 1);
    return 1;
}

static int resolve_name(lua_State *L, const char *name)
{
    lua_pushglobaltable(L);
    const char *p = name;
    while (*p) {
        const char *dot = p + strcspn(p, ".:");
        int found = 0;
        if (lua_type(L, -1) != LUA_TTABLE) {
            /* A value's methods first: its class's __methods (a Frame,
             * whose __index is a function that finds columns). */
            if (luaL_getmetafield(L, -1, "__methods") == LUA_TTABLE) {
                lua_pushlstring(L, p, (size_t)(dot - p));
                if (lua_rawget(L, -2) != LUA_TNIL) {
                    lua_remove(L, -2);
                    lua_remove(L, -2);
                    found = 1;
                } else {
                    lua_pop(L, 2);
                }
            }
        }
        if (!found) {
            if (lua_type(L, -1) != LUA_TTABLE &&
                luaL_getmetafield(L, -1, "__index") == LUA_TNIL) {
                lua_pop(L, 1);
                return 0;
            } else if (lua_type(L, -1) != LUA_TTABLE) {
                lua_pop(L, 1); /* the __index found above */
            }
            lua_pushcfunction(L, get_field);
            lua_insert(L, -2);
            lua_pushlstring(L, p, (size_t)(dot - p));
            if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
                lua_pop(L, 1);
                return 0;
            }
        }
        if (*dot == '\0')
            break;
        p = dot + 1;
    }
    return 1;
}

static int l_help(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    if (lua_gettop(L) == 0) {
        static const char intro[] =
            "lualab: Lua 5.4 with dataframes, tensors, plots and tracking.\n"
            "help(f) or ?name shows what a function does; modules: df, nn,\n"
            "keras, plot, mlflow, datasets (where built).  See `man lualab`.\n";
        ll_host_write(h, "stdout", intro, sizeof intro - 1);
        return 0;
    }
    const char *name = "x";
    if (lua_type(L, 1) == LUA_TSTRING) {
        name = lua_tostring(L, 1);
        lua_pushvalue(L, 1); /* keeps the name alive below */
        if (!resolve_name(L, name) || lua_isnil(L, -1))
            return luaL_error(L, "help: no such name '%s'", name);
        lua_replace(L, 1);
    }
    const char *doc = ll_host_doc(L, 1);
    if (!doc && lua_type(L, 1) == LUA_TTABLE) {
        lua_getfield(L, 1, "__doc");
        doc = lua_tostring(L, -1);
    }
    /* A value of a named type (a Frame, a Tensor, a module) has no doc
     * string of its own: say what it is, as IPython's ?x shows the type.
     * The name stays on the stack while the buffer is built. */
    const char *tname = NULL;
    if (!doc && luaL_getmetafield(L, 1, "__name") != LUA_TNIL)
        tname = lua_tostring(L, -1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (doc) {
        luaL_addstring(&b, doc);
    } else if (tname) {
        if (strncmp(tname, "lualab.", 7) == 0)
            tname += 7;
        luaL_addstring(&b, "a ");
        luaL_addstring(&b, tname);
        luaL_addstring(&b, " value, without a doc string of its own; ?");
        luaL_addstring(&b, name);
        luaL_addstring(&b, ".method documents its methods");
    } else {
        luaL_addstring(&b, "no documentation");
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    ll_host_write(h, "stdout", s, len);
    return 0;
}

const char *ll_host_doc(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "lualab.docs") != LUA_TTABLE) {
        lua_pop(L, 1);
        return NULL;
    }
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    const char *doc = lua_tostring(L, -1);
    /* The docs table keeps the string alive while the function lives. */
    lua_pop(L, 2);
    return doc;
}

/* lualab.check_opts(fname, opts, known [, level]): the one option check for
 * the Lua layers (nn, keras, plot, mlflow), the same as the bindings'
 * ll_lua_check_opts.  known is a list of names or a set (name -> true);
 * level names the function whose caller is blamed, as error()'s does. */
static int l_check_opts(lua_State *L)
{
    const char *fname = luaL_checkstring(L, 1);
    luaL_checktype(L, 3, LUA_TTABLE);
    int level = (int)luaL_optinteger(L, 4, 2);
    if (lua_isnoneornil(L, 2)) {
        lua_newtable(L);
        return 1;
    }
    if (lua_type(L, 2) != LUA_TTABLE) {
        luaL_where(L, level);
        lua_pushfstring(L, "%s%s: options table expected, got %s",
                        lua_tostring(L, -1), fname, luaL_typename(L, 2));
        return lua_error(L);
    }
    /* The known names as a C array for ll_suggest. */
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, 3)) {
        lua_pop(L, 1);
        n++;
    }
    const char **names =
        lua_newuserdatauv(L, sizeof *names * (size_t)(n + 1), 0);
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, 3)) {
        if (lua_type(L, -2) == LUA_TSTRING)
            names[k++] = lua_tostring(L, -2);
        else if (lua_type(L, -1) == LUA_TSTRING)
            names[k++] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    names[k] = NULL;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            continue;
        const char *key = lua_tostring(L, -1);
        int found = 0;
        for (int i = 0; i < k && !found; i++)
            found = !strcmp(names[i], key);
        if (found)
            continue;
        const char *best = ll_suggest(key, (const char *const *)names, k);
        luaL_where(L, level);
        if (best)
            lua_pushfstring(L, "%s%s: unknown option '%s' (did you mean '%s'?)",
                            lua_tostring(L, -1), fname, key, best);
        else
            lua_pushfstring(L, "%s%s: unknown option '%s'", lua_tostring(L, -1),
                            fname, key);
        return lua_error(L);
    }
    lua_settop(L, 2);
    return 1;
}

static int l_doc(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_isnone(L, 2)) { /* lualab.doc(f): the doc string or nil */
        const char *d = ll_host_doc(L, 1);
        if (d)
            lua_pushstring(L, d);
        else
            lua_pushnil(L);
        return 1;
    }
    const char *doc = luaL_checkstring(L, 2);
    ll_lua_setdoc(L, 1, doc);
    lua_settop(L, 1);
    return 1;
}

/* lualab.progress{label=, done=, total=, metrics=, unit=, depth=,
 * finished=} or lualab.progress(label, done, total [, metrics]).  metrics
 * may be a string or a table of name -> number. */
static int l_progress(lua_State *L)
{
    ll_progress p;
    memset(&p, 0, sizeof p);
    int metrics_idx = 0;
    if (lua_type(L, 1) == LUA_TTABLE) {
        p.label = ll_opt_str(L, 1, "label", "");
        p.done = ll_opt_num(L, 1, "done", 0);
        p.total = ll_opt_num(L, 1, "total", 0);
        p.unit = ll_opt_str(L, 1, "unit", NULL);
        p.depth = (int)ll_opt_int(L, 1, "depth", 0);
        p.finished =
            ll_opt_bool(L, 1, "finished", p.total > 0 && p.done >= p.total);
        lua_getfield(L, 1, "metrics");
        metrics_idx = lua_gettop(L);
    } else {
        p.label = luaL_checkstring(L, 1);
        p.done = luaL_checknumber(L, 2);
        p.total = luaL_optnumber(L, 3, 0);
        metrics_idx = 4;
        p.finished = p.total > 0 && p.done >= p.total;
    }
    luaL_Buffer b;
    int have_metrics = 0;
    if (lua_type(L, metrics_idx) == LUA_TSTRING) {
        p.metrics = lua_tostring(L, metrics_idx);
    } else if (lua_type(L, metrics_idx) == LUA_TTABLE) {
        /* Sorted by name so the line is stable. */
        lua_newtable(L);
        int keys = lua_gettop(L);
        int nk = 0;
        lua_pushnil(L);
        while (lua_next(L, metrics_idx)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING) {
                lua_pushvalue(L, -1);
                lua_rawseti(L, keys, ++nk);
            }
        }
        lua_getglobal(L, "table");
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, keys);
        lua_call(L, 1, 0);
        lua_pop(L, 1);
        luaL_buffinit(L, &b);
        for (int i = 1; i <= nk; i++) {
            lua_rawgeti(L, keys, i);
            const char *k = lua_tostring(L, -1);
            lua_pop(L, 1);
            lua_getfield(L, metrics_idx, k);
            char num[64];
            snprintf(num, sizeof num, "%.4g", lua_tonumber(L, -1));
            lua_pop(L, 1);
            if (i > 1)
                luaL_addchar(&b, ' ');
            luaL_addstring(&b, k);
            luaL_addchar(&b, ' ');
            luaL_addstring(&b, num);
        }
        luaL_pushresult(&b);
        p.metrics = lua_tostring(L, -1);
        have_metrics = 1;
    }
    (void)have_metrics;
    ll_progress_report(&p);
    return 0;
}

/* Lua's warn() and lua_warning() (CSV reader warnings, say) go to the
 * cell's stderr stream, so they land in the output and never write over a
 * curses screen.  On by default; "@off" / "@on" switch them. */
static void on_warning(void *ud, const char *msg, int tocont)
{
    ll_host *h = ud;
    if (!tocont && h->warning.len == 0 && msg[0] == '@') {
        if (strcmp(msg, "@off") == 0)
            h->warnings_off = 1;
        else if (strcmp(msg, "@on") == 0)
            h->warnings_off = 0;
        return;
    }
    ll_buf_puts(&h->warning, msg);
    if (tocont)
        return;
    if (!h->warnings_off) {
        ll_host_write(h, "stderr", "warning: ", 9);
        ll_host_write(h, "stderr", ll_buf_str(&h->warning), h->warning.len);
        if (h->warning.len == 0 || h->warning.data[h->warning.len - 1] != '\n')
            ll_host_write(h, "stderr", "\n", 1);
    }
    ll_buf_reset(&h->warning);
}

void ll_host_open_base(lua_State *L)
{
    lua_setwarnf(L, on_warning, ll_host_from_lua(L));
    open_handles(L);
    static const ll_lua_fn base[] = {
        {"print", l_print,
         "print(...) -- Write the values to the cell's output, tab-separated."},
        {"display", l_display,
         "display(x, ...) -- Show values now, as a cell's last expression "
         "would be."},
        {"help", l_help,
         "help([f | \"name\"]) -- Print the doc string of a function."},
        {NULL, NULL, NULL}};
    lua_pushglobaltable(L);
    ll_lua_setfuncs(L, NULL, base);
    lua_pop(L, 1);

    lua_getglobal(L, "io");
    lua_pushcfunction(L, l_io_write);
    ll_lua_setdoc(L, -1,
                  "io.write(...) -- Write strings or numbers to the "
                  "cell's output.");
    lua_setfield(L, -2, "write");
    lua_pop(L, 1);

    static const ll_lua_fn lualab_fns[] = {
        {"display", l_lualab_display,
         "display(x [, {update = true}]) -> handle -- Show x now; with "
         "update = true return a handle whose h:update(y) replaces that "
         "output in place while the cell runs (Jupyter's display_id): the "
         "notebook and a terminal redraw it, a saved notebook keeps the "
         "final version.  h.id is its id, h.live tells whether the front "
         "end redraws it on screen."},
        {"display_live", l_display_live,
         "display_live() -> boolean -- Whether the front end redraws "
         "updated displays on screen while the cell runs (the curses "
         "notebook, a terminal); false headless."},
        {"progress", l_progress,
         "progress{label=, done=, total=, metrics=, depth=, "
         "finished=} -- Report progress to the front end; each further "
         "line of metrics (after a newline) is drawn as a row below the "
         "bar."},
        {"doc", l_doc,
         "doc(f, text) -> f -- Register a one-line doc string for f; "
         "lualab.doc(f) returns it (nil when f has none)."},
        {"help", l_help, "help(f) -- Same as help(f)."},
        {"check_opts", l_check_opts,
         "check_opts(fname, opts, known [, level=2]) -> opts -- Raise "
         "\"fname: unknown option 'x' (did you mean 'y'?)\" for a key of opts "
         "not in known (a list or set of names)."},
        {NULL, NULL, NULL}};
    lua_newtable(L);
    ll_lua_setfuncs(L, "lualab", lualab_fns);
    lua_pushstring(L, PACKAGE_VERSION);
    lua_setfield(L, -2, "version");
    lua_setglobal(L, "lualab");
}
