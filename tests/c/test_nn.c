/* Tests for nn/layers.c, rnn.c, loss.c, optim.c and safetensors.c:
 * finite-difference gradient checks for every layer and loss, optimizer
 * arithmetic, safetensors round trip and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nn/layers.h"
#include "nn/safetensors.h"
#include "nn_gradcheck.h"

static ll_tensor *rnd(int nd, int64_t a, int64_t b, int64_t c)
{
    int64_t s[3] = {a, b, c};
    ll_tensor *t = ll_tensor_randn(nd, s, NULL);
    float *d = ll_tensor_data(t);
    for (int64_t i = 0; i < ll_tensor_numel(t); i++)
        d[i] *= 0.5f;
    return t;
}

static void free_all(ll_tensor **in, int n)
{
    for (int i = 0; i < n; i++)
        ll_tensor_free(in[i]);
}

static ll_tensor *f_linear(ll_tensor **in, void *ctx, ll_err *err)
{
    (void)ctx;
    return ll_linear("Linear", in[0], in[1], in[2], err);
}

static void test_gradcheck_linear(void **state)
{
    (void)state;
    ll_manual_seed(1);
    ll_tensor *in[3] = {rnd(3, 2, 3, 4), rnd(2, 5, 4, 0), rnd(1, 5, 0, 0)};
    assert_int_equal(0, gradcheck("linear", f_linear, in, 3, NULL, GC_EPS,
                                  GC_ATOL, GC_RTOL));
    free_all(in, 3);
}

static int64_t emb_pad = -1;

static ll_tensor *f_embedding(ll_tensor **in, void *ctx, ll_err *err)
{
    return ll_embedding("Embedding", ctx, in[0], emb_pad, err);
}

static void test_gradcheck_embedding_padding(void **state)
{
    (void)state;
    float iv[5] = {1, 0, 3, 1, 2};
    int64_t n = 5;
    ll_tensor *idx = ll_tensor_from(1, &n, iv, NULL);
    ll_tensor *in[1] = {rnd(2, 4, 3, 0)};
    assert_int_equal(0, gradcheck("embedding", f_embedding, in, 1, idx, GC_EPS,
                                  GC_ATOL, GC_RTOL));
    /* With padding_idx 0 the padding row gets no gradient (as PyTorch);
     * the other rows still do. */
    ll_tensor_set_grad(in[0], NULL);
    emb_pad = 0;
    ll_err e0 = {0};
    ll_tensor *y0 = f_embedding(in, idx, &e0);
    ll_tensor *s0 = ll_reduce(LL_RSUM, y0, LL_ALLDIMS, 0, &e0);
    assert_int_equal(0, ll_tensor_backward(s0, NULL, 0, &e0));
    ll_tensor_free(s0);
    ll_tensor_free(y0);
    emb_pad = -1;
    assert_true(ll_tensor_get(ll_tensor_grad(in[0]), 3) == 2.0f);
    for (int j = 0; j < 3; j++)
        assert_true(ll_tensor_get(ll_tensor_grad(in[0]), j) == 0.0f);
    ll_err err = {0};
    iv[0] = 4;
    ll_tensor *bad = ll_tensor_from(1, &n, iv, NULL);
    assert_null(ll_embedding("Embedding(4, 3)", bad, in[0], -1, &err));
    assert_string_equal("Embedding(4, 3): index 4 out of range for 4 "
                        "embeddings",
                        err.msg);
    ll_tensor_free(bad);
    free_all(in, 1);
    ll_tensor_free(idx);
}

typedef struct {
    ll_cell cell;
    int reverse, out_idx;
    ll_tensor *mask;
} rnn_ctx;

/* Combine every output so each gets a gradient. */
static ll_tensor *f_rnn(ll_tensor **in, void *ctx, ll_err *err)
{
    rnn_ctx *c = ctx;
    ll_tensor *o[3];
    if (ll_rnn_layer("rnn", c->cell, in[0], in[1], in[2], in[3], in[4], in[5],
                     in[6], c->reverse, c->mask, o, err))
        return NULL;
    ll_tensor *s1 = ll_reduce(LL_RSUM, o[0], 0, 0, err); /* (B, H) */
    ll_tensor *s2 = ll_binary(LL_ADD, s1, o[1], err);
    ll_tensor *s3 = o[2] ? ll_binary(LL_MUL, s2, o[2], err) : ll_tensor_ref(s2);
    free_all(o, 3);
    ll_tensor_free(s1);
    ll_tensor_free(s2);
    return s3;
}

static void check_rnn(ll_cell cell, int G, int reverse, int with_mask)
{
    int64_t T = 4, B = 2, D = 3, H = 3;
    ll_manual_seed(100 + (uint64_t)cell * 4 + (uint64_t)reverse);
    ll_tensor *in[7] = {rnd(3, T, B, D),
                        rnd(2, B, H, 0),
                        cell == LL_CELL_LSTM ? rnd(2, B, H, 0) : NULL,
                        rnd(2, G * H, D, 0),
                        rnd(2, G * H, H, 0),
                        rnd(1, G * H, 0, 0),
                        rnd(1, G * H, 0, 0)};
    rnn_ctx c = {cell, reverse, 0, NULL};
    if (with_mask) {
        int64_t bh[2] = {B, H};
        c.mask = ll_dropout_mask(2, bh, 0.3, NULL);
    }
    char what[48];
    snprintf(what, sizeof what, "rnn cell %d reverse %d mask %d", (int)cell,
             reverse, with_mask);
    assert_int_equal(
        0, gradcheck(what, f_rnn, in, 7, &c, GC_EPS, GC_ATOL, GC_RTOL));
    free_all(in, 7);
    ll_tensor_free(c.mask);
}

static void test_gradcheck_lstm(void **state)
{
    (void)state;
    check_rnn(LL_CELL_LSTM, 4, 0, 0);
    check_rnn(LL_CELL_LSTM, 4, 1, 0);
    check_rnn(LL_CELL_LSTM, 4, 0, 1);
}

static void test_gradcheck_gru(void **state)
{
    (void)state;
    check_rnn(LL_CELL_GRU, 3, 0, 0);
    check_rnn(LL_CELL_GRU, 3, 1, 1);
}

static void test_gradcheck_simple_rnn(void **state)
{
    (void)state;
    check_rnn(LL_CELL_TANH, 1, 0, 0);
    check_rnn(LL_CELL_RELU, 1, 1, 0);
}

static void test_rnn_bad_shapes(void **state)
{
    (void)state;
    ll_err err = {0};
    ll_tensor *x = rnd(3, 4, 2, 5), *wih = rnd(2, 8, 3, 0),
              *whh = rnd(2, 8, 2, 0);
    ll_tensor *o[3];
    assert_int_equal(LL_EINVAL,
                     ll_rnn_layer("LSTM(3, 2)", LL_CELL_LSTM, x, NULL, NULL,
                                  wih, whh, NULL, NULL, 0, NULL, o, &err));
    assert_string_equal("LSTM(3, 2): input has 5 features but weight_ih has "
                        "shape [8, 3] (expected [8, 5])",
                        err.msg);
    ll_tensor *all[] = {x, wih, whh};
    free_all(all, 3);
}

typedef struct {
    int stride, pad, dil;
} conv_ctx;

static ll_tensor *f_conv(ll_tensor **in, void *ctx, ll_err *err)
{
    conv_ctx *c = ctx;
    return ll_conv1d("Conv1d", in[0], in[1], in[2], c->stride, c->pad, c->dil,
                     err);
}

static void test_gradcheck_conv1d(void **state)
{
    (void)state;
    conv_ctx cs[2] = {{1, 0, 1}, {2, 1, 2}};
    for (int i = 0; i < 2; i++) {
        ll_tensor *in[3] = {rnd(3, 2, 3, 9), rnd(3, 4, 3, 3), rnd(1, 4, 0, 0)};
        assert_int_equal(0, gradcheck("conv1d", f_conv, in, 3, &cs[i], GC_EPS,
                                      GC_ATOL, GC_RTOL));
        free_all(in, 3);
    }
}

static ll_tensor *f_pool(ll_tensor **in, void *ctx, ll_err *err)
{
    int is_max = *(int *)ctx;
    return ll_pool1d("pool", in[0], is_max, 3, 2, 1, err);
}

static void test_gradcheck_pool1d(void **state)
{
    (void)state;
    for (int is_max = 0; is_max < 2; is_max++) {
        ll_tensor *in[1] = {rnd(3, 2, 3, 8)};
        assert_int_equal(0,
                         gradcheck(is_max ? "maxpool" : "avgpool", f_pool, in,
                                   1, &is_max, GC_EPS, GC_ATOL, GC_RTOL));
        free_all(in, 1);
    }
}

static ll_tensor *f_layer_norm(ll_tensor **in, void *ctx, ll_err *err)
{
    (void)ctx;
    return ll_layer_norm("LayerNorm", in[0], in[1], in[2], 1e-5, err);
}

static void test_gradcheck_layer_norm(void **state)
{
    (void)state;
    ll_tensor *in[3] = {rnd(2, 3, 5, 0), rnd(1, 5, 0, 0), rnd(1, 5, 0, 0)};
    assert_int_equal(0, gradcheck("layer_norm", f_layer_norm, in, 3, NULL,
                                  GC_EPS, GC_ATOL, GC_RTOL));
    free_all(in, 3);
}

static ll_tensor *f_dropout(ll_tensor **in, void *ctx, ll_err *err)
{
    (void)ctx;
    ll_manual_seed(5); /* the same mask on every call */
    return ll_dropout(in[0], 0.4, 1, err);
}

static void test_gradcheck_dropout(void **state)
{
    (void)state;
    ll_tensor *in[1] = {rnd(2, 4, 5, 0)};
    assert_int_equal(0, gradcheck("dropout", f_dropout, in, 1, NULL, GC_EPS,
                                  GC_ATOL, GC_RTOL));
    ll_err err = {0};
    ll_tensor *y = f_dropout(in, NULL, &err);
    int zeros = 0;
    for (int64_t i = 0; i < 20; i++) {
        float v = ll_tensor_get(y, i), x = ll_tensor_get(in[0], i);
        if (v == 0.0f)
            zeros++;
        else
            assert_float_equal(x / 0.6f, v, 1e-5);
    }
    assert_true(zeros > 0 && zeros < 20);
    ll_tensor_free(y);
    assert_null(ll_dropout(in[0], 1.5, 1, &err));
    assert_string_equal(
        "Dropout: probability has to be between 0 and 1, but got 1.5", err.msg);
    free_all(in, 1);
}

typedef struct {
    ll_loss_kind kind;
    ll_tensor *target;
    ll_reduction red;
} loss_ctx;

static ll_tensor *f_loss(ll_tensor **in, void *ctx, ll_err *err)
{
    loss_ctx *c = ctx;
    return ll_loss(c->kind, in[0], c->target, c->red, 0.5, -100, err);
}

static void test_gradcheck_losses(void **state)
{
    (void)state;
    for (int kind = LL_LOSS_MSE; kind <= LL_LOSS_NLL; kind++)
        for (int red = LL_RED_MEAN; red <= LL_RED_NONE; red++) {
            ll_manual_seed((uint64_t)kind * 3 + (uint64_t)red);
            int classes = kind == LL_LOSS_CE || kind == LL_LOSS_NLL;
            ll_tensor *x = rnd(2, 4, 3, 0);
            ll_tensor *t;
            if (classes) {
                float cls[4] = {0, 2, 1, 2};
                int64_t n = 4;
                t = ll_tensor_from(1, &n, cls, NULL);
            } else if (kind == LL_LOSS_BCE || kind == LL_LOSS_BCE_LOGITS) {
                int64_t s[2] = {4, 3};
                t = ll_tensor_randint(0, 2, 2, s, NULL);
            } else
                t = rnd(2, 4, 3, 0);
            if (kind == LL_LOSS_BCE) { /* probabilities in (0.1, 0.9) */
                float *d = ll_tensor_data(x);
                for (int i = 0; i < 12; i++)
                    d[i] = 0.5f + 0.3f * tanhf(d[i]);
            }
            loss_ctx c = {(ll_loss_kind)kind, t, (ll_reduction)red};
            ll_tensor *in[1] = {x};
            char what[32];
            snprintf(what, sizeof what, "loss %d reduction %d", kind, red);
            assert_int_equal(0, gradcheck(what, f_loss, in, 1, &c, GC_EPS,
                                          GC_ATOL, GC_RTOL));
            ll_tensor_free(x);
            ll_tensor_free(t);
        }
}

static void test_loss_errors(void **state)
{
    (void)state;
    ll_err err = {0};
    ll_tensor *x = rnd(2, 4, 3, 0), *y = rnd(1, 4, 0, 0);
    assert_null(ll_loss(LL_LOSS_MSE, x, y, LL_RED_MEAN, 1, -100, &err));
    assert_string_equal("MSELoss: input shape [4, 3] and target shape [4] "
                        "differ",
                        err.msg);
    ll_tensor_fill_(y, 3.0f);
    assert_null(ll_loss(LL_LOSS_CE, x, y, LL_RED_MEAN, 1, -100, &err));
    assert_string_equal("CrossEntropyLoss: target 3 at position 1 is not a "
                        "class in [0, 3)",
                        err.msg);
    ll_tensor_free(x);
    ll_tensor_free(y);
}

static void test_sgd_step_and_flat_buffers(void **state)
{
    (void)state;
    ll_err err = {0};
    float v[3] = {1, 2, 3};
    int64_t n = 3;
    ll_tensor *p = ll_tensor_from(1, &n, v, &err);
    ll_tensor_set_requires_grad(p, 1, &err);
    ll_opt_conf c = {.kind = LL_OPT_SGD, .lr = 0.5, .momentum = 0.9};
    ll_optim *o = ll_optim_new(&c, &p, 1, &err);
    assert_non_null(o);
    for (int step = 0; step < 2; step++) {
        ll_optim_zero_grad(o);
        ll_tensor *sq = ll_binary(LL_MUL, p, p, &err);
        ll_tensor *s = ll_reduce(LL_RSUM, sq, LL_ALLDIMS, 0, &err);
        assert_int_equal(0, ll_tensor_backward(s, NULL, 0, &err));
        ll_tensor_free(s);
        ll_tensor_free(sq);
        assert_int_equal(0, ll_optim_step(o, &err));
    }
    /* step 1: g = 2, buf = 2, p = 1 - 1 = 0; step 2: g = 0, buf = 1.8,
     * p = 0 - 0.9 = -0.9 */
    assert_float_equal(-0.9f, ll_tensor_get(p, 0), 1e-6);
    double norm = ll_clip_grad_norm(&p, 1, 1.0);
    assert_float_equal(0.0, norm, 1e-5); /* gradient at p=0 step */
    ll_optim_free(o);
    ll_tensor_free(p);
}

/* Create the file named by the mkstemp template path. */
static void temp_file(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void test_safetensors_round_trip_and_errors(void **state)
{
    (void)state;
    ll_err err = {0};
    char path[] = "nn_test_XXXXXX";
    temp_file(path);
    ll_tensor *a = rnd(2, 2, 3, 0), *b = rnd(1, 4, 0, 0);
    ll_tensor *ts[2] = {a, b};
    const char *names[2] = {"weight", "bias"};
    assert_int_equal(0, ll_safetensors_save(path, names, ts, 2, &err));
    char **rn;
    ll_tensor **rt;
    int n;
    assert_int_equal(0, ll_safetensors_load(path, &rn, &rt, &n, &err));
    assert_int_equal(2, n);
    assert_string_equal("weight", rn[0]);
    for (int i = 0; i < 6; i++)
        assert_true(ll_tensor_get(rt[0], i) == ll_tensor_get(a, i));
    ll_safetensors_list_free(rn, rt, n);
    FILE *f = fopen(path, "wb");
    fputs("garbage", f);
    fclose(f);
    assert_int_equal(LL_EPARSE, ll_safetensors_load(path, &rn, &rt, &n, &err));
    assert_non_null(strstr(err.msg, "not a safetensors file"));
    unlink(path);
    free_all(ts, 2);
}

/* Write a safetensors file with the given JSON header and nbytes of zero
 * data; load it and return the status (err filled). */
static int load_crafted(const char *path, const char *hdr, size_t nbytes,
                        ll_err *err)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t hl = strlen(hdr);
    unsigned char len8[8];
    for (int k = 0; k < 8; k++)
        len8[k] = (unsigned char)((uint64_t)hl >> (8 * k));
    fwrite(len8, 1, 8, f);
    fwrite(hdr, 1, hl, f);
    for (size_t i = 0; i < nbytes; i++)
        fputc(0, f);
    fclose(f);
    char **rn = NULL;
    ll_tensor **rt = NULL;
    int n = 0;
    ll_err_clear(err);
    int rc = ll_safetensors_load(path, &rn, &rt, &n, err);
    if (rc == 0)
        ll_safetensors_list_free(rn, rt, n);
    return rc;
}

/* Hostile headers: shapes whose element count overflows, negative and
 * non-integer dimensions and offsets are refused naming the key. */
static void test_safetensors_hostile(void **state)
{
    (void)state;
    ll_err err = {0};
    char path[] = "nn_test_XXXXXX";
    temp_file(path);
    char want[512];
    /* 2^62 * 4 wraps to 0 bytes: offsets [0, 0] would "match". */
    assert_int_equal(
        LL_EPARSE,
        load_crafted(
            path,
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
            "\"data_offsets\":[0,0]}}",
            0, &err));
    snprintf(want, sizeof want,
             "%s: key 'w': shape [4611686018427387904] has too many "
             "elements",
             path);
    assert_string_equal(err.msg, want);
    assert_int_equal(
        LL_EPARSE,
        load_crafted(path,
                     "{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296,"
                     "4294967296],\"data_offsets\":[0,0]}}",
                     0, &err));
    snprintf(want, sizeof want,
             "%s: key 'w': shape [4294967296, 4294967296] has too many "
             "elements",
             path);
    assert_string_equal(err.msg, want);
    assert_int_equal(
        LL_EPARSE, load_crafted(path,
                                "{\"bias\":{\"dtype\":\"F32\",\"shape\":[2,-2],"
                                "\"data_offsets\":[0,16]}}",
                                16, &err));
    snprintf(want, sizeof want,
             "%s: key 'bias': shape entry 2 is not a non-negative integer",
             path);
    assert_string_equal(err.msg, want);
    assert_int_equal(
        LL_EPARSE, load_crafted(path,
                                "{\"k\":{\"dtype\":\"F32\",\"shape\":[1,\"x\"],"
                                "\"data_offsets\":[0,4]}}",
                                4, &err));
    snprintf(want, sizeof want,
             "%s: key 'k': shape entry 2 is not a non-negative integer", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(LL_EPARSE,
                     load_crafted(path,
                                  "{\"k\":{\"dtype\":\"F32\",\"shape\":[1.5],"
                                  "\"data_offsets\":[0,4]}}",
                                  4, &err));
    snprintf(want, sizeof want,
             "%s: key 'k': shape entry 1 is not a non-negative integer", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(LL_EPARSE,
                     load_crafted(path,
                                  "{\"k\":{\"dtype\":\"F32\",\"shape\":[1],"
                                  "\"data_offsets\":[-4,1e300]}}",
                                  4, &err));
    snprintf(want, sizeof want,
             "%s: key 'k': data_offsets must be two non-negative integers",
             path);
    assert_string_equal(err.msg, want);
    assert_int_equal(LL_EPARSE, load_crafted(path, "{\"k\":[1,2]}", 0, &err));
    snprintf(want, sizeof want, "%s: key 'k': unsupported dtype or bad entry",
             path);
    assert_string_equal(err.msg, want);
    /* A well-formed one still loads. */
    assert_int_equal(
        0, load_crafted(path,
                        "{\"__metadata__\":{\"a\":\"b\"},\"k\":{\"dtype\":"
                        "\"I8\",\"shape\":[2,0,3],\"data_offsets\":[0,0]}}",
                        0, &err));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_linear),
        cmocka_unit_test(test_gradcheck_embedding_padding),
        cmocka_unit_test(test_gradcheck_lstm),
        cmocka_unit_test(test_gradcheck_gru),
        cmocka_unit_test(test_gradcheck_simple_rnn),
        cmocka_unit_test(test_rnn_bad_shapes),
        cmocka_unit_test(test_gradcheck_conv1d),
        cmocka_unit_test(test_gradcheck_pool1d),
        cmocka_unit_test(test_gradcheck_layer_norm),
        cmocka_unit_test(test_gradcheck_dropout),
        cmocka_unit_test(test_gradcheck_losses),
        cmocka_unit_test(test_loss_errors),
        cmocka_unit_test(test_sgd_step_and_flat_buffers),
        cmocka_unit_test(test_safetensors_round_trip_and_errors),
        cmocka_unit_test(test_safetensors_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
