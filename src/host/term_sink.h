/*
 * term_sink: the sink of the front ends that write straight to the
 * process's stdout and stderr (the REPL, `lualab --lua`, `lualab -e`).
 *
 * Streams go to stdout/stderr as they come; displayed values print as text
 * (their ANSI form when colour is on); progress bars (plot/progress.h) are
 * drawn on stderr, one renderer per chunk so elapsed times and rates start
 * with it.  On a terminal a bar is one line redrawn in place; output in the
 * middle of a bar erases the bar's line first and the next report draws it
 * again below.
 */
#ifndef LL_TERM_SINK_H
#define LL_TERM_SINK_H

#include "host/host.h"

typedef struct ll_term_sink ll_term_sink;

/* color: print displays' ANSI form.  plain_bars: also draw bars when stderr
 * is not a terminal (a line every few seconds and one when a bar
 * finishes); otherwise bars draw only on a terminal.  NULL and err filled
 * (ll_err_oom) when out of memory. */
ll_term_sink *ll_term_sink_new(int color, int plain_bars, ll_err *err);
void ll_term_sink_free(ll_term_sink *t);
/* The sink to give ll_host_set_sink or ll_cell_execute (valid while t
 * lives). */
const ll_sink *ll_term_sink_get(ll_term_sink *t);
/* A chunk starts (bars restart, width columns) / ends (an unfinished bar
 * stays on screen as it last was). */
void ll_term_sink_begin(ll_term_sink *t, int width);
void ll_term_sink_end(ll_term_sink *t);
/* Erase an open bar line before writing something else to the terminal. */
void ll_term_sink_break(ll_term_sink *t);
/* Print a displayed value (text or ANSI, ending in a newline). */
void ll_term_sink_show(ll_term_sink *t, const ll_display *d);

#endif
