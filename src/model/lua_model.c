/*
 * lua_model: lualab._model, the Lua face of model/ (C scoring of logged
 * models): load(dir) -> Model; Model:predict(Tensor | Frame);
 * read_mlmodel(dir) -> the MLmodel file as a table (mlflow.load_model).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "frame/lua_frame.h"
#include "host/lua_util.h"
#include "model/mlmodel.h"
#include "model/model.h"
#include "nn/lua_nn.h"

#define MODEL_MT "lualab.Model"

typedef struct lmodel {
    ll_model *m;
} lmodel;

static ll_model *check_model(lua_State *L, int idx)
{
    lmodel *u = luaL_checkudata(L, idx, MODEL_MT);
    if (!u->m)
        luaL_error(L, "attempt to use a closed Model");
    return u->m;
}

static int l_load(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    lmodel *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->m = NULL;
    luaL_setmetatable(L, MODEL_MT);
    ll_err err = {0};
    if (ll_model_load(dir, &u->m, &err))
        return ll_lua_fail(L, &err);
    return 1;
}

static int l_gc(lua_State *L)
{
    lmodel *u = luaL_checkudata(L, 1, MODEL_MT);
    ll_model_free(u->m);
    u->m = NULL;
    return 0;
}

static void push_shape(lua_State *L, int nd, const int64_t *s)
{
    lua_createtable(L, nd, 0);
    for (int i = 0; i < nd; i++) {
        lua_pushinteger(L, (lua_Integer)s[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static int l_tostring(lua_State *L)
{
    lmodel *u = luaL_checkudata(L, 1, MODEL_MT);
    if (!u->m) {
        lua_pushliteral(L, "<Model (closed)>");
        return 1;
    }
    ll_model *m = u->m;
    char a[128], b[128];
    ll_shape_str(ll_model_input_ndim(m), ll_model_input_shape(m), a, sizeof a);
    ll_shape_str(ll_model_output_ndim(m), ll_model_output_shape(m), b,
                 sizeof b);
    int n = ll_model_n_layers(m);
    lua_pushfstring(L, "<Model %s %s: %s -> %s per row, %d layer%s>",
                    ll_model_flavor(m), ll_model_dir(m), a, b, n,
                    n == 1 ? "" : "s");
    return 1;
}

static int l_predict(lua_State *L)
{
    ll_model *m = check_model(L, 1);
    ll_err err = {0};
    ll_tensor *t = ll_lua_to_tensor(L, 2);
    if (t) {
        ll_tensor *y = NULL;
        if (ll_model_predict_tensor(m, t, &y, &err))
            return ll_lua_raise(L, &err);
        ll_lua_push_tensor(L, y);
        return 1;
    }
    ll_frame *in = ll_lua_test_frame(L, 2);
    if (!in)
        return luaL_error(L, "predict: a Tensor or Frame expected, got %s",
                          luaL_typename(L, 2));
    ll_frame **out = ll_lua_new_frame(L);
    if (ll_model_predict(m, in, out, &err))
        return ll_lua_raise(L, &err);
    return 1;
}

static int l_flavor(lua_State *L)
{
    lua_pushstring(L, ll_model_flavor(check_model(L, 1)));
    return 1;
}

static int l_input_shape(lua_State *L)
{
    ll_model *m = check_model(L, 1);
    push_shape(L, ll_model_input_ndim(m), ll_model_input_shape(m));
    return 1;
}

static int l_output_shape(lua_State *L)
{
    ll_model *m = check_model(L, 1);
    push_shape(L, ll_model_output_ndim(m), ll_model_output_shape(m));
    return 1;
}

static int l_layers(lua_State *L)
{
    ll_model *m = check_model(L, 1);
    int n = ll_model_n_layers(m);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, ll_model_layer_type(m, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static void push_names(lua_State *L, int n,
                       const char *(*get)(const ll_model *, int), ll_model *m)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, get(m, i));
        lua_rawseti(L, -2, i + 1);
    }
}

static int l_input_names(lua_State *L)
{
    ll_model *m = check_model(L, 1);
    push_names(L, ll_model_n_inputs(m), ll_model_input_name, m);
    return 1;
}

static int l_output_names(lua_State *L)
{
    ll_model *m = check_model(L, 1);
    push_names(L, ll_model_n_outputs(m), ll_model_output_name, m);
    return 1;
}

#define MLMODEL_MT "lualab.MLmodelReader"

static int mlmodel_gc(lua_State *L)
{
    ll_mlmodel_clear(luaL_checkudata(L, 1, MLMODEL_MT));
    return 0;
}

/* read_mlmodel(dir) -> {key = value | {...}, flavor_names = {...}} */
static int l_read_mlmodel(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    /* boxed, so a Lua error while building the table cannot leak it */
    ll_mlmodel *y = lua_newuserdatauv(L, sizeof *y, 0);
    memset(y, 0, sizeof *y);
    if (luaL_newmetatable(L, MLMODEL_MT)) {
        lua_pushcfunction(L, mlmodel_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    ll_err err;
    if (ll_mlmodel_read(dir, y, &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_newtable(L); /* the result */
    int res = lua_gettop(L);
    lua_newtable(L); /* flavor_names */
    int names = lua_gettop(L);
    lua_Integer nflavors = 0;
    for (int i = 0; i < y->n; i++) {
        const char *path = y->e[i].path;
        lua_pushvalue(L, res);
        /* walk the dotted path, creating mappings */
        const char *p = path;
        for (;;) {
            const char *dot = strchr(p, '.');
            size_t n = dot ? (size_t)(dot - p) : strlen(p);
            lua_pushlstring(L, p, n);
            if (!dot) {
                if (y->e[i].value) {
                    lua_pushstring(L, y->e[i].value);
                    lua_rawset(L, -3);
                } else {
                    lua_pushvalue(L, -1);
                    lua_rawget(L, -3);
                    int have = lua_istable(L, -1);
                    lua_pop(L, 1);
                    if (!have) {
                        lua_newtable(L);
                        lua_rawset(L, -3);
                    } else {
                        lua_pop(L, 1);
                    }
                }
                break;
            }
            lua_pushvalue(L, -1);
            lua_rawget(L, -3);
            if (!lua_istable(L, -1)) {
                lua_pop(L, 1);
                lua_newtable(L);
                lua_pushvalue(L, -2);
                lua_pushvalue(L, -2);
                lua_rawset(L, -5);
            }
            lua_remove(L, -2);
            lua_remove(L, -2);
            p = dot + 1;
        }
        lua_settop(L, names);
        if (strncmp(path, "flavors.", 8) == 0 && !strchr(path + 8, '.')) {
            lua_pushstring(L, path + 8);
            lua_rawseti(L, names, ++nflavors);
        }
    }
    lua_pushvalue(L, names);
    lua_setfield(L, res, "flavor_names");
    lua_pushstring(L, y->file);
    lua_setfield(L, res, "file");
    ll_mlmodel_clear(y);
    lua_pushvalue(L, res);
    return 1;
}

static const ll_lua_fn model_methods[] = {
    {"predict", l_predict,
     "Model:predict(x) -> Tensor | Frame -- Predict from a Tensor [N, input "
     "shape...] or a Frame (signature columns or every numeric column)."},
    {"close", l_gc, "Model:close() -- Free the model now (also on __gc)."},
    {"flavor", l_flavor, "Model:flavor() -> string -- The MLmodel flavor."},
    {"input_shape", l_input_shape,
     "Model:input_shape() -> {sizes} -- Input shape without the batch."},
    {"output_shape", l_output_shape,
     "Model:output_shape() -> {sizes} -- Output shape without the batch."},
    {"layers", l_layers,
     "Model:layers() -> {class names} -- The layer types, in order."},
    {"input_names", l_input_names,
     "Model:input_names() -> {names} -- Input columns from the signature."},
    {"output_names", l_output_names,
     "Model:output_names() -> {names} -- Output columns from the signature."},
    {NULL, NULL, NULL}};

static const ll_lua_fn model_meta[] = {{"__gc", l_gc, NULL},
                                       {"__close", l_gc, NULL},
                                       {"__tostring", l_tostring, NULL},
                                       {NULL, NULL, NULL}};

static const ll_lua_fn module_fns[] = {
    {"load", l_load,
     "load(dir) -> Model | nil, msg -- Load a logged model directory "
     "(MLmodel + the flavor's files) for scoring in C."},
    {"read_mlmodel", l_read_mlmodel,
     "read_mlmodel(dir) -> table | nil, msg -- DIR/MLmodel as nested tables "
     "of strings, plus flavor_names (in file order) and file."},
    {NULL, NULL, NULL}};

int luaopen_lualab__model(lua_State *L);
int luaopen_lualab__model(lua_State *L)
{
    ll_lua_newclass(L, MODEL_MT, model_methods, model_meta);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "_model", module_fns);
    return 1;
}
