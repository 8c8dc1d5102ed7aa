/*
 * host: the kernel.  See host.h for the contract.
 *
 * Modules come from two generated tables: gen/registry.h lists the C
 * modules (LL_MODULE(name) -> luaopen_lualab_<name>) and gen/lua_embed.inc
 * the Lua files under lua/.  Each is preloaded as "lualab.<name>"; every
 * module whose name has no leading underscore is also set as a global.
 */
#include "config.h"

#include "util/buf.h"
#include "host/host.h"
#include "host/host_int.h"
#include "host/lua_util.h"

#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define LL_MODULE(name) int luaopen_lualab_##name(lua_State *L);
#define LL_COMMAND(name)
#include "gen/registry.h"
#undef LL_MODULE
#undef LL_COMMAND

struct ll_embedded {
    const char *module;
    const char *chunkname;
    const char *data;
    size_t len;
};
#include "gen/lua_embed.inc"

static const struct {
    const char *name;
    lua_CFunction open;
} c_modules[] = {
#define LL_MODULE(name) {#name, luaopen_lualab_##name},
#define LL_COMMAND(name)
#include "gen/registry.h"
#undef LL_MODULE
#undef LL_COMMAND
    {NULL, NULL}};

void ll_display_free(ll_display *d)
{
    if (!d)
        return;
    free(d->text);
    free(d->ansi);
    free(d->svg);
    free(d->kind);
    free(d->display_id);
    memset(d, 0, sizeof *d);
}

void ll_cell_result_free(ll_cell_result *r)
{
    if (!r)
        return;
    ll_display_free(&r->value);
    free(r->ename);
    free(r->evalue);
    free(r->traceback);
    memset(r, 0, sizeof *r);
}

/* ---- module loading ---- */

static int load_embedded(lua_State *L)
{
    const struct ll_embedded *e =
        &ll_embedded_files[lua_tointeger(L, lua_upvalueindex(1))];
    if (luaL_loadbuffer(L, e->data, e->len, e->chunkname) != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, 1); /* module name, as require passes it */
    lua_call(L, 1, 1);
    return 1;
}

static void preload_modules(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    for (int i = 0; c_modules[i].name; i++) {
        lua_pushcfunction(L, c_modules[i].open);
        lua_pushfstring(L, "lualab.%s", c_modules[i].name);
        lua_insert(L, -2);
        lua_settable(L, -3);
    }
    for (int i = 0; ll_embedded_files[i].module; i++) {
        lua_pushinteger(L, i);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, ll_embedded_files[i].module);
    }
    lua_pop(L, 1);
}

/* _G's __index: a module global is loaded on first use, so start-up pays
 * only for the modules a script touches.  lualab.modules (name -> module)
 * lists them all, for completion and help. */
static int lazy_global(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "lualab.lazy");
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TSTRING)
        return 0;
    lua_getglobal(L, "require");
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

static void add_lazy(lua_State *L, int lazy, int listed, const char *name,
                     const char *mod)
{
    lua_pushstring(L, mod);
    lua_setfield(L, lazy, name);
    lua_pushstring(L, mod);
    lua_setfield(L, listed, name);
}

static int set_module_globals(lua_State *L, ll_err *err)
{
    (void)err;
    lua_newtable(L);
    int lazy = lua_gettop(L);
    lua_getglobal(L, "lualab");
    lua_newtable(L);
    int listed = lua_gettop(L);
    for (int i = 0; c_modules[i].name; i++) {
        const char *name = c_modules[i].name;
        if (name[0] == '_')
            continue;
        char mod[256];
        snprintf(mod, sizeof mod, "lualab.%s", name);
        add_lazy(L, lazy, listed, name, mod);
    }
    for (int i = 0; ll_embedded_files[i].module; i++) {
        const char *m = ll_embedded_files[i].module;
        if (strncmp(m, "lualab.", 7) != 0)
            continue;
        const char *name = m + 7;
        if (name[0] == '_' || strchr(name, '.'))
            continue;
        add_lazy(L, lazy, listed, name, m);
    }
    lua_setfield(L, -2, "modules");
    lua_pop(L, 1); /* lualab */
    lua_setfield(L, LUA_REGISTRYINDEX, "lualab.lazy");
    lua_pushglobaltable(L);
    lua_newtable(L);
    lua_pushcfunction(L, lazy_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    return LL_OK;
}

static void set_arg_table(lua_State *L, int argc, char **argv)
{
    lua_createtable(L, argc > 0 ? argc - 1 : 0, 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_setglobal(L, "arg");
}

/* os.exit in a notebook kernel: record the code and stop the cell. */
static int trapped_exit(lua_State *L)
{
    ll_host *h = ll_host_from_lua(L);
    int code;
    if (lua_isboolean(L, 1))
        code = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
    else
        code = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
    if (h) {
        h->exit_requested = 1;
        h->exit_code = code;
    }
    /* Yielding the cell's own thread unwinds through pcall; elsewhere
     * (a coroutine of the cell, a C callback) raise an error. */
    if (h && L == h->running && lua_isyieldable(L))
        return lua_yield(L, 0);
    return luaL_error(L, "os.exit(%d) called in a cell", code);
}

static void install_exit_trap(lua_State *L)
{
    lua_getglobal(L, "os");
    if (lua_istable(L, -1)) {
        lua_pushcfunction(L, trapped_exit);
        lua_setfield(L, -2, "exit");
    }
    lua_pop(L, 1);
}

void ll_host_trap_exit(ll_host *h, int on)
{
    h->trap_exit = on != 0;
    if (!h->L)
        return;
    if (on) {
        install_exit_trap(h->L);
    } else {
        /* A fresh os library table holds lua's own exit. */
        lua_pushcfunction(h->L, luaopen_os);
        lua_call(h->L, 0, 1);
        lua_getfield(h->L, -1, "exit");
        lua_getglobal(h->L, "os");
        if (lua_istable(h->L, -1)) {
            lua_insert(h->L, -2);
            lua_setfield(h->L, -2, "exit");
            lua_pop(h->L, 1);
        } else {
            lua_pop(h->L, 2);
        }
        lua_pop(h->L, 1);
    }
}

static int open_state(ll_host *h, ll_err *err)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return ll_err_set(err, LL_ENOMEM, "cannot create a Lua state");
    h->L = L;
    luaL_openlibs(L);
    lua_pushlightuserdata(L, h);
    lua_setfield(L, LUA_REGISTRYINDEX, LL_HOST_KEY);
    set_arg_table(L, h->argc, h->argv);
    if (h->trap_exit)
        install_exit_trap(L);
    ll_host_open_base(L);
    preload_modules(L);
    int rc = set_module_globals(L, err);
    if (rc != LL_OK) {
        lua_close(L);
        h->L = NULL;
        return rc;
    }
    return LL_OK;
}

ll_host *ll_host_new(int argc, char **argv, ll_err *err)
{
    ll_host *h = calloc(1, sizeof *h);
    if (!h) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    h->argc = argc;
    h->argv = argv;
    h->dopts.width = 80;
    if (open_state(h, err) != LL_OK) {
        free(h);
        return NULL;
    }
    ll_progress_set_handler(ll_host_progress_dispatch, h);
    return h;
}

void ll_host_free(ll_host *h)
{
    if (!h)
        return;
    ll_host_release_signals(h);
    ll_progress_set_handler(NULL, NULL);
    if (h->L)
        lua_close(h->L);
    for (int i = 0; i < h->nheld; i++)
        ll_display_free(&h->held[i]);
    free(h->held);
    ll_buf_free(&h->warning);
    free(h);
}

int ll_host_restart(ll_host *h, ll_err *err)
{
    lua_State *old = h->L;
    h->L = NULL;
    if (old)
        lua_close(old);
    return open_state(h, err);
}

lua_State *ll_host_lua(ll_host *h)
{
    return h->L;
}

ll_host *ll_host_from_lua(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LL_HOST_KEY);
    ll_host *h = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return h;
}

void ll_host_set_sink(ll_host *h, const ll_sink *sink)
{
    if (sink) {
        h->sink = *sink;
        h->has_sink = 1;
    } else {
        memset(&h->sink, 0, sizeof h->sink);
        h->has_sink = 0;
    }
}

void ll_host_set_display_opts(ll_host *h, const ll_display_opts *o)
{
    h->dopts = *o;
    if (h->dopts.width <= 0)
        h->dopts.width = 80;
}

void ll_host_progress_dispatch(void *ud, const ll_progress *p)
{
    ll_host *h = ud;
    if (h && h->has_sink && h->sink.progress)
        h->sink.progress(h->sink.ud, p);
}

/* ---- running chunks ---- */

/* Message handler: the message plus a traceback without host frames. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)",
                                  luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    /* Drop the trailing "[C]: in ?" frame of the host's own pcall. */
    size_t len;
    const char *tb = lua_tolstring(L, -1, &len);
    const char *tail = "\n\t[C]: in ?";
    size_t tl = strlen(tail);
    if (len >= tl && memcmp(tb + len - tl, tail, tl) == 0) {
        lua_pushlstring(L, tb, len - tl);
        lua_remove(L, -2);
    }
    return 1;
}

/* *traceback = a copy of "message\nstack traceback:..." tb, *evalue = a copy
 * of its message part (either NULL when out of memory). */
static void split_traceback(const char *tb, char **evalue, char **traceback)
{
    *traceback = ll_strdup(tb);
    const char *nl = strstr(tb, "\nstack traceback:");
    size_t n = nl ? (size_t)(nl - tb) : strlen(tb);
    *evalue = malloc(n + 1);
    if (*evalue) {
        memcpy(*evalue, tb, n);
        (*evalue)[n] = '\0';
    }
}

/* Call the function at the top with nargs below it; on error leave
 * "message\ntraceback" on the stack and also fill *evalue. */
static int run_protected(ll_host *h, int nargs, int nres, char **evalue,
                         char **traceback)
{
    lua_State *L = h->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    ll_host_arm_timeout(h);
    int status = lua_pcall(L, nargs, nres, base);
    ll_host_disarm_timeout(h);
    lua_remove(L, base);
    if (status != LUA_OK) {
        const char *tb = lua_tostring(L, -1);
        if (!tb)
            tb = "(error object is not a string)";
        split_traceback(tb, evalue, traceback);
        lua_pop(L, 1);
    }
    return status;
}

/* Does `return <suffix>` compile on its own? */
static int compiles(lua_State *L, const char *code, size_t len,
                    const char *name)
{
    int ok = luaL_loadbuffer(L, code, len, name) == LUA_OK;
    lua_pop(L, 1);
    return ok;
}

/*
 * Jupyter's displayhook for Lua: find the last statement that is an
 * expression and compile "return <it>" in its place.  We try line starts
 * from the end: the suffix must compile alone as "return <suffix>" and the
 * whole cell with "return " inserted must compile too.  Line numbers are
 * unchanged because "return " is inserted within a line.  Leaves the
 * chunk on the stack and returns 1 (expression) or 0 (plain chunk); on a
 * syntax error leaves the message and returns -1.
 */
static int compile_cell(lua_State *L, const char *code, size_t len,
                        const char *chunkname)
{
    ll_buf b;
    ll_buf_init(&b);
    /* Offsets of line starts, from the end; at most 40 lines back. */
    size_t end = len;
    while (end > 0 && (code[end - 1] == '\n' || code[end - 1] == ' ' ||
                       code[end - 1] == '\t' || code[end - 1] == '\r'))
        end--;
    int tries = 0;
    for (size_t pos = end; tries < 40;) {
        size_t start = pos;
        while (start > 0 && code[start - 1] != '\n')
            start--;
        tries++;
        /* A blank or comment-only line cannot start the expression (and
         * "return -- note" would compile as a bare return). */
        size_t first = start;
        while (first < len && (code[first] == ' ' || code[first] == '\t'))
            first++;
        int skip =
            first >= len || code[first] == '\n' || code[first] == '\r' ||
            (code[first] == '-' && first + 1 < len && code[first + 1] == '-');
        ll_buf_reset(&b);
        if (!skip && ll_buf_puts(&b, "return ") == LL_OK &&
            ll_buf_append(&b, code + start, len - start) == LL_OK &&
            compiles(L, b.data, b.len, chunkname)) {
            /* "return f(x)" would be a tail call: the cell's frame would
             * leave the stack and an error raised for the caller's
             * mistake inside f could not name the cell's line.  Passing
             * the expression to an identity function keeps every value
             * and evaluates it in the cell's own frame.  The closing
             * parenthesis goes on a line of its own, after any trailing
             * comment; without it (say "x;") the plain return is used. */
            for (int wrap = 1; wrap >= 0; wrap--) {
                ll_buf_reset(&b);
                if (ll_buf_append(&b, code, start) == LL_OK &&
                    ll_buf_puts(&b, wrap ? "return (function(...) return "
                                           "... end)("
                                         : "return ") == LL_OK &&
                    ll_buf_append(&b, code + start, len - start) == LL_OK &&
                    (!wrap || ll_buf_puts(&b, "\n)") == LL_OK)) {
                    if (luaL_loadbuffer(L, b.data, b.len, chunkname) ==
                        LUA_OK) {
                        ll_buf_free(&b);
                        return 1;
                    }
                    lua_pop(L, 1);
                }
            }
        }
        if (start == 0)
            break;
        pos = start - 1;
    }
    ll_buf_free(&b);
    if (luaL_loadbuffer(L, code, len, chunkname) == LUA_OK)
        return 0;
    return -1;
}

/* Run the chunk at the top of L in a fresh coroutine.  On success the
 * results replace the chunk on L's stack.  On error fills evalue and
 * traceback.  Returns a LUA_* status, or LUA_YIELD when interrupted. */
static int run_in_thread(ll_host *h, char **evalue, char **traceback)
{
    lua_State *L = h->L;
    lua_State *co = lua_newthread(L);
    lua_insert(L, -2);
    lua_xmove(L, co, 1);
    h->running = co;
    h->stop_where[0] = '\0';
    ll_host_start_tick(h, co);
    if (ll_interrupt_requested)
        ll_host_interrupt(h);
    ll_host_arm_timeout(h);
    int nres = 0;
    int status = lua_resume(co, L, 0, &nres);
    ll_host_disarm_timeout(h);
    h->running = NULL;
    if (status == LUA_OK) {
        lua_xmove(co, L, nres);
        lua_remove(L, -nres - 1); /* the thread */
        return LUA_OK;
    }
    if (status == LUA_YIELD && h->exit_requested) {
        status = LUA_ERRRUN;
        lua_pushfstring(L, "os.exit(%d) called in a cell", h->exit_code);
        luaL_traceback(L, co, lua_tostring(L, -1), 0);
        lua_remove(L, -2);
    } else if (status == LUA_YIELD) {
        const char *msg = h->stop_where[0]
                              ? h->stop_where
                              : "attempt to yield from the top of a cell";
        if (!ll_interrupt_requested)
            status = LUA_ERRRUN;
        luaL_traceback(L, co, msg, 0);
    } else {
        const char *msg = lua_tostring(co, -1);
        if (!msg) {
            if (luaL_callmeta(co, -1, "__tostring") &&
                lua_type(co, -1) == LUA_TSTRING)
                msg = lua_tostring(co, -1);
            else
                msg = lua_pushfstring(co, "(error object is a %s value)",
                                      luaL_typename(co, -1));
        }
        luaL_traceback(L, co, msg, 0);
    }
    const char *tb = lua_tostring(L, -1);
    split_traceback(tb, evalue, traceback);
    lua_pop(L, 1);
    /* Close pending to-be-closed variables of the dead cell. */
    lua_resetthread(co);
    lua_pop(L, 1);
    return status;
}

int ll_host_run_cell(ll_host *h, const char *code, size_t len, const char *name,
                     ll_cell_result *res)
{
    lua_State *L = h->L;
    memset(res, 0, sizeof *res);
    double t0 = ll_monotonic();
    char chunkname[256];
    snprintf(chunkname, sizeof chunkname, "=%s", name ? name : "cell");
    int top = lua_gettop(L);
    ll_interrupt_requested = 0;
    h->exit_requested = 0;
    int expr = compile_cell(L, code, len, chunkname);
    if (expr < 0) {
        res->status = LL_CELL_SYNTAX;
        res->ename = ll_strdup("SyntaxError");
        res->evalue = ll_strdup(lua_tostring(L, -1));
        res->traceback = ll_strdup(lua_tostring(L, -1));
        lua_settop(L, top);
        res->seconds = ll_monotonic() - t0;
        return res->status;
    }
    int status = run_in_thread(h, &res->evalue, &res->traceback);
    if (h->exit_requested) {
        /* Even when a pcall caught the error form, the cell asked to end. */
        res->status = LL_CELL_ERROR;
        res->ename = ll_strdup("SystemExit");
        res->exit_requested = 1;
        res->exit_code = h->exit_code;
        h->exit_requested = 0;
        if (status == LUA_OK) {
            char msg[64];
            snprintf(msg, sizeof msg, "os.exit(%d) called in a cell",
                     res->exit_code);
            res->evalue = ll_strdup(msg);
            res->traceback = ll_strdup(msg);
        }
    } else if (status != LUA_OK) {
        if (ll_interrupt_requested == LL_INTERRUPT_TIMEOUT) {
            res->status = LL_CELL_TIMEOUT;
            res->ename = ll_strdup("TimeoutError");
        } else if (ll_interrupt_requested) {
            res->status = LL_CELL_INTERRUPTED;
            res->ename = ll_strdup("Interrupted");
        } else {
            res->status = LL_CELL_ERROR;
            res->ename = ll_strdup("LuaError");
        }
    } else if (expr && lua_gettop(L) > top) {
        int n = lua_gettop(L) - top;
        int shown = 0;
        ll_buf text;
        ll_buf_init(&text);
        for (int i = 1; i <= n; i++) {
            if (n == 1 && lua_isnil(L, top + i))
                break;
            ll_display d = {0};
            if (ll_host_display_value(h, top + i, &d) != LL_OK)
                continue;
            if (shown == 0) {
                res->value = d;
            } else {
                if (shown == 1)
                    ll_buf_puts(&text, res->value.text ? res->value.text : "");
                ll_buf_putc(&text, '\t');
                ll_buf_puts(&text, d.text ? d.text : "");
                ll_display_free(&d);
            }
            shown++;
        }
        if (shown > 1) {
            free(res->value.text);
            res->value.text = ll_buf_take(&text);
            free(res->value.ansi);
            res->value.ansi = NULL;
        }
        ll_buf_free(&text);
        res->has_value = shown > 0;
    }
    lua_settop(L, top);
    ll_interrupt_requested = 0;
    ll_host_flush_displays(h);
    res->seconds = ll_monotonic() - t0;
    return res->status;
}

/* "lualab: message" on stderr, through the sink when there is one (so a
 * progress bar on the terminal is ended first). */
static void report_error(ll_host *h, const char *msg)
{
    ll_host_write(h, "stderr", "lualab: ", 8);
    ll_host_write(h, "stderr", msg, strlen(msg));
    ll_host_write(h, "stderr", "\n", 1);
    fflush(stderr);
}

int ll_host_run_string(ll_host *h, const char *code, size_t len)
{
    lua_State *L = h->L;
    if (luaL_loadbuffer(L, code, len, "=(command line)") != LUA_OK) {
        fprintf(stderr, "lualab: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 1;
    }
    char *evalue = NULL, *tb = NULL;
    int status = run_protected(h, 0, 0, &evalue, &tb);
    ll_host_flush_displays(h);
    if (status != LUA_OK)
        report_error(h, tb ? tb : "error");
    free(evalue);
    free(tb);
    return status == LUA_OK ? 0 : 1;
}

int ll_host_run_script(ll_host *h, const char *path)
{
    lua_State *L = h->L;
    int status;
    if (path && strcmp(path, "-") != 0)
        status = luaL_loadfile(L, path);
    else
        status = luaL_loadfile(L, NULL);
    if (status != LUA_OK) {
        fprintf(stderr, "lualab: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 1;
    }
    /* Script arguments are arg[1..n], also passed as ... */
    int nargs = 0;
    for (int i = 1; i < h->argc; i++) {
        lua_pushstring(L, h->argv[i]);
        nargs++;
    }
    char *evalue = NULL, *tb = NULL;
    status = run_protected(h, nargs, 0, &evalue, &tb);
    ll_host_flush_displays(h);
    if (status != LUA_OK)
        report_error(h, tb ? tb : "error");
    free(evalue);
    free(tb);
    return status == LUA_OK ? 0 : 1;
}
