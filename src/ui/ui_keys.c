/*
 * ui_keys: key tables and actions.  A binding maps a key (or a two-key
 * sequence such as "d d") in one table ("command", "edit", "running") to
 * an action name; an action is a function with a one-line description.
 * The help screen (?) is generated from these tables, so adding a key is
 * one line here.
 */
#include "config.h"

#include "ui/ui_int.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CTRL(c) ((c)&0x1f)
#define META(k) (0x40000000 | (k))

enum { T_COMMAND, T_EDIT, T_RUNNING };

typedef struct action {
    const char *name;
    void (*fn)(ui *u);
    const char *doc;
} action;

/* ---- command mode actions ---- */

static void go(ui *u, int to)
{
    if (u->nb->ncells == 0)
        return;
    if (to < 0)
        to = 0;
    if (to >= u->nb->ncells)
        to = u->nb->ncells - 1;
    u->cur = to;
}

static void a_down(ui *u)
{
    go(u, u->cur + 1);
}

static void a_up(ui *u)
{
    go(u, u->cur - 1);
}

static void a_first(ui *u)
{
    go(u, 0);
}

static void a_last(ui *u)
{
    go(u, u->nb->ncells - 1);
}

static void a_page_down(ui *u)
{
    go(u, u->last_shown > u->cur ? u->last_shown : u->cur + 1);
}

static void a_page_up(ui *u)
{
    int span = u->last_shown - u->top_cell;
    go(u, u->cur - (span > 1 ? span : 1));
}

static void a_edit(ui *u)
{
    if (u->nb->ncells > 0)
        ui_enter_edit(u);
}

static void insert_at(ui *u, int at)
{
    ll_cell *c = ll_notebook_insert_cell(u->nb, at, LL_CELL_CODE, "", NULL);
    if (!c || ui_view_insert(u, at) != LL_OK) {
        ui_message(u, 1, "out of memory");
        return;
    }
    u->cur = at;
    ui_touch(u);
}

static void a_insert_above(ui *u)
{
    insert_at(u, u->nb->ncells ? u->cur : 0);
}

static void a_insert_below(ui *u)
{
    insert_at(u, u->nb->ncells ? u->cur + 1 : 0);
}

static void a_delete(ui *u)
{
    if (u->nb->ncells == 0)
        return;
    if (u->ndeleted == 16) {
        ll_cell_free(&u->deleted[0]);
        memmove(u->deleted, u->deleted + 1, 15 * sizeof u->deleted[0]);
        memmove(u->deleted_at, u->deleted_at + 1, 15 * sizeof(int));
        u->ndeleted--;
    }
    if (ll_cell_copy(&u->nb->cells[u->cur], &u->deleted[u->ndeleted]) !=
        LL_OK) {
        ui_message(u, 1, "out of memory");
        return;
    }
    u->deleted_at[u->ndeleted++] = u->cur;
    ll_notebook_delete_cell(u->nb, u->cur);
    ui_view_delete(u, u->cur);
    if (u->cur >= u->nb->ncells && u->cur > 0)
        u->cur--;
    ui_touch(u);
    ui_message(u, 0, "cell deleted (z: undo)");
}

/* Insert a copy of `from` at `at` (the copy owns fresh strings). */
static int put_cell(ui *u, int at, const ll_cell *from)
{
    ll_cell copy;
    if (ll_cell_copy(from, &copy) != LL_OK)
        return LL_ENOMEM;
    ll_cell *c = ll_notebook_insert_cell(u->nb, at, from->type, "", NULL);
    if (!c || ui_view_insert(u, at) != LL_OK) {
        ll_cell_free(&copy);
        return LL_ENOMEM;
    }
    ll_cell_free(c);
    *c = copy;
    return LL_OK;
}

static void a_undo_delete(ui *u)
{
    if (u->ndeleted == 0) {
        ui_message(u, 1, "no deleted cell to bring back");
        return;
    }
    int i = --u->ndeleted;
    int at = u->deleted_at[i];
    if (at > u->nb->ncells)
        at = u->nb->ncells;
    if (put_cell(u, at, &u->deleted[i]) != LL_OK)
        ui_message(u, 1, "out of memory");
    ll_cell_free(&u->deleted[i]);
    u->cur = at;
    ui_touch(u);
    ui_message(u, 0, "cell restored");
}

static void a_copy(ui *u)
{
    if (u->nb->ncells == 0)
        return;
    if (u->has_clipboard)
        ll_cell_free(&u->clipboard);
    u->has_clipboard =
        ll_cell_copy(&u->nb->cells[u->cur], &u->clipboard) == LL_OK;
    ui_message(u, 0, "cell copied");
}

static void a_cut(ui *u)
{
    a_copy(u);
    a_delete(u);
    ui_message(u, 0, "cell cut (v: paste)");
}

static void a_paste(ui *u)
{
    if (!u->has_clipboard) {
        ui_message(u, 1, "nothing to paste: copy a cell with c or x");
        return;
    }
    int at = u->nb->ncells ? u->cur + 1 : 0;
    if (put_cell(u, at, &u->clipboard) != LL_OK) {
        ui_message(u, 1, "out of memory");
        return;
    }
    u->cur = at;
    ui_touch(u);
}

static void a_move_down(ui *u)
{
    if (u->cur + 1 >= u->nb->ncells)
        return;
    ll_notebook_move_cell(u->nb, u->cur, u->cur + 1);
    ui_view_move(u, u->cur, u->cur + 1);
    u->cur++;
    ui_touch(u);
}

static void a_move_up(ui *u)
{
    if (u->cur <= 0)
        return;
    ll_notebook_move_cell(u->nb, u->cur, u->cur - 1);
    ui_view_move(u, u->cur, u->cur - 1);
    u->cur--;
    ui_touch(u);
}

static void set_type(ui *u, ll_cell_type t)
{
    if (u->nb->ncells == 0)
        return;
    ll_cell *c = &u->nb->cells[u->cur];
    if (c->type == t)
        return;
    c->type = t;
    if (t != LL_CELL_CODE) {
        ll_cell_clear_outputs(c);
        c->execution_count = 0;
        c->seconds = 0;
        c->stale = 0;
    }
    u->views[u->cur].src_dirty = u->views[u->cur].out_dirty = 1;
    ui_touch(u);
}

static void a_markdown(ui *u)
{
    set_type(u, LL_CELL_MARKDOWN);
}

static void a_code(ui *u)
{
    set_type(u, LL_CELL_CODE);
}

static void a_raw(ui *u)
{
    set_type(u, LL_CELL_RAW);
}

static void a_run(ui *u)
{
    if (u->nb->ncells)
        ui_run_cell(u, u->cur);
}

static void a_run_next(ui *u)
{
    if (u->nb->ncells == 0)
        return;
    if (u->mode == UI_EDIT)
        ui_leave_edit(u);
    ui_run_cell(u, u->cur);
    if (u->cur + 1 >= u->nb->ncells)
        insert_at(u, u->nb->ncells);
    else
        u->cur++;
}

static void a_run_all(ui *u)
{
    ui_run_range(u, 0, u->nb->ncells);
}

static void a_run_above(ui *u)
{
    ui_run_range(u, 0, u->cur);
}

static void a_run_below(ui *u)
{
    ui_run_range(u, u->cur, u->nb->ncells);
}

static void a_interrupt(ui *u)
{
    ui_interrupt(u);
}

static void a_restart(ui *u)
{
    ui_restart_kernel(u);
}

static void a_clear(ui *u)
{
    if (u->nb->ncells == 0)
        return;
    ll_cell *c = &u->nb->cells[u->cur];
    ll_cell_clear_outputs(c);
    c->seconds = 0;
    u->views[u->cur].out_dirty = 1;
    u->views[u->cur].failed = 0;
    if (u->nb->format == LL_NB_IPYNB)
        ui_touch(u);
}

static int contains(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

static int cell_matches(const ll_cell *c, const char *q)
{
    if (contains(c->source, q))
        return 1;
    for (int i = 0; i < c->noutputs; i++)
        if (contains(c->outputs[i].text, q) ||
            contains(c->outputs[i].evalue, q))
            return 1;
    return 0;
}

/* Scroll to the first row of cell i showing the search: a match in a
 * folded part of the output unfolds it first. */
static void focus_match(ui *u, int i)
{
    ui_view *v = &u->views[i];
    ui_layout_cell(u, i);
    int nsrc = v->src.n > 0 ? v->src.n : 1;
    for (int r = 0; r < v->src.n; r++)
        if (contains(v->src.v[r].text, u->search)) {
            u->focus_row = r + 1;
            return;
        }
    if (!v->expanded && v->out_total > v->out.n) {
        v->expanded = 1;
        v->out_dirty = 1;
        ui_layout_cell(u, i);
    }
    for (int r = 0; r < v->out.n; r++)
        if (contains(v->out.v[r].text, u->search)) {
            u->focus_row = nsrc + r + 1;
            return;
        }
}

static void a_search_next(ui *u)
{
    int n = u->nb->ncells;
    if (!u->search[0]) {
        ui_message(u, 1, "no search yet: / to search");
        return;
    }
    u->search_shown = 1;
    for (int k = 1; k <= n; k++) {
        int i = (u->cur + k) % n;
        if (cell_matches(&u->nb->cells[i], u->search)) {
            u->cur = i;
            focus_match(u, i);
            ui_message(u, 0, "/%s: cell %d%s", u->search, i + 1,
                       i <= u->cur && k > n - u->cur - 1 ? " (wrapped)" : "");
            return;
        }
    }
    ui_message(u, 1, "not found: %s", u->search);
}

static void a_search(ui *u)
{
    char q[128];
    if (ui_read_line(u, "/", q, sizeof q) != 0 || !q[0])
        return;
    snprintf(u->search, sizeof u->search, "%s", q);
    a_search_next(u);
}

static void a_save(ui *u)
{
    ui_save(u);
}

static void a_quit(ui *u)
{
    if (u->dirty) {
        int k = ui_ask(u,
                       "Unsaved changes: save before quitting? (y)es (n)o "
                       "(c)ancel",
                       "ync");
        if (k == 'y') {
            if (ui_save(u) != LL_OK)
                return;
        } else if (k == 'n') {
            if (u->autosave_path)
                remove(u->autosave_path);
        } else {
            ui_message(u, 0, "quit cancelled");
            return;
        }
    }
    u->quit = 1;
}

static void a_pager(ui *u)
{
    ui_pager_open(u);
}

static void a_help(ui *u)
{
    u->help_open = 1;
    u->help_top = 0;
}

static void a_fold(ui *u)
{
    if (u->nb->ncells == 0)
        return;
    ui_view *v = &u->views[u->cur];
    v->expanded = !v->expanded;
    v->out_dirty = 1;
    ui_message(u, 0, v->expanded ? "output expanded" : "output folded");
}

static void a_redraw(ui *u)
{
    clearok(curscr, TRUE);
    u->redraw = 1;
}

static void a_escape(ui *u)
{
    u->message[0] = '\0';
    u->search_shown = 0;
}

/* ---- edit mode actions ---- */

static void edited(ui *u)
{
    ui_cell_changed(u, u->cur);
}

static void a_leave(ui *u)
{
    ui_leave_edit(u);
}

static void a_e_left(ui *u)
{
    ui_edit_left(&u->ed);
}

static void a_e_right(ui *u)
{
    ui_edit_right(&u->ed);
}

static void a_e_up(ui *u)
{
    if (!ui_edit_up(&u->ed, 1) && u->cur > 0) {
        ui_leave_edit(u);
        u->cur--;
        ui_enter_edit(u);
    }
}

static void a_e_down(ui *u)
{
    if (!ui_edit_down(&u->ed, 1) && u->cur + 1 < u->nb->ncells) {
        ui_leave_edit(u);
        u->cur++;
        ui_enter_edit(u);
        ui_edit_top(&u->ed);
    }
}

static void a_e_pgup(ui *u)
{
    if (!ui_edit_up(&u->ed, ui_screen_rows() - 2))
        ui_edit_top(&u->ed);
}

static void a_e_pgdn(ui *u)
{
    if (!ui_edit_down(&u->ed, ui_screen_rows() - 2))
        ui_edit_bottom(&u->ed);
}

static void a_e_home(ui *u)
{
    ui_edit_home(&u->ed);
}

static void a_e_line_begin(ui *u)
{
    ui_edit_line_begin(&u->ed);
}

static void a_e_end(ui *u)
{
    ui_edit_end(&u->ed);
}

static void a_e_word_left(ui *u)
{
    ui_edit_word_left(&u->ed);
}

static void a_e_word_right(ui *u)
{
    ui_edit_word_right(&u->ed);
}

static void a_e_backspace(ui *u)
{
    if (ui_edit_backspace(&u->ed))
        edited(u);
}

static void a_e_delete(ui *u)
{
    if (ui_edit_delete(&u->ed))
        edited(u);
}

static void a_e_newline(ui *u)
{
    ui_edit_newline(&u->ed);
    edited(u);
}

static void a_e_tab(ui *u)
{
    ui_edit_tab(&u->ed);
    edited(u);
}

static void a_e_undo(ui *u)
{
    if (ui_edit_undo(&u->ed))
        edited(u);
    else
        ui_message(u, 1, "nothing to undo");
}

static void a_e_redo(ui *u)
{
    if (ui_edit_redo(&u->ed))
        edited(u);
    else
        ui_message(u, 1, "nothing to redo");
}

static void a_e_run(ui *u)
{
    ui_leave_edit(u);
    ui_run_cell(u, u->cur);
}

static const action actions[] = {
    {"next-cell", a_down, "select the next cell"},
    {"previous-cell", a_up, "select the previous cell"},
    {"first-cell", a_first, "select the first cell"},
    {"last-cell", a_last, "select the last cell"},
    {"page-down-cells", a_page_down, "select the cell a screen further down"},
    {"page-up-cells", a_page_up, "select the cell a screen further up"},
    {"edit-cell", a_edit, "edit the selected cell"},
    {"insert-above", a_insert_above, "insert a code cell above"},
    {"insert-below", a_insert_below, "insert a code cell below"},
    {"delete-cell", a_delete, "delete the selected cell"},
    {"undo-delete", a_undo_delete, "bring back the last deleted cell"},
    {"copy-cell", a_copy, "copy the selected cell"},
    {"cut-cell", a_cut, "cut the selected cell"},
    {"paste-cell", a_paste, "paste the copied cell below"},
    {"move-cell-down", a_move_down, "move the cell down"},
    {"move-cell-up", a_move_up, "move the cell up"},
    {"to-markdown", a_markdown, "make the cell a Markdown cell"},
    {"to-code", a_code, "make the cell a code cell"},
    {"to-raw", a_raw, "make the cell a raw cell"},
    {"run-cell", a_run, "run the cell"},
    {"run-and-next", a_run_next, "run the cell and select the next"},
    {"run-all", a_run_all, "run every cell (stops at an error)"},
    {"run-above", a_run_above, "run all cells above this one"},
    {"run-below", a_run_below, "run this cell and all below"},
    {"interrupt", a_interrupt, "interrupt the running cell"},
    {"restart-kernel", a_restart,
     "restart the kernel (outputs kept, marked stale)"},
    {"clear-output", a_clear, "clear the cell's output"},
    {"search", a_search, "search cells and outputs"},
    {"search-next", a_search_next, "next search match"},
    {"save", a_save, "save the notebook"},
    {"quit", a_quit, "quit (asks when there are unsaved changes)"},
    {"help", a_help, "this help"},
    {"toggle-fold", a_fold, "expand or fold a long output"},
    {"page-output", a_pager,
     "read the cell's output full-screen (j/k, space/b, g/G, / n/N, q)"},
    {"redraw", a_redraw, "redraw the screen"},
    {"clear-message", a_escape,
     "clear the status message and the search highlight"},
    {"leave-edit", a_leave, "back to command mode"},
    {"cursor-left", a_e_left, "cursor left"},
    {"cursor-right", a_e_right, "cursor right"},
    {"cursor-up", a_e_up, "cursor up (into the previous cell at the top)"},
    {"cursor-down", a_e_down, "cursor down (into the next cell at the end)"},
    {"page-up", a_e_pgup, "cursor up one screen"},
    {"page-down", a_e_pgdn, "cursor down one screen"},
    {"line-start", a_e_home, "start of the line (first non-blank first)"},
    {"line-begin", a_e_line_begin, "column 0 of the line"},
    {"line-end", a_e_end, "end of the line"},
    {"word-left", a_e_word_left, "previous word"},
    {"word-right", a_e_word_right, "next word"},
    {"backspace", a_e_backspace, "delete the character before the cursor"},
    {"delete-char", a_e_delete, "delete the character under the cursor"},
    {"newline", a_e_newline, "new line, keeping the indentation"},
    {"indent", a_e_tab, "insert spaces to the next tab stop"},
    {"undo", a_e_undo, "undo"},
    {"redo", a_e_redo, "redo"},
    {"run-from-edit", a_e_run, "leave the editor and run the cell"},
    {NULL, NULL, NULL}};

typedef struct binding {
    int table;
    const char *keys; /* "j", "C-e", "d d", "Up" */
    const char *action;
} binding;

static const binding bindings[] = {{T_COMMAND, "Down", "next-cell"},
                                   {T_COMMAND, "j", "next-cell"},
                                   {T_COMMAND, "Up", "previous-cell"},
                                   {T_COMMAND, "k", "previous-cell"},
                                   {T_COMMAND, "g", "first-cell"},
                                   {T_COMMAND, "Home", "first-cell"},
                                   {T_COMMAND, "G", "last-cell"},
                                   {T_COMMAND, "End", "last-cell"},
                                   {T_COMMAND, "PgDn", "page-down-cells"},
                                   {T_COMMAND, "PgUp", "page-up-cells"},
                                   {T_COMMAND, "Enter", "edit-cell"},
                                   {T_COMMAND, "i", "edit-cell"},
                                   {T_COMMAND, "a", "insert-above"},
                                   {T_COMMAND, "b", "insert-below"},
                                   {T_COMMAND, "d d", "delete-cell"},
                                   {T_COMMAND, "z", "undo-delete"},
                                   {T_COMMAND, "c", "copy-cell"},
                                   {T_COMMAND, "x", "cut-cell"},
                                   {T_COMMAND, "v", "paste-cell"},
                                   {T_COMMAND, "J", "move-cell-down"},
                                   {T_COMMAND, "K", "move-cell-up"},
                                   {T_COMMAND, "m", "to-markdown"},
                                   {T_COMMAND, "y", "to-code"},
                                   {T_COMMAND, "r", "to-raw"},
                                   {T_COMMAND, "C-e", "run-cell"},
                                   {T_COMMAND, "S-Enter", "run-cell"},
                                   {T_COMMAND, "C-r", "run-and-next"},
                                   {T_COMMAND, "R", "run-all"},
                                   {T_COMMAND, "A", "run-above"},
                                   {T_COMMAND, "B", "run-below"},
                                   {T_COMMAND, "0 0", "restart-kernel"},
                                   {T_COMMAND, "l", "clear-output"},
                                   {T_COMMAND, "o", "toggle-fold"},
                                   {T_COMMAND, "O", "page-output"},
                                   {T_COMMAND, "/", "search"},
                                   {T_COMMAND, "n", "search-next"},
                                   {T_COMMAND, "C-s", "save"},
                                   {T_COMMAND, "s", "save"},
                                   {T_COMMAND, "q", "quit"},
                                   {T_COMMAND, "?", "help"},
                                   {T_COMMAND, "C-l", "redraw"},
                                   {T_COMMAND, "Esc", "clear-message"},
                                   {T_EDIT, "Esc", "leave-edit"},
                                   {T_EDIT, "Left", "cursor-left"},
                                   {T_EDIT, "Right", "cursor-right"},
                                   {T_EDIT, "Up", "cursor-up"},
                                   {T_EDIT, "Down", "cursor-down"},
                                   {T_EDIT, "PgUp", "page-up"},
                                   {T_EDIT, "PgDn", "page-down"},
                                   {T_EDIT, "Home", "line-start"},
                                   {T_EDIT, "C-a", "line-begin"},
                                   {T_EDIT, "End", "line-end"},
                                   {T_EDIT, "C-Left", "word-left"},
                                   {T_EDIT, "M-b", "word-left"},
                                   {T_EDIT, "C-Right", "word-right"},
                                   {T_EDIT, "M-f", "word-right"},
                                   {T_EDIT, "Backspace", "backspace"},
                                   {T_EDIT, "Delete", "delete-char"},
                                   {T_EDIT, "Enter", "newline"},
                                   {T_EDIT, "Tab", "indent"},
                                   {T_EDIT, "C-z", "undo"},
                                   {T_EDIT, "C-y", "redo"},
                                   {T_EDIT, "C-e", "run-from-edit"},
                                   {T_EDIT, "S-Enter", "run-from-edit"},
                                   {T_EDIT, "C-r", "run-and-next"},
                                   {T_EDIT, "C-s", "save"},
                                   {T_EDIT, "C-l", "redraw"},
                                   {T_RUNNING, "i i", "interrupt"},
                                   {T_RUNNING, "C-c", "interrupt"},
                                   {-1, NULL, NULL}};

static const char *const table_names[] = {"command mode", "edit mode",
                                          "while a cell runs"};

/* ---- key names ---- */

static const struct {
    const char *name;
    int key;
} named[] = {{"Up", UI_KEY_CODE(KEY_UP)},
             {"Down", UI_KEY_CODE(KEY_DOWN)},
             {"Left", UI_KEY_CODE(KEY_LEFT)},
             {"Right", UI_KEY_CODE(KEY_RIGHT)},
             {"Home", UI_KEY_CODE(KEY_HOME)},
             {"End", UI_KEY_CODE(KEY_END)},
             {"PgUp", UI_KEY_CODE(KEY_PPAGE)},
             {"PgDn", UI_KEY_CODE(KEY_NPAGE)},
             {"Delete", UI_KEY_CODE(KEY_DC)},
             {"Backspace", UI_KEY_CODE(KEY_BACKSPACE)},
             /* curses' names, still read */
             {"PPage", UI_KEY_CODE(KEY_PPAGE)},
             {"NPage", UI_KEY_CODE(KEY_NPAGE)},
             {"DC", UI_KEY_CODE(KEY_DC)},
             {"BSpace", UI_KEY_CODE(KEY_BACKSPACE)},
             {"Enter", '\r'},
             {"Tab", '\t'},
             {"Esc", 27},
             {"S-Enter", UI_KEY_SHIFT_ENTER},
             {"C-Left", 0x7fff0002},
             {"C-Right", 0x7fff0003},
             {NULL, 0}};

/* Codes of keys curses reports under different numbers on different
 * terminals, mapped to one name. */
static int ctrl_left_code = -1, ctrl_right_code = -1;

static int parse_key(const char *s, size_t n)
{
    for (int i = 0; named[i].name; i++)
        if (strlen(named[i].name) == n && memcmp(named[i].name, s, n) == 0)
            return named[i].key;
    if (n == 3 && s[0] == 'C' && s[1] == '-')
        return CTRL(s[2]);
    if (n == 3 && s[0] == 'M' && s[1] == '-')
        return META((unsigned char)s[2]);
    return (unsigned char)s[0];
}

/* "d d" -> first = 'd', second = 'd'. */
static void binding_keys(const binding *b, int *first, int *second)
{
    const char *sp = strchr(b->keys, ' ');
    if (sp && sp != b->keys) {
        *first = parse_key(b->keys, (size_t)(sp - b->keys));
        *second = parse_key(sp + 1, strlen(sp + 1));
    } else {
        *first = parse_key(b->keys, strlen(b->keys));
        *second = 0;
    }
}

static const action *find_action(const char *name)
{
    for (int i = 0; actions[i].name; i++)
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    return NULL;
}

void ui_keys_init(void)
{
    /* Shift-Enter where the terminal sends it distinctly (xterm's
     * modifyOtherKeys and the CSI u protocol). */
    define_key("\033[27;2;13~", KEY_MAX + 1);
    define_key("\033[13;2u", KEY_MAX + 1);
    const char *cl = NULL, *cr = NULL;
    cl = tigetstr("kLFT5");
    cr = tigetstr("kRIT5");
    if (cl && cl != (char *)-1)
        ctrl_left_code = key_defined(cl);
    if (cr && cr != (char *)-1)
        ctrl_right_code = key_defined(cr);
}

static int normalise(int key)
{
    if (key == UI_KEY_CODE(KEY_MAX + 1))
        return UI_KEY_SHIFT_ENTER;
    if (ctrl_left_code > 0 && key == UI_KEY_CODE(ctrl_left_code))
        return 0x7fff0002;
    if (ctrl_right_code > 0 && key == UI_KEY_CODE(ctrl_right_code))
        return 0x7fff0003;
    if (key == '\n' || key == UI_KEY_CODE(KEY_ENTER))
        return '\r';
    if (key == 127 || key == CTRL('h'))
        return UI_KEY_CODE(KEY_BACKSPACE);
    return key;
}

const char *ui_key_name(int key, char *buf, size_t n)
{
    for (int i = 0; named[i].name; i++)
        if (named[i].key == key) {
            snprintf(buf, n, "%s", named[i].name);
            return buf;
        }
    if (key & 0x40000000)
        snprintf(buf, n, "M-%c", key & 0x7f);
    else if (key > 0 && key < 32)
        snprintf(buf, n, "C-%c", key + 'a' - 1);
    else if (key < 128)
        snprintf(buf, n, "%c", key);
    else
        snprintf(buf, n, "key %d", key);
    return buf;
}

int ui_key_is_interrupt(int prev, int key)
{
    for (const binding *b = bindings; b->keys; b++) {
        if (b->table != T_RUNNING)
            continue;
        int k1, k2;
        binding_keys(b, &k1, &k2);
        if ((k2 == 0 && k1 == key) || (k2 != 0 && k1 == prev && k2 == key))
            return 1;
    }
    return 0;
}

static void insert_char(ui *u, int key)
{
    char s[4];
    size_t n;
    unsigned c = (unsigned)key;
    if (c < 0x80) {
        s[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        s[0] = (char)(0xc0 | (c >> 6));
        s[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        s[0] = (char)(0xe0 | (c >> 12));
        s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        s[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        s[0] = (char)(0xf0 | (c >> 18));
        s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        s[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        s[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    ui_edit_insert(&u->ed, s, n);
    ui_cell_changed(u, u->cur);
}

int ui_key_dispatch(ui *u, int key)
{
    key = normalise(key);
    u->focus_row = 0; /* a search sets it again */
    int table = u->mode == UI_EDIT ? T_EDIT : T_COMMAND;
    int prev = u->pending_key;
    u->pending_key = 0;
    int is_prefix = 0;
    for (const binding *b = bindings; b->keys; b++) {
        if (b->table != table)
            continue;
        int k1, k2;
        binding_keys(b, &k1, &k2);
        const action *a = NULL;
        if (prev && k2 && k1 == prev && k2 == key)
            a = find_action(b->action);
        else if (!prev && !k2 && k1 == key)
            a = find_action(b->action);
        if (a) {
            a->fn(u);
            return 1;
        }
        if (!prev && k2 && k1 == key)
            is_prefix = 1;
    }
    if (is_prefix) {
        u->pending_key = key;
        return 1;
    }
    if (prev) {
        char b1[32], b2[32];
        ui_message(u, 1, "no key %s %s", ui_key_name(prev, b1, sizeof b1),
                   ui_key_name(key, b2, sizeof b2));
        return 0;
    }
    if (table == T_EDIT && key >= 32 && key < 0x110000 && key != 127) {
        insert_char(u, key);
        return 1;
    }
    if (key == UI_KEY_CODE(KEY_MOUSE)) {
        MEVENT ev;
        if (getmouse(&ev) == OK) {
            if (ev.bstate & BUTTON4_PRESSED)
                u->mode == UI_EDIT ? (void)ui_edit_up(&u->ed, 3)
                                   : go(u, u->cur - 1);
#ifdef BUTTON5_PRESSED
            else if (ev.bstate & BUTTON5_PRESSED)
                u->mode == UI_EDIT ? (void)ui_edit_down(&u->ed, 3)
                                   : go(u, u->cur + 1);
#endif
        }
        return 1;
    }
    char nb[32];
    ui_message(u, 1, "no key %s in %s (? for help)",
               ui_key_name(key, nb, sizeof nb), table_names[table]);
    return 0;
}

int ui_help_text(ui_styled *out)
{
    ui_styled_puts(out, "lualab notebook keys\n", UI_S_HEADING | UI_UNDER);
    for (int t = T_COMMAND; t <= T_RUNNING; t++) {
        ui_styled_puts(out, "\n", 0);
        ui_styled_puts(out, table_names[t], UI_S_HEADING);
        ui_styled_puts(out, "\n", 0);
        /* One line per action: every key bound to it in this table. */
        for (int a = 0; actions[a].name; a++) {
            char keys[96] = "";
            for (const binding *b = bindings; b->keys; b++)
                if (b->table == t && strcmp(b->action, actions[a].name) == 0) {
                    if (keys[0])
                        strncat(keys, ", ", sizeof keys - strlen(keys) - 1);
                    strncat(keys, b->keys, sizeof keys - strlen(keys) - 1);
                }
            if (!keys[0])
                continue;
            char line[256];
            snprintf(line, sizeof line, "  %-18s", keys);
            ui_styled_puts(out, line, UI_BOLD);
            snprintf(line, sizeof line, " %-15s %s\n", actions[a].name,
                     actions[a].doc);
            ui_styled_puts(out, line, 0);
        }
    }
    ui_styled_puts(out,
                   "\nIn edit mode other keys type text.  Ctrl-C also "
                   "interrupts a running cell.  The mouse wheel moves "
                   "between cells (lines when editing).\n",
                   UI_S_DIM);
    return LL_OK;
}
