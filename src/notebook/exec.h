/*
 * exec: running a notebook's code cell in a kernel (host/) and turning
 * what happens into the cell's outputs.  Kept apart from notebook.h so the
 * notebook model and its file formats need no Lua and no host.
 */
#ifndef LL_NB_EXEC_H
#define LL_NB_EXEC_H

#include "host/host.h"
#include "notebook/notebook.h"

/*
 * Run one code cell in the host: clears its outputs, runs it, and fills
 * outputs (streams merged as they come, display_data, execute_result,
 * error).  `forward` (may be NULL) also receives every event as it
 * happens, so a front end can draw output while the cell runs.  *counter
 * is the kernel's execution counter: incremented and stored in the cell.
 * Afterwards the host's sink is `forward` (plain stdout when NULL).
 * Returns the host's ll_cell_status.
 */
int ll_cell_execute(ll_cell *c, ll_host *h, int *counter,
                    const ll_sink *forward);
/* The same with the chunk name used in tracebacks ("cell 3"); when
 * res is not NULL it receives the host's result (free it with
 * ll_cell_result_free). */
int ll_cell_execute_named(ll_cell *c, ll_host *h, int *counter,
                          const ll_sink *forward, const char *name,
                          ll_cell_result *res);

#endif
