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
                  ? ll_progress_term_new(t->out, t->tty, 0)
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
    FILE *f = strcmp(name, "stderr") == 0 ? stderr : stdout;
    fwrite(data, 1, len, f);
    fflush(f);
}

void ll_term_sink_show(ll_term_sink *t, const ll_display *d)
{
    const char *s = t->color && d->ansi ? d->ansi : d->text;
    if (!s)
        return;
    size_t n = strlen(s);
    fwrite(s, 1, n, stdout);
    if (n == 0 || s[n - 1] != '\n')
        fputc('\n', stdout);
    fflush(stdout);
}

static void on_display(void *ud, const ll_display *d)
{
    ll_term_sink *t = ud;
    ll_term_sink_break(t);
    ll_term_sink_show(t, d);
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

ll_term_sink *ll_term_sink_new(int color, int plain_bars)
{
    ll_term_sink *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->color = color;
    t->tty = isatty(STDERR_FILENO);
    t->plain_bars = plain_bars;
    cookie_io_functions_t io = {NULL, out_write, NULL, NULL};
    t->out = fopencookie(t, "w", io);
    t->sink.stream = on_stream;
    t->sink.display = on_display;
    t->sink.progress = on_progress;
    t->sink.ud = t;
    return t;
}

void ll_term_sink_free(ll_term_sink *t)
{
    if (!t)
        return;
    bars_free(t, t->open);
    if (t->out)
        fclose(t->out);
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
}

void ll_term_sink_end(ll_term_sink *t)
{
    bars_free(t, t->open);
    t->open = 0;
}
