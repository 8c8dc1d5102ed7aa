/*
 * lua_frame_int: what the df binding files share (not for other parts;
 * other bindings use frame/lua_frame.h).  lua_df.c holds the module, the
 * handles and the helpers; lua_frame.c, lua_column.c and lua_groupby.c the
 * methods of each class with their method tables.
 */
#ifndef LL_LUA_FRAME_INT_H
#define LL_LUA_FRAME_INT_H

#include <lauxlib.h>
#include <lua.h>

#include "frame/frame.h"
#include "frame/frame_int.h"
#include "frame/lua_frame.h"
#include "host/lua_util.h"

#define FRAME_MT LL_FRAME_MT
#define COLUMN_MT LL_COLUMN_MT
#define GROUP_MT "lualab.GroupBy"
#define NA_MT "lualab.NA"
#define STR_MT "lualab.StringMethods" /* c.str: a Column's string methods */

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
    int dropna; /* leave out rows whose keys hold NA (pandas' default) */
    char keys[16][128];
} lgroup;

/* A core op taking a list of column names and returning a new frame. */
typedef ll_frame *(*names_op)(const ll_frame *f, const char *const *names,
                              int n, ll_err *err);

/* Handles (lua_df.c): each is pushed empty, then filled, so a Lua error
 * never leaks the C object. */
lframe *df_new_frame_ud(lua_State *L);
lcol *df_new_col_ud(lua_State *L, const char *name);
ll_frame *df_check_frame(lua_State *L, int idx);
lcol *df_check_lcol(lua_State *L, int idx);
ll_column *df_check_col(lua_State *L, int idx);
/* Set the frame (column) made by a core call into u, or raise its error. */
int df_give_frame(lua_State *L, lframe *u, ll_frame *f, ll_err *err);
int df_give_col(lua_State *L, lcol *u, ll_column *c, ll_err *err);
/* Push op(f, names, n) as a Frame. */
int df_push_names_op(lua_State *L, const ll_frame *f, const char **names, int n,
                     names_op op);

/* Lua values (lua_df.c). */
/* The options table of to_tensor at idx ({dtype = "float32", categorical =
 * "codes" | "onehot"}), checked; returns 1 for one-hot. */
int df_to_tensor_opts(lua_State *L, int idx);
/* Sort the array of names at index names in place with table.sort. */
void df_sort_names(lua_State *L, int names);
/* A string or an array of strings at idx, as a C array kept alive in a
 * scratch userdata pushed on the stack. */
const char **df_str_list(lua_State *L, int idx, int *n, const char *what);
/* A column from the Lua array at idx, rows 1..n (nil or df.NA are NA),
 * typed by its values (all integers: int, numbers: float, booleans: bool,
 * strings: string) or cast to type_name when given. */
ll_column *df_col_from_lua(lua_State *L, int idx, int64_t n,
                           const char *type_name, ll_err *err);
/* Push columns cols[0..n) of f as a float32 Tensor (lua_frame.c): [rows,
 * width], or [rows] when flat and the width is 1; errors prefixed with
 * what. */
int df_push_tensor(lua_State *L, const ll_frame *f, const int *cols, int n,
                   int onehot, int flat, const char *what);
/* Row i of c as a Lua value (nil for NA). */
void df_push_value(lua_State *L, const ll_column *c, int64_t i);

/* Display (lua_frame.c): width and rows from a __display options table;
 * push a rendered buffer (freeing it) or raise. */
void df_render_size(lua_State *L, int optidx, int *width, int *max_rows);
int df_push_buf(lua_State *L, ll_buf *b, int rc);

/* Aggregation specs (lua_groupby.c), shared with resample. */
int df_agg_spec(lua_State *L, int idx, const ll_frame *f, ll_agg **out);

/* Classes: __index functions and method tables, registered by lua_df.c. */
int df_frame_index(lua_State *L);
int df_col_index(lua_State *L);
int df_frame_groupby(lua_State *L);
extern const ll_lua_fn df_frame_methods[], df_frame_meta[];
extern const ll_lua_fn df_col_methods[], df_col_meta[];
extern const ll_lua_fn df_group_methods[], df_group_meta[];
extern const ll_lua_fn df_str_methods[], df_str_meta[];

#endif
