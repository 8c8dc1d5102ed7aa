/*
 * term_sink: streams, displays and progress bars on the process's stdout
 * and stderr.  See term_sink.h.
 *
 * The renderer writes through `out`, which forwards to stderr except while
 * muted: freeing a renderer ends its line with a newline, which must not
 * appear after a line erased here.
 */
#include "config.h"

#include "host/term_sink.h"
#include "plot/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

struct ll_term_sink {
    ll_sink sink;
    int color;
    int tty;                /* stderr is a terminal */
    int plain_bars;         /* draw bars when it is not */
    int width;              /* columns for bars (0: $COLUMNS or 80) */
    FILE *out;              /* what the renderer draws on */
    int mute;               /* drop what the renderer writes */
    ll_progress_term *bars; /* NULL outside a chunk or without bars */
    int open;               /* a bar line is on the terminal, unfinished */
    /* Updatable displays.  On a terminal the last one printed is redrawn
     * in place while nothing was written after it; elsewhere each is held
     * and printed once, in its final version, when the chunk ends. */
    int out_tty;      /* stdout is a terminal */
    char last_id[32]; /* the updatable display printed last, or "" */
    int last_rows;    /* the terminal rows it took */
    char **held_id, **held_text;
    int nheld, capheld;
};

static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
    ll_term_sink *t = cookie;
    if (!t->mute)
        fwrite(buf, 1, n, stderr);
    return (ssize_t)n;
}

static void bars_new(ll_term_sink *t)
{
    t->bars = t->out && (t->tty || t->plain_bars)
                  ? ll_progress_term_new(t->out, t->tty, 0, NULL)
                  : NULL;
    if (t->bars && t->width > 0)
        ll_progress_term_set_width(t->bars, t->width);
}

/* Free the renderer; keep its unfinished line on screen or not. */
static void bars_free(ll_term_sink *t, int keep_line)
{
    t->mute = !keep_line;
    ll_progress_term_free(t->bars);
    if (t->out)
        fflush(t->out);
    t->mute = 0;
    t->bars = NULL;
}

void ll_term_sink_break(ll_term_sink *t)
{
    if (!t || !t->open)
        return;
    /* erase the bar's rows: back to the first one, clear to the end */
    int rows = ll_progress_term_open_rows(t->bars);
    if (rows > 1)
        fprintf(stderr, "\033[%dF\033[J", rows - 1);
    else
        fputs("\r\033[K", stderr);
    fflush(stderr);
    bars_free(t, 0);
    bars_new(t);
    t->open = 0;
}

static void on_stream(void *ud, const char *name, const char *data, size_t len)
{
    ll_term_sink *t = ud;
    ll_term_sink_break(t);
    t->last_id[0] = '\0';
    FILE *f = strcmp(name, "stderr") == 0 ? stderr : stdout;
    fwrite(data, 1, len, f);
    fflush(f);
}

/* Rows s takes on a terminal `cols` wide (ANSI escapes take none, a
 * UTF-8 character one column). */
static int rows_of(const char *s, int cols)
{
    int rows = 0, w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 033) {
            if (p[1] == '[') {
                p += 2;
                while (*p && !(*p >= 0x40 && *p <= 0x7e))
                    p++;
                if (!*p)
                    break;
            }
            continue;
        }
        if (*p == '\n') {
            rows += w > 0 ? (w + cols - 1) / cols : 1;
            w = 0;
        } else if ((*p & 0xc0) != 0x80) {
            w++;
        }
    }
    if (w > 0)
        rows += (w + cols - 1) / cols;
    return rows;
}

static void print_display(const char *s)
{
    size_t n = strlen(s);
    fwrite(s, 1, n, stdout);
    if (n == 0 || s[n - 1] != '\n')
        fputc('\n', stdout);
    fflush(stdout);
}

void ll_term_sink_show(ll_term_sink *t, const ll_display *d)
{
    const char *s = t->color && d->ansi ? d->ansi : d->text;
    if (!s)
        return;
    t->last_id[0] = '\0';
    print_display(s);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Not a terminal: keep the latest version of each display. */
static void hold(ll_term_sink *t, const char *id, const char *s)
{
    for (int i = 0; i < t->nheld; i++)
        if (strcmp(t->held_id[i], id) == 0) {
            char *n = dup_str(s);
            if (n) {
                free(t->held_text[i]);
                t->held_text[i] = n;
            }
            return;
        }
    if (t->nheld == t->capheld) {
        int cap = t->capheld ? 2 * t->capheld : 4;
        char **a = realloc(t->held_id, sizeof *a * (size_t)cap);
        if (!a)
            return;
        t->held_id = a;
        char **b = realloc(t->held_text, sizeof *b * (size_t)cap);
        if (!b)
            return;
        t->held_text = b;
        t->capheld = cap;
    }
    char *i = dup_str(id), *x = dup_str(s);
    if (!i || !x) {
        free(i);
        free(x);
        return;
    }
    t->held_id[t->nheld] = i;
    t->held_text[t->nheld++] = x;
}

static void print_held(ll_term_sink *t)
{
    for (int i = 0; i < t->nheld; i++) {
        print_display(t->held_text[i]);
        free(t->held_id[i]);
        free(t->held_text[i]);
    }
    t->nheld = 0;
}

static void on_display(void *ud, const ll_display *d)
{
    ll_term_sink *t = ud;
    const char *s = t->color && d->ansi ? d->ansi : d->text;
    if (!d->display_id || !s) {
        ll_term_sink_break(t);
        ll_term_sink_show(t, d);
        return;
    }
    if (!t->out_tty) {
        hold(t, d->display_id, s);
        return;
    }
    ll_term_sink_break(t);
    if (d->update && strcmp(t->last_id, d->display_id) == 0 &&
        t->last_rows > 0) {
        /* Back to its first row, clear to the end of the screen. */
        fprintf(stdout, "\033[%dF\033[J", t->last_rows);
    }
    print_display(s);
    int cols = t->width > 0 ? t->width : 80;
    t->last_rows = rows_of(s, cols);
    snprintf(t->last_id, sizeof t->last_id, "%s", d->display_id);
}

static void on_progress(void *ud, const ll_progress *p)
{
    ll_term_sink *t = ud;
    if (!t->bars)
        return;
    ll_progress_term_update(t->bars, p);
    if (t->tty)
        t->open = !(p->finished && p->depth <= 0);
}

ll_term_sink *ll_term_sink_new(int color, int plain_bars, ll_err *err)
{
    ll_term_sink *t = calloc(1, sizeof *t);
    if (!t) {
        ll_err_oom(err);
        return NULL;
    }
    t->color = color;
    t->tty = isatty(STDERR_FILENO);
    t->out_tty = isatty(STDOUT_FILENO);
    t->plain_bars = plain_bars;
    cookie_io_functions_t io = {NULL, out_write, NULL, NULL};
    if (!(t->out = fopencookie(t, "w", io))) {
        free(t);
        ll_err_oom(err);
        return NULL;
    }
    t->sink.stream = on_stream;
    t->sink.display = on_display;
    t->sink.progress = on_progress;
    t->sink.ud = t;
    t->sink.updates = 1;
    t->sink.live = t->out_tty;
    return t;
}

void ll_term_sink_free(ll_term_sink *t)
{
    if (!t)
        return;
    bars_free(t, t->open);
    if (t->out)
        fclose(t->out);
    print_held(t);
    free(t->held_id);
    free(t->held_text);
    free(t);
}

const ll_sink *ll_term_sink_get(ll_term_sink *t)
{
    return &t->sink;
}

void ll_term_sink_begin(ll_term_sink *t, int width)
{
    ll_progress_reset();
    t->width = width;
    if (t->bars)
        bars_free(t, t->open);
    bars_new(t);
    t->open = 0;
    t->last_id[0] = '\0';
}

void ll_term_sink_end(ll_term_sink *t)
{
    bars_free(t, t->open);
    t->open = 0;
    print_held(t);
    t->last_id[0] = '\0';
}
