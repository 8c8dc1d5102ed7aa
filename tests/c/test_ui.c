/* Tests for ui/ without a terminal: the editor, Markdown rendering, ANSI
 * colour translation, Lua syntax colours and row wrapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

static const char *text_of(const ui_styled *s)
{
    return s->text.data ? s->text.data : "";
}

/* The style of the first byte of `needle` in s. */
static uint32_t style_at(const ui_styled *s, const char *needle)
{
    const char *p = strstr(text_of(s), needle);
    assert_non_null(p);
    return s->style[p - text_of(s)];
}

static void test_edit_insert_undo_redo(void **state)
{
    (void)state;
    ui_editor e;
    ui_edit_init(&e, "x = 1");
    assert_int_equal(e.cur, 5);
    ui_edit_insert(&e, "0", 1);
    ui_edit_insert(&e, "0", 1);
    assert_string_equal(e.text.data, "x = 100");
    ui_edit_insert(&e, " ", 1);
    ui_edit_insert(&e, "y", 1);
    assert_string_equal(e.text.data, "x = 100 y");
    assert_true(ui_edit_undo(&e));
    assert_string_equal(e.text.data, "x = 100 ");
    assert_true(ui_edit_undo(&e));
    assert_string_equal(e.text.data, "x = 100");
    assert_true(ui_edit_undo(&e)); /* "00" typed together is one step */
    assert_string_equal(e.text.data, "x = 1");
    assert_false(ui_edit_undo(&e));
    assert_true(ui_edit_redo(&e));
    assert_string_equal(e.text.data, "x = 100");
    assert_true(ui_edit_redo(&e));
    assert_true(ui_edit_redo(&e));
    assert_string_equal(e.text.data, "x = 100 y");
    assert_false(ui_edit_redo(&e));
    ui_edit_free(&e);
}

static void test_edit_utf8_and_words(void **state)
{
    (void)state;
    ui_editor e;
    ui_edit_init(&e, "s = \"\xc3\xa9t\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c\"");
    ui_edit_left(&e); /* before the quote */
    ui_edit_left(&e); /* before the last wide char */
    assert_int_equal(e.cur, strlen("s = \"\xc3\xa9t\xc3\xa9 \xe4\xb8\x96"));
    assert_true(ui_edit_backspace(&e));
    assert_string_equal(e.text.data, "s = \"\xc3\xa9t\xc3\xa9 \xe7\x95\x8c\"");
    ui_edit_home(&e);
    assert_int_equal(e.cur, 0);
    ui_edit_word_right(&e);
    assert_int_equal(e.cur, 5); /* the next word: after `s = "` */
    ui_edit_word_right(&e);
    ui_edit_word_left(&e);
    assert_int_equal(e.cur, 5); /* the word inside the quotes */
    ui_edit_end(&e);
    assert_int_equal(e.cur, e.text.len);
    ui_edit_free(&e);
}

static void test_edit_lines_indent_tab(void **state)
{
    (void)state;
    ui_editor e;
    ui_edit_init(&e, "for i = 1, 3 do");
    ui_edit_newline(&e);
    assert_string_equal(e.text.data, "for i = 1, 3 do\n    ");
    ui_edit_insert(&e, "x()", 3);
    ui_edit_newline(&e);
    assert_string_equal(e.text.data, "for i = 1, 3 do\n    x()\n    ");
    int line, col;
    ui_edit_cursor_pos(&e, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 4);
    assert_true(ui_edit_up(&e, 1));
    ui_edit_cursor_pos(&e, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 4);
    assert_true(ui_edit_up(&e, 1));
    assert_false(ui_edit_up(&e, 1));
    ui_edit_bottom(&e);
    ui_edit_backspace(&e);
    ui_edit_backspace(&e);
    ui_edit_tab(&e); /* from column 2 to the next stop at 4 */
    assert_string_equal(e.text.data, "for i = 1, 3 do\n    x()\n    ");
    ui_edit_free(&e);
}

/* A list item's continuation lines join it (reflow), as a paragraph's do;
 * a blank line or the next marker ends it. */
static void test_markdown_list_reflow(void **state)
{
    (void)state;
    const char *md = "- first item that goes on\n"
                     "  over a second line\n"
                     "- second\n"
                     "1. an ordered\n"
                     "   item\n"
                     "\n"
                     "after\n";
    ui_styled s;
    ui_styled_init(&s);
    assert_int_equal(ui_markdown_render(&s, md, strlen(md), 80), LL_OK);
    const char *t = text_of(&s);
    assert_non_null(
        strstr(t, "\xe2\x80\xa2 first item that goes on over a second line\n"));
    assert_non_null(strstr(t, "\xe2\x80\xa2 second\n"));
    assert_non_null(strstr(t, "1. an ordered item\n"));
    assert_non_null(strstr(t, "\nafter"));
    ui_styled_free(&s);
}

static void test_markdown(void **state)
{
    (void)state;
    const char *md = "# Title\n"
                     "Some **bold** and *it* and `code`, a [link](http://x).\n"
                     "\n"
                     "- one\n"
                     "2. two\n"
                     "> quoted\n"
                     "```lua\n"
                     "local x = 1\n"
                     "```\n"
                     "| a | bb |\n"
                     "|---|---|\n"
                     "| ccc | d |\n";
    ui_styled s;
    ui_styled_init(&s);
    assert_int_equal(ui_markdown_render(&s, md, strlen(md), 80), LL_OK);
    const char *t = text_of(&s);
    assert_non_null(strstr(t, "Title\n"));
    assert_null(strstr(t, "# Title"));
    assert_true(style_at(&s, "Title") & UI_BOLD);
    assert_non_null(strstr(t, "Some bold and it and code, a link (http://x)."));
    assert_true(style_at(&s, "bold") & UI_BOLD);
    assert_true(style_at(&s, "it ") & UI_ITALIC);
    assert_int_equal(style_at(&s, "code,"), UI_S_CODE);
    assert_int_equal(style_at(&s, "link"), UI_S_LINK);
    assert_non_null(strstr(t, "\xe2\x80\xa2 one\n"));
    assert_non_null(strstr(t, "2. two\n"));
    assert_non_null(strstr(t, "\xe2\x94\x82 quoted\n"));
    assert_non_null(strstr(t, "  local x = 1\n"));
    assert_int_equal(style_at(&s, "local"), UI_S_KEYWORD);
    /* tables: columns padded to the widest cell */
    assert_non_null(strstr(t, "a   | bb\n"));
    assert_non_null(strstr(t, "----+---\n") ? strstr(t, "----+---\n")
                                            : strstr(t, "---"));
    assert_non_null(strstr(t, "ccc | d "));
    ui_styled_free(&s);
}

static void test_ansi(void **state)
{
    (void)state;
    const char *a = "\033[31mred\033[0m plain \033[1;38;5;208morange\033[39m "
                    "\033[48;2;0;0;255mblue\033[0m\033]8;;http://x\033\\"
                    "\033[2Kend";
    ui_styled s;
    ui_styled_init(&s);
    assert_int_equal(ui_ansi_to_styled(&s, a, strlen(a), 0), LL_OK);
    assert_string_equal(text_of(&s), "red plain orange blueend");
    assert_int_equal(style_at(&s, "red"), UI_FG(1));
    assert_int_equal(style_at(&s, "plain"), 0);
    assert_int_equal(style_at(&s, "orange"), UI_FG(208) | UI_BOLD);
    assert_int_equal(UI_FG_OF(style_at(&s, "orange")), 208);
    assert_int_equal(UI_BG_OF(style_at(&s, "blue")), 21);
    assert_int_equal(style_at(&s, "end"), 0);
    ui_styled_free(&s);
}

static void test_lua_highlight(void **state)
{
    (void)state;
    const char *src = "local s = \"str\" -- note\nreturn 3.5e+2, [[long\nstr]]";
    ui_styled s;
    ui_styled_init(&s);
    ui_highlight_lua(&s, src, strlen(src));
    assert_string_equal(text_of(&s), src);
    assert_int_equal(style_at(&s, "local"), UI_S_KEYWORD);
    assert_int_equal(style_at(&s, "\"str\""), UI_S_STRING);
    assert_int_equal(style_at(&s, "-- note"), UI_S_COMMENT);
    assert_int_equal(style_at(&s, "return"), UI_S_KEYWORD);
    assert_int_equal(style_at(&s, "3.5e+2"), UI_S_NUMBER);
    assert_int_equal(style_at(&s, "str]]"), UI_S_STRING);
    assert_int_equal(style_at(&s, " s ="), UI_S_PLAIN);
    ui_styled_free(&s);
}

static void test_wrap(void **state)
{
    (void)state;
    ui_styled s;
    ui_styled_init(&s);
    /* 8 wide characters (16 columns) in 10 columns: 5 + 3 */
    const char *w = "\xe4\xb8\x96\xe4\xb8\x96\xe4\xb8\x96\xe4\xb8\x96"
                    "\xe4\xb8\x96\xe4\xb8\x96\xe4\xb8\x96\xe4\xb8\x96\nab\tc";
    ui_styled_add(&s, w, strlen(w), 0);
    ui_rows r = {0};
    int total = 0;
    assert_int_equal(ui_rows_wrap(&r, &s, 10, 1, -1, &total), 2);
    assert_int_equal(total, 3);
    assert_int_equal(ui_text_width(r.v[0].text, (size_t)r.v[0].len), 10);
    assert_int_equal(ui_text_width(r.v[1].text, (size_t)r.v[1].len), 6);
    assert_int_equal(r.v[1].start, 15);
    assert_int_equal(r.v[1].line, 0);
    assert_string_equal(r.v[2].text, "ab    c");
    assert_int_equal(r.v[2].line, 1);
    ui_rows_free(&r);
    /* prose breaks at spaces, and max_rows stops storing but counts */
    ui_styled_reset(&s);
    ui_styled_puts(&s, "alpha beta gamma delta\n1\n2\n3", 0);
    assert_int_equal(ui_rows_wrap(&r, &s, 12, 0, 2, &total), 4);
    assert_int_equal(total, 5);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0].text, "alpha beta");
    assert_string_equal(r.v[1].text, "gamma delta");
    ui_rows_free(&r);
    /* a space falling on the break does not start the next row */
    ui_styled_reset(&s);
    ui_styled_puts(&s, "aaaa bbbb", 0);
    ui_rows_wrap(&r, &s, 4, 0, -1, &total);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0].text, "aaaa");
    assert_string_equal(r.v[1].text, "bbbb");
    ui_rows_free(&r);
    ui_styled_free(&s);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_insert_undo_redo),
        cmocka_unit_test(test_edit_utf8_and_words),
        cmocka_unit_test(test_edit_lines_indent_tab),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_markdown_list_reflow),
        cmocka_unit_test(test_ansi),
        cmocka_unit_test(test_lua_highlight),
        cmocka_unit_test(test_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
