/*
 * frame_int: internals shared by the frame/ sources (not for other parts).
 */
#ifndef LL_FRAME_INT_H
#define LL_FRAME_INT_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "frame/column.h"

static inline ll_column *ll_col_mut(const ll_column *c)
{
    return (ll_column *)(uintptr_t)c;
}

static inline uint64_t ll_hash_bytes(const char *s, size_t n)
{
    /* eight bytes at a time, then a final mix (short keys dominate) */
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0x94d049bb133111ebull;
    }
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
typedef struct ll_strslot {
    uint64_t hash;
    int32_t id; /* -1 = empty */
    uint32_t len;
    char inl[16]; /* the key itself when len <= 16: no second lookup */
} ll_strslot;

typedef struct ll_strhash {
    ll_strslot *slots;
    int64_t mask;
    int64_t count;
    ll_strbuilder strs;
} ll_strhash;

int ll_strhash_init(ll_strhash *h, int64_t cap);
/* The id of s (added when new), or -1 on out of memory. */
int64_t ll_strhash_put(ll_strhash *h, const char *s, size_t n);
/* the same with hv = ll_hash_bytes(s, n) computed by the caller */
int64_t ll_strhash_put_hv(ll_strhash *h, const char *s, size_t n, uint64_t hv);
/* Ask for the cache line a lookup of hash hv starts at (batched lookups
 * overlap their memory waits this way). */
static inline void ll_strhash_prefetch(const ll_strhash *h, uint64_t hv)
{
    __builtin_prefetch(&h->slots[hv & (uint64_t)h->mask]);
}
/* The id of s, or -1. */
int64_t ll_strhash_get(const ll_strhash *h, const char *s, size_t n);
/* Build the sorted dictionary column and renumber codes[0..n) to it. */
int ll_strhash_sorted_dict(ll_strhash *h, ll_column **dict, int32_t *codes,
                           int64_t n);
void ll_strhash_free(ll_strhash *h);

double ll_quantile_sorted(const double *v, int64_t n, double q);
/* The rows where a bool mask is true (NA counts as false), as a malloc'd
 * array of *n indices; NULL when out of memory. */
int64_t *ll_mask_rows(const ll_column *mask, int64_t *n);
ll_column *ll_col_split_part(const ll_column *c, const char *sep, int64_t k,
                             int64_t *nparts_max, ll_err *err);

typedef struct ll_frame ll_frame;
/* ll_frame_set for a name the caller knows is not in f yet: no lookup, so
 * building a frame of n columns stays linear in n. */
int ll_frame_append(ll_frame *f, const char *name, ll_column *col, ll_err *err);

/* Row ids grouped by keys: group[i] in [0, ngroups), groups numbered in
 * order of first appearance.  Caller frees *group. */
int ll_group_rows(const ll_frame *f, const int *keycols, int nkeys,
                  int64_t **group, int64_t *ngroups, int64_t **first_row,
                  ll_err *err);

#endif
