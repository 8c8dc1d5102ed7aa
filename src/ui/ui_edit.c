/*
 * ui_edit: the multi-line cell editor.  The text is one UTF-8 buffer and
 * the cursor a byte offset that always sits on a character boundary.
 * Undo keeps whole snapshots (cells are small): typing within a word is
 * one step, a space, newline, deletion or a pause starts a new one.
 */
#include "config.h"

#include "ui/ui_int.h"
#include "util/signals.h"

#include <stdlib.h>
#include <string.h>

#define UNDO_MAX 200

enum { EDIT_NONE, EDIT_TYPE, EDIT_SPACE, EDIT_DELETE, EDIT_OTHER };

static int is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

static size_t prev_char(const ui_editor *e, size_t at)
{
    if (at == 0)
        return 0;
    at--;
    while (at > 0 && is_cont((unsigned char)e->text.data[at]))
        at--;
    return at;
}

static size_t next_char(const ui_editor *e, size_t at)
{
    if (at >= e->text.len)
        return e->text.len;
    at++;
    while (at < e->text.len && is_cont((unsigned char)e->text.data[at]))
        at++;
    return at;
}

static size_t line_start(const ui_editor *e, size_t at)
{
    while (at > 0 && e->text.data[at - 1] != '\n')
        at--;
    return at;
}

static size_t line_end(const ui_editor *e, size_t at)
{
    while (at < e->text.len && e->text.data[at] != '\n')
        at++;
    return at;
}

static void snaps_clear(ui_snap *v, int *n)
{
    for (int i = 0; i < *n; i++)
        free(v[i].text);
    *n = 0;
}

static int snap_push(ui_snap **v, int *n, int *cap, const ui_editor *e)
{
    if (*n == UNDO_MAX) {
        free((*v)[0].text);
        memmove(*v, *v + 1, (size_t)(*n - 1) * sizeof **v);
        (*n)--;
    }
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        ui_snap *nv = realloc(*v, (size_t)nc * sizeof *nv);
        if (!nv)
            return LL_ENOMEM;
        *v = nv;
        *cap = nc;
    }
    char *t = malloc(e->text.len + 1);
    if (!t)
        return LL_ENOMEM;
    memcpy(t, e->text.data ? e->text.data : "", e->text.len);
    t[e->text.len] = '\0';
    (*v)[*n].text = t;
    (*v)[*n].cur = e->cur;
    (*n)++;
    return LL_OK;
}

/* Record the state before an edit of `kind`, unless it continues the
 * previous step. */
static void before_edit(ui_editor *e, int kind)
{
    double now = ll_monotonic();
    int coalesce = kind == e->last_kind &&
                   (kind == EDIT_TYPE || kind == EDIT_DELETE) &&
                   now - e->last_time < 1.0;
    if (!coalesce)
        snap_push(&e->undo, &e->nundo, &e->capundo, e);
    snaps_clear(e->redo, &e->nredo);
    e->last_kind = kind;
    e->last_time = now;
    e->goal_col = -1;
}

void ui_edit_init(ui_editor *e, const char *text)
{
    memset(e, 0, sizeof *e);
    ll_buf_init(&e->text);
    ll_buf_reserve(&e->text, 64);
    ll_buf_puts(&e->text, text ? text : "");
    e->cur = e->text.len;
    e->goal_col = -1;
}

void ui_edit_free(ui_editor *e)
{
    ll_buf_free(&e->text);
    snaps_clear(e->undo, &e->nundo);
    snaps_clear(e->redo, &e->nredo);
    free(e->undo);
    free(e->redo);
    memset(e, 0, sizeof *e);
}

static int splice(ui_editor *e, size_t at, size_t del, const char *s, size_t n)
{
    if (ll_buf_reserve(&e->text, n) != LL_OK)
        return LL_ENOMEM;
    char *d = e->text.data;
    memmove(d + at + n, d + at + del, e->text.len - at - del + 1);
    memcpy(d + at, s, n);
    e->text.len = e->text.len - del + n;
    return LL_OK;
}

int ui_edit_insert(ui_editor *e, const char *s, size_t n)
{
    if (n == 0)
        return LL_OK;
    before_edit(e, (n == 1 && (s[0] == ' ' || s[0] == '\n')) ? EDIT_SPACE
                                                             : EDIT_TYPE);
    if (splice(e, e->cur, 0, s, n) != LL_OK)
        return LL_ENOMEM;
    e->cur += n;
    return LL_OK;
}

/* Lines ending so that the next one is a block body get one more level. */
static int opens_block(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    static const char *const words[] = {"then", "do", "else", "repeat", NULL};
    for (int i = 0; words[i]; i++) {
        size_t w = strlen(words[i]);
        if (n >= w && memcmp(s + n - w, words[i], w) == 0 &&
            (n == w || s[n - w - 1] == ' ' || s[n - w - 1] == ')' ||
             s[n - w - 1] == '\t'))
            return 1;
    }
    if (n > 0 && (s[n - 1] == '{' || s[n - 1] == '(' || s[n - 1] == '['))
        return 1;
    /* "function f(...)" or "= function(a, b)" */
    if (n > 0 && s[n - 1] == ')') {
        for (size_t i = 0; i + 8 <= n; i++)
            if (memcmp(s + i, "function", 8) == 0)
                return 1;
    }
    return 0;
}

int ui_edit_newline(ui_editor *e)
{
    size_t ls = line_start(e, e->cur);
    size_t ind = ls;
    while (ind < e->cur &&
           (e->text.data[ind] == ' ' || e->text.data[ind] == '\t'))
        ind++;
    char pad[256];
    size_t n = 0;
    pad[n++] = '\n';
    for (size_t i = ls; i < ind && n < sizeof pad - 8; i++)
        pad[n++] = e->text.data[i];
    if (opens_block(e->text.data + ls, e->cur - ls))
        for (int i = 0; i < 4; i++)
            pad[n++] = ' ';
    before_edit(e, EDIT_SPACE);
    if (splice(e, e->cur, 0, pad, n) != LL_OK)
        return LL_ENOMEM;
    e->cur += n;
    return LL_OK;
}

int ui_edit_tab(ui_editor *e)
{
    size_t ls = line_start(e, e->cur);
    int col = ui_text_width(e->text.data + ls, e->cur - ls);
    int n = 4 - col % 4;
    return ui_edit_insert(e, "    ", (size_t)n);
}

int ui_edit_backspace(ui_editor *e)
{
    if (e->cur == 0)
        return 0;
    size_t p = prev_char(e, e->cur);
    before_edit(e, EDIT_DELETE);
    splice(e, p, e->cur - p, "", 0);
    e->cur = p;
    return 1;
}

int ui_edit_delete(ui_editor *e)
{
    if (e->cur >= e->text.len)
        return 0;
    size_t q = next_char(e, e->cur);
    before_edit(e, EDIT_DELETE);
    splice(e, e->cur, q - e->cur, "", 0);
    return 1;
}

void ui_edit_left(ui_editor *e)
{
    e->cur = prev_char(e, e->cur);
    e->goal_col = -1;
}

void ui_edit_right(ui_editor *e)
{
    e->cur = next_char(e, e->cur);
    e->goal_col = -1;
}

/* The byte offset in [ls, le) at display column col (or the line end). */
static size_t offset_at_col(const ui_editor *e, size_t ls, size_t le, int col)
{
    size_t at = ls;
    int c = 0;
    while (at < le) {
        int clen;
        int w = ui_char_width(e->text.data + at, le - at, &clen);
        if (c + w > col)
            break;
        c += w;
        at += (size_t)clen;
    }
    return at;
}

static int vertical(ui_editor *e, int lines)
{
    size_t ls = line_start(e, e->cur);
    if (e->goal_col < 0)
        e->goal_col = ui_text_width(e->text.data + ls, e->cur - ls);
    int moved = 0;
    while (lines < 0) {
        if (ls == 0)
            break;
        ls = line_start(e, ls - 1);
        lines++;
        moved = 1;
    }
    while (lines > 0) {
        size_t le = line_end(e, ls);
        if (le >= e->text.len)
            break;
        ls = le + 1;
        lines--;
        moved = 1;
    }
    if (moved)
        e->cur = offset_at_col(e, ls, line_end(e, ls), e->goal_col);
    return moved;
}

int ui_edit_up(ui_editor *e, int lines)
{
    int goal = e->goal_col;
    int r = vertical(e, -lines);
    if (!r)
        e->goal_col = goal;
    return r;
}

int ui_edit_down(ui_editor *e, int lines)
{
    int goal = e->goal_col;
    int r = vertical(e, lines);
    if (!r)
        e->goal_col = goal;
    return r;
}

void ui_edit_home(ui_editor *e)
{
    size_t ls = line_start(e, e->cur);
    size_t ind = ls;
    while (ind < e->text.len &&
           (e->text.data[ind] == ' ' || e->text.data[ind] == '\t'))
        ind++;
    /* Home goes to the first non-blank, then to the line start. */
    e->cur = e->cur == ind ? ls : ind;
    e->goal_col = -1;
}

void ui_edit_line_begin(ui_editor *e)
{
    e->cur = line_start(e, e->cur);
    e->goal_col = -1;
}

void ui_edit_end(ui_editor *e)
{
    e->cur = line_end(e, e->cur);
    e->goal_col = -1;
}

static int word_byte(unsigned char c)
{
    return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') ||
           ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

void ui_edit_word_left(ui_editor *e)
{
    const unsigned char *d = (const unsigned char *)e->text.data;
    size_t at = e->cur;
    while (at > 0 && !word_byte(d[at - 1]))
        at--;
    while (at > 0 && word_byte(d[at - 1]))
        at--;
    while (at > 0 && at < e->text.len && is_cont(d[at]))
        at--;
    e->cur = at;
    e->goal_col = -1;
}

void ui_edit_word_right(ui_editor *e)
{
    const unsigned char *d = (const unsigned char *)e->text.data;
    size_t at = e->cur;
    while (at < e->text.len && word_byte(d[at]))
        at++;
    while (at < e->text.len && !word_byte(d[at]))
        at++;
    e->cur = at;
    e->goal_col = -1;
}

void ui_edit_top(ui_editor *e)
{
    e->cur = 0;
    e->goal_col = -1;
}

void ui_edit_bottom(ui_editor *e)
{
    e->cur = e->text.len;
    e->goal_col = -1;
}

static int restore(ui_editor *e, ui_snap *from, int *nfrom, ui_snap **to,
                   int *nto, int *capto)
{
    if (*nfrom == 0)
        return 0;
    if (snap_push(to, nto, capto, e) != LL_OK)
        return 0;
    ui_snap *s = &from[--(*nfrom)];
    ll_buf_reset(&e->text);
    ll_buf_puts(&e->text, s->text);
    e->cur = s->cur <= e->text.len ? s->cur : e->text.len;
    free(s->text);
    e->last_kind = EDIT_NONE;
    e->goal_col = -1;
    return 1;
}

int ui_edit_undo(ui_editor *e)
{
    return restore(e, e->undo, &e->nundo, &e->redo, &e->nredo, &e->capredo);
}

int ui_edit_redo(ui_editor *e)
{
    return restore(e, e->redo, &e->nredo, &e->undo, &e->nundo, &e->capundo);
}

void ui_edit_cursor_pos(const ui_editor *e, int *line, int *col_byte)
{
    int l = 0;
    size_t ls = 0;
    for (size_t i = 0; i < e->cur; i++)
        if (e->text.data[i] == '\n') {
            l++;
            ls = i + 1;
        }
    *line = l;
    *col_byte = (int)(e->cur - ls);
}
