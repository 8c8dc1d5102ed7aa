/*
 * groupby: hash grouping of rows by key columns and per-group aggregation.
 *
 * Keys that are small-range integers (category codes, bools, dates, ints)
 * are packed into a dense index when the product of their ranges is small,
 * so grouping is one array lookup per row; any other keys go through an
 * open-addressing hash on the key values.  Results are sorted by the keys
 * (as pandas' groupby(sort=True)).
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int dense_key(const ll_column *c, int64_t i, int64_t *v)
{
    if (ll_col_isna(c, i))
        return 0;
    switch (c->type) {
    case LL_BOOL:
        *v = LL_U8(c)[i];
        return 1;
    case LL_CAT:
    case LL_DATE:
        *v = LL_I32(c)[i];
        return 1;
    default:
        *v = LL_I64(c)[i];
        return 1;
    }
}

static uint64_t row_hash(const ll_column *c, int64_t i)
{
    if (ll_col_isna(c, i))
        return 0x9e3779b97f4a7c15ull;
    switch (c->type) {
    case LL_STR: {
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        return ll_hash_bytes(s, n);
    }
    case LL_FLOAT: {
        double x = LL_F64(c)[i];
        uint64_t b;
        if (x == 0)
            x = 0;
        memcpy(&b, &x, 8);
        return ll_hash_u64(b);
    }
    default: {
        int64_t v = 0;
        dense_key(c, i, &v);
        return ll_hash_u64((uint64_t)v);
    }
    }
}

static int row_eq(const ll_column *c, int64_t a, int64_t b)
{
    int na = ll_col_isna(c, a), nb = ll_col_isna(c, b);
    if (na || nb)
        return na && nb;
    switch (c->type) {
    case LL_STR: {
        size_t an, bn;
        const char *sa = ll_col_str(c, a, &an);
        const char *sb = ll_col_str(c, b, &bn);
        return an == bn && !memcmp(sa, sb, an);
    }
    case LL_FLOAT: {
        double x = LL_F64(c)[a], y = LL_F64(c)[b];
        return x == y || (x != x && y != y);
    }
    default: {
        int64_t x = 0, y = 0;
        dense_key(c, a, &x);
        dense_key(c, b, &y);
        return x == y;
    }
    }
}

static int all_codes(const ll_frame *f, const int *keycols, int nkeys)
{
    for (int k = 0; k < nkeys; k++) {
        const ll_column *c = f->cols[keycols[k]];
        if (c->type != LL_CAT || c->valid)
            return 0;
    }
    return 1;
}

int ll_group_rows(const ll_frame *f, const int *keycols, int nkeys,
                  int64_t **group_out, int64_t *ngroups, int64_t **first_out,
                  ll_err *err)
{
    int64_t n = f->nrow;
    size_t sz = (size_t)(n ? n : 1);
    int64_t *group = malloc(sz * sizeof *group);
    int64_t *first = malloc(sz * sizeof *first);
    int64_t ng = 0;
    if (!group || !first)
        goto oom;
    /* dense path */
    int dense = nkeys > 0;
    int64_t mins[16], spans[16];
    double product = 1;
    if (nkeys > 16)
        dense = 0;
    for (int k = 0; dense && k < nkeys; k++) {
        const ll_column *c = f->cols[keycols[k]];
        if (c->type == LL_STR || c->type == LL_FLOAT) {
            dense = 0;
            break;
        }
        int64_t mn = INT64_MAX, mx = INT64_MIN, v;
        for (int64_t i = 0; i < n; i++) {
            if (!dense_key(c, i, &v))
                continue;
            if (v < mn)
                mn = v;
            if (v > mx)
                mx = v;
        }
        if (mn > mx)
            mn = mx = 0;
        if ((double)mx - (double)mn > 1e7) {
            dense = 0;
            break;
        }
        mins[k] = mn;
        spans[k] = mx - mn + 2; /* + NA slot */
        product *= (double)spans[k];
    }
    if (dense && product <= 4e6 && product <= 4.0 * (double)n + 1024) {
        int64_t slots = (int64_t)product;
        int64_t *map = malloc((size_t)slots * sizeof *map);
        if (!map)
            goto oom;
        memset(map, 0xFF, (size_t)slots * sizeof *map);
        if (nkeys == 1 && f->cols[keycols[0]]->type == LL_CAT &&
            !f->cols[keycols[0]]->valid) {
            const int32_t *codes = LL_I32(f->cols[keycols[0]]);
            int64_t mn = mins[0];
            for (int64_t i = 0; i < n; i++) {
                int64_t s = codes[i] - mn;
                int64_t g = map[s];
                if (g < 0) {
                    g = map[s] = ng;
                    first[ng++] = i;
                }
                group[i] = g;
            }
        } else if (all_codes(f, keycols, nkeys)) {
            /* category keys without NA: codes straight from memory */
            const int32_t *codes[16];
            for (int k = 0; k < nkeys; k++)
                codes[k] = LL_I32(f->cols[keycols[k]]);
            for (int64_t i = 0; i < n; i++) {
                int64_t s = 0;
                for (int k = 0; k < nkeys; k++)
                    s = s * spans[k] + (codes[k][i] - mins[k]);
                int64_t g = map[s];
                if (g < 0) {
                    g = map[s] = ng;
                    first[ng++] = i;
                }
                group[i] = g;
            }
        } else {
            for (int64_t i = 0; i < n; i++) {
                int64_t s = 0;
                for (int k = 0; k < nkeys; k++) {
                    int64_t v;
                    const ll_column *c = f->cols[keycols[k]];
                    int64_t d =
                        dense_key(c, i, &v) ? v - mins[k] : spans[k] - 1;
                    s = s * spans[k] + d;
                }
                int64_t g = map[s];
                if (g < 0) {
                    g = map[s] = ng;
                    first[ng++] = i;
                }
                group[i] = g;
            }
        }
        free(map);
    } else {
        int64_t cap = 16;
        while (cap < n * 2)
            cap *= 2;
        if (n > 1 << 20)
            cap = 1 << 21; /* grow on demand below */
        int64_t *slots = malloc((size_t)cap * sizeof *slots);
        uint64_t *hs = malloc((size_t)cap * sizeof *hs);
        if (!slots || !hs) {
            free(slots);
            free(hs);
            goto oom;
        }
        memset(slots, 0xFF, (size_t)cap * sizeof *slots);
        for (int64_t i = 0; i < n; i++) {
            uint64_t h = 0x12345;
            for (int k = 0; k < nkeys; k++)
                h = ll_hash_u64(h ^ row_hash(f->cols[keycols[k]], i));
            int64_t j = (int64_t)(h & (uint64_t)(cap - 1));
            int64_t g = -1;
            while (slots[j] >= 0) {
                if (hs[j] == h) {
                    int64_t r = first[slots[j]];
                    int eq = 1;
                    for (int k = 0; k < nkeys && eq; k++)
                        eq = row_eq(f->cols[keycols[k]], r, i);
                    if (eq) {
                        g = slots[j];
                        break;
                    }
                }
                j = (j + 1) & (cap - 1);
            }
            if (g < 0) {
                g = ng;
                first[ng++] = i;
                slots[j] = g;
                hs[j] = h;
                if (ng * 2 > cap) {
                    int64_t ncap = cap * 2;
                    int64_t *ns = malloc((size_t)ncap * sizeof *ns);
                    uint64_t *nh = malloc((size_t)ncap * sizeof *nh);
                    if (!ns || !nh) {
                        free(ns);
                        free(nh);
                        free(slots);
                        free(hs);
                        goto oom;
                    }
                    memset(ns, 0xFF, (size_t)ncap * sizeof *ns);
                    for (int64_t q = 0; q < cap; q++) {
                        if (slots[q] < 0)
                            continue;
                        int64_t t = (int64_t)(hs[q] & (uint64_t)(ncap - 1));
                        while (ns[t] >= 0)
                            t = (t + 1) & (ncap - 1);
                        ns[t] = slots[q];
                        nh[t] = hs[q];
                    }
                    free(slots);
                    free(hs);
                    slots = ns;
                    hs = nh;
                    cap = ncap;
                }
            }
            group[i] = g;
        }
        free(slots);
        free(hs);
    }
    *group_out = group;
    *first_out = first;
    *ngroups = ng;
    return LL_OK;
oom:
    free(group);
    free(first);
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

/* Rows ordered by group (counting sort): rows of group g are
 * order[start[g] .. start[g+1]). */
static int group_order(const int64_t *group, int64_t n, int64_t ng,
                       int64_t **order, int64_t **start)
{
    int64_t *st = calloc((size_t)ng + 2, sizeof *st);
    int64_t *ord = malloc((size_t)(n ? n : 1) * sizeof *ord);
    if (!st || !ord) {
        free(st);
        free(ord);
        return LL_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        st[group[i] + 1]++;
    for (int64_t g = 0; g < ng; g++)
        st[g + 1] += st[g];
    int64_t *pos = malloc((size_t)(ng + 1) * sizeof *pos);
    if (!pos) {
        free(st);
        free(ord);
        return LL_ENOMEM;
    }
    memcpy(pos, st, (size_t)(ng + 1) * sizeof *pos);
    for (int64_t i = 0; i < n; i++)
        ord[pos[group[i]]++] = i;
    free(pos);
    *order = ord;
    *start = st;
    return LL_OK;
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int row_less(const ll_column *c, int64_t a, int64_t b)
{
    if (c->type == LL_STR || c->type == LL_CAT) {
        size_t an, bn;
        const char *sa = ll_col_str(c, a, &an);
        const char *sb = ll_col_str(c, b, &bn);
        int r = memcmp(sa, sb, an < bn ? an : bn);
        return r ? r < 0 : an < bn;
    }
    if (c->type == LL_INT || c->type == LL_DATETIME)
        return LL_I64(c)[a] < LL_I64(c)[b];
    return ll_col_num(c, a) < ll_col_num(c, b);
}

/* One aggregation over groups. */
static ll_column *aggregate(const ll_column *c, const char *fn,
                            const int64_t *group, int64_t ng,
                            const int64_t *order, const int64_t *start,
                            ll_err *err)
{
    int64_t n = c->len;
    int str = c->type == LL_STR || c->type == LL_CAT;
    ll_column *r = NULL;
    if (!strcmp(fn, "size") || !strcmp(fn, "count")) {
        int all = fn[0] == 's';
        r = ll_col_new(LL_INT, ng, err);
        if (!r)
            return NULL;
        int64_t *o = LL_I64(r);
        if (!c->valid || all)
            for (int64_t i = 0; i < n; i++)
                o[group[i]]++;
        else
            for (int64_t i = 0; i < n; i++)
                o[group[i]] += !ll_col_isna(c, i);
        return r;
    }
    if (!strcmp(fn, "first") || !strcmp(fn, "last") || !strcmp(fn, "min") ||
        !strcmp(fn, "max")) {
        int64_t *pick = malloc((size_t)(ng ? ng : 1) * sizeof *pick);
        if (!pick)
            return NULL;
        for (int64_t g = 0; g < ng; g++)
            pick[g] = -1;
        int kind = !strcmp(fn, "first")  ? 0
                   : !strcmp(fn, "last") ? 1
                   : !strcmp(fn, "min")  ? 2
                                         : 3;
        for (int64_t i = 0; i < n; i++) {
            if (ll_col_isna(c, i) ||
                (c->type == LL_FLOAT && isnan(LL_F64(c)[i])))
                continue;
            int64_t g = group[i], p = pick[g];
            if (p < 0 || kind == 1 || (kind == 2 && row_less(c, i, p)) ||
                (kind == 3 && row_less(c, p, i)))
                pick[g] = i;
        }
        r = ll_col_take(c, pick, ng, err);
        free(pick);
        return r;
    }
    if (str && strcmp(fn, "nunique")) {
        ll_err_set(err, LL_EINVAL, "%s() needs a numeric column, got %s", fn,
                   ll_dtype_name(c->type));
        return NULL;
    }
    if (!strcmp(fn, "sum") && (c->type == LL_INT || c->type == LL_BOOL)) {
        r = ll_col_new(LL_INT, ng, err);
        if (!r)
            return NULL;
        int64_t *o = LL_I64(r);
        if (c->type == LL_INT && !c->valid) {
            const int64_t *v = LL_I64(c);
            for (int64_t i = 0; i < n; i++)
                o[group[i]] += v[i];
        } else {
            for (int64_t i = 0; i < n; i++)
                if (!ll_col_isna(c, i))
                    o[group[i]] += (int64_t)ll_col_num(c, i);
        }
        return r;
    }
    if (!strcmp(fn, "sum") || !strcmp(fn, "mean") || !strcmp(fn, "std") ||
        !strcmp(fn, "var")) {
        double *sum = calloc((size_t)ng + 1, sizeof *sum);
        int64_t *cnt = calloc((size_t)ng + 1, sizeof *cnt);
        r = ll_col_new(LL_FLOAT, ng, err);
        if (!sum || !cnt || !r) {
            free(sum);
            free(cnt);
            ll_col_unref(r);
            ll_err_oom(err);
            return NULL;
        }
        if (c->type == LL_FLOAT && !c->valid) {
            const double *v = LL_F64(c);
            for (int64_t i = 0; i < n; i++) {
                if (v[i] != v[i])
                    continue;
                sum[group[i]] += v[i];
                cnt[group[i]]++;
            }
        } else if (c->type == LL_INT && !c->valid) {
            const int64_t *v = LL_I64(c);
            for (int64_t i = 0; i < n; i++) {
                sum[group[i]] += (double)v[i];
                cnt[group[i]]++;
            }
        } else {
            for (int64_t i = 0; i < n; i++) {
                double x = ll_col_num(c, i);
                if (x != x)
                    continue;
                sum[group[i]] += x;
                cnt[group[i]]++;
            }
        }
        double *o = LL_F64(r);
        if (fn[0] == 's' && fn[1] == 'u') {
            memcpy(o, sum, (size_t)ng * sizeof *o);
        } else if (fn[0] == 'm') {
            for (int64_t g = 0; g < ng; g++)
                o[g] = cnt[g] ? sum[g] / (double)cnt[g] : LL_NAN;
        } else {
            /* second pass around the group means: numerically stable */
            double *ss = calloc((size_t)ng + 1, sizeof *ss);
            if (!ss) {
                free(sum);
                free(cnt);
                ll_col_unref(r);
                return NULL;
            }
            for (int64_t i = 0; i < n; i++) {
                double x = ll_col_num(c, i);
                if (x != x)
                    continue;
                double d = x - sum[group[i]] / (double)cnt[group[i]];
                ss[group[i]] += d * d;
            }
            for (int64_t g = 0; g < ng; g++) {
                double var = cnt[g] > 1 ? ss[g] / (double)(cnt[g] - 1) : LL_NAN;
                o[g] = fn[0] == 's' ? sqrt(var) : var;
            }
            free(ss);
        }
        for (int64_t g = 0; g < ng; g++)
            if (o[g] != o[g])
                ll_col_set_na(r, g);
        free(sum);
        free(cnt);
        return r;
    }
    if (!strcmp(fn, "median") || !strcmp(fn, "nunique")) {
        int med = fn[0] == 'm';
        r = ll_col_new(med ? LL_FLOAT : LL_INT, ng, err);
        double *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
        if (!r || !tmp) {
            ll_col_unref(r);
            free(tmp);
            ll_err_oom(err);
            return NULL;
        }
        for (int64_t g = 0; g < ng; g++) {
            int64_t k = 0;
            if (str) {
                ll_strhash h;
                if (ll_strhash_init(&h, 16)) {
                    free(tmp);
                    ll_col_unref(r);
                    return NULL;
                }
                for (int64_t p = start[g]; p < start[g + 1]; p++) {
                    int64_t i = order[p];
                    if (ll_col_isna(c, i))
                        continue;
                    size_t len;
                    const char *s = ll_col_str(c, i, &len);
                    ll_strhash_put(&h, s, len);
                }
                LL_I64(r)[g] = h.count;
                ll_strhash_free(&h);
                continue;
            }
            for (int64_t p = start[g]; p < start[g + 1]; p++) {
                double x = ll_col_num(c, order[p]);
                if (x == x)
                    tmp[k++] = x;
            }
            qsort(tmp, (size_t)k, sizeof *tmp, cmp_dbl);
            if (med) {
                if (k == 0)
                    ll_col_set_na(r, g);
                else
                    LL_F64(r)[g] = ll_quantile_sorted(tmp, k, 0.5);
            } else {
                int64_t u = 0;
                for (int64_t q = 0; q < k; q++)
                    u += q == 0 || tmp[q] != tmp[q - 1];
                LL_I64(r)[g] = u;
            }
        }
        free(tmp);
        return r;
    }
    ll_err_set(err, LL_EINVAL, "unknown aggregation '%s'", fn);
    return NULL;
}

static int needs_order(const ll_agg *aggs, int naggs)
{
    for (int a = 0; a < naggs; a++)
        if (!strcmp(aggs[a].fn, "median") || !strcmp(aggs[a].fn, "nunique"))
            return 1;
    return 0;
}

ll_frame *ll_frame_groupby(const ll_frame *f, const char *const *keys,
                           int nkeys, const ll_agg *aggs, int naggs,
                           ll_err *err)
{
    int keycols[16];
    if (nkeys < 1 || nkeys > 16) {
        ll_err_set(err, LL_EINVAL, "groupby: 1 to 16 keys, got %d", nkeys);
        return NULL;
    }
    for (int k = 0; k < nkeys; k++) {
        keycols[k] = ll_frame_col(f, keys[k], err);
        if (keycols[k] < 0) {
            ll_err_prefix(err, "groupby");
            return NULL;
        }
    }
    int *aggcols = malloc(sizeof(int) * (size_t)(naggs + 1));
    if (!aggcols) {
        ll_err_oom(err);
        return NULL;
    }
    for (int a = 0; a < naggs; a++) {
        aggcols[a] = ll_frame_col(f, aggs[a].col, err);
        if (aggcols[a] < 0) {
            ll_err_prefix(err, "agg");
            free(aggcols);
            return NULL;
        }
    }
    int64_t *group = NULL, *first = NULL, *order = NULL, *start = NULL;
    int64_t ng;
    ll_frame *r = NULL, *sorted = NULL;
    if (ll_group_rows(f, keycols, nkeys, &group, &ng, &first, err))
        goto done;
    if (needs_order(aggs, naggs) &&
        group_order(group, f->nrow, ng, &order, &start)) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    r = ll_frame_new(err);
    if (!r)
        goto done;
    for (int k = 0; k < nkeys; k++) {
        ll_column *c = ll_col_take(f->cols[keycols[k]], first, ng, err);
        if (!c || ll_frame_set(r, keys[k], c, err)) {
            ll_col_unref(c);
            goto fail;
        }
        ll_col_unref(c);
    }
    for (int a = 0; a < naggs; a++) {
        ll_column *c = aggregate(f->cols[aggcols[a]], aggs[a].fn, group, ng,
                                 order, start, err);
        if (!c) {
            ll_err_prefix(err, "agg '%s'", aggs[a].col);
            goto fail;
        }
        if (ll_frame_set(r, aggs[a].out, c, err)) {
            ll_col_unref(c);
            goto fail;
        }
        ll_col_unref(c);
    }
    sorted = ll_frame_sort(r, keys, NULL, nkeys, err);
    ll_frame_free(r);
    r = sorted;
    goto done;
fail:
    ll_frame_free(r);
    r = NULL;
done:
    if (!r && err && !err->code)
        ll_err_set(err, LL_ENOMEM, "out of memory");
    free(aggcols);
    free(group);
    free(first);
    free(order);
    free(start);
    return r;
}

/* f without the rows where a key is NA (or NaN); NULL with err set when a
 * key is unknown or memory runs out. */
static ll_frame *drop_na_keys(const ll_frame *f, const char *const *keys,
                              int nkeys, const char *what, ll_err *err)
{
    ll_column *mask = ll_col_new(LL_BOOL, f->nrow, err);
    if (!mask)
        return NULL;
    memset(mask->data, 1, (size_t)f->nrow);
    for (int k = 0; k < nkeys; k++) {
        int j = ll_frame_col(f, keys[k], err);
        if (j < 0) {
            ll_err_prefix(err, "%s", what);
            ll_col_unref(mask);
            return NULL;
        }
        const ll_column *c = f->cols[j];
        for (int64_t i = 0; i < f->nrow; i++)
            if (ll_col_isna(c, i) ||
                (c->type == LL_FLOAT && isnan(LL_F64(c)[i])))
                LL_U8(mask)[i] = 0;
    }
    ll_frame *r = ll_frame_filter(f, mask, err);
    ll_col_unref(mask);
    return r;
}

ll_frame *ll_frame_groupby_opt(const ll_frame *f, const char *const *keys,
                               int nkeys, const ll_agg *aggs, int naggs,
                               int dropna, ll_err *err)
{
    int any_na = 0;
    for (int k = 0; k < nkeys && dropna && !any_na && nkeys <= 16; k++) {
        int j = ll_frame_find(f, keys[k]);
        if (j < 0)
            break; /* ll_frame_groupby names it */
        const ll_column *c = f->cols[j];
        any_na = c->null_count > 0;
        for (int64_t i = 0; c->type == LL_FLOAT && !any_na && i < c->len; i++)
            any_na = isnan(LL_F64(c)[i]);
    }
    if (!any_na)
        return ll_frame_groupby(f, keys, nkeys, aggs, naggs, err);
    ll_frame *kept = drop_na_keys(f, keys, nkeys, "groupby", err);
    if (!kept)
        return NULL;
    ll_frame *r = ll_frame_groupby(kept, keys, nkeys, aggs, naggs, err);
    ll_frame_free(kept);
    return r;
}

ll_frame *ll_frame_value_counts(const ll_frame *f, const char *const *keys,
                                int nkeys, ll_err *err)
{
    return ll_frame_value_counts_opt(f, keys, nkeys, 0, err);
}

ll_frame *ll_frame_value_counts_opt(const ll_frame *f, const char *const *keys,
                                    int nkeys, int dropna, ll_err *err)
{
    if (nkeys < 1) {
        ll_err_set(err, LL_EINVAL, "value_counts: no columns");
        return NULL;
    }
    ll_agg agg = {"count", keys[0], "size"};
    ll_frame *g = ll_frame_groupby_opt(f, keys, nkeys, &agg, 1, dropna, err);
    if (!g)
        return NULL;
    const char *cnt = "count";
    int desc = 1;
    ll_frame *r = ll_frame_sort(g, &cnt, &desc, 1, err);
    ll_frame_free(g);
    return r;
}

ll_frame *ll_frame_unique(const ll_frame *f, const char *const *keys, int nkeys,
                          ll_err *err)
{
    int keycols[16];
    if (nkeys < 1 || nkeys > 16) {
        ll_err_set(err, LL_EINVAL, "unique: 1 to 16 columns, got %d", nkeys);
        return NULL;
    }
    for (int k = 0; k < nkeys; k++) {
        keycols[k] = ll_frame_col(f, keys[k], err);
        if (keycols[k] < 0)
            return NULL;
    }
    int64_t *group, *first, ng;
    if (ll_group_rows(f, keycols, nkeys, &group, &ng, &first, err))
        return NULL;
    free(group);
    ll_frame *sel = ll_frame_select(f, keys, nkeys, err);
    ll_frame *r = sel ? ll_frame_take(sel, first, ng, err) : NULL;
    ll_frame_free(sel);
    free(first);
    return r;
}
