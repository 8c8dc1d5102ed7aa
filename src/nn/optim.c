/*
 * optim.c: optimizers over one flat parameter buffer and one flat gradient
 * buffer, so a step, zero_grad or clipping is a single loop.  Update rules
 * follow PyTorch 1.13 (float32 arithmetic in the same order).
 */
#include "nn/layers.h"
#include "nn/nn_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct ll_optim {
    ll_opt_conf conf;
    int n;
    ll_tensor **params;
    int64_t *off;
    ll_storage *flat, *gflat;
    float *s1, *s2; /* per-rule state (momentum / exp_avg, exp_avg_sq) */
    int64_t total;
    int64_t step;
    int started;
};

void ll_optim_free(ll_optim *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->n; i++)
        ll_tensor_free(o->params[i]);
    free(o->params);
    free(o->off);
    ll_storage_unref(o->flat);
    ll_storage_unref(o->gflat);
    free(o->s1);
    free(o->s2);
    free(o);
}

ll_optim *ll_optim_new(const ll_opt_conf *conf, ll_tensor **params, int n,
                       ll_err *err)
{
    ll_optim *o = calloc(1, sizeof *o);
    if (!o) {
        ll_oom(err, "optimizer");
        return NULL;
    }
    o->conf = *conf;
    o->params = calloc((size_t)n + 1, sizeof *o->params);
    o->off = calloc((size_t)n + 1, sizeof *o->off);
    if (!o->params || !o->off)
        goto oom;
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < o->n; j++)
            if (o->params[j] == params[i])
                dup = 1;
        /* frozen parameters get no gradient: leave them out */
        if (dup || !params[i]->requires_grad)
            continue;
        if (params[i]->node) {
            ll_err_set(err, LL_EINVAL,
                       "optimizer: parameter %d is not a leaf tensor (it "
                       "comes from %s)",
                       i + 1, params[i]->node->name);
            ll_optim_free(o);
            return NULL;
        }
        o->off[o->n] = o->total;
        o->total += params[i]->numel;
        o->params[o->n++] = ll_tensor_ref(params[i]);
    }
    o->flat = ll_storage_new(o->total, 1);
    o->gflat = ll_storage_new(o->total, 1);
    o->s1 = calloc((size_t)o->total + 1, sizeof(float));
    o->s2 = calloc((size_t)o->total + 1, sizeof(float));
    if (!o->flat || !o->gflat || !o->s1 || !o->s2)
        goto oom;
    if (conf->kind == LL_OPT_ADAGRAD)
        for (int64_t i = 0; i < o->total; i++)
            o->s1[i] = (float)conf->initial_accumulator;
    for (int i = 0; i < o->n; i++) {
        ll_tensor *p = o->params[i];
        ll_gather_to(p, o->flat->data + o->off[i]);
        if (p->grad)
            ll_gather_to(p->grad, o->gflat->data + o->off[i]);
        ll_storage_unref(p->st);
        p->st = o->flat;
        o->flat->refs++;
        p->offset = o->off[i];
        ll_contig_strides(p->ndim, p->shape, p->stride);
        ll_tensor *g =
            ll_tensor_view_of(p, p->ndim, p->shape, p->stride, p->offset);
        if (!g)
            goto oom;
        ll_storage_unref(g->st);
        g->st = o->gflat;
        o->gflat->refs++;
        ll_tensor_free(p->grad);
        p->grad = g;
    }
    return o;
oom:
    ll_oom(err, "optimizer");
    ll_optim_free(o);
    return NULL;
}

/* Pull a gradient the user replaced back into the flat buffer. */
static void sync_grad(ll_optim *o, int i)
{
    ll_tensor *p = o->params[i];
    float *dst = o->gflat->data + o->off[i];
    if (p->grad && p->grad->st == o->gflat && p->grad->offset == o->off[i])
        return;
    if (p->grad && p->grad->numel == p->numel)
        ll_gather_to(p->grad, dst);
    else
        memset(dst, 0, (size_t)p->numel * sizeof(float));
    ll_tensor *g =
        ll_tensor_view_of(p, p->ndim, p->shape, p->stride, p->offset);
    if (g) {
        ll_storage_unref(g->st);
        g->st = o->gflat;
        o->gflat->refs++;
        ll_tensor_free(p->grad);
        p->grad = g;
    }
}

void ll_optim_zero_grad(ll_optim *o)
{
    for (int i = 0; i < o->n; i++)
        sync_grad(o, i);
    memset(o->gflat->data, 0, (size_t)o->total * sizeof(float));
}

double ll_optim_get_lr(const ll_optim *o)
{
    return o->conf.lr;
}

void ll_optim_set_lr(ll_optim *o, double lr)
{
    o->conf.lr = lr;
}

#if defined(__GNUC__) && !defined(__clang__)
#define LL_VEC __attribute__((optimize("O3")))
#else
#define LL_VEC
#endif

LL_VEC static void sgd_rule(float *restrict p, const float *restrict gr,
                            float *restrict buf, int64_t n, float lr, float wd,
                            float mom, float damp, int nesterov, int started)
{
    for (int64_t k = 0; k < n; k++) {
        float g = gr[k] + wd * p[k];
        if (mom != 0) {
            buf[k] = started ? mom * buf[k] + (1 - damp) * g : g;
            g = nesterov ? g + mom * buf[k] : buf[k];
        }
        p[k] -= lr * g;
    }
}

/* Adam (wd added to the gradient) and AdamW (decoupled decay dwd).  The
 * SSE2 lanes do the same IEEE operations as the scalar tail. */
static void adam_rule(float *restrict p, const float *restrict gr,
                      float *restrict m, float *restrict v, int64_t n, float lr,
                      float wd, float dwd, float b1, float b2, float eps,
                      float step_size, float bc2s)
{
    float decay = 1 - lr * dwd, ob1 = 1 - b1, ob2 = 1 - b2;
    int64_t k = 0;
#if defined(__SSE2__)
    __m128 vdecay = _mm_set1_ps(decay), vwd = _mm_set1_ps(wd);
    __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2);
    __m128 vob1 = _mm_set1_ps(ob1), vob2 = _mm_set1_ps(ob2);
    __m128 veps = _mm_set1_ps(eps), vss = _mm_set1_ps(step_size);
    __m128 vbc = _mm_set1_ps(bc2s);
    for (; k + 4 <= n; k += 4) {
        __m128 pk = _mm_mul_ps(_mm_loadu_ps(p + k), vdecay);
        __m128 g = _mm_add_ps(_mm_loadu_ps(gr + k), _mm_mul_ps(vwd, pk));
        __m128 mk = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + k), vb1),
                               _mm_mul_ps(vob1, g));
        __m128 vk = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + k), vb2),
                               _mm_mul_ps(_mm_mul_ps(vob2, g), g));
        __m128 den = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vk), vbc), veps);
        pk = _mm_sub_ps(pk, _mm_mul_ps(vss, _mm_div_ps(mk, den)));
        _mm_storeu_ps(m + k, mk);
        _mm_storeu_ps(v + k, vk);
        _mm_storeu_ps(p + k, pk);
    }
#endif
    for (; k < n; k++) {
        float pk = p[k] * decay;
        float g = gr[k] + wd * pk;
        m[k] = m[k] * b1 + ob1 * g;
        v[k] = v[k] * b2 + ob2 * g * g;
        p[k] = pk - step_size * (m[k] / (sqrtf(v[k]) / bc2s + eps));
    }
}

int ll_optim_step(ll_optim *o, ll_err *err)
{
    (void)err;
    const ll_opt_conf *c = &o->conf;
    o->step++;
    float lr = (float)c->lr, wd = (float)c->weight_decay;
    double bc1 = 1 - pow(c->beta1, (double)o->step);
    double bc2 = 1 - pow(c->beta2, (double)o->step);
    float step_size = (float)(c->lr / bc1), bc2s = (float)sqrt(bc2);
    float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    float mom = (float)c->momentum, damp = (float)c->dampening;
    float alpha = (float)c->alpha;
    float clr = (float)(c->lr / (1 + (double)(o->step - 1) * c->lr_decay));
    for (int i = 0; i < o->n; i++) {
        ll_tensor *pt = o->params[i];
        if (!pt->requires_grad)
            continue;
        sync_grad(o, i);
        int64_t lo = o->off[i], n = pt->numel;
        float *p = o->flat->data + lo, *gr = o->gflat->data + lo;
        float *s1 = o->s1 + lo, *s2 = o->s2 + lo;
        switch (c->kind) {
        case LL_OPT_SGD:
            sgd_rule(p, gr, s1, n, lr, wd, mom, damp, c->nesterov, o->started);
            break;
        case LL_OPT_ADAM:
        case LL_OPT_ADAMW:
            adam_rule(p, gr, s1, s2, n, lr, c->kind == LL_OPT_ADAMW ? 0 : wd,
                      c->kind == LL_OPT_ADAMW ? wd : 0, b1, b2, eps, step_size,
                      bc2s);
            break;
        case LL_OPT_RMSPROP:
            for (int64_t k = 0; k < n; k++) {
                float g = gr[k];
                if (wd != 0)
                    g += wd * p[k];
                s2[k] = alpha * s2[k] + (1 - alpha) * g * g;
                float avg = sqrtf(s2[k]) + eps;
                if (mom > 0) {
                    s1[k] = mom * s1[k] + g / avg;
                    p[k] -= lr * s1[k];
                } else
                    p[k] -= lr * (g / avg);
            }
            break;
        default: /* Adagrad */
            for (int64_t k = 0; k < n; k++) {
                float g = gr[k];
                if (wd != 0)
                    g += wd * p[k];
                s1[k] += g * g;
                p[k] -= clr * (g / (sqrtf(s1[k]) + eps));
            }
        }
    }
    o->started = 1;
    return 0;
}

double ll_clip_grad_norm(ll_tensor **params, int n, double max_norm)
{
    double total = 0;
    for (int i = 0; i < n; i++) {
        ll_tensor *g = params[i]->grad;
        if (!g)
            continue;
        double s = 0;
        for (int64_t k = 0; k < g->numel; k++) {
            double v = (double)ll_tensor_get(g, k);
            s += v * v;
        }
        total += s;
    }
    total = sqrt(total);
    double coef = max_norm / (total + 1e-6);
    if (coef < 1)
        for (int i = 0; i < n; i++) {
            ll_tensor *g = params[i]->grad;
            if (g) {
                ll_tensor *t = ll_unary(LL_MULS, g, (float)coef, NULL);
                if (t) {
                    ll_tensor_copy_(g, t, NULL);
                    ll_tensor_free(t);
                }
            }
        }
    return total;
}

void ll_clip_grad_value(ll_tensor **params, int n, double clip)
{
    float cv = (float)clip;
    for (int i = 0; i < n; i++) {
        ll_tensor *g = params[i]->grad;
        if (!g)
            continue;
        ll_tensor *lo = ll_unary(LL_CLAMP_MIN, g, -cv, NULL);
        ll_tensor *hi = lo ? ll_unary(LL_CLAMP_MAX, lo, cv, NULL) : NULL;
        if (hi)
            ll_tensor_copy_(g, hi, NULL);
        ll_tensor_free(lo);
        ll_tensor_free(hi);
    }
}
