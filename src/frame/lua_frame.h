/*
 * lua_frame: how other bindings reach df's Frames and Columns (as liolib
 * publishes LUA_FILEHANDLE).  The userdata layouts stay private to frame/;
 * use these functions, never a copy of the structs.
 *
 * A new handle is pushed empty before the C object exists, so a Lua error
 * raised while making it leaks nothing: push, then fill the slot.
 */
#ifndef LL_LUA_FRAME_H
#define LL_LUA_FRAME_H

#include <lua.h>

#include "frame/frame.h"

#define LL_FRAME_MT "lualab.Frame"
#define LL_COLUMN_MT "lualab.Column"

/* The frame of the Frame at idx; raises when it is not one, or closed. */
ll_frame *ll_lua_check_frame(lua_State *L, int idx);
/* The same, or NULL when the value at idx is not a Frame. */
ll_frame *ll_lua_test_frame(lua_State *L, int idx);
/* The same, or NULL when it is not a Frame or is closed; never raises
 * (the REPL's completion reads column names with it). */
ll_frame *ll_lua_peek_frame(lua_State *L, int idx);
/* Push an empty Frame and return its slot: *slot = frame hands the frame
 * (one reference) to Lua's garbage collector. */
ll_frame **ll_lua_new_frame(lua_State *L);

/* The column of the Column at idx; raises when it is not one, or closed. */
ll_column *ll_lua_check_column(lua_State *L, int idx);
/* Push an empty Column named name (may be NULL) and return its slot. */
ll_column **ll_lua_new_column(lua_State *L, const char *name);

#endif
