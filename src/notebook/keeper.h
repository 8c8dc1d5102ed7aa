/*
 * keeper: the thread beside `lualab --run` that keeps the output notebook
 * up to date and makes the time limits hard.
 *
 * The main thread runs the cells.  After each one it prints that cell's
 * .ipynb text and hands it over (nb_keeper_cell_done); the keeper writes
 * the whole file at most once per interval, from those texts, whenever one
 * changed, so a run of n cells costs O(n) and a kill -9 loses at most about
 * an interval of outputs, even while one cell runs for hours.
 *
 * When a cell with a limit is still running a grace second after it (stuck
 * inside one C call, where the Lua hook never comes), and when a fatal
 * signal arrives, the keeper renders the notebook on demand, with the
 * running cell marked, writes it and ends the process; it never touches the
 * running cell, whose outputs the main thread may be appending.
 *
 * Shared state sits behind a mutex the main thread takes only between
 * cells, for a handful of stores.
 */
#ifndef LL_NB_KEEPER_H
#define LL_NB_KEEPER_H

#include "notebook/notebook.h"

/* Seconds between two writes of the output notebook while a run goes on
 * (Jupyter autosaves a running notebook on about this scale). */
#define NB_KEEP_INTERVAL 1.0
/* Seconds past a cell's limit before the keeper stops a stuck process. */
#define NB_KEEP_GRACE 1.0

typedef struct nb_keeper nb_keeper;

/* Start the keeper.  out: the .ipynb to keep written, or NULL (limits
 * only).  cell_text: each cell's .ipynb text, every entry filled (the
 * first write of the notebook fills it); the keeper reads it under its
 * mutex, the main thread changes it only through nb_keeper_cell_done.
 * Returns NULL when the thread cannot start. */
nb_keeper *nb_keeper_start(const ll_notebook *nb, char **cell_text,
                           const char *out);

/* Cell i starts with execution count `count`.  limit > 0: seconds after
 * which (plus the grace) the keeper stops the process with exit code rc,
 * marking the cell as a TimeoutError with evalue and writing msg (a whole
 * line) to stderr. */
void nb_keeper_cell_start(nb_keeper *k, int i, int count, double limit, int rc,
                          const char *evalue, const char *msg);

/* Cell i ended; text (taken, may be NULL when only the limit ends) is its
 * new .ipynb text.  Returns -1 when a write of the output notebook failed
 * (the message is on stderr), 0 otherwise. */
int nb_keeper_cell_done(nb_keeper *k, int i, char *text);

/* Stop the thread (no write).  Returns -1 when a write had failed. */
int nb_keeper_stop(nb_keeper *k);

/* From a handler of a fatal signal on the main thread: ask the keeper to
 * write the output notebook (the running cell marked ename: evalue), write
 * msg to stderr and end the process with code.  Returns 1 when the keeper
 * will do it (the handler returns and the process ends shortly), 0 when
 * there is no keeper with an output notebook or it did not finish in a
 * few seconds: the handler ends the process itself.  Async-signal-safe;
 * all strings must be static. */
int nb_keeper_fatal(int code, const char *msg, const char *ename,
                    const char *evalue);

/* Write s to stderr with write(2) alone (async-signal-safe). */
void nb_keeper_say(const char *s);

#endif
