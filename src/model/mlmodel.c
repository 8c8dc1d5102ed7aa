/*
 * mlmodel: read a logged model's MLmodel file (see mlmodel.h).
 *
 * MLmodel is YAML; lualab and MLflow write block mappings of plain or
 * quoted scalars, which is all this reader takes: each scalar becomes an
 * entry under its dotted path, each nested mapping an entry without a
 * value.  Sequences and document markers are skipped.
 */
#include "model/mlmodel.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/fsutil.h"

void ll_mlmodel_clear(ll_mlmodel *y)
{
    for (int i = 0; i < y->n; i++) {
        free(y->e[i].path);
        free(y->e[i].value);
    }
    free(y->e);
    free(y->file);
    memset(y, 0, sizeof *y);
}

static int yaml_add(ll_mlmodel *y, char *path, char *value, int line)
{
    if (y->n == y->cap) {
        int cap = y->cap ? 2 * y->cap : 16;
        ll_mlmodel_entry *e = realloc(y->e, (size_t)cap * sizeof *e);
        if (!e)
            return -1;
        y->e = e;
        y->cap = cap;
    }
    y->e[y->n].path = path;
    y->e[y->n].value = value;
    y->e[y->n].line = line;
    y->n++;
    return 0;
}

const ll_mlmodel_entry *ll_mlmodel_get(const ll_mlmodel *y, const char *path)
{
    for (int i = 0; i < y->n; i++)
        if (strcmp(y->e[i].path, path) == 0)
            return &y->e[i];
    return NULL;
}

static char *strndup_(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

/* Lines of text: *p advances past the next line; returns its start and
 * length (without the newline), NULL at the end. */
static const char *next_line(const char **p, size_t *len)
{
    const char *s = *p;
    if (!*s)
        return NULL;
    const char *e = strchr(s, '\n');
    if (!e)
        e = s + strlen(s);
    *len = (size_t)(e - s);
    if (*len && s[*len - 1] == '\r')
        (*len)--;
    *p = *e ? e + 1 : e;
    return s;
}

/* Parse a scalar that starts at v (n bytes left on the line); quoted
 * scalars may continue on the following lines (folded with one space). */
static int yaml_scalar(const char *v, size_t n, const char **rest, int *lineno,
                       char **out, const char *file, ll_err *err)
{
    ll_buf b;
    ll_buf_init(&b);
    int start = *lineno;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || (v[0] != '\'' && v[0] != '"')) {
        /* A plain scalar; drop a trailing comment. */
        for (size_t i = 0; i < n; i++)
            if (v[i] == '#' && i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t')) {
                n = i;
                while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                    n--;
                break;
            }
        *out = strndup_(v, n);
        return *out ? LL_OK : ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    char q = v[0];
    size_t i = 1;
    for (;;) {
        while (i < n) {
            char c = v[i];
            if (c == q) {
                if (q == '\'' && i + 1 < n && v[i + 1] == '\'') {
                    ll_buf_putc(&b, '\'');
                    i += 2;
                    continue;
                }
                *out = ll_buf_take(&b);
                if (!*out)
                    return ll_err_set(err, LL_ENOMEM, "out of memory");
                return LL_OK;
            }
            if (q == '"' && c == '\\' && i + 1 < n) {
                char d = v[i + 1];
                ll_buf_putc(&b, d == 'n' ? '\n' : d == 't' ? '\t' : d);
                i += 2;
                continue;
            }
            ll_buf_putc(&b, c);
            i++;
        }
        /* Continue on the next line (folded). */
        size_t len;
        const char *line = next_line(rest, &len);
        if (!line) {
            ll_buf_free(&b);
            return ll_err_set(err, LL_EPARSE,
                              "%s:%d: unterminated quoted string", file, start);
        }
        (*lineno)++;
        while (len && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
        ll_buf_putc(&b, ' ');
        v = line;
        n = len;
        i = 0;
    }
}

static int yaml_parse(const char *text, const char *file, ll_mlmodel *y,
                      ll_err *err)
{
    /* A stack of (indent, key) for nested mappings. */
    int ind[16];
    char *keys[16];
    int depth = 0;
    int lineno = 0;
    const char *p = text;
    size_t len;
    const char *line;
    int rc = LL_OK;
    while ((line = next_line(&p, &len))) {
        lineno++;
        size_t k = 0;
        while (k < len && line[k] == ' ')
            k++;
        if (k == len || line[k] == '#')
            continue;
        if (line[k] == '-' || (line[k] == '.' && k + 2 < len))
            continue; /* sequences and document markers: not ours */
        int indent = (int)k;
        const char *colon = memchr(line + k, ':', len - k);
        if (!colon) {
            rc = ll_err_set(err, LL_EPARSE, "%s:%d: expected 'key: value'",
                            file, lineno);
            goto out;
        }
        while (depth > 0 && ind[depth - 1] >= indent) {
            depth--;
            free(keys[depth]);
        }
        size_t klen = (size_t)(colon - (line + k));
        ll_buf path;
        ll_buf_init(&path);
        for (int d = 0; d < depth; d++) {
            ll_buf_puts(&path, keys[d]);
            ll_buf_putc(&path, '.');
        }
        ll_buf_append(&path, line + k, klen);
        char *ps = ll_buf_take(&path);
        const char *v = colon + 1;
        size_t vn = (size_t)(line + len - v);
        while (vn && (*v == ' ' || *v == '\t')) {
            v++;
            vn--;
        }
        char *value = NULL;
        int at = lineno;
        if (vn && *v != '#') {
            rc = yaml_scalar(v, vn, &p, &lineno, &value, file, err);
            if (rc) {
                free(ps);
                goto out;
            }
        } else if (depth < 16) {
            ind[depth] = indent;
            keys[depth] = strndup_(line + k, klen);
            if (!keys[depth]) {
                free(ps);
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                goto out;
            }
            depth++;
        }
        if (!ps || yaml_add(y, ps, value, at)) {
            free(ps);
            free(value);
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    while (depth > 0)
        free(keys[--depth]);
    return rc;
}

int ll_mlmodel_read(const char *dir, ll_mlmodel *out, ll_err *err)
{
    memset(out, 0, sizeof *out);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    ll_buf path;
    ll_buf_init(&path);
    if (ll_buf_printf(&path, "%.*s/MLmodel", (int)dl, dir) != LL_OK)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    out->file = ll_buf_take(&path);
    if (!out->file)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    if (!ll_file_exists(out->file)) {
        ll_mlmodel_clear(out);
        return ll_err_set(err, LL_ENOTFOUND, "no MLmodel file in %.*s", (int)dl,
                          dir);
    }
    char *text = NULL;
    int rc = ll_read_file(out->file, &text, NULL, err);
    if (rc == LL_OK)
        rc = yaml_parse(text, out->file, out, err);
    free(text);
    if (rc != LL_OK)
        ll_mlmodel_clear(out);
    return rc;
}
