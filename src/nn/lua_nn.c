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
#include "nn/nn_int.h"

#define TNAME "lualab.Tensor"

typedef struct {
    ll_tensor *t;
} tbox;

void ll_lua_push_tensor(lua_State *L, ll_tensor *t)
{
    tbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->t = t;
    luaL_setmetatable(L, TNAME);
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
        luaL_error(L, "tensor: ragged nested table at depth %d (expected %d "
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

static int l_t_tostring(lua_State *L)
{
    ll_tensor *t = ll_lua_check_tensor(L, 1);
    char s[128];
    lua_pushfstring(L, "Tensor%s", ll_shape_str(t->ndim, t->shape, s, sizeof s));
    return 1;
}

static const ll_lua_fn tensor_methods[] = {
    {"tolist", l_t_tolist, "t:tolist() -> table -- Nested Lua tables of the values."},
    {"shape", l_t_shape, "t:shape([dim]) -> {sizes} | size -- The shape."},
    {NULL, NULL, NULL}};

static const ll_lua_fn tensor_meta[] = {
    {"__gc", l_t_gc, NULL},
    {"__close", l_t_gc, NULL},
    {"__tostring", l_t_tostring, NULL},
    {NULL, NULL, NULL}};

static const ll_lua_fn nn_fns[] = {
    {"tensor", l_nn_tensor, "tensor(table | number [, {requires_grad=}]) -> Tensor -- A float32 tensor from nested tables."},
    {"zeros", l_nn_zeros, "zeros(shape) -> Tensor -- A tensor of zeros; shape is a table {2, 3}."},
    {NULL, NULL, NULL}};

int luaopen_lualab__nn(lua_State *L);
int luaopen_lualab__nn(lua_State *L)
{
    ll_lua_newclass(L, TNAME, tensor_methods, tensor_meta);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "nn", nn_fns);
    return 1;
}
