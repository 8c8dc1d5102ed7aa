/*
 * nb_int: what the notebook files share and nobody else needs: JSON
 * printing in the style Python's json module writes (so .ipynb files diff
 * cleanly against Jupyter's and cell metadata reads like jupytext's), and
 * positions for "file:line:col" messages.
 */
#ifndef LL_NB_INT_H
#define LL_NB_INT_H

#include <cjson/cJSON.h>

#include "notebook/notebook.h"

/* Print v as json.dumps would: indent < 0 gives one line with ", " and
 * ": " separators; indent >= 0 gives json.dumps(indent=indent).  sort_keys
 * orders object members by key. */
int nb_json_dump(const cJSON *v, ll_buf *b, int indent, int sort_keys);
/* The same, as if nested `level` deep (for pieces of a larger document). */
int nb_json_dump_at(const cJSON *v, ll_buf *b, int indent, int sort_keys,
                    int level);

/* The 1-based line and column of byte offset off in text. */
void nb_line_col(const char *text, size_t off, int *line, int *col);

/* "path" for messages ("<string>" when NULL). */
const char *nb_name(const char *path);

char *nb_strndup(const char *s, size_t n);
char *nb_strdup(const char *s);

/* Set a cell's metadata (and tags) from a JSON object (copied). */
int nb_cell_set_metadata_obj(ll_cell *c, const cJSON *obj);

/* nb->title from a "title:" line of nb->header (YAML). */
int nb_take_title(ll_notebook *nb);

/* Append a cell and take ownership of source (malloc'd, may be NULL). */
ll_cell *nb_append_cell(ll_notebook *nb, ll_cell_type t, char *source);
/* After nb_append_cell calls: the first cell with an id keeps it, later
 * duplicates and empty ids get fresh ones (linear time). */
int nb_unique_ids(ll_notebook *nb);

/* One cell of an .ipynb as printed inside "cells" (*out: caller frees). */
int nb_ipynb_cell_text(const ll_cell *c, char **out);
/* The .ipynb text of nb.  cell_text (may be NULL) caches each cell's text:
 * NULL entries are printed and stored, others are used as they are. */
int nb_ipynb_assemble(const ll_notebook *nb, char **cell_text, ll_buf *out);

/* What the readers parse: a NUL-terminated copy of text[0..len) (the
 * caller's bytes need not end in a NUL) with each "\r\n" and each lone
 * "\r" made "\n" (Python's universal newlines), so CRLF files read as LF
 * files do.  A NUL byte in the text is refused
 * (LL_EPARSE "path:line:col: NUL byte in the notebook"): cells are C
 * strings.  *copy: caller frees. */
int nb_text_copy(const char *text, size_t len, const char *path, char **copy,
                 size_t *copy_len, ll_err *err);
/* The text a reader parses, for messages naming a position in it. */
typedef struct nb_src {
    const char *text;
    const char *path;
    ll_err *err;
} nb_src;

/* Set src->err to "NAME:LINE:COL: <message>" for the byte at (NULL: the
 * start of the text) and return LL_EPARSE. */
int nb_src_error(const nb_src *src, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A format's parser: text[0..len) is such a copy; *out the notebook. */
typedef int (*nb_parser)(const char *text, size_t len, const char *path,
                         ll_notebook **out, ll_err *err);
/* What every ll_notebook_parse_* does: parse the nb_text_copy of text,
 * then give the cells unique ids (nb_unique_ids).  *out is NULL on error. */
int nb_parse_text(nb_parser parse, const char *text, size_t len,
                  const char *path, ll_notebook **out, ll_err *err);
/* The same in place on a NUL-terminated string (NULL is fine). */
void nb_strip_crlf(char *s);

/* svg_png.c: svg past any "<?xml ...?>" / "<!DOCTYPE ...>" prologue. */
const char *nb_svg_body(const char *svg);
/* Rasterize an SVG (at its width x height in pixels) to PNG, base64
 * encoded as nbformat stores image/png (*png_base64: caller frees). */
int nb_svg_to_png(const char *svg, char **png_base64, ll_err *err);

#endif
