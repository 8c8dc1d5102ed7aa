/*
 * ui: the full-screen notebook (`lualab NOTEBOOK` on a terminal).
 *
 * The main loop reads a key, lets ui_keys turn it into an action, and
 * redraws once when something changed.  A running cell executes in the
 * host's lua_State on this thread; the sink callbacks (print, display,
 * progress) collect its output and redraw at most ten times a second.
 * Interrupting: Ctrl-C reaches us as SIGINT (cbreak mode keeps ISIG on);
 * `i i` is read from the terminal by the sink callbacks and by a 50 ms
 * timer signal whose handler only polls the terminal and calls the
 * async-signal-safe ll_host_interrupt, so even a cell that prints nothing
 * (`while true do end`) can be stopped.
 *
 * The terminal is restored on every exit path: normal quit, SIGTERM and
 * SIGHUP (the loop ends, an autosave is written) and crash signals (the
 * handler resets the tty with async-signal-safe calls, then re-raises).
 */
#include "config.h"

#include "frontends.h"
#include "plot/plot.h"
#include "plot/progress.h"
#include "ui/ui_int.h"
#include "util/fsutil.h"
#include "util/signals.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <langinfo.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <term.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LIVE_CAP (1u << 20)   /* bytes of live output kept while running */
#define OUTPUT_CAP (1u << 20) /* bytes kept per output after a run */

volatile sig_atomic_t ui_signal_quit;
static volatile sig_atomic_t idle_sigint;
static volatile sig_atomic_t cell_running;
static ll_host *volatile running_host;
static volatile sig_atomic_t last_i_ms; /* when 'i' was last read (ms) */
static struct termios saved_tty;
static int have_saved_tty;
static char restore_seq[256];
static size_t restore_len;
static int last_cell_exited; /* the last cell run called os.exit */
static timer_t poll_timer;
static int have_poll_timer;
/* A cell stuck inside one C call never reaches the Lua hook, so neither an
 * interrupt nor SIGTERM stops it.  SIGTERM/SIGHUP/SIGQUIT end the process
 * STUCK_GRACE_MS after they came (the edits were autosaved before the cell
 * ran); a second interrupt STUCK_GRACE_MS after the first offers to
 * restart the kernel: the process executes itself again on the notebook,
 * which comes back from the autosave. */
#define STUCK_GRACE_MS 2000
static volatile sig_atomic_t quit_ms;      /* when the quit signal came */
static volatile sig_atomic_t interrupt_ms; /* first interrupt of this run */
static volatile sig_atomic_t asking;       /* the restart question is open */
static int running_index;                  /* the running cell (0-based) */
static char self_exe[4096];
static char *restart_argv[3];
static char **restart_envp;

/* ---- messages ---- */

void ui_message(ui *u, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->message, sizeof u->message, fmt, ap);
    va_end(ap);
    u->message_error = error;
    u->redraw = 1;
}

/* ---- views parallel to cells ---- */

int ui_view_insert(ui *u, int index)
{
    if (u->nviews == u->capviews) {
        int nc = u->capviews ? u->capviews * 2 : 64;
        ui_view *nv = realloc(u->views, (size_t)nc * sizeof *nv);
        if (!nv)
            return LL_ENOMEM;
        u->views = nv;
        u->capviews = nc;
    }
    memmove(u->views + index + 1, u->views + index,
            (size_t)(u->nviews - index) * sizeof *u->views);
    memset(&u->views[index], 0, sizeof *u->views);
    u->views[index].src_dirty = u->views[index].out_dirty = 1;
    u->nviews++;
    return LL_OK;
}

void ui_view_delete(ui *u, int index)
{
    ui_rows_free(&u->views[index].src);
    ui_rows_free(&u->views[index].out);
    memmove(u->views + index, u->views + index + 1,
            (size_t)(u->nviews - index - 1) * sizeof *u->views);
    u->nviews--;
}

void ui_view_move(ui *u, int from, int to)
{
    ui_view v = u->views[from];
    if (from < to)
        memmove(u->views + from, u->views + from + 1,
                (size_t)(to - from) * sizeof v);
    else
        memmove(u->views + to + 1, u->views + to,
                (size_t)(from - to) * sizeof v);
    u->views[to] = v;
}

/* ---- changes and autosave ---- */

void ui_touch(ui *u)
{
    u->dirty = 1;
    u->change_time = ll_monotonic();
    u->autosave_pending = 1;
    u->redraw = 1;
}

void ui_cell_changed(ui *u, int idx)
{
    ll_cell *c = &u->nb->cells[idx];
    if (idx == u->cur && u->mode == UI_EDIT)
        ll_cell_set_source(c, u->ed.text.data ? u->ed.text.data : "");
    if (c->execution_count > 0 || c->noutputs > 0)
        c->stale = 1;
    u->views[idx].src_dirty = 1;
    ui_touch(u);
}

void ui_outputs_changed(ui *u, int idx)
{
    u->views[idx].out_dirty = 1;
    u->redraw = 1;
}

static int serialise(ui *u, ll_buf *out, ll_err *err)
{
    if (u->nb->format == LL_NB_IPYNB)
        return ll_notebook_to_ipynb(u->nb, out, err);
    int rc = ll_notebook_to_percent(u->nb, out);
    if (rc != LL_OK)
        ll_err_set(err, rc, "cannot format the notebook");
    return rc;
}

static void autosave(ui *u)
{
    u->autosave_pending = 0;
    if (!u->dirty || !u->autosave_path)
        return;
    ll_buf b;
    ll_buf_init(&b);
    ll_err err;
    ll_err_clear(&err);
    if (serialise(u, &b, &err) != LL_OK ||
        ll_write_file_atomic(u->autosave_path, b.data ? b.data : "", b.len,
                             &err) != LL_OK)
        ui_message(u, 1, "autosave failed: %s", err.msg);
    ll_buf_free(&b);
}

/* ---- the file on disk ---- */

void ui_disk_of(const char *path, ui_disk *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    out->exists = 1;
    out->size = (long long)st.st_size;
    out->mtime_ns =
        (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    out->hash = 0xcbf29ce484222325ULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    unsigned char buf[65536];
    size_t n;
    long long total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) {
            out->hash ^= buf[i];
            out->hash *= 0x100000001b3ULL;
        }
        total += (long long)n;
    }
    fclose(f);
    out->size = total;
}

int ui_disk_changed(const ui_disk *then, const ui_disk *now)
{
    if (!now->exists)
        return 0; /* deleted: saving puts it back, nothing to lose */
    if (!then->exists)
        return 1; /* created by someone else since we opened */
    return then->size != now->size || then->hash != now->hash;
}

static void replace_notebook(ui *u, ll_notebook *nb)
{
    ui_leave_edit(u);
    ll_notebook_free(u->nb);
    u->nb = nb;
    for (int i = 0; i < u->nviews; i++) {
        ui_rows_free(&u->views[i].src);
        ui_rows_free(&u->views[i].out);
    }
    u->nviews = 0;
    for (int i = 0; i < nb->ncells; i++)
        ui_view_insert(u, i);
    if (u->cur >= nb->ncells)
        u->cur = nb->ncells > 0 ? nb->ncells - 1 : 0;
    u->top_cell = u->top_skip = 0;
    u->redraw = 1;
}

/* Read the file again, dropping the edits (the "reload" answer). */
static int reload(ui *u)
{
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    int rc = ll_notebook_read(u->path, &nb, &err);
    if (rc != LL_OK) {
        ui_message(u, 1, "not reloaded: %s", err.msg);
        return rc;
    }
    nb->format = u->nb->format;
    replace_notebook(u, nb);
    ui_disk_of(u->path, &u->disk);
    u->dirty = 0;
    u->autosave_pending = 0;
    if (u->autosave_path)
        remove(u->autosave_path);
    ui_message(u, 0, "reloaded %s from disk (your edits were dropped)",
               u->path);
    return LL_OK;
}

int ui_save(ui *u)
{
    if (u->mode == UI_EDIT)
        ll_cell_set_source(&u->nb->cells[u->cur],
                           u->ed.text.data ? u->ed.text.data : "");
    ui_disk now;
    ui_disk_of(u->path, &now);
    if (ui_disk_changed(&u->disk, &now)) {
        const char *base = strrchr(u->path, '/');
        base = base ? base + 1 : u->path;
        char q[400];
        snprintf(q, sizeof q,
                 "%s changed on disk since it was opened or saved: "
                 "(o)verwrite (r)eload (c)ancel",
                 base);
        int k = ui_ask(u, q, "orc");
        if (k == 'r') {
            reload(u);
            return LL_EIO;
        }
        if (k != 'o') {
            ui_message(u, 1,
                       "not saved: %s changed on disk (s then r reloads it)",
                       base);
            return LL_EIO;
        }
    }
    ll_err err;
    ll_err_clear(&err);
    int rc = ll_notebook_write(u->nb, u->path, &err);
    if (rc != LL_OK) {
        ui_message(u, 1, "not saved: %s", err.msg);
        return rc;
    }
    ui_disk_of(u->path, &u->disk);
    u->dirty = 0;
    u->autosave_pending = 0;
    if (u->autosave_path)
        remove(u->autosave_path);
    ui_message(u, 0, "saved %s", u->path);
    return LL_OK;
}

/* ---- edit mode ---- */

void ui_enter_edit(ui *u)
{
    ll_cell *c = &u->nb->cells[u->cur];
    ui_edit_init(&u->ed, c->source);
    u->mode = UI_EDIT;
    u->views[u->cur].src_dirty = 1;
    u->redraw = 1;
}

void ui_leave_edit(ui *u)
{
    if (u->mode != UI_EDIT)
        return;
    ui_edit_free(&u->ed);
    u->mode = UI_COMMAND;
    if (u->cur < u->nviews)
        u->views[u->cur].src_dirty = 1;
    u->redraw = 1;
}

/* ---- reading keys while a cell runs ---- */

static long long now_ms_signal_safe(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void emergency_restore(void);

static void put_tty(const char *s)
{
    (void)ll_write_fd(1, s, strlen(s));
}

/* The cell did not stop after an interrupt: ask (with write and read, this
 * runs in a signal handler) whether to restart the kernel. */
static void offer_restart(void)
{
    if (asking || !restart_envp || !self_exe[0])
        return;
    asking = 1;
    char q[160];
    /* no snprintf in a handler: format the cell number by hand */
    char num[16];
    int n = 0, v = running_index + 1;
    char rev[16];
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < 15);
    for (int i = 0; i < n; i++)
        num[i] = rev[n - 1 - i];
    num[n] = '\0';
    q[0] = '\0';
    strcat(q, "\r\n\033[7m cell ");
    strcat(q, num);
    strcat(q, " is stuck in a C function. Restart the kernel? Your "
              "notebook is autosaved and reopens (y/n) \033[0m");
    put_tty(q);
    unsigned char c = 0;
    for (;;) {
        ssize_t r = read(0, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 27 ||
            c == 3)
            break;
    }
    if (c == 'y' || c == 'Y') {
        emergency_restore();
        put_tty("lualab: restarting the kernel\r\n");
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(self_exe, restart_argv, restart_envp);
        put_tty("lualab: cannot restart; the cell keeps running\r\n");
    } else {
        put_tty("\r\n still waiting for the cell (Ctrl-C twice asks "
                "again) ");
    }
    interrupt_ms = 0;
    asking = 0;
}

/* An interrupt from Ctrl-C, `i i` or SIGINT while a cell runs. */
static void interrupt_running(void)
{
    if (!cell_running || !running_host)
        return;
    long long t = now_ms_signal_safe() & 0x3fffffff;
    if (interrupt_ms && t - interrupt_ms >= STUCK_GRACE_MS) {
        offer_restart();
        return;
    }
    if (!interrupt_ms)
        interrupt_ms = (sig_atomic_t)(t ? t : 1);
    ll_host_interrupt(running_host);
}

/* Drain the terminal without blocking; `i i` (within a second)
 * interrupts.  Other keys typed while a cell runs are dropped.  Only
 * async-signal-safe calls: it also runs in the timer's handler. */
static void poll_run_keys(void)
{
    struct pollfd p = {.fd = 0, .events = POLLIN, .revents = 0};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
        unsigned char buf[64];
        ssize_t n = read(0, buf, sizeof buf);
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == 'i') {
                long long t = now_ms_signal_safe() & 0x3fffffff;
                if (last_i_ms && t - last_i_ms < 1000) {
                    last_i_ms = 0;
                    interrupt_running();
                } else {
                    last_i_ms = (sig_atomic_t)(t ? t : 1);
                }
            } else if (buf[i] == 3) {
                interrupt_running();
            } else {
                last_i_ms = 0;
            }
        }
    }
}

static void on_poll_timer(int sig)
{
    (void)sig;
    int saved = errno;
    if (cell_running && ui_signal_quit && quit_ms &&
        (now_ms_signal_safe() & 0x3fffffff) - quit_ms >= STUCK_GRACE_MS) {
        /* the cell ignored the quit signal: it is stuck in C; the edits
         * were autosaved before it ran */
        emergency_restore();
        put_tty("lualab: the running cell did not stop; ended (unsaved "
                "edits are in the autosave)\r\n");
        _exit(128 + ui_signal_quit);
    }
    if (cell_running && !asking)
        poll_run_keys();
    errno = saved;
}

static void arm_poll_timer(int on)
{
    if (!have_poll_timer)
        return;
    struct itimerspec it;
    memset(&it, 0, sizeof it);
    if (on) {
        it.it_value.tv_nsec = 50 * 1000000L;
        it.it_interval.tv_nsec = 50 * 1000000L;
    }
    timer_settime(poll_timer, 0, &it, NULL);
}

/* ---- running cells ---- */

static void live_add(ui *u, const char *s, size_t n, uint32_t base)
{
    ui_live *l = &u->live;
    if (l->truncated)
        return;
    if (l->shown.text.len + n > l->cap) {
        n = l->cap > l->shown.text.len ? l->cap - l->shown.text.len : 0;
        l->truncated = 1;
    }
    ui_ansi_to_styled(&l->shown, s, n, base);
    if (l->truncated)
        ui_styled_puts(&l->shown, "\n... output truncated", UI_S_DIM);
}

static void refresh_live_charts(ui *u);

static void tick(ui *u, int force)
{
    double now = ll_monotonic();
    if (!force && now - u->last_poll < 0.02)
        return;
    u->last_poll = now;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &block, &old);
    poll_run_keys();
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (force || ll_monotonic() - u->last_draw >= 0.1) {
        /* curses only learns of a resize in getch, which is not called
         * while a cell runs: ask the terminal. */
        struct winsize ws;
        if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
            (ws.ws_row != LINES || ws.ws_col != COLS))
            resizeterm(ws.ws_row, ws.ws_col);
        refresh_live_charts(u);
        if (u->running_cell >= 0)
            u->views[u->running_cell].out_dirty = 1;
        ui_scroll_to_cursor(u);
        ui_draw(u);
    }
}

static void on_kernel_tick(void *ud)
{
    tick(ud, 0);
}

static void sink_stream(void *ud, const char *name, const char *data,
                        size_t len)
{
    ui *u = ud;
    live_add(u, data, len,
             name && strcmp(name, "stderr") == 0 ? UI_S_STDERR : 0);
    tick(u, 0);
}

/* Append src's bytes [from, to) to dst with their styles. */
static void styled_copy(ui_styled *dst, const ui_styled *src, size_t from,
                        size_t to)
{
    size_t i = from;
    while (i < to) {
        size_t j = i + 1;
        while (j < to && src->style[j] == src->style[i])
            j++;
        ui_styled_add(dst, src->text.data + i, j - i, src->style[i]);
        i = j;
    }
}

/* Replace the live output's bytes [start, end) with the ANSI text s; the
 * charts and displays after it move.  Returns the new end. */
static size_t live_replace(ui_live *l, size_t start, size_t end, const char *s,
                           size_t n)
{
    ui_styled next;
    ui_styled_init(&next);
    styled_copy(&next, &l->shown, 0, start);
    ui_ansi_to_styled(&next, s, n, 0);
    size_t nend = next.text.len;
    styled_copy(&next, &l->shown, end, l->shown.text.len);
    ui_styled_free(&l->shown);
    l->shown = next;
    long delta = (long)nend - (long)end;
    for (int k = 0; k < l->ncharts; k++)
        if (l->charts[k].start >= end) {
            l->charts[k].start = (size_t)((long)l->charts[k].start + delta);
            l->charts[k].end = (size_t)((long)l->charts[k].end + delta);
        }
    for (int k = 0; k < l->ndisps; k++)
        if (l->disps[k].start >= end) {
            l->disps[k].start = (size_t)((long)l->disps[k].start + delta);
            l->disps[k].end = (size_t)((long)l->disps[k].end + delta);
        }
    return nend;
}

static void sink_display(void *ud, const ll_display *d)
{
    ui *u = ud;
    ui_live *l = &u->live;
    const char *t = d->ansi ? d->ansi : d->text;
    if (!t)
        return;
    if (d->display_id && d->update) {
        for (int i = 0; i < l->ndisps; i++) {
            ui_live_disp *ld = &l->disps[i];
            if (strcmp(ld->id, d->display_id) != 0)
                continue;
            ld->end = live_replace(l, ld->start, ld->end, t, strlen(t));
            /* The next tick redraws it: at most ten times a second. */
            tick(u, 0);
            return;
        }
    }
    size_t n = l->shown.text.len;
    if (n > 0 && l->shown.text.data[n - 1] != '\n')
        live_add(u, "\n", 1, 0);
    size_t start = l->shown.text.len;
    live_add(u, t, strlen(t), 0);
    ll_plot *p =
        d->kind && strcmp(d->kind, "plot") == 0 ? ll_plot_find(d->id) : NULL;
    if (p && !l->truncated && l->ncharts < UI_LIVE_CHARTS) {
        ui_live_chart *ch = &l->charts[l->ncharts++];
        ch->start = start;
        ch->end = l->shown.text.len;
        ch->id = ll_plot_id(p);
        ch->version = ll_plot_version(p);
    }
    if (d->display_id && !l->truncated && l->ndisps < UI_LIVE_DISPS) {
        ui_live_disp *ld = &l->disps[l->ndisps++];
        ld->start = start;
        ld->end = l->shown.text.len;
        snprintf(ld->id, sizeof ld->id, "%s", d->display_id);
    }
    live_add(u, "\n", 1, 0);
    tick(u, 0);
}

/* Redraw in the live output the charts the cell changed since they were
 * displayed (called from the redraw tick, at most ~10 times a second). */
static void refresh_live_charts(ui *u)
{
    ui_live *l = &u->live;
    uint64_t changes = ll_plot_changes();
    if (l->ncharts == 0 || changes == l->plot_changes)
        return;
    l->plot_changes = changes;
    for (int i = 0; i < l->ncharts; i++) {
        ui_live_chart *ch = &l->charts[i];
        ll_plot *p = ll_plot_find(ch->id);
        if (!p || ll_plot_version(p) == ch->version)
            continue;
        ll_buf b;
        ll_buf_init(&b);
        ll_err err;
        if (ll_plot_render_display(p, 1, &b, &err) != LL_OK) {
            ll_buf_free(&b);
            continue;
        }
        ch->end = live_replace(l, ch->start, ch->end, ll_buf_str(&b), b.len);
        ll_buf_free(&b);
        ch->version = ll_plot_version(p);
    }
}

static void sink_progress(void *ud, const ll_progress *p)
{
    ui *u = ud;
    int d = p->depth > 0 ? 1 : 0;
    ui_progress *g = &u->progress[d];
    g->active = !p->finished;
    ll_buf b;
    ll_buf_init(&b);
    ll_progress_render(p, COLS - 2, 1, &b);
    snprintf(g->line, sizeof g->line, "%s", ll_buf_str(&b));
    g->rows = ll_progress_rows(g->line);
    ll_buf_free(&b);
    tick(u, 0);
}

/* A runaway print must not leave megabytes in the notebook: keep the
 * head of an over-long output and say how much was dropped. */
static void cap_text(char **text)
{
    if (!*text || strlen(*text) <= OUTPUT_CAP)
        return;
    size_t keep = OUTPUT_CAP;
    while (keep > 0 && ((unsigned char)(*text)[keep] & 0xc0) == 0x80)
        keep--;
    size_t dropped = strlen(*text) - keep;
    char note[96];
    int n = snprintf(note, sizeof note,
                     "\n... output truncated (%zu bytes dropped)\n", dropped);
    char *t = realloc(*text, keep + (size_t)n + 1);
    if (!t)
        return;
    memcpy(t + keep, note, (size_t)n + 1);
    *text = t;
}

static void cap_outputs(ll_cell *c)
{
    for (int i = 0; i < c->noutputs; i++) {
        cap_text(&c->outputs[i].text);
        cap_text(&c->outputs[i].ansi);
        cap_text(&c->outputs[i].traceback);
    }
}

int ui_run_cell(ui *u, int index)
{
    ll_cell *c = &u->nb->cells[index];
    if (c->type != LL_CELL_CODE) {
        /* Running a Markdown cell just shows it rendered. */
        return LL_CELL_OK;
    }
    if (u->kernel == UI_DEAD) {
        ui_message(u, 1, "the kernel is dead: 0 0 restarts it");
        return LL_CELL_ERROR;
    }
    if (u->mode == UI_EDIT && index == u->cur)
        ui_leave_edit(u);
    /* A cell may never come back (a kill -9, a C call that does not
     * stop): the edits made before it go to the autosave first. */
    if (u->autosave_pending)
        autosave(u);
    ui_view *v = &u->views[index];
    ui_styled_reset(&u->live.shown);
    u->live.truncated = 0;
    u->live.ncharts = 0;
    u->live.ndisps = 0;
    u->live.plot_changes = ll_plot_changes();
    u->live.cap = LIVE_CAP;
    u->live.started = ll_monotonic();
    memset(u->progress, 0, sizeof u->progress);
    ll_progress_reset();
    u->running_cell = index;
    u->kernel = UI_BUSY;
    v->out_dirty = 1;
    ui_message(u, 0, "running cell %d (i i or Ctrl-C interrupts)", index + 1);
    tick(u, 1);
    ll_display_opts o = {.width = COLS - UI_GUTTER - 1,
                         .height = LINES / 2 > 8 ? LINES / 2 : 8,
                         .color = 1};
    ll_host_set_display_opts(u->host, &o);
    ll_sink sink = {.stream = sink_stream,
                    .display = sink_display,
                    .progress = sink_progress,
                    .ud = u,
                    .updates = 1,
                    .live = 1};
    last_i_ms = 0;
    interrupt_ms = 0;
    running_index = index;
    running_host = u->host;
    cell_running = 1;
    arm_poll_timer(1);
    /* Redraw (clock, live charts) even while the cell prints nothing. */
    ll_host_set_tick(u->host, on_kernel_tick, u, 0.1);
    ll_cell_result res;
    int status =
        ll_cell_execute_named(c, u->host, &u->counter, &sink, NULL, &res);
    int exited = res.exit_requested, exit_code = res.exit_code;
    last_cell_exited = exited;
    ll_cell_result_free(&res);
    ll_host_set_tick(u->host, NULL, NULL, 0);
    arm_poll_timer(0);
    cell_running = 0;
    /* Drop keys typed while it ran, except what quits. */
    poll_run_keys();
    u->running_cell = -1;
    u->kernel = UI_IDLE;
    c->stale = 0;
    cap_outputs(c);
    v = &u->views[index];
    v->failed = status != LL_CELL_OK;
    v->out_dirty = 1;
    memset(u->progress, 0, sizeof u->progress);
    static const char *const what[] = {"done", "error", "interrupted",
                                       "timed out", "syntax error"};
    ui_message(u, status != LL_CELL_OK, "cell %d: %s (%.*f %s)", index + 1,
               status >= 0 && status <= 4 ? what[status] : "error",
               c->seconds >= 1 ? 2 : 1,
               c->seconds >= 1 ? c->seconds : c->seconds * 1000.0,
               c->seconds >= 1 ? "s" : "ms");
    if (exited)
        ui_message(u, 1,
                   "cell %d called os.exit(%d): the notebook stays open "
                   "with your edits (q quits)",
                   index + 1, exit_code);
    if (u->nb->format == LL_NB_IPYNB)
        ui_touch(u);
    u->redraw = 1;
    return status;
}

void ui_run_range(ui *u, int from, int to)
{
    if (u->mode == UI_EDIT)
        ui_leave_edit(u);
    int ran = 0;
    for (int i = from; i < to && i < u->nb->ncells; i++) {
        if (u->nb->cells[i].type != LL_CELL_CODE)
            continue;
        u->cur = i;
        int st = ui_run_cell(u, i);
        ran++;
        if (st != LL_CELL_OK || ui_signal_quit) {
            if (last_cell_exited)
                return; /* its message says what happened */
            ui_message(u, 1, "stopped at cell %d: %s", i + 1,
                       st == LL_CELL_INTERRUPTED ? "interrupted" : "error");
            return;
        }
    }
    ui_message(u, 0, "ran %d cell%s", ran, ran == 1 ? "" : "s");
}

void ui_interrupt(ui *u)
{
    if (u->running_cell >= 0)
        ll_host_interrupt(u->host);
    else
        ui_message(u, 0, "nothing is running");
}

void ui_restart_kernel(ui *u)
{
    ll_err err;
    ll_err_clear(&err);
    if (ll_host_restart(u->host, &err) != LL_OK) {
        u->kernel = UI_DEAD;
        ui_message(u, 1, "kernel restart failed: %s", err.msg);
        return;
    }
    u->kernel = UI_IDLE;
    u->counter = 0;
    for (int i = 0; i < u->nb->ncells; i++) {
        ll_cell *c = &u->nb->cells[i];
        if (c->execution_count > 0 || c->noutputs > 0)
            c->stale = 1;
    }
    ui_message(u, 0, "kernel restarted: a fresh Lua state");
}

/* ---- prompts on the status line ---- */

static int tolower_ascii(int k)
{
    return k >= 'A' && k <= 'Z' ? k + 32 : k;
}

static int read_key(void)
{
    wint_t wc;
    int r = get_wch(&wc);
    if (r == ERR)
        return -1;
    return r == KEY_CODE_YES ? UI_KEY_CODE((int)wc) : (int)wc;
}

int ui_ask(ui *u, const char *question, const char *answers)
{
    ui_message(u, 0, "%s", question);
    for (;;) {
        ui_scroll_to_cursor(u);
        ui_draw(u);
        int k = read_key();
        if (ui_signal_quit)
            return 27;
        if (k < 0 || k == UI_KEY_CODE(KEY_RESIZE))
            continue;
        if (k == 27 || k == 3)
            break;
        if (k < 128 && strchr(answers, tolower_ascii(k))) {
            u->message[0] = '\0';
            return tolower_ascii(k);
        }
    }
    u->message[0] = '\0';
    return 27;
}

int ui_read_line(ui *u, const char *prompt, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (;;) {
        ui_message(u, 0, "%s%s", prompt, out);
        ui_scroll_to_cursor(u);
        ui_draw(u);
        curs_set(1);
        move(LINES - 1, (int)(strlen(" COMMAND ") + 1 + strlen(prompt) +
                              (size_t)ui_text_width(out, len)));
        refresh();
        int k = read_key();
        if (ui_signal_quit || k == 27 || k == 3) {
            u->message[0] = '\0';
            return -1;
        }
        if (k == '\r' || k == '\n' || k == UI_KEY_CODE(KEY_ENTER))
            break;
        if (k == 127 || k == 8 || k == UI_KEY_CODE(KEY_BACKSPACE)) {
            while (len > 0 && ((unsigned char)out[len - 1] & 0xc0) == 0x80)
                len--;
            if (len > 0)
                len--;
            out[len] = '\0';
            continue;
        }
        if (k >= 32 && k < 0x110000) {
            char s[5] = {0};
            if (k < 0x80)
                s[0] = (char)k;
            else
                wctomb(s, (wchar_t)k);
            size_t sl = strlen(s);
            if (len + sl + 1 < n) {
                memcpy(out + len, s, sl + 1);
                len += sl;
            }
        }
    }
    u->message[0] = '\0';
    return 0;
}

/* ---- terminal and signals ---- */

static void append_cap(const char *name)
{
    const char *s = tigetstr(name);
    if (!s || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (restore_len + n < sizeof restore_seq) {
        memcpy(restore_seq + restore_len, s, n);
        restore_len += n;
    }
}

/* Put the terminal back with async-signal-safe calls only. */
static void emergency_restore(void)
{
    if (restore_len && write(1, restore_seq, restore_len) < 0)
        restore_len = 0;
    if (have_saved_tty)
        tcsetattr(0, TCSANOW, &saved_tty);
}

static void on_crash(int sig)
{
    emergency_restore();
    static const char msg[] = "lualab: crashed; the terminal was restored\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        sig = sig + 0;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_quit_signal(int sig)
{
    if (ui_signal_quit) {
        emergency_restore();
        _exit(128 + sig);
    }
    ui_signal_quit = sig;
    long long t = now_ms_signal_safe() & 0x3fffffff;
    quit_ms = (sig_atomic_t)(t ? t : 1);
    if (cell_running && running_host)
        ll_host_interrupt(running_host);
}

static void on_sigint(int sig)
{
    (void)sig;
    int saved = errno;
    if (cell_running && running_host)
        interrupt_running();
    else
        idle_sigint = 1;
    errno = saved;
}

int ui_restore_terminal_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    int crash[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
        sigaction(crash[i], &sa, NULL);
    sa.sa_flags = 0;
    sa.sa_handler = on_quit_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_poll_timer;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGRTMIN + 3, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN + 3;
    have_poll_timer = timer_create(CLOCK_MONOTONIC, &sev, &poll_timer) == 0;
    return LL_OK;
}

static void release_signals(void)
{
    if (have_poll_timer) {
        timer_delete(poll_timer);
        have_poll_timer = 0;
    }
    int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL,
                  SIGTERM, SIGHUP,  SIGINT, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    signal(SIGRTMIN + 3, SIG_IGN);
}

/* A cell calling os.exit() must not leave the terminal in curses mode. */
static void restore_at_exit(void)
{
    if (stdscr && !isendwin())
        endwin();
}

static int start_terminal(void)
{
    static int registered;
    if (!registered && atexit(restore_at_exit) == 0)
        registered = 1;
    if (tcgetattr(0, &saved_tty) == 0)
        have_saved_tty = 1;
    if (!initscr())
        return -1;
    /* cbreak, not raw: ISIG stays on so Ctrl-C is SIGINT even while a
     * cell runs.  Ctrl-Z (undo), Ctrl-S (save), Ctrl-\ and Ctrl-V are
     * keys here, not job control, flow control or literal-next. */
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    typeahead(-1);
    timeout(500); /* prompts look at the signal flags between keys */
    set_escdelay(25);
    struct termios t;
    if (tcgetattr(0, &t) == 0) {
        t.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
        t.c_lflag &= ~(tcflag_t)IEXTEN;
        t.c_cc[VSUSP] = _POSIX_VDISABLE;
        t.c_cc[VQUIT] = _POSIX_VDISABLE;
        tcsetattr(0, TCSANOW, &t);
        /* curses keeps its own copy of the mode: refresh it. */
        def_prog_mode();
    }
    ui_colors_init();
    restore_len = 0;
    append_cap("sgr0");
    append_cap("cnorm");
    append_cap("rmcup");
    append_cap("rmkx");
    mousemask(BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              ,
              NULL);
    mouseinterval(0);
    ui_keys_init();
    return 0;
}

/* ---- opening ---- */

static char *autosave_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dirlen;
    size_t n = dirlen + strlen(base) + 16;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%.*s.%s.autosave", (int)dirlen, path, base);
    return s;
}

static int parse_as(const char *text, size_t len, const char *path,
                    ll_nb_format f, ll_notebook **out, ll_err *err)
{
    /* Autosaves are .ipynb or percent text (a .md notebook, which cannot
     * be written back, autosaves as percent). */
    if (f == LL_NB_IPYNB)
        return ll_notebook_parse_ipynb(text, len, path, out, err);
    return ll_notebook_parse_percent(text, len, path, out, err);
}

static ll_nb_format format_of(const char *path)
{
    const char *ext = ll_path_ext(path);
    if (strcasecmp(ext, "ipynb") == 0)
        return LL_NB_IPYNB;
    if (strcasecmp(ext, "md") == 0)
        return LL_NB_MARKDOWN;
    return LL_NB_PERCENT;
}

static int open_notebook(ui *u, const char *path, ll_err *err)
{
    u->path = strdup(path);
    u->autosave_path = autosave_name(path);
    if (!u->path || !u->autosave_path)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    ui_disk_of(path, &u->disk);
    if (ll_file_exists(path)) {
        int rc = ll_notebook_read(path, &u->nb, err);
        if (rc != LL_OK)
            return rc;
    } else {
        u->nb = ll_notebook_new(err);
        if (!u->nb)
            return LL_ENOMEM;
        u->nb->format = format_of(path);
        u->nb->path = strdup(path);
        if (!u->nb->path)
            return ll_err_oom(err);
        if (!ll_notebook_insert_cell(u->nb, 0, LL_CELL_CODE, "", err))
            return LL_ENOMEM;
    }
    return LL_OK;
}

/* When an autosave newer than the file exists, offer it; else offer work
 * an earlier session set aside (Esc at this question).  Esc keeps the
 * work out of the way of this session's autosaves until the user
 * chooses: the autosave is renamed NAME.aside (or, when one is already
 * there, this session does not autosave). */
static void offer_recovery(ui *u)
{
    char aside[4200];
    snprintf(aside, sizeof aside, "%s.aside", u->autosave_path);
    struct stat as, fs;
    const char *from = NULL;
    if (stat(u->autosave_path, &as) == 0) {
        int newer = stat(u->path, &fs) != 0 ||
                    as.st_mtim.tv_sec > fs.st_mtim.tv_sec ||
                    (as.st_mtim.tv_sec == fs.st_mtim.tv_sec &&
                     as.st_mtim.tv_nsec > fs.st_mtim.tv_nsec);
        if (newer)
            from = u->autosave_path;
    }
    int is_aside = 0;
    if (!from && stat(aside, &as) == 0) {
        from = aside;
        is_aside = 1;
    }
    if (!from)
        return;
    const char *base = strrchr(from, '/');
    base = base ? base + 1 : from;
    char q[4400];
    snprintf(q, sizeof q,
             is_aside ? "Recover unsaved changes kept in %s? (y/n)"
                      : "Recover unsaved changes from %s (newer than the "
                        "file)? (y/n)",
             base);
    int k = ui_ask(u, q, "yn");
    if (k == 'n') {
        remove(from);
        return;
    }
    if (k != 'y') {
        if (!is_aside && rename(from, aside) == 0) {
            base = strrchr(aside, '/');
            base = base ? base + 1 : aside;
        } else if (!is_aside) {
            free(u->autosave_path);
            u->autosave_path = NULL;
        }
        ui_message(u, 0,
                   "not recovered: the unsaved changes stay in %s (offered "
                   "again when you reopen)%s",
                   base, u->autosave_path ? "" : "; autosave is off");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    if (ll_read_file(from, &text, &len, &err) != LL_OK ||
        parse_as(text, len, u->path, u->nb->format, &nb, &err) != LL_OK) {
        free(text);
        /* keep the file: do not let an autosave replace it */
        if (!is_aside && rename(from, aside) != 0) {
            free(u->autosave_path);
            u->autosave_path = NULL;
        }
        ui_message(u, 1, "recovery failed: %s", err.msg);
        return;
    }
    free(text);
    nb->format = u->nb->format;
    replace_notebook(u, nb);
    u->cur = 0;
    u->dirty = 1;
    if (is_aside)
        remove(aside);
    ui_message(u, 0, "recovered from %s: s saves it", base);
}

static void ui_free(ui *u)
{
    ui_pager_close(u);
    if (u->mode == UI_EDIT)
        ui_edit_free(&u->ed);
    for (int i = 0; i < u->nviews; i++) {
        ui_rows_free(&u->views[i].src);
        ui_rows_free(&u->views[i].out);
    }
    free(u->views);
    for (int i = 0; i < u->ndeleted; i++)
        ll_cell_free(&u->deleted[i]);
    if (u->has_clipboard)
        ll_cell_free(&u->clipboard);
    ui_styled_free(&u->live.shown);
    if (u->nb)
        ll_notebook_free(u->nb);
    if (u->host)
        ll_host_free(u->host);
    if (u->timing)
        fclose(u->timing);
    free(u->path);
    free(u->autosave_path);
}

static void use_utf8_locale(void)
{
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    if (!cs || strcasecmp(cs, "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8");
}

/* ---- restarting a stuck kernel ---- */

extern char **environ;

#define RESTART_VAR "LUALAB_UI_RESTARTED="

/* Prepare what offer_restart executes (nothing may be allocated in the
 * signal handler): this binary on the same notebook, told by the
 * environment that it restarts. */
static void prepare_restart(const char *path)
{
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0) {
        self_exe[0] = '\0';
        return;
    }
    self_exe[n] = '\0';
    size_t count = 0;
    while (environ && environ[count])
        count++;
    restart_envp = calloc(count + 2, sizeof *restart_envp);
    restart_argv[0] = strdup("lualab");
    restart_argv[1] = strdup(path);
    restart_argv[2] = NULL;
    if (!restart_envp || !restart_argv[0] || !restart_argv[1]) {
        free(restart_envp);
        restart_envp = NULL;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], RESTART_VAR, strlen(RESTART_VAR)) != 0)
            restart_envp[k++] = environ[i];
    restart_envp[k++] = (char *)(uintptr_t)RESTART_VAR "1";
    restart_envp[k] = NULL;
}

static void free_restart(void)
{
    free(restart_envp);
    restart_envp = NULL;
    free(restart_argv[0]);
    free(restart_argv[1]);
    restart_argv[0] = restart_argv[1] = NULL;
}

/* After a restart: take the autosave (the edits before the stuck cell)
 * without asking, and say what happened. */
static int restarted_from_stuck(ui *u)
{
    const char *v = getenv("LUALAB_UI_RESTARTED");
    if (!v)
        return 0;
    unsetenv("LUALAB_UI_RESTARTED");
    char *text = NULL;
    size_t len = 0;
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    if (ll_file_exists(u->autosave_path) &&
        ll_read_file(u->autosave_path, &text, &len, &err) == LL_OK &&
        parse_as(text, len, u->path, u->nb->format, &nb, &err) == LL_OK) {
        nb->format = u->nb->format;
        replace_notebook(u, nb);
        u->dirty = 1;
        ui_message(u, 0,
                   "kernel restarted (a cell was stuck): your edits are "
                   "back from the autosave; s saves them");
    } else {
        ui_message(u, 0,
                   "kernel restarted (a cell was stuck): a fresh "
                   "Lua state");
    }
    free(text);
    return 1;
}

/* ---- the main loop ---- */

static void handle_key(ui *u, int key)
{
    if (ui_pager_key(u, key))
        return;
    if (u->help_open) {
        if (key == 'q' || key == 27 || key == '?')
            u->help_open = 0;
        else if (key == 'j' || key == UI_KEY_CODE(KEY_DOWN))
            u->help_top++;
        else if (key == 'k' || key == UI_KEY_CODE(KEY_UP))
            u->help_top--;
        else if (key == ' ' || key == UI_KEY_CODE(KEY_NPAGE))
            u->help_top += LINES - 2;
        else if (key == UI_KEY_CODE(KEY_PPAGE))
            u->help_top -= LINES - 2;
        else if (key == 'G' || key == UI_KEY_CODE(KEY_END))
            u->help_top = 1 << 20;
        else if (key == 'g' || key == UI_KEY_CODE(KEY_HOME))
            u->help_top = 0;
        u->redraw = 1;
        return;
    }
    if (key == 27) {
        /* Alt-b / Alt-f arrive as Esc + letter. */
        nodelay(stdscr, TRUE);
        int next = read_key();
        nodelay(stdscr, FALSE);
        if (next == 'b' || next == 'f')
            key = 0x40000000 | next;
        else if (next >= UI_KEY_CODE(0))
            ungetch(next - UI_KEY_CODE(0));
        else if (next >= 0)
            unget_wch((wchar_t)next);
    }
    if (key != 27 && !u->pending_key)
        u->message[0] = '\0';
    ui_key_dispatch(u, key);
    u->redraw = 1;
}

int ll_ui_main(const char *path)
{
    ui U;
    ui *u = &U;
    memset(u, 0, sizeof *u);
    u->start_time = ll_monotonic();
    u->running_cell = -1;
    u->autosave_delay = 3.0;
    const char *ad = getenv("LUALAB_UI_AUTOSAVE_MS");
    if (ad && atoi(ad) > 0)
        u->autosave_delay = atoi(ad) / 1000.0;
    const char *tf = getenv("LUALAB_UI_TIMING");
    if (tf && *tf)
        u->timing = fopen(tf, "a");
    ui_styled_init(&u->live.shown);
    use_utf8_locale();
    ll_err err;
    ll_err_clear(&err);
    if (open_notebook(u, path, &err) != LL_OK) {
        /* A notebook that does not parse exits 2, as with --run and
         * convert (see EXIT STATUS in lualab(1)). */
        fprintf(stderr, "lualab: %s\n", err.msg);
        ui_free(u);
        return 2;
    }
    for (int i = 0; i < u->nb->ncells; i++)
        if (ui_view_insert(u, i) != LL_OK) {
            fprintf(stderr, "lualab: out of memory\n");
            ui_free(u);
            return 1;
        }
    if (u->timing)
        fprintf(u->timing, "read %.3f ms\n",
                (ll_monotonic() - u->start_time) * 1000.0);
    char *argv0 = u->path;
    u->host = ll_host_new(1, &argv0, &err);
    if (u->timing)
        fprintf(u->timing, "kernel %.3f ms\n",
                (ll_monotonic() - u->start_time) * 1000.0);
    if (!u->host)
        u->kernel = UI_DEAD;
    else
        ll_host_trap_exit(u->host, 1);
    ui_restore_terminal_on_signals();
    if (start_terminal() != 0) {
        release_signals();
        fprintf(stderr, "lualab: cannot start the terminal screen\n");
        ui_free(u);
        return 1;
    }
    if (!u->host)
        ui_message(u, 1, "no kernel: %s", err.msg);
    prepare_restart(path);
    if (!restarted_from_stuck(u))
        offer_recovery(u);
    u->redraw = 1;
    int fast_errors = 0;
    while (!u->quit && !ui_signal_quit) {
        if (u->redraw) {
            if (u->pager.open) {
                ui_pager_draw(u);
            } else if (u->help_open) {
                ui_draw_help(u);
            } else {
                ui_scroll_to_cursor(u);
                ui_draw(u);
            }
        }
        timeout(u->autosave_pending ? 100 : 500);
        double before = ll_monotonic();
        int key = read_key();
        /* A terminal that went away reads as an endless stream of
         * immediate errors: end as on SIGHUP rather than spin. */
        if (key < 0 && ll_monotonic() - before < 0.005) {
            if (++fast_errors > 200)
                ui_signal_quit = SIGHUP;
        } else {
            fast_errors = 0;
        }
        if (idle_sigint) {
            idle_sigint = 0;
            ui_message(u, 0, "nothing is running (q quits)");
        }
        if (key >= 0) {
            u->key_time = ll_monotonic();
            if (key == UI_KEY_CODE(KEY_RESIZE)) {
                u->redraw = 1;
            } else {
                handle_key(u, key);
            }
        }
        if (u->autosave_pending &&
            ll_monotonic() - u->change_time >= u->autosave_delay)
            autosave(u);
    }
    int code = 0;
    if (ui_signal_quit) {
        if (u->dirty)
            autosave(u);
        code = 128 + ui_signal_quit;
    }
    endwin();
    release_signals();
    free_restart();
    ui_free(u);
    return code;
}
