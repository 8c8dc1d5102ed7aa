/*
 * column_verbs: the pandas Series verbs on one column -- cumulative sums
 * and products, diff, pct_change, round, clip, replace, str.replace,
 * unique and value_counts.  NA stays NA (a float NaN counts as NA), as in
 * pandas.
 */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame/frame.h"
#include "frame/frame_int.h"

static int missing(const ll_column *c, int64_t i)
{
    return ll_col_isna(c, i) || (c->type == LL_FLOAT && isnan(LL_F64(c)[i]));
}

static int need_number(const ll_column *c, const char *fn, int bool_ok,
                       ll_err *err)
{
    if (c->type == LL_INT || c->type == LL_FLOAT ||
        (bool_ok && c->type == LL_BOOL))
        return 0;
    return ll_err_set(err, LL_EINVAL, "%s: a %s column has no numbers", fn,
                      ll_dtype_name(c->type));
}

static ll_column *nomem(ll_err *err)
{
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

ll_column *ll_col_cum(const ll_column *c, const char *fn, ll_err *err)
{
    int sum = !strcmp(fn, "cumsum"), prod = !strcmp(fn, "cumprod");
    int max = !strcmp(fn, "cummax");
    if (!sum && !prod && !max && strcmp(fn, "cummin")) {
        ll_err_set(err, LL_EINVAL, "unknown cumulative function '%s'", fn);
        return NULL;
    }
    if (need_number(c, fn, sum || prod, err))
        return NULL;
    ll_dtype t = c->type == LL_FLOAT ? LL_FLOAT : LL_INT;
    ll_column *r = ll_col_new(t, c->len, err);
    if (!r)
        return NULL;
    int started = 0;
    uint64_t iacc = prod ? 1 : 0; /* unsigned: overflow wraps as numpy's */
    int64_t iext = 0;
    double facc = prod ? 1 : 0;
    for (int64_t i = 0; i < c->len; i++) {
        if (missing(c, i)) {
            if (ll_col_set_na(r, i)) {
                ll_col_unref(r);
                return nomem(err);
            }
            continue;
        }
        if (t == LL_FLOAT) {
            double x = LL_F64(c)[i];
            if (sum)
                facc += x;
            else if (prod)
                facc *= x;
            else if (!started || (max ? x > facc : x < facc))
                facc = x;
            LL_F64(r)[i] = facc;
        } else {
            int64_t x = c->type == LL_BOOL ? LL_U8(c)[i] : LL_I64(c)[i];
            if (sum)
                iacc += (uint64_t)x;
            else if (prod)
                iacc *= (uint64_t)x;
            else if (!started || (max ? x > iext : x < iext))
                iext = x;
            LL_I64(r)[i] = sum || prod ? (int64_t)iacc : iext;
        }
        started = 1;
    }
    ll_col_finish(r);
    return r;
}

/* x[i] against x[i - periods] (periods may be negative): diff or
 * pct_change; both give float columns, NA where either side is NA. */
static ll_column *lagged(const ll_column *c, int64_t periods, int pct,
                         ll_err *err)
{
    if (need_number(c, pct ? "pct_change" : "diff", 0, err))
        return NULL;
    ll_column *r = ll_col_new(LL_FLOAT, c->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        int64_t j = i - periods;
        if (j < 0 || j >= c->len || missing(c, i) || missing(c, j)) {
            if (ll_col_set_na(r, i)) {
                ll_col_unref(r);
                return nomem(err);
            }
            continue;
        }
        if (!pct && c->type == LL_INT) {
            LL_F64(r)[i] = (double)(LL_I64(c)[i] - LL_I64(c)[j]);
            continue;
        }
        double x = ll_col_num(c, i), y = ll_col_num(c, j);
        LL_F64(r)[i] = pct ? x / y - 1 : x - y;
    }
    ll_col_finish(r);
    return r;
}

ll_column *ll_col_diff(const ll_column *c, int64_t periods, ll_err *err)
{
    return lagged(c, periods, 0, err);
}

ll_column *ll_col_pct_change(const ll_column *c, int64_t periods, ll_err *err)
{
    return lagged(c, periods, 1, err);
}

/* A copy of c's type and NA mask, values to be filled by the caller. */
static ll_column *like(const ll_column *c, ll_dtype t, ll_err *err)
{
    ll_column *r = ll_col_new(t, c->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++)
        if (missing(c, i) && ll_col_set_na(r, i)) {
            ll_col_unref(r);
            return nomem(err);
        }
    return r;
}

/* numpy's around: scale, round half to even, scale back. */
static double round_dec(double x, int d)
{
    if (d >= 0) {
        double p = pow(10, d);
        return nearbyint(x * p) / p;
    }
    double p = pow(10, -d);
    return nearbyint(x / p) * p;
}

ll_column *ll_col_round(const ll_column *c, int decimals, ll_err *err)
{
    if (need_number(c, "round", 0, err))
        return NULL;
    if (decimals < -300 || decimals > 300) {
        ll_err_set(err, LL_ERANGE, "round: decimals %d out of range", decimals);
        return NULL;
    }
    ll_column *r = like(c, c->type, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        if (missing(c, i))
            continue;
        if (c->type == LL_INT && decimals >= 0)
            LL_I64(r)[i] = LL_I64(c)[i];
        else if (c->type == LL_INT)
            LL_I64(r)[i] = (int64_t)round_dec((double)LL_I64(c)[i], decimals);
        else
            LL_F64(r)[i] = round_dec(LL_F64(c)[i], decimals);
    }
    ll_col_finish(r);
    return r;
}

ll_column *ll_col_clip(const ll_column *c, double lo, double hi, ll_err *err)
{
    if (need_number(c, "clip", 0, err))
        return NULL;
    if (!isnan(lo) && !isnan(hi) && lo > hi) {
        ll_err_set(err, LL_EINVAL, "clip: lower %g is above upper %g", lo, hi);
        return NULL;
    }
    int whole =
        (isnan(lo) || lo == floor(lo)) && (isnan(hi) || hi == floor(hi));
    ll_dtype t = c->type == LL_INT && whole ? LL_INT : LL_FLOAT;
    ll_column *r = like(c, t, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        if (missing(c, i))
            continue;
        if (t == LL_INT) {
            int64_t x = LL_I64(c)[i];
            if (!isnan(lo) && (double)x < lo)
                x = (int64_t)lo;
            if (!isnan(hi) && (double)x > hi)
                x = (int64_t)hi;
            LL_I64(r)[i] = x;
        } else {
            double x = ll_col_num(c, i);
            if (!isnan(lo) && x < lo)
                x = lo;
            if (!isnan(hi) && x > hi)
                x = hi;
            LL_F64(r)[i] = x;
        }
    }
    ll_col_finish(r);
    return r;
}

ll_column *ll_col_replace_num(const ll_column *c, const double *from,
                              const double *to, int n, ll_err *err)
{
    if (need_number(c, "replace", 0, err))
        return NULL;
    int whole = 1;
    for (int k = 0; k < n; k++)
        if (to[k] != floor(to[k]) || fabs(to[k]) > 9007199254740992.0)
            whole = 0;
    ll_dtype t = c->type == LL_INT && whole ? LL_INT : LL_FLOAT;
    ll_column *r = like(c, t, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        if (missing(c, i))
            continue;
        double x = ll_col_num(c, i);
        int hit = -1;
        for (int k = 0; k < n && hit < 0; k++)
            if (x == from[k])
                hit = k;
        if (t == LL_INT)
            LL_I64(r)[i] = hit >= 0 ? (int64_t)to[hit] : LL_I64(c)[i];
        else
            LL_F64(r)[i] = hit >= 0 ? to[hit] : x;
    }
    ll_col_finish(r);
    return r;
}

ll_column *ll_col_replace_str(const ll_column *c, const char *const *from,
                              const char *const *to, int n, ll_err *err)
{
    if (c->type != LL_STR && c->type != LL_CAT) {
        ll_err_set(err, LL_EINVAL, "replace: strings for a %s column",
                   ll_dtype_name(c->type));
        return NULL;
    }
    ll_strbuilder sb;
    ll_sb_init(&sb);
    for (int64_t i = 0; i < c->len; i++) {
        int rc;
        if (ll_col_isna(c, i)) {
            rc = ll_sb_push_na(&sb);
        } else {
            size_t len;
            const char *s = ll_col_str(c, i, &len);
            int hit = -1;
            for (int k = 0; k < n && hit < 0; k++)
                if (strlen(from[k]) == len && !memcmp(from[k], s, len))
                    hit = k;
            rc = hit >= 0 ? ll_sb_push(&sb, to[hit], strlen(to[hit]))
                          : ll_sb_push(&sb, s, len);
        }
        if (rc) {
            ll_sb_free(&sb);
            return nomem(err);
        }
    }
    ll_column *r = ll_sb_finish(&sb, err);
    if (!r)
        return NULL;
    if (c->type == LL_CAT) {
        ll_column *cat = ll_col_to_category(r, err);
        ll_col_unref(r);
        r = cat;
    }
    return r;
}

ll_column *ll_col_str_replace(const ll_column *c, const char *pat,
                              const char *repl, ll_err *err)
{
    if (c->type != LL_STR && c->type != LL_CAT) {
        ll_err_set(err, LL_EINVAL, "str.replace: a %s column has no strings",
                   ll_dtype_name(c->type));
        return NULL;
    }
    size_t pn = strlen(pat), rn = strlen(repl);
    if (pn == 0) {
        ll_err_set(err, LL_EINVAL, "str.replace: empty pattern");
        return NULL;
    }
    ll_strbuilder sb;
    ll_sb_init(&sb);
    ll_buf b;
    ll_buf_init(&b);
    for (int64_t i = 0; i < c->len; i++) {
        int rc = 0;
        if (ll_col_isna(c, i)) {
            rc = ll_sb_push_na(&sb);
        } else {
            size_t len;
            const char *s = ll_col_str(c, i, &len), *end = s + len;
            b.len = 0;
            while (!rc && s < end) {
                const char *hit = (size_t)(end - s) >= pn
                                      ? memmem(s, (size_t)(end - s), pat, pn)
                                      : NULL;
                if (!hit) {
                    rc = ll_buf_append(&b, s, (size_t)(end - s));
                    break;
                }
                rc = ll_buf_append(&b, s, (size_t)(hit - s)) ||
                     ll_buf_append(&b, repl, rn);
                s = hit + pn;
            }
            if (!rc)
                rc = ll_sb_push(&sb, b.len ? ll_buf_str(&b) : "", b.len);
        }
        if (rc) {
            ll_buf_free(&b);
            ll_sb_free(&sb);
            return nomem(err);
        }
    }
    ll_buf_free(&b);
    return ll_sb_finish(&sb, err);
}

/* A one-column frame over c, named name. */
static ll_frame *one(ll_column *c, const char *name, ll_err *err)
{
    ll_frame *f = ll_frame_new(err);
    if (!f)
        return NULL;
    if (ll_frame_set(f, name, c, err)) {
        ll_frame_free(f);
        return NULL;
    }
    return f;
}

ll_column *ll_col_unique(ll_column *c, ll_err *err)
{
    const char *name = "value";
    ll_frame *f = one(c, name, err);
    ll_frame *u = f ? ll_frame_unique(f, &name, 1, err) : NULL;
    ll_column *r = u ? ll_col_ref(u->cols[0]) : NULL;
    ll_frame_free(f);
    ll_frame_free(u);
    if (!r && err && !err->code)
        return nomem(err);
    return r;
}

ll_frame *ll_col_value_counts(ll_column *c, const char *name, int dropna,
                              int normalize, ll_err *err)
{
    ll_frame *f = one(c, name, err);
    ll_frame *r =
        f ? ll_frame_value_counts_opt(f, &name, 1, dropna, err) : NULL;
    ll_frame_free(f);
    if (!r || !normalize)
        return r;
    int64_t total = 0;
    ll_column *cnt = r->cols[1];
    for (int64_t i = 0; i < cnt->len; i++)
        total += LL_I64(cnt)[i];
    ll_column *p = ll_col_new(LL_FLOAT, cnt->len, err);
    if (!p) {
        ll_frame_free(r);
        return NULL;
    }
    for (int64_t i = 0; i < cnt->len; i++)
        LL_F64(p)[i] = (double)LL_I64(cnt)[i] / (double)total;
    ll_frame *out = ll_frame_drop(r, (const char *const[]){"count"}, 1, err);
    ll_frame_free(r);
    if (out && ll_frame_set(out, "proportion", p, err)) {
        ll_frame_free(out);
        out = NULL;
    }
    ll_col_unref(p);
    return out;
}
