/*
 * keras flavor: rebuild a lualab keras Sequential from config.json and
 * weights.safetensors and run it for inference on nn's C layer functions.
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
 * and are converted here to the engine's (PyTorch) layouts.
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
    K_DENSE,
    K_ACTIVATION,
    K_DROPOUT,
    K_FLATTEN,
    K_REPEAT,
    K_EMBEDDING,
    K_RNN,
    K_BIDI,
    K_CONV1D,
    K_POOL,
    K_GPOOL,
    K_TIMEDIST
} kkind;

typedef enum {
    A_LINEAR,
    A_SIGMOID,
    A_TANH,
    A_RELU,
    A_SOFTMAX,
    A_ELU,
    A_SOFTPLUS
} kact;

typedef enum { M_CONCAT, M_SUM, M_MUL, M_AVE } kmerge;

typedef struct klayer klayer;
struct klayer {
    kkind kind;
    char *cls, *name, *label; /* label: "Dense dense_1" for errors */
    kact act;
    int units, n;
    ll_tensor *w, *b; /* Dense (out, in), Embedding, Conv1D (o, c, k) */
    /* recurrent */
    ll_cell cell;
    int return_sequences, go_backwards, use_bias;
    ll_tensor *w_ih, *w_hh, *b_ih, *b_hh;
    /* Bidirectional, TimeDistributed */
    klayer *fwd, *bwd, *inner;
    kmerge merge;
    /* Conv1D, pooling */
    int k, stride, pad, dilation, is_max;
};

typedef struct kmodel {
    int n;
    klayer **layers;
} kmodel;

/* The state of one load: files for errors and the weights. */
typedef struct kload {
    char cfgfile[4096], wfile[4096];
    char **names;
    ll_tensor **ts;
    int nw;
} kload;

static void klayer_free(klayer *l)
{
    if (!l)
        return;
    free(l->cls);
    free(l->name);
    free(l->label);
    ll_tensor_free(l->w);
    ll_tensor_free(l->b);
    ll_tensor_free(l->w_ih);
    ll_tensor_free(l->w_hh);
    ll_tensor_free(l->b_ih);
    ll_tensor_free(l->b_hh);
    klayer_free(l->fwd);
    klayer_free(l->bwd);
    klayer_free(l->inner);
    free(l);
}

static void kmodel_free(void *p)
{
    kmodel *km = p;
    if (!km)
        return;
    for (int i = 0; i < km->n; i++)
        klayer_free(km->layers[i]);
    free(km->layers);
    free(km);
}

static const char *kmodel_layer_type(void *p, int i)
{
    kmodel *km = p;
    return km->layers[i]->cls;
}

/* ---- config helpers -------------------------------------------------------
 */

static int cfg_int(const kload *ld, const klayer *l, const cJSON *c,
                   const char *key, int def, int min, int *out, ll_err *err)
{
    return ll_cfg_int(ld->cfgfile, l->name, c, key, def, min, out, err);
}

static int parse_act(const kload *ld, const klayer *l, const char *name,
                     kact *out, ll_err *err)
{
    static const char *names[] = {"linear",  "sigmoid", "tanh",    "relu",
                                  "softmax", "elu",     "softplus"};
    for (int i = 0; i < 7; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (kact)i;
            return LL_OK;
        }
    return ll_err_set(err, LL_EINVAL,
                      "%s: layer '%s': unsupported activation '%s'",
                      ld->cfgfile, l->name, name);
}

/* ---- weights
 * ----------------------------------------------------------------- */

static char *shape_text(int nd, const int64_t *s, char *buf, size_t n)
{
    ll_shape_str(nd, s, buf, n);
    return buf;
}

/* The weight "<prefix>/<w>"; with sub != NULL, "<prefix>/<sub>*<'/'><w>"
 * (a wrapped layer whose name is not in the config).  Checks the shape. */
static int get_weight(const kload *ld, const char *prefix, const char *sub,
                      const char *w, int nd, const int64_t *shape,
                      ll_tensor **out, ll_err *err)
{
    size_t pl = strlen(prefix), wl = strlen(w);
    size_t sl = sub ? strlen(sub) : 0;
    int found = -1;
    for (int i = 0; i < ld->nw && found < 0; i++) {
        const char *nm = ld->names[i];
        size_t nl = strlen(nm);
        if (nl < pl + wl + 1 || strncmp(nm, prefix, pl) != 0 || nm[pl] != '/')
            continue;
        const char *rest = nm + pl + 1;
        if (!sub) {
            if (strcmp(rest, w) == 0)
                found = i;
            continue;
        }
        if (strncmp(rest, sub, sl) != 0)
            continue;
        const char *slash = strchr(rest + sl, '/');
        if (slash && strcmp(slash + 1, w) == 0)
            found = i;
    }
    if (found < 0)
        return ll_err_set(err, LL_ENOTFOUND, "%s lacks the weight '%s/%s%s%s'",
                          ld->wfile, prefix, sub ? sub : "", sub ? "*/" : "",
                          w);
    ll_tensor *t = ld->ts[found];
    int ok = ll_tensor_ndim(t) == nd;
    for (int i = 0; ok && i < nd; i++)
        ok = ll_tensor_shape(t)[i] == shape[i];
    if (!ok) {
        char a[LL_MAXDIM * 24 + 4], b[LL_MAXDIM * 24 + 4];
        return ll_err_set(
            err, LL_EINVAL, "%s: weight '%s' has shape %s, expected %s",
            ld->wfile, ld->names[found],
            shape_text(ll_tensor_ndim(t), ll_tensor_shape(t), a, sizeof a),
            shape_text(nd, shape, b, sizeof b));
    }
    *out = ll_contiguous(t, err);
    return *out ? LL_OK : ll_model_tensor_err(err);
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

/* ---- layers
 * ------------------------------------------------------------------- */

typedef struct kshape {
    int nd;
    int64_t d[LL_MAXDIM];
} kshape;

static int shape_err(const kload *ld, const klayer *l, const char *want,
                     const kshape *s, ll_err *err)
{
    char b[LL_MAXDIM * 24 + 4];
    return ll_err_set(err, LL_EINVAL, "%s: layer '%s' (%s): %s, got %s",
                      ld->cfgfile, l->name, l->cls, want,
                      shape_text(s->nd, s->d, b, sizeof b));
}

static int build_layer(const kload *ld, klayer *l, const cJSON *c,
                       const char *wprefix, const char *wsub, kshape *s,
                       ll_err *err);

static klayer *new_layer(const char *cls, const char *name)
{
    klayer *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cls = strdup(cls);
    l->name = strdup(name);
    size_t n = strlen(cls) + strlen(name) + 2;
    l->label = malloc(n);
    if (!l->cls || !l->name || !l->label) {
        klayer_free(l);
        return NULL;
    }
    snprintf(l->label, n, "%s %s", cls, name);
    return l;
}

static int build_rnn(const kload *ld, klayer *l, const cJSON *c,
                     const char *wprefix, const char *wsub, kshape *s,
                     ll_err *err)
{
    int g = strcmp(l->cls, "LSTM") == 0  ? 4
            : strcmp(l->cls, "GRU") == 0 ? 3
                                         : 1;
    int rc = cfg_int(ld, l, c, "units", -1, 1, &l->units, err);
    if (rc)
        return rc;
    const char *act = ll_cfg_str(c, "activation", "tanh");
    if (g == 1)
        l->cell = strcmp(act, "relu") == 0 ? LL_CELL_RELU : LL_CELL_TANH;
    else
        l->cell = g == 4 ? LL_CELL_LSTM : LL_CELL_GRU;
    if (strcmp(act, "tanh") != 0 && !(g == 1 && strcmp(act, "relu") == 0))
        return ll_err_set(err, LL_EINVAL,
                          "%s: layer '%s': unsupported activation '%s'",
                          ld->cfgfile, l->name, act);
    l->return_sequences = ll_cfg_bool(c, "return_sequences", 0);
    l->go_backwards = ll_cfg_bool(c, "go_backwards", 0);
    l->use_bias = ll_cfg_bool(c, "use_bias", 1);
    if (s->nd != 2)
        return shape_err(ld, l, "input must be (time, features)", s, err);
    int64_t d = s->d[1], h = l->units;
    static const int gru_order[3] = {1, 0, 2};
    const int *order = g == 3 ? gru_order : NULL;
    int64_t ks[2] = {d, g * h}, rs[2] = {h, g * h};
    ll_tensor *k = NULL, *r = NULL, *b = NULL;
    rc = get_weight(ld, wprefix, wsub, "kernel", 2, ks, &k, err);
    if (!rc)
        rc = get_weight(ld, wprefix, wsub, "recurrent_kernel", 2, rs, &r, err);
    if (!rc && l->use_bias) {
        int64_t bs[2] = {2, g * h};
        if (g == 3)
            rc = get_weight(ld, wprefix, wsub, "bias", 2, bs, &b, err);
        else
            rc = get_weight(ld, wprefix, wsub, "bias", 1, bs + 1, &b, err);
    }
    if (!rc) {
        l->w_ih = gates_from_keras(k, g, h, d, order, err);
        l->w_hh = l->w_ih ? gates_from_keras(r, g, h, h, order, err) : NULL;
        if (!l->w_ih || !l->w_hh)
            rc = ll_model_tensor_err(err);
    }
    if (!rc && b) {
        if (g == 3) {
            /* (2, 3h) -> b_ih, b_hh each reordered to r z n. */
            int64_t one = 3 * h;
            int64_t bshape[1] = {one};
            l->b_ih = ll_tensor_new(1, bshape, err);
            l->b_hh = l->b_ih ? ll_tensor_new(1, bshape, err) : NULL;
            if (!l->b_ih || !l->b_hh) {
                rc = ll_model_tensor_err(err);
            } else {
                const float *src = ll_tensor_data(b);
                float *bi = ll_tensor_data(l->b_ih);
                float *bh = ll_tensor_data(l->b_hh);
                for (int kk = 0; kk < 3; kk++)
                    for (int64_t j = 0; j < h; j++) {
                        bi[kk * h + j] = src[order[kk] * h + j];
                        bh[kk * h + j] = src[one + order[kk] * h + j];
                    }
            }
        } else {
            l->b_ih = ll_tensor_ref(b);
        }
    }
    ll_tensor_free(k);
    ll_tensor_free(r);
    ll_tensor_free(b);
    if (rc)
        return rc;
    if (l->return_sequences) {
        s->d[1] = h;
    } else {
        s->nd = 1;
        s->d[0] = h;
    }
    return LL_OK;
}

static int build_wrapped(const kload *ld, const cJSON *c, const char *what,
                         klayer **out, const char *wprefix, const char *wsub,
                         const char *outer, kshape *s, ll_err *err)
{
    const cJSON *inner = ll_cfg_get(c, "layer");
    const cJSON *ic = inner ? ll_cfg_get(inner, "config") : NULL;
    const char *icls = inner ? ll_cfg_str(inner, "class_name", NULL) : NULL;
    if (!icls || !cJSON_IsObject(ic))
        return ll_err_set(err, LL_EPARSE,
                          "%s: layer '%s' (%s): 'layer' needs class_name and "
                          "config",
                          ld->cfgfile, outer, what);
    char name[512];
    snprintf(name, sizeof name, "%s/%s", outer, wsub);
    klayer *l = new_layer(icls, name);
    if (!l)
        return ll_model_oom(err);
    *out = l;
    return build_layer(ld, l, ic, wprefix, wsub, s, err);
}

/* Parse one layer's config, find and convert its weights, and turn the
 * input shape s (no batch) into its output shape. */
static int build_layer(const kload *ld, klayer *l, const cJSON *c,
                       const char *wprefix, const char *wsub, kshape *s,
                       ll_err *err)
{
    const char *cls = l->cls;
    int rc;
    if (strcmp(cls, "Dense") == 0) {
        l->kind = K_DENSE;
        rc = cfg_int(ld, l, c, "units", -1, 1, &l->units, err);
        if (!rc)
            rc = parse_act(ld, l, ll_cfg_str(c, "activation", "linear"),
                           &l->act, err);
        if (rc)
            return rc;
        if (s->nd < 1)
            return shape_err(ld, l, "input needs a feature dimension", s, err);
        int64_t ks[2] = {s->d[s->nd - 1], l->units};
        ll_tensor *k = NULL;
        rc = get_weight(ld, wprefix, wsub, "kernel", 2, ks, &k, err);
        if (rc)
            return rc;
        l->w = ll_transpose(k, 0, 1, err);
        ll_tensor_free(k);
        ll_tensor *wc = l->w ? ll_contiguous(l->w, err) : NULL;
        ll_tensor_free(l->w);
        l->w = wc;
        if (!l->w)
            return ll_model_tensor_err(err);
        if (ll_cfg_bool(c, "use_bias", 1)) {
            rc = get_weight(ld, wprefix, wsub, "bias", 1, ks + 1, &l->b, err);
            if (rc)
                return rc;
        }
        s->d[s->nd - 1] = l->units;
        return LL_OK;
    }
    if (strcmp(cls, "Activation") == 0) {
        l->kind = K_ACTIVATION;
        return parse_act(ld, l, ll_cfg_str(c, "activation", "linear"), &l->act,
                         err);
    }
    if (strcmp(cls, "Dropout") == 0) {
        l->kind = K_DROPOUT; /* inference: the identity */
        return LL_OK;
    }
    if (strcmp(cls, "Flatten") == 0) {
        l->kind = K_FLATTEN;
        int64_t n = ll_shape_numel(s->nd, s->d); /* s is a valid shape */
        s->nd = 1;
        s->d[0] = n;
        return LL_OK;
    }
    if (strcmp(cls, "RepeatVector") == 0) {
        l->kind = K_REPEAT;
        rc = cfg_int(ld, l, c, "n", -1, 1, &l->n, err);
        if (rc)
            return rc;
        if (s->nd != 1)
            return shape_err(ld, l, "input must be (features)", s, err);
        s->nd = 2;
        s->d[1] = s->d[0];
        s->d[0] = l->n;
        return LL_OK;
    }
    if (strcmp(cls, "Embedding") == 0) {
        l->kind = K_EMBEDDING;
        int in_dim, out_dim;
        rc = cfg_int(ld, l, c, "input_dim", -1, 1, &in_dim, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "output_dim", -1, 1, &out_dim, err);
        if (rc)
            return rc;
        if (s->nd >= LL_MAXDIM - 1)
            return shape_err(ld, l, "too many dimensions", s, err);
        int64_t es[2] = {in_dim, out_dim};
        rc = get_weight(ld, wprefix, wsub, "embeddings", 2, es, &l->w, err);
        if (rc)
            return rc;
        s->d[s->nd++] = out_dim;
        return LL_OK;
    }
    if (strcmp(cls, "LSTM") == 0 || strcmp(cls, "GRU") == 0 ||
        strcmp(cls, "SimpleRNN") == 0) {
        l->kind = K_RNN;
        return build_rnn(ld, l, c, wprefix, wsub, s, err);
    }
    if (strcmp(cls, "Bidirectional") == 0) {
        l->kind = K_BIDI;
        const char *mm = ll_cfg_str(c, "merge_mode", "concat");
        static const char *modes[] = {"concat", "sum", "mul", "ave"};
        int found = 0;
        for (int i = 0; i < 4; i++)
            if (strcmp(mm, modes[i]) == 0) {
                l->merge = (kmerge)i;
                found = 1;
            }
        if (!found)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': unsupported merge_mode '%s'",
                              ld->cfgfile, l->name, mm);
        kshape s2 = *s;
        rc = build_wrapped(ld, c, cls, &l->fwd, l->name, "forward_", l->name, s,
                           err);
        if (rc)
            return rc;
        if (l->fwd->kind != K_RNN)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': Bidirectional wraps %s, not a "
                              "recurrent layer",
                              ld->cfgfile, l->name, l->fwd->cls);
        rc = build_wrapped(ld, c, cls, &l->bwd, l->name, "backward_", l->name,
                           &s2, err);
        if (rc)
            return rc;
        l->bwd->go_backwards = !l->fwd->go_backwards;
        if (l->merge == M_CONCAT)
            s->d[s->nd - 1] *= 2;
        return LL_OK;
    }
    if (strcmp(cls, "Conv1D") == 0) {
        l->kind = K_CONV1D;
        int filters;
        rc = cfg_int(ld, l, c, "filters", -1, 1, &filters, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "kernel_size", -1, 1, &l->k, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "strides", 1, 1, &l->stride, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "dilation_rate", 1, 1, &l->dilation, err);
        if (!rc)
            rc = parse_act(ld, l, ll_cfg_str(c, "activation", "linear"),
                           &l->act, err);
        if (rc)
            return rc;
        const char *pad = ll_cfg_str(c, "padding", "valid");
        int same = strcmp(pad, "same") == 0;
        if (!same && strcmp(pad, "valid") != 0)
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s': unsupported padding '%s'",
                              ld->cfgfile, l->name, pad);
        int64_t eff = (int64_t)(l->k - 1) * l->dilation + 1;
        if (same && (eff - 1) / 2 > INT_MAX)
            return ll_err_set(err, LL_ERANGE,
                              "%s: layer '%s': kernel_size x dilation_rate is "
                              "too large",
                              ld->cfgfile, l->name);
        l->pad = same ? (int)((eff - 1) / 2) : 0;
        if (s->nd != 2)
            return shape_err(ld, l, "input must be (steps, channels)", s, err);
        int64_t len = s->d[0];
        int64_t o = same ? (len + l->stride - 1) / l->stride
                         : (len + 2 * (int64_t)l->pad - eff) / l->stride + 1;
        if (o < 1)
            return shape_err(ld, l, "input is shorter than the kernel", s, err);
        int64_t ks[3] = {l->k, s->d[1], filters};
        ll_tensor *k = NULL;
        rc = get_weight(ld, wprefix, wsub, "kernel", 3, ks, &k, err);
        if (rc)
            return rc;
        int perm[3] = {2, 1, 0};
        ll_tensor *p = ll_permute(k, perm, err);
        ll_tensor_free(k);
        l->w = p ? ll_contiguous(p, err) : NULL;
        ll_tensor_free(p);
        if (!l->w)
            return ll_model_tensor_err(err);
        if (ll_cfg_bool(c, "use_bias", 1)) {
            rc = get_weight(ld, wprefix, wsub, "bias", 1, ks + 2, &l->b, err);
            if (rc)
                return rc;
        }
        s->d[0] = o;
        s->d[1] = filters;
        return LL_OK;
    }
    if (strcmp(cls, "MaxPooling1D") == 0 ||
        strcmp(cls, "AveragePooling1D") == 0) {
        l->kind = K_POOL;
        l->is_max = cls[0] == 'M';
        rc = cfg_int(ld, l, c, "pool_size", 2, 1, &l->k, err);
        if (!rc)
            rc = cfg_int(ld, l, c, "strides", l->k, 1, &l->stride, err);
        if (rc)
            return rc;
        if (strcmp(ll_cfg_str(c, "padding", "valid"), "valid") != 0)
            return ll_err_set(
                err, LL_EINVAL, "%s: layer '%s': unsupported padding '%s'",
                ld->cfgfile, l->name, ll_cfg_str(c, "padding", ""));
        if (s->nd != 2 || s->d[0] < l->k)
            return shape_err(
                ld, l, "input must be (steps >= pool_size, channels)", s, err);
        s->d[0] = (s->d[0] - l->k) / l->stride + 1;
        return LL_OK;
    }
    if (strcmp(cls, "GlobalMaxPooling1D") == 0 ||
        strcmp(cls, "GlobalAveragePooling1D") == 0) {
        l->kind = K_GPOOL;
        l->is_max = cls[6] == 'M';
        if (s->nd != 2)
            return shape_err(ld, l, "input must be (steps, channels)", s, err);
        s->nd = 1;
        s->d[0] = s->d[1];
        return LL_OK;
    }
    if (strcmp(cls, "TimeDistributed") == 0) {
        l->kind = K_TIMEDIST;
        if (s->nd < 2)
            return shape_err(ld, l, "input must be (time, ...)", s, err);
        kshape in = {s->nd - 1, {0}};
        memcpy(in.d, s->d + 1, (size_t)in.nd * sizeof in.d[0]);
        rc = build_wrapped(ld, c, cls, &l->inner, l->name, "", l->name, &in,
                           err);
        if (rc)
            return rc;
        if (in.nd + 1 > LL_MAXDIM - 1)
            return shape_err(ld, l, "too many dimensions", s, err);
        s->nd = in.nd + 1;
        memcpy(s->d + 1, in.d, (size_t)in.nd * sizeof in.d[0]);
        return LL_OK;
    }
    return ll_err_set(err, LL_EINVAL,
                      "%s: layer '%s': unsupported layer type '%s'",
                      ld->cfgfile, l->name, cls);
}

/* ---- forward
 * -------------------------------------------------------------------- */

static ll_tensor *activate(kact a, ll_tensor *x, ll_err *err)
{
    switch (a) {
    case A_LINEAR:
        return ll_tensor_ref(x);
    case A_SIGMOID:
        return ll_unary(LL_SIGMOID, x, 0.0f, err);
    case A_TANH:
        return ll_unary(LL_TANH, x, 0.0f, err);
    case A_RELU:
        return ll_unary(LL_RELU, x, 0.0f, err);
    case A_SOFTMAX:
        return ll_softmax(x, ll_tensor_ndim(x) - 1, 0, err);
    case A_ELU:
        return ll_unary(LL_ELU, x, 1.0f, err);
    case A_SOFTPLUS:
        return ll_unary(LL_SOFTPLUS, x, 0.0f, err);
    }
    return ll_tensor_ref(x);
}

/* t (B, T, ...) with the time axis reversed. */
static ll_tensor *flip_time(ll_tensor *t, ll_err *err)
{
    int64_t n = ll_tensor_shape(t)[1];
    ll_tensor *idx = ll_tensor_arange((double)(n - 1), -1.0, -1.0, err);
    if (!idx)
        return NULL;
    ll_tensor *r = ll_index_select(t, 1, idx, err);
    ll_tensor_free(idx);
    return r;
}

/* A contiguous transpose of dims 1 and 2 (or 0 and 1). */
static ll_tensor *swap(ll_tensor *x, int d0, int d1, ll_err *err)
{
    ll_tensor *t = ll_transpose(x, d0, d1, err);
    if (!t)
        return NULL;
    ll_tensor *c = ll_contiguous(t, err);
    ll_tensor_free(t);
    return c;
}

static ll_tensor *rnn_forward(klayer *l, ll_tensor *x, ll_err *err)
{
    ll_tensor *xt = swap(x, 0, 1, err);
    if (!xt)
        return NULL;
    ll_tensor *o[3] = {NULL, NULL, NULL};
    int rc = ll_rnn_layer(l->label, l->cell, xt, NULL, NULL, l->w_ih, l->w_hh,
                          l->b_ih, l->b_hh, l->go_backwards, NULL, o, err);
    ll_tensor_free(xt);
    if (rc)
        return NULL;
    ll_tensor *y;
    if (l->return_sequences) {
        y = swap(o[0], 0, 1, err);
        /* Keras' go_backwards outputs come in processing order. */
        if (y && l->go_backwards) {
            ll_tensor *f = flip_time(y, err);
            ll_tensor_free(y);
            y = f;
        }
    } else {
        y = ll_tensor_ref(o[1]);
    }
    for (int i = 0; i < 3; i++)
        ll_tensor_free(o[i]);
    return y;
}

static ll_tensor *layer_forward(klayer *l, ll_tensor *x, ll_err *err)
{
    switch (l->kind) {
    case K_DENSE: {
        ll_tensor *y = ll_linear(l->label, x, l->w, l->b, err);
        if (!y)
            return NULL;
        ll_tensor *a = activate(l->act, y, err);
        ll_tensor_free(y);
        return a;
    }
    case K_ACTIVATION:
        return activate(l->act, x, err);
    case K_DROPOUT:
        return ll_tensor_ref(x);
    case K_FLATTEN: {
        int64_t s[2] = {ll_tensor_shape(x)[0], -1};
        if (s[0] == 0) {
            s[1] = 1;
            for (int i = 1; i < ll_tensor_ndim(x); i++)
                s[1] *= ll_tensor_shape(x)[i];
        }
        return ll_reshape(x, 2, s, err);
    }
    case K_REPEAT: {
        ll_tensor *u = ll_unsqueeze(x, 1, err);
        if (!u)
            return NULL;
        int64_t s[3] = {ll_tensor_shape(x)[0], l->n, ll_tensor_shape(x)[1]};
        ll_tensor *e = ll_expand(u, 3, s, err);
        ll_tensor_free(u);
        if (!e)
            return NULL;
        ll_tensor *c = ll_contiguous(e, err);
        ll_tensor_free(e);
        return c;
    }
    case K_EMBEDDING:
        return ll_embedding(l->label, x, l->w, -1, err);
    case K_RNN:
        return rnn_forward(l, x, err);
    case K_BIDI: {
        ll_tensor *f = rnn_forward(l->fwd, x, err);
        if (!f)
            return NULL;
        ll_tensor *b = rnn_forward(l->bwd, x, err);
        if (b && l->fwd->return_sequences) {
            ll_tensor *fl = flip_time(b, err);
            ll_tensor_free(b);
            b = fl;
        }
        if (!b) {
            ll_tensor_free(f);
            return NULL;
        }
        ll_tensor *y = NULL;
        if (l->merge == M_CONCAT) {
            ll_tensor *p[2] = {f, b};
            y = ll_cat(p, 2, ll_tensor_ndim(f) - 1, err);
        } else if (l->merge == M_SUM) {
            y = ll_binary(LL_ADD, f, b, err);
        } else if (l->merge == M_MUL) {
            y = ll_binary(LL_MUL, f, b, err);
        } else {
            ll_tensor *s = ll_binary(LL_ADD, f, b, err);
            y = s ? ll_unary(LL_MULS, s, 0.5f, err) : NULL;
            ll_tensor_free(s);
        }
        ll_tensor_free(f);
        ll_tensor_free(b);
        return y;
    }
    case K_CONV1D: {
        ll_tensor *xc = swap(x, 1, 2, err);
        if (!xc)
            return NULL;
        ll_tensor *y = ll_conv1d(l->label, xc, l->w, l->b, l->stride, l->pad,
                                 l->dilation, err);
        ll_tensor_free(xc);
        if (!y)
            return NULL;
        ll_tensor *a = activate(l->act, y, err);
        ll_tensor_free(y);
        if (!a)
            return NULL;
        ll_tensor *r = swap(a, 1, 2, err);
        ll_tensor_free(a);
        return r;
    }
    case K_POOL: {
        ll_tensor *xc = swap(x, 1, 2, err);
        if (!xc)
            return NULL;
        ll_tensor *y =
            ll_pool1d(l->label, xc, l->is_max, l->k, l->stride, 0, err);
        ll_tensor_free(xc);
        if (!y)
            return NULL;
        ll_tensor *r = swap(y, 1, 2, err);
        ll_tensor_free(y);
        return r;
    }
    case K_GPOOL:
        return ll_reduce(l->is_max ? LL_RMAX : LL_RMEAN, x, 1, 0, err);
    case K_TIMEDIST: {
        int nd = ll_tensor_ndim(x);
        const int64_t *sh = ll_tensor_shape(x);
        int64_t s[LL_MAXDIM];
        int64_t b = sh[0], t = sh[1];
        s[0] = b * t;
        for (int i = 2; i < nd; i++)
            s[i - 1] = sh[i];
        ll_tensor *flat = ll_reshape(x, nd - 1, s, err);
        if (!flat)
            return NULL;
        ll_tensor *y = layer_forward(l->inner, flat, err);
        ll_tensor_free(flat);
        if (!y)
            return NULL;
        int ynd = ll_tensor_ndim(y);
        const int64_t *ys = ll_tensor_shape(y);
        int64_t o[LL_MAXDIM];
        o[0] = b;
        o[1] = t;
        for (int i = 1; i < ynd && i + 1 < LL_MAXDIM; i++)
            o[i + 1] = ys[i];
        ll_tensor *r = ll_reshape(y, ynd + 1, o, err);
        ll_tensor_free(y);
        return r;
    }
    }
    ll_err_set(err, LL_EINVAL, "%s: no forward", l->label);
    return NULL;
}

static int kmodel_forward(void *p, ll_tensor *x, ll_tensor **y, ll_err *err)
{
    kmodel *km = p;
    ll_tensor *cur = ll_tensor_ref(x);
    for (int i = 0; i < km->n; i++) {
        ll_tensor *nx = layer_forward(km->layers[i], cur, err);
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

/* ---- load
 * ------------------------------------------------------------------------- */

/* Line and column of byte offset off in text (1-based). */
int ll_keras_load(ll_model *m, ll_err *err)
{
    kload ld = {0};
    snprintf(ld.cfgfile, sizeof ld.cfgfile, "%s/config.json", m->dir);
    snprintf(ld.wfile, sizeof ld.wfile, "%s/weights.safetensors", m->dir);
    if (!ll_file_exists(ld.cfgfile))
        return ll_err_set(err, LL_ENOTFOUND,
                          "%s: flavor 'keras' needs config.json, which is "
                          "missing",
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
    kmodel *km = NULL;
    const char *cn = ll_cfg_str(cfg, "class_name", "");
    const cJSON *layers = ll_cfg_get(cfg, "layers");
    const cJSON *ishape = ll_cfg_get(cfg, "input_shape");
    if (strcmp(cn, "Sequential") != 0) {
        rc = ll_err_set(err, LL_EINVAL,
                        "%s: class_name is '%s', only Sequential models load",
                        ld.cfgfile, cn);
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
                        "%s: 'input_shape' must be an array of sizes (the "
                        "model was saved unbuilt)",
                        ld.cfgfile);
        goto out;
    }
    kshape s = {0, {0}};
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
    if (!ll_file_exists(ld.wfile)) {
        rc = ll_err_set(err, LL_ENOTFOUND,
                        "%s: flavor 'keras' needs weights.safetensors, which "
                        "is missing",
                        m->dir);
        goto out;
    }
    rc = ll_safetensors_load(ld.wfile, &ld.names, &ld.ts, &ld.nw, err);
    if (rc)
        goto out;
    km = calloc(1, sizeof *km);
    int nl = cJSON_GetArraySize(layers);
    if (!km ||
        !(km->layers = calloc((size_t)(nl ? nl : 1), sizeof *km->layers))) {
        rc = ll_model_oom(err);
        goto out;
    }
    int i = 0;
    cJSON_ArrayForEach(it, layers)
    {
        const char *cls = ll_cfg_str(it, "class_name", NULL);
        const char *name = ll_cfg_str(it, "name", NULL);
        const cJSON *c = ll_cfg_get(it, "config");
        if (!cls || !name) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: layers[%d] needs 'class_name' and 'name'",
                            ld.cfgfile, i + 1);
            goto out;
        }
        klayer *l = new_layer(cls, name);
        if (!l) {
            rc = ll_model_oom(err);
            goto out;
        }
        km->layers[km->n++] = l;
        cJSON *empty = NULL;
        if (!cJSON_IsObject(c))
            c = empty = cJSON_CreateObject();
        rc = build_layer(&ld, l, c, name, NULL, &s, err);
        cJSON_Delete(empty);
        if (!rc && ll_shape_numel(s.nd, s.d) < 0) {
            char b[LL_MAXDIM * 24 + 4];
            rc = ll_err_set(err, LL_EINVAL,
                            "%s: layer '%s' (%s): output shape %s has too "
                            "many elements",
                            ld.cfgfile, l->name, l->cls,
                            shape_text(s.nd, s.d, b, sizeof b));
        }
        if (rc)
            goto out;
        i++;
    }
    if (km->n == 0) {
        rc = ll_err_set(err, LL_EPARSE, "%s: the model has no layers",
                        ld.cfgfile);
        goto out;
    }
    m->out_ndim = s.nd;
    memcpy(m->out_shape, s.d, sizeof s.d[0] * (size_t)s.nd);
    m->impl = km;
    m->forward = kmodel_forward;
    m->free_impl = kmodel_free;
    m->nlayers = km->n;
    m->layer_type = kmodel_layer_type;
    km = NULL;
out:
    kmodel_free(km);
    if (ld.names)
        ll_safetensors_list_free(ld.names, ld.ts, ld.nw);
    cJSON_Delete(cfg);
    return rc;
}
