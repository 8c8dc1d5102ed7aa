/*
 * ui_int: what the curses notebook's files share.  Nothing outside src/ui
 * includes this; the one public entry point is ll_ui_main (frontends.h).
 *
 * Shape (after tmux): state changes only mark what is dirty; one place
 * (ui_draw) redraws, once per pass of the main loop or at most ~10 times a
 * second while a cell runs.  Keys map to action names through key tables;
 * actions are plain functions.
 *
 * Text that reaches the screen is first turned into "styled text" (UTF-8
 * bytes with one style word per byte) and then cut into screen rows.
 * Every cell keeps its rows cached in a ui_view, rebuilt only when its
 * source, outputs or the width change, so a keystroke re-lays one cell.
 */
#ifndef LL_UI_INT_H
#define LL_UI_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host/host.h"
#include "notebook/exec.h"
#include "util/buf.h"

/* ---- styles: fg/bg colour (0 = terminal default, else colour + 1) and
 * flags, packed in one word; ui_draw maps them to curses pairs. */
#define UI_FG(c) ((uint32_t)((c) + 1) & 0x1ffu)
#define UI_BG(c) (((uint32_t)((c) + 1) & 0x1ffu) << 9)
#define UI_FG_OF(s) ((int)((s)&0x1ffu) - 1)
#define UI_BG_OF(s) ((int)(((s) >> 9) & 0x1ffu) - 1)
#define UI_BOLD (1u << 18)
#define UI_ITALIC (1u << 19)
#define UI_UNDER (1u << 20)
#define UI_REV (1u << 21)
#define UI_DIM (1u << 22)

/* Named styles of the screen. */
#define UI_S_PLAIN 0u
#define UI_S_KEYWORD (UI_FG(5) | UI_BOLD)
#define UI_S_STRING UI_FG(2)
#define UI_S_NUMBER UI_FG(6)
#define UI_S_COMMENT (UI_FG(4) | UI_DIM)
#define UI_S_ERROR UI_FG(1)
#define UI_S_STDERR UI_FG(3)
#define UI_S_DIM UI_DIM
#define UI_S_STALE (UI_FG(3) | UI_BOLD)
#define UI_S_HEADING (UI_FG(4) | UI_BOLD)
#define UI_S_CODE UI_FG(6)
#define UI_S_QUOTE (UI_FG(2) | UI_ITALIC)
#define UI_S_LINK (UI_FG(4) | UI_UNDER)
#define UI_S_BAR (UI_REV)
#define UI_S_MATCH (UI_REV | UI_FG(3))

/* UTF-8 text with one style per byte. */
typedef struct ui_styled {
    ll_buf text;
    uint32_t *style;
    size_t cap;
} ui_styled;

void ui_styled_init(ui_styled *s);
void ui_styled_free(ui_styled *s);
void ui_styled_reset(ui_styled *s);
int ui_styled_add(ui_styled *s, const char *text, size_t len, uint32_t style);
int ui_styled_puts(ui_styled *s, const char *text, uint32_t style);

/* One screen row of a cell. */
typedef struct ui_row {
    char *text; /* UTF-8, no newline */
    uint32_t *style;
    int len;
    int line;  /* source line (0-based) for source rows, else -1 */
    int start; /* byte offset of the row in that source line */
} ui_row;

typedef struct ui_rows {
    ui_row *v;
    int n, cap;
} ui_rows;

void ui_rows_free(ui_rows *r);
void ui_rows_reset(ui_rows *r);
/* Cut styled text into rows at most `width` columns wide, one logical
 * line per '\n'; tabs become spaces, control bytes and bad UTF-8 '?'.
 * Source rows record their line and offset (number_lines != 0).  At most
 * max_rows rows are added (< 0: no limit); returns the number of logical
 * lines seen or a negative LL_E* code. */
int ui_rows_wrap(ui_rows *r, const ui_styled *s, int width, int number_lines,
                 int max_rows, int *total_rows);

/* Display width of one UTF-8 character at s (len bytes available); sets
 * *clen to its byte length.  Bad bytes count as one column. */
int ui_char_width(const char *s, size_t len, int *clen);
int ui_text_width(const char *s, size_t len);

/* ---- the editor (ui_edit.c) ---- */
typedef struct ui_snap {
    char *text;
    size_t cur;
} ui_snap;

typedef struct ui_editor {
    ll_buf text;
    size_t cur;    /* byte offset of the cursor */
    int goal_col;  /* wanted display column for up/down, -1: none */
    ui_snap *undo; /* older states, the last is the most recent */
    int nundo, capundo;
    ui_snap *redo;
    int nredo, capredo;
    int last_kind; /* coalesces typing into one undo step */
    double last_time;
} ui_editor;

void ui_edit_init(ui_editor *e, const char *text);
void ui_edit_free(ui_editor *e);
int ui_edit_insert(ui_editor *e, const char *s, size_t n);
int ui_edit_newline(ui_editor *e); /* with auto-indent */
int ui_edit_tab(ui_editor *e);
int ui_edit_backspace(ui_editor *e);
int ui_edit_delete(ui_editor *e);
void ui_edit_left(ui_editor *e);
void ui_edit_right(ui_editor *e);
/* Returns 0 when already on the first/last line. */
int ui_edit_up(ui_editor *e, int lines);
int ui_edit_down(ui_editor *e, int lines);
void ui_edit_home(ui_editor *e);
void ui_edit_end(ui_editor *e);
void ui_edit_line_begin(ui_editor *e);
void ui_edit_word_left(ui_editor *e);
void ui_edit_word_right(ui_editor *e);
void ui_edit_top(ui_editor *e);
void ui_edit_bottom(ui_editor *e);
int ui_edit_undo(ui_editor *e);
int ui_edit_redo(ui_editor *e);
/* Line (0-based) and byte offset in the line of the cursor. */
void ui_edit_cursor_pos(const ui_editor *e, int *line, int *col_byte);

/* ---- syntax and markdown (ui_draw.c, ui_markdown.c) ---- */
int ui_highlight_lua(ui_styled *out, const char *src, size_t len);
int ui_markdown_render(ui_styled *out, const char *src, size_t len, int width);
/* Strip ANSI escapes, turning SGR colour codes into styles. */
int ui_ansi_to_styled(ui_styled *out, const char *text, size_t len,
                      uint32_t base);

/* ---- per-cell view state, parallel to nb->cells ---- */
typedef struct ui_view {
    ui_rows src; /* source rows (rendered markdown when not editing) */
    ui_rows out; /* output rows, folded unless expanded */
    int src_dirty, out_dirty;
    int width;     /* the width the rows were made for */
    int editing;   /* src rows show the raw source */
    int expanded;  /* outputs not folded */
    int out_total; /* output rows before folding */
    int failed;    /* the last run ended with an error */
} ui_view;

enum ui_mode { UI_COMMAND = 0, UI_EDIT = 1 };
enum ui_kernel { UI_IDLE = 0, UI_BUSY = 1, UI_DEAD = 2 };

#define UI_FOLD_ROWS 15 /* output rows shown before folding, at least */
#define UI_GUTTER 7     /* bar + "[123] " */

/* A chart displayed while the cell runs, redrawn in place when the cell
 * changes it (p:append in a training loop). */
typedef struct ui_live_chart {
    size_t start, end; /* its bytes in ui_live.shown */
    uint64_t id, version;
} ui_live_chart;

#define UI_LIVE_CHARTS 16

/* An updatable display (lualab.display(x, {update = true})) in the live
 * output: h:update(y) replaces its bytes. */
typedef struct ui_live_disp {
    size_t start, end; /* its bytes in ui_live.shown */
    char id[32];
} ui_live_disp;

#define UI_LIVE_DISPS 16

/* What a running cell has printed and displayed so far. */
typedef struct ui_live {
    ui_styled shown;
    size_t cap; /* stop collecting after this many bytes */
    int truncated;
    double started;
    ui_live_chart charts[UI_LIVE_CHARTS];
    int ncharts;
    ui_live_disp disps[UI_LIVE_DISPS];
    int ndisps;
    uint64_t plot_changes; /* ll_plot_changes() when last checked */
} ui_live;

/* A progress bar line (plot/progress.h renders it when reported). */
typedef struct ui_progress {
    char line[2048]; /* rows separated by '\n' */
    int rows;        /* how many */
    int active;
} ui_progress;

/* What the notebook file on disk was when last read or written, so a save
 * can tell that another program changed it meanwhile. */
typedef struct ui_disk {
    int exists;
    long long size;
    long long mtime_ns;
    uint64_t hash; /* FNV-1a of the bytes */
} ui_disk;

/* Read path's identity (exists 0 when there is no file). */
void ui_disk_of(const char *path, ui_disk *out);
/* Has the file changed in content (size or bytes) from `then`?  A file
 * that only got a new mtime (touch) has not. */
int ui_disk_changed(const ui_disk *then, const ui_disk *now);

/* The output pager (O): the selected cell's output full-screen. */
typedef struct ui_pager {
    int open;
    int cell;  /* the cell whose output is shown */
    int top;   /* first row on screen */
    int width; /* the width rows were wrapped for, 0: wrap again */
    int match; /* row of the current search match, or -1 */
    char search[128];
    ui_rows rows;
} ui_pager;

typedef struct ui {
    ll_notebook *nb;
    ui_disk disk; /* the file when opened or last saved */
    char *path;
    ll_host *host;
    int counter; /* the kernel's execution counter */
    ui_view *views;
    int nviews, capviews;
    int cur;           /* selected cell */
    int mode;          /* enum ui_mode */
    int kernel;        /* enum ui_kernel */
    int running_cell;  /* index while a cell runs, else -1 */
    ui_editor ed;      /* the editor of the selected cell in edit mode */
    int top_cell;      /* first cell on screen */
    int top_skip;      /* rows of top_cell scrolled off the top */
    int dirty;         /* notebook differs from the file */
    int redraw;        /* the screen needs drawing */
    char message[256]; /* status line message */
    int message_error;
    char search[128];
    int search_shown; /* matches are highlighted (Esc hides them) */
    int pending_key;  /* first key of a two-key binding, or 0 */
    ll_cell clipboard;
    int has_clipboard;
    ll_cell deleted[16]; /* undo stack for deleted cells */
    int deleted_at[16];
    int ndeleted;
    double change_time; /* when the notebook last changed */
    int autosave_pending;
    double autosave_delay;
    char *autosave_path;
    ui_live live;
    ui_progress progress[2];
    double last_draw;
    double last_poll; /* last look at the keyboard while a cell runs */
    int quit;
    int help_open;
    int help_top;
    ui_pager pager;
    int focus_row;  /* 1 + the row of the selected cell to show, 0: none */
    int last_shown; /* the last cell (even partly) on screen */
    FILE *timing;   /* LUALAB_UI_TIMING */
    double start_time;
    double key_time; /* when the key being handled was read, or 0 */
    int frames;
} ui;

/* ui.c */
extern volatile sig_atomic_t ui_signal_quit;
int ui_run_cell(ui *u, int index); /* returns the cell status */
void ui_run_range(ui *u, int from, int to);
void ui_interrupt(ui *u);
/* Save to the file; when another program changed the file since it was
 * opened or saved, ask: overwrite, reload (drop the edits) or cancel.
 * LL_OK only when the notebook was written. */
int ui_save(ui *u);
void ui_touch(ui *u);                 /* the notebook changed */
void ui_cell_changed(ui *u, int idx); /* its source changed */
void ui_outputs_changed(ui *u, int idx);
void ui_message(ui *u, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ask a question on the status line; returns the key pressed. */
int ui_ask(ui *u, const char *question, const char *answers);
/* Read a line on the status line; 0 when entered, -1 when cancelled. */
int ui_read_line(ui *u, const char *prompt, char *out, size_t n);
int ui_view_insert(ui *u, int index);
void ui_view_delete(ui *u, int index);
void ui_view_move(ui *u, int from, int to);
void ui_enter_edit(ui *u);
void ui_leave_edit(ui *u);
void ui_restart_kernel(ui *u);
int ui_restore_terminal_on_signals(void);

/* ui_draw.c */
void ui_draw(ui *u);
void ui_draw_help(ui *u);
void ui_colors_init(void);
void ui_layout_cell(ui *u, int idx);
int ui_cell_height(ui *u, int idx);
void ui_scroll_to_cursor(ui *u);
int ui_screen_rows(void);

/* The cell's outputs as shown under it (streams, results, errors with
 * their tracebacks), unfolded. */
void ui_cell_output_styled(ui_styled *s, const ll_cell *c);
void ui_put_styled(int y, int x, const char *t, const uint32_t *st, int len,
                   int maxw);
void ui_put_text(int y, int x, const char *s, uint32_t st, int maxw);

/* ui_pager.c */
void ui_pager_open(ui *u);
void ui_pager_close(ui *u);
/* Handle a key while the pager is open; 0 when it is not open. */
int ui_pager_key(ui *u, int key);
void ui_pager_draw(ui *u);

/* ui_keys.c */
#define UI_KEY_SHIFT_ENTER 0x7fff0001
#define UI_KEY_CODE(k) (0x110000 + (k)) /* curses KEY_* codes */
void ui_keys_init(void);
/* Handle one key in the current mode; returns 1 when it was bound. */
int ui_key_dispatch(ui *u, int key);
int ui_key_is_interrupt(int prev, int key);
/* The help text, generated from the key tables. */
int ui_help_text(ui_styled *out);
const char *ui_key_name(int key, char *buf, size_t n);

#endif
