/*
 * lua_nn.c: the C half of the `nn` module (preloaded as lualab._nn; the
 * PyTorch-style classes are in lua/lualab/nn.lua).  Thin: check arguments,
 * call the core, push results.  Tensors are "lualab.Tensor" userdata
 * holding one reference each.
 */
#include "nn/lua_nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "host/lua_util.h"
#include "nn/layers.h"
#include "nn/nn_int.h"
#include "nn/safetensors.h"
#include "util/signals.h"

#define TNAME "lualab.Tensor"

typedef struct {
    ll_tensor *t;
} tbox;

/* Box n tensors (a C array in a light userdata) in protected mode. */
static int box_tensors(lua_State *L)
{
    ll_tensor **ts = lua_touserdata(L, 1);
    int n = (int)lua_tointeger(L, 2);
    for (int i = 0; i < n; i++) {
        tbox *b = lua_newuserdatauv(L, sizeof *b, 0);
        b->t = NULL;
        luaL_setmetatable(L, TNAME);
    }
    /* Only now, when nothing else can fail, do the boxes own the tensors. */
    for (int i = 0; i < n; i++) {
        tbox *b = lua_touserdata(L, 3 + i);
        b->t = ts[i];
        if (!ts[i]) {
            lua_pushnil(L);
            lua_replace(L, 3 + i);
        }
    }
    return n;
}

/* Push n tensors (NULL pushes nil), taking ownership; on a Lua memory
 * error every tensor is released before the error propagates. */
static void push_tensors(lua_State *L, ll_tensor **ts, int n)
{
    if (!lua_checkstack(L, n + 3)) {
        for (int i = 0; i < n; i++)
            ll_tensor_free(ts[i]);
        luaL_error(L, "nn: Lua stack overflow");
    }
    lua_pushcfunction(L, box_tensors);
    lua_pushlightuserdata(L, ts);
    lua_pushinteger(L, n);
    if (lua_pcall(L, 2, n, 0) != LUA_OK) {
        for (int i = 0; i < n; i++)
            ll_tensor_free(ts[i]);
        lua_error(L);
    }
    /* Lua cannot see the C memory behind a tensor: pace the collector by
     * it, or dead step activations pile up between collections. */
    int64_t kb = 0;
    for (int i = 0; i < n; i++)
        kb += ts[i] ? ll_tensor_numel(ts[i]) / 256 : 0;
    if (kb > 0)
        lua_gc(L, LUA_GCSTEP, (int)(kb > 1 << 20 ? 1 << 20 : kb));
}

void ll_lua_push_tensor(lua_State *L, ll_tensor *t)
{
    push_tensors(L, &t, 1);
}

ll_tensor *ll_lua_to_tensor(lua_State *L, int idx)
{
    tbox *b = luaL_testudata(L, idx, TNAME);
    return b ? b->t : NULL;
}

ll_tensor *ll_lua_check_tensor(lua_State *L, int idx)
{
    tbox *b = luaL_checkudata(L, idx, TNAME);
    if (!b->t)
        luaL_argerror(L, idx, "tensor is closed");
    return b->t;
}

/* Push the result of a core call or raise its error. */
static int push_or_raise(lua_State *L, ll_tensor *t, const ll_err *err)
{
    if (!t)
        return ll_lua_raise(L, err);
    ll_lua_push_tensor(L, t);
    return 1;
}

/* A shape from a table {2, 3} or from integer arguments starting at idx. */
static int check_shape(lua_State *L, int idx, int64_t *shape)
{
    int n = 0;
    if (lua_istable(L, idx)) {
        n = (int)luaL_len(L, idx);
        if (n > LL_MAXDIM)
            luaL_argerror(L, idx, "too many dimensions");
        for (int i = 0; i < n; i++) {
            lua_geti(L, idx, i + 1);
            int ok;
            lua_Integer v = lua_tointegerx(L, -1, &ok);
            if (!ok || v < 0)
                luaL_argerror(L, idx, "shape must hold non-negative integers");
            shape[i] = v;
            lua_pop(L, 1);
        }
        return n;
    }
    int top = lua_gettop(L);
    for (int i = idx; i <= top && lua_type(L, i) == LUA_TNUMBER; i++) {
        if (n == LL_MAXDIM)
            luaL_argerror(L, i, "too many dimensions");
        lua_Integer v = luaL_checkinteger(L, i);
        if (v < 0)
            luaL_argerror(L, i, "size must be non-negative");
        shape[n++] = v;
    }
    return n;
}

/* A target shape for reshape/expand, from a table {2, -1} or from integer
 * arguments starting at idx.  Unlike check_shape, entries may be negative
 * (-1 = infer / keep). */
static int target_shape(lua_State *L, int idx, int64_t *shape)
{
    int nd = 0;
    if (lua_istable(L, idx)) {
        nd = (int)luaL_len(L, idx);
        if (nd > LL_MAXDIM)
            luaL_argerror(L, idx, "too many dimensions");
        for (int i = 0; i < nd; i++) {
            lua_geti(L, idx, i + 1);
            int ok;
            shape[i] = lua_tointegerx(L, -1, &ok);
            if (!ok)
                luaL_argerror(L, idx, "shape must hold integers");
            lua_pop(L, 1);
        }
    } else
        for (int i = idx; i <= lua_gettop(L); i++) {
            if (nd == LL_MAXDIM)
                luaL_argerror(L, i, "too many dimensions");
            shape[nd++] = luaL_checkinteger(L, i);
        }
    return nd;
}

/* Walk a nested table to find its shape. */
static int nested_shape(lua_State *L, int idx, int64_t *shape)
{
    int nd = 0;
    lua_pushvalue(L, idx);
    while (lua_istable(L, -1)) {
        if (nd == LL_MAXDIM)
            luaL_error(L, "tensor: more than %d nested levels", LL_MAXDIM);
        shape[nd++] = (int64_t)luaL_len(L, -1);
        if (shape[nd - 1] == 0)
            break;
        lua_geti(L, -1, 1);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    return nd;
}

static void fill_nested(lua_State *L, int idx, int nd, const int64_t *shape,
                        int level, float *out, int64_t *pos)
{
    if (level == nd) {
        int ok;
        lua_Number v = lua_tonumberx(L, idx, &ok);
        if (!ok) {
            if (lua_isboolean(L, idx))
                v = lua_toboolean(L, idx);
            else
                luaL_error(L, "tensor: element %d is a %s, not a number",
                           (int)*pos + 1, luaL_typename(L, idx));
        }
        out[(*pos)++] = (float)v;
        return;
    }
    if (!lua_istable(L, idx) || (int64_t)luaL_len(L, idx) != shape[level])
        luaL_error(L,
                   "tensor: ragged nested table at depth %d (expected %d "
                   "elements)",
                   level + 1, (int)shape[level]);
    for (int64_t i = 0; i < shape[level]; i++) {
        lua_geti(L, idx, i + 1);
        fill_nested(L, lua_gettop(L), nd, shape, level + 1, out, pos);
        lua_pop(L, 1);
    }
}

static int l_nn_tensor(lua_State *L)
{
    ll_err err = {0};
    if (lua_isnumber(L, 1))
        return push_or_raise(
            L, ll_tensor_scalar((float)lua_tonumber(L, 1), &err), &err);
    ll_tensor *src = ll_lua_to_tensor(L, 1);
    if (src)
        return push_or_raise(L, ll_clone(src, &err), &err);
    luaL_checktype(L, 1, LUA_TTABLE);
    int64_t shape[LL_MAXDIM];
    int nd = nested_shape(L, 1, shape);
    ll_tensor *t = ll_tensor_new(nd, shape, &err);
    if (!t)
        return ll_lua_raise(L, &err);
    ll_lua_push_tensor(L, t); /* owned by Lua before filling can raise */
    int64_t pos = 0;
    fill_nested(L, 1, nd, shape, 0, t->st->data, &pos);
    if (lua_istable(L, 2) && ll_opt_bool(L, 2, "requires_grad", 0))
        t->requires_grad = 1;
    return 1;
}

static int l_nn_zeros(lua_State *L)
{
    int64_t shape[LL_MAXDIM];
    int nd = check_shape(L, 1, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_new(nd, shape, &err), &err);
}

static void push_nested(lua_State *L, ll_tensor *t, int level, int64_t *pos)
{
    if (level == t->ndim) {
        lua_pushnumber(L, (lua_Number)ll_tensor_get(t, (*pos)++));
        return;
    }
    lua_createtable(L, (int)t->shape[level], 0);
    for (int64_t i = 0; i < t->shape[level]; i++) {
        push_nested(L, t, level + 1, pos);
        lua_seti(L, -2, i + 1);
    }
}

/* t:plot{...}: the chart is built in lua/lualab/_plotting.lua. */
static int l_t_plot(lua_State *L)
{
    return ll_lua_call_module(L, "lualab._plotting", "tensor", 2);
}

static int l_t_tolist(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int64_t pos = 0;
    push_nested(L, t, 0, &pos);
    return 1;
}

static int l_t_shape(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    if (!lua_isnoneornil(L, 2)) {
        int d = ll_wrap_dim((int)luaL_checkinteger(L, 2), t->ndim);
        if (d < 0 || t->ndim == 0)
            luaL_argerror(L, 2, "dimension out of range");
        lua_pushinteger(L, t->shape[d]);
        return 1;
    }
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushinteger(L, t->shape[i]);
        lua_seti(L, -2, i + 1);
    }
    return 1;
}

static int l_t_gc(lua_State *L)
{
    tbox *b = luaL_checkudata(L, 1, TNAME);
    ll_tensor_free(b->t);
    b->t = NULL;
    return 0;
}

/* A tensor argument, or a number made into a scalar tensor (*owned = 1:
 * the caller releases it; done before anything can raise). */
static ll_tensor *arg_tensor(lua_State *L, int idx, int *owned)
{
    *owned = 0;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        ll_err err = {0};
        ll_tensor *t = ll_tensor_scalar((float)lua_tonumber(L, idx), &err);
        if (!t)
            ll_lua_raise(L, &err);
        *owned = 1;
        return t;
    }
    if (lua_type(L, idx) == LUA_TBOOLEAN) {
        ll_err err = {0};
        ll_tensor *t = ll_tensor_scalar((float)lua_toboolean(L, idx), &err);
        if (!t)
            ll_lua_raise(L, &err);
        *owned = 1;
        return t;
    }
    return ll_lua_check_tensor(L, idx);
}

static ll_tensor *opt_tensor(lua_State *L, int idx)
{
    return lua_isnoneornil(L, idx) ? NULL : ll_lua_check_tensor(L, idx);
}

static int check_dim(lua_State *L, int idx, const ll_tensor *t)
{
    lua_Integer d = luaL_checkinteger(L, idx);
    int nd = t->ndim ? t->ndim : 1;
    if (d < -nd || d >= nd)
        return luaL_argerror(
            L, idx,
            lua_pushfstring(L, "dimension %d out of range for %d-D tensor",
                            (int)d, t->ndim));
    return (int)d;
}

/* ---- display --------------------------------------------------------------
 */

/* One format for every shown element, as PyTorch prints: whole numbers
 * as "3.", others with 4 decimals, or all in scientific notation when the
 * magnitudes span more than 1000x or leave [1e-4, 1e8); every element is
 * right-aligned to the widest, so columns line up. */
typedef struct tfmt {
    int all_int, sci, width;
    double amax, amin; /* over finite non-zero |v| */
    int any;
} tfmt;

static int fmt_one(char *s, size_t cap, const tfmt *f, float v)
{
    if (isnan(v))
        return snprintf(s, cap, "nan");
    if (isinf(v))
        return snprintf(s, cap, v > 0 ? "inf" : "-inf");
    if (f->sci)
        return snprintf(s, cap, "%.4e", (double)v);
    if (f->all_int)
        return snprintf(s, cap, "%.0f.", (double)v);
    return snprintf(s, cap, "%.4f", (double)v);
}

/* Visit the shown elements (the middle of dims over 6 long is elided). */
static void each_shown(const ll_tensor *t, int level, int64_t off,
                       void (*fn)(tfmt *, float), tfmt *f)
{
    if (t->ndim == 0) {
        fn(f, t->st->data[t->offset]);
        return;
    }
    int64_t n = t->shape[level];
    for (int64_t i = 0; i < n; i++) {
        if (n > 6 && i == 3)
            i = n - 3;
        int64_t o = off + i * t->stride[level];
        if (level == t->ndim - 1)
            fn(f, t->st->data[o]);
        else
            each_shown(t, level + 1, o, fn, f);
    }
}

static void scan_val(tfmt *f, float v)
{
    if (!isfinite(v))
        return;
    if (v != floorf(v))
        f->all_int = 0;
    double a = fabs((double)v);
    if (a == 0)
        return;
    if (!f->any || a > f->amax)
        f->amax = a;
    if (!f->any || a < f->amin)
        f->amin = a;
    f->any = 1;
}

static void width_val(tfmt *f, float v)
{
    char s[48];
    int n = fmt_one(s, sizeof s, f, v);
    if (n > f->width)
        f->width = n;
}

static void fmt_val(luaL_Buffer *b, const tfmt *f, float v)
{
    char s[48];
    int n = fmt_one(s, sizeof s, f, v);
    for (int k = n; k < f->width; k++)
        luaL_addchar(b, ' ');
    luaL_addstring(b, s);
}

/* Nested brackets, eliding the middle of long dims (first 3 ... last 3). */
static void fmt_nested(luaL_Buffer *b, const ll_tensor *t, const tfmt *f,
                       int level, int64_t off, int indent)
{
    if (t->ndim == 0) {
        fmt_val(b, f, t->st->data[t->offset]);
        return;
    }
    int64_t n = t->shape[level];
    int elide = n > 6;
    luaL_addchar(b, '[');
    for (int64_t i = 0; i < n; i++) {
        if (elide && i == 3) {
            luaL_addstring(b, level == t->ndim - 1 ? "..., " : "...,\n");
            if (level != t->ndim - 1)
                for (int k = 0; k < indent + 1; k++)
                    luaL_addchar(b, ' ');
            i = n - 3;
        }
        int64_t o = off + i * t->stride[level];
        if (level == t->ndim - 1)
            fmt_val(b, f, t->st->data[o]);
        else
            fmt_nested(b, t, f, level + 1, o, indent + 1);
        if (i + 1 < n) {
            luaL_addchar(b, ',');
            if (level == t->ndim - 1)
                luaL_addchar(b, ' ');
            else {
                luaL_addchar(b, '\n');
                for (int k = 0; k < indent + 1; k++)
                    luaL_addchar(b, ' ');
            }
        }
    }
    luaL_addchar(b, ']');
}

static int l_t_display(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "tensor(");
    tfmt f = {1, 0, 0, 0, 0, 0};
    int empty = 0;
    for (int d = 0; d < t->ndim; d++)
        empty |= t->shape[d] == 0;
    if (!empty) {
        each_shown(t, 0, t->offset, scan_val, &f);
        if (f.any)
            f.sci = f.amax / f.amin > 1000 || f.amax > 1e8 ||
                    (!f.all_int && f.amin < 1e-4);
        each_shown(t, 0, t->offset, width_val, &f);
    }
    fmt_nested(&b, t, &f, 0, t->offset, 7);
    char s[128];
    luaL_addstring(&b, ", shape=");
    luaL_addstring(&b, ll_shape_str(t->ndim, t->shape, s, sizeof s));
    if (t->node) {
        luaL_addstring(&b, ", grad_fn=");
        luaL_addstring(&b, t->node->name);
    } else if (t->requires_grad)
        luaL_addstring(&b, ", requires_grad=true");
    luaL_addchar(&b, ')');
    luaL_pushresult(&b);
    return 1;
}

/* ---- creation -------------------------------------------------------------
 */

static int l_nn_ones(lua_State *L)
{
    int64_t shape[LL_MAXDIM];
    int nd = check_shape(L, 1, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_full(nd, shape, 1.0f, &err), &err);
}

static int l_nn_full(lua_State *L)
{
    int64_t shape[LL_MAXDIM];
    luaL_checktype(L, 1, LUA_TTABLE);
    int nd = check_shape(L, 1, shape);
    float v = (float)luaL_checknumber(L, 2);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_full(nd, shape, v, &err), &err);
}

static int l_nn_rand(lua_State *L)
{
    int64_t shape[LL_MAXDIM];
    int nd = check_shape(L, 1, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_rand(nd, shape, &err), &err);
}

static int l_nn_randn(lua_State *L)
{
    int64_t shape[LL_MAXDIM];
    int nd = check_shape(L, 1, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_randn(nd, shape, &err), &err);
}

static int l_nn_randint(lua_State *L)
{
    lua_Integer lo = luaL_checkinteger(L, 1), hi = luaL_checkinteger(L, 2);
    int64_t shape[LL_MAXDIM];
    luaL_checktype(L, 3, LUA_TTABLE);
    int nd = check_shape(L, 3, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_randint(lo, hi, nd, shape, &err), &err);
}

static int l_nn_arange(lua_State *L)
{
    double a = luaL_checknumber(L, 1);
    double b = luaL_optnumber(L, 2, NAN), st = luaL_optnumber(L, 3, 1);
    if (isnan(b)) {
        b = a;
        a = 0;
    }
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_arange(a, b, st, &err), &err);
}

static int l_nn_linspace(lua_State *L)
{
    double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
    lua_Integer n = luaL_checkinteger(L, 3);
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_linspace(a, b, n, &err), &err);
}

static int l_nn_manual_seed(lua_State *L)
{
    ll_manual_seed((uint64_t)luaL_checkinteger(L, 1));
    return 0;
}

static int l_nn_set_num_threads(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 1)
        return luaL_argerror(L, 1, "thread count must be >= 1");
    ll_nn_set_num_threads((int)n);
    return 0;
}

static int l_nn_get_num_threads(lua_State *L)
{
    lua_pushinteger(L, ll_nn_get_num_threads());
    return 1;
}

static int l_nn_set_grad_enabled(lua_State *L)
{
    lua_pushboolean(L, ll_grad_set_enabled(lua_toboolean(L, 1)));
    return 1;
}

static int l_nn_clock(lua_State *L)
{
    lua_pushnumber(L, ll_monotonic());
    return 1;
}

static int l_nn_is_grad_enabled(lua_State *L)
{
    lua_pushboolean(L, ll_grad_enabled());
    return 1;
}

/* ---- tensor methods -------------------------------------------------------
 */

static int l_t_item(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    if (t->numel != 1) {
        char s[96];
        return luaL_error(L,
                          "item: only one-element tensors can be converted "
                          "to a number (shape %s)",
                          ll_shape_str(t->ndim, t->shape, s, sizeof s));
    }
    lua_pushnumber(L, (lua_Number)ll_tensor_get(t, 0));
    return 1;
}

static int l_t_numel(lua_State *L)
{
    lua_pushinteger(L, ll_lua_check_tensor(L, 1)->numel);
    return 1;
}

static int l_t_dim(lua_State *L)
{
    lua_pushinteger(L, ll_lua_check_tensor(L, 1)->ndim);
    return 1;
}

/* Storage offset of the element whose indices (0-based, negative counts
 * from the end) are arguments 2 .. ndim + 1; an argument error when one is
 * out of range. */
static int64_t elem_offset(lua_State *L, const ll_tensor *t)
{
    int64_t off = t->offset;
    for (int d = 0; d < t->ndim; d++) {
        lua_Integer i = luaL_checkinteger(L, d + 2);
        if (i < 0)
            i += t->shape[d];
        if (i < 0 || i >= t->shape[d])
            luaL_argerror(L, d + 2, "index out of range");
        off += i * t->stride[d];
    }
    return off;
}

static int l_t_get(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    if (lua_gettop(L) - 1 != t->ndim)
        return luaL_error(L, "get: %d indices for a %d-D tensor",
                          lua_gettop(L) - 1, t->ndim);
    lua_pushnumber(L, (lua_Number)t->st->data[elem_offset(L, t)]);
    return 1;
}

static int l_t_set(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int top = lua_gettop(L);
    if (top - 2 != t->ndim)
        return luaL_error(L, "set: %d indices for a %d-D tensor", top - 2,
                          t->ndim);
    int64_t off = elem_offset(L, t);
    t->st->data[off] = (float)luaL_checknumber(L, top);
    lua_settop(L, 1);
    return 1;
}

static int l_t_backward(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    ll_tensor *g = NULL;
    int retain = 0;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "gradient");
        g = lua_isnil(L, -1) ? NULL : ll_lua_check_tensor(L, -1);
        lua_pop(L, 1);
        retain = ll_opt_bool(L, 2, "retain_graph", 0);
    } else
        g = opt_tensor(L, 2);
    ll_err err = {0};
    if (ll_tensor_backward(t, g, retain, &err))
        return ll_lua_raise(L, &err);
    return 0;
}

static int l_t_detach(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(L, ll_tensor_detach(ll_lua_check_tensor(L, 1), &err),
                         &err);
}

static int l_t_requires_grad_(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    ll_err err = {0};
    if (ll_tensor_set_requires_grad(
            t, lua_isnone(L, 2) ? 1 : lua_toboolean(L, 2), &err))
        return ll_lua_raise(L, &err);
    lua_settop(L, 1);
    return 1;
}

static int l_t_clone(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(L, ll_clone(ll_lua_check_tensor(L, 1), &err), &err);
}

static int l_t_contiguous(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(L, ll_contiguous(ll_lua_check_tensor(L, 1), &err),
                         &err);
}

static int l_t_reshape(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int64_t shape[LL_MAXDIM];
    int nd = target_shape(L, 2, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_reshape(t, nd, shape, &err), &err);
}

static int l_t_flatten(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int start = (int)luaL_optinteger(L, 2, 0);
    if (start < 0)
        start += t->ndim;
    if (start < 0 || start > (t->ndim ? t->ndim - 1 : 0))
        return luaL_argerror(L, 2, "start dimension out of range");
    int64_t shape[LL_MAXDIM];
    for (int i = 0; i < start; i++)
        shape[i] = t->shape[i];
    shape[start] = -1;
    ll_err err = {0};
    return push_or_raise(L, ll_reshape(t, start + 1, shape, &err), &err);
}

static int l_t_transpose(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int a = (int)luaL_optinteger(L, 2, 0), b = (int)luaL_optinteger(L, 3, 1);
    ll_err err = {0};
    return push_or_raise(L, ll_transpose(t, a, b, &err), &err);
}

static int l_t_permute(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int perm[LL_MAXDIM];
    if (lua_gettop(L) - 1 != t->ndim)
        return luaL_error(L, "permute: %d dimensions for a %d-D tensor",
                          lua_gettop(L) - 1, t->ndim);
    for (int i = 0; i < t->ndim; i++) {
        perm[i] = (int)luaL_checkinteger(L, i + 2);
        if (perm[i] < 0)
            perm[i] += t->ndim;
    }
    ll_err err = {0};
    return push_or_raise(L, ll_permute(t, perm, &err), &err);
}

static int l_t_narrow(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int d = check_dim(L, 2, t);
    ll_err err = {0};
    return push_or_raise(
        L,
        ll_narrow(t, d, luaL_checkinteger(L, 3), luaL_checkinteger(L, 4), &err),
        &err);
}

static int l_t_select(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int d = check_dim(L, 2, t);
    ll_err err = {0};
    return push_or_raise(L, ll_select(t, d, luaL_checkinteger(L, 3), &err),
                         &err);
}

static int l_t_unsqueeze(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(L,
                         ll_unsqueeze(ll_lua_check_tensor(L, 1),
                                      (int)luaL_checkinteger(L, 2), &err),
                         &err);
}

static int l_t_squeeze(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int d = lua_isnoneornil(L, 2) ? -1 : check_dim(L, 2, t);
    if (d < 0 && !lua_isnoneornil(L, 2))
        d += t->ndim;
    ll_err err = {0};
    return push_or_raise(L, ll_squeeze(t, d, &err), &err);
}

static int l_t_expand(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int64_t shape[LL_MAXDIM];
    int nd = target_shape(L, 2, shape);
    ll_err err = {0};
    return push_or_raise(L, ll_expand(t, nd, shape, &err), &err);
}

/* Binary op from two Lua values (tensor or number), either order. */
static int binop(lua_State *L, ll_binop op)
{
    int oa, ob;
    ll_tensor *a = arg_tensor(L, 1, &oa);
    ll_tensor *b = NULL;
    if (lua_type(L, 2) == LUA_TNUMBER || lua_type(L, 2) == LUA_TBOOLEAN ||
        ll_lua_to_tensor(L, 2))
        b = arg_tensor(L, 2, &ob);
    if (!b) {
        if (oa)
            ll_tensor_free(a);
        return luaL_argerror(L, 2, "tensor or number expected");
    }
    ll_err err = {0};
    ll_tensor *r = ll_binary(op, a, b, &err);
    if (oa)
        ll_tensor_free(a);
    if (ob)
        ll_tensor_free(b);
    return push_or_raise(L, r, &err);
}

#define BIN(fname, op)                                                         \
    static int fname(lua_State *L)                                             \
    {                                                                          \
        return binop(L, op);                                                   \
    }
BIN(l_t_add, LL_ADD)
BIN(l_t_sub, LL_SUB)
BIN(l_t_mul, LL_MUL)
BIN(l_t_div, LL_DIV)
BIN(l_t_pow, LL_POW)
BIN(l_t_maximum, LL_MAXIMUM)
BIN(l_t_minimum, LL_MINIMUM)
BIN(l_t_eq, LL_EQ)
BIN(l_t_ne, LL_NE)
BIN(l_t_lt, LL_LT)
BIN(l_t_le, LL_LE)
BIN(l_t_gt, LL_GT)
BIN(l_t_ge, LL_GE)

static int unop(lua_State *L, ll_unop op, float arg)
{
    ll_err err = {0};
    return push_or_raise(L, ll_unary(op, ll_lua_check_tensor(L, 1), arg, &err),
                         &err);
}

#define UN(fname, op)                                                          \
    static int fname(lua_State *L)                                             \
    {                                                                          \
        return unop(L, op, 0);                                                 \
    }
UN(l_t_neg, LL_NEG)
UN(l_t_exp, LL_EXP)
UN(l_t_log, LL_LOG)
UN(l_t_sqrt, LL_SQRT)
UN(l_t_abs, LL_ABS)
UN(l_t_sigmoid, LL_SIGMOID)
UN(l_t_tanh, LL_TANH)
UN(l_t_relu, LL_RELU)
UN(l_t_softplus, LL_SOFTPLUS)
UN(l_t_square, LL_SQUARE)
UN(l_t_sin, LL_SIN)
UN(l_t_cos, LL_COS)

static int l_t_leaky_relu(lua_State *L)
{
    return unop(L, LL_LEAKY_RELU, (float)luaL_optnumber(L, 2, 0.01));
}

static int l_t_elu(lua_State *L)
{
    return unop(L, LL_ELU, (float)luaL_optnumber(L, 2, 1.0));
}

static int l_t_clamp(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    ll_err err = {0};
    ll_tensor *r = ll_tensor_ref(t), *n;
    if (!lua_isnoneornil(L, 2)) {
        n = ll_unary(LL_CLAMP_MIN, r, (float)luaL_checknumber(L, 2), &err);
        ll_tensor_free(r);
        r = n;
    }
    if (r && !lua_isnoneornil(L, 3)) {
        n = ll_unary(LL_CLAMP_MAX, r, (float)lua_tonumber(L, 3), &err);
        ll_tensor_free(r);
        r = n;
    }
    return push_or_raise(L, r, &err);
}

static int reduce(lua_State *L, ll_reduce_op op)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int dim = LL_ALLDIMS;
    if (!lua_isnoneornil(L, 2))
        dim = check_dim(L, 2, t);
    int keep = lua_toboolean(L, 3);
    ll_err err = {0};
    ll_tensor *r = ll_reduce(op, t, dim, keep, &err);
    if (!r)
        return ll_lua_raise(L, &err);
    ll_lua_push_tensor(L, r);
    if ((op == LL_RMAX || op == LL_RMIN) && dim != LL_ALLDIMS) {
        ll_tensor *a = ll_reduce(op == LL_RMAX ? LL_RARGMAX : LL_RARGMIN, t,
                                 dim, keep, &err);
        if (!a)
            return ll_lua_raise(L, &err);
        ll_lua_push_tensor(L, a);
        return 2;
    }
    return 1;
}

#define RED(fname, op)                                                         \
    static int fname(lua_State *L)                                             \
    {                                                                          \
        return reduce(L, op);                                                  \
    }
RED(l_t_sum, LL_RSUM)
RED(l_t_mean, LL_RMEAN)
RED(l_t_max, LL_RMAX)
RED(l_t_min, LL_RMIN)
RED(l_t_argmax, LL_RARGMAX)
RED(l_t_argmin, LL_RARGMIN)
RED(l_t_var, LL_RVAR)
RED(l_t_std, LL_RSTD)
RED(l_t_prod, LL_RPROD)

static int l_t_softmax(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int d = lua_isnoneornil(L, 2) ? -1 : check_dim(L, 2, t);
    ll_err err = {0};
    return push_or_raise(L, ll_softmax(t, d, 0, &err), &err);
}

static int l_t_log_softmax(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int d = lua_isnoneornil(L, 2) ? -1 : check_dim(L, 2, t);
    ll_err err = {0};
    return push_or_raise(L, ll_softmax(t, d, 1, &err), &err);
}

static int l_t_matmul(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(
        L,
        ll_matmul(ll_lua_check_tensor(L, 1), ll_lua_check_tensor(L, 2), &err),
        &err);
}

static int l_t_index_select(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    int d = check_dim(L, 2, t);
    ll_err err = {0};
    return push_or_raise(
        L, ll_index_select(t, d, ll_lua_check_tensor(L, 3), &err), &err);
}

/* chunk(n, dim) / split(size, dim): a table of narrow views. */
static int split_common(lua_State *L, int by_chunks)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    lua_Integer k = luaL_checkinteger(L, 2);
    int d = lua_isnoneornil(L, 3) ? 0 : check_dim(L, 3, t);
    if (d < 0)
        d += t->ndim;
    if (k < 1 || t->ndim == 0)
        return luaL_argerror(L, 2, "must be >= 1 on a tensor with dims");
    int64_t len = t->shape[d];
    int64_t size = by_chunks ? (len + k - 1) / k : k;
    lua_newtable(L);
    int i = 1;
    for (int64_t s = 0; s < len; s += size) {
        int64_t l = s + size > len ? len - s : size;
        ll_err err = {0};
        ll_tensor *v = ll_narrow(t, d, s, l, &err);
        if (!v)
            return ll_lua_raise(L, &err);
        ll_lua_push_tensor(L, v);
        lua_seti(L, -2, i++);
    }
    return 1;
}

static int l_t_chunk(lua_State *L)
{
    return split_common(L, 1);
}

static int l_t_split(lua_State *L)
{
    return split_common(L, 0);
}

static int l_t_fill_(lua_State *L)
{
    ll_tensor_fill_(ll_lua_check_tensor(L, 1), (float)luaL_checknumber(L, 2));
    lua_settop(L, 1);
    return 1;
}

static int l_t_copy_(lua_State *L)
{
    ll_err err = {0};
    if (ll_tensor_copy_(ll_lua_check_tensor(L, 1), ll_lua_check_tensor(L, 2),
                        &err))
        return ll_lua_raise(L, &err);
    lua_settop(L, 1);
    return 1;
}

static int l_t_zero_(lua_State *L)
{
    ll_tensor_fill_(ll_lua_check_tensor(L, 1), 0.0f);
    lua_settop(L, 1);
    return 1;
}

static int l_t_tostring(lua_State *L)
{
    return l_t_display(L);
}

static int l_t_len(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    lua_pushinteger(L, t->ndim ? t->shape[0] : 0);
    return 1;
}

/* __index: methods first, then the fields grad, requires_grad, is_leaf,
 * grad_fn, ndim. */
static int l_t_index(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    if (lua_type(L, 2) == LUA_TNUMBER)
        return luaL_error(L, "Tensor: use t:select(0, i) or t:get(i, ...) "
                             "(0-based) to index, not t[i]");
    const char *k = lua_tostring(L, 2);
    if (!k)
        return 0;
    if (!strcmp(k, "grad")) {
        if (!t->grad)
            return 0;
        ll_lua_push_tensor(L, ll_tensor_ref(t->grad));
    } else if (!strcmp(k, "requires_grad"))
        lua_pushboolean(L, t->requires_grad);
    else if (!strcmp(k, "is_leaf"))
        lua_pushboolean(L, t->node == NULL);
    else if (!strcmp(k, "grad_fn")) {
        if (!t->node)
            return 0;
        lua_pushstring(L, t->node->name);
    } else if (!strcmp(k, "ndim"))
        lua_pushinteger(L, t->ndim);
    else
        return 0;
    return 1;
}

static int l_t_newindex(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    const char *k = luaL_checkstring(L, 2);
    ll_err err = {0};
    if (!strcmp(k, "requires_grad")) {
        if (ll_tensor_set_requires_grad(t, lua_toboolean(L, 3), &err))
            return ll_lua_raise(L, &err);
    } else if (!strcmp(k, "grad")) {
        ll_tensor *g = opt_tensor(L, 3);
        if (g && g->numel != t->numel)
            return luaL_error(L, "grad: shape does not match the tensor");
        ll_tensor_set_grad(t, g);
    } else
        return luaL_error(L, "Tensor has no settable field '%s'", k);
    return 0;
}

/* ---- functions over lists ------------------------------------------------ */

static int tensor_list(lua_State *L, int idx, ll_tensor ***out)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    int n = (int)luaL_len(L, idx);
    ll_tensor **ts = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *ts, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, idx, i + 1);
        ts[i] = ll_lua_to_tensor(L, -1);
        if (!ts[i])
            luaL_error(L,
                       "bad argument #%d: element %d is a %s, not a "
                       "Tensor",
                       idx, i + 1, luaL_typename(L, -1));
        lua_pop(L, 1); /* the table keeps it alive */
    }
    *out = ts;
    return n;
}

static int l_nn_cat(lua_State *L)
{
    ll_tensor **ts;
    int n = tensor_list(L, 1, &ts);
    int d = (int)luaL_optinteger(L, 2, 0);
    ll_err err = {0};
    return push_or_raise(L, ll_cat(ts, n, d, &err), &err);
}

static int l_nn_stack(lua_State *L)
{
    ll_tensor **ts;
    int n = tensor_list(L, 1, &ts);
    int d = (int)luaL_optinteger(L, 2, 0);
    ll_err err = {0};
    return push_or_raise(L, ll_stack(ts, n, d, &err), &err);
}

/* ---- layer functionals (used by lua/lualab/nn.lua and keras.lua) ------- */

static int l_f_linear(lua_State *L)
{
    ll_err err = {0};
    const char *name = luaL_optstring(L, 4, "Linear");
    return push_or_raise(L,
                         ll_linear(name, ll_lua_check_tensor(L, 1),
                                   ll_lua_check_tensor(L, 2), opt_tensor(L, 3),
                                   &err),
                         &err);
}

static int l_f_embedding(lua_State *L)
{
    ll_err err = {0};
    lua_Integer pad = luaL_optinteger(L, 3, -1);
    const char *name = luaL_optstring(L, 4, "Embedding");
    return push_or_raise(L,
                         ll_embedding(name, ll_lua_check_tensor(L, 1),
                                      ll_lua_check_tensor(L, 2), pad, &err),
                         &err);
}

/* rnn_layer(cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh [, reverse, mask, name])
 * -> out, h, c */
static int l_f_rnn_layer(lua_State *L)
{
    static const char *cells[] = {"lstm", "gru", "tanh", "relu", NULL};
    int cell = luaL_checkoption(L, 1, NULL, cells);
    ll_tensor *x = ll_lua_check_tensor(L, 2);
    ll_tensor *h0 = opt_tensor(L, 3), *c0 = opt_tensor(L, 4);
    ll_tensor *wih = ll_lua_check_tensor(L, 5),
              *whh = ll_lua_check_tensor(L, 6);
    ll_tensor *bih = opt_tensor(L, 7), *bhh = opt_tensor(L, 8);
    int reverse = lua_toboolean(L, 9);
    ll_tensor *mask = opt_tensor(L, 10);
    const char *name = luaL_optstring(L, 11, cells[cell]);
    ll_tensor *out[3];
    ll_err err = {0};
    if (ll_rnn_layer(name, (ll_cell)cell, x, h0, c0, wih, whh, bih, bhh,
                     reverse, mask, out, &err))
        return ll_lua_raise(L, &err);
    push_tensors(L, out, 3);
    return 3;
}

static int l_f_conv1d(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(
        L,
        ll_conv1d(luaL_optstring(L, 7, "Conv1d"), ll_lua_check_tensor(L, 1),
                  ll_lua_check_tensor(L, 2), opt_tensor(L, 3),
                  (int)luaL_optinteger(L, 4, 1), (int)luaL_optinteger(L, 5, 0),
                  (int)luaL_optinteger(L, 6, 1), &err),
        &err);
}

static int l_f_pool1d(lua_State *L)
{
    ll_err err = {0};
    int is_max = lua_toboolean(L, 2);
    return push_or_raise(
        L,
        ll_pool1d(luaL_optstring(L, 6, is_max ? "MaxPool1d" : "AvgPool1d"),
                  ll_lua_check_tensor(L, 1), is_max,
                  (int)luaL_checkinteger(L, 3), (int)luaL_optinteger(L, 4, 0),
                  (int)luaL_optinteger(L, 5, 0), &err),
        &err);
}

static int l_f_dropout(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(L,
                         ll_dropout(ll_lua_check_tensor(L, 1),
                                    luaL_checknumber(L, 2), lua_toboolean(L, 3),
                                    &err),
                         &err);
}

static int l_f_dropout_mask(lua_State *L)
{
    int64_t shape[LL_MAXDIM];
    luaL_checktype(L, 1, LUA_TTABLE);
    int nd = check_shape(L, 1, shape);
    double p = luaL_checknumber(L, 2);
    if (p < 0 || p > 1)
        return luaL_argerror(L, 2, "probability must be in [0, 1]");
    ll_err err = {0};
    return push_or_raise(L, ll_dropout_mask(nd, shape, p, &err), &err);
}

static int l_f_layer_norm(lua_State *L)
{
    ll_err err = {0};
    return push_or_raise(L,
                         ll_layer_norm(luaL_optstring(L, 5, "LayerNorm"),
                                       ll_lua_check_tensor(L, 1),
                                       opt_tensor(L, 2), opt_tensor(L, 3),
                                       luaL_optnumber(L, 4, 1e-5), &err),
                         &err);
}

/* loss(kind, input, target [, reduction, arg, ignore_index]) */
static int l_f_loss(lua_State *L)
{
    static const char *kinds[] = {"mse", "l1",         "huber",
                                  "bce", "bce_logits", "cross_entropy",
                                  "nll", NULL};
    static const char *reds[] = {"mean", "sum", "none", NULL};
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    ll_tensor *x = ll_lua_check_tensor(L, 2), *y = ll_lua_check_tensor(L, 3);
    int red = luaL_checkoption(L, 4, "mean", reds);
    ll_err err = {0};
    return push_or_raise(L,
                         ll_loss((ll_loss_kind)kind, x, y, (ll_reduction)red,
                                 luaL_optnumber(L, 5, 1.0),
                                 luaL_optinteger(L, 6, -100), &err),
                         &err);
}

static int l_f_clip_grad_norm(lua_State *L)
{
    ll_tensor **ts;
    int n = tensor_list(L, 1, &ts);
    lua_pushnumber(L, ll_clip_grad_norm(ts, n, luaL_checknumber(L, 2)));
    return 1;
}

static int l_f_clip_grad_value(lua_State *L)
{
    ll_tensor **ts;
    int n = tensor_list(L, 1, &ts);
    ll_clip_grad_value(ts, n, luaL_checknumber(L, 2));
    return 0;
}

/* ---- optimizer userdata ----------------------------------------------------
 */

#define ONAME "lualab.Optimizer"

typedef struct {
    ll_optim *o;
} obox;

static ll_optim *check_opt(lua_State *L)
{
    obox *b = luaL_checkudata(L, 1, ONAME);
    if (!b->o)
        luaL_argerror(L, 1, "optimizer is closed");
    return b->o;
}

/* optimizer(kind, params, {lr=, momentum=, ...}) */
static int l_f_optimizer(lua_State *L)
{
    static const char *kinds[] = {"sgd",     "adam",    "adamw",
                                  "rmsprop", "adagrad", NULL};
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    ll_tensor **ts;
    int n = tensor_list(L, 2, &ts);
    luaL_checktype(L, 3, LUA_TTABLE);
    ll_opt_conf c = {0};
    c.kind = (ll_opt_kind)kind;
    c.lr = ll_opt_num(L, 3, "lr",
                      kind == LL_OPT_SGD       ? 1e-3
                      : kind == LL_OPT_RMSPROP ? 1e-2
                      : kind == LL_OPT_ADAGRAD ? 1e-2
                                               : 1e-3);
    c.momentum = ll_opt_num(L, 3, "momentum", 0);
    c.dampening = ll_opt_num(L, 3, "dampening", 0);
    c.weight_decay =
        ll_opt_num(L, 3, "weight_decay", kind == LL_OPT_ADAMW ? 1e-2 : 0);
    c.nesterov = ll_opt_bool(L, 3, "nesterov", 0);
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    lua_getfield(L, 3, "betas");
    if (lua_istable(L, -1)) {
        lua_geti(L, -1, 1);
        c.beta1 = luaL_optnumber(L, -1, 0.9);
        lua_geti(L, -2, 2);
        c.beta2 = luaL_optnumber(L, -1, 0.999);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    c.eps = ll_opt_num(L, 3, "eps", kind == LL_OPT_ADAGRAD ? 1e-10 : 1e-8);
    c.alpha = ll_opt_num(L, 3, "alpha", 0.99);
    c.lr_decay = ll_opt_num(L, 3, "lr_decay", 0);
    c.initial_accumulator = ll_opt_num(L, 3, "initial_accumulator_value", 0);
    if (c.lr < 0)
        return luaL_error(L, "optimizer: invalid learning rate: %f", c.lr);
    if (c.nesterov && (c.momentum <= 0 || c.dampening != 0))
        return luaL_error(L, "optimizer: nesterov momentum requires a "
                             "momentum and zero dampening");
    obox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->o = NULL;
    luaL_setmetatable(L, ONAME);
    ll_err err = {0};
    b->o = ll_optim_new(&c, ts, n, &err);
    if (!b->o)
        return ll_lua_raise(L, &err);
    return 1;
}

static int l_o_step(lua_State *L)
{
    ll_err err = {0};
    if (ll_optim_step(check_opt(L), &err))
        return ll_lua_raise(L, &err);
    return 0;
}

static int l_o_zero_grad(lua_State *L)
{
    ll_optim_zero_grad(check_opt(L));
    return 0;
}

static int l_o_lr(lua_State *L)
{
    ll_optim *o = check_opt(L);
    if (!lua_isnoneornil(L, 2))
        ll_optim_set_lr(o, luaL_checknumber(L, 2));
    lua_pushnumber(L, ll_optim_get_lr(o));
    return 1;
}

static int l_o_gc(lua_State *L)
{
    obox *b = luaL_checkudata(L, 1, ONAME);
    ll_optim_free(b->o);
    b->o = NULL;
    return 0;
}

static int l_o_tostring(lua_State *L)
{
    ll_optim *o = check_opt(L);
    lua_pushfstring(L, "Optimizer(lr=%f)", ll_optim_get_lr(o));
    return 1;
}

/* ---- safetensors --------------------------------------------------------- */

/* save_tensors(path, names, tensors) -> true | nil, msg */
static int l_f_save_tensors(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    ll_tensor **ts;
    int n = tensor_list(L, 3, &ts);
    if ((int)luaL_len(L, 2) != n)
        return luaL_argerror(L, 2, "names and tensors differ in length");
    const char **names =
        lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *names, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, 2, i + 1);
        names[i] = lua_tostring(L, -1);
        if (!names[i])
            return luaL_argerror(L, 2, "names must be strings");
        lua_pop(L, 1);
    }
    ll_err err = {0};
    if (ll_safetensors_save(path, names, ts, n, &err))
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* load_tensors(path) -> {name = Tensor}, {names in file order} | nil, msg */
static int l_f_load_tensors(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char **names;
    ll_tensor **ts;
    int n;
    ll_err err = {0};
    if (ll_safetensors_load(path, &names, &ts, &n, &err))
        return ll_lua_fail(L, &err);
    lua_newtable(L);
    lua_newtable(L);
    /* Hand every tensor to Lua before anything else can raise. */
    for (int i = 0; i < n; i++) {
        ll_lua_push_tensor(L, ts[i]);
        ts[i] = NULL;
        lua_setfield(L, -3, names[i]);
        lua_pushstring(L, names[i]);
        lua_seti(L, -2, i + 1);
    }
    ll_safetensors_list_free(names, ts, n);
    return 2;
}

static const ll_lua_fn tensor_methods[] = {
    {"tolist", l_t_tolist,
     "t:tolist() -> table -- Nested Lua tables of the values."},
    {"plot", l_t_plot,
     "t:plot{kind=\"line\"|\"scatter\"|\"hist\", names=, ...} -> Plot -- "
     "Chart a 1-D tensor, or the columns of a 2-D one."},
    {"shape", l_t_shape,
     "t:shape([dim]) -> {sizes} | size -- The shape (dims are 0-based)."},
    {"size", l_t_shape, "t:size([dim]) -> {sizes} | size -- Same as shape."},
    {"dim", l_t_dim, "t:dim() -> n -- Number of dimensions."},
    {"numel", l_t_numel, "t:numel() -> n -- Number of elements."},
    {"item", l_t_item,
     "t:item() -> number -- The value of a one-element tensor."},
    {"get", l_t_get,
     "t:get(i, j, ...) -> number -- One element (0-based indices)."},
    {"set", l_t_set,
     "t:set(i, j, ..., v) -> t -- Set one element in place (0-based)."},
    {"backward", l_t_backward,
     "t:backward([gradient | {gradient=, retain_graph=}]) -- Accumulate "
     "gradients into the leaves."},
    {"detach", l_t_detach, "t:detach() -> Tensor -- Same data, no history."},
    {"requires_grad_", l_t_requires_grad_,
     "t:requires_grad_([on]) -> t -- Track gradients for this leaf."},
    {"clone", l_t_clone, "t:clone() -> Tensor -- A copy (differentiable)."},
    {"contiguous", l_t_contiguous,
     "t:contiguous() -> Tensor -- Row-major copy unless already."},
    {"reshape", l_t_reshape,
     "t:reshape(shape) -> Tensor -- Same data, new shape (one -1 allowed)."},
    {"view", l_t_reshape, "t:view(shape) -> Tensor -- Same as reshape."},
    {"flatten", l_t_flatten,
     "t:flatten([start_dim]) -> Tensor -- Merge dims from start_dim on."},
    {"transpose", l_t_transpose,
     "t:transpose(d0, d1) -> Tensor -- Swap two dims (a view)."},
    {"t", l_t_transpose, "t:t() -> Tensor -- Transpose a matrix."},
    {"permute", l_t_permute,
     "t:permute(d0, d1, ...) -> Tensor -- Reorder dims (a view)."},
    {"narrow", l_t_narrow,
     "t:narrow(dim, start, length) -> Tensor -- A slice (a view)."},
    {"select", l_t_select,
     "t:select(dim, index) -> Tensor -- Drop dim at index (a view)."},
    {"unsqueeze", l_t_unsqueeze,
     "t:unsqueeze(dim) -> Tensor -- Insert a size-1 dim."},
    {"squeeze", l_t_squeeze,
     "t:squeeze([dim]) -> Tensor -- Remove size-1 dims."},
    {"expand", l_t_expand,
     "t:expand(shape) -> Tensor -- Broadcast without copying (-1 keeps)."},
    {"add", l_t_add,
     "t:add(x) -> Tensor -- Elementwise sum with broadcasting."},
    {"sub", l_t_sub, "t:sub(x) -> Tensor -- Elementwise difference."},
    {"mul", l_t_mul, "t:mul(x) -> Tensor -- Elementwise product."},
    {"div", l_t_div, "t:div(x) -> Tensor -- Elementwise quotient."},
    {"pow", l_t_pow, "t:pow(x) -> Tensor -- Elementwise power."},
    {"maximum", l_t_maximum, "t:maximum(x) -> Tensor -- Elementwise max."},
    {"minimum", l_t_minimum, "t:minimum(x) -> Tensor -- Elementwise min."},
    {"eq", l_t_eq, "t:eq(x) -> Tensor -- 1 where equal, else 0."},
    {"ne", l_t_ne, "t:ne(x) -> Tensor -- 1 where different."},
    {"lt", l_t_lt, "t:lt(x) -> Tensor -- 1 where t < x."},
    {"le", l_t_le, "t:le(x) -> Tensor -- 1 where t <= x."},
    {"gt", l_t_gt, "t:gt(x) -> Tensor -- 1 where t > x."},
    {"ge", l_t_ge, "t:ge(x) -> Tensor -- 1 where t >= x."},
    {"neg", l_t_neg, "t:neg() -> Tensor -- -t."},
    {"exp", l_t_exp, "t:exp() -> Tensor -- e^t."},
    {"log", l_t_log, "t:log() -> Tensor -- Natural log."},
    {"sqrt", l_t_sqrt, "t:sqrt() -> Tensor -- Square root."},
    {"abs", l_t_abs, "t:abs() -> Tensor -- Absolute value."},
    {"square", l_t_square, "t:square() -> Tensor -- t*t."},
    {"sin", l_t_sin, "t:sin() -> Tensor -- Sine."},
    {"cos", l_t_cos, "t:cos() -> Tensor -- Cosine."},
    {"sigmoid", l_t_sigmoid,
     "t:sigmoid() -> Tensor -- Logistic function (stable)."},
    {"tanh", l_t_tanh, "t:tanh() -> Tensor -- Hyperbolic tangent."},
    {"relu", l_t_relu, "t:relu() -> Tensor -- max(t, 0)."},
    {"leaky_relu", l_t_leaky_relu,
     "t:leaky_relu([slope=0.01]) -> Tensor -- Leaky ReLU."},
    {"elu", l_t_elu, "t:elu([alpha=1]) -> Tensor -- ELU."},
    {"softplus", l_t_softplus,
     "t:softplus() -> Tensor -- log(1 + e^t), stable."},
    {"clamp", l_t_clamp, "t:clamp([min], [max]) -> Tensor -- Clip values."},
    {"sum", l_t_sum,
     "t:sum([dim, keepdim]) -> Tensor -- Sum (all or along dim)."},
    {"mean", l_t_mean, "t:mean([dim, keepdim]) -> Tensor -- Mean."},
    {"max", l_t_max,
     "t:max([dim, keepdim]) -> Tensor [, indices] -- Max (and argmax along "
     "dim)."},
    {"min", l_t_min, "t:min([dim, keepdim]) -> Tensor [, indices] -- Min."},
    {"argmax", l_t_argmax,
     "t:argmax([dim, keepdim]) -> Tensor -- Index of the max (0-based)."},
    {"argmin", l_t_argmin,
     "t:argmin([dim, keepdim]) -> Tensor -- Index of the min."},
    {"var", l_t_var, "t:var([dim, keepdim]) -> Tensor -- Unbiased variance."},
    {"std", l_t_std,
     "t:std([dim, keepdim]) -> Tensor -- Unbiased standard deviation."},
    {"prod", l_t_prod, "t:prod([dim, keepdim]) -> Tensor -- Product."},
    {"softmax", l_t_softmax,
     "t:softmax([dim=-1]) -> Tensor -- Softmax (stable)."},
    {"log_softmax", l_t_log_softmax,
     "t:log_softmax([dim=-1]) -> Tensor -- Log-softmax (stable)."},
    {"matmul", l_t_matmul,
     "t:matmul(x) -> Tensor -- Matrix product (batched for 3-D)."},
    {"index_select", l_t_index_select,
     "t:index_select(dim, idx) -> Tensor -- Rows picked by an index tensor."},
    {"chunk", l_t_chunk,
     "t:chunk(n [, dim=0]) -> {Tensor} -- Split into n views."},
    {"split", l_t_split,
     "t:split(size [, dim=0]) -> {Tensor} -- Split into views of size."},
    {"fill_", l_t_fill_, "t:fill_(v) -> t -- Fill in place (no autograd)."},
    {"zero_", l_t_zero_, "t:zero_() -> t -- Zero in place."},
    {"copy_", l_t_copy_,
     "t:copy_(src) -> t -- Copy values in place (broadcasting)."},
    {NULL, NULL, NULL}};

static const ll_lua_fn tensor_meta[] = {{"__gc", l_t_gc, NULL},
                                        {"__close", l_t_gc, NULL},
                                        {"__tostring", l_t_tostring, NULL},
                                        {"__display", l_t_display, NULL},
                                        {"__add", l_t_add, NULL},
                                        {"__sub", l_t_sub, NULL},
                                        {"__mul", l_t_mul, NULL},
                                        {"__div", l_t_div, NULL},
                                        {"__pow", l_t_pow, NULL},
                                        {"__unm", l_t_neg, NULL},
                                        {"__len", l_t_len, NULL},
                                        {"__newindex", l_t_newindex, NULL},
                                        {NULL, NULL, NULL}};

static const ll_lua_fn opt_methods[] = {
    {"step", l_o_step,
     "opt:step() -- One update of every parameter (one loop over the flat "
     "buffer)."},
    {"zero_grad", l_o_zero_grad, "opt:zero_grad() -- Zero every gradient."},
    {"lr", l_o_lr, "opt:lr([new]) -> lr -- Get or set the learning rate."},
    {NULL, NULL, NULL}};

static const ll_lua_fn opt_meta[] = {{"__gc", l_o_gc, NULL},
                                     {"__close", l_o_gc, NULL},
                                     {"__tostring", l_o_tostring, NULL},
                                     {NULL, NULL, NULL}};

static const ll_lua_fn nn_fns[] = {
    {"tensor", l_nn_tensor,
     "tensor(table | number [, {requires_grad=}]) -> Tensor -- A float32 "
     "tensor from nested tables."},
    {"zeros", l_nn_zeros,
     "zeros(shape) -> Tensor -- A tensor of zeros; shape is a table {2, 3}."},
    {"ones", l_nn_ones, "ones(shape) -> Tensor -- A tensor of ones."},
    {"full", l_nn_full, "full(shape, v) -> Tensor -- A tensor filled with v."},
    {"rand", l_nn_rand,
     "rand(shape) -> Tensor -- Uniform [0, 1) (seeded by manual_seed)."},
    {"randn", l_nn_randn, "randn(shape) -> Tensor -- Standard normal."},
    {"randint", l_nn_randint,
     "randint(low, high, shape) -> Tensor -- Integers in [low, high)."},
    {"arange", l_nn_arange,
     "arange([start,] stop [, step]) -> Tensor -- Evenly spaced values."},
    {"linspace", l_nn_linspace,
     "linspace(a, b, n) -> Tensor -- n values from a to b."},
    {"manual_seed", l_nn_manual_seed,
     "manual_seed(s) -- Seed the generator (repeatable runs)."},
    {"set_num_threads", l_nn_set_num_threads,
     "set_num_threads(n) -- Threads for OpenBLAS."},
    {"get_num_threads", l_nn_get_num_threads,
     "get_num_threads() -> n -- Threads OpenBLAS uses."},
    {"set_grad_enabled", l_nn_set_grad_enabled,
     "set_grad_enabled(on) -> previous -- Turn autograd recording on/off."},
    {"clock", l_nn_clock,
     "clock() -> seconds -- Monotonic wall-clock time, for timing steps."},
    {"is_grad_enabled", l_nn_is_grad_enabled,
     "is_grad_enabled() -> bool -- Is autograd recording?"},
    {"cat", l_nn_cat,
     "cat({tensors} [, dim=0]) -> Tensor -- Concatenate along dim."},
    {"stack", l_nn_stack,
     "stack({tensors} [, dim=0]) -> Tensor -- Stack along a new dim."},
    {"matmul", l_t_matmul,
     "matmul(a, b) -> Tensor -- Matrix product (OpenBLAS)."},
    {"linear", l_f_linear,
     "linear(x, w [, b, name]) -> Tensor -- x w^T + b as one node."},
    {"embedding", l_f_embedding,
     "embedding(idx, w [, padding_idx, name]) -> Tensor -- Rows of w."},
    {"rnn_layer", l_f_rnn_layer,
     "rnn_layer(cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh [, reverse, mask, "
     "name]) -> out, h, c -- One recurrent layer over a (T, B, D) sequence; "
     "cell is lstm|gru|tanh|relu."},
    {"conv1d", l_f_conv1d,
     "conv1d(x, w [, b, stride, padding, dilation, name]) -> Tensor -- 1-D "
     "convolution."},
    {"pool1d", l_f_pool1d,
     "pool1d(x, is_max, k [, stride, padding, name]) -> Tensor -- Max or "
     "average pooling."},
    {"dropout", l_f_dropout,
     "dropout(x, p, training) -> Tensor -- Inverted dropout."},
    {"dropout_mask", l_f_dropout_mask,
     "dropout_mask(shape, p) -> Tensor -- 0 or 1/(1-p) entries."},
    {"layer_norm", l_f_layer_norm,
     "layer_norm(x [, w, b, eps, name]) -> Tensor -- Normalise the last dim."},
    {"loss", l_f_loss,
     "loss(kind, input, target [, reduction, arg, ignore_index]) -> Tensor -- "
     "mse|l1|huber|bce|bce_logits|cross_entropy|nll."},
    {"optimizer", l_f_optimizer,
     "optimizer(kind, params, opts) -> Optimizer -- "
     "sgd|adam|adamw|rmsprop|adagrad over flat buffers."},
    {"clip_grad_norm", l_f_clip_grad_norm,
     "clip_grad_norm(params, max_norm) -> total_norm -- Scale gradients to a "
     "maximum 2-norm."},
    {"clip_grad_value", l_f_clip_grad_value,
     "clip_grad_value(params, clip) -- Clamp gradients to [-clip, clip]."},
    {"save_tensors", l_f_save_tensors,
     "save_tensors(path, names, tensors) -> true | nil, msg -- Write "
     "safetensors."},
    {"load_tensors", l_f_load_tensors,
     "load_tensors(path) -> {name=Tensor}, names | nil, msg -- Read "
     "safetensors."},
    {NULL, NULL, NULL}};

int luaopen_lualab__nn(lua_State *L);
int luaopen_lualab__nn(lua_State *L)
{
    ll_nn_ftz();
    ll_lua_newclass(L, TNAME, tensor_methods, tensor_meta);
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, l_t_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    ll_lua_newclass(L, ONAME, opt_methods, opt_meta);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "nn", nn_fns);
    luaL_getmetatable(L, TNAME);
    lua_getfield(L, -1, "__index");
    lua_getupvalue(L, -1, 1);
    lua_setfield(L, -4, "Tensor");
    lua_pop(L, 2);
    return 1;
}
