/*
 * ui_markdown: Markdown cells as styled text for the terminal.  Headings,
 * emphasis, inline code, lists, block quotes, fenced code (Lua coloured),
 * tables (aligned columns) and rules; links show their text (and the
 * target in a dimmer style).  It is a reader's rendering, not a full
 * CommonMark parser: what it does not know is shown as written.
 */
#include "config.h"

#include "ui/ui_int.h"

#include <stdlib.h>
#include <string.h>

static int add(ui_styled *o, const char *s, size_t n, uint32_t st)
{
    return ui_styled_add(o, s, n, st);
}

/* Inline markup of one line (or joined paragraph) into o. */
static void inline_md(ui_styled *o, const char *s, size_t n, uint32_t base)
{
    size_t i = 0;
    uint32_t st = base;
    while (i < n) {
        char c = s[i];
        if (c == '\\' && i + 1 < n && strchr("\\`*_[]()#+-.!|", s[i + 1])) {
            add(o, s + i + 1, 1, st);
            i += 2;
            continue;
        }
        if (c == '`') {
            size_t j = i + 1;
            while (j < n && s[j] != '`')
                j++;
            if (j < n) {
                add(o, s + i + 1, j - i - 1, UI_S_CODE);
                i = j + 1;
                continue;
            }
        }
        if ((c == '*' || c == '_') && i + 1 < n && s[i + 1] == c) {
            st ^= UI_BOLD;
            i += 2;
            continue;
        }
        if (c == '*' ||
            (c == '_' && (i == 0 || s[i - 1] == ' ' || (st & UI_ITALIC)))) {
            /* only when a closing mark follows */
            if ((st & UI_ITALIC) || memchr(s + i + 1, c, n - i - 1)) {
                st ^= UI_ITALIC;
                i++;
                continue;
            }
        }
        if (c == '!' && i + 1 < n && s[i + 1] == '[') {
            const char *close = memchr(s + i + 2, ']', n - i - 2);
            if (close && (size_t)(close - s) + 1 < n && close[1] == '(') {
                const char *end = memchr(close, ')', n - (size_t)(close - s));
                if (end) {
                    add(o, "[image: ", 8, UI_S_DIM);
                    add(o, s + i + 2, (size_t)(close - s) - i - 2, UI_S_DIM);
                    add(o, "]", 1, UI_S_DIM);
                    i = (size_t)(end - s) + 1;
                    continue;
                }
            }
        }
        if (c == '[') {
            const char *close = memchr(s + i + 1, ']', n - i - 1);
            if (close && (size_t)(close - s) + 1 < n && close[1] == '(') {
                const char *end = memchr(close, ')', n - (size_t)(close - s));
                if (end) {
                    inline_md(o, s + i + 1, (size_t)(close - s) - i - 1,
                              UI_S_LINK);
                    add(o, " (", 2, UI_S_DIM);
                    add(o, close + 2, (size_t)(end - close) - 2, UI_S_DIM);
                    add(o, ")", 1, UI_S_DIM);
                    i = (size_t)(end - s) + 1;
                    continue;
                }
            }
        }
        if (c == '<' && i + 8 < n && (strncmp(s + i + 1, "http", 4) == 0)) {
            const char *end = memchr(s + i, '>', n - i);
            if (end) {
                add(o, s + i + 1, (size_t)(end - s) - i - 1, UI_S_LINK);
                i = (size_t)(end - s) + 1;
                continue;
            }
        }
        add(o, s + i, 1, st);
        i++;
    }
}

static size_t skip_spaces(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

/* A list marker at s: returns its length (with the space) or 0. */
static size_t list_marker(const char *s, size_t n, int *ordered)
{
    *ordered = 0;
    if (n >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ')
        return 2;
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i > 0 && i + 1 < n && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ') {
        *ordered = 1;
        return i + 2;
    }
    return 0;
}

static int is_rule(const char *s, size_t n)
{
    int count = 0;
    char mark = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ')
            continue;
        if (s[i] != '-' && s[i] != '*' && s[i] != '_')
            return 0;
        if (mark && s[i] != mark)
            return 0;
        mark = s[i];
        count++;
    }
    return count >= 3;
}

static int is_table_sep(const char *s, size_t n)
{
    int dashes = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-')
            dashes++;
        else if (s[i] != '|' && s[i] != ':' && s[i] != ' ')
            return 0;
    }
    return dashes >= 3;
}

typedef struct line {
    const char *s;
    size_t n;
} line;

/* Split a table row into cells (without the outer pipes). */
static int table_cells(line l, line *cells, int max)
{
    const char *s = l.s;
    size_t n = l.n;
    size_t i = skip_spaces(s, n);
    if (i < n && s[i] == '|')
        i++;
    while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    if (n > i && s[n - 1] == '|')
        n--;
    int k = 0;
    size_t start = i;
    for (; i <= n && k < max; i++) {
        if (i == n || (s[i] == '|' && s[i - 1] != '\\')) {
            size_t a = start, b = i;
            while (a < b && s[a] == ' ')
                a++;
            while (b > a && s[b - 1] == ' ')
                b--;
            cells[k].s = s + a;
            cells[k].n = b - a;
            k++;
            start = i + 1;
        }
    }
    return k;
}

#define MAX_COLS 32

static void render_table(ui_styled *o, const line *rows, int nrows)
{
    int widths[MAX_COLS] = {0};
    int ncols = 0;
    line cells[MAX_COLS];
    ui_styled cell;
    ui_styled_init(&cell);
    for (int r = 0; r < nrows; r++) {
        if (r == 1 && is_table_sep(rows[r].s, rows[r].n))
            continue;
        int k = table_cells(rows[r], cells, MAX_COLS);
        if (k > ncols)
            ncols = k;
        for (int c = 0; c < k; c++) {
            ui_styled_reset(&cell);
            inline_md(&cell, cells[c].s, cells[c].n, 0);
            int w = ui_text_width(cell.text.data ? cell.text.data : "",
                                  cell.text.len);
            if (w > widths[c])
                widths[c] = w;
        }
    }
    for (int r = 0; r < nrows; r++) {
        if (r == 1 && is_table_sep(rows[r].s, rows[r].n)) {
            for (int c = 0; c < ncols; c++) {
                if (c > 0)
                    add(o, "-+-", 3, UI_S_DIM);
                for (int x = 0; x < widths[c]; x++)
                    add(o, "-", 1, UI_S_DIM);
            }
            add(o, "\n", 1, 0);
            continue;
        }
        int k = table_cells(rows[r], cells, MAX_COLS);
        for (int c = 0; c < ncols; c++) {
            if (c > 0)
                add(o, " | ", 3, UI_S_DIM);
            ui_styled_reset(&cell);
            if (c < k)
                inline_md(&cell, cells[c].s, cells[c].n, r == 0 ? UI_BOLD : 0);
            int w = ui_text_width(cell.text.data ? cell.text.data : "",
                                  cell.text.len);
            size_t at = o->text.len;
            add(o, cell.text.data ? cell.text.data : "", cell.text.len, 0);
            if (cell.text.len)
                memcpy(o->style + at, cell.style,
                       cell.text.len * sizeof *cell.style);
            for (int x = w; x < widths[c]; x++)
                add(o, " ", 1, 0);
        }
        add(o, "\n", 1, 0);
    }
    ui_styled_free(&cell);
}

int ui_markdown_render(ui_styled *out, const char *src, size_t len, int width)
{
    /* Split into lines first. */
    int nlines = 1;
    for (size_t i = 0; i < len; i++)
        nlines += src[i] == '\n';
    line *ls = malloc((size_t)nlines * sizeof *ls);
    if (!ls)
        return LL_ENOMEM;
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || src[i] == '\n') {
            size_t e = i;
            if (e > start && src[e - 1] == '\r')
                e--;
            ls[k].s = src + start;
            ls[k].n = e - start;
            k++;
            start = i + 1;
        }
    size_t begin = out->text.len;
    ll_buf para;
    ll_buf_init(&para);
    for (int i = 0; i < k; i++) {
        const char *s = ls[i].s;
        size_t n = ls[i].n;
        size_t ind = skip_spaces(s, n);
        const char *t = s + ind;
        size_t tn = n - ind;
        int ordered;
        size_t lm;
        if (tn >= 3 &&
            (strncmp(t, "```", 3) == 0 || strncmp(t, "~~~", 3) == 0)) {
            char fence = t[0];
            int lua = tn == 3 || (tn >= 6 && strncmp(t + 3, "lua", 3) == 0);
            int j = i + 1;
            while (j < k && !(ls[j].n >= 3 &&
                              ls[j].s[skip_spaces(ls[j].s, ls[j].n)] == fence &&
                              strncmp(ls[j].s + skip_spaces(ls[j].s, ls[j].n),
                                      t, 3) == 0))
                j++;
            for (int r = i + 1; r < j; r++) {
                add(out, "  ", 2, 0);
                if (lua)
                    ui_highlight_lua(out, ls[r].s, ls[r].n);
                else
                    add(out, ls[r].s, ls[r].n, UI_S_CODE);
                add(out, "\n", 1, 0);
            }
            i = j;
            continue;
        }
        if (tn > 0 && t[0] == '#') {
            size_t h = 0;
            while (h < tn && t[h] == '#')
                h++;
            if (h <= 6 && (h == tn || t[h] == ' ')) {
                size_t a = h + skip_spaces(t + h, tn - h);
                size_t e = tn;
                while (e > a && (t[e - 1] == '#' || t[e - 1] == ' '))
                    e--;
                uint32_t st = UI_S_HEADING | (h == 1 ? UI_UNDER : 0);
                inline_md(out, t + a, e - a, st);
                add(out, "\n", 1, 0);
                continue;
            }
        }
        if (tn > 0 && t[0] == '|') {
            int j = i;
            while (j < k && ls[j].n > 0 &&
                   ls[j].s[skip_spaces(ls[j].s, ls[j].n)] == '|')
                j++;
            render_table(out, ls + i, j - i);
            i = j - 1;
            continue;
        }
        if (is_rule(t, tn) && tn > 0) {
            int w = width > 40 ? 40 : width;
            for (int x = 0; x < w; x++)
                add(out, "\xe2\x94\x80", 3, UI_S_DIM);
            add(out, "\n", 1, 0);
            continue;
        }
        if (tn > 0 && t[0] == '>') {
            size_t a = 1 + (tn > 1 && t[1] == ' ');
            add(out, "\xe2\x94\x82 ", 4, UI_S_QUOTE);
            inline_md(out, t + a, tn - a, UI_S_QUOTE);
            add(out, "\n", 1, 0);
            continue;
        }
        if ((lm = list_marker(t, tn, &ordered)) > 0) {
            for (size_t x = 0; x < ind; x++)
                add(out, " ", 1, 0);
            if (ordered)
                add(out, t, lm, UI_BOLD);
            else
                add(out, "\xe2\x80\xa2 ", 4, UI_BOLD);
            /* The item's continuation lines join it, as a paragraph's do. */
            ll_buf_reset(&para);
            ll_buf_append(&para, t + lm, tn - lm);
            while (i + 1 < k) {
                const char *ns = ls[i + 1].s;
                size_t nn = ls[i + 1].n;
                size_t ni = skip_spaces(ns, nn);
                int o2;
                if (nn - ni == 0 || ns[ni] == '#' || ns[ni] == '>' ||
                    ns[ni] == '|' || strncmp(ns + ni, "```", 3) == 0 ||
                    list_marker(ns + ni, nn - ni, &o2) ||
                    is_rule(ns + ni, nn - ni))
                    break;
                ll_buf_putc(&para, ' ');
                ll_buf_append(&para, ns + ni, nn - ni);
                i++;
            }
            inline_md(out, para.data, para.len, 0);
            add(out, "\n", 1, 0);
            continue;
        }
        if (tn == 0) {
            add(out, "\n", 1, 0);
            continue;
        }
        /* A paragraph: join lines up to a blank line or another block. */
        ll_buf_reset(&para);
        ll_buf_append(&para, t, tn);
        while (i + 1 < k) {
            const char *ns = ls[i + 1].s;
            size_t nn = ls[i + 1].n;
            size_t ni = skip_spaces(ns, nn);
            int o2;
            if (nn - ni == 0 || ns[ni] == '#' || ns[ni] == '>' ||
                ns[ni] == '|' || strncmp(ns + ni, "```", 3) == 0 ||
                list_marker(ns + ni, nn - ni, &o2) || is_rule(ns + ni, nn - ni))
                break;
            ll_buf_putc(&para, ' ');
            ll_buf_append(&para, ns + ni, nn - ni);
            i++;
        }
        inline_md(out, para.data, para.len, 0);
        add(out, "\n", 1, 0);
    }
    ll_buf_free(&para);
    free(ls);
    /* No trailing blank rows. */
    while (out->text.len > begin && out->text.data[out->text.len - 1] == '\n')
        out->text.len--;
    if (out->text.data)
        out->text.data[out->text.len] = '\0';
    return LL_OK;
}
