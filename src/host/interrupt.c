/*
 * interrupt: SIGINT and cell time limits stop the running cell.
 *
 * As in lua.c, a C signal handler cannot touch the Lua state; it only sets
 * a hook (lua_sethook is safe to call asynchronously) and the flag that C
 * loops in the core poll.  Cells run in a coroutine, so at the next Lua
 * instruction the hook yields straight back to the host: no pcall inside
 * the cell can catch that.  Where yielding is impossible (Lua code called
 * from a C function) the hook raises "interrupted" instead, and stays armed
 * so the yield happens as soon as control is back in yieldable code.
 */
#include "config.h"

#include "host/host_int.h"

#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static ll_host *volatile signal_host;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, 1000);
    const char *what = ll_interrupt_requested == LL_INTERRUPT_TIMEOUT
                           ? "cell timed out"
                           : "interrupted";
    ll_host *h = signal_host;
    int have_where = lua_getinfo(L, "Sl", ar) && ar->currentline > 0;
    if (h && ar->event == LUA_HOOKCOUNT && lua_isyieldable(L)) {
        if (have_where)
            snprintf(h->stop_where, sizeof h->stop_where, "%s:%d: %s",
                     ar->short_src, ar->currentline, what);
        else
            snprintf(h->stop_where, sizeof h->stop_where, "%s", what);
        lua_yield(L, 0);
        return;
    }
    /* The running line is named here; luaL_error would also prefix its
     * caller's ("cell:3: cell:2: interrupted"). */
    if (have_where)
        lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, what);
    else
        lua_pushstring(L, what);
    lua_error(L);
}

void ll_host_interrupt(ll_host *h)
{
    if (!ll_interrupt_requested)
        ll_interrupt_requested = LL_INTERRUPT_USER;
    if (h && h->L) {
        /* Count hooks only: a hook may yield on count events alone. */
        lua_sethook(h->L, stop_hook, LUA_MASKCOUNT, 1);
        if (h->running)
            lua_sethook(h->running, stop_hook, LUA_MASKCOUNT, 1);
    }
}

static void on_sigint(int sig)
{
    (void)sig;
    ll_host_interrupt(signal_host);
}

static void on_alarm(int sig)
{
    (void)sig;
    ll_interrupt_requested = LL_INTERRUPT_TIMEOUT;
    ll_host_interrupt(signal_host);
}

int ll_host_catch_sigint(ll_host *h)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    signal_host = h;
    h->sigint_installed = 1;
    return sigaction(SIGINT, &sa, NULL);
}

/* The tick: a count hook that calls the front end's function at most every
 * tick_every seconds.  An interrupt replaces it with stop_hook. */
static void tick_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    ll_host *h = signal_host;
    if (!h || !h->tick)
        return;
    double now = ll_monotonic();
    if (now - h->last_tick < h->tick_every)
        return;
    h->last_tick = now;
    (void)L;
    h->tick(h->tick_ud);
}

void ll_host_set_tick(ll_host *h, void (*fn)(void *ud), void *ud,
                      double seconds)
{
    h->tick = fn;
    h->tick_ud = ud;
    h->tick_every = seconds > 0 ? seconds : 0.1;
}

void ll_host_start_tick(ll_host *h, lua_State *co)
{
    if (!h->tick)
        return;
    signal_host = h;
    h->last_tick = ll_monotonic();
    lua_sethook(co, tick_hook, LUA_MASKCOUNT, 20000);
}

void ll_host_set_cell_timeout(ll_host *h, double seconds)
{
    h->cell_timeout = seconds > 0 ? seconds : 0;
}

void ll_host_arm_timeout(ll_host *h)
{
    if (h->cell_timeout <= 0)
        return;
    signal_host = h;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)h->cell_timeout;
    it.it_value.tv_usec =
        (suseconds_t)((h->cell_timeout - (double)it.it_value.tv_sec) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

void ll_host_disarm_timeout(ll_host *h)
{
    if (h->cell_timeout > 0) {
        struct itimerval it;
        memset(&it, 0, sizeof it);
        setitimer(ITIMER_REAL, &it, NULL);
    }
    if (h->L)
        lua_sethook(h->L, NULL, 0, 0);
    if (h->running)
        lua_sethook(h->running, NULL, 0, 0);
}

void ll_host_release_signals(ll_host *h)
{
    if (signal_host == h) {
        if (h->sigint_installed)
            signal(SIGINT, SIG_DFL);
        signal_host = NULL;
    }
}
