/*
 * Reading the fixtures of tests/fixtures/forecast_more (made by
 * tests/fixtures/make_forecast_more.R): text files of lines
 * "key value value ...".  For the Prophet, MSTL and Croston tests.
 */
#ifndef FORECAST_MORE_FIXTURE_H
#define FORECAST_MORE_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    char *text; /* the whole file */
} fixture;

static inline int fixture_load(fixture *fx, const char *name)
{
    char path[512];
    fx->text = NULL;
    snprintf(path, sizeof path, "%s/forecast_more/%s.txt", LL_TEST_FIXTURES,
             name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (!text || fread(text, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        free(text);
        return -1;
    }
    text[size] = 0;
    fx->text = text;
    fclose(fp);
    return 0;
}

static inline void fixture_free(fixture *fx)
{
    free(fx->text);
}

/* The line for key: a pointer just after "key ", or NULL. */
static inline const char *fixture_line(const fixture *fx, const char *key)
{
    size_t len = strlen(key);
    const char *p = fx->text;
    while (p && *p) {
        if (strncmp(p, key, len) == 0 && (p[len] == ' ' || p[len] == '\n'))
            return p + len;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* The numbers of key as a new array; *count gets their number ("NA" reads
 * as NAN).  NULL when the key is missing. */
static inline double *fixture_numbers(const fixture *fx, const char *key,
                                      size_t *count)
{
    const char *p = fixture_line(fx, key);
    *count = 0;
    if (!p)
        return NULL;
    const char *end = strchr(p, '\n');
    if (!end)
        end = p + strlen(p);
    /* At most one value per space-separated token. */
    size_t cap = 1, n = 0;
    for (const char *q = p; q < end; q++)
        cap += *q == ' ';
    double *v = malloc(cap * sizeof *v);
    while (v && p < end && n < cap) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            break;
        char *stop;
        double value = strtod(p, &stop);
        size_t used = (size_t)(stop - p);
        if (used == 0) { /* NA */
            value = NAN;
            while (p + used < end && p[used] != ' ')
                used++;
        }
        v[n++] = value;
        p += used;
    }
    *count = n;
    return v;
}

static inline double fixture_number(const fixture *fx, const char *key)
{
    size_t n;
    double *v = fixture_numbers(fx, key, &n);
    double x = v && n > 0 ? v[0] : (double)NAN;
    free(v);
    return x;
}

/* The string value of key into out (cap bytes). */
static inline void fixture_string(const fixture *fx, const char *key, char *out,
                                  size_t cap)
{
    const char *p = fixture_line(fx, key);
    out[0] = 0;
    if (!p)
        return;
    p++;
    size_t i = 0;
    while (p[i] && p[i] != '\n' && i + 1 < cap) {
        out[i] = p[i];
        i++;
    }
    out[i] = 0;
}

/* cmocka's assert_float_equal compares floats; these tests need doubles. */
#define assert_close(a, b, tol)                                                \
    assert_close_at((double)(a), (double)(b), (double)(tol), __FILE__, __LINE__)
static inline void assert_close_at(double a, double b, double tol,
                                   const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%.17g != %.17g (tolerance %g)\n", a, b, tol);
        _fail(file, line);
    }
}

#endif
