/* column: see column.h.  Column storage: types, creation and reference
 * counts, the string builder, views and row selection, casts, categories,
 * concatenation and formatting.  Operations on columns (arithmetic,
 * comparisons and masks, reductions, string and date functions) are in
 * column_ops.c. */
#define _POSIX_C_SOURCE 200809L
#include "frame/column.h"
#include "frame/frame_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    "bool", "int", "float", "string", "category", "date", "datetime"};

const char *ll_dtype_name(ll_dtype t)
{
    return type_names[t];
}

int ll_dtype_parse(const char *name)
{
    for (int i = 0; i < 7; i++)
        if (!strcmp(name, type_names[i]))
            return i;
    if (!strcmp(name, "str"))
        return LL_STR;
    if (!strcmp(name, "cat"))
        return LL_CAT;
    if (!strcmp(name, "int64"))
        return LL_INT;
    if (!strcmp(name, "float64") || !strcmp(name, "number"))
        return LL_FLOAT;
    return -1;
}

size_t ll_dtype_size(ll_dtype t)
{
    switch (t) {
    case LL_BOOL:
        return 1;
    case LL_CAT:
    case LL_DATE:
        return 4;
    default:
        return 8;
    }
}

ll_column *ll_col_new(ll_dtype type, int64_t len, ll_err *err)
{
    if (len < 0) {
        ll_err_set(err, LL_EINVAL, "column length %lld is negative",
                   (long long)len);
        return NULL;
    }
    ll_column *c = calloc(1, sizeof *c);
    if (!c) {
        ll_err_oom(err);
        return NULL;
    }
    c->refs = 1;
    c->type = type;
    c->len = len;
    if (type == LL_STR) {
        c->offs = calloc((size_t)len + 1, sizeof *c->offs);
        c->bytes = malloc(1);
        if (!c->offs || !c->bytes) {
            ll_col_unref(c);
            ll_err_oom(err);
            return NULL;
        }
        return c;
    }
    c->data = calloc((size_t)(len ? len : 1), ll_dtype_size(type));
    if (!c->data) {
        free(c);
        ll_err_oom(err);
        return NULL;
    }
    return c;
}

ll_column *ll_col_ref(ll_column *c)
{
    if (c)
        c->refs++;
    return c;
}

void ll_col_unref(ll_column *c)
{
    if (!c || --c->refs > 0)
        return;
    if (c->base) {
        ll_col_unref(c->base);
    } else {
        free(c->valid);
        free(c->data);
        free(c->offs);
        free(c->bytes);
    }
    ll_col_unref(c->dict);
    free(c);
}

int ll_col_set_na(ll_column *c, int64_t i)
{
    if (!c->valid) {
        size_t nb = (size_t)(c->len + 7) / 8 + 1;
        c->valid = malloc(nb);
        if (!c->valid)
            return LL_ENOMEM;
        memset(c->valid, 0xFF, nb);
        c->voff = 0;
    }
    c->valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
    c->null_count++;
    return LL_OK;
}

void ll_col_finish(ll_column *c)
{
    if (!c->valid || c->base)
        return;
    int64_t n = 0;
    for (int64_t i = 0; i < c->len; i++)
        n += ll_col_isna(c, i);
    c->null_count = n;
    if (n == 0) {
        free(c->valid);
        c->valid = NULL;
    }
}

const char *ll_col_str(const ll_column *c, int64_t i, size_t *len)
{
    if (c->type == LL_CAT) {
        int32_t code = LL_I32(c)[i];
        if (code < 0) {
            *len = 0;
            return "";
        }
        return ll_col_str(c->dict, code, len);
    }
    *len = (size_t)(c->offs[i + 1] - c->offs[i]);
    return c->bytes + c->offs[i];
}

double ll_col_num(const ll_column *c, int64_t i)
{
    if (ll_col_isna(c, i))
        return LL_NAN;
    switch (c->type) {
    case LL_BOOL:
        return LL_U8(c)[i];
    case LL_INT:
    case LL_DATETIME:
        return (double)LL_I64(c)[i];
    case LL_FLOAT:
        return LL_F64(c)[i];
    case LL_DATE:
        return LL_I32(c)[i];
    default:
        return LL_NAN;
    }
}

int ll_col_is_numeric(const ll_column *c)
{
    return c->type == LL_BOOL || c->type == LL_INT || c->type == LL_FLOAT;
}

/* --- string builder --- */

void ll_sb_init(ll_strbuilder *sb)
{
    memset(sb, 0, sizeof *sb);
    ll_buf_init(&sb->bytes);
}

static int sb_grow(ll_strbuilder *sb)
{
    if (sb->len + 2 <= sb->cap)
        return LL_OK;
    int64_t cap = sb->cap ? sb->cap * 2 : 64;
    int64_t *o = realloc(sb->offs, (size_t)(cap + 1) * sizeof *o);
    if (!o)
        return LL_ENOMEM;
    sb->offs = o;
    if (sb->valid || sb->has_na) {
        uint8_t *v = realloc(sb->valid, (size_t)(cap + 8) / 8 + 1);
        if (!v)
            return LL_ENOMEM;
        memset(v + (sb->cap + 8) / 8 + (sb->cap ? 1 : 0), 0xFF,
               (size_t)((cap + 8) / 8 + 1 - (sb->cap + 8) / 8 -
                        (sb->cap ? 1 : 0)));
        sb->valid = v;
    }
    sb->cap = cap;
    if (sb->len == 0)
        sb->offs[0] = 0;
    return LL_OK;
}

int ll_sb_push(ll_strbuilder *sb, const char *s, size_t n)
{
    if (sb_grow(sb) || ll_buf_append(&sb->bytes, s, n))
        return LL_ENOMEM;
    sb->len++;
    sb->offs[sb->len] = (int64_t)sb->bytes.len;
    return LL_OK;
}

int ll_sb_push_na(ll_strbuilder *sb)
{
    if (sb_grow(sb))
        return LL_ENOMEM;
    if (!sb->valid) {
        size_t nb = (size_t)(sb->cap + 8) / 8 + 1;
        sb->valid = malloc(nb);
        if (!sb->valid)
            return LL_ENOMEM;
        memset(sb->valid, 0xFF, nb);
        sb->has_na = 1;
    }
    sb->valid[sb->len >> 3] &= (uint8_t) ~(1u << (sb->len & 7));
    sb->len++;
    sb->offs[sb->len] = (int64_t)sb->bytes.len;
    return LL_OK;
}

ll_column *ll_sb_finish(ll_strbuilder *sb, ll_err *err)
{
    /* The builder is consumed whether this succeeds or not. */
    ll_column *c = calloc(1, sizeof *c);
    if (!c) {
        ll_sb_free(sb);
        ll_err_oom(err);
        return NULL;
    }
    if (!sb->offs) {
        sb->offs = calloc(1, sizeof *sb->offs);
        if (!sb->offs) {
            free(c);
            ll_sb_free(sb);
            ll_err_oom(err);
            return NULL;
        }
    }
    c->refs = 1;
    c->type = LL_STR;
    c->len = sb->len;
    c->offs = sb->offs;
    c->bytes = sb->bytes.data ? sb->bytes.data : malloc(1);
    c->valid = sb->valid;
    sb->bytes.data = NULL;
    ll_buf_free(&sb->bytes);
    sb->offs = NULL;
    sb->valid = NULL;
    sb->len = sb->cap = 0;
    sb->has_na = 0;
    if (!c->bytes) {
        ll_col_unref(c);
        ll_err_oom(err);
        return NULL;
    }
    ll_col_finish(c);
    return c;
}

void ll_sb_free(ll_strbuilder *sb)
{
    ll_buf_free(&sb->bytes);
    free(sb->offs);
    free(sb->valid);
    memset(sb, 0, sizeof *sb);
}

/* --- views and row selection --- */

ll_column *ll_col_slice(ll_column *c, int64_t off, int64_t len, ll_err *err)
{
    ll_column *root = c->base ? c->base : c;
    ll_column *v = calloc(1, sizeof *v);
    if (!v) {
        ll_err_oom(err);
        return NULL;
    }
    v->refs = 1;
    v->type = c->type;
    v->len = len;
    v->base = ll_col_ref(root);
    if (c->valid) {
        v->valid = c->valid;
        v->voff = c->voff + off;
        for (int64_t i = 0; i < len; i++)
            v->null_count += ll_col_isna(v, i);
        if (v->null_count == 0)
            v->valid = NULL;
    }
    if (c->type == LL_STR) {
        v->offs = c->offs + off;
        v->bytes = c->bytes;
    } else {
        v->data = (char *)c->data + (size_t)off * ll_dtype_size(c->type);
    }
    v->dict = ll_col_ref(c->dict);
    return v;
}

ll_column *ll_col_take(const ll_column *c, const int64_t *idx, int64_t n,
                       ll_err *err)
{
    ll_column *r;
    if (c->type == LL_STR) {
        ll_strbuilder sb;
        ll_sb_init(&sb);
        for (int64_t i = 0; i < n; i++) {
            int rc;
            if (idx[i] < 0 || ll_col_isna(c, idx[i])) {
                rc = ll_sb_push_na(&sb);
            } else {
                size_t len;
                const char *s = ll_col_str(c, idx[i], &len);
                rc = ll_sb_push(&sb, s, len);
            }
            if (rc) {
                ll_sb_free(&sb);
                ll_err_oom(err);
                return NULL;
            }
        }
        return ll_sb_finish(&sb, err);
    }
    r = ll_col_new(c->type, n, err);
    if (!r)
        return NULL;
    size_t es = ll_dtype_size(c->type);
    int any_neg = 0;
    if (!c->valid) {
        /* no NA in the source: tight gathers per width */
        for (int64_t i = 0; i < n && !any_neg; i++)
            any_neg = idx[i] < 0;
        if (!any_neg) {
            if (es == 8) {
                const int64_t *src = c->data;
                int64_t *dst = r->data;
                for (int64_t i = 0; i < n; i++)
                    dst[i] = src[idx[i]];
            } else if (es == 4) {
                const int32_t *src = c->data;
                int32_t *dst = r->data;
                for (int64_t i = 0; i < n; i++)
                    dst[i] = src[idx[i]];
            } else {
                const uint8_t *src = c->data;
                uint8_t *dst = r->data;
                for (int64_t i = 0; i < n; i++)
                    dst[i] = src[idx[i]];
            }
            r->dict = ll_col_ref(c->dict);
            return r;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t j = idx[i];
        if (j < 0 || ll_col_isna(c, j)) {
            if (ll_col_set_na(r, i)) {
                ll_col_unref(r);
                ll_err_oom(err);
                return NULL;
            }
            if (c->type == LL_CAT)
                LL_I32(r)[i] = -1;
            continue;
        }
        switch (es) {
        case 1:
            LL_U8(r)[i] = LL_U8(c)[j];
            break;
        case 4:
            LL_I32(r)[i] = LL_I32(c)[j];
            break;
        default:
            LL_I64(r)[i] = LL_I64(c)[j];
        }
    }
    r->dict = ll_col_ref(c->dict);
    return r;
}

int64_t *ll_mask_rows(const ll_column *mask, int64_t *n)
{
    *n = 0;
    for (int64_t i = 0; i < mask->len; i++)
        *n += LL_U8(mask)[i] && !ll_col_isna(mask, i);
    int64_t *idx = malloc((size_t)(*n ? *n : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    int64_t k = 0;
    for (int64_t i = 0; i < mask->len; i++)
        if (LL_U8(mask)[i] && !ll_col_isna(mask, i))
            idx[k++] = i;
    return idx;
}

ll_column *ll_col_filter(const ll_column *c, const ll_column *mask, ll_err *err)
{
    int64_t n;
    int64_t *idx = ll_mask_rows(mask, &n);
    if (!idx) {
        ll_err_oom(err);
        return NULL;
    }
    ll_column *r = ll_col_take(c, idx, n, err);
    free(idx);
    return r;
}

static ll_column *to_strings(const ll_column *c)
{
    ll_strbuilder sb;
    ll_sb_init(&sb);
    ll_buf tmp;
    ll_buf_init(&tmp);
    for (int64_t i = 0; i < c->len; i++) {
        int rc;
        if (ll_col_isna(c, i)) {
            rc = ll_sb_push_na(&sb);
        } else if (c->type == LL_STR || c->type == LL_CAT) {
            size_t len;
            const char *s = ll_col_str(c, i, &len);
            rc = ll_sb_push(&sb, s, len);
        } else {
            ll_buf_reset(&tmp);
            rc = ll_col_format(c, i, &tmp);
            if (!rc)
                rc = ll_sb_push(&sb, tmp.data, tmp.len);
        }
        if (rc) {
            ll_sb_free(&sb);
            ll_buf_free(&tmp);
            return NULL;
        }
    }
    ll_buf_free(&tmp);
    return ll_sb_finish(&sb, NULL);
}

ll_column *ll_col_cast(const ll_column *c, ll_dtype to, ll_err *err)
{
    if (to == LL_STR) {
        ll_column *r = to_strings(c);
        if (!r)
            ll_err_oom(err);
        return r;
    }
    if (to == LL_CAT) {
        if (c->type == LL_CAT)
            return ll_col_ref(ll_col_mut(c));
        ll_column *s =
            c->type == LL_STR ? ll_col_ref(ll_col_mut(c)) : to_strings(c);
        if (!s) {
            ll_err_oom(err);
            return NULL;
        }
        ll_column *r = ll_col_to_category(s, err);
        ll_col_unref(s);
        return r;
    }
    ll_column *r = ll_col_new(to, c->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i)) {
            if (ll_col_set_na(r, i))
                goto oom;
            continue;
        }
        if (c->type == LL_STR || c->type == LL_CAT) {
            size_t n;
            const char *s = ll_col_str(c, i, &n);
            int ok = 0;
            switch (to) {
            case LL_BOOL:
                ok = ll_parse_bool(s, n, &LL_U8(r)[i]);
                break;
            case LL_INT:
                ok = ll_parse_int(s, n, &LL_I64(r)[i]);
                break;
            case LL_FLOAT:
                ok = ll_parse_float(s, n, &LL_F64(r)[i]);
                break;
            case LL_DATE:
                ok = ll_parse_date(s, n, &LL_I32(r)[i]);
                break;
            case LL_DATETIME:
                ok = ll_parse_datetime(s, n, &LL_I64(r)[i]);
                break;
            default:
                break;
            }
            if (!ok) {
                ll_err_set(err, LL_EINVAL,
                           "row %lld: cannot convert '%.*s' to %s",
                           (long long)i + 1, (int)(n > 40 ? 40 : n), s,
                           ll_dtype_name(to));
                ll_col_unref(r);
                return NULL;
            }
            continue;
        }
        double x = ll_col_num(c, i);
        switch (to) {
        case LL_BOOL:
            LL_U8(r)[i] = x != 0;
            break;
        case LL_INT:
            if (c->type == LL_FLOAT) {
                if (!(fabs(x) < 9.2e18)) {
                    ll_err_set(err, LL_ERANGE,
                               "row %lld: %g does not fit an int",
                               (long long)i + 1, x);
                    ll_col_unref(r);
                    return NULL;
                }
                LL_I64(r)[i] = (int64_t)x;
            } else if (c->type == LL_DATE) {
                LL_I64(r)[i] = LL_I32(c)[i];
            } else if (c->type == LL_BOOL) {
                LL_I64(r)[i] = LL_U8(c)[i];
            } else {
                LL_I64(r)[i] = LL_I64(c)[i];
            }
            break;
        case LL_FLOAT:
            LL_F64(r)[i] = x;
            break;
        case LL_DATE:
            if (c->type == LL_DATETIME)
                LL_I32(r)[i] = (int32_t)floor(x / 86400000.0);
            else
                LL_I32(r)[i] = (int32_t)x;
            break;
        case LL_DATETIME:
            if (c->type == LL_DATE)
                LL_I64(r)[i] = (int64_t)LL_I32(c)[i] * 86400000;
            else
                LL_I64(r)[i] = (int64_t)x;
            break;
        default:
            break;
        }
    }
    ll_col_finish(r);
    return r;
oom:
    ll_col_unref(r);
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

ll_column *ll_col_to_category(const ll_column *c, ll_err *err)
{
    /* distinct strings through a hash, then sort the dictionary */
    ll_strhash h;
    if (ll_strhash_init(&h, 64)) {
        ll_err_oom(err);
        return NULL;
    }
    ll_column *r = ll_col_new(LL_CAT, c->len, NULL);
    int32_t *codes = r ? LL_I32(r) : NULL;
    if (!r)
        goto fail;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i)) {
            codes[i] = -1;
            if (ll_col_set_na(r, i))
                goto fail;
            continue;
        }
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        int64_t id = ll_strhash_put(&h, s, n);
        if (id < 0)
            goto fail;
        codes[i] = (int32_t)id;
    }
    if (ll_strhash_sorted_dict(&h, &r->dict, codes, c->len))
        goto fail;
    ll_strhash_free(&h);
    return r;
fail:
    ll_strhash_free(&h);
    ll_col_unref(r);
    ll_err_oom(err);
    return NULL;
}

ll_column *ll_col_concat(const ll_column *a, const ll_column *b, ll_err *err)
{
    ll_dtype t = a->type;
    int astr = a->type == LL_STR || a->type == LL_CAT;
    int bstr = b->type == LL_STR || b->type == LL_CAT;
    if (a->type != b->type) {
        if (astr && bstr)
            t = LL_STR;
        else if (ll_col_is_numeric(a) && ll_col_is_numeric(b))
            t = LL_FLOAT;
        else {
            ll_err_set(err, LL_EINVAL, "cannot concatenate %s and %s",
                       ll_dtype_name(a->type), ll_dtype_name(b->type));
            return NULL;
        }
    } else if (t == LL_CAT) {
        t = LL_STR;
    }
    ll_column *ca =
        a->type == t ? ll_col_ref(ll_col_mut(a)) : ll_col_cast(a, t, err);
    ll_column *cb =
        b->type == t ? ll_col_ref(ll_col_mut(b)) : ll_col_cast(b, t, err);
    ll_column *r = NULL;
    if (!ca || !cb)
        goto done;
    int64_t n = a->len + b->len;
    if (t == LL_STR) {
        ll_strbuilder sb;
        ll_sb_init(&sb);
        for (int k = 0; k < 2; k++) {
            ll_column *src = k ? cb : ca;
            for (int64_t i = 0; i < src->len; i++) {
                size_t len = 0;
                int rc;
                if (ll_col_isna(src, i)) {
                    rc = ll_sb_push_na(&sb);
                } else {
                    const char *s = ll_col_str(src, i, &len);
                    rc = ll_sb_push(&sb, s, len);
                }
                if (rc) {
                    ll_sb_free(&sb);
                    goto done;
                }
            }
        }
        r = ll_sb_finish(&sb, err);
        if (r && a->type == LL_CAT && b->type == LL_CAT) {
            ll_column *cat = ll_col_to_category(r, err);
            ll_col_unref(r);
            r = cat;
        }
        goto done;
    }
    r = ll_col_new(t, n, err);
    if (!r)
        goto done;
    size_t es = ll_dtype_size(t);
    memcpy(r->data, ca->data, (size_t)ca->len * es);
    memcpy((char *)r->data + (size_t)ca->len * es, cb->data,
           (size_t)cb->len * es);
    for (int64_t i = 0; i < n; i++) {
        int na =
            i < ca->len ? ll_col_isna(ca, i) : ll_col_isna(cb, i - ca->len);
        if (na && ll_col_set_na(r, i)) {
            ll_col_unref(r);
            r = NULL;
            goto done;
        }
    }
done:
    ll_col_unref(ca);
    ll_col_unref(cb);
    if (!r && err && !err->msg[0])
        ll_err_set(err, LL_ENOMEM, "out of memory");
    return r;
}

int ll_col_format(const ll_column *c, int64_t i, ll_buf *out)
{
    char tmp[64];
    if (ll_col_isna(c, i))
        return ll_buf_puts(out, "NA");
    switch (c->type) {
    case LL_BOOL:
        return ll_buf_puts(out, LL_U8(c)[i] ? "true" : "false");
    case LL_INT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)LL_I64(c)[i]);
        break;
    case LL_FLOAT:
        ll_format_float(LL_F64(c)[i], tmp, sizeof tmp);
        break;
    case LL_DATE:
        ll_format_date(LL_I32(c)[i], tmp, sizeof tmp);
        break;
    case LL_DATETIME:
        ll_format_datetime(LL_I64(c)[i], tmp, sizeof tmp);
        break;
    default: {
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        return ll_buf_append(out, s, n);
    }
    }
    return ll_buf_puts(out, tmp);
}
