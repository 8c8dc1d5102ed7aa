/*
 * reshape: pandas' frame verbs that change a frame's shape or summarise
 * it as a matrix -- melt, pivot, pivot_table, corr, cov -- and the row
 * pickers sample, nlargest, nsmallest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/frame.h"
#include "frame/frame_int.h"
#include "util/rng.h"

static void *nomem(ll_err *err)
{
    if (err && !err->code)
        ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

/* f with one more column; the reference to c is given up either way. */
static int put(ll_frame *f, const char *name, ll_column *c, ll_err *err)
{
    if (!c)
        return err && err->code ? err->code
                                : ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = ll_frame_set(f, name, c, err);
    ll_col_unref(c);
    return rc;
}

/* --- melt --- */

ll_frame *ll_frame_melt(const ll_frame *f, const char *const *ids, int nids,
                        const char *const *vals, int nvals,
                        const char *var_name, const char *value_name,
                        ll_err *err)
{
    int *idc = malloc(sizeof(int) * (size_t)(nids + 1));
    int *vc = malloc(sizeof(int) * (size_t)(f->ncol + nvals + 1));
    int64_t *idx = NULL;
    ll_frame *r = NULL;
    ll_column *value = NULL;
    if (!idc || !vc)
        goto oom;
    for (int k = 0; k < nids; k++)
        if ((idc[k] = ll_frame_col(f, ids[k], err)) < 0) {
            ll_err_prefix(err, "melt: id_vars");
            goto fail;
        }
    int nv = 0;
    if (nvals > 0) {
        for (int k = 0; k < nvals; k++)
            if ((vc[nv++] = ll_frame_col(f, vals[k], err)) < 0) {
                ll_err_prefix(err, "melt: value_vars");
                goto fail;
            }
    } else {
        for (int j = 0; j < f->ncol; j++) {
            int is_id = 0;
            for (int k = 0; k < nids; k++)
                is_id |= idc[k] == j;
            if (!is_id)
                vc[nv++] = j;
        }
    }
    if (nv == 0) {
        ll_err_set(err, LL_EINVAL, "melt: no value columns");
        goto fail;
    }
    int64_t n = f->nrow, total = n * nv;
    idx = malloc(sizeof(int64_t) * (size_t)(total + 1));
    if (!idx)
        goto oom;
    for (int64_t i = 0; i < total; i++)
        idx[i] = i % (n ? n : 1);
    r = ll_frame_new(err);
    if (!r)
        goto oom;
    for (int k = 0; k < nids; k++)
        if (put(r, f->names[idc[k]],
                ll_col_take(f->cols[idc[k]], idx, total, err), err))
            goto fail;
    ll_strbuilder sb;
    ll_sb_init(&sb);
    for (int v = 0; v < nv; v++)
        for (int64_t i = 0; i < n; i++)
            if (ll_sb_push(&sb, f->names[vc[v]], strlen(f->names[vc[v]]))) {
                ll_sb_free(&sb);
                goto oom;
            }
    if (put(r, var_name, ll_sb_finish(&sb, err), err))
        goto fail;
    /* the values: one column after the other, widened as concat does
     * (int + float = float); kinds that do not mix become text */
    value = ll_col_ref(f->cols[vc[0]]);
    for (int v = 1; v < nv && value; v++) {
        ll_err e2;
        ll_err_clear(&e2);
        ll_column *next = ll_col_concat(value, f->cols[vc[v]], &e2);
        if (!next && e2.code != LL_ENOMEM) {
            ll_column *a = ll_col_cast(value, LL_STR, err);
            ll_column *b = ll_col_cast(f->cols[vc[v]], LL_STR, err);
            next = a && b ? ll_col_concat(a, b, err) : NULL;
            ll_col_unref(a);
            ll_col_unref(b);
        }
        ll_col_unref(value);
        value = next;
    }
    if (put(r, value_name, value, err)) {
        value = NULL;
        goto fail;
    }
    value = NULL;
    goto done;
oom:
    nomem(err);
fail:
    ll_frame_free(r);
    r = NULL;
done:
    free(idc);
    free(vc);
    free(idx);
    return r;
}

/* --- pivot --- */

/* Distinct values of column col (rows with NA left out): *rank gets each
 * row's position among the sorted distinct values (-1 for NA), *first the
 * first row of each, in sorted order; returns their number or -1. */
static int64_t sorted_keys(const ll_frame *f, int col, int64_t **rank,
                           int64_t **first, ll_err *err)
{
    int64_t *group = NULL, *gfirst = NULL, *perm = NULL, *pos = NULL, ng;
    ll_frame *k = NULL;
    *rank = NULL;
    *first = NULL;
    if (ll_group_rows(f, &col, 1, &group, &ng, &gfirst, err))
        return -1;
    k = ll_frame_new(err);
    if (!k || put(k, "k", ll_col_take(f->cols[col], gfirst, ng, err), err))
        goto fail;
    int zero = 0;
    if (ll_frame_order(k, &zero, NULL, 1, &perm, err))
        goto fail;
    pos = malloc(sizeof(int64_t) * (size_t)(ng + 1));
    *first = malloc(sizeof(int64_t) * (size_t)(ng + 1));
    if (!pos || !*first)
        goto fail;
    /* NA sorts last and is left out */
    int64_t nk = 0;
    for (int64_t p = 0; p < ng; p++) {
        int64_t g = perm[p];
        if (ll_col_isna(k->cols[0], g) ||
            (k->cols[0]->type == LL_FLOAT && isnan(LL_F64(k->cols[0])[g]))) {
            pos[g] = -1;
            continue;
        }
        pos[g] = nk;
        (*first)[nk++] = gfirst[g];
    }
    for (int64_t i = 0; i < f->nrow; i++)
        group[i] = pos[group[i]];
    *rank = group;
    free(gfirst);
    free(perm);
    free(pos);
    ll_frame_free(k);
    return nk;
fail:
    nomem(err);
    free(group);
    free(gfirst);
    free(perm);
    free(pos);
    free(*first);
    *first = NULL;
    ll_frame_free(k);
    return -1;
}

ll_frame *ll_frame_pivot(const ll_frame *f, const char *index,
                         const char *columns, const char *values, ll_err *err)
{
    int ic = ll_frame_col(f, index, err), cc = -1, vc = -1;
    if (ic < 0 || (cc = ll_frame_col(f, columns, err)) < 0 ||
        (vc = ll_frame_col(f, values, err)) < 0) {
        ll_err_prefix(err, "pivot");
        return NULL;
    }
    if (ic == cc || vc == ic || vc == cc) {
        ll_err_set(err, LL_EINVAL,
                   "pivot: index, columns and values must be three different "
                   "columns");
        return NULL;
    }
    int64_t *ri = NULL, *fi = NULL, *rc = NULL, *fc = NULL, *cell = NULL;
    ll_frame *r = NULL;
    int64_t ni = sorted_keys(f, ic, &ri, &fi, err);
    int64_t nc = ni < 0 ? -1 : sorted_keys(f, cc, &rc, &fc, err);
    if (nc < 0)
        goto fail;
    if (nc > 100000) {
        ll_err_set(err, LL_ERANGE,
                   "pivot: column '%s' has %lld distinct values (at most "
                   "100000 columns)",
                   columns, (long long)nc);
        goto fail;
    }
    cell = malloc(sizeof(int64_t) * (size_t)(ni * nc + 1));
    if (!cell)
        goto oom;
    for (int64_t k = 0; k < ni * nc; k++)
        cell[k] = -1;
    for (int64_t i = 0; i < f->nrow; i++) {
        if (ri[i] < 0 || rc[i] < 0)
            continue;
        int64_t *at = &cell[rc[i] * ni + ri[i]];
        if (*at >= 0) {
            ll_buf a, b;
            ll_buf_init(&a);
            ll_buf_init(&b);
            ll_col_format(f->cols[ic], i, &a);
            ll_col_format(f->cols[cc], i, &b);
            ll_err_set(err, LL_EINVAL,
                       "pivot: index '%s' and column '%s' appear together "
                       "twice (use pivot_table to aggregate)",
                       a.len ? ll_buf_str(&a) : "",
                       b.len ? ll_buf_str(&b) : "");
            ll_buf_free(&a);
            ll_buf_free(&b);
            goto fail;
        }
        *at = i;
    }
    r = ll_frame_new(err);
    if (!r || put(r, index, ll_col_take(f->cols[ic], fi, ni, err), err))
        goto oom;
    ll_buf name;
    ll_buf_init(&name);
    for (int64_t c = 0; c < nc; c++) {
        name.len = 0;
        if (ll_col_format(f->cols[cc], fc[c], &name) ||
            put(r, ll_buf_str(&name),
                ll_col_take(f->cols[vc], cell + c * ni, ni, err), err)) {
            ll_buf_free(&name);
            goto oom;
        }
    }
    ll_buf_free(&name);
    goto done;
oom:
    nomem(err);
fail:
    ll_frame_free(r);
    r = NULL;
done:
    free(ri);
    free(fi);
    free(rc);
    free(fc);
    free(cell);
    return r;
}

ll_frame *ll_frame_pivot_table(const ll_frame *f, const char *index,
                               const char *columns, const char *values,
                               const char *aggfunc, ll_err *err)
{
    const char *keys[2] = {index, columns};
    ll_agg agg = {values, values, aggfunc};
    if (!strcmp(values, index) || !strcmp(values, columns) ||
        !strcmp(index, columns)) {
        ll_err_set(err, LL_EINVAL,
                   "pivot_table: index, columns and values must be three "
                   "different columns");
        return NULL;
    }
    ll_frame *g = ll_frame_groupby_opt(f, keys, 2, &agg, 1, 1, err);
    if (!g) {
        if (err && strncmp(err->msg, "pivot_table", 11))
            ll_err_prefix(err, "pivot_table");
        return NULL;
    }
    ll_frame *r = ll_frame_pivot(g, index, columns, values, err);
    ll_frame_free(g);
    return r;
}

/* --- corr, cov --- */

ll_frame *ll_frame_corr(const ll_frame *f, int corr, ll_err *err)
{
    int *nc = malloc(sizeof(int) * (size_t)(f->ncol + 1));
    if (!nc)
        return nomem(err);
    int m = 0;
    for (int j = 0; j < f->ncol; j++) {
        ll_dtype t = f->cols[j]->type;
        if (t == LL_INT || t == LL_FLOAT || t == LL_BOOL)
            nc[m++] = j;
    }
    ll_frame *r = NULL;
    double *out = malloc(sizeof(double) * (size_t)(m * m + 1));
    if (!out)
        goto oom;
    for (int a = 0; a < m; a++)
        for (int b = a; b < m; b++) {
            const ll_column *x = f->cols[nc[a]], *y = f->cols[nc[b]];
            /* pairwise complete rows, two passes (means, then sums) */
            double sx = 0, sy = 0;
            int64_t n = 0;
            for (int64_t i = 0; i < f->nrow; i++) {
                double u = ll_col_num(x, i), v = ll_col_num(y, i);
                if (isnan(u) || isnan(v))
                    continue;
                sx += u;
                sy += v;
                n++;
            }
            double mx = sx / (double)n, my = sy / (double)n;
            double sxx = 0, syy = 0, sxy = 0;
            for (int64_t i = 0; i < f->nrow; i++) {
                double u = ll_col_num(x, i), v = ll_col_num(y, i);
                if (isnan(u) || isnan(v))
                    continue;
                sxx += (u - mx) * (u - mx);
                syy += (v - my) * (v - my);
                sxy += (u - mx) * (v - my);
            }
            double val;
            if (corr) {
                val = n < 2 ? LL_NAN : sxy / sqrt(sxx * syy);
                if (a == b && n >= 2 && sxx > 0)
                    val = 1.0;
                if (val > 1)
                    val = 1;
                if (val < -1)
                    val = -1;
            } else {
                val = n < 2 ? LL_NAN : sxy / (double)(n - 1);
            }
            out[a * m + b] = out[b * m + a] = val;
        }
    r = ll_frame_new(err);
    if (!r)
        goto oom;
    ll_strbuilder sb;
    ll_sb_init(&sb);
    for (int a = 0; a < m; a++)
        if (ll_sb_push(&sb, f->names[nc[a]], strlen(f->names[nc[a]]))) {
            ll_sb_free(&sb);
            goto oom;
        }
    if (put(r, "column", ll_sb_finish(&sb, err), err))
        goto fail;
    for (int b = 0; b < m; b++) {
        ll_column *c = ll_col_new(LL_FLOAT, m, err);
        if (!c)
            goto oom;
        for (int a = 0; a < m; a++) {
            LL_F64(c)[a] = out[a * m + b];
            if (isnan(out[a * m + b]) && ll_col_set_na(c, a)) {
                ll_col_unref(c);
                goto oom;
            }
        }
        if (put(r, f->names[nc[b]], c, err))
            goto fail;
    }
    goto done;
oom:
    nomem(err);
fail:
    ll_frame_free(r);
    r = NULL;
done:
    free(nc);
    free(out);
    return r;
}

/* --- sample, nlargest, nsmallest --- */

ll_frame *ll_frame_sample(const ll_frame *f, int64_t n, double frac,
                          int replace, uint64_t seed, ll_err *err)
{
    if (n < 0) {
        if (!(frac >= 0) || (!replace && frac > 1)) {
            ll_err_set(err, LL_EINVAL,
                       "sample: frac must be in [0, 1] without replace, got "
                       "%g",
                       frac);
            return NULL;
        }
        n = (int64_t)llround(frac * (double)f->nrow);
    }
    if (!replace && n > f->nrow) {
        ll_err_set(err, LL_EINVAL,
                   "sample: n = %lld is more than the %lld rows (give "
                   "replace = true)",
                   (long long)n, (long long)f->nrow);
        return NULL;
    }
    if (replace && n > 0 && f->nrow == 0) {
        ll_err_set(err, LL_EINVAL, "sample: no rows to draw from");
        return NULL;
    }
    int64_t m = replace ? n : f->nrow;
    int64_t *p = malloc(sizeof(int64_t) * (size_t)(m + 1));
    if (!p)
        return nomem(err);
    uint64_t s = seed;
    if (replace) {
        for (int64_t i = 0; i < n; i++)
            p[i] = (int64_t)(ll_splitmix64(&s) % (uint64_t)f->nrow);
    } else {
        for (int64_t i = 0; i < m; i++)
            p[i] = i;
        for (int64_t i = 0; i < n; i++) { /* partial Fisher-Yates */
            int64_t j = i + (int64_t)(ll_splitmix64(&s) % (uint64_t)(m - i));
            int64_t t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
    }
    ll_frame *r = ll_frame_take(f, p, n, err);
    free(p);
    return r;
}

ll_frame *ll_frame_nlargest(const ll_frame *f, int64_t n,
                            const char *const *cols, int ncols, int largest,
                            ll_err *err)
{
    if (ncols < 1 || ncols > 16) {
        ll_err_set(err, LL_EINVAL, "%s: 1 to 16 columns, got %d",
                   largest ? "nlargest" : "nsmallest", ncols);
        return NULL;
    }
    int keys[16], desc[16];
    for (int k = 0; k < ncols; k++) {
        if ((keys[k] = ll_frame_col(f, cols[k], err)) < 0) {
            ll_err_prefix(err, "%s", largest ? "nlargest" : "nsmallest");
            return NULL;
        }
        ll_dtype t = f->cols[keys[k]]->type;
        if (t == LL_STR || t == LL_CAT) {
            ll_err_set(err, LL_EINVAL, "%s: column '%s' is %s, not numeric",
                       largest ? "nlargest" : "nsmallest", cols[k],
                       ll_dtype_name(t));
            return NULL;
        }
        desc[k] = largest;
    }
    int64_t *perm;
    if (ll_frame_order(f, keys, desc, ncols, &perm, err))
        return NULL;
    /* NA sorts last: keep the first n rows whose first key is present */
    int64_t m = 0;
    const ll_column *c0 = f->cols[keys[0]];
    for (int64_t p = 0; p < f->nrow && m < n; p++) {
        int64_t i = perm[p];
        if (ll_col_isna(c0, i) ||
            (c0->type == LL_FLOAT && isnan(LL_F64(c0)[i])))
            continue;
        perm[m++] = i;
    }
    ll_frame *r = ll_frame_take(f, perm, m, err);
    free(perm);
    return r;
}
