/*
 * lua_frame: the Frame methods of the `df` module (see lua_df.c for the
 * module and the handles, lua_column.c and lua_groupby.c for the other
 * classes).  Bindings only: each method checks its arguments, calls the
 * frame core and pushes the result.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/lua_frame_int.h"
#include "nn/lua_nn.h"
#include "nn/tensor.h"

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
void df_render_size(lua_State *L, int optidx, int *width, int *max_rows)
{
    *width = (int)ll_opt_int(L, optidx, "width", 100);
    int height = (int)ll_opt_int(L, optidx, "height", 0);
    *max_rows = (int)ll_opt_int(L, optidx, "max_rows", 20);
    if (height > 0 && height - 4 < *max_rows)
        *max_rows = height - 4 < 4 ? 4 : height - 4;
}

/* Push the text in b and free b; rc != 0 (the writer failed) raises
 * "out of memory". */
int df_push_buf(lua_State *L, ll_buf *b, int rc)
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
    df_render_size(L, optidx, &width, &max_rows);
    ll_buf b;
    ll_buf_init(&b);
    return df_push_buf(L, &b, ll_frame_render(f, width, max_rows, &b));
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
    ll_frame *f = df_check_frame(L, 1);
    return render_frame(L, f, 2);
}

static int l_frame_len(lua_State *L)
{
    lua_pushinteger(L, df_check_frame(L, 1)->nrow);
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
    lcol *u = df_new_col_ud(L, f->names[i]);
    u->c = ll_col_ref(f->cols[i]);
    return 1;
}

static int l_frame_row(lua_State *L);

int df_frame_index(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
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
    ll_frame *f = df_check_frame(L, 1);
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
    ll_frame *f = df_check_frame(L, 1);
    return push_column_of(L, f, col_index(L, f, luaL_checkstring(L, 2)));
}

static int l_frame_head(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, 5);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_slice(f, 0, n < 0 ? 0 : n, &err), &err);
}

static int l_frame_tail(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, 5);
    if (n < 0)
        n = 0;
    if (n > f->nrow)
        n = f->nrow;
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_slice(f, f->nrow - n, n, &err), &err);
}

static int l_frame_slice(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_Integer from = luaL_checkinteger(L, 2);
    lua_Integer to = luaL_optinteger(L, 3, f->nrow);
    if (from < 1)
        from = 1;
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_slice(f, from - 1, to - from + 1, &err),
                         &err);
}

static int l_frame_shape(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_pushinteger(L, f->nrow);
    lua_pushinteger(L, f->ncol);
    return 2;
}

static int l_frame_columns(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_createtable(L, f->ncol, 0);
    for (int i = 0; i < f->ncol; i++) {
        lua_pushstring(L, f->names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* dtypes: {name = type}, whose pairs() and display follow the column
 * order (the names are kept in the metatable's __order). */
static int dtypes_next(lua_State *L)
{
    lua_Integer k = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    if (lua_geti(L, lua_upvalueindex(1), k) == LUA_TNIL)
        return 0;
    lua_pushinteger(L, k);
    lua_replace(L, lua_upvalueindex(2));
    lua_pushvalue(L, -1);
    lua_rawget(L, 1);
    return 2;
}

static int dtypes_pairs(lua_State *L)
{
    luaL_getmetafield(L, 1, "__order");
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, dtypes_next, 2);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int dtypes_tostring(lua_State *L)
{
    luaL_getmetafield(L, 1, "__order");
    int order = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t w = 0;
    for (lua_Integer k = 1; lua_geti(L, order, k) != LUA_TNIL; k++) {
        size_t len = lua_rawlen(L, -1);
        w = len > w ? len : w;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (lua_Integer k = 1; lua_geti(L, order, k) != LUA_TNIL; k++) {
        size_t len;
        const char *name = lua_tolstring(L, -1, &len);
        lua_pushvalue(L, -1);
        lua_rawget(L, 1);
        const char *t = lua_tostring(L, -1);
        luaL_addlstring(&b, name, len);
        for (size_t i = len; i < w + 2; i++)
            luaL_addchar(&b, ' ');
        luaL_addstring(&b, t ? t : "?");
        luaL_addchar(&b, '\n');
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    luaL_pushresult(&b);
    return 1;
}

static int l_frame_dtypes(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_createtable(L, 0, f->ncol);
    lua_createtable(L, 0, 4); /* metatable */
    lua_createtable(L, f->ncol, 0);
    for (int i = 0; i < f->ncol; i++) {
        lua_pushstring(L, ll_dtype_name(f->cols[i]->type));
        lua_setfield(L, -4, f->names[i]);
        lua_pushstring(L, f->names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "__order");
    lua_pushcfunction(L, dtypes_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushcfunction(L, dtypes_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_setmetatable(L, -2);
    return 1;
}

static int l_frame_describe(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_describe(f, &err), &err);
}

static int l_frame_select(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    int n;
    const char **names = df_str_list(L, 2, &n, "select");
    return df_push_names_op(L, f, names, n, ll_frame_select);
}

static int l_frame_drop(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    int n;
    const char **names = df_str_list(L, 2, &n, "drop");
    return df_push_names_op(L, f, names, n, ll_frame_drop);
}

/* rename(fn): fn(name) gives each new name (nil keeps it). */
static int rename_fn(lua_State *L, ll_frame *f)
{
    const char **from =
        lua_newuserdatauv(L, sizeof *from * (size_t)(f->ncol + 1), 0);
    const char **to =
        lua_newuserdatauv(L, sizeof *to * (size_t)(f->ncol + 1), 0);
    int base = lua_gettop(L), k = 0;
    for (int i = 0; i < f->ncol; i++) {
        lua_pushvalue(L, 2);
        lua_pushstring(L, f->names[i]);
        lua_call(L, 1, 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            continue;
        }
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L,
                              "rename: the function gave a %s for column "
                              "'%s' (a string or nil expected)",
                              luaL_typename(L, -1), f->names[i]);
        from[k] = f->names[i];
        to[k++] = lua_tostring(L, -1); /* kept on the stack */
    }
    (void)base;
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_rename(f, from, to, k, &err), &err);
}

static int l_frame_rename(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    if (lua_isfunction(L, 2))
        return rename_fn(L, f);
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
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_rename(f, from, to, cnt, &err), &err);
}

static void push_row_table(lua_State *L, const ll_frame *f, int64_t i)
{
    lua_createtable(L, 0, f->ncol);
    for (int j = 0; j < f->ncol; j++) {
        df_push_value(L, f->cols[j], i);
        lua_setfield(L, -2, f->names[j]);
    }
}

static int l_frame_row(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || i > f->nrow)
        return luaL_error(L, "row %d out of range (the frame has %d rows)",
                          (int)i, (int)f->nrow);
    push_row_table(L, f, i - 1);
    return 1;
}

static int rows_iter(lua_State *L)
{
    ll_frame *f = df_check_frame(L, lua_upvalueindex(1));
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
    df_check_frame(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, rows_iter, 2);
    return 1;
}

static int l_frame_filter(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    ll_err err;
    ll_err_clear(&err);
    if (lua_type(L, 2) == LUA_TSTRING) {
        lcol *m = df_new_col_ud(L, "mask");
        m->c = ll_frame_eval(f, lua_tostring(L, 2), &err);
        if (!m->c)
            return ll_lua_raise(L, &err);
        if (m->c->type != LL_BOOL)
            return luaL_error(L, "filter: expression gives %s, not bool",
                              ll_dtype_name(m->c->type));
        lframe *u = df_new_frame_ud(L);
        return df_give_frame(L, u, ll_frame_filter(f, m->c, &err), &err);
    }
    if (lua_isfunction(L, 2)) {
        lcol *m = df_new_col_ud(L, "mask");
        m->c = ll_col_new(LL_BOOL, f->nrow, &err);
        if (!m->c)
            return ll_lua_raise(L, &err);
        for (int64_t i = 0; i < f->nrow; i++) {
            lua_pushvalue(L, 2);
            push_row_table(L, f, i);
            lua_call(L, 1, 1);
            LL_U8(m->c)[i] = (uint8_t)lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
        lframe *u = df_new_frame_ud(L);
        return df_give_frame(L, u, ll_frame_filter(f, m->c, &err), &err);
    }
    ll_column *mask = df_check_col(L, 2);
    lframe *u = df_new_frame_ud(L);
    return df_give_frame(L, u, ll_frame_filter(f, mask, &err), &err);
}

static int l_frame_eval(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    const char *e = luaL_checkstring(L, 2);
    lcol *u = df_new_col_ud(L, e);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_frame_eval(f, e, &err), &err);
}

/* A constant column of n rows from a Lua scalar at idx; NULL with err
 * filled when memory runs out, NULL with err untouched for another type. */
static ll_column *const_col(lua_State *L, int idx, int64_t n, ll_err *err)
{
    ll_column *c = NULL;
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        c = ll_col_new(LL_BOOL, n, err);
        if (c)
            memset(c->data, lua_toboolean(L, idx), (size_t)n);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            c = ll_col_new(LL_INT, n, err);
            for (int64_t i = 0; c && i < n; i++)
                LL_I64(c)[i] = lua_tointeger(L, idx);
        } else {
            c = ll_col_new(LL_FLOAT, n, err);
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
                ll_err_oom(err);
                return NULL;
            }
        c = ll_sb_finish(&sb, err);
        break;
    }
    default:
        break;
    }
    return c;
}

static int l_frame_mutate(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lframe *u = df_new_frame_ud(L);
    int uidx = lua_gettop(L);
    ll_err cerr;
    ll_err_clear(&cerr);
    u->f = ll_frame_copy(f, &cerr);
    if (!u->f)
        return ll_lua_raise(L, &cerr);
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
    df_sort_names(L, names);
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
            c = const_col(L, -1, u->f->nrow, &cerr);
            if (!c && cerr.code)
                return ll_lua_raise(L, &cerr);
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
        static const char *const opts[] = {"desc", NULL};
        ll_lua_check_opts(L, idx + 1, "sort", opts);
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
    ll_frame *f = df_check_frame(L, 1);
    const char **keys;
    int *desc;
    int n = sort_spec(L, 2, &keys, &desc);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_sort(f, keys, desc, n, &err), &err);
}

static int l_frame_join(lua_State *L)
{
    ll_frame *a = df_check_frame(L, 1);
    ll_frame *b = df_check_frame(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    static const char *const opts[] = {"on", "how", "suffixes", NULL};
    ll_lua_check_opts(L, 3, "join", opts);
    lua_getfield(L, 3, "on");
    if (lua_isnil(L, -1))
        return luaL_error(L, "join: option 'on' (key names) is required");
    int n;
    const char **on = df_str_list(L, -1, &n, "join: on");
    const char *how = ll_opt_str(L, 3, "how", "inner");
    const char *sa = "_x", *sb = "_y";
    if (lua_getfield(L, 3, "suffixes") == LUA_TTABLE) {
        lua_geti(L, -1, 1);
        lua_geti(L, -2, 2);
        sa = luaL_optstring(L, -2, "_x");
        sb = luaL_optstring(L, -1, "_y");
    }
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_join(a, b, on, n, how, sa, sb, &err),
                         &err);
}

static int l_frame_concat(lua_State *L)
{
    ll_frame *a = df_check_frame(L, 1);
    ll_frame *b = df_check_frame(L, 2);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_concat(a, b, &err), &err);
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
    return df_str_list(L, idx, n, what);
}

static int l_frame_unique(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    int n;
    const char **cols = cols_or_all(L, 2, f, &n, "unique");
    return df_push_names_op(L, f, cols, n, ll_frame_unique);
}

static int l_frame_value_counts(lua_State *L)
{
    static const char *const opts[] = {"dropna", NULL};
    ll_frame *f = df_check_frame(L, 1);
    int n;
    const char **cols = df_str_list(L, 2, &n, "value_counts");
    int oi = lua_istable(L, 3) ? 3 : lua_istable(L, 2) ? 2 : 0;
    int dropna = 1;
    if (oi) {
        ll_lua_check_opts(L, oi, "value_counts", opts);
        dropna = ll_opt_bool(L, oi, "dropna", 1);
    }
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(
        L, u, ll_frame_value_counts_opt(f, cols, n, dropna, &err), &err);
}

static int l_frame_dropna(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    const char **subset = NULL;
    int n = 0;
    if (lua_istable(L, 2)) {
        static const char *const opts[] = {"subset", NULL};
        ll_lua_check_opts(L, 2, "dropna", opts);
        lua_getfield(L, 2, "subset");
        if (!lua_isnil(L, -1))
            subset = df_str_list(L, -1, &n, "dropna: subset");
    }
    return df_push_names_op(L, f, subset, n, ll_frame_dropna);
}

/* Group ids and time order from opts {by=, order=} at idx (see
 * ll_frame_group_order); both NULL when neither is given.  The arrays are
 * copied into scratch userdata left on the stack, so a later Lua error
 * leaks nothing. */
static void group_order(lua_State *L, int idx, ll_frame *f, int64_t **order,
                        int64_t **group, int need_order, const char *fname)
{
    static const char *const by_order[] = {"by", "order", NULL};
    static const char *const rolling[] = {"by", "order", "min_periods", NULL};
    if (lua_istable(L, idx))
        ll_lua_check_opts(L, idx, fname,
                          strcmp(fname, "rolling") ? by_order : rolling);
    *order = NULL;
    *group = NULL;
    int nby = 0, nord = 0;
    const char **by = NULL, **ord = NULL;
    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "by");
        if (!lua_isnil(L, -1))
            by = df_str_list(L, -1, &nby, "option 'by'");
        lua_getfield(L, idx, "order");
        if (!lua_isnil(L, -1))
            ord = df_str_list(L, -1, &nord, "option 'order'");
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
    ll_frame *f = df_check_frame(L, 1);
    ll_err err;
    ll_err_clear(&err);
    int t = lua_type(L, 2);
    const char *s = t == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    if (s && (!strcmp(s, "ffill") || !strcmp(s, "bfill"))) {
        int64_t *order, *group;
        group_order(L, 3, f, &order, &group, 1, "fillna");
        lframe *u = df_new_frame_ud(L);
        return df_give_frame(
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
    lframe *u = df_new_frame_ud(L);
    return df_give_frame(L, u, ll_frame_fillna(f, fills, n, &err), &err);
}

static int shift(lua_State *L, int sign)
{
    ll_frame *f = df_check_frame(L, 1);
    const char *name = luaL_checkstring(L, 2);
    lua_Integer k = luaL_optinteger(L, 3, 1);
    int i = col_index(L, f, name);
    ll_err err;
    ll_err_clear(&err);
    int64_t *order, *group;
    group_order(L, 4, f, &order, &group, 1, sign > 0 ? "lag" : "lead");
    lcol *u = df_new_col_ud(L, name);
    return df_give_col(
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
    ll_frame *f = df_check_frame(L, 1);
    const char *name = luaL_checkstring(L, 2);
    lua_Integer w = luaL_checkinteger(L, 3);
    const char *fn = luaL_optstring(L, 4, "mean");
    lua_Integer minp = ll_opt_int(L, 5, "min_periods", -1);
    int i = col_index(L, f, name);
    ll_err err;
    ll_err_clear(&err);
    int64_t *order, *group;
    group_order(L, 5, f, &order, &group, 0, "rolling");
    lcol *u = df_new_col_ud(L, name);
    return df_give_col(
        L, u, ll_col_rolling(f->cols[i], w, minp, fn, order, group, &err),
        &err);
}

static int l_frame_resample(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    const char *rule = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    static const char *const opts[] = {"on", "by", "agg", NULL};
    ll_lua_check_opts(L, 3, "resample", opts);
    const char *on = ll_opt_str(L, 3, "on", NULL);
    if (!on)
        return luaL_error(L, "resample: option 'on' (the time column) is "
                             "required");
    int nby = 0;
    const char **by = NULL;
    lua_getfield(L, 3, "by");
    if (!lua_isnil(L, -1))
        by = df_str_list(L, -1, &nby, "resample: by");
    lua_getfield(L, 3, "agg");
    if (!lua_istable(L, -1))
        return luaL_error(L, "resample: option 'agg' ({col = \"fn\"}) is "
                             "required");
    ll_agg *aggs;
    int na = df_agg_spec(L, -1, f, &aggs);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(
        L, u, ll_frame_resample(f, rule, on, by, nby, aggs, na, &err), &err);
}

static int l_frame_astype(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    u->f = ll_frame_copy(f, &err);
    if (!u->f)
        return ll_lua_raise(L, &err);
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
    ll_frame *f = df_check_frame(L, 1);
    static const char *const opts[] = {"test", "seed", "time", "shuffle", NULL};
    ll_lua_check_opts(L, 2, "train_test_split", opts);
    double test = ll_opt_num(L, 2, "test", 0.25);
    lua_Integer seed = ll_opt_int(L, 2, "seed", 0);
    const char *time = ll_opt_str(L, 2, "time", NULL);
    int shuffle = ll_opt_bool(L, 2, "shuffle", time == NULL);
    lframe *tr = df_new_frame_ud(L);
    lframe *te = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    int64_t *perm, ntrain;
    if (ll_frame_split_index(f, test, (uint64_t)seed, shuffle, time, &perm,
                             &ntrain, &err))
        return ll_lua_raise(L, &err);
    tr->f = ll_frame_take(f, perm, ntrain, &err);
    te->f =
        tr->f ? ll_frame_take(f, perm + ntrain, f->nrow - ntrain, &err) : NULL;
    free(perm);
    if (!tr->f || !te->f)
        return ll_lua_raise(L, &err);
    return 2;
}

static int l_frame_write_csv(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    const char *path = luaL_checkstring(L, 2);
    static const char *const opts[] = {"sep", NULL};
    ll_lua_check_opts(L, 3, "write_csv", opts);
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
    ll_frame *f = df_check_frame(L, 1);
    static const char *const opts[] = {"sep", NULL};
    ll_lua_check_opts(L, 2, "to_csv", opts);
    const char *sep = ll_opt_str(L, 2, "sep", ",");
    ll_buf b;
    ll_buf_init(&b);
    return df_push_buf(L, &b, ll_frame_to_csv(f, sep[0], &b));
}

/* to_tensor{cols..., dtype="float32", categorical="codes"|"onehot"}: a
 * [rows, features] float32 tensor by ll_frame_to_matrix's rules. */
static void need_nn(lua_State *L);

/* f:plot{...}: the chart is built in lua/lualab/_plotting.lua. */
static int l_frame_plot(lua_State *L)
{
    df_check_frame(L, 1);
    return ll_lua_call_module(L, "lualab._plotting", "frame", 2);
}

static int l_frame_to_tensor(lua_State *L)
{
    ll_frame *f = df_check_frame(L, 1);
    need_nn(L);
    int n = 0;
    const char **names = NULL;
    if (lua_istable(L, 2) && luaL_len(L, 2) > 0)
        names = df_str_list(L, 2, &n, "to_tensor");
    else
        names = cols_or_all(L, lua_gettop(L) + 1, f, &n, "to_tensor");
    int onehot = df_to_tensor_opts(L, 2);
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
    return df_push_tensor(L, f, cols, n, onehot, 0, "to_tensor");
}

int df_push_tensor(lua_State *L, const ll_frame *f, const int *cols, int n,
                   int onehot, int flat, const char *what)
{
    need_nn(L);
    ll_err err;
    ll_err_clear(&err);
    int64_t width;
    if (ll_frame_matrix_width(f, cols, n, onehot, &width, &err)) {
        ll_err_prefix(&err, "%s", what);
        return ll_lua_raise(L, &err);
    }
    int64_t shape[2] = {f->nrow, width};
    ll_tensor *t = ll_tensor_new(flat && width == 1 ? 1 : 2, shape, &err);
    if (!t)
        return ll_lua_raise(L, &err);
    if (ll_frame_to_matrix(f, cols, n, onehot, ll_tensor_data(t), width,
                           &err)) {
        ll_tensor_free(t);
        ll_err_prefix(&err, "%s", what);
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
    ll_frame *f = df_check_frame(L, 1);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_copy(f, &err), &err);
}

/* --- pandas reshaping verbs --- */

static int l_frame_melt(lua_State *L)
{
    static const char *const opts[] = {"id_vars", "value_vars", "var_name",
                                       "value_name", NULL};
    ll_frame *f = df_check_frame(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    ll_lua_check_opts(L, 2, "melt", opts);
    lua_settop(L, 2);
    int nid = 0, nval = 0;
    const char **ids = NULL, **vals = NULL;
    if (lua_istable(L, 2) && lua_getfield(L, 2, "id_vars") != LUA_TNIL)
        ids = df_str_list(L, -1, &nid, "melt: id_vars");
    if (lua_istable(L, 2) && lua_getfield(L, 2, "value_vars") != LUA_TNIL)
        vals = df_str_list(L, -1, &nval, "melt: value_vars");
    const char *var = ll_opt_str(L, 2, "var_name", "variable");
    const char *value = ll_opt_str(L, 2, "value_name", "value");
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(
        L, u, ll_frame_melt(f, ids, nid, vals, nval, var, value, &err), &err);
}

static const char *need_str(lua_State *L, int idx, const char *fn,
                            const char *key)
{
    const char *s = ll_opt_str(L, idx, key, NULL);
    if (!s)
        luaL_error(L, "%s: option '%s' (a column name) is required", fn, key);
    return s;
}

static int l_frame_pivot(lua_State *L)
{
    static const char *const opts[] = {"index", "columns", "values", NULL};
    ll_frame *f = df_check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    ll_lua_check_opts(L, 2, "pivot", opts);
    const char *index = need_str(L, 2, "pivot", "index");
    const char *columns = need_str(L, 2, "pivot", "columns");
    const char *values = need_str(L, 2, "pivot", "values");
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_pivot(f, index, columns, values, &err),
                         &err);
}

static int l_frame_pivot_table(lua_State *L)
{
    static const char *const opts[] = {"index", "columns", "values", "aggfunc",
                                       NULL};
    ll_frame *f = df_check_frame(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    ll_lua_check_opts(L, 2, "pivot_table", opts);
    const char *index = need_str(L, 2, "pivot_table", "index");
    const char *columns = need_str(L, 2, "pivot_table", "columns");
    const char *values = need_str(L, 2, "pivot_table", "values");
    const char *agg = ll_opt_str(L, 2, "aggfunc", "mean");
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(
        L, u, ll_frame_pivot_table(f, index, columns, values, agg, &err), &err);
}

static int corr_cov(lua_State *L, int corr)
{
    static const char *const opts[] = {"method", NULL};
    ll_frame *f = df_check_frame(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    ll_lua_check_opts(L, 2, corr ? "corr" : "cov", opts);
    const char *method = ll_opt_str(L, 2, "method", "pearson");
    if (strcmp(method, "pearson"))
        return luaL_error(L, "%s: method \"pearson\" expected, got '%s'",
                          corr ? "corr" : "cov", method);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_corr(f, corr, &err), &err);
}

static int l_frame_corr(lua_State *L)
{
    return corr_cov(L, 1);
}

static int l_frame_cov(lua_State *L)
{
    return corr_cov(L, 0);
}

static int l_frame_sample(lua_State *L)
{
    static const char *const opts[] = {"n", "frac", "seed", "replace", NULL};
    ll_frame *f = df_check_frame(L, 1);
    int64_t n = -1;
    double frac = LL_NAN;
    uint64_t seed = 0;
    int replace = 0;
    if (lua_isinteger(L, 2)) {
        n = lua_tointeger(L, 2);
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        ll_lua_check_opts(L, 2, "sample", opts);
        n = ll_opt_int(L, 2, "n", -1);
        frac = ll_opt_num(L, 2, "frac", LL_NAN);
        seed = (uint64_t)ll_opt_int(L, 2, "seed", 0);
        replace = ll_opt_bool(L, 2, "replace", 0);
        if (n >= 0 && !isnan(frac))
            return luaL_error(L, "sample: give n or frac, not both");
        if (n < 0 && isnan(frac))
            n = 1; /* pandas: one row */
    }
    if (n < -1)
        return luaL_error(L, "sample: n must be >= 0, got %d", (int)n);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_sample(f, n, frac, replace, seed, &err),
                         &err);
}

static int nlargest(lua_State *L, int largest)
{
    ll_frame *f = df_check_frame(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0)
        return luaL_error(L, "%s: n must be >= 0, got %d",
                          largest ? "nlargest" : "nsmallest", (int)n);
    int nc;
    const char **cols =
        df_str_list(L, 3, &nc, largest ? "nlargest" : "nsmallest");
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u, ll_frame_nlargest(f, n, cols, nc, largest, &err),
                         &err);
}

static int l_frame_nlargest(lua_State *L)
{
    return nlargest(L, 1);
}

static int l_frame_nsmallest(lua_State *L)
{
    return nlargest(L, 0);
}

const ll_lua_fn df_frame_methods[] = {
    {"head", l_frame_head, "head([n=5]) -> Frame -- The first n rows."},
    {"tail", l_frame_tail, "tail([n=5]) -> Frame -- The last n rows."},
    {"slice", l_frame_slice,
     "slice(from [, to]) -> Frame -- Rows from..to (1-based, inclusive)."},
    {"shape", l_frame_shape, "shape() -> rows, cols -- The frame's size."},
    {"columns", l_frame_columns,
     "columns() -> {names} -- Column names in "
     "order."},
    {"dtypes", l_frame_dtypes,
     "dtypes() -> {name = type} -- Column types; pairs() and printing "
     "follow the column order."},
    {"melt", l_frame_melt,
     "melt{id_vars=, value_vars=, var_name=\"variable\", "
     "value_name=\"value\"} -> Frame -- Wide to long."},
    {"pivot", l_frame_pivot,
     "pivot{index=, columns=, values=} -> Frame -- Long to wide, one column "
     "per distinct value of columns."},
    {"pivot_table", l_frame_pivot_table,
     "pivot_table{index=, columns=, values=, aggfunc=\"mean\"} -> Frame -- "
     "pivot of aggregated values."},
    {"corr", l_frame_corr,
     "corr() -> Frame -- Pearson correlations of the numeric columns."},
    {"cov", l_frame_cov,
     "cov() -> Frame -- Sample covariances of the numeric columns."},
    {"sample", l_frame_sample,
     "sample(n | {n=, frac=, seed=0, replace=false}) -> Frame -- Random "
     "rows."},
    {"nlargest", l_frame_nlargest,
     "nlargest(n, cols) -> Frame -- The n rows with the largest values."},
    {"nsmallest", l_frame_nsmallest,
     "nsmallest(n, cols) -> Frame -- The n rows with the smallest values."},
    {"describe", l_frame_describe,
     "describe() -> Frame -- count mean std min quartiles max; unique top "
     "freq for strings."},
    {"col", l_frame_col, "col(name) -> Column -- A column by name."},
    {"select", l_frame_select,
     "select{names} -> Frame -- Keep these "
     "columns, in this order."},
    {"drop", l_frame_drop, "drop{names} -> Frame -- Remove columns."},
    {"rename", l_frame_rename,
     "rename{old = new} | rename(fn) -> Frame -- Rename columns (fn(name) "
     "gives the new name)."},
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
    {"groupby", df_frame_groupby,
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

const ll_lua_fn df_frame_meta[] = {{"__gc", l_frame_close, NULL},
                                   {"__close", l_frame_close, NULL},
                                   {"__tostring", l_frame_tostring, NULL},
                                   {"__display", l_frame_display, NULL},
                                   {"__len", l_frame_len, NULL},
                                   {"__newindex", l_frame_newindex, NULL},
                                   {NULL, NULL, NULL}};
