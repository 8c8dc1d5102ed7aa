/*
 * Reading the fixtures of tests/fixtures/forecast_more (made by
 * tests/fixtures/make_forecast_more.R): text files of lines
 * "key value value ...".  For the Prophet, MSTL and Croston tests.
 */
#ifndef FORECAST_MORE_FIXTURE_H
#define FORECAST_MORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    char *text; /* the whole file */
} fixture;

static int fixture_load(fixture *fx, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/forecast_more/%s.txt", LL_TEST_FIXTURES,
             name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    fx->text = malloc((size_t)size + 1);
    if (!fx->text || fread(fx->text, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        free(fx->text);
        return -1;
    }
    fx->text[size] = 0;
    fclose(fp);
    return 0;
}

static void fixture_free(fixture *fx)
{
    free(fx->text);
}

/* The line for key: a pointer just after "key ", or NULL. */
static const char *fixture_line(const fixture *fx, const char *key)
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
static double *fixture_numbers(const fixture *fx, const char *key,
                               size_t *count)
{
    const char *p = fixture_line(fx, key);
    *count = 0;
    if (!p)
        return NULL;
    const char *end = strchr(p, '\n');
    if (!end)
        end = p + strlen(p);
    size_t cap = 16, n = 0;
    double *v = malloc(cap * sizeof *v);
    while (v && p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            break;
        char *next;
        double value = strtod(p, &next);
        if (next == p) { /* NA */
            value = NAN;
            while (p < end && *p != ' ')
                p++;
            next = (char *)p;
        }
        if (n == cap) {
            cap *= 2;
            double *grown = realloc(v, cap * sizeof *v);
            if (!grown) {
                free(v);
                return NULL;
            }
            v = grown;
        }
        v[n++] = value;
        p = next;
    }
    *count = n;
    return v;
}

static double fixture_number(const fixture *fx, const char *key)
{
    size_t n;
    double *v = fixture_numbers(fx, key, &n);
    double x = v && n > 0 ? v[0] : NAN;
    free(v);
    return x;
}

/* The string value of key into out (cap bytes). */
static void fixture_string(const fixture *fx, const char *key, char *out,
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

#endif
