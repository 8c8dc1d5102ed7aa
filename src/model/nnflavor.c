/*
 * nn flavor: rebuild an nn.Sequential saved by lua/lualab/nn.lua's
 * Sequential:save(dir) from config.json and weights.safetensors and run it
 * for inference on nn's C layer functions (the functions nn.lua calls).
 *
 * config.json: {class_name = "Sequential", input_shape = [...] (no batch),
 * layers = [{type, name, config}]} where config holds the constructor
 * options (Linear in_features, out_features, bias; LSTM input_size,
 * hidden_size, num_layers, batch_first, bidirectional, bias; ...).
 * Weights keep PyTorch's state-dict names ("<name>.weight",
 * "<name>.weight_ih_l0_reverse") and layouts, which are the engine's.
 *
 * Tensors here are always batch first: a model whose recurrent layers are
 * batch_first = false takes (time, batch, ...) in Lua but (batch, time, ...)
 * here, so dims given in the config (Softmax dim, LastStep) are mapped
 * while the tensor is still a sequence.
 */
#include "model/model_int.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h"
#include "nn/safetensors.h"
#include "util/fsutil.h"

typedef enum {
    N_LINEAR,
    N_EMBEDDING,
    N_RNN,
    N_LASTSTEP,
    N_DROPOUT,
    N_IDENTITY,
    N_UNARY,
    N_SOFTMAX,
    N_FLATTEN,
    N_LAYERNORM,
    N_CONV1D,
    N_POOL,
    N_GPOOL
} nkind;

typedef struct nlayer {
    nkind kind;
    char *type, *name, *label; /* label: "LSTM '1'" for errors */
    ll_tensor *w, *b;          /* Linear, Embedding, LayerNorm, Conv1d */
    int64_t padding_idx;
    /* recurrent: per layer and direction, PyTorch's order */
    ll_cell cell;
    int nlayers, dirs;
    ll_tensor **w_ih, **w_hh, **b_ih, **b_hh;
    ll_unop op; /* N_UNARY */
    float arg;
    int dim;    /* Softmax (C dim), Flatten start */
    int is_log; /* LogSoftmax */
    int k, stride, pad, dilation, is_max;
    double eps;
} nlayer;

typedef struct nmodel {
    int n;
    nlayer **layers;
} nmodel;

typedef struct nload {
    char cfgfile[4096], wfile[4096];
    char **names;
    ll_tensor **ts;
    int nw;
    int time_major; /* the Lua input is (time, batch, ...) */
    int timed;      /* the tensor is still a sequence in Lua's layout */
} nload;

typedef struct nshape {
    int nd;
    int64_t d[LL_MAXDIM];
} nshape;

static void nlayer_free(nlayer *l)
{
    if (!l)
        return;
    free(l->type);
    free(l->name);
    free(l->label);
    ll_tensor_free(l->w);
    ll_tensor_free(l->b);
    int n = l->nlayers * l->dirs;
    for (int i = 0; i < n; i++) {
        if (l->w_ih)
            ll_tensor_free(l->w_ih[i]);
        if (l->w_hh)
            ll_tensor_free(l->w_hh[i]);
        if (l->b_ih)
            ll_tensor_free(l->b_ih[i]);
        if (l->b_hh)
            ll_tensor_free(l->b_hh[i]);
    }
    free(l->w_ih);
    free(l->w_hh);
    free(l->b_ih);
    free(l->b_hh);
    free(l);
}

static void nmodel_free(void *p)
{
    nmodel *nm = p;
    if (!nm)
        return;
    for (int i = 0; i < nm->n; i++)
        nlayer_free(nm->layers[i]);
    free(nm->layers);
    free(nm);
}

static const char *nmodel_layer_type(void *p, int i)
{
    nmodel *nm = p;
    return nm->layers[i]->type;
}

/* ---- config --------------------------------------------------------------
 */

static int cfg_int(const nload *ld, const nlayer *l, const cJSON *c,
                   const char *key, int def, int min, int *out, ll_err *err)
{
    return ll_cfg_int(ld->cfgfile, l->name, c, key, def, min, out, err);
}

static char *shape_text(int nd, const int64_t *s, char *buf, size_t n)
{
    ll_shape_str(nd, s, buf, n);
    return buf;
}

/* The weight "<layer>.<w>" with the given shape. */
static int get_weight(const nload *ld, const nlayer *l, const char *w, int nd,
                      const int64_t *shape, ll_tensor **out, ll_err *err)
{
    char full[600];
    snprintf(full, sizeof full, "%s.%s", l->name, w);
    int found = -1;
    for (int i = 0; i < ld->nw && found < 0; i++)
        if (strcmp(ld->names[i], full) == 0)
            found = i;
    if (found < 0)
        return ll_err_set(err, LL_ENOTFOUND, "%s lacks the weight '%s'",
                          ld->wfile, full);
    ll_tensor *t = ld->ts[found];
    int ok = ll_tensor_ndim(t) == nd;
    for (int i = 0; ok && i < nd; i++)
        ok = ll_tensor_shape(t)[i] == shape[i];
    if (!ok) {
        char a[LL_MAXDIM * 24 + 4], b[LL_MAXDIM * 24 + 4];
        return ll_err_set(
            err, LL_EINVAL, "%s: weight '%s' has shape %s, expected %s",
            ld->wfile, full,
            shape_text(ll_tensor_ndim(t), ll_tensor_shape(t), a, sizeof a),
            shape_text(nd, shape, b, sizeof b));
    }
    *out = ll_contiguous(t, err);
    return *out ? LL_OK : ll_model_tensor_err(err);
}

static int shape_err(const nload *ld, const nlayer *l, const char *want,
                     const nshape *s, ll_err *err)
{
    char b[LL_MAXDIM * 24 + 4];
    return ll_err_set(err, LL_EINVAL, "%s: layer '%s' (%s): %s, got %s",
                      ld->cfgfile, l->name, l->type, want,
                      shape_text(s->nd, s->d, b, sizeof b));
}

static nlayer *new_layer(const char *type, const char *name)
{
    nlayer *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->type = strdup(type);
    l->name = strdup(name);
    size_t n = strlen(type) + strlen(name) + 4;
    l->label = malloc(n);
    if (!l->type || !l->name || !l->label) {
        nlayer_free(l);
        return NULL;
    }
    snprintf(l->label, n, "%s '%s'", type, name);
    return l;
}

static int build_rnn(const nload *ld, nlayer *l, const cJSON *c, nshape *s,
                     ll_err *err)
{
    int in, h, g;
    int rc = cfg_int(ld, l, c, "input_size", -1, 1, &in, err);
    if (!rc)
        rc = cfg_int(ld, l, c, "hidden_size", -1, 1, &h, err);
    if (!rc)
        rc = cfg_int(ld, l, c, "num_layers", 1, 1, &l->nlayers, err);
    if (rc)
        return rc;
    if (strcmp(l->type, "LSTM") == 0) {
        l->cell = LL_CELL_LSTM;
        g = 4;
    } else if (strcmp(l->type, "GRU") == 0) {
        l->cell = LL_CELL_GRU;
        g = 3;
    } else {
        const cJSON *nl = ll_cfg_get(c, "nonlinearity");
        const char *act = cJSON_IsString(nl) ? nl->valuestring : "tanh";
        if (strcmp(act, "tanh") != 0 && strcmp(act, "relu") != 0)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': unsupported nonlinearity '%s'",
                              ld->cfgfile, l->name, act);
        l->cell = act[0] == 'r' ? LL_CELL_RELU : LL_CELL_TANH;
        g = 1;
    }
    l->dirs = ll_cfg_bool(c, "bidirectional", 0) ? 2 : 1;
    int bias = ll_cfg_bool(c, "bias", 1);
    if (s->nd != 2 || s->d[1] != in) {
        char want[96];
        snprintf(want, sizeof want, "input must be (time, %d)", in);
        return shape_err(ld, l, want, s, err);
    }
    size_t n = (size_t)l->nlayers * (size_t)l->dirs;
    l->w_ih = calloc(n, sizeof *l->w_ih);
    l->w_hh = calloc(n, sizeof *l->w_hh);
    l->b_ih = calloc(n, sizeof *l->b_ih);
    l->b_hh = calloc(n, sizeof *l->b_hh);
    if (!l->w_ih || !l->w_hh || !l->b_ih || !l->b_hh)
        return ll_model_oom(err);
    for (int k = 0; k < l->nlayers; k++)
        for (int d = 0; d < l->dirs; d++) {
            int i = k * l->dirs + d;
            char nm[64];
            const char *sfx = d ? "_reverse" : "";
            int64_t isz = k == 0 ? in : (int64_t)h * l->dirs;
            int64_t ws[2] = {(int64_t)g * h, isz}, hs[2] = {(int64_t)g * h, h};
            snprintf(nm, sizeof nm, "weight_ih_l%d%s", k, sfx);
            rc = get_weight(ld, l, nm, 2, ws, &l->w_ih[i], err);
            snprintf(nm, sizeof nm, "weight_hh_l%d%s", k, sfx);
            if (!rc)
                rc = get_weight(ld, l, nm, 2, hs, &l->w_hh[i], err);
            if (!rc && bias) {
                snprintf(nm, sizeof nm, "bias_ih_l%d%s", k, sfx);
                rc = get_weight(ld, l, nm, 1, hs, &l->b_ih[i], err);
                snprintf(nm, sizeof nm, "bias_hh_l%d%s", k, sfx);
                if (!rc)
                    rc = get_weight(ld, l, nm, 1, hs, &l->b_hh[i], err);
            }
            if (rc)
                return rc;
        }
    s->d[1] = (int64_t)h * l->dirs;
    return LL_OK;
}

/* A dim of the Lua tensor (batch included, maybe negative) -> this file's
 * batch-first dim; -1 when out of range. */
static int map_dim(const nload *ld, int dim, int nd_batch)
{
    if (dim < 0)
        dim += nd_batch;
    if (dim < 0 || dim >= nd_batch)
        return -1;
    if (ld->timed && ld->time_major && dim < 2)
        dim = 1 - dim;
    return dim;
}

static const struct {
    const char *type;
    ll_unop op;
    const char *key;
    double def;
} unary_layers[] = {
    {"ReLU", LL_RELU, NULL, 0},
    {"Tanh", LL_TANH, NULL, 0},
    {"Sigmoid", LL_SIGMOID, NULL, 0},
    {"Softplus", LL_SOFTPLUS, NULL, 0},
    {"LeakyReLU", LL_LEAKY_RELU, "negative_slope", 0.01},
    {"ELU", LL_ELU, "alpha", 1.0},
};

/* Parse one layer's config, find its weights and turn the input shape s
 * (no batch) into its output shape. */
static int build_layer(nload *ld, nlayer *l, const cJSON *c, nshape *s,
                       ll_err *err)
{
    const char *t = l->type;
    int rc;
    for (size_t i = 0; i < sizeof unary_layers / sizeof unary_layers[0]; i++)
        if (strcmp(t, unary_layers[i].type) == 0) {
            l->kind = N_UNARY;
            l->op = unary_layers[i].op;
            l->arg = unary_layers[i].key
                         ? (float)ll_cfg_num(c, unary_layers[i].key,
                                             unary_layers[i].def)
                         : 0.0f;
            return LL_OK;
        }
    if (strcmp(t, "Identity") == 0) {
        l->kind = N_IDENTITY;
        return LL_OK;
    }
    if (strcmp(t, "Dropout") == 0) {
        l->kind = N_DROPOUT; /* inference: the identity */
        return LL_OK;
    }
    if (strcmp(t, "Linear") == 0) {
        l->kind = N_LINEAR;
        int in, out;
        rc = cfg_int(ld, l, c, "in_features", -1, 0, &in, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "out_features", -1, 0, &out, err);
        if (rc)
            return rc;
        if (s->nd < 1 || s->d[s->nd - 1] != in) {
            char want[96];
            snprintf(want, sizeof want, "input must end in %d features", in);
            return shape_err(ld, l, want, s, err);
        }
        int64_t ws[2] = {out, in};
        rc = get_weight(ld, l, "weight", 2, ws, &l->w, err);
        if (!rc && ll_cfg_bool(c, "bias", 1))
            rc = get_weight(ld, l, "bias", 1, ws, &l->b, err);
        if (rc)
            return rc;
        s->d[s->nd - 1] = out;
        return LL_OK;
    }
    if (strcmp(t, "Embedding") == 0) {
        l->kind = N_EMBEDDING;
        int n, d;
        rc = cfg_int(ld, l, c, "num_embeddings", -1, 1, &n, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "embedding_dim", -1, 1, &d, err);
        if (rc)
            return rc;
        int pidx;
        rc = cfg_int(ld, l, c, "padding_idx", -1, -1, &pidx, err);
        if (rc)
            return rc;
        l->padding_idx = pidx;
        if (s->nd >= LL_MAXDIM - 1)
            return shape_err(ld, l, "too many dimensions", s, err);
        int64_t es[2] = {n, d};
        rc = get_weight(ld, l, "weight", 2, es, &l->w, err);
        if (rc)
            return rc;
        s->d[s->nd++] = d;
        return LL_OK;
    }
    if (strcmp(t, "LSTM") == 0 || strcmp(t, "GRU") == 0 ||
        strcmp(t, "RNN") == 0) {
        l->kind = N_RNN;
        if (ll_cfg_bool(c, "batch_first", 0) == ld->time_major)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': batch_first differs from the "
                              "first recurrent layer's",
                              ld->cfgfile, l->name);
        return build_rnn(ld, l, c, s, err);
    }
    if (strcmp(t, "LastStep") == 0) {
        l->kind = N_LASTSTEP;
        if (ll_cfg_bool(c, "batch_first", 0) == ld->time_major)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': batch_first differs from the "
                              "recurrent layers'",
                              ld->cfgfile, l->name);
        if (s->nd != 2)
            return shape_err(ld, l, "input must be (time, features)", s, err);
        s->nd = 1;
        s->d[0] = s->d[1];
        ld->timed = 0;
        return LL_OK;
    }
    if (strcmp(t, "Softmax") == 0 || strcmp(t, "LogSoftmax") == 0) {
        l->kind = N_SOFTMAX;
        l->is_log = t[0] == 'L';
        int dim;
        rc = cfg_int(ld, l, c, "dim", -1, INT_MIN, &dim, err);
        if (rc)
            return rc;
        l->dim = map_dim(ld, dim, s->nd + 1);
        if (l->dim < 0)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': dim %d is out of range",
                              ld->cfgfile, l->name, dim);
        return LL_OK;
    }
    if (strcmp(t, "Flatten") == 0) {
        l->kind = N_FLATTEN;
        int start;
        rc = cfg_int(ld, l, c, "start_dim", 1, INT_MIN, &start, err);
        if (rc)
            return rc;
        if (ld->timed && ld->time_major)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': Flatten of a (time, batch, "
                              "...) sequence mixes examples; C scoring "
                              "supports it on batch-first tensors only",
                              ld->cfgfile, l->name);
        if (start < 0)
            start += s->nd + 1;
        if (start < 1 || start > s->nd)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': start_dim %d must be a "
                              "dimension after the batch",
                              ld->cfgfile, l->name, start);
        l->dim = start;
        int64_t p = ll_shape_numel(s->nd - start + 1, s->d + start - 1);
        s->nd = start;
        s->d[start - 1] = p;
        ld->timed = ld->timed && s->nd >= 2;
        return LL_OK;
    }
    if (strcmp(t, "LayerNorm") == 0) {
        l->kind = N_LAYERNORM;
        int d;
        rc = cfg_int(ld, l, c, "normalized_shape", -1, 1, &d, err);
        if (rc)
            return rc;
        l->eps = ll_cfg_num(c, "eps", 1e-5);
        if (s->nd < 1 || s->d[s->nd - 1] != d) {
            char want[96];
            snprintf(want, sizeof want, "input must end in %d features", d);
            return shape_err(ld, l, want, s, err);
        }
        int64_t ws[1] = {d};
        rc = get_weight(ld, l, "weight", 1, ws, &l->w, err);
        if (!rc)
            rc = get_weight(ld, l, "bias", 1, ws, &l->b, err);
        return rc;
    }
    int conv = strcmp(t, "Conv1d") == 0;
    int pool = strcmp(t, "MaxPool1d") == 0 || strcmp(t, "AvgPool1d") == 0;
    int gpool =
        strcmp(t, "GlobalMaxPool1d") == 0 || strcmp(t, "GlobalAvgPool1d") == 0;
    if (conv || pool || gpool) {
        if (ld->timed && ld->time_major)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': %s of a (time, batch, ...) "
                              "sequence cannot be scored in C",
                              ld->cfgfile, l->name, t);
        if (s->nd != 2)
            return shape_err(ld, l, "input must be (channels, length)", s, err);
    }
    if (conv) {
        l->kind = N_CONV1D;
        int in, out;
        rc = cfg_int(ld, l, c, "in_channels", -1, 1, &in, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "out_channels", -1, 1, &out, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "kernel_size", -1, 1, &l->k, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "stride", 1, 1, &l->stride, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "padding", 0, 0, &l->pad, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "dilation", 1, 1, &l->dilation, err);
        if (rc)
            return rc;
        if (s->d[0] != in)
            return shape_err(ld, l, "input channels differ from in_channels", s,
                             err);
        int64_t ws[3] = {out, in, l->k};
        rc = get_weight(ld, l, "weight", 3, ws, &l->w, err);
        if (!rc && ll_cfg_bool(c, "bias", 1))
            rc = get_weight(ld, l, "bias", 1, ws, &l->b, err);
        if (rc)
            return rc;
        int64_t o = (s->d[1] + 2 * (int64_t)l->pad -
                     (int64_t)l->dilation * (l->k - 1) - 1) /
                        l->stride +
                    1;
        if (o < 1)
            return shape_err(ld, l, "input is shorter than the kernel", s, err);
        s->d[0] = out;
        s->d[1] = o;
        return LL_OK;
    }
    if (pool) {
        l->kind = N_POOL;
        l->is_max = t[0] == 'M';
        rc = cfg_int(ld, l, c, "kernel_size", -1, 1, &l->k, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "stride", l->k, 1, &l->stride, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "padding", 0, 0, &l->pad, err);
        if (rc)
            return rc;
        int64_t o = (s->d[1] + 2 * (int64_t)l->pad - l->k) / l->stride + 1;
        if (o < 1)
            return shape_err(ld, l, "input is shorter than the kernel", s, err);
        s->d[1] = o;
        return LL_OK;
    }
    if (gpool) {
        l->kind = N_GPOOL;
        l->is_max = t[6] == 'M';
        s->nd = 1;
        return LL_OK;
    }
    return ll_err_set(err, LL_EINVAL,
                      "%s: layer '%s': unsupported layer type '%s'",
                      ld->cfgfile, l->name, t);
}

/* ---- forward ---------------------------------------------------------------
 */

static ll_tensor *swap(ll_tensor *x, int d0, int d1, ll_err *err)
{
    ll_tensor *t = ll_transpose(x, d0, d1, err);
    if (!t)
        return NULL;
    ll_tensor *c = ll_contiguous(t, err);
    ll_tensor_free(t);
    return c;
}

/* x (B, T, D) -> (B, T, H * dirs), as nn.lua's LSTM/GRU/RNN forward. */
static ll_tensor *rnn_forward(nlayer *l, ll_tensor *x, ll_err *err)
{
    ll_tensor *in = swap(x, 0, 1, err);
    for (int k = 0; in && k < l->nlayers; k++) {
        ll_tensor *outs[2] = {NULL, NULL};
        int rc = LL_OK;
        for (int d = 0; d < l->dirs && !rc; d++) {
            int i = k * l->dirs + d;
            ll_tensor *o[3] = {NULL, NULL, NULL};
            rc = ll_rnn_layer(l->label, l->cell, in, NULL, NULL, l->w_ih[i],
                              l->w_hh[i], l->b_ih[i], l->b_hh[i], d == 1, NULL,
                              o, err);
            outs[d] = o[0];
            ll_tensor_free(o[1]);
            ll_tensor_free(o[2]);
        }
        ll_tensor_free(in);
        in = NULL;
        if (!rc)
            in =
                l->dirs == 2 ? ll_cat(outs, 2, 2, err) : ll_tensor_ref(outs[0]);
        ll_tensor_free(outs[0]);
        ll_tensor_free(outs[1]);
    }
    if (!in)
        return NULL;
    ll_tensor *y = swap(in, 0, 1, err);
    ll_tensor_free(in);
    return y;
}

static ll_tensor *layer_forward(nlayer *l, ll_tensor *x, ll_err *err)
{
    switch (l->kind) {
    case N_LINEAR:
        return ll_linear(l->label, x, l->w, l->b, err);
    case N_EMBEDDING:
        return ll_embedding(l->label, x, l->w, l->padding_idx, err);
    case N_RNN:
        return rnn_forward(l, x, err);
    case N_LASTSTEP: {
        ll_tensor *v = ll_select(x, 1, ll_tensor_shape(x)[1] - 1, err);
        ll_tensor *c = v ? ll_contiguous(v, err) : NULL;
        ll_tensor_free(v);
        return c;
    }
    case N_DROPOUT:
    case N_IDENTITY:
        return ll_tensor_ref(x);
    case N_UNARY:
        return ll_unary(l->op, x, l->arg, err);
    case N_SOFTMAX:
        return ll_softmax(x, l->dim, l->is_log, err);
    case N_FLATTEN: {
        int nd = ll_tensor_ndim(x);
        const int64_t *sh = ll_tensor_shape(x);
        int64_t s[LL_MAXDIM];
        int64_t p = 1;
        for (int i = 0; i < l->dim; i++)
            s[i] = sh[i];
        for (int i = l->dim; i < nd; i++)
            p *= sh[i];
        s[l->dim] = p;
        return ll_reshape(x, l->dim + 1, s, err);
    }
    case N_LAYERNORM:
        return ll_layer_norm(l->label, x, l->w, l->b, l->eps, err);
    case N_CONV1D:
        return ll_conv1d(l->label, x, l->w, l->b, l->stride, l->pad,
                         l->dilation, err);
    case N_POOL:
        return ll_pool1d(l->label, x, l->is_max, l->k, l->stride, l->pad, err);
    case N_GPOOL:
        return ll_reduce(l->is_max ? LL_RMAX : LL_RMEAN, x, 2, 0, err);
    }
    ll_err_set(err, LL_EINVAL, "%s: no forward", l->label);
    return NULL;
}

static int nmodel_forward(void *p, ll_tensor *x, ll_tensor **y, ll_err *err)
{
    nmodel *nm = p;
    ll_tensor *cur = ll_tensor_ref(x);
    for (int i = 0; i < nm->n; i++) {
        ll_tensor *nx = layer_forward(nm->layers[i], cur, err);
        ll_tensor_free(cur);
        if (!nx) {
            int rc = ll_model_tensor_err(err);
            ll_err_prefix(err, "predict");
            return rc;
        }
        cur = nx;
    }
    *y = cur;
    return LL_OK;
}

/* ---- load ------------------------------------------------------------------
 */

/* Whether the Lua model takes (time, batch, ...): its first recurrent
 * layer (else its first LastStep) has batch_first = false. */
static int is_time_major(const cJSON *layers)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, layers)
    {
        const cJSON *t = ll_cfg_get(it, "type");
        const char *ty = cJSON_IsString(t) ? t->valuestring : "";
        if (strcmp(ty, "LSTM") == 0 || strcmp(ty, "GRU") == 0 ||
            strcmp(ty, "RNN") == 0)
            return !ll_cfg_bool(ll_cfg_get(it, "config"), "batch_first", 0);
    }
    cJSON_ArrayForEach(it, layers)
    {
        const cJSON *t = ll_cfg_get(it, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "LastStep") == 0)
            return !ll_cfg_bool(ll_cfg_get(it, "config"), "batch_first", 0);
    }
    return 0;
}

int ll_nnflavor_load(ll_model *m, ll_err *err)
{
    nload ld = {0};
    snprintf(ld.cfgfile, sizeof ld.cfgfile, "%s/config.json", m->dir);
    snprintf(ld.wfile, sizeof ld.wfile, "%s/weights.safetensors", m->dir);
    if (!ll_file_exists(ld.cfgfile))
        return ll_err_set(err, LL_ENOTFOUND,
                          "%s: flavor 'nn' needs config.json (written by "
                          "nn.Sequential's save), which is missing: a state "
                          "dict alone cannot be scored from C",
                          m->dir);
    char *text = NULL;
    size_t len = 0;
    int rc = ll_read_file(ld.cfgfile, &text, &len, err);
    if (rc)
        return rc;
    cJSON *cfg = cJSON_ParseWithLength(text, len);
    if (!cfg) {
        const char *at = cJSON_GetErrorPtr();
        int line = 0, col = 0;
        if (at && at >= text && at <= text + len)
            ll_cfg_line_col(text, (size_t)(at - text), &line, &col);
        free(text);
        return ll_err_set(err, LL_EPARSE, "%s:%d:%d: invalid JSON", ld.cfgfile,
                          line, col);
    }
    free(text);
    nmodel *nm = NULL;
    const cJSON *cn = ll_cfg_get(cfg, "class_name");
    const cJSON *layers = ll_cfg_get(cfg, "layers");
    const cJSON *ishape = ll_cfg_get(cfg, "input_shape");
    if (!cJSON_IsString(cn) || strcmp(cn->valuestring, "Sequential") != 0) {
        rc = ll_err_set(err, LL_EINVAL,
                        "%s: class_name is '%s', only Sequential models load",
                        ld.cfgfile, cJSON_IsString(cn) ? cn->valuestring : "");
        goto out;
    }
    if (!cJSON_IsArray(layers)) {
        rc = ll_err_set(err, LL_EPARSE, "%s: 'layers' must be an array",
                        ld.cfgfile);
        goto out;
    }
    if (!cJSON_IsArray(ishape) || cJSON_GetArraySize(ishape) < 1 ||
        cJSON_GetArraySize(ishape) >= LL_MAXDIM - 1) {
        rc = ll_err_set(err, LL_EPARSE,
                        "%s: 'input_shape' must be an array of sizes (save "
                        "the model after running it on a batch, or with "
                        "save(dir, {input_shape = {...}}))",
                        ld.cfgfile);
        goto out;
    }
    nshape s = {0, {0}};
    const cJSON *it;
    cJSON_ArrayForEach(it, ishape)
    {
        double d = cJSON_IsNumber(it) ? it->valuedouble : 0;
        if (!(d >= 1 && d <= (double)LL_NUMEL_MAX) || d != floor(d)) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: 'input_shape' must hold positive integer "
                            "sizes",
                            ld.cfgfile);
            goto out;
        }
        s.d[s.nd++] = (int64_t)d;
    }
    if (ll_shape_numel(s.nd, s.d) < 0) {
        char b[LL_MAXDIM * 24 + 4];
        rc = ll_err_set(err, LL_EPARSE,
                        "%s: 'input_shape' %s has too many elements",
                        ld.cfgfile, shape_text(s.nd, s.d, b, sizeof b));
        goto out;
    }
    m->in_ndim = s.nd;
    memcpy(m->in_shape, s.d, sizeof s.d[0] * (size_t)s.nd);
    ld.time_major = is_time_major(layers);
    ld.timed = ld.time_major;
    if (!ll_file_exists(ld.wfile)) {
        rc = ll_err_set(err, LL_ENOTFOUND,
                        "%s: flavor 'nn' needs weights.safetensors, which is "
                        "missing",
                        m->dir);
        goto out;
    }
    rc = ll_safetensors_load(ld.wfile, &ld.names, &ld.ts, &ld.nw, err);
    if (rc)
        goto out;
    nm = calloc(1, sizeof *nm);
    int nl = cJSON_GetArraySize(layers);
    if (!nm ||
        !(nm->layers = calloc((size_t)(nl ? nl : 1), sizeof *nm->layers))) {
        rc = ll_model_oom(err);
        goto out;
    }
    int i = 0;
    cJSON_ArrayForEach(it, layers)
    {
        const cJSON *ty = ll_cfg_get(it, "type");
        const cJSON *nmj = ll_cfg_get(it, "name");
        const cJSON *c = ll_cfg_get(it, "config");
        if (!cJSON_IsString(ty) || !cJSON_IsString(nmj)) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: layers[%d] needs 'type' and 'name'",
                            ld.cfgfile, i + 1);
            goto out;
        }
        nlayer *l = new_layer(ty->valuestring, nmj->valuestring);
        if (!l) {
            rc = ll_model_oom(err);
            goto out;
        }
        nm->layers[nm->n++] = l;
        cJSON *empty = NULL;
        if (!cJSON_IsObject(c))
            c = empty = cJSON_CreateObject();
        rc = build_layer(&ld, l, c, &s, err);
        cJSON_Delete(empty);
        if (!rc && ll_shape_numel(s.nd, s.d) < 0) {
            char b[LL_MAXDIM * 24 + 4];
            rc = ll_err_set(err, LL_EINVAL,
                            "%s: layer '%s' (%s): output shape %s has too "
                            "many elements",
                            ld.cfgfile, l->name, l->type,
                            shape_text(s.nd, s.d, b, sizeof b));
        }
        if (rc)
            goto out;
        i++;
    }
    if (nm->n == 0) {
        rc = ll_err_set(err, LL_EPARSE, "%s: the model has no layers",
                        ld.cfgfile);
        goto out;
    }
    /* A time-major model without LastStep returns (time, batch, ...) in Lua
     * and (batch, time, ...) here: every C model puts the batch first. */
    m->out_ndim = s.nd;
    memcpy(m->out_shape, s.d, sizeof s.d[0] * (size_t)s.nd);
    m->impl = nm;
    m->forward = nmodel_forward;
    m->free_impl = nmodel_free;
    m->nlayers = nm->n;
    m->layer_type = nmodel_layer_type;
    nm = NULL;
out:
    nmodel_free(nm);
    if (ld.names)
        ll_safetensors_list_free(ld.names, ld.ts, ld.nw);
    cJSON_Delete(cfg);
    return rc;
}
