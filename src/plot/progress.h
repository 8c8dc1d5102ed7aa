/*
 * progress: draws the host's progress reports (util/signals.h, ll_progress)
 * as a bar line, and a headless renderer that writes them to a terminal or
 * a log.  Core: no Lua, no curses.
 *
 * A line reads
 *
 *   Epoch 3/5  37% |██████▍          | 37/100  12.3 batch/s  00:03<00:05  loss
 * 0.0123
 *
 * (label, percentage, bar, count/total, rate, elapsed<ETA, metrics).  When
 * total is 0 (unknown) there is no percentage, bar or ETA.  When the width
 * is short, the bar goes first, then the metrics are cut.
 *
 * How the front ends use it:
 *   - headless runner / REPL: make one ll_progress_term for stderr,
 *       t = ll_progress_term_new(stderr, isatty(2), quiet);
 *     and call ll_progress_term_update(t, p) from the host sink's progress
 *     callback; ll_progress_term_free(t) at exit (it ends an open line).
 *   - curses notebook: call ll_progress_render(p, cols, 1, &buf) for the
 *     bar text of each active depth and draw it in the cell's output area.
 *
 * Elapsed time, rate and ETA need the start of a bar.  ll_progress_render
 * tracks it per depth: a bar (re)starts when its label changes, when done
 * goes backwards, or after a report with finished set.  Tests inject the
 * clock with ll_progress_set_clock.
 */
#ifndef LL_PROGRESS_H
#define LL_PROGRESS_H

#include <stdio.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/signals.h"

/* The clock used for elapsed time and throttling: seconds, monotonic.
 * NULL restores ll_monotonic. */
typedef double (*ll_progress_clock)(void);
void ll_progress_set_clock(ll_progress_clock clock);

/* Append the bar line for p to out, at most width columns.  elapsed is
 * the bar's age in seconds (< 0: unknown, no rate or ETA).  Metrics of
 * several lines ('\n' between them, e.g. one per running query): the
 * first goes on the bar line, each further one becomes a row of its own,
 * indented by two spaces and cut to width, after a '\n' in out. */
void ll_progress_format(const ll_progress *p, double elapsed, int width,
                        int unicode, ll_buf *out);

/* As ll_progress_format, with the elapsed time tracked per depth (see
 * above). */
void ll_progress_render(const ll_progress *p, int width, int unicode,
                        ll_buf *out);

/* Rows of a rendered text: 1 + its '\n's. */
int ll_progress_rows(const char *text);

/* Forget every bar's start (a new cell). */
void ll_progress_reset(void);

typedef struct ll_progress_term ll_progress_term;

/* A renderer writing to f (borrowed; not closed).  is_tty 1: one line
 * redrawn in place with '\r' at most ~10 times a second, nested bars shown
 * as "outer | inner"; a bar of several rows (multi-line metrics) is a
 * block redrawn in place with cursor-up; 0: the plain line(s) every few
 * seconds and once when a bar finishes; quiet 1: nothing at all.  Width comes
 * from $COLUMNS (80 when unset); Unicode from the locale (see
 * ll_plot_unicode_default).  NULL with err filled when out of memory. */
ll_progress_term *ll_progress_term_new(FILE *f, int is_tty, int quiet,
                                       ll_err *err);
void ll_progress_term_update(ll_progress_term *t, const ll_progress *p);
/* Rows of the unfinished block on screen (0: none); the cursor is at the
 * end of its last row.  Accepts NULL. */
int ll_progress_term_open_rows(const ll_progress_term *t);
/* Ends an open line.  Accepts NULL. */
void ll_progress_term_free(ll_progress_term *t);
/* Settings (tests, front ends that know better). */
void ll_progress_term_set_width(ll_progress_term *t, int width);
void ll_progress_term_set_unicode(ll_progress_term *t, int unicode);
/* Seconds between lines when not a tty (default 5). */
void ll_progress_term_set_interval(ll_progress_term *t, double seconds);

#endif
