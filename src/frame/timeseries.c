/*
 * timeseries: lag/lead and rolling windows within groups in time order,
 * resampling to day/week/month bins, and train/test split indices.
 *
 * `order` is a permutation of rows sorted by group then time, `group` a
 * group id per row (both from ll_frame_group_order); windows never cross a
 * group boundary.  Results are in the frame's row order.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"
#include "util/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ll_frame_group_order(const ll_frame *f, const char *const *by, int nby,
                         const char *const *order, int norder, int need_order,
                         int64_t **order_out, int64_t **group_out, ll_err *err)
{
    *order_out = NULL;
    *group_out = NULL;
    if (nby + norder == 0)
        return LL_OK;
    int *cols = malloc(sizeof(int) * (size_t)(nby + norder));
    if (!cols)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    for (int k = 0; k < nby + norder; k++) {
        const char *nm = k < nby ? by[k] : order[k - nby];
        cols[k] = ll_frame_col(f, nm, err);
        if (cols[k] < 0) {
            ll_err_prefix(err, "option '%s'", k < nby ? "by" : "order");
            free(cols);
            return LL_ENOTFOUND;
        }
    }
    if (norder || need_order)
        rc = ll_frame_order(f, cols, NULL, nby + norder, order_out, err);
    if (!rc && nby) {
        int64_t *first = NULL, ng;
        rc = ll_group_rows(f, cols, nby, group_out, &ng, &first, err);
        free(first);
        if (rc) {
            free(*order_out);
            *order_out = NULL;
        }
    }
    free(cols);
    return rc;
}

ll_column *ll_col_shift(const ll_column *c, int64_t k, const int64_t *order,
                        const int64_t *group, ll_err *err)
{
    int64_t n = c->len;
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    for (int64_t p = 0; p < n; p++) {
        int64_t row = order ? order[p] : p;
        int64_t src = p - k;
        if (src < 0 || src >= n) {
            idx[row] = -1;
            continue;
        }
        int64_t srow = order ? order[src] : src;
        idx[row] = (!group || group[srow] == group[row]) ? srow : -1;
    }
    ll_column *r = ll_col_take(c, idx, n, err);
    free(idx);
    return r;
}

/* Windows by group in row order: one pass with a ring of the last
 * `window` values per group (no sort, no gather). */
static ll_column *rolling_ring(const ll_column *c, int64_t window,
                               int64_t min_periods, int kind,
                               const int64_t *group, ll_err *err)
{
    int64_t n = c->len, ng = 0;
    for (int64_t i = 0; i < n; i++)
        if (group[i] + 1 > ng)
            ng = group[i] + 1;
    typedef struct gstate {
        double sum, sumsq;
        int64_t cnt, seen;
    } gstate;
    ll_column *r = ll_col_new(LL_FLOAT, n, err);
    gstate *st = calloc((size_t)ng + 1, sizeof *st);
    double *ring = malloc(((size_t)ng * (size_t)window + 1) * sizeof *ring);
    if (!r || !st || !ring) {
        ll_col_unref(r);
        free(st);
        free(ring);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    double *out = LL_F64(r);
    int fast = c->type == LL_FLOAT && !c->valid;
    const double *src = LL_F64(c);
    for (int64_t i = 0; i < n; i++) {
        gstate *g = &st[group[i]];
        double *w = ring + group[i] * window;
        double x = fast ? src[i] : ll_col_num(c, i);
        int64_t slot = g->seen % window;
        if (g->seen >= window) {
            double y = w[slot];
            if (y == y) {
                g->sum -= y;
                g->sumsq -= y * y;
                g->cnt--;
            }
        }
        w[slot] = x;
        if (x == x) {
            g->sum += x;
            g->sumsq += x * x;
            g->cnt++;
        }
        g->seen++;
        if (g->seen % 4096 == 0 && kind != 2 && kind != 3) {
            /* restart the running sums to shed rounding error */
            g->sum = g->sumsq = 0;
            g->cnt = 0;
            for (int64_t k = 0; k < window; k++)
                if (w[k] == w[k]) {
                    g->sum += w[k];
                    g->sumsq += w[k] * w[k];
                    g->cnt++;
                }
        }
        double v = LL_NAN;
        if (g->cnt >= min_periods && g->cnt > 0) {
            switch (kind) {
            case 0:
                v = g->sum / (double)g->cnt;
                break;
            case 1:
                v = g->sum;
                break;
            case 2:
            case 3: {
                int64_t m = g->seen < window ? g->seen : window;
                for (int64_t k = 0; k < m; k++) {
                    double y = w[k];
                    if (y == y && (v != v || (kind == 2 ? y < v : y > v)))
                        v = y;
                }
                break;
            }
            case 6:
                v = (double)g->cnt;
                break;
            default:
                if (g->cnt > 1) {
                    double var = (g->sumsq - g->sum * g->sum / (double)g->cnt) /
                                 (double)(g->cnt - 1);
                    if (var < 0)
                        var = 0;
                    v = kind == 4 ? sqrt(var) : var;
                }
            }
        } else if (kind == 6 && g->cnt >= min_periods) {
            v = 0;
        }
        out[i] = v;
        if (v != v && ll_col_set_na(r, i)) {
            ll_col_unref(r);
            r = NULL;
            break;
        }
    }
    free(st);
    free(ring);
    if (!r)
        ll_err_set(err, LL_ENOMEM, "out of memory");
    return r;
}

ll_column *ll_col_rolling(const ll_column *c, int64_t window,
                          int64_t min_periods, const char *fn,
                          const int64_t *order, const int64_t *group,
                          ll_err *err)
{
    int kind = !strcmp(fn, "mean")    ? 0
               : !strcmp(fn, "sum")   ? 1
               : !strcmp(fn, "min")   ? 2
               : !strcmp(fn, "max")   ? 3
               : !strcmp(fn, "std")   ? 4
               : !strcmp(fn, "var")   ? 5
               : !strcmp(fn, "count") ? 6
                                      : -1;
    if (kind < 0) {
        ll_err_set(err, LL_EINVAL,
                   "rolling: fn must be mean sum min max std var count, got "
                   "'%s'",
                   fn);
        return NULL;
    }
    if (window < 1) {
        ll_err_set(err, LL_EINVAL, "rolling: window must be >= 1, got %lld",
                   (long long)window);
        return NULL;
    }
    if (!ll_col_is_numeric(c)) {
        ll_err_set(err, LL_EINVAL, "rolling: needs a numeric column, got %s",
                   ll_dtype_name(c->type));
        return NULL;
    }
    if (min_periods < 0)
        min_periods = window;
    if (!order && group)
        return rolling_ring(c, window, min_periods, kind, group, err);
    int64_t n = c->len;
    ll_column *r = ll_col_new(LL_FLOAT, n, err);
    double *vals = malloc((size_t)(n ? n : 1) * sizeof *vals);
    int64_t *dq = malloc((size_t)(n ? n : 1) * sizeof *dq);
    if (!r || !vals || !dq) {
        ll_col_unref(r);
        free(vals);
        free(dq);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    /* values in window order */
    if (!order && c->type == LL_FLOAT && !c->valid) {
        memcpy(vals, c->data, (size_t)n * sizeof *vals);
    } else {
        for (int64_t p = 0; p < n; p++)
            vals[p] = ll_col_num(c, order ? order[p] : p);
    }
    double *out = LL_F64(r);
    int64_t gstart = 0;
    double sum = 0, sumsq = 0;
    int64_t cnt = 0, dh = 0, dt = 0;
    for (int64_t p = 0; p < n; p++) {
        int64_t row = order ? order[p] : p;
        if (p > 0 && group) {
            int64_t prow = order ? order[p - 1] : p - 1;
            if (group[prow] != group[row]) {
                gstart = p;
                sum = sumsq = 0;
                cnt = 0;
                dh = dt = 0;
            }
        }
        double x = vals[p];
        if (x == x) {
            sum += x;
            sumsq += x * x;
            cnt++;
        }
        int64_t drop = p - window;
        if (drop >= gstart) {
            double y = vals[drop];
            if (y == y) {
                sum -= y;
                sumsq -= y * y;
                cnt--;
            }
        }
        if (kind == 2 || kind == 3) {
            /* monotonic deque of positions */
            while (dt > dh && dq[dh] <= p - window)
                dh++;
            if (x == x) {
                while (dt > dh && (kind == 2 ? vals[dq[dt - 1]] >= x
                                             : vals[dq[dt - 1]] <= x))
                    dt--;
                dq[dt++] = p;
            }
        }
        double v = LL_NAN;
        if (cnt >= min_periods && cnt > 0) {
            switch (kind) {
            case 0:
                v = sum / (double)cnt;
                break;
            case 1:
                v = sum;
                break;
            case 2:
            case 3:
                v = vals[dq[dh]];
                break;
            case 6:
                v = (double)cnt;
                break;
            default:
                if (cnt > 1) {
                    double var =
                        (sumsq - sum * sum / (double)cnt) / (double)(cnt - 1);
                    if (var < 0)
                        var = 0;
                    v = kind == 4 ? sqrt(var) : var;
                }
            }
        } else if (kind == 6 && cnt >= min_periods) {
            v = 0;
        }
        out[row] = v;
        if (v != v)
            ll_col_set_na(r, row);
        /* the running sums restart every so often to shed rounding error */
        if (kind != 2 && kind != 3 && (p - gstart) % 4096 == 4095) {
            sum = sumsq = 0;
            cnt = 0;
            int64_t lo = p - window + 1 > gstart ? p - window + 1 : gstart;
            for (int64_t q = lo; q <= p; q++)
                if (vals[q] == vals[q]) {
                    sum += vals[q];
                    sumsq += vals[q] * vals[q];
                    cnt++;
                }
        }
    }
    free(vals);
    free(dq);
    return r;
}

/* --- resample --- */

static int parse_rule(const char *rule, int64_t *count, char *unit)
{
    char *end;
    long v = strtol(rule, &end, 10);
    if (end == rule)
        v = 1;
    if (v < 1 || strlen(end) != 1)
        return 0;
    char u = end[0];
    if (u == 'D')
        u = 'd';
    if (u == 'W')
        u = 'w';
    if (u == 'M')
        u = 'm';
    if (u != 'd' && u != 'w' && u != 'm')
        return 0;
    *count = v;
    *unit = u;
    return 1;
}

/* Bin label (days) of day d: day bins from origin, weeks ending Sunday,
 * month ends (pandas' 'D', 'W', 'M' labels). */
static int64_t bin_of(int64_t d, int64_t count, char unit, int64_t origin)
{
    if (unit == 'd') {
        int64_t k = (d - origin) / count;
        if ((d - origin) % count < 0)
            k--;
        return origin + k * count;
    }
    if (unit == 'w') {
        int64_t dow = ((d % 7) + 7 + 3) % 7; /* Monday = 0 */
        int64_t sunday = d + (6 - dow);
        if (count > 1) {
            int64_t o = origin + (6 - (((origin % 7) + 7 + 3) % 7));
            int64_t k = (sunday - o) / (7 * count);
            return o + k * 7 * count + 7 * (count - 1);
        }
        return sunday;
    }
    int64_t y;
    unsigned m, dd;
    ll_civil_from_days(d, &y, &m, &dd);
    if (count > 1) {
        int64_t oy;
        unsigned om, od;
        ll_civil_from_days(origin, &oy, &om, &od);
        int64_t months = (y - oy) * 12 + (int64_t)m - om;
        int64_t k = months / count;
        months = k * count + count - 1;
        y = oy + (om - 1 + months) / 12;
        m = (unsigned)((om - 1 + months) % 12 + 1);
    }
    unsigned nm = m == 12 ? 1 : m + 1;
    int64_t ny = m == 12 ? y + 1 : y;
    return ll_days_from_civil(ny, nm, 1) - 1;
}

static int64_t next_bin(int64_t b, int64_t count, char unit)
{
    if (unit == 'd')
        return b + count;
    if (unit == 'w')
        return b + 7 * count;
    int64_t y;
    unsigned m, d;
    ll_civil_from_days(b + 1, &y, &m, &d); /* first of the next month */
    int64_t months = (int64_t)m - 1 + count;
    y += months / 12;
    m = (unsigned)(months % 12 + 1);
    return ll_days_from_civil(y, m, 1) - 1;
}

ll_frame *ll_frame_resample(const ll_frame *f, const char *rule, const char *on,
                            const char *const *by, int nby, const ll_agg *aggs,
                            int naggs, ll_err *err)
{
    int64_t count;
    char unit;
    if (!parse_rule(rule, &count, &unit)) {
        ll_err_set(err, LL_EINVAL,
                   "resample: rule must be like '1d', '7d', '1w' or '1m', "
                   "got '%s'",
                   rule);
        return NULL;
    }
    int ic = ll_frame_col(f, on, err);
    if (ic < 0) {
        ll_err_prefix(err, "resample: on");
        return NULL;
    }
    const ll_column *t = f->cols[ic];
    if (t->type != LL_DATE && t->type != LL_DATETIME) {
        ll_err_set(err, LL_EINVAL,
                   "resample: column '%s' must be a date or datetime, got %s",
                   on, ll_dtype_name(t->type));
        return NULL;
    }
    if (nby > 15) {
        ll_err_set(err, LL_EINVAL, "resample: at most 15 by columns");
        return NULL;
    }
    int64_t n = f->nrow;
    int64_t origin = INT64_MAX;
    ll_column *bin = ll_col_new(LL_DATE, n, err);
    if (!bin)
        return NULL;
    for (int64_t i = 0; i < n; i++) {
        if (ll_col_isna(t, i))
            continue;
        int64_t d = t->type == LL_DATE
                        ? LL_I32(t)[i]
                        : (int64_t)floor((double)LL_I64(t)[i] / 86400000.0);
        if (d < origin)
            origin = d;
    }
    for (int64_t i = 0; i < n; i++) {
        if (ll_col_isna(t, i)) {
            ll_col_set_na(bin, i);
            continue;
        }
        int64_t d = t->type == LL_DATE
                        ? LL_I32(t)[i]
                        : (int64_t)floor((double)LL_I64(t)[i] / 86400000.0);
        LL_I32(bin)[i] = (int32_t)bin_of(d, count, unit, origin);
    }
    ll_frame *tmp = ll_frame_copy(f, err);
    ll_frame *agg = NULL, *grid = NULL, *joined = NULL, *out = NULL;
    const char *keys[16];
    char binname[] = "__bin";
    for (int k = 0; k < nby; k++)
        keys[k] = by[k];
    keys[nby] = binname;
    if (!tmp || ll_frame_set(tmp, binname, bin, err))
        goto done;
    {
        /* rows with NA time drop out */
        ll_column *ok = ll_col_isna_mask(bin, 0, err);
        ll_frame *kept = ok ? ll_frame_filter(tmp, ok, err) : NULL;
        ll_col_unref(ok);
        ll_frame_free(tmp);
        tmp = kept;
        if (!tmp)
            goto done;
    }
    agg = ll_frame_groupby(tmp, keys, nby + 1, aggs, naggs, err);
    if (!agg)
        goto done;
    /* grid of every bin from each group's first to last */
    {
        int64_t cap = 64, gn = 0;
        int64_t *src = malloc((size_t)cap * sizeof *src);
        int32_t *bins = malloc((size_t)cap * sizeof *bins);
        const ll_column *ab = agg->cols[nby];
        int64_t i = 0;
        while (src && bins && i < agg->nrow) {
            int64_t j = i;
            while (j + 1 < agg->nrow) {
                int same = 1;
                for (int k = 0; k < nby && same; k++) {
                    ll_column *kc = agg->cols[k];
                    ll_buf x, y;
                    ll_buf_init(&x);
                    ll_buf_init(&y);
                    ll_col_format(kc, i, &x);
                    ll_col_format(kc, j + 1, &y);
                    same = ll_col_isna(kc, i) == ll_col_isna(kc, j + 1) &&
                           !strcmp(ll_buf_str(&x), ll_buf_str(&y));
                    ll_buf_free(&x);
                    ll_buf_free(&y);
                }
                if (!same)
                    break;
                j++;
            }
            for (int64_t b = LL_I32(ab)[i]; b <= LL_I32(ab)[j];
                 b = next_bin(b, count, unit)) {
                if (gn == cap) {
                    cap *= 2;
                    int64_t *s2 = realloc(src, (size_t)cap * sizeof *s2);
                    int32_t *b2 = realloc(bins, (size_t)cap * sizeof *b2);
                    if (s2)
                        src = s2;
                    if (b2)
                        bins = b2;
                    if (!s2 || !b2) {
                        free(src);
                        src = NULL;
                        break;
                    }
                }
                src[gn] = i;
                bins[gn++] = (int32_t)b;
            }
            i = j + 1;
        }
        if (!src || !bins) {
            free(src);
            free(bins);
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        grid = ll_frame_new(err);
        ll_column *bc = grid ? ll_col_new(LL_DATE, gn, err) : NULL;
        int ok = grid && bc;
        for (int k = 0; ok && k < nby; k++) {
            ll_column *kc = ll_col_take(agg->cols[k], src, gn, err);
            ok = kc && !ll_frame_set(grid, keys[k], kc, err);
            ll_col_unref(kc);
        }
        if (ok)
            memcpy(bc->data, bins, (size_t)gn * sizeof *bins);
        ok = ok && !ll_frame_set(grid, binname, bc, err);
        ll_col_unref(bc);
        free(src);
        free(bins);
        if (!ok)
            goto done;
    }
    joined = ll_frame_join(grid, agg, keys, nby + 1, "left", "", "", err);
    if (!joined)
        goto done;
    /* empty bins: sums and counts are 0, the rest NA */
    for (int a = 0; a < naggs; a++) {
        const char *fn = aggs[a].fn;
        if (strcmp(fn, "sum") && strcmp(fn, "count") && strcmp(fn, "size"))
            continue;
        int j = ll_frame_find(joined, aggs[a].out);
        ll_column *filled = ll_col_fillna_num(joined->cols[j], 0, err);
        if (!filled || ll_frame_set(joined, aggs[a].out, filled, err)) {
            ll_col_unref(filled);
            goto done;
        }
        ll_col_unref(filled);
    }
    /* the bin column takes the time column's name and type */
    {
        out = ll_frame_new(err);
        if (!out)
            goto done;
        int jb = ll_frame_find(joined, binname);
        for (int k = 0; k < nby; k++)
            if (ll_frame_set(out, by[k], joined->cols[k], err))
                goto fail_out;
        ll_column *bc = t->type == LL_DATE
                            ? ll_col_ref(joined->cols[jb])
                            : ll_col_cast(joined->cols[jb], LL_DATETIME, err);
        if (!bc || ll_frame_set(out, on, bc, err)) {
            ll_col_unref(bc);
            goto fail_out;
        }
        ll_col_unref(bc);
        for (int j = 0; j < joined->ncol; j++) {
            if (j < nby || j == jb)
                continue;
            if (ll_frame_set(out, joined->names[j], joined->cols[j], err))
                goto fail_out;
        }
    }
    goto done;
fail_out:
    ll_frame_free(out);
    out = NULL;
done:
    ll_col_unref(bin);
    ll_frame_free(tmp);
    ll_frame_free(agg);
    ll_frame_free(grid);
    ll_frame_free(joined);
    return out;
}

/* --- split --- */

int ll_frame_split_index(const ll_frame *f, double test, uint64_t seed,
                         int shuffle, const char *time_col, int64_t **perm,
                         int64_t *n_train, ll_err *err)
{
    if (!(test > 0 && test < 1))
        return ll_err_set(err, LL_EINVAL,
                          "train_test_split: test must be in (0, 1), got %g",
                          test);
    int64_t n = f->nrow;
    int64_t n_test = (int64_t)ceil(test * (double)n);
    if (time_col) {
        int ic = ll_frame_col(f, time_col, err);
        if (ic < 0) {
            ll_err_prefix(err, "train_test_split: time");
            return err ? err->code : LL_ENOTFOUND;
        }
        int rc = ll_frame_order(f, &ic, NULL, 1, perm, err);
        if (rc)
            return rc;
    } else {
        int64_t *p = malloc((size_t)(n ? n : 1) * sizeof *p);
        if (!p)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        for (int64_t i = 0; i < n; i++)
            p[i] = i;
        if (shuffle) {
            uint64_t s = seed;
            for (int64_t i = n - 1; i > 0; i--) {
                int64_t j = (int64_t)(ll_splitmix64(&s) % (uint64_t)(i + 1));
                int64_t t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        }
        *perm = p;
    }
    *n_train = n - n_test;
    return LL_OK;
}
