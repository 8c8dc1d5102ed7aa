/*
 * host_int: what the host's own files share (host.c, capture.c,
 * display.c, interrupt.c).  Nothing outside src/host includes this.
 */
#ifndef LL_HOST_INT_H
#define LL_HOST_INT_H

#include "host/host.h"
#include "util/buf.h"

#define LL_HOST_KEY "lualab.host"
#define LL_INTERRUPT_USER 1
#define LL_INTERRUPT_TIMEOUT 2

struct ll_host {
    lua_State *L;
    ll_sink sink;
    int has_sink;
    ll_display_opts dopts;
    double cell_timeout;
    int argc;
    char **argv;
    int sigint_installed;
    lua_State *running;     /* the thread of the running cell, or NULL */
    ll_buf warning;         /* a warning being assembled from pieces */
    void (*tick)(void *ud); /* ll_host_set_tick */
    void *tick_ud;
    double tick_every, last_tick;
    int warnings_off;     /* warn("@off") was called */
    char stop_where[256]; /* "cell 2:5: interrupted", set by the hook */
    int trap_exit;        /* ll_host_trap_exit */
    int exit_requested;   /* os.exit was called in the running cell */
    int exit_code;
    /* Updatable displays (lualab.display(x, {update = true})). */
    uint64_t display_epoch; /* bumped when a chunk ends: older handles die */
    uint64_t next_display;  /* the last display id handed out */
    ll_display *held;       /* final versions kept for a sink without
                               updates, shown when the chunk ends */
    int nheld, capheld;
};

ll_host *ll_host_from_lua(lua_State *L);
void ll_host_progress_dispatch(void *ud, const ll_progress *p);

/* capture.c: print, io.write, display(), help(), the lualab table */
void ll_host_open_base(lua_State *L);
void ll_host_write(ll_host *h, const char *stream, const char *s, size_t n);

/* display.c: send d to the sink (or stdout); an updatable display goes to
 * a sink with updates as it is, else is held until ll_host_flush_displays. */
int ll_host_emit_display(ll_host *h, const ll_display *d);

/* display.c: the pretty printer */
typedef struct ll_pretty_opts {
    int max_depth; /* nested tables shown (default 4) */
    int max_items; /* entries per table (default 100) */
    int width;     /* fold tables wider than this onto lines */
} ll_pretty_opts;
/* The display protocol on any thread of the host's state. */
int ll_host_display_at(ll_host *h, lua_State *L, int idx, ll_display *out);
int ll_pretty(lua_State *L, int idx, const ll_pretty_opts *o, ll_buf *out);

/* interrupt.c */
void ll_host_arm_timeout(ll_host *h);
void ll_host_disarm_timeout(ll_host *h);
void ll_host_release_signals(ll_host *h);
/* Install the tick hook (ll_host_set_tick) on the cell's thread. */
void ll_host_start_tick(ll_host *h, lua_State *co);

#endif
