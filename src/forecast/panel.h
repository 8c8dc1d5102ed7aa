/*
 * panel: many series from one long table (a series id, a time and a
 * value per row), fitted on several threads, and the calendar of their
 * forecasts.
 *
 * The time may be a date (days since 1970-01-01), a datetime (ms since
 * the epoch, UTC) or a plain number.  The frequency is inferred from the
 * most common step between consecutive times of a series: daily, weekly,
 * monthly, quarterly, yearly, hourly, or a plain step; it sets the default
 * season_length (7, 52, 12, 4, 1, 24, 1).  Forecast times continue the
 * calendar (the same day of the month for monthly data, clamped to the
 * month's length).
 *
 * Threads share nothing but the read-only input and take the next series
 * from an atomic counter; each series gets its own fit or error.
 */
#ifndef LL_FC_PANEL_H
#define LL_FC_PANEL_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/forecast.h"

enum { LL_FC_TIME_NUMBER, LL_FC_TIME_DATE, LL_FC_TIME_DATETIME };

enum {
    LL_FC_FREQ_STEP,
    LL_FC_FREQ_DAILY,
    LL_FC_FREQ_WEEKLY,
    LL_FC_FREQ_MONTHLY,
    LL_FC_FREQ_QUARTERLY,
    LL_FC_FREQ_YEARLY,
    LL_FC_FREQ_HOURLY
};

typedef struct ll_fc_freq {
    int kind;          /* LL_FC_FREQ_* */
    double step;       /* in time units (days, ms or numbers); months for
                          monthly/quarterly/yearly (1, 3, 12) */
    int season_length; /* the default m */
    double days;       /* one step in days (ll_fc_data.step); 0 = none */
    const char *name;  /* "daily", "monthly", "step 5", ... */
    char buf[32];
} ll_fc_freq;

/* Infer the frequency of sorted times t[0..n) of kind time_kind (n >= 2).
 * Returns 0 or LL_EINVAL when the times do not advance. */
int ll_fc_infer_freq(const double *t, size_t n, int time_kind, ll_fc_freq *out,
                     ll_err *err);
/* The time k periods after t. */
double ll_fc_next_time(const ll_fc_freq *f, int time_kind, double t, size_t k);
/* Format a time ("2024-03-01", "2024-03-01 10:00:00" or the number). */
void ll_fc_format_time(int time_kind, double t, char *buf, size_t cap);

typedef struct ll_fc_panel_opts {
    const ll_fc_spec *spec; /* season_length 0 = from the frequency */
    int threads;            /* >= 1 */
    int fill; /* LL_FC_FILL_* for NA in the target and in the regressors,
                 and for rows missing from a series' calendar */
    int time_kind;
    /* Regressors: nrow rows of k values, row-major, in the rows' order
     * (NaN = NA); xnames names them in errors.  k 0 = none. */
    const double *x;
    size_t k;
    const char *const *xnames;
} ll_fc_panel_opts;

typedef struct ll_fc_panel {
    size_t nseries;
    int time_kind;
    ll_fc_freq freq;
    ll_fc_spec spec;     /* as used (season_length filled in) */
    ll_fc_fit **fits;    /* nseries; NULL where the series failed */
    ll_err *errs;        /* nseries; why a fit is NULL */
    double *last_time;   /* nseries: the last time of each series */
    double *first_time;  /* nseries: the first time of each series */
    double *gap_time;    /* nseries: the first time missing inside a
                            series' calendar (NAN: none) */
    size_t *start, *len; /* rows of series g: y[start..start+len), gaps
                            included as NaN */
    double *y;           /* values sorted by series then time */
    size_t k;            /* regressors */
    double *x;           /* k values per row of y, row-major */
} ll_fc_panel;

/* Fit opts->spec to every series.  group[i] in [0, ngroups) is the series
 * of row i, t[i] its time, y[i] its value (NaN = NA).  Rows may come in
 * any order.  A time missing between two rows of a series (a gap in its
 * calendar) becomes an NA row, filled by opts->fill; without a fill the
 * series fails with the first missing time.  Each series is fitted with
 * t0 = its first time in days since 1970 (dates and datetimes) and step =
 * the frequency in days, so calendar seasonalities (Prophet) are in
 * phase.  A series that cannot be fitted gets its error in errs; the
 * function itself fails only for out of memory, duplicate times or a
 * frequency it cannot infer. */
int ll_fc_panel_fit(const int64_t *group, size_t ngroups, const double *t,
                    const double *y, size_t nrow, const ll_fc_panel_opts *o,
                    ll_fc_panel **out, ll_err *err);
/* The number of periods from time a to the later time b of the calendar
 * f: 1 when b is not k whole periods after a. */
size_t ll_fc_periods_between(const ll_fc_freq *f, int time_kind, double a,
                             double b);
/* The time k (>= 1) periods after the end of series g. */
double ll_fc_panel_future_time(const ll_fc_panel *p, size_t g, size_t k);
void ll_fc_panel_free(ll_fc_panel *p);

#endif
