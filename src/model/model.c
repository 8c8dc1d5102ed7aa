/*
 * model: flavor dispatch, frame <-> tensor (see model.h); MLmodel is read
 * by mlmodel.c.
 */
#include "model/model_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/mlmodel.h"
#include "util/fsutil.h"

/* ---- signature ------------------------------------------------------------
 */

/* Names of the column entries of a signature part (JSON array). */
static int sig_names(const ll_mlmodel *y, const char *part, const char *file,
                     char ***names, int *n, ll_err *err)
{
    char path[64];
    snprintf(path, sizeof path, "signature.%s", part);
    const ll_mlmodel_entry *e = ll_mlmodel_get(y, path);
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
    m->dir = malloc(dl + 1);
    if (m->dir) {
        memcpy(m->dir, dir, dl);
        m->dir[dl] = '\0';
    }
    char *file = m->dir ? malloc(dl + 16) : NULL;
    if (!file) {
        ll_model_free(m);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    snprintf(file, dl + 16, "%s/MLmodel", m->dir);
    ll_mlmodel y = {0};
    int rc = ll_mlmodel_read(m->dir, &y, err);
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
            (strcmp(pth + 8, "keras") == 0 || strcmp(pth + 8, "nn") == 0 ||
             strcmp(pth + 8, "forecast") == 0))
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
    rc = strcmp(chosen, "forecast") == 0
             ? ll_forecast_flavor_load(m, err)
             : ll_seq_load(m,
                           strcmp(chosen, "nn") == 0 ? &ll_nn_flavor
                                                     : &ll_keras_flavor,
                           err);
    if (rc)
        goto fail;
    ll_mlmodel_clear(&y);
    free(file);
    *out = m;
    return LL_OK;
fail:
    ll_mlmodel_clear(&y);
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
    if (m->predict_frame)
        return m->predict_frame(m->impl, in, out, err);
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
    /* the one frame -> matrix conversion (frame/matrix.c) */
    rc = ll_frame_to_matrix(in, idx, ncols, 0, ll_tensor_data(x), width, err);
    free(idx);
    if (rc) {
        ll_err_prefix(err, "predict");
        ll_tensor_free(x);
        return rc;
    }
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
    ll_frame *f = ll_frame_new(err);
    if (!f) {
        ll_tensor_free(yc);
        return LL_ENOMEM;
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
        ll_column *c = ll_col_new(LL_FLOAT, in->nrow, err);
        if (!c) {
            rc = LL_ENOMEM;
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
