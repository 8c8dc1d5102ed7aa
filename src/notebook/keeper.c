/*
 * keeper: writes the output notebook of `lualab --run` on a timer and on
 * demand (limits, fatal signals); see keeper.h.
 */
#include "config.h"

#include "notebook/keeper.h"
#include "notebook/nb_int.h"
#include "util/fsutil.h"
#include "util/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nb_keeper {
    pthread_mutex_t mu;
    pthread_t thread;
    int wake[2]; /* a byte in the pipe wakes the thread */
    const ll_notebook *nb;
    char **cell_text;
    const char *out;
    /* under mu */
    int quit;
    int running;     /* the running cell, or -1 */
    int count;       /* its execution count */
    int dirty;       /* a cell text changed since the last write */
    int failed;      /* a write failed: no more writes */
    double deadline; /* ll_monotonic() when a stuck cell is stopped; 0 */
    int limit_rc;
    char limit_evalue[200];
    char limit_msg[256];
    /* set by a signal handler on the main thread: the strings first, then
     * sig_code (release), which the keeper reads (acquire) */
    const char *sig_msg;
    const char *sig_ename;
    const char *sig_evalue;
    atomic_int sig_code;
    /* the main thread holds (or is taking) mu */
    atomic_int main_in;
};

/* A handler may touch the atomics only when they are lock-free. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic int is lock-free");

/* The running keeper, for signal handlers. */
static nb_keeper *volatile active;

void nb_keeper_say(const char *s)
{
    (void)ll_write_fd(2, s, strlen(s));
}

static void wake(nb_keeper *k)
{
    char c = 1;
    ssize_t w;
    do
        w = write(k->wake[1], &c, 1);
    while (w < 0 && errno == EINTR);
}

static int write_out(nb_keeper *k, const ll_buf *b)
{
    ll_err err;
    ll_err_clear(&err);
    if (ll_write_file_atomic(k->out, b->data, b->len, &err) == LL_OK)
        return 0;
    nb_keeper_say("lualab: ");
    nb_keeper_say(err.msg);
    nb_keeper_say("\n");
    return -1;
}

/* Under mu, never returns: write the notebook with the running cell marked
 * (an error output ename: evalue), say msg and _exit(code). */
static void finish(nb_keeper *k, int code, const char *ename,
                   const char *evalue, const char *msg)
{
    if (k->out && !k->failed) {
        ll_buf b;
        ll_buf_init(&b);
        int rc = LL_OK;
        char *marked = NULL, *saved = NULL;
        int i = k->running;
        if (i >= 0) {
            /* a copy of the cell's fields the main thread never changes
             * while it runs, with an output of our own */
            const ll_cell *c = &k->nb->cells[i];
            ll_cell tmp;
            memset(&tmp, 0, sizeof tmp);
            tmp.type = c->type;
            tmp.id = c->id;
            tmp.source = c->source;
            tmp.metadata_json = c->metadata_json;
            tmp.tags = c->tags;
            tmp.ntags = c->ntags;
            tmp.execution_count = k->count;
            char en[64], ev[200], tb[400];
            snprintf(en, sizeof en, "%s", ename);
            snprintf(ev, sizeof ev, "%s", evalue);
            snprintf(tb, sizeof tb, "%s: %s", ename, evalue);
            ll_output o;
            memset(&o, 0, sizeof o);
            o.type = LL_OUT_ERROR;
            o.ename = en;
            o.evalue = ev;
            o.traceback = tb;
            tmp.outputs = &o;
            tmp.noutputs = 1;
            rc = nb_ipynb_cell_text(&tmp, &marked);
            if (rc == LL_OK) {
                saved = k->cell_text[i];
                k->cell_text[i] = marked;
            }
        }
        if (rc == LL_OK)
            rc = nb_ipynb_assemble(k->nb, k->cell_text, &b);
        if (saved)
            k->cell_text[i] = saved;
        if (rc == LL_OK)
            write_out(k, &b);
        else
            nb_keeper_say(
                "lualab: out of memory writing the output notebook\n");
        /* the process ends: no need to free b and marked */
    }
    nb_keeper_say(msg);
    _exit(code);
}

static void *keeper_main(void *arg)
{
    nb_keeper *k = arg;
    /* take this thread's own allocator arena now, not first when a signal
     * may have stopped the main thread inside malloc */
    free(malloc(64));
    ll_buf b;
    ll_buf_init(&b);
    double last = ll_monotonic();
    for (;;) {
        pthread_mutex_lock(&k->mu);
        double now = ll_monotonic();
        int sig_code = atomic_load(&k->sig_code);
        if (sig_code)
            finish(k, sig_code, k->sig_ename, k->sig_evalue, k->sig_msg);
        if (k->deadline > 0 && now >= k->deadline)
            finish(k, k->limit_rc, "TimeoutError", k->limit_evalue,
                   k->limit_msg);
        if (k->quit) {
            pthread_mutex_unlock(&k->mu);
            break;
        }
        int save =
            k->out && k->dirty && !k->failed && now - last >= NB_KEEP_INTERVAL;
        int rc = LL_OK;
        if (save) {
            b.len = 0;
            rc = nb_ipynb_assemble(k->nb, k->cell_text, &b);
            k->dirty = 0;
        }
        pthread_mutex_unlock(&k->mu);
        if (save) {
            int bad = rc != LL_OK;
            if (bad)
                nb_keeper_say(
                    "lualab: out of memory writing the output notebook\n");
            else
                bad = write_out(k, &b) != 0;
            if (bad) {
                pthread_mutex_lock(&k->mu);
                k->failed = 1;
                pthread_mutex_unlock(&k->mu);
            }
            last = ll_monotonic();
            now = last;
        }
        /* sleep until the next write may be due or the limit comes; the
         * main thread never needs to wake us for either, as a limit ends
         * at least the grace (>= the interval) after it was set */
        pthread_mutex_lock(&k->mu);
        double until = (k->dirty ? last : now) + NB_KEEP_INTERVAL;
        if (k->deadline > 0 && k->deadline < until)
            until = k->deadline;
        int stop = k->quit || atomic_load(&k->sig_code);
        pthread_mutex_unlock(&k->mu);
        if (stop)
            continue;
        double left = until - ll_monotonic();
        int ms = left > 0 ? (int)(left * 1000.0) + 1 : 0;
        struct pollfd p = {k->wake[0], POLLIN, 0};
        if (poll(&p, 1, ms) > 0) {
            char drain[64];
            while (read(k->wake[0], drain, sizeof drain) > 0)
                ;
        }
    }
    ll_buf_free(&b);
    return NULL;
}

nb_keeper *nb_keeper_start(const ll_notebook *nb, char **cell_text,
                           const char *out)
{
    nb_keeper *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->nb = nb;
    k->cell_text = cell_text;
    k->out = out;
    k->running = -1;
    if (pipe(k->wake) != 0) {
        free(k);
        return NULL;
    }
    for (int j = 0; j < 2; j++) {
        fcntl(k->wake[j], F_SETFL, fcntl(k->wake[j], F_GETFL) | O_NONBLOCK);
        fcntl(k->wake[j], F_SETFD, FD_CLOEXEC);
    }
    if (pthread_mutex_init(&k->mu, NULL) != 0)
        goto fail;
    /* The keeper takes no signals: they go to the main thread, whose
     * handlers stop the Lua code or call nb_keeper_fatal. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&k->thread, NULL, keeper_main, k);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&k->mu);
        goto fail;
    }
    active = k;
    return k;
fail:
    close(k->wake[0]);
    close(k->wake[1]);
    free(k);
    return NULL;
}

/* The main thread's critical sections: main_in tells a signal handler
 * that arrives meanwhile not to wait for the keeper, which needs mu. */
static void enter(nb_keeper *k)
{
    atomic_store(&k->main_in, 1);
    pthread_mutex_lock(&k->mu);
}

static void leave(nb_keeper *k)
{
    pthread_mutex_unlock(&k->mu);
    atomic_store(&k->main_in, 0);
}

void nb_keeper_cell_start(nb_keeper *k, int i, int count, double limit, int rc,
                          const char *evalue, const char *msg)
{
    enter(k);
    k->running = i;
    k->count = count;
    k->deadline = 0;
    if (limit > 0) {
        k->deadline = ll_monotonic() + limit + NB_KEEP_GRACE;
        k->limit_rc = rc;
        snprintf(k->limit_evalue, sizeof k->limit_evalue, "%s", evalue);
        snprintf(k->limit_msg, sizeof k->limit_msg, "%s", msg);
    }
    leave(k);
}

int nb_keeper_cell_done(nb_keeper *k, int i, char *text)
{
    enter(k);
    k->running = -1;
    k->deadline = 0;
    if (text) {
        free(k->cell_text[i]);
        k->cell_text[i] = text;
        k->dirty = 1;
    }
    int failed = k->failed;
    leave(k);
    return failed ? -1 : 0;
}

int nb_keeper_stop(nb_keeper *k)
{
    if (!k)
        return 0;
    /* a fatal signal from here on is the caller's handler's alone (it
     * ends the process; the write after the run does not happen) */
    active = NULL;
    enter(k);
    k->quit = 1;
    leave(k);
    wake(k);
    pthread_join(k->thread, NULL);
    int failed = k->failed;
    pthread_mutex_destroy(&k->mu);
    close(k->wake[0]);
    close(k->wake[1]);
    free(k);
    return failed ? -1 : 0;
}

int nb_keeper_fatal(int code, const char *msg, const char *ename,
                    const char *evalue)
{
    nb_keeper *k = active;
    if (!k || !k->out)
        return 0;
    k->sig_msg = msg;
    k->sig_ename = ename;
    k->sig_evalue = evalue;
    atomic_store(&k->sig_code, code);
    wake(k);
    if (atomic_load(&k->main_in))
        return 1; /* the keeper takes mu once this thread lets it go */
    /* Wait here so the cell makes no more output; the keeper ends the
     * process.  Should it not manage in a few seconds (the disk hangs),
     * the caller ends it. */
    for (int n = 0; n < 100; n++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}
