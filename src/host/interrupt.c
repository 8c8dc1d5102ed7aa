/*
 * interrupt: SIGINT and cell time limits become a Lua error.
 *
 * As in lua.c, a C signal handler cannot touch the Lua state; it only sets
 * a hook (lua_sethook is safe to call asynchronously) and the flag that C
 * loops in the core poll.  The hook raises "interrupted" at the next Lua
 * instruction and stays armed (every 1000 instructions) so a pcall inside
 * the cell cannot swallow the interrupt for good.  The host removes the
 * hook when the cell returns.
 */
#include "config.h"

#include "host/host_int.h"

#include <lauxlib.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

static ll_host *volatile signal_host;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, 1000);
    if (ll_interrupt_requested == LL_INTERRUPT_TIMEOUT)
        luaL_error(L, "cell timed out");
    else
        luaL_error(L, "interrupted");
}

void ll_host_interrupt(ll_host *h)
{
    if (!ll_interrupt_requested)
        ll_interrupt_requested = LL_INTERRUPT_USER;
    if (h && h->L)
        lua_sethook(h->L, stop_hook,
                    LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
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
    if (signal_host && signal_host->L)
        lua_sethook(signal_host->L, stop_hook,
                    LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
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
}

void ll_host_release_signals(ll_host *h)
{
    if (signal_host == h) {
        if (h->sigint_installed)
            signal(SIGINT, SIG_DFL);
        signal_host = NULL;
    }
}
