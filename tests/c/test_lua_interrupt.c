/* The Lua layer under interrupts: a cell stopped inside nn.no_grad or a
 * keras predict/evaluate must not leave autograd off for later cells. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "host/host.h"

static ll_host *host;

static int setup(void **state)
{
    (void)state;
    ll_err e;
    host = ll_host_new(0, NULL, &e);
    return host ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ll_host_free(host);
    return 0;
}

/* Run code as a cell; returns the status and the displayed value. */
static int run(const char *code, char *value, size_t cap)
{
    ll_cell_result r;
    ll_host_run_cell(host, code, strlen(code), NULL, &r);
    int status = r.status;
    if (value) {
        value[0] = '\0';
        if (r.value.text)
            snprintf(value, cap, "%s", r.value.text);
    }
    ll_cell_result_free(&r);
    return status;
}

static void assert_grad_on(void)
{
    char v[64];
    assert_int_equal(run("require('lualab.nn').is_grad_enabled()", v, sizeof v),
                     LL_CELL_OK);
    assert_string_equal(v, "true");
}

static void test_timeout_inside_no_grad(void **state)
{
    (void)state;
    assert_grad_on();
    ll_host_set_cell_timeout(host, 0.2);
    assert_int_equal(run("local nn = require('lualab.nn')\n"
                         "nn.no_grad(function() while true do end end)",
                         NULL, 0),
                     LL_CELL_TIMEOUT);
    /* nested no_grad inside a pcall: still restored */
    assert_int_equal(run("local nn = require('lualab.nn')\n"
                         "pcall(nn.no_grad, function()\n"
                         "  nn.no_grad(function() while true do end end) end)",
                         NULL, 0),
                     LL_CELL_TIMEOUT);
    ll_host_set_cell_timeout(host, 0);
    assert_grad_on();
}

static void test_interrupt_inside_keras_predict(void **state)
{
    (void)state;
    char v[64];
    assert_int_equal(
        run("keras = require('lualab.keras')\n"
            "m = keras.Sequential{keras.layers.Dense(2, {input_shape={3}})}\n"
            "m:compile{loss='mse', optimizer='sgd'}\n"
            "require('lualab.nn').set_grad_enabled(true)\n"
            "x = require('lualab.nn').randn({4, 3})\n"
            "true",
            v, sizeof v),
        LL_CELL_OK);
    ll_host_set_cell_timeout(host, 0.2);
    /* the layer's call loops forever while predict has autograd off */
    assert_int_equal(run("m.layers[1].call = function() while true do end end\n"
                         "m:predict(x)",
                         NULL, 0),
                     LL_CELL_TIMEOUT);
    assert_int_equal(run("m:evaluate(x, x:narrow(1, 0, 2))", NULL, 0),
                     LL_CELL_TIMEOUT);
    ll_host_set_cell_timeout(host, 0);
    assert_grad_on();
}

/* Where the stop cannot yield (Lua called from C: a sort comparator), the
 * error names the line that was running once, not also its caller's. */
static void test_stop_message_names_one_line(void **state)
{
    (void)state;
    ll_host_set_cell_timeout(host, 0.2);
    ll_cell_result r;
    const char *code = "table.sort({1, 2, 3}, function(a, b)\n"
                       "  local function spin() while true do end end\n"
                       "  spin()\n"
                       "end)";
    ll_host_run_cell(host, code, strlen(code), NULL, &r);
    ll_host_set_cell_timeout(host, 0);
    assert_int_equal(r.status, LL_CELL_TIMEOUT);
    assert_non_null(r.evalue);
    print_message("evalue: %s\n", r.evalue);
    assert_string_equal(r.evalue, "cell:2: cell timed out");
    ll_cell_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_inside_no_grad),
        cmocka_unit_test(test_interrupt_inside_keras_predict),
        cmocka_unit_test(test_stop_message_names_one_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
