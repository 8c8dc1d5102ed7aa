/*
 * ui_draw: everything that reaches the screen.  Styled text and rows,
 * Lua syntax colours, ANSI SGR translation, the per-cell row cache, the
 * scroll position and the one function that paints a frame.  Nothing
 * here changes the notebook.
 */
#include "config.h"

#include "ui/ui_int.h"
#include "util/signals.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---- styled text ---- */

void ui_styled_init(ui_styled *s)
{
    memset(s, 0, sizeof *s);
    ll_buf_init(&s->text);
}

void ui_styled_free(ui_styled *s)
{
    ll_buf_free(&s->text);
    free(s->style);
    memset(s, 0, sizeof *s);
}

void ui_styled_reset(ui_styled *s)
{
    ll_buf_reset(&s->text);
}

int ui_styled_add(ui_styled *s, const char *text, size_t len, uint32_t style)
{
    size_t need = s->text.len + len;
    if (need > s->cap) {
        size_t nc = s->cap ? s->cap : 256;
        while (nc < need)
            nc *= 2;
        uint32_t *ns = realloc(s->style, nc * sizeof *ns);
        if (!ns)
            return LL_ENOMEM;
        s->style = ns;
        s->cap = nc;
    }
    size_t at = s->text.len;
    if (ll_buf_append(&s->text, text, len) != LL_OK)
        return LL_ENOMEM;
    for (size_t i = 0; i < len; i++)
        s->style[at + i] = style;
    return LL_OK;
}

int ui_styled_puts(ui_styled *s, const char *text, uint32_t style)
{
    return ui_styled_add(s, text, strlen(text), style);
}

/* ---- character widths ---- */

static unsigned decode(const unsigned char *p, size_t len, int *clen)
{
    unsigned c = p[0];
    int n = c < 0x80         ? 1
            : (c >> 5) == 6  ? 2
            : (c >> 4) == 14 ? 3
            : (c >> 3) == 30 ? 4
                             : 0;
    if (n == 0 || (size_t)n > len) {
        *clen = 1;
        return 0xfffd;
    }
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 7;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *clen = 1;
            return 0xfffd;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    *clen = n;
    return cp;
}

int ui_char_width(const char *s, size_t len, int *clen)
{
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] == '\t') {
        *clen = 1;
        return 4;
    }
    if (p[0] < 0x80) {
        *clen = 1;
        return 1;
    }
    unsigned cp = decode(p, len, clen);
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : w;
}

int ui_text_width(const char *s, size_t len)
{
    int w = 0;
    size_t i = 0;
    while (i < len) {
        int clen;
        w += ui_char_width(s + i, len - i, &clen);
        i += (size_t)clen;
    }
    return w;
}

/* ---- rows ---- */

void ui_rows_reset(ui_rows *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->v[i].text);
        free(r->v[i].style);
    }
    r->n = 0;
}

void ui_rows_free(ui_rows *r)
{
    ui_rows_reset(r);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int rows_push(ui_rows *r, const ui_styled *row, int line, int start)
{
    if (r->n == r->cap) {
        int nc = r->cap ? r->cap * 2 : 8;
        ui_row *nv = realloc(r->v, (size_t)nc * sizeof *nv);
        if (!nv)
            return LL_ENOMEM;
        r->v = nv;
        r->cap = nc;
    }
    ui_row *x = &r->v[r->n];
    size_t n = row->text.len;
    x->text = malloc(n + 1);
    x->style = malloc((n + 1) * sizeof *x->style);
    if (!x->text || !x->style) {
        free(x->text);
        free(x->style);
        return LL_ENOMEM;
    }
    if (n)
        memcpy(x->text, row->text.data, n);
    x->text[n] = '\0';
    if (n)
        memcpy(x->style, row->style, n * sizeof *x->style);
    x->len = (int)n;
    x->line = line;
    x->start = start;
    r->n++;
    return LL_OK;
}

int ui_rows_wrap(ui_rows *r, const ui_styled *s, int width, int number_lines,
                 int max_rows, int *total_rows)
{
    if (width < 4)
        width = 4;
    ui_styled row;
    ui_styled_init(&row);
    const char *t = s->text.data ? s->text.data : "";
    size_t len = s->text.len;
    int lines = 0, total = 0, col = 0, rc = LL_OK;
    size_t line_at = 0, row_start = 0;
    size_t i = 0;
#define FLUSH()                                                                \
    do {                                                                       \
        if (max_rows < 0 || total < max_rows)                                  \
            if ((rc = rows_push(r, &row, number_lines ? lines : -1,            \
                                (int)(row_start - line_at))) != LL_OK)         \
                goto out;                                                      \
        total++;                                                               \
        ui_styled_reset(&row);                                                 \
        col = 0;                                                               \
    } while (0)
    for (;;) {
        if (i >= len || t[i] == '\n') {
            FLUSH();
            lines++;
            if (i >= len)
                break;
            i++;
            line_at = row_start = i;
            continue;
        }
        int clen;
        int w = ui_char_width(t + i, len - i, &clen);
        if (col + w > width && col > 0 && !number_lines && t[i] == ' ') {
            /* a space at the break is dropped, not carried over */
            FLUSH();
            i++;
            row_start = i;
            continue;
        }
        if (col + w > width && col > 0) {
            /* Prose and outputs wrap at the last space when there is one
             * in the second half of the row; source wraps anywhere. */
            size_t cut = 0;
            if (!number_lines && t[i] != ' ')
                for (size_t k = row.text.len; k > row.text.len / 2; k--)
                    if (row.text.data[k - 1] == ' ') {
                        cut = k;
                        break;
                    }
            if (cut > 0) {
                ui_styled rest;
                ui_styled_init(&rest);
                ui_styled_add(&rest, row.text.data + cut, row.text.len - cut,
                              0);
                if (rest.style)
                    memcpy(rest.style, row.style + cut,
                           (row.text.len - cut) * sizeof *rest.style);
                row.text.len = cut - 1;
                FLUSH();
                ui_styled_add(&row, rest.text.data ? rest.text.data : "",
                              rest.text.len, 0);
                if (rest.text.len)
                    memcpy(row.style, rest.style,
                           rest.text.len * sizeof *row.style);
                col = ui_text_width(row.text.data ? row.text.data : "",
                                    row.text.len);
                ui_styled_free(&rest);
            } else {
                FLUSH();
            }
            row_start = i;
        }
        unsigned char c = (unsigned char)t[i];
        if (c == '\t')
            ui_styled_add(&row, "    ", 4, s->style[i]);
        else if (c < 0x20 || c == 0x7f)
            ui_styled_add(&row, "?", 1, s->style[i]);
        else if (c >= 0x80 && clen == 1)
            ui_styled_add(&row, "?", 1, s->style[i]);
        else
            ui_styled_add(&row, t + i, (size_t)clen, s->style[i]);
        col += w;
        i += (size_t)clen;
    }
#undef FLUSH
out:
    ui_styled_free(&row);
    if (total_rows)
        *total_rows = total;
    return rc == LL_OK ? lines : rc;
}

/* ---- Lua syntax colours ---- */

static int is_ident(unsigned char c)
{
    return c == '_' || (c >= '0' && c <= '9') ||
           ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

static int is_keyword(const char *s, size_t n)
{
    static const char *const kw[] = {
        "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
        "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
        "repeat",   "return", "then", "true", "until",  "while", NULL};
    for (int i = 0; kw[i]; i++)
        if (strlen(kw[i]) == n && memcmp(kw[i], s, n) == 0)
            return 1;
    return 0;
}

/* The level of a long bracket "[==[" at s, or -1. */
static int long_bracket(const char *s, size_t n)
{
    if (n < 2 || s[0] != '[')
        return -1;
    size_t i = 1;
    while (i < n && s[i] == '=')
        i++;
    return i < n && s[i] == '[' ? (int)(i - 1) : -1;
}

static size_t long_end(const char *s, size_t n, size_t from, int level)
{
    for (size_t i = from; i < n; i++) {
        if (s[i] != ']')
            continue;
        size_t j = i + 1;
        int eq = 0;
        while (j < n && s[j] == '=') {
            j++;
            eq++;
        }
        if (eq == level && j < n && s[j] == ']')
            return j + 1;
    }
    return n;
}

int ui_highlight_lua(ui_styled *out, const char *src, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        uint32_t st = UI_S_PLAIN;
        unsigned char c = (unsigned char)src[i];
        if (c == '-' && i + 1 < len && src[i + 1] == '-') {
            int lv = long_bracket(src + i + 2, len - i - 2);
            if (lv >= 0)
                i = long_end(src, len, i + 4 + (size_t)lv, lv);
            else
                while (i < len && src[i] != '\n')
                    i++;
            st = UI_S_COMMENT;
        } else if (c == '"' || c == '\'') {
            i++;
            while (i < len && src[i] != (char)c && src[i] != '\n') {
                if (src[i] == '\\' && i + 1 < len)
                    i++;
                i++;
            }
            if (i < len && src[i] == (char)c)
                i++;
            st = UI_S_STRING;
        } else if (c == '[' && long_bracket(src + i, len - i) >= 0) {
            int lv = long_bracket(src + i, len - i);
            i = long_end(src, len, i + 2 + (size_t)lv, lv);
            st = UI_S_STRING;
        } else if ((c >= '0' && c <= '9') ||
                   (c == '.' && i + 1 < len && src[i + 1] >= '0' &&
                    src[i + 1] <= '9')) {
            while (i < len &&
                   (is_ident((unsigned char)src[i]) || src[i] == '.' ||
                    ((src[i] == '-' || src[i] == '+') &&
                     (src[i - 1] == 'e' || src[i - 1] == 'E' ||
                      src[i - 1] == 'p' || src[i - 1] == 'P'))))
                i++;
            st = UI_S_NUMBER;
        } else if (is_ident(c)) {
            while (i < len && is_ident((unsigned char)src[i]))
                i++;
            if (is_keyword(src + start, i - start))
                st = UI_S_KEYWORD;
        } else {
            i++;
        }
        if (ui_styled_add(out, src + start, i - start, st) != LL_OK)
            return LL_ENOMEM;
    }
    return LL_OK;
}

/* ---- ANSI SGR -> styles ---- */

static uint32_t sgr_apply(uint32_t st, const int *p, int np, uint32_t base)
{
    if (np == 0)
        return base;
    for (int i = 0; i < np; i++) {
        int v = p[i];
        if (v == 0)
            st = base;
        else if (v == 1)
            st |= UI_BOLD;
        else if (v == 2)
            st |= UI_DIM;
        else if (v == 3)
            st |= UI_ITALIC;
        else if (v == 4)
            st |= UI_UNDER;
        else if (v == 7)
            st |= UI_REV;
        else if (v == 22)
            st &= ~(UI_BOLD | UI_DIM);
        else if (v == 23)
            st &= ~UI_ITALIC;
        else if (v == 24)
            st &= ~UI_UNDER;
        else if (v == 27)
            st &= ~UI_REV;
        else if (v >= 30 && v <= 37)
            st = (st & ~0x1ffu) | UI_FG(v - 30);
        else if (v >= 90 && v <= 97)
            st = (st & ~0x1ffu) | UI_FG(v - 90 + 8);
        else if (v == 39)
            st = (st & ~0x1ffu) | (base & 0x1ffu);
        else if (v >= 40 && v <= 47)
            st = (st & ~(0x1ffu << 9)) | UI_BG(v - 40);
        else if (v >= 100 && v <= 107)
            st = (st & ~(0x1ffu << 9)) | UI_BG(v - 100 + 8);
        else if (v == 49)
            st = (st & ~(0x1ffu << 9)) | (base & (0x1ffu << 9));
        else if ((v == 38 || v == 48) && i + 1 < np) {
            int colour = -1;
            if (p[i + 1] == 5 && i + 2 < np) {
                colour = p[i + 2] & 0xff;
                i += 2;
            } else if (p[i + 1] == 2 && i + 4 < np) {
                /* truecolour: the nearest colour of the 6x6x6 cube */
                int r = p[i + 2], g = p[i + 3], b = p[i + 4];
                colour = 16 + 36 * ((r * 5 + 127) / 255) +
                         6 * ((g * 5 + 127) / 255) + (b * 5 + 127) / 255;
                i += 4;
            }
            if (colour >= 0) {
                if (v == 38)
                    st = (st & ~0x1ffu) | UI_FG(colour);
                else
                    st = (st & ~(0x1ffu << 9)) | UI_BG(colour);
            }
        }
    }
    return st;
}

int ui_ansi_to_styled(ui_styled *out, const char *text, size_t len,
                      uint32_t base)
{
    uint32_t st = base;
    size_t i = 0, run = 0;
    while (i < len) {
        if (text[i] != '\033') {
            i++;
            continue;
        }
        if (i > run && ui_styled_add(out, text + run, i - run, st) != LL_OK)
            return LL_ENOMEM;
        i++;
        if (i < len && text[i] == '[') {
            i++;
            int p[32], np = 0, v = 0, have = 0;
            while (i < len && ((text[i] >= '0' && text[i] <= '9') ||
                               text[i] == ';' || text[i] == ':')) {
                if (text[i] == ';' || text[i] == ':') {
                    if (np < 32)
                        p[np++] = v;
                    v = 0;
                    have = 0;
                } else {
                    v = v * 10 + (text[i] - '0');
                    if (v > 100000)
                        v = 100000;
                    have = 1;
                }
                i++;
            }
            if (have && np < 32)
                p[np++] = v;
            if (i < len && text[i] == 'm')
                st = sgr_apply(st, p, np, base);
            if (i < len)
                i++; /* the final byte of any CSI sequence */
        } else if (i < len && text[i] == ']') {
            /* OSC: up to BEL or ESC \ */
            while (i < len && text[i] != '\a' &&
                   !(text[i] == '\033' && i + 1 < len && text[i + 1] == '\\'))
                i++;
            i += i < len && text[i] == '\a' ? 1 : 2;
        } else if (i < len) {
            i++;
        }
        run = i < len ? i : len;
    }
    if (len > run && ui_styled_add(out, text + run, len - run, st) != LL_OK)
        return LL_ENOMEM;
    return LL_OK;
}

/* ---- colours ---- */

#define PAIR_SLOTS 4096
static struct {
    int key; /* (fg + 1) << 9 | (bg + 1), 0: empty */
    short pair;
} pair_cache[PAIR_SLOTS];
static int next_pair = 1;

void ui_colors_init(void)
{
    memset(pair_cache, 0, sizeof pair_cache);
    next_pair = 1;
    if (has_colors()) {
        start_color();
        use_default_colors();
    }
}

/* Map a colour of the 256 palette to what the terminal has. */
static int fit_colour(int c)
{
    if (c < 0 || c < COLORS)
        return c;
    if (c >= 8 && c < 16)
        return c - 8;
    if (c >= 232) /* grey ramp */
        return c < 244 ? 0 : 7;
    c -= 16;
    int r = c / 36, g = (c / 6) % 6, b = c % 6;
    int m = r > g ? (r > b ? r : b) : (g > b ? g : b);
    if (m == 0)
        return 0;
    return ((r * 2 >= m ? 1 : 0) | (g * 2 >= m ? 2 : 0) | (b * 2 >= m ? 4 : 0));
}

static attr_t style_attr(uint32_t st)
{
    attr_t a = A_NORMAL;
    if (st & UI_BOLD)
        a |= A_BOLD;
    if (st & UI_DIM)
        a |= A_DIM;
    if (st & UI_UNDER)
        a |= A_UNDERLINE;
    if (st & UI_REV)
        a |= A_REVERSE;
#ifdef A_ITALIC
    if (st & UI_ITALIC)
        a |= A_ITALIC;
#endif
    int fg = UI_FG_OF(st), bg = UI_BG_OF(st);
    if ((fg < 0 && bg < 0) || !has_colors())
        return a;
    if (fg >= 8 && fg < 16 && COLORS < 16)
        a |= A_BOLD;
    fg = fit_colour(fg);
    bg = fit_colour(bg);
    int key = ((fg + 1) << 9) | (bg + 1);
    unsigned h = ((unsigned)key * 2654435761u) % PAIR_SLOTS;
    for (int probe = 0; probe < PAIR_SLOTS; probe++) {
        unsigned s = (h + (unsigned)probe) % PAIR_SLOTS;
        if (pair_cache[s].key == key)
            return a | COLOR_PAIR(pair_cache[s].pair);
        if (pair_cache[s].key == 0) {
            if (next_pair >= COLOR_PAIRS || next_pair > 32767)
                return a;
            if (init_pair((short)next_pair, (short)fg, (short)bg) == ERR)
                return a;
            pair_cache[s].key = key;
            pair_cache[s].pair = (short)next_pair++;
            return a | COLOR_PAIR(pair_cache[s].pair);
        }
    }
    return a;
}

/* Draw a row's text with its styles from (y, x), at most maxw columns. */
static void put_styled(int y, int x, const char *t, const uint32_t *st, int len,
                       int maxw, uint32_t over)
{
    int col = 0, i = 0;
    move(y, x);
    while (i < len && col < maxw) {
        int j = i, w = 0;
        while (j < len && st[j] == st[i]) {
            int clen;
            int cw = ui_char_width(t + j, (size_t)(len - j), &clen);
            if (col + w + cw > maxw)
                break;
            w += cw;
            j += clen;
        }
        if (j == i)
            break;
        attrset(style_attr(st[i] | over));
        addnstr(t + i, j - i);
        col += w;
        i = j;
    }
    attrset(A_NORMAL);
}

static void put_text(int y, int x, const char *s, uint32_t st, int maxw)
{
    int n = (int)strlen(s);
    uint32_t *sv = malloc(((size_t)n + 1) * sizeof *sv);
    if (!sv)
        return;
    for (int i = 0; i < n; i++)
        sv[i] = st;
    put_styled(y, x, s, sv, n, maxw, 0);
    free(sv);
}

/* ---- cell layout ---- */

int ui_screen_rows(void)
{
    int n = LINES - 2;
    return n < 1 ? 1 : n;
}

static int content_width(void)
{
    int w = COLS - UI_GUTTER - 1;
    return w < 10 ? 10 : w;
}

/* Outputs longer than this fold; a chart drawn for the screen's height
 * (see ui_run_cell) always fits. */
static int fold_rows(void)
{
    int n = LINES / 2 + 4;
    return n > UI_FOLD_ROWS ? n : UI_FOLD_ROWS;
}

static void add_output(ui_styled *s, const ll_output *o)
{
    const char *t = NULL;
    uint32_t base = UI_S_PLAIN;
    char head[512];
    switch (o->type) {
    case LL_OUT_STREAM:
        t = o->text;
        if (o->name && strcmp(o->name, "stderr") == 0)
            base = UI_S_STDERR;
        break;
    case LL_OUT_RESULT:
    case LL_OUT_DISPLAY:
        t = o->ansi ? o->ansi : o->text;
        break;
    case LL_OUT_ERROR:
        base = UI_S_ERROR;
        if (o->traceback && *o->traceback) {
            t = o->traceback;
        } else {
            snprintf(head, sizeof head, "%s: %s", o->ename ? o->ename : "Error",
                     o->evalue ? o->evalue : "");
            t = head;
        }
        break;
    }
    if (!t)
        return;
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == '\n')
        n--;
    if (s->text.len > 0)
        ui_styled_add(s, "\n", 1, UI_S_PLAIN);
    ui_ansi_to_styled(s, t, n, base);
}

void ui_cell_output_styled(ui_styled *s, const ll_cell *c)
{
    for (int i = 0; i < c->noutputs; i++)
        add_output(s, &c->outputs[i]);
}

void ui_put_styled(int y, int x, const char *t, const uint32_t *st, int len,
                   int maxw)
{
    put_styled(y, x, t, st, len, maxw, 0);
}

void ui_put_text(int y, int x, const char *s, uint32_t st, int maxw)
{
    put_text(y, x, s, st, maxw);
}

void ui_layout_cell(ui *u, int idx)
{
    ui_view *v = &u->views[idx];
    ll_cell *c = &u->nb->cells[idx];
    int width = content_width();
    if (v->width != width) {
        v->width = width;
        v->src_dirty = v->out_dirty = 1;
    }
    if (!v->src_dirty && !v->out_dirty)
        return;
    ui_styled s;
    ui_styled_init(&s);
    if (v->src_dirty) {
        ui_rows_reset(&v->src);
        int editing = u->mode == UI_EDIT && idx == u->cur;
        const char *src = editing ? u->ed.text.data : c->source;
        if (!src)
            src = "";
        size_t n = strlen(src);
        if (c->type == LL_CELL_CODE)
            ui_highlight_lua(&s, src, n);
        else if (c->type == LL_CELL_MARKDOWN && !editing && n > 0)
            ui_markdown_render(&s, src, n, width);
        else
            ui_styled_add(&s, src, n, UI_S_PLAIN);
        if (c->type == LL_CELL_MARKDOWN && !editing && n == 0)
            ui_styled_puts(&s, "(empty markdown cell: Enter to edit)",
                           UI_S_DIM);
        int number = c->type == LL_CELL_CODE || editing;
        ui_rows_wrap(&v->src, &s, width, number, -1, NULL);
        v->editing = editing;
        v->src_dirty = 0;
        ui_styled_reset(&s);
    }
    if (v->out_dirty) {
        ui_rows_reset(&v->out);
        v->out_total = 0;
        const ui_styled *from = &s;
        if (u->running_cell == idx) {
            from = &u->live.shown;
        } else {
            for (int i = 0; i < c->noutputs; i++)
                add_output(&s, &c->outputs[i]);
        }
        if (from->text.len > 0) {
            int limit = v->expanded ? -1 : fold_rows();
            int total = 0;
            if (u->running_cell == idx && !v->expanded) {
                /* While running show the newest rows, not the first;
                 * only the last lines are wrapped, so a long stream
                 * costs the same per frame as a short one. */
                const char *d = from->text.data;
                size_t end = from->text.len, at = end;
                if (at > 0 && d[at - 1] == '\n')
                    end = --at;
                for (int nl = 0; at > 0; at--)
                    if (d[at - 1] == '\n' && ++nl > fold_rows())
                        break;
                ui_styled tail = *from;
                tail.text.data = (char *)(uintptr_t)(d + at);
                tail.text.len = end - at;
                tail.style = from->style + at;
                ui_rows tmp = {0};
                ui_rows_wrap(&tmp, &tail, width, 0, -1, &total);
                int skip = total > fold_rows() ? total - fold_rows() : 0;
                for (int i = 0; i < tmp.n; i++) {
                    if (i < skip) {
                        free(tmp.v[i].text);
                        free(tmp.v[i].style);
                        continue;
                    }
                    if (v->out.n == v->out.cap) {
                        int nc = v->out.cap ? v->out.cap * 2 : 16;
                        ui_row *nv = realloc(v->out.v, (size_t)nc * sizeof *nv);
                        if (!nv) {
                            free(tmp.v[i].text);
                            free(tmp.v[i].style);
                            continue;
                        }
                        v->out.v = nv;
                        v->out.cap = nc;
                    }
                    v->out.v[v->out.n++] = tmp.v[i];
                }
                free(tmp.v);
                v->out_total = total;
            } else {
                ui_rows_wrap(&v->out, from, width, 0, limit, &total);
                v->out_total = total;
                if (limit >= 0 && total > limit) {
                    char note[96];
                    snprintf(note, sizeof note,
                             "... %d more row%s (o: expand, O: page)",
                             total - limit, total - limit == 1 ? "" : "s");
                    ui_styled_reset(&s);
                    ui_styled_puts(&s, note, UI_S_DIM);
                    ui_rows_wrap(&v->out, &s, width, 0, -1, NULL);
                }
            }
        }
        v->out_dirty = 0;
    }
    ui_styled_free(&s);
}

/* Stale only means something for a cell that has run. */
static int shows_stale(const ll_cell *c)
{
    return c->stale &&
           (c->execution_count > 0 || c->noutputs > 0 || c->seconds > 0);
}

static int has_footer(const ui *u, int idx)
{
    const ll_cell *c = &u->nb->cells[idx];
    return c->type == LL_CELL_CODE &&
           (c->execution_count > 0 || c->seconds > 0 || shows_stale(c) ||
            u->running_cell == idx);
}

int ui_cell_height(ui *u, int idx)
{
    ui_layout_cell(u, idx);
    ui_view *v = &u->views[idx];
    int src = v->src.n > 0 ? v->src.n : 1;
    return src + v->out.n + has_footer(u, idx) + 1;
}

/* The row of the editing cursor inside the current cell, and its column. */
static void cursor_row(ui *u, int *row, int *col)
{
    int line, cb;
    ui_edit_cursor_pos(&u->ed, &line, &cb);
    ui_view *v = &u->views[u->cur];
    const char *t = u->ed.text.data ? u->ed.text.data : "";
    size_t ls = u->ed.cur - (size_t)cb;
    *row = 0;
    *col = 0;
    for (int r = 0; r < v->src.n; r++) {
        if (v->src.v[r].line == line && v->src.v[r].start <= cb) {
            *row = r;
            *col = ui_text_width(t + ls + v->src.v[r].start,
                                 (size_t)(cb - v->src.v[r].start));
        }
    }
    if (*col >= content_width() && *row + 1 < v->src.n &&
        v->src.v[*row + 1].line == line) {
        (*row)++;
        *col = 0;
    }
}

void ui_scroll_to_cursor(ui *u)
{
    int n = u->nb->ncells;
    if (n == 0) {
        u->top_cell = u->top_skip = 0;
        return;
    }
    if (u->cur >= n)
        u->cur = n - 1;
    if (u->cur < 0)
        u->cur = 0;
    if (u->top_cell >= n) {
        u->top_cell = n - 1;
        u->top_skip = 0;
    }
    int avail = ui_screen_rows();
    int h = ui_cell_height(u, u->cur) - 1;
    int want_top = 0, want_bot = h - 1;
    if (u->mode == UI_EDIT) {
        int col;
        cursor_row(u, &want_top, &col);
        want_bot = want_top;
    } else if (u->focus_row > 0 && u->focus_row <= h) {
        /* a search match: its row, a third of the screen down */
        int row = u->focus_row - 1;
        want_top = row - avail / 3 > 0 ? row - avail / 3 : 0;
        want_bot = row;
    } else if (want_bot - want_top + 1 > avail) {
        want_bot = want_top + avail - 1;
    }
    if (u->cur < u->top_cell ||
        (u->cur == u->top_cell && u->top_skip > want_top)) {
        u->top_cell = u->cur;
        u->top_skip = want_top;
    }
    if (u->cur - u->top_cell > avail) {
        /* A long jump: fill the screen upwards from the current cell. */
        int free_rows = avail - (want_bot + 1);
        u->top_cell = u->cur;
        u->top_skip = 0;
        if (free_rows < 0) {
            u->top_skip = -free_rows;
            return;
        }
        for (int j = u->cur - 1; j >= 0 && free_rows > 0; j--) {
            int hj = ui_cell_height(u, j);
            u->top_cell = j;
            if (hj <= free_rows) {
                free_rows -= hj;
            } else {
                u->top_skip = hj - free_rows;
                free_rows = 0;
            }
        }
        return;
    }
    int dist = ui_cell_height(u, u->top_cell) - u->top_skip;
    if (u->cur == u->top_cell)
        dist = want_bot + 1 - u->top_skip;
    else {
        for (int j = u->top_cell + 1; j < u->cur; j++)
            dist += ui_cell_height(u, j);
        dist += want_bot + 1;
    }
    int excess = dist - avail;
    while (excess > 0) {
        int rem = ui_cell_height(u, u->top_cell) - u->top_skip;
        if (u->top_cell < u->cur && rem <= excess) {
            excess -= rem;
            u->top_cell++;
            u->top_skip = 0;
        } else {
            u->top_skip += excess;
            excess = 0;
        }
    }
}

/* ---- the frame ---- */

static void draw_header(ui *u)
{
    char left[512], right[64];
    const char *file = u->path ? strrchr(u->path, '/') : NULL;
    file = file ? file + 1 : (u->path ? u->path : "(new)");
    const char *title = u->nb->title ? u->nb->title : "";
    snprintf(left, sizeof left, " lualab | %s%s%s%s", title,
             *title ? " | " : "", file, u->dirty ? " [+]" : "");
    static const char *const states[] = {"idle", "busy", "dead"};
    snprintf(right, sizeof right, "kernel: %s ", states[u->kernel]);
    attrset(A_REVERSE);
    move(0, 0);
    for (int x = 0; x < COLS; x++)
        addch(' ');
    attrset(A_NORMAL);
    put_text(0, 0, left, UI_REV | UI_BOLD, COLS - (int)strlen(right) - 1);
    int rw = (int)strlen(right);
    if (COLS > rw)
        put_text(0, COLS - rw, right,
                 UI_REV | (u->kernel == UI_BUSY   ? UI_FG(3)
                           : u->kernel == UI_DEAD ? UI_FG(1)
                                                  : 0),
                 rw);
}

static void draw_status(ui *u, int y)
{
    static const char *const modes[] = {"COMMAND", "EDIT"};
    char left[128], right[64];
    snprintf(left, sizeof left, " %s ",
             u->running_cell >= 0 ? "RUNNING" : modes[u->mode]);
    snprintf(right, sizeof right, " cell %d/%d  ? help ",
             u->nb->ncells ? u->cur + 1 : 0, u->nb->ncells);
    move(y, 0);
    clrtoeol();
    int lw = (int)strlen(left);
    put_text(y, 0, left,
             UI_REV | UI_BOLD | (u->mode == UI_EDIT ? UI_BG(2) : UI_BG(4)) |
                 UI_FG(7),
             COLS);
    int rw = (int)strlen(right);
    int room = COLS - lw - rw - 1;
    if (u->pending_key && room > 3) {
        char pk[16];
        snprintf(pk, sizeof pk, " %c-", (char)u->pending_key);
        put_text(y, lw, pk, UI_BOLD, room);
        lw += (int)strlen(pk);
        room -= (int)strlen(pk);
    }
    /* A long message (a question) takes the room of the cell counter. */
    int mw = ui_text_width(u->message, strlen(u->message));
    int show_right = mw <= room;
    if (!show_right)
        room += rw;
    if (room > 0)
        put_text(y, lw + 1, u->message,
                 u->message_error ? UI_S_ERROR | UI_BOLD : UI_S_PLAIN, room);
    if (show_right && COLS > rw + lw)
        put_text(y, COLS - rw, right, UI_S_DIM, rw);
}

static void draw_gutter(ui *u, int idx, int y)
{
    ll_cell *c = &u->nb->cells[idx];
    char g[16] = "";
    uint32_t st = UI_S_DIM;
    if (c->type == LL_CELL_CODE) {
        if (u->running_cell == idx)
            snprintf(g, sizeof g, "[*]");
        else if (c->execution_count > 0)
            snprintf(g, sizeof g, "[%d]", c->execution_count);
        else
            snprintf(g, sizeof g, "[ ]");
        st = shows_stale(c) ? UI_S_STALE : UI_FG(4);
    } else if (c->type == LL_CELL_MARKDOWN) {
        snprintf(g, sizeof g, " md");
    } else {
        snprintf(g, sizeof g, "raw");
    }
    put_text(y, 1, g, st, UI_GUTTER - 2);
}

static void draw_footer(ui *u, int idx, int y)
{
    ll_cell *c = &u->nb->cells[idx];
    char t[160];
    if (u->running_cell == idx)
        snprintf(t, sizeof t, "running %.1f s",
                 ll_monotonic() - u->live.started);
    else if (c->seconds >= 1)
        snprintf(t, sizeof t, "%s %.2f s",
                 u->views[idx].failed ? "failed" : "done", c->seconds);
    else
        snprintf(t, sizeof t, "%s %.*f ms",
                 u->views[idx].failed ? "failed" : "done",
                 c->seconds < 0.01 ? 1 : 0, c->seconds * 1000.0);
    if (c->execution_count == 0 && c->seconds == 0 && u->running_cell != idx)
        t[0] = '\0';
    put_text(y, UI_GUTTER, t,
             u->views[idx].failed ? UI_S_ERROR | UI_DIM : UI_S_DIM,
             COLS - UI_GUTTER);
    if (shows_stale(c) && u->running_cell != idx) {
        int x = UI_GUTTER + (int)strlen(t) + (t[0] ? 2 : 0);
        put_text(y, x, "stale: changed since it ran", UI_S_STALE, COLS - x);
    }
}

/* A cell row, with the matches of the last search shown reversed. */
static void put_row(ui *u, int y, const ui_row *row)
{
    size_t qn = u->search_shown ? strlen(u->search) : 0;
    const char *hit = qn ? strcasestr(row->text, u->search) : NULL;
    if (!hit) {
        put_styled(y, UI_GUTTER, row->text, row->style, row->len,
                   COLS - UI_GUTTER, 0);
        return;
    }
    uint32_t *st = malloc(((size_t)row->len + 1) * sizeof *st);
    if (!st)
        return;
    memcpy(st, row->style, (size_t)row->len * sizeof *st);
    for (; hit; hit = strcasestr(hit + qn, u->search))
        for (size_t k = 0; k < qn; k++)
            st[hit - row->text + (ptrdiff_t)k] |= UI_REV;
    put_styled(y, UI_GUTTER, row->text, st, row->len, COLS - UI_GUTTER, 0);
    free(st);
}

void ui_draw(ui *u)
{
    double t0 = ll_monotonic();
    erase();
    draw_header(u);
    int progress = 0; /* rows of progress bars above the status line */
    if (u->running_cell >= 0)
        for (int d = 0; d < 2; d++)
            progress += u->progress[d].active ? u->progress[d].rows : 0;
    /* several rows (a line per running query) leave the cells half the
     * screen at least */
    if (progress > (LINES - 1) / 2)
        progress = (LINES - 1) / 2;
    int bottom = LINES - 1 - progress; /* first row below the cells */
    int y = 1;
    int cur_y = -1, cur_x = 0;
    int edit_row = -1, edit_col = 0;
    if (u->mode == UI_EDIT && u->nb->ncells > 0) {
        ui_layout_cell(u, u->cur);
        cursor_row(u, &edit_row, &edit_col);
    }
    u->last_shown = u->top_cell;
    for (int i = u->top_cell; i < u->nb->ncells && y < bottom; i++) {
        u->last_shown = i;
        ui_layout_cell(u, i);
        ui_view *v = &u->views[i];
        int nsrc = v->src.n > 0 ? v->src.n : 1;
        int footer = has_footer(u, i);
        int h = nsrc + v->out.n + footer + 1;
        int selected = i == u->cur;
        for (int r = i == u->top_cell ? u->top_skip : 0; r < h && y < bottom;
             r++, y++) {
            if (selected && r < h - 1)
                put_text(y, 0, "\xe2\x96\x8c",
                         u->mode == UI_EDIT ? UI_FG(2) | UI_BOLD
                                            : UI_FG(4) | UI_BOLD,
                         1);
            if (r < nsrc) {
                if (r == 0)
                    draw_gutter(u, i, y);
                if (r < v->src.n)
                    put_row(u, y, &v->src.v[r]);
                if (selected && r == edit_row) {
                    cur_y = y;
                    cur_x = UI_GUTTER + edit_col;
                }
            } else if (r < nsrc + v->out.n) {
                ui_row *o = &v->out.v[r - nsrc];
                put_text(y, UI_GUTTER - 2, "\xe2\x94\x82", UI_S_DIM, 1);
                put_row(u, y, o);
            } else if (footer && r == nsrc + v->out.n) {
                draw_footer(u, i, y);
            }
        }
    }
    for (int d = 0, row = bottom; d < 2 && progress; d++) {
        if (!u->progress[d].active)
            continue;
        for (const char *s = u->progress[d].line; row < bottom + progress;) {
            size_t n = strcspn(s, "\n");
            char one[sizeof u->progress[d].line];
            snprintf(one, sizeof one, "%.*s", (int)n, s);
            move(row, 0);
            clrtoeol();
            put_text(row, 1, one, UI_FG(2), COLS - 2);
            row++;
            if (!s[n])
                break;
            s += n + 1;
        }
    }
    draw_status(u, LINES - 1);
    if (cur_y >= 0 && cur_x < COLS) {
        curs_set(1);
        move(cur_y, cur_x);
    } else {
        curs_set(0);
    }
    refresh();
    u->redraw = 0;
    u->last_draw = ll_monotonic();
    u->frames++;
    if (u->timing) {
        fprintf(u->timing, "frame %.3f ms\n", (u->last_draw - t0) * 1000.0);
        if (u->key_time > 0)
            fprintf(u->timing, "key %.3f ms\n",
                    (u->last_draw - u->key_time) * 1000.0);
        if (u->frames == 1)
            fprintf(u->timing, "first-screen %.3f ms\n",
                    (u->last_draw - u->start_time) * 1000.0);
        fflush(u->timing);
    }
    u->key_time = 0;
}

void ui_draw_help(ui *u)
{
    ui_styled s;
    ui_styled_init(&s);
    ui_help_text(&s);
    ui_rows rows = {0};
    ui_rows_wrap(&rows, &s, COLS - 2, 0, -1, NULL);
    int avail = LINES - 1;
    if (u->help_top > rows.n - avail)
        u->help_top = rows.n - avail;
    if (u->help_top < 0)
        u->help_top = 0;
    erase();
    for (int y = 0; y < avail && u->help_top + y < rows.n; y++) {
        ui_row *r = &rows.v[u->help_top + y];
        put_styled(y, 1, r->text, r->style, r->len, COLS - 2, 0);
    }
    put_text(LINES - 1, 0, " HELP  j/k/PgUp/PgDn/g/G scroll, q or Esc closes ",
             UI_REV, COLS);
    curs_set(0);
    refresh();
    ui_rows_free(&rows);
    ui_styled_free(&s);
    u->redraw = 0;
}
