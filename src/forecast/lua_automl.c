/*
 * lua_automl: the `automl` module.  C runs the search (automl._run) and
 * owns the job and the fitted pipeline (a Forecaster); lua/lualab/_automl.lua
 * builds the job table of the API (leaderboard, best, explain,
 * plot, tracking) on top.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "frame/lua_frame.h"
#include "host/host.h"
#include "host/lua_util.h"
#include "host/term_sink.h"

#include <sys/ioctl.h>
#include <unistd.h>

#define JOB_MT "lualab.AutoMLJob"
#define FC_MT "lualab.Forecaster"

typedef struct ljob {
    ll_aml_job *j;
} ljob;

typedef struct lfc {
    ll_aml_pipeline *p;
} lfc;

static void need_df(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lualab.df");
    lua_call(L, 1, 0);
}

static int push_frame(lua_State *L, ll_frame *f, ll_err *err)
{
    if (!f)
        return ll_lua_raise(L, err);
    need_df(L);
    *ll_lua_new_frame(L) = f;
    return 1;
}

/* A string or a list of strings at field key of table idx into a new
 * array left on the stack; *n its length. */
static const char **str_list(lua_State *L, int idx, const char *key, int *n)
{
    *n = 0;
    int t = lua_getfield(L, idx, key);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    /* The arrays stay on the stack (until the binding returns), the
     * strings in the options table. */
    if (t == LUA_TSTRING) {
        const char *str = lua_tostring(L, -1);
        const char **v = lua_newuserdatauv(L, sizeof *v, 0);
        v[0] = str;
        lua_remove(L, -2);
        *n = 1;
        return v;
    }
    if (t != LUA_TTABLE)
        luaL_error(L,
                   "automl.forecast: %s must be a string or a list of "
                   "strings, got %s",
                   key, luaL_typename(L, -1));
    lua_Integer len = luaL_len(L, -1);
    const char **v = lua_newuserdatauv(L, (size_t)(len + 1) * sizeof *v, 0);
    for (lua_Integer i = 1; i <= len; i++) {
        if (lua_geti(L, -2, i) != LUA_TSTRING)
            luaL_error(L, "automl.forecast: %s[%d] must be a string, got %s",
                       key, (int)i, luaL_typename(L, -1));
        v[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lua_remove(L, -2);
    *n = (int)len;
    return v;
}

/* "auto" or absent -> 0; else a positive integer. */
static int auto_int(lua_State *L, int idx, const char *key)
{
    int t = lua_getfield(L, idx, key);
    int v = 0;
    if (t == LUA_TSTRING && strcmp(lua_tostring(L, -1), "auto") == 0)
        v = 0;
    else if (t == LUA_TNUMBER && lua_isinteger(L, -1) &&
             lua_tointeger(L, -1) > 0)
        v = (int)lua_tointeger(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L,
                   "automl.forecast: %s must be \"auto\" or a positive "
                   "integer",
                   key);
    lua_pop(L, 1);
    return v;
}

/* progress = true: on a front end that redraws displays in place (the
 * curses notebook, a terminal) a live leaderboard table, updated after each
 * trial, beside the progress bar; elsewhere a line per trial on stderr. */
typedef struct progress_ctx {
    lua_State *L;
    const ll_aml_opts *o;
    int table;  /* draw the live table (else lines) */
    int handle; /* registry ref of the display handle, or LUA_NOREF */
    const ll_aml_job *job; /* while show_board runs */
} progress_ctx;

static void progress_line(void *ctx, const ll_aml_trial *t, size_t done,
                          size_t total)
{
    const progress_ctx *pc = ctx;
    const ll_aml_opts *o = pc->o;
    if (pc->table)
        return;
    if (t->ok)
        fprintf(stderr, "automl: [%zu/%zu] %-24s %s %.6g  (%.2f s)\n", done,
                total, t->model, ll_aml_metric_names[o->metric],
                t->metrics[o->metric], t->fit_seconds);
    else
        fprintf(stderr, "automl: [%zu/%zu] %-24s failed: %s\n", done, total,
                t->model, t->error);
    fflush(stderr);
}

/* Protected: show or update the live table (arg 1: the progress_ctx,
 * light userdata). */
static int show_board(lua_State *L)
{
    progress_ctx *pc = lua_touserdata(L, 1);
    const ll_aml_job *j = pc->job;
    ll_err err = {0};
    if (pc->handle == LUA_NOREF) {
        lua_getglobal(L, "lualab");
        lua_getfield(L, -1, "display");
    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, pc->handle);
        lua_getfield(L, -1, "update");
        lua_insert(L, -2);
    }
    /* The columns that fit a screen: rank, model, the primary metric, the
     * other headline metrics, fit_seconds, error (job.leaderboard has
     * every metric). */
    push_frame(L, ll_aml_leaderboard_live(j, &err), &err);
    lua_getfield(L, -1, "select");
    lua_insert(L, -2);
    static const char *const headline[] = {"nrmse",    "nmae",  "r2",
                                           "spearman", "smape", "mase"};
    const char *primary = ll_aml_metric_names[pc->o->metric];
    lua_newtable(L);
    int k = 0;
    lua_pushstring(L, "rank");
    lua_rawseti(L, -2, ++k);
    lua_pushstring(L, "model");
    lua_rawseti(L, -2, ++k);
    lua_pushstring(L, primary);
    lua_rawseti(L, -2, ++k);
    for (size_t i = 0; i < sizeof headline / sizeof *headline; i++) {
        if (strcmp(headline[i], primary) == 0)
            continue;
        lua_pushstring(L, headline[i]);
        lua_rawseti(L, -2, ++k);
    }
    lua_pushstring(L, "fit_seconds");
    lua_rawseti(L, -2, ++k);
    lua_pushstring(L, "error");
    lua_rawseti(L, -2, ++k);
    lua_call(L, 2, 1);
    if (pc->handle == LUA_NOREF) {
        lua_createtable(L, 0, 1);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "update");
        lua_call(L, 2, 1);
        pc->handle = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
        lua_call(L, 2, 0);
    }
    return 0;
}

static void progress_board(void *ctx, const ll_aml_job *j)
{
    progress_ctx *pc = ctx;
    if (!pc->table)
        return;
    lua_State *L = pc->L;
    pc->job = j;
    lua_pushcfunction(L, show_board);
    lua_pushlightuserdata(L, pc);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        /* A table that cannot be drawn falls back to the lines. */
        pc->table = 0;
        lua_pop(L, 1);
    }
}

/* Whether the front end redraws displays in place (lualab.display_live). */
static int display_live(lua_State *L)
{
    int live = 0;
    if (lua_getglobal(L, "lualab") == LUA_TTABLE &&
        lua_getfield(L, -1, "display_live") == LUA_TFUNCTION) {
        if (lua_pcall(L, 0, 1, 0) == LUA_OK)
            live = lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return live;
}

static int l_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ll_aml_opts o;
    ll_aml_opts_init(&o);
    ll_err err = {0};
    ll_frame *owned = NULL;
    const char *path = NULL;
    lua_getfield(L, 1, "data");
    ll_frame *f = ll_lua_test_frame(L, -1);
    if (!f && lua_type(L, -1) == LUA_TSTRING)
        path = lua_tostring(L, -1); /* anchored by the options table */
    lua_pop(L, 1);
    if (!f && !path)
        return luaL_error(L, "automl.forecast: data must be a Frame or a CSV "
                             "path");
    o.table.target = ll_opt_str(L, 1, "target", NULL);
    o.table.time = ll_opt_str(L, 1, "time", NULL);
    if (!o.table.target || !o.table.time)
        return luaL_error(L, "automl.forecast: target and time are required");
    lua_Integer h = ll_opt_int(L, 1, "horizon", 0);
    if (h < 1)
        return luaL_error(L,
                          "automl.forecast: horizon must be a positive "
                          "integer, got %d",
                          (int)h);
    o.horizon = (size_t)h;
    const char *metric = ll_opt_str(L, 1, "primary_metric", "nrmse");
    o.metric = ll_aml_metric_find(metric);
    if (o.metric < 0)
        return luaL_error(L,
                          "automl.forecast: unknown primary_metric '%s' "
                          "(nrmse, nmae, r2, spearman, smape, mase, rmse, "
                          "mae, ...)",
                          metric);
    o.table.series = str_list(L, 1, "series", &o.table.nseries);
    o.table.exclude = str_list(L, 1, "exclude_columns", &o.table.nexclude);
    o.allowed = str_list(L, 1, "allowed", &o.nallowed);
    o.blocked = str_list(L, 1, "blocked", &o.nblocked);
    o.season_length = auto_int(L, 1, "season_length");
    o.cv_folds = auto_int(L, 1, "cv_folds");
    o.cv_step = auto_int(L, 1, "cv_step");
    lua_getfield(L, 1, "exit_score");
    if (!lua_isnil(L, -1))
        o.exit_score = luaL_checknumber(L, -1);
    lua_pop(L, 1);
    o.timeout = ll_opt_num(L, 1, "timeout", 0);
    o.max_trials = (int)ll_opt_int(L, 1, "max_trials", 0);
    o.threads = (int)ll_opt_int(L, 1, "threads", 0);
    o.explain = ll_opt_bool(L, 1, "explain", 1);
    o.ensemble = ll_opt_bool(L, 1, "ensemble", 1);
    o.enable_dnn = ll_opt_bool(L, 1, "enable_dnn", 0);
    lua_Integer dh = ll_opt_int(L, 1, "dnn_hidden", 16);
    lua_Integer de = ll_opt_int(L, 1, "dnn_epochs", 60);
    if (dh < 1 || dh > 1024)
        return luaL_error(L,
                          "automl.forecast: dnn_hidden must be in 1..1024, "
                          "got %d",
                          (int)dh);
    if (de < 1 || de > 100000)
        return luaL_error(L,
                          "automl.forecast: dnn_epochs must be in 1..100000, "
                          "got %d",
                          (int)de);
    o.dnn_hidden = (int)dh;
    o.dnn_epochs = (int)de;
    o.seed = (uint64_t)ll_opt_int(L, 1, "seed", 42);
    progress_ctx pc = {L, &o, 0, LUA_NOREF, NULL};
    if (ll_opt_bool(L, 1, "progress", 0)) {
        pc.table = display_live(L);
        o.progress = progress_line;
        o.board = progress_board;
        o.progress_ctx = &pc;
    }
    ljob *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->j = NULL;
    luaL_setmetatable(L, JOB_MT);
    if (path) {
        ll_csv_opts co;
        ll_csv_opts_init(&co);
        owned = ll_frame_read_csv(path, &co, NULL, &err);
        if (!owned)
            return ll_lua_raise(L, &err);
        f = owned;
        o.table.source = path;
    }
    int rc = ll_aml_run(f, &o, &u->j, &err);
    ll_frame_free(owned);
    luaL_unref(L, LUA_REGISTRYINDEX, pc.handle);
    if (rc)
        return ll_lua_raise(L, &err);
    u->j->opts.progress = NULL;
    u->j->opts.board = NULL;
    u->j->opts.progress_ctx = NULL;
    return 1;
}

static ll_aml_job *check_job(lua_State *L, int idx)
{
    ljob *u = luaL_checkudata(L, idx, JOB_MT);
    if (!u->j)
        luaL_error(L, "attempt to use a freed automl job");
    return u->j;
}

static int l_job_gc(lua_State *L)
{
    ljob *u = luaL_checkudata(L, 1, JOB_MT);
    ll_aml_job_free(u->j);
    u->j = NULL;
    return 0;
}

static int l_job_leaderboard(lua_State *L)
{
    ll_err err = {0};
    return push_frame(L, ll_aml_leaderboard(check_job(L, 1), &err), &err);
}

static int l_job_explanation(lua_State *L)
{
    ll_aml_job *j = check_job(L, 1);
    if (j->nimp == 0) {
        lua_pushnil(L);
        lua_pushstring(L, j->best < 0 ? "no model succeeded"
                                      : "no regression model to explain "
                                        "(explain = false, or none succeeded)");
        return 2;
    }
    ll_err err = {0};
    push_frame(L, ll_aml_explanation(j, &err), &err);
    lua_pushstring(L, j->explained);
    return 2;
}

static int l_job_cv(lua_State *L)
{
    ll_aml_job *j = check_job(L, 1);
    ll_err err = {0};
    return push_frame(L, ll_aml_cv_frame(j, j->best, &err), &err);
}

static int l_job_info(lua_State *L)
{
    ll_aml_job *j = check_job(L, 1);
    lua_newtable(L);
    lua_pushinteger(L, j->season);
    lua_setfield(L, -2, "season_length");
    lua_pushinteger(L, (lua_Integer)j->folds);
    lua_setfield(L, -2, "cv_folds");
    lua_pushinteger(L, (lua_Integer)j->step);
    lua_setfield(L, -2, "cv_step");
    lua_pushinteger(L, (lua_Integer)j->opts.horizon);
    lua_setfield(L, -2, "horizon");
    lua_pushstring(L, ll_aml_metric_names[j->opts.metric]);
    lua_setfield(L, -2, "primary_metric");
    lua_pushinteger(L, (lua_Integer)j->tab->nseries);
    lua_setfield(L, -2, "n_series");
    lua_pushinteger(L, (lua_Integer)j->tab->filled);
    lua_setfield(L, -2, "rows_filled");
    lua_pushboolean(L, j->opts.enable_dnn);
    lua_setfield(L, -2, "enable_dnn");
    lua_pushboolean(L, j->timed_out);
    lua_setfield(L, -2, "timed_out");
    lua_pushboolean(L, j->exited_early);
    lua_setfield(L, -2, "exited_early");
    lua_pushboolean(L, j->interrupted);
    lua_setfield(L, -2, "interrupted");
    if (j->best >= 0) {
        const ll_aml_trial *b = &j->trials[j->best];
        lua_pushstring(L, b->model);
        lua_setfield(L, -2, "best_model");
        lua_newtable(L);
        for (int m = 0; m < LL_AML_NMETRICS; m++) {
            lua_pushnumber(L, b->metrics[m]);
            lua_setfield(L, -2, ll_aml_metric_names[m]);
        }
        lua_setfield(L, -2, "best_metrics");
    }
    lua_newtable(L);
    for (size_t i = 0; i < j->fs.nf; i++) {
        lua_newtable(L);
        lua_pushstring(L, j->fs.f[i].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, j->fs.f[i].raw);
        lua_setfield(L, -2, "raw");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "features");
    lua_newtable(L);
    for (size_t i = 0; i < j->ntrials; i++) {
        const ll_aml_trial *t = &j->trials[j->order[i]];
        lua_newtable(L);
        lua_pushstring(L, t->model);
        lua_setfield(L, -2, "model");
        lua_pushboolean(L, t->ok);
        lua_setfield(L, -2, "ok");
        if (!t->ok) {
            lua_pushstring(L, t->error);
            lua_setfield(L, -2, "error");
        }
        lua_pushnumber(L, t->fit_seconds);
        lua_setfield(L, -2, "fit_seconds");
        lua_newtable(L);
        for (int m = 0; m < LL_AML_NMETRICS && t->ok; m++) {
            if (isnan(t->metrics[m]))
                continue;
            lua_pushnumber(L, t->metrics[m]);
            lua_setfield(L, -2, ll_aml_metric_names[m]);
        }
        lua_setfield(L, -2, "metrics");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "trials");
    return 1;
}

/* Push an empty Forecaster and return its slot: *slot = pipeline hands
 * the pipeline to Lua's garbage collector. */
static ll_aml_pipeline **new_forecaster(lua_State *L)
{
    lfc *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->p = NULL;
    luaL_setmetatable(L, FC_MT);
    return &u->p;
}

/* The fitted pipeline as a Forecaster (once; the job keeps none). */
static int l_job_take_best(lua_State *L)
{
    ll_aml_job *j = check_job(L, 1);
    if (!j->pipe) {
        lua_pushnil(L);
        return 1;
    }
    *new_forecaster(L) = j->pipe;
    j->pipe = NULL;
    return 1;
}

static ll_aml_pipeline *check_fc(lua_State *L, int idx)
{
    lfc *u = luaL_checkudata(L, idx, FC_MT);
    if (!u->p)
        luaL_error(L, "attempt to use a freed Forecaster");
    return u->p;
}

static int l_fc_gc(lua_State *L)
{
    lfc *u = luaL_checkudata(L, 1, FC_MT);
    ll_aml_pipeline_free(u->p);
    u->p = NULL;
    return 0;
}

static int l_fc_forecast(lua_State *L)
{
    ll_aml_pipeline *p = check_fc(L, 1);
    ll_err err = {0};
    ll_frame *fut = ll_lua_test_frame(L, 2);
    ll_frame *out;
    if (fut)
        out = ll_aml_pipeline_forecast(p, 0, fut, &err);
    else {
        if (!lua_isinteger(L, 2))
            return luaL_error(L,
                              "forecast: h (an integer) or a Frame of "
                              "future rows expected, got %s",
                              luaL_typename(L, 2));
        lua_Integer h = lua_tointeger(L, 2);
        if (h < 1)
            return luaL_error(L, "forecast: h must be at least 1, got %d",
                              (int)h);
        out = ll_aml_pipeline_forecast(p, (size_t)h, NULL, &err);
    }
    if (!out)
        return ll_lua_fail(L, &err);
    return push_frame(L, out, &err);
}

static int l_fc_save(lua_State *L)
{
    ll_aml_pipeline *p = check_fc(L, 1);
    const char *dir = luaL_checkstring(L, 2);
    ll_err err = {0};
    if (ll_aml_pipeline_save(p, dir, &err))
        return ll_lua_raise(L, &err);
    lua_pushstring(L, dir);
    return 1;
}

static int l_fc_model(lua_State *L)
{
    lua_pushstring(L, ll_aml_pipeline_model(check_fc(L, 1)));
    return 1;
}

static int l_fc_tostring(lua_State *L)
{
    ll_aml_pipeline *p = check_fc(L, 1);
    const ll_aml_table *t = ll_aml_pipeline_table(p);
    lua_pushfstring(L, "Forecaster(%s, target %s, %d series)",
                    ll_aml_pipeline_model(p), t->target, (int)t->nseries);
    return 1;
}

static int l_load(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    ll_err err = {0};
    ll_aml_pipeline **slot = new_forecaster(L);
    if (ll_aml_pipeline_load(dir, slot, &err))
        return ll_lua_fail(L, &err);
    return 1;
}

static int l_models(lua_State *L)
{
    const char *names[128];
    size_t n = ll_aml_model_names(names, 128);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int l_metrics(lua_State *L)
{
    lua_createtable(L, LL_AML_NMETRICS, 0);
    for (int m = 0; m < LL_AML_NMETRICS; m++) {
        lua_pushstring(L, ll_aml_metric_names[m]);
        lua_rawseti(L, -2, m + 1);
    }
    return 1;
}

static const ll_lua_fn job_methods[] = {
    {"leaderboard", l_job_leaderboard,
     "job:leaderboard() -> Frame -- rank, model, metrics, fit_seconds, error"},
    {"explanation", l_job_explanation,
     "job:explanation() -> Frame, model | nil, msg"},
    {"cv", l_job_cv,
     "job:cv() -> Frame -- the best model's CV predictions: series, fold, "
     "step, actual, predicted"},
    {"info", l_job_info, "job:info() -> table of settings and trials"},
    {"take_best", l_job_take_best, "job:take_best() -> Forecaster"},
    {NULL, NULL, NULL}};
static const ll_lua_fn job_meta[] = {{"__gc", l_job_gc, NULL},
                                     {NULL, NULL, NULL}};

static const ll_lua_fn fc_methods[] = {
    {"forecast", l_fc_forecast,
     "forecaster:forecast(h | future_frame) -> Frame -- series columns, "
     "time, forecast, lower, upper (95%)"},
    {"save", l_fc_save,
     "forecaster:save(dir) -- a model directory of flavor forecast"},
    {"model", l_fc_model, "forecaster:model() -> the model's name"},
    {NULL, NULL, NULL}};
static const ll_lua_fn fc_meta[] = {{"__gc", l_fc_gc, NULL},
                                    {"__tostring", l_fc_tostring, NULL},
                                    {NULL, NULL, NULL}};

static const ll_lua_fn module_fns[] = {
    {"_run", l_run, "automl._run(opts) -> job handle (see automl.forecast)"},
    {"load", l_load,
     "automl.load(dir) -> Forecaster | nil, msg -- a saved pipeline"},
    {"models", l_models, "automl.models() -> every model name"},
    {"metrics", l_metrics, "automl.metrics() -> every metric name"},
    {NULL, NULL, NULL}};

int luaopen_lualab_automl(lua_State *L);

int luaopen_lualab_automl(lua_State *L)
{
    ll_lua_newclass(L, JOB_MT, job_methods, job_meta);
    lua_pop(L, 1);
    ll_lua_newclass(L, FC_MT, fc_methods, fc_meta);
    lua_getfield(L, -1, "__index");
    lua_pushliteral(L, "forecast");
    lua_setfield(L, -2, "_flavor");
    lua_pop(L, 2);
    lua_newtable(L);
    ll_lua_setfuncs(L, "automl", module_fns);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lualab._automl");
    lua_call(L, 1, 1);
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
    return 1;
}

/* `lualab automl ...`: a kernel runs lualab._automl_cli's main with the
 * arguments after "automl"; its result is the exit code. */
int ll_cmd_automl(int argc, char **argv);

int ll_cmd_automl(int argc, char **argv)
{
    ll_err err = {0};
    ll_host *h = ll_host_new(argc, argv, &err);
    if (!h) {
        fprintf(stderr, "lualab automl: %s\n", err.msg);
        return 2;
    }
    /* On a terminal the leaderboard is a live table redrawn in place and
     * the search a progress bar; elsewhere progress lines. */
    ll_term_sink *live = NULL;
    if (isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) &&
        (live = ll_term_sink_new(0, 0, NULL)) != NULL) {
        struct winsize ws;
        int width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0
                        ? ws.ws_col
                        : 0;
        ll_display_opts dopts = {width, 0, 0};
        ll_host_set_display_opts(h, &dopts);
        ll_host_set_sink(h, ll_term_sink_get(live));
        ll_term_sink_begin(live, width);
    }
    lua_State *L = ll_host_lua(h);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lualab._automl_cli");
    int code = 2;
    if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
        lua_getfield(L, -1, "main");
        lua_createtable(L, argc, 0);
        for (int i = 1; i < argc; i++) {
            lua_pushstring(L, argv[i]);
            lua_rawseti(L, -2, i);
        }
        if (lua_pcall(L, 1, 1, 0) == LUA_OK)
            code = (int)luaL_optinteger(L, -1, 0);
        else
            fprintf(stderr, "lualab automl: %s\n", lua_tostring(L, -1));
    } else
        fprintf(stderr, "lualab automl: %s\n", lua_tostring(L, -1));
    ll_host_flush_displays(h);
    if (live) {
        ll_term_sink_end(live);
        ll_host_set_sink(h, NULL);
        ll_term_sink_free(live);
    }
    fflush(stdout);
    ll_host_free(h);
    return code;
}
