/*
 * runner: `lualab --run NOTEBOOK`, papermill's semantics in one process.
 *
 * Cells run in order in one kernel.  Their output streams to stdout as it
 * comes; each code cell ends with a progress line on stderr
 * ("[3/12] first line ... 0.12 s").  The first failing cell stops the run
 * unless --allow-errors or the cell is tagged raises-exception.  With -o
 * the executed notebook is written (atomically) before the first cell, by
 * the keeper thread (keeper.c) at most once a second while cells finish or
 * run long, and at the end of the run whatever ends it, so it is the log of
 * the run and a kill -9 loses about a second of it at most.  -p/-r inject
 * a cell tagged injected-parameters after the cell tagged parameters.
 *
 * Exit codes: 0 ok, 1 a cell failed, 2 usage or parse error, 3 a cell
 * timed out, 4 the run timed out, 130 interrupted; a cell calling
 * os.exit(n) stops the run after -o is written and the exit code is n.
 */
#include "config.h"

#include "frontends.h"
#include "notebook/exec.h"
#include "notebook/keeper.h"
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
                                    ll_buf_str(&b), NULL);
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

/* Write the notebook to -o from the main thread (before the run and after
 * it); cache holds each cell's printed JSON, filled here. */
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

/* SIGTERM, SIGHUP, SIGQUIT: the keeper writes -o with every finished cell
 * (the running one marked) and ends the process; without it (no -o, or it
 * does not answer) remove the temporary file of a write cut short and end
 * the process here. */
static void on_fatal(int sig)
{
    const char *m = sig == SIGTERM  ? "lualab: terminated (SIGTERM)\n"
                    : sig == SIGHUP ? "lualab: hung up (SIGHUP)\n"
                                    : "lualab: quit (SIGQUIT)\n";
    const char *ev = sig == SIGTERM ? "the run was terminated (SIGTERM) "
                                      "while this cell ran"
                     : sig == SIGHUP
                         ? "the run was hung up (SIGHUP) while this cell ran"
                         : "the run was quit (SIGQUIT) while this cell ran";
    if (nb_keeper_fatal(128 + sig, m, "Terminated", ev))
        return;
    ll_write_abort();
    nb_keeper_say(m);
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
    const char *m = "lualab: interrupted twice: the run is stopped (the "
                    "output notebook keeps the finished cells)\n";
    if (nb_keeper_fatal(RUN_INTERRUPTED, m, "Interrupted",
                        "the run was interrupted twice while this cell ran"))
        return;
    ll_write_abort();
    nb_keeper_say(m);
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
    char *first = ll_cell_first_line(c, 60, NULL);
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

/* Tell the keeper that cell i (the number-th code cell) starts with the
 * limit in seconds (0: none). */
static void keeper_cell_start(nb_keeper *k, int i, int number, int count,
                              double limit, int run_bound, const run_opts *o)
{
    if (!k)
        return;
    char evalue[200] = "", msg[256] = "";
    if (limit > 0) {
        double shown = run_bound ? o->timeout : o->cell_timeout;
        snprintf(evalue, sizeof evalue,
                 run_bound ? "the run hit its time limit (%g s) in a C "
                             "function; the process was stopped"
                           : "cell timed out after %g s in a C function; "
                             "the process was stopped",
                 shown);
        snprintf(msg, sizeof msg,
                 run_bound ? "lualab: cell %d hit the run's time limit (%g s) "
                             "and did not stop (stuck in a C function): the "
                             "process is stopped\n"
                           : "lualab: cell %d timed out after %g s and did "
                             "not stop (stuck in a C function): the process "
                             "is stopped\n",
                 number, shown);
    }
    nb_keeper_cell_start(k, i, count, limit,
                         run_bound ? RUN_TIMEOUT : RUN_CELL_TIMEOUT, evalue,
                         msg);
}

/* Hand cell i's new .ipynb text to the keeper.  Returns -1 when the output
 * notebook cannot be kept (out of memory, a failed write). */
static int keeper_cell_done(nb_keeper *k, const ll_notebook *nb, int i,
                            const char *out)
{
    if (!k)
        return 0;
    char *text = NULL;
    if (out && strcmp(ll_path_ext(out), "ipynb") == 0 &&
        nb_ipynb_cell_text(&nb->cells[i], &text) != LL_OK) {
        nb_keeper_cell_done(k, i, NULL);
        fprintf(stderr, "lualab: %s: out of memory\n", out);
        return -1;
    }
    return nb_keeper_cell_done(k, i, text);
}

static int run_cells(ll_notebook *nb, ll_host *h, const run_opts *o,
                     run_state *rs, nb_keeper *k)
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
        /* run_sigints as well: a SIGINT that lands after the last
         * instruction of the cell before, once the host no longer looks,
         * would otherwise be forgotten and the run go on. */
        if (ll_interrupted() || run_sigints > 0) {
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
        keeper_cell_start(k, i, number, counter + 1, limit, run_bound, o);
        int status = ll_cell_execute_named(c, h, &counter, &fwd, name, &res);
        int kept = keeper_cell_done(k, nb, i, o->out);
        if (res.has_value)
            put_text(stdout, rs->color && res.value.ansi ? res.value.ansi
                             : res.value.text            ? res.value.text
                                                         : "");
        if (!o->quiet) {
            char *first = ll_cell_first_line(c, 50, NULL);
            fprintf(stderr, "[%d/%d] %s ... %.2f s\n", number, ncode,
                    first ? first : "", res.seconds);
            free(first);
        }
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
            /* os.exit in a cell: stop here and exit with the code the cell
             * asked for once the output notebook is written. */
            if (!o->quiet)
                fprintf(stderr,
                        "lualab: cell %d called os.exit(%d): the run stops "
                        "here\n",
                        number, res.exit_code);
            rc = res.exit_code;
            ll_cell_result_free(&res);
            return kept != 0 && rc == 0 ? RUN_CELL_ERROR : rc;
        }
        ll_cell_result_free(&res);
        if (rc != RUN_OK)
            return rc;
        if (kept != 0)
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
        /* without memory for it the run goes on without progress lines */
        rs.progress = ll_progress_term_new(stderr, isatty(2), 0, NULL);
    /* The keeper writes .ipynb outputs while the run goes on (a .lua
     * output holds no outputs: what was written above stays right) and
     * makes the limits hard. */
    const char *kept_out =
        o.out && strcmp(ll_path_ext(o.out), "ipynb") == 0 ? o.out : NULL;
    nb_keeper *k = NULL;
    if ((kept_out || o.cell_timeout > 0 || o.timeout > 0) &&
        !(k = nb_keeper_start(nb, cache, kept_out))) {
        fputs("lualab: cannot start the thread that keeps the output "
              "notebook\n",
              stderr);
        ll_progress_term_free(rs.progress);
        ll_host_free(h);
        rc = 1;
        goto done;
    }
    rc = run_cells(nb, h, &o, &rs, k);
    int failed = nb_keeper_stop(k);
    /* the last write: every error, timeout, interrupt and os.exit ends
     * here with the whole run on disk */
    if (kept_out && (failed || write_out(nb, kept_out, cache) != 0) &&
        rc == RUN_OK)
        rc = RUN_CELL_ERROR;
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
