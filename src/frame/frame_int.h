/*
 * frame_int: internals shared by the frame/ sources (not for other parts).
 */
#ifndef LL_FRAME_INT_H
#define LL_FRAME_INT_H

#include <stdint.h>
#include <stddef.h>

#include "frame/column.h"

static inline ll_column *ll_col_mut(const ll_column *c)
{
    return (ll_column *)(uintptr_t)c;
}

static inline uint64_t ll_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then mixed */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

static inline uint64_t ll_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* A set of distinct strings, each with a dense id in insertion order. */
typedef struct ll_strhash {
    int64_t *slots; /* id + 1, 0 = empty */
    uint64_t *hashes;
    int64_t mask;
    int64_t count;
    ll_strbuilder strs;
} ll_strhash;

int ll_strhash_init(ll_strhash *h, int64_t cap);
/* The id of s (added when new), or -1 on out of memory. */
int64_t ll_strhash_put(ll_strhash *h, const char *s, size_t n);
/* The id of s, or -1. */
int64_t ll_strhash_get(const ll_strhash *h, const char *s, size_t n);
/* Build the sorted dictionary column and renumber codes[0..n) to it. */
int ll_strhash_sorted_dict(ll_strhash *h, ll_column **dict, int32_t *codes,
                           int64_t n);
void ll_strhash_free(ll_strhash *h);

double ll_quantile_sorted(const double *v, int64_t n, double q);
ll_column *ll_col_split_part(const ll_column *c, const char *sep, int64_t k,
                             int64_t *nparts_max, ll_err *err);

/* Row ids grouped by keys: group[i] in [0, ngroups), groups numbered in
 * order of first appearance.  Caller frees *group. */
typedef struct ll_frame ll_frame;
int ll_group_rows(const ll_frame *f, const int *keycols, int nkeys,
                  int64_t **group, int64_t *ngroups, int64_t **first_row,
                  ll_err *err);

#endif
