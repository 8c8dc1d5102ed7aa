/*
 * lua_frame: the `df` module.  Frames, Columns and GroupBys are userdata
 * holding C handles; nothing big crosses into Lua.  Every handle is created
 * empty before the C object is made, so a Lua error never leaks one; core
 * errors are raised only once no C memory is held by the caller.
 * Misuse raises; read_csv's expected failures return nil, message.
 */
#define _POSIX_C_SOURCE 200809L
#include <lua.h>
#include <lauxlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/frame.h"
#include "frame/frame_int.h"
#include "frame/lua_frame.h"
#include "host/lua_util.h"
#include "nn/lua_nn.h"
#include "nn/tensor.h"

#define FRAME_MT LL_FRAME_MT
#define COLUMN_MT LL_COLUMN_MT
#define GROUP_MT "lualab.GroupBy"
#define NA_MT "lualab.NA"

typedef struct lframe {
    ll_frame *f;
} lframe;

typedef struct lcol {
    ll_column *c;
    char name[128];
} lcol;

typedef struct lgroup {
    ll_frame *f;
    int nkeys;
    char keys[16][128];
} lgroup;

/* --- handles --- */

static lframe *new_frame_ud(lua_State *L)
{
    lframe *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->f = NULL;
    luaL_setmetatable(L, FRAME_MT);
    return u;
}

static lcol *new_col_ud(lua_State *L, const char *name)
{
    lcol *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->c = NULL;
    snprintf(u->name, sizeof u->name, "%s", name ? name : "");
    luaL_setmetatable(L, COLUMN_MT);
    return u;
}

static ll_frame *check_frame(lua_State *L, int idx)
{
    lframe *u = luaL_checkudata(L, idx, FRAME_MT);
    if (!u->f)
        luaL_error(L, "attempt to use a closed Frame");
    return u->f;
}

static lcol *check_lcol(lua_State *L, int idx)
{
    lcol *u = luaL_checkudata(L, idx, COLUMN_MT);
    if (!u->c)
        luaL_error(L, "attempt to use a closed Column");
    return u;
}

static ll_column *check_col(lua_State *L, int idx)
{
    return check_lcol(L, idx)->c;
}

/* --- the public face (lua_frame.h) --- */

ll_frame *ll_lua_check_frame(lua_State *L, int idx)
{
    return check_frame(L, idx);
}

ll_frame *ll_lua_test_frame(lua_State *L, int idx)
{
    if (!luaL_testudata(L, idx, FRAME_MT))
        return NULL;
    return check_frame(L, idx);
}

ll_frame **ll_lua_new_frame(lua_State *L)
{
    return &new_frame_ud(L)->f;
}

ll_column *ll_lua_check_column(lua_State *L, int idx)
{
    return check_col(L, idx);
}

ll_column **ll_lua_new_column(lua_State *L, const char *name)
{
    return &new_col_ud(L, name)->c;
}

/* Set the frame made by a core call into u, or raise its error. */
/* Sort the array of names at index names in place with table.sort. */
static void sort_names(lua_State *L, int names)
{
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, names);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
}

static int give_frame(lua_State *L, lframe *u, ll_frame *f, ll_err *err)
{
    if (!f) {
        if (!err->msg[0])
            ll_err_set(err, LL_ENOMEM, "out of memory");
        return ll_lua_raise(L, err);
    }
    u->f = f;
    return 1;
}

/* A core op taking a list of column names and returning a new frame. */
typedef ll_frame *(*names_op)(const ll_frame *f, const char *const *names,
                              int n, ll_err *err);

/* Push the result of op(f, names, n) as a Frame (the userdata is created
 * before the op runs, so a Lua error cannot leak its result). */
static int push_names_op(lua_State *L, const ll_frame *f, const char **names,
                         int n, names_op op)
{
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, op(f, names, n, &err), &err);
}

static int give_col(lua_State *L, lcol *u, ll_column *c, ll_err *err)
{
    if (!c) {
        if (!err->msg[0])
            ll_err_set(err, LL_ENOMEM, "out of memory");
        return ll_lua_raise(L, err);
    }
    u->c = c;
    return 1;
}

/* A string or an array of strings at idx, as a C array kept alive in a
 * scratch userdata pushed on the stack. */
static const char **str_list(lua_State *L, int idx, int *n, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char **a = lua_newuserdatauv(L, sizeof *a, 0);
        a[0] = lua_tostring(L, idx);
        *n = 1;
        return a;
    }
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: a name or a list of names expected, got %s", what,
                   luaL_typename(L, idx));
    int len = (int)luaL_len(L, idx);
    const char **a = lua_newuserdatauv(L, sizeof *a * (size_t)(len + 1), 0);
    for (int i = 0; i < len; i++) {
        lua_geti(L, idx, i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: item %d: string expected, got %s", what, i + 1,
                       luaL_typename(L, -1));
        a[i] = lua_tostring(L, -1);
        lua_pop(L, 1); /* the table keeps the string alive */
    }
    *n = len;
    return a;
}

static void push_value(lua_State *L, const ll_column *c, int64_t i)
{
    char tmp[64];
    if (ll_col_isna(c, i)) {
        lua_pushnil(L);
        return;
    }
    switch (c->type) {
    case LL_BOOL:
        lua_pushboolean(L, LL_U8(c)[i]);
        break;
    case LL_INT:
        lua_pushinteger(L, LL_I64(c)[i]);
        break;
    case LL_FLOAT:
        if (isnan(LL_F64(c)[i]))
            lua_pushnil(L);
        else
            lua_pushnumber(L, LL_F64(c)[i]);
        break;
    case LL_DATE:
        ll_format_date(LL_I32(c)[i], tmp, sizeof tmp);
        lua_pushstring(L, tmp);
        break;
    case LL_DATETIME:
        ll_format_datetime(LL_I64(c)[i], tmp, sizeof tmp);
        lua_pushstring(L, tmp);
        break;
    default: {
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        lua_pushlstring(L, s, n);
    }
    }
}

/* Is the value at idx df.NA (a userdata of its own class)? */
static int is_na_value(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TUSERDATA && luaL_testudata(L, idx, NA_MT);
}

/* A column built from the Lua array at idx (df.NA or nil holes are NA;
 * n given by the caller when the array has holes). */
static ll_column *col_from_lua(lua_State *L, int idx, int64_t n,
                               const char *type_name, ll_err *err)
{
    idx = lua_absindex(L, idx);
    int kind = -1; /* 0 bool 1 int 2 float 3 string */
    for (int64_t i = 1; i <= n; i++) {
        int t = lua_geti(L, idx, i);
        int k = -1;
        if (t == LUA_TBOOLEAN)
            k = 0;
        else if (t == LUA_TNUMBER)
            k = lua_isinteger(L, -1) ? 1 : 2;
        else if (t == LUA_TSTRING)
            k = 3;
        else if (t != LUA_TNIL && !is_na_value(L, -1)) {
            lua_pop(L, 1);
            ll_err_set(err, LL_EINVAL,
                       "item %lld: boolean, number or string expected, got %s",
                       (long long)i, lua_typename(L, t));
            return NULL;
        }
        lua_pop(L, 1);
        if (k < 0)
            continue;
        if (kind < 0)
            kind = k;
        else if (kind != k) {
            if ((kind == 1 && k == 2) || (kind == 2 && k == 1))
                kind = 2;
            else {
                ll_err_set(err, LL_EINVAL, "item %lld: mixed value types",
                           (long long)i);
                return NULL;
            }
        }
    }
    if (kind < 0)
        kind = 2;
    ll_column *c;
    if (kind == 3) {
        ll_strbuilder sb;
        ll_sb_init(&sb);
        for (int64_t i = 1; i <= n; i++) {
            int t = lua_geti(L, idx, i);
            int rc;
            if (t == LUA_TSTRING) {
                size_t len;
                const char *s = lua_tolstring(L, -1, &len);
                rc = ll_sb_push(&sb, s, len);
            } else {
                rc = ll_sb_push_na(&sb);
            }
            lua_pop(L, 1);
            if (rc) {
                ll_sb_free(&sb);
                return NULL;
            }
        }
        c = ll_sb_finish(&sb);
    } else {
        c = ll_col_new(kind == 0 ? LL_BOOL : kind == 1 ? LL_INT : LL_FLOAT, n);
        if (!c)
            return NULL;
        for (int64_t i = 1; i <= n; i++) {
            int t = lua_geti(L, idx, i);
            if (t == LUA_TNIL || is_na_value(L, -1))
                ll_col_set_na(c, i - 1);
            else if (kind == 0)
                LL_U8(c)[i - 1] = (uint8_t)lua_toboolean(L, -1);
            else if (kind == 1)
                LL_I64(c)[i - 1] = lua_tointeger(L, -1);
            else
                LL_F64(c)[i - 1] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    }
    if (c && type_name) {
        int t = ll_dtype_parse(type_name);
        if (t < 0) {
            ll_col_unref(c);
            ll_err_set(err, LL_EINVAL, "unknown type '%s'", type_name);
            return NULL;
        }
        if ((int)c->type != t) {
            ll_column *cast = ll_col_cast(c, (ll_dtype)t, err);
            ll_col_unref(c);
            c = cast;
        }
    }
    return c;
}

static int64_t lua_array_len(lua_State *L, int idx)
{
    lua_getfield(L, idx, "n");
    if (lua_isinteger(L, -1)) {
        int64_t n = lua_tointeger(L, -1);
        lua_pop(L, 1);
        return n;
    }
    lua_pop(L, 1);
    return (int64_t)luaL_len(L, idx);
}

/* --- df module functions --- */

static int parse_csv_opts(lua_State *L, int idx, ll_csv_opts *o)
{
    ll_csv_opts_init(o);
    if (lua_isnoneornil(L, idx))
        return 0;
    luaL_checktype(L, idx, LUA_TTABLE);
    const char *sep = ll_opt_str(L, idx, "sep", NULL);
    if (sep) {
        if (!strcmp(sep, "\\t") || !strcmp(sep, "tab"))
            sep = "\t";
        if (strlen(sep) != 1)
            luaL_error(L, "option 'sep': one character expected, got '%s'",
                       sep);
        o->sep = sep[0];
    }
    o->header = ll_opt_bool(L, idx, "header", 1);
    o->nrows = ll_opt_int(L, idx, "nrows", -1);
    o->skip = ll_opt_int(L, idx, "skip", 0);
    o->strict = ll_opt_bool(L, idx, "strict", 0);
    o->threads = (int)ll_opt_int(L, idx, "threads", 1);
    if (o->threads < 1)
        luaL_error(L, "option 'threads': must be >= 1, got %d", o->threads);
    const char *bad = ll_opt_str(L, idx, "on_bad_lines", "error");
    if (!strcmp(bad, "error"))
        o->on_bad_lines = 0;
    else if (!strcmp(bad, "warn"))
        o->on_bad_lines = 1;
    else if (!strcmp(bad, "skip"))
        o->on_bad_lines = 2;
    else
        luaL_error(L,
                   "option 'on_bad_lines': \"error\", \"warn\" or \"skip\" "
                   "expected, got '%s'",
                   bad);
    const char *enc = ll_opt_str(L, idx, "encoding", "utf-8");
    if (!strcmp(enc, "latin1") || !strcmp(enc, "latin-1") ||
        !strcmp(enc, "iso-8859-1"))
        o->latin1 = 1;
    else if (strcmp(enc, "utf-8") && strcmp(enc, "utf8"))
        luaL_error(L,
                   "option 'encoding': \"utf-8\" or \"latin1\" expected, "
                   "got '%s'",
                   enc);
    const char *strs = ll_opt_str(L, idx, "strings", "auto");
    if (!strcmp(strs, "auto"))
        o->strings_as = 0;
    else if (!strcmp(strs, "string"))
        o->strings_as = 1;
    else if (!strcmp(strs, "category"))
        o->strings_as = 2;
    else
        luaL_error(L,
                   "option 'strings': \"auto\", \"string\" or \"category\" "
                   "expected, got '%s'",
                   strs);
    int n;
    if (lua_getfield(L, idx, "na") != LUA_TNIL) {
        const char **na = str_list(L, -1, &n, "option 'na'");
        na[n] = NULL;
        o->na = na;
        lua_insert(L, -2); /* keep the list below the table */
    } else {
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_pushnil(L);
    }
    if (lua_getfield(L, idx, "usecols") != LUA_TNIL) {
        o->usecols = str_list(L, -1, &n, "option 'usecols'");
        o->nusecols = n;
    } else {
        lua_pushnil(L);
    }
    if (lua_getfield(L, idx, "parse_dates") != LUA_TNIL) {
        o->parse_dates = str_list(L, -1, &n, "option 'parse_dates'");
        o->nparse_dates = n;
    } else {
        lua_pushnil(L);
    }
    if (lua_getfield(L, idx, "types") != LUA_TNIL) {
        int tidx = lua_gettop(L);
        luaL_checktype(L, tidx, LUA_TTABLE);
        int cnt = 0;
        lua_pushnil(L);
        while (lua_next(L, tidx)) {
            cnt++;
            lua_pop(L, 1);
        }
        const char **cols =
            lua_newuserdatauv(L, sizeof *cols * (size_t)(cnt + 1), 0);
        int *vals = lua_newuserdatauv(L, sizeof *vals * (size_t)(cnt + 1), 0);
        int k = 0;
        lua_pushnil(L);
        while (lua_next(L, tidx)) {
            if (lua_type(L, -2) != LUA_TSTRING ||
                lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "option 'types': {column = \"type\"} expected");
            cols[k] = lua_tostring(L, -2);
            int t = ll_dtype_parse(lua_tostring(L, -1));
            if (t < 0)
                luaL_error(L,
                           "option 'types': unknown type '%s' for column '%s'",
                           lua_tostring(L, -1), cols[k]);
            vals[k++] = t;
            lua_pop(L, 1);
        }
        o->type_cols = cols;
        o->type_vals = vals;
        o->ntypes = cnt;
    }
    return 0;
}

/* Through Lua's warning system: the host puts warnings in the cell's
 * stderr output. */
static void print_warnings(lua_State *L, ll_buf *w)
{
    if (w->len)
        lua_warning(L, ll_buf_str(w), 0);
}

/* After a CSV read into u: print and free the warnings; then the Frame, or
 * nil, msg. */
static int finish_read(lua_State *L, const lframe *u, ll_buf *warn,
                       const ll_err *err)
{
    print_warnings(L, warn);
    ll_buf_free(warn);
    if (!u->f)
        return ll_lua_fail(L, err);
    return 1;
}

static int l_df_read_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ll_csv_opts o;
    parse_csv_opts(L, 2, &o);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    ll_buf warn;
    ll_buf_init(&warn);
    u->f = ll_frame_read_csv(path, &o, &warn, &err);
    return finish_read(L, u, &warn, &err);
}

static int l_df_parse_csv(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    ll_csv_opts o;
    parse_csv_opts(L, 2, &o);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    ll_buf warn;
    ll_buf_init(&warn);
    u->f = ll_frame_read_csv_mem(text, len, "<string>", &o, &warn, &err);
    return finish_read(L, u, &warn, &err);
}

static int l_df_frame(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lframe *u = new_frame_ud(L);
    int ud = lua_gettop(L);
    ll_err err;
    ll_err_clear(&err);
    u->f = ll_frame_new();
    if (!u->f)
        return luaL_error(L, "out of memory");
    /* {{"name", values}, ...} keeps order; {name = values} sorts names */
    int64_t alen = (int64_t)luaL_len(L, 1);
    lua_newtable(L); /* names in order */
    int names = lua_gettop(L);
    if (alen > 0) {
        for (int64_t i = 1; i <= alen; i++) {
            lua_geti(L, 1, i);
            if (!lua_istable(L, -1))
                return luaL_error(
                    L, "df.frame: item %d: {name, values} expected", (int)i);
            lua_geti(L, -1, 1);
            lua_rawseti(L, names, i);
            lua_pop(L, 1);
        }
    } else {
        int k = 1;
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "df.frame: column names must be strings");
            lua_pop(L, 1);
        }
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, names, k++);
            lua_pop(L, 1);
        }
        sort_names(L, names);
    }
    int64_t ncol = (int64_t)luaL_len(L, names);
    for (int64_t k = 1; k <= ncol; k++) {
        lua_geti(L, names, k);
        const char *name = lua_tostring(L, -1);
        if (!name)
            return luaL_error(L, "df.frame: column %d has no name", (int)k);
        if (alen > 0) {
            lua_geti(L, 1, k);
            lua_geti(L, -1, 2);
            lua_remove(L, -2);
        } else {
            lua_getfield(L, 1, name);
        }
        ll_column *c = NULL;
        lcol *cu = luaL_testudata(L, -1, COLUMN_MT);
        if (cu && cu->c) {
            c = ll_col_ref(cu->c);
        } else if (lua_istable(L, -1)) {
            c = col_from_lua(L, -1, lua_array_len(L, lua_gettop(L)), NULL,
                             &err);
            if (!c) {
                ll_err_prefix(&err, "df.frame: column '%s'", name);
                return ll_lua_raise(L, &err);
            }
        } else {
            return luaL_error(L,
                              "df.frame: column '%s': table or Column "
                              "expected, got %s",
                              name, luaL_typename(L, -1));
        }
        int rc = ll_frame_set(u->f, name, c, &err);
        ll_col_unref(c);
        if (rc)
            return ll_lua_raise(L, &err);
        lua_pop(L, 2);
    }
    lua_settop(L, ud);
    return 1;
}

static int l_df_column(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *type = luaL_optstring(L, 2, NULL);
    const char *name = luaL_optstring(L, 3, "");
    lcol *u = new_col_ud(L, name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *c = col_from_lua(L, 1, lua_array_len(L, 1), type, &err);
    return give_col(L, u, c, &err);
}

static int l_df_concat(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int64_t n = (int64_t)luaL_len(L, 1);
    if (n < 1)
        return luaL_error(L, "df.concat: a list of Frames expected");
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    lua_geti(L, 1, 1);
    ll_frame *acc = ll_frame_copy(check_frame(L, -1));
    lua_pop(L, 1);
    for (int64_t i = 2; acc && i <= n; i++) {
        lua_geti(L, 1, i);
        lframe *o = luaL_testudata(L, -1, FRAME_MT);
        if (!o || !o->f) {
            ll_frame_free(acc);
            return luaL_error(L, "df.concat: item %d: Frame expected", (int)i);
        }
        ll_frame *next = ll_frame_concat(acc, o->f, &err);
        ll_frame_free(acc);
        acc = next;
        lua_pop(L, 1);
    }
    return give_frame(L, u, acc, &err);
}

/* --- Frame methods --- */

static int l_frame_close(lua_State *L)
{
    lframe *u = luaL_checkudata(L, 1, FRAME_MT);
    ll_frame_free(u->f);
    u->f = NULL;
    return 0;
}

/* Text width and row limit from display options {width=, height=,
 * max_rows=} at optidx (a height leaves 4 lines for header and footer). */
static void render_size(lua_State *L, int optidx, int *width, int *max_rows)
{
    *width = (int)ll_opt_int(L, optidx, "width", 100);
    int height = (int)ll_opt_int(L, optidx, "height", 0);
    *max_rows = (int)ll_opt_int(L, optidx, "max_rows", 20);
    if (height > 0 && height - 4 < *max_rows)
        *max_rows = height - 4 < 4 ? 4 : height - 4;
}

/* Push the text in b and free b; rc != 0 (the writer failed) raises
 * "out of memory". */
static int push_buf(lua_State *L, ll_buf *b, int rc)
{
    if (rc) {
        ll_buf_free(b);
        return luaL_error(L, "out of memory");
    }
    lua_pushlstring(L, ll_buf_str(b), b->len);
    ll_buf_free(b);
    return 1;
}

static int render_frame(lua_State *L, const ll_frame *f, int optidx)
{
    int width, max_rows;
    render_size(L, optidx, &width, &max_rows);
    ll_buf b;
    ll_buf_init(&b);
    return push_buf(L, &b, ll_frame_render(f, width, max_rows, &b));
}

static int l_frame_tostring(lua_State *L)
{
    lframe *u = luaL_checkudata(L, 1, FRAME_MT);
    if (!u->f) {
        lua_pushstring(L, "Frame (closed)");
        return 1;
    }
    return render_frame(L, u->f, 0);
}

static int l_frame_display(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    return render_frame(L, f, 2);
}

static int l_frame_len(lua_State *L)
{
    lua_pushinteger(L, check_frame(L, 1)->nrow);
    return 1;
}

/* Index of column name in f; raises the "no column" error when absent. */
static int col_index(lua_State *L, const ll_frame *f, const char *name)
{
    ll_err err;
    ll_err_clear(&err);
    int i = ll_frame_col(f, name, &err);
    if (i < 0)
        ll_lua_raise(L, &err);
    return i;
}

static int push_column_of(lua_State *L, const ll_frame *f, int i)
{
    lcol *u = new_col_ud(L, f->names[i]);
    u->c = ll_col_ref(f->cols[i]);
    return 1;
}

static int l_frame_row(lua_State *L);

static int l_frame_index(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
            return 1;
        lua_pop(L, 1);
        return push_column_of(L, f, col_index(L, f, lua_tostring(L, 2)));
    }
    if (lua_isinteger(L, 2))
        return l_frame_row(L);
    return luaL_error(L, "Frame: index with a column name or a row number");
}

static int l_frame_newindex(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char *name = luaL_checkstring(L, 2);
    ll_err err;
    ll_err_clear(&err);
    ll_column *c = NULL;
    lcol *cu = luaL_testudata(L, 3, COLUMN_MT);
    if (cu && cu->c) {
        c = ll_col_ref(cu->c);
    } else if (lua_isnil(L, 3)) {
        ll_frame *r = ll_frame_drop(f, &name, 1, &err);
        if (!r)
            return ll_lua_raise(L, &err);
        lframe *u = lua_touserdata(L, 1);
        ll_frame_free(u->f);
        u->f = r;
        return 0;
    } else {
        return luaL_error(L, "Frame: assign a Column to '%s' (got %s)", name,
                          luaL_typename(L, 3));
    }
    int rc = ll_frame_set(f, name, c, &err);
    ll_col_unref(c);
    if (rc)
        return ll_lua_raise(L, &err);
    return 0;
}

static int l_frame_col(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    return push_column_of(L, f, col_index(L, f, luaL_checkstring(L, 2)));
}

static int l_frame_head(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, 5);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_slice(f, 0, n < 0 ? 0 : n), &err);
}

static int l_frame_tail(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, 5);
    if (n < 0)
        n = 0;
    if (n > f->nrow)
        n = f->nrow;
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_slice(f, f->nrow - n, n), &err);
}

static int l_frame_slice(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_Integer from = luaL_checkinteger(L, 2);
    lua_Integer to = luaL_optinteger(L, 3, f->nrow);
    if (from < 1)
        from = 1;
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_slice(f, from - 1, to - from + 1), &err);
}

static int l_frame_shape(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_pushinteger(L, f->nrow);
    lua_pushinteger(L, f->ncol);
    return 2;
}

static int l_frame_columns(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_createtable(L, f->ncol, 0);
    for (int i = 0; i < f->ncol; i++) {
        lua_pushstring(L, f->names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int l_frame_dtypes(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_createtable(L, 0, f->ncol);
    for (int i = 0; i < f->ncol; i++) {
        lua_pushstring(L, ll_dtype_name(f->cols[i]->type));
        lua_setfield(L, -2, f->names[i]);
    }
    return 1;
}

static int l_frame_describe(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_describe(f, &err), &err);
}

static int l_frame_select(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    int n;
    const char **names = str_list(L, 2, &n, "select");
    return push_names_op(L, f, names, n, ll_frame_select);
}

static int l_frame_drop(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    int n;
    const char **names = str_list(L, 2, &n, "drop");
    return push_names_op(L, f, names, n, ll_frame_drop);
}

static int l_frame_rename(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int cnt = 0;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "rename: {old = \"new\"} expected");
        cnt++;
        lua_pop(L, 1);
    }
    const char **from =
        lua_newuserdatauv(L, sizeof *from * (size_t)(cnt + 1), 0);
    const char **to = lua_newuserdatauv(L, sizeof *to * (size_t)(cnt + 1), 0);
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        from[k] = lua_tostring(L, -2);
        to[k++] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_rename(f, from, to, cnt, &err), &err);
}

static void push_row_table(lua_State *L, const ll_frame *f, int64_t i)
{
    lua_createtable(L, 0, f->ncol);
    for (int j = 0; j < f->ncol; j++) {
        push_value(L, f->cols[j], i);
        lua_setfield(L, -2, f->names[j]);
    }
}

static int l_frame_row(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || i > f->nrow)
        return luaL_error(L, "row %d out of range (the frame has %d rows)",
                          (int)i, (int)f->nrow);
    push_row_table(L, f, i - 1);
    return 1;
}

static int rows_iter(lua_State *L)
{
    ll_frame *f = check_frame(L, lua_upvalueindex(1));
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
    if (i >= f->nrow)
        return 0;
    lua_pushinteger(L, i + 1);
    lua_copy(L, -1, lua_upvalueindex(2));
    lua_pop(L, 1);
    lua_pushinteger(L, i + 1);
    push_row_table(L, f, i);
    return 2;
}

static int l_frame_rows(lua_State *L)
{
    check_frame(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, rows_iter, 2);
    return 1;
}

static int l_frame_filter(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    ll_err err;
    ll_err_clear(&err);
    if (lua_type(L, 2) == LUA_TSTRING) {
        lcol *m = new_col_ud(L, "mask");
        m->c = ll_frame_eval(f, lua_tostring(L, 2), &err);
        if (!m->c)
            return ll_lua_raise(L, &err);
        if (m->c->type != LL_BOOL)
            return luaL_error(L, "filter: expression gives %s, not bool",
                              ll_dtype_name(m->c->type));
        lframe *u = new_frame_ud(L);
        return give_frame(L, u, ll_frame_filter(f, m->c, &err), &err);
    }
    if (lua_isfunction(L, 2)) {
        lcol *m = new_col_ud(L, "mask");
        m->c = ll_col_new(LL_BOOL, f->nrow);
        if (!m->c)
            return luaL_error(L, "out of memory");
        for (int64_t i = 0; i < f->nrow; i++) {
            lua_pushvalue(L, 2);
            push_row_table(L, f, i);
            lua_call(L, 1, 1);
            LL_U8(m->c)[i] = (uint8_t)lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
        lframe *u = new_frame_ud(L);
        return give_frame(L, u, ll_frame_filter(f, m->c, &err), &err);
    }
    ll_column *mask = check_col(L, 2);
    lframe *u = new_frame_ud(L);
    return give_frame(L, u, ll_frame_filter(f, mask, &err), &err);
}

static int l_frame_eval(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char *e = luaL_checkstring(L, 2);
    lcol *u = new_col_ud(L, e);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_frame_eval(f, e, &err), &err);
}

/* A constant column of n rows from a Lua scalar at idx. */
static ll_column *const_col(lua_State *L, int idx, int64_t n)
{
    ll_column *c = NULL;
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        c = ll_col_new(LL_BOOL, n);
        if (c)
            memset(c->data, lua_toboolean(L, idx), (size_t)n);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            c = ll_col_new(LL_INT, n);
            for (int64_t i = 0; c && i < n; i++)
                LL_I64(c)[i] = lua_tointeger(L, idx);
        } else {
            c = ll_col_new(LL_FLOAT, n);
            for (int64_t i = 0; c && i < n; i++)
                LL_F64(c)[i] = lua_tonumber(L, idx);
        }
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        ll_strbuilder sb;
        ll_sb_init(&sb);
        for (int64_t i = 0; i < n; i++)
            if (ll_sb_push(&sb, s, len)) {
                ll_sb_free(&sb);
                return NULL;
            }
        c = ll_sb_finish(&sb);
        break;
    }
    default:
        break;
    }
    return c;
}

static int l_frame_mutate(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lframe *u = new_frame_ud(L);
    int uidx = lua_gettop(L);
    u->f = ll_frame_copy(f);
    if (!u->f)
        return luaL_error(L, "out of memory");
    /* names sorted so the new columns come in a stable order */
    lua_newtable(L);
    int names = lua_gettop(L);
    int k = 1;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L, "mutate: {name = Column or value} expected");
        lua_pushvalue(L, -2);
        lua_rawseti(L, names, k++);
        lua_pop(L, 1);
    }
    sort_names(L, names);
    ll_err err;
    ll_err_clear(&err);
    for (int i = 1; i < k; i++) {
        lua_geti(L, names, i);
        const char *name = lua_tostring(L, -1);
        lua_getfield(L, 2, name);
        ll_column *c;
        lcol *cu = luaL_testudata(L, -1, COLUMN_MT);
        if (cu && cu->c)
            c = ll_col_ref(cu->c);
        else if (lua_isfunction(L, -1)) {
            lua_pushvalue(L, uidx);
            lua_call(L, 1, 1);
            cu = luaL_testudata(L, -1, COLUMN_MT);
            if (!cu || !cu->c)
                return luaL_error(L,
                                  "mutate: function for '%s' must return "
                                  "a Column",
                                  name);
            c = ll_col_ref(cu->c);
        } else {
            c = const_col(L, -1, u->f->nrow);
            if (!c)
                return luaL_error(L,
                                  "mutate: '%s': Column, function, number, "
                                  "string or boolean expected, got %s",
                                  name, luaL_typename(L, -1));
        }
        int rc = ll_frame_set(u->f, name, c, &err);
        ll_col_unref(c);
        if (rc)
            return ll_lua_raise(L, &err);
        lua_pop(L, 2);
    }
    lua_settop(L, uidx);
    return 1;
}

/* Keys and directions from "a" | {"a", {"b", desc=true}} (+ opts.desc). */
static int sort_spec(lua_State *L, int idx, const char ***keys, int **desc)
{
    int all_desc = 0;
    if (lua_istable(L, idx + 1)) {
        lua_getfield(L, idx + 1, "desc");
        all_desc = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        *keys = lua_newuserdatauv(L, sizeof **keys, 0);
        *desc = lua_newuserdatauv(L, sizeof **desc, 0);
        (*keys)[0] = lua_tostring(L, idx);
        (*desc)[0] = all_desc;
        return 1;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    int n = (int)luaL_len(L, idx);
    if (n < 1)
        luaL_error(L, "sort: at least one key expected");
    *keys = lua_newuserdatauv(L, sizeof **keys * (size_t)n, 0);
    *desc = lua_newuserdatauv(L, sizeof **desc * (size_t)n, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, idx, i + 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            (*keys)[i] = lua_tostring(L, -1);
            (*desc)[i] = all_desc;
        } else if (lua_istable(L, -1)) {
            lua_geti(L, -1, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "sort: key %d: {name, desc=true} expected",
                           i + 1);
            (*keys)[i] = lua_tostring(L, -1);
            lua_pop(L, 1);
            lua_getfield(L, -1, "desc");
            (*desc)[i] = lua_toboolean(L, -1);
            lua_pop(L, 1);
        } else {
            luaL_error(L, "sort: key %d: name or {name, desc=true} expected",
                       i + 1);
        }
        lua_pop(L, 1);
    }
    return n;
}

static int l_frame_sort(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char **keys;
    int *desc;
    int n = sort_spec(L, 2, &keys, &desc);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_sort(f, keys, desc, n, &err), &err);
}

static int l_frame_groupby(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    int n;
    const char **keys = str_list(L, 2, &n, "groupby");
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
    for (int k = 0; k < n; k++)
        snprintf(g->keys[k], sizeof g->keys[k], "%s", keys[k]);
    g->f = ll_frame_copy(f);
    if (!g->f)
        return luaL_error(L, "out of memory");
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
static int agg_spec(lua_State *L, int idx, const ll_frame *f, ll_agg **out)
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
    int na = agg_spec(L, 2, g->f, &aggs);
    const char *keys[16];
    for (int k = 0; k < g->nkeys; k++)
        keys[k] = g->keys[k];
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(
        L, u, ll_frame_groupby(g->f, keys, g->nkeys, aggs, na, &err), &err);
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
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_groupby(g->f, keys, g->nkeys, &a, 1, &err),
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

static int l_frame_join(lua_State *L)
{
    ll_frame *a = check_frame(L, 1);
    ll_frame *b = check_frame(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "on");
    if (lua_isnil(L, -1))
        return luaL_error(L, "join: option 'on' (key names) is required");
    int n;
    const char **on = str_list(L, -1, &n, "join: on");
    const char *how = ll_opt_str(L, 3, "how", "inner");
    const char *sa = "_x", *sb = "_y";
    if (lua_getfield(L, 3, "suffixes") == LUA_TTABLE) {
        lua_geti(L, -1, 1);
        lua_geti(L, -2, 2);
        sa = luaL_optstring(L, -2, "_x");
        sb = luaL_optstring(L, -1, "_y");
    }
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_join(a, b, on, n, how, sa, sb, &err),
                      &err);
}

static int l_frame_concat(lua_State *L)
{
    ll_frame *a = check_frame(L, 1);
    ll_frame *b = check_frame(L, 2);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_concat(a, b, &err), &err);
}

static const char **cols_or_all(lua_State *L, int idx, const ll_frame *f,
                                int *n, const char *what)
{
    if (lua_isnoneornil(L, idx)) {
        const char **a =
            lua_newuserdatauv(L, sizeof *a * (size_t)(f->ncol + 1), 0);
        for (int i = 0; i < f->ncol; i++)
            a[i] = f->names[i];
        *n = f->ncol;
        return a;
    }
    return str_list(L, idx, n, what);
}

static int l_frame_unique(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    int n;
    const char **cols = cols_or_all(L, 2, f, &n, "unique");
    return push_names_op(L, f, cols, n, ll_frame_unique);
}

static int l_frame_value_counts(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    int n;
    const char **cols = str_list(L, 2, &n, "value_counts");
    return push_names_op(L, f, cols, n, ll_frame_value_counts);
}

static int l_frame_dropna(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char **subset = NULL;
    int n = 0;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "subset");
        if (!lua_isnil(L, -1))
            subset = str_list(L, -1, &n, "dropna: subset");
    }
    return push_names_op(L, f, subset, n, ll_frame_dropna);
}

/* Group ids and time order from opts {by=, order=} at idx (see
 * ll_frame_group_order); both NULL when neither is given.  The arrays are
 * copied into scratch userdata left on the stack, so a later Lua error
 * leaks nothing. */
static void group_order(lua_State *L, int idx, ll_frame *f, int64_t **order,
                        int64_t **group, int need_order)
{
    *order = NULL;
    *group = NULL;
    int nby = 0, nord = 0;
    const char **by = NULL, **ord = NULL;
    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "by");
        if (!lua_isnil(L, -1))
            by = str_list(L, -1, &nby, "option 'by'");
        lua_getfield(L, idx, "order");
        if (!lua_isnil(L, -1))
            ord = str_list(L, -1, &nord, "option 'order'");
    }
    int64_t *o, *g;
    ll_err err;
    ll_err_clear(&err);
    if (ll_frame_group_order(f, by, nby, ord, nord, need_order, &o, &g, &err))
        ll_lua_raise(L, &err);
    size_t sz = sizeof(int64_t) * (size_t)(f->nrow + 1);
    int64_t *lo = o ? lua_newuserdatauv(L, sz, 0) : NULL;
    int64_t *lg = g ? lua_newuserdatauv(L, sz, 0) : NULL;
    if (lo)
        memcpy(lo, o, sizeof(int64_t) * (size_t)f->nrow);
    if (lg)
        memcpy(lg, g, sizeof(int64_t) * (size_t)f->nrow);
    free(o);
    free(g);
    *order = lo;
    *group = lg;
}

/* fillna(value | {col = value} | "ffill" | "bfill" [, {by=, order=}]):
 * the Lua values become ll_fill entries; the policy is the core's. */
static int fill_value(lua_State *L, int vi, const char *col, ll_fill *out)
{
    out->col = col;
    out->str = NULL;
    out->num = 0;
    switch (lua_type(L, vi)) {
    case LUA_TNUMBER:
        out->kind = LL_FILL_NUM;
        out->num = lua_tonumber(L, vi);
        return 1;
    case LUA_TSTRING:
        out->kind = LL_FILL_STR;
        out->str = lua_tostring(L, vi);
        return 1;
    case LUA_TBOOLEAN:
        out->kind = LL_FILL_BOOL;
        out->num = lua_toboolean(L, vi);
        return 1;
    default:
        return 0;
    }
}

static int l_frame_fillna(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    ll_err err;
    ll_err_clear(&err);
    int t = lua_type(L, 2);
    const char *s = t == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    if (s && (!strcmp(s, "ffill") || !strcmp(s, "bfill"))) {
        int64_t *order, *group;
        group_order(L, 3, f, &order, &group, 1);
        lframe *u = new_frame_ud(L);
        return give_frame(
            L, u,
            ll_frame_fill_dir(f, s[0] == 'f' ? 1 : -1, order, group, &err),
            &err);
    }
    ll_fill one, *fills = &one;
    int n = 0;
    if (t == LUA_TTABLE) {
        lua_Integer cnt = 0;
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            cnt++;
            lua_pop(L, 1);
        }
        fills = lua_newuserdatauv(L, sizeof *fills * (size_t)(cnt + 1), 0);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "fillna: {column = value} expected");
            const char *col = lua_tostring(L, -2);
            if (!fill_value(L, -1, col, &fills[n])) {
                int i = ll_frame_col(f, col, &err);
                if (i < 0) {
                    ll_err_prefix(&err, "fillna");
                    return ll_lua_raise(L, &err);
                }
                return luaL_error(
                    L, "fillna: column '%s' (%s) cannot take a %s", col,
                    ll_dtype_name(f->cols[i]->type), luaL_typename(L, -1));
            }
            n++;
            lua_pop(L, 1);
        }
    } else if (fill_value(L, 2, NULL, &one)) {
        n = 1;
    } else {
        return luaL_argerror(L, 2,
                             "value, {col = value}, \"ffill\" or \"bfill\" "
                             "expected");
    }
    lframe *u = new_frame_ud(L);
    return give_frame(L, u, ll_frame_fillna(f, fills, n, &err), &err);
}

static int shift(lua_State *L, int sign)
{
    ll_frame *f = check_frame(L, 1);
    const char *name = luaL_checkstring(L, 2);
    lua_Integer k = luaL_optinteger(L, 3, 1);
    int i = col_index(L, f, name);
    ll_err err;
    ll_err_clear(&err);
    int64_t *order, *group;
    group_order(L, 4, f, &order, &group, 1);
    lcol *u = new_col_ud(L, name);
    return give_col(
        L, u, ll_col_shift(f->cols[i], sign * k, order, group, &err), &err);
}

static int l_frame_lag(lua_State *L)
{
    return shift(L, 1);
}

static int l_frame_lead(lua_State *L)
{
    return shift(L, -1);
}

static int l_frame_rolling(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char *name = luaL_checkstring(L, 2);
    lua_Integer w = luaL_checkinteger(L, 3);
    const char *fn = luaL_optstring(L, 4, "mean");
    lua_Integer minp = ll_opt_int(L, 5, "min_periods", -1);
    int i = col_index(L, f, name);
    ll_err err;
    ll_err_clear(&err);
    int64_t *order, *group;
    group_order(L, 5, f, &order, &group, 0);
    lcol *u = new_col_ud(L, name);
    return give_col(L, u,
                    ll_col_rolling(f->cols[i], w, minp, fn, order, group, &err),
                    &err);
}

static int l_frame_resample(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char *rule = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    const char *on = ll_opt_str(L, 3, "on", NULL);
    if (!on)
        return luaL_error(L, "resample: option 'on' (the time column) is "
                             "required");
    int nby = 0;
    const char **by = NULL;
    lua_getfield(L, 3, "by");
    if (!lua_isnil(L, -1))
        by = str_list(L, -1, &nby, "resample: by");
    lua_getfield(L, 3, "agg");
    if (!lua_istable(L, -1))
        return luaL_error(L, "resample: option 'agg' ({col = \"fn\"}) is "
                             "required");
    ll_agg *aggs;
    int na = agg_spec(L, -1, f, &aggs);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(
        L, u, ll_frame_resample(f, rule, on, by, nby, aggs, na, &err), &err);
}

static int l_frame_astype(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lframe *u = new_frame_ud(L);
    u->f = ll_frame_copy(f);
    if (!u->f)
        return luaL_error(L, "out of memory");
    ll_err err;
    ll_err_clear(&err);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        const char *name = lua_tostring(L, -2);
        const char *tn = lua_tostring(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING || !tn)
            return luaL_error(L, "astype: {column = \"type\"} expected");
        int i = col_index(L, f, name);
        int t = ll_dtype_parse(tn);
        if (t < 0)
            return luaL_error(L, "astype: unknown type '%s'", tn);
        ll_column *c = ll_col_cast(f->cols[i], (ll_dtype)t, &err);
        if (!c) {
            ll_err_prefix(&err, "astype: column '%s'", name);
            return ll_lua_raise(L, &err);
        }
        int rc = ll_frame_set(u->f, name, c, &err);
        ll_col_unref(c);
        if (rc)
            return ll_lua_raise(L, &err);
        lua_pop(L, 1);
    }
    lua_settop(L, 3);
    return 1;
}

static int l_frame_split(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    double test = ll_opt_num(L, 2, "test", 0.25);
    lua_Integer seed = ll_opt_int(L, 2, "seed", 0);
    const char *time = ll_opt_str(L, 2, "time", NULL);
    int shuffle = ll_opt_bool(L, 2, "shuffle", time == NULL);
    lframe *tr = new_frame_ud(L);
    lframe *te = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    int64_t *perm, ntrain;
    if (ll_frame_split_index(f, test, (uint64_t)seed, shuffle, time, &perm,
                             &ntrain, &err))
        return ll_lua_raise(L, &err);
    tr->f = ll_frame_take(f, perm, ntrain);
    te->f = ll_frame_take(f, perm + ntrain, f->nrow - ntrain);
    free(perm);
    if (!tr->f || !te->f)
        return luaL_error(L, "out of memory");
    return 2;
}

static int l_frame_write_csv(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *sep = ll_opt_str(L, 3, "sep", ",");
    ll_err err;
    ll_err_clear(&err);
    if (ll_frame_write_csv(f, path, sep[0], &err))
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_frame_to_csv(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    const char *sep = ll_opt_str(L, 2, "sep", ",");
    ll_buf b;
    ll_buf_init(&b);
    return push_buf(L, &b, ll_frame_to_csv(f, sep[0], &b));
}

/* to_tensor{cols..., dtype="float32", categorical="codes"|"onehot"}: a
 * [rows, features] float32 tensor by ll_frame_to_matrix's rules. */
static void need_nn(lua_State *L);

/* f:plot{...}: the chart is built in lua/lualab/_plotting.lua. */
static int l_frame_plot(lua_State *L)
{
    check_frame(L, 1);
    return ll_lua_call_module(L, "lualab._plotting", "frame", 2);
}

static int l_frame_to_tensor(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    need_nn(L);
    int n = 0;
    const char **names = NULL;
    if (lua_istable(L, 2) && luaL_len(L, 2) > 0)
        names = str_list(L, 2, &n, "to_tensor");
    else
        names = cols_or_all(L, lua_gettop(L) + 1, f, &n, "to_tensor");
    const char *dtype = ll_opt_str(L, 2, "dtype", "float32");
    if (strcmp(dtype, "float32"))
        return luaL_error(L, "to_tensor: dtype must be \"float32\", got '%s'",
                          dtype);
    const char *cat = ll_opt_str(L, 2, "categorical", "codes");
    int onehot = !strcmp(cat, "onehot");
    if (!onehot && strcmp(cat, "codes"))
        return luaL_error(L,
                          "to_tensor: categorical must be \"codes\" or "
                          "\"onehot\", got '%s'",
                          cat);
    if (n < 1)
        return luaL_error(L, "to_tensor: no columns");
    int *cols = lua_newuserdatauv(L, sizeof(int) * (size_t)n, 0);
    ll_err err;
    ll_err_clear(&err);
    for (int k = 0; k < n; k++) {
        cols[k] = ll_frame_col(f, names[k], &err);
        if (cols[k] < 0) {
            ll_err_prefix(&err, "to_tensor");
            return ll_lua_raise(L, &err);
        }
    }
    int64_t width;
    if (ll_frame_matrix_width(f, cols, n, onehot, &width, &err)) {
        ll_err_prefix(&err, "to_tensor");
        return ll_lua_raise(L, &err);
    }
    int64_t shape[2] = {f->nrow, width};
    ll_tensor *t = ll_tensor_new(2, shape, &err);
    if (!t)
        return ll_lua_raise(L, &err);
    if (ll_frame_to_matrix(f, cols, n, onehot, ll_tensor_data(t), width,
                           &err)) {
        ll_tensor_free(t);
        ll_err_prefix(&err, "to_tensor");
        return ll_lua_raise(L, &err);
    }
    ll_lua_push_tensor(L, t);
    return 1;
}

/* The Tensor class lives in lualab._nn, which may not be loaded yet. */
static void need_nn(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, "lualab._nn");
    lua_call(L, 1, 0);
}

static int l_frame_copy(lua_State *L)
{
    ll_frame *f = check_frame(L, 1);
    lframe *u = new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return give_frame(L, u, ll_frame_copy(f), &err);
}

/* --- Column --- */

static int l_col_close(lua_State *L)
{
    lcol *u = luaL_checkudata(L, 1, COLUMN_MT);
    ll_col_unref(u->c);
    u->c = NULL;
    return 0;
}

static int render_col(lua_State *L, lcol *u, int optidx)
{
    int width, max_rows;
    render_size(L, optidx, &width, &max_rows);
    ll_buf b;
    ll_buf_init(&b);
    return push_buf(L, &b,
                    ll_col_render(u->c, u->name[0] ? u->name : "value", width,
                                  max_rows, &b));
}

static int l_col_tostring(lua_State *L)
{
    lcol *u = luaL_checkudata(L, 1, COLUMN_MT);
    if (!u->c) {
        lua_pushstring(L, "Column (closed)");
        return 1;
    }
    return render_col(L, u, 0);
}

static int l_col_display(lua_State *L)
{
    return render_col(L, check_lcol(L, 1), 2);
}

static int l_col_length(lua_State *L)
{
    lua_pushinteger(L, check_col(L, 1)->len);
    return 1;
}

static int l_col_index(lua_State *L)
{
    ll_column *c = check_col(L, 1);
    if (lua_isinteger(L, 2)) {
        lua_Integer i = lua_tointeger(L, 2);
        if (i < 1 || i > c->len)
            return luaL_error(L,
                              "index %d out of range (the column has %d "
                              "rows)",
                              (int)i, (int)c->len);
        push_value(L, c, i - 1);
        return 1;
    }
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    return luaL_error(L, "Column has no method '%s'",
                      luaL_tolstring(L, 2, NULL));
}

static int l_col_to_table(lua_State *L)
{
    ll_column *c = check_col(L, 1);
    lua_createtable(L, (int)c->len, 0);
    int numeric = ll_col_is_numeric(c);
    for (int64_t i = 0; i < c->len; i++) {
        if (numeric && ll_col_isna(c, i))
            lua_pushnumber(L, LL_NAN);
        else if (numeric && c->type == LL_FLOAT)
            lua_pushnumber(L, LL_F64(c)[i]);
        else
            push_value(L, c, i);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int l_col_dtype(lua_State *L)
{
    lua_pushstring(L, ll_dtype_name(check_col(L, 1)->type));
    return 1;
}

static int l_col_name(lua_State *L)
{
    lua_pushstring(L, check_lcol(L, 1)->name);
    return 1;
}

/* Row of the min/max/first/last non-NA value, or -1. */
static int64_t pick_row(const ll_column *c, const char *which)
{
    int64_t best = -1;
    int str = c->type == LL_STR || c->type == LL_CAT;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i) || (c->type == LL_FLOAT && isnan(LL_F64(c)[i])))
            continue;
        if (best < 0 || which[0] == 'l') {
            if (best < 0 || which[0] != 'f')
                best = i;
            continue;
        }
        if (which[0] == 'f')
            continue;
        int less;
        if (str) {
            size_t an, bn;
            const char *a = ll_col_str(c, i, &an),
                       *b = ll_col_str(c, best, &bn);
            int r = memcmp(a, b, an < bn ? an : bn);
            less = r ? r < 0 : an < bn;
            if (which[1] == 'a')
                less = r ? r > 0 : an > bn;
        } else if (c->type == LL_INT || c->type == LL_DATETIME) {
            less = which[1] == 'i' ? LL_I64(c)[i] < LL_I64(c)[best]
                                   : LL_I64(c)[i] > LL_I64(c)[best];
        } else {
            double x = ll_col_num(c, i), y = ll_col_num(c, best);
            less = which[1] == 'i' ? x < y : x > y;
        }
        if (less)
            best = i;
    }
    return best;
}

static int reduce(lua_State *L, const char *which)
{
    ll_column *c = check_col(L, 1);
    if (!strcmp(which, "min") || !strcmp(which, "max") ||
        !strcmp(which, "first") || !strcmp(which, "last")) {
        int64_t i = pick_row(c, which);
        if (i < 0)
            lua_pushnil(L);
        else
            push_value(L, c, i);
        return 1;
    }
    double q = 0;
    if (!strcmp(which, "quantile"))
        q = luaL_checknumber(L, 2);
    double out;
    ll_err err;
    ll_err_clear(&err);
    if (ll_col_reduce(c, which, q, &out, &err))
        return ll_lua_raise(L, &err);
    if (isnan(out))
        lua_pushnil(L);
    else if (!strcmp(which, "count") || !strcmp(which, "nunique") ||
             (!strcmp(which, "sum") &&
              (c->type == LL_INT || c->type == LL_BOOL)))
        lua_pushinteger(L, (lua_Integer)out);
    else
        lua_pushnumber(L, out);
    return 1;
}

#define REDUCER(fn)                                                            \
    static int l_col_##fn(lua_State *L)                                        \
    {                                                                          \
        return reduce(L, #fn);                                                 \
    }
REDUCER(sum)
REDUCER(mean)
REDUCER(std)
REDUCER(var)
REDUCER(min)
REDUCER(max)
REDUCER(median)
REDUCER(quantile)
REDUCER(count)
REDUCER(nunique)
REDUCER(first)
REDUCER(last)

static int compare(lua_State *L, const char *op)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r;
    lcol *b = luaL_testudata(L, 2, COLUMN_MT);
    if (b && b->c)
        r = ll_col_cmp(a->c, b->c, op, &err);
    else if (lua_type(L, 2) == LUA_TNUMBER)
        r = ll_col_cmp_num(a->c, lua_tonumber(L, 2), op, &err);
    else if (lua_type(L, 2) == LUA_TSTRING)
        r = ll_col_cmp_str(a->c, lua_tostring(L, 2), op, &err);
    else if (lua_type(L, 2) == LUA_TBOOLEAN && a->c->type == LL_BOOL)
        r = ll_col_cmp_num(a->c, lua_toboolean(L, 2), op, &err);
    else
        return luaL_error(L,
                          "compare '%s' with a %s: Column, number or "
                          "string expected",
                          a->name, luaL_typename(L, 2));
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return give_col(L, u, r, &err);
}

static int l_col_eq(lua_State *L)
{
    return compare(L, "==");
}
static int l_col_ne(lua_State *L)
{
    return compare(L, "!=");
}
static int l_col_lt(lua_State *L)
{
    return compare(L, "<");
}
static int l_col_le(lua_State *L)
{
    return compare(L, "<=");
}
static int l_col_gt(lua_State *L)
{
    return compare(L, ">");
}
static int l_col_ge(lua_State *L)
{
    return compare(L, ">=");
}

static int l_col_between(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    lua_settop(L, 3);
    lua_pushcfunction(L, l_col_ge);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    lua_pushcfunction(L, l_col_le);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 1);
    lcol *lo = check_lcol(L, 4), *hi = check_lcol(L, 5);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_logic(lo->c, hi->c, '&', &err), &err);
}

static int l_col_isin(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int64_t n = (int64_t)luaL_len(L, 2);
    lcol *u = new_col_ud(L, a->name);
    u->c = ll_col_new(LL_BOOL, a->c->len);
    if (!u->c)
        return luaL_error(L, "out of memory");
    int str = a->c->type == LL_STR || a->c->type == LL_CAT;
    for (int64_t k = 1; k <= n; k++) {
        lua_geti(L, 2, k);
        ll_err err;
        ll_err_clear(&err);
        ll_column *m = NULL;
        if (lua_type(L, -1) == LUA_TSTRING)
            m = ll_col_cmp_str(a->c, lua_tostring(L, -1), "==", &err);
        else if (lua_type(L, -1) == LUA_TNUMBER && !str)
            m = ll_col_cmp_num(a->c, lua_tonumber(L, -1), "==", &err);
        else if (lua_type(L, -1) == LUA_TBOOLEAN && a->c->type == LL_BOOL)
            m = ll_col_cmp_num(a->c, lua_toboolean(L, -1), "==", &err);
        else
            return luaL_error(L,
                              "isin: item %d (%s) does not match column "
                              "'%s' (%s)",
                              (int)k, luaL_typename(L, -1), a->name,
                              ll_dtype_name(a->c->type));
        if (!m)
            return ll_lua_raise(L, &err);
        for (int64_t i = 0; i < a->c->len; i++)
            LL_U8(u->c)[i] |= LL_U8(m)[i];
        ll_col_unref(m);
        lua_pop(L, 1);
    }
    return 1;
}

static int l_col_isna(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_isna_mask(a->c, 1), &err);
}

static int l_col_notna(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_isna_mask(a->c, 0), &err);
}

static int strfn(lua_State *L, const char *fn)
{
    lcol *a = check_lcol(L, 1);
    const char *arg = luaL_optstring(L, 2, NULL);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_strfn(a->c, fn, arg, &err);
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return give_col(L, u, r, &err);
}

#define STRFN(fn)                                                              \
    static int l_col_##fn(lua_State *L)                                        \
    {                                                                          \
        return strfn(L, #fn);                                                  \
    }
STRFN(lower)
STRFN(upper)
STRFN(strip)
STRFN(len)
STRFN(contains)
STRFN(startswith)
STRFN(endswith)

static int l_col_split(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    const char *sep = luaL_optstring(L, 2, " ");
    lua_newtable(L);
    int t = lua_gettop(L);
    int64_t parts = 1;
    for (int64_t k = 0; k < parts; k++) {
        lcol *u = new_col_ud(L, a->name);
        ll_err err;
        ll_err_clear(&err);
        int64_t maxp = 0;
        u->c = ll_col_split_part(a->c, sep, k, &maxp, &err);
        if (!u->c) {
            ll_err_prefix(&err, "column '%s'", a->name);
            return ll_lua_raise(L, &err);
        }
        if (k == 0)
            parts = maxp > 0 ? maxp : 1;
        lua_rawseti(L, t, k + 1);
    }
    return 1;
}

static int datepart(lua_State *L, const char *part)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_datepart(a->c, part, &err);
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return give_col(L, u, r, &err);
}

#define DATEPART(fn)                                                           \
    static int l_col_##fn(lua_State *L)                                        \
    {                                                                          \
        return datepart(L, #fn);                                               \
    }
DATEPART(year)
DATEPART(month)
DATEPART(day)
DATEPART(dayofweek)
DATEPART(dayofyear)
DATEPART(quarter)
DATEPART(week)
DATEPART(hour)
DATEPART(minute)
DATEPART(second)

static int mathfn(lua_State *L, const char *fn)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_math(a->c, fn, &err), &err);
}

static int l_col_abs(lua_State *L)
{
    return mathfn(L, "abs");
}
static int l_col_log(lua_State *L)
{
    return mathfn(L, "log");
}
static int l_col_exp(lua_State *L)
{
    return mathfn(L, "exp");
}
static int l_col_sqrt(lua_State *L)
{
    return mathfn(L, "sqrt");
}

static int l_col_astype(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    const char *tn = luaL_checkstring(L, 2);
    int t = ll_dtype_parse(tn);
    if (t < 0)
        return luaL_argerror(L, 2, "unknown type");
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_cast(a->c, (ll_dtype)t, &err);
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return give_col(L, u, r, &err);
}

static int l_col_fillna(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r;
    if (lua_type(L, 2) == LUA_TNUMBER)
        r = ll_col_fillna_num(a->c, lua_tonumber(L, 2), &err);
    else if (lua_type(L, 2) == LUA_TSTRING)
        r = ll_col_fillna_str(a->c, lua_tostring(L, 2), &err);
    else
        return luaL_argerror(L, 2, "number or string expected");
    return give_col(L, u, r, &err);
}

static int arith(lua_State *L, char op)
{
    lcol *a = luaL_testudata(L, 1, COLUMN_MT);
    lcol *b = luaL_testudata(L, 2, COLUMN_MT);
    ll_err err;
    ll_err_clear(&err);
    const char *name = a ? a->name : b->name;
    lcol *u = new_col_ud(L, name);
    ll_column *r;
    if (a && b) {
        if (!a->c || !b->c)
            return luaL_error(L, "attempt to use a closed Column");
        r = ll_col_arith(a->c, b->c, op, &err);
    } else if (a) {
        if (!a->c)
            return luaL_error(L, "attempt to use a closed Column");
        if (!lua_isnumber(L, 2))
            return luaL_error(L, "arithmetic on column '%s' and a %s", a->name,
                              luaL_typename(L, 2));
        r = ll_col_arith_scalar(a->c, lua_tonumber(L, 2), op, 0, &err);
    } else {
        if (!b->c)
            return luaL_error(L, "attempt to use a closed Column");
        if (!lua_isnumber(L, 1))
            return luaL_error(L, "arithmetic on a %s and column '%s'",
                              luaL_typename(L, 1), b->name);
        r = ll_col_arith_scalar(b->c, lua_tonumber(L, 1), op, 1, &err);
    }
    if (!r)
        ll_err_prefix(&err, "column '%s'", name);
    return give_col(L, u, r, &err);
}

static int l_col_add(lua_State *L)
{
    return arith(L, '+');
}
static int l_col_sub(lua_State *L)
{
    return arith(L, '-');
}
static int l_col_mul(lua_State *L)
{
    return arith(L, '*');
}
static int l_col_div(lua_State *L)
{
    return arith(L, '/');
}
static int l_col_mod(lua_State *L)
{
    return arith(L, '%');
}

static int l_col_unm(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_neg(a->c, &err), &err);
}

static int logic(lua_State *L, char op)
{
    lcol *a = check_lcol(L, 1);
    lcol *b = check_lcol(L, 2);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_logic(a->c, b->c, op, &err), &err);
}

static int l_col_band(lua_State *L)
{
    return logic(L, '&');
}
static int l_col_bor(lua_State *L)
{
    return logic(L, '|');
}

static int l_col_bnot(lua_State *L)
{
    lcol *a = check_lcol(L, 1);
    lcol *u = new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return give_col(L, u, ll_col_not(a->c, &err), &err);
}

/* --- registration --- */

static const ll_lua_fn df_fns[] = {
    {"read_csv", l_df_read_csv,
     "read_csv(path [, opts]) -> Frame | nil, msg -- Read a CSV file (opts: "
     "sep header na types parse_dates usecols nrows skip on_bad_lines strict "
     "encoding strings)."},
    {"parse_csv", l_df_parse_csv,
     "parse_csv(text [, opts]) -> Frame | nil, msg -- Read CSV text (options "
     "as read_csv)."},
    {"frame", l_df_frame,
     "frame{name = values, ...} | frame{{name, values}, ...} -> Frame -- "
     "Build a frame from Lua arrays or Columns."},
    {"column", l_df_column,
     "column(values [, type [, name]]) -> Column -- A column from a Lua "
     "array (df.NA for missing)."},
    {"concat", l_df_concat,
     "concat{f1, f2, ...} -> Frame -- Stack frames, matching columns by "
     "name."},
    {NULL, NULL, NULL}};

static const ll_lua_fn frame_methods[] = {
    {"head", l_frame_head, "head([n=5]) -> Frame -- The first n rows."},
    {"tail", l_frame_tail, "tail([n=5]) -> Frame -- The last n rows."},
    {"slice", l_frame_slice,
     "slice(from [, to]) -> Frame -- Rows from..to (1-based, inclusive)."},
    {"shape", l_frame_shape, "shape() -> rows, cols -- The frame's size."},
    {"columns", l_frame_columns,
     "columns() -> {names} -- Column names in "
     "order."},
    {"dtypes", l_frame_dtypes, "dtypes() -> {name = type} -- Column types."},
    {"describe", l_frame_describe,
     "describe() -> Frame -- count mean std min quartiles max; unique top "
     "freq for strings."},
    {"col", l_frame_col, "col(name) -> Column -- A column by name."},
    {"select", l_frame_select,
     "select{names} -> Frame -- Keep these "
     "columns, in this order."},
    {"drop", l_frame_drop, "drop{names} -> Frame -- Remove columns."},
    {"rename", l_frame_rename,
     "rename{old = new} -> Frame -- Rename "
     "columns."},
    {"filter", l_frame_filter,
     "filter(mask | expr | fn(row)) -> Frame -- Rows where the mask, "
     "expression or function is true."},
    {"eval", l_frame_eval,
     "eval(expr) -> Column -- Evaluate an expression such as 'a * 2 + b'."},
    {"mutate", l_frame_mutate,
     "mutate{name = Column | value | fn(frame)} -> Frame -- Add or replace "
     "columns."},
    {"assign", l_frame_mutate,
     "assign{name = Column | value} -> Frame -- "
     "Same as mutate."},
    {"sort", l_frame_sort,
     "sort(key | {key, {key, desc=true}} [, {desc=}]) -> Frame -- Stable "
     "multi-key sort, NA last."},
    {"groupby", l_frame_groupby,
     "groupby{keys} -> GroupBy -- Group rows for :agg{...}."},
    {"join", l_frame_join,
     "join(other, {on=, how=\"inner\"|\"left\"|\"right\"|\"outer\", "
     "suffixes=}) -> Frame -- Join on key columns."},
    {"concat", l_frame_concat,
     "concat(other) -> Frame -- This frame's rows "
     "then other's."},
    {"unique", l_frame_unique,
     "unique([cols]) -> Frame -- Distinct rows in "
     "order of appearance."},
    {"value_counts", l_frame_value_counts,
     "value_counts(cols) -> Frame -- Distinct values with a count column, "
     "most frequent first."},
    {"dropna", l_frame_dropna,
     "dropna([{subset=}]) -> Frame -- Drop rows "
     "with NA."},
    {"fillna", l_frame_fillna,
     "fillna(value | {col = value} | \"ffill\" | \"bfill\" [, {by=, "
     "order=}]) -> Frame -- Fill NA."},
    {"lag", l_frame_lag,
     "lag(col [, k=1 [, {by=, order=}]]) -> Column -- The value k rows "
     "earlier within the group."},
    {"lead", l_frame_lead,
     "lead(col [, k=1 [, {by=, order=}]]) -> Column -- The value k rows "
     "later within the group."},
    {"rolling", l_frame_rolling,
     "rolling(col, window [, fn=\"mean\" [, {by=, order=, min_periods=}]]) "
     "-> Column -- Rolling mean sum min max std var count."},
    {"resample", l_frame_resample,
     "resample(rule, {on=, by=, agg=}) -> Frame -- Aggregate into "
     "day/week/month bins ('1d', '7d', '1w', '1m')."},
    {"astype", l_frame_astype,
     "astype{col = type} -> Frame -- Convert "
     "columns."},
    {"train_test_split", l_frame_split,
     "train_test_split{test=0.25, seed=, shuffle=, time=} -> train, test -- "
     "Random or time-ordered split."},
    {"rows", l_frame_rows,
     "rows() -> iterator of i, row -- Iterate rows as "
     "tables."},
    {"row", l_frame_row, "row(i) -> {col = value} -- Row i (1-based)."},
    {"write_csv", l_frame_write_csv,
     "write_csv(path [, {sep=}]) -> true | nil, msg -- Write CSV "
     "atomically."},
    {"to_csv", l_frame_to_csv,
     "to_csv([{sep=}]) -> string -- The frame as "
     "CSV text."},
    {"copy", l_frame_copy, "copy() -> Frame -- A frame sharing the columns."},
    {"to_tensor", l_frame_to_tensor,
     "to_tensor{cols..., dtype=\"float32\", categorical=\"codes\"|\"onehot\"} "
     "-> Tensor -- A [rows, features] float32 tensor (no NA allowed)."},
    {"plot", l_frame_plot,
     "plot{y=name|{names}, x=name, kind=\"line\"|\"scatter\"|\"bar\"|"
     "\"barh\"|\"hist\", ...} -> Plot -- Chart columns with the plot "
     "module."},
    {NULL, NULL, NULL}};

static const ll_lua_fn frame_meta[] = {{"__gc", l_frame_close, NULL},
                                       {"__close", l_frame_close, NULL},
                                       {"__tostring", l_frame_tostring, NULL},
                                       {"__display", l_frame_display, NULL},
                                       {"__len", l_frame_len, NULL},
                                       {"__newindex", l_frame_newindex, NULL},
                                       {NULL, NULL, NULL}};

static const ll_lua_fn col_methods[] = {
    {"sum", l_col_sum, "sum() -> number -- Sum, NA skipped."},
    {"mean", l_col_mean, "mean() -> number -- Mean, NA skipped."},
    {"std", l_col_std, "std() -> number -- Sample standard deviation."},
    {"var", l_col_var, "var() -> number -- Sample variance."},
    {"min", l_col_min, "min() -> value -- Smallest value."},
    {"max", l_col_max, "max() -> value -- Largest value."},
    {"median", l_col_median, "median() -> number -- Median."},
    {"quantile", l_col_quantile,
     "quantile(q) -> number -- Quantile, linear interpolation."},
    {"count", l_col_count, "count() -> integer -- Values that are not NA."},
    {"nunique", l_col_nunique, "nunique() -> integer -- Distinct values."},
    {"first", l_col_first, "first() -> value -- First value that is not NA."},
    {"last", l_col_last, "last() -> value -- Last value that is not NA."},
    {"eq", l_col_eq, "eq(x) -> mask -- == a value or Column."},
    {"ne", l_col_ne, "ne(x) -> mask -- ~= a value or Column."},
    {"lt", l_col_lt, "lt(x) -> mask -- < a value or Column."},
    {"le", l_col_le, "le(x) -> mask -- <= a value or Column."},
    {"gt", l_col_gt, "gt(x) -> mask -- > a value or Column."},
    {"ge", l_col_ge, "ge(x) -> mask -- >= a value or Column."},
    {"between", l_col_between, "between(lo, hi) -> mask -- lo <= x <= hi."},
    {"isin", l_col_isin, "isin{values} -> mask -- Value is one of these."},
    {"isna", l_col_isna, "isna() -> mask -- Value is missing."},
    {"notna", l_col_notna, "notna() -> mask -- Value is present."},
    {"lower", l_col_lower, "lower() -> Column -- Lower-case strings."},
    {"upper", l_col_upper, "upper() -> Column -- Upper-case strings."},
    {"strip", l_col_strip,
     "strip() -> Column -- Strings without edge "
     "spaces."},
    {"len", l_col_len, "len() -> Column -- String lengths in characters."},
    {"contains", l_col_contains, "contains(s) -> mask -- Substring test."},
    {"startswith", l_col_startswith, "startswith(s) -> mask -- Prefix test."},
    {"endswith", l_col_endswith, "endswith(s) -> mask -- Suffix test."},
    {"split", l_col_split,
     "split([sep=\" \"]) -> {Column, ...} -- The parts as columns (NA when "
     "missing)."},
    {"year", l_col_year, "year() -> Column -- Year of a date."},
    {"month", l_col_month, "month() -> Column -- Month 1-12."},
    {"day", l_col_day, "day() -> Column -- Day of month."},
    {"dayofweek", l_col_dayofweek, "dayofweek() -> Column -- Monday = 0."},
    {"dayofyear", l_col_dayofyear, "dayofyear() -> Column -- 1-366."},
    {"quarter", l_col_quarter, "quarter() -> Column -- 1-4."},
    {"week", l_col_week, "week() -> Column -- ISO week number."},
    {"hour", l_col_hour, "hour() -> Column -- Hour of a datetime."},
    {"minute", l_col_minute, "minute() -> Column -- Minute of a datetime."},
    {"second", l_col_second, "second() -> Column -- Second of a datetime."},
    {"abs", l_col_abs, "abs() -> Column -- Absolute values."},
    {"log", l_col_log, "log() -> Column -- Natural logarithm."},
    {"exp", l_col_exp, "exp() -> Column -- Exponential."},
    {"sqrt", l_col_sqrt, "sqrt() -> Column -- Square root."},
    {"astype", l_col_astype,
     "astype(type) -> Column -- Convert the "
     "column."},
    {"fillna", l_col_fillna, "fillna(value) -> Column -- Fill NA."},
    {"to_table", l_col_to_table,
     "to_table() -> {values} -- A Lua array; numeric NA becomes NaN, other "
     "NA leaves a hole."},
    {"dtype", l_col_dtype, "dtype() -> string -- The column's type."},
    {"name", l_col_name, "name() -> string -- The column's name."},
    {NULL, NULL, NULL}};

static const ll_lua_fn col_meta[] = {{"__gc", l_col_close, NULL},
                                     {"__close", l_col_close, NULL},
                                     {"__tostring", l_col_tostring, NULL},
                                     {"__display", l_col_display, NULL},
                                     {"__len", l_col_length, NULL},
                                     {"__add", l_col_add, NULL},
                                     {"__sub", l_col_sub, NULL},
                                     {"__mul", l_col_mul, NULL},
                                     {"__div", l_col_div, NULL},
                                     {"__mod", l_col_mod, NULL},
                                     {"__unm", l_col_unm, NULL},
                                     {"__band", l_col_band, NULL},
                                     {"__bor", l_col_bor, NULL},
                                     {"__bnot", l_col_bnot, NULL},
                                     {NULL, NULL, NULL}};

static const ll_lua_fn group_methods[] = {
    {"agg", l_group_agg,
     "agg{col = fn | {fns}, out = {col, fn}} -> Frame -- Aggregate each "
     "group (sum mean min max count nunique std var median first last "
     "size)."},
    {"size", l_group_size, "size() -> Frame -- Rows per group."},
    {NULL, NULL, NULL}};

static const ll_lua_fn group_meta[] = {{"__gc", l_group_close, NULL},
                                       {"__close", l_group_close, NULL},
                                       {"__tostring", l_group_tostring, NULL},
                                       {NULL, NULL, NULL}};

/* Replace __index (a methods table) with a function that also finds
 * columns / values, the methods table as its upvalue. */
static void index_fn(lua_State *L, lua_CFunction fn)
{
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, "__index");
}

static int l_na_tostring(lua_State *L)
{
    lua_pushliteral(L, "NA");
    return 1;
}

int luaopen_lualab_df(lua_State *L);
int luaopen_lualab_df(lua_State *L)
{
    ll_lua_newclass(L, FRAME_MT, frame_methods, frame_meta);
    index_fn(L, l_frame_index);
    lua_pop(L, 1);
    ll_lua_newclass(L, COLUMN_MT, col_methods, col_meta);
    index_fn(L, l_col_index);
    lua_pop(L, 1);
    ll_lua_newclass(L, GROUP_MT, group_methods, group_meta);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "df", df_fns);
    /* df.NA: one userdata that prints (and displays) as NA */
    lua_newuserdatauv(L, 0, 0);
    luaL_newmetatable(L, NA_MT);
    lua_pushliteral(L, "NA");
    lua_setfield(L, -2, "__name");
    lua_pushcfunction(L, l_na_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "NA");
    return 1;
}
