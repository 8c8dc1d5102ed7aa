/*
 * generators: the lab's three data sets as CSV text (see generators.h).
 *
 * Randomness comes from xoshiro256** seeded through splitmix64, so the
 * bytes depend only on the seed and options.  Numbers are printed with
 * "%.17g" where the lab states an exact relation between columns, so the
 * relation survives a round trip through the CSV.
 */
#include "data/generators.h"
#include "util/calendar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"
#include "util/rng.h"
#include "util/signals.h"

const char *const ll_gen_names[] = {"daily-battery-time-series",
                                    "battery-fleet-telemetry",
                                    "connected-car-components", NULL};

/* Cycles used per minute of driving in the lab's battery file. */
#define CYCLES_PER_MINUTE 0.002460296605531603
/* Days from 1970-01-01 to 2013-01-01. */
#define DAYS_2013 15706L

/* Uniform integer in [0, n). */
static long rng_below(ll_rng *r, long n)
{
    return (long)(ll_rng_unif(r) * (double)n);
}

uint64_t ll_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* A civil date as ints, for printing. */
static void civil_date(long days, int *y, int *m, int *d)
{
    int64_t yy;
    unsigned mm, dd;
    ll_civil_from_days(days, &yy, &mm, &dd);
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static double round4(double v)
{
    return round(v * 1e4) / 1e4;
}

#define CHECK(expr)                                                            \
    do {                                                                       \
        if ((expr) != LL_OK)                                                   \
            goto nomem;                                                        \
    } while (0)

static const char battery_header[] =
    ",Date,Battery_ID,Battery_Age_Days,Number_Of_Trips,Daily_Trip_Duration,"
    "Daily_Cycles_Used,Lifetime_Cycles_Used,Battery_Rated_Cycles\n";

/* ---- daily-battery-time-series ---- */

/* The lab's battery: trip minutes about Normal(57.75, 4.93) clipped to
 * [42.9, 75.3].  When the series is long enough, all durations are shifted
 * by one small constant (a fraction of a minute) so that the lifetime
 * cycles pass 200 on day 1406, 2016-11-07, as in the lab's file. */
static int gen_battery(const ll_gen_opts *o, ll_buf *out, long *rows_out,
                       ll_err *err)
{
    long n = o->rows > 0 ? o->rows : 1539;
    const long cross_day = 1406;
    double *dur = malloc((size_t)n * sizeof *dur);
    ll_rng r;
    if (!dur)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    ll_rng_seed(&r, o->seed);
    for (long i = 0; i < n; i++)
        dur[i] = round4(clampd(57.75 + 4.93 * ll_rng_normal(&r), 42.9, 75.3));
    if (n > cross_day) {
        /* Aim half a day's use past 200 at the crossing day. */
        double target = (200.0 + 0.07) / CYCLES_PER_MINUTE;
        for (int iter = 0; iter < 8; iter++) {
            double sum = 0;
            for (long i = 0; i <= cross_day; i++)
                sum += dur[i];
            double shift = (target - sum) / (double)(cross_day + 1);
            if (fabs(shift) < 1e-7)
                break;
            for (long i = 0; i < n; i++)
                dur[i] = round4(clampd(dur[i] + shift, 42.9, 75.3));
        }
    }
    CHECK(ll_buf_puts(out, battery_header));
    double lifetime = 0;
    for (long i = 0; i < n; i++) {
        int y, m, d;
        double cycles = CYCLES_PER_MINUTE * dur[i];
        lifetime += cycles;
        civil_date(DAYS_2013 + i, &y, &m, &d);
        CHECK(ll_buf_printf(out,
                            "%ld,%04d-%02d-%02d,0,%ld,5,%.4f,%.17g,%.17g,"
                            "200.0\n",
                            i, y, m, d, i, dur[i], cycles, lifetime));
    }
    free(dur);
    if (rows_out)
        *rows_out = n;
    return LL_OK;
nomem:
    free(dur);
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

/* ---- battery-fleet-telemetry ---- */

/* Each battery has its rated cycles (150..300), a usage level (log-normal
 * around 1), an age when the period starts and the cycles already used.
 * Trip minutes follow a weekly pattern (weekends shorter) and a yearly one
 * (longer in summer) plus noise; about 1 day in 100 is missing and about 3
 * rows in 1000 are sent twice.  Rows are ordered by battery, then day;
 * rows > 0 keeps the first `rows` rows. */
static int gen_fleet(const ll_gen_opts *o, ll_buf *out, long *rows_out,
                     ll_err *err)
{
    int batteries = o->batteries > 0 ? o->batteries : 200;
    int days = o->days > 0 ? o->days : 1095;
    long limit = o->rows > 0 ? o->rows : -1;
    long written = 0, index = 0;
    /* Tue .. Mon: 2013-01-01 was a Tuesday; weekends are quieter. */
    static const double weekly[7] = {1.03, 1.03, 1.02, 1.08, 0.82, 0.78, 1.04};
    ll_rng r;
    ll_rng_seed(&r, o->seed);
    CHECK(ll_buf_puts(out, battery_header));
    for (int b = 0; b < batteries && written != limit; b++) {
        double rated = 150 + 5 * (double)rng_below(&r, 31);
        double usage = exp(0.25 * ll_rng_normal(&r));
        long age0 = rng_below(&r, 731);
        double lifetime =
            (double)age0 * 0.1421 * usage * (1 + 0.05 * ll_rng_normal(&r));
        if (lifetime < 0)
            lifetime = 0;
        if (ll_interrupted())
            return ll_err_set(err, LL_EINTR, "interrupted");
        for (int t = 0; t < days && written != limit; t++) {
            long day = DAYS_2013 + t;
            int y, m, d;
            civil_date(day, &y, &m, &d);
            double season =
                1 + 0.08 * sin(6.283185307179586 * ((double)t - 100) / 365.25);
            double wk = weekly[t % 7];
            double minutes =
                57.75 * usage * wk * season + 4.93 * usage * ll_rng_normal(&r);
            minutes = round4(clampd(minutes, 5.0, 240.0));
            double trips_f = 5 * usage * wk + ll_rng_normal(&r);
            long trips = lround(trips_f);
            double cycles = CYCLES_PER_MINUTE * minutes;
            lifetime += cycles;
            double u = ll_rng_unif(&r);
            if (u < 0.01)
                continue; /* the report for this day never arrived */
            if (trips < 1)
                trips = 1;
            int copies = u > 0.997 ? 2 : 1;
            for (int c = 0; c < copies && written != limit; c++) {
                CHECK(ll_buf_printf(
                    out,
                    "%ld,%04d-%02d-%02d,%d,%ld,%ld,%.4f,%.17g,%.17g,%.1f\n",
                    index, y, m, d, b, age0 + t, trips, minutes, cycles,
                    lifetime, rated));
                written++;
            }
            index++;
        }
    }
    if (rows_out)
        *rows_out = written;
    return LL_OK;
nomem:
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

/* ---- connected-car-components ---- */

/* Exact category counts for 100,000 notes.  Every column is a seeded
 * shuffle of a fixed multiset, so the word counts (and thus a Keras
 * tokenizer's word_index) are the same for every seed: in, condition,
 * manufactured, component, made, of, new, good, steel, carbon, fiber,
 * plastic, iron, poor, fair, then the years.  The first note uses the
 * "{condition} condition ..." template, so "condition" is seen before
 * "manufactured" (they tie on count), as in the lab's file. */
static const char *const materials[4] = {"steel", "carbon fiber", "plastic",
                                         "iron"};
static const long material_counts[4] = {25150, 25100, 24900, 24850};
static const char *const conditions[4] = {"new", "good", "poor", "fair"};
static const long condition_counts[4] = {25300, 25200, 24800, 24700};
static const long template_counts[3] = {33300, 33350, 33350};
/* Years by rank: rank 0 is the most frequent.  2012 has rank 24. */
static const int year_rank[50] = {
    1987, 2003, 1975, 2016, 1992, 1971, 2008, 1999, 1983, 2019,
    1978, 1995, 2010, 1989, 2001, 1973, 2014, 1997, 1981, 2006,
    1970, 1993, 2017, 1985, 2012, 1976, 2004, 1990, 2009, 1979,
    1998, 2015, 1972, 1986, 2002, 1994, 2011, 1980, 2007, 1974,
    1996, 2018, 1984, 2000, 1977, 1991, 2013, 1982, 2005, 1988};

static long year_count(int rank)
{
    return rank < 25 ? 2025 - rank : 2024 - rank;
}

/* Fill out[n] with k categories in proportion to counts[] (which sum to
 * 100000), largest remainder first, then shuffle. */
static void fill_shuffled(ll_rng *r, unsigned char *out, long n,
                          const long *counts, int k)
{
    long assigned = 0, exact[64];
    double frac[64];
    for (int c = 0; c < k; c++) {
        double want = (double)counts[c] * (double)n / 100000.0;
        exact[c] = (long)floor(want);
        frac[c] = want - (double)exact[c];
        assigned += exact[c];
    }
    while (assigned < n) {
        int best = 0;
        for (int c = 1; c < k; c++)
            if (frac[c] > frac[best])
                best = c;
        exact[best]++;
        frac[best] = -1;
        assigned++;
    }
    long pos = 0;
    for (int c = 0; c < k; c++)
        for (long j = 0; j < exact[c]; j++)
            out[pos++] = (unsigned char)c;
    for (long i = n - 1; i > 0; i--) {
        long j = rng_below(r, i + 1);
        unsigned char t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}

static int gen_components(const ll_gen_opts *o, ll_buf *out, long *rows_out,
                          ll_err *err)
{
    long n = o->rows > 0 ? o->rows : 100000;
    unsigned char *cols = malloc((size_t)n * 4);
    long years[50];
    ll_rng r;
    if (!cols)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    unsigned char *tpl = cols, *yr = cols + n, *mat = cols + 2 * n,
                  *cond = cols + 3 * n;
    for (int i = 0; i < 50; i++)
        years[i] = year_count(i);
    ll_rng_seed(&r, o->seed);
    fill_shuffled(&r, tpl, n, template_counts, 3);
    fill_shuffled(&r, yr, n, years, 50);
    fill_shuffled(&r, mat, n, material_counts, 4);
    fill_shuffled(&r, cond, n, condition_counts, 4);
    for (long i = 0; i < n; i++) {
        if (tpl[i] == 1) {
            tpl[i] = tpl[0];
            tpl[0] = 1;
            break;
        }
    }
    CHECK(ll_buf_puts(out, "text,label\n"));
    for (long i = 0; i < n; i++) {
        int year = year_rank[yr[i]];
        const char *m = materials[mat[i]], *c = conditions[cond[i]];
        int label = year < 1995 || cond[i] >= 2 || mat[i] >= 2;
        switch (tpl[i]) {
        case 0:
            CHECK(ll_buf_printf(out,
                                "manufactured in %d made of %s in %s "
                                "condition,%d\n",
                                year, m, c, label));
            break;
        case 1:
            CHECK(ll_buf_printf(out,
                                "%s condition %s component manufactured in "
                                "%d,%d\n",
                                c, m, year, label));
            break;
        default:
            CHECK(ll_buf_printf(out,
                                "%s component manufactured in %d in %s "
                                "condition,%d\n",
                                m, year, c, label));
            break;
        }
    }
    free(cols);
    if (rows_out)
        *rows_out = n;
    return LL_OK;
nomem:
    free(cols);
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

void ll_gen_opts_init(ll_gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = LL_GEN_DEFAULT_SEED;
}

int ll_gen_csv(const char *name, const ll_gen_opts *o, ll_buf *out,
               long *rows_out, ll_err *err)
{
    if (o->rows < 0)
        return ll_err_set(err, LL_EINVAL, "rows must be >= 1, got %ld",
                          o->rows);
    if (o->batteries < 0 || o->days < 0)
        return ll_err_set(err, LL_EINVAL,
                          "batteries and days must be >= 1, got %d and %d",
                          o->batteries, o->days);
    if (strcmp(name, "daily-battery-time-series") == 0)
        return gen_battery(o, out, rows_out, err);
    if (strcmp(name, "battery-fleet-telemetry") == 0)
        return gen_fleet(o, out, rows_out, err);
    if (strcmp(name, "connected-car-components") == 0)
        return gen_components(o, out, rows_out, err);
    return ll_err_set(err, LL_ENOTFOUND,
                      "unknown data set '%s' (known: "
                      "daily-battery-time-series, battery-fleet-telemetry, "
                      "connected-car-components)",
                      name);
}

int ll_dataset_fetch(const char *name, const ll_gen_opts *o, const char *dir,
                     char **path_out, int *reused, long *rows_out, ll_err *err)
{
    ll_buf csv, path;
    char *existing = NULL;
    size_t existing_len = 0;
    int rc;
    ll_buf_init(&csv);
    ll_buf_init(&path);
    *path_out = NULL;
    *reused = 0;
    rc = ll_gen_csv(name, o, &csv, rows_out, err);
    if (rc != LL_OK)
        goto done;
    rc = ll_buf_printf(&path, "%s/%s", dir, name);
    if (rc == LL_OK && o->seed != LL_GEN_DEFAULT_SEED)
        rc = ll_buf_printf(&path, "-s%llu", (unsigned long long)o->seed);
    if (rc == LL_OK && o->rows > 0)
        rc = ll_buf_printf(&path, "-r%ld", o->rows);
    if (rc == LL_OK && o->batteries > 0)
        rc = ll_buf_printf(&path, "-b%d", o->batteries);
    if (rc == LL_OK && o->days > 0)
        rc = ll_buf_printf(&path, "-d%d", o->days);
    if (rc == LL_OK)
        rc = ll_buf_puts(&path, ".csv");
    if (rc != LL_OK) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (ll_file_exists(ll_buf_str(&path))) {
        ll_err ignored;
        if (ll_read_file(ll_buf_str(&path), &existing, &existing_len,
                         &ignored) == LL_OK &&
            existing_len == csv.len &&
            ll_fnv1a64(existing, existing_len) ==
                ll_fnv1a64(csv.data, csv.len)) {
            *reused = 1;
        }
    }
    if (!*reused) {
        rc = ll_mkdir_p(dir, err);
        if (rc == LL_OK)
            rc =
                ll_write_file_atomic(ll_buf_str(&path), csv.data, csv.len, err);
        if (rc != LL_OK)
            goto done;
    }
    *path_out = ll_buf_take(&path);
    if (!*path_out)
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
done:
    free(existing);
    ll_buf_free(&csv);
    ll_buf_free(&path);
    return rc;
}
