/* model/: C scoring of logged keras models against keras.lua's predict
 * (fixtures made by tests/fixtures/model/make_models.lua). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "nn/safetensors.h"

static char fixdir[4096];

static const char *fix(const char *name)
{
    static char buf[4096 + 64];
    snprintf(buf, sizeof buf, "%s/%s", fixdir, name);
    return buf;
}

/* io.safetensors of a fixture: x and keras.lua's predictions y. */
static void load_io(const char *name, ll_tensor **x, ll_tensor **y)
{
    char path[4096 + 128];
    snprintf(path, sizeof path, "%s/%s/io.safetensors", fixdir, name);
    char **names;
    ll_tensor **ts;
    int n;
    ll_err err = {0};
    assert_int_equal(ll_safetensors_load(path, &names, &ts, &n, &err), LL_OK);
    *x = *y = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], "x") == 0)
            *x = ll_tensor_ref(ts[i]);
        if (strcmp(names[i], "y") == 0)
            *y = ll_tensor_ref(ts[i]);
    }
    ll_safetensors_list_free(names, ts, n);
    assert_non_null(*x);
    assert_non_null(*y);
}

static void check_model(const char *name, const char *first_layer, int in_ndim,
                        int out_ndim)
{
    ll_model *m = NULL;
    ll_err err = {0};
    int rc = ll_model_load(fix(name), &m, &err);
    if (rc)
        fail_msg("%s: %s", name, err.msg);
    assert_string_equal(ll_model_flavor(m), "keras");
    assert_string_equal(ll_model_layer_type(m, 0), first_layer);
    assert_int_equal(ll_model_input_ndim(m), in_ndim);
    assert_int_equal(ll_model_output_ndim(m), out_ndim);
    ll_tensor *x, *want, *got = NULL;
    load_io(name, &x, &want);
    rc = ll_model_predict_tensor(m, x, &got, &err);
    if (rc)
        fail_msg("%s: %s", name, err.msg);
    assert_int_equal(ll_tensor_ndim(got), ll_tensor_ndim(want));
    for (int i = 0; i < ll_tensor_ndim(got); i++)
        assert_int_equal(ll_tensor_shape(got)[i], ll_tensor_shape(want)[i]);
    for (int i = 0; i < out_ndim; i++)
        assert_int_equal(ll_model_output_shape(m)[i],
                         ll_tensor_shape(want)[i + 1]);
    double maxd = 0;
    for (int64_t i = 0; i < ll_tensor_numel(got); i++) {
        double d = fabs((double)ll_tensor_get(got, i) -
                        (double)ll_tensor_get(want, i));
        if (d > maxd)
            maxd = d;
    }
    if (maxd > 1e-5)
        fail_msg("%s: max |C - keras.lua| = %g", name, maxd);
    ll_tensor_free(x);
    ll_tensor_free(want);
    ll_tensor_free(got);
    ll_model_free(m);
}

static void test_lab(void **state)
{
    (void)state;
    check_model("lab", "Embedding", 1, 1);
}

static void test_dense(void **state)
{
    (void)state;
    check_model("dense", "Dense", 1, 1);
}

static void test_gru(void **state)
{
    (void)state;
    check_model("gru", "GRU", 2, 1);
}

static void test_rnn(void **state)
{
    (void)state;
    check_model("rnn", "SimpleRNN", 2, 1);
}

static void test_conv(void **state)
{
    (void)state;
    check_model("conv", "Conv1D", 2, 1);
}

static void test_bidi(void **state)
{
    (void)state;
    check_model("bidi", "Bidirectional", 2, 1);
}

int main(void)
{
    const char *src = getenv("top_srcdir");
    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/model", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lab),  cmocka_unit_test(test_dense),
        cmocka_unit_test(test_gru),  cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_conv), cmocka_unit_test(test_bidi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
