/*
 * exec: run one code cell in the host and turn what happens into the
 * cell's outputs (Jupyter's stream / display_data / execute_result /
 * error), passing each event on to the front end as it happens.
 */
#include "config.h"

#include "notebook/exec.h"
#include "notebook/nb_int.h"
#include "plot/plot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stream text kept in one cell's outputs; past it a runaway print goes on
 * reaching the front end but the notebook keeps only a note, so a cell
 * cannot make the notebook unusable.  (Jupyter's front end clips too.) */
#define LL_STREAM_KEEP (4u << 20)

/* A chart shown with display() while the cell ran: if the cell changes it
 * afterwards (p:append in a training loop), the output is re-rendered
 * when the cell ends, so the notebook keeps the final chart. */
#define LL_LIVE_PLOTS 32
typedef struct live_plot {
    int output; /* index in the cell's outputs */
    uint64_t id;
    uint64_t version;
} live_plot;

/* An updatable display (lualab.display(x, {update = true})): later
 * versions replace its output in place, so the notebook keeps the final
 * one, as Jupyter's update_display_data does. */
#define LL_LIVE_DISPLAYS 64
typedef struct live_display {
    int output; /* index in the cell's outputs */
    char id[32];
} live_display;

typedef struct exec_sink {
    ll_cell *cell;
    const ll_sink *forward;
    int oom;
    size_t last_len; /* strlen of the last stream output's text */
    size_t last_cap; /* its allocated size */
    size_t kept;     /* stream bytes kept in this cell */
    size_t dropped;  /* stream bytes not kept */
    live_plot live[LL_LIVE_PLOTS];
    int nlive;
    live_display disp[LL_LIVE_DISPLAYS];
    int ndisp;
} exec_sink;

static void keep_stream(exec_sink *es, const char *name, const char *data,
                        size_t len)
{
    ll_cell *c = es->cell;
    size_t room = es->kept < LL_STREAM_KEEP ? LL_STREAM_KEEP - es->kept : 0;
    if (len > room) {
        es->dropped += len - room;
        len = room;
    }
    if (len == 0)
        return;
    ll_output *last = c->noutputs ? &c->outputs[c->noutputs - 1] : NULL;
    if (last && last->type == LL_OUT_STREAM && last->name &&
        strcmp(last->name, name) == 0 && es->last_cap > 0) {
        /* consecutive writes to one stream make one output; the buffer
         * grows geometrically so a cell of many prints stays linear */
        size_t need = es->last_len + len + 1;
        if (need > es->last_cap) {
            size_t cap = es->last_cap * 2 > need ? es->last_cap * 2 : need;
            char *t = realloc(last->text, cap);
            if (!t) {
                es->oom = 1;
                return;
            }
            last->text = t;
            es->last_cap = cap;
        }
        memcpy(last->text + es->last_len, data, len);
        es->last_len += len;
        last->text[es->last_len] = '\0';
    } else {
        ll_output o = {0};
        o.type = LL_OUT_STREAM;
        o.name = nb_strdup(name);
        o.text = nb_strndup(data, len);
        if (!o.name || !o.text || ll_cell_add_output(c, &o) != LL_OK) {
            es->oom = 1;
            es->last_cap = 0;
        } else {
            /* the copy in the cell is exactly len + 1 bytes */
            es->last_len = len;
            es->last_cap = len + 1;
        }
        ll_output_free(&o);
    }
    es->kept += len;
}

/* Outputs are C strings: a NUL byte printed by a cell would end the text
 * there and silently drop the rest of the output (in the notebook and in
 * -o).  Each NUL is kept as U+FFFD instead, visible and never cutting. */
static void on_stream(void *ud, const char *name, const char *data, size_t len)
{
    exec_sink *es = ud;
    if (es->forward && es->forward->stream)
        es->forward->stream(es->forward->ud, name, data, len);
    if (!memchr(data, '\0', len)) {
        keep_stream(es, name, data, len);
        return;
    }
    char *t = len <= SIZE_MAX / 3 ? malloc(len * 3) : NULL;
    if (!t) {
        es->oom = 1;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i]) {
            t[n++] = data[i];
        } else {
            memcpy(t + n, "\xEF\xBF\xBD", 3);
            n += 3;
        }
    }
    keep_stream(es, name, t, n);
    free(t);
}

static void replace_text(char **field, ll_buf *b);

static int set_field(char **field, const char *s)
{
    char *n = NULL;
    if (s && !(n = nb_strdup(s)))
        return LL_ENOMEM;
    free(*field);
    *field = n;
    return LL_OK;
}

/* The output an updatable display first made, or NULL. */
static live_display *find_display(exec_sink *es, const char *id)
{
    for (int i = 0; i < es->ndisp; i++)
        if (strcmp(es->disp[i].id, id) == 0 &&
            es->disp[i].output < es->cell->noutputs)
            return &es->disp[i];
    return NULL;
}

static void on_display(void *ud, const ll_display *d)
{
    exec_sink *es = ud;
    live_display *ld =
        d->display_id && d->update ? find_display(es, d->display_id) : NULL;
    if (ld) {
        ll_output *o = &es->cell->outputs[ld->output];
        if (set_field(&o->text, d->text) || set_field(&o->ansi, d->ansi) ||
            set_field(&o->svg, d->svg))
            es->oom = 1;
        free(o->png); /* made again from the final svg */
        o->png = NULL;
        if (es->forward && es->forward->display && es->forward->updates)
            es->forward->display(es->forward->ud, d);
        return;
    }
    ll_output o = {0};
    o.type = LL_OUT_DISPLAY;
    o.text = d->text;
    o.ansi = d->ansi;
    o.svg = d->svg;
    if (ll_cell_add_output(es->cell, &o) != LL_OK) {
        es->oom = 1;
    } else if (d->kind && strcmp(d->kind, "plot") == 0 &&
               es->nlive < LL_LIVE_PLOTS) {
        ll_plot *p = ll_plot_find(d->id);
        if (p) {
            live_plot *lp = &es->live[es->nlive++];
            lp->output = es->cell->noutputs - 1;
            lp->id = ll_plot_id(p);
            lp->version = ll_plot_version(p);
        }
    }
    int held = 0;
    if (d->display_id && es->ndisp < LL_LIVE_DISPLAYS && !es->oom) {
        live_display *nd = &es->disp[es->ndisp++];
        nd->output = es->cell->noutputs - 1;
        snprintf(nd->id, sizeof nd->id, "%s", d->display_id);
        /* A front end without updates sees the final version at the end. */
        held = !(es->forward && es->forward->updates);
    }
    if (!held && es->forward && es->forward->display)
        es->forward->display(es->forward->ud, d);
}

/* For a front end without updates: each updatable display once, final. */
static void forward_final(exec_sink *es)
{
    if (!es->forward || !es->forward->display || es->forward->updates)
        return;
    for (int i = 0; i < es->ndisp; i++) {
        if (es->disp[i].output >= es->cell->noutputs)
            continue;
        const ll_output *o = &es->cell->outputs[es->disp[i].output];
        char kind[] = "value";
        ll_display d = {0};
        d.text = o->text;
        d.ansi = o->ansi;
        d.svg = o->svg;
        d.kind = kind;
        es->forward->display(es->forward->ud, &d);
    }
}

static void replace_text(char **field, ll_buf *b)
{
    char *s = ll_buf_take(b);
    if (s) {
        free(*field);
        *field = s;
    }
}

/* Re-render the displayed charts that changed since they were shown. */
static void refresh_plots(exec_sink *es)
{
    for (int i = 0; i < es->nlive; i++) {
        live_plot *lp = &es->live[i];
        ll_plot *p = ll_plot_find(lp->id);
        if (!p || ll_plot_version(p) == lp->version ||
            lp->output >= es->cell->noutputs)
            continue;
        ll_output *o = &es->cell->outputs[lp->output];
        ll_buf b;
        ll_buf_init(&b);
        ll_err err;
        if (ll_plot_render_display(p, 0, &b, &err) == LL_OK)
            replace_text(&o->text, &b);
        if (o->ansi && ll_plot_render_display(p, 1, &b, &err) == LL_OK)
            replace_text(&o->ansi, &b);
        if (o->svg && ll_plot_render_svg(p, 0, 0, &b, &err) == LL_OK)
            replace_text(&o->svg, &b);
        ll_buf_free(&b);
        lp->version = ll_plot_version(p);
    }
}

/* Charts: drop the SVG's XML declaration and add the PNG twin. */
static void add_png(ll_cell *c)
{
    for (int i = 0; i < c->noutputs; i++) {
        ll_output *o = &c->outputs[i];
        if (!o->svg)
            continue;
        const char *body = nb_svg_body(o->svg);
        if (body != o->svg)
            memmove(o->svg, body, strlen(body) + 1);
        if (o->png)
            continue;
        ll_err err;
        ll_err_clear(&err);
        /* A chart that cannot be rasterized keeps its SVG alone. */
        nb_svg_to_png(o->svg, &o->png, &err);
    }
}

static void on_progress(void *ud, const ll_progress *p)
{
    exec_sink *es = ud;
    if (es->forward && es->forward->progress)
        es->forward->progress(es->forward->ud, p);
}

int ll_cell_execute_named(ll_cell *c, ll_host *h, int *counter,
                          const ll_sink *forward, const char *name,
                          ll_cell_result *res_out)
{
    ll_cell_clear_outputs(c);
    int count = counter ? ++*counter : c->execution_count + 1;
    c->execution_count = count;
    exec_sink es = {.cell = c, .forward = forward};
    ll_sink sink = {on_stream, on_display, on_progress,
                    &es,       1,          forward ? forward->live : 0};
    ll_host_set_sink(h, &sink);
    ll_cell_result res;
    const char *src = c->source ? c->source : "";
    char fallback[32];
    if (!name) {
        snprintf(fallback, sizeof fallback, "cell %d", count);
        name = fallback;
    }
    int status = ll_host_run_cell(h, src, strlen(src), name, &res);
    ll_host_set_sink(h, forward);
    c->seconds = res.seconds;
    c->stale = 0;
    refresh_plots(&es);
    forward_final(&es);
    if (es.dropped > 0) {
        char note[96];
        snprintf(note, sizeof note,
                 "\n[output clipped: %zu more bytes were not kept]\n",
                 es.dropped);
        char stream_name[] = "stderr";
        ll_output o = {0};
        o.type = LL_OUT_STREAM;
        o.name = stream_name;
        o.text = note;
        if (ll_cell_add_output(c, &o) != LL_OK)
            es.oom = 1;
    }
    if (res.has_value) {
        ll_output o = {0};
        o.type = LL_OUT_RESULT;
        o.text = res.value.text;
        o.ansi = res.value.ansi;
        o.svg = res.value.svg;
        o.execution_count = count;
        if (ll_cell_add_output(c, &o) != LL_OK)
            es.oom = 1;
    }
    if (status != LL_CELL_OK) {
        ll_output o = {0};
        o.type = LL_OUT_ERROR;
        o.ename = res.ename;
        o.evalue = res.evalue;
        o.traceback = res.traceback;
        if (ll_cell_add_output(c, &o) != LL_OK)
            es.oom = 1;
    }
    add_png(c);
    if (res_out)
        *res_out = res;
    else
        ll_cell_result_free(&res);
    return status;
}

int ll_cell_execute(ll_cell *c, ll_host *h, int *counter,
                    const ll_sink *forward)
{
    return ll_cell_execute_named(c, h, counter, forward, NULL, NULL);
}
