/*
 * lua_df: the `df` module.  Frames, Columns and GroupBys are userdata
 * holding C handles; nothing big crosses into Lua.  Every handle is created
 * empty before the C object is made, so a Lua error never leaks one; core
 * errors are raised only once no C memory is held by the caller.
 * Misuse raises; read_csv's expected failures return nil, message.
 *
 * This file: the handles and Lua-value helpers the class files share, the
 * public face (lua_frame.h), the df.* functions (read_csv, frame, column,
 * concat), df.NA and the registration of the three classes.  The methods
 * are in lua_frame.c (Frame), lua_column.c (Column), lua_groupby.c
 * (GroupBy).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/lua_frame_int.h"

/* --- handles --- */

lframe *df_new_frame_ud(lua_State *L)
{
    lframe *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->f = NULL;
    luaL_setmetatable(L, FRAME_MT);
    return u;
}

lcol *df_new_col_ud(lua_State *L, const char *name)
{
    lcol *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->c = NULL;
    snprintf(u->name, sizeof u->name, "%s", name ? name : "");
    luaL_setmetatable(L, COLUMN_MT);
    return u;
}

ll_frame *df_check_frame(lua_State *L, int idx)
{
    lframe *u = luaL_checkudata(L, idx, FRAME_MT);
    if (!u->f)
        luaL_error(L, "attempt to use a closed Frame");
    return u->f;
}

lcol *df_check_lcol(lua_State *L, int idx)
{
    lcol *u = luaL_checkudata(L, idx, COLUMN_MT);
    if (!u->c)
        luaL_error(L, "attempt to use a closed Column");
    return u;
}

ll_column *df_check_col(lua_State *L, int idx)
{
    return df_check_lcol(L, idx)->c;
}

/* --- the public face (lua_frame.h) --- */

ll_frame *ll_lua_check_frame(lua_State *L, int idx)
{
    return df_check_frame(L, idx);
}

ll_frame *ll_lua_test_frame(lua_State *L, int idx)
{
    if (!luaL_testudata(L, idx, FRAME_MT))
        return NULL;
    return df_check_frame(L, idx);
}

ll_frame *ll_lua_peek_frame(lua_State *L, int idx)
{
    lframe *u = luaL_testudata(L, idx, FRAME_MT);
    return u ? u->f : NULL;
}

ll_frame **ll_lua_new_frame(lua_State *L)
{
    return &df_new_frame_ud(L)->f;
}

ll_column *ll_lua_check_column(lua_State *L, int idx)
{
    return df_check_col(L, idx);
}

ll_column **ll_lua_new_column(lua_State *L, const char *name)
{
    return &df_new_col_ud(L, name)->c;
}

int df_to_tensor_opts(lua_State *L, int idx)
{
    static const char *const opts[] = {"categorical", "dtype", NULL};
    ll_lua_check_opts(L, idx, "to_tensor", opts);
    const char *dtype = ll_opt_str(L, idx, "dtype", "float32");
    if (strcmp(dtype, "float32"))
        return luaL_error(L, "to_tensor: dtype must be \"float32\", got '%s'",
                          dtype);
    const char *cat = ll_opt_str(L, idx, "categorical", "codes");
    int onehot = !strcmp(cat, "onehot");
    if (!onehot && strcmp(cat, "codes"))
        return luaL_error(L,
                          "to_tensor: categorical must be \"codes\" or "
                          "\"onehot\", got '%s'",
                          cat);
    return onehot;
}

/* Sort the array of names at index names in place with table.sort. */
void df_sort_names(lua_State *L, int names)
{
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, names);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
}

int df_give_frame(lua_State *L, lframe *u, ll_frame *f, ll_err *err)
{
    if (!f) {
        if (!err->msg[0])
            ll_err_set(err, LL_ENOMEM, "out of memory");
        return ll_lua_raise(L, err);
    }
    u->f = f;
    return 1;
}

/* Push the result of op(f, names, n) as a Frame (the userdata is created
 * before the op runs, so a Lua error cannot leak its result). */
int df_push_names_op(lua_State *L, const ll_frame *f, const char **names, int n,
                     names_op op)
{
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, op(f, names, n, &err), &err);
}

int df_give_col(lua_State *L, lcol *u, ll_column *c, ll_err *err)
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
const char **df_str_list(lua_State *L, int idx, int *n, const char *what)
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

void df_push_value(lua_State *L, const ll_column *c, int64_t i)
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
ll_column *df_col_from_lua(lua_State *L, int idx, int64_t n,
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
                ll_err_oom(err);
                return NULL;
            }
        }
        c = ll_sb_finish(&sb, err);
    } else {
        c = ll_col_new(kind == 0   ? LL_BOOL
                       : kind == 1 ? LL_INT
                                   : LL_FLOAT,
                       n, err);
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

static const char *const csv_opt_names[] = {
    "sep",     "header",      "na",          "na_values", "types",
    "dtype",   "parse_dates", "date_format", "dayfirst",  "errors",
    "usecols", "nrows",       "skip",        "skiprows",  "on_bad_lines",
    "strict",  "encoding",    "threads",     "strings",   NULL};

static int parse_csv_opts(lua_State *L, int idx, const char *fname,
                          ll_csv_opts *o)
{
    ll_csv_opts_init(o);
    if (lua_isnoneornil(L, idx))
        return 0;
    luaL_checktype(L, idx, LUA_TTABLE);
    ll_lua_check_opts(L, idx, fname, csv_opt_names);
    o->date_format = ll_opt_str(L, idx, "date_format", NULL);
    if (o->date_format && !ll_date_fmt_check(o->date_format))
        luaL_error(L,
                   "option 'date_format': '%s' uses a directive other than "
                   "%%Y %%y %%m %%d %%H %%M %%S %%f %%b %%%%",
                   o->date_format);
    o->dayfirst = ll_opt_bool(L, idx, "dayfirst", 0);
    const char *errs = ll_opt_str(L, idx, "errors", "raise");
    if (!strcmp(errs, "coerce"))
        o->coerce = 1;
    else if (strcmp(errs, "raise"))
        luaL_error(L,
                   "option 'errors': \"raise\" or \"coerce\" expected, got "
                   "'%s'",
                   errs);
    int has_skip = lua_getfield(L, idx, "skip") != LUA_TNIL;
    int has_skiprows = lua_getfield(L, idx, "skiprows") != LUA_TNIL;
    lua_pop(L, 2);
    if (has_skip && has_skiprows)
        luaL_error(L, "options 'skip' and 'skiprows' mean the same: give one");
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
    o->skip = ll_opt_int(L, idx, has_skiprows ? "skiprows" : "skip", 0);
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
        const char **na = df_str_list(L, -1, &n, "option 'na'");
        na[n] = NULL;
        o->na = na;
        lua_insert(L, -2); /* keep the list below the table */
    } else {
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_pushnil(L);
    }
    if (lua_getfield(L, idx, "na_values") != LUA_TNIL) {
        /* pandas: na_values add to the NA strings (the defaults or na) */
        int extra;
        const char **more = df_str_list(L, -1, &extra, "option 'na_values'");
        const char *const *base = o->na ? o->na : ll_csv_default_na;
        int nb = 0;
        while (base[nb])
            nb++;
        const char **all =
            lua_newuserdatauv(L, sizeof *all * (size_t)(nb + extra + 1), 0);
        memcpy(all, base, sizeof *all * (size_t)nb);
        memcpy(all + nb, more, sizeof *all * (size_t)extra);
        all[nb + extra] = NULL;
        o->na = all;
    }
    if (lua_getfield(L, idx, "usecols") != LUA_TNIL) {
        int first = LUA_TNIL;
        if (lua_istable(L, -1)) {
            first = lua_geti(L, -1, 1);
            lua_pop(L, 1);
        }
        if (first == LUA_TNUMBER) {
            /* pandas' positions, counted from 0 */
            int cnt = (int)luaL_len(L, -1);
            int *pos = lua_newuserdatauv(L, sizeof *pos * (size_t)(cnt + 1), 0);
            for (int k = 0; k < cnt; k++) {
                lua_geti(L, -2, k + 1);
                if (!lua_isinteger(L, -1))
                    luaL_error(L,
                               "option 'usecols': item %d: column position "
                               "(an integer) expected, got %s",
                               k + 1, luaL_typename(L, -1));
                pos[k] = (int)lua_tointeger(L, -1);
                lua_pop(L, 1);
            }
            o->usecols_pos = pos;
            o->nusecols = cnt;
        } else {
            o->usecols = df_str_list(L, -1, &n, "option 'usecols'");
            o->nusecols = n;
        }
    } else {
        lua_pushnil(L);
    }
    if (lua_getfield(L, idx, "parse_dates") != LUA_TNIL) {
        o->parse_dates = df_str_list(L, -1, &n, "option 'parse_dates'");
        o->nparse_dates = n;
    } else {
        lua_pushnil(L);
    }
    int has_dtype = lua_getfield(L, idx, "dtype") != LUA_TNIL;
    if (lua_getfield(L, idx, "types") != LUA_TNIL && has_dtype)
        luaL_error(L, "options 'types' and 'dtype' mean the same: give one");
    const char *tkey = has_dtype ? "dtype" : "types";
    if (has_dtype)
        lua_pop(L, 1); /* the dtype table is on top */
    if (!lua_isnil(L, -1)) {
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
                luaL_error(L, "option '%s': {column = \"type\"} expected",
                           tkey);
            cols[k] = lua_tostring(L, -2);
            int t = ll_dtype_parse(lua_tostring(L, -1));
            if (t < 0)
                luaL_error(L, "option '%s': unknown type '%s' for column '%s'",
                           tkey, lua_tostring(L, -1), cols[k]);
            vals[k++] = t;
            lua_pop(L, 1);
        }
        o->type_cols = cols;
        o->type_vals = vals;
        o->ntypes = cnt;
    }
    if ((o->date_format || o->dayfirst) && o->nparse_dates == 0)
        luaL_error(L, "options 'date_format' and 'dayfirst' apply to the "
                      "columns named in parse_dates");
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
    parse_csv_opts(L, 2, "read_csv", &o);
    lframe *u = df_new_frame_ud(L);
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
    parse_csv_opts(L, 2, "parse_csv", &o);
    lframe *u = df_new_frame_ud(L);
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
    lframe *u = df_new_frame_ud(L);
    int ud = lua_gettop(L);
    ll_err err;
    ll_err_clear(&err);
    u->f = ll_frame_new(&err);
    if (!u->f)
        return ll_lua_raise(L, &err);
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
        df_sort_names(L, names);
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
            c = df_col_from_lua(L, -1, lua_array_len(L, lua_gettop(L)), NULL,
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
    lcol *u = df_new_col_ud(L, name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *c = df_col_from_lua(L, 1, lua_array_len(L, 1), type, &err);
    return df_give_col(L, u, c, &err);
}

static int l_df_concat(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int64_t n = (int64_t)luaL_len(L, 1);
    if (n < 1)
        return luaL_error(L, "df.concat: a list of Frames expected");
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    lua_geti(L, 1, 1);
    ll_frame *acc = ll_frame_copy(df_check_frame(L, -1), &err);
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
    return df_give_frame(L, u, acc, &err);
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
    ll_lua_newclass(L, FRAME_MT, df_frame_methods, df_frame_meta);
    index_fn(L, df_frame_index);
    lua_pop(L, 1);
    ll_lua_newclass(L, COLUMN_MT, df_col_methods, df_col_meta);
    index_fn(L, df_col_index);
    lua_pop(L, 1);
    ll_lua_newclass(L, GROUP_MT, df_group_methods, df_group_meta);
    lua_pop(L, 1);
    ll_lua_newclass(L, STR_MT, df_str_methods, df_str_meta);
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
