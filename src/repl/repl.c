/*
 * repl: the read-eval-print loop.
 *
 * Not on a terminal, lualab reads all of stdin and runs it as one chunk,
 * like `lua -`.
 */
#include "config.h"

#include "frontends.h"

#include <stdio.h>

int ll_repl_main(ll_host *h, int interactive)
{
    (void)interactive;
    ll_host_catch_sigint(h);
    return ll_host_run_script(h, NULL);
}
