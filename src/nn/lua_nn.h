/*
 * lua_nn: the Lua face of nn/ tensors, for other bindings (frame <-> tensor,
 * keras helpers written in C).  Tensors are full userdata "lualab.Tensor"
 * holding one reference.
 */
#ifndef LL_LUA_NN_H
#define LL_LUA_NN_H

#include <lua.h>

#include "nn/tensor.h"

/* Push t as a lualab.Tensor; takes ownership of the caller's reference
 * (t is released if the push itself fails).  t may not be NULL. */
void ll_lua_push_tensor(lua_State *L, ll_tensor *t);
/* The tensor at idx (borrowed; valid while the value is alive) or raise
 * "bad argument #idx (lualab.Tensor expected, got ...)". */
ll_tensor *ll_lua_check_tensor(lua_State *L, int idx);
/* The tensor at idx or NULL when it is not a tensor. */
ll_tensor *ll_lua_to_tensor(lua_State *L, int idx);

#endif
