/*
 * panel: split a long table into series, infer their frequency, fit each
 * on a pool of threads, and continue their calendars.
 */
#include "forecast/panel.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame/column.h"
#include "util/calendar.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ll_fc_infer_freq(const double *t, size_t n, int time_kind, ll_fc_freq *out,
                     ll_err *err)
{
    memset(out, 0, sizeof *out);
    out->kind = LL_FC_FREQ_STEP;
    out->step = 1;
    out->season_length = 1;
    out->name = "step 1";
    if (n < 2)
        return LL_OK;
    double *d = malloc((n - 1) * sizeof *d);
    if (!d)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (size_t i = 0; i + 1 < n; i++)
        d[i] = t[i + 1] - t[i];
    qsort(d, n - 1, sizeof *d, cmp_double);
    double med = d[(n - 1) / 2];
    free(d);
    if (!(med > 0))
        return ll_err_set(err, LL_EINVAL,
                          "the time column does not advance (duplicate "
                          "times in a series)");
    double days = time_kind == LL_FC_TIME_DATE       ? med
                  : time_kind == LL_FC_TIME_DATETIME ? med / 86400000.0
                                                     : 0;
    if (time_kind == LL_FC_TIME_NUMBER) {
        out->step = med;
        snprintf(out->buf, sizeof out->buf, "step %g", med);
        out->name = out->buf;
        return LL_OK;
    }
    if (fabs(days - 1.0 / 24) < 1e-9) {
        out->kind = LL_FC_FREQ_HOURLY;
        out->step = med;
        out->season_length = 24;
        out->days = 1.0 / 24;
        out->name = "hourly";
    } else if (fabs(days - 1) < 1e-9) {
        out->kind = LL_FC_FREQ_DAILY;
        out->step = med;
        out->season_length = 7;
        out->days = 1;
        out->name = "daily";
    } else if (fabs(days - 7) < 1e-9) {
        out->kind = LL_FC_FREQ_WEEKLY;
        out->step = med;
        out->season_length = 52;
        out->days = 7;
        out->name = "weekly";
    } else if (days >= 28 && days <= 31) {
        out->kind = LL_FC_FREQ_MONTHLY;
        out->step = 1;
        out->season_length = 12;
        out->days = 30.436875;
        out->name = "monthly";
    } else if (days >= 89 && days <= 92) {
        out->kind = LL_FC_FREQ_QUARTERLY;
        out->step = 3;
        out->season_length = 4;
        out->days = 91.310625;
        out->name = "quarterly";
    } else if (days >= 365 && days <= 366) {
        out->kind = LL_FC_FREQ_YEARLY;
        out->step = 12;
        out->season_length = 1;
        out->days = 365.2425;
        out->name = "yearly";
    } else {
        out->step = med;
        out->days = days;
        snprintf(out->buf, sizeof out->buf, "every %g days", days);
        out->name = out->buf;
    }
    return LL_OK;
}

double ll_fc_next_time(const ll_fc_freq *f, int time_kind, double t, size_t k)
{
    int calendar = f->kind == LL_FC_FREQ_MONTHLY ||
                   f->kind == LL_FC_FREQ_QUARTERLY ||
                   f->kind == LL_FC_FREQ_YEARLY;
    if (!calendar || time_kind == LL_FC_TIME_NUMBER)
        return t + f->step * (double)k;
    double day_ms = time_kind == LL_FC_TIME_DATETIME ? 86400000.0 : 1;
    double days = floor(t / day_ms);
    double within = t - days * day_ms; /* the time of day, datetimes */
    int64_t y;
    unsigned m, d;
    ll_civil_from_days((int64_t)days, &y, &m, &d);
    /* The end of a month stays the end of a month. */
    int64_t ny0;
    unsigned nm0, dd0;
    ll_civil_from_days((int64_t)days + 1, &ny0, &nm0, &dd0);
    int month_end = dd0 == 1;
    int64_t total = y * 12 + (int64_t)(m - 1) + (int64_t)f->step * (int64_t)k;
    int64_t ny = total / 12;
    unsigned nm = (unsigned)(total % 12) + 1;
    int64_t first_next =
        ll_days_from_civil(nm == 12 ? ny + 1 : ny, nm == 12 ? 1 : nm + 1, 1);
    int64_t first = ll_days_from_civil(ny, nm, 1);
    unsigned mlen = (unsigned)(first_next - first);
    unsigned nd = month_end ? mlen : (d > mlen ? mlen : d);
    return (double)(first + nd - 1) * day_ms + within;
}

size_t ll_fc_periods_between(const ll_fc_freq *f, int time_kind, double a,
                             double b)
{
    double unit = f->step;
    if (f->kind == LL_FC_FREQ_MONTHLY || f->kind == LL_FC_FREQ_QUARTERLY ||
        f->kind == LL_FC_FREQ_YEARLY)
        unit = f->days * (time_kind == LL_FC_TIME_DATETIME ? 86400000.0 : 1);
    if (!(unit > 0) || !(b > a))
        return 1;
    double est = floor((b - a) / unit + 0.5);
    if (est < 2 || est > 1e7)
        return 1;
    size_t k = (size_t)est;
    if (ll_fc_next_time(f, time_kind, a, k) == b)
        return k;
    /* An uneven month near the estimate. */
    if (ll_fc_next_time(f, time_kind, a, k - 1) == b)
        return k - 1;
    if (ll_fc_next_time(f, time_kind, a, k + 1) == b)
        return k + 1;
    return 1;
}

void ll_fc_format_time(int time_kind, double t, char *buf, size_t cap)
{
    if (time_kind == LL_FC_TIME_DATE)
        ll_format_date((int32_t)t, buf, cap);
    else if (time_kind == LL_FC_TIME_DATETIME)
        ll_format_datetime((int64_t)t, buf, cap);
    else
        snprintf(buf, cap, "%.17g", t);
}

typedef struct panel_job {
    ll_fc_panel *p;
    const ll_fc_spec *spec;
    int fill;
    const char *const *xnames;
    atomic_size_t next;
} panel_job;

/* Days since 1970 of a date or datetime. */
static double time_days(int time_kind, double t)
{
    return time_kind == LL_FC_TIME_DATE ? t : t / 86400000.0;
}

/* The time of row i of series g. */
static double row_time(const ll_fc_panel *p, size_t g, size_t i)
{
    return i == 0
               ? p->first_time[g]
               : ll_fc_next_time(&p->freq, p->time_kind, p->first_time[g], i);
}

static void fit_one(panel_job *job, size_t g)
{
    ll_fc_panel *p = job->p;
    double *y = p->y + p->start[g];
    size_t n = p->len[g], skip = 0, k = p->k;
    ll_err *err = &p->errs[g];
    if (!isnan(p->gap_time[g]) && job->fill == LL_FC_FILL_NONE) {
        char tb[40];
        ll_fc_format_time(p->time_kind, p->gap_time[g], tb, sizeof tb);
        ll_err_set(err, LL_EINVAL,
                   "no row at %s (a gap in the %s calendar); use fill = "
                   "\"ffill\" or \"interpolate\"",
                   tb, p->freq.name);
        return;
    }
    if (ll_fc_fill(y, n, job->fill, &skip, err) < 0)
        return;
    double *x = p->x ? p->x + p->start[g] * k : NULL;
    if (k > 0) {
        double *c = malloc(n * sizeof *c);
        if (!c) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            return;
        }
        for (size_t j = 0; j < k; j++) {
            for (size_t i = 0; i < n; i++)
                c[i] = x[i * k + j];
            /* The first row used whose regressor stays NA. */
            size_t xskip = 0, bad = n;
            int rc = 0;
            if (job->fill == LL_FC_FILL_NONE) {
                for (size_t i = skip; i < n && bad == n; i++)
                    if (isnan(c[i]))
                        bad = i;
            } else if (ll_fc_fill(c, n, job->fill, &xskip, err) < 0 ||
                       xskip > skip) {
                bad = skip;
            }
            if (bad < n) {
                char tb[40];
                ll_fc_format_time(p->time_kind, row_time(p, g, bad), tb,
                                  sizeof tb);
                rc = ll_err_set(err, LL_EINVAL,
                                "regressor '%s' has a missing value (NA) at "
                                "%s",
                                job->xnames ? job->xnames[j] : "?", tb);
            }
            if (rc < 0) {
                free(c);
                return;
            }
            for (size_t i = 0; i < n; i++)
                x[i * k + j] = c[i];
        }
        free(c);
    }
    double t0 = row_time(p, g, skip);
    ll_fc_data d = {.y = y + skip,
                    .n = n - skip,
                    .x = x ? x + skip * k : NULL,
                    .k = k,
                    .t0 = p->time_kind == LL_FC_TIME_NUMBER
                              ? (double)skip
                              : time_days(p->time_kind, t0),
                    .step = p->freq.days};
    ll_fc_fit_series(job->spec, &d, &p->fits[g], err);
}

static void *worker(void *arg)
{
    panel_job *job = arg;
    for (;;) {
        size_t g = atomic_fetch_add(&job->next, 1);
        if (g >= job->p->nseries)
            break;
        fit_one(job, g);
    }
    return NULL;
}

typedef struct row_key {
    int64_t group;
    double t;
    size_t row;
} row_key;

static int cmp_row(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static void free_scratch(row_key *keys, double *times, double *ys, size_t *rows)
{
    free(keys), free(times), free(ys), free(rows);
}

int ll_fc_panel_fit(const int64_t *group, size_t ngroups, const double *t,
                    const double *y, size_t nrow, const ll_fc_panel_opts *o,
                    ll_fc_panel **out, ll_err *err)
{
    *out = NULL;
    size_t nr = nrow ? nrow : 1, k = o->x ? o->k : 0;
    ll_fc_panel *p = calloc(1, sizeof *p);
    row_key *keys = malloc(nr * sizeof *keys);
    double *times = malloc(nr * sizeof *times);
    double *ys = malloc(nr * sizeof *ys);
    size_t *rows = malloc(nr * sizeof *rows);
    if (!p || !keys || !times || !ys || !rows) {
        free(p);
        free_scratch(keys, times, ys, rows);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    p->nseries = ngroups;
    p->time_kind = o->time_kind;
    p->k = k;
    size_t ng = ngroups ? ngroups : 1;
    p->fits = calloc(ng, sizeof *p->fits);
    p->errs = calloc(ng, sizeof *p->errs);
    p->last_time = calloc(ng, sizeof *p->last_time);
    p->first_time = calloc(ng, sizeof *p->first_time);
    p->gap_time = calloc(ng, sizeof *p->gap_time);
    p->start = calloc(ng, sizeof *p->start);
    p->len = calloc(ng, sizeof *p->len);
    size_t *rstart = calloc(ng, sizeof *rstart), *rlen = NULL;
    if (rstart)
        rlen = calloc(ng, sizeof *rlen);
    if (!p->fits || !p->errs || !p->last_time || !p->first_time ||
        !p->gap_time || !p->start || !p->len || !rlen) {
        free_scratch(keys, times, ys, rows);
        free(rstart), free(rlen);
        ll_fc_panel_free(p);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    int rc = LL_OK;
    for (size_t i = 0; i < nrow && rc == LL_OK; i++) {
        if (group[i] < 0 || (size_t)group[i] >= ngroups)
            rc = ll_err_set(err, LL_EINVAL, "row %zu: bad series code", i + 1);
        keys[i] = (row_key){group[i], t[i], i};
    }
    if (rc == LL_OK)
        qsort(keys, nrow, sizeof *keys, cmp_row);
    for (size_t i = 0; i < nrow && rc == LL_OK; i++) {
        size_t g = (size_t)keys[i].group;
        if (rlen[g] == 0) {
            rstart[g] = i;
        } else if (keys[i].t == times[i - 1]) {
            char tb[40];
            ll_fc_format_time(o->time_kind, keys[i].t, tb, sizeof tb);
            rc = ll_err_set(err, LL_EINVAL,
                            "series %zu has two rows at time %s", g + 1, tb);
        }
        rlen[g]++;
        ys[i] = y[keys[i].row];
        rows[i] = keys[i].row;
        times[i] = keys[i].t;
    }
    /* The frequency: the median step over all series together, from the
     * cumulative times of a synthetic series whose steps are all series'
     * steps. */
    double *steps = rc == LL_OK ? malloc(nr * sizeof *steps) : NULL;
    if (rc == LL_OK && !steps)
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    if (rc == LL_OK) {
        size_t nd = 0;
        double acc = 0;
        steps[nd++] = 0;
        for (size_t g = 0; g < ngroups; g++)
            for (size_t i = 1; i < rlen[g]; i++) {
                acc += times[rstart[g] + i] - times[rstart[g] + i - 1];
                steps[nd++] = acc;
            }
        rc = ll_fc_infer_freq(steps, nd, o->time_kind, &p->freq, err);
    }
    free(steps);
    /* Each series on its calendar: a time missing between two rows is a
     * NaN row. */
    size_t total = 0;
    for (size_t g = 0; g < ngroups && rc == LL_OK; g++) {
        p->start[g] = total;
        p->gap_time[g] = NAN;
        size_t len = rlen[g] ? 1 : 0;
        for (size_t i = 1; i < rlen[g]; i++) {
            double a = times[rstart[g] + i - 1], b = times[rstart[g] + i];
            size_t d = ll_fc_periods_between(&p->freq, o->time_kind, a, b);
            if (d > 1 && isnan(p->gap_time[g]))
                p->gap_time[g] = ll_fc_next_time(&p->freq, o->time_kind, a, 1);
            len += d;
        }
        p->len[g] = len;
        total += len;
        if (rlen[g]) {
            p->first_time[g] = times[rstart[g]];
            p->last_time[g] = times[rstart[g] + rlen[g] - 1];
        }
    }
    if (rc == LL_OK) {
        p->y = malloc((total ? total : 1) * sizeof *p->y);
        if (k)
            p->x = malloc((total ? total : 1) * k * sizeof *p->x);
        if (!p->y || (k && !p->x))
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t g = 0; g < ngroups && rc == LL_OK; g++) {
        size_t at = p->start[g];
        for (size_t i = 0; i < rlen[g]; i++) {
            size_t r = rstart[g] + i;
            if (i > 0) {
                size_t d = ll_fc_periods_between(&p->freq, o->time_kind,
                                                 times[r - 1], times[r]);
                for (size_t e = 1; e < d; e++, at++) {
                    p->y[at] = NAN;
                    for (size_t j = 0; j < k; j++)
                        p->x[at * k + j] = NAN;
                }
            }
            p->y[at] = ys[r];
            for (size_t j = 0; j < k; j++)
                p->x[at * k + j] = o->x[rows[r] * k + j];
            at++;
        }
    }
    free_scratch(keys, times, ys, rows);
    free(rstart), free(rlen);
    if (rc < 0) {
        ll_fc_panel_free(p);
        return rc;
    }
    p->spec = *o->spec;
    if (p->spec.season_length <= 0)
        p->spec.season_length = p->freq.season_length;
    panel_job job = {p, &p->spec, o->fill, o->xnames, 0};
    int nt = o->threads > 1 ? o->threads : 1;
    if ((size_t)nt > ngroups)
        nt = ngroups ? (int)ngroups : 1;
    if (nt > 256)
        nt = 256;
    pthread_t tid[256];
    int started = 0;
    for (int i = 1; i < nt; i++) {
        if (pthread_create(&tid[started], NULL, worker, &job) != 0)
            break;
        started++;
    }
    worker(&job);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    for (size_t g = 0; g < ngroups; g++)
        if (!p->fits[g] && p->errs[g].code == LL_ENOMEM) {
            ll_fc_panel_free(p);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    *out = p;
    return LL_OK;
}

double ll_fc_panel_future_time(const ll_fc_panel *p, size_t g, size_t k)
{
    return ll_fc_next_time(&p->freq, p->time_kind, p->last_time[g], k);
}

void ll_fc_panel_free(ll_fc_panel *p)
{
    if (!p)
        return;
    for (size_t g = 0; p->fits && g < p->nseries; g++)
        ll_fc_fit_free(p->fits[g]);
    free(p->fits);
    free(p->errs);
    free(p->last_time);
    free(p->first_time);
    free(p->gap_time);
    free(p->x);
    free(p->start);
    free(p->len);
    free(p->y);
    free(p);
}
