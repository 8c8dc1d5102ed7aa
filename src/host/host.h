/*
 * host: one Lua 5.4 state per notebook session (a "kernel").
 *
 * The host preloads every lualab module (C modules from the generated
 * registry, Lua modules embedded from lua/) and sets them as globals; runs
 * cells under lua_pcall with a traceback whose line numbers are the cell's
 * own; sends print/io.write, displayed values and progress to the front
 * end's sink; and turns SIGINT or a time limit into a Lua error
 * "interrupted" at the next instruction, leaving the state usable.
 *
 * Front ends (main.c, repl/, notebook/runner, ui/) use this header; they
 * never reach into core structs.
 */
#ifndef LL_HOST_H
#define LL_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>

#include "util/err.h"
#include "util/signals.h"

typedef struct ll_host ll_host;

/* A value shown by the display protocol (Jupyter's mime bundle). */
typedef struct ll_display {
    char *text;  /* text/plain, always set */
    char *ansi;  /* the same with ANSI colour, or NULL */
    char *svg;   /* image/svg+xml, or NULL */
    char *kind;  /* "value", "frame", "plot", "tensor", ... */
    uint64_t id; /* kind "plot": the chart's id (plot.h ll_plot_find), so a
                    front end can redraw it live; else 0 */
    /* An updatable display (lualab.display(x, {update = true})): its id
     * ("ll-1", Jupyter's transient display_id), else NULL.  update is 0 for
     * the first version and 1 for a version that replaces, in place, the
     * output first shown with the same id. */
    char *display_id;
    int update;
} ll_display;

void ll_display_free(ll_display *d);

/* Where a running cell's output goes.  Any callback may be NULL. */
typedef struct ll_sink {
    /* name is "stdout" or "stderr" */
    void (*stream)(void *ud, const char *name, const char *data, size_t len);
    /* display(x) called inside a cell (Jupyter's display_data) */
    void (*display)(void *ud, const ll_display *d);
    void (*progress)(void *ud, const ll_progress *p);
    void *ud;
    /* updates: display() understands display_id / update (it replaces the
     * output in place).  A sink without it gets each updatable display
     * once, in its final version, when the chunk ends.  live: the front
     * end also redraws it on screen while the cell runs (the curses
     * notebook, a terminal), so a live table is worth drawing. */
    int updates;
    int live;
} ll_sink;

enum ll_cell_status {
    LL_CELL_OK = 0,
    LL_CELL_ERROR = 1,
    LL_CELL_INTERRUPTED = 2,
    LL_CELL_TIMEOUT = 3,
    LL_CELL_SYNTAX = 4 /* did not compile; error fields set */
};

typedef struct ll_cell_result {
    int status;         /* enum ll_cell_status */
    int has_value;      /* the cell ended in an expression with a value */
    ll_display value;   /* execute_result when has_value */
    char *ename;        /* error class: "SyntaxError", "RuntimeError", ... */
    char *evalue;       /* the error message */
    char *traceback;    /* message + traceback, cell-relative lines */
    double seconds;     /* wall time of the run */
    int exit_requested; /* the cell called os.exit (ll_host_trap_exit) */
    int exit_code;      /* the code it asked for */
} ll_cell_result;

void ll_cell_result_free(ll_cell_result *r);

/* Display options for __display(value, opts). */
typedef struct ll_display_opts {
    int width;  /* columns available (0: 80) */
    int height; /* rows available for a chart (0: default) */
    int color;  /* 1: also produce ansi */
} ll_display_opts;

/* A new kernel with every module loaded.  NULL on failure (err says why).
 * argv (may be NULL) becomes the global `arg` table, with arg[0] = argv[0]. */
ll_host *ll_host_new(int argc, char **argv, ll_err *err);
void ll_host_free(ll_host *h);
/* Notebook kernels: os.exit does not end the process.  It stops the
 * running cell (pcall cannot catch it where the cell can be suspended)
 * and the cell's result says exit_requested, with exit_code (os.exit() and
 * os.exit(true) 0, os.exit(false) 1) and status LL_CELL_ERROR, ename
 * "SystemExit"; the front end decides (the curses notebook stays open,
 * --run writes its output and exits with the code).  Kept across
 * restarts.  Off by default (the REPL, --lua and -e exit as lua does). */
void ll_host_trap_exit(ll_host *h, int on);

/* Throw away the Lua state and make a fresh one (the "restart kernel"). */
int ll_host_restart(ll_host *h, ll_err *err);
lua_State *ll_host_lua(ll_host *h);

/* The sink stays in force until replaced; NULL restores plain stdout. */
void ll_host_set_sink(ll_host *h, const ll_sink *sink);
void ll_host_set_display_opts(ll_host *h, const ll_display_opts *o);

/* Run one cell.  name is used in messages ("cell 3" -> "cell 3:2: ...").
 * When the cell ends in an expression its values are displayed into
 * res->value.  Returns res->status.  res must be freed with
 * ll_cell_result_free. */
int ll_host_run_cell(ll_host *h, const char *code, size_t len, const char *name,
                     ll_cell_result *res);

/* Run a Lua script file the way the `lua` interpreter does (arg set,
 * errors with traceback to stderr).  Returns a process exit code. */
int ll_host_run_script(ll_host *h, const char *path);

/* Run a string of Lua the way `lua -e` does: chunk name "=(command
 * line)", errors to stderr as "lualab: message" plus a traceback, an error
 * object that is not a string shown by its __tostring or as "(error object
 * is a table value)".  Returns a process exit code. */
int ll_host_run_string(ll_host *h, const char *code, size_t len);

/* Ask the running cell to stop: safe to call from a signal handler. */
void ll_host_interrupt(ll_host *h);
/* Limit the next cells to `seconds` of wall time each (0: no limit). */
void ll_host_set_cell_timeout(ll_host *h, double seconds);
/* Call fn(ud) about every `seconds` of wall time while a cell runs Lua code
 * (from a count hook, on the thread running Lua), so a front end can
 * redraw a running clock or a live chart even when the cell prints
 * nothing.  fn NULL removes it. */
void ll_host_set_tick(ll_host *h, void (*fn)(void *ud), void *ud,
                      double seconds);

/* Install SIGINT -> ll_host_interrupt for this host (0 on success). */
int ll_host_catch_sigint(ll_host *h);

/* Render the value at idx with the display protocol (__display, then
 * __tostring, then the pretty printer). */
int ll_host_display_value(ll_host *h, int idx, ll_display *out);

/* End the chunk's updatable displays: the versions held for a sink
 * without updates (or for plain stdout) are shown now, once, in their
 * final form, and every handle made so far stops accepting updates.
 * ll_host_run_cell, ll_host_run_script and ll_host_run_string call it when
 * they end; a front end that calls Lua itself calls it when done. */
void ll_host_flush_displays(ll_host *h);

/* The one-line doc string registered for the value at idx, or NULL. */
const char *ll_host_doc(lua_State *L, int idx);

#endif
