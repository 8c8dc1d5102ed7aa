/* missing: dropna and the fillna policies (see frame.h).  NA is a cleared
 * validity bit, and NaN in a float column (as pandas). */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_missing(const ll_column *c, int64_t i)
{
    return ll_col_isna(c, i) || (c->type == LL_FLOAT && isnan(LL_F64(c)[i]));
}

ll_frame *ll_frame_dropna(const ll_frame *f, const char *const *subset, int n,
                          ll_err *err)
{
    int *cols = malloc(sizeof(int) * (size_t)(f->ncol + 1));
    if (!cols) {
        ll_err_oom(err);
        return NULL;
    }
    int nc = 0;
    if (subset) {
        for (int k = 0; k < n; k++) {
            int i = ll_frame_col(f, subset[k], err);
            if (i < 0) {
                free(cols);
                return NULL;
            }
            cols[nc++] = i;
        }
    } else {
        for (int i = 0; i < f->ncol; i++)
            cols[nc++] = i;
    }
    ll_column *mask = ll_col_new(LL_BOOL, f->nrow, err);
    if (!mask) {
        free(cols);
        return NULL;
    }
    for (int64_t r = 0; r < f->nrow; r++) {
        int keep = 1;
        for (int k = 0; k < nc && keep; k++) {
            const ll_column *c = f->cols[cols[k]];
            keep = !is_missing(c, r);
        }
        LL_U8(mask)[r] = (uint8_t)keep;
    }
    free(cols);
    ll_frame *r = ll_frame_filter(f, mask, err);
    ll_col_unref(mask);
    return r;
}

ll_column *ll_col_fillna_num(const ll_column *c, double v, ll_err *err)
{
    if (!ll_col_is_numeric(c) && c->type != LL_DATE && c->type != LL_DATETIME) {
        ll_err_set(err, LL_EINVAL, "fillna: a number for a %s column",
                   ll_dtype_name(c->type));
        return NULL;
    }
    ll_dtype t = c->type;
    if (t != LL_FLOAT && v != floor(v))
        t = LL_FLOAT;
    ll_column *r = ll_col_new(t, c->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        int na = is_missing(c, i);
        switch (t) {
        case LL_FLOAT:
            LL_F64(r)[i] = na ? v : ll_col_num(c, i);
            break;
        case LL_BOOL:
            LL_U8(r)[i] = na ? v != 0 : LL_U8(c)[i];
            break;
        case LL_DATE:
            LL_I32(r)[i] = na ? (int32_t)v : LL_I32(c)[i];
            break;
        default:
            LL_I64(r)[i] = na ? (int64_t)v : LL_I64(c)[i];
        }
    }
    return r;
}

ll_column *ll_col_fillna_str(const ll_column *c, const char *v, ll_err *err)
{
    if (c->type != LL_STR && c->type != LL_CAT) {
        if (c->type == LL_DATE || c->type == LL_DATETIME) {
            int32_t d;
            int64_t ms;
            size_t n = strlen(v);
            if (c->type == LL_DATE && ll_parse_date(v, n, &d))
                return ll_col_fillna_num(c, d, err);
            if (c->type == LL_DATETIME && ll_parse_datetime(v, n, &ms))
                return ll_col_fillna_num(c, (double)ms, err);
        }
        ll_err_set(err, LL_EINVAL, "fillna: '%s' for a %s column", v,
                   ll_dtype_name(c->type));
        return NULL;
    }
    ll_strbuilder sb;
    ll_sb_init(&sb);
    size_t vn = strlen(v);
    for (int64_t i = 0; i < c->len; i++) {
        size_t n;
        const char *s = ll_col_isna(c, i) ? v : ll_col_str(c, i, &n);
        if (ll_sb_push(&sb, s, ll_col_isna(c, i) ? vn : n)) {
            ll_sb_free(&sb);
            ll_err_oom(err);
            return NULL;
        }
    }
    ll_column *r = ll_sb_finish(&sb, err);
    if (r && c->type == LL_CAT) {
        ll_column *cat = ll_col_to_category(r, err);
        ll_col_unref(r);
        r = cat;
    }
    return r;
}

ll_column *ll_col_fill_dir(const ll_column *c, int dir, const int64_t *order,
                           const int64_t *group, ll_err *err)
{
    int64_t n = c->len;
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    int64_t last = -1, last_group = -1;
    for (int64_t k = 0; k < n; k++) {
        int64_t pos = dir > 0 ? k : n - 1 - k;
        int64_t row = order ? order[pos] : pos;
        int64_t g = group ? group[row] : 0;
        if (g != last_group) {
            last = -1;
            last_group = g;
        }
        if (is_missing(c, row))
            idx[row] = last;
        else
            last = row;
    }
    ll_column *r = ll_col_take(c, idx, n, err);
    free(idx);
    return r;
}

static const char *fill_kind_name(int kind)
{
    return kind == LL_FILL_NUM   ? "number"
           : kind == LL_FILL_STR ? "string"
                                 : "boolean";
}

/* Does a value of this kind go into column c?  Numbers fill every column
 * but text; strings fill text, dates and datetimes (parsed); booleans fill
 * bool columns. */
static int fill_fits(const ll_column *c, int kind)
{
    int text = c->type == LL_STR || c->type == LL_CAT;
    if (kind == LL_FILL_NUM)
        return !text;
    if (kind == LL_FILL_STR)
        return text || c->type == LL_DATE || c->type == LL_DATETIME;
    return c->type == LL_BOOL;
}

static ll_column *fill_one(const ll_column *c, const ll_fill *v, ll_err *err)
{
    if (v->kind == LL_FILL_STR)
        return ll_col_fillna_str(c, v->str, err);
    return ll_col_fillna_num(c, v->num, err);
}

ll_frame *ll_frame_fillna(const ll_frame *f, const ll_fill *fills, int n,
                          ll_err *err)
{
    /* per-column values must name columns */
    for (int k = 0; k < n; k++)
        if (fills[k].col && ll_frame_col(f, fills[k].col, err) < 0) {
            ll_err_prefix(err, "fillna");
            return NULL;
        }
    ll_frame *r = ll_frame_copy(f, err);
    if (!r)
        return NULL;
    for (int i = 0; i < f->ncol; i++) {
        const ll_column *src = f->cols[i];
        const ll_fill *v = NULL;
        for (int k = 0; k < n; k++) {
            if (fills[k].col && !strcmp(fills[k].col, f->names[i]))
                v = &fills[k];
            else if (!fills[k].col && !v && fill_fits(src, fills[k].kind))
                v = &fills[k];
        }
        if (!v)
            continue;
        if (v->col && !fill_fits(src, v->kind)) {
            ll_err_set(err, LL_EINVAL,
                       "fillna: column '%s' (%s) cannot take a %s", f->names[i],
                       ll_dtype_name(src->type), fill_kind_name(v->kind));
            ll_frame_free(r);
            return NULL;
        }
        if (!src->valid && src->type != LL_FLOAT)
            continue; /* nothing to fill */
        ll_column *c = fill_one(src, v, err);
        if (!c) {
            if (!err->msg[0])
                ll_err_set(err, LL_ENOMEM, "out of memory");
            ll_err_prefix(err, "fillna: column '%s'", f->names[i]);
            ll_frame_free(r);
            return NULL;
        }
        int rc = ll_frame_set(r, f->names[i], c, err);
        ll_col_unref(c);
        if (rc) {
            ll_frame_free(r);
            return NULL;
        }
    }
    return r;
}

ll_frame *ll_frame_fill_dir(const ll_frame *f, int dir, const int64_t *order,
                            const int64_t *group, ll_err *err)
{
    ll_frame *r = ll_frame_copy(f, err);
    if (!r)
        return NULL;
    for (int i = 0; i < f->ncol; i++) {
        ll_column *c = ll_col_fill_dir(f->cols[i], dir, order, group, err);
        int rc = c ? ll_frame_set(r, f->names[i], c, err) : LL_ENOMEM;
        ll_col_unref(c);
        if (rc) {
            ll_frame_free(r);
            return NULL;
        }
    }
    return r;
}
