/* Reading the R reference fixtures of tests/fixtures/forecast/: one file
 * per series, each line "key value value ...".  Shared by the
 * test_forecast_*.c programs. */
#ifndef LL_TEST_FORECAST_FIXTURE_H
#define LL_TEST_FORECAST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx_line {
    char key[64];
    char text[256]; /* the first value as text (method names) */
    double *v;
    size_t n;
} fx_line;

typedef struct fx_file {
    fx_line *lines;
    size_t n;
} fx_file;

static int fx_load(const char *name, fx_file *fx)
{
    const char *src = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/forecast/%s.txt",
             src ? src : ".", name);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    fx->lines = NULL;
    fx->n = 0;
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    while (fgets(buf, (int)cap, fp)) {
        fx->lines = realloc(fx->lines, (fx->n + 1) * sizeof *fx->lines);
        fx_line *l = &fx->lines[fx->n++];
        memset(l, 0, sizeof *l);
        char *save = NULL;
        char *tok = strtok_r(buf, " \n", &save);
        if (!tok) {
            fx->n--;
            continue;
        }
        snprintf(l->key, sizeof l->key, "%s", tok);
        size_t vc = 0;
        while ((tok = strtok_r(NULL, " \n", &save))) {
            if (l->n == 0)
                snprintf(l->text, sizeof l->text, "%s", tok);
            if (l->n == vc) {
                vc = vc ? 2 * vc : 16;
                l->v = realloc(l->v, vc * sizeof *l->v);
            }
            l->v[l->n++] = strtod(tok, NULL);
        }
    }
    free(buf);
    fclose(fp);
    return 0;
}

static const fx_line *fx_get(const fx_file *fx, const char *key)
{
    for (size_t i = 0; i < fx->n; i++)
        if (strcmp(fx->lines[i].key, key) == 0)
            return &fx->lines[i];
    return NULL;
}

static void fx_free(fx_file *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        free(fx->lines[i].v);
    free(fx->lines);
}

/* The series of the standard fixtures. */
static const char *const fx_series[] = {"AirPassengers",
                                        "nottem",
                                        "UKgas",
                                        "USAccDeaths",
                                        "co2",
                                        "JohnsonJohnson",
                                        "ldeaths",
                                        "mdeaths",
                                        "fdeaths",
                                        "WWWusage",
                                        "Nile",
                                        "lynx",
                                        "BJsales",
                                        "gas",
                                        "wineind",
                                        "woolyrnq",
                                        "austres",
                                        "LakeHuron",
                                        "uspop",
                                        "airmiles",
                                        "UKDriverDeaths",
                                        "lh",
                                        "nhtemp",
                                        "discoveries",
                                        "sunspot.year",
                                        "presidents",
                                        "Seatbelts.front",
                                        "quarterly.beer",
                                        NULL};

#endif
