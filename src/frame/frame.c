/* frame: see frame.h.  Column sets, row selection, describe and the
 * string hash the other files share (missing values: missing.c). */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"
#include "util/suggest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* --- string hash --- */

/* Slot arrays of 2 MB and more sit on huge pages where the kernel offers
 * them: lookups land at random, and with 4 KB pages nearly every lookup in
 * a table of ~100k keys also missed the TLB (a page walk, costly in a VM). */
static ll_strslot *slots_alloc(int64_t n)
{
    size_t bytes = (size_t)n * sizeof(ll_strslot);
    size_t huge = (size_t)2 << 20;
    if (bytes < huge)
        return malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes))
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    return p;
}

int ll_strhash_init(ll_strhash *h, int64_t cap)
{
    int64_t n = 16;
    while (n < cap * 2)
        n *= 2;
    memset(h, 0, sizeof *h);
    h->slots = slots_alloc(n);
    if (!h->slots)
        return LL_ENOMEM;
    for (int64_t i = 0; i < n; i++)
        h->slots[i].id = -1;
    h->mask = n - 1;
    ll_sb_init(&h->strs);
    return LL_OK;
}

void ll_strhash_free(ll_strhash *h)
{
    free(h->slots);
    ll_sb_free(&h->strs);
    memset(h, 0, sizeof *h);
}

static int strhash_grow(ll_strhash *h)
{
    int64_t n = (h->mask + 1) * 2;
    ll_strslot *slots = slots_alloc(n);
    if (!slots)
        return LL_ENOMEM;
    for (int64_t i = 0; i < n; i++)
        slots[i].id = -1;
    for (int64_t i = 0; i <= h->mask; i++) {
        if (h->slots[i].id < 0)
            continue;
        int64_t j = (int64_t)(h->slots[i].hash & (uint64_t)(n - 1));
        while (slots[j].id >= 0)
            j = (j + 1) & (n - 1);
        slots[j] = h->slots[i];
    }
    free(h->slots);
    h->slots = slots;
    h->mask = n - 1;
    return LL_OK;
}

/* a == b for n <= 16 bytes, inline: two overlapping loads from each end
 * instead of a call to memcmp (keys of a few bytes dominate) */
static inline int eq_short(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static int64_t strhash_find(const ll_strhash *h, const char *s, size_t n,
                            uint64_t hv, int64_t *slot)
{
    int64_t j = (int64_t)(hv & (uint64_t)h->mask);
    for (;;) {
        const ll_strslot *e = &h->slots[j];
        if (e->id < 0)
            break;
        if (e->hash == hv && e->len == n) {
            if (n <= sizeof e->inl) {
                if (eq_short(e->inl, s, n))
                    return e->id;
            } else {
                const ll_strbuilder *sb = &h->strs;
                if (!memcmp(sb->bytes.data + sb->offs[e->id], s, n))
                    return e->id;
            }
        }
        j = (j + 1) & h->mask;
    }
    *slot = j;
    return -1;
}

int64_t ll_strhash_get(const ll_strhash *h, const char *s, size_t n)
{
    int64_t slot;
    return strhash_find(h, s, n, ll_hash_bytes(s, n), &slot);
}

int64_t ll_strhash_put(ll_strhash *h, const char *s, size_t n)
{
    return ll_strhash_put_hv(h, s, n, ll_hash_bytes(s, n));
}

int64_t ll_strhash_put_hv(ll_strhash *h, const char *s, size_t n, uint64_t hv)
{
    int64_t slot;
    int64_t id = strhash_find(h, s, n, hv, &slot);
    if (id >= 0)
        return id;
    if (h->count >= INT32_MAX || n > UINT32_MAX)
        return -1;
    if ((h->count + 1) * 2 > h->mask + 1) {
        if (strhash_grow(h))
            return -1;
        strhash_find(h, s, n, hv, &slot);
    }
    if (ll_sb_push(&h->strs, s, n))
        return -1;
    ll_strslot *e = &h->slots[slot];
    e->hash = hv;
    e->id = (int32_t)h->count;
    e->len = (uint32_t)n;
    if (n <= sizeof e->inl)
        memcpy(e->inl, s, n);
    return h->count++;
}

static const ll_strbuilder *sort_sb;

static int cmp_ids(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    const ll_strbuilder *sb = sort_sb;
    size_t an = (size_t)(sb->offs[a + 1] - sb->offs[a]);
    size_t bn = (size_t)(sb->offs[b + 1] - sb->offs[b]);
    int c = memcmp(sb->bytes.data + sb->offs[a], sb->bytes.data + sb->offs[b],
                   an < bn ? an : bn);
    if (c)
        return c;
    return (an > bn) - (an < bn);
}

int ll_strhash_sorted_dict(ll_strhash *h, ll_column **dict, int32_t *codes,
                           int64_t n)
{
    int64_t k = h->count;
    int64_t *ids = malloc((size_t)(k + 1) * sizeof *ids);
    int32_t *remap = malloc((size_t)(k + 1) * sizeof *remap);
    ll_strbuilder sb;
    ll_sb_init(&sb);
    if (!ids || !remap)
        goto fail;
    for (int64_t i = 0; i < k; i++)
        ids[i] = i;
    if (k && !h->strs.bytes.data && ll_buf_reserve(&h->strs.bytes, 1))
        goto fail;
    sort_sb = &h->strs;
    qsort(ids, (size_t)k, sizeof *ids, cmp_ids);
    for (int64_t i = 0; i < k; i++) {
        int64_t id = ids[i];
        remap[id] = (int32_t)i;
        if (ll_sb_push(&sb, h->strs.bytes.data + h->strs.offs[id],
                       (size_t)(h->strs.offs[id + 1] - h->strs.offs[id])))
            goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        if (codes[i] >= 0)
            codes[i] = remap[codes[i]];
    *dict = ll_sb_finish(&sb, NULL);
    free(ids);
    free(remap);
    return *dict ? LL_OK : LL_ENOMEM;
fail:
    free(ids);
    free(remap);
    ll_sb_free(&sb);
    return LL_ENOMEM;
}

/* --- frames --- */

ll_frame *ll_frame_new(ll_err *err)
{
    ll_frame *f = calloc(1, sizeof(ll_frame));
    if (!f)
        ll_err_oom(err);
    return f;
}

void ll_frame_free(ll_frame *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->ncol; i++) {
        ll_col_unref(f->cols[i]);
        free(f->names[i]);
    }
    free(f->cols);
    free(f->names);
    free(f);
}

int ll_frame_find(const ll_frame *f, const char *name)
{
    for (int i = 0; i < f->ncol; i++)
        if (!strcmp(f->names[i], name))
            return i;
    return -1;
}

int ll_frame_col(const ll_frame *f, const char *name, ll_err *err)
{
    int i = ll_frame_find(f, name);
    if (i >= 0)
        return i;
    const char *best = ll_suggest(name, (const char *const *)f->names, f->ncol);
    if (best)
        ll_err_set(err, LL_ENOTFOUND, "no column '%s' (did you mean '%s'?)",
                   name, best);
    else
        ll_err_set(err, LL_ENOTFOUND, "no column '%s'", name);
    return -1;
}

static int frame_push(ll_frame *f, const char *name, ll_column *col)
{
    if (f->ncol == f->cap) {
        int cap = f->cap ? f->cap * 2 : 8;
        ll_column **c = realloc(f->cols, (size_t)cap * sizeof *c);
        if (!c)
            return LL_ENOMEM;
        f->cols = c;
        char **nm = realloc(f->names, (size_t)cap * sizeof *nm);
        if (!nm)
            return LL_ENOMEM;
        f->names = nm;
        f->cap = cap;
    }
    char *dup = strdup(name);
    if (!dup)
        return LL_ENOMEM;
    f->names[f->ncol] = dup;
    f->cols[f->ncol++] = ll_col_ref(col);
    return LL_OK;
}

int ll_frame_append(ll_frame *f, const char *name, ll_column *col, ll_err *err)
{
    if (f->ncol > 0 && col->len != f->nrow)
        return ll_err_set(err, LL_EINVAL,
                          "column '%s' has %lld rows, the frame has %lld", name,
                          (long long)col->len, (long long)f->nrow);
    if (frame_push(f, name, col))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    f->nrow = col->len;
    return LL_OK;
}

int ll_frame_set(ll_frame *f, const char *name, ll_column *col, ll_err *err)
{
    if (f->ncol > 0 && col->len != f->nrow)
        return ll_err_set(err, LL_EINVAL,
                          "column '%s' has %lld rows, the frame has %lld", name,
                          (long long)col->len, (long long)f->nrow);
    int i = ll_frame_find(f, name);
    if (i >= 0) {
        ll_col_ref(col);
        ll_col_unref(f->cols[i]);
        f->cols[i] = col;
        return LL_OK;
    }
    if (frame_push(f, name, col))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    f->nrow = col->len;
    return LL_OK;
}

ll_frame *ll_frame_copy(const ll_frame *f, ll_err *err)
{
    ll_frame *r = ll_frame_new(err);
    if (!r)
        return NULL;
    r->nrow = f->nrow;
    for (int i = 0; i < f->ncol; i++)
        if (frame_push(r, f->names[i], f->cols[i])) {
            ll_frame_free(r);
            ll_err_oom(err);
            return NULL;
        }
    return r;
}

ll_frame *ll_frame_select(const ll_frame *f, const char *const *names, int n,
                          ll_err *err)
{
    ll_frame *r = ll_frame_new(err);
    if (!r)
        return NULL;
    r->nrow = f->nrow;
    for (int k = 0; k < n; k++) {
        int i = ll_frame_col(f, names[k], err);
        if (i < 0 || ll_frame_set(r, names[k], f->cols[i], err)) {
            ll_frame_free(r);
            return NULL;
        }
    }
    return r;
}

ll_frame *ll_frame_drop(const ll_frame *f, const char *const *names, int n,
                        ll_err *err)
{
    for (int k = 0; k < n; k++)
        if (ll_frame_col(f, names[k], err) < 0)
            return NULL;
    ll_frame *r = ll_frame_new(err);
    if (!r)
        return NULL;
    r->nrow = f->nrow;
    for (int i = 0; i < f->ncol; i++) {
        int dropped = 0;
        for (int k = 0; k < n; k++)
            dropped |= !strcmp(f->names[i], names[k]);
        if (!dropped && frame_push(r, f->names[i], f->cols[i])) {
            ll_frame_free(r);
            ll_err_set(err, LL_ENOMEM, "out of memory");
            return NULL;
        }
    }
    return r;
}

ll_frame *ll_frame_rename(const ll_frame *f, const char *const *from,
                          const char *const *to, int n, ll_err *err)
{
    for (int k = 0; k < n; k++)
        if (ll_frame_col(f, from[k], err) < 0)
            return NULL;
    ll_frame *r = ll_frame_copy(f, err);
    if (!r)
        return NULL;
    for (int k = 0; k < n; k++) {
        int i = ll_frame_find(r, from[k]);
        char *dup = strdup(to[k]);
        if (!dup) {
            ll_frame_free(r);
            ll_err_oom(err);
            return NULL;
        }
        free(r->names[i]);
        r->names[i] = dup;
    }
    for (int i = 0; i < r->ncol; i++)
        for (int j = i + 1; j < r->ncol; j++)
            if (!strcmp(r->names[i], r->names[j])) {
                ll_err_set(err, LL_EINVAL, "rename: duplicate column '%s'",
                           r->names[i]);
                ll_frame_free(r);
                return NULL;
            }
    return r;
}

/* A frame of n rows of f: rows idx[0..n) when idx is given, else the rows
 * off .. off + n - 1 (ll_col_slice). */
static ll_frame *pick_rows(const ll_frame *f, const int64_t *idx, int64_t off,
                           int64_t n, ll_err *err)
{
    ll_frame *r = ll_frame_new(err);
    if (!r)
        return NULL;
    r->nrow = n;
    for (int i = 0; i < f->ncol; i++) {
        ll_column *c = idx ? ll_col_take(f->cols[i], idx, n, err)
                           : ll_col_slice(f->cols[i], off, n, err);
        int rc = c ? frame_push(r, f->names[i], c) : LL_ENOMEM;
        if (c && rc)
            ll_err_oom(err);
        ll_col_unref(c);
        if (rc) {
            ll_frame_free(r);
            return NULL;
        }
    }
    return r;
}

ll_frame *ll_frame_slice(const ll_frame *f, int64_t off, int64_t len,
                         ll_err *err)
{
    if (off < 0)
        off = 0;
    if (off > f->nrow)
        off = f->nrow;
    if (len < 0 || len > f->nrow - off)
        len = f->nrow - off;
    return pick_rows(f, NULL, off, len, err);
}

ll_frame *ll_frame_take(const ll_frame *f, const int64_t *idx, int64_t n,
                        ll_err *err)
{
    if (n < 0) {
        ll_err_set(err, LL_EINVAL, "take: row count %lld is negative",
                   (long long)n);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        if (idx[i] >= f->nrow) {
            ll_err_set(err, LL_ERANGE,
                       "take: row index %lld (position %lld) is out of range "
                       "for a frame of %lld rows",
                       (long long)idx[i], (long long)i, (long long)f->nrow);
            return NULL;
        }
    return pick_rows(f, idx, 0, n, err);
}

ll_frame *ll_frame_filter(const ll_frame *f, const ll_column *mask, ll_err *err)
{
    if (mask->type != LL_BOOL) {
        ll_err_set(err, LL_EINVAL, "filter: mask must be bool, got %s",
                   ll_dtype_name(mask->type));
        return NULL;
    }
    if (mask->len != f->nrow) {
        ll_err_set(err, LL_EINVAL,
                   "filter: mask has %lld rows, the frame has %lld",
                   (long long)mask->len, (long long)f->nrow);
        return NULL;
    }
    int64_t n;
    int64_t *idx = ll_mask_rows(mask, &n);
    if (!idx) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    ll_frame *r = ll_frame_take(f, idx, n, err);
    free(idx);
    return r;
}

static ll_column *all_na(ll_dtype t, int64_t n, ll_err *err)
{
    ll_column *c;
    if (t == LL_STR || t == LL_CAT) {
        ll_strbuilder sb;
        ll_sb_init(&sb);
        for (int64_t i = 0; i < n; i++)
            if (ll_sb_push_na(&sb)) {
                ll_sb_free(&sb);
                ll_err_oom(err);
                return NULL;
            }
        return ll_sb_finish(&sb, err);
    }
    c = ll_col_new(t, n, err);
    if (!c)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        if (ll_col_set_na(c, i)) {
            ll_col_unref(c);
            ll_err_oom(err);
            return NULL;
        }
    return c;
}

ll_frame *ll_frame_concat(const ll_frame *a, const ll_frame *b, ll_err *err)
{
    ll_frame *r = ll_frame_new(err);
    if (!r)
        return NULL;
    r->nrow = a->nrow + b->nrow;
    for (int pass = 0; pass < 2; pass++) {
        const ll_frame *x = pass ? b : a;
        for (int i = 0; i < x->ncol; i++) {
            if (pass && ll_frame_find(a, x->names[i]) >= 0)
                continue;
            int ia = ll_frame_find(a, x->names[i]);
            int ib = ll_frame_find(b, x->names[i]);
            ll_column *ca = ia >= 0 ? ll_col_ref(a->cols[ia])
                                    : all_na(x->cols[i]->type, a->nrow, err);
            ll_column *cb = ib >= 0 ? ll_col_ref(b->cols[ib])
                                    : all_na(x->cols[i]->type, b->nrow, err);
            ll_column *c = ca && cb ? ll_col_concat(ca, cb, err) : NULL;
            ll_col_unref(ca);
            ll_col_unref(cb);
            if (!c || frame_push(r, x->names[i], c)) {
                if (c) {
                    ll_col_unref(c);
                    ll_err_oom(err);
                } else
                    ll_err_prefix(err, "concat: column '%s'", x->names[i]);
                ll_frame_free(r);
                return NULL;
            }
            ll_col_unref(c);
        }
    }
    return r;
}

/* --- describe --- */

ll_frame *ll_frame_describe(const ll_frame *f, ll_err *err)
{
    static const char *const stats[] = {"count",  "mean", "std", "min",
                                        "25%",    "50%",  "75%", "max",
                                        "unique", "top",  "freq"};
    /* unique/top/freq only when some column is text-like, as pandas */
    int nstat = 8;
    for (int i = 0; i < f->ncol; i++)
        if (f->cols[i]->type == LL_STR || f->cols[i]->type == LL_CAT ||
            f->cols[i]->type == LL_BOOL)
            nstat = 11;
    ll_frame *r = ll_frame_new(err);
    ll_strbuilder sb;
    ll_sb_init(&sb);
    if (!r)
        goto fail;
    for (int s = 0; s < nstat; s++)
        if (ll_sb_push(&sb, stats[s], strlen(stats[s]))) {
            ll_sb_free(&sb);
            goto fail;
        }
    ll_column *names = ll_sb_finish(&sb, err);
    int set = names ? ll_frame_set(r, "stat", names, err) : LL_ENOMEM;
    ll_col_unref(names);
    if (set)
        goto fail;
    for (int i = 0; i < f->ncol; i++) {
        const ll_column *c = f->cols[i];
        ll_column *out;
        if (c->type == LL_STR || c->type == LL_CAT || c->type == LL_BOOL) {
            /* counts: count unique top freq */
            ll_frame *one = ll_frame_new(err);
            ll_frame *vc = NULL;
            const char *nm = f->names[i];
            if (!one ||
                ll_frame_set(one, nm,
                             c->type == LL_BOOL ? f->cols[i] : f->cols[i],
                             err)) {
                ll_frame_free(one);
                goto fail;
            }
            vc = ll_frame_value_counts(one, &nm, 1, err);
            ll_frame_free(one);
            if (!vc)
                goto fail;
            ll_strbuilder ob;
            ll_sb_init(&ob);
            double cnt;
            int bad = ll_col_reduce(c, "count", 0, &cnt, err);
            ll_buf tmp;
            ll_buf_init(&tmp);
            /* NA is no value: not counted as unique, never the top */
            int64_t top = -1, nuniq = 0;
            for (int64_t j = 0; j < vc->nrow; j++)
                if (!ll_col_isna(vc->cols[0], j)) {
                    nuniq++;
                    if (top < 0)
                        top = j;
                }
            for (int s = 0; s < nstat && !bad; s++) {
                ll_buf_reset(&tmp);
                if (s == 0)
                    ll_buf_printf(&tmp, "%lld", (long long)cnt);
                else if (s == 8)
                    ll_buf_printf(&tmp, "%lld", (long long)nuniq);
                else if (s == 9 && top >= 0)
                    ll_col_format(vc->cols[0], top, &tmp);
                else if (s == 10 && top >= 0)
                    ll_col_format(vc->cols[1], top, &tmp);
                if (tmp.failed)
                    bad = LL_ENOMEM;
                else if (tmp.len || s == 0 || s == 8)
                    bad = ll_sb_push(&ob, tmp.data ? tmp.data : "", tmp.len);
                else
                    bad = ll_sb_push_na(&ob);
            }
            ll_buf_free(&tmp);
            ll_frame_free(vc);
            if (bad) {
                ll_sb_free(&ob);
                goto fail;
            }
            out = ll_sb_finish(&ob, err);
        } else {
            out = ll_col_new(LL_FLOAT, nstat, err);
            if (!out)
                goto fail;
            double *v = LL_F64(out);
            const char *fns[] = {"count", "mean", "std", "min"};
            int bad = 0;
            for (int s = 0; s < 4 && !bad; s++)
                bad = ll_col_reduce(c, fns[s], 0, &v[s], err);
            for (int q = 1; q <= 3 && !bad; q++)
                bad = ll_col_reduce(c, "quantile", 0.25 * q, &v[3 + q], err);
            if (!bad)
                bad = ll_col_reduce(c, "max", 0, &v[7], err);
            if (bad) {
                ll_col_unref(out);
                goto fail;
            }
            for (int s = 8; s < nstat; s++)
                ll_col_set_na(out, s);
            if (c->type == LL_DATE || c->type == LL_DATETIME) {
                /* dates: a text column: the count, then min, quartiles
                 * and max as dates */
                ll_strbuilder db;
                ll_sb_init(&db);
                char t[64];
                for (int s = 0; s < nstat; s++) {
                    if (s == 0)
                        snprintf(t, sizeof t, "%lld", (long long)v[0]);
                    else if (s < 3 || s > 7 || isnan(v[s]))
                        t[0] = 0;
                    else if (c->type == LL_DATE)
                        ll_format_date((int32_t)floor(v[s]), t, sizeof t);
                    else
                        ll_format_datetime((int64_t)v[s], t, sizeof t);
                    if (t[0] ? ll_sb_push(&db, t, strlen(t))
                             : ll_sb_push_na(&db)) {
                        ll_sb_free(&db);
                        ll_col_unref(out);
                        goto fail;
                    }
                }
                ll_col_unref(out);
                out = ll_sb_finish(&db, err);
            } else {
                for (int s = 0; s < 8; s++)
                    if (isnan(v[s]))
                        ll_col_set_na(out, s);
            }
        }
        if (!out)
            goto fail;
        int rc = ll_frame_set(r, f->names[i], out, err);
        ll_col_unref(out);
        if (rc)
            goto fail;
    }
    return r;
fail:
    ll_frame_free(r);
    if (err && !err->code)
        ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}
