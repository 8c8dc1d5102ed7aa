/* Tests for host/: cells, display, errors, interrupts, timeouts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "host/lua_util.h"
#include <lualib.h>
#include <stdio.h>

#include "plot/plot.h"
#include "util/buf.h"

typedef struct captured {
    ll_buf out;
    int displays;
    int progress;
    uint64_t last_id;   /* id of the last display record */
    char last_kind[16]; /* its kind */
} captured;

static void on_stream(void *ud, const char *name, const char *s, size_t n)
{
    captured *c = ud;
    (void)name;
    ll_buf_append(&c->out, s, n);
}

static void on_display(void *ud, const ll_display *d)
{
    captured *c = ud;
    c->displays++;
    c->last_id = d->id;
    snprintf(c->last_kind, sizeof c->last_kind, "%s", d->kind ? d->kind : "");
    if (d->display_id)
        ll_buf_printf(&c->out, "{%s%s}", d->display_id, d->update ? "=" : "+");
    ll_buf_puts(&c->out, d->text);
}

static void on_progress(void *ud, const ll_progress *p)
{
    captured *c = ud;
    c->progress++;
    ll_buf_printf(&c->out, "[%s %g/%g %s]", p->label, p->done, p->total,
                  p->metrics ? p->metrics : "");
}

static ll_host *host;
static captured cap;

static int setup(void **state)
{
    (void)state;
    ll_err e;
    host = ll_host_new(0, NULL, &e);
    if (!host)
        return -1;
    ll_buf_init(&cap.out);
    ll_sink sink = {on_stream, on_display, on_progress, &cap, 0, 0};
    ll_host_set_sink(host, &sink);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ll_host_free(host);
    ll_buf_free(&cap.out);
    return 0;
}

static int run(const char *code, ll_cell_result *r)
{
    ll_buf_reset(&cap.out);
    return ll_host_run_cell(host, code, strlen(code), "cell 1", r);
}

static void test_print_is_captured(void **state)
{
    (void)state;
    ll_cell_result r;
    assert_int_equal(run("print('a', 1, 2.5) io.write('b', 3, '\\n')", &r),
                     LL_CELL_OK);
    assert_string_equal(ll_buf_str(&cap.out), "a\t1\t2.5\nb3\n");
    assert_false(r.has_value);
    ll_cell_result_free(&r);
}

static void test_trailing_expression_is_displayed(void **state)
{
    (void)state;
    ll_cell_result r;
    run("local x = 20\nx + 22", &r);
    assert_true(r.has_value);
    assert_string_equal(r.value.text, "42");
    ll_cell_result_free(&r);
    run("local t = {1, 2, name = 'n'}\nt", &r);
    assert_string_equal(r.value.text, "{1, 2, name = \"n\"}");
    ll_cell_result_free(&r);
    /* a statement at the end displays nothing */
    run("y = 1", &r);
    assert_false(r.has_value);
    ll_cell_result_free(&r);
    /* a block ending a cell is not cut open */
    run("for i = 1, 2 do\n  local z = i\nend", &r);
    assert_int_equal(r.status, LL_CELL_OK);
    assert_false(r.has_value);
    ll_cell_result_free(&r);
    /* an expression over several lines */
    run("s = 0\nmath.max(\n  1,\n  7)\n-- trailing comment\n", &r);
    assert_string_equal(r.value.text, "7");
    ll_cell_result_free(&r);
}

static void test_globals_persist_between_cells(void **state)
{
    (void)state;
    ll_cell_result r;
    run("shared = 5", &r);
    ll_cell_result_free(&r);
    run("shared * 2", &r);
    assert_string_equal(r.value.text, "10");
    ll_cell_result_free(&r);
}

static void test_error_has_cell_relative_traceback(void **state)
{
    (void)state;
    ll_cell_result r;
    assert_int_equal(run("local a = 1\n\nerror('bad thing')", &r),
                     LL_CELL_ERROR);
    assert_string_equal(r.ename, "LuaError");
    assert_string_equal(r.evalue, "cell 1:3: bad thing");
    assert_non_null(strstr(r.traceback, "stack traceback:"));
    assert_non_null(strstr(r.traceback, "cell 1:3: in main chunk"));
    ll_cell_result_free(&r);
}

/* A cell ending in a call still names the cell's line for an error
 * raised at the caller's level (error(msg, 2), as the libraries raise a
 * caller's mistake): the call is not a tail call that drops the frame. */
static void test_trailing_call_error_names_the_cell_line(void **state)
{
    (void)state;
    ll_cell_result r;
    assert_int_equal(
        run("local function f(x) error('f: x is wrong', 2) end\n\nf(1)", &r),
        LL_CELL_ERROR);
    assert_string_equal(r.evalue, "cell 1:3: f: x is wrong");
    ll_cell_result_free(&r);
    assert_int_equal(
        run("local function f() error('deep', 2) end\nf() -- c", &r),
        LL_CELL_ERROR);
    assert_string_equal(r.evalue, "cell 1:2: deep");
    ll_cell_result_free(&r);
    /* every value of the call is still shown; "x;" still displays */
    run("local function two() return 3, 4 end\ntwo()", &r);
    assert_true(r.has_value);
    assert_string_equal(r.value.text, "3\t4");
    ll_cell_result_free(&r);
    run("local q = 9\nq;", &r);
    assert_true(r.has_value);
    assert_string_equal(r.value.text, "9");
    ll_cell_result_free(&r);
}

static void test_syntax_error(void **state)
{
    (void)state;
    ll_cell_result r;
    assert_int_equal(run("x = = 1", &r), LL_CELL_SYNTAX);
    assert_string_equal(r.ename, "SyntaxError");
    assert_string_equal(r.evalue, "cell 1:1: unexpected symbol near '='");
    ll_cell_result_free(&r);
}

static void test_pretty_printer_limits(void **state)
{
    (void)state;
    ll_cell_result r;
    run("local t = {} t.self = t\nt", &r);
    assert_string_equal(r.value.text, "{self = <cycle>}");
    ll_cell_result_free(&r);
    run("local t = {} for i = 1, 150 do t[i] = i end\nt", &r);
    assert_non_null(strstr(r.value.text, "... (50 more)"));
    ll_cell_result_free(&r);
    run("{a = {b = {c = {d = {e = 1}}}}}", &r);
    assert_string_equal(r.value.text, "{a = {b = {c = {d = {...}}}}}");
    ll_cell_result_free(&r);
    run("{[1.5] = true, ['two words'] = 'x\\n'}", &r);
    assert_string_equal(r.value.text,
                        "{[1.5] = true, [\"two words\"] = \"x\\n\"}");
    ll_cell_result_free(&r);
}

static void test_display_protocol(void **state)
{
    (void)state;
    ll_cell_result r;
    run("setmetatable({}, {__display = function(self, o) return {text = "
        "'W' .. o.width, svg = '<svg/>', kind = 'plot'} end})",
        &r);
    assert_string_equal(r.value.text, "W80");
    assert_string_equal(r.value.svg, "<svg/>");
    assert_string_equal(r.value.kind, "plot");
    ll_cell_result_free(&r);
    run("setmetatable({}, {__tostring = function() return 'T' end})", &r);
    assert_string_equal(r.value.text, "T");
    ll_cell_result_free(&r);
    run("setmetatable({}, {__display = function() error('oops') end})", &r);
    assert_non_null(strstr(r.value.text, "__display failed"));
    ll_cell_result_free(&r);
    run("display(1, 'two') return nil", &r);
    assert_int_equal(cap.displays, 2);
    assert_string_equal(ll_buf_str(&cap.out), "1two");
    ll_cell_result_free(&r);
}

static int ticks;
static void count_tick(void *ud)
{
    (void)ud;
    ticks++;
}

static void test_tick_runs_during_a_silent_cell(void **state)
{
    (void)state;
    ll_cell_result r;
    ticks = 0;
    ll_host_set_tick(host, count_tick, NULL, 0.05);
    run("local t = os.clock() + 0.5 while os.clock() < t do end", &r);
    ll_host_set_tick(host, NULL, NULL, 0);
    /* about ten in half a second; never more often than asked.  The loop
     * burns 0.5 s of CPU, which takes longer in wall time on a loaded
     * machine: the bound is the cell's measured wall time / 0.05 s. */
    double wall = r.seconds;
    ll_cell_result_free(&r);
    assert_true(wall >= 0.5);
    assert_in_range(ticks, 4, (unsigned long)(wall / 0.05) + 1);
    ticks = 0;
    run("local t = os.clock() + 0.2 while os.clock() < t do end", &r);
    ll_cell_result_free(&r);
    assert_int_equal(ticks, 0);
}

static void test_warnings_go_to_the_cell(void **state)
{
    (void)state;
    ll_cell_result r;
    run("warn('low ', 'disk')", &r);
    assert_string_equal(ll_buf_str(&cap.out), "warning: low disk\n");
    ll_cell_result_free(&r);
    run("warn('@off') warn('hidden') warn('@on')", &r);
    assert_string_equal(ll_buf_str(&cap.out), "");
    ll_cell_result_free(&r);
}

static void test_progress_reaches_sink(void **state)
{
    (void)state;
    ll_cell_result r;
    run("lualab.progress{label='Epoch 1/2', done=3, total=10, "
        "metrics={loss=0.5, acc=0.25}}",
        &r);
    assert_string_equal(ll_buf_str(&cap.out),
                        "[Epoch 1/2 3/10 acc 0.25 loss 0.5]");
    ll_cell_result_free(&r);
}

static void test_timeout_interrupts_and_state_survives(void **state)
{
    (void)state;
    ll_cell_result r;
    ll_host_set_cell_timeout(host, 0.2);
    assert_int_equal(run("while true do end", &r), LL_CELL_TIMEOUT);
    assert_string_equal(r.evalue, "cell 1:1: cell timed out");
    ll_cell_result_free(&r);
    /* even a pcall inside the cell cannot swallow it for good */
    assert_int_equal(
        run("while true do pcall(function() while true do end end) end", &r),
        LL_CELL_TIMEOUT);
    ll_cell_result_free(&r);
    ll_host_set_cell_timeout(host, 0);
    run("1 + 1", &r);
    assert_int_equal(r.status, LL_CELL_OK);
    assert_string_equal(r.value.text, "2");
    ll_cell_result_free(&r);
}

static void test_restart_gives_fresh_state(void **state)
{
    (void)state;
    ll_cell_result r;
    run("kept = 1", &r);
    ll_cell_result_free(&r);
    ll_err e;
    assert_int_equal(ll_host_restart(host, &e), LL_OK);
    run("kept == nil", &r);
    assert_string_equal(r.value.text, "true");
    ll_cell_result_free(&r);
}

static void test_trapped_exit_stops_the_cell_only(void **state)
{
    (void)state;
    ll_cell_result r;
    ll_host_trap_exit(host, 1);
    /* pcall does not catch it; the code after it does not run */
    assert_int_equal(run("ran = 0\nprint(pcall(os.exit, 4))\nran = 1", &r),
                     LL_CELL_ERROR);
    assert_true(r.exit_requested);
    assert_int_equal(r.exit_code, 4);
    assert_string_equal(r.ename, "SystemExit");
    assert_string_equal(r.evalue, "os.exit(4) called in a cell");
    assert_string_equal(ll_buf_str(&cap.out), "");
    ll_cell_result_free(&r);
    run("ran", &r);
    assert_int_equal(r.status, LL_CELL_OK);
    assert_false(r.exit_requested);
    assert_string_equal(r.value.text, "0");
    ll_cell_result_free(&r);
    /* a restart keeps the policy */
    ll_err e;
    assert_int_equal(ll_host_restart(host, &e), LL_OK);
    run("trapped = os.exit\nos.exit(false)", &r);
    assert_true(r.exit_requested);
    assert_int_equal(r.exit_code, 1);
    ll_cell_result_free(&r);
    /* off again: os.exit is lua's own */
    ll_host_trap_exit(host, 0);
    run("os.exit ~= trapped and type(os.exit)", &r);
    assert_string_equal(r.value.text, "function");
    ll_cell_result_free(&r);
}

/* A displayed chart's record carries its id (no global side channel):
 * the front end finds the chart again with ll_plot_find. */
static void test_display_record_names_the_chart(void **state)
{
    (void)state;
    ll_cell_result r;
    assert_int_equal(
        run("p = plot.line{y = {1, 2, 3}}\nq = plot.line{y = {3, 2}}\n"
            "display(p)",
            &r),
        LL_CELL_OK);
    ll_cell_result_free(&r);
    assert_string_equal(cap.last_kind, "plot");
    ll_plot *p = ll_plot_find(cap.last_id);
    assert_non_null(p);
    uint64_t pid = cap.last_id;
    run("display(q)", &r);
    ll_cell_result_free(&r);
    assert_true(cap.last_id != pid);
    assert_non_null(ll_plot_find(cap.last_id));
    /* a value that is not a chart has no id */
    run("display({1})", &r);
    ll_cell_result_free(&r);
    assert_true(cap.last_id == 0);
    /* the trailing expression's record has it too */
    run("p", &r);
    assert_true(r.value.id == pid);
    ll_cell_result_free(&r);
}

static void set_sink(int updates, int live)
{
    ll_sink sink = {on_stream, on_display, on_progress, &cap, updates, live};
    ll_host_set_sink(host, &sink);
}

static void test_updatable_display_replaces_in_place(void **state)
{
    (void)state;
    ll_cell_result r;
    /* A sink that replaces outputs gets each version with its id. */
    set_sink(1, 1);
    cap.displays = 0;
    assert_int_equal(run("h = lualab.display('v1', {update = true})\n"
                         "print(h.id, h.live)\nh:update('v2')\n"
                         "h:update('v3')",
                         &r),
                     LL_CELL_OK);
    ll_cell_result_free(&r);
    assert_string_equal(ll_buf_str(&cap.out),
                        "{ll-1+}v1ll-1\ttrue\n{ll-1=}v2{ll-1=}v3");
    assert_int_equal(cap.displays, 3);
    /* A sink without updates sees the final version once, at the end. */
    set_sink(0, 0);
    cap.displays = 0;
    assert_int_equal(run("g = lualab.display('a', {update = true})\n"
                         "print('mid', g.live)\ng:update('b')\n"
                         "g:update('c')",
                         &r),
                     LL_CELL_OK);
    ll_cell_result_free(&r);
    assert_string_equal(ll_buf_str(&cap.out), "mid\tfalse\nc");
    assert_int_equal(cap.displays, 1);
    /* Without update = true it is display(x): no handle, no id. */
    assert_int_equal(run("return lualab.display('plain')", &r), LL_CELL_OK);
    assert_false(r.has_value);
    ll_cell_result_free(&r);
    assert_string_equal(ll_buf_str(&cap.out), "plain");
    set_sink(0, 0);
}

static void test_display_handle_bad_input(void **state)
{
    (void)state;
    ll_cell_result r;
    run("kept = lualab.display(1, {update = true})", &r);
    ll_cell_result_free(&r);
    /* The cell that made it has ended. */
    run("kept:update(2)", &r);
    assert_int_equal(r.status, LL_CELL_ERROR);
    assert_string_equal(r.evalue, "cell 1:1: update: display ll-3 belongs to a "
                                  "cell "
                                  "that has ended; show a new one with "
                                  "lualab.display(x, {update = true})");
    ll_cell_result_free(&r);
    run("kept.active, kept.live", &r);
    assert_string_equal(r.value.text, "false\tfalse");
    ll_cell_result_free(&r);
    run("local h = lualab.display(1, {update = true})\nh.update(42, 1)", &r);
    assert_int_equal(r.status, LL_CELL_ERROR);
    assert_string_equal(r.evalue,
                        "cell 1:2: bad argument #1 to 'update' "
                        "(lualab.DisplayHandle expected, got number)");
    ll_cell_result_free(&r);
    run("lualab.display(1, 'update')", &r);
    assert_string_equal(r.evalue, "cell 1:1: bad argument #2 to 'display' "
                                  "(table expected, got string)");
    ll_cell_result_free(&r);
    run("lualab.display(1, {updates = true})", &r);
    assert_string_equal(r.evalue,
                        "cell 1:1: lualab.display: unknown option 'updates' "
                        "(did you mean 'update'?)");
    ll_cell_result_free(&r);
}

/* The option readers give a table's fields, defaults for absent ones and
 * for idx 0 (no options table, even with a table on top); a registry set
 * lists what was added and not removed. */
static void test_option_readers_and_registry_sets(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    assert_int_equal(luaL_dostring(L, "return {n = 3, x = 1.5, b = true, "
                                      "s = 'hi'}"),
                     LUA_OK);
    assert_int_equal(ll_opt_int(L, 1, "n", 0), 3);
    assert_true(ll_opt_num(L, -1, "x", 0) == 1.5);
    assert_int_equal(ll_opt_bool(L, 1, "b", 0), 1);
    assert_string_equal(ll_opt_str(L, 1, "s", NULL), "hi");
    assert_int_equal(ll_opt_int(L, 1, "missing", 7), 7);
    assert_int_equal(ll_opt_int(L, 0, "n", 7), 7);
    assert_null(ll_opt_str(L, 0, "s", NULL));
    assert_int_equal(lua_gettop(L), 1);

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "test.set");
    lua_pushliteral(L, "a");
    ll_lua_regset(L, "test.set", -1, 1);
    lua_pushliteral(L, "b");
    ll_lua_regset(L, "test.set", -1, 1);
    ll_lua_regset(L, "test.set", -2, 0); /* "a" leaves */
    lua_settop(L, 0);
    ll_lua_regset_list(L, "test.set");
    assert_int_equal(lua_rawlen(L, 1), 1);
    lua_rawgeti(L, 1, 1);
    assert_string_equal(lua_tostring(L, -1), "b");
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_is_captured),
        cmocka_unit_test(test_trailing_expression_is_displayed),
        cmocka_unit_test(test_globals_persist_between_cells),
        cmocka_unit_test(test_error_has_cell_relative_traceback),
        cmocka_unit_test(test_trailing_call_error_names_the_cell_line),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_pretty_printer_limits),
        cmocka_unit_test(test_display_protocol),
        cmocka_unit_test(test_warnings_go_to_the_cell),
        cmocka_unit_test(test_tick_runs_during_a_silent_cell),
        cmocka_unit_test(test_progress_reaches_sink),
        cmocka_unit_test(test_timeout_interrupts_and_state_survives),
        cmocka_unit_test(test_restart_gives_fresh_state),
        cmocka_unit_test(test_trapped_exit_stops_the_cell_only),
        cmocka_unit_test(test_display_record_names_the_chart),
        cmocka_unit_test(test_updatable_display_replaces_in_place),
        cmocka_unit_test(test_display_handle_bad_input),
        cmocka_unit_test(test_option_readers_and_registry_sets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
