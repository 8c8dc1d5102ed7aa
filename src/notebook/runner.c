/*
 * runner: `lualab --run NOTEBOOK`, papermill's semantics in one process.
 *
 * Cells run in order in one kernel.  Their output streams to stdout as it
 * comes; each code cell ends with a progress line on stderr
 * ("[3/12] first line ... 0.12 s").  The first failing cell stops the run
 * unless --allow-errors or the cell is tagged raises-exception.  With -o
 * the executed notebook is written (atomically) after every cell and when
 * a cell fails, so it is the log of the run.  -p/-r inject a cell tagged
 * injected-parameters after the cell tagged parameters.
 *
 * Exit codes: 0 ok, 1 a cell failed, 2 usage or parse error, 3 a cell
 * timed out, 4 the run timed out, 130 interrupted; a cell calling
 * os.exit(n) stops the run after -o is written and the exit code is n.
 */
#include "config.h"

#include "frontends.h"
#include "notebook/exec.h"
#include "notebook/nb_int.h"
#include "plot/progress.h"
#include "util/fsutil.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    RUN_OK = 0,
    RUN_CELL_ERROR = 1,
    RUN_USAGE = 2,
    RUN_CELL_TIMEOUT = 3,
    RUN_TIMEOUT = 4,
    RUN_INTERRUPTED = 130
};

typedef struct param {
    const char *name;
    const char *value;
    int raw; /* -r: always a string */
} param;

typedef struct run_opts {
    char *path;
    const char *out;
    param *params;
    int nparams;
    int allow_errors;
    int quiet;
    int color; /* -1 auto, 0 never, 1 always */
    double cell_timeout;
    double timeout;
} run_opts;

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lualab: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    ll_usage_hint(stderr);
    va_end(ap);
    return RUN_USAGE;
}

static int is_lua_name(const char *s)
{
    static const char *const keywords[] = {
        "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
        "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
        "repeat",   "return", "then", "true", "until",  "while", NULL};
    if (!s[0] || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
                   (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    for (int i = 0; keywords[i]; i++)
        if (strcmp(s, keywords[i]) == 0)
            return 0;
    return 1;
}

static int parse_seconds(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || !isfinite(v) || v <= 0)
        return usage("%s needs a number of seconds > 0, got '%s'", opt,
                     s ? s : "");
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->color = -1;
    o->params = calloc((size_t)argc, sizeof *o->params);
    if (!o->params) {
        fputs("lualab: out of memory\n", stderr);
        return RUN_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc)
                return usage("%s needs a file name", a);
            o->out = argv[++i];
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "-r") == 0 ||
                   strcmp(a, "--parameter") == 0 ||
                   strcmp(a, "--parameter-raw") == 0) {
            if (i + 2 >= argc)
                return usage("%s needs a NAME and a VALUE", a);
            if (!is_lua_name(argv[i + 1]))
                return usage("%s: '%s' is not a Lua name", a, argv[i + 1]);
            param *p = &o->params[o->nparams++];
            p->name = argv[i + 1];
            p->value = argv[i + 2];
            p->raw = a[1] == 'r' || strcmp(a, "--parameter-raw") == 0;
            i += 2;
        } else if (strcmp(a, "--allow-errors") == 0) {
            o->allow_errors = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = 1;
        } else if (strcmp(a, "--cell-timeout") == 0 ||
                   strcmp(a, "--timeout") == 0) {
            if (parse_seconds(a, i + 1 < argc ? argv[i + 1] : NULL,
                              a[2] == 'c' ? &o->cell_timeout : &o->timeout))
                return RUN_USAGE;
            i++;
        } else if (strncmp(a, "--color=", 8) == 0) {
            const char *w = a + 8;
            if (strcmp(w, "always") == 0)
                o->color = 1;
            else if (strcmp(w, "never") == 0)
                o->color = 0;
            else if (strcmp(w, "auto") == 0)
                o->color = -1;
            else
                return usage("--color must be always, never or auto, got '%s'",
                             w);
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else if (!o->path) {
            o->path = argv[i];
        } else {
            return usage("unexpected argument '%s'", a);
        }
    }
    if (!o->path)
        return usage("%s needs a notebook", argv[0]);
    if (o->out) {
        const char *ext = ll_path_ext(o->out);
        if (strcmp(ext, "ipynb") != 0 && strcmp(ext, "lua") != 0)
            return usage("-o: '%s' must end in .ipynb (or .lua)", o->out);
        /* The same file under another name, through .. or a symlink (or a
         * hard link): writing there would replace the source. */
        struct stat in, out;
        if (stat(o->path, &in) == 0 && stat(o->out, &out) == 0 &&
            in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
            fprintf(stderr,
                    "lualab: -o: '%s' is the input notebook; write the "
                    "executed notebook to another file\n",
                    o->out);
            return RUN_USAGE;
        }
    }
    return 0;
}

/* ---- parameters ---- */

static int is_lua_number(const char *s)
{
    if (!*s || *s == ' ' || *s == '\t' || *s == '+')
        return 0;
    for (const char *p = s; *p; p++)
        if (*p == 'n' || *p == 'N' || *p == 'i' || *p == 'I')
            return 0; /* strtod's "nan" and "inf" are not Lua numerals */
    char *end = NULL;
    double v = strtod(s, &end);
    return *end == '\0' && isfinite(v);
}

static int put_lua_string(ll_buf *b, const char *s)
{
    int rc = ll_buf_putc(b, '"');
    for (; *s && rc == LL_OK; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            rc = ll_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            rc = ll_buf_puts(b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            rc = ll_buf_printf(b, "\\%03u", c);
        else
            rc = ll_buf_putc(b, (char)c);
    }
    if (rc == LL_OK)
        rc = ll_buf_putc(b, '"');
    return rc;
}

/* Does the parameters cell assign `name` ("name = ...", "a, name = ...",
 * "local name = ...") at the start of a line? */
static int assigns(const char *src, const char *name)
{
    size_t nl = strlen(name);
    const char *p = src;
    while (p && *p) {
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncmp(q, "local", 5) == 0 && (q[5] == ' ' || q[5] == '\t')) {
            q += 5;
            while (*q == ' ' || *q == '\t')
                q++;
        }
        int found = 0;
        for (;;) {
            const char *id = q;
            while (*q == '_' || (*q >= 'a' && *q <= 'z') ||
                   (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9'))
                q++;
            if (q == id)
                break;
            if ((size_t)(q - id) == nl && memcmp(id, name, nl) == 0)
                found = 1;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == ',') {
                q++;
                while (*q == ' ' || *q == '\t')
                    q++;
                continue;
            }
            if (*q == '=' && q[1] != '=' && found)
                return 1;
            break;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

static int inject_parameters(ll_notebook *nb, const run_opts *o)
{
    ll_buf b;
    ll_buf_init(&b);
    int rc = ll_buf_puts(&b, "-- Parameters");
    for (int i = 0; i < o->nparams && rc == LL_OK; i++) {
        const param *p = &o->params[i];
        rc = ll_buf_printf(&b, "\n%s = ", p->name);
        if (rc != LL_OK)
            break;
        if (!p->raw &&
            (is_lua_number(p->value) || strcmp(p->value, "true") == 0 ||
             strcmp(p->value, "false") == 0 || strcmp(p->value, "nil") == 0))
            rc = ll_buf_puts(&b, p->value);
        else
            rc = put_lua_string(&b, p->value);
    }
    if (rc != LL_OK) {
        ll_buf_free(&b);
        return rc;
    }
    int params_at = -1, injected_at = -1;
    for (int i = 0; i < nb->ncells; i++) {
        if (params_at < 0 && ll_cell_has_tag(&nb->cells[i], "parameters"))
            params_at = i;
        if (injected_at < 0 &&
            ll_cell_has_tag(&nb->cells[i], "injected-parameters"))
            injected_at = i;
    }
    if (params_at < 0)
        fputs("lualab: warning: no cell is tagged 'parameters'; the "
              "parameters go in a cell at the top\n",
              stderr);
    else
        for (int i = 0; i < o->nparams; i++)
            if (!assigns(nb->cells[params_at].source, o->params[i].name))
                fprintf(stderr,
                        "lualab: warning: parameter '%s' is not assigned in "
                        "the parameters cell (cell %d)\n",
                        o->params[i].name, params_at + 1);
    ll_cell *c;
    if (injected_at >= 0) {
        c = &nb->cells[injected_at];
        rc = ll_cell_set_source(c, ll_buf_str(&b));
    } else {
        c = ll_notebook_insert_cell(nb, params_at + 1, LL_CELL_CODE,
                                    ll_buf_str(&b));
        rc = c ? ll_cell_add_tag(c, "injected-parameters") : LL_ENOMEM;
    }
    ll_buf_free(&b);
    return rc;
}

/* ---- output ---- */

typedef struct run_state {
    const run_opts *o;
    int color;
    ll_progress_term *progress; /* bars on stderr; NULL when quiet */
} run_state;

static void put_text(FILE *f, const char *s)
{
    size_t n = strlen(s);
    fwrite(s, 1, n, f);
    if (n && s[n - 1] != '\n')
        fputc('\n', f);
    fflush(f);
}

static void fwd_stream(void *ud, const char *name, const char *data, size_t len)
{
    (void)ud;
    FILE *f = strcmp(name, "stderr") == 0 ? stderr : stdout;
    fwrite(data, 1, len, f);
    fflush(f);
}

static void fwd_display(void *ud, const ll_display *d)
{
    run_state *rs = ud;
    put_text(stdout, rs->color && d->ansi ? d->ansi : d->text ? d->text : "");
}

/* Write the notebook to -o; cache holds each cell's printed JSON so a
 * write after every cell re-prints only the cell that ran. */
static int write_out(const ll_notebook *nb, const char *out, char **cache)
{
    if (!out)
        return 0;
    ll_err err;
    ll_err_clear(&err);
    int rc;
    if (strcmp(ll_path_ext(out), "ipynb") == 0) {
        ll_buf b;
        ll_buf_init(&b);
        rc = nb_ipynb_assemble(nb, cache, &b);
        if (rc == LL_OK)
            rc = ll_write_file_atomic(out, b.data, b.len, &err);
        else
            ll_err_set(&err, rc, "%s: out of memory", out);
        ll_buf_free(&b);
    } else {
        rc = ll_notebook_write(nb, out, &err);
    }
    if (rc != LL_OK) {
        fprintf(stderr, "lualab: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* ---- the watchdog ----
 *
 * The time limits stop a cell through the Lua hook, which a cell stuck
 * inside one C call (a pattern match that backtracks for hours, say) never
 * reaches.  The watchdog thread makes the limits hard: before each cell the
 * main thread renders the output notebook as it would be with that cell
 * timed out; if the cell is still running a grace period after its limit,
 * the watchdog writes those bytes to -o and ends the process with _exit,
 * leaving the stuck main thread alone (it touches no state the main thread
 * may hold but the prepared buffer and its own stack). */

#define WATCHDOG_GRACE 1.0

typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started;
    int armed; /* a cell with a limit is running */
    int quit;
    double deadline; /* ll_monotonic() when it fires */
    int rc;          /* RUN_CELL_TIMEOUT or RUN_TIMEOUT */
    char msg[256];   /* the line written to stderr */
    const char *out; /* -o, or NULL */
    ll_buf stuck;    /* the output notebook with the cell timed out */
} watchdog;

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->quit) {
        if (!w->armed) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        double left = w->deadline - ll_monotonic();
        if (left > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            double s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + left;
            ts.tv_sec = (time_t)s;
            ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
            continue;
        }
        /* The cell is stuck: keep the mutex so the main thread cannot
         * change the buffer, write the notebook and end the process. */
        if (w->out && w->stuck.data) {
            ll_err err;
            ll_err_clear(&err);
            if (ll_write_file_atomic(w->out, w->stuck.data, w->stuck.len,
                                     &err) != LL_OK) {
                write_all(2, "lualab: ", 8);
                write_all(2, err.msg, strlen(err.msg));
                write_all(2, "\n", 1);
            }
        }
        write_all(2, w->msg, strlen(w->msg));
        _exit(w->rc);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int watchdog_start(watchdog *w, const char *out)
{
    memset(w, 0, sizeof *w);
    ll_buf_init(&w->stuck);
    w->out = out;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        pthread_cond_destroy(&w->cv);
        return -1;
    }
    /* The watchdog takes no signals: SIGINT and SIGALRM go to the main
     * thread, whose handlers set the Lua hook. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, watchdog_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return -1;
    }
    w->started = 1;
    return 0;
}

static void watchdog_stop(watchdog *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->quit = 1;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    ll_buf_free(&w->stuck);
}

/* Render the notebook with cell i marked as stopped by the watchdog. */
static int render_stuck(ll_notebook *nb, int i, int count, const char *out,
                        char **cache, const char *evalue, ll_buf *b)
{
    ll_cell *c = &nb->cells[i];
    ll_cell_clear_outputs(c);
    c->execution_count = count;
    char ename[] = "TimeoutError";
    char ev[200], tb[320];
    snprintf(ev, sizeof ev, "%s", evalue);
    snprintf(tb, sizeof tb, "TimeoutError: %s", evalue);
    ll_output o = {0};
    o.type = LL_OUT_ERROR;
    o.ename = ename;
    o.evalue = ev;
    o.traceback = tb;
    int rc = ll_cell_add_output(c, &o);
    b->len = 0;
    if (rc == LL_OK) {
        const char *ext = ll_path_ext(out);
        free(cache[i]);
        cache[i] = NULL;
        if (strcmp(ext, "ipynb") == 0)
            rc = nb_ipynb_assemble(nb, cache, b);
        else if (strcmp(ext, "md") == 0)
            rc = ll_notebook_to_markdown(nb, b);
        else
            rc = ll_notebook_to_percent(nb, b);
        free(cache[i]);
        cache[i] = NULL;
    }
    ll_cell_clear_outputs(c);
    c->execution_count = 0;
    return rc;
}

/* Arm the watchdog for cell i (number-th code cell) with the limit in
 * seconds (0: no limit). */
static void watchdog_arm(watchdog *w, ll_notebook *nb, int i, int number,
                         int count, double limit, int run_bound,
                         const run_opts *o, char **cache)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->armed = 0;
    if (limit > 0) {
        double shown = run_bound ? o->timeout : o->cell_timeout;
        char evalue[160];
        snprintf(evalue, sizeof evalue,
                 run_bound ? "the run hit its time limit (%g s) in a C "
                             "function; the process was stopped"
                           : "cell timed out after %g s in a C function; "
                             "the process was stopped",
                 shown);
        int ok = !w->out || render_stuck(nb, i, count, w->out, cache, evalue,
                                         &w->stuck) == LL_OK;
        if (!ok) {
            ll_buf_free(&w->stuck);
            ll_buf_init(&w->stuck);
        }
        snprintf(w->msg, sizeof w->msg,
                 run_bound ? "lualab: cell %d hit the run's time limit (%g s) "
                             "and did not stop (stuck in a C function): the "
                             "process is stopped\n"
                           : "lualab: cell %d timed out after %g s and did "
                             "not stop (stuck in a C function): the process "
                             "is stopped\n",
                 number, shown);
        w->rc = run_bound ? RUN_TIMEOUT : RUN_CELL_TIMEOUT;
        w->deadline = ll_monotonic() + limit + WATCHDOG_GRACE;
        w->armed = 1;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

static void watchdog_disarm(watchdog *w)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->armed = 0;
    pthread_mutex_unlock(&w->mu);
}

/* SIGTERM, SIGHUP, SIGQUIT: -o already holds every finished cell; remove
 * the temporary file of a write cut short and end the process. */
static void on_fatal(int sig)
{
    ll_write_abort();
    const char *m = sig == SIGTERM  ? "lualab: terminated (SIGTERM)\n"
                    : sig == SIGHUP ? "lualab: hung up (SIGHUP)\n"
                                    : "lualab: quit (SIGQUIT)\n";
    write_all(2, m, strlen(m));
    _exit(128 + sig);
}

/* SIGINT: the first stops the running cell at its next Lua instruction
 * (the run then ends with 130 after -o is written); a cell stuck in one C
 * call never gets there, so a second one ends the process at once, -o
 * keeping the cells finished before. */
static ll_host *volatile run_host;
static volatile sig_atomic_t run_sigints;

static void on_run_sigint(int sig)
{
    (void)sig;
    if (run_sigints++ == 0) {
        ll_host_interrupt(run_host);
        return;
    }
    ll_write_abort();
    const char *m = "lualab: interrupted twice: the run is stopped (the "
                    "output notebook keeps the finished cells)\n";
    write_all(2, m, strlen(m));
    _exit(RUN_INTERRUPTED);
}

static void catch_sigint(ll_host *h)
{
    run_host = h;
    run_sigints = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_run_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

static void catch_fatal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sigfillset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n > 0 ? n : 80;
}

static void report_failure(const char *what, int number, const ll_cell *c,
                           const ll_cell_result *res)
{
    char *first = ll_cell_first_line(c, 60);
    fprintf(stderr, "lualab: cell %d %s: %s\n", number, what,
            first ? first : "");
    free(first);
    if (res->traceback)
        put_text(stderr, res->traceback);
}

static void fwd_progress(void *ud, const ll_progress *p)
{
    run_state *rs = ud;
    if (rs->progress)
        ll_progress_term_update(rs->progress, p);
}

static int run_cells(ll_notebook *nb, ll_host *h, const run_opts *o,
                     run_state *rs, char **cache, watchdog *w)
{
    int ncode = 0;
    for (int i = 0; i < nb->ncells; i++)
        if (nb->cells[i].type == LL_CELL_CODE)
            ncode++;
    ll_sink fwd = {fwd_stream, fwd_display, fwd_progress, rs, 0, 0};
    double t0 = ll_monotonic();
    int counter = 0, number = 0;
    for (int i = 0; i < nb->ncells; i++) {
        ll_cell *c = &nb->cells[i];
        if (c->type != LL_CELL_CODE)
            continue;
        number++;
        if (ll_interrupted()) {
            fprintf(stderr, "lualab: interrupted before cell %d\n", number);
            return RUN_INTERRUPTED;
        }
        double limit = o->cell_timeout;
        int run_bound = 0;
        if (o->timeout > 0) {
            double left = o->timeout - (ll_monotonic() - t0);
            if (left <= 0) {
                fprintf(stderr,
                        "lualab: the run timed out (--timeout %g) "
                        "before cell %d\n",
                        o->timeout, number);
                return RUN_TIMEOUT;
            }
            if (limit <= 0 || left < limit) {
                limit = left;
                run_bound = 1;
            }
        }
        ll_host_set_cell_timeout(h, limit);
        char name[32];
        snprintf(name, sizeof name, "cell %d", number);
        ll_cell_result res;
        watchdog_arm(w, nb, i, number, counter + 1, limit, run_bound, o, cache);
        int status = ll_cell_execute_named(c, h, &counter, &fwd, name, &res);
        watchdog_disarm(w);
        if (res.has_value)
            put_text(stdout, rs->color && res.value.ansi ? res.value.ansi
                             : res.value.text            ? res.value.text
                                                         : "");
        if (!o->quiet) {
            char *first = ll_cell_first_line(c, 50);
            fprintf(stderr, "[%d/%d] %s ... %.2f s\n", number, ncode,
                    first ? first : "", res.seconds);
            free(first);
        }
        free(cache[i]);
        cache[i] = NULL;
        int wrote = write_out(nb, o->out, cache);
        int rc = RUN_OK;
        if (res.exit_requested) {
            /* handled below */
        } else if (status == LL_CELL_INTERRUPTED) {
            report_failure("was interrupted", number, c, &res);
            rc = RUN_INTERRUPTED;
        } else if (status == LL_CELL_TIMEOUT) {
            if (run_bound) {
                char what[64];
                snprintf(what, sizeof what, "hit the run's time limit (%g s)",
                         o->timeout);
                report_failure(what, number, c, &res);
                rc = RUN_TIMEOUT;
            } else {
                char what[64];
                snprintf(what, sizeof what, "timed out after %g s",
                         o->cell_timeout);
                report_failure(what, number, c, &res);
                rc = RUN_CELL_TIMEOUT;
            }
        } else if (status != LL_CELL_OK) {
            if (o->allow_errors || ll_cell_has_tag(c, "raises-exception")) {
                if (res.traceback)
                    put_text(stderr, res.traceback);
            } else {
                report_failure("failed", number, c, &res);
                rc = RUN_CELL_ERROR;
            }
        }
        if (res.exit_requested) {
            /* os.exit in a cell: the output notebook is written (above);
             * stop here and exit with the code the cell asked for. */
            if (!o->quiet)
                fprintf(stderr,
                        "lualab: cell %d called os.exit(%d): the run stops "
                        "here\n",
                        number, res.exit_code);
            rc = res.exit_code;
            ll_cell_result_free(&res);
            return wrote != 0 && rc == 0 ? RUN_CELL_ERROR : rc;
        }
        ll_cell_result_free(&res);
        if (rc != RUN_OK)
            return rc;
        if (wrote != 0)
            return RUN_CELL_ERROR;
    }
    return RUN_OK;
}

int ll_nb_run_main(int argc, char **argv)
{
    run_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free(o.params);
        return rc;
    }
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    char **cache = NULL;
    if (ll_notebook_read(o.path, &nb, &err) != LL_OK) {
        if (err.code == LL_ENOTFOUND)
            rc = usage("%s", err.msg);
        else {
            fprintf(stderr, "lualab: %s\n", err.msg);
            rc = RUN_USAGE;
        }
        free(o.params);
        return rc;
    }
    for (int i = 0; i < nb->ncells; i++) {
        ll_cell_clear_outputs(&nb->cells[i]);
        nb->cells[i].execution_count = 0;
    }
    if (o.nparams && inject_parameters(nb, &o) != LL_OK) {
        fputs("lualab: out of memory\n", stderr);
        rc = 1;
        goto done;
    }
    cache = calloc((size_t)nb->ncells + 1, sizeof *cache);
    if (!cache) {
        fputs("lualab: out of memory\n", stderr);
        rc = 1;
        goto done;
    }
    catch_fatal();
    if (o.out)
        ll_remove_stale_tmp(o.out);
    if (write_out(nb, o.out, cache) != 0) {
        rc = RUN_USAGE;
        goto done;
    }
    char *hargv[] = {o.path};
    ll_host *h = ll_host_new(1, hargv, &err);
    if (!h) {
        fprintf(stderr, "lualab: %s\n", err.msg);
        rc = 1;
        goto done;
    }
    run_state rs = {&o, 0, NULL};
    if (o.color == 1)
        rs.color = 1;
    else if (o.color == -1) {
        const char *nc = getenv("NO_COLOR");
        rs.color = isatty(1) && !(nc && nc[0]);
    }
    ll_display_opts dopts = {terminal_width(), 0, rs.color};
    ll_host_set_display_opts(h, &dopts);
    ll_host_catch_sigint(h); /* the host restores SIGINT when freed */
    catch_sigint(h);
    ll_host_trap_exit(h, 1);
    if (!o.quiet)
        rs.progress = ll_progress_term_new(stderr, isatty(2), 0);
    watchdog wd;
    if ((o.cell_timeout > 0 || o.timeout > 0) &&
        watchdog_start(&wd, o.out) != 0) {
        fputs("lualab: cannot start the watchdog thread\n", stderr);
        ll_progress_term_free(rs.progress);
        ll_host_free(h);
        rc = 1;
        goto done;
    }
    if (!(o.cell_timeout > 0 || o.timeout > 0))
        memset(&wd, 0, sizeof wd);
    rc = run_cells(nb, h, &o, &rs, cache, &wd);
    watchdog_stop(&wd);
    ll_progress_term_free(rs.progress);
    ll_host_free(h);
    fflush(stdout);
done:
    if (cache)
        for (int i = 0; i < nb->ncells; i++)
            free(cache[i]);
    free(cache);
    ll_notebook_free(nb);
    free(o.params);
    return rc;
}
