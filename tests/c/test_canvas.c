/* Tests for plot/canvas.c: braille dots, ASCII markers, clipping, text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "plot/canvas.h"

static ll_plot_cells cells_of(ll_canvas *c)
{
    ll_plot_cells out;
    assert_int_equal(ll_canvas_cells(c, &out), 0);
    return out;
}

static void test_braille_bits(void **state)
{
    (void)state;
    ll_canvas *c = ll_canvas_new(2, 1, 1, NULL);
    /* all eight dots of cell 0, in the order of the braille pattern */
    ll_canvas_dot(c, 0, 0, 1); /* dot 1: 0x01 */
    ll_plot_cells o = cells_of(c);
    assert_int_equal(o.cells[0].cp, 0x2801);
    ll_plot_cells_free(&o);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 2; x++)
            ll_canvas_dot(c, x, y, 2);
    ll_canvas_dot(c, 3, 3, 3); /* cell 1, right column, bottom: 0x80 */
    o = cells_of(c);
    assert_int_equal(o.cells[0].cp, 0x28FF);
    assert_int_equal(o.cells[0].fg, 2);
    assert_int_equal(o.cells[1].cp, 0x2880);
    assert_int_equal(o.cells[1].fg, 3);
    ll_plot_cells_free(&o);
    ll_canvas_free(c);
}

static void test_ascii_and_put(void **state)
{
    (void)state;
    ll_canvas *c = ll_canvas_new(4, 1, 0, NULL);
    ll_canvas_dot(c, 0, 1, 1);
    ll_canvas_dot(c, 2, 1, 2);
    ll_canvas_dot(c, 4, 1, 2);
    ll_canvas_put(c, 2, 0, '#', 1, 0, 0); /* hides the dot under it */
    ll_plot_cells o = cells_of(c);
    assert_int_equal(o.cells[0].cp, '*');
    assert_int_equal(o.cells[1].cp, '+');
    assert_int_equal(o.cells[2].cp, '#');
    assert_int_equal(o.cells[3].cp, ' ');
    ll_plot_cells_free(&o);
    ll_canvas_free(c);
}

static void test_clip_and_line(void **state)
{
    (void)state;
    ll_canvas *c = ll_canvas_new(3, 2, 1, NULL);
    ll_canvas_clip(c, 2, 0, 3, 7); /* only the middle column of cells */
    ll_canvas_line(c, -10, 3, 20, 3, 1);
    ll_canvas_dot(c, 100, 100, 1); /* far outside: ignored */
    ll_plot_cells o = cells_of(c);
    assert_int_equal(o.cells[0].cp, ' ');
    assert_int_equal(o.cells[1].cp, 0x2800 + 0x40 + 0x80);
    assert_int_equal(o.cells[2].cp, ' ');
    ll_plot_cells_free(&o);
    ll_canvas_vspan(c, 2, 7, 0, 1);
    o = cells_of(c);
    assert_int_equal(o.cells[1].cp, 0x2800 + 0x47 + 0x80);
    assert_int_equal(o.cells[4].cp, 0x2847);
    ll_plot_cells_free(&o);
    ll_canvas_free(c);
}

static void test_text(void **state)
{
    (void)state;
    ll_canvas *c = ll_canvas_new(6, 1, 1, NULL);
    assert_int_equal(
        ll_canvas_text(c, 1, 0, "h\xc3\xa9\xe2\x82\xac!", 0, LL_CELL_BOLD), 4);
    ll_plot_cells o = cells_of(c);
    assert_int_equal(o.cells[1].cp, 'h');
    assert_int_equal(o.cells[2].cp, 0xE9);
    assert_int_equal(o.cells[3].cp, 0x20AC);
    assert_int_equal(o.cells[4].attr, LL_CELL_BOLD);
    ll_plot_cells_free(&o);
    ll_canvas_free(c);
    /* ASCII canvases replace what they cannot show */
    c = ll_canvas_new(3, 1, 0, NULL);
    ll_canvas_text(c, 0, 0, "\xc3\xa9x", 0, 0);
    o = cells_of(c);
    assert_int_equal(o.cells[0].cp, '?');
    assert_int_equal(o.cells[1].cp, 'x');
    ll_plot_cells_free(&o);
    ll_canvas_free(c);
    assert_int_equal(ll_utf8_cells("a\xe2\x94\x80"
                                   "b"),
                     3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_braille_bits),
        cmocka_unit_test(test_ascii_and_put),
        cmocka_unit_test(test_clip_and_line),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
