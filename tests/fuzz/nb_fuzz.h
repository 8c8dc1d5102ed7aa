/* What the three notebook fuzz targets share: parse the input in one
 * format; when it parses, write it in the same format and read that back,
 * which must succeed and give the same cells (type, source, tags and, for
 * .ipynb, outputs); also write it in the other two formats.  Any bytes
 * must give a notebook or an LL_EPARSE "file:line:col: " message, never a
 * crash, leak or sanitizer report.  A broken round trip aborts. */
#ifndef LL_FUZZ_NB_H
#define LL_FUZZ_NB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebook/notebook.h"

static int fuzz_parse(ll_nb_format f, const char *text, size_t len,
                      ll_notebook **nb, ll_err *err)
{
    switch (f) {
    case LL_NB_IPYNB:
        return ll_notebook_parse_ipynb(text, len, "fuzz.ipynb", nb, err);
    case LL_NB_MARKDOWN:
        return ll_notebook_parse_markdown(text, len, "fuzz.md", nb, err);
    default:
        return ll_notebook_parse_percent(text, len, "fuzz.lua", nb, err);
    }
}

static int fuzz_write(ll_nb_format f, const ll_notebook *nb, ll_buf *out)
{
    ll_err err;
    ll_err_clear(&err);
    switch (f) {
    case LL_NB_IPYNB:
        return ll_notebook_to_ipynb(nb, out, &err);
    case LL_NB_MARKDOWN:
        return ll_notebook_to_markdown(nb, out);
    default:
        return ll_notebook_to_percent(nb, out);
    }
}

static void fuzz_fail(const char *what, const ll_buf *written, int cell)
{
    fprintf(stderr, "round trip: %s (cell %d)\n--- written:\n%s\n---\n", what,
            cell, written->data ? written->data : "");
    abort();
}

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* A line of s that opens or closes a Markdown explicit cell. */
static int has_marker_line(const char *s)
{
    static const char *const marks[] = {"<!-- #region -->",
                                        "<!-- #endregion -->", "<!-- #raw -->",
                                        "<!-- #endraw -->"};
    for (size_t i = 0; s && i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(s, marks[i]))
            return 1;
    return 0;
}

static void compare_cell(ll_nb_format f, const ll_cell *x, const ll_cell *y,
                         const ll_buf *written, int i)
{
    if (x->type != y->type)
        fuzz_fail("a cell type changed", written, i);
    if (!same_str(x->source, y->source))
        fuzz_fail("a cell source changed", written, i);
    if (f == LL_NB_MARKDOWN && x->type != LL_CELL_CODE)
        return; /* Markdown keeps no metadata on text cells */
    if (x->ntags != y->ntags)
        fuzz_fail("the tags changed", written, i);
    for (int t = 0; t < x->ntags; t++)
        if (!same_str(x->tags[t], y->tags[t]))
            fuzz_fail("a tag changed", written, i);
    if (f != LL_NB_IPYNB)
        return;
    if (x->noutputs != y->noutputs)
        fuzz_fail("the number of outputs changed", written, i);
    for (int o = 0; o < x->noutputs; o++) {
        const ll_output *p = &x->outputs[o], *q = &y->outputs[o];
        if (p->type != q->type || !same_str(p->text, q->text) ||
            !same_str(p->png, q->png) || !same_str(p->ename, q->ename) ||
            !same_str(p->evalue, q->evalue))
            fuzz_fail("an output changed", written, i);
    }
}

/* Every cell must come back as it was.  The one exception: in Markdown a
 * text cell holding an explicit-cell line ("<!-- #endregion -->") cannot
 * be delimited (and with an unclosed fence it runs, as CommonMark says, to
 * the end of the document): then reading back must only succeed. */
static int loose(const ll_notebook *a)
{
    for (int i = 0; i < a->ncells; i++)
        if (a->cells[i].type != LL_CELL_CODE &&
            has_marker_line(a->cells[i].source))
            return 1;
    return 0;
}

static void fuzz_compare(ll_nb_format f, const ll_notebook *a,
                         const ll_notebook *b, const ll_buf *written)
{
    if (f == LL_NB_MARKDOWN && loose(a))
        return;
    if (a->ncells != b->ncells)
        fuzz_fail("the number of cells changed", written, -1);
    for (int i = 0; i < a->ncells; i++)
        compare_cell(f, &a->cells[i], &b->cells[i], written, i);
}

static void fuzz_notebook(ll_nb_format f, const uint8_t *data, size_t size)
{
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    int rc = fuzz_parse(f, (const char *)data, size, &nb, &err);
    if (rc != LL_OK) {
        if (nb || (rc == LL_EPARSE && !strstr(err.msg, ": ")))
            abort();
        return;
    }
    ll_buf out;
    ll_buf_init(&out);
    if (fuzz_write(f, nb, &out) == LL_OK) {
        ll_notebook *back = NULL;
        ll_err_clear(&err);
        if (fuzz_parse(f, out.data ? out.data : "", out.len, &back, &err) !=
            LL_OK) {
            /* The one text Markdown cannot carry: a text cell with both a
             * line closing an explicit cell and an unclosed ```lua. */
            if (!(f == LL_NB_MARKDOWN && loose(nb) &&
                  strstr(err.msg, "code block opened here is not closed"))) {
                fprintf(stderr, "%s\n", err.msg);
                fuzz_fail("what was written does not read back", &out, -1);
            }
        } else {
            fuzz_compare(f, nb, back, &out);
        }
        ll_notebook_free(back);
    }
    for (int g = 0; g < 3; g++) {
        if ((ll_nb_format)g == f)
            continue;
        ll_buf_reset(&out);
        fuzz_write((ll_nb_format)g, nb, &out);
    }
    ll_buf_free(&out);
    ll_notebook_free(nb);
}

#endif
