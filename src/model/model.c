/*
 * model: MLmodel reading, flavor dispatch, frame <-> tensor (see model.h).
 */
#include "model/model_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"

/* ---- a small YAML reader for the MLmodel keys lualab (and MLflow) write -- */

/* One scalar entry: its dotted path ("flavors.keras.loader_module"). */
typedef struct yentry {
    char *path;
    char *value; /* NULL for a mapping start ("flavors:") */
    int line;
} yentry;

typedef struct yaml {
    yentry *e;
    int n, cap;
} yaml;

static void yaml_free(yaml *y)
{
    for (int i = 0; i < y->n; i++) {
        free(y->e[i].path);
        free(y->e[i].value);
    }
    free(y->e);
}

static int yaml_add(yaml *y, char *path, char *value, int line)
{
    if (y->n == y->cap) {
        int cap = y->cap ? 2 * y->cap : 16;
        yentry *e = realloc(y->e, (size_t)cap * sizeof *e);
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

static const yentry *yaml_get(const yaml *y, const char *path)
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

static int yaml_parse(const char *text, const char *file, yaml *y, ll_err *err)
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

/* ---- signature ------------------------------------------------------------
 */

/* Names of the column entries of a signature part (JSON array). */
static int sig_names(const yaml *y, const char *part, const char *file,
                     char ***names, int *n, ll_err *err)
{
    char path[64];
    snprintf(path, sizeof path, "signature.%s", part);
    const yentry *e = yaml_get(y, path);
    *names = NULL;
    *n = 0;
    if (!e || !e->value)
        return LL_OK;
    cJSON *j = cJSON_Parse(e->value);
    if (!j || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return ll_err_set(err, LL_EPARSE,
                          "%s:%d: signature %s is not a JSON array", file,
                          e->line, part);
    }
    int cnt = cJSON_GetArraySize(j);
    char **out = calloc((size_t)(cnt ? cnt : 1), sizeof *out);
    if (!out) {
        cJSON_Delete(j);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    int k = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        cJSON *ty = cJSON_GetObjectItemCaseSensitive(it, "type");
        if (!cJSON_IsString(nm))
            continue;
        if (cJSON_IsString(ty) && strcmp(ty->valuestring, "tensor") == 0)
            continue; /* a named tensor, not a column */
        out[k] = strdup(nm->valuestring);
        if (!out[k]) {
            for (int i = 0; i < k; i++)
                free(out[i]);
            free(out);
            cJSON_Delete(j);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        k++;
    }
    cJSON_Delete(j);
    if (k == 0) {
        free(out);
        out = NULL;
    }
    *names = out;
    *n = k;
    return LL_OK;
}

/* ---- load ------------------------------------------------------------------
 */

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void ll_model_free(ll_model *m)
{
    if (!m)
        return;
    if (m->free_impl)
        m->free_impl(m->impl);
    free_names(m->in_names, m->nin);
    free_names(m->out_names, m->nout);
    free(m->dir);
    free(m->flavor);
    free(m);
}

int ll_model_load(const char *dir, ll_model **out, ll_err *err)
{
    *out = NULL;
    if (!dir || !*dir)
        return ll_err_set(err, LL_EINVAL, "load: a model directory expected");
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    ll_model *m = calloc(1, sizeof *m);
    if (!m)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    m->dir = strndup_(dir, dl);
    char *file = m->dir ? malloc(dl + 16) : NULL;
    if (!file) {
        ll_model_free(m);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    snprintf(file, dl + 16, "%s/MLmodel", m->dir);
    char *text = NULL;
    size_t tlen = 0;
    yaml y = {0};
    int rc;
    if (!ll_file_exists(file)) {
        rc = ll_err_set(err, LL_ENOTFOUND, "no MLmodel file in %s", m->dir);
        goto fail;
    }
    rc = ll_read_file(file, &text, &tlen, err);
    if (rc)
        goto fail;
    rc = yaml_parse(text, file, &y, err);
    if (rc)
        goto fail;
    /* The flavor: the first child of flavors we know, else the first. */
    const char *first = NULL;
    const char *chosen = NULL;
    for (int i = 0; i < y.n; i++) {
        const char *pth = y.e[i].path;
        if (strncmp(pth, "flavors.", 8) != 0 || strchr(pth + 8, '.'))
            continue;
        if (!first)
            first = pth + 8;
        if (!chosen &&
            (strcmp(pth + 8, "keras") == 0 || strcmp(pth + 8, "nn") == 0))
            chosen = pth + 8;
    }
    if (!first) {
        rc = ll_err_set(err, LL_EPARSE, "%s: no flavors (key 'flavors')", file);
        goto fail;
    }
    if (!chosen) {
        rc = ll_err_set(
            err, LL_EINVAL,
            "%s: unknown flavor '%s' (C scoring supports keras and nn)", file,
            first);
        goto fail;
    }
    m->flavor = strdup(chosen);
    if (!m->flavor) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto fail;
    }
    rc = sig_names(&y, "inputs", file, &m->in_names, &m->nin, err);
    if (!rc)
        rc = sig_names(&y, "outputs", file, &m->out_names, &m->nout, err);
    if (rc)
        goto fail;
    rc = ll_seq_load(
        m, strcmp(chosen, "nn") == 0 ? &ll_nn_flavor : &ll_keras_flavor, err);
    if (rc)
        goto fail;
    yaml_free(&y);
    free(text);
    free(file);
    *out = m;
    return LL_OK;
fail:
    yaml_free(&y);
    free(text);
    free(file);
    ll_model_free(m);
    return rc;
}

/* ---- predict ----------------------------------------------------------------
 */

static void dims_str(int ndim, const int64_t *shape, int batch, char *buf,
                     size_t size)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, size - k, "[%s", batch ? "N" : "");
    for (int i = 0; i < ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld",
                              (i || batch) ? ", " : "", (long long)shape[i]);
    if (k < size)
        snprintf(buf + k, size - k, "]");
}

int ll_model_predict_tensor(ll_model *m, const ll_tensor *in, ll_tensor **out,
                            ll_err *err)
{
    *out = NULL;
    int nd = ll_tensor_ndim(in);
    const int64_t *sh = ll_tensor_shape(in);
    int ok = nd == m->in_ndim + 1;
    for (int i = 0; ok && i < m->in_ndim; i++)
        ok = sh[i + 1] == m->in_shape[i];
    if (!ok) {
        char a[128], b[128];
        dims_str(nd, sh, 0, a, sizeof a);
        dims_str(m->in_ndim, m->in_shape, 1, b, sizeof b);
        return ll_err_set(err, LL_EINVAL,
                          "predict: input has shape %s, the model in %s "
                          "expects %s",
                          a, m->dir, b);
    }
    int prev = ll_grad_set_enabled(0);
    ll_tensor *y = NULL;
    /* The forward functions take a non-const tensor; they only read it. */
    ll_tensor *x = ll_tensor_ref((ll_tensor *)(uintptr_t)in);
    int rc = m->forward(m->impl, x, &y, err);
    ll_tensor_free(x);
    ll_grad_set_enabled(prev);
    if (rc)
        return rc;
    *out = y;
    return LL_OK;
}

static int64_t prod(int n, const int64_t *s)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= s[i];
    return p;
}

int ll_model_predict(ll_model *m, const ll_frame *in, ll_frame **out,
                     ll_err *err)
{
    *out = NULL;
    int64_t width = prod(m->in_ndim, m->in_shape);
    int ncols = 0;
    int *idx = calloc((size_t)(in->ncol + m->nin + 1), sizeof *idx);
    if (!idx)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    if (m->nin > 0) {
        for (int i = 0; i < m->nin; i++) {
            int c = ll_frame_col(in, m->in_names[i], err);
            if (c < 0) {
                ll_err_prefix(err, "predict (signature input %d)", i + 1);
                free(idx);
                return LL_ENOTFOUND;
            }
            if (!ll_col_is_numeric(in->cols[c])) {
                free(idx);
                return ll_err_set(err, LL_EINVAL,
                                  "predict: column '%s' is %s, the model "
                                  "takes numbers",
                                  m->in_names[i],
                                  ll_dtype_name(in->cols[c]->type));
            }
            idx[ncols++] = c;
        }
    } else {
        for (int c = 0; c < in->ncol; c++)
            if (ll_col_is_numeric(in->cols[c]))
                idx[ncols++] = c;
    }
    if (ncols != width) {
        char b[128];
        ll_buf names;
        ll_buf_init(&names);
        for (int i = 0; i < ncols && i < 8; i++) {
            if (i)
                ll_buf_puts(&names, ", ");
            ll_buf_puts(&names, in->names[idx[i]]);
        }
        if (ncols > 8)
            ll_buf_puts(&names, ", ...");
        dims_str(m->in_ndim, m->in_shape, 1, b, sizeof b);
        rc = ll_err_set(err, LL_EINVAL,
                        "predict: the model expects %s (%lld values per "
                        "row), the frame has %d numeric column%s (%s)",
                        b, (long long)width, ncols, ncols == 1 ? "" : "s",
                        names.len ? ll_buf_str(&names) : "none");
        ll_buf_free(&names);
        free(idx);
        return rc;
    }
    int64_t shape[LL_MAXDIM + 1];
    shape[0] = in->nrow;
    for (int i = 0; i < m->in_ndim; i++)
        shape[i + 1] = m->in_shape[i];
    ll_tensor *x = ll_tensor_new(m->in_ndim + 1, shape, err);
    if (!x) {
        free(idx);
        return err ? err->code : LL_ENOMEM;
    }
    float *xd = ll_tensor_data(x);
    for (int j = 0; j < ncols; j++) {
        const ll_column *c = in->cols[idx[j]];
        for (int64_t r = 0; r < in->nrow; r++) {
            if (ll_col_isna(c, r)) {
                rc = ll_err_set(err, LL_EINVAL,
                                "predict: column '%s' row %lld is NA",
                                in->names[idx[j]], (long long)r + 1);
                free(idx);
                ll_tensor_free(x);
                return rc;
            }
            xd[r * width + j] = (float)ll_col_num(c, r);
        }
    }
    free(idx);
    ll_tensor *y = NULL;
    rc = ll_model_predict_tensor(m, x, &y, err);
    ll_tensor_free(x);
    if (rc)
        return rc;
    ll_tensor *yc = ll_contiguous(y, err);
    ll_tensor_free(y);
    if (!yc)
        return err ? err->code : LL_ENOMEM;
    int64_t q = ll_tensor_numel(yc) / (in->nrow ? in->nrow : 1);
    if (in->nrow == 0)
        q = prod(m->out_ndim, m->out_shape);
    const float *yd = ll_tensor_data(yc);
    ll_frame *f = ll_frame_new();
    if (!f) {
        ll_tensor_free(yc);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (int64_t j = 0; j < q; j++) {
        char name[64];
        const char *nm = name;
        if (q == 1)
            nm = "prediction";
        else if (m->nout == q)
            nm = m->out_names[j];
        else
            snprintf(name, sizeof name, "prediction_%lld", (long long)j);
        ll_column *c = ll_col_new(LL_FLOAT, in->nrow);
        if (!c) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        for (int64_t r = 0; r < in->nrow; r++)
            LL_F64(c)[r] = (double)yd[r * q + j];
        rc = ll_frame_set(f, nm, c, err);
        ll_col_unref(c);
        if (rc)
            break;
    }
    ll_tensor_free(yc);
    if (rc) {
        ll_frame_free(f);
        return rc;
    }
    *out = f;
    return LL_OK;
}

/* ---- accessors
 * ---------------------------------------------------------------- */

const char *ll_model_flavor(const ll_model *m)
{
    return m->flavor;
}
const char *ll_model_dir(const ll_model *m)
{
    return m->dir;
}
int ll_model_input_ndim(const ll_model *m)
{
    return m->in_ndim;
}
const int64_t *ll_model_input_shape(const ll_model *m)
{
    return m->in_shape;
}
int ll_model_output_ndim(const ll_model *m)
{
    return m->out_ndim;
}
const int64_t *ll_model_output_shape(const ll_model *m)
{
    return m->out_shape;
}
int ll_model_n_inputs(const ll_model *m)
{
    return m->nin;
}
const char *ll_model_input_name(const ll_model *m, int i)
{
    return i >= 0 && i < m->nin ? m->in_names[i] : NULL;
}
int ll_model_n_outputs(const ll_model *m)
{
    return m->nout;
}
const char *ll_model_output_name(const ll_model *m, int i)
{
    return i >= 0 && i < m->nout ? m->out_names[i] : NULL;
}
int ll_model_n_layers(const ll_model *m)
{
    return m->nlayers;
}
const char *ll_model_layer_type(const ll_model *m, int i)
{
    return i >= 0 && i < m->nlayers && m->layer_type ? m->layer_type(m->impl, i)
                                                     : NULL;
}
