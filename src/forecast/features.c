/*
 * features: from a long table to checked, sorted, gap-filled series, and
 * the engineered features of the pooled regression models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "util/buf.h"
#include "util/calendar.h"

ll_aml_table *ll_aml_table_ref(ll_aml_table *t)
{
    t->refs++;
    return t;
}

/* Free the n strings of v and v (NULL is fine). */
static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void ll_aml_table_free(ll_aml_table *t)
{
    if (!t || --t->refs > 0)
        return;
    free(t->target);
    free(t->time);
    for (int c = 0; c < t->nseries_cols; c++)
        free(t->series_cols[c]);
    free(t->series_cols);
    for (size_t s = 0; s < t->nseries; s++) {
        free(t->keys[s]);
        if (t->key_parts)
            free_strs(t->key_parts[s], (size_t)t->nseries_cols);
    }
    free(t->keys);
    free(t->key_parts);
    free(t->key_is_num);
    free(t->off);
    free(t->len);
    free(t->y);
    free(t->t);
    for (size_t j = 0; j < t->nreg; j++) {
        free(t->reg_names[j]);
        if (t->reg_levels)
            free_strs(t->reg_levels[j], t->reg_nlevels[j]);
    }
    free(t->reg_names);
    free(t->reg_levels);
    free(t->reg_nlevels);
    free(t->x);
    free(t);
}

/* The value of row i of c formatted into a new string. */
static char *cell_str(const ll_column *c, int64_t i)
{
    ll_buf b;
    ll_buf_init(&b);
    if (ll_col_format(c, i, &b)) {
        ll_buf_free(&b);
        return NULL;
    }
    return ll_buf_take(&b);
}

/* Time of row i as a number, or LL_NAN when missing or unparseable. */
static double time_value(const ll_column *c, int kind, int64_t i)
{
    if (ll_col_isna(c, i))
        return LL_NAN;
    switch (c->type) {
    case LL_DATE:
        return (double)LL_I32(c)[i];
    case LL_DATETIME:
        return (double)LL_I64(c)[i];
    case LL_INT:
        return (double)LL_I64(c)[i];
    case LL_FLOAT: {
        double v = LL_F64(c)[i];
        return v == floor(v) ? v : LL_NAN;
    }
    case LL_STR:
    case LL_CAT: {
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        if (kind == LL_AML_TIME_DATE) {
            int32_t d;
            return ll_parse_date(s, n, &d) ? (double)d : LL_NAN;
        }
        int64_t ms;
        return ll_parse_datetime(s, n, &ms) ? (double)ms : LL_NAN;
    }
    default:
        return LL_NAN;
    }
}

typedef struct rowkey {
    size_t series;
    double t;
    int64_t row;
} rowkey;

static int cmp_rowkey(const void *a, const void *b)
{
    const rowkey *x = a, *y = b;
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regressor j of t at row of col: the number, the index of a category
 * among its levels, or NaN when missing or an unknown category. */
static double reg_value(const ll_aml_table *t, size_t j, const ll_column *col,
                        int64_t row)
{
    if (ll_col_isna(col, row))
        return LL_NAN;
    if (!t->reg_levels[j])
        return ll_col_num(col, row);
    char *cs = cell_str(col, row);
    char **hit = cs ? bsearch(&cs, t->reg_levels[j], t->reg_nlevels[j],
                              sizeof(char *), cmp_str)
                    : NULL;
    free(cs);
    return hit ? (double)(hit - t->reg_levels[j]) : LL_NAN;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Months since year 0 of day z (for monthly stepping). */
static int64_t month_index(double z)
{
    int64_t y;
    unsigned m, d;
    ll_civil_from_days((int64_t)floor(z), &y, &m, &d);
    return y * 12 + (int64_t)m - 1;
}

static double add_months(double z, int64_t k)
{
    int64_t y;
    unsigned m, d;
    ll_civil_from_days((int64_t)floor(z), &y, &m, &d);
    int64_t mi = y * 12 + (int64_t)m - 1 + k;
    int64_t ny = mi >= 0 ? mi / 12 : (mi - 11) / 12;
    unsigned nm = (unsigned)(mi - ny * 12) + 1;
    /* Clamp the day to the month's length. */
    unsigned nd = d;
    while (nd > 28) {
        int64_t z2 = ll_days_from_civil(ny, nm, nd);
        int64_t yy;
        unsigned mm, dd;
        ll_civil_from_days(z2, &yy, &mm, &dd);
        if (mm == nm)
            break;
        nd--;
    }
    return (double)ll_days_from_civil(ny, nm, nd);
}

void ll_aml_table_fmt_time(const ll_aml_table *t, double v, char *out,
                           size_t cap)
{
    if (t->time_kind == LL_AML_TIME_DATE)
        ll_format_date((int32_t)v, out, cap);
    else if (t->time_kind == LL_AML_TIME_DATETIME)
        ll_format_datetime((int64_t)v, out, cap);
    else
        snprintf(out, cap, "%.0f", v);
}

double ll_aml_table_future_time(const ll_aml_table *t, size_t s, size_t k)
{
    double last = t->t[t->off[s] + t->len[s] - 1];
    if (t->monthly)
        return add_months(last, (int64_t)k * t->monthly);
    return last + (double)k * t->step;
}

/* Steps between a and b (b > a) on the table's grid, or -1 off the grid. */
static long grid_steps(const ll_aml_table *t, double a, double b)
{
    if (t->monthly) {
        int64_t d = month_index(b) - month_index(a);
        if (d % t->monthly)
            return -1;
        return (long)(d / t->monthly);
    }
    double k = (b - a) / t->step;
    if (fabs(k - round(k)) > 1e-9)
        return -1;
    return (long)llround(k);
}

int ll_aml_table_from_frame(const ll_frame *f, const ll_aml_table_opts *o,
                            ll_aml_table **out, ll_err *err)
{
    *out = NULL;
    if (!f || f->nrow == 0 || f->ncol == 0)
        return ll_err_set(err, LL_EINVAL, "the table is empty");
    if (!o->target || !o->time)
        return ll_err_set(err, LL_EINVAL, "target and time are required");
    int ci_y = ll_frame_find(f, o->target);
    if (ci_y < 0)
        return ll_err_set(err, LL_ENOTFOUND, "target column '%s' not found",
                          o->target);
    const ll_column *cy = f->cols[ci_y];
    if (!ll_col_is_numeric(cy) || cy->type == LL_DATE ||
        cy->type == LL_DATETIME)
        return ll_err_set(err, LL_EINVAL,
                          "target column '%s' is not numeric (%s)", o->target,
                          ll_dtype_name(cy->type));
    int ci_t = ll_frame_find(f, o->time);
    if (ci_t < 0)
        return ll_err_set(err, LL_ENOTFOUND, "time column '%s' not found",
                          o->time);
    if (ci_t == ci_y)
        return ll_err_set(err, LL_EINVAL,
                          "the time column cannot be the target");
    const ll_column *ct = f->cols[ci_t];
    int kind;
    switch (ct->type) {
    case LL_DATE:
        kind = LL_AML_TIME_DATE;
        break;
    case LL_DATETIME:
        kind = LL_AML_TIME_DATETIME;
        break;
    case LL_INT:
    case LL_FLOAT:
        kind = LL_AML_TIME_INT;
        break;
    case LL_STR:
    case LL_CAT: {
        /* Dates when the first value parses as one, else date-times. */
        size_t n;
        const char *s = NULL;
        int32_t d;
        for (int64_t i = 0; i < f->nrow && !s; i++)
            if (!ll_col_isna(ct, i))
                s = ll_col_str(ct, i, &n);
        kind = s && ll_parse_date(s, n, &d) ? LL_AML_TIME_DATE
                                            : LL_AML_TIME_DATETIME;
        break;
    }
    default:
        return ll_err_set(err, LL_EINVAL,
                          "time column '%s' is neither a date nor an integer "
                          "(%s)",
                          o->time, ll_dtype_name(ct->type));
    }
    int *sc = calloc((size_t)o->nseries + 1, sizeof *sc);
    uint8_t *used = calloc((size_t)f->ncol, 1);
    ll_aml_table *t = calloc(1, sizeof *t);
    rowkey *rk = malloc((size_t)f->nrow * sizeof *rk);
    char **rowkeys = calloc((size_t)f->nrow, sizeof *rowkeys);
    int rc = LL_ENOMEM;
    if (!sc || !used || !t || !rk || !rowkeys)
        goto fail;
    t->refs = 1;
    t->time_kind = kind;
    t->target = ll_strdup(o->target);
    t->time = ll_strdup(o->time);
    if (!t->target || !t->time)
        goto fail;
    used[ci_y] = used[ci_t] = 1;
    t->series_cols = calloc((size_t)o->nseries + 1, sizeof *t->series_cols);
    t->key_is_num = calloc((size_t)o->nseries + 1, sizeof *t->key_is_num);
    if (!t->series_cols || !t->key_is_num)
        goto fail;
    for (int c = 0; c < o->nseries; c++) {
        sc[c] = ll_frame_find(f, o->series[c]);
        if (sc[c] < 0) {
            rc = ll_err_set(err, LL_ENOTFOUND, "series column '%s' not found",
                            o->series[c]);
            goto fail;
        }
        if (sc[c] == ci_y || sc[c] == ci_t) {
            rc = ll_err_set(err, LL_EINVAL,
                            "series column '%s' is the target or time",
                            o->series[c]);
            goto fail;
        }
        used[sc[c]] = 1;
        t->series_cols[c] = ll_strdup(o->series[c]);
        if (!t->series_cols[c])
            goto fail;
        t->nseries_cols++;
        const ll_column *k = f->cols[sc[c]];
        t->key_is_num[c] =
            k->type == LL_INT || k->type == LL_FLOAT || k->type == LL_BOOL;
    }
    for (int e = 0; e < o->nexclude; e++) {
        int ci = ll_frame_find(f, o->exclude[e]);
        if (ci < 0) {
            rc = ll_err_set(err, LL_ENOTFOUND, "excluded column '%s' not found",
                            o->exclude[e]);
            goto fail;
        }
        if (ci == ci_y || ci == ci_t) {
            rc = ll_err_set(err, LL_EINVAL,
                            "cannot exclude the target or time column '%s'",
                            o->exclude[e]);
            goto fail;
        }
        used[ci] = 2;
    }

    /* Series keys, in order of first appearance. */
    {
        ll_buf b;
        ll_buf_init(&b);
        size_t cap = 16;
        t->keys = calloc(cap, sizeof *t->keys);
        if (!t->keys)
            goto fail;
        for (int64_t i = 0; i < f->nrow; i++) {
            ll_buf_reset(&b);
            for (int c = 0; c < o->nseries; c++) {
                if (c && ll_buf_putc(&b, '|'))
                    goto keyfail;
                if (ll_col_format(f->cols[sc[c]], i, &b))
                    goto keyfail;
            }
            if (ll_buf_putc(&b, 0) || !(rowkeys[i] = ll_strdup(b.data)))
                goto keyfail;
        }
        ll_buf_free(&b);
        goto keysdone;
    keyfail:
        ll_buf_free(&b);
        goto fail;
    }
keysdone : {
    /* Map rows to series ids: sort (key, row) pairs. */
    int64_t *perm = malloc((size_t)f->nrow * sizeof *perm);
    if (!perm)
        goto fail;
    for (int64_t i = 0; i < f->nrow; i++)
        perm[i] = i;
    /* Insertion through a sorted array of distinct keys. */
    char **sorted = malloc((size_t)f->nrow * sizeof *sorted);
    if (!sorted) {
        free(perm);
        goto fail;
    }
    for (int64_t i = 0; i < f->nrow; i++)
        sorted[i] = rowkeys[i];
    qsort(sorted, (size_t)f->nrow, sizeof *sorted, cmp_str);
    size_t nd = 0;
    for (int64_t i = 0; i < f->nrow; i++)
        if (nd == 0 || strcmp(sorted[nd - 1], sorted[i]))
            sorted[nd++] = sorted[i];
    /* First appearance order. */
    size_t *first = malloc(nd * sizeof *first);
    size_t *rank = malloc(nd * sizeof *rank);
    if (!first || !rank) {
        free(first);
        free(rank);
        free(sorted);
        free(perm);
        goto fail;
    }
    for (size_t d = 0; d < nd; d++)
        first[d] = SIZE_MAX;
    for (int64_t i = 0; i < f->nrow; i++) {
        char **hit = bsearch(&rowkeys[i], sorted, nd, sizeof *sorted, cmp_str);
        size_t d = (size_t)(hit - sorted);
        if (first[d] == SIZE_MAX)
            first[d] = (size_t)i;
        rk[i].series = d;
    }
    /* rank[d]: position of distinct key d by first appearance. */
    for (size_t d = 0; d < nd; d++) {
        size_t r = 0;
        for (size_t e = 0; e < nd; e++)
            if (first[e] < first[d])
                r++;
        rank[d] = r;
    }
    t->nseries = nd;
    free(t->keys);
    t->keys = calloc(nd, sizeof *t->keys);
    t->key_parts = calloc(nd, sizeof *t->key_parts);
    if (!t->keys || !t->key_parts) {
        free(first);
        free(rank);
        free(sorted);
        free(perm);
        goto fail;
    }
    int bad = 0;
    for (size_t d = 0; d < nd; d++) {
        size_t r = rank[d];
        t->keys[r] = ll_strdup(sorted[d]);
        t->key_parts[r] = calloc((size_t)o->nseries + 1, sizeof(char *));
        if (!t->keys[r] || !t->key_parts[r])
            bad = 1;
        else
            for (int c = 0; c < o->nseries; c++)
                if (!(t->key_parts[r][c] =
                          cell_str(f->cols[sc[c]], (int64_t)first[d])))
                    bad = 1;
    }
    for (int64_t i = 0; i < f->nrow; i++)
        rk[i].series = rank[rk[i].series];
    free(first);
    free(rank);
    free(sorted);
    free(perm);
    if (bad)
        goto fail;
}
    /* Time of each row. */
    for (int64_t i = 0; i < f->nrow; i++) {
        rk[i].row = i;
        rk[i].t = time_value(ct, kind, i);
        if (isnan(rk[i].t)) {
            char *v = cell_str(ct, i);
            const char *key = t->keys[rk[i].series];
            if (ll_col_isna(ct, i))
                rc =
                    ll_err_set(err, LL_EPARSE, "missing time in row %lld%s%s%s",
                               (long long)i + 1, o->nseries ? " (series " : "",
                               o->nseries ? key : "", o->nseries ? ")" : "");
            else
                rc = ll_err_set(err, LL_EPARSE,
                                "unparseable time '%s' in row %lld%s%s%s",
                                v ? v : "?", (long long)i + 1,
                                o->nseries ? " (series " : "",
                                o->nseries ? key : "", o->nseries ? ")" : "");
            free(v);
            goto fail;
        }
    }
    qsort(rk, (size_t)f->nrow, sizeof *rk, cmp_rowkey);
    for (int64_t i = 1; i < f->nrow; i++)
        if (rk[i].series == rk[i - 1].series && rk[i].t == rk[i - 1].t) {
            char tb[64];
            t->step = 1;
            ll_aml_table_fmt_time(t, rk[i].t, tb, sizeof tb);
            rc = ll_err_set(err, LL_EINVAL,
                            "duplicated time %s in series %s (rows %lld and "
                            "%lld)",
                            tb, o->nseries ? t->keys[rk[i].series] : "(all)",
                            (long long)rk[i - 1].row + 1,
                            (long long)rk[i].row + 1);
            goto fail;
        }

    /* Frequency: the most common positive difference. */
    {
        size_t nd = 0;
        double *d = malloc((size_t)f->nrow * sizeof *d);
        if (!d)
            goto fail;
        for (int64_t i = 1; i < f->nrow; i++)
            if (rk[i].series == rk[i - 1].series)
                d[nd++] = rk[i].t - rk[i - 1].t;
        double best = 1;
        if (nd) {
            qsort(d, nd, sizeof *d, cmp_dbl);
            size_t bestc = 0;
            for (size_t i = 0; i < nd;) {
                size_t j = i;
                while (j < nd && d[j] == d[i])
                    j++;
                if (j - i > bestc) {
                    bestc = j - i;
                    best = d[i];
                }
                i = j;
            }
        }
        free(d);
        t->step = best;
        double days = kind == LL_AML_TIME_DATETIME ? best / 86400000.0
                      : kind == LL_AML_TIME_DATE   ? best
                                                   : 0;
        if (days >= 28 && days <= 31)
            t->monthly = 1;
        else if (days >= 89 && days <= 92)
            t->monthly = 3;
        else if (days >= 365 && days <= 366)
            t->monthly = 12;
        if (t->monthly && kind == LL_AML_TIME_DATETIME) {
            /* Month stepping works on days. */
            t->monthly = 0;
        }
    }

    /* Count rows after filling gaps. */
    size_t total = 0;
    t->off = calloc(t->nseries + 1, sizeof *t->off);
    t->len = calloc(t->nseries + 1, sizeof *t->len);
    if (!t->off || !t->len)
        goto fail;
    for (int64_t i = 0; i < f->nrow; i++) {
        if (i > 0 && rk[i].series == rk[i - 1].series) {
            long k = grid_steps(t, rk[i - 1].t, rk[i].t);
            if (k < 1) {
                char tb[64];
                ll_aml_table_fmt_time(t, rk[i].t, tb, sizeof tb);
                rc = ll_err_set(err, LL_EINVAL,
                                "irregular time %s in series %s: not a "
                                "whole number of steps after the previous "
                                "row",
                                tb,
                                o->nseries ? t->keys[rk[i].series] : "(all)");
                goto fail;
            }
            if (k > 100000) {
                rc = ll_err_set(err, LL_EINVAL, "gap of %ld steps in series %s",
                                k, t->keys[rk[i].series]);
                goto fail;
            }
            total += (size_t)k;
            t->len[rk[i].series] += (size_t)k;
        } else {
            total++;
            t->len[rk[i].series]++;
        }
    }
    for (size_t s = 0; s < t->nseries; s++)
        t->off[s + 1] = t->off[s] + t->len[s];
    t->n = total;
    t->filled = total - (size_t)f->nrow;

    /* Regressors: every other column. */
    size_t nreg = 0;
    for (int c = 0; c < f->ncol; c++)
        if (!used[c])
            nreg++;
    t->reg_names = calloc(nreg + 1, sizeof *t->reg_names);
    t->reg_levels = calloc(nreg + 1, sizeof *t->reg_levels);
    t->reg_nlevels = calloc(nreg + 1, sizeof *t->reg_nlevels);
    t->y = malloc((total + 1) * sizeof *t->y);
    t->t = malloc((total + 1) * sizeof *t->t);
    t->x = malloc((total * (nreg ? nreg : 1) + 1) * sizeof *t->x);
    if (!t->reg_names || !t->reg_levels || !t->reg_nlevels || !t->y || !t->t ||
        !t->x)
        goto fail;
    int *rc_idx = calloc(nreg + 1, sizeof *rc_idx);
    if (!rc_idx)
        goto fail;
    for (int c = 0; c < f->ncol; c++) {
        if (used[c])
            continue;
        const ll_column *col = f->cols[c];
        size_t j = t->nreg;
        t->reg_names[j] = ll_strdup(f->names[c]);
        if (!t->reg_names[j]) {
            free(rc_idx);
            goto fail;
        }
        t->nreg++;
        rc_idx[j] = c;
        if (col->type == LL_STR || col->type == LL_CAT) {
            /* Levels: sorted distinct strings. */
            char **lv = malloc((size_t)f->nrow * sizeof *lv);
            if (!lv) {
                free(rc_idx);
                goto fail;
            }
            size_t nl = 0;
            for (int64_t i = 0; i < f->nrow; i++)
                if (!ll_col_isna(col, i))
                    lv[nl++] = cell_str(col, i);
            qsort(lv, nl, sizeof *lv, cmp_str);
            size_t u = 0;
            for (size_t i = 0; i < nl; i++) {
                if (u && strcmp(lv[u - 1], lv[i]) == 0)
                    free(lv[i]);
                else
                    lv[u++] = lv[i];
            }
            t->reg_levels[j] = lv;
            t->reg_nlevels[j] = u;
        }
    }
    /* Fill rows series by series. */
    {
        double *med = malloc((nreg + 1) * sizeof *med);
        double *tmp = malloc(((size_t)f->nrow + 1) * sizeof *tmp);
        if (!med || !tmp) {
            free(med);
            free(tmp);
            free(rc_idx);
            goto fail;
        }
        int64_t i = 0;
        size_t nan_y = 0;
        while (i < f->nrow) {
            size_t s = rk[i].series;
            int64_t e = i;
            while (e < f->nrow && rk[e].series == s)
                e++;
            /* Regressor values as doubles for rows i..e. */
            for (size_t j = 0; j < t->nreg; j++) {
                const ll_column *col = f->cols[rc_idx[j]];
                size_t nv = 0;
                for (int64_t r = i; r < e; r++) {
                    double v = reg_value(t, j, col, rk[r].row);
                    if (!isnan(v))
                        tmp[nv++] = v;
                }
                if (nv) {
                    qsort(tmp, nv, sizeof *tmp, cmp_dbl);
                    med[j] = nv % 2 ? tmp[nv / 2]
                                    : 0.5 * (tmp[nv / 2 - 1] + tmp[nv / 2]);
                } else
                    med[j] = 0;
            }
            size_t pos = t->off[s];
            for (int64_t r = i; r < e; r++) {
                if (r > i) {
                    long k = grid_steps(t, rk[r - 1].t, rk[r].t);
                    for (long g = 1; g < k; g++) {
                        t->y[pos] = t->y[pos - 1];
                        t->t[pos] = t->monthly
                                        ? add_months(rk[r - 1].t,
                                                     (int64_t)g * t->monthly)
                                        : rk[r - 1].t + (double)g * t->step;
                        for (size_t j = 0; j < t->nreg; j++)
                            t->x[pos * t->nreg + j] = med[j];
                        pos++;
                    }
                }
                int64_t row = rk[r].row;
                double y = ll_col_isna(cy, row) ? LL_NAN : ll_col_num(cy, row);
                if (isnan(y)) {
                    if (pos == t->off[s]) {
                        char tb[64];
                        ll_aml_table_fmt_time(t, rk[r].t, tb, sizeof tb);
                        rc = ll_err_set(
                            err, LL_EINVAL,
                            "target '%s' is missing at the start of series "
                            "%s (time %s)",
                            o->target, o->nseries ? t->keys[s] : "(all)", tb);
                        free(med);
                        free(tmp);
                        free(rc_idx);
                        goto fail;
                    }
                    y = t->y[pos - 1];
                    nan_y++;
                }
                t->y[pos] = y;
                t->t[pos] = rk[r].t;
                for (size_t j = 0; j < t->nreg; j++) {
                    double v = reg_value(t, j, f->cols[rc_idx[j]], row);
                    t->x[pos * t->nreg + j] = isnan(v) ? med[j] : v;
                }
                pos++;
            }
            i = e;
        }
        (void)nan_y;
        free(med);
        free(tmp);
        free(rc_idx);
    }
    free(sc);
    free(used);
    free(rk);
    for (int64_t i = 0; i < f->nrow; i++)
        free(rowkeys[i]);
    free(rowkeys);
    *out = t;
    return LL_OK;
fail:
    if (rc == LL_ENOMEM)
        ll_err_set(err, LL_ENOMEM, "out of memory");
    free(sc);
    free(used);
    free(rk);
    if (rowkeys)
        for (int64_t i = 0; i < f->nrow; i++)
            free(rowkeys[i]);
    free(rowkeys);
    ll_aml_table_free(t);
    return rc;
}

/* ---- autocorrelation ---- */

static void acf(const double *y, size_t n, size_t K, double *r)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += y[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (y[i] - m) * (y[i] - m);
    for (size_t k = 1; k <= K; k++) {
        double c = 0;
        for (size_t i = k; i < n; i++)
            c += (y[i] - m) * (y[i - k] - m);
        r[k] = v > 0 ? c / v : 0;
    }
    r[0] = 1;
}

void ll_aml_pacf(const double *y, size_t n, size_t K, double *pacf)
{
    double *r = malloc((K + 1) * sizeof *r);
    double *phi = malloc((K + 1) * sizeof *phi);
    double *prev = malloc((K + 1) * sizeof *prev);
    if (!r || !phi || !prev) {
        for (size_t k = 0; k < K; k++)
            pacf[k] = 0;
        free(r);
        free(phi);
        free(prev);
        return;
    }
    acf(y, n, K, r);
    double v = 1;
    for (size_t k = 1; k <= K; k++) {
        double num = r[k];
        for (size_t j = 1; j < k; j++)
            num -= prev[j] * r[k - j];
        double a = v > 1e-12 ? num / v : 0;
        phi[k] = a;
        for (size_t j = 1; j < k; j++)
            phi[j] = prev[j] - a * prev[k - j];
        v *= (1 - a * a);
        memcpy(prev, phi, (k + 1) * sizeof *phi);
        pacf[k - 1] = a;
    }
    free(r);
    free(phi);
    free(prev);
}

int ll_aml_detect_season(const ll_aml_table *t)
{
    if (t->time_kind != LL_AML_TIME_INT) {
        if (t->monthly == 1)
            return 12;
        if (t->monthly == 3)
            return 4;
        if (t->monthly == 12)
            return 1;
        double days = t->time_kind == LL_AML_TIME_DATETIME
                          ? t->step / 86400000.0
                          : t->step;
        if (fabs(days - 1) < 1e-9)
            return 7;
        if (fabs(days - 7) < 1e-9)
            return 52;
        if (fabs(days * 24 - 1) < 1e-9)
            return 24;
        return 1;
    }
    /* Integer steps: the strongest autocorrelation peak of the longest
     * series' differences. */
    size_t best = 0;
    for (size_t s = 1; s < t->nseries; s++)
        if (t->len[s] > t->len[best])
            best = s;
    size_t n = t->len[best];
    if (n < 12)
        return 1;
    size_t K = n / 3 < 60 ? n / 3 : 60;
    double *d = malloc(n * sizeof *d), *r = malloc((K + 1) * sizeof *r);
    if (!d || !r) {
        free(d);
        free(r);
        return 1;
    }
    const double *y = t->y + t->off[best];
    for (size_t i = 1; i < n; i++)
        d[i - 1] = y[i] - y[i - 1];
    acf(d, n - 1, K, r);
    int m = 1;
    double crit = 1.96 / sqrt((double)n), top = crit;
    for (size_t k = 2; k <= K; k++)
        if (r[k] > top && r[k] >= r[k - 1] && (k == K || r[k] >= r[k + 1])) {
            top = r[k];
            m = (int)k;
        }
    free(d);
    free(r);
    return m;
}

/* ---- engineered features ---- */

static const char *const cal_names[LL_AML_NCAL] = {
    "year", "half", "quarter", "month", "week", "day", "wday", "yday", "hour"};

static double cal_part(int kind, double time, int part)
{
    int64_t z;
    double hour = 0;
    if (kind == LL_AML_TIME_DATETIME) {
        z = (int64_t)floor(time / 86400000.0);
        hour = floor((time - (double)z * 86400000.0) / 3600000.0);
    } else
        z = (int64_t)time;
    int64_t y;
    unsigned m, d;
    ll_civil_from_days(z, &y, &m, &d);
    int64_t yday = z - ll_days_from_civil(y, 1, 1) + 1;
    switch (part) {
    case LL_AML_CAL_YEAR:
        return (double)y;
    case LL_AML_CAL_HALF:
        return m <= 6 ? 1 : 2;
    case LL_AML_CAL_QUARTER:
        return (double)((m - 1) / 3 + 1);
    case LL_AML_CAL_MONTH:
        return (double)m;
    case LL_AML_CAL_WEEK:
        return (double)((yday - 1) / 7 + 1);
    case LL_AML_CAL_DAY:
        return (double)d;
    case LL_AML_CAL_WDAY:
        return (double)(((z + 3) % 7 + 7) % 7);
    case LL_AML_CAL_YDAY:
        return (double)yday;
    case LL_AML_CAL_HOUR:
        return hour;
    default:
        return 0;
    }
}

void ll_aml_featset_free(ll_aml_featset *fs)
{
    if (!fs)
        return;
    free(fs->f);
    fs->f = NULL;
    fs->nf = 0;
}

static int add_feat(ll_aml_featset *fs, size_t *cap, int kind, int arg,
                    const char *name, const char *raw)
{
    if (fs->nf == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        ll_aml_feat *nf = realloc(fs->f, nc * sizeof *nf);
        if (!nf)
            return -1;
        fs->f = nf;
        *cap = nc;
    }
    ll_aml_feat *f = &fs->f[fs->nf++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->arg = arg;
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->raw, sizeof f->raw, "%s", raw);
    return 0;
}

int ll_aml_featset_make(const ll_aml_table *t, size_t h, int m,
                        ll_aml_featset *fs, ll_err *err)
{
    memset(fs, 0, sizeof *fs);
    fs->horizon = h;
    fs->season = m;
    size_t cap = 0;
    char name[160];
    const char *series_raw = t->nseries_cols ? t->series_cols[0] : "series";
    /* Calendar parts that vary. */
    if (t->time_kind != LL_AML_TIME_INT)
        for (int p = 0; p < LL_AML_NCAL; p++) {
            if (p == LL_AML_CAL_HOUR && t->time_kind != LL_AML_TIME_DATETIME)
                continue;
            double first = cal_part(t->time_kind, t->t[0], p);
            int varies = 0;
            for (size_t i = 1; i < t->n && !varies; i++)
                varies = cal_part(t->time_kind, t->t[i], p) != first;
            if (!varies)
                continue;
            snprintf(name, sizeof name, "%s_%s", t->time, cal_names[p]);
            if (add_feat(fs, &cap, LL_AML_F_CAL, p, name, t->time))
                goto nomem;
        }
    snprintf(name, sizeof name, "%s_trend", t->time);
    if (add_feat(fs, &cap, LL_AML_F_TREND, 0, name, t->time))
        goto nomem;
    if (t->nseries > 1) {
        snprintf(name, sizeof name, "%s_code", series_raw);
        if (add_feat(fs, &cap, LL_AML_F_SERIES, 0, name, series_raw))
            goto nomem;
    }
    /* Target lags by the PACF rule. */
    enum { KMAX = 40 };
    double votes[KMAX] = {0}, mag[KMAX] = {0};
    size_t K = (size_t)(2 * m > 10 ? 2 * m : 10);
    if (K > KMAX)
        K = KMAX;
    size_t counted = 0;
    double pacf[KMAX];
    for (size_t s = 0; s < t->nseries; s++) {
        size_t n = t->len[s];
        size_t Ks = K < n / 4 ? K : n / 4;
        if (Ks < 1)
            continue;
        ll_aml_pacf(t->y + t->off[s], n, Ks, pacf);
        double crit = 1.96 / sqrt((double)n);
        for (size_t k = 0; k < Ks; k++) {
            if (fabs(pacf[k]) > crit)
                votes[k]++;
            mag[k] += fabs(pacf[k]);
        }
        counted++;
    }
    int chosen[4], nch = 0;
    for (int round = 0; round < 4 && counted; round++) {
        int bk = -1;
        for (size_t k = 0; k < K; k++) {
            int taken = 0;
            for (int c = 0; c < nch; c++)
                taken |= chosen[c] == (int)k;
            if (taken || votes[k] * 2 <= (double)counted)
                continue;
            if (bk < 0 || mag[k] > mag[bk])
                bk = (int)k;
        }
        if (bk < 0)
            break;
        chosen[nch++] = bk;
    }
    fs->maxlag = 0;
    for (int c = 0; c < nch; c++) {
        int L = (int)h + chosen[c]; /* pacf index k is lag k + 1 */
        snprintf(name, sizeof name, "%s_lag%d", t->target, L);
        if (add_feat(fs, &cap, LL_AML_F_LAG, L, name, t->target))
            goto nomem;
        if (L > fs->maxlag)
            fs->maxlag = L;
    }
    if (nch) {
        int w = m > 1 ? m : 7;
        snprintf(name, sizeof name, "%s_roll%d_mean", t->target, w);
        if (add_feat(fs, &cap, LL_AML_F_RMEAN, w, name, t->target))
            goto nomem;
        snprintf(name, sizeof name, "%s_roll%d_std", t->target, w);
        if (add_feat(fs, &cap, LL_AML_F_RSTD, w, name, t->target))
            goto nomem;
        if ((int)h + w - 1 > fs->maxlag)
            fs->maxlag = (int)h + w - 1;
    }
    /* Regressors that vary. */
    for (size_t j = 0; j < t->nreg; j++) {
        int varies = 0;
        for (size_t i = 1; i < t->n && !varies; i++)
            varies = t->x[i * t->nreg + j] != t->x[j];
        if (!varies)
            continue;
        if (add_feat(fs, &cap, LL_AML_F_REG, (int)j, t->reg_names[j],
                     t->reg_names[j]))
            goto nomem;
    }
    return LL_OK;
nomem:
    ll_aml_featset_free(fs);
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

void ll_aml_feature_row(const ll_aml_table *t, const ll_aml_featset *fs,
                        size_t s, size_t i, const double *y, const double *xrow,
                        double time, double *out)
{
    long h = (long)fs->horizon;
    for (size_t k = 0; k < fs->nf; k++) {
        const ll_aml_feat *f = &fs->f[k];
        double v = LL_NAN;
        switch (f->kind) {
        case LL_AML_F_REG:
            v = xrow[f->arg];
            break;
        case LL_AML_F_CAL:
            v = cal_part(t->time_kind, time, f->arg);
            break;
        case LL_AML_F_TREND:
            v = (double)i;
            break;
        case LL_AML_F_SERIES:
            v = (double)s;
            break;
        case LL_AML_F_LAG:
            if ((long)i - f->arg >= 0)
                v = y[(long)i - f->arg];
            break;
        case LL_AML_F_RMEAN:
        case LL_AML_F_RSTD: {
            long end = (long)i - h, beg = end - f->arg + 1;
            if (beg < 0)
                break;
            double sum = 0, sq = 0;
            for (long r = beg; r <= end; r++)
                sum += y[r];
            double mean = sum / f->arg;
            if (f->kind == LL_AML_F_RMEAN) {
                v = mean;
                break;
            }
            for (long r = beg; r <= end; r++)
                sq += (y[r] - mean) * (y[r] - mean);
            v = f->arg > 1 ? sqrt(sq / (f->arg - 1)) : 0;
            break;
        }
        default:
            break;
        }
        out[k] = v;
    }
}
