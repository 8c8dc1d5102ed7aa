/*
 * notebook: the in-memory notebook (cells and their outputs), its file
 * formats and the execution of one cell into outputs.
 *
 * This header and the format code need no Lua and no kernel: running a
 * cell in the host is notebook/exec.h, the headless runner's entry point
 * is in frontends.h.
 *
 * Formats: jupytext's percent format for Lua (.lua, the source of truth),
 * Jupyter's nbformat 4.5 (.ipynb, with outputs), and Markdown (.md, for
 * reading).  Readers report malformed input as LL_EPARSE with
 * "file:line:col: message" in err and write nothing.  Writers are atomic.
 *
 * Ownership: a notebook owns its cells, a cell owns its strings and
 * outputs.  Every char * here is malloc'd and NUL-terminated (or NULL
 * where noted).  Functions taking a string copy it.
 */
#ifndef LL_NOTEBOOK_H
#define LL_NOTEBOOK_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

typedef enum ll_cell_type {
    LL_CELL_CODE = 0,
    LL_CELL_MARKDOWN = 1,
    LL_CELL_RAW = 2
} ll_cell_type;

typedef enum ll_output_type {
    LL_OUT_STREAM = 0,  /* name + text */
    LL_OUT_RESULT = 1,  /* execute_result: text (+ svg), execution_count */
    LL_OUT_DISPLAY = 2, /* display_data: text (+ svg) */
    LL_OUT_ERROR = 3    /* ename, evalue, traceback */
} ll_output_type;

typedef struct ll_output {
    ll_output_type type;
    char *name;      /* stream: "stdout" or "stderr"; else NULL */
    char *text;      /* stream text or text/plain; NULL for errors */
    char *ansi;      /* text with ANSI colour for terminals, or NULL */
    char *svg;       /* image/svg+xml (no <?xml?> declaration), or NULL */
    char *png;       /* image/png, base64 (made from svg when run), or NULL */
    char *ename;     /* error only */
    char *evalue;    /* error only */
    char *traceback; /* error only: lines separated by '\n' */
    int execution_count;
} ll_output;

typedef struct ll_cell {
    ll_cell_type type;
    char *id;            /* nbformat cell id, unique in the notebook */
    char *source;        /* the cell's text, no trailing newline */
    char *metadata_json; /* the cell's metadata as a JSON object ("{}") */
    char **tags;         /* metadata.tags, also kept in metadata_json */
    int ntags;
    int execution_count; /* 0: never run */
    ll_output *outputs;
    int noutputs;
    int cap_outputs;
    double seconds; /* run time of the last run */
    int stale;      /* edited (or kernel restarted) since it ran */
    int line;       /* line of the cell marker in the file read, or 0 */
} ll_cell;

typedef enum ll_nb_format {
    LL_NB_PERCENT = 0,
    LL_NB_IPYNB = 1,
    LL_NB_MARKDOWN = 2
} ll_nb_format;

typedef struct ll_notebook {
    char *path;          /* where it was read from, or NULL */
    char *title;         /* from the header block / metadata, or NULL */
    char *header;        /* percent header lines (YAML), verbatim, or NULL */
    char *preamble;      /* percent lines before the header ("#!", coding
                            cookie), verbatim with newlines, or NULL */
    char *metadata_json; /* notebook metadata (JSON object) */
    ll_nb_format format; /* the format it was read in */
    ll_cell *cells;
    int ncells;
    int cap_cells;
} ll_notebook;

/* An empty notebook; NULL and "out of memory" in err (which may be NULL)
 * when memory runs out. */
ll_notebook *ll_notebook_new(ll_err *err);
void ll_notebook_free(ll_notebook *nb);

/* Read a notebook, choosing the format by extension (.lua, .ipynb, .md). */
int ll_notebook_read(const char *path, ll_notebook **out, ll_err *err);
int ll_notebook_parse_percent(const char *text, size_t len, const char *path,
                              ll_notebook **out, ll_err *err);
int ll_notebook_parse_ipynb(const char *text, size_t len, const char *path,
                            ll_notebook **out, ll_err *err);
int ll_notebook_parse_markdown(const char *text, size_t len, const char *path,
                               ll_notebook **out, ll_err *err);

/* Write atomically, choosing the format by extension (.lua, .ipynb, .md). */
int ll_notebook_write(const ll_notebook *nb, const char *path, ll_err *err);
int ll_notebook_to_percent(const ll_notebook *nb, ll_buf *out);
int ll_notebook_to_ipynb(const ll_notebook *nb, ll_buf *out, ll_err *err);
/* Markdown: code cells as ```lua fences (metadata as key=JSON after the
 * language), Markdown and raw cells as they are. */
int ll_notebook_to_markdown(const ll_notebook *nb, ll_buf *out);

/* Cells.  Indices are 0-based; insert at ncells appends (so does an index
 * out of range).  Returns the new cell, or NULL with "out of memory" in err
 * (which may be NULL). */
ll_cell *ll_notebook_insert_cell(ll_notebook *nb, int index, ll_cell_type t,
                                 const char *source, ll_err *err);
int ll_notebook_delete_cell(ll_notebook *nb, int index);
/* Move cell `from` to position `to`. */
int ll_notebook_move_cell(ll_notebook *nb, int from, int to);
int ll_cell_set_source(ll_cell *c, const char *source);
int ll_cell_has_tag(const ll_cell *c, const char *tag);
/* Replace the cell's metadata with the JSON object `json` (tags follow).
 * LL_EPARSE when it is not a JSON object. */
int ll_cell_set_metadata(ll_cell *c, const char *json, ll_err *err);
/* Add a tag to metadata.tags unless it is there already. */
int ll_cell_add_tag(ll_cell *c, const char *tag);
/* The cell's first non-blank line (at most max bytes, "..." when cut),
 * for progress lines and messages; the caller frees it.  NULL with "out
 * of memory" in err (which may be NULL) when memory runs out. */
char *ll_cell_first_line(const ll_cell *c, size_t max, ll_err *err);
void ll_cell_clear_outputs(ll_cell *c);
/* Append a copy of o. */
int ll_cell_add_output(ll_cell *c, const ll_output *o);
void ll_output_free(ll_output *o);
/* A deep copy of a cell (for copy/paste), with a fresh id. */
int ll_cell_copy(const ll_cell *src, ll_cell *dst);
void ll_cell_free(ll_cell *c);

#endif
