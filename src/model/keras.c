/*
 * keras flavor: the config keys, weight names and layouts, and layers of a
 * lualab keras Sequential, for the one sequential loader (seq.c).
 *
 * config.json is what lua/lualab/keras/models.lua's get_config writes:
 * {class_name="Sequential", input_shape=[...], layers=[{class_name, name,
 * config}]}.  Weights are named "<layer>/<weight>" in Keras layouts
 * (Bidirectional and TimeDistributed: "<layer>/<sublayer>/<weight>"):
 *   Dense      kernel (in, units), bias (units)
 *   Embedding  embeddings (input_dim, output_dim)
 *   LSTM       kernel (in, 4h), recurrent_kernel (h, 4h), bias (4h);
 *              gates i f c o (PyTorch's order too)
 *   GRU        kernel (in, 3h), recurrent_kernel (h, 3h), bias (2, 3h)
 *              (input and recurrent bias); gates z r h, PyTorch's r z n
 *   SimpleRNN  kernel (in, h), recurrent_kernel (h, h), bias (h)
 *   Conv1D     kernel (k, in, filters), bias (filters)
 * and are converted here to the engine's (PyTorch) layouts.  Keras tensors
 * are channels last: (batch, steps, channels).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"

static int parse_act(const ll_seqload *ld, const ll_seqlayer *l,
                     const char *name, ll_seqact *a, ll_err *err)
{
    static const struct {
        const char *name;
        ll_actkind kind;
        ll_unop op;
        float arg;
    } acts[] = {
        {"linear", LL_ACT_NONE, LL_NEG, 0.0f},
        {"sigmoid", LL_ACT_UNARY, LL_SIGMOID, 0.0f},
        {"tanh", LL_ACT_UNARY, LL_TANH, 0.0f},
        {"relu", LL_ACT_UNARY, LL_RELU, 0.0f},
        {"softmax", LL_ACT_SOFTMAX, LL_NEG, 0.0f},
        {"elu", LL_ACT_UNARY, LL_ELU, 1.0f},
        {"softplus", LL_ACT_UNARY, LL_SOFTPLUS, 0.0f},
    };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strcmp(name, acts[i].name) == 0) {
            a->kind = acts[i].kind;
            a->op = acts[i].op;
            a->arg = acts[i].arg;
            a->dim = -1;
            return LL_OK;
        }
    return ll_seq_unsupported(ld, l, "activation", name, err);
}

static int layer_act(const ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                     ll_err *err)
{
    return parse_act(ld, l, ll_cfg_str(c, "activation", "linear"), &l->act,
                     err);
}

static int k_dense(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                   ll_seqshape *s, ll_err *err)
{
    int units;
    int rc = ll_seq_int(ld, l, c, "units", -1, 1, &units, err);
    if (!rc)
        rc = layer_act(ld, l, c, err);
    if (rc)
        return rc;
    if (s->nd < 1)
        return ll_seq_shape_err(ld, l, "input needs a feature dimension", s,
                                err);
    l->kind = LL_SL_LINEAR;
    static const int t2[2] = {1, 0};
    int64_t ks[2] = {s->d[s->nd - 1], units};
    rc = ll_seq_weight(ld, l, "kernel", 2, ks, t2, &l->w, err);
    if (!rc && ll_cfg_bool(c, "use_bias", 1))
        rc = ll_seq_weight(ld, l, "bias", 1, ks + 1, NULL, &l->b, err);
    s->d[s->nd - 1] = units;
    return rc;
}

static int k_activation(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                        ll_seqshape *s, ll_err *err)
{
    (void)s;
    l->kind = LL_SL_ACT;
    return layer_act(ld, l, c, err);
}

static int k_dropout(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                     ll_seqshape *s, ll_err *err)
{
    (void)ld, (void)c, (void)s, (void)err;
    l->kind = LL_SL_IDENTITY; /* inference: the identity */
    return LL_OK;
}

static int k_flatten(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                     ll_seqshape *s, ll_err *err)
{
    (void)ld, (void)c, (void)err;
    l->kind = LL_SL_FLATTEN;
    l->dim = 1;
    s->d[0] = ll_shape_numel(s->nd, s->d); /* s is a valid shape */
    s->nd = 1;
    return LL_OK;
}

static int k_repeat(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                    ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_REPEAT;
    int rc = ll_seq_int(ld, l, c, "n", -1, 1, &l->n, err);
    if (rc)
        return rc;
    if (s->nd != 1)
        return ll_seq_shape_err(ld, l, "input must be (features)", s, err);
    s->nd = 2;
    s->d[1] = s->d[0];
    s->d[0] = l->n;
    return LL_OK;
}

static int k_embedding(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                       ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_EMBEDDING;
    l->padding_idx = -1;
    int in_dim, out_dim;
    int rc = ll_seq_int(ld, l, c, "input_dim", -1, 1, &in_dim, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "output_dim", -1, 1, &out_dim, err);
    if (rc)
        return rc;
    if (s->nd >= LL_MAXDIM - 1)
        return ll_seq_shape_err(ld, l, "too many dimensions", s, err);
    int64_t es[2] = {in_dim, out_dim};
    rc = ll_seq_weight(ld, l, "embeddings", 2, es, NULL, &l->w, err);
    s->d[s->nd++] = out_dim;
    return rc;
}

/* Keras (rows, g*h) with gate blocks in Keras order -> engine (g*h, rows)
 * with block k taken from Keras block order[k]. */
static ll_tensor *gates_from_keras(ll_tensor *kt, int g, int64_t h,
                                   int64_t rows, const int *order, ll_err *err)
{
    int64_t shape[2] = {g * h, rows};
    ll_tensor *t = ll_tensor_new(2, shape, err);
    if (!t)
        return NULL;
    const float *src = ll_tensor_data(kt);
    float *dst = ll_tensor_data(t);
    for (int k = 0; k < g; k++) {
        int kb = order ? order[k] : k;
        for (int64_t j = 0; j < h; j++)
            for (int64_t r = 0; r < rows; r++)
                dst[(k * h + j) * rows + r] = src[r * g * h + kb * h + j];
    }
    return t;
}

/* GRU's bias (2, 3h) -> b_ih and b_hh, each reordered to r z n. */
static int gru_bias(ll_seqlayer *l, ll_tensor *b, int64_t h, const int *order,
                    ll_err *err)
{
    int64_t one = 3 * h;
    l->b_ih[0] = ll_tensor_new(1, &one, err);
    l->b_hh[0] = l->b_ih[0] ? ll_tensor_new(1, &one, err) : NULL;
    if (!l->b_hh[0])
        return ll_model_tensor_err(err);
    const float *src = ll_tensor_data(b);
    float *bi = ll_tensor_data(l->b_ih[0]);
    float *bh = ll_tensor_data(l->b_hh[0]);
    for (int kk = 0; kk < 3; kk++)
        for (int64_t j = 0; j < h; j++) {
            bi[kk * h + j] = src[order[kk] * h + j];
            bh[kk * h + j] = src[one + order[kk] * h + j];
        }
    return LL_OK;
}

static int k_rnn(ll_seqload *ld, ll_seqlayer *l, const cJSON *c, ll_seqshape *s,
                 ll_err *err)
{
    l->kind = LL_SL_RNN;
    int g = strcmp(l->type, "LSTM") == 0  ? 4
            : strcmp(l->type, "GRU") == 0 ? 3
                                          : 1;
    int units;
    int rc = ll_seq_int(ld, l, c, "units", -1, 1, &units, err);
    if (rc)
        return rc;
    const char *act = ll_cfg_str(c, "activation", "tanh");
    int relu = g == 1 && strcmp(act, "relu") == 0;
    if (strcmp(act, "tanh") != 0 && !relu)
        return ll_seq_unsupported(ld, l, "activation", act, err);
    l->cell = g == 4   ? LL_CELL_LSTM
              : g == 3 ? LL_CELL_GRU
              : relu   ? LL_CELL_RELU
                       : LL_CELL_TANH;
    l->return_sequences = ll_cfg_bool(c, "return_sequences", 0);
    l->go_backwards = ll_cfg_bool(c, "go_backwards", 0);
    if (s->nd != 2)
        return ll_seq_shape_err(ld, l, "input must be (time, features)", s,
                                err);
    rc = ll_seq_rnn_alloc(l, 1, 1, err);
    if (rc)
        return rc;
    int64_t d = s->d[1], h = units;
    static const int gru_order[3] = {1, 0, 2};
    const int *order = g == 3 ? gru_order : NULL;
    int64_t ks[2] = {d, g * h}, rs[2] = {h, g * h}, bs[2] = {2, g * h};
    ll_tensor *k = NULL, *r = NULL, *b = NULL;
    rc = ll_seq_weight(ld, l, "kernel", 2, ks, NULL, &k, err);
    if (!rc)
        rc = ll_seq_weight(ld, l, "recurrent_kernel", 2, rs, NULL, &r, err);
    if (!rc && ll_cfg_bool(c, "use_bias", 1))
        rc = g == 3 ? ll_seq_weight(ld, l, "bias", 2, bs, NULL, &b, err)
                    : ll_seq_weight(ld, l, "bias", 1, bs + 1, NULL, &b, err);
    if (!rc) {
        l->w_ih[0] = gates_from_keras(k, g, h, d, order, err);
        l->w_hh[0] =
            l->w_ih[0] ? gates_from_keras(r, g, h, h, order, err) : NULL;
        if (!l->w_hh[0])
            rc = ll_model_tensor_err(err);
    }
    if (!rc && b && g == 3)
        rc = gru_bias(l, b, h, order, err);
    else if (!rc && b)
        l->b_ih[0] = ll_tensor_ref(b);
    ll_tensor_free(k);
    ll_tensor_free(r);
    ll_tensor_free(b);
    if (l->return_sequences) {
        s->d[1] = h;
    } else {
        s->nd = 1;
        s->d[0] = h;
    }
    return rc;
}

/* The layer a wrapper holds (config "layer": {class_name, config}), its
 * weights under "<outer>/<sub>*". */
static int build_wrapped(ll_seqload *ld, const ll_seqlayer *outer,
                         const cJSON *c, const char *sub, ll_seqlayer **out,
                         ll_seqshape *s, ll_err *err)
{
    const cJSON *inner = ll_cfg_get(c, "layer");
    const cJSON *ic = inner ? ll_cfg_get(inner, "config") : NULL;
    const char *icls = inner ? ll_cfg_str(inner, "class_name", NULL) : NULL;
    if (!icls || !cJSON_IsObject(ic))
        return ll_err_set(err, LL_EPARSE,
                          "%s: layer '%s' (%s): 'layer' needs class_name and "
                          "config",
                          ld->cfgfile, outer->name, outer->type);
    char name[512];
    snprintf(name, sizeof name, "%s/%s", outer->name, sub);
    ll_seqlayer *l = ll_seq_new_layer(ld, icls, name);
    if (!l)
        return ll_err_oom(err);
    *out = l;
    size_t wl = strlen(name) + 2;
    char *wname = realloc(l->wname, wl);
    if (!wname)
        return ll_err_oom(err);
    snprintf(wname, wl, "%s*", name);
    l->wname = wname;
    return ll_seq_build(ld, l, ic, s, err);
}

static int k_bidi(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                  ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_BIDI;
    const char *mm = ll_cfg_str(c, "merge_mode", "concat");
    static const char *modes[] = {"concat", "sum", "mul", "ave"};
    int found = 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(mm, modes[i]) == 0) {
            l->merge = (ll_merge)i;
            found = 1;
        }
    if (!found)
        return ll_seq_unsupported(ld, l, "merge_mode", mm, err);
    ll_seqshape s2 = *s;
    int rc = build_wrapped(ld, l, c, "forward_", &l->fwd, s, err);
    if (rc)
        return rc;
    if (l->fwd->kind != LL_SL_RNN)
        return ll_err_set(err, LL_EINVAL,
                          "%s: layer '%s': Bidirectional wraps %s, not a "
                          "recurrent layer",
                          ld->cfgfile, l->name, l->fwd->type);
    rc = build_wrapped(ld, l, c, "backward_", &l->bwd, &s2, err);
    if (rc)
        return rc;
    l->bwd->go_backwards = !l->fwd->go_backwards;
    if (l->merge == LL_MERGE_CONCAT)
        s->d[s->nd - 1] *= 2;
    return LL_OK;
}

static int k_conv(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                  ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_CONV1D;
    l->channels_last = 1;
    int filters;
    int rc = ll_seq_int(ld, l, c, "filters", -1, 1, &filters, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "kernel_size", -1, 1, &l->k, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "strides", 1, 1, &l->stride, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "dilation_rate", 1, 1, &l->dilation, err);
    if (!rc)
        rc = layer_act(ld, l, c, err);
    if (rc)
        return rc;
    const char *pad = ll_cfg_str(c, "padding", "valid");
    int same = strcmp(pad, "same") == 0;
    if (!same && strcmp(pad, "valid") != 0)
        return ll_seq_unsupported(ld, l, "padding", pad, err);
    int64_t half = (int64_t)(l->k - 1) * l->dilation / 2;
    if (same && half > INT_MAX)
        return ll_err_set(err, LL_ERANGE,
                          "%s: layer '%s': kernel_size x dilation_rate is "
                          "too large",
                          ld->cfgfile, l->name);
    l->pad = same ? (int)half : 0;
    if (s->nd != 2)
        return ll_seq_shape_err(ld, l, "input must be (steps, channels)", s,
                                err);
    int64_t o = same
                    ? (s->d[0] + l->stride - 1) / l->stride
                    : ll_seq_conv_len(s->d[0], l->k, l->stride, 0, l->dilation);
    if (o < 1)
        return ll_seq_shape_err(ld, l, "input is shorter than the kernel", s,
                                err);
    static const int kperm[3] = {2, 1, 0};
    int64_t ks[3] = {l->k, s->d[1], filters};
    rc = ll_seq_weight(ld, l, "kernel", 3, ks, kperm, &l->w, err);
    if (!rc && ll_cfg_bool(c, "use_bias", 1))
        rc = ll_seq_weight(ld, l, "bias", 1, ks + 2, NULL, &l->b, err);
    s->d[0] = o;
    s->d[1] = filters;
    return rc;
}

static int k_pool(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                  ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_POOL;
    l->channels_last = 1;
    l->is_max = l->type[0] == 'M';
    int rc = ll_seq_int(ld, l, c, "pool_size", 2, 1, &l->k, err);
    if (!rc)
        rc = ll_seq_int(ld, l, c, "strides", l->k, 1, &l->stride, err);
    if (rc)
        return rc;
    const char *pad = ll_cfg_str(c, "padding", "valid");
    if (strcmp(pad, "valid") != 0)
        return ll_seq_unsupported(ld, l, "padding", pad, err);
    if (s->nd != 2 || s->d[0] < l->k)
        return ll_seq_shape_err(
            ld, l, "input must be (steps >= pool_size, channels)", s, err);
    s->d[0] = ll_seq_conv_len(s->d[0], l->k, l->stride, 0, 1);
    return LL_OK;
}

static int k_gpool(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                   ll_seqshape *s, ll_err *err)
{
    (void)c;
    l->kind = LL_SL_GPOOL;
    l->is_max = l->type[6] == 'M';
    l->dim = 1; /* (batch, steps, channels) */
    if (s->nd != 2)
        return ll_seq_shape_err(ld, l, "input must be (steps, channels)", s,
                                err);
    s->nd = 1;
    s->d[0] = s->d[1];
    return LL_OK;
}

static int k_timedist(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                      ll_seqshape *s, ll_err *err)
{
    l->kind = LL_SL_TIMEDIST;
    if (s->nd < 2)
        return ll_seq_shape_err(ld, l, "input must be (time, ...)", s, err);
    ll_seqshape in = {s->nd - 1, {0}};
    memcpy(in.d, s->d + 1, (size_t)in.nd * sizeof in.d[0]);
    int rc = build_wrapped(ld, l, c, "", &l->inner, &in, err);
    if (rc)
        return rc;
    if (in.nd + 1 > LL_MAXDIM - 1)
        return ll_seq_shape_err(ld, l, "too many dimensions", s, err);
    s->nd = in.nd + 1;
    memcpy(s->d + 1, in.d, (size_t)in.nd * sizeof in.d[0]);
    return LL_OK;
}

static const ll_seqtype keras_types[] = {
    {"Dense", k_dense},
    {"Activation", k_activation},
    {"Dropout", k_dropout},
    {"Flatten", k_flatten},
    {"RepeatVector", k_repeat},
    {"Embedding", k_embedding},
    {"LSTM", k_rnn},
    {"GRU", k_rnn},
    {"SimpleRNN", k_rnn},
    {"Bidirectional", k_bidi},
    {"Conv1D", k_conv},
    {"MaxPooling1D", k_pool},
    {"AveragePooling1D", k_pool},
    {"GlobalMaxPooling1D", k_gpool},
    {"GlobalAveragePooling1D", k_gpool},
    {"TimeDistributed", k_timedist},
};

const ll_seqflavor ll_keras_flavor = {
    .name = "keras",
    .type_key = "class_name",
    .quote_name = 0,
    .wsep = '/',
    .cfg_missing = ", which is missing",
    .unbuilt = "(the model was saved unbuilt)",
    .types = keras_types,
    .ntypes = (int)(sizeof keras_types / sizeof keras_types[0]),
    .prepare = NULL,
};
