/*
 * seq: the one sequential-model loader behind the keras and nn flavors
 * (see model_int.h).  Walks config.json, builds each layer through the
 * flavor's table, looks weights up by name and checks their shapes and
 * every layer's output shape; runs the forward pass on nn's C layer
 * functions in inference mode.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "nn/layers.h"
#include "nn/safetensors.h"
#include "util/fsutil.h"

#define SHAPE_BUF (LL_MAXDIM * 24 + 4)

/* ---- layers --------------------------------------------------------------
 */

static void layer_free(ll_seqlayer *l)
{
    if (!l)
        return;
    free(l->type);
    free(l->name);
    free(l->label);
    free(l->wname);
    ll_tensor_free(l->w);
    ll_tensor_free(l->b);
    ll_tensor **rnn[4] = {NULL, NULL, NULL, NULL};
    rnn[0] = l->w_ih;
    rnn[1] = l->w_hh;
    rnn[2] = l->b_ih;
    rnn[3] = l->b_hh;
    for (int a = 0; a < 4; a++) {
        for (int i = 0; rnn[a] && i < l->nlayers * l->dirs; i++)
            ll_tensor_free(rnn[a][i]);
        free(rnn[a]);
    }
    layer_free(l->fwd);
    layer_free(l->bwd);
    layer_free(l->inner);
    free(l);
}

typedef struct seqmodel {
    int n;
    ll_seqlayer **layers;
} seqmodel;

static void model_free(void *p)
{
    seqmodel *sm = p;
    if (!sm)
        return;
    for (int i = 0; i < sm->n; i++)
        layer_free(sm->layers[i]);
    free(sm->layers);
    free(sm);
}

static const char *model_layer_type(void *p, int i)
{
    seqmodel *sm = p;
    return sm->layers[i]->type;
}

ll_seqlayer *ll_seq_new_layer(const ll_seqload *ld, const char *type,
                              const char *name)
{
    ll_seqlayer *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->type = strdup(type);
    l->name = strdup(name);
    l->wname = strdup(name);
    size_t n = strlen(type) + strlen(name) + 4;
    l->label = malloc(n);
    if (!l->type || !l->name || !l->wname || !l->label) {
        layer_free(l);
        return NULL;
    }
    snprintf(l->label, n, ld->fl->quote_name ? "%s '%s'" : "%s %s", type, name);
    l->return_sequences = 1;
    return l;
}

/* ---- config, shapes, weights -----------------------------------------------
 */

static const char *shape_text(int nd, const int64_t *s, char *buf, size_t n)
{
    return ll_shape_str(nd, s, buf, n);
}

int ll_seq_int(const ll_seqload *ld, const ll_seqlayer *l, const cJSON *c,
               const char *key, int def, int min, int *out, ll_err *err)
{
    return ll_cfg_int(ld->cfgfile, l->name, c, key, def, min, out, err);
}

int ll_seq_shape_err(const ll_seqload *ld, const ll_seqlayer *l,
                     const char *want, const ll_seqshape *s, ll_err *err)
{
    char b[SHAPE_BUF];
    return ll_err_set(err, LL_EINVAL, "%s: layer '%s' (%s): %s, got %s",
                      ld->cfgfile, l->name, l->type, want,
                      shape_text(s->nd, s->d, b, sizeof b));
}

int ll_seq_unsupported(const ll_seqload *ld, const ll_seqlayer *l,
                       const char *what, const char *value, ll_err *err)
{
    return ll_err_set(err, LL_EINVAL, "%s: layer '%s': unsupported %s '%s'",
                      ld->cfgfile, l->name, what, value);
}

/* name against pattern: '*' matches a run of characters other than '/'. */
static int glob(const char *pat, const char *name)
{
    for (; *pat; pat++, name++) {
        if (*pat == '*') {
            for (const char *n = name;; n++) {
                if (glob(pat + 1, n))
                    return 1;
                if (!*n || *n == '/')
                    return 0;
            }
        }
        if (*pat != *name)
            return 0;
    }
    return *name == '\0';
}

int ll_seq_weight(const ll_seqload *ld, const ll_seqlayer *l, const char *w,
                  int nd, const int64_t *shape, const int *perm,
                  ll_tensor **out, ll_err *err)
{
    size_t pl = strlen(l->wname) + strlen(w) + 2;
    char *pat = malloc(pl);
    if (!pat)
        return ll_err_oom(err);
    snprintf(pat, pl, "%s%c%s", l->wname, ld->fl->wsep, w);
    int found = -1;
    for (int i = 0; i < ld->nw && found < 0; i++)
        if (glob(pat, ld->names[i]))
            found = i;
    if (found < 0) {
        int rc = ll_err_set(err, LL_ENOTFOUND, "%s lacks the weight '%s'",
                            ld->wfile, pat);
        free(pat);
        return rc;
    }
    free(pat);
    ll_tensor *t = ld->ts[found];
    int ok = ll_tensor_ndim(t) == nd;
    for (int i = 0; ok && i < nd; i++)
        ok = ll_tensor_shape(t)[i] == shape[i];
    if (!ok) {
        char a[SHAPE_BUF], b[SHAPE_BUF];
        return ll_err_set(
            err, LL_EINVAL, "%s: weight '%s' has shape %s, expected %s",
            ld->wfile, ld->names[found],
            shape_text(ll_tensor_ndim(t), ll_tensor_shape(t), a, sizeof a),
            shape_text(nd, shape, b, sizeof b));
    }
    ll_tensor *p = perm ? ll_permute(t, perm, err) : ll_tensor_ref(t);
    *out = p ? ll_contiguous(p, err) : NULL;
    ll_tensor_free(p);
    return *out ? LL_OK : ll_model_tensor_err(err);
}

int ll_seq_rnn_alloc(ll_seqlayer *l, int nlayers, int dirs, ll_err *err)
{
    size_t n = (size_t)nlayers * (size_t)dirs;
    l->w_ih = calloc(n, sizeof *l->w_ih);
    l->w_hh = calloc(n, sizeof *l->w_hh);
    l->b_ih = calloc(n, sizeof *l->b_ih);
    l->b_hh = calloc(n, sizeof *l->b_hh);
    l->nlayers = nlayers;
    l->dirs = dirs;
    if (!l->w_ih || !l->w_hh || !l->b_ih || !l->b_hh)
        return ll_err_oom(err);
    return LL_OK;
}

int64_t ll_seq_conv_len(int64_t len, int k, int stride, int64_t pad,
                        int dilation)
{
    int64_t eff = (int64_t)(k - 1) * dilation + 1;
    return (len + 2 * pad - eff) / stride + 1;
}

int ll_seq_build(ll_seqload *ld, ll_seqlayer *l, const cJSON *c, ll_seqshape *s,
                 ll_err *err)
{
    const ll_seqflavor *fl = ld->fl;
    for (int i = 0; i < fl->ntypes; i++)
        if (strcmp(l->type, fl->types[i].type) == 0)
            return fl->types[i].build(ld, l, c, s, err);
    return ll_seq_unsupported(ld, l, "layer type", l->type, err);
}

/* ---- forward ---------------------------------------------------------------
 */

static ll_tensor *activate(const ll_seqact *a, ll_tensor *x, ll_err *err)
{
    switch (a->kind) {
    case LL_ACT_UNARY:
        return ll_unary(a->op, x, a->arg, err);
    case LL_ACT_SOFTMAX:
        return ll_softmax(x, a->dim < 0 ? ll_tensor_ndim(x) + a->dim : a->dim,
                          a->is_log, err);
    case LL_ACT_NONE:
        break;
    }
    return ll_tensor_ref(x);
}

/* Apply l's activation to y (consumed). */
static ll_tensor *then_activate(const ll_seqlayer *l, ll_tensor *y, ll_err *err)
{
    if (!y || l->act.kind == LL_ACT_NONE)
        return y;
    ll_tensor *a = activate(&l->act, y, err);
    ll_tensor_free(y);
    return a;
}

/* A contiguous transpose of dims d0 and d1 of x (x consumed when own). */
static ll_tensor *swap(ll_tensor *x, int d0, int d1, int own, ll_err *err)
{
    ll_tensor *t = x ? ll_transpose(x, d0, d1, err) : NULL;
    ll_tensor *c = t ? ll_contiguous(t, err) : NULL;
    ll_tensor_free(t);
    if (own)
        ll_tensor_free(x);
    return c;
}

/* t (B, T, ...) with the time axis reversed (t consumed). */
static ll_tensor *flip_time(ll_tensor *t, ll_err *err)
{
    if (!t)
        return NULL;
    int64_t n = ll_tensor_shape(t)[1];
    ll_tensor *idx = ll_tensor_arange((double)(n - 1), -1.0, -1.0, err);
    ll_tensor *r = idx ? ll_index_select(t, 1, idx, err) : NULL;
    ll_tensor_free(idx);
    ll_tensor_free(t);
    return r;
}

/* x (B, T, D) -> (B, T, H * dirs), or (B, H) for the last hidden state. */
static ll_tensor *rnn_forward(const ll_seqlayer *l, ll_tensor *x, ll_err *err)
{
    ll_tensor *in = swap(x, 0, 1, 0, err);
    ll_tensor *last = NULL;
    for (int k = 0; in && k < l->nlayers; k++) {
        ll_tensor *outs[2] = {NULL, NULL};
        int rc = LL_OK;
        for (int d = 0; d < l->dirs && !rc; d++) {
            int i = k * l->dirs + d;
            ll_tensor *o[3] = {NULL, NULL, NULL};
            rc = ll_rnn_layer(l->label, l->cell, in, NULL, NULL, l->w_ih[i],
                              l->w_hh[i], l->b_ih[i], l->b_hh[i],
                              d == 1 || l->go_backwards, NULL, o, err);
            outs[d] = o[0];
            ll_tensor_free(last);
            last = o[1];
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
    if (!in || !l->return_sequences) {
        if (!in) {
            ll_tensor_free(last);
            return NULL;
        }
        ll_tensor_free(in);
        return last;
    }
    ll_tensor_free(last);
    ll_tensor *y = swap(in, 0, 1, 1, err);
    /* Keras' go_backwards outputs come in processing order. */
    return l->go_backwards ? flip_time(y, err) : y;
}

static ll_tensor *bidi_forward(const ll_seqlayer *l, ll_tensor *x, ll_err *err)
{
    ll_tensor *f = rnn_forward(l->fwd, x, err);
    ll_tensor *b = f ? rnn_forward(l->bwd, x, err) : NULL;
    if (b && l->fwd->return_sequences)
        b = flip_time(b, err);
    ll_tensor *y = NULL;
    if (b && l->merge == LL_MERGE_CONCAT) {
        ll_tensor *p[2] = {f, b};
        y = ll_cat(p, 2, ll_tensor_ndim(f) - 1, err);
    } else if (b) {
        y = ll_binary(l->merge == LL_MERGE_MUL ? LL_MUL : LL_ADD, f, b, err);
        if (y && l->merge == LL_MERGE_AVE) {
            ll_tensor *h = ll_unary(LL_MULS, y, 0.5f, err);
            ll_tensor_free(y);
            y = h;
        }
    }
    ll_tensor_free(f);
    ll_tensor_free(b);
    return y;
}

/* x with dims from l->dim on flattened into one. */
static ll_tensor *flatten(const ll_seqlayer *l, ll_tensor *x, ll_err *err)
{
    int nd = ll_tensor_ndim(x);
    const int64_t *sh = ll_tensor_shape(x);
    int64_t s[LL_MAXDIM];
    for (int i = 0; i < l->dim; i++)
        s[i] = sh[i];
    s[l->dim] = ll_shape_numel(nd - l->dim, sh + l->dim);
    return ll_reshape(x, l->dim + 1, s, err);
}

static ll_tensor *layer_forward(const ll_seqlayer *l, ll_tensor *x,
                                ll_err *err);

/* (B, T, ...) -> the inner layer on (B*T, ...) -> (B, T, ...). */
static ll_tensor *timedist_forward(const ll_seqlayer *l, ll_tensor *x,
                                   ll_err *err)
{
    int nd = ll_tensor_ndim(x);
    const int64_t *sh = ll_tensor_shape(x);
    int64_t s[LL_MAXDIM];
    int64_t b = sh[0], t = sh[1];
    s[0] = b * t;
    for (int i = 2; i < nd; i++)
        s[i - 1] = sh[i];
    ll_tensor *flat = ll_reshape(x, nd - 1, s, err);
    ll_tensor *y = flat ? layer_forward(l->inner, flat, err) : NULL;
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

static ll_tensor *repeat_forward(const ll_seqlayer *l, ll_tensor *x,
                                 ll_err *err)
{
    ll_tensor *u = ll_unsqueeze(x, 1, err);
    int64_t s[3] = {ll_tensor_shape(x)[0], l->n, ll_tensor_shape(x)[1]};
    ll_tensor *e = u ? ll_expand(u, 3, s, err) : NULL;
    ll_tensor_free(u);
    ll_tensor *c = e ? ll_contiguous(e, err) : NULL;
    ll_tensor_free(e);
    return c;
}

/* Conv and pools run on (B, C, L); channels-last layers swap around them. */
static ll_tensor *conv_forward(const ll_seqlayer *l, ll_tensor *x, ll_err *err)
{
    ll_tensor *xc = l->channels_last ? swap(x, 1, 2, 0, err) : ll_tensor_ref(x);
    if (!xc)
        return NULL;
    ll_tensor *y =
        l->kind == LL_SL_CONV1D
            ? ll_conv1d(l->label, xc, l->w, l->b, l->stride, l->pad,
                        l->dilation, err)
            : ll_pool1d(l->label, xc, l->is_max, l->k, l->stride, l->pad, err);
    ll_tensor_free(xc);
    y = then_activate(l, y, err);
    return l->channels_last ? swap(y, 1, 2, 1, err) : y;
}

static ll_tensor *layer_forward(const ll_seqlayer *l, ll_tensor *x, ll_err *err)
{
    switch (l->kind) {
    case LL_SL_LINEAR:
        return then_activate(l, ll_linear(l->label, x, l->w, l->b, err), err);
    case LL_SL_EMBEDDING:
        return ll_embedding(l->label, x, l->w, l->padding_idx, err);
    case LL_SL_RNN:
        return rnn_forward(l, x, err);
    case LL_SL_BIDI:
        return bidi_forward(l, x, err);
    case LL_SL_LASTSTEP: {
        ll_tensor *v = ll_select(x, 1, ll_tensor_shape(x)[1] - 1, err);
        ll_tensor *c = v ? ll_contiguous(v, err) : NULL;
        ll_tensor_free(v);
        return c;
    }
    case LL_SL_IDENTITY:
        return ll_tensor_ref(x);
    case LL_SL_ACT:
        return activate(&l->act, x, err);
    case LL_SL_FLATTEN:
        return flatten(l, x, err);
    case LL_SL_REPEAT:
        return repeat_forward(l, x, err);
    case LL_SL_LAYERNORM:
        return ll_layer_norm(l->label, x, l->w, l->b, l->eps, err);
    case LL_SL_CONV1D:
    case LL_SL_POOL:
        return conv_forward(l, x, err);
    case LL_SL_GPOOL:
        return ll_reduce(l->is_max ? LL_RMAX : LL_RMEAN, x, l->dim, 0, err);
    case LL_SL_TIMEDIST:
        return timedist_forward(l, x, err);
    }
    ll_err_set(err, LL_EINVAL, "%s: no forward", l->label);
    return NULL;
}

static int model_forward(void *p, ll_tensor *x, ll_tensor **y, ll_err *err)
{
    seqmodel *sm = p;
    ll_tensor *cur = ll_tensor_ref(x);
    for (int i = 0; i < sm->n; i++) {
        ll_tensor *nx = layer_forward(sm->layers[i], cur, err);
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

static cJSON *read_config(const ll_seqload *ld, ll_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (ll_read_file(ld->cfgfile, &text, &len, err))
        return NULL;
    errno = 0;
    cJSON *cfg = cJSON_ParseWithLength(text, len);
    if (!cfg && errno == ENOMEM) { /* a failed malloc, not the text */
        ll_err_oom(err);
    } else if (!cfg) {
        const char *at = cJSON_GetErrorPtr();
        int line = 0, col = 0;
        if (at && at >= text && at <= text + len)
            ll_cfg_line_col(text, (size_t)(at - text), &line, &col);
        ll_err_set(err, LL_EPARSE, "%s:%d:%d: invalid JSON", ld->cfgfile, line,
                   col);
    }
    free(text);
    return cfg;
}

/* input_shape (no batch) into s. */
static int input_shape(const ll_seqload *ld, const cJSON *ishape,
                       ll_seqshape *s, ll_err *err)
{
    if (!cJSON_IsArray(ishape) || cJSON_GetArraySize(ishape) < 1 ||
        cJSON_GetArraySize(ishape) >= LL_MAXDIM - 1)
        return ll_err_set(err, LL_EPARSE,
                          "%s: 'input_shape' must be an array of sizes %s",
                          ld->cfgfile, ld->fl->unbuilt);
    const cJSON *it;
    cJSON_ArrayForEach(it, ishape)
    {
        double d = cJSON_IsNumber(it) ? it->valuedouble : 0;
        if (!(d >= 1 && d <= (double)LL_NUMEL_MAX) || d != floor(d))
            return ll_err_set(err, LL_EPARSE,
                              "%s: 'input_shape' must hold positive integer "
                              "sizes",
                              ld->cfgfile);
        s->d[s->nd++] = (int64_t)d;
    }
    if (ll_shape_numel(s->nd, s->d) < 0) {
        char b[SHAPE_BUF];
        return ll_err_set(err, LL_EPARSE,
                          "%s: 'input_shape' %s has too many elements",
                          ld->cfgfile, shape_text(s->nd, s->d, b, sizeof b));
    }
    return LL_OK;
}

/* Every layer of the config into sm, s from the input to the output. */
static int build_layers(ll_seqload *ld, const cJSON *layers, seqmodel *sm,
                        ll_seqshape *s, ll_err *err)
{
    const char *tkey = ld->fl->type_key;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, layers)
    {
        const char *type = ll_cfg_str(it, tkey, NULL);
        const char *name = ll_cfg_str(it, "name", NULL);
        if (!type || !name)
            return ll_err_set(err, LL_EPARSE,
                              "%s: layers[%d] needs '%s' and 'name'",
                              ld->cfgfile, i + 1, tkey);
        ll_seqlayer *l = ll_seq_new_layer(ld, type, name);
        if (!l)
            return ll_err_oom(err);
        sm->layers[sm->n++] = l;
        const cJSON *c = ll_cfg_get(it, "config");
        cJSON *empty = NULL;
        if (!cJSON_IsObject(c) && !(c = empty = cJSON_CreateObject()))
            return ll_err_oom(err);
        int rc = ll_seq_build(ld, l, c, s, err);
        cJSON_Delete(empty);
        if (rc)
            return rc;
        if (ll_shape_numel(s->nd, s->d) < 0) {
            char b[SHAPE_BUF];
            return ll_err_set(err, LL_EINVAL,
                              "%s: layer '%s' (%s): output shape %s has too "
                              "many elements",
                              ld->cfgfile, l->name, l->type,
                              shape_text(s->nd, s->d, b, sizeof b));
        }
        i++;
    }
    if (sm->n == 0)
        return ll_err_set(err, LL_EPARSE, "%s: the model has no layers",
                          ld->cfgfile);
    return LL_OK;
}

static int needs_file(const ll_model *m, const ll_seqflavor *fl,
                      const char *path, const char *file, const char *tail,
                      ll_err *err)
{
    if (ll_file_exists(path))
        return LL_OK;
    return ll_err_set(err, LL_ENOTFOUND, "%s: flavor '%s' needs %s%s", m->dir,
                      fl->name, file, tail);
}

int ll_seq_load(ll_model *m, const ll_seqflavor *fl, ll_err *err)
{
    ll_seqload ld = {0};
    ld.fl = fl;
    snprintf(ld.cfgfile, sizeof ld.cfgfile, "%s/config.json", m->dir);
    snprintf(ld.wfile, sizeof ld.wfile, "%s/weights.safetensors", m->dir);
    int rc = needs_file(m, fl, ld.cfgfile, "config.json", fl->cfg_missing, err);
    if (rc)
        return rc;
    cJSON *cfg = read_config(&ld, err);
    if (!cfg)
        return err && err->code ? err->code : LL_EPARSE;
    seqmodel *sm = NULL;
    const char *cn = ll_cfg_str(cfg, "class_name", "");
    const cJSON *layers = ll_cfg_get(cfg, "layers");
    ll_seqshape s = {0, {0}};
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
    rc = input_shape(&ld, ll_cfg_get(cfg, "input_shape"), &s, err);
    if (rc)
        goto out;
    m->in_ndim = s.nd;
    memcpy(m->in_shape, s.d, sizeof s.d[0] * (size_t)s.nd);
    if (fl->prepare)
        fl->prepare(&ld, layers);
    rc = needs_file(m, fl, ld.wfile, "weights.safetensors",
                    ", which is missing", err);
    if (!rc)
        rc = ll_safetensors_load(ld.wfile, &ld.names, &ld.ts, &ld.nw, err);
    if (rc)
        goto out;
    sm = calloc(1, sizeof *sm);
    int nl = cJSON_GetArraySize(layers);
    if (!sm ||
        !(sm->layers = calloc((size_t)(nl ? nl : 1), sizeof *sm->layers))) {
        rc = ll_err_oom(err);
        goto out;
    }
    rc = build_layers(&ld, layers, sm, &s, err);
    if (rc)
        goto out;
    m->out_ndim = s.nd;
    memcpy(m->out_shape, s.d, sizeof s.d[0] * (size_t)s.nd);
    m->impl = sm;
    m->forward = model_forward;
    m->free_impl = model_free;
    m->nlayers = sm->n;
    m->layer_type = model_layer_type;
    sm = NULL;
out:
    model_free(sm);
    if (ld.names)
        ll_safetensors_list_free(ld.names, ld.ts, ld.nw);
    cJSON_Delete(cfg);
    return rc;
}
