/*
 * main: pick the mode from the command line and hand over to a front end.
 *
 *   lualab                      REPL (or Lua from stdin when not a tty)
 *   lualab --lua SCRIPT [ARGS]  the `lua` interpreter, lualab preloaded
 *   lualab -e CODE              run CODE
 *   lualab NOTEBOOK             open a notebook (see open_notebook)
 *   lualab --run NOTEBOOK ...   run a notebook headless (notebook/runner.c)
 *   lualab SUBCOMMAND ...       a command from the generated registry
 *
 * Usage errors exit 2 with one line and the usage.
 */
#include "config.h"

#include "frontends.h"
#include "host/host.h"
#include "host/term_sink.h"
#include "notebook/notebook.h"
#include "util/fsutil.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Each command may publish its --help line as
 *   const char ll_cmd_NAME_help[] = "SYNOPSIS\tone-line summary";
 * (a weak reference here: NULL when it does not). */
#define LL_MODULE(name)
#define LL_COMMAND(name)                                                       \
    int ll_cmd_##name(int argc, char **argv);                                  \
    extern const char ll_cmd_##name##_help[] __attribute__((weak));
#include "gen/registry.h"
#undef LL_MODULE
#undef LL_COMMAND

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
#define LL_MODULE(name)
#define LL_COMMAND(name) {#name, ll_cmd_##name, ll_cmd_##name##_help},
#include "gen/registry.h"
#undef LL_MODULE
#undef LL_COMMAND
    {NULL, NULL, NULL}};

/* --help lines for the commands that do not publish their own. */
static const struct {
    const char *name;
    const char *help;
} known_help[] = {
    {"runs", "runs [list|show|compare|export] ...\tthe tracked experiments "
             "and runs (mlruns.db)"},
    {"models", "models [--tracking-uri URI]\tregistered models and their "
               "versions"},
    {"gen", "gen NAME [--out FILE] [--seed N] ...\tgenerate one of the "
            "lab's data sets"},
    {NULL, NULL}};

const char ll_usage[] =
    "usage: lualab                        start the REPL (reads Lua from "
    "stdin when it is not a terminal)\n"
    "       lualab NOTEBOOK               open a notebook (.lua, .ipynb, "
    ".md) full-screen on a\n"
    "                                     terminal; otherwise run it like "
    "--run\n"
    "       lualab --run NOTEBOOK [-o OUT.ipynb] [-p NAME VALUE]... "
    "[-r NAME VALUE]...\n"
    "              [--allow-errors] [--cell-timeout S] [--timeout S] "
    "[--quiet] [--color=always|never|auto]\n"
    "                                     run a notebook headless; exit 0 "
    "ok, 1 cell error, 2 usage or\n"
    "                                     parse error, 3 cell timeout, 4 "
    "run timeout, 130 interrupted,\n"
    "                                     n when a cell calls os.exit(n)\n"
    "       lualab --lua SCRIPT [ARGS]    run a Lua script, like `lua`, with "
    "every lualab module loaded\n"
    "       lualab -e CODE                run a string of Lua\n"
    "       lualab --version | --help\n";

void ll_usage_hint(FILE *f)
{
    fputs("see lualab --help\n", f);
}

void ll_usage_print(FILE *f)
{
    fputs(ll_usage, f);
    fputs("commands:\n", f);
    for (int i = 0; commands[i].name; i++) {
        const char *help = commands[i].help;
        for (int k = 0; !help && known_help[k].name; k++)
            if (strcmp(known_help[k].name, commands[i].name) == 0)
                help = known_help[k].help;
        const char *tab = help ? strchr(help, '\t') : NULL;
        char synopsis[128];
        if (tab)
            snprintf(synopsis, sizeof synopsis, "lualab %.*s",
                     (int)(tab - help), help);
        else
            snprintf(synopsis, sizeof synopsis, "lualab %s ...",
                     commands[i].name);
        const char *summary = tab ? tab + 1 : "(run it alone for its usage)";
        if (strlen(synopsis) <= 29)
            fprintf(f, "       %-29s %s\n", synopsis, summary);
        else
            fprintf(f, "       %s\n       %-29s %s\n", synopsis, "", summary);
    }
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lualab: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    ll_usage_hint(stderr);
    va_end(ap);
    return 2;
}

static ll_host *make_host(int argc, char **argv)
{
    ll_err err;
    ll_err_clear(&err);
    ll_host *h = ll_host_new(argc, argv, &err);
    if (!h)
        fprintf(stderr, "lualab: %s\n", err.msg);
    return h;
}

/* Progress bars for --lua and -e: drawn on stderr when it is a terminal
 * (elsewhere the output stays as lua's would be).  NULL when not drawn. */
static ll_term_sink *bars_begin(ll_host *h)
{
    if (!isatty(STDERR_FILENO))
        return NULL;
    ll_term_sink *t = ll_term_sink_new(0, 0, NULL);
    if (!t)
        return NULL;
    struct winsize ws;
    int width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0
                    ? ws.ws_col
                    : 0;
    ll_host_set_sink(h, ll_term_sink_get(t));
    ll_term_sink_begin(t, width);
    return t;
}

static void bars_end(ll_host *h, ll_term_sink *t)
{
    if (!t)
        return;
    ll_term_sink_end(t);
    ll_host_set_sink(h, NULL);
    ll_term_sink_free(t);
}

/* lualab --lua SCRIPT [ARGS]: arg[0] = SCRIPT, arg[-1] = the binary. */
static int run_lua(int argc, char **argv)
{
    if (argc < 3)
        return usage_error("%s needs a script (or - for stdin)", "--lua");
    ll_host *h = make_host(argc - 2, argv + 2);
    if (!h)
        return 1;
    lua_State *L = ll_host_lua(h);
    lua_getglobal(L, "arg");
    lua_pushstring(L, argv[0]);
    lua_rawseti(L, -2, -1);
    lua_pop(L, 1);
    ll_host_catch_sigint(h);
    ll_term_sink *bars = bars_begin(h);
    int rc = ll_host_run_script(h, argv[2]);
    bars_end(h, bars);
    ll_host_free(h);
    return rc;
}

static int run_string(int argc, char **argv)
{
    if (argc < 3)
        return usage_error("%s needs an argument", "-e");
    ll_host *h = make_host(0, NULL);
    if (!h)
        return 1;
    ll_host_catch_sigint(h);
    ll_term_sink *bars = bars_begin(h);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-e") != 0 || i + 1 >= argc) {
            rc = usage_error("unexpected argument '%s'", argv[i]);
            break;
        }
        const char *code = argv[++i];
        rc = ll_host_run_string(h, code, strlen(code));
        if (rc != 0)
            break;
    }
    bars_end(h, bars);
    ll_host_free(h);
    return rc;
}

/* lualab NOTEBOOK: the full-screen notebook on a terminal; otherwise the
 * notebook runs the way --run does. */
static int open_notebook(char *path)
{
    if (isatty(0) && isatty(1))
        return ll_ui_main(path);
    char run[] = "--run";
    char *args[] = {run, path, NULL};
    return ll_nb_run_main(2, args);
}

static int is_notebook_name(const char *path)
{
    const char *ext = ll_path_ext(path);
    return strcmp(ext, "lua") == 0 || strcmp(ext, "ipynb") == 0 ||
           strcmp(ext, "md") == 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        ll_host *h = make_host(0, NULL);
        if (!h)
            return 1;
        int rc = ll_repl_main(h, isatty(0) && isatty(1));
        ll_host_free(h);
        return rc;
    }
    const char *a = argv[1];
    if (strcmp(a, "--version") == 0) {
        printf("lualab %s (%s)\n", PACKAGE_VERSION, LUA_RELEASE);
        return 0;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        ll_usage_print(stdout);
        return 0;
    }
    if (strcmp(a, "--lua") == 0)
        return run_lua(argc, argv);
    if (strcmp(a, "-e") == 0)
        return run_string(argc, argv);
    if (strcmp(a, "--run") == 0)
        return ll_nb_run_main(argc - 1, argv + 1);
    for (int i = 0; commands[i].name; i++)
        if (strcmp(a, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (a[0] == '-')
        return usage_error("unknown option '%s'", a);
    if (is_notebook_name(a)) {
        if (argc > 2)
            return usage_error("unexpected argument '%s'", argv[2]);
        /* On a terminal a new name starts a new notebook. */
        if (!ll_file_exists(a) && !(isatty(0) && isatty(1)))
            return usage_error("cannot open '%s': no such file", a);
        return open_notebook(argv[1]);
    }
    return usage_error("unknown command or file '%s'", a);
}
