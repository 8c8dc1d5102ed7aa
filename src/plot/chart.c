/*
 * chart: the chart model (series, bars, matrix, children, options), the
 * live-update registry, and the pieces of layout every renderer shares:
 * data extents, nice ticks (1-2-5), calendar ticks, histogram bins.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/calendar.h"
#include "plot/plot_int.h"
#include "util/buf.h"

/* ---- live registry: every chart alive, for ll_plot_find ---- */

static ll_plot *live_head;
static uint64_t next_id = 1;
static uint64_t changes;

static void bump(ll_plot *p)
{
    p->version++;
    changes++;
}

uint64_t ll_plot_id(const ll_plot *p)
{
    return p->id;
}

uint64_t ll_plot_version(const ll_plot *p)
{
    return p->version;
}

uint64_t ll_plot_changes(void)
{
    return changes;
}

ll_plot *ll_plot_find(uint64_t id)
{
    for (ll_plot *p = live_head; p; p = p->live_next)
        if (p->id == id)
            return p;
    return NULL;
}

void ll_plot_set_shown_size(ll_plot *p, int width, int height)
{
    p->shown_w = width;
    p->shown_h = height;
}

int ll_plot_shown_size(const ll_plot *p, int *width, int *height)
{
    *width = p->shown_w;
    *height = p->shown_h;
    return p->shown_w > 0 && p->shown_h > 0;
}

int ll_plot_render_display(const ll_plot *p, int color, ll_buf *out,
                           ll_err *err)
{
    int w, h;
    if (!ll_plot_shown_size(p, &w, &h))
        return ll_err_set(err, LL_EINVAL, "plot: not displayed yet");
    ll_plot_cells cells;
    int rc =
        ll_plot_render_cells(p, w, h, ll_plot_unicode_default(), &cells, err);
    if (rc != LL_OK)
        return rc;
    rc = ll_plot_cells_text(&cells, color, out);
    ll_plot_cells_free(&cells);
    return rc;
}

/* ---- model ---- */

ll_plot *ll_plot_new(ll_plot_kind kind, ll_err *err)
{
    ll_plot *p = calloc(1, sizeof *p);
    if (!p) {
        ll_err_oom(err);
        return NULL;
    }
    p->kind = kind;
    p->o.xmin = p->o.xmax = p->o.ymin = p->o.ymax = NAN;
    p->o.hline = p->o.vline = NAN;
    p->o.sort = 1;
    p->id = next_id++;
    p->live_next = live_head;
    if (live_head)
        live_head->live_prev = p;
    live_head = p;
    changes++;
    return p;
}

static void free_strs(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ll_plot_clear_series(ll_plot *p)
{
    for (size_t i = 0; i < p->ns; i++) {
        free(p->s[i].name);
        free(p->s[i].x);
        free(p->s[i].y);
    }
    free(p->s);
    p->s = NULL;
    p->ns = 0;
    bump(p);
}

void ll_plot_free(ll_plot *p)
{
    if (!p)
        return;
    if (p->live_prev)
        p->live_prev->live_next = p->live_next;
    else if (live_head == p)
        live_head = p->live_next;
    if (p->live_next)
        p->live_next->live_prev = p->live_prev;
    ll_plot_clear_series(p);
    for (int i = 0; i < 3; i++)
        free(p->text[i]);
    free_strs(p->labels, p->nbars);
    free(p->values);
    free(p->m);
    free_strs(p->xl, p->cols);
    free_strs(p->yl, p->rows);
    for (size_t i = 0; i < p->nkids; i++)
        ll_plot_free(p->kids[i]);
    free(p->kids);
    free(p);
}

ll_plot_kind ll_plot_kind_of(const ll_plot *p)
{
    return p->kind;
}

const char *ll_plot_kind_name(ll_plot_kind k)
{
    static const char *names[] = {"line", "scatter", "bar",       "barh",
                                  "hist", "heatmap", "sparkline", "grid"};
    return (unsigned)k < 8 ? names[k] : "?";
}

ll_plot_opts *ll_plot_options(ll_plot *p)
{
    return &p->o;
}

const ll_plot_opts *ll_plot_options_const(const ll_plot *p)
{
    return &p->o;
}

void ll_plot_touch(ll_plot *p)
{
    bump(p);
}

int ll_plot_set_text(ll_plot *p, int which, const char *s, ll_err *err)
{
    if (which < 0 || which > 2)
        return ll_err_set(err, LL_EINVAL, "plot: bad text slot %d", which);
    char *d = NULL;
    if (s && *s && !(d = ll_strdup(s)))
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    free(p->text[which]);
    p->text[which] = d;
    bump(p);
    return LL_OK;
}

static int series_reserve(ll_series *s, size_t n)
{
    if (n <= s->cap)
        return LL_OK;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < n)
        cap *= 2;
    double *x = realloc(s->x, cap * sizeof *x);
    if (!x)
        return LL_ENOMEM;
    s->x = x;
    double *y = realloc(s->y, cap * sizeof *y);
    if (!y)
        return LL_ENOMEM;
    s->y = y;
    s->cap = cap;
    return LL_OK;
}

int ll_plot_add_series(ll_plot *p, const char *name, const double *x,
                       const double *y, size_t n, int color, ll_err *err)
{
    if (color < 0 || color > 6)
        return ll_err_set(err, LL_EINVAL,
                          "plot: series colour %d out of range 0..6", color);
    ll_series *ns = realloc(p->s, (p->ns + 1) * sizeof *ns);
    if (!ns)
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    p->s = ns;
    ll_series *s = &p->s[p->ns];
    memset(s, 0, sizeof *s);
    if ((name && !(s->name = ll_strdup(name))) ||
        series_reserve(s, n ? n : 1) != LL_OK) {
        free(s->name);
        free(s->x);
        free(s->y);
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        s->x[i] = x ? x[i] : (double)(i + 1);
        s->y[i] = y[i];
    }
    s->n = n;
    s->color = color ? color : (int)(p->ns % 6) + 1;
    bump(p);
    return (int)p->ns++;
}

size_t ll_plot_nseries(const ll_plot *p)
{
    return p->ns;
}

size_t ll_plot_series_len(const ll_plot *p, size_t series)
{
    return series < p->ns ? p->s[series].n : 0;
}

const char *ll_plot_series_name(const ll_plot *p, size_t series)
{
    return series < p->ns ? p->s[series].name : NULL;
}

int ll_plot_append(ll_plot *p, size_t series, double x, double y, ll_err *err)
{
    if (series >= p->ns)
        return ll_err_set(err, LL_EINVAL,
                          "plot: append: no series %zu (the chart has %zu)",
                          series + 1, p->ns);
    ll_series *s = &p->s[series];
    if (series_reserve(s, s->n + 1) != LL_OK)
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    if (isnan(x))
        x = s->n ? s->x[s->n - 1] + 1 : 1;
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->n++;
    bump(p);
    return LL_OK;
}

static char **dup_labels(const char *const *src, size_t n, int *oom)
{
    char **v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        *oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char tmp[32];
        const char *s = src ? src[i] : NULL;
        if (!s) {
            snprintf(tmp, sizeof tmp, "%zu", i + 1);
            s = tmp;
        }
        if (!(v[i] = ll_strdup(s))) {
            free_strs(v, i);
            *oom = 1;
            return NULL;
        }
    }
    return v;
}

int ll_plot_set_bars(ll_plot *p, const char *const *labels,
                     const double *values, size_t n, ll_err *err)
{
    int oom = 0;
    char **l = dup_labels(labels, n, &oom);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (oom || !v) {
        free_strs(l, n);
        free(v);
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    }
    if (n)
        memcpy(v, values, n * sizeof *v);
    free_strs(p->labels, p->nbars);
    free(p->values);
    p->labels = l;
    p->values = v;
    p->nbars = n;
    bump(p);
    return LL_OK;
}

int ll_plot_set_matrix(ll_plot *p, const double *values, size_t rows,
                       size_t cols, const char *const *xlabels,
                       const char *const *ylabels, ll_err *err)
{
    int oom = 0;
    size_t n = rows * cols;
    char **xl = dup_labels(xlabels, cols, &oom);
    char **yl = oom ? NULL : dup_labels(ylabels, rows, &oom);
    double *m = malloc((n ? n : 1) * sizeof *m);
    if (oom || !m) {
        free_strs(xl, cols);
        free_strs(yl, rows);
        free(m);
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    }
    if (n)
        memcpy(m, values, n * sizeof *m);
    free_strs(p->xl, p->cols);
    free_strs(p->yl, p->rows);
    free(p->m);
    p->xl = xl;
    p->yl = yl;
    p->m = m;
    p->rows = rows;
    p->cols = cols;
    bump(p);
    return LL_OK;
}

ll_plot *ll_plot_clone(const ll_plot *src, ll_err *err)
{
    ll_plot *p = ll_plot_new(src->kind, err);
    if (!p)
        return NULL;
    p->o = src->o;
    for (int i = 0; i < 3; i++)
        if (src->text[i] && ll_plot_set_text(p, i, src->text[i], err) != 0)
            goto fail;
    for (size_t i = 0; i < src->ns; i++) {
        const ll_series *s = &src->s[i];
        if (ll_plot_add_series(p, s->name, s->x, s->y, s->n, s->color, err) < 0)
            goto fail;
    }
    if (src->nbars && ll_plot_set_bars(p, (const char *const *)src->labels,
                                       src->values, src->nbars, err) != LL_OK)
        goto fail;
    if (src->m &&
        ll_plot_set_matrix(p, src->m, src->rows, src->cols,
                           (const char *const *)src->xl,
                           (const char *const *)src->yl, err) != LL_OK)
        goto fail;
    for (size_t i = 0; i < src->nkids; i++)
        if (ll_plot_grid_add(p, src->kids[i], err) != LL_OK)
            goto fail;
    return p;
fail:
    ll_plot_free(p);
    return NULL;
}

int ll_plot_grid_add(ll_plot *grid, const ll_plot *child, ll_err *err)
{
    if (grid->kind != LL_PLOT_GRID)
        return ll_err_set(err, LL_EINVAL, "plot: grid_add on a %s chart",
                          ll_plot_kind_name(grid->kind));
    ll_plot **k = realloc(grid->kids, (grid->nkids + 1) * sizeof *k);
    if (!k)
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    grid->kids = k;
    ll_plot *c = ll_plot_clone(child, err);
    if (!c)
        return LL_ENOMEM;
    grid->kids[grid->nkids++] = c;
    bump(grid);
    return LL_OK;
}

/* ---- nice ticks ---- */

int ll_plot_ticks(double lo, double hi, int max_ticks, double *out, int cap,
                  double *step)
{
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || cap < 1)
        return 0;
    if (lo == hi) {
        out[0] = lo;
        if (step)
            *step = fabs(lo) > 0 ? fabs(lo) / 10 : 1;
        return 1;
    }
    if (max_ticks < 2)
        max_ticks = 2;
    if (max_ticks > cap)
        max_ticks = cap;
    /* the smallest 1-2-5 step that gives at most max_ticks ticks */
    double raw = (hi - lo) / (max_ticks - 1);
    double mag = pow(10, floor(log10(raw)));
    static const double mult[] = {1, 2, 5, 10, 20, 50, 100};
    double st = mag * 100;
    for (int i = 0; i < 7; i++) {
        double s = mag * mult[i];
        double cnt = floor(hi / s + 1e-9) - ceil(lo / s - 1e-9) + 1;
        if (cnt <= max_ticks) {
            st = s;
            break;
        }
    }
    double k0 = ceil(lo / st - 1e-9), k1 = floor(hi / st + 1e-9);
    int n = 0;
    for (double k = k0; k <= k1 && n < cap; k++) {
        double v = k * st;
        if (fabs(v) < st * 1e-9)
            v = 0;
        out[n++] = v;
    }
    if (step)
        *step = st;
    return n;
}

static void strip_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (!dot)
        return;
    char *e = s + strlen(s) - 1;
    while (e > dot && *e == '0')
        *e-- = '\0';
    if (e == dot)
        *e = '\0';
}

void ll_plot_format_tick(double v, double step, char *buf, size_t len)
{
    if (v == 0 || fabs(v) < fabs(step) * 1e-9)
        v = 0; /* no "-0"; zero keeps the step's decimals ("0.0") */
    double av = fabs(v);
    if (step >= 1000 && av >= 1000) {
        static const double scale[] = {1e12, 1e9, 1e6, 1e3};
        static const char suffix[] = {'T', 'G', 'M', 'k'};
        for (int i = 0; i < 4; i++) {
            if (av >= scale[i]) {
                double ss = step / scale[i];
                int dec = ss >= 1 ? 0 : (int)ceil(-log10(ss) - 1e-9);
                snprintf(buf, len, "%.*f", dec, v / scale[i]);
                strip_zeros(buf);
                size_t l = strlen(buf);
                if (l + 1 < len) {
                    buf[l] = suffix[i];
                    buf[l + 1] = '\0';
                }
                return;
            }
        }
    }
    if (av >= 1e15 || (step > 0 && step < 1e-6)) {
        snprintf(buf, len, "%.3g", v);
        return;
    }
    int dec = step >= 1 || step <= 0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, len, "%.*f", dec, v);
}

void ll_plot_format_value(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (v == floor(v) && fabs(v) < 1e9)
        snprintf(buf, len, "%.0f", v);
    else if (fabs(v) >= 1e5 || fabs(v) < 1e-3)
        snprintf(buf, len, "%.3g", v);
    else {
        snprintf(buf, len, "%.4g", v);
    }
}

/* ---- calendar ---- */

/* util/calendar.h with the int types the tick code uses. */
static long long days_from_civil(long long y, int m, int d)
{
    return ll_days_from_civil(y, (unsigned)m, (unsigned)d);
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
    int64_t yy;
    unsigned mm, dd;
    ll_civil_from_days(z, &yy, &mm, &dd);
    *y = yy;
    *m = (int)mm;
    *d = (int)dd;
}

int ll_plot_parse_date(const char *s, double *v, int *x_type)
{
    int y, mo, d, hh = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return LL_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return LL_EPARSE;
    double days = (double)days_from_civil(y, mo, d);
    const char *t = s + n;
    if (*t == '\0') {
        *v = days;
        *x_type = LL_PLOT_XDATE;
        return LL_OK;
    }
    if (*t != 'T' && *t != ' ')
        return LL_EPARSE;
    t++;
    int m = 0;
    if (sscanf(t, "%2d:%2d%n", &hh, &mi, &m) != 2 || m != 5)
        return LL_EPARSE;
    t += m;
    if (*t == ':') {
        char *end;
        sec = strtod(t + 1, &end);
        if (end == t + 1 || sec < 0 || sec >= 61)
            return LL_EPARSE;
        t = end;
    }
    if (*t == 'Z')
        t++;
    if (*t != '\0' || hh > 23 || mi > 59)
        return LL_EPARSE;
    *v = ((days * 86400) + hh * 3600.0 + mi * 60.0 + sec) * 1000;
    *x_type = LL_PLOT_XDATETIME;
    return LL_OK;
}

static const char *month_name[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

enum { U_SEC, U_DAY, U_MONTH, U_YEAR };
typedef struct cal_step {
    int unit;
    double count;  /* seconds for U_SEC, days, months or years */
    double approx; /* seconds */
} cal_step;

static const cal_step cal_steps[] = {{U_SEC, 1, 1},
                                     {U_SEC, 2, 2},
                                     {U_SEC, 5, 5},
                                     {U_SEC, 10, 10},
                                     {U_SEC, 15, 15},
                                     {U_SEC, 30, 30},
                                     {U_SEC, 60, 60},
                                     {U_SEC, 120, 120},
                                     {U_SEC, 300, 300},
                                     {U_SEC, 600, 600},
                                     {U_SEC, 900, 900},
                                     {U_SEC, 1800, 1800},
                                     {U_SEC, 3600, 3600},
                                     {U_SEC, 7200, 7200},
                                     {U_SEC, 10800, 10800},
                                     {U_SEC, 21600, 21600},
                                     {U_SEC, 43200, 43200},
                                     {U_DAY, 1, 86400},
                                     {U_DAY, 2, 172800},
                                     {U_DAY, 7, 604800},
                                     {U_DAY, 14, 1209600},
                                     {U_MONTH, 1, 2629746},
                                     {U_MONTH, 2, 5259492},
                                     {U_MONTH, 3, 7889238},
                                     {U_MONTH, 6, 15778476},
                                     {U_YEAR, 1, 31556952},
                                     {U_YEAR, 2, 63113904},
                                     {U_YEAR, 5, 157784760},
                                     {U_YEAR, 10, 315569520},
                                     {U_YEAR, 20, 631139040},
                                     {U_YEAR, 50, 1577847600},
                                     {U_YEAR, 100, 3155695200.0},
                                     {U_YEAR, 1000, 31556952000.0}};

static void date_label(double sec, int unit, double count, int long_form,
                       char *buf, size_t len)
{
    long long days = (long long)floor(sec / 86400);
    long long tod = (long long)(sec - (double)days * 86400);
    long long y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(tod / 3600), mm = (int)(tod / 60 % 60), ss = (int)(tod % 60);
    switch (unit) {
    case U_YEAR:
        snprintf(buf, len, "%lld", y);
        break;
    case U_MONTH:
        if (long_form || m == 1)
            snprintf(buf, len, "%s %lld", month_name[m - 1], y);
        else
            snprintf(buf, len, "%s", month_name[m - 1]);
        break;
    case U_DAY:
        if (long_form)
            snprintf(buf, len, "%lld-%02d-%02d", y, m, d);
        else
            snprintf(buf, len, "%s %02d", month_name[m - 1], d);
        break;
    default:
        if (count < 60) {
            if (long_form)
                snprintf(buf, len, "%s %02d %02d:%02d:%02d", month_name[m - 1],
                         d, hh, mm, ss);
            else
                snprintf(buf, len, "%02d:%02d:%02d", hh, mm, ss);
        } else if (long_form || tod == 0) {
            if (tod == 0)
                snprintf(buf, len, "%s %02d", month_name[m - 1], d);
            else
                snprintf(buf, len, "%s %02d %02d:%02d", month_name[m - 1], d,
                         hh, mm);
        } else {
            snprintf(buf, len, "%02d:%02d", hh, mm);
        }
    }
}

int ll_plot_date_ticks(double lo, double hi, int x_type, int max_ticks,
                       double *out, char (*labels)[32], int cap)
{
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (!isfinite(lo) || !isfinite(hi) || cap < 1)
        return 0;
    double unit_sec = x_type == LL_PLOT_XDATE ? 86400 : 0.001;
    double slo = lo * unit_sec, shi = hi * unit_sec;
    if (max_ticks < 2)
        max_ticks = 2;
    if (max_ticks > cap)
        max_ticks = cap;
    size_t nsteps = sizeof cal_steps / sizeof cal_steps[0];
    size_t first = x_type == LL_PLOT_XDATE ? 17 : 0;
    const cal_step *st = &cal_steps[nsteps - 1];
    for (size_t i = first; i < nsteps; i++) {
        if (floor((shi - slo) / cal_steps[i].approx) + 1 <= max_ticks) {
            st = &cal_steps[i];
            break;
        }
    }
    int n = 0;
    double secs[64];
    if (cap > 64)
        cap = 64;
    if (st->unit == U_SEC || st->unit == U_DAY) {
        double step = st->unit == U_SEC ? st->count : st->count * 86400;
        /* weeks start on Monday (1970-01-05 was one) */
        double origin = st->unit == U_DAY && st->count >= 7 ? 4 * 86400 : 0;
        double k = ceil((slo - origin) / step - 1e-9);
        for (; n < cap; k++) {
            double s = origin + k * step;
            if (s > shi + 1e-9)
                break;
            secs[n++] = s;
        }
    } else {
        long long y;
        int m, d;
        civil_from_days((long long)floor(slo / 86400), &y, &m, &d);
        long long months = y * 12 + (m - 1);
        long long stepm = st->unit == U_MONTH ? (long long)st->count
                                              : (long long)st->count * 12;
        /* round up to a multiple of the step (and to a month start) */
        long long start = months;
        if (days_from_civil(y, m, 1) * 86400.0 < slo - 1e-9)
            start++;
        long long r = ((start % stepm) + stepm) % stepm;
        if (r)
            start += stepm - r;
        for (long long mo = start; n < cap; mo += stepm) {
            long long yy = mo >= 0 ? mo / 12 : -((-mo + 11) / 12);
            int mm = (int)(mo - yy * 12) + 1;
            double s = (double)days_from_civil(yy, mm, 1) * 86400;
            if (s > shi + 1e-9)
                break;
            secs[n++] = s;
        }
    }
    long long prev_key = 0;
    for (int i = 0; i < n; i++) {
        long long days = (long long)floor(secs[i] / 86400);
        long long y;
        int m, d;
        civil_from_days(days, &y, &m, &d);
        /* the long form when the next larger unit changes */
        long long key = st->unit == U_DAY ? y : days;
        int long_form = i == 0 || (st->unit != U_MONTH && key != prev_key);
        if (st->unit == U_SEC && i > 0 && key == prev_key)
            long_form = 0;
        prev_key = key;
        out[i] = secs[i] / unit_sec;
        date_label(secs[i], st->unit, st->count, long_form, labels[i], 32);
    }
    return n;
}

/* ---- ticks for an axis ---- */

double ll_axis_tx(double v, int log_scale)
{
    if (!isfinite(v) || (log_scale && v <= 0))
        return (double)NAN;
    return log_scale ? log10(v) : v;
}

void ll_ticks_make(double lo, double hi, int log_scale, int x_type,
                   int max_ticks, ll_ticks *t)
{
    t->n = 0;
    if (max_ticks > 64)
        max_ticks = 64;
    if (x_type != LL_PLOT_XNUM && !log_scale) {
        t->n =
            ll_plot_date_ticks(lo, hi, x_type, max_ticks, t->v, t->label, 64);
        return;
    }
    double step;
    if (log_scale && floor(hi) - ceil(lo) >= 1) {
        double ex[64];
        int n = ll_plot_ticks(ceil(lo), floor(hi), max_ticks, ex, 64, &step);
        for (int i = 0; i < n; i++) {
            if (ex[i] != floor(ex[i]))
                continue;
            double v = pow(10, ex[i]);
            t->v[t->n] = ex[i];
            ll_plot_format_tick(v, v, t->label[t->n], 32);
            t->n++;
        }
        return;
    }
    if (log_scale) {
        double vv[64];
        int n =
            ll_plot_ticks(pow(10, lo), pow(10, hi), max_ticks, vv, 64, &step);
        for (int i = 0; i < n; i++) {
            if (vv[i] <= 0)
                continue;
            t->v[t->n] = log10(vv[i]);
            ll_plot_format_tick(vv[i], step, t->label[t->n], 32);
            t->n++;
        }
        return;
    }
    t->n = ll_plot_ticks(lo, hi, max_ticks, t->v, 64, &step);
    for (int i = 0; i < t->n; i++)
        ll_plot_format_tick(t->v[i], step, t->label[i], 32);
}

/* ---- histogram bins (numpy.histogram_bin_edges) ---- */

/* The k-th smallest of v[0..n-1] (v is reordered: Hoare's selection, so
 * the histogram rule costs O(n), not a sort). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* numpy.percentile's default (linear) interpolation; reorders v. */
static double percentile(double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    double frac = pos - (double)i;
    double a = select_kth(v, n, i);
    if (i + 1 >= n || frac == 0)
        return a;
    double b = v[i + 1]; /* the smallest of what lies above position i */
    for (size_t k = i + 2; k < n; k++)
        if (v[k] < b)
            b = v[k];
    return a + frac * (b - a);
}

int ll_plot_hist_bins(const double *y, size_t n, int bins, double **edges,
                      double **counts, size_t *nbins, ll_err *err)
{
    *edges = *counts = NULL;
    *nbins = 0;
    if (bins < 0)
        return ll_err_set(err, LL_EINVAL,
                          "plot.hist: bins must be positive, got %d", bins);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]))
            v[m++] = y[i];
    double first = 0, last = 1;
    size_t nb = bins ? (size_t)bins : 1;
    if (m) {
        first = last = v[0];
        for (size_t i = 1; i < m; i++) {
            if (v[i] < first)
                first = v[i];
            if (v[i] > last)
                last = v[i];
        }
        double ptp = last - first;
        if (first == last) {
            first -= 0.5;
            last += 0.5;
        }
        if (!bins) {
            double sturges = ptp / (log2((double)m) + 1.0);
            double q75 = percentile(v, m, 0.75);
            double iqr = q75 - percentile(v, m, 0.25);
            double fd = 2.0 * iqr * pow((double)m, -1.0 / 3.0);
            double width = fd > 0 && fd < sturges ? fd : sturges;
            nb = width > 0 ? (size_t)ceil((last - first) / width) : 1;
            if (nb > 100000)
                nb = 100000;
        }
    } else if (!bins) {
        nb = 1;
    }
    double *e = malloc((nb + 1) * sizeof *e);
    double *c = calloc(nb, sizeof *c);
    if (!e || !c) {
        free(v);
        free(e);
        free(c);
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    }
    for (size_t i = 0; i <= nb; i++)
        e[i] = first + (last - first) * (double)i / (double)nb;
    e[nb] = last;
    double norm = (double)nb / (last - first);
    for (size_t i = 0; i < m; i++) {
        long k = (long)((v[i] - first) * norm);
        if (k >= (long)nb)
            k = (long)nb - 1;
        if (k < 0)
            k = 0;
        if (v[i] < e[k] && k > 0)
            k--;
        else if (k != (long)nb - 1 && v[i] >= e[k + 1])
            k++;
        c[k]++;
    }
    free(v);
    *edges = e;
    *counts = c;
    *nbins = nb;
    return LL_OK;
}

/* ---- extents ---- */

static void widen(double *lo, double *hi)
{
    if (!(*lo < *hi)) {
        double v = *lo;
        double pad = v == 0 ? 1 : fabs(v) * 0.1;
        *lo = v - pad;
        *hi = v + pad;
    }
}

static double barh_key_value;
static const double *barh_values;
static int cmp_barh(const void *a, const void *b)
{
    double x = barh_values[*(const size_t *)a];
    double y = barh_values[*(const size_t *)b];
    (void)barh_key_value;
    if (isnan(x))
        return isnan(y) ? 0 : 1;
    if (isnan(y))
        return -1;
    if (x != y)
        return x > y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Widen [*lo, *hi] to hold the finite values of v[0..n), counting them in
 * e->points and the others in e->nonfinite. */
static void widen_range(const double *v, size_t n, ll_extent *e, double *lo,
                        double *hi)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            e->nonfinite++;
            continue;
        }
        e->points++;
        if (v[i] < *lo)
            *lo = v[i];
        if (v[i] > *hi)
            *hi = v[i];
    }
}

int ll_extent_compute(const ll_plot *p, ll_extent *e, ll_err *err)
{
    memset(e, 0, sizeof *e);
    double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
    const ll_plot_opts *o = &p->o;
    switch (p->kind) {
    case LL_PLOT_LINE:
    case LL_PLOT_SCATTER:
    case LL_PLOT_SPARKLINE:
        for (size_t i = 0; i < p->ns; i++) {
            const ll_series *s = &p->s[i];
            for (size_t j = 0; j < s->n; j++) {
                if (!isfinite(s->x[j]) || !isfinite(s->y[j])) {
                    e->nonfinite++;
                    continue;
                }
                double tx = ll_axis_tx(s->x[j], o->xlog);
                double ty = ll_axis_tx(s->y[j], o->ylog);
                if (isnan(tx) || isnan(ty)) {
                    e->nonpos++;
                    continue;
                }
                e->points++;
                if (tx < xlo)
                    xlo = tx;
                if (tx > xhi)
                    xhi = tx;
                if (ty < ylo)
                    ylo = ty;
                if (ty > yhi)
                    yhi = ty;
            }
        }
        break;
    case LL_PLOT_HIST: {
        const double *y = p->ns ? p->s[0].y : NULL;
        size_t n = p->ns ? p->s[0].n : 0;
        for (size_t j = 0; j < n; j++) {
            if (!isfinite(y[j]))
                e->nonfinite++;
            else
                e->points++;
        }
        int rc = ll_plot_hist_bins(y, n, o->bins, &e->edges, &e->counts,
                                   &e->nbins, err);
        if (rc)
            return rc;
        xlo = e->edges[0];
        xhi = e->edges[e->nbins];
        ylo = 0;
        yhi = 0;
        for (size_t b = 0; b < e->nbins; b++)
            if (e->counts[b] > yhi)
                yhi = e->counts[b];
        if (yhi == 0)
            yhi = 1;
        break;
    }
    case LL_PLOT_BAR:
    case LL_PLOT_BARH:
        ylo = 0;
        yhi = 0;
        xlo = 0;
        xhi = (double)p->nbars;
        e->order = malloc((p->nbars ? p->nbars : 1) * sizeof *e->order);
        if (!e->order)
            return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
        for (size_t i = 0; i < p->nbars; i++)
            e->order[i] = i;
        widen_range(p->values, p->nbars, e, &ylo, &yhi);
        if (p->kind == LL_PLOT_BARH && o->sort) {
            barh_values = p->values;
            qsort(e->order, p->nbars, sizeof *e->order, cmp_barh);
        }
        if (ylo == yhi)
            yhi = ylo + 1;
        break;
    case LL_PLOT_HEATMAP:
        widen_range(p->m, p->rows * p->cols, e, &ylo, &yhi);
        break;
    case LL_PLOT_GRID:
        break;
    }
    if (!e->points && p->kind != LL_PLOT_HIST) {
        if (p->kind == LL_PLOT_BAR || p->kind == LL_PLOT_BARH)
            ylo = 0, yhi = 1;
        else
            xlo = ylo = 0, xhi = yhi = 1; /* axis space: 1..10 on a log axis */
        if (p->kind == LL_PLOT_HEATMAP)
            ylo = 0, yhi = 0;
    }
    if (p->kind == LL_PLOT_LINE || p->kind == LL_PLOT_SCATTER) {
        double h = ll_axis_tx(o->hline, o->ylog);
        double v = ll_axis_tx(o->vline, o->xlog);
        if (!isnan(h)) {
            if (h < ylo)
                ylo = h;
            if (h > yhi)
                yhi = h;
        }
        if (!isnan(v)) {
            if (v < xlo)
                xlo = v;
            if (v > xhi)
                xhi = v;
        }
        if (o->identity && e->points) {
            /* same range on both axes so y = x is the diagonal */
            double lo = xlo < ylo ? xlo : ylo, hi = xhi > yhi ? xhi : yhi;
            xlo = ylo = lo;
            xhi = yhi = hi;
        }
        widen(&xlo, &xhi);
        widen(&ylo, &yhi);
    }
    if (p->kind == LL_PLOT_SPARKLINE)
        widen(&ylo, &yhi);
    double lim;
    if (!isnan(lim = ll_axis_tx(o->xmin, o->xlog)))
        xlo = lim;
    if (!isnan(lim = ll_axis_tx(o->xmax, o->xlog)))
        xhi = lim;
    if (!isnan(lim = ll_axis_tx(o->ymin, o->ylog)))
        ylo = lim;
    if (!isnan(lim = ll_axis_tx(o->ymax, o->ylog)))
        yhi = lim;
    if (p->kind != LL_PLOT_HEATMAP) {
        widen(&xlo, &xhi);
        widen(&ylo, &yhi);
    }
    e->xlo = xlo;
    e->xhi = xhi;
    e->ylo = ylo;
    e->yhi = yhi;
    return LL_OK;
}

void ll_extent_free(ll_extent *e)
{
    free(e->edges);
    free(e->counts);
    free(e->order);
    e->edges = e->counts = NULL;
    e->order = NULL;
}

void ll_extent_footnote(const ll_extent *e, char *buf, size_t len)
{
    buf[0] = '\0';
    if (e->nonfinite && e->nonpos)
        snprintf(buf, len,
                 "%zu NaN/Inf and %zu non-positive (log scale) values skipped",
                 e->nonfinite, e->nonpos);
    else if (e->nonfinite)
        snprintf(buf, len, "%zu NaN/Inf value%s skipped", e->nonfinite,
                 e->nonfinite == 1 ? "" : "s");
    else if (e->nonpos)
        snprintf(buf, len, "%zu non-positive value%s skipped (log scale)",
                 e->nonpos, e->nonpos == 1 ? "" : "s");
}

int ll_plot_x_integral(const ll_plot *p)
{
    if (p->o.x_type != LL_PLOT_XNUM || p->o.xlog ||
        (p->kind != LL_PLOT_LINE && p->kind != LL_PLOT_SCATTER))
        return 0;
    for (size_t i = 0; i < p->ns; i++)
        for (size_t j = 0; j < p->s[i].n; j++)
            if (isfinite(p->s[i].x[j]) && p->s[i].x[j] != floor(p->s[i].x[j]))
                return 0;
    return 1;
}

void ll_ticks_integral(ll_ticks *t)
{
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->v[i] != floor(t->v[i]))
            continue;
        t->v[k] = t->v[i];
        snprintf(t->label[k], sizeof t->label[k], "%.0f", t->v[i]);
        k++;
    }
    t->n = k;
}
