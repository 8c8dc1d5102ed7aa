/* Tests for nn/tensor.c and nn/ops.c: lifetime, views, ops, autograd
 * engine, and a finite-difference gradient check for every op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn_gradcheck.h"
#include "nn/fastmath.h"

static ll_tensor *rnd(int nd, int64_t a, int64_t b, int64_t c)
{
    int64_t s[3] = {a, b, c};
    return ll_tensor_randn(nd, s, NULL);
}

static ll_tensor *pos(int nd, int64_t a, int64_t b, int64_t c)
{
    ll_tensor *t = rnd(nd, a, b, c);
    float *d = ll_tensor_data(t);
    for (int64_t i = 0; i < ll_tensor_numel(t); i++)
        d[i] = fabsf(d[i]) + 0.5f;
    return t;
}

static void free_all(ll_tensor **in, int n)
{
    for (int i = 0; i < n; i++)
        ll_tensor_free(in[i]);
}

static void test_new_is_zero_and_refcounted(void **state)
{
    (void)state;
    ll_err err = {0};
    int64_t s[2] = {2, 3};
    ll_tensor *t = ll_tensor_new(2, s, &err);
    assert_non_null(t);
    assert_int_equal(6, ll_tensor_numel(t));
    for (int i = 0; i < 6; i++)
        assert_true(ll_tensor_data(t)[i] == 0.0f);
    ll_tensor_ref(t);
    ll_tensor_free(t);
    ll_tensor_data(t)[0] = 1.0f; /* still alive */
    ll_tensor_free(t);
    ll_tensor_free(NULL);
    int64_t bad = -1;
    assert_null(ll_tensor_new(1, &bad, &err));
    assert_string_equal("tensor: negative size -1", err.msg);
}

static void test_views_share_storage(void **state)
{
    (void)state;
    ll_err err = {0};
    ll_tensor *t = ll_tensor_arange(0, 6, 1, &err);
    int64_t s[2] = {2, 3};
    ll_tensor *m = ll_reshape(t, 2, s, &err);
    ll_tensor *tr = ll_transpose(m, 0, 1, &err);
    assert_false(ll_tensor_is_contiguous(tr));
    assert_true(ll_tensor_get(tr, 1) == 3.0f); /* tr[0][1] = m[1][0] */
    ll_tensor *row = ll_select(m, 0, 1, &err);
    ll_tensor_data(row)[0] = 42.0f;
    assert_true(ll_tensor_data(t)[3] == 42.0f);
    ll_tensor *n = ll_narrow(m, 1, 1, 5, &err);
    assert_null(n);
    assert_string_equal(
        "narrow: range [1, 6) out of bounds for dimension 1 of [2, 3]",
        err.msg);
    ll_tensor_free(row);
    ll_tensor_free(tr);
    ll_tensor_free(m);
    ll_tensor_free(t);
}

static void test_backward_twice_fails(void **state)
{
    (void)state;
    ll_err err = {0};
    ll_tensor *x = rnd(1, 3, 0, 0);
    ll_tensor_set_requires_grad(x, 1, &err);
    ll_tensor *y = ll_unary(LL_TANH, x, 0, &err);
    ll_tensor *s = ll_reduce(LL_RSUM, y, LL_ALLDIMS, 0, &err);
    assert_int_equal(0, ll_tensor_backward(s, NULL, 0, &err));
    assert_int_equal(LL_EINVAL, ll_tensor_backward(s, NULL, 0, &err));
    assert_string_equal("backward through the graph a second time: the saved "
                        "values of Sum were freed by the first backward "
                        "(pass retain_graph=true to it)",
                        err.msg);
    ll_tensor_free(s);
    ll_tensor_free(y);
    ll_tensor_free(x);
}

static void test_grad_accumulates(void **state)
{
    (void)state;
    ll_err err = {0};
    float v[2] = {1, 2};
    int64_t n = 2;
    ll_tensor *x = ll_tensor_from(1, &n, v, &err);
    ll_tensor_set_requires_grad(x, 1, &err);
    for (int rep = 0; rep < 2; rep++) {
        ll_tensor *y = ll_binary(LL_MUL, x, x, &err);
        ll_tensor *s = ll_reduce(LL_RSUM, y, LL_ALLDIMS, 0, &err);
        assert_int_equal(0, ll_tensor_backward(s, NULL, 0, &err));
        ll_tensor_free(s);
        ll_tensor_free(y);
    }
    assert_true(ll_tensor_get(ll_tensor_grad(x), 1) == 8.0f);
    ll_tensor_free(x);
}

/* ---- gradient checks --------------------------------------------------- */

static ll_tensor *f_binary(ll_tensor **in, void *ctx, ll_err *err)
{
    return ll_binary(*(ll_binop *)ctx, in[0], in[1], err);
}

static void test_gradcheck_binary(void **state)
{
    (void)state;
    ll_binop ops[] = {LL_ADD, LL_SUB,     LL_MUL,    LL_DIV,
                      LL_POW, LL_MAXIMUM, LL_MINIMUM};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        ll_manual_seed(i + 1);
        /* broadcasting: (3, 4) with (4) */
        ll_tensor *in[2] = {pos(2, 3, 4, 0), pos(1, 4, 0, 0)};
        char what[32];
        snprintf(what, sizeof what, "binary op %d", (int)ops[i]);
        assert_int_equal(0, gradcheck(what, f_binary, in, 2, &ops[i], GC_EPS,
                                      GC_ATOL, GC_RTOL));
        free_all(in, 2);
    }
}

static ll_tensor *f_unary(ll_tensor **in, void *ctx, ll_err *err)
{
    ll_unop op = *(ll_unop *)ctx;
    float arg = op == LL_POWS ? 2.5f : op == LL_CLAMP_MIN ? 0.1f : 0.3f;
    return ll_unary(op, in[0], arg, err);
}

static void test_gradcheck_unary(void **state)
{
    (void)state;
    for (int op = LL_NEG; op <= LL_COS; op++) {
        ll_manual_seed((uint64_t)op + 7);
        int positive =
            op == LL_LOG || op == LL_SQRT || op == LL_POWS || op == LL_RDIVS;
        ll_tensor *in[1] = {positive ? pos(2, 2, 5, 0) : rnd(2, 2, 5, 0)};
        char what[32];
        snprintf(what, sizeof what, "unary op %d", op);
        ll_unop u = (ll_unop)op;
        assert_int_equal(
            0, gradcheck(what, f_unary, in, 1, &u, GC_EPS, GC_ATOL, GC_RTOL));
        free_all(in, 1);
    }
}

typedef struct {
    ll_reduce_op op;
    int dim, keep;
} red_ctx;

static ll_tensor *f_reduce(ll_tensor **in, void *ctx, ll_err *err)
{
    red_ctx *c = ctx;
    return ll_reduce(c->op, in[0], c->dim, c->keep, err);
}

static void test_gradcheck_reduce(void **state)
{
    (void)state;
    ll_reduce_op ops[] = {LL_RSUM, LL_RMEAN, LL_RMAX, LL_RMIN,
                          LL_RVAR, LL_RSTD,  LL_RPROD};
    int dims[] = {LL_ALLDIMS, 0, 1, -1};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        for (size_t j = 0; j < 4; j++) {
            ll_manual_seed(i * 10 + j);
            ll_tensor *in[1] = {rnd(3, 2, 3, 4)};
            red_ctx c = {ops[i], dims[j], (int)(j % 2)};
            char what[48];
            snprintf(what, sizeof what, "reduce %d dim %d", (int)ops[i],
                     dims[j]);
            assert_int_equal(0, gradcheck(what, f_reduce, in, 1, &c, GC_EPS,
                                          GC_ATOL, GC_RTOL));
            free_all(in, 1);
        }
}

static ll_tensor *f_matmul(ll_tensor **in, void *ctx, ll_err *err)
{
    (void)ctx;
    return ll_matmul(in[0], in[1], err);
}

static void test_gradcheck_matmul(void **state)
{
    (void)state;
    ll_tensor *a[2] = {rnd(2, 3, 4, 0), rnd(2, 4, 5, 0)};
    assert_int_equal(0, gradcheck("matmul 2d", f_matmul, a, 2, NULL, GC_EPS,
                                  GC_ATOL, GC_RTOL));
    free_all(a, 2);
    ll_tensor *b[2] = {rnd(3, 2, 3, 4), rnd(3, 2, 4, 2)};
    assert_int_equal(
        0, gradcheck("bmm", f_matmul, b, 2, NULL, GC_EPS, GC_ATOL, GC_RTOL));
    free_all(b, 2);
    ll_tensor *c[2] = {rnd(3, 2, 3, 4), rnd(2, 4, 2, 0)};
    assert_int_equal(0, gradcheck("matmul 3d x 2d", f_matmul, c, 2, NULL,
                                  GC_EPS, GC_ATOL, GC_RTOL));
    free_all(c, 2);
    ll_tensor *d[2] = {rnd(1, 4, 0, 0), rnd(2, 4, 3, 0)};
    assert_int_equal(0, gradcheck("vector x matrix", f_matmul, d, 2, NULL,
                                  GC_EPS, GC_ATOL, GC_RTOL));
    free_all(d, 2);
}

/* Views chained: permute, narrow, select, unsqueeze, expand, reshape. */
static ll_tensor *f_views(ll_tensor **in, void *ctx, ll_err *err)
{
    (void)ctx;
    int perm[3] = {2, 0, 1};
    ll_tensor *p = ll_permute(in[0], perm, err); /* 4 2 3 */
    ll_tensor *n = ll_narrow(p, 0, 1, 2, err);   /* 2 2 3 */
    ll_tensor *s = ll_select(n, 1, 1, err);      /* 2 3 */
    ll_tensor *u = ll_unsqueeze(s, 0, err);      /* 1 2 3 */
    int64_t es[3] = {2, 2, 3};
    ll_tensor *e = ll_expand(u, 3, es, err); /* 2 2 3 */
    int64_t rs[2] = {3, 4};
    ll_tensor *r = ll_reshape(e, 2, rs, err);
    ll_tensor *t = ll_transpose(r, 0, 1, err);
    ll_tensor *q = ll_squeeze(t, -1, err);
    ll_tensor *out = ll_binary(LL_MUL, q, q, err);
    ll_tensor *all[] = {p, n, s, u, e, r, t, q};
    free_all(all, 8);
    return out;
}

static void test_gradcheck_views(void **state)
{
    (void)state;
    ll_tensor *in[1] = {rnd(3, 2, 3, 4)};
    assert_int_equal(
        0, gradcheck("views", f_views, in, 1, NULL, GC_EPS, GC_ATOL, GC_RTOL));
    free_all(in, 1);
}

static ll_tensor *f_cat(ll_tensor **in, void *ctx, ll_err *err)
{
    int stack = *(int *)ctx;
    return stack ? ll_stack(in, 2, 1, err) : ll_cat(in, 2, 1, err);
}

static void test_gradcheck_cat_stack(void **state)
{
    (void)state;
    int mode = 0;
    ll_tensor *a[2] = {rnd(2, 2, 3, 0), rnd(2, 2, 2, 0)};
    assert_int_equal(
        0, gradcheck("cat", f_cat, a, 2, &mode, GC_EPS, GC_ATOL, GC_RTOL));
    free_all(a, 2);
    mode = 1;
    ll_tensor *b[2] = {rnd(2, 2, 3, 0), rnd(2, 2, 3, 0)};
    assert_int_equal(
        0, gradcheck("stack", f_cat, b, 2, &mode, GC_EPS, GC_ATOL, GC_RTOL));
    free_all(b, 2);
}

static ll_tensor *f_index(ll_tensor **in, void *ctx, ll_err *err)
{
    return ll_index_select(in[0], 0, ctx, err);
}

static void test_gradcheck_index_select(void **state)
{
    (void)state;
    float iv[4] = {2, 0, 2, 1};
    int64_t n = 4;
    ll_tensor *idx = ll_tensor_from(1, &n, iv, NULL);
    ll_tensor *in[1] = {rnd(2, 3, 2, 0)};
    assert_int_equal(0, gradcheck("index_select", f_index, in, 1, idx, GC_EPS,
                                  GC_ATOL, GC_RTOL));
    free_all(in, 1);
    ll_tensor_free(idx);
}

static ll_tensor *f_softmax(ll_tensor **in, void *ctx, ll_err *err)
{
    return ll_softmax(in[0], 1, *(int *)ctx, err);
}

static void test_gradcheck_softmax(void **state)
{
    (void)state;
    for (int lg = 0; lg < 2; lg++) {
        ll_tensor *in[1] = {rnd(3, 2, 4, 3)};
        assert_int_equal(0, gradcheck(lg ? "log_softmax" : "softmax", f_softmax,
                                      in, 1, &lg, GC_EPS, GC_ATOL, GC_RTOL));
        free_all(in, 1);
    }
}

static void test_bad_shapes_named(void **state)
{
    (void)state;
    ll_err err = {0};
    ll_tensor *a = rnd(2, 2, 3, 0), *b = rnd(2, 4, 3, 0);
    assert_null(ll_binary(LL_ADD, a, b, &err));
    assert_string_equal("Add: shapes [2, 3] and [4, 3] cannot be broadcast "
                        "together",
                        err.msg);
    assert_null(ll_matmul(a, a, &err));
    assert_string_equal("matmul: shapes [2, 3] and [2, 3] do not match",
                        err.msg);
    int64_t s[1] = {5};
    assert_null(ll_reshape(a, 1, s, &err));
    assert_string_equal("reshape: cannot view [2, 3] (6 elements) as [5]",
                        err.msg);
    ll_tensor_free(a);
    ll_tensor_free(b);
}

/* Element counts that overflow int64 (or the address space) are refused
 * with the shape in the message, never wrapped into a small buffer. */
static void test_numel_overflow(void **state)
{
    (void)state;
    ll_err err = {0};
    int64_t big[1] = {INT64_C(4611686018427387904)};
    assert_null(ll_tensor_new(1, big, &err));
    assert_int_equal(err.code, LL_ERANGE);
    assert_string_equal(err.msg, "tensor: shape [4611686018427387904] has "
                                 "too many elements");
    /* 2^31 * 2^31 * 4 wraps to 0 in int64 arithmetic. */
    int64_t wrap[3] = {INT64_C(2147483648), INT64_C(2147483648), 4};
    ll_err_clear(&err);
    assert_null(ll_tensor_full(3, wrap, 1.0f, &err));
    assert_string_equal(err.msg, "tensor: shape [2147483648, 2147483648, 4] "
                                 "has too many elements");
    /* A zero dimension makes an empty tensor whatever the others are. */
    int64_t empty[2] = {0, INT64_C(4611686018427387904)};
    ll_tensor *e = ll_tensor_new(2, empty, &err);
    assert_non_null(e);
    assert_int_equal(ll_tensor_numel(e), 0);
    /* expand of a view must not wrap either. */
    int64_t one[2] = {1, 1};
    ll_tensor *t = ll_tensor_new(2, one, &err);
    int64_t huge[2] = {INT64_C(4294967296), INT64_C(4294967296)};
    ll_err_clear(&err);
    assert_null(ll_expand(t, 2, huge, &err));
    assert_string_equal(err.msg, "expand: cannot expand [1, 1] to "
                                 "[4294967296, 4294967296] (too many "
                                 "elements)");
    /* reshape with a wrapping product is refused. */
    int64_t rs[3] = {INT64_C(4611686018427387904), 4, 1};
    ll_err_clear(&err);
    assert_null(ll_reshape(e, 3, rs, &err));
    assert_int_equal(err.code, LL_EINVAL);
    ll_err_clear(&err);
    assert_null(ll_tensor_arange(0, 1e30, 1, &err));
    assert_string_equal(err.msg, "arange: 0..1e+30 step 1 has too many "
                                 "elements");
    ll_tensor_free(t);
    ll_tensor_free(e);
}

/* The fast exp/sigmoid/tanh: NaN in gives NaN out; extremes saturate
 * (no signed overflow in the exponent arithmetic). */
static void test_fastmath_extremes(void **state)
{
    (void)state;
    assert_true(isnan(ll_fexp(NAN)));
    assert_true(isnan(ll_fsigmoid(NAN)));
    assert_true(isnan(ll_ftanh(NAN)));
    assert_true(ll_fexp(INFINITY) > 1e38f);
    assert_true(ll_fexp(1e30f) > 1e38f);
    assert_true(ll_fexp(-INFINITY) >= 0.0f && ll_fexp(-INFINITY) < 1e-37f);
    assert_true(ll_fsigmoid(-1e30f) < 1e-37f);
    assert_true(ll_fsigmoid(1e30f) == 1.0f);
    assert_true(ll_fsigmoid(INFINITY) == 1.0f);
    assert_true(ll_fsigmoid(-INFINITY) < 1e-37f);
    assert_true(ll_ftanh(INFINITY) == 1.0f);
    assert_true(ll_ftanh(-1e30f) == -1.0f);
    float v[9] = {NAN,  INFINITY, -INFINITY, 1e30f, -1e30f,
                  0.0f, NAN,      3.0f,      -3.0f};
    float w[9];
    memcpy(w, v, sizeof v);
    ll_vsigmoid(v, 9);
    ll_vtanh(w, 9);
    assert_true(isnan(v[0]) && isnan(v[6]) && isnan(w[0]) && isnan(w[6]));
    assert_true(v[1] == 1.0f && v[2] < 1e-37f && v[3] == 1.0f);
    assert_true(v[4] < 1e-37f && v[5] == 0.5f);
    assert_true(w[1] == 1.0f && w[2] == -1.0f && w[3] == 1.0f &&
                w[4] == -1.0f && w[5] == 0.0f);
    assert_true(fabsf(v[7] - ll_fsigmoid(3.0f)) == 0.0f);
    assert_true(fabsf(w[8] - ll_ftanh(-3.0f)) == 0.0f);
    assert_true(fabsf(v[7] - 1.0f / (1.0f + expf(-3.0f))) < 1e-6f);
}

static void expect_render(ll_tensor *t, const char *want)
{
    ll_buf b;
    ll_buf_init(&b);
    assert_int_equal(ll_tensor_render(t, &b), LL_OK);
    assert_string_equal(ll_buf_str(&b), want);
    ll_buf_free(&b);
    ll_tensor_free(t);
}

/* Tensor text as PyTorch prints it: one format, right-aligned columns. */
static void test_render(void **state)
{
    (void)state;
    int64_t s22[2] = {2, 2}, s2[1] = {2}, s4[1] = {4}, s222[3] = {2, 2, 2};
    float ints[4] = {1, 2, 30, 4}, fx[4] = {0.25f, -1.5f, 3, 4};
    float sci[2] = {1e9f, 1.5f}, odd[4] = {NAN, INFINITY, -INFINITY, 2};
    expect_render(ll_tensor_from(2, s22, ints, NULL),
                  "tensor([[ 1.,  2.],\n"
                  "        [30.,  4.]], shape=[2, 2])");
    expect_render(ll_tensor_from(2, s22, fx, NULL),
                  "tensor([[ 0.2500, -1.5000],\n"
                  "        [ 3.0000,  4.0000]], shape=[2, 2])");
    expect_render(ll_tensor_from(1, s2, sci, NULL),
                  "tensor([1.0000e+09, 1.5000e+00], shape=[2])");
    expect_render(ll_tensor_from(1, s4, odd, NULL),
                  "tensor([nan, inf, -inf, 2.], shape=[4])");
    expect_render(ll_tensor_arange(0, 20, 1, NULL),
                  "tensor([ 0.,  1.,  2.,  ..., 17., 18., 19.], shape=[20])");
    expect_render(ll_tensor_new(3, s222, NULL), "tensor([[[0., 0.],\n"
                                                "         [0., 0.]],\n"
                                                "\n"
                                                "        [[0., 0.],\n"
                                                "         [0., 0.]]], "
                                                "shape=[2, 2, 2])");
    expect_render(ll_tensor_scalar(3.5f, NULL), "tensor(3.5000, shape=[])");
    /* a transposed view renders its logical order; grad marks follow */
    ll_tensor *a = ll_tensor_from(2, s22, ints, NULL);
    ll_tensor_set_requires_grad(a, 1, NULL);
    ll_tensor *tr = ll_transpose(a, 0, 1, NULL);
    expect_render(tr, "tensor([[ 1., 30.],\n"
                      "        [ 2.,  4.]], shape=[2, 2], grad_fn=Permute)");
    expect_render(a, "tensor([[ 1.,  2.],\n"
                     "        [30.,  4.]], shape=[2, 2], requires_grad=true)");
}

/* The same tensors as tests/fixtures/make_nn_render.py prints with
 * PyTorch (tests/fixtures/nn/render.txt): equal text, shape aside. */
static void test_render_like_pytorch(void **state)
{
    (void)state;
    const char *src = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/nn/render.txt",
             src ? src : ".");
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char want[16384];
    size_t wl = fread(want, 1, sizeof want - 1, fp);
    fclose(fp);
    want[wl] = '\0';
    float nan = NAN, inf = INFINITY;
    float c1[4] = {1, 2, 30, 4}, c2[4] = {0.25f, -1.5f, 3, 4};
    float c3[2] = {1e9f, 1.5f}, c5[4] = {nan, inf, -inf, 2};
    float c8[2] = {1e-5f, 1}, c9[2] = {0.001f, 2000}, c10[2] = {-1e9f, 3};
    float c11[3] = {0.5f, 100.25f, -3.125f}, c12[64], c13[2] = {1, 2000};
    float c14[24];
    for (int i = 0; i < 64; i++)
        c12[i] = (float)i / 7.0f;
    for (int i = 0; i < 24; i++)
        c14[i] = (float)i - 10;
    int64_t s22[2] = {2, 2}, s2[1] = {2}, s3[1] = {3}, s4[1] = {4};
    int64_t s222[3] = {2, 2, 2}, s88[2] = {8, 8}, s234[3] = {2, 3, 4};
    ll_tensor *ts[] = {
        ll_tensor_from(2, s22, c1, NULL), ll_tensor_from(2, s22, c2, NULL),
        ll_tensor_from(1, s2, c3, NULL),  ll_tensor_new(3, s222, NULL),
        ll_tensor_from(1, s4, c5, NULL),  ll_tensor_arange(0, 20, 1, NULL),
        ll_tensor_scalar(3.5f, NULL),     ll_tensor_from(1, s2, c8, NULL),
        ll_tensor_from(1, s2, c9, NULL),  ll_tensor_from(1, s2, c10, NULL),
        ll_tensor_from(1, s3, c11, NULL), ll_tensor_from(2, s88, c12, NULL),
        ll_tensor_from(1, s2, c13, NULL), ll_tensor_from(3, s234, c14, NULL),
    };
    const char *w = want;
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        const char *end = strstr(w, "\n====\n");
        assert_non_null(end);
        ll_buf b;
        ll_buf_init(&b);
        assert_int_equal(ll_tensor_render(ts[i], &b), LL_OK);
        /* drop ", shape=[...]" before the closing parenthesis */
        char *sh = strstr(b.data, ", shape=");
        assert_non_null(sh);
        sh[0] = ')';
        sh[1] = '\0';
        if (strlen(b.data) != (size_t)(end - w) ||
            strncmp(b.data, w, (size_t)(end - w)) != 0)
            fail_msg("case %zu: got\n%s\nPyTorch prints\n%.*s", i + 1, b.data,
                     (int)(end - w), w);
        ll_buf_free(&b);
        ll_tensor_free(ts[i]);
        w = end + 6;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_is_zero_and_refcounted),
        cmocka_unit_test(test_views_share_storage),
        cmocka_unit_test(test_backward_twice_fails),
        cmocka_unit_test(test_grad_accumulates),
        cmocka_unit_test(test_gradcheck_binary),
        cmocka_unit_test(test_gradcheck_unary),
        cmocka_unit_test(test_gradcheck_reduce),
        cmocka_unit_test(test_gradcheck_matmul),
        cmocka_unit_test(test_gradcheck_views),
        cmocka_unit_test(test_gradcheck_cat_stack),
        cmocka_unit_test(test_gradcheck_index_select),
        cmocka_unit_test(test_gradcheck_softmax),
        cmocka_unit_test(test_bad_shapes_named),
        cmocka_unit_test(test_numel_overflow),
        cmocka_unit_test(test_fastmath_extremes),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_like_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
