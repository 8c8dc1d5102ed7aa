/*
 * lua_plot: the `plot` module.  Thin: read tables into C arrays, call the
 * chart core, return a lualab.Plot userdata.
 *
 * Data may be a Lua table of numbers (nil holes count as NaN) or any value
 * with a `to_table()` method (a dataframe Column) or a `tolist()` method (a
 * 1-D tensor): the Lua-level protocol.  A Frame is read in C through the
 * frame's one matrix conversion (frame/lua_frame.h): each numeric column a
 * series named by its column.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "frame/lua_frame.h"
#include "host/lua_util.h"
#include "plot/plot.h"
#include "util/fsutil.h"

#define PLOT_MT "lualab.Plot"

typedef struct lplot {
    ll_plot *p;
    int width, height; /* preferred text size, 0: from the display */
} lplot;

static lplot *check_plot(lua_State *L, int idx)
{
    lplot *lp = luaL_checkudata(L, idx, PLOT_MT);
    if (!lp->p)
        luaL_error(L, "plot: the chart was closed");
    return lp;
}

/* Push a new, empty Plot userdata and return it (its chart is made after,
 * so an allocation error cannot leak). */
static lplot *new_plot(lua_State *L, ll_plot_kind kind)
{
    lplot *lp = lua_newuserdatauv(L, sizeof *lp, 0);
    lp->p = NULL;
    lp->width = lp->height = 0;
    luaL_setmetatable(L, PLOT_MT);
    ll_err err;
    lp->p = ll_plot_new(kind, &err);
    if (!lp->p) {
        ll_err_prefix(&err, "plot");
        ll_lua_raise(L, &err);
    }
    return lp;
}

static void check_rc(lua_State *L, int rc, const ll_err *err)
{
    if (rc < 0)
        ll_lua_raise(L, err);
}

/* Replace the value at idx by a plain table when it offers to_table() or
 * tolist().  Returns the absolute index of the table. */
static int as_table(lua_State *L, int idx, const char *fn, const char *key)
{
    idx = lua_absindex(L, idx);
    if (lua_istable(L, idx) && !lua_getmetatable(L, idx))
        return idx;
    if (lua_istable(L, idx))
        lua_pop(L, 1);             /* the metatable */
    if (ll_lua_test_frame(L, idx)) /* labels = f: which column? */
        luaL_error(
            L, "%s: option '%s': a Column expected, got Frame (give f.name)",
            fn, key);
    static const char *const methods[] = {"to_table", "tolist"};
    if (lua_type(L, idx) == LUA_TTABLE || lua_type(L, idx) == LUA_TUSERDATA) {
        for (int i = 0; i < 2; i++) {
            if (lua_getfield(L, idx, methods[i]) == LUA_TFUNCTION) {
                lua_pushvalue(L, idx);
                lua_call(L, 1, 1);
                if (!lua_istable(L, -1))
                    luaL_error(L,
                               "%s: option '%s': %s() did not return a "
                               "table",
                               fn, key, methods[i]);
                lua_replace(L, idx);
                return idx;
            }
            lua_pop(L, 1);
        }
        if (lua_istable(L, idx))
            return idx;
    }
    return luaL_error(
        L,
        "%s: option '%s': table, Column, Frame or Tensor expected, "
        "got %s",
        fn, key, luaL_typename(L, idx));
}

/* The numeric (bool, int, float) columns of the Frame at idx as series.
 * The values pass through the frame's one matrix conversion (NA becomes
 * NaN, a gap in the chart) into a userdata pushed on the stack: column
 * after column, f->nrow values each.  The frame, anchored at idx, keeps the
 * names valid. */
typedef struct frame_series {
    int n;          /* numeric columns */
    size_t rows;    /* values in each */
    const int *col; /* their indexes in the frame */
    double *v;      /* n * rows values, column-major */
} frame_series;

static void frame_numbers(lua_State *L, const ll_frame *f, const char *fn,
                          const char *key, frame_series *fs)
{
    int *col =
        lua_newuserdatauv(L, (size_t)(f->ncol ? f->ncol : 1) * sizeof *col, 0);
    int n = 0;
    for (int i = 0; i < f->ncol; i++) {
        ll_dtype t = f->cols[i]->type;
        if (t == LL_BOOL || t == LL_INT || t == LL_FLOAT)
            col[n++] = i;
    }
    if (n == 0)
        luaL_error(L, "%s: option '%s': the Frame has no numeric column", fn,
                   key);
    size_t rows = (size_t)f->nrow, cells = rows * (size_t)n;
    float *m = lua_newuserdatauv(L, (cells ? cells : 1) * sizeof *m, 0);
    ll_err err;
    ll_err_clear(&err);
    if (ll_frame_to_matrix_nan(f, col, n, m, n, &err) != LL_OK) {
        ll_err_prefix(&err, "%s: option '%s'", fn, key);
        ll_lua_raise(L, &err);
    }
    double *v = lua_newuserdatauv(L, (cells ? cells : 1) * sizeof *v, 0);
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < n; k++)
            v[(size_t)k * rows + r] = m[r * (size_t)n + (size_t)k];
    lua_remove(L, -2); /* the float matrix; col stays under v */
    fs->n = n;
    fs->rows = rows;
    fs->col = col;
    fs->v = v;
}

/* Read numbers from the array at idx into a userdata buffer pushed on the
 * stack (freed by the collector).  nil elements become NaN. */
/* x given as ISO date strings: the type they had (0: numbers). */
static int dates_seen;

static double *read_numbers(lua_State *L, int idx, const char *fn,
                            const char *key, size_t *n)
{
    int is_x = strcmp(key, "x") == 0;
    const ll_frame *f = ll_lua_test_frame(L, idx);
    if (f) {
        frame_series fs;
        frame_numbers(L, f, fn, key, &fs);
        if (fs.n != 1)
            luaL_error(L,
                       "%s: option '%s': the Frame has %d numeric columns, "
                       "one expected (give a column, f.name)",
                       fn, key, fs.n);
        *n = fs.rows;
        return fs.v;
    }
    idx = as_table(L, idx, fn, key);
    size_t len = (size_t)lua_rawlen(L, idx);
    double *v = lua_newuserdatauv(L, (len ? len : 1) * sizeof *v, 0);
    for (size_t i = 0; i < len; i++) {
        int t = lua_rawgeti(L, idx, (lua_Integer)i + 1);
        if (t == LUA_TNUMBER)
            v[i] = lua_tonumber(L, -1);
        else if (t == LUA_TNIL)
            v[i] = (double)NAN;
        else if (t == LUA_TSTRING && is_x) {
            int xt;
            if (ll_plot_parse_date(lua_tostring(L, -1), &v[i], &xt) != LL_OK)
                luaL_error(L,
                           "%s: option 'x': element %d: '%s' is not a date "
                           "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)",
                           fn, (int)i + 1, lua_tostring(L, -1));
            if (dates_seen && dates_seen != xt)
                luaL_error(L,
                           "%s: option 'x': element %d mixes dates and "
                           "date-times",
                           fn, (int)i + 1);
            dates_seen = xt;
        } else
            luaL_error(L,
                       "%s: option '%s': element %d is a %s, number "
                       "expected",
                       fn, key, (int)i + 1, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    *n = len;
    return v;
}

/* Read the array field key of the table at idx as strings (numbers are
 * converted).  The strings live in a table pushed on the stack, the pointer
 * array in a userdata pushed after it. */
static const char **read_strings(lua_State *L, int idx, const char *fn,
                                 const char *key, size_t *n)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L); /* anchor */
    int anchor = lua_gettop(L);
    size_t len = 0;
    if (lua_getfield(L, idx, key) != LUA_TNIL) {
        int t = as_table(L, -1, fn, key);
        len = (size_t)lua_rawlen(L, t);
        for (size_t i = 0; i < len; i++) {
            lua_rawgeti(L, t, (lua_Integer)i + 1);
            if (!lua_isstring(L, -1) && !lua_isnil(L, -1))
                luaL_error(L,
                           "%s: option '%s': element %d is a %s, string "
                           "expected",
                           fn, key, (int)i + 1, luaL_typename(L, -1));
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                lua_pushliteral(L, "");
            }
            lua_tostring(L, -1);
            lua_rawseti(L, anchor, (lua_Integer)i + 1);
        }
    }
    lua_pop(L, 1);
    const char **s = lua_newuserdatauv(L, (len ? len : 1) * sizeof *s, 0);
    for (size_t i = 0; i < len; i++) {
        lua_rawgeti(L, anchor, (lua_Integer)i + 1);
        s[i] = lua_tostring(L, -1);
        lua_pop(L, 1); /* still anchored */
    }
    *n = len;
    return s;
}

static int read_color(lua_State *L, int idx, const char *fn)
{
    static const char *const names[] = {"blue",   "orange", "green", "red",
                                        "purple", "cyan",   NULL};
    int t = lua_getfield(L, idx, "color");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        t = lua_getfield(L, idx, "colour");
    }
    int c = 0;
    if (t == LUA_TNUMBER) {
        c = (int)lua_tointeger(L, -1);
        if (c < 1 || c > 6)
            luaL_error(L, "%s: option 'color': %d out of range 1..6", fn, c);
    } else if (t == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        for (int i = 0; names[i]; i++)
            if (strcmp(s, names[i]) == 0)
                c = i + 1;
        if (!c)
            luaL_error(L,
                       "%s: option 'color': unknown colour '%s' (blue, "
                       "orange, green, red, purple, cyan or 1..6)",
                       fn, s);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "%s: option 'color': string or number expected, got %s",
                   fn, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return c;
}

static void read_lim(lua_State *L, int idx, const char *fn, const char *key,
                     double *lo, double *hi)
{
    int t = lua_getfield(L, idx, key);
    if (t == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        if (!lua_isnumber(L, -2) || !lua_isnumber(L, -1))
            luaL_error(L, "%s: option '%s': {low, high} numbers expected", fn,
                       key);
        *lo = lua_tonumber(L, -2);
        *hi = lua_tonumber(L, -1);
        if (!(*lo < *hi))
            luaL_error(L, "%s: option '%s': low must be below high", fn, key);
        lua_pop(L, 2);
    } else if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        *lo = *hi = (double)NAN; /* false: back to automatic */
    } else if (t != LUA_TNIL) {
        luaL_error(L, "%s: option '%s': {low, high} expected, got %s", fn, key,
                   luaL_typename(L, -1));
    }
    lua_pop(L, 1);
}

static double opt_num_or_nan(lua_State *L, int idx, const char *fn,
                             const char *key, double cur)
{
    int t = lua_getfield(L, idx, key);
    double v = cur;
    if (t == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        v = (double)NAN;
    else if (t != LUA_TNIL)
        luaL_error(L, "%s: option '%s': number expected, got %s", fn, key,
                   luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

/* The options every kind takes (also p:set). */
static void read_options(lua_State *L, int idx, lplot *lp, const char *fn)
{
    ll_plot *p = lp->p;
    ll_plot_opts *o = ll_plot_options(p);
    ll_err err;
    static const char *const texts[] = {"title", "xlabel", "ylabel"};
    for (int i = 0; i < 3; i++) {
        int t = lua_getfield(L, idx, texts[i]);
        if (t == LUA_TSTRING || t == LUA_TNUMBER)
            check_rc(L, ll_plot_set_text(p, i, lua_tostring(L, -1), &err),
                     &err);
        else if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
            check_rc(L, ll_plot_set_text(p, i, NULL, &err), &err);
        else if (t != LUA_TNIL)
            luaL_error(L, "%s: option '%s': string expected, got %s", fn,
                       texts[i], luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    lp->width = (int)ll_opt_int(L, idx, "width", lp->width);
    lp->height = (int)ll_opt_int(L, idx, "height", lp->height);
    if (lp->width < 0 || lp->height < 0)
        luaL_error(L, "%s: option 'width'/'height' must not be negative", fn);
    read_lim(L, idx, fn, "xlim", &o->xmin, &o->xmax);
    read_lim(L, idx, fn, "ylim", &o->ymin, &o->ymax);
    const char *log = ll_opt_str(L, idx, "log", NULL);
    if (log) {
        if (strcmp(log, "x") && strcmp(log, "y") && strcmp(log, "xy") &&
            strcmp(log, "") && strcmp(log, "none"))
            luaL_error(L,
                       "%s: option 'log': \"x\", \"y\", \"xy\" or \"none\" "
                       "expected, got \"%s\"",
                       fn, log);
        o->xlog = strchr(log, 'x') != NULL;
        o->ylog = strchr(log, 'y') != NULL;
    }
    o->xlog = ll_opt_bool(L, idx, "xlog", o->xlog);
    o->ylog = ll_opt_bool(L, idx, "ylog", o->ylog);
    const char *xt = ll_opt_str(L, idx, "x_type", NULL);
    if (xt) {
        if (strcmp(xt, "number") == 0)
            o->x_type = LL_PLOT_XNUM;
        else if (strcmp(xt, "date") == 0)
            o->x_type = LL_PLOT_XDATE;
        else if (strcmp(xt, "datetime") == 0)
            o->x_type = LL_PLOT_XDATETIME;
        else
            luaL_error(L,
                       "%s: option 'x_type': \"number\", \"date\" or "
                       "\"datetime\" expected, got \"%s\"",
                       fn, xt);
    }
    o->hline = opt_num_or_nan(L, idx, fn, "hline", o->hline);
    o->vline = opt_num_or_nan(L, idx, fn, "vline", o->vline);
    o->identity = ll_opt_bool(L, idx, "identity", o->identity);
    o->markers = ll_opt_bool(L, idx, "markers", o->markers);
    o->sort = ll_opt_bool(L, idx, "sort", o->sort);
    lua_Integer bins = ll_opt_int(L, idx, "bins", o->bins);
    if (bins < 0 || bins > 100000)
        luaL_error(L, "%s: option 'bins': %d out of range 1..100000", fn,
                   (int)bins);
    o->bins = (int)bins;
    ll_plot_touch(p);
}

/* x, y and series for line/scatter/hist/sparkline. */
static void read_series(lua_State *L, int idx, lplot *lp, const char *fn,
                        int need)
{
    ll_plot *p = lp->p;
    ll_err err;
    int top = lua_gettop(L);
    size_t nx = 0, ny;
    double *x = NULL;
    dates_seen = 0;
    if (lua_getfield(L, idx, "x") != LUA_TNIL)
        x = read_numbers(L, -1, fn, "x", &nx);
    if (dates_seen) /* ISO strings say what the axis is */
        ll_plot_options(p)->x_type = dates_seen;
    int has_series = lua_getfield(L, idx, "series") != LUA_TNIL;
    int has_y = lua_getfield(L, idx, "y") != LUA_TNIL;
    lua_pop(L, 1);
    if (!has_series && !has_y) {
        if (need)
            luaL_error(L, "%s: option 'y' (or 'series') is required", fn);
        lua_settop(L, top);
        return;
    }
    ll_plot_clear_series(p);
    const ll_frame *fy = NULL;
    if (has_y) {
        lua_getfield(L, idx, "y");
        fy = ll_lua_test_frame(L, -1);
    }
    if (fy) { /* one series per numeric column, named by it */
        frame_series fs;
        frame_numbers(L, fy, fn, "y", &fs);
        if (x && nx != fs.rows)
            luaL_error(L, "%s: 'x' has %d values but 'y' has %d", fn, (int)nx,
                       (int)fs.rows);
        int color = read_color(L, idx, fn);
        const char *name = ll_opt_str(L, idx, "name", NULL);
        if (fs.n > 1 && (name || color))
            luaL_error(L,
                       "%s: option '%s': the Frame gives %d series; name "
                       "and colour them with series={{name=, y=, "
                       "color=}, ...}",
                       fn, name ? "name" : "color", fs.n);
        for (int k = 0; k < fs.n; k++)
            check_rc(L,
                     ll_plot_add_series(p, name ? name : fy->names[fs.col[k]],
                                        x, fs.v + (size_t)k * fs.rows, fs.rows,
                                        color, &err),
                     &err);
    } else if (has_y) {
        double *y = read_numbers(L, -1, fn, "y", &ny);
        if (x && nx != ny)
            luaL_error(L, "%s: 'x' has %d values but 'y' has %d", fn, (int)nx,
                       (int)ny);
        const char *name = ll_opt_str(L, idx, "name", NULL);
        check_rc(
            L,
            ll_plot_add_series(p, name, x, y, ny, read_color(L, idx, fn), &err),
            &err);
    }
    if (has_series) {
        lua_getfield(L, idx, "series");
        int st = lua_gettop(L);
        if (!lua_istable(L, st))
            luaL_error(L, "%s: option 'series': table expected, got %s", fn,
                       luaL_typename(L, st));
        size_t ns = (size_t)lua_rawlen(L, st);
        for (size_t i = 1; i <= ns; i++) {
            lua_rawgeti(L, st, (lua_Integer)i);
            int si = lua_gettop(L);
            if (!lua_istable(L, si))
                luaL_error(L, "%s: series %d: table {name=, y=} expected", fn,
                           (int)i);
            if (lua_getfield(L, si, "y") == LUA_TNIL)
                luaL_error(L, "%s: series %d: 'y' is required", fn, (int)i);
            double *y = read_numbers(L, -1, fn, "y", &ny);
            double *sx = x;
            size_t snx = nx;
            if (lua_getfield(L, si, "x") != LUA_TNIL)
                sx = read_numbers(L, -1, fn, "x", &snx);
            if (sx && snx != ny)
                luaL_error(L,
                           "%s: series %d: 'x' has %d values but 'y' has "
                           "%d",
                           fn, (int)i, (int)snx, (int)ny);
            const char *name = ll_opt_str(L, si, "name", NULL);
            check_rc(L,
                     ll_plot_add_series(p, name, sx, y, ny,
                                        read_color(L, si, fn), &err),
                     &err);
            lua_settop(L, st);
        }
    }
    lua_settop(L, top);
}

/* Push the option 'values' and return 1; without it, raise when need
 * (a new chart) or push nothing and return 0 (p:set). */
static int get_values(lua_State *L, int idx, const char *fn, int need)
{
    if (lua_getfield(L, idx, "values") != LUA_TNIL)
        return 1;
    if (need)
        luaL_error(L, "%s: option 'values' is required", fn);
    lua_pop(L, 1);
    return 0;
}

static void read_bars(lua_State *L, int idx, lplot *lp, const char *fn,
                      int need)
{
    int top = lua_gettop(L);
    ll_err err;
    if (!get_values(L, idx, fn, need))
        return;
    size_t n, nl;
    double *v = read_numbers(L, -1, fn, "values", &n);
    int has_labels = lua_getfield(L, idx, "labels") != LUA_TNIL;
    lua_pop(L, 1);
    const char **labels = read_strings(L, idx, fn, "labels", &nl);
    if (has_labels && nl != n)
        luaL_error(L, "%s: 'labels' has %d entries but 'values' has %d", fn,
                   (int)nl, (int)n);
    check_rc(L, ll_plot_set_bars(lp->p, has_labels ? labels : NULL, v, n, &err),
             &err);
    lua_settop(L, top);
}

/* The rows of the table of rows at idx as a row-major matrix in a userdata
 * pushed on the stack (NULL when there are no rows). */
static double *table_matrix(lua_State *L, int idx, const char *fn,
                            size_t *nrows, size_t *ncols)
{
    int mt = as_table(L, idx, fn, "values");
    size_t rows = (size_t)lua_rawlen(L, mt), cols = 0;
    double *m = NULL;
    lua_pushnil(L); /* the matrix's slot */
    for (size_t r = 0; r < rows; r++) {
        lua_rawgeti(L, mt, (lua_Integer)r + 1);
        size_t n;
        double *row = read_numbers(L, -1, fn, "values", &n);
        if (r == 0) {
            cols = n;
            m = lua_newuserdatauv(
                L, (rows * cols > 0 ? rows * cols : 1) * sizeof *m, 0);
            lua_replace(L, mt + 1);
        } else if (n != cols) {
            luaL_error(L,
                       "%s: option 'values': row %d has %d values, row 1 "
                       "has %d",
                       fn, (int)r + 1, (int)n, (int)cols);
        }
        memcpy(m + r * cols, row, cols * sizeof *m);
        lua_settop(L, mt + 1);
    }
    *nrows = rows;
    *ncols = cols;
    return m;
}

/* A Frame's numeric columns as a row-major matrix in a userdata pushed on
 * the stack: the heatmap's columns are the frame's. */
static double *frame_matrix(lua_State *L, const ll_frame *f, const char *fn,
                            size_t *nrows, size_t *ncols)
{
    frame_series fs;
    frame_numbers(L, f, fn, "values", &fs);
    size_t rows = fs.rows, cols = (size_t)fs.n;
    double *m = lua_newuserdatauv(
        L, (rows * cols > 0 ? rows * cols : 1) * sizeof *m, 0);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            m[r * cols + c] = fs.v[c * rows + r];
    *nrows = rows;
    *ncols = cols;
    return m;
}

static void read_matrix(lua_State *L, int idx, lplot *lp, const char *fn,
                        int need)
{
    int top = lua_gettop(L);
    ll_err err;
    if (!get_values(L, idx, fn, need))
        return;
    size_t rows, cols;
    const ll_frame *f = ll_lua_test_frame(L, -1);
    double *m = f ? frame_matrix(L, f, fn, &rows, &cols)
                  : table_matrix(L, -1, fn, &rows, &cols);
    size_t nx, ny;
    int hx = lua_getfield(L, idx, "xlabels") != LUA_TNIL;
    int hy = lua_getfield(L, idx, "ylabels") != LUA_TNIL;
    lua_pop(L, 2);
    const char **xl = read_strings(L, idx, fn, "xlabels", &nx);
    const char **yl = read_strings(L, idx, fn, "ylabels", &ny);
    if (hx && nx != cols)
        luaL_error(L, "%s: 'xlabels' has %d entries for %d columns", fn,
                   (int)nx, (int)cols);
    if (hy && ny != rows)
        luaL_error(L, "%s: 'ylabels' has %d entries for %d rows", fn, (int)ny,
                   (int)rows);
    static const double none = 0;
    check_rc(L,
             ll_plot_set_matrix(lp->p, m ? m : &none, rows, cols,
                                hx ? xl : NULL, hy ? yl : NULL, &err),
             &err);
    lua_settop(L, top);
}

static void read_data(lua_State *L, int idx, lplot *lp, const char *fn,
                      int need)
{
    switch (ll_plot_kind_of(lp->p)) {
    case LL_PLOT_BAR:
    case LL_PLOT_BARH:
        read_bars(L, idx, lp, fn, need);
        break;
    case LL_PLOT_HEATMAP:
        read_matrix(L, idx, lp, fn, need);
        break;
    case LL_PLOT_GRID:
        break;
    default:
        read_series(L, idx, lp, fn, need);
    }
}

/* The option names each kind of chart takes (unknown names are errors). */
#define COMMON_OPTS                                                            \
    "title", "xlabel", "ylabel", "width", "height", "xlim", "ylim", "log",     \
        "xlog", "ylog", "x_type", "hline", "vline", "identity", "markers",     \
        "sort", "bins"
static const char *const series_opts[] = {
    COMMON_OPTS, "x", "y", "series", "name", "color", "colour", NULL};
static const char *const bar_opts[] = {COMMON_OPTS, "values", "labels", NULL};
static const char *const matrix_opts[] = {COMMON_OPTS, "values", "xlabels",
                                          "ylabels", NULL};
static const char *const grid_opts[] = {COMMON_OPTS, NULL};

static const char *const *opts_of(ll_plot_kind kind)
{
    switch (kind) {
    case LL_PLOT_BAR:
    case LL_PLOT_BARH:
        return bar_opts;
    case LL_PLOT_HEATMAP:
        return matrix_opts;
    case LL_PLOT_GRID:
        return grid_opts;
    default:
        return series_opts;
    }
}

static int make(lua_State *L, ll_plot_kind kind, const char *fn)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ll_lua_check_opts(L, 1, fn, opts_of(kind));
    lplot *lp = new_plot(L, kind);
    read_options(L, 1, lp, fn);
    read_data(L, 1, lp, fn, 1);
    return 1;
}

static int l_plot_line(lua_State *L)
{
    return make(L, LL_PLOT_LINE, "plot.line");
}

static int l_plot_scatter(lua_State *L)
{
    return make(L, LL_PLOT_SCATTER, "plot.scatter");
}

static int l_plot_bar(lua_State *L)
{
    return make(L, LL_PLOT_BAR, "plot.bar");
}

static int l_plot_barh(lua_State *L)
{
    return make(L, LL_PLOT_BARH, "plot.barh");
}

static int l_plot_hist(lua_State *L)
{
    return make(L, LL_PLOT_HIST, "plot.hist");
}

static int l_plot_heatmap(lua_State *L)
{
    return make(L, LL_PLOT_HEATMAP, "plot.heatmap");
}

static int l_plot_sparkline(lua_State *L)
{
    return make(L, LL_PLOT_SPARKLINE, "plot.sparkline");
}

static int l_plot_grid(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ll_lua_check_opts(L, 1, "plot.grid", grid_opts);
    lplot *lp = new_plot(L, LL_PLOT_GRID);
    read_options(L, 1, lp, "plot.grid");
    size_t n = (size_t)lua_rawlen(L, 1);
    if (n == 0)
        return luaL_error(L, "plot.grid: give the charts as {p1, p2, ...}");
    ll_err err;
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, (lua_Integer)i);
        lplot *c = luaL_testudata(L, -1, PLOT_MT);
        if (!c || !c->p)
            return luaL_error(L,
                              "plot.grid: element %d is a %s, Plot "
                              "expected",
                              (int)i, luaL_typename(L, -1));
        check_rc(L, ll_plot_grid_add(lp->p, c->p, &err), &err);
        lua_pop(L, 1);
    }
    return 1;
}

/* ---- methods ---- */

static void size_from(lua_State *L, int idx, const lplot *lp, int *w, int *h,
                      int dw, int dh)
{
    *w = lp->width ? lp->width : dw;
    *h = lp->height ? lp->height : dh;
    if (lua_istable(L, idx)) {
        *w = (int)ll_opt_int(L, idx, "width", *w);
        *h = (int)ll_opt_int(L, idx, "height", *h);
    }
    if (*w <= 0 || *h <= 0 || *w > 100000 || *h > 100000)
        luaL_error(L, "plot: width and height must be positive");
}

static int l_plot_text(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    int w, h;
    static const char *const text_opts[] = {"width", "height", "color", "ascii",
                                            NULL};
    ll_lua_check_opts(L, 2, "plot:text", text_opts);
    size_from(L, 2, lp, &w, &h, 80, 20);
    int color = 0, unicode = ll_plot_unicode_default();
    if (lua_istable(L, 2)) {
        color = ll_opt_bool(L, 2, "color", 0);
        unicode = !ll_opt_bool(L, 2, "ascii", !unicode);
    }
    ll_buf b;
    ll_buf_init(&b);
    ll_err err;
    int rc = ll_plot_render_text(lp->p, w, h, unicode, color, &b, &err);
    if (rc) {
        ll_buf_free(&b);
        return ll_lua_raise(L, &err);
    }
    lua_pushlstring(L, ll_buf_str(&b), b.len);
    ll_buf_free(&b);
    return 1;
}

static int push_svg(lua_State *L, const lplot *lp, int w, int h)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_err err;
    int rc = ll_plot_render_svg(lp->p, w, h, &b, &err);
    if (rc) {
        ll_buf_free(&b);
        return ll_lua_raise(L, &err);
    }
    lua_pushlstring(L, ll_buf_str(&b), b.len);
    ll_buf_free(&b);
    return 1;
}

static void svg_size(lua_State *L, int idx, int *w, int *h)
{
    static const char *const svg_opts[] = {"width", "height", NULL};
    ll_lua_check_opts(L, idx, "plot:svg", svg_opts);
    *w = 0;
    *h = 0;
    if (lua_istable(L, idx)) {
        *w = (int)ll_opt_int(L, idx, "width", 0);
        *h = (int)ll_opt_int(L, idx, "height", 0);
    }
    if (*w < 0 || *h < 0 || *w > 20000 || *h > 20000)
        luaL_error(L, "plot: svg width and height must be in 1..20000");
}

static int l_plot_svg(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    int w, h;
    svg_size(L, 2, &w, &h);
    return push_svg(L, lp, w, h);
}

static int l_plot_save(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    const char *path = luaL_checkstring(L, 2);
    int w, h;
    svg_size(L, 3, &w, &h);
    const char *ext = ll_path_ext(path);
    ll_err err;
    if (strcmp(ext, "svg") != 0) {
        ll_err_set(&err, LL_EINVAL, "plot:save: '%s': only .svg is supported",
                   path);
        return ll_lua_fail(L, &err);
    }
    if (ll_plot_save_svg(lp->p, path, w, h, &err) != LL_OK)
        return ll_lua_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_plot_append(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    ll_plot *p = lp->p;
    ll_err err;
    ll_plot_kind k = ll_plot_kind_of(p);
    if (k == LL_PLOT_BAR || k == LL_PLOT_BARH || k == LL_PLOT_HEATMAP ||
        k == LL_PLOT_GRID)
        return luaL_error(L,
                          "plot:append: a %s chart has no series (use "
                          "p:set{...})",
                          ll_plot_kind_name(k));
    size_t series = 0;
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *name = lua_tostring(L, 2);
        size_t ns = ll_plot_nseries(p), i;
        for (i = 0; i < ns; i++) {
            const char *sn = ll_plot_series_name(p, i);
            if (sn && strcmp(sn, name) == 0)
                break;
        }
        if (i == ns)
            check_rc(L, ll_plot_add_series(p, name, NULL, NULL, 0, 0, &err),
                     &err);
        series = i;
    } else {
        lua_Integer s = luaL_checkinteger(L, 2);
        size_t ns = ll_plot_nseries(p);
        if (s == (lua_Integer)ns + 1) /* a new series, in order */
            check_rc(L, ll_plot_add_series(p, NULL, NULL, NULL, 0, 0, &err),
                     &err);
        else if (s < 1 || s > (lua_Integer)ns)
            return luaL_error(L,
                              "plot:append: no series %d (the chart has "
                              "%d)",
                              (int)s, (int)ns);
        series = (size_t)(s - 1);
    }
    double x, y;
    if (lua_isnoneornil(L, 4)) {
        x = (double)NAN;
        y = luaL_checknumber(L, 3);
    } else {
        x = luaL_checknumber(L, 3);
        y = luaL_checknumber(L, 4);
    }
    check_rc(L, ll_plot_append(p, series, x, y, &err), &err);
    lua_settop(L, 1);
    return 1;
}

static int l_plot_set(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    ll_lua_check_opts(L, 2, "plot:set", opts_of(ll_plot_kind_of(lp->p)));
    read_options(L, 2, lp, "plot:set");
    read_data(L, 2, lp, "plot:set", 0);
    lua_settop(L, 1);
    return 1;
}

static int l_plot_version(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    lua_pushinteger(L, (lua_Integer)ll_plot_version(lp->p));
    return 1;
}

static int l_plot_kind(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    lua_pushstring(L, ll_plot_kind_name(ll_plot_kind_of(lp->p)));
    return 1;
}

static int l_plot_display(lua_State *L)
{
    lplot *lp = check_plot(L, 1);
    int ow = 80, oh = 20, color = 0;
    if (lua_istable(L, 2)) {
        ow = (int)ll_opt_int(L, 2, "width", 80);
        oh = (int)ll_opt_int(L, 2, "height", 0);
        color = ll_opt_bool(L, 2, "color", 0);
    }
    if (ow <= 0)
        ow = 80;
    if (oh <= 0)
        oh = 20;
    int w = lp->width && lp->width < ow ? lp->width : ow;
    int h = lp->height ? lp->height : oh;
    ll_err err;
    ll_plot_cells cells;
    int rc = ll_plot_render_cells(lp->p, w, h, ll_plot_unicode_default(),
                                  &cells, &err);
    if (rc)
        return ll_lua_raise(L, &err);
    ll_buf b;
    ll_buf_init(&b);
    lua_createtable(L, 0, 4);
    if (ll_plot_cells_text(&cells, 0, &b) == LL_OK) {
        lua_pushlstring(L, ll_buf_str(&b), b.len);
        lua_setfield(L, -2, "text");
    }
    if (color) {
        ll_buf_reset(&b);
        if (ll_plot_cells_text(&cells, 1, &b) == LL_OK) {
            lua_pushlstring(L, ll_buf_str(&b), b.len);
            lua_setfield(L, -2, "ansi");
        }
    }
    ll_plot_cells_free(&cells);
    ll_buf_reset(&b);
    rc = ll_plot_render_svg(lp->p, 0, 0, &b, &err);
    if (rc == LL_OK) {
        lua_pushlstring(L, ll_buf_str(&b), b.len);
        lua_setfield(L, -2, "svg");
    }
    ll_buf_free(&b);
    lua_pushliteral(L, "plot");
    lua_setfield(L, -2, "kind");
    /* the display record carries the chart's id to the front end */
    lua_pushinteger(L, (lua_Integer)ll_plot_id(lp->p));
    lua_setfield(L, -2, "id");
    ll_plot_set_shown_size(lp->p, w, h);
    return 1;
}

static int l_plot_tostring(lua_State *L)
{
    lplot *lp = luaL_checkudata(L, 1, PLOT_MT);
    if (!lp->p) {
        lua_pushliteral(L, "Plot (closed)");
        return 1;
    }
    size_t pts = 0, ns = ll_plot_nseries(lp->p);
    for (size_t i = 0; i < ns; i++)
        pts += ll_plot_series_len(lp->p, i);
    lua_pushfstring(L, "Plot(%s, %d series, %d points)",
                    ll_plot_kind_name(ll_plot_kind_of(lp->p)), (int)ns,
                    (int)pts);
    return 1;
}

static int l_plot_gc(lua_State *L)
{
    lplot *lp = luaL_checkudata(L, 1, PLOT_MT);
    ll_plot_free(lp->p);
    lp->p = NULL;
    return 0;
}

static const ll_lua_fn plot_fns[] = {
    {"line", l_plot_line,
     "line{x=, y= | series={{name=, y=}, ...}, title=, ...} -> Plot -- A "
     "line chart (y a table, Column, Tensor, or a Frame: one series per "
     "numeric column)."},
    {"scatter", l_plot_scatter,
     "scatter{x=, y=, identity=, ...} -> Plot -- A scatter chart."},
    {"bar", l_plot_bar, "bar{labels=, values=, ...} -> Plot -- Vertical bars."},
    {"barh", l_plot_barh,
     "barh{labels=, values=, sort=true, ...} -> Plot -- Horizontal bars, "
     "largest first (feature importance)."},
    {"hist", l_plot_hist,
     "hist{y=, bins=\"auto\"|n, ...} -> Plot -- A histogram (numpy's auto "
     "bins)."},
    {"heatmap", l_plot_heatmap,
     "heatmap{values={{...}}, xlabels=, ylabels=, ...} -> Plot -- A "
     "heatmap with values in the cells (confusion matrix)."},
    {"sparkline", l_plot_sparkline,
     "sparkline{y=, title=} -> Plot -- A one-line chart."},
    {"grid", l_plot_grid,
     "grid{p1, p2, ..., title=} -> Plot -- Charts side by side."},
    {NULL, NULL, NULL}};

static const ll_lua_fn plot_methods[] = {
    {"text", l_plot_text,
     "text{width=80, height=20, color=false, ascii=} -> string -- The chart "
     "as text."},
    {"svg", l_plot_svg,
     "svg{width=640, height=400} -> string -- The chart as an SVG "
     "document."},
    {"save", l_plot_save,
     "save(path [, {width=, height=}]) -> true | nil, msg -- Write the "
     "chart as SVG, atomically."},
    {"append", l_plot_append,
     "append(series, [x,] y) -> self -- Add a point to a series (index or "
     "name; a new name adds a series)."},
    {"set", l_plot_set,
     "set{title=, y=, values=, xlim=, ...} -> self -- Change options or "
     "data in place (live charts)."},
    {"version", l_plot_version,
     "version() -> integer -- Bumped on every change."},
    {"kind", l_plot_kind, "kind() -> string -- \"line\", \"bar\", ..."},
    {NULL, NULL, NULL}};

static const ll_lua_fn plot_meta[] = {{"__gc", l_plot_gc, NULL},
                                      {"__close", l_plot_gc, NULL},
                                      {"__tostring", l_plot_tostring, NULL},
                                      {"__display", l_plot_display, NULL},
                                      {NULL, NULL, NULL}};

int luaopen_lualab_plot(lua_State *L);
int luaopen_lualab_plot(lua_State *L)
{
    ll_lua_newclass(L, PLOT_MT, plot_methods, plot_meta);
    lua_pop(L, 1);
    lua_newtable(L);
    ll_lua_setfuncs(L, "plot", plot_fns);
    return 1;
}
