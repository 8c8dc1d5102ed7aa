/*
 * sort: stable multi-key row order, NA last, by LSD radix sort.
 *
 * Each key is mapped to an order-preserving unsigned integer (strings
 * through a sorted dictionary), shifted to start at 0, with NA one past the
 * largest value (NA last both ways; desc reverses the values only).  A key
 * whose values span all 64 bits has no room for that: it becomes two keys,
 * an NA flag and the values.  When the keys' bit widths fit in 64 bits they are
 * packed into one key and sorted in one radix run; otherwise one stable run per
 * key, last key first.  Radix passes whose byte is the same for every row are
 * skipped, so small integer ranges cost one or two passes.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Order-preserving unsigned keys for column c (NA flagged in na[]). */
static int column_keys(const ll_column *c, uint64_t *u, uint8_t *na)
{
    ll_column *cat = NULL;
    if (c->type == LL_STR) {
        cat = ll_col_to_category(c, NULL);
        if (!cat)
            return LL_ENOMEM;
        c = cat;
    }
    for (int64_t i = 0; i < c->len; i++) {
        na[i] = (uint8_t)ll_col_isna(c, i);
        if (na[i]) {
            u[i] = 0;
            continue;
        }
        switch (c->type) {
        case LL_BOOL:
            u[i] = LL_U8(c)[i];
            break;
        case LL_INT:
        case LL_DATETIME:
            u[i] = (uint64_t)LL_I64(c)[i] ^ (1ull << 63);
            break;
        case LL_DATE:
            u[i] = (uint64_t)((int64_t)LL_I32(c)[i] + (1ll << 31));
            break;
        case LL_CAT:
            u[i] = (uint64_t)LL_I32(c)[i];
            break;
        case LL_FLOAT: {
            double x = LL_F64(c)[i];
            if (isnan(x)) {
                na[i] = 1;
                u[i] = 0;
                break;
            }
            if (x == 0)
                x = 0; /* -0.0 sorts as 0.0 */
            uint64_t b;
            memcpy(&b, &x, 8);
            u[i] = (b >> 63) ? ~b : b | (1ull << 63);
            break;
        }
        default:
            u[i] = 0;
        }
    }
    ll_col_unref(cat);
    return LL_OK;
}

static int bits_for(uint64_t maxval)
{
    int b = 0;
    while (b < 64 && (maxval >> b))
        b++;
    return b;
}

/* Stable LSD radix sort of (key[i], idx[i]) pairs by key. */
static int radix_sort(uint64_t *key, int64_t *idx, int64_t n, int bits)
{
    if (n < 2)
        return LL_OK;
    uint64_t *k2 = malloc((size_t)n * sizeof *k2);
    int64_t *i2 = malloc((size_t)n * sizeof *i2);
    if (!k2 || !i2) {
        free(k2);
        free(i2);
        return LL_ENOMEM;
    }
    uint64_t *const orig_key = key, *const alloc_k = k2;
    int64_t *const orig_idx = idx, *const alloc_i = i2;
    /* 11-bit digits: six passes cover 64 bits */
    enum { DIGIT = 11, BUCKETS = 1 << DIGIT };
    int passes = (bits + DIGIT - 1) / DIGIT;
    int64_t *count = malloc(sizeof(int64_t) * (BUCKETS + 1));
    if (!count) {
        free(k2);
        free(i2);
        return LL_ENOMEM;
    }
    for (int p = 0; p < passes; p++) {
        int shift = p * DIGIT;
        memset(count, 0, sizeof(int64_t) * (BUCKETS + 1));
        for (int64_t i = 0; i < n; i++)
            count[((key[i] >> shift) & (BUCKETS - 1)) + 1]++;
        int skip = 0;
        for (int b = 1; b <= BUCKETS; b++)
            if (count[b] == n)
                skip = 1;
        if (skip)
            continue;
        for (int b = 0; b < BUCKETS; b++)
            count[b + 1] += count[b];
        for (int64_t i = 0; i < n; i++) {
            int64_t at = count[(key[i] >> shift) & (BUCKETS - 1)]++;
            k2[at] = key[i];
            i2[at] = idx[i];
        }
        uint64_t *tk = key;
        key = k2;
        k2 = tk;
        int64_t *ti = idx;
        idx = i2;
        i2 = ti;
    }
    free(count);
    if (key != orig_key) {
        memcpy(orig_key, key, (size_t)n * sizeof *key);
        memcpy(orig_idx, idx, (size_t)n * sizeof *idx);
    }
    free(alloc_k);
    free(alloc_i);
    return LL_OK;
}

int ll_frame_order(const ll_frame *f, const int *keys, const int *desc,
                   int nkeys, int64_t **perm, ll_err *err)
{
    int64_t n = f->nrow;
    size_t sz = (size_t)(n ? n : 1);
    /* sub-keys: one per key, two (NA flag, value) for a key whose values
     * span all 64 bits and leave no room for NA */
    uint64_t **u = calloc((size_t)nkeys * 2 + 1, sizeof *u);
    int *bits = calloc((size_t)nkeys * 2 + 1, sizeof *bits);
    uint8_t *na = malloc(sz);
    int64_t *idx = malloc(sz * sizeof *idx);
    uint64_t *key = malloc(sz * sizeof *key);
    int rc = LL_ENOMEM;
    *perm = NULL;
    if (!u || !bits || !na || !idx || !key)
        goto done;
    int total = 0, nsub = 0;
    for (int key_i = 0; key_i < nkeys; key_i++) {
        int k = nsub++;
        u[k] = malloc(sz * sizeof **u);
        if (!u[k] || column_keys(f->cols[keys[key_i]], u[k], na))
            goto done;
        uint64_t mn = UINT64_MAX, mx = 0;
        for (int64_t i = 0; i < n; i++) {
            if (na[i])
                continue;
            if (u[k][i] < mn)
                mn = u[k][i];
            if (u[k][i] > mx)
                mx = u[k][i];
        }
        if (mn > mx)
            mn = mx = 0;
        uint64_t range = mx - mn;
        int has_na = 0;
        for (int64_t i = 0; i < n; i++) {
            if (na[i]) {
                has_na = 1;
                continue;
            }
            uint64_t v = u[k][i] - mn;
            u[k][i] = desc && desc[key_i] ? range - v : v;
        }
        if (has_na && range == UINT64_MAX) {
            /* no room for NA one past the top: order by an NA flag first,
             * then by the values (NA rows hold 0 there) */
            u[nsub] = u[k];
            bits[nsub] = 64;
            nsub++;
            u[k] = malloc(sz * sizeof **u);
            if (!u[k])
                goto done;
            for (int64_t i = 0; i < n; i++) {
                u[k][i] = na[i];
                if (na[i])
                    u[nsub - 1][i] = 0;
            }
            bits[k] = 1;
            total += 65;
            continue;
        }
        if (has_na) {
            /* NA one past the top */
            for (int64_t i = 0; i < n; i++)
                if (na[i])
                    u[k][i] = range + 1;
            range++;
        }
        bits[k] = bits_for(range);
        total += bits[k];
    }
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    if (total <= 64) {
        for (int64_t i = 0; i < n; i++) {
            uint64_t v = 0;
            for (int k = 0; k < nsub; k++)
                v = bits[k] >= 64 ? u[k][i] : (v << bits[k]) | u[k][i];
            key[i] = v;
        }
        if (radix_sort(key, idx, n, total))
            goto done;
    } else {
        for (int k = nsub - 1; k >= 0; k--) {
            for (int64_t i = 0; i < n; i++)
                key[i] = u[k][idx[i]];
            if (radix_sort(key, idx, n, bits[k]))
                goto done;
        }
    }
    *perm = idx;
    idx = NULL;
    rc = LL_OK;
done:
    if (u)
        for (int k = 0; k < nkeys * 2; k++)
            free(u[k]);
    free(u);
    free(bits);
    free(na);
    free(idx);
    free(key);
    if (rc == LL_ENOMEM)
        ll_err_set(err, rc, "out of memory");
    return rc;
}

ll_frame *ll_frame_sort(const ll_frame *f, const char *const *keys,
                        const int *desc, int nkeys, ll_err *err)
{
    int *cols = malloc(sizeof(int) * (size_t)(nkeys + 1));
    if (!cols) {
        ll_err_oom(err);
        return NULL;
    }
    for (int k = 0; k < nkeys; k++) {
        cols[k] = ll_frame_col(f, keys[k], err);
        if (cols[k] < 0) {
            free(cols);
            ll_err_prefix(err, "sort");
            return NULL;
        }
    }
    int64_t *perm;
    int rc = ll_frame_order(f, cols, desc, nkeys, &perm, err);
    free(cols);
    if (rc)
        return NULL;
    ll_frame *r = ll_frame_take(f, perm, f->nrow, err);
    free(perm);
    return r;
}
