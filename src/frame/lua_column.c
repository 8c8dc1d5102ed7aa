/*
 * lua_column: the Column methods of the `df` module: reductions,
 * comparisons and masks, string, date and math functions, arithmetic
 * metamethods.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/lua_frame_int.h"

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
    df_render_size(L, optidx, &width, &max_rows);
    ll_buf b;
    ll_buf_init(&b);
    return df_push_buf(L, &b,
                       ll_col_render(u->c, u->name[0] ? u->name : "value",
                                     width, max_rows, &b));
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
    return render_col(L, df_check_lcol(L, 1), 2);
}

static int l_col_length(lua_State *L)
{
    lua_pushinteger(L, df_check_col(L, 1)->len);
    return 1;
}

static int push_str_accessor(lua_State *L, lcol *a);

int df_col_index(lua_State *L)
{
    ll_column *c = df_check_col(L, 1);
    if (lua_isinteger(L, 2)) {
        lua_Integer i = lua_tointeger(L, 2);
        if (i < 1 || i > c->len)
            return luaL_error(L,
                              "index %d out of range (the column has %d "
                              "rows)",
                              (int)i, (int)c->len);
        df_push_value(L, c, i - 1);
        return 1;
    }
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    if (lua_type(L, 2) == LUA_TSTRING && !strcmp(lua_tostring(L, 2), "str"))
        return push_str_accessor(L, df_check_lcol(L, 1));
    return luaL_error(L, "Column has no method '%s'",
                      luaL_tolstring(L, 2, NULL));
}

static int l_col_to_table(lua_State *L)
{
    ll_column *c = df_check_col(L, 1);
    lua_createtable(L, (int)c->len, 0);
    int numeric = ll_col_is_numeric(c);
    for (int64_t i = 0; i < c->len; i++) {
        if (numeric && ll_col_isna(c, i))
            lua_pushnumber(L, LL_NAN);
        else if (numeric && c->type == LL_FLOAT)
            lua_pushnumber(L, LL_F64(c)[i]);
        else
            df_push_value(L, c, i);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int l_col_dtype(lua_State *L)
{
    lua_pushstring(L, ll_dtype_name(df_check_col(L, 1)->type));
    return 1;
}

static int l_col_name(lua_State *L)
{
    lua_pushstring(L, df_check_lcol(L, 1)->name);
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
    ll_column *c = df_check_col(L, 1);
    if (!strcmp(which, "min") || !strcmp(which, "max") ||
        !strcmp(which, "first") || !strcmp(which, "last")) {
        int64_t i = pick_row(c, which);
        if (i < 0)
            lua_pushnil(L);
        else
            df_push_value(L, c, i);
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
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
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
    return df_give_col(L, u, r, &err);
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
    lcol *a = df_check_lcol(L, 1);
    lua_settop(L, 3);
    lua_pushcfunction(L, l_col_ge);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    lua_pushcfunction(L, l_col_le);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 1);
    lcol *lo = df_check_lcol(L, 4), *hi = df_check_lcol(L, 5);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_logic(lo->c, hi->c, '&', &err), &err);
}

static int l_col_isin(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int64_t n = (int64_t)luaL_len(L, 2);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err nerr;
    u->c = ll_col_new(LL_BOOL, a->c->len, &nerr);
    if (!u->c)
        return ll_lua_raise(L, &nerr);
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
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_isna_mask(a->c, 1, &err), &err);
}

static int l_col_notna(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_isna_mask(a->c, 0, &err), &err);
}

/* The column of c.str (or of a Column: c:lower() works too). */
static lcol *str_self(lua_State *L)
{
    lcol *u = luaL_testudata(L, 1, STR_MT);
    if (!u)
        return df_check_lcol(L, 1);
    if (!u->c)
        luaL_error(L, "attempt to use a closed Column");
    return u;
}

static int strfn(lua_State *L, const char *fn)
{
    lcol *a = str_self(L);
    const char *arg = luaL_optstring(L, 2, NULL);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_strfn(a->c, fn, arg, &err);
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return df_give_col(L, u, r, &err);
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
    lcol *a = str_self(L);
    const char *sep = luaL_optstring(L, 2, " ");
    lua_newtable(L);
    int t = lua_gettop(L);
    int64_t parts = 1;
    for (int64_t k = 0; k < parts; k++) {
        lcol *u = df_new_col_ud(L, a->name);
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
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_datepart(a->c, part, &err);
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return df_give_col(L, u, r, &err);
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
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_math(a->c, fn, &err), &err);
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
    lcol *a = df_check_lcol(L, 1);
    const char *tn = luaL_checkstring(L, 2);
    int t = ll_dtype_parse(tn);
    if (t < 0)
        return luaL_argerror(L, 2, "unknown type");
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = ll_col_cast(a->c, (ll_dtype)t, &err);
    if (!r)
        ll_err_prefix(&err, "column '%s'", a->name);
    return df_give_col(L, u, r, &err);
}

static int l_col_fillna(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r;
    if (lua_type(L, 2) == LUA_TNUMBER)
        r = ll_col_fillna_num(a->c, lua_tonumber(L, 2), &err);
    else if (lua_type(L, 2) == LUA_TSTRING)
        r = ll_col_fillna_str(a->c, lua_tostring(L, 2), &err);
    else
        return luaL_argerror(L, 2, "number or string expected");
    return df_give_col(L, u, r, &err);
}

static int arith(lua_State *L, char op)
{
    lcol *a = luaL_testudata(L, 1, COLUMN_MT);
    lcol *b = luaL_testudata(L, 2, COLUMN_MT);
    ll_err err;
    ll_err_clear(&err);
    const char *name = a ? a->name : b->name;
    lcol *u = df_new_col_ud(L, name);
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
    return df_give_col(L, u, r, &err);
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
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_neg(a->c, &err), &err);
}

static int logic(lua_State *L, char op)
{
    lcol *a = df_check_lcol(L, 1);
    lcol *b = df_check_lcol(L, 2);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_logic(a->c, b->c, op, &err), &err);
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
    lcol *a = df_check_lcol(L, 1);
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    return df_give_col(L, u, ll_col_not(a->c, &err), &err);
}

/* --- pandas Series verbs --- */

static int give(lua_State *L, lcol *a, ll_column *r, ll_err *err,
                const char *what)
{
    lcol *u = df_new_col_ud(L, a->name);
    if (!r && err->code != LL_ENOMEM)
        ll_err_prefix(err, "column '%s'", a->name);
    (void)what;
    return df_give_col(L, u, r, err);
}

static int l_col_head(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, 5);
    int64_t len = a->c->len;
    if (n < 0)
        n = len + n < 0 ? 0 : len + n; /* pandas: all but the last -n */
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    u->c = ll_col_slice(a->c, 0, n < len ? n : len, &err);
    return u->c ? 1 : ll_lua_raise(L, &err);
}

static int l_col_tail(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, 5);
    int64_t len = a->c->len;
    if (n < 0)
        n = len + n < 0 ? 0 : len + n;
    if (n > len)
        n = len;
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    u->c = ll_col_slice(a->c, len - n, n, &err);
    return u->c ? 1 : ll_lua_raise(L, &err);
}

/* map(fn | table [, {na_action = "ignore"}]): the function is called with
 * each value (nil for NA) and its results make the new column, typed by
 * what they are; a table maps values to values (absent keys give NA). */
static int l_col_map(lua_State *L)
{
    static const char *const opts[] = {"na_action", NULL};
    lcol *a = df_check_lcol(L, 1);
    int ft = lua_type(L, 2);
    if (ft != LUA_TFUNCTION && ft != LUA_TTABLE &&
        !luaL_getmetafield(L, 2, "__call"))
        return luaL_error(L, "map: a function or a table expected, got %s",
                          luaL_typename(L, 2));
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    ll_lua_check_opts(L, 3, "map", opts);
    const char *na_action = ll_opt_str(L, 3, "na_action", NULL);
    if (na_action && strcmp(na_action, "ignore"))
        return luaL_error(L,
                          "map: option 'na_action': \"ignore\" expected, got "
                          "'%s'",
                          na_action);
    lua_settop(L, 3);
    int64_t n = a->c->len;
    lua_createtable(L, n < INT32_MAX ? (int)n : 0, 0);
    for (int64_t i = 0; i < n; i++) {
        int na = ll_col_isna(a->c, i);
        if (na && na_action)
            continue;
        if (ft == LUA_TTABLE) {
            if (na)
                continue;
            df_push_value(L, a->c, i);
            lua_gettable(L, 2);
        } else {
            lua_pushvalue(L, 2);
            if (na)
                lua_pushnil(L);
            else
                df_push_value(L, a->c, i);
            lua_call(L, 1, 1);
        }
        lua_rawseti(L, 4, i + 1);
    }
    lcol *u = df_new_col_ud(L, a->name);
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = df_col_from_lua(L, 4, n, NULL, &err);
    if (!r)
        ll_err_prefix(&err, "map");
    return df_give_col(L, u, r, &err);
}

static int cum(lua_State *L, const char *fn)
{
    lcol *a = df_check_lcol(L, 1);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_cum(a->c, fn, &err), &err, fn);
}
static int l_col_cumsum(lua_State *L)
{
    return cum(L, "cumsum");
}
static int l_col_cumprod(lua_State *L)
{
    return cum(L, "cumprod");
}
static int l_col_cummax(lua_State *L)
{
    return cum(L, "cummax");
}
static int l_col_cummin(lua_State *L)
{
    return cum(L, "cummin");
}

static int l_col_diff(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lua_Integer k = luaL_optinteger(L, 2, 1);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_diff(a->c, k, &err), &err, "diff");
}

static int l_col_pct_change(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lua_Integer k = luaL_optinteger(L, 2, 1);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_pct_change(a->c, k, &err), &err, "pct_change");
}

static int l_col_shift(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lua_Integer k = luaL_optinteger(L, 2, 1);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_shift(a->c, k, NULL, NULL, &err), &err, "shift");
}

static int l_col_round(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    lua_Integer d = luaL_optinteger(L, 2, 0);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_round(a->c, (int)d, &err), &err, "round");
}

/* clip(lower, upper) or clip{lower=, upper=}; nil leaves a side open. */
static int l_col_clip(lua_State *L)
{
    static const char *const opts[] = {"lower", "upper", NULL};
    lcol *a = df_check_lcol(L, 1);
    double lo = LL_NAN, hi = LL_NAN;
    if (lua_istable(L, 2)) {
        ll_lua_check_opts(L, 2, "clip", opts);
        lo = ll_opt_num(L, 2, "lower", LL_NAN);
        hi = ll_opt_num(L, 2, "upper", LL_NAN);
    } else {
        lo = luaL_optnumber(L, 2, LL_NAN);
        hi = luaL_optnumber(L, 3, LL_NAN);
    }
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_clip(a->c, lo, hi, &err), &err, "clip");
}

/* replace(old, new) or replace{[old] = new, ...}: whole values. */
static int l_col_replace(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    int n = 0;
    if (lua_istable(L, 2)) {
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            n++;
            lua_pop(L, 1);
        }
    } else {
        luaL_checkany(L, 3);
        lua_settop(L, 3);
        lua_newtable(L);
        lua_pushvalue(L, 2);
        lua_pushvalue(L, 3);
        lua_settable(L, 4);
        lua_replace(L, 2);
        lua_settop(L, 2);
        n = 1;
    }
    int str = a->c->type == LL_STR || a->c->type == LL_CAT;
    const char **sf = lua_newuserdatauv(L, sizeof *sf * (size_t)(n + 1), 0);
    const char **st = lua_newuserdatauv(L, sizeof *st * (size_t)(n + 1), 0);
    double *nf = lua_newuserdatauv(L, sizeof *nf * (size_t)(n + 1), 0);
    double *nt = lua_newuserdatauv(L, sizeof *nt * (size_t)(n + 1), 0);
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        int want = str ? LUA_TSTRING : LUA_TNUMBER;
        if (lua_type(L, -2) != want || lua_type(L, -1) != want)
            return luaL_error(L,
                              "replace: column '%s' (%s) takes %s for %s, "
                              "got %s for %s",
                              a->name, ll_dtype_name(a->c->type),
                              str ? "strings" : "numbers",
                              str ? "strings" : "numbers", luaL_typename(L, -1),
                              luaL_typename(L, -2));
        if (str) {
            sf[k] = lua_tostring(L, -2);
            st[k] = lua_tostring(L, -1);
        } else {
            nf[k] = lua_tonumber(L, -2);
            nt[k] = lua_tonumber(L, -1);
        }
        k++;
        lua_pop(L, 1);
    }
    ll_err err;
    ll_err_clear(&err);
    ll_column *r = str ? ll_col_replace_str(a->c, sf, st, n, &err)
                       : ll_col_replace_num(a->c, nf, nt, n, &err);
    return give(L, a, r, &err, "replace");
}

static int l_col_unique(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_unique(a->c, &err), &err, "unique");
}

static int l_col_value_counts(lua_State *L)
{
    static const char *const opts[] = {"dropna", "normalize", NULL};
    lcol *a = df_check_lcol(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    ll_lua_check_opts(L, 2, "value_counts", opts);
    int dropna = ll_opt_bool(L, 2, "dropna", 1);
    int normalize = ll_opt_bool(L, 2, "normalize", 0);
    lframe *u = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    return df_give_frame(L, u,
                         ll_col_value_counts(a->c,
                                             a->name[0] ? a->name : "value",
                                             dropna, normalize, &err),
                         &err);
}

static int l_col_to_tensor(lua_State *L)
{
    lcol *a = df_check_lcol(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    int onehot = df_to_tensor_opts(L, 2);
    lframe *tmp = df_new_frame_ud(L);
    ll_err err;
    ll_err_clear(&err);
    tmp->f = ll_frame_new(&err);
    if (!tmp->f ||
        ll_frame_set(tmp->f, a->name[0] ? a->name : "value", a->c, &err))
        return ll_lua_raise(L, &err);
    int col = 0;
    return df_push_tensor(L, tmp->f, &col, 1, onehot, 1, "to_tensor");
}

/* c.str: the string methods as pandas spells them (c.str:lower()). */
static int l_str_close(lua_State *L)
{
    lcol *u = luaL_checkudata(L, 1, STR_MT);
    ll_col_unref(u->c);
    u->c = NULL;
    return 0;
}

static int push_str_accessor(lua_State *L, lcol *a)
{
    lcol *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->c = NULL;
    memcpy(u->name, a->name, sizeof u->name);
    luaL_setmetatable(L, STR_MT);
    u->c = ll_col_ref(a->c);
    return 1;
}

static int l_str_tostring(lua_State *L)
{
    lcol *u = luaL_checkudata(L, 1, STR_MT);
    lua_pushfstring(L, "string methods of column '%s'", u->name);
    return 1;
}

static int l_str_replace(lua_State *L)
{
    lcol *a = str_self(L);
    const char *pat = luaL_checkstring(L, 2);
    const char *repl = luaL_checkstring(L, 3);
    ll_err err;
    ll_err_clear(&err);
    return give(L, a, ll_col_str_replace(a->c, pat, repl, &err), &err,
                "str.replace");
}

const ll_lua_fn df_str_methods[] = {
    {"lower", l_col_lower, "str:lower() -> Column -- Lower-case strings."},
    {"upper", l_col_upper, "str:upper() -> Column -- Upper-case strings."},
    {"strip", l_col_strip,
     "str:strip() -> Column -- Without leading and trailing white space."},
    {"len", l_col_len, "str:len() -> Column -- String lengths in characters."},
    {"contains", l_col_contains,
     "str:contains(s) -> mask -- Substring test (literal, not a pattern)."},
    {"startswith", l_col_startswith, "str:startswith(s) -> mask -- Prefix."},
    {"endswith", l_col_endswith, "str:endswith(s) -> mask -- Suffix."},
    {"replace", l_str_replace,
     "str:replace(pat, repl) -> Column -- Every occurrence of pat (literal) "
     "replaced."},
    {"split", l_col_split,
     "str:split([sep=\" \"]) -> {Column, ...} -- One Column per part."},
    {NULL, NULL, NULL}};

const ll_lua_fn df_str_meta[] = {{"__gc", l_str_close, NULL},
                                 {"__close", l_str_close, NULL},
                                 {"__tostring", l_str_tostring, NULL},
                                 {NULL, NULL, NULL}};

const ll_lua_fn df_col_methods[] = {
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
    {"head", l_col_head, "head([n=5]) -> Column -- The first n values."},
    {"tail", l_col_tail, "tail([n=5]) -> Column -- The last n values."},
    {"map", l_col_map,
     "map(fn | table [, {na_action=\"ignore\"}]) -> Column -- fn(value) "
     "for each value (nil for NA), typed by the results; a table maps "
     "values."},
    {"apply", l_col_map, "apply(fn) -> Column -- Same as map."},
    {"cumsum", l_col_cumsum, "cumsum() -> Column -- Running sum, NA kept."},
    {"cumprod", l_col_cumprod,
     "cumprod() -> Column -- Running product, NA kept."},
    {"cummax", l_col_cummax, "cummax() -> Column -- Running maximum."},
    {"cummin", l_col_cummin, "cummin() -> Column -- Running minimum."},
    {"diff", l_col_diff,
     "diff([periods=1]) -> Column -- x[i] - x[i-periods] (float)."},
    {"shift", l_col_shift,
     "shift([periods=1]) -> Column -- Values moved down (up when "
     "negative), NA filled."},
    {"pct_change", l_col_pct_change,
     "pct_change([periods=1]) -> Column -- x[i] / x[i-periods] - 1."},
    {"round", l_col_round,
     "round([decimals=0]) -> Column -- Half to even, as pandas."},
    {"clip", l_col_clip,
     "clip(lower, upper) | clip{lower=, upper=} -> Column -- Values bounded "
     "(nil: no bound)."},
    {"replace", l_col_replace,
     "replace(old, new) | replace{[old] = new} -> Column -- Whole values "
     "replaced."},
    {"unique", l_col_unique,
     "unique() -> Column -- Distinct values in order of appearance."},
    {"value_counts", l_col_value_counts,
     "value_counts([{dropna=true, normalize=false}]) -> Frame -- Values and "
     "their count (or proportion), most frequent first."},
    {"to_tensor", l_col_to_tensor,
     "to_tensor([{categorical=\"codes\"|\"onehot\"}]) -> Tensor -- A "
     "float32 [rows] tensor ([rows, k] one-hot)."},
    {"to_table", l_col_to_table,
     "to_table() -> {values} -- A Lua array; numeric NA becomes NaN, other "
     "NA leaves a hole."},
    {"dtype", l_col_dtype, "dtype() -> string -- The column's type."},
    {"name", l_col_name, "name() -> string -- The column's name."},
    {NULL, NULL, NULL}};

const ll_lua_fn df_col_meta[] = {{"__gc", l_col_close, NULL},
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
