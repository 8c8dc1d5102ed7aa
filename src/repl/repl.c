/*
 * repl: the read-eval-print loop.
 *
 * Not on a terminal, lualab reads all of stdin and runs it as one chunk,
 * like `lua -`.  On a terminal it reads lines with GNU readline, in the
 * manner of lua.c: a chunk that ends too early (its syntax error ends in
 * "<eof>") asks for more lines with the prompt ">> "; a complete chunk
 * runs as one host cell, so the value of a trailing expression is shown
 * with the display protocol.  Lines starting with '?' ask for help and
 * lines starting with ':' are REPL commands (:time, :run, :help).
 *
 * Signals.  readline runs through its callback interface with its own
 * signal handling off (rl_catch_signals = 0), and SIGINT is blocked except
 * inside pselect() and while a chunk runs.  So a Ctrl-C at the prompt
 * wakes pselect and the loop, not the handler, cleans up readline's state
 * (no longjmp out of readline); a Ctrl-C while a chunk runs goes to
 * ll_host_interrupt, which stops the chunk at its next instruction and
 * leaves the session usable.  A second Ctrl-C within a second while the
 * same chunk still runs (stuck in C code) exits with status 130; one two
 * seconds or more after the first offers to restart the kernel (lualab
 * executes itself again: the variables go, the history is on disk).
 * SIGTERM and SIGHUP put the terminal back in the mode lualab found it
 * in and end the process (128 + signal), at the prompt or in a chunk.
 */
#include "config.h"

#include "frontends.h"
#include "notebook/exec.h"
#include "host/term_sink.h"
#include "repl/repl.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <readline/tilde.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define HISTORY_MAX 1000
#define PROMPT1 "> "
#define PROMPT2 ">> "
#define RED "\033[31m"
#define RESET "\033[0m"

enum chunk_kind { CHUNK_LUA, CHUNK_TIME };

typedef struct repl {
    ll_host *h;
    int color;         /* stdout: a terminal and NO_COLOR unset */
    int err_color;     /* the same for stderr */
    char *histfile;    /* NULL: no history file */
    ll_buf chunk;      /* the lines read so far of the current chunk */
    int kind;          /* enum chunk_kind of the current chunk */
    size_t code_at;    /* where the Lua code starts in chunk */
    ll_term_sink *out; /* streams, displays, progress bars */
} repl;

/* ---- signals ---- */

static volatile sig_atomic_t sigint_seen; /* at the prompt */
static volatile sig_atomic_t sigwinch_seen;
static volatile sig_atomic_t sigtstp_seen; /* Ctrl-Z at the prompt */
static volatile sig_atomic_t chunk_running;
static volatile sig_atomic_t interrupts_while_running;
static ll_host *volatile sig_host;
static struct timespec first_interrupt;

static struct termios found_tty; /* the terminal as lualab found it */
static int have_found_tty;
static char self_exe[4096];
static char cmdline[8192]; /* /proc/self/cmdline, NUL-separated */
static char *self_argv[64];

static void say(const char *s)
{
    ssize_t w = write(STDERR_FILENO, s, strlen(s));
    (void)w;
}

/* What a restart executes, read before any signal can ask for it. */
static void prepare_restart(void)
{
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    self_exe[n > 0 ? n : 0] = '\0';
    self_argv[0] = NULL;
    int fd = open("/proc/self/cmdline", O_RDONLY);
    if (fd < 0)
        return;
    ssize_t len = read(fd, cmdline, sizeof cmdline - 1);
    close(fd);
    if (len <= 0 || cmdline[len - 1] != '\0')
        return; /* too long: no restart */
    int k = 0;
    for (ssize_t i = 0; i < len && k < 63; k++) {
        self_argv[k] = cmdline + i;
        i += (ssize_t)strlen(cmdline + i) + 1;
    }
    self_argv[k] = NULL;
}

/* A chunk ignored an interrupt for two seconds: it is stuck in C.  Ask
 * (write and read only: this runs in the SIGINT handler). */
static void offer_restart(void)
{
    if (!self_exe[0] || !self_argv[0])
        return;
    say("\nlualab: the chunk is stuck in a C function. Restart the kernel? "
        "The variables are lost, the history is kept (y/n) ");
    struct termios t, raw;
    int have = tcgetattr(STDIN_FILENO, &t) == 0;
    if (have) {
        raw = t;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    unsigned char c = 0;
    for (;;) {
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 27 ||
            c == 3)
            break;
    }
    if (have)
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    if (c != 'y' && c != 'Y') {
        say("\nlualab: still waiting for the chunk\n");
        return;
    }
    if (have_found_tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &found_tty);
    say("\nlualab: restarting the kernel\n");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(self_exe, self_argv);
    say("lualab: cannot restart; the chunk keeps running\n");
}

static void on_fatal(int sig)
{
    if (have_found_tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &found_tty);
    say("\n");
    _exit(128 + sig);
}

static void on_sigint(int sig)
{
    (void)sig;
    if (!chunk_running) {
        sigint_seen = 1;
        return;
    }
    int saved = errno;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (interrupts_while_running > 0) {
        double dt = (double)(now.tv_sec - first_interrupt.tv_sec) +
                    (double)(now.tv_nsec - first_interrupt.tv_nsec) * 1e-9;
        if (dt < 1.0) {
            static const char msg[] = "\nlualab: interrupted twice, exiting\n";
            ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
            (void)w;
            _exit(130);
        }
        if (dt >= 2.0) {
            offer_restart();
            clock_gettime(CLOCK_MONOTONIC, &first_interrupt);
            errno = saved;
            return;
        }
    }
    first_interrupt = now;
    interrupts_while_running = 1;
    ll_host_interrupt(sig_host);
    errno = saved;
}

static void on_sigwinch(int sig)
{
    (void)sig;
    sigwinch_seen = 1;
}

static void on_sigtstp(int sig)
{
    (void)sig;
    sigtstp_seen = 1;
}

/* Ctrl-Z at the prompt: give the terminal back, stop, and on `fg` take it
 * again and redraw the line. */
static void suspend_at_prompt(void)
{
    rl_cleanup_after_signal();
    struct sigaction dfl, ours;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, &ours);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    raise(SIGTSTP); /* pending while blocked: stops on unblocking */
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigaction(SIGTSTP, &ours, NULL);
    rl_reset_after_signal();
    rl_forced_update_display();
}

/* ---- output ---- */

static int terminal_width(void);

static void show_display(repl *r, const ll_display *d)
{
    ll_term_sink_show(r->out, d);
}

static void print_error(repl *r, const char *msg)
{
    ll_term_sink_break(r->out);
    fflush(stdout);
    size_t n = strlen(msg);
    int nl = n > 0 && msg[n - 1] == '\n';
    if (r->err_color)
        fprintf(stderr, RED "%s" RESET "%s", msg, nl ? "" : "\n");
    else
        fprintf(stderr, "%s%s", msg, nl ? "" : "\n");
    fflush(stderr);
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* Between these two, SIGINT interrupts the running code. */
static struct sigaction tstp_at_prompt;

static void running_begin(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, &tstp_at_prompt);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTSTP);
    interrupts_while_running = 0;
    chunk_running = 1;
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void running_end(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTSTP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    chunk_running = 0;
    sigaction(SIGTSTP, &tstp_at_prompt, NULL);
}

/* Run code as one cell; show its value, or its error in red.  Returns the
 * cell status; *seconds gets the wall time. */
static int run_code(repl *r, const char *code, size_t len, const char *name,
                    double *seconds, double *cpu)
{
    ll_display_opts o = {terminal_width(), 0, r->color};
    ll_host_set_display_opts(r->h, &o);
    ll_cell_result res;
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);

    ll_term_sink_begin(r->out, terminal_width());
    running_begin();
    int status = ll_host_run_cell(r->h, code, len, name, &res);
    running_end();
    ll_term_sink_end(r->out);

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    fflush(stdout);
    if (status == LL_CELL_OK) {
        if (res.has_value)
            show_display(r, &res.value);
    } else {
        print_error(r, res.traceback ? res.traceback
                       : res.evalue  ? res.evalue
                                     : "error");
    }
    if (seconds)
        *seconds = res.seconds;
    if (cpu)
        *cpu = (double)(c1.tv_sec - c0.tv_sec) +
               (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
    ll_cell_result_free(&res);
    return status;
}

/* ---- commands ---- */

static const char repl_help[] =
    "lualab REPL\n"
    "  EXPR  or  =EXPR    evaluate and show the value\n"
    "  ?NAME              the doc string of a function (?print, ?io.write)\n"
    "  ?                  this help; help() tells about lualab\n"
    "  :time CODE         run CODE, then print its wall and CPU time\n"
    "  :run NOTEBOOK      run a notebook's code cells in this session\n"
    "  :help              this help\n"
    "Tab completes globals, fields after '.', methods after ':', keys "
    "after t[\".\n"
    "Ctrl-C cancels the line or stops running code; Ctrl-D exits.\n"
    "History is kept in ~/.lualab_history (LUALAB_HISTORY names another "
    "file).\n";

static void cmd_doc(repl *r, const char *name)
{
    while (*name == ' ' || *name == '\t')
        name++;
    size_t n = strlen(name);
    while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
        n--;
    if (n == 0) {
        fputs(repl_help, stdout);
        fflush(stdout);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(c == '_' || c == '.' || c == ':' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            char msg[256];
            snprintf(msg, sizeof msg, "?: not a name: '%.*s'", (int)n, name);
            print_error(r, msg);
            return;
        }
    }
    /* help("name") from the host, called directly: its message then has
     * no chunk position ("help: no such name 'x'"). */
    lua_State *L = ll_host_lua(r->h);
    int top = lua_gettop(L);
    lua_pushglobaltable(L);
    lua_pushliteral(L, "help");
    lua_rawget(L, -2);
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        print_error(r, "?: the global help() is gone");
        lua_settop(L, top);
        return;
    }
    lua_pushlstring(L, name, n);
    ll_display_opts o = {terminal_width(), 0, r->color};
    ll_host_set_display_opts(r->h, &o);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        print_error(r, msg ? msg : "?: help failed");
    }
    fflush(stdout);
    lua_settop(L, top);
}

static void print_seconds(char *out, size_t n, double s)
{
    if (s < 1e-3)
        snprintf(out, n, "%.1f us", s * 1e6);
    else if (s < 1)
        snprintf(out, n, "%.2f ms", s * 1e3);
    else
        snprintf(out, n, "%.3f s", s);
}

static void cmd_time(repl *r, const char *code, size_t len)
{
    double wall = 0, cpu = 0;
    run_code(r, code, len, "stdin", &wall, &cpu);
    char w[32], c[32];
    print_seconds(w, sizeof w, wall);
    print_seconds(c, sizeof c, cpu);
    printf("wall time: %s (cpu %s)\n", w, c);
    fflush(stdout);
}

/* :run NOTEBOOK: the notebook's code cells, in order, in this session.
 * Output streams as it comes and values show as at the prompt; the first
 * failing cell stops the run (unless tagged raises-exception), as in
 * --run.  Tracebacks name the cell ("cell 3:2: ..."). */
static void cmd_run(repl *r, const char *arg)
{
    size_t n = strlen(arg);
    while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
        n--;
    if (n == 0) {
        print_error(r, ":run: usage: :run NOTEBOOK");
        return;
    }
    char *given = strndup(arg, n);
    char *path = given ? tilde_expand(given) : NULL;
    free(given);
    if (!path) {
        print_error(r, ":run: out of memory");
        return;
    }
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    if (ll_notebook_read(path, &nb, &err) != LL_OK) {
        char msg[sizeof err.msg + 16];
        snprintf(msg, sizeof msg, ":run: %s", err.msg);
        print_error(r, msg);
        free(path);
        return;
    }
    ll_display_opts o = {terminal_width(), 0, r->color};
    ll_host_set_display_opts(r->h, &o);
    const ll_sink *sink = ll_term_sink_get(r->out);
    int counter = 0, number = 0, ran = 0, stopped = 0;
    double seconds = 0;
    for (int i = 0; i < nb->ncells && !stopped; i++) {
        ll_cell *c = &nb->cells[i];
        if (c->type != LL_CELL_CODE)
            continue;
        number++;
        char name[32];
        snprintf(name, sizeof name, "cell %d", number);
        ll_cell_result res;
        ll_term_sink_begin(r->out, terminal_width());
        running_begin();
        int status = ll_cell_execute_named(c, r->h, &counter, sink, name, &res);
        running_end();
        ll_term_sink_end(r->out);
        ran++;
        seconds += res.seconds;
        if (res.has_value)
            show_display(r, &res.value);
        if (status != LL_CELL_OK) {
            print_error(r, res.traceback ? res.traceback
                           : res.evalue  ? res.evalue
                                         : "error");
            if (status != LL_CELL_ERROR ||
                !ll_cell_has_tag(c, "raises-exception")) {
                char *first = ll_cell_first_line(c, 50, NULL);
                char msg[160];
                snprintf(msg, sizeof msg, ":run: %s: %s %s: %s", path, name,
                         status == LL_CELL_INTERRUPTED ? "was interrupted"
                         : status == LL_CELL_SYNTAX    ? "does not compile"
                                                       : "failed",
                         first ? first : "");
                free(first);
                print_error(r, msg);
                stopped = 1;
            }
        }
        ll_cell_result_free(&res);
    }
    if (!stopped) {
        char t[32];
        print_seconds(t, sizeof t, seconds);
        printf(":run: %s: %d code cell%s in %s\n", path, ran,
               ran == 1 ? "" : "s", t);
        fflush(stdout);
    }
    ll_notebook_free(nb);
    free(path);
}

/* ---- history ---- */

static char *history_path(void)
{
    const char *env = getenv("LUALAB_HISTORY");
    if (env)
        return *env ? strdup(env) : NULL;
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    ll_buf b;
    ll_buf_init(&b);
    if (ll_buf_printf(&b, "%s/.lualab_history", home) != LL_OK) {
        ll_buf_free(&b);
        return NULL;
    }
    return ll_buf_take(&b);
}

static void history_open(repl *r)
{
    using_history();
    stifle_history(HISTORY_MAX);
    /* Multi-line chunks stay one entry: timestamps separate entries. */
    history_comment_char = '#'; /* timestamp lines are "#<seconds>" */
    history_write_timestamps = 1;
    history_multiline_entries = 1;
    r->histfile = history_path();
    if (!r->histfile)
        return;
    struct stat st;
    if (stat(r->histfile, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* /dev/null and the like: keep history in memory only. */
        free(r->histfile);
        r->histfile = NULL;
        return;
    }
    int fd = open(r->histfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) {
        fprintf(stderr, "lualab: history file %s: %s\n", r->histfile,
                strerror(errno));
        free(r->histfile);
        r->histfile = NULL;
        return;
    }
    close(fd);
    read_history(r->histfile);
}

/* Each entry is appended at once, so a crash or a double Ctrl-C keeps it;
 * on exit the file is cut to its last HISTORY_MAX lines (memory keeps
 * HISTORY_MAX entries). */
static void history_add(repl *r, const char *entry)
{
    HIST_ENTRY *last = history_length > 0
                           ? history_get(history_base + history_length - 1)
                           : NULL;
    if (last && strcmp(last->line, entry) == 0)
        return;
    add_history(entry);
    if (r->histfile)
        append_history(1, r->histfile);
}

static void history_close(repl *r)
{
    if (r->histfile) {
        history_truncate_file(r->histfile, HISTORY_MAX);
        free(r->histfile);
        r->histfile = NULL;
    }
    clear_history();
}

/* ---- completion ---- */

static repl *completing;
static char **cand_list;
static size_t cand_next;

static char *cand_generator(const char *text, int state)
{
    (void)text;
    if (!cand_list || !cand_list[cand_next])
        return NULL;
    (void)state;
    return strdup(cand_list[cand_next++]);
}

static char **attempt_completion(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    rl_completion_append_character = '\0';
    rl_completion_suppress_append = 1;
    if (!completing)
        return NULL;
    int files = 0;
    ll_err err = {0};
    cand_list = ll_repl_candidates(ll_host_lua(completing->h), rl_line_buffer,
                                   (size_t)start, text, &files, &err);
    if (files) {
        rl_attempted_completion_over = 0;
        return NULL;
    }
    if (!cand_list) {
        if (err.code) { /* say so below the line, as a match list would */
            fprintf(rl_outstream ? rl_outstream : stdout, "\ncompletion: %s\n",
                    err.msg);
            rl_on_new_line();
        }
        return NULL;
    }
    cand_next = 0;
    char **m = rl_completion_matches(text, cand_generator);
    ll_repl_free_candidates(cand_list);
    cand_list = NULL;
    /* One key of t["ke: close the string and the bracket, as IPython
     * does (unless they follow already). */
    size_t ks;
    if (m && m[0] && !m[1] &&
        ll_repl_key_start(rl_line_buffer, (size_t)rl_point, &ks) &&
        ks == (size_t)start) {
        char q = rl_line_buffer[start - 1];
        if (rl_line_buffer[rl_point] != q) {
            size_t n = strlen(m[0]);
            char *closed = realloc(m[0], n + 3);
            if (closed) {
                closed[n] = q;
                closed[n + 1] = ']';
                closed[n + 2] = '\0';
                m[0] = closed;
            }
        }
    }
    return m;
}

/* Tab at the start of a line indents (two spaces); elsewhere it
 * completes. */
static int tab_key(int count, int key)
{
    for (int i = 0; i < rl_point; i++)
        if (rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t') {
            /* Tab Tab lists the candidates, as readline does when Tab is
             * bound to rl_complete itself: it looks at rl_last_func. */
            if (rl_last_func == tab_key)
                rl_last_func = rl_complete;
            return rl_complete(count, key);
        }
    return rl_insert_text("  ") >= 0 ? 0 : 1;
}

/* After ":run " the whole path is one word: '/' and '.' do not break it.
 * In t["ke the key runs from the quote: spaces and dots are part of it. */
static char *word_breaks(void)
{
    static char path_breaks[] = " \t\n";
    static char key_breaks[2];
    size_t ks;
    if (ll_repl_key_start(rl_line_buffer, (size_t)rl_point, &ks)) {
        key_breaks[0] = rl_line_buffer[ks - 1];
        return key_breaks;
    }
    const char *p = rl_line_buffer;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, ":run", 4) == 0 && (p[4] == ' ' || p[4] == '\t'))
        return path_breaks;
    return NULL;
}

/* ---- the loop ---- */

static char *got_line;
static int got_input; /* 1 when the line handler ran */

static void on_line(char *line)
{
    got_line = line;
    got_input = 1;
    rl_callback_handler_remove();
}

/* _PROMPT / _PROMPT2 override the prompts, as in lua.c (raw access: a
 * strict _G must not raise here). */
static const char *prompt_for(repl *r, int more)
{
    lua_State *L = ll_host_lua(r->h);
    lua_pushglobaltable(L);
    lua_pushstring(L, more ? "_PROMPT2" : "_PROMPT");
    lua_rawget(L, -2);
    static char custom[128];
    const char *p = more ? PROMPT2 : PROMPT1;
    if (lua_type(L, -1) == LUA_TSTRING) {
        snprintf(custom, sizeof custom, "%s", lua_tostring(L, -1));
        p = custom;
    }
    lua_pop(L, 2);
    return p;
}

static void chunk_reset(repl *r)
{
    ll_buf_reset(&r->chunk);
    r->kind = CHUNK_LUA;
    r->code_at = 0;
}

/* Handle one line of input: a command, or a line of the current chunk,
 * which runs once it is complete. */
static void handle_line(repl *r, const char *line)
{
    if (r->chunk.len == 0) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return;
        if (*p == '?') {
            history_add(r, line);
            cmd_doc(r, p + 1);
            return;
        }
        if (*p == ':' && p[1] != ':') {
            const char *name = p + 1;
            size_t n = strcspn(name, " \t");
            const char *arg = name + n;
            while (*arg == ' ' || *arg == '\t')
                arg++;
            int is_time = n == 4 && strncmp(name, "time", 4) == 0;
            if (!is_time) /* :time goes to history with its whole chunk */
                history_add(r, line);
            if (n == 4 && strncmp(name, "help", 4) == 0) {
                fputs(repl_help, stdout);
                fflush(stdout);
                return;
            }
            if (is_time) {
                if (*arg == '\0') {
                    history_add(r, line);
                    print_error(r, ":time: usage: :time CODE");
                    return;
                }
                ll_buf_puts(&r->chunk, line);
                r->kind = CHUNK_TIME;
                r->code_at = (size_t)(arg - line);
            } else if (n == 3 && strncmp(name, "run", 3) == 0) {
                cmd_run(r, arg);
                return;
            } else {
                char msg[160];
                snprintf(msg, sizeof msg, ":%.*s: unknown command (try :help)",
                         (int)n, name);
                print_error(r, msg);
                return;
            }
        } else {
            ll_buf_puts(&r->chunk, line);
            /* "=expr" as in Lua 5.1-5.3: show the value of expr. */
            r->code_at = *p == '=' ? (size_t)(p - line) + 1 : 0;
        }
    } else {
        ll_buf_putc(&r->chunk, '\n');
        ll_buf_puts(&r->chunk, line);
    }
    lua_State *L = ll_host_lua(r->h);
    const char *code = r->chunk.data + r->code_at;
    size_t len = r->chunk.len - r->code_at;
    if (ll_repl_incomplete(L, code, len))
        return; /* ask for more with PROMPT2 */
    if (r->kind == CHUNK_TIME) {
        history_add(r, r->chunk.data);
        cmd_time(r, code, len);
    } else {
        history_add(r, r->chunk.data);
        char var[64];
        if (ll_repl_close_at_once(code, len, var, sizeof var)) {
            ll_term_sink_break(r->out);
            fflush(stdout);
            fprintf(stderr,
                    "warning: '%s' <close> is closed as soon as this entry "
                    "ends (each entry is its own chunk); keep the work in "
                    "one do ... end\n",
                    var);
            fflush(stderr);
        }
        run_code(r, code, len, "stdin", NULL, NULL);
    }
    chunk_reset(r);
}

static void cancel_line(repl *r)
{
    /* "^C" after the whole line, then readline forgets the line. */
    rl_point = rl_end;
    rl_redisplay();
    fputs("^C\n", rl_outstream ? rl_outstream : stdout);
    fflush(rl_outstream ? rl_outstream : stdout);
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_cleanup_after_signal();
    rl_callback_handler_remove();
    chunk_reset(r);
}

static int interactive_loop(ll_host *h)
{
    repl r;
    memset(&r, 0, sizeof r);
    r.h = h;
    const char *nc = getenv("NO_COLOR");
    int no_color = nc && *nc;
    r.color = !no_color && isatty(STDOUT_FILENO);
    r.err_color = !no_color && isatty(STDERR_FILENO);
    ll_err err = {0};
    r.out = ll_term_sink_new(r.color, 1, &err);
    if (!r.out) {
        fprintf(stderr, "lualab: %s\n", err.msg);
        return 1;
    }
    ll_buf_init(&r.chunk);
    chunk_reset(&r);

    ll_host_set_sink(h, ll_term_sink_get(r.out));

    rl_readline_name = "lualab";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_attempted_completion_function = attempt_completion;
    /* '.' and ':' end a word, so "io.wr" completes "wr" in io. */
    static char breaks[] = " \t\n\"\\'`@$><=;|&{}()[],+-*/%^~#?.:";
    rl_basic_word_break_characters = breaks;
    rl_completer_word_break_characters = breaks;
    rl_completion_word_break_hook = word_breaks;
    /* A quote before the word is no delimiter for readline to repeat
     * after a single match: t["ke closes as "] by attempt_completion. */
    rl_basic_quote_characters = "";
    rl_bind_key('\t', tab_key);
    completing = &r;
    history_open(&r);

    /* SIGINT, SIGWINCH and SIGTSTP are blocked but inside pselect (and
     * SIGINT and SIGTSTP while a chunk runs). */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGTSTP);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGWINCH);
    sigdelset(&waitmask, SIGTSTP);
    struct sigaction sa, old_int, old_winch, old_tstp, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    have_found_tty = tcgetattr(STDIN_FILENO, &found_tty) == 0;
    prepare_restart();
    sa.sa_handler = on_fatal;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    sa.sa_handler = on_sigint; /* no SA_RESTART: pselect must wake */
    sig_host = h;
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = on_sigwinch;
    sigaction(SIGWINCH, &sa, &old_winch);
    sa.sa_handler = on_sigtstp;
    sigaction(SIGTSTP, &sa, &old_tstp);

    printf("lualab %s (%s) -- help() / ?name / :help; Ctrl-D exits\n",
           PACKAGE_VERSION, LUA_RELEASE);
    fflush(stdout);

    rl_callback_handler_install(prompt_for(&r, 0), on_line);
    int running = 1;
    while (running) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        int n = pselect(STDIN_FILENO + 1, &fds, NULL, NULL, NULL, &waitmask);
        if (n < 0 && errno != EINTR)
            break;
        /* When input is ready pselect returns without running handlers
         * for signals that came meanwhile: let them run now, so a Ctrl-C
         * typed before more keys cancels the line before those keys. */
        sigset_t held;
        sigprocmask(SIG_SETMASK, &waitmask, &held);
        sigprocmask(SIG_SETMASK, &held, NULL);
        if (sigtstp_seen) {
            sigtstp_seen = 0;
            suspend_at_prompt();
        }
        if (sigwinch_seen) {
            sigwinch_seen = 0;
            rl_resize_terminal();
        }
        if (sigint_seen) {
            sigint_seen = 0;
            cancel_line(&r);
            rl_callback_handler_install(prompt_for(&r, 0), on_line);
            continue;
        }
        if (n <= 0)
            continue;
        rl_callback_read_char();
        if (!got_input)
            continue;
        got_input = 0;
        char *line = got_line;
        got_line = NULL;
        if (!line) { /* Ctrl-D */
            fputc('\n', stdout);
            running = 0;
            break;
        }
        handle_line(&r, line);
        free(line);
        rl_callback_handler_install(prompt_for(&r, r.chunk.len > 0), on_line);
    }
    rl_callback_handler_remove();
    fflush(stdout);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGWINCH, &old_winch, NULL);
    sigaction(SIGTSTP, &old_tstp, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sig_host = NULL;
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    completing = NULL;
    history_close(&r);
    ll_host_set_sink(h, NULL);
    ll_term_sink_free(r.out);
    ll_buf_free(&r.chunk);
    return 0;
}

int ll_repl_main(ll_host *h, int interactive)
{
    if (interactive)
        return interactive_loop(h);
    ll_host_catch_sigint(h);
    return ll_host_run_script(h, NULL);
}
