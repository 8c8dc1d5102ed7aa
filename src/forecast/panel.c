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
    atomic_size_t next;
} panel_job;

static void fit_one(panel_job *job, size_t g)
{
    ll_fc_panel *p = job->p;
    double *y = p->y + p->start[g];
    size_t n = p->len[g], skip = 0;
    ll_err *err = &p->errs[g];
    if (ll_fc_fill(y, n, job->fill, &skip, err) < 0)
        return;
    ll_fc_data d = {
        .y = y + skip, .n = n - skip, .t0 = (double)skip, .step = p->freq.days};
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

int ll_fc_panel_fit(const int64_t *group, size_t ngroups, const double *t,
                    const double *y, size_t nrow, const ll_fc_panel_opts *o,
                    ll_fc_panel **out, ll_err *err)
{
    *out = NULL;
    ll_fc_panel *p = calloc(1, sizeof *p);
    row_key *keys = malloc((nrow ? nrow : 1) * sizeof *keys);
    if (!p || !keys) {
        free(p), free(keys);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    p->nseries = ngroups;
    p->time_kind = o->time_kind;
    size_t ng = ngroups ? ngroups : 1;
    p->fits = calloc(ng, sizeof *p->fits);
    p->errs = calloc(ng, sizeof *p->errs);
    p->last_time = calloc(ng, sizeof *p->last_time);
    p->start = calloc(ng, sizeof *p->start);
    p->len = calloc(ng, sizeof *p->len);
    p->y = malloc((nrow ? nrow : 1) * sizeof *p->y);
    double *times = malloc((nrow ? nrow : 1) * sizeof *times);
    if (!p->fits || !p->errs || !p->last_time || !p->start || !p->len ||
        !p->y || !times) {
        free(keys), free(times);
        ll_fc_panel_free(p);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nrow; i++) {
        if (group[i] < 0 || (size_t)group[i] >= ngroups) {
            free(keys), free(times);
            ll_fc_panel_free(p);
            return ll_err_set(err, LL_EINVAL, "row %zu: bad series code",
                              i + 1);
        }
        keys[i] = (row_key){group[i], t[i], i};
    }
    qsort(keys, nrow, sizeof *keys, cmp_row);
    for (size_t i = 0; i < nrow; i++) {
        size_t g = (size_t)keys[i].group;
        if (p->len[g] == 0)
            p->start[g] = i;
        else if (keys[i].t == times[i - 1]) {
            char tb[40];
            ll_fc_format_time(o->time_kind, keys[i].t, tb, sizeof tb);
            free(keys), free(times);
            ll_fc_panel_free(p);
            return ll_err_set(err, LL_EINVAL,
                              "series %zu has two rows at time %s", g + 1, tb);
        }
        p->len[g]++;
        p->y[i] = y[keys[i].row];
        times[i] = keys[i].t;
        p->last_time[g] = keys[i].t;
    }
    free(keys);
    /* The frequency: the median step over all series together. */
    size_t nd = 0;
    double *steps = malloc((nrow ? nrow : 1) * sizeof *steps);
    if (!steps) {
        free(times);
        ll_fc_panel_free(p);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    /* Cumulative times of a synthetic series whose steps are all series'
     * steps, so ll_fc_infer_freq sees their median. */
    double acc = 0;
    steps[nd++] = 0;
    for (size_t g = 0; g < ngroups; g++)
        for (size_t i = 1; i < p->len[g]; i++) {
            acc += times[p->start[g] + i] - times[p->start[g] + i - 1];
            steps[nd++] = acc;
        }
    int rc = ll_fc_infer_freq(steps, nd, o->time_kind, &p->freq, err);
    free(steps);
    free(times);
    if (rc < 0) {
        ll_fc_panel_free(p);
        return rc;
    }
    p->spec = *o->spec;
    if (p->spec.season_length <= 0)
        p->spec.season_length = p->freq.season_length;
    panel_job job = {p, &p->spec, o->fill, 0};
    int nt = o->threads > 1 ? o->threads : 1;
    if ((size_t)nt > ngroups)
        nt = ngroups ? (int)ngroups : 1;
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
    free(p->start);
    free(p->len);
    free(p->y);
    free(p);
}
