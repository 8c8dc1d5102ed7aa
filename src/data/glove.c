/*
 * glove: word vectors for an embedding matrix (see generators.h).
 *
 * The GloVe text file is streamed line by line (the 6B 100-d file is
 * 330 MB), and each word is looked up in an open-addressing hash of the
 * wanted words, so memory stays at the size of the matrix.
 */
#include "data/generators.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/signals.h"

typedef struct word_table {
    size_t cap; /* a power of two */
    long *slot; /* row index + 1, 0 = empty */
} word_table;

static uint64_t hash_word(const char *w, size_t len)
{
    return ll_fnv1a64(w, len);
}

static int table_build(word_table *t, const char *const *words, size_t n)
{
    t->cap = 16;
    while (t->cap < 2 * n + 2)
        t->cap *= 2;
    t->slot = calloc(t->cap, sizeof *t->slot);
    if (!t->slot)
        return LL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!words[i])
            continue;
        size_t len = strlen(words[i]);
        size_t h = (size_t)hash_word(words[i], len) & (t->cap - 1);
        while (t->slot[h])
            h = (h + 1) & (t->cap - 1);
        t->slot[h] = (long)i + 1;
    }
    return LL_OK;
}

/* The first row after row `after` (in probe order; -1: from the start)
 * whose word is w[0..len), or -1. */
static long table_find(const word_table *t, const char *const *words,
                       const char *w, size_t len, long after)
{
    size_t h = (size_t)hash_word(w, len) & (t->cap - 1);
    int passed = after < 0;
    while (t->slot[h]) {
        long row = t->slot[h] - 1;
        if (passed && strlen(words[row]) == len &&
            memcmp(words[row], w, len) == 0)
            return row;
        if (row == after)
            passed = 1;
        h = (h + 1) & (t->cap - 1);
    }
    return -1;
}

int ll_glove_load(const char *path, const char *const *words, size_t nwords,
                  int dim, float *out, unsigned char *found,
                  size_t *found_count, ll_err *err)
{
    word_table t = {0, NULL};
    char *line = NULL;
    size_t line_cap = 0;
    long lineno = 0;
    int rc = LL_OK;
    float *vec = NULL;
    FILE *f;
    *found_count = 0;
    if (dim < 1)
        return ll_err_set(err, LL_EINVAL, "dim must be >= 1, got %d", dim);
    f = fopen(path, "r");
    if (!f)
        return ll_err_set(err, LL_ENOTFOUND, "%s: %s", path, strerror(errno));
    vec = malloc((size_t)dim * sizeof *vec);
    if (!vec || table_build(&t, words, nwords) != LL_OK) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    memset(found, 0, nwords);
    while (getline(&line, &line_cap, f) > 0) {
        lineno++;
        if ((lineno & 4095) == 0 && ll_interrupted()) {
            rc = ll_err_set(err, LL_EINTR, "%s: interrupted at line %ld", path,
                            lineno);
            goto done;
        }
        char *sp = strchr(line, ' ');
        if (!sp) {
            if (line[0] == '\n' || line[0] == '\0')
                continue;
            rc = ll_err_set(err, LL_EPARSE,
                            "%s:%ld: expected a word and %d numbers", path,
                            lineno, dim);
            goto done;
        }
        size_t wlen = (size_t)(sp - line);
        long row = table_find(&t, words, line, wlen, -1);
        if (row < 0)
            continue;
        char *p = sp, *end;
        int k;
        for (k = 0; k < dim; k++) {
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || errno == ERANGE)
                break;
            vec[k] = (float)v;
            p = end;
        }
        while (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t')
            p++;
        if (k < dim || *p != '\0') {
            rc = ll_err_set(
                err, LL_EPARSE, "%s:%ld: word '%.*s' has %s than %d numbers",
                path, lineno, (int)wlen, line, k < dim ? "fewer" : "more", dim);
            goto done;
        }
        /* The same word may name several rows; fill each. */
        for (; row >= 0; row = table_find(&t, words, line, wlen, row)) {
            if (found[row])
                continue;
            memcpy(out + (size_t)row * (size_t)dim, vec,
                   (size_t)dim * sizeof *vec);
            found[row] = 1;
            (*found_count)++;
        }
    }
    if (ferror(f))
        rc = ll_err_set(err, LL_EIO, "%s: read error", path);
done:
    fclose(f);
    free(line);
    free(vec);
    free(t.slot);
    return rc;
}

void ll_word_vector(const char *word, int dim, uint64_t seed, float *out)
{
    uint64_t x =
        ll_fnv1a64(word, strlen(word)) ^ (seed * 0x9e3779b97f4a7c15ULL);
    for (int k = 0; k < dim; k++) {
        /* splitmix64 steps: well mixed, independent of the word length */
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        out[k] = (float)((double)(z >> 11) * 0x1.0p-53 - 0.5);
    }
}
