/*
 * view: the terminal views of the tracking store, shared by `lualab runs`
 * / `lualab models` and by mlflow.show_run / mlflow.compare in notebooks.
 *
 * Tables are plain text padded to the widest cell.  A metric's history is
 * a sparkline in the metrics table and a line chart per metric, both
 * drawn by plot/ (ll_plot_sparkline_text, ll_plot_render_text): track/
 * draws no charts itself; compare overlays the runs'
 * histories of each metric on one chart, a series per run.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "track/track.h"
#include "plot/plot.h"
#include "track/view.h"

static void fmt_time(long long ms, char *out, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&s, &tm)) {
        snprintf(out, cap, "-");
        return;
    }
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static void fmt_duration(long long ms, char *out, size_t cap)
{
    if (ms < 0) {
        snprintf(out, cap, "-");
        return;
    }
    double s = (double)ms / 1000.0;
    if (s < 60)
        snprintf(out, cap, "%.1fs", s);
    else if (s < 3600)
        snprintf(out, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(out, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void fmt_num(double v, char *out, size_t cap)
{
    snprintf(out, cap, "%.6g", v);
}

/* Display width of a UTF-8 string (code points; our cells are narrow). */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* ---- a small text table ---- */

typedef struct table {
    size_t cols;
    size_t rows;
    char **cells; /* rows * cols, row 0 is the header */
} table;

static int table_init(table *t, size_t cols)
{
    t->cols = cols;
    t->rows = 0;
    t->cells = NULL;
    return LL_OK;
}

static int table_add(table *t, const char *const *vals)
{
    char **g = realloc(t->cells, (t->rows + 1) * t->cols * sizeof *g);
    if (!g)
        return LL_ENOMEM;
    t->cells = g;
    for (size_t c = 0; c < t->cols; c++) {
        const char *v = vals[c] ? vals[c] : "";
        size_t n = strlen(v);
        char *d = malloc(n + 1);
        if (!d) {
            for (size_t k = 0; k < c; k++)
                free(g[t->rows * t->cols + k]);
            return LL_ENOMEM;
        }
        memcpy(d, v, n + 1);
        g[t->rows * t->cols + c] = d;
    }
    t->rows++;
    return LL_OK;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
}

static int table_render(const table *t, ll_buf *out)
{
    size_t *w = calloc(t->cols, sizeof *w);
    if (!w)
        return LL_ENOMEM;
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++) {
            size_t n = width_of(t->cells[r * t->cols + c]);
            if (n > w[c])
                w[c] = n;
        }
    int rc = LL_OK;
    for (size_t r = 0; r < t->rows && rc == LL_OK; r++) {
        for (size_t c = 0; c < t->cols && rc == LL_OK; c++) {
            const char *s = t->cells[r * t->cols + c];
            int last = c + 1 == t->cols;
            rc = ll_buf_puts(out, s);
            for (size_t k = width_of(s); !last && k < w[c] + 2; k++)
                rc |= ll_buf_putc(out, ' ');
        }
        rc |= ll_buf_putc(out, '\n');
        if (r == 0) {
            for (size_t c = 0; c < t->cols; c++) {
                for (size_t k = 0; k < w[c]; k++)
                    rc |= ll_buf_putc(out, '-');
                if (c + 1 < t->cols)
                    rc |= ll_buf_puts(out, "  ");
            }
            rc |= ll_buf_putc(out, '\n');
        }
    }
    free(w);
    return rc;
}

/* ---- charts ---- */

static int oom(ll_err *err)
{
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

/* A line chart of one metric: one series per run, x = step. */
static int metric_chart(const char *key, const char *const *labels,
                        ll_track_metric *const *hist, const size_t *n,
                        size_t runs, size_t width, ll_buf *out, ll_err *err)
{
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, err);
    if (!p)
        return LL_ENOMEM;
    int rc = ll_plot_set_text(p, LL_PLOT_TITLE, key, err);
    ll_plot_set_text(p, LL_PLOT_XLABEL, "step", NULL);
    for (size_t r = 0; r < runs && rc >= 0; r++) {
        double *x = malloc((n[r] ? n[r] : 1) * sizeof *x);
        double *y = malloc((n[r] ? n[r] : 1) * sizeof *y);
        if (!x || !y) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < n[r]; i++) {
                x[i] = (double)hist[r][i].step;
                y[i] = hist[r][i].value;
            }
            rc = ll_plot_add_series(p, labels[r], x, y, n[r], 0, err);
        }
        free(x);
        free(y);
    }
    ll_plot_options(p)->markers = 1;
    ll_plot_touch(p);
    if (rc >= 0)
        rc = ll_plot_render_text(p, (int)width, 12, ll_plot_unicode_default(),
                                 0, out, err);
    ll_plot_free(p);
    return rc < 0 ? rc : LL_OK;
}

/* ---- views ---- */

/* Fetch each run's history of key and draw them on one chart. */
static int history_chart(ll_track *t, const char *key,
                         ll_track_run *const *runs, size_t n, size_t width,
                         ll_buf *out, ll_err *err)
{
    ll_track_metric **hist = calloc(n, sizeof *hist);
    size_t *len = calloc(n, sizeof *len);
    const char **labels = calloc(n, sizeof *labels);
    int rc = hist && len && labels ? LL_OK : oom(err);
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        labels[i] = runs[i]->name;
        rc = ll_track_metric_history(t, runs[i]->run_id, key, &hist[i], &len[i],
                                     err);
    }
    if (rc == LL_OK && ll_buf_putc(out, '\n') != LL_OK)
        rc = oom(err);
    if (rc == LL_OK)
        rc = metric_chart(key, labels, (ll_track_metric *const *)hist, len, n,
                          width, out, err);
    for (size_t i = 0; hist && i < n; i++)
        ll_track_metrics_free(hist[i], len[i]);
    free(hist);
    free(len);
    free(labels);
    return rc;
}

int ll_track_view_experiments(ll_track *t, ll_buf *out, ll_err *err)
{
    ll_track_experiment *e;
    size_t n;
    int rc = ll_track_experiment_list(t, &e, &n, err);
    if (rc != LL_OK)
        return rc;
    table tb;
    table_init(&tb, 4);
    const char *head[] = {"id", "name", "runs", "created"};
    rc = table_add(&tb, head);
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        char id[32], runs[32], created[32];
        snprintf(id, sizeof id, "%lld", e[i].id);
        ll_track_run **r;
        size_t nr = 0;
        if (ll_track_search(t, &e[i].id, 1, NULL, NULL, 0, 0, &r, &nr, err) !=
            LL_OK)
            nr = 0;
        else
            ll_track_runs_free(r, nr);
        snprintf(runs, sizeof runs, "%zu", nr);
        fmt_time(e[i].creation_time, created, sizeof created);
        const char *row[] = {id, e[i].name, runs, created};
        rc = table_add(&tb, row);
    }
    if (rc == LL_OK)
        rc = table_render(&tb, out);
    table_free(&tb);
    ll_track_experiments_free(e, n);
    return rc == LL_OK ? LL_OK : oom(err);
}

int ll_track_view_runs(ll_track *t, const char *experiment, ll_buf *out,
                       ll_err *err)
{
    long long exp_id = 0;
    size_t n_exp = 0;
    if (experiment) {
        ll_track_experiment e;
        int rc = ll_track_experiment_get_by_name(t, experiment, &e, err);
        if (rc != LL_OK)
            return rc;
        exp_id = e.id;
        n_exp = 1;
        ll_track_experiment_clear(&e);
    }
    ll_track_run **runs;
    size_t n;
    int rc =
        ll_track_search(t, &exp_id, n_exp, NULL, NULL, 0, 0, &runs, &n, err);
    if (rc != LL_OK)
        return rc;
    /* key metrics: the first four metric names in sorted order */
    const char *keys[4];
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < runs[i]->n_metrics; m++) {
            const char *k = runs[i]->metrics[m].key;
            int have = 0;
            for (size_t j = 0; j < nk; j++)
                have |= strcmp(keys[j], k) == 0;
            if (!have && nk < 4)
                keys[nk++] = k;
        }
    table tb;
    table_init(&tb, 6 + nk);
    const char *head[10] = {"name",   "run_id", "experiment",
                            "status", "start",  "duration"};
    for (size_t j = 0; j < nk; j++)
        head[6 + j] = keys[j];
    rc = table_add(&tb, head);
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        ll_track_run *r = runs[i];
        char id[9], exp[32], start[32], dur[32], vals[4][32];
        snprintf(id, sizeof id, "%.8s", r->run_id);
        snprintf(exp, sizeof exp, "%lld", r->experiment_id);
        fmt_time(r->start_time, start, sizeof start);
        fmt_duration(r->end_time >= 0 ? r->end_time - r->start_time : -1, dur,
                     sizeof dur);
        const char *row[10] = {r->name, id, exp, r->status, start, dur};
        for (size_t j = 0; j < nk; j++) {
            vals[j][0] = '\0';
            for (size_t m = 0; m < r->n_metrics; m++)
                if (strcmp(r->metrics[m].key, keys[j]) == 0)
                    fmt_num(r->metrics[m].value, vals[j], sizeof vals[j]);
            row[6 + j] = vals[j];
        }
        rc = table_add(&tb, row);
    }
    if (rc == LL_OK && n == 0)
        rc = ll_buf_puts(out, "(no runs)\n");
    else if (rc == LL_OK)
        rc = table_render(&tb, out);
    table_free(&tb);
    ll_track_runs_free(runs, n);
    return rc == LL_OK ? LL_OK : oom(err);
}

static int kv_section(ll_buf *out, const char *title, const ll_track_kv *kv,
                      size_t n)
{
    int rc = ll_buf_printf(out, "\n%s (%zu)\n", title, n);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w = strlen(kv[i].key) > w ? strlen(kv[i].key) : w;
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        const char *v = kv[i].value;
        const char *nl = strchr(v, '\n');
        if (nl)
            rc = ll_buf_printf(out, "  %-*s  %.*s ...\n", (int)w, kv[i].key,
                               (int)(nl - v), v);
        else
            rc = ll_buf_printf(out, "  %-*s  %s\n", (int)w, kv[i].key, v);
    }
    return rc;
}

int ll_track_view_run(ll_track *t, const char *ref, size_t width, ll_buf *out,
                      ll_err *err)
{
    ll_track_run *r;
    int rc = ll_track_run_get(t, ref, &r, err);
    if (rc != LL_OK)
        return rc;
    char start[32], end[32], dur[32];
    fmt_time(r->start_time, start, sizeof start);
    fmt_time(r->end_time, end, sizeof end);
    fmt_duration(r->end_time >= 0 ? r->end_time - r->start_time : -1, dur,
                 sizeof dur);
    rc = ll_buf_printf(out,
                       "Run %s (%s)\n  experiment %lld, status %s, user %s\n"
                       "  start %s, end %s, duration %s\n",
                       r->name, r->run_id, r->experiment_id, r->status, r->user,
                       start, end, dur);
    rc |= kv_section(out, "Params", r->params, r->n_params);
    /* A table with a header; every column as wide as its widest cell and
     * two spaces apart, so long numbers never run together. */
    rc |= ll_buf_printf(out, "\nMetrics (%zu)\n", r->n_metrics);
    size_t nm = r->n_metrics;
    char(*cell)[3][32] = calloc(nm ? nm : 1, sizeof *cell);
    size_t kw = strlen("metric"), cw[3] = {6, 3, 3}; /* latest min max */
    if (!cell)
        rc = LL_ENOMEM;
    for (size_t m = 0; m < nm && rc == LL_OK; m++) {
        ll_track_metric *h;
        size_t n;
        if ((rc = ll_track_metric_history(t, r->run_id, r->metrics[m].key, &h,
                                          &n, err)) != LL_OK)
            break;
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (size_t i = 0; i < n; i++) {
            lo = h[i].value < lo ? h[i].value : lo;
            hi = h[i].value > hi ? h[i].value : hi;
        }
        ll_track_metrics_free(h, n);
        fmt_num(r->metrics[m].value, cell[m][0], sizeof cell[m][0]);
        fmt_num(lo, cell[m][1], sizeof cell[m][1]);
        fmt_num(hi, cell[m][2], sizeof cell[m][2]);
        kw = strlen(r->metrics[m].key) > kw ? strlen(r->metrics[m].key) : kw;
        for (int c = 0; c < 3; c++)
            cw[c] = strlen(cell[m][c]) > cw[c] ? strlen(cell[m][c]) : cw[c];
    }
    size_t used = kw + cw[0] + cw[1] + cw[2] + 10;
    size_t spark = width > used + 8 ? width - used - 8 : 10;
    if (rc == LL_OK && nm)
        rc = ll_buf_printf(out, "  %-*s  %*s  %*s  %*s  history\n", (int)kw,
                           "metric", (int)cw[0], "latest", (int)cw[1], "min",
                           (int)cw[2], "max");
    for (size_t m = 0; m < nm && rc == LL_OK; m++) {
        ll_track_metric *h;
        size_t n;
        if ((rc = ll_track_metric_history(t, r->run_id, r->metrics[m].key, &h,
                                          &n, err)) != LL_OK)
            break;
        double *v = malloc((n ? n : 1) * sizeof *v);
        for (size_t i = 0; v && i < n; i++)
            v[i] = h[i].value;
        rc = v ? ll_buf_printf(out, "  %-*s  %*s  %*s  %*s  ", (int)kw,
                               r->metrics[m].key, (int)cw[0], cell[m][0],
                               (int)cw[1], cell[m][1], (int)cw[2], cell[m][2])
               : LL_ENOMEM;
        if (rc == LL_OK)
            rc = ll_plot_sparkline_text(v, n, spark, out);
        if (rc == LL_OK)
            rc = ll_buf_printf(out, " (%zu)\n", n);
        free(v);
        ll_track_metrics_free(h, n);
    }
    free(cell);
    /* a chart of each metric that has a history */
    for (size_t m = 0; m < r->n_metrics && rc == LL_OK; m++)
        if (ll_track_count(t, "metrics", r->run_id) > (long long)r->n_metrics)
            rc = history_chart(t, r->metrics[m].key, &r, 1, width, out, err);
    if (rc == LL_OK)
        rc = kv_section(out, "Tags", r->tags, r->n_tags);
    char *files = NULL;
    if (rc == LL_OK &&
        ll_track_list_files(r->artifact_uri, &files, NULL) == LL_OK) {
        size_t count = 0;
        for (char *p = files; *p; p++)
            count += *p == '\n';
        rc = ll_buf_printf(out, "\nArtifacts (%zu) in %s\n", count,
                           r->artifact_uri);
        /* a tree: indent by depth, print each directory once */
        char prev[1024] = "";
        for (char *line = files; rc == LL_OK && *line;) {
            char *nl = strchr(line, '\n');
            *nl = '\0';
            int depth = 0;
            const char *seg = line;
            for (const char *s = line; *s; s++)
                if (*s == '/') {
                    size_t plen = (size_t)(s - line);
                    if (strncmp(prev, line, plen) != 0 ||
                        (prev[plen] != '/' && prev[plen] != '\0'))
                        rc |= ll_buf_printf(out, "  %*s%.*s/\n", 2 * depth, "",
                                            (int)(s - seg), seg);
                    depth++;
                    seg = s + 1;
                }
            rc |= ll_buf_printf(out, "  %*s%s\n", 2 * depth, "", seg);
            snprintf(prev, sizeof prev, "%s", line);
            line = nl + 1;
        }
    }
    free(files);
    ll_track_run_free(r);
    return rc == LL_ENOMEM ? oom(err) : rc;
}

int ll_track_view_compare(ll_track *t, const char *const *refs, size_t n,
                          size_t width, ll_buf *out, ll_err *err)
{
    if (n == 0)
        return ll_err_set(err, LL_EINVAL, "compare: no runs given");
    ll_track_run **runs = calloc(n, sizeof *runs);
    if (!runs)
        return oom(err);
    int rc = LL_OK;
    for (size_t i = 0; i < n && rc == LL_OK; i++)
        rc = ll_track_run_get(t, refs[i], &runs[i], err);
    /* union of param and metric keys (sorted, from sorted per-run lists) */
    table tb;
    table_init(&tb, n + 1);
    const char **row = calloc(n + 1, sizeof *row);
    char(*cell)[48] = calloc(n + 1, sizeof *cell);
    if (rc == LL_OK && (!row || !cell))
        rc = oom(err);
    if (rc == LL_OK) {
        row[0] = "";
        for (size_t i = 0; i < n; i++)
            row[i + 1] = runs[i]->name;
        rc = table_add(&tb, (const char *const *)row);
        row[0] = "run_id";
        for (size_t i = 0; i < n; i++) {
            snprintf(cell[i + 1], sizeof cell[i + 1], "%.8s", runs[i]->run_id);
            row[i + 1] = cell[i + 1];
        }
        rc |= table_add(&tb, (const char *const *)row);
        row[0] = "status";
        for (size_t i = 0; i < n; i++)
            row[i + 1] = runs[i]->status;
        rc |= table_add(&tb, (const char *const *)row);
        for (int kind = 0; kind < 2 && rc == LL_OK; kind++) {
            for (size_t i = 0; i < n && rc == LL_OK; i++) {
                size_t nk = kind ? runs[i]->n_metrics : runs[i]->n_params;
                for (size_t k = 0; k < nk && rc == LL_OK; k++) {
                    const char *key =
                        kind ? runs[i]->metrics[k].key : runs[i]->params[k].key;
                    char label[300];
                    snprintf(label, sizeof label, "%s.%s",
                             kind ? "metrics" : "params", key);
                    int dup = 0;
                    for (size_t r = 0; r < tb.rows; r++)
                        dup |= strcmp(tb.cells[r * tb.cols], label) == 0;
                    if (dup)
                        continue;
                    row[0] = label;
                    for (size_t j = 0; j < n; j++) {
                        row[j + 1] = "";
                        size_t mj =
                            kind ? runs[j]->n_metrics : runs[j]->n_params;
                        for (size_t q = 0; q < mj; q++) {
                            const char *kk = kind ? runs[j]->metrics[q].key
                                                  : runs[j]->params[q].key;
                            if (strcmp(kk, key) != 0)
                                continue;
                            if (kind)
                                fmt_num(runs[j]->metrics[q].value, cell[j + 1],
                                        sizeof cell[j + 1]);
                            else
                                snprintf(cell[j + 1], sizeof cell[j + 1], "%s",
                                         runs[j]->params[q].value);
                            row[j + 1] = cell[j + 1];
                        }
                    }
                    rc = table_add(&tb, (const char *const *)row);
                }
            }
        }
        if (rc == LL_OK)
            rc = table_render(&tb, out);
        if (rc == LL_ENOMEM)
            rc = oom(err);
    }
    /* one overlaid chart per metric that any run has a history of */
    for (size_t r = 3; rc == LL_OK && r < tb.rows; r++) {
        const char *label = tb.cells[r * tb.cols];
        if (strncmp(label, "metrics.", 8) != 0)
            continue;
        rc = history_chart(t, label + 8, runs, n, width, out, err);
    }
    table_free(&tb);
    free(row);
    free(cell);
    for (size_t i = 0; i < n; i++)
        ll_track_run_free(runs[i]);
    free(runs);
    return rc;
}

int ll_track_view_models(ll_track *t, ll_buf *out, ll_err *err)
{
    ll_track_model *m;
    size_t n;
    int rc = ll_track_model_list(t, &m, &n, err);
    if (rc != LL_OK)
        return rc;
    if (n == 0) {
        ll_track_models_free(m, n);
        return ll_buf_puts(out, "(no registered models)\n") == LL_OK ? LL_OK
                                                                     : oom(err);
    }
    table tb;
    table_init(&tb, 6);
    const char *head[] = {"model",   "version", "stage",
                          "aliases", "run_id",  "created"};
    rc = table_add(&tb, head);
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        ll_track_model_version *v;
        size_t nv;
        if ((rc = ll_track_model_versions(t, m[i].name, &v, &nv, err)) != LL_OK)
            break;
        for (size_t k = 0; k < nv && rc == LL_OK; k++) {
            char ver[32], created[32], run[9], aliases[256] = "";
            snprintf(ver, sizeof ver, "%lld", v[k].version);
            fmt_time(v[k].creation_time, created, sizeof created);
            snprintf(run, sizeof run, "%.8s", v[k].run_id ? v[k].run_id : "");
            for (size_t a = 0; a < v[k].n_aliases; a++) {
                size_t len = strlen(aliases);
                snprintf(aliases + len, sizeof aliases - len, "%s@%s",
                         a ? "," : "", v[k].aliases[a]);
            }
            const char *row[] = {k == 0 ? m[i].name : "",
                                 ver,
                                 v[k].stage,
                                 aliases,
                                 run,
                                 created};
            rc = table_add(&tb, row);
        }
        ll_track_model_versions_free(v, nv);
        if (rc == LL_ENOMEM)
            rc = oom(err);
    }
    if (rc == LL_OK)
        rc = table_render(&tb, out) == LL_OK ? LL_OK : oom(err);
    table_free(&tb);
    ll_track_models_free(m, n);
    return rc;
}
