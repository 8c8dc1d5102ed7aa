/*
 * progress: bar lines for ll_progress reports and the headless stderr
 * renderer (see progress.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "plot/progress.h"

static ll_progress_clock clock_fn;

void ll_progress_set_clock(ll_progress_clock clock)
{
    clock_fn = clock;
}

static double now(void)
{
    return clock_fn ? clock_fn() : ll_monotonic();
}

static void fmt_time(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 360000 * 24.0) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)floor(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%02ld:%02ld", t / 60, t % 60);
}

static void fmt_count(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.3g", v);
}

static void fmt_rate(double rate, const char *unit, char *buf, size_t len)
{
    if (rate >= 100)
        snprintf(buf, len, "%.0f %s/s", rate, unit);
    else if (rate >= 10)
        snprintf(buf, len, "%.1f %s/s", rate, unit);
    else if (rate >= 1)
        snprintf(buf, len, "%.2f %s/s", rate, unit);
    else
        snprintf(buf, len, "%.1f s/%s", 1 / rate, unit);
}

/* Code points are counted as columns (the bar glyphs are all narrow). */
static int cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void put_cut(ll_buf *out, const char *s, int max)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        if (((unsigned char)*p & 0xC0) != 0x80 && n++ == max)
            break;
        p++;
    }
    ll_buf_append(out, s, (size_t)(p - s));
}

static void bar(ll_buf *out, double frac, int w, int unicode)
{
    static const char *const eighth[8] = {"",  "▏", "▎", "▍",
                                          "▌", "▋", "▊", "▉"};
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    int e8 = (int)floor(frac * w * 8);
    int full = e8 / 8, rem = e8 % 8, used = 0;
    ll_buf_putc(out, '|');
    for (int i = 0; i < full; i++, used++)
        ll_buf_puts(out, unicode ? "█" : "#");
    if (rem && used < w) {
        if (unicode)
            ll_buf_puts(out, eighth[rem]);
        else
            ll_buf_putc(out, rem >= 4 ? '#' : ' ');
        used++;
    }
    for (; used < w; used++)
        ll_buf_putc(out, ' ');
    ll_buf_putc(out, '|');
}

void ll_progress_format(const ll_progress *p, double elapsed, int width,
                        int unicode, ll_buf *out)
{
    char label[160], pct[16] = "", count[64], rate[48] = "", times[48] = "";
    const char *unit = p->unit && *p->unit ? p->unit : "it";
    snprintf(label, sizeof label, "%s", p->label && *p->label ? p->label : "");
    int known = p->total > 0;
    double frac = known ? p->done / p->total : 0;
    char d[32], t[32];
    fmt_count(p->done, d, sizeof d);
    if (known) {
        fmt_count(p->total, t, sizeof t);
        snprintf(count, sizeof count, "%s/%s", d, t);
        snprintf(pct, sizeof pct, "%3.0f%%", floor(fmin(frac, 1) * 100));
    } else {
        snprintf(count, sizeof count, "%s %s", d, unit);
    }
    if (elapsed >= 0) {
        char el[24], eta[24];
        fmt_time(elapsed, el, sizeof el);
        double r = elapsed > 0 ? p->done / elapsed : 0;
        if (r > 0)
            fmt_rate(r, unit, rate, sizeof rate);
        if (known && !p->finished && r > 0) {
            fmt_time((p->total - p->done) / r, eta, sizeof eta);
            snprintf(times, sizeof times, "%s<%s", el, eta);
        } else {
            snprintf(times, sizeof times, "%s", el);
        }
    }
    /* the first line of the metrics goes beside the bar; further lines
     * become rows of their own below it */
    const char *all = p->metrics ? p->metrics : "";
    size_t m1 = strcspn(all, "\n");
    char first[512];
    snprintf(first, sizeof first, "%.*s",
             (int)(m1 < sizeof first ? m1 : sizeof first - 1), all);
    const char *metrics = first;

    /* fixed parts, then a bar with what is left (10..40 columns) */
    int fixed = cols(label) + (label[0] ? 2 : 0) + (pct[0] ? 5 : 0) +
                cols(count) + (rate[0] ? 2 + cols(rate) : 0) +
                (times[0] ? 2 + cols(times) : 0);
    int room = width - fixed - (metrics[0] ? 2 + cols(metrics) : 0);
    /* the metrics matter more than the bar: the bar takes what is left */
    int bw = 0;
    if (known) {
        bw = room - 3;
        if (bw > 40)
            bw = 40;
        if (bw < 10)
            bw = 0;
    }
    size_t start = out->len;
    if (label[0]) {
        ll_buf_puts(out, label);
        ll_buf_puts(out, "  ");
    }
    if (pct[0]) {
        ll_buf_puts(out, pct);
        ll_buf_putc(out, ' ');
    }
    if (bw) {
        bar(out, frac, bw, unicode);
        ll_buf_putc(out, ' ');
    }
    ll_buf_puts(out, count);
    if (rate[0]) {
        ll_buf_puts(out, "  ");
        ll_buf_puts(out, rate);
    }
    if (times[0]) {
        ll_buf_puts(out, "  ");
        ll_buf_puts(out, times);
    }
    int used = cols(out->data ? out->data + start : "");
    if (metrics[0] && used + 2 < width) {
        ll_buf_puts(out, "  ");
        put_cut(out, metrics, width - used - 2);
        while (out->len > start && out->data[out->len - 1] == ' ')
            out->data[--out->len] = '\0';
    }
    /* a long label can still overflow: cut the whole line */
    if (cols(out->data ? out->data + start : "") > width) {
        ll_buf tmp;
        ll_buf_init(&tmp);
        put_cut(&tmp, out->data + start, width);
        out->len = start;
        ll_buf_append(out, ll_buf_str(&tmp), tmp.len);
        ll_buf_free(&tmp);
    }
    for (const char *r = all + m1; *r == '\n';) {
        r++;
        size_t n = strcspn(r, "\n");
        ll_buf row;
        ll_buf_init(&row);
        ll_buf_append(&row, r, n);
        ll_buf_puts(out, "\n  ");
        put_cut(out, ll_buf_str(&row), width > 2 ? width - 2 : 0);
        ll_buf_free(&row);
        r += n;
    }
}

int ll_progress_rows(const char *text)
{
    int n = 1;
    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

/* ---- per-depth start times ---- */

#define MAX_DEPTH 4
static struct {
    int active;
    char label[128];
    double start, last_done;
} track[MAX_DEPTH];

void ll_progress_reset(void)
{
    memset(track, 0, sizeof track);
}

static double elapsed_for(const ll_progress *p)
{
    int d = p->depth < 0 ? 0 : p->depth >= MAX_DEPTH ? MAX_DEPTH - 1 : p->depth;
    const char *label = p->label ? p->label : "";
    double t = now();
    if (!track[d].active || strncmp(track[d].label, label, 127) != 0 ||
        p->done < track[d].last_done) {
        track[d].active = 1;
        snprintf(track[d].label, sizeof track[d].label, "%s", label);
        track[d].start = t;
        /* deeper bars belong to the old outer one */
        for (int k = d + 1; k < MAX_DEPTH; k++)
            track[k].active = 0;
    }
    track[d].last_done = p->done;
    double e = t - track[d].start;
    if (p->finished)
        track[d].active = 0;
    return e;
}

void ll_progress_render(const ll_progress *p, int width, int unicode,
                        ll_buf *out)
{
    ll_progress_format(p, elapsed_for(p), width, unicode, out);
}

/* ---- headless renderer ---- */

struct ll_progress_term {
    FILE *f;
    int tty, quiet, width, unicode;
    double interval;
    double last_draw;
    int line_open; /* a '\r' line is on screen */
    int up;        /* rows of it above the cursor's row */
    int have[2];
    ll_buf line[2]; /* the latest line per depth (0 outer, 1 inner) */
    ll_buf screen;
};

ll_progress_term *ll_progress_term_new(FILE *f, int is_tty, int quiet,
                                       ll_err *err)
{
    ll_progress_term *t = calloc(1, sizeof *t);
    if (!t) {
        ll_err_oom(err);
        return NULL;
    }
    t->f = f;
    t->tty = is_tty;
    t->quiet = quiet;
    const char *c = getenv("COLUMNS");
    t->width = c && atoi(c) > 20 ? atoi(c) : 80;
    t->unicode = ll_plot_unicode_default();
    t->interval = 5;
    t->last_draw = is_tty ? -1e9 : now();
    ll_buf_init(&t->line[0]);
    ll_buf_init(&t->line[1]);
    ll_buf_init(&t->screen);
    return t;
}

void ll_progress_term_set_width(ll_progress_term *t, int width)
{
    t->width = width > 20 ? width : 20;
}

void ll_progress_term_set_unicode(ll_progress_term *t, int unicode)
{
    t->unicode = unicode;
}

void ll_progress_term_set_interval(ll_progress_term *t, double seconds)
{
    t->interval = seconds;
}

/* The line to show: "outer | inner" when a nested bar is active. */
static void compose(ll_progress_term *t, const ll_progress *p, double el)
{
    int d = p->depth > 0 ? 1 : 0;
    ll_buf_reset(&t->line[d]);
    if (d == 1 && t->have[0]) {
        /* the outer part keeps only label and count; the inner gets the
         * rest of the width */
        ll_buf_reset(&t->screen);
        ll_buf_puts(&t->screen, ll_buf_str(&t->line[0]));
        ll_buf_puts(&t->screen, " | ");
        int left = t->width - cols(ll_buf_str(&t->screen));
        ll_progress_format(p, el, left, t->unicode, &t->line[1]);
        ll_buf_puts(&t->screen, ll_buf_str(&t->line[1]));
        t->have[1] = !p->finished;
        return;
    }
    if (d == 0) {
        /* compact outer: label and count, so an inner bar fits beside */
        ll_progress q = *p;
        q.metrics = NULL;
        ll_progress_format(&q, -1, t->width / 3, t->unicode, &t->line[0]);
        t->have[0] = !p->finished;
        t->have[1] = 0;
        ll_buf_reset(&t->screen);
        ll_progress_format(p, el, t->width, t->unicode, &t->screen);
        return;
    }
    ll_progress_format(p, el, t->width, t->unicode, &t->line[1]);
    ll_buf_reset(&t->screen);
    ll_buf_puts(&t->screen, ll_buf_str(&t->line[1]));
}

void ll_progress_term_update(ll_progress_term *t, const ll_progress *p)
{
    if (!t || t->quiet)
        return;
    double el = elapsed_for(p);
    compose(t, p, el);
    double tn = now();
    int final = p->finished;
    if (t->tty) {
        if (!final && tn - t->last_draw < 0.1)
            return;
        t->last_draw = tn;
        /* back to the first row of the block, redraw each row, clear
         * below when it shrank */
        if (t->line_open && t->up > 0)
            fprintf(t->f, "\x1b[%dA", t->up);
        int rows = ll_progress_rows(ll_buf_str(&t->screen));
        fputc('\r', t->f);
        for (const char *s = ll_buf_str(&t->screen);;) {
            size_t n = strcspn(s, "\n");
            fprintf(t->f, "%.*s\x1b[K", (int)n, s);
            if (!s[n])
                break;
            fputc('\n', t->f);
            s += n + 1;
        }
        if (t->line_open && rows - 1 < t->up)
            fputs("\x1b[J", t->f);
        t->up = rows - 1;
        t->line_open = 1;
        if (final && p->depth <= 0) {
            fputc('\n', t->f);
            t->line_open = 0;
            t->up = 0;
        }
        fflush(t->f);
        return;
    }
    if (!final && tn - t->last_draw < t->interval)
        return;
    t->last_draw = tn;
    fprintf(t->f, "%s\n", ll_buf_str(&t->screen));
    fflush(t->f);
}

int ll_progress_term_open_rows(const ll_progress_term *t)
{
    return t && t->line_open ? t->up + 1 : 0;
}

void ll_progress_term_free(ll_progress_term *t)
{
    if (!t)
        return;
    if (t->line_open) {
        fputc('\n', t->f);
        fflush(t->f);
    }
    ll_buf_free(&t->line[0]);
    ll_buf_free(&t->line[1]);
    ll_buf_free(&t->screen);
    free(t);
}
