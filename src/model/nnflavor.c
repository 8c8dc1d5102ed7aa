/*
 * nn flavor: the config keys, weight names and layers of an nn.Sequential
 * saved by lua/lualab/nn.lua's Sequential:save(dir), for the one
 * sequential loader (seq.c).
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
#include "config.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"

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

static int n_unary(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                   ll_seqshape *s, ll_err *err)
{
    (void)ld, (void)s, (void)err;
    l->kind = LL_SL_ACT;
    l->act.kind = LL_ACT_UNARY;
    for (size_t i = 0; i < sizeof unary_layers / sizeof unary_layers[0]; i++)
        if (strcmp(l->type, unary_layers[i].type) == 0) {
            l->act.op = unary_layers[i].op;
            l->act.arg = unary_layers[i].key
                             ? (float)ll_cfg_num(c, unary_layers[i].key,
                                                 unary_layers[i].def)
                             : 0.0f;
        }
    return LL_OK;
}

static int n_identity(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                      ll_seqshape *s, ll_err *err)
{
    (void)ld, (void)c, (void)s, (void)err;
    l->kind = LL_SL_IDENTITY; /* Identity; Dropout in inference */
    return LL_OK;
}

/* "input must end in N features" unless s does. */
static int last_dim_is(const ll_seqload *ld, const ll_seqlayer *l, int n,
                       const ll_seqshape *s, ll_err *err)
{
    if (s->nd >= 1 && s->d[s->nd - 1] == n)
        return LL_OK;
    char want[96];
    snprintf(want, sizeof want, "input must end in %d features", n);
    return ll_seq_shape_err(ld, l, want, s, err);
}

static int n_linear(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                    ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_LINEAR;
    int in, out;
    int rc = ll_seq_int(ld, l, c, "in_features", -1, 0, &in, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "out_features", -1, 0, &out, err);
    if (!rc)
        rc = last_dim_is(ld, l, in, s, err);
    if (rc)
        return rc;
    int64_t ws[2] = {out, in};
    rc = ll_seq_weight(ld, l, "weight", 2, ws, NULL, &l->w, err);
    if (!rc && ll_cfg_bool(c, "bias", 1))
        rc = ll_seq_weight(ld, l, "bias", 1, ws, NULL, &l->b, err);
    s->d[s->nd - 1] = out;
    return rc;
}

static int n_embedding(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                       ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_EMBEDDING;
    int n, d, pidx;
    int rc = ll_seq_int(ld, l, c, "num_embeddings", -1, 1, &n, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "embedding_dim", -1, 1, &d, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "padding_idx", -1, -1, &pidx, err);
    if (rc)
        return rc;
    l->padding_idx = pidx;
    if (s->nd >= LL_MAXDIM - 1)
        return ll_seq_shape_err(ld, l, "too many dimensions", s, err);
    int64_t es[2] = {n, d};
    rc = ll_seq_weight(ld, l, "weight", 2, es, NULL, &l->w, err);
    s->d[s->nd++] = d;
    return rc;
}

/* A recurrent layer (or LastStep) must agree with the model's layout. */
static int same_layout(const ll_seqload *ld, const ll_seqlayer *l,
                       const cJSON *c, const char *whose, ll_err *err)
{
    if (ll_cfg_bool(c, "batch_first", 0) != ld->time_major)
        return LL_OK;
    return ll_err_set(err, LL_EINVAL,
                      "%s: layer '%s': batch_first differs from %s",
                      ld->cfgfile, l->name, whose);
}

static int rnn_cell(const ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                    int *g, ll_err *err)
{
    if (strcmp(l->type, "LSTM") == 0) {
        l->cell = LL_CELL_LSTM;
        *g = 4;
        return LL_OK;
    }
    if (strcmp(l->type, "GRU") == 0) {
        l->cell = LL_CELL_GRU;
        *g = 3;
        return LL_OK;
    }
    const char *act = ll_cfg_str(c, "nonlinearity", "tanh");
    if (strcmp(act, "tanh") != 0 && strcmp(act, "relu") != 0)
        return ll_seq_unsupported(ld, l, "nonlinearity", act, err);
    l->cell = act[0] == 'r' ? LL_CELL_RELU : LL_CELL_TANH;
    *g = 1;
    return LL_OK;
}

static int n_rnn(ll_seqload *ld, ll_seqlayer *l, const cJSON *c, ll_seqshape *s,
                 ll_err *err)
{
    l->kind = LL_SL_RNN;
    int in, h, nlayers, g = 1;
    int rc = same_layout(ld, l, c, "the first recurrent layer's", err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "input_size", -1, 1, &in, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "hidden_size", -1, 1, &h, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "num_layers", 1, 1, &nlayers, err);
    if (!rc)
        rc = rnn_cell(ld, l, c, &g, err);
    if (rc)
        return rc;
    int dirs = ll_cfg_bool(c, "bidirectional", 0) ? 2 : 1;
    int bias = ll_cfg_bool(c, "bias", 1);
    if (s->nd != 2 || s->d[1] != in) {
        char want[96];
        snprintf(want, sizeof want, "input must be (time, %d)", in);
        return ll_seq_shape_err(ld, l, want, s, err);
    }
    rc = ll_seq_rnn_alloc(l, nlayers, dirs, err);
    for (int k = 0; !rc && k < nlayers; k++)
        for (int d = 0; !rc && d < dirs; d++) {
            int i = k * dirs + d;
            char nm[64];
            const char *sfx = d ? "_reverse" : "";
            int64_t isz = k == 0 ? in : (int64_t)h * dirs;
            int64_t ws[2] = {(int64_t)g * h, isz}, hs[2] = {(int64_t)g * h, h};
            snprintf(nm, sizeof nm, "weight_ih_l%d%s", k, sfx);
            rc = ll_seq_weight(ld, l, nm, 2, ws, NULL, &l->w_ih[i], err);
            snprintf(nm, sizeof nm, "weight_hh_l%d%s", k, sfx);
            if (!rc)
                rc = ll_seq_weight(ld, l, nm, 2, hs, NULL, &l->w_hh[i], err);
            snprintf(nm, sizeof nm, "bias_ih_l%d%s", k, sfx);
            if (!rc && bias)
                rc = ll_seq_weight(ld, l, nm, 1, hs, NULL, &l->b_ih[i], err);
            snprintf(nm, sizeof nm, "bias_hh_l%d%s", k, sfx);
            if (!rc && bias)
                rc = ll_seq_weight(ld, l, nm, 1, hs, NULL, &l->b_hh[i], err);
        }
    s->d[1] = (int64_t)h * dirs;
    return rc;
}

static int n_laststep(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                      ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_LASTSTEP;
    int rc = same_layout(ld, l, c, "the recurrent layers'", err);
    if (rc)
        return rc;
    if (s->nd != 2)
        return ll_seq_shape_err(ld, l, "input must be (time, features)", s,
                                err);
    s->nd = 1;
    s->d[0] = s->d[1];
    ld->timed = 0;
    return LL_OK;
}

/* A dim of the Lua tensor (batch included, maybe negative) -> this file's
 * batch-first dim; -1 when out of range. */
static int map_dim(const ll_seqload *ld, int dim, int nd_batch)
{
    if (dim < 0)
        dim += nd_batch;
    if (dim < 0 || dim >= nd_batch)
        return -1;
    if (ld->timed && ld->time_major && dim < 2)
        dim = 1 - dim;
    return dim;
}

static int n_softmax(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                     ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_ACT;
    l->act.kind = LL_ACT_SOFTMAX;
    l->act.is_log = l->type[0] == 'L';
    int dim;
    int rc = ll_seq_int(ld, l, c, "dim", -1, INT_MIN, &dim, err);
    if (rc)
        return rc;
    l->act.dim = map_dim(ld, dim, s->nd + 1);
    if (l->act.dim < 0)
        return ll_err_set(err, LL_EINVAL,
                          "%s: layer '%s': dim %d is out of range", ld->cfgfile,
                          l->name, dim);
    return LL_OK;
}

static int n_flatten(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                     ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_FLATTEN;
    int start;
    int rc = ll_seq_int(ld, l, c, "start_dim", 1, INT_MIN, &start, err);
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
    s->d[start - 1] = ll_shape_numel(s->nd - start + 1, s->d + start - 1);
    s->nd = start;
    ld->timed = ld->timed && s->nd >= 2;
    return LL_OK;
}

static int n_layernorm(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                       ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_LAYERNORM;
    int d;
    int rc = ll_seq_int(ld, l, c, "normalized_shape", -1, 1, &d, err);
    if (!rc)
        rc = last_dim_is(ld, l, d, s, err);
    if (rc)
        return rc;
    l->eps = ll_cfg_num(c, "eps", 1e-5);
    int64_t ws[1] = {d};
    rc = ll_seq_weight(ld, l, "weight", 1, ws, NULL, &l->w, err);
    if (!rc)
        rc = ll_seq_weight(ld, l, "bias", 1, ws, NULL, &l->b, err);
    return rc;
}

/* Conv and pools take (channels, length) batch-first tensors. */
static int channels_first(const ll_seqload *ld, const ll_seqlayer *l,
                          const ll_seqshape *s, ll_err *err)
{
    if (ld->timed && ld->time_major)
        return ll_err_set(err, LL_EINVAL,
                          "%s: layer '%s': %s of a (time, batch, ...) "
                          "sequence cannot be scored in C",
                          ld->cfgfile, l->name, l->type);
    if (s->nd != 2)
        return ll_seq_shape_err(ld, l, "input must be (channels, length)", s,
                                err);
    return LL_OK;
}

static int n_conv(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                  ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_CONV1D;
    int in, out;
    int rc = channels_first(ld, l, s, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "in_channels", -1, 1, &in, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "out_channels", -1, 1, &out, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "kernel_size", -1, 1, &l->k, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "stride", 1, 1, &l->stride, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "padding", 0, 0, &l->pad, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "dilation", 1, 1, &l->dilation, err);
    if (rc)
        return rc;
    if (s->d[0] != in)
        return ll_seq_shape_err(ld, l, "input channels differ from in_channels",
                                s, err);
    int64_t o = ll_seq_conv_len(s->d[1], l->k, l->stride, l->pad, l->dilation);
    if (o < 1)
        return ll_seq_shape_err(ld, l, "input is shorter than the kernel", s,
                                err);
    int64_t ws[3] = {out, in, l->k};
    rc = ll_seq_weight(ld, l, "weight", 3, ws, NULL, &l->w, err);
    if (!rc && ll_cfg_bool(c, "bias", 1))
        rc = ll_seq_weight(ld, l, "bias", 1, ws, NULL, &l->b, err);
    s->d[0] = out;
    s->d[1] = o;
    return rc;
}

static int n_pool(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                  ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_POOL;
    l->is_max = l->type[0] == 'M';
    int rc = channels_first(ld, l, s, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "kernel_size", -1, 1, &l->k, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "stride", l->k, 1, &l->stride, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "padding", 0, 0, &l->pad, err);
    if (rc)
        return rc;
    int64_t o = ll_seq_conv_len(s->d[1], l->k, l->stride, l->pad, 1);
    if (o < 1)
        return ll_seq_shape_err(ld, l, "input is shorter than the kernel", s,
                                err);
    s->d[1] = o;
    return LL_OK;
}

static int n_gpool(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                   ll_seqshape *s, ll_err *err)
{
    (void)c;
    l->kind = LL_SL_GPOOL;
    l->is_max = l->type[6] == 'M';
    l->dim = 2; /* (batch, channels, length) */
    int rc = channels_first(ld, l, s, err);
    s->nd = 1;
    return rc;
}

/* Whether the Lua model takes (time, batch, ...): its first recurrent
 * layer (else its first LastStep) has batch_first = false. */
static void prepare(ll_seqload *ld, const cJSON *layers)
{
    static const char *const first[2][3] = {{"LSTM", "GRU", "RNN"},
                                            {"LastStep", "", ""}};
    ld->time_major = 0;
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, layers)
        {
            const char *ty = ll_cfg_str(it, "type", "");
            for (int k = 0; k < 3; k++)
                if (*first[pass][k] && strcmp(ty, first[pass][k]) == 0) {
                    ld->time_major = !ll_cfg_bool(ll_cfg_get(it, "config"),
                                                  "batch_first", 0);
                    ld->timed = ld->time_major;
                    return;
                }
        }
    }
    ld->timed = 0;
}

static const ll_seqtype nn_types[] = {
    {"ReLU", n_unary},
    {"Tanh", n_unary},
    {"Sigmoid", n_unary},
    {"Softplus", n_unary},
    {"LeakyReLU", n_unary},
    {"ELU", n_unary},
    {"Identity", n_identity},
    {"Dropout", n_identity},
    {"Linear", n_linear},
    {"Embedding", n_embedding},
    {"LSTM", n_rnn},
    {"GRU", n_rnn},
    {"RNN", n_rnn},
    {"LastStep", n_laststep},
    {"Softmax", n_softmax},
    {"LogSoftmax", n_softmax},
    {"Flatten", n_flatten},
    {"LayerNorm", n_layernorm},
    {"Conv1d", n_conv},
    {"MaxPool1d", n_pool},
    {"AvgPool1d", n_pool},
    {"GlobalMaxPool1d", n_gpool},
    {"GlobalAvgPool1d", n_gpool},
};

const ll_seqflavor ll_nn_flavor = {
    .name = "nn",
    .type_key = "type",
    .quote_name = 1,
    .wsep = '.',
    .cfg_missing = " (written by nn.Sequential's save), which is missing: a "
                   "state dict alone cannot be scored from C",
    .unbuilt = "(save the model after running it on a batch, or with "
               "save(dir, {input_shape = {...}}))",
    .types = nn_types,
    .ntypes = (int)(sizeof nn_types / sizeof nn_types[0]),
    .prepare = prepare,
};
