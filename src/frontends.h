/*
 * frontends: the entry points main.c dispatches to.  Each front end owns
 * its own option parsing for its mode; main.c only picks the mode.
 */
#ifndef LL_FRONTENDS_H
#define LL_FRONTENDS_H

#include <stdio.h>

#include "host/host.h"

/* repl/repl.c: the REPL on a terminal (interactive != 0), or run Lua read
 * from stdin.  Returns the process exit code. */
int ll_repl_main(ll_host *h, int interactive);

/* ui/ui.c: the full-screen notebook on a terminal for `lualab NOTEBOOK`
 * (.lua percent file or .ipynb; a missing file starts a new notebook).
 * Returns the process exit code (128 + signal when ended by one). */
int ll_ui_main(const char *path);

/* notebook/runner.c: `lualab --run NOTEBOOK [options]` (argv[0] is
 * "--run") and `lualab NOTEBOOK` off a terminal (argv = {"--run", path}).
 * Returns the process exit code: 0 ok, 1 a cell failed, 2 usage or parse
 * error, 3 cell timeout, 4 run timeout, 130 interrupted, n when a cell
 * called os.exit(n). */
int ll_nb_run_main(int argc, char **argv);

/* Usage printed by --help: the modes (ll_usage),
 * then every command of the generated registry with its help line. */
extern const char ll_usage[];
void ll_usage_print(FILE *f);
/* After a usage error's one-line message: "see lualab --help" (the whole
 * usage is for --help alone). */
void ll_usage_hint(FILE *f);

#endif
