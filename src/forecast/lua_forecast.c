/*
 * lua_forecast: the `forecast` module, the Lua face of forecast/.
 *
 *   local spec = forecast.AutoETS{season_length = 12}  -- a ForecastSpec
 *   local fit = spec:fit(y [, {X =, time =, fill =, name =}])  -- a ForecastFit
 *   fit:predict(h [, {level =, X =}])                  -- a Frame
 *   local fits = forecast.fit{data =, target =, time =, series =, model =,
 *                             X =, fill =, threads =}  -- a ForecastPanel
 *   fits:predict(h [, {level =, X = future_frame}])    -- a Frame
 *
 * One constructor per registered family (the registry decides what
 * exists).  Series come as Lua arrays, Columns or Tensors; Frames and
 * Columns are read and built through frame/lua_frame.h and the frame core.
 * Argument misuse raises; a series
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
#include "frame/frame.h"
#include "frame/lua_frame.h"
#include "host/lua_util.h"
#include "nn/lua_nn.h"

#define SPEC_MT "lualab.ForecastSpec"
#define FIT_MT "lualab.ForecastFit"
#define PANEL_MT "lualab.ForecastPanel"

/* A spec; its uservalue 1 is the list of regressor names (or nil). */
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
    {"AutoARIMA",
     "forecast.AutoARIMA{season_length, stepwise=true, approximation, "
     "include_drift, include_mean} -> Spec -- ARIMA chosen by the "
     "Hyndman-Khandakar search of R's auto.arima(); takes regressors "
     "(regression with ARIMA errors)."},
    {"ARIMA",
     "forecast.ARIMA{order={p,d,q}, seasonal_order={P,D,Q}, season_length, "
     "include_drift, include_mean} -> Spec -- A fixed ARIMA model as R's "
     "Arima(); takes regressors."},
    {"Prophet",
     "forecast.Prophet{yearly, weekly, daily, changepoints=25, "
     "changepoint_prior_scale=0.05, regressors={names}, seed} -> Spec -- "
     "Piecewise-linear trend with sparse changepoints, Fourier "
     "seasonalities and additive regressors, fitted as MAP (Prophet). "
     "yearly/weekly/daily: true = order 10/3/4, false = off, a number = "
     "the order, nil = automatic; the calendar comes from fit's time or "
     "forecast.fit's time column (else step 1 day)."},
    {"MSTL", "forecast.MSTL{season_lengths={7, 365}} -> Spec -- STL per season "
             "(R's mstl()), the seasonally adjusted series by AutoETS, seasons "
             "continued by seasonal naive."},
    {"Croston",
     "forecast.Croston{} -> Spec -- Intermittent demand: smoothed non-zero "
     "sizes over smoothed intervals, alpha 0.1 (R's croston())."},
    {"CrostonSBA",
     "forecast.CrostonSBA{} -> Spec -- Croston times 1 - alpha/2 (the "
     "Syntetos-Boylan approximation)."},
    {"CrostonOptimized",
     "forecast.CrostonOptimized{} -> Spec -- Croston with each alpha chosen "
     "in [0.1, 0.3] by one-step squared error (statsforecast)."},
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
        else if (t == LUA_TNIL || t == LUA_TLIGHTUSERDATA ||
                 luaL_testudata(L, -1, "lualab.NA"))
            y[i] = NAN;
        else
            luaL_error(L, "forecast: %s[%d] is not a number (%s)", what,
                       (int)i + 1, lua_typename(L, t));
        lua_pop(L, 1);
    }
    *n = len;
    return y;
}

/* The numbers of a bool, int or float column into a new buffer pushed on
 * the stack (NA becomes NaN). */
static double *read_column(lua_State *L, const ll_column *c, size_t *n,
                           const char *what)
{
    if (c->type != LL_BOOL && c->type != LL_INT && c->type != LL_FLOAT)
        luaL_error(L, "forecast: %s must be numeric, got a %s column", what,
                   ll_dtype_name(c->type));
    size_t len = (size_t)c->len;
    double *y = push_buffer(L, len);
    for (size_t i = 0; i < len; i++)
        y[i] = ll_col_num(c, (int64_t)i);
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
    if (luaL_testudata(L, idx, LL_COLUMN_MT))
        return read_column(L, ll_lua_check_column(L, idx), n, what);
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

/* Regressors: a Frame (every column) or a table {name = array or
 * Column}.  Pushes the names (a Lua array) and a row-major buffer; rows
 * and k out.  When want (a names array index, 0 = none) is given, those
 * columns in that order, and a missing one is an error. */
static double *read_regressors(lua_State *L, int idx, int want, size_t *rows,
                               size_t *k)
{
    idx = lua_absindex(L, idx);
    ll_frame *fr = ll_lua_test_frame(L, idx);
    if (!fr && !lua_istable(L, idx))
        luaL_error(L,
                   "forecast: X must be a Frame or a table of columns, got "
                   "%s",
                   luaL_typename(L, idx));
    /* names */
    if (want) {
        lua_pushvalue(L, want);
    } else if (fr) {
        lua_createtable(L, fr->ncol, 0);
        for (int c = 0; c < fr->ncol; c++) {
            lua_pushstring(L, fr->names[c]);
            lua_rawseti(L, -2, c + 1);
        }
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
        if (!name)
            luaL_error(L, "forecast: regressor names must be strings");
        char what[80];
        snprintf(what, sizeof what, "regressor '%s'", name);
        size_t len;
        if (fr) {
            int c = ll_frame_find(fr, name);
            if (c < 0)
                luaL_error(L, "forecast: X lacks the regressor '%s'", name);
            lua_pop(L, 1); /* the name */
            read_column(L, fr->cols[c], &len, what);
        } else {
            lua_getfield(L, idx, name);
            if (lua_isnil(L, -1))
                luaL_error(L, "forecast: X lacks the regressor '%s'", name);
            lua_remove(L, -2); /* the name */
            read_series(L, -1, &len, what);
            lua_remove(L, -2); /* the column */
        }
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

/* A Prophet seasonality: true = the default Fourier order, false = off,
 * a number = the order, nil = automatic (-1). */
static int opt_season(lua_State *L, int idx, const char *family,
                      const char *key, int order)
{
    int t = lua_getfield(L, idx, key), v = -1;
    if (t == LUA_TBOOLEAN) {
        v = lua_toboolean(L, -1) ? order : 0;
    } else if (t != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 ||
            lua_tointeger(L, -1) > 50)
            luaL_error(L,
                       "forecast.%s: %s must be true, false or a Fourier "
                       "order 0..50",
                       family, key);
        v = (int)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

/* spec.regressors: a list of column names, kept as the uservalue of the
 * spec at -1 (nil when not given). */
static void parse_regressors(lua_State *L, int idx, const char *family)
{
    if (lua_isnoneornil(L, idx) ||
        lua_getfield(L, idx, "regressors") == LUA_TNIL) {
        if (!lua_isnoneornil(L, idx))
            lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "forecast.%s: regressors must be a list of column names",
                   family);
    lua_Integer n = luaL_len(L, -1);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, -2, i) != LUA_TSTRING)
            luaL_error(L,
                       "forecast.%s: regressors must be a list of column "
                       "names",
                       family);
        lua_rawseti(L, -2, i);
    }
    lua_remove(L, -2);
    lua_setiuservalue(L, -2, 1);
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
                                        "regressors",
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
    s->yearly = opt_season(L, idx, family, "yearly", 10);
    s->weekly = opt_season(L, idx, family, "weekly", 3);
    s->daily = opt_season(L, idx, family, "daily", 4);
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
    lspec *u = lua_newuserdatauv(L, sizeof *u, 1);
    memset(u, 0, sizeof *u);
    luaL_setmetatable(L, SPEC_MT);
    parse_spec(L, idx, family, u);
    parse_regressors(L, idx, family);
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

/* The times of spec:fit's `time` option: a date or datetime Column, or a
 * table of dates ("2024-03-01"), datetimes or numbers (days since 1970),
 * as days since 1970 into a buffer pushed on the stack. */
static double *read_fit_times(lua_State *L, int idx, size_t n)
{
    idx = lua_absindex(L, idx);
    double *t = push_buffer(L, n);
    size_t len;
    if (luaL_testudata(L, idx, LL_COLUMN_MT)) {
        const ll_column *c = ll_lua_check_column(L, idx);
        if (c->type != LL_DATE && c->type != LL_DATETIME)
            luaL_error(L,
                       "forecast: time must be a date or datetime column, got "
                       "a %s column",
                       ll_dtype_name(c->type));
        len = (size_t)c->len;
        for (size_t i = 0; i < len && i < n; i++)
            t[i] = c->type == LL_DATE ? ll_col_num(c, (int64_t)i)
                                      : ll_col_num(c, (int64_t)i) / 86400000.0;
    } else if (lua_istable(L, idx)) {
        len = (size_t)luaL_len(L, idx);
        for (size_t i = 0; i < len && i < n; i++) {
            int ty = lua_geti(L, idx, (lua_Integer)i + 1);
            size_t sl;
            const char *str =
                ty == LUA_TSTRING ? lua_tolstring(L, -1, &sl) : NULL;
            int32_t days;
            int64_t ms;
            if (ty == LUA_TNUMBER)
                t[i] = lua_tonumber(L, -1);
            else if (str && ll_parse_date(str, sl, &days) == 1)
                t[i] = days;
            else if (str && ll_parse_datetime(str, sl, &ms) == 1)
                t[i] = (double)ms / 86400000.0;
            else
                luaL_error(L, "forecast: time[%d] is not a date", (int)i + 1);
            lua_pop(L, 1);
        }
    } else {
        return luaL_error(L,
                          "forecast: time must be a date Column or a table "
                          "of dates, got %s",
                          luaL_typename(L, idx)),
               NULL;
    }
    if (len != n)
        luaL_error(L, "forecast: time has %d values, the series %d", (int)len,
                   (int)n);
    for (size_t i = 0; i < n; i++)
        if (isnan(t[i]))
            luaL_error(L, "forecast: time has a missing value at %d",
                       (int)i + 1);
    return t;
}

/* spec:fit(y [, {X =, time =, fill =, name =}]) */
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
        /* The spec's regressors pick and order X's columns. */
        int want = 0;
        if (lua_getiuservalue(L, 1, 1) == LUA_TTABLE)
            want = lua_gettop(L);
        x = read_regressors(L, xi, want, &rows, &k);
        names = lua_gettop(L) - 1;
        if (rows != n)
            luaL_error(L, "forecast: X has %d rows, the series %d", (int)rows,
                       (int)n);
    }
    if (!names && lua_getiuservalue(L, 1, 1) == LUA_TTABLE &&
        luaL_len(L, -1) > 0) {
        lua_geti(L, -1, 1);
        return luaL_error(L,
                          "forecast: the model takes the regressor '%s': fit "
                          "needs X with it",
                          lua_tostring(L, -1));
    }
    double t0 = 0, step = 0;
    const double *times = NULL;
    if (opts && lua_getfield(L, opts, "time") != LUA_TNIL) {
        times = read_fit_times(L, -1, n);
        ll_fc_freq fq;
        ll_err ferr = {0};
        if (n >= 2 &&
            ll_fc_infer_freq(times, n, LL_FC_TIME_DATE, &fq, &ferr) < 0)
            return luaL_error(L, "forecast: time: %s", ferr.msg);
        step = n >= 2 ? fq.days : 1;
        if (!(step > 0))
            step = times[1] - times[0];
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
    if (times)
        t0 = times[skip];
    u->y = malloc((n ? n : 1) * sizeof *u->y);
    if (!u->y)
        return luaL_error(L, "out of memory");
    memcpy(u->y, y + skip, (n - skip) * sizeof *y);
    ll_fc_data d = {.y = u->y,
                    .n = n - skip,
                    .x = x ? x + skip * k : NULL,
                    .k = k,
                    .t0 = times ? t0 : (double)skip,
                    .step = step};
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

/* A float column of v[0..n). */
static ll_column *float_column(const double *v, size_t n)
{
    ll_column *c = ll_col_new(LL_FLOAT, (int64_t)n, NULL);
    if (c && n)
        memcpy(LL_F64(c), v, n * sizeof *v);
    return c;
}

/* Add col (consumed; NULL = out of memory) to f as name; 0 or < 0. */
static int frame_add(ll_frame *f, const char *name, ll_column *col, ll_err *err)
{
    if (!col)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = ll_frame_set(f, name, col, err);
    ll_col_unref(col);
    return rc;
}

/* Add the columns mean, then lo_<level> and hi_<level> for each level,
 * of n rows each: lo and hi hold one block of n values a level. */
static int add_intervals(ll_frame *fr, const double *mean, const double *lo,
                         const double *hi, const double *levels, size_t nl,
                         size_t n, ll_err *err)
{
    int rc = frame_add(fr, "mean", float_column(mean, n), err);
    for (size_t l = 0; l < nl && rc == 0; l++) {
        char name[32];
        snprintf(name, sizeof name, "lo_%g", levels[l]);
        rc = frame_add(fr, name, float_column(lo + l * n, n), err);
        snprintf(name, sizeof name, "hi_%g", levels[l]);
        if (rc == 0)
            rc = frame_add(fr, name, float_column(hi + l * n, n), err);
    }
    return rc;
}

/* Put fr in the frame slot made by ll_lua_new_frame and return it, or free
 * it and raise err when rc < 0. */
static int finish_frame(lua_State *L, ll_frame **slot, ll_frame *fr, int rc,
                        const ll_err *err)
{
    if (rc < 0) {
        ll_frame_free(fr);
        return ll_lua_raise(L, err);
    }
    *slot = fr;
    return 1;
}

/* The horizon h at idx: a positive integer up to a million. */
static lua_Integer check_horizon(lua_State *L, int idx)
{
    lua_Integer h = luaL_checkinteger(L, idx);
    if (h <= 0)
        luaL_error(L, "forecast: h must be a positive integer, got %d", (int)h);
    if (h > 1000000)
        luaL_error(L, "forecast: h is too large (%d)", (int)h);
    return h;
}

/* fit:predict(h [, {level =, X =}]) -> Frame step, mean, lo_*, hi_* */
static int l_fit_predict(lua_State *L)
{
    lfit *u = check_fit(L, 1);
    lua_Integer h = check_horizon(L, 2);
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
    ll_frame **slot = ll_lua_new_frame(L);
    ll_frame *fr = ll_frame_new(&err);
    ll_column *steps = ll_col_new(LL_INT, (int64_t)hh, NULL);
    if (steps)
        for (size_t i = 0; i < hh; i++)
            LL_I64(steps)[i] = (int64_t)i + 1;
    int rc = fr ? frame_add(fr, "step", steps, &err)
                : (ll_col_unref(steps), err.code);
    if (rc == 0)
        rc = add_intervals(fr, mean, lo, hi, levels, nl, hh, &err);
    return finish_frame(L, slot, fr, rc, &err);
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

/* A parameter's name with the regressor number j in "coef_x<j>",
 * "xreg<j>", "x<j>" or "<kind>_x<j>" replaced by the j-th regressor's name
 * (names: the fit's list of regressor names, 0 = none): coef_x1 -> temp,
 * beta_x1 -> beta_temp. */
static void push_param_name(lua_State *L, const char *name, int names)
{
    /* ARIMA's regression coefficients: xreg<j>. */
    if (names && strncmp(name, "xreg", 4) == 0 && name[4] >= '1' &&
        name[4] <= '9') {
        char *end;
        long j = strtol(name + 4, &end, 10);
        if (!*end) {
            if (lua_geti(L, names, (lua_Integer)j) == LUA_TSTRING)
                return;
            lua_pop(L, 1);
        }
    }
    const char *x = names ? strrchr(name, 'x') : NULL;
    if (x && (x == name || x[-1] == '_') && x[1] >= '1' && x[1] <= '9') {
        char *end;
        long j = strtol(x + 1, &end, 10);
        if (!*end) {
            if (lua_geti(L, names, (lua_Integer)j) == LUA_TSTRING) {
                size_t pre = (size_t)(x - name);
                if (pre == 0 || (pre == 5 && strncmp(name, "coef_", 5) == 0))
                    return; /* the regressor's name itself */
                lua_pushlstring(L, name, pre);
                lua_insert(L, -2);
                lua_concat(L, 2);
                return;
            }
            lua_pop(L, 1);
        }
    }
    lua_pushstring(L, name);
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
        lua_getiuservalue(L, 1, 1);
        int names = lua_istable(L, -1) ? lua_gettop(L) : 0;
        lua_createtable(L, 0, (int)f->nparams);
        for (size_t i = 0; i < f->nparams; i++) {
            lua_pushnumber(L, f->params[i].value);
            push_param_name(L, f->params[i].name, names);
            lua_insert(L, -2);
            lua_rawset(L, -3);
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
    ll_column *ids; /* one row per series, from the series column (or NULL) */
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
    ll_col_unref(u->ids);
    u->p = NULL;
    u->ids = NULL;
    return 0;
}

/* The column `name` of fr; raises naming role (and where) when absent. */
static const ll_column *frame_column(lua_State *L, const ll_frame *fr,
                                     const char *name, const char *role,
                                     const char *where, const char *what)
{
    int c = ll_frame_find(fr, name);
    if (c < 0)
        luaL_error(L, "%s: the %s column '%s' is not in %s", where, role, name,
                   what);
    return fr->cols[c];
}

/* Row i of a series column as a Lua value (the key of its series); nil
 * when NA. */
static void push_cell(lua_State *L, const ll_column *c, int64_t i)
{
    if (ll_col_isna(c, i)) {
        lua_pushnil(L);
    } else if (c->type == LL_STR || c->type == LL_CAT) {
        size_t len;
        const char *str = ll_col_str(c, i, &len);
        lua_pushlstring(L, str, len);
    } else if (c->type == LL_INT) {
        lua_pushinteger(L, (lua_Integer)LL_I64(c)[i]);
    } else if (c->type == LL_BOOL) {
        lua_pushboolean(L, LL_U8(c)[i]);
    } else {
        double v = ll_col_num(c, i);
        if (v == floor(v) && fabs(v) < 9e15)
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, v);
    }
}

/* Days (date), ms (datetime) or numbers from a time column into a buffer
 * pushed on the stack; *kind gets LL_FC_TIME_*. */
static double *read_times(lua_State *L, const ll_column *c, int *kind,
                          const char *where)
{
    size_t n = (size_t)c->len;
    if (c->type == LL_DATE)
        *kind = LL_FC_TIME_DATE;
    else if (c->type == LL_DATETIME)
        *kind = LL_FC_TIME_DATETIME;
    else if (c->type == LL_INT || c->type == LL_FLOAT)
        *kind = LL_FC_TIME_NUMBER;
    else
        luaL_error(L,
                   "%s the time column must be a date, datetime or number, "
                   "got %s",
                   where, ll_dtype_name(c->type));
    double *t = push_buffer(L, n);
    for (size_t i = 0; i < n; i++) {
        t[i] = ll_col_num(c, (int64_t)i);
        if (isnan(t[i]))
            luaL_error(L, "%s the time column has a missing value at row %d",
                       where, (int)i + 1);
    }
    return t;
}

/* The regressor columns names (a Lua array at names) of fr into a
 * row-major buffer pushed on the stack. */
static double *read_frame_x(lua_State *L, const ll_frame *fr, int names,
                            size_t k, const char *where)
{
    size_t n = (size_t)fr->nrow;
    double *x = push_buffer(L, n * k);
    for (size_t j = 0; j < k; j++) {
        lua_geti(L, names, (lua_Integer)j + 1);
        const char *name = lua_tostring(L, -1);
        int c = ll_frame_find(fr, name);
        if (c < 0)
            luaL_error(L, "%s lacks the regressor '%s'", where, name);
        const ll_column *col = fr->cols[c];
        if (col->type != LL_BOOL && col->type != LL_INT &&
            col->type != LL_FLOAT)
            luaL_error(L,
                       "%s: the regressor '%s' must be numeric, got a %s "
                       "column",
                       where, name, ll_dtype_name(col->type));
        for (size_t i = 0; i < n; i++)
            x[i * k + j] = ll_col_num(col, (int64_t)i);
        lua_pop(L, 1);
    }
    return x;
}

/* forecast.fit{data, target, time, series, model, X, threads, fill,
 * on_error} */
static int l_panel_fit(lua_State *L)
{
    static const char *const where = "forecast.fit:";
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "data");
    const ll_frame *fr = ll_lua_test_frame(L, -1);
    if (!fr)
        return luaL_error(L, "forecast.fit: data must be a Frame");
    const char *target = ll_opt_str(L, 1, "target", NULL);
    const char *time = ll_opt_str(L, 1, "time", NULL);
    const char *series = ll_opt_str(L, 1, "series", NULL);
    if (!target || !time)
        return luaL_error(L, "forecast.fit: target and time (column names) "
                             "are required");
    lua_getfield(L, 1, "model");
    int spec_idx = lua_gettop(L);
    lspec *spec = luaL_testudata(L, spec_idx, SPEC_MT);
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
    const ll_column *ycol =
        frame_column(L, fr, target, "target", "forecast.fit", "data");
    if (ycol->type != LL_BOOL && ycol->type != LL_INT && ycol->type != LL_FLOAT)
        return luaL_error(L,
                          "forecast.fit: the target '%s' must be numeric, got "
                          "a %s column",
                          target, ll_dtype_name(ycol->type));
    size_t n;
    double *y = read_column(L, ycol, &n, "the target");
    int tkind = LL_FC_TIME_NUMBER;
    double *t =
        read_times(L, frame_column(L, fr, time, "time", "forecast.fit", "data"),
                   &tkind, where);
    /* Regressors: X = {names}, else the model's regressors. */
    if (lua_getfield(L, 1, "X") == LUA_TNIL) {
        lua_pop(L, 1);
        lua_getiuservalue(L, spec_idx, 1);
    }
    int xnames_idx = 0;
    size_t k = 0;
    if (lua_istable(L, -1)) {
        xnames_idx = lua_gettop(L);
        k = (size_t)luaL_len(L, xnames_idx);
        for (size_t j = 1; j <= k; j++)
            if (lua_geti(L, xnames_idx, (lua_Integer)j) != LUA_TSTRING)
                return luaL_error(L, "forecast.fit: X must be a list of "
                                     "column names");
            else
                lua_pop(L, 1);
    } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "forecast.fit: X must be a list of column names");
    }
    double *x =
        k ? read_frame_x(L, fr, xnames_idx, k, "forecast.fit: data") : NULL;
    const char **xnames = lua_newuserdatauv(L, (k ? k : 1) * sizeof *xnames, 0);
    for (size_t j = 0; j < k; j++) {
        lua_geti(L, xnames_idx, (lua_Integer)j + 1);
        xnames[j] = lua_tostring(L, -1); /* kept alive by the list */
        lua_pop(L, 1);
    }
    /* Series ids: codes 0..G-1 in order of first appearance. */
    int64_t *codes = lua_newuserdatauv(L, (n ? n : 1) * sizeof *codes, 0);
    int64_t *firsts = lua_newuserdatauv(L, (n ? n : 1) * sizeof *firsts, 0);
    lua_newtable(L);
    int idnames = lua_gettop(L);
    lua_newtable(L);
    int idmap = lua_gettop(L);
    size_t ngroups = 0;
    ll_column *ids = NULL;
    if (series) {
        const ll_column *scol =
            frame_column(L, fr, series, "series", "forecast.fit", "data");
        for (size_t i = 0; i < n; i++) {
            push_cell(L, scol, (int64_t)i);
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
                firsts[ngroups] = (int64_t)i;
                codes[i] = (int64_t)ngroups++;
            } else {
                codes[i] = (int64_t)lua_tointeger(L, -1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        ids = ll_col_take(scol, firsts, (int64_t)ngroups, NULL);
        if (!ids)
            return luaL_error(L, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++)
            codes[i] = 0;
        ngroups = n ? 1 : 0;
        lua_pushstring(L, "1");
        lua_rawseti(L, idnames, 1);
    }
    lpanel *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->p = NULL;
    u->ids = ids;
    luaL_setmetatable(L, PANEL_MT);
    lua_newtable(L);
    lua_pushvalue(L, idnames);
    lua_setfield(L, -2, "ids");
    lua_pushvalue(L, idmap);
    lua_setfield(L, -2, "idmap");
    if (series) {
        lua_pushstring(L, series);
        lua_setfield(L, -2, "series_col");
    }
    lua_pushstring(L, time);
    lua_setfield(L, -2, "time_col");
    if (k) {
        lua_pushvalue(L, xnames_idx);
        lua_setfield(L, -2, "xnames");
    }
    lua_setiuservalue(L, -2, 1);
    ll_err err = {0};
    ll_fc_panel_opts po = {.spec = &spec->spec,
                           .threads = threads,
                           .fill = fill,
                           .time_kind = tkind,
                           .x = x,
                           .k = k,
                           .xnames = xnames};
    if (ll_fc_panel_fit(codes, ngroups, t, y, n, &po, &u->p, &err) < 0) {
        ll_err_prefix(&err, "forecast.fit");
        return ll_lua_raise(L, &err);
    }
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

typedef struct future_row {
    int64_t group;
    double t;
    size_t row;
} future_row;

static int cmp_future(const void *a, const void *b)
{
    const future_row *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

/* The future regressors of every fitted series from the Frame at xi: for
 * series g, hh rows of k values at xf[g * hh * k].  Pushes the buffer. */
static double *read_future_x(lua_State *L, int xi, int uv, const ll_fc_panel *p,
                             size_t hh)
{
    static const char *const where = "forecast: the future X";
    const ll_frame *fr = ll_lua_test_frame(L, xi);
    if (!fr)
        luaL_error(L, "forecast: the panel was fitted with regressors: predict "
                      "needs X, a Frame of their future values (series, time "
                      "and regressor columns)");
    size_t k = p->k, nr = (size_t)fr->nrow;
    lua_getfield(L, uv, "time_col");
    const char *tname = lua_tostring(L, -1);
    int kind;
    double *t = read_times(
        L, frame_column(L, fr, tname, "time", "forecast", "the future X"),
        &kind, "forecast: the future X:");
    if (kind != p->time_kind)
        luaL_error(L, "%s: the time column '%s' is not of the fitted type",
                   where, tname);
    lua_getfield(L, uv, "xnames");
    double *x = read_frame_x(L, fr, lua_gettop(L), k, where);
    lua_getfield(L, uv, "idmap");
    int idmap = lua_gettop(L);
    future_row *rows = lua_newuserdatauv(L, (nr ? nr : 1) * sizeof *rows, 0);
    const ll_column *scol = NULL;
    if (lua_getfield(L, uv, "series_col") == LUA_TSTRING)
        scol = frame_column(L, fr, lua_tostring(L, -1), "series", "forecast",
                            "the future X");
    lua_pop(L, 1);
    size_t m = 0;
    for (size_t i = 0; i < nr; i++) {
        int64_t g = 0;
        if (scol) {
            push_cell(L, scol, (int64_t)i);
            int known = lua_rawget(L, idmap) == LUA_TNUMBER;
            g = known ? (int64_t)lua_tointeger(L, -1) : -1;
            lua_pop(L, 1);
            if (!known)
                continue;
        }
        rows[m++] = (future_row){g, t[i], i};
    }
    qsort(rows, m, sizeof *rows, cmp_future);
    double *xf = push_buffer(L, p->nseries * hh * k);
    lua_getfield(L, uv, "ids");
    int ids = lua_gettop(L);
    for (size_t g = 0; g < p->nseries; g++) {
        if (!p->fits[g])
            continue;
        for (size_t i = 0; i < hh; i++) {
            future_row key = {(int64_t)g, ll_fc_panel_future_time(p, g, i + 1),
                              0};
            future_row *r = bsearch(&key, rows, m, sizeof *rows, cmp_future);
            if (!r) {
                char tb[40];
                ll_fc_format_time(p->time_kind, key.t, tb, sizeof tb);
                lua_geti(L, ids, (lua_Integer)g + 1);
                luaL_error(L, "%s has no row for series '%s' at %s", where,
                           luaL_tolstring(L, -1, NULL), tb);
            }
            for (size_t j = 0; j < k; j++) {
                double v = x[r->row * k + j];
                if (isnan(v)) {
                    char tb[40];
                    ll_fc_format_time(p->time_kind, key.t, tb, sizeof tb);
                    lua_geti(L, ids, (lua_Integer)g + 1);
                    lua_getfield(L, uv, "xnames");
                    lua_geti(L, -1, (lua_Integer)j + 1);
                    luaL_error(L,
                               "%s: regressor '%s' has a missing value (NA) "
                               "for series '%s' at %s",
                               where, lua_tostring(L, -1),
                               luaL_tolstring(L, -3, NULL), tb);
                }
                xf[(g * hh + i) * k + j] = v;
            }
        }
    }
    lua_pop(L, 1); /* ids */
    return xf;
}

/* The time column of the forecasts: the panel's time type. */
static ll_column *time_column(int kind, const double *times, size_t rows)
{
    int integral = 1;
    for (size_t i = 0; i < rows && integral; i++)
        integral = times[i] == floor(times[i]) && fabs(times[i]) < 9e15;
    ll_dtype dt = kind == LL_FC_TIME_DATE       ? LL_DATE
                  : kind == LL_FC_TIME_DATETIME ? LL_DATETIME
                  : integral                    ? LL_INT
                                                : LL_FLOAT;
    ll_column *c = ll_col_new(dt, (int64_t)rows, NULL);
    for (size_t i = 0; c && i < rows; i++) {
        if (dt == LL_DATE)
            LL_I32(c)[i] = (int32_t)times[i];
        else if (dt == LL_FLOAT)
            LL_F64(c)[i] = times[i];
        else
            LL_I64(c)[i] = (int64_t)times[i];
    }
    return c;
}

/* The series column of the forecasts: ids[group[r]], or "1" when the
 * panel has no series column. */
static ll_column *series_column(const ll_column *ids, const int64_t *group,
                                size_t rows)
{
    if (ids)
        return ll_col_take(ids, group, (int64_t)rows, NULL);
    ll_strbuilder sb;
    ll_sb_init(&sb);
    for (size_t r = 0; r < rows; r++)
        if (ll_sb_push(&sb, "1", 1) < 0) {
            ll_sb_free(&sb);
            return NULL;
        }
    return ll_sb_finish(&sb, NULL);
}

/* fits:predict(h [, {level =, X =}]) -> Frame id, time, mean, lo_*, hi_* */
static int l_panel_predict(lua_State *L)
{
    lpanel *u = check_panel(L, 1);
    lua_Integer h = check_horizon(L, 2);
    int opts = lua_istable(L, 3) ? 3 : 0;
    lua_settop(L, 3);
    double levels[8];
    size_t nl;
    if (opts && lua_getfield(L, opts, "level") != LUA_TNIL) {
        lua_pop(L, 1);
        push_levels(L, opts, levels, &nl);
    } else {
        if (opts)
            lua_pop(L, 1);
        levels[0] = 95;
        nl = 1;
    }
    ll_fc_panel *p = u->p;
    lua_getiuservalue(L, 1, 1);
    int uv = lua_gettop(L);
    size_t hh = (size_t)h, ok = 0, k = p->k;
    double *xf = NULL;
    if (k > 0) {
        if (opts)
            lua_getfield(L, opts, "X");
        else
            lua_pushnil(L);
        xf = read_future_x(L, lua_gettop(L), uv, p, hh);
    }
    for (size_t g = 0; g < p->nseries; g++)
        ok += p->fits[g] != NULL;
    size_t rows = ok * hh;
    double *out = push_buffer(L, rows * (2 + 2 * nl));
    double *times = out, *mean = out + rows, *lo = mean + rows,
           *hi = lo + rows * nl;
    int64_t *group = lua_newuserdatauv(L, (rows ? rows : 1) * sizeof *group, 0);
    double *tmp = push_buffer(L, hh * (1 + 2 * nl));
    size_t r = 0;
    ll_err err = {0};
    lua_getfield(L, uv, "ids");
    int ids = lua_gettop(L);
    for (size_t g = 0; g < p->nseries; g++) {
        const ll_fc_fit *f = p->fits[g];
        if (!f)
            continue;
        if (ll_fc_predict(f, hh, xf ? xf + g * hh * k : NULL, levels, nl, tmp,
                          tmp + hh, tmp + hh + hh * nl, &err) < 0) {
            lua_geti(L, ids, (lua_Integer)g + 1);
            ll_err_prefix(&err, "series '%s'", luaL_tolstring(L, -1, NULL));
            return ll_lua_raise(L, &err);
        }
        for (size_t i = 0; i < hh; i++, r++) {
            times[r] = ll_fc_panel_future_time(p, g, i + 1);
            group[r] = (int64_t)g;
            mean[r] = tmp[i];
            for (size_t l = 0; l < nl; l++) {
                lo[l * rows + r] = tmp[hh + l * hh + i];
                hi[l * rows + r] = tmp[hh + hh * nl + l * hh + i];
            }
        }
    }
    const char *sname = "series", *tname;
    if (lua_getfield(L, uv, "series_col") == LUA_TSTRING)
        sname = lua_tostring(L, -1);
    lua_getfield(L, uv, "time_col");
    tname = lua_tostring(L, -1);
    ll_frame **slot = ll_lua_new_frame(L);
    ll_frame *fr = ll_frame_new(&err);
    int rc = fr ? frame_add(fr, sname, series_column(u->ids, group, rows), &err)
                : err.code;
    if (rc == 0)
        rc = frame_add(fr, tname, time_column(p->time_kind, times, rows), &err);
    if (rc == 0)
        rc = add_intervals(fr, mean, lo, hi, levels, nl, rows, &err);
    return finish_frame(L, slot, fr, rc, &err);
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
     "fit(y [, {X =, time =, fill = \"ffill\"|\"interpolate\", name =}]) -> "
     "ForecastFit | nil, msg -- Fit the model to a series (a Lua array, "
     "Column or Tensor); X: regressors (a Frame or {name = values}); time: "
     "the dates of y (the calendar of Prophet)."},
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
     "predict(h [, {level = {95}, X =}]) -> Frame -- The next h periods of "
     "every series: id, time, mean, lo_<level>, hi_<level>; X: a Frame of "
     "future regressors (series, time and regressor columns)."},
    {NULL, NULL, NULL}};

static const ll_lua_fn panel_meta[] = {{"__gc", l_panel_gc, NULL},
                                       {"__close", l_panel_gc, NULL},
                                       {"__tostring", l_panel_tostring, NULL},
                                       {NULL, NULL, NULL}};

static const ll_lua_fn forecast_fns[] = {
    {"fit", l_panel_fit,
     "fit{data, target, time, series, model, X = {names}, threads = 1, "
     "fill, on_error = \"raise\"|\"skip\"} -> ForecastPanel -- Fit a model "
     "to every series of a long frame; the frequency and season_length come "
     "from the time column; fill also fills gaps in a series' calendar."},
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
    /* Frames and Columns: their classes come with df. */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lualab.df");
    lua_call(L, 1, 0);
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
        if (doc)
            ll_lua_setdoc(L, -1, doc);
        lua_setfield(L, -2, name);
    }
    return 1;
}
