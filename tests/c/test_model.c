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

/* io.safetensors of a fixture: x (or xc, the batch-first input of a
 * time-major nn model) and the reference predictions y. */
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
        if (strcmp(names[i], "xc") == 0 ||
            (strcmp(names[i], "x") == 0 && !*x)) {
            ll_tensor_free(*x);
            *x = ll_tensor_ref(ts[i]);
        }
        if (strcmp(names[i], "y") == 0)
            *y = ll_tensor_ref(ts[i]);
    }
    ll_safetensors_list_free(names, ts, n);
    assert_non_null(*x);
    assert_non_null(*y);
}

static void check_flavor(const char *name, const char *flavor,
                         const char *first_layer, int in_ndim, int out_ndim)
{
    ll_model *m = NULL;
    ll_err err = {0};
    int rc = ll_model_load(fix(name), &m, &err);
    if (rc)
        fail_msg("%s: %s", name, err.msg);
    assert_string_equal(ll_model_flavor(m), flavor);
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
        fail_msg("%s: max |C - reference| = %g", name, maxd);
    ll_tensor_free(x);
    ll_tensor_free(want);
    ll_tensor_free(got);
    ll_model_free(m);
}

static void check_model(const char *name, const char *first_layer, int in_ndim,
                        int out_ndim)
{
    check_flavor(name, "keras", first_layer, in_ndim, out_ndim);
}

/* nn.Sequential models in nn.lua's format with PyTorch's weights and
 * outputs (tests/fixtures/make_nn_model.py). */
static void test_nn_models(void **state)
{
    (void)state;
    check_flavor("../nn_model/lstm", "nn", "Embedding", 1, 1);
    check_flavor("../nn_model/gru_time_major", "nn", "Embedding", 1, 1);
    check_flavor("../nn_model/mlp", "nn", "Linear", 1, 1);
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

static void expect_load_error(const char *name, const char *head,
                              const char *tail)
{
    ll_model *m = NULL;
    ll_err err = {0};
    char want[8192];
    snprintf(want, sizeof want, "%s%s%s", head, fixdir, tail);
    assert_int_not_equal(ll_model_load(fix(name), &m, &err), LL_OK);
    assert_null(m);
    assert_string_equal(err.msg, want);
}

static void test_bad_models(void **state)
{
    (void)state;
    expect_load_error("no_mlmodel", "no MLmodel file in ", "/no_mlmodel");
    expect_load_error("missing_dir", "no MLmodel file in ", "/missing_dir");
    expect_load_error("sklearn", "",
                      "/sklearn/MLmodel: unknown flavor "
                      "'sklearn' (C scoring supports keras and nn)");
    expect_load_error("nn", "",
                      "/nn: flavor 'nn' needs config.json (written by "
                      "nn.Sequential's save), which is missing: a state "
                      "dict alone cannot be scored from C");
    expect_load_error("unsupported", "",
                      "/unsupported/config.json: layer 'norm': unsupported "
                      "layer type 'LayerNormalization'");
    expect_load_error("badjson", "", "/badjson/config.json:3:14: invalid JSON");
    expect_load_error("badshape", "",
                      "/badshape/weights.safetensors: weight "
                      "'dense_1/kernel' has shape [4, 8], expected [3, 8]");
    expect_load_error("noweight", "",
                      "/noweight/weights.safetensors lacks the weight "
                      "'hidden/kernel'");
}

static void test_width_mismatch(void **state)
{
    (void)state;
    ll_model *m = NULL;
    ll_err err = {0};
    assert_int_equal(ll_model_load(fix("dense"), &m, &err), LL_OK);
    int64_t shape[2] = {5, 3};
    ll_tensor *x = ll_tensor_new(2, shape, &err);
    ll_tensor *y = NULL;
    assert_int_equal(ll_model_predict_tensor(m, x, &y, &err), LL_EINVAL);
    assert_null(y);
    char want[8192];
    snprintf(want, sizeof want,
             "predict: input has shape [5, 3], the model in %s/dense "
             "expects [N, 4]",
             fixdir);
    assert_string_equal(err.msg, want);
    /* A frame without a signature: every numeric column, 3 of them. */
    ll_frame *f = ll_frame_new(NULL);
    const char *names[3] = {"p", "q", "r"};
    for (int j = 0; j < 3; j++) {
        ll_column *c = ll_col_new(j == 1 ? LL_INT : LL_FLOAT, 2, NULL);
        assert_int_equal(ll_frame_set(f, names[j], c, &err), LL_OK);
        ll_col_unref(c);
    }
    ll_frame *out = NULL;
    assert_int_equal(ll_model_predict(m, f, &out, &err), LL_EINVAL);
    assert_string_equal(err.msg, "predict: the model expects [N, 4] (4 values "
                                 "per row), the frame has 3 numeric columns "
                                 "(p, q, r)");
    ll_frame_free(f);
    ll_tensor_free(x);
    ll_model_free(m);
}

/* Frame in -> frame out with the signature's columns (in another order,
 * with a string column the model ignores). */
static void test_frame(void **state)
{
    (void)state;
    ll_model *m = NULL;
    ll_err err = {0};
    assert_int_equal(ll_model_load(fix("frame"), &m, &err), LL_OK);
    assert_int_equal(ll_model_n_inputs(m), 3);
    assert_string_equal(ll_model_input_name(m, 2), "c");
    assert_int_equal(ll_model_n_outputs(m), 1);
    assert_string_equal(ll_model_output_name(m, 0), "score");
    ll_tensor *x, *want;
    load_io("frame", &x, &want);
    int64_t n = ll_tensor_shape(x)[0];
    ll_frame *f = ll_frame_new(NULL);
    const char *order[3] = {"c", "a", "b"};
    const int col_of[3] = {2, 0, 1};
    ll_strbuilder sb;
    ll_sb_init(&sb);
    for (int64_t r = 0; r < n; r++)
        assert_int_equal(ll_sb_push(&sb, "id", 2), LL_OK);
    ll_column *ids = ll_sb_finish(&sb, NULL);
    assert_int_equal(ll_frame_set(f, "id", ids, &err), LL_OK);
    ll_col_unref(ids);
    for (int j = 0; j < 3; j++) {
        ll_column *c = ll_col_new(LL_FLOAT, n, NULL);
        for (int64_t r = 0; r < n; r++)
            LL_F64(c)[r] = (double)ll_tensor_get(x, r * 3 + col_of[j]);
        assert_int_equal(ll_frame_set(f, order[j], c, &err), LL_OK);
        ll_col_unref(c);
    }
    ll_frame *out = NULL;
    if (ll_model_predict(m, f, &out, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(out->ncol, 1);
    assert_string_equal(out->names[0], "prediction");
    assert_int_equal(out->nrow, n);
    for (int64_t r = 0; r < n; r++)
        assert_float_equal(LL_F64(out->cols[0])[r],
                           (double)ll_tensor_get(want, r), 1e-5);
    ll_frame_free(out);
    /* A missing signature column and an NA. */
    ll_frame *g = ll_frame_drop(f, (const char *const[]){"b"}, 1, &err);
    assert_int_not_equal(ll_model_predict(m, g, &out, &err), LL_OK);
    assert_non_null(strstr(err.msg, "predict (signature input 2): no column "
                                    "'b'"));
    ll_frame_free(g);
    ll_column *na = ll_col_new(LL_FLOAT, n, NULL);
    assert_int_equal(ll_col_set_na(na, 1), LL_OK);
    assert_int_equal(ll_frame_set(f, "a", na, &err), LL_OK);
    ll_col_unref(na);
    assert_int_equal(ll_model_predict(m, f, &out, &err), LL_EINVAL);
    assert_string_equal(err.msg, "predict: column 'a' row 2 is NA");
    ll_frame_free(f);
    ll_tensor_free(x);
    ll_tensor_free(want);
    ll_model_free(m);
}

/* Several outputs per row: one column each. */
static void test_frame_multi(void **state)
{
    (void)state;
    ll_model *m = NULL;
    ll_err err = {0};
    assert_int_equal(ll_model_load(fix("dense"), &m, &err), LL_OK);
    ll_tensor *x, *want;
    load_io("dense", &x, &want);
    ll_frame *f = ll_frame_new(NULL);
    for (int j = 0; j < 4; j++) {
        ll_column *c = ll_col_new(LL_FLOAT, 5, NULL);
        for (int64_t r = 0; r < 5; r++)
            LL_F64(c)[r] = (double)ll_tensor_get(x, r * 4 + j);
        char nm[8];
        snprintf(nm, sizeof nm, "x%d", j);
        assert_int_equal(ll_frame_set(f, nm, c, &err), LL_OK);
        ll_col_unref(c);
    }
    ll_frame *out = NULL;
    assert_int_equal(ll_model_predict(m, f, &out, &err), LL_OK);
    assert_int_equal(out->ncol, 3);
    assert_string_equal(out->names[0], "prediction_0");
    assert_string_equal(out->names[2], "prediction_2");
    for (int64_t r = 0; r < 5; r++)
        for (int j = 0; j < 3; j++)
            assert_float_equal(LL_F64(out->cols[j])[r],
                               (double)ll_tensor_get(want, r * 3 + j), 1e-5);
    ll_frame_free(out);
    ll_frame_free(f);
    ll_tensor_free(x);
    ll_tensor_free(want);
    ll_model_free(m);
}

/* MLmodel as MLflow writes long values: a single-quoted scalar folded over
 * lines; and an unterminated quote. */
static void test_yaml(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ll_model_XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "cp %s/frame/config.json %s/frame/weights.safetensors %s/", fixdir,
             fixdir, dir);
    assert_int_equal(system(cmd), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("artifact_path: model\n"
          "flavors:\n"
          "  python_function:\n"
          "    loader_module: mlflow.keras\n"
          "  keras:\n"
          "    keras_version: 3.0.0 # a comment\n"
          "signature:\n"
          "  inputs: '[{\"name\": \"a\", \"type\": \"double\"}, {\"name\": "
          "\"b\",\n"
          "    \"type\": \"double\"}, {\"name\": \"it''s\", \"type\": "
          "\"double\"}]'\n"
          "  outputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": "
          "\"float32\", \"shape\": [-1, 1]}}]'\n",
          fp);
    fclose(fp);
    ll_model *m = NULL;
    ll_err err = {0};
    if (ll_model_load(dir, &m, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(ll_model_flavor(m), "keras");
    assert_int_equal(ll_model_n_inputs(m), 3);
    assert_string_equal(ll_model_input_name(m, 1), "b");
    assert_string_equal(ll_model_input_name(m, 2), "it's");
    assert_int_equal(ll_model_n_outputs(m), 0);
    ll_model_free(m);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("flavors:\n  keras:\n    x: 1\nsignature:\n  inputs: '[1,\n", fp);
    fclose(fp);
    assert_int_equal(ll_model_load(dir, &m, &err), LL_EPARSE);
    char want[8192];
    snprintf(want, sizeof want, "%s/MLmodel:5: unterminated quoted string",
             dir);
    assert_string_equal(err.msg, want);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("flavors:\n  keras:\n  oops\n", fp);
    fclose(fp);
    assert_int_equal(ll_model_load(dir, &m, &err), LL_EPARSE);
    snprintf(want, sizeof want, "%s/MLmodel:3: expected 'key: value'", dir);
    assert_string_equal(err.msg, want);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_merge(void **state)
{
    (void)state;
    check_model("merge", "Conv1D", 2, 1);
}

static void test_embflat(void **state)
{
    (void)state;
    check_model("embflat", "Embedding", 1, 1);
}

/* A model directory in a temporary folder: MLmodel of the flavor, the
 * given config.json and the dense fixture's weights. */
static void crafted_load(const char *flavor, const char *config,
                         const char *tail)
{
    char tmpl[] = "/tmp/ll_model_XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "cp %s/dense/weights.safetensors %s/", fixdir,
             dir);
    assert_int_equal(system(cmd), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "flavors:\n  %s:\n    loader_module: lualab.%s\n", flavor,
            flavor);
    fclose(fp);
    snprintf(path, sizeof path, "%s/config.json", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(config, fp);
    fclose(fp);
    ll_model *m = NULL;
    ll_err err = {0};
    assert_int_not_equal(ll_model_load(dir, &m, &err), LL_OK);
    assert_null(m);
    char want[8192];
    snprintf(want, sizeof want, "%s/config.json: %s", dir, tail);
    assert_string_equal(err.msg, want);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Crafted configs: sizes that overflow int or the element count are
 * refused naming the key or layer (found by fuzzing). */
static void test_hostile_configs(void **state)
{
    (void)state;
    crafted_load("keras",
                 "{\"class_name\":\"Sequential\",\"input_shape\":[4],"
                 "\"layers\":[{\"class_name\":\"Dense\",\"name\":\"d\","
                 "\"config\":{\"units\":4611686018427387904}}]}",
                 "layer 'd': 'units' is 4611686018427387904, more than "
                 "2147483647");
    crafted_load("nn",
                 "{\"class_name\":\"Sequential\",\"input_shape\":[4],"
                 "\"layers\":[{\"type\":\"Linear\",\"name\":\"0\","
                 "\"config\":{\"in_features\":4,"
                 "\"out_features\":1e300}}]}",
                 "layer '0': 'out_features' is 1e+300, more than "
                 "2147483647");
    crafted_load("keras",
                 "{\"class_name\":\"Sequential\",\"input_shape\":"
                 "[4294967296,4294967296],\"layers\":[]}",
                 "'input_shape' [4294967296, 4294967296] has too many "
                 "elements");
    crafted_load("nn",
                 "{\"class_name\":\"Sequential\",\"input_shape\":[1e300],"
                 "\"layers\":[]}",
                 "'input_shape' must hold positive integer sizes");
    crafted_load("keras",
                 "{\"class_name\":\"Sequential\",\"input_shape\":"
                 "[1099511627776],\"layers\":[{\"class_name\":"
                 "\"RepeatVector\",\"name\":\"rep\",\"config\":{\"n\":"
                 "2147483647}},{\"class_name\":\"Flatten\",\"name\":\"f\"}]}",
                 "layer 'rep' (RepeatVector): output shape [2147483647, "
                 "1099511627776] has too many elements");
    crafted_load("keras",
                 "{\"class_name\":\"Sequential\",\"input_shape\":[8,4],"
                 "\"layers\":[{\"class_name\":\"Conv1D\",\"name\":\"c\","
                 "\"config\":{\"filters\":2,\"kernel_size\":2147483647,"
                 "\"dilation_rate\":2147483647}}]}",
                 "layer 'c' (Conv1D): input is shorter than the kernel, got "
                 "[8, 4]");
    crafted_load("nn",
                 "{\"class_name\":\"Sequential\",\"input_shape\":[4],"
                 "\"layers\":[{\"type\":\"Softmax\",\"name\":\"s\","
                 "\"config\":{\"dim\":1e300}}]}",
                 "layer 's': 'dim' is 1e+300, more than 2147483647");
}

int main(void)
{
    const char *src = getenv("top_srcdir");
    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/model", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lab),
        cmocka_unit_test(test_dense),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_nn_models),
        cmocka_unit_test(test_conv),
        cmocka_unit_test(test_bidi),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_embflat),
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_width_mismatch),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_frame_multi),
        cmocka_unit_test(test_yaml),
        cmocka_unit_test(test_hostile_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
