/*
 * strset: a set of byte strings (open addressing, FNV-1a), for the file
 * source's seen files and drop_duplicates' keys.
 */
#include <stdlib.h>
#include <string.h>

#include "stream/stream_int.h"

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void ll_strset_init(ll_strset *s)
{
    memset(s, 0, sizeof *s);
}

void ll_strset_free(ll_strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->lens);
    free(s->order);
    free(s->idx);
    ll_strset_init(s);
}

static size_t find(const ll_strset *s, const char *k, size_t n)
{
    size_t m = s->cap - 1, i = (size_t)hash(k, n) & m;
    while (s->keys[i] && !(s->lens[i] == n && !memcmp(s->keys[i], k, n)))
        i = (i + 1) & m;
    return i;
}

int ll_strset_has(const ll_strset *s, const char *k, size_t n)
{
    return s->cap && s->keys[find(s, k, n)] != NULL;
}

static int rehash(ll_strset *s, size_t cap)
{
    ll_strset t;
    ll_strset_init(&t);
    t.cap = cap;
    t.keys = calloc(cap, sizeof *t.keys);
    t.lens = calloc(cap, sizeof *t.lens);
    t.order = malloc(sizeof *t.order * (s->count + 1));
    t.idx = calloc(cap, sizeof *t.idx);
    if (!t.keys || !t.lens || !t.order || !t.idx) {
        free(t.keys);
        free(t.lens);
        free(t.order);
        free(t.idx);
        return LL_ENOMEM;
    }
    for (size_t j = 0; j < s->count; j++) {
        size_t old = s->order[j];
        size_t i = find(&t, s->keys[old], s->lens[old]);
        t.keys[i] = s->keys[old];
        t.lens[i] = s->lens[old];
        t.order[j] = i;
        t.idx[i] = j;
    }
    t.count = s->count;
    free(s->keys);
    free(s->lens);
    free(s->order);
    free(s->idx);
    *s = t;
    return LL_OK;
}

int ll_strset_add(ll_strset *s, const char *k, size_t n)
{
    if ((s->count + 1) * 2 > s->cap && rehash(s, s->cap ? s->cap * 2 : 64))
        return LL_ENOMEM;
    size_t i = find(s, k, n);
    if (s->keys[i])
        return 0;
    char *c = malloc(n + 1);
    size_t *o = realloc(s->order, sizeof *o * (s->count + 1));
    if (!c || !o) {
        free(c);
        if (o)
            s->order = o;
        return LL_ENOMEM;
    }
    s->order = o;
    memcpy(c, k, n);
    c[n] = 0;
    s->keys[i] = c;
    s->lens[i] = n;
    s->idx[i] = s->count;
    s->order[s->count++] = i;
    return 1;
}

long ll_strset_index(const ll_strset *s, const char *k, size_t n)
{
    if (!s->cap)
        return -1;
    size_t i = find(s, k, n);
    return s->keys[i] ? (long)s->idx[i] : -1;
}

const char *ll_strset_at(const ll_strset *s, size_t j, size_t *n)
{
    size_t i = s->order[j];
    if (n)
        *n = s->lens[i];
    return s->keys[i];
}
