/*
 * ui_pager: `O` shows the selected cell's whole output full-screen, as
 * less does: j/k (arrows) a row, space/b (PgDn/PgUp) a screen, g/G (Home/
 * End) the ends, / searches (case-insensitive) and n/N go to the next and
 * previous match, q (Esc, O) goes back to the notebook.
 */
#include "config.h"

#include "ui/ui_int.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

static int page_rows(void)
{
    return LINES - 1 > 1 ? LINES - 1 : 1;
}

static void clamp_top(ui_pager *p)
{
    int max = p->rows.n - page_rows();
    if (p->top > max)
        p->top = max;
    if (p->top < 0)
        p->top = 0;
}

/* (Re)wrap the cell's outputs for the screen's width. */
static void layout(ui *u)
{
    ui_pager *p = &u->pager;
    int width = COLS - 1 > 10 ? COLS - 1 : 10;
    if (p->width == width && p->rows.n > 0)
        return;
    ui_rows_reset(&p->rows);
    ui_styled s;
    ui_styled_init(&s);
    if (p->cell >= 0 && p->cell < u->nb->ncells)
        ui_cell_output_styled(&s, &u->nb->cells[p->cell]);
    if (s.text.len == 0)
        ui_styled_puts(&s, "(no output)", UI_S_DIM);
    ui_rows_wrap(&p->rows, &s, width, 0, -1, NULL);
    ui_styled_free(&s);
    p->width = width;
}

void ui_pager_open(ui *u)
{
    if (u->nb->ncells == 0)
        return;
    ui_pager_close(u);
    u->pager.open = 1;
    u->pager.cell = u->cur;
    u->pager.top = 0;
    u->pager.width = 0;
    u->pager.match = -1;
    if (u->search_shown && u->search[0])
        snprintf(u->pager.search, sizeof u->pager.search, "%s", u->search);
    else
        u->pager.search[0] = '\0';
    u->redraw = 1;
}

void ui_pager_close(ui *u)
{
    ui_rows_free(&u->pager.rows);
    memset(&u->pager.rows, 0, sizeof u->pager.rows);
    u->pager.open = 0;
    u->redraw = 1;
}

/* Go to the next (dir 1) or previous (dir -1) row holding the search,
 * from the row after (before) the current match or the top. */
static void find(ui *u, int dir)
{
    ui_pager *p = &u->pager;
    if (!p->search[0]) {
        ui_message(u, 1, "no search yet: / to search");
        return;
    }
    int n = p->rows.n;
    int from = p->match >= 0 ? p->match : p->top - (dir > 0 ? 1 : 0);
    for (int k = 1; k <= n; k++) {
        int r = ((from + dir * k) % n + n) % n;
        if (p->rows.v[r].text && strcasestr(p->rows.v[r].text, p->search)) {
            p->match = r;
            if (r < p->top || r >= p->top + page_rows())
                p->top = r - page_rows() / 3;
            clamp_top(p);
            ui_message(u, 0, "/%s: row %d of %d", p->search, r + 1, n);
            return;
        }
    }
    p->match = -1;
    ui_message(u, 1, "not found: %s", p->search);
}

int ui_pager_key(ui *u, int key)
{
    ui_pager *p = &u->pager;
    if (!p->open)
        return 0;
    layout(u);
    int page = page_rows();
    if (key == 'q' || key == 27 || key == 'O') {
        ui_pager_close(u);
        u->message[0] = '\0';
        return 1;
    } else if (key == 'j' || key == UI_KEY_CODE(KEY_DOWN) || key == '\r') {
        p->top++;
    } else if (key == 'k' || key == UI_KEY_CODE(KEY_UP)) {
        p->top--;
    } else if (key == ' ' || key == 'f' || key == UI_KEY_CODE(KEY_NPAGE)) {
        p->top += page;
    } else if (key == 'b' || key == UI_KEY_CODE(KEY_PPAGE)) {
        p->top -= page;
    } else if (key == 'g' || key == UI_KEY_CODE(KEY_HOME)) {
        p->top = 0;
    } else if (key == 'G' || key == UI_KEY_CODE(KEY_END)) {
        p->top = p->rows.n;
    } else if (key == '/') {
        char q[128];
        if (ui_read_line(u, "/", q, sizeof q) == 0 && q[0]) {
            snprintf(p->search, sizeof p->search, "%s", q);
            p->match = -1;
            find(u, 1);
        }
    } else if (key == 'n') {
        find(u, 1);
    } else if (key == 'N') {
        find(u, -1);
    }
    clamp_top(p);
    u->redraw = 1;
    return 1;
}

void ui_pager_draw(ui *u)
{
    ui_pager *p = &u->pager;
    layout(u);
    clamp_top(p);
    erase();
    int page = page_rows();
    size_t qn = strlen(p->search);
    for (int y = 0; y < page && p->top + y < p->rows.n; y++) {
        const ui_row *r = &p->rows.v[p->top + y];
        if (!qn || !strcasestr(r->text, p->search)) {
            ui_put_styled(y, 0, r->text, r->style, r->len, COLS - 1);
            continue;
        }
        uint32_t *st = malloc(((size_t)r->len + 1) * sizeof *st);
        if (!st)
            continue;
        memcpy(st, r->style, (size_t)r->len * sizeof *st);
        for (const char *h = strcasestr(r->text, p->search); h;
             h = strcasestr(h + qn, p->search))
            for (size_t k = 0; k < qn; k++)
                st[h - r->text + (ptrdiff_t)k] |= UI_REV;
        ui_put_styled(y, 0, r->text, st, r->len, COLS - 1);
        free(st);
    }
    char bar[300];
    int last = p->top + page < p->rows.n ? p->top + page : p->rows.n;
    if (u->message[0])
        snprintf(bar, sizeof bar, " %s ", u->message);
    else
        snprintf(bar, sizeof bar,
                 " OUTPUT of cell %d  rows %d-%d of %d  j/k space/b g/G "
                 "/ n/N  q back ",
                 p->cell + 1, p->rows.n ? p->top + 1 : 0, last, p->rows.n);
    move(LINES - 1, 0);
    clrtoeol();
    ui_put_text(LINES - 1, 0, bar, UI_REV, COLS);
    curs_set(0);
    refresh();
    u->redraw = 0;
}
