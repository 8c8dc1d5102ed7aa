/*
 * lstm: the deep learning forecaster of automated ML (enable_dnn), a
 * regression model on the engineered features like Ridge or XGBoost.
 *
 * A row's target lags, oldest first, are a sequence; every step reads its
 * lag and the row's other features (calendar parts, trend, series code,
 * rolling windows, the known regressors), all standardized.  One LSTM layer
 * of `hidden` units runs over the sequence; the forecast is a linear head on
 * its last hidden state plus a linear skip on the standardized row, in the
 * standardized target's units.  Without lags the sequence is one step.
 *
 * The skip is solved first by least squares on the training rows and kept
 * fixed; the LSTM and its head (starting at zero) learn what the linear part
 * leaves.  Training runs on the nn engine (float32 tensors, the fused LSTM
 * layer, autograd, Adam, gradients clipped to norm 1): minibatches of 32
 * shuffled by a generator seeded from the trial's seed, early stopping on the
 * latest rows in time (the top 15% of the trend feature, else the last 15%
 * of rows) judged by the scoring forward, the learning rate halved after 4
 * epochs without improvement, the best epoch kept (the untrained
 * start counts, so the LSTM never scores worse there than its linear part).
 * Scoring runs the same equations in double precision over the saved
 * weights, so a loaded model predicts without the tensor engine and two
 * predictions of the same rows agree exactly.
 *
 * Arrays: mean, sd (p), ystat (mean, sd of the target), seq (hidden, T, ns,
 * then T lag columns oldest first, then ns other columns), w_ih (4H x D,
 * D = 1 + ns, gates i f g o as PyTorch), w_hh (4H x H), bias (4H: b_ih +
 * b_hh), head (H weights on h_T, p skip weights, the intercept).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "nn/layers.h"
#include "nn/tensor.h"

enum { A_MEAN, A_SD, A_YSTAT, A_SEQ, A_WIH, A_WHH, A_BIAS, A_HEAD, A_N };
static const char *const arr_names[A_N] = {"mean", "sd",   "ystat", "seq",
                                           "w_ih", "w_hh", "bias",  "head"};

enum { DEF_HIDDEN = 16, DEF_EPOCHS = 60, BATCH = 32, PATIENCE = 8 };
#define LR 1e-2

/* splitmix64: the model's own generator (trials run on threads). */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s)
{
    return (double)(mix(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The layout of a row: T lag columns oldest first, ns other columns. */
typedef struct layout {
    size_t T, ns;
    int *lag, *stat;
} layout;

static int make_layout(const ll_aml_featset *fs, size_t p, layout *L)
{
    L->lag = malloc((p + 1) * sizeof *L->lag);
    L->stat = malloc((p + 1) * sizeof *L->stat);
    if (!L->lag || !L->stat)
        return -1;
    L->T = L->ns = 0;
    int use = fs && fs->nf == p;
    for (size_t k = 0; k < p; k++) {
        if (use && fs->f[k].kind == LL_AML_F_LAG) {
            /* insertion by lag, largest (oldest) first */
            size_t i = L->T++;
            while (i > 0 && fs->f[L->lag[i - 1]].arg < fs->f[k].arg) {
                L->lag[i] = L->lag[i - 1];
                i--;
            }
            L->lag[i] = (int)k;
        } else
            L->stat[L->ns++] = (int)k;
    }
    return 0;
}

/* Standardized value of column k of row x (0 for a missing value). */
static double zval(const ll_aml_regressor *r, const double *x, int k)
{
    double v = x[k];
    if (isnan(v))
        return 0;
    return (v - r->arr[A_MEAN][k]) / r->arr[A_SD][k];
}

static double sigm(double v)
{
    return 1 / (1 + exp(-v));
}

/* Double-precision forward of one row (scratch: 6H + D doubles). */
static double forward_row(const ll_aml_regressor *r, const double *x,
                          double *scr)
{
    const double *seq = r->arr[A_SEQ];
    size_t H = (size_t)seq[0], T = (size_t)seq[1], ns = (size_t)seq[2];
    size_t D = 1 + ns, p = r->p, steps = T ? T : 1;
    const double *wih = r->arr[A_WIH], *whh = r->arr[A_WHH],
                 *b = r->arr[A_BIAS], *head = r->arr[A_HEAD];
    double *h = scr, *c = h + H, *g = c + H, *in = g + 4 * H;
    memset(h, 0, 2 * H * sizeof *h);
    for (size_t j = 0; j < ns; j++)
        in[1 + j] = zval(r, x, (int)seq[3 + T + j]);
    for (size_t t = 0; t < steps; t++) {
        in[0] = T ? zval(r, x, (int)seq[3 + t]) : 0;
        for (size_t q = 0; q < 4 * H; q++) {
            double s = b[q];
            const double *wi = wih + q * D, *wh = whh + q * H;
            for (size_t d = 0; d < D; d++)
                s += wi[d] * in[d];
            for (size_t k = 0; k < H; k++)
                s += wh[k] * h[k];
            g[q] = s;
        }
        for (size_t k = 0; k < H; k++) {
            double ig = sigm(g[k]), fg = sigm(g[H + k]),
                   gg = tanh(g[2 * H + k]), og = sigm(g[3 * H + k]);
            c[k] = fg * c[k] + ig * gg;
            h[k] = og * tanh(c[k]);
        }
    }
    double out = head[H + p];
    for (size_t k = 0; k < H; k++)
        out += head[k] * h[k];
    for (size_t k = 0; k < p; k++)
        out += head[H + k] * zval(r, x, (int)k);
    return r->arr[A_YSTAT][0] + r->arr[A_YSTAT][1] * out;
}

static void lstm_predict(const ll_aml_regressor *r, const double *X, size_t n,
                         double *out)
{
    size_t H = (size_t)r->arr[A_SEQ][0], ns = (size_t)r->arr[A_SEQ][2];
    double *scr = malloc((6 * H + 1 + ns + 1) * sizeof *scr);
    for (size_t i = 0; i < n; i++)
        out[i] = scr ? forward_row(r, X + i * r->p, scr) : LL_NAN;
    free(scr);
}

/* ---- training on the nn engine ---- */

typedef struct net {
    ll_tensor *wih, *whh, *b, *wo, *ws, *bo; /* parameters */
} net;

static void net_free(net *m)
{
    ll_tensor_free(m->wih), ll_tensor_free(m->whh), ll_tensor_free(m->b);
    ll_tensor_free(m->wo), ll_tensor_free(m->ws), ll_tensor_free(m->bo);
}

static ll_tensor *param(int nd, int64_t a, int64_t b, double scale,
                        uint64_t *rng, ll_err *err)
{
    int64_t sh[2] = {a, b};
    ll_tensor *t = ll_tensor_new(nd, sh, err);
    if (!t)
        return NULL;
    float *d = ll_tensor_data(t);
    for (int64_t i = 0; i < ll_tensor_numel(t); i++)
        d[i] = (float)(scale * (2 * unif(rng) - 1));
    if (ll_tensor_set_requires_grad(t, 1, err)) {
        ll_tensor_free(t);
        return NULL;
    }
    return t;
}

/* Predictions (B, 1) of the rows whose sequence input is seq (T, B, D) and
 * standardized rows z (B, p). */
static ll_tensor *net_forward(const net *m, ll_tensor *seq, ll_tensor *z,
                              ll_err *err)
{
    ll_tensor *o[3] = {0}, *a = NULL, *bz = NULL, *y = NULL;
    if (ll_rnn_layer("LSTM", LL_CELL_LSTM, seq, NULL, NULL, m->wih, m->whh,
                     m->b, NULL, 0, NULL, o, err))
        return NULL;
    a = ll_linear("LSTM head", o[1], m->wo, m->bo, err);
    if (a)
        bz = ll_linear("LSTM skip", z, m->ws, NULL, err);
    if (bz)
        y = ll_binary(LL_ADD, a, bz, err);
    ll_tensor_free(o[0]), ll_tensor_free(o[1]), ll_tensor_free(o[2]);
    ll_tensor_free(a), ll_tensor_free(bz);
    return y;
}

/* Fill the tensors of rows idx[0..B): seq (T', B, D), z (B, p), y (B, 1). */
static void fill_batch(const float *Zs, const float *ys, const layout *L,
                       size_t p, const size_t *idx, size_t B, float *seq,
                       float *z, float *y)
{
    size_t T = L->T ? L->T : 1, D = 1 + L->ns;
    for (size_t b = 0; b < B; b++) {
        const float *row = Zs + idx[b] * p;
        memcpy(z + b * p, row, p * sizeof *z);
        y[b] = ys[idx[b]];
        for (size_t t = 0; t < T; t++) {
            float *in = seq + (t * B + b) * D;
            in[0] = L->T ? row[L->lag[t]] : 0;
            for (size_t j = 0; j < L->ns; j++)
                in[1 + j] = row[L->stat[j]];
        }
    }
}

/* Write a float snapshot of the parameters into r's arrays: the skip in
 * double precision as solved (it is not trained), the intercept moved by
 * what training added in float. */
static void put_arrays(ll_aml_regressor *r, const float *b, const double *wskip,
                       size_t H, size_t D)
{
    size_t p = r->p;
    double *wih = r->arr[A_WIH], *whh = r->arr[A_WHH], *bias = r->arr[A_BIAS],
           *head = r->arr[A_HEAD];
    for (size_t i = 0; i < 4 * H * D; i++)
        wih[i] = *b++;
    for (size_t i = 0; i < 4 * H * H; i++)
        whh[i] = *b++;
    for (size_t i = 0; i < 4 * H; i++)
        bias[i] = *b++;
    for (size_t i = 0; i < H; i++)
        head[i] = *b++;
    for (size_t i = 0; i < p; i++)
        head[H + i] = wskip[i];
    head[H + p] = wskip[p] + ((double)b[p] - (double)(float)wskip[p]);
}

/* Mean squared error (standardized units) of the scoring forward on the
 * rows idx: early stopping judges what predict computes. */
static double val_mse(const ll_aml_regressor *r, const double *X,
                      const double *y, const size_t *idx, size_t n, double *scr)
{
    double q = 0, ysd = r->arr[A_YSTAT][1];
    for (size_t i = 0; i < n; i++) {
        double e = (forward_row(r, X + idx[i] * r->p, scr) - y[idx[i]]) / ysd;
        q += e * e;
    }
    return n ? q / (double)n : 0;
}

/* Copy the parameters' values (to == 1: into buf; 0: back from buf). */
static void snapshot(net *m, float *buf, int to)
{
    ll_tensor *ps[6] = {m->wih, m->whh, m->b, m->wo, m->ws, m->bo};
    for (int i = 0; i < 6; i++) {
        size_t k = (size_t)ll_tensor_numel(ps[i]);
        if (to)
            memcpy(buf, ll_tensor_data(ps[i]), k * sizeof *buf);
        else
            memcpy(ll_tensor_data(ps[i]), buf, k * sizeof *buf);
        buf += k;
    }
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Training rows first, then validation rows: the latest 15% by the trend
 * feature (position in the series) when there is one, else the last 15%.
 * Returns the number of training rows. */
static size_t split_rows(const ll_aml_featset *fs, const double *X, size_t n,
                         size_t p, size_t *idx)
{
    size_t nval = n >= 20 ? (n * 15 + 99) / 100 : 0;
    if (nval == 0) {
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        return n;
    }
    int tc = -1;
    for (size_t k = 0; fs && fs->nf == p && k < p; k++)
        if (fs->f[k].kind == LL_AML_F_TREND)
            tc = (int)k;
    double cut = LL_NAN;
    if (tc >= 0) {
        double *v = malloc(n * sizeof *v);
        if (v) {
            for (size_t i = 0; i < n; i++)
                v[i] = X[i * p + (size_t)tc];
            qsort(v, n, sizeof *v, cmp_dbl);
            cut = v[n - nval];
            free(v);
        }
    }
    size_t a = 0, b = n;
    for (size_t i = 0; i < n; i++) {
        int val = isnan(cut) ? i >= n - nval : X[i * p + (size_t)tc] >= cut;
        if (val)
            idx[--b] = i;
        else
            idx[a++] = i;
    }
    if (a < 2) { /* everything at the cut: fall back to the last rows */
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        return n - nval;
    }
    /* validation rows in order (they were filled from the end) */
    for (size_t i = b, k = n - 1; i < k; i++, k--) {
        size_t t = idx[i];
        idx[i] = idx[k];
        idx[k] = t;
    }
    return a;
}

/* The skip: least squares of the standardized target on the standardized
 * rows idx[0..n) with an intercept (a ridge penalty from 1e-10 n up keeps it
 * defined), into w (p weights, then the intercept). */
static int skip_fit(const ll_aml_regressor *r, const double *X, const double *y,
                    const size_t *idx, size_t n, size_t p, double *w)
{
    size_t q = p + 1;
    double *A = calloc(q * q, sizeof *A), *b = calloc(q, sizeof *b);
    double *z = malloc(q * sizeof *z);
    double ym = r->arr[A_YSTAT][0], ysd = r->arr[A_YSTAT][1];
    int rc = -1;
    if (!A || !b || !z)
        goto done;
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < p; a++)
            z[a] = zval(r, X + idx[i] * p, (int)a);
        z[p] = 1;
        double yi = (y[idx[i]] - ym) / ysd;
        for (size_t a = 0; a < q; a++) {
            b[a] += z[a] * yi;
            for (size_t c = 0; c <= a; c++)
                A[a * q + c] += z[a] * z[c];
        }
    }
    for (double lam = 1e-10 * (double)n + 1e-12; lam < 1e12; lam *= 100) {
        /* Cholesky of A + lam I (the intercept unpenalized) in w's
         * scratch: L in the lower triangle of a copy. */
        double *F = malloc(q * q * sizeof *F);
        if (!F)
            goto done;
        memcpy(F, A, q * q * sizeof *F);
        for (size_t a = 0; a < p; a++)
            F[a * q + a] += lam;
        int ok = 1;
        for (size_t j = 0; j < q && ok; j++) {
            double d = F[j * q + j];
            for (size_t k = 0; k < j; k++)
                d -= F[j * q + k] * F[j * q + k];
            if (!(d > 1e-12 * (F[j * q + j] + 1))) {
                ok = 0;
                break;
            }
            d = sqrt(d);
            F[j * q + j] = d;
            for (size_t i = j + 1; i < q; i++) {
                double v = F[i * q + j];
                for (size_t k = 0; k < j; k++)
                    v -= F[i * q + k] * F[j * q + k];
                F[i * q + j] = v / d;
            }
        }
        if (ok) {
            for (size_t i = 0; i < q; i++) {
                double v = b[i];
                for (size_t k = 0; k < i; k++)
                    v -= F[i * q + k] * w[k];
                w[i] = v / F[i * q + i];
            }
            for (size_t i = q; i-- > 0;) {
                double v = w[i];
                for (size_t k = i + 1; k < q; k++)
                    v -= F[k * q + i] * w[k];
                w[i] = v / F[i * q + i];
            }
            rc = 0;
        }
        free(F);
        if (ok)
            break;
    }
done:
    free(A), free(b), free(z);
    return rc;
}

static int lstm_fit_ctx(const ll_aml_fit_ctx *cx, const double *X,
                        const double *y, size_t n, size_t p, uint64_t seed,
                        ll_aml_regressor **out, ll_err *err)
{
    *out = NULL;
    size_t H = cx && cx->hidden > 0 ? (size_t)cx->hidden : DEF_HIDDEN;
    int epochs = cx && cx->epochs > 0 ? cx->epochs : DEF_EPOCHS;
    const ll_aml_featset *fs = cx ? cx->fs : NULL;
    if (n < 2)
        return ll_err_set(err, LL_EINVAL, "LSTM: need 2 rows, got %zu", n);
    if (H > 1024)
        return ll_err_set(err, LL_EINVAL,
                          "LSTM: hidden must be at most 1024, got %zu", H);
    layout L = {0};
    ll_aml_regressor *r = ll_aml_regressor_alloc(&ll_aml_lstm, p, err);
    float *Zs = NULL, *ys = NULL, *seqb = NULL, *zb = NULL, *yb = NULL,
          *best = NULL;
    float *cur = NULL;
    double *wskip = NULL, *scr = NULL;
    size_t *idx = NULL;
    net m = {0};
    ll_optim *opt = NULL;
    int rc = LL_OK;
    if (!r || make_layout(fs, p, &L)) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    size_t T = L.T ? L.T : 1, D = 1 + L.ns;
    size_t lens[A_N] = {p,         p,         2,     3 + L.T + L.ns,
                        4 * H * D, 4 * H * H, 4 * H, H + p + 1};
    for (int a = 0; a < A_N; a++)
        if (ll_aml_regressor_add(r, arr_names[a], lens[a]) < 0) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
    double *seq = r->arr[A_SEQ];
    seq[0] = (double)H, seq[1] = (double)L.T, seq[2] = (double)L.ns;
    for (size_t t = 0; t < L.T; t++)
        seq[3 + t] = L.lag[t];
    for (size_t j = 0; j < L.ns; j++)
        seq[3 + L.T + j] = L.stat[j];
    /* Standardize on all rows. */
    double *mean = r->arr[A_MEAN], *sd = r->arr[A_SD];
    for (size_t k = 0; k < p; k++) {
        double s = 0, q = 0;
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(X[i * p + k]))
                s += X[i * p + k], c++;
        double mu = c ? s / (double)c : 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(X[i * p + k]))
                q += (X[i * p + k] - mu) * (X[i * p + k] - mu);
        double v = c > 1 ? sqrt(q / (double)(c - 1)) : 0;
        mean[k] = mu;
        sd[k] = v > 1e-12 * (fabs(mu) + 1) ? v : 1;
    }
    double ym = 0, yv = 0;
    for (size_t i = 0; i < n; i++)
        ym += y[i];
    ym /= (double)n;
    for (size_t i = 0; i < n; i++)
        yv += (y[i] - ym) * (y[i] - ym);
    yv = sqrt(yv / (double)(n - 1));
    if (!(yv > 1e-12 * (fabs(ym) + 1)))
        yv = 1;
    r->arr[A_YSTAT][0] = ym, r->arr[A_YSTAT][1] = yv;
    Zs = malloc(n * p * sizeof *Zs + 1);
    ys = malloc(n * sizeof *ys);
    idx = malloc(n * sizeof *idx);
    seqb = malloc(T * 256 * D * sizeof *seqb);
    zb = malloc(256 * p * sizeof *zb + 1);
    yb = malloc(256 * sizeof *yb);
    if (!Zs || !ys || !idx || !seqb || !zb || !yb) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < p; k++)
            Zs[i * p + k] = (float)zval(r, X + i * p, (int)k);
        ys[i] = (float)((y[i] - ym) / yv);
    }
    size_t ntr = split_rows(fs, X, n, p, idx), nval = n - ntr;
    /* Parameters: PyTorch's LSTM initialization, a small head, no skip. */
    uint64_t rng = seed ^ 0x4c53544d00000000ULL;
    double k = 1 / sqrt((double)H);
    m.wih = param(2, (int64_t)(4 * H), (int64_t)D, k, &rng, err);
    m.whh = m.wih ? param(2, (int64_t)(4 * H), (int64_t)H, k, &rng, err) : NULL;
    m.b = m.whh ? param(1, (int64_t)(4 * H), 0, k, &rng, err) : NULL;
    m.wo = m.b ? param(2, 1, (int64_t)H, 0, &rng, err) : NULL;
    m.ws = m.wo ? param(2, 1, (int64_t)p, 0, &rng, err) : NULL;
    m.bo = m.ws ? param(1, 1, 0, 0, &rng, err) : NULL;
    if (!m.bo) {
        rc = err->code ? err->code : LL_ENOMEM;
        goto done;
    }
    /* The skip is the least-squares fit, kept fixed: the LSTM learns what
     * the linear part leaves, from a zero head (the start is the linear
     * model, which early stopping keeps when the LSTM does not help). */
    wskip = malloc((p + 1) * sizeof *wskip);
    if (!wskip || skip_fit(r, X, y, idx, ntr, p, wskip)) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    {
        float *ws = ll_tensor_data(m.ws);
        for (size_t i = 0; i < p; i++)
            ws[i] = (float)wskip[i];
        ll_tensor_data(m.bo)[0] = (float)wskip[p];
        ll_tensor_set_requires_grad(m.ws, 0, err);
    }
    ll_opt_conf oc = {.kind = LL_OPT_ADAM,
                      .lr = LR,
                      .beta1 = 0.9,
                      .beta2 = 0.999,
                      .eps = 1e-8};
    ll_tensor *ps[6] = {m.wih, m.whh, m.b, m.wo, m.bo, m.ws};
    opt = ll_optim_new(&oc, ps, 6, err);
    size_t np = 4 * H * D + 4 * H * H + 4 * H + H + p + 1;
    best = malloc(np * sizeof *best);
    cur = malloc(np * sizeof *cur);
    scr = malloc((6 * H + D + 1) * sizeof *scr);
    if (!opt || !best || !cur || !scr) {
        rc = opt ? ll_err_set(err, LL_ENOMEM, "out of memory")
                 : (err->code ? err->code : LL_ENOMEM);
        goto done;
    }
    snapshot(&m, best, 1);
    double best_loss = INFINITY;
    if (nval) {
        put_arrays(r, best, wskip, H, D);
        best_loss = val_mse(r, X, y, idx + ntr, nval, scr);
    }
    int since = 0;
    for (int ep = 0; ep < epochs && rc == LL_OK; ep++) {
        for (size_t i = ntr; i > 1; i--) { /* shuffle the training rows */
            size_t j = (size_t)(mix(&rng) % i), t = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = t;
        }
        for (size_t at = 0; at < ntr && rc == LL_OK; at += BATCH) {
            size_t B = ntr - at < BATCH ? ntr - at : BATCH;
            fill_batch(Zs, ys, &L, p, idx + at, B, seqb, zb, yb);
            int64_t ss[3] = {(int64_t)T, (int64_t)B, (int64_t)D};
            int64_t zs[2] = {(int64_t)B, (int64_t)p},
                    yshape[2] = {(int64_t)B, 1};
            ll_tensor *st = ll_tensor_from(3, ss, seqb, err);
            ll_tensor *zt = st ? ll_tensor_from(2, zs, zb, err) : NULL;
            ll_tensor *yt = zt ? ll_tensor_from(2, yshape, yb, err) : NULL;
            ll_tensor *pr = yt ? net_forward(&m, st, zt, err) : NULL;
            ll_tensor *loss =
                pr ? ll_loss(LL_LOSS_MSE, pr, yt, LL_RED_MEAN, 0, -100, err)
                   : NULL;
            ll_optim_zero_grad(opt);
            if (!loss || ll_tensor_backward(loss, NULL, 0, err) ||
                (ll_clip_grad_norm(ps, 5, 1.0), ll_optim_step(opt, err)))
                rc = err->code ? err->code : LL_ENOMEM;
            ll_tensor_free(st), ll_tensor_free(zt), ll_tensor_free(yt);
            ll_tensor_free(pr), ll_tensor_free(loss);
        }
        if (rc)
            break;
        double vl = (double)ep; /* no validation: keep the last epoch */
        snapshot(&m, cur, 1);
        if (nval) {
            put_arrays(r, cur, wskip, H, D);
            vl = val_mse(r, X, y, idx + ntr, nval, scr);
        }
        if (!(vl >= best_loss)) {
            best_loss = vl;
            memcpy(best, cur, np * sizeof *best);
            since = 0;
        } else if (++since >= PATIENCE)
            break;
        else if (since % (PATIENCE / 2) == 0)
            ll_optim_set_lr(opt, ll_optim_get_lr(opt) / 2);
        if (cx && cx->deadline > 0 && ll_aml_now() > cx->deadline)
            break;
    }
    if (rc)
        goto done;
    put_arrays(r, best, wskip, H, D);
done:
    ll_optim_free(opt);
    net_free(&m);
    free(L.lag), free(L.stat), free(Zs), free(ys), free(idx), free(seqb);
    free(zb), free(yb), free(best), free(wskip), free(cur), free(scr);
    if (rc) {
        ll_aml_regressor_free(r);
        return rc;
    }
    *out = r;
    return LL_OK;
}

static int lstm_fit(const double *X, const double *y, size_t n, size_t p,
                    uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    return lstm_fit_ctx(NULL, X, y, n, p, seed, out, err);
}

/* A loaded model: every array by name and of the length its shape says. */
static int lstm_restore(ll_aml_regressor *r, ll_err *err)
{
    if (r->narr != A_N)
        return ll_err_set(err, LL_EPARSE, "LSTM: %zu arrays, expected %d",
                          r->narr, A_N);
    for (int a = 0; a < A_N; a++)
        if (strcmp(r->arr_name[a], arr_names[a]) != 0)
            return ll_err_set(err, LL_EPARSE,
                              "LSTM: array %d is '%s', expected '%s'", a + 1,
                              r->arr_name[a], arr_names[a]);
    size_t p = r->p;
    const double *seq = r->arr[A_SEQ];
    if (r->arr_len[A_SEQ] < 3)
        return ll_err_set(err, LL_EPARSE,
                          "LSTM: seq has %zu values, expected at least 3",
                          r->arr_len[A_SEQ]);
    for (int i = 0; i < 3; i++)
        if (!(seq[i] >= (i == 0 ? 1 : 0) && seq[i] <= 1024 &&
              seq[i] == floor(seq[i])))
            return ll_err_set(err, LL_EPARSE,
                              "LSTM: seq[%d] = %g is not a size in %d..1024",
                              i + 1, seq[i], i == 0 ? 1 : 0);
    size_t H = (size_t)seq[0], T = (size_t)seq[1], ns = (size_t)seq[2];
    size_t D = 1 + ns;
    size_t want[A_N] = {p,         p,         2,     3 + T + ns,
                        4 * H * D, 4 * H * H, 4 * H, H + p + 1};
    static const char *const why[A_N] = {"features",
                                         "features",
                                         "mean and sd",
                                         "3 + lags + others",
                                         "4 x hidden x inputs",
                                         "4 x hidden x hidden",
                                         "4 x hidden",
                                         "hidden + features + 1"};
    for (int a = 0; a < A_N; a++)
        if (r->arr_len[a] != want[a])
            return ll_err_set(err, LL_EPARSE,
                              "LSTM: %s has %zu values, expected %zu (%s)",
                              arr_names[a], r->arr_len[a], want[a], why[a]);
    for (size_t i = 3; i < 3 + T + ns; i++)
        if (!(seq[i] >= 0 && seq[i] < (double)p && seq[i] == floor(seq[i])))
            return ll_err_set(err, LL_EPARSE,
                              "LSTM: seq[%zu] = %g is not a feature column "
                              "(0..%zu)",
                              i + 1, seq[i], p ? p - 1 : 0);
    for (size_t k = 0; k < p; k++)
        if (!isfinite(r->arr[A_SD][k]) || r->arr[A_SD][k] == 0)
            return ll_err_set(err, LL_EPARSE, "LSTM: sd[%zu] = %g", k + 1,
                              r->arr[A_SD][k]);
    return LL_OK;
}

const ll_aml_reg_ops ll_aml_lstm = {LL_AML_LSTM,  lstm_fit,
                                    lstm_predict, ll_aml_regressor_free,
                                    lstm_restore, lstm_fit_ctx};
