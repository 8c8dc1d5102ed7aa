/*
 * trees: regression trees grown by least squares, as random forest
 * (bootstrap rows, a third of the features per split), extra trees (random
 * thresholds, all features) and gradient boosting (shallow trees fitted to
 * residuals).  Every tree of a model lives in one set of node arrays:
 * feat (-1 for a leaf), thr, left, right, value; roots lists each tree's
 * first node.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "util/rng.h"

typedef struct nodes {
    int *feat;
    double *thr, *val;
    int *left, *right;
    size_t n, cap;
} nodes;

static int node_new(nodes *t)
{
    if (t->n == t->cap) {
        size_t c = t->cap ? 2 * t->cap : 256;
        int *f = realloc(t->feat, c * sizeof *f);
        if (f)
            t->feat = f;
        double *th = realloc(t->thr, c * sizeof *th);
        if (th)
            t->thr = th;
        double *v = realloc(t->val, c * sizeof *v);
        if (v)
            t->val = v;
        int *l = realloc(t->left, c * sizeof *l);
        if (l)
            t->left = l;
        int *r = realloc(t->right, c * sizeof *r);
        if (r)
            t->right = r;
        if (!f || !th || !v || !l || !r)
            return -1;
        t->cap = c;
    }
    int i = (int)t->n++;
    t->feat[i] = -1;
    t->thr[i] = 0;
    t->val[i] = 0;
    t->left[i] = t->right[i] = -1;
    return i;
}

typedef struct grow {
    const double *X, *y;
    size_t p;
    int max_depth;
    size_t min_leaf;
    size_t mtry;
    int random_thr; /* extra trees */
    uint64_t rng;   /* splitmix64 state */
    nodes *t;
    double *vals; /* scratch n */
    size_t *scratch;
    int *feats; /* scratch p */
} grow;

typedef struct vi {
    double v;
    size_t i;
} vi;

static int cmp_vi(const void *a, const void *b)
{
    const vi *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

/* Grow a node over rows idx[0..n); returns its index or -1 (no memory). */
static int grow_node(grow *g, size_t *idx, size_t n, int depth, vi *buf)
{
    int id = node_new(g->t);
    if (id < 0)
        return -1;
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        double v = g->y[idx[i]];
        sum += v;
        sq += v * v;
    }
    double mean = sum / (double)n;
    g->t->val[id] = mean;
    double sse = sq - sum * mean;
    if (depth >= g->max_depth || n < 2 * g->min_leaf || sse <= 1e-14 * n)
        return id;
    /* Candidate features: a random subset of mtry. */
    size_t p = g->p;
    for (size_t j = 0; j < p; j++)
        g->feats[j] = (int)j;
    for (size_t j = 0; j < g->mtry && j < p; j++) {
        size_t k = j + (size_t)(ll_splitmix64(&g->rng) % (p - j));
        int tmp = g->feats[j];
        g->feats[j] = g->feats[k];
        g->feats[k] = tmp;
    }
    double best = sse - 1e-12 * fabs(sse);
    int bf = -1;
    double bthr = 0;
    for (size_t c = 0; c < g->mtry && c < p; c++) {
        int f = g->feats[c];
        if (g->random_thr) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < n; i++) {
                double v = g->X[idx[i] * p + (size_t)f];
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
            if (!(hi > lo))
                continue;
            double thr = lo + (hi - lo) * ll_rng_u53(ll_splitmix64(&g->rng));
            double sl = 0, ql = 0, sr = 0, qr = 0;
            size_t nl = 0;
            for (size_t i = 0; i < n; i++) {
                double v = g->y[idx[i]];
                if (g->X[idx[i] * p + (size_t)f] <= thr) {
                    sl += v;
                    ql += v * v;
                    nl++;
                } else {
                    sr += v;
                    qr += v * v;
                }
            }
            size_t nr = n - nl;
            if (nl < g->min_leaf || nr < g->min_leaf)
                continue;
            double e = ql - sl * sl / (double)nl + qr - sr * sr / (double)nr;
            if (e < best) {
                best = e;
                bf = f;
                bthr = thr;
            }
            continue;
        }
        for (size_t i = 0; i < n; i++)
            buf[i] = (vi){g->X[idx[i] * p + (size_t)f], idx[i]};
        qsort(buf, n, sizeof *buf, cmp_vi);
        double sl = 0, ql = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            double v = g->y[buf[i].i];
            sl += v;
            ql += v * v;
            size_t nl = i + 1, nr = n - nl;
            if (buf[i].v == buf[i + 1].v || nl < g->min_leaf ||
                nr < g->min_leaf)
                continue;
            double sr = sum - sl, qr = sq - ql;
            double e = ql - sl * sl / (double)nl + qr - sr * sr / (double)nr;
            if (e < best) {
                best = e;
                bf = f;
                bthr = 0.5 * (buf[i].v + buf[i + 1].v);
            }
        }
    }
    if (bf < 0)
        return id;
    /* Partition idx. */
    size_t l = 0;
    for (size_t i = 0; i < n; i++)
        if (g->X[idx[i] * p + (size_t)bf] <= bthr) {
            size_t tmp = idx[l];
            idx[l] = idx[i];
            idx[i] = tmp;
            l++;
        }
    if (l == 0 || l == n)
        return id;
    int left = grow_node(g, idx, l, depth + 1, buf);
    if (left < 0)
        return -1;
    int right = grow_node(g, idx + l, n - l, depth + 1, buf);
    if (right < 0)
        return -1;
    g->t->feat[id] = bf;
    g->t->thr[id] = bthr;
    g->t->left[id] = left;
    g->t->right[id] = right;
    return id;
}

static double tree_eval(const ll_aml_regressor *r, size_t root, const double *x)
{
    const double *feat = r->arr[0], *thr = r->arr[1], *left = r->arr[2],
                 *right = r->arr[3], *val = r->arr[4];
    size_t k = root;
    while (feat[k] >= 0)
        k = (size_t)(x[(size_t)feat[k]] <= thr[k] ? left[k] : right[k]);
    return val[k];
}

/* Arrays: feat, thr, left, right, value (nodes), roots (trees),
 * meta: {kind (0 mean, 1 boosted), base, learning rate}. */
static void trees_predict(const ll_aml_regressor *r, const double *X, size_t n,
                          double *out)
{
    size_t ntree = r->arr_len[5];
    const double *roots = r->arr[5], *meta = r->arr[6];
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t t = 0; t < ntree; t++)
            s += tree_eval(r, (size_t)roots[t], X + i * r->p);
        out[i] = meta[0] == 1 ? meta[1] + meta[2] * s
                              : (ntree ? s / (double)ntree : 0);
    }
}

typedef struct tree_cfg {
    int ntrees, max_depth;
    size_t min_leaf;
    double mtry_frac;
    int bootstrap, random_thr, boosted;
    double lr, subsample;
} tree_cfg;

static int trees_fit(const ll_aml_reg_ops *ops, const tree_cfg *cfg,
                     const double *X, const double *y, size_t n, size_t p,
                     uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    if (n < 2)
        return ll_err_set(err, LL_EINVAL, "%s: need 2 rows, got %zu", ops->name,
                          n);
    nodes t = {0};
    grow g = {0};
    size_t *idx = malloc(n * sizeof *idx);
    vi *buf = malloc(n * sizeof *buf);
    double *target = malloc(n * sizeof *target);
    double *pred = malloc(n * sizeof *pred);
    double *roots = malloc((size_t)cfg->ntrees * sizeof *roots);
    g.feats = malloc((p ? p : 1) * sizeof *g.feats);
    int ok = idx && buf && target && pred && roots && g.feats;
    g.X = X;
    g.y = target;
    g.p = p;
    g.max_depth = cfg->max_depth;
    g.min_leaf = cfg->min_leaf;
    g.mtry = (size_t)ceil(cfg->mtry_frac * (double)p);
    if (g.mtry < 1)
        g.mtry = 1;
    g.random_thr = cfg->random_thr;
    g.rng = seed * 0x2545F4914F6CDD1DULL + 17;
    g.t = &t;
    double base = 0;
    for (size_t i = 0; i < n; i++)
        base += y[i];
    base /= (double)n;
    for (size_t i = 0; ok && i < n; i++) {
        target[i] = cfg->boosted ? y[i] - base : y[i];
        pred[i] = 0;
    }
    for (int k = 0; ok && k < cfg->ntrees; k++) {
        size_t m = n;
        if (cfg->bootstrap)
            for (size_t i = 0; i < n; i++)
                idx[i] = (size_t)(ll_splitmix64(&g.rng) % n);
        else if (cfg->subsample < 1) {
            m = 0;
            for (size_t i = 0; i < n; i++)
                if (ll_rng_u53(ll_splitmix64(&g.rng)) < cfg->subsample)
                    idx[m++] = i;
            if (m < 2 * cfg->min_leaf)
                for (m = 0; m < n; m++)
                    idx[m] = m;
        } else
            for (size_t i = 0; i < n; i++)
                idx[i] = i;
        int root = grow_node(&g, idx, m, 0, buf);
        if (root < 0) {
            ok = 0;
            break;
        }
        roots[k] = root;
        if (cfg->boosted) {
            /* Update residuals with this tree. */
            for (size_t i = 0; i < n; i++) {
                size_t q = (size_t)root;
                while (t.feat[q] >= 0)
                    q = (size_t)(X[i * p + (size_t)t.feat[q]] <= t.thr[q]
                                     ? t.left[q]
                                     : t.right[q]);
                pred[i] += cfg->lr * t.val[q];
                target[i] = y[i] - base - pred[i];
            }
        }
    }
    ll_aml_regressor *r = NULL;
    if (ok) {
        r = ll_aml_regressor_alloc(ops, p, err);
        ok = r && ll_aml_regressor_add(r, "feat", t.n) >= 0 &&
             ll_aml_regressor_add(r, "thr", t.n) >= 0 &&
             ll_aml_regressor_add(r, "left", t.n) >= 0 &&
             ll_aml_regressor_add(r, "right", t.n) >= 0 &&
             ll_aml_regressor_add(r, "value", t.n) >= 0 &&
             ll_aml_regressor_add(r, "roots", (size_t)cfg->ntrees) >= 0 &&
             ll_aml_regressor_add(r, "meta", 3) >= 0;
    }
    if (ok) {
        for (size_t i = 0; i < t.n; i++) {
            r->arr[0][i] = t.feat[i];
            r->arr[1][i] = t.thr[i];
            r->arr[2][i] = t.left[i];
            r->arr[3][i] = t.right[i];
            r->arr[4][i] = t.val[i];
        }
        memcpy(r->arr[5], roots, (size_t)cfg->ntrees * sizeof *roots);
        r->arr[6][0] = cfg->boosted;
        r->arr[6][1] = base;
        r->arr[6][2] = cfg->lr;
    }
    free(t.feat), free(t.thr), free(t.val), free(t.left), free(t.right);
    free(idx), free(buf), free(target), free(pred), free(roots);
    free(g.feats);
    if (!ok) {
        ll_aml_regressor_free(r);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    *out = r;
    return LL_OK;
}

static int rf_fit(const double *X, const double *y, size_t n, size_t p,
                  uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    tree_cfg c = {.ntrees = 60,
                  .max_depth = 14,
                  .min_leaf = 2,
                  .mtry_frac = 1.0 / 3.0,
                  .bootstrap = 1};
    return trees_fit(&ll_aml_rf, &c, X, y, n, p, seed, out, err);
}

static int et_fit(const double *X, const double *y, size_t n, size_t p,
                  uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    tree_cfg c = {.ntrees = 60,
                  .max_depth = 14,
                  .min_leaf = 2,
                  .mtry_frac = 1.0,
                  .random_thr = 1,
                  .subsample = 1};
    return trees_fit(&ll_aml_extratrees, &c, X, y, n, p, seed, out, err);
}

static int gbm_fit(const double *X, const double *y, size_t n, size_t p,
                   uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    tree_cfg c = {.ntrees = 150,
                  .max_depth = 4,
                  .min_leaf = 5,
                  .mtry_frac = 1.0,
                  .boosted = 1,
                  .lr = 0.1,
                  .subsample = 0.8};
    return trees_fit(&ll_aml_gbm, &c, X, y, n, p, seed, out, err);
}

const ll_aml_reg_ops ll_aml_rf = {"RandomForest",        rf_fit, trees_predict,
                                  ll_aml_regressor_free, NULL,   NULL};
const ll_aml_reg_ops ll_aml_extratrees = {
    "ExtremeRandomTrees",  et_fit, trees_predict,
    ll_aml_regressor_free, NULL,   NULL};
const ll_aml_reg_ops ll_aml_gbm = {
    "GradientBoosting",    gbm_fit, trees_predict,
    ll_aml_regressor_free, NULL,    NULL};
