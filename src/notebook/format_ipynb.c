/*
 * format_ipynb: Jupyter's nbformat 4 (written as 4.5, with cell ids),
 * the notebook with its outputs.
 *
 * Written the way Jupyter writes it (indent 1, keys sorted, multi-line
 * strings as lists of lines) so the files diff well and validate against
 * nbformat's schema.  The percent header and the title travel in the
 * notebook metadata ("lualab": {"percent_header": ...}, "title").
 */
#include "config.h"

#include "notebook/nb_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---- */

/* Where the value of the n-th (0-based) occurrence of "key" sits in the
 * text, for messages about a parsed tree (cJSON keeps no positions). */
static const char *find_key(const char *text, const char *key, int n)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = text;
    for (;;) {
        p = strstr(p, pat);
        if (!p)
            return NULL;
        const char *q = p + strlen(pat);
        while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
            q++;
        if (*q == ':') {
            if (n-- == 0) {
                q++;
                while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                    q++;
                return q;
            }
        }
        p = q;
    }
}

/* A multi-line string: a string or a list of strings, joined.  NULL when
 * v is neither (or out of memory: *oom set). */
static char *join_lines(const cJSON *v, int *bad)
{
    *bad = 0;
    if (cJSON_IsString(v))
        return nb_strdup(v->valuestring);
    if (!cJSON_IsArray(v)) {
        *bad = 1;
        return NULL;
    }
    ll_buf b;
    ll_buf_init(&b);
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e)) {
            *bad = 1;
            ll_buf_free(&b);
            return NULL;
        }
        if (ll_buf_puts(&b, e->valuestring) != LL_OK) {
            ll_buf_free(&b);
            return NULL;
        }
    }
    char *s = ll_buf_take(&b);
    ll_buf_free(&b);
    return s;
}

/* The position of cell ci, found only when a message needs it: scanning
 * for it on every cell made reading a big notebook quadratic. */
#define CELL_POS find_key(r->text, "cell_type", ci)

static int read_output(nb_src *r, const cJSON *o, ll_cell *c, int ci, int oi)
{
    ll_output out;
    memset(&out, 0, sizeof out);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "output_type");
    if (!cJSON_IsString(t))
        return nb_src_error(
            r, CELL_POS, "cells[%d].outputs[%d]: missing output_type", ci, oi);
    int bad = 0, oom = 0, svg_in = 0, png_in = 0;
    const char *ty = t->valuestring;
    if (strcmp(ty, "stream") == 0) {
        out.type = LL_OUT_STREAM;
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
        out.name = nb_strdup(cJSON_IsString(n) ? n->valuestring : "stdout");
        out.text =
            join_lines(cJSON_GetObjectItemCaseSensitive(o, "text"), &bad);
    } else if (strcmp(ty, "execute_result") == 0 ||
               strcmp(ty, "display_data") == 0) {
        out.type = ty[0] == 'e' ? LL_OUT_RESULT : LL_OUT_DISPLAY;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "data");
        const cJSON *ec =
            cJSON_GetObjectItemCaseSensitive(o, "execution_count");
        if (cJSON_IsNumber(ec))
            out.execution_count = ec->valueint;
        const cJSON *tp = cJSON_GetObjectItemCaseSensitive(d, "text/plain");
        const cJSON *svg = cJSON_GetObjectItemCaseSensitive(d, "image/svg+xml");
        out.text = tp ? join_lines(tp, &bad) : nb_strdup("");
        svg_in = svg != NULL;
        if (!bad && svg)
            out.svg = join_lines(svg, &bad);
        const cJSON *png = cJSON_GetObjectItemCaseSensitive(d, "image/png");
        png_in = png != NULL;
        if (!bad && png)
            out.png = join_lines(png, &bad);
    } else if (strcmp(ty, "error") == 0) {
        out.type = LL_OUT_ERROR;
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "ename");
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "evalue");
        const cJSON *tb = cJSON_GetObjectItemCaseSensitive(o, "traceback");
        out.ename = nb_strdup(cJSON_IsString(en) ? en->valuestring : "Error");
        out.evalue = nb_strdup(cJSON_IsString(ev) ? ev->valuestring : "");
        ll_buf b;
        ll_buf_init(&b);
        const cJSON *e;
        int i = 0;
        cJSON_ArrayForEach(e, tb)
        {
            if (!cJSON_IsString(e))
                bad = 1;
            else {
                if (i++ && ll_buf_putc(&b, '\n') != LL_OK)
                    oom = 1;
                if (ll_buf_puts(&b, e->valuestring) != LL_OK)
                    oom = 1;
            }
        }
        if (b.failed)
            oom = 1;
        else if (!(out.traceback = ll_buf_take(&b)))
            oom = 1;
        ll_buf_free(&b);
    } else {
        return nb_src_error(r, CELL_POS,
                            "cells[%d].outputs[%d]: unknown output_type '%s'",
                            ci, oi, ty);
    }
    /* every string an output type has was made (NULL: out of memory) */
    if (!bad && !oom) {
        if (out.type == LL_OUT_ERROR)
            oom = !out.ename || !out.evalue || !out.traceback;
        else
            oom = !out.text || (out.type == LL_OUT_STREAM && !out.name) ||
                  (svg_in && !out.svg) || (png_in && !out.png);
    }
    int rc = LL_OK;
    if (oom && !bad)
        rc = ll_err_oom(r->err);
    else if (bad)
        rc = nb_src_error(
            r, CELL_POS,
            "cells[%d].outputs[%d]: text must be a string or a list "
            "of strings",
            ci, oi);
    else if (ll_cell_add_output(c, &out) != LL_OK)
        rc = ll_err_oom(r->err);
    ll_output_free(&out);
    return rc;
}

static int read_cell(nb_src *r, ll_notebook *nb, const cJSON *jc, int ci)
{
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(jc, "cell_type");
    if (!cJSON_IsString(ct))
        return nb_src_error(r, CELL_POS, "cells[%d]: missing cell_type", ci);
    ll_cell_type type;
    if (strcmp(ct->valuestring, "code") == 0)
        type = LL_CELL_CODE;
    else if (strcmp(ct->valuestring, "markdown") == 0)
        type = LL_CELL_MARKDOWN;
    else if (strcmp(ct->valuestring, "raw") == 0)
        type = LL_CELL_RAW;
    else
        return nb_src_error(r, CELL_POS, "cells[%d]: unknown cell_type '%s'",
                            ci, ct->valuestring);
    int bad = 0;
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(jc, "source");
    char *src = js ? join_lines(js, &bad) : nb_strdup("");
    if (bad)
        return nb_src_error(
            r, CELL_POS,
            "cells[%d]: source must be a string or a list of strings", ci);
    if (!src)
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    /* no '\r' of CRLF line ends; the model keeps no trailing newline */
    nb_strip_crlf(src);
    size_t n = strlen(src);
    while (n > 0 && src[n - 1] == '\n')
        src[--n] = '\0';
    ll_cell *c = nb_append_cell(nb, type, src);
    if (!c)
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(jc, "id");
    if (cJSON_IsString(id) && id->valuestring[0]) {
        /* duplicates are given fresh ids after the last cell */
        char *s = nb_strdup(id->valuestring);
        if (!s)
            return ll_err_set(r->err, LL_ENOMEM, "out of memory");
        free(c->id);
        c->id = s;
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(jc, "metadata");
    if (meta && !cJSON_IsObject(meta))
        return nb_src_error(r, CELL_POS,
                            "cells[%d]: metadata must be an object", ci);
    if (meta && nb_cell_set_metadata_obj(c, meta) != LL_OK)
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(jc, "execution_count");
    if (cJSON_IsNumber(ec))
        c->execution_count = ec->valueint;
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(jc, "outputs");
    if (outs && !cJSON_IsArray(outs))
        return nb_src_error(r, CELL_POS, "cells[%d]: outputs must be a list",
                            ci);
    const cJSON *o;
    int oi = 0;
    cJSON_ArrayForEach(o, outs)
    {
        int rc = read_output(r, o, c, ci, oi++);
        if (rc != LL_OK)
            return rc;
    }
    return LL_OK;
}

static int read_metadata(nb_src *r, ll_notebook *nb, const cJSON *meta)
{
    if (!meta)
        return LL_OK;
    if (!cJSON_IsObject(meta))
        return nb_src_error(r, find_key(r->text, "metadata", 0),
                            "notebook metadata must be an object");
    ll_buf b;
    ll_buf_init(&b);
    int rc = nb_json_dump(meta, &b, -1, 0);
    char *json = rc == LL_OK ? ll_buf_take(&b) : NULL;
    ll_buf_free(&b);
    if (!json)
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    free(nb->metadata_json);
    nb->metadata_json = json;
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(meta, "title");
    if (cJSON_IsString(title) && !(nb->title = nb_strdup(title->valuestring)))
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    const cJSON *ll = cJSON_GetObjectItemCaseSensitive(meta, "lualab");
    const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(ll, "percent_header");
    if (cJSON_IsString(hdr) && !(nb->header = nb_strdup(hdr->valuestring)))
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(ll, "percent_preamble");
    if (cJSON_IsString(pre) && !(nb->preamble = nb_strdup(pre->valuestring)))
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

/* The first "\u0000" escape in valid JSON text, or NULL.  cJSON ends its
 * C strings there, which would cut the cell (or output) silently; cells
 * are C strings, so the notebook is refused instead, like a raw NUL byte.
 * In valid JSON a backslash only starts an escape inside a string, so
 * stepping over each escape pair keeps "\\u0000" (an escaped backslash)
 * apart from the escape itself. */
static const char *find_nul_escape(const char *text, const char *end)
{
    for (const char *p = text; p < end; p++) {
        if (*p != '\\')
            continue;
        if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
            return p;
        p++; /* the escaped character */
    }
    return NULL;
}

static int parse_ipynb(const char *text, size_t len, const char *path,
                       ll_notebook **out, ll_err *err)
{
    *out = NULL;
    nb_src r = {text, path, err};
    const char *end = NULL;
    errno = 0;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root && errno == ENOMEM) /* a failed malloc, not the text */
        return ll_err_oom(err);
    if (!root)
        return nb_src_error(&r, end ? end : text, "invalid JSON");
    /* only whitespace may follow the document */
    const char *p = end;
    while (p && p < text + len &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    int rc = LL_OK;
    const char *nul = NULL;
    if (p && p < text + len && *p)
        rc = nb_src_error(&r, p, "invalid JSON: text after the notebook");
    else if ((nul = find_nul_escape(text, text + len)))
        rc = nb_src_error(&r, nul, "NUL character (\\u0000) in the notebook");
    else if (!cJSON_IsObject(root))
        rc = nb_src_error(&r, text, "not a notebook (expected a JSON object)");
    ll_notebook *nb = NULL;
    if (rc == LL_OK) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "nbformat");
        const cJSON *cells = cJSON_GetObjectItemCaseSensitive(root, "cells");
        if (!cJSON_IsNumber(v))
            rc = nb_src_error(&r, text, "not a notebook (no nbformat)");
        else if (v->valuedouble != 4)
            rc = nb_src_error(
                &r, find_key(text, "nbformat", 0),
                "unsupported nbformat %g (lualab reads nbformat 4)",
                v->valuedouble);
        else if (!cJSON_IsArray(cells))
            rc = nb_src_error(&r, cells ? find_key(text, "cells", 0) : text,
                              "not a notebook (cells must be a list)");
        else if (!(nb = ll_notebook_new(err)))
            rc = LL_ENOMEM;
        if (rc == LL_OK) {
            nb->format = LL_NB_IPYNB;
            rc = read_metadata(
                &r, nb, cJSON_GetObjectItemCaseSensitive(root, "metadata"));
            const cJSON *jc;
            int ci = 0;
            cJSON_ArrayForEach(jc, cells)
            {
                if (rc != LL_OK)
                    break;
                if (!cJSON_IsObject(jc))
                    rc = nb_src_error(&r, find_key(text, "cells", 0),
                                      "cells[%d] is not an object", ci);
                else
                    rc = read_cell(&r, nb, jc, ci);
                ci++;
            }
        }
    }
    cJSON_Delete(root);
    if (rc != LL_OK) {
        ll_notebook_free(nb);
        return rc;
    }
    *out = nb;
    return LL_OK;
}

/* ---- writing ---- */

/* Jupyter's multi-line string: a list of lines, each ending in "\n" but
 * the last. */
static cJSON *lines(const char *s)
{
    cJSON *a = cJSON_CreateArray();
    if (!a)
        return NULL;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        char *part = nb_strndup(s, n);
        cJSON *item = part ? cJSON_CreateString(part) : NULL;
        free(part);
        if (!item || !cJSON_AddItemToArray(a, item)) {
            cJSON_Delete(item);
            cJSON_Delete(a);
            return NULL;
        }
        s += n;
    }
    return a;
}

static int add(cJSON *obj, const char *key, cJSON *v)
{
    if (!v)
        return LL_ENOMEM;
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return LL_ENOMEM;
    }
    return LL_OK;
}

static cJSON *output_json(const ll_output *o)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    int rc = LL_OK;
    switch (o->type) {
    case LL_OUT_STREAM:
        rc = add(j, "output_type", cJSON_CreateString("stream"));
        if (rc == LL_OK)
            rc = add(j, "name",
                     cJSON_CreateString(o->name ? o->name : "stdout"));
        if (rc == LL_OK)
            rc = add(j, "text", lines(o->text));
        break;
    case LL_OUT_RESULT:
    case LL_OUT_DISPLAY: {
        int result = o->type == LL_OUT_RESULT;
        rc =
            add(j, "output_type",
                cJSON_CreateString(result ? "execute_result" : "display_data"));
        cJSON *data = rc == LL_OK ? cJSON_CreateObject() : NULL;
        if (rc == LL_OK)
            rc = add(j, "data", data);
        if (rc == LL_OK)
            rc = add(data, "text/plain", lines(o->text ? o->text : ""));
        if (rc == LL_OK && o->png)
            rc = add(data, "image/png", cJSON_CreateString(o->png));
        if (rc == LL_OK && o->svg)
            rc = add(data, "image/svg+xml", lines(nb_svg_body(o->svg)));
        if (rc == LL_OK)
            rc = add(j, "metadata", cJSON_CreateObject());
        if (rc == LL_OK && result)
            rc = add(j, "execution_count",
                     o->execution_count > 0
                         ? cJSON_CreateNumber(o->execution_count)
                         : cJSON_CreateNull());
        break;
    }
    case LL_OUT_ERROR: {
        rc = add(j, "output_type", cJSON_CreateString("error"));
        if (rc == LL_OK)
            rc = add(j, "ename",
                     cJSON_CreateString(o->ename ? o->ename : "Error"));
        if (rc == LL_OK)
            rc = add(j, "evalue",
                     cJSON_CreateString(o->evalue ? o->evalue : ""));
        cJSON *tb = rc == LL_OK ? cJSON_CreateArray() : NULL;
        if (rc == LL_OK)
            rc = add(j, "traceback", tb);
        const char *s = o->traceback ? o->traceback : "";
        while (rc == LL_OK && *s) {
            const char *nl = strchr(s, '\n');
            size_t n = nl ? (size_t)(nl - s) : strlen(s);
            char *line = nb_strndup(s, n);
            cJSON *item = line ? cJSON_CreateString(line) : NULL;
            free(line);
            if (!item || !cJSON_AddItemToArray(tb, item)) {
                cJSON_Delete(item);
                rc = LL_ENOMEM;
            }
            s += n + (nl ? 1 : 0);
        }
        break;
    }
    }
    if (rc != LL_OK) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static cJSON *cell_json(const ll_cell *c)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    static const char *const types[] = {"code", "markdown", "raw"};
    int rc = add(j, "cell_type", cJSON_CreateString(types[c->type]));
    if (rc == LL_OK)
        rc = add(j, "id", cJSON_CreateString(c->id ? c->id : "cell"));
    /* metadata that does not parse (set by hand) is written as {}; out
     * of memory fails the write rather than drop the metadata */
    errno = 0;
    cJSON *meta = cJSON_Parse(c->metadata_json ? c->metadata_json : "{}");
    if (!meta && errno == ENOMEM)
        rc = LL_ENOMEM;
    if (meta && !cJSON_IsObject(meta)) {
        cJSON_Delete(meta);
        meta = NULL;
    }
    if (rc == LL_OK)
        rc = add(j, "metadata", meta ? meta : cJSON_CreateObject());
    else
        cJSON_Delete(meta);
    if (rc == LL_OK)
        rc = add(j, "source", lines(c->source));
    if (rc == LL_OK && c->type == LL_CELL_CODE) {
        rc = add(j, "execution_count",
                 c->execution_count > 0 ? cJSON_CreateNumber(c->execution_count)
                                        : cJSON_CreateNull());
        cJSON *outs = rc == LL_OK ? cJSON_CreateArray() : NULL;
        if (rc == LL_OK)
            rc = add(j, "outputs", outs);
        for (int i = 0; i < c->noutputs && rc == LL_OK; i++) {
            cJSON *o = output_json(&c->outputs[i]);
            if (!o || !cJSON_AddItemToArray(outs, o)) {
                cJSON_Delete(o);
                rc = LL_ENOMEM;
            }
        }
    }
    if (rc != LL_OK) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* Notebook metadata: what was read, with lualab's kernel filled in. */
static cJSON *notebook_metadata(const ll_notebook *nb)
{
    errno = 0;
    cJSON *m = cJSON_Parse(nb->metadata_json ? nb->metadata_json : "{}");
    if (!m && errno == ENOMEM) /* not dropped: the write fails */
        return NULL;
    if (m && !cJSON_IsObject(m)) {
        cJSON_Delete(m);
        m = NULL;
    }
    if (!m && !(m = cJSON_CreateObject()))
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(m, "kernelspec");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "language_info");
    cJSON *ks = cJSON_CreateObject();
    int rc = add(m, "kernelspec", ks);
    if (rc == LL_OK)
        rc = add(ks, "name", cJSON_CreateString("lua"));
    if (rc == LL_OK)
        rc = add(ks, "display_name", cJSON_CreateString("Lua (lualab)"));
    if (rc == LL_OK)
        rc = add(ks, "language", cJSON_CreateString("lua"));
    cJSON *li = rc == LL_OK ? cJSON_CreateObject() : NULL;
    if (rc == LL_OK)
        rc = add(m, "language_info", li);
    if (rc == LL_OK)
        rc = add(li, "name", cJSON_CreateString("lua"));
    if (rc == LL_OK)
        rc = add(li, "version", cJSON_CreateString("5.4"));
    if (rc == LL_OK)
        rc = add(li, "file_extension", cJSON_CreateString(".lua"));
    if (rc == LL_OK)
        rc = add(li, "mimetype", cJSON_CreateString("text/x-lua"));
    if (rc == LL_OK && nb->title) {
        cJSON_DeleteItemFromObjectCaseSensitive(m, "title");
        rc = add(m, "title", cJSON_CreateString(nb->title));
    }
    if (rc == LL_OK && (nb->header || nb->preamble)) {
        cJSON *ll = cJSON_GetObjectItemCaseSensitive(m, "lualab");
        if (!cJSON_IsObject(ll)) {
            cJSON_DeleteItemFromObjectCaseSensitive(m, "lualab");
            ll = cJSON_CreateObject();
            rc = add(m, "lualab", ll);
        }
        if (rc == LL_OK && nb->header) {
            cJSON_DeleteItemFromObjectCaseSensitive(ll, "percent_header");
            rc = add(ll, "percent_header", cJSON_CreateString(nb->header));
        }
        if (rc == LL_OK && nb->preamble) {
            cJSON_DeleteItemFromObjectCaseSensitive(ll, "percent_preamble");
            rc = add(ll, "percent_preamble", cJSON_CreateString(nb->preamble));
        }
    }
    if (rc != LL_OK) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

int nb_ipynb_cell_text(const ll_cell *c, char **out)
{
    *out = NULL;
    cJSON *j = cell_json(c);
    if (!j)
        return LL_ENOMEM;
    ll_buf b;
    ll_buf_init(&b);
    int rc = nb_json_dump_at(j, &b, 1, 1, 2);
    cJSON_Delete(j);
    if (rc == LL_OK)
        *out = ll_buf_take(&b);
    ll_buf_free(&b);
    return rc == LL_OK && *out ? LL_OK : LL_ENOMEM;
}

/* The file is assembled from cell texts so the runner, which writes the
 * notebook after every cell, re-prints only the cell that ran. */
int nb_ipynb_assemble(const ll_notebook *nb, char **cell_text, ll_buf *out)
{
    int rc = ll_buf_puts(out, "{\n \"cells\": [");
    for (int i = 0; i < nb->ncells && rc == LL_OK; i++) {
        char *own = NULL;
        const char *text = cell_text ? cell_text[i] : NULL;
        if (!text) {
            rc = nb_ipynb_cell_text(&nb->cells[i], &own);
            if (rc != LL_OK)
                break;
            text = own;
            if (cell_text) {
                cell_text[i] = own;
                own = NULL;
            }
        }
        rc = ll_buf_puts(out, i ? ",\n  " : "\n  ");
        if (rc == LL_OK)
            rc = ll_buf_puts(out, text);
        free(own);
    }
    if (rc == LL_OK)
        rc = ll_buf_puts(out, nb->ncells ? "\n ],\n \"metadata\": "
                                         : "],\n \"metadata\": ");
    cJSON *meta = rc == LL_OK ? notebook_metadata(nb) : NULL;
    if (rc == LL_OK && !meta)
        rc = LL_ENOMEM;
    if (rc == LL_OK)
        rc = nb_json_dump_at(meta, out, 1, 1, 1);
    cJSON_Delete(meta);
    if (rc == LL_OK)
        rc = ll_buf_puts(out,
                         ",\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n");
    return rc;
}

int ll_notebook_to_ipynb(const ll_notebook *nb, ll_buf *out, ll_err *err)
{
    int rc = nb_ipynb_assemble(nb, NULL, out);
    if (rc != LL_OK)
        return ll_err_set(err, rc, "out of memory");
    return LL_OK;
}

/* The text parsed is a NUL-terminated copy (find_key and the messages'
 * positions scan it as a C string). */
int ll_notebook_parse_ipynb(const char *text, size_t len, const char *path,
                            ll_notebook **out, ll_err *err)
{
    return nb_parse_text(parse_ipynb, text, len, path, out, err);
}
