/*
 * lua_forecast: the `forecast` module, the Lua face of forecast/.
 *
 *   local spec = forecast.AutoETS{season_length = 12}  -- a ForecastSpec
 *   local fit = spec:fit(y [, {X =, fill =, name =}])  -- a ForecastFit
 *   fit:predict(h [, {level =, X =}])                  -- a Frame
 *   forecast.fit{data =, target =, time =, series =, model =, threads =}
 *
 * One constructor per registered family (the registry decides what
 * exists).  Series come as Lua arrays, Columns or Tensors; Frames are read
 * and built through df's public methods.  Argument misuse raises; a series
 * the model cannot take (too short, NA, non-positive data for a
 * multiplicative form) gives nil, message.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/forecast.h"
#include "forecast/panel.h"
#include "host/lua_util.h"
#include "nn/lua_nn.h"

#define SPEC_MT "lualab.ForecastSpec"
#define FIT_MT "lualab.ForecastFit"
#define PANEL_MT "lualab.ForecastPanel"
#define LUA_FRAME_MT "lualab.Frame"
#define LUA_COLUMN_MT "lualab.Column"

typedef struct lspec {
    ll_fc_spec spec;
    char family[48];
} lspec;

/* A fit; its uservalue 1 is the list of regressor names (or nil). */
typedef struct lfit {
    ll_fc_fit *fit;
    double *y; /* the series fitted (for residuals) */
} lfit;

/* --- docs --- */

typedef struct family_doc {
    const char *name, *doc;
} family_doc;

static const family_doc family_docs[] = {
    {"Naive", "forecast.Naive{} -> Spec -- The last value, with random walk "
              "intervals (R's naive())."},
    {"SeasonalNaive",
     "forecast.SeasonalNaive{season_length} -> Spec -- The value one season "
     "ago (R's snaive())."},
    {"HistoricAverage",
     "forecast.HistoricAverage{} -> Spec -- The mean of the series, t "
     "intervals (R's meanf())."},
    {"WindowAverage",
     "forecast.WindowAverage{window} -> Spec -- The mean of the last window "
     "values (default one season, or 4)."},
    {"SeasonalWindowAverage",
     "forecast.SeasonalWindowAverage{season_length, window=2} -> Spec -- "
     "Each season position's mean over the last window seasons."},
    {"RandomWalkWithDrift",
     "forecast.RandomWalkWithDrift{} -> Spec -- A random walk with the mean "
     "step as drift (R's rwf(drift = TRUE))."},
    {"AutoETS",
     "forecast.AutoETS{season_length, model=\"ZZZ\", damped} -> Spec -- "
     "Exponential smoothing state space model (error A/M, trend N/A/Ad, "
     "season N/A/M) chosen by AICc as R's ets(); letters Z are chosen, "
     "damped nil tries both."},
    {"SES", "forecast.SES{} -> Spec -- Simple exponential smoothing, "
            "ETS(A,N,N)."},
    {"Holt", "forecast.Holt{damped=false} -> Spec -- Holt's linear trend, "
             "ETS(A,A,N) (ETS(A,Ad,N) when damped)."},
    {"HoltWinters",
     "forecast.HoltWinters{season_length, seasonal=\"additive\"|"
     "\"multiplicative\", damped=false} -> Spec -- ETS(A,A,A) or "
     "ETS(M,A,M)."},
    {"Theta", "forecast.Theta{season_length} -> Spec -- The Theta method as "
              "R's thetaf(): seasonal test, multiplicative decomposition, "
              "SES with drift."},
    {"OptimizedTheta",
     "forecast.OptimizedTheta{season_length} -> Spec -- Theta with theta, "
     "alpha and the level optimised (Fiorucci et al. 2016)."},
    {"DynamicOptimizedTheta",
     "forecast.DynamicOptimizedTheta{season_length} -> Spec -- The "
     "optimised theta model with the trend line updated at every step."},
    {NULL, NULL}};

static const char *doc_of(const char *family)
{
    for (const family_doc *d = family_docs; d->name; d++)
        if (strcmp(d->name, family) == 0)
            return d->doc;
    return NULL;
}

/* --- reading series --- */

/* A scratch buffer of n doubles owned by a userdata pushed on the stack,
 * so a Lua error cannot leak it. */
static double *push_buffer(lua_State *L, size_t n)
{
    return lua_newuserdatauv(L, (n ? n : 1) * sizeof(double), 0);
}

/* Call obj:method() (obj at idx) and leave its one result on the stack. */
static void call_method(lua_State *L, int idx, const char *method, int nargs)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, idx, method);
    lua_pushvalue(L, idx);
    for (int i = 0; i < nargs; i++)
        lua_pushvalue(L, -2 - nargs);
    lua_call(L, 1 + nargs, 1);
}

/* Numbers of the Lua array at idx into a new buffer pushed on the stack
 * (nil and df.NA become NaN).  what names the argument in errors. */
static double *read_array(lua_State *L, int idx, size_t *n, const char *what)
{
    idx = lua_absindex(L, idx);
    size_t len = (size_t)luaL_len(L, idx);
    lua_getfield(L, idx, "n");
    if (lua_isinteger(L, -1) && (size_t)lua_tointeger(L, -1) > len)
        len = (size_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    double *y = push_buffer(L, len);
    for (size_t i = 0; i < len; i++) {
        int t = lua_geti(L, idx, (lua_Integer)i + 1);
        if (t == LUA_TNUMBER)
            y[i] = lua_tonumber(L, -1);
        else if (t == LUA_TNIL || t == LUA_TLIGHTUSERDATA)
            y[i] = NAN;
        else
            luaL_error(L, "forecast: %s[%d] is not a number (%s)", what,
                       (int)i + 1, lua_typename(L, t));
        lua_pop(L, 1);
    }
    *n = len;
    return y;
}

/* y: a Lua array, a Column or a Tensor of numbers.  The values go into a
 * buffer pushed on the stack. */
static double *read_series(lua_State *L, int idx, size_t *n, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_istable(L, idx))
        return read_array(L, idx, n, what);
    if (luaL_testudata(L, idx, LUA_COLUMN_MT)) {
        call_method(L, idx, "dtype", 0);
        const char *dt = lua_tostring(L, -1);
        if (!dt || !(strcmp(dt, "float") == 0 || strcmp(dt, "int") == 0 ||
                     strcmp(dt, "bool") == 0))
            luaL_error(L, "forecast: %s must be numeric, got a %s column", what,
                       dt ? dt : "?");
        lua_pop(L, 1);
        call_method(L, idx, "to_table", 0);
        double *y = read_array(L, -1, n, what);
        lua_remove(L, -2);
        return y;
    }
    ll_tensor *t = ll_lua_to_tensor(L, idx);
    if (t) {
        size_t len = (size_t)ll_tensor_numel(t);
        double *y = push_buffer(L, len);
        for (size_t i = 0; i < len; i++)
            y[i] = ll_tensor_get(t, (int64_t)i);
        *n = len;
        return y;
    }
    luaL_error(L,
               "forecast: %s must be a table, Column or Tensor of numbers, "
               "got %s",
               what, luaL_typename(L, idx));
    return NULL;
}

/* Regressors: a Frame (every column) or a table {name = array}.  Pushes
 * the names (a Lua array) and a row-major buffer; rows and k out.  When
 * want (a names array index, 0 = none) is given, those columns in that
 * order, and a missing one is an error. */
static double *read_regressors(lua_State *L, int idx, int want, size_t *rows,
                               size_t *k)
{
    idx = lua_absindex(L, idx);
    int is_frame = luaL_testudata(L, idx, LUA_FRAME_MT) != NULL;
    if (!is_frame && !lua_istable(L, idx))
        luaL_error(L,
                   "forecast: X must be a Frame or a table of columns, got "
                   "%s",
                   luaL_typename(L, idx));
    /* names */
    if (want) {
        lua_pushvalue(L, want);
    } else if (is_frame) {
        call_method(L, idx, "columns", 0);
    } else {
        lua_newtable(L);
        int t = lua_gettop(L), i = 1;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "forecast: X column names must be strings");
            lua_pushvalue(L, -1);
            lua_rawseti(L, t, i++);
        }
        lua_getglobal(L, "table");
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, t);
        lua_call(L, 1, 0);
        lua_pop(L, 1);
    }
    int names = lua_gettop(L);
    size_t nk = (size_t)luaL_len(L, names), nrow = 0;
    int cols = lua_gettop(L) + 1;
    for (size_t j = 0; j < nk; j++) {
        lua_geti(L, names, (lua_Integer)j + 1);
        const char *name = lua_tostring(L, -1);
        if (is_frame) {
            call_method(L, idx, "columns", 0);
            int found = 0;
            size_t nc = (size_t)luaL_len(L, -1);
            for (size_t c = 1; c <= nc && !found; c++) {
                lua_geti(L, -1, (lua_Integer)c);
                found = strcmp(lua_tostring(L, -1), name) == 0;
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
            if (!found)
                luaL_error(L, "forecast: X lacks the regressor '%s'", name);
            lua_getfield(L, idx, "col");
            lua_pushvalue(L, idx);
            lua_pushvalue(L, -3);
            lua_call(L, 2, 1);
        } else {
            lua_getfield(L, idx, name);
            if (lua_isnil(L, -1))
                luaL_error(L, "forecast: X lacks the regressor '%s'", name);
        }
        lua_remove(L, -2); /* the name */
        size_t len;
        char what[80];
        snprintf(what, sizeof what, "regressor '%s'", name);
        read_series(L, -1, &len, what);
        lua_remove(L, -2); /* the column */
        if (j == 0)
            nrow = len;
        else if (len != nrow)
            luaL_error(L, "forecast: X columns differ in length");
    }
    double *x = push_buffer(L, nrow * nk);
    for (size_t j = 0; j < nk; j++) {
        const double *c = lua_touserdata(L, cols + (int)j);
        for (size_t t = 0; t < nrow; t++) {
            if (isnan(c[t])) {
                lua_geti(L, names, (lua_Integer)j + 1);
                luaL_error(L,
                           "forecast: regressor '%s' has a missing value "
                           "(NA) at row %d",
                           lua_tostring(L, -1), (int)t + 1);
            }
            x[t * nk + j] = c[t];
        }
    }
    /* Leave names and x on top; drop the column buffers. */
    lua_pushvalue(L, names);
    lua_pushvalue(L, -2);
    for (size_t j = 0; j < nk + 2; j++)
        lua_remove(L, names);
    *rows = nrow;
    *k = nk;
    return x;
}

/* --- specs --- */

static lspec *check_spec(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SPEC_MT);
}

static int opt_tristate(lua_State *L, int idx, const char *key, int def)
{
    int t = lua_getfield(L, idx, key);
    int v = def;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "forecast: option '%s' must be a boolean", key);
    lua_pop(L, 1);
    return v;
}

static int opt_int(lua_State *L, int idx, const char *key, int def, int lo)
{
    int t = lua_getfield(L, idx, key);
    int v = def;
    if (t == LUA_TBOOLEAN) {
        v = lua_toboolean(L, -1) ? -1 : 0;
    } else if (t != LUA_TNIL) {
        if (!lua_isinteger(L, -1))
            luaL_error(L, "forecast: option '%s' must be an integer", key);
        lua_Integer x = lua_tointeger(L, -1);
        if (x < lo || x > 1000000)
            luaL_error(L, "forecast: option '%s' must be >= %d, got %d", key,
                       lo, (int)x);
        v = (int)x;
    }
    lua_pop(L, 1);
    return v;
}

static void opt_triple(lua_State *L, int idx, const char *key, int *a, int *b,
                       int *c)
{
    if (lua_getfield(L, idx, key) == LUA_TTABLE) {
        int *out[3] = {a, b, c};
        for (int i = 0; i < 3; i++) {
            lua_geti(L, -1, i + 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
                luaL_error(L,
                           "forecast: option '%s' must be three integers "
                           ">= 0",
                           key);
            *out[i] = (int)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L,
                   "forecast: option '%s' must be a table of three "
                   "integers",
                   key);
    }
    lua_pop(L, 1);
}

static const char *const spec_keys[] = {"season_length",
                                        "model",
                                        "damped",
                                        "seasonal",
                                        "window",
                                        "order",
                                        "seasonal_order",
                                        "include_drift",
                                        "include_mean",
                                        "stepwise",
                                        "approximation",
                                        "yearly",
                                        "weekly",
                                        "daily",
                                        "changepoints",
                                        "n_changepoints",
                                        "changepoint_prior_scale",
                                        "season_lengths",
                                        "seed",
                                        NULL};

static void parse_spec(lua_State *L, int idx, const char *family, lspec *u)
{
    ll_fc_spec *s = &u->spec;
    snprintf(u->family, sizeof u->family, "%s", family);
    ll_fc_spec_init(s, u->family);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        const char *key =
            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int ok = 0;
        for (int i = 0; key && spec_keys[i]; i++)
            ok |= strcmp(key, spec_keys[i]) == 0;
        if (!ok)
            luaL_error(L, "forecast.%s: unknown option '%s'", family,
                       key ? key : luaL_typename(L, -1));
    }
    s->season_length = opt_int(L, idx, "season_length", 0, 1);
    const char *model = ll_opt_str(L, idx, "model", NULL);
    if (model) {
        if (strlen(model) != 3)
            luaL_error(L,
                       "forecast.%s: model must be three letters such as "
                       "\"ZZZ\" or \"MAM\", got '%s'",
                       family, model);
        memcpy(s->ets_model, model, 3);
        s->ets_model[3] = 0;
    }
    s->damped = opt_tristate(L, idx, "damped", -1);
    const char *seasonal = ll_opt_str(L, idx, "seasonal", NULL);
    if (seasonal) {
        if (strcmp(seasonal, "additive") == 0)
            memcpy(s->ets_model, "ZZA", 4);
        else if (strcmp(seasonal, "multiplicative") == 0)
            memcpy(s->ets_model, "ZZM", 4);
        else
            luaL_error(L,
                       "forecast.%s: seasonal must be \"additive\" or "
                       "\"multiplicative\", got '%s'",
                       family, seasonal);
    }
    s->window = opt_int(L, idx, "window", 0, 1);
    opt_triple(L, idx, "order", &s->p, &s->d, &s->q);
    opt_triple(L, idx, "seasonal_order", &s->P, &s->D, &s->Q);
    s->include_drift = opt_tristate(L, idx, "include_drift", -1);
    s->include_mean = opt_tristate(L, idx, "include_mean", -1);
    s->stepwise = opt_tristate(L, idx, "stepwise", 1);
    s->approximation = opt_tristate(L, idx, "approximation", -1);
    s->yearly = opt_int(L, idx, "yearly", -1, 0);
    s->weekly = opt_int(L, idx, "weekly", -1, 0);
    s->daily = opt_int(L, idx, "daily", -1, 0);
    s->n_changepoints = opt_int(L, idx, "changepoints", -1, 0);
    s->n_changepoints = opt_int(L, idx, "n_changepoints", s->n_changepoints, 0);
    s->changepoint_prior_scale =
        ll_opt_num(L, idx, "changepoint_prior_scale", 0);
    if (lua_getfield(L, idx, "season_lengths") == LUA_TTABLE) {
        size_t n = (size_t)luaL_len(L, -1);
        if (n < 1 || n > 4)
            luaL_error(L, "forecast.%s: season_lengths takes 1 to 4 lengths",
                       family);
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 2)
                luaL_error(L,
                           "forecast.%s: season_lengths must be integers "
                           ">= 2",
                           family);
            s->season_lengths[i] = (int)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        s->n_season_lengths = (int)n;
    }
    lua_pop(L, 1);
    s->seed = (unsigned long long)ll_opt_int(L, idx, "seed", 0);
}

/* The constructor: upvalue 1 is the family name. */
static int l_ctor(lua_State *L)
{
    const char *family = lua_tostring(L, lua_upvalueindex(1));
    /* Called as forecast.X{...} or forecast.X(); accept a leading self
     * (forecast:X{...}) too. */
    int idx = 1;
    if (lua_istable(L, 1) && lua_gettop(L) >= 2)
        idx = 2;
    lspec *u = lua_newuserdatauv(L, sizeof *u, 0);
    memset(u, 0, sizeof *u);
    luaL_setmetatable(L, SPEC_MT);
    parse_spec(L, idx, family, u);
    u->spec.family = u->family;
    return 1;
}

static int l_spec_tostring(lua_State *L)
{
    lspec *u = check_spec(L, 1);
    if (u->spec.season_length > 0)
        lua_pushfstring(L, "forecast.%s{season_length = %d}", u->family,
                        u->spec.season_length);
    else
        lua_pushfstring(L, "forecast.%s{}", u->family);
    return 1;
}

/* --- fits --- */

static lfit *check_fit(lua_State *L, int idx)
{
    lfit *u = luaL_checkudata(L, idx, FIT_MT);
    if (!u->fit)
        luaL_error(L, "attempt to use a closed ForecastFit");
    return u;
}

static int l_fit_gc(lua_State *L)
{
    lfit *u = luaL_checkudata(L, 1, FIT_MT);
    ll_fc_fit_free(u->fit);
    free(u->y);
    u->fit = NULL;
    u->y = NULL;
    return 0;
}

static int parse_fill(lua_State *L, int idx)
{
    const char *fill = ll_opt_str(L, idx, "fill", NULL);
    if (!fill)
        return LL_FC_FILL_NONE;
    if (strcmp(fill, "ffill") == 0)
        return LL_FC_FILL_FFILL;
    if (strcmp(fill, "interpolate") == 0)
        return LL_FC_FILL_INTERPOLATE;
    return luaL_error(L,
                      "forecast: fill must be \"ffill\" or "
                      "\"interpolate\", got '%s'",
                      fill);
}

/* spec:fit(y [, {X =, fill =, name =}]) */
static int l_spec_fit(lua_State *L)
{
    lspec *s = check_spec(L, 1);
    int opts = lua_istable(L, 3) ? 3 : 0;
    if (!opts && !lua_isnoneornil(L, 3))
        luaL_argerror(L, 3, "options table expected");
    lua_settop(L, 3);
    size_t n;
    double *y = read_series(L, 2, &n, "y");
    int fill = opts ? parse_fill(L, opts) : LL_FC_FILL_NONE;
    const char *name = opts ? ll_opt_str(L, opts, "name", NULL) : NULL;
    size_t rows = 0, k = 0;
    double *x = NULL;
    int names = 0;
    if (opts && lua_getfield(L, opts, "X") != LUA_TNIL) {
        int xi = lua_gettop(L);
        x = read_regressors(L, xi, 0, &rows, &k);
        names = lua_gettop(L) - 1;
        if (rows != n)
            luaL_error(L, "forecast: X has %d rows, the series %d", (int)rows,
                       (int)n);
    }
    lfit *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->fit = NULL;
    u->y = NULL;
    luaL_setmetatable(L, FIT_MT);
    if (names) {
        lua_pushvalue(L, names);
        lua_setiuservalue(L, -2, 1);
    }
    ll_err err = {0};
    size_t skip = 0;
    if (ll_fc_fill(y, n, fill, &skip, &err) < 0) {
        ll_err_prefix(&err, "%s", s->family);
        if (name)
            ll_err_prefix(&err, "series '%s'", name);
        return ll_lua_fail(L, &err);
    }
    u->y = malloc((n ? n : 1) * sizeof *u->y);
    if (!u->y)
        return luaL_error(L, "out of memory");
    memcpy(u->y, y + skip, (n - skip) * sizeof *y);
    ll_fc_data d = {.y = u->y,
                    .n = n - skip,
                    .x = x ? x + skip * k : NULL,
                    .k = k,
                    .t0 = (double)skip,
                    .step = 0};
    if (ll_fc_fit_series(&s->spec, &d, &u->fit, &err) < 0) {
        if (name)
            ll_err_prefix(&err, "series '%s'", name);
        return ll_lua_fail(L, &err);
    }
    return 1;
}

static void push_levels(lua_State *L, int opts, double *levels, size_t *nl)
{
    *nl = 0;
    int t = opts ? lua_getfield(L, opts, "level") : LUA_TNIL;
    if (t == LUA_TNIL) {
        levels[0] = 80, levels[1] = 95;
        *nl = 2;
    } else if (t == LUA_TNUMBER) {
        levels[0] = lua_tonumber(L, -1);
        *nl = 1;
    } else if (t == LUA_TTABLE) {
        size_t n = (size_t)luaL_len(L, -1);
        if (n > 8)
            luaL_error(L, "forecast: at most 8 levels");
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            if (!lua_isnumber(L, -1))
                luaL_error(L, "forecast: level must be numbers in (0, 100)");
            levels[(*nl)++] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    } else {
        luaL_error(L, "forecast: level must be a number or a table");
    }
    if (opts)
        lua_pop(L, 1);
    for (size_t i = 0; i < *nl; i++)
        if (!(levels[i] > 0 && levels[i] < 100))
            luaL_error(L, "forecast: level must be between 0 and 100, got %f",
                       levels[i]);
}

static void push_number_array(lua_State *L, const double *v, size_t n)
{
    lua_createtable(L, (int)n, 1);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* Push {name, values} onto the column list at list, position *pos. */
static void add_column(lua_State *L, int list, int *pos, const char *name)
{
    /* values on top */
    lua_createtable(L, 2, 0);
    lua_pushstring(L, name);
    lua_rawseti(L, -2, 1);
    lua_insert(L, -2);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, list, (*pos)++);
}

/* df.frame(list) with the list at the top; leaves the frame. */
static void make_frame(lua_State *L)
{
    lua_getglobal(L, "df");
    lua_getfield(L, -1, "frame");
    lua_remove(L, -2);
    lua_insert(L, -2);
    lua_call(L, 1, 1);
}

static void level_name(char *buf, size_t cap, const char *side, double lv)
{
    snprintf(buf, cap, "%s_%g", side, lv);
}

/* fit:predict(h [, {level =, X =}]) -> Frame step, mean, lo_*, hi_* */
static int l_fit_predict(lua_State *L)
{
    lfit *u = check_fit(L, 1);
    lua_Integer h = luaL_checkinteger(L, 2);
    if (h <= 0)
        return luaL_error(L, "forecast: h must be a positive integer, got %d",
                          (int)h);
    if (h > 1000000)
        return luaL_error(L, "forecast: h is too large (%d)", (int)h);
    int opts = lua_istable(L, 3) ? 3 : 0;
    lua_settop(L, 3);
    double levels[8];
    size_t nl;
    push_levels(L, opts, levels, &nl);
    const ll_fc_fit *f = u->fit;
    double *xf = NULL;
    if (f->k > 0) {
        if (!opts || lua_getfield(L, opts, "X") == LUA_TNIL)
            return luaL_error(L,
                              "forecast: %s was fitted with regressors: "
                              "predict needs the future regressors X",
                              f->method);
        int xi = lua_gettop(L);
        lua_getiuservalue(L, 1, 1);
        int want = lua_gettop(L);
        size_t rows, k;
        xf = read_regressors(L, xi, want, &rows, &k);
        if (rows < (size_t)h)
            return luaL_error(L,
                              "forecast: the future regressors X have %d "
                              "rows, h is %d",
                              (int)rows, (int)h);
    }
    size_t hh = (size_t)h;
    double *buf = push_buffer(L, hh * (1 + 2 * nl));
    double *mean = buf, *lo = buf + hh, *hi = lo + hh * nl;
    ll_err err = {0};
    if (ll_fc_predict(f, hh, xf, levels, nl, mean, nl ? lo : NULL,
                      nl ? hi : NULL, &err) < 0)
        return ll_lua_fail(L, &err);
    lua_newtable(L);
    int list = lua_gettop(L), pos = 1;
    lua_createtable(L, (int)hh, 0);
    for (size_t i = 0; i < hh; i++) {
        lua_pushinteger(L, (lua_Integer)i + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    add_column(L, list, &pos, "step");
    push_number_array(L, mean, hh);
    add_column(L, list, &pos, "mean");
    for (size_t l = 0; l < nl; l++) {
        char name[32];
        push_number_array(L, lo + l * hh, hh);
        level_name(name, sizeof name, "lo", levels[l]);
        add_column(L, list, &pos, name);
        push_number_array(L, hi + l * hh, hh);
        level_name(name, sizeof name, "hi", levels[l]);
        add_column(L, list, &pos, name);
    }
    make_frame(L);
    return 1;
}

static int l_fit_fitted(lua_State *L)
{
    lfit *u = check_fit(L, 1);
    const ll_fc_fit *f = u->fit;
    lua_createtable(L, (int)f->n, 0);
    for (size_t i = 0; i < f->n; i++) {
        lua_pushnumber(L, f->fitted ? f->fitted[i] : (double)NAN);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int l_fit_residuals(lua_State *L)
{
    lfit *u = check_fit(L, 1);
    const ll_fc_fit *f = u->fit;
    double *r = push_buffer(L, f->n);
    ll_fc_residuals(f, u->y, r);
    push_number_array(L, r, f->n);
    return 1;
}

static int l_fit_tostring(lua_State *L)
{
    lfit *u = luaL_checkudata(L, 1, FIT_MT);
    if (!u->fit) {
        lua_pushstring(L, "ForecastFit (closed)");
        return 1;
    }
    char aicc[64] = "";
    if (isfinite(u->fit->aicc))
        snprintf(aicc, sizeof aicc, ", AICc %.3f", u->fit->aicc);
    lua_pushfstring(L, "ForecastFit %s on %d observations%s", u->fit->method,
                    (int)u->fit->n, aicc);
    return 1;
}

static void push_ic(lua_State *L, double v)
{
    if (isnan(v))
        lua_pushnil(L);
    else
        lua_pushnumber(L, v);
}

/* fit.<field> or fit:<method> */
static int l_fit_index(lua_State *L)
{
    lfit *u = luaL_checkudata(L, 1, FIT_MT);
    const char *key = luaL_checkstring(L, 2);
    lua_getfield(L, lua_upvalueindex(1), key);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    if (!u->fit)
        return luaL_error(L, "attempt to use a closed ForecastFit");
    const ll_fc_fit *f = u->fit;
    if (strcmp(key, "method") == 0) {
        lua_pushstring(L, f->method);
    } else if (strcmp(key, "family") == 0) {
        lua_pushstring(L, f->family->name);
    } else if (strcmp(key, "aicc") == 0) {
        push_ic(L, f->aicc);
    } else if (strcmp(key, "aic") == 0) {
        push_ic(L, f->aic);
    } else if (strcmp(key, "bic") == 0) {
        push_ic(L, f->bic);
    } else if (strcmp(key, "loglik") == 0) {
        push_ic(L, f->loglik);
    } else if (strcmp(key, "sigma2") == 0) {
        push_ic(L, f->sigma2);
    } else if (strcmp(key, "n") == 0) {
        lua_pushinteger(L, (lua_Integer)f->n);
    } else if (strcmp(key, "season_length") == 0) {
        lua_pushinteger(L,
                        f->spec.season_length > 0 ? f->spec.season_length : 1);
    } else if (strcmp(key, "params") == 0) {
        lua_createtable(L, 0, (int)f->nparams);
        for (size_t i = 0; i < f->nparams; i++) {
            lua_pushnumber(L, f->params[i].value);
            lua_setfield(L, -2, f->params[i].name);
        }
    } else if (strcmp(key, "regressors") == 0) {
        lua_getiuservalue(L, 1, 1);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

/* --- panels --- */

typedef struct lpanel {
    ll_fc_panel *p;
} lpanel;

static lpanel *check_panel(lua_State *L, int idx)
{
    lpanel *u = luaL_checkudata(L, idx, PANEL_MT);
    if (!u->p)
        luaL_error(L, "attempt to use a closed ForecastPanel");
    return u;
}

static int l_panel_gc(lua_State *L)
{
    lpanel *u = luaL_checkudata(L, 1, PANEL_MT);
    ll_fc_panel_free(u->p);
    u->p = NULL;
    return 0;
}

/* The column `name` of the frame at fidx, left on the stack. */
static void frame_column(lua_State *L, int fidx, const char *name,
                         const char *role)
{
    call_method(L, fidx, "columns", 0);
    size_t nc = (size_t)luaL_len(L, -1);
    int found = 0;
    for (size_t c = 1; c <= nc && !found; c++) {
        lua_geti(L, -1, (lua_Integer)c);
        found = strcmp(lua_tostring(L, -1), name) == 0;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (!found)
        luaL_error(L, "forecast.fit: the %s column '%s' is not in data", role,
                   name);
    lua_getfield(L, fidx, "col");
    lua_pushvalue(L, fidx);
    lua_pushstring(L, name);
    lua_call(L, 2, 1);
}

static const char *column_dtype(lua_State *L, int cidx)
{
    call_method(L, cidx, "dtype", 0);
    const char *dt = lua_tostring(L, -1);
    lua_pop(L, 1); /* interned type names stay valid */
    return dt;
}

/* Days (date), ms (datetime) or numbers from a time column. */
static double *read_times(lua_State *L, int cidx, size_t n, int *kind)
{
    const char *dt = column_dtype(L, cidx);
    double *t = push_buffer(L, n);
    if (strcmp(dt, "date") == 0 || strcmp(dt, "datetime") == 0) {
        *kind = dt[4] == 0 ? LL_FC_TIME_DATE : LL_FC_TIME_DATETIME;
        /* As numbers: the frame's own conversion (days or ms). */
        lua_getfield(L, cidx, "astype");
        lua_pushvalue(L, cidx);
        lua_pushstring(L, "float");
        lua_call(L, 2, 1);
        call_method(L, -1, "to_table", 0);
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            t[i] = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : (double)NAN;
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    } else if (strcmp(dt, "int") == 0 || strcmp(dt, "float") == 0) {
        *kind = LL_FC_TIME_NUMBER;
        call_method(L, cidx, "to_table", 0);
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            t[i] = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : (double)NAN;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    } else {
        luaL_error(L,
                   "forecast.fit: the time column must be a date, "
                   "datetime or number, got %s",
                   dt);
    }
    for (size_t i = 0; i < n; i++)
        if (isnan(t[i]))
            luaL_error(L,
                       "forecast.fit: the time column has a missing value "
                       "at row %d",
                       (int)i + 1);
    return t;
}

/* forecast.fit{data, target, time, series, model, threads, fill,
 * on_error} */
static int l_panel_fit(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getfield(L, 1, "data") == LUA_TNIL ||
        !luaL_testudata(L, -1, LUA_FRAME_MT))
        return luaL_error(L, "forecast.fit: data must be a Frame");
    int fidx = lua_gettop(L);
    const char *target = ll_opt_str(L, 1, "target", NULL);
    const char *time = ll_opt_str(L, 1, "time", NULL);
    const char *series = ll_opt_str(L, 1, "series", NULL);
    if (!target || !time)
        return luaL_error(L, "forecast.fit: target and time (column names) "
                             "are required");
    lua_getfield(L, 1, "model");
    lspec *spec = luaL_testudata(L, -1, SPEC_MT);
    if (!spec)
        return luaL_error(L, "forecast.fit: model must be a forecast spec "
                             "such as forecast.AutoETS{}");
    int threads = (int)ll_opt_int(L, 1, "threads", 1);
    if (threads < 1 || threads > 256)
        return luaL_error(L, "forecast.fit: threads must be 1..256, got %d",
                          threads);
    int fill = parse_fill(L, 1);
    const char *on_error = ll_opt_str(L, 1, "on_error", "raise");
    int skip_errors = strcmp(on_error, "skip") == 0;
    if (!skip_errors && strcmp(on_error, "raise") != 0)
        return luaL_error(L,
                          "forecast.fit: on_error must be \"raise\" or "
                          "\"skip\", got '%s'",
                          on_error);
    frame_column(L, fidx, target, "target");
    size_t n;
    double *y = read_series(L, -1, &n, "the target");
    frame_column(L, fidx, time, "time");
    int tkind = LL_FC_TIME_NUMBER;
    double *t = read_times(L, lua_gettop(L), n, &tkind);
    /* Series ids: codes 0..G-1 in order of first appearance, names kept
     * as strings in a Lua array. */
    int64_t *codes = lua_newuserdatauv(L, (n ? n : 1) * sizeof *codes, 0);
    lua_newtable(L);
    int idnames = lua_gettop(L);
    lua_newtable(L);
    int idmap = lua_gettop(L);
    int id_is_number = 0;
    size_t ngroups = 0;
    if (series) {
        frame_column(L, fidx, series, "series");
        const char *dt = column_dtype(L, -1);
        id_is_number = strcmp(dt, "int") == 0;
        call_method(L, -1, "to_table", 0);
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            if (lua_isnil(L, -1))
                return luaL_error(L,
                                  "forecast.fit: the series column has a "
                                  "missing value at row %d",
                                  (int)i + 1);
            lua_pushvalue(L, -1);
            if (lua_rawget(L, idmap) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                lua_pushinteger(L, (lua_Integer)ngroups);
                lua_rawset(L, idmap);
                lua_pushvalue(L, -1);
                lua_rawseti(L, idnames, (lua_Integer)ngroups + 1);
                codes[i] = (int64_t)ngroups++;
            } else {
                codes[i] = (int64_t)lua_tointeger(L, -1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    } else {
        for (size_t i = 0; i < n; i++)
            codes[i] = 0;
        ngroups = n ? 1 : 0;
        lua_pushstring(L, "1");
        lua_rawseti(L, idnames, 1);
    }
    lpanel *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->p = NULL;
    luaL_setmetatable(L, PANEL_MT);
    /* uservalue: {names = idnames, series = col, time = col, kind, ...} */
    lua_newtable(L);
    lua_pushvalue(L, idnames);
    lua_setfield(L, -2, "ids");
    lua_pushstring(L, series ? series : "series");
    lua_setfield(L, -2, "series_col");
    lua_pushstring(L, time);
    lua_setfield(L, -2, "time_col");
    lua_pushboolean(L, id_is_number);
    lua_setfield(L, -2, "id_is_number");
    lua_setiuservalue(L, -2, 1);
    ll_err err = {0};
    ll_fc_panel_opts po = {.spec = &spec->spec,
                           .threads = threads,
                           .fill = fill,
                           .time_kind = tkind};
    if (ll_fc_panel_fit(codes, ngroups, t, y, n, &po, &u->p, &err) < 0)
        return ll_lua_raise(L, &err);
    if (!skip_errors) {
        for (size_t g = 0; g < ngroups; g++)
            if (!u->p->fits[g]) {
                lua_geti(L, idnames, (lua_Integer)g + 1);
                return luaL_error(L, "forecast.fit: series '%s': %s",
                                  luaL_tolstring(L, -1, NULL),
                                  u->p->errs[g].msg);
            }
    }
    return 1;
}

/* fits:predict(h [, {level =}]) -> Frame id, time, mean, lo_*, hi_* */
static int l_panel_predict(lua_State *L)
{
    lpanel *u = check_panel(L, 1);
    lua_Integer h = luaL_checkinteger(L, 2);
    if (h <= 0)
        return luaL_error(L, "forecast: h must be a positive integer, got %d",
                          (int)h);
    int opts = lua_istable(L, 3) ? 3 : 0;
    lua_settop(L, 3);
    double levels[8];
    size_t nl;
    if (opts) {
        push_levels(L, opts, levels, &nl);
    } else {
        levels[0] = 95;
        nl = 1;
    }
    ll_fc_panel *p = u->p;
    size_t hh = (size_t)h, ok = 0;
    for (size_t g = 0; g < p->nseries; g++)
        ok += p->fits[g] != NULL;
    size_t rows = ok * hh;
    double *out = push_buffer(L, rows * (2 + 2 * nl));
    double *times = out, *mean = out + rows, *lo = mean + rows,
           *hi = lo + rows * nl;
    double *tmp = push_buffer(L, hh * (1 + 2 * nl));
    size_t r = 0;
    ll_err err = {0};
    lua_getiuservalue(L, 1, 1);
    int uv = lua_gettop(L);
    lua_getfield(L, uv, "ids");
    int ids = lua_gettop(L);
    lua_createtable(L, (int)rows, 0);
    int idcol = lua_gettop(L);
    for (size_t g = 0; g < p->nseries; g++) {
        const ll_fc_fit *f = p->fits[g];
        if (!f)
            continue;
        if (ll_fc_predict(f, hh, NULL, levels, nl, tmp, tmp + hh,
                          tmp + hh + hh * nl, &err) < 0) {
            lua_geti(L, ids, (lua_Integer)g + 1);
            ll_err_prefix(&err, "series '%s'", luaL_tolstring(L, -1, NULL));
            return ll_lua_raise(L, &err);
        }
        for (size_t i = 0; i < hh; i++, r++) {
            times[r] = ll_fc_panel_future_time(p, g, i + 1);
            mean[r] = tmp[i];
            for (size_t l = 0; l < nl; l++) {
                lo[l * rows + r] = tmp[hh + l * hh + i];
                hi[l * rows + r] = tmp[hh + hh * nl + l * hh + i];
            }
            lua_geti(L, ids, (lua_Integer)g + 1);
            lua_rawseti(L, idcol, (lua_Integer)r + 1);
        }
    }
    lua_newtable(L);
    int list = lua_gettop(L), pos = 1;
    lua_getfield(L, uv, "series_col");
    const char *sname = lua_tostring(L, -1);
    lua_pushvalue(L, idcol);
    add_column(L, list, &pos, sname);
    lua_pop(L, 1); /* sname */
    lua_getfield(L, uv, "time_col");
    const char *tname = lua_tostring(L, -1);
    /* The time column in its own type: dates and datetimes as text the
     * frame parses back. */
    lua_createtable(L, (int)rows, 0);
    for (size_t i = 0; i < rows; i++) {
        char buf[40];
        ll_fc_format_time(p->time_kind, times[i], buf, sizeof buf);
        if (p->time_kind == LL_FC_TIME_NUMBER) {
            if (times[i] == floor(times[i]) && fabs(times[i]) < 9e15)
                lua_pushinteger(L, (lua_Integer)times[i]);
            else
                lua_pushnumber(L, times[i]);
        } else {
            lua_pushstring(L, buf);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    if (p->time_kind != LL_FC_TIME_NUMBER) {
        lua_getglobal(L, "df");
        lua_getfield(L, -1, "column");
        lua_remove(L, -2);
        lua_insert(L, -2);
        lua_pushstring(L,
                       p->time_kind == LL_FC_TIME_DATE ? "date" : "datetime");
        lua_call(L, 2, 1);
    }
    add_column(L, list, &pos, tname);
    lua_pop(L, 1); /* tname */
    push_number_array(L, mean, rows);
    add_column(L, list, &pos, "mean");
    for (size_t l = 0; l < nl; l++) {
        char name[32];
        push_number_array(L, lo + l * rows, rows);
        level_name(name, sizeof name, "lo", levels[l]);
        add_column(L, list, &pos, name);
        push_number_array(L, hi + l * rows, rows);
        level_name(name, sizeof name, "hi", levels[l]);
        add_column(L, list, &pos, name);
    }
    lua_pushvalue(L, list);
    make_frame(L);
    return 1;
}

/* fits.<field>: n (series fitted), errors {id = msg}, methods {id =
 * method}, season_length, frequency. */
static int l_panel_index(lua_State *L)
{
    lpanel *u = luaL_checkudata(L, 1, PANEL_MT);
    const char *key = luaL_checkstring(L, 2);
    lua_getfield(L, lua_upvalueindex(1), key);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    if (!u->p)
        return luaL_error(L, "attempt to use a closed ForecastPanel");
    ll_fc_panel *p = u->p;
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, "ids");
    int ids = lua_gettop(L);
    if (strcmp(key, "errors") == 0 || strcmp(key, "methods") == 0) {
        int errors = key[0] == 'e';
        lua_newtable(L);
        for (size_t g = 0; g < p->nseries; g++) {
            if (errors == (p->fits[g] != NULL))
                continue;
            lua_geti(L, ids, (lua_Integer)g + 1);
            lua_pushstring(L, errors ? p->errs[g].msg : p->fits[g]->method);
            lua_rawset(L, -3);
        }
    } else if (strcmp(key, "n") == 0) {
        lua_pushinteger(L, (lua_Integer)p->nseries);
    } else if (strcmp(key, "season_length") == 0) {
        lua_pushinteger(L, p->freq.season_length);
    } else if (strcmp(key, "frequency") == 0) {
        lua_pushstring(L, p->freq.name);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int l_panel_tostring(lua_State *L)
{
    lpanel *u = luaL_checkudata(L, 1, PANEL_MT);
    if (!u->p) {
        lua_pushstring(L, "ForecastPanel (closed)");
        return 1;
    }
    size_t ok = 0;
    for (size_t g = 0; g < u->p->nseries; g++)
        ok += u->p->fits[g] != NULL;
    lua_pushfstring(L,
                    "ForecastPanel: %d of %d series fitted (%s, "
                    "season_length %d)",
                    (int)ok, (int)u->p->nseries, u->p->freq.name,
                    u->p->freq.season_length);
    return 1;
}

/* forecast.families() -> {names} */
static int l_families(lua_State *L)
{
    lua_newtable(L);
    for (size_t i = 0; ll_fc_families[i]; i++) {
        lua_pushstring(L, ll_fc_families[i]->name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* --- registration --- */

static const ll_lua_fn spec_methods[] = {
    {"fit", l_spec_fit,
     "fit(y [, {X =, fill = \"ffill\"|\"interpolate\", name =}]) -> "
     "ForecastFit | nil, msg -- Fit the model to a series (a Lua array, "
     "Column or Tensor)."},
    {NULL, NULL, NULL}};

static const ll_lua_fn spec_meta[] = {{"__tostring", l_spec_tostring, NULL},
                                      {NULL, NULL, NULL}};

static const ll_lua_fn fit_methods[] = {
    {"predict", l_fit_predict,
     "predict(h [, {level = {80, 95}, X =}]) -> Frame -- Forecasts h steps: "
     "step, mean, lo_<level>, hi_<level>."},
    {"fitted", l_fit_fitted,
     "fitted() -> {values} -- One-step-ahead fitted values (NaN where "
     "none)."},
    {"residuals", l_fit_residuals,
     "residuals() -> {values} -- y minus the fitted values."},
    {NULL, NULL, NULL}};

static const ll_lua_fn fit_meta[] = {{"__gc", l_fit_gc, NULL},
                                     {"__close", l_fit_gc, NULL},
                                     {"__tostring", l_fit_tostring, NULL},
                                     {NULL, NULL, NULL}};

static const ll_lua_fn panel_methods[] = {
    {"predict", l_panel_predict,
     "predict(h [, {level = {95}}]) -> Frame -- The next h periods of every "
     "series: id, time, mean, lo_<level>, hi_<level>."},
    {NULL, NULL, NULL}};

static const ll_lua_fn panel_meta[] = {{"__gc", l_panel_gc, NULL},
                                       {"__close", l_panel_gc, NULL},
                                       {"__tostring", l_panel_tostring, NULL},
                                       {NULL, NULL, NULL}};

static const ll_lua_fn forecast_fns[] = {
    {"fit", l_panel_fit,
     "fit{data, target, time, series, model, threads = 1, fill, on_error = "
     "\"raise\"|\"skip\"} -> ForecastPanel -- Fit a model to every series "
     "of a long frame; the frequency and season_length come from the time "
     "column."},
    {"families", l_families,
     "families() -> {names} -- The registered model families."},
    {NULL, NULL, NULL}};

static void index_fn(lua_State *L, lua_CFunction fn)
{
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, "__index");
}

int luaopen_lualab_forecast(lua_State *L);
int luaopen_lualab_forecast(lua_State *L)
{
    ll_lua_newclass(L, SPEC_MT, spec_methods, spec_meta);
    lua_pop(L, 1);
    ll_lua_newclass(L, FIT_MT, fit_methods, fit_meta);
    index_fn(L, l_fit_index);
    lua_pop(L, 1);
    ll_lua_newclass(L, PANEL_MT, panel_methods, panel_meta);
    index_fn(L, l_panel_index);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "forecast", forecast_fns);
    for (size_t i = 0; ll_fc_families[i]; i++) {
        const char *name = ll_fc_families[i]->name;
        lua_pushstring(L, name);
        lua_pushcclosure(L, l_ctor, 1);
        const char *doc = doc_of(name);
        char buf[160];
        if (!doc) {
            snprintf(buf, sizeof buf,
                     "forecast.%s{...} -> Spec -- The %s model family.", name,
                     name);
            doc = buf;
        }
        ll_lua_setdoc(L, -1, doc);
        lua_setfield(L, -2, name);
    }
    return 1;
}
