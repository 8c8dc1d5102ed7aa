/* forecast/automl: the LSTM forecaster (enable_dnn): a fixed-weights
 * forward pass against torch.nn.LSTM, learning a nonlinear function of a
 * lag sequence, a lagged sine through the search (reproducible, well below
 * the mean model), its pipeline saved and scored by ll_model_*, and
 * hostile weight shapes refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "automl_fixture.h"
#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "model/model.h"
#include "util/buf.h"
#include "util/fsutil.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/fixtures/automl"
#endif

static const char *const arr_names[8] = {"mean", "sd",   "ystat", "seq",
                                         "w_ih", "w_hh", "bias",  "head"};

/* One line "name v..." of the fixture into a malloc'd array. */
static double *fixture(const char *name, size_t *len)
{
    FILE *fp = fopen(FIXTURE_DIR "/lstm_forward.txt", "r");
    if (!fp)
        fail_msg("cannot open %s", FIXTURE_DIR "/lstm_forward.txt");
    char *line = NULL;
    size_t cap = 0;
    double *v = NULL;
    *len = 0;
    while (getline(&line, &cap, fp) > 0) {
        size_t k = strlen(name);
        if (strncmp(line, name, k) != 0 || line[k] != ' ')
            continue;
        v = malloc(4096 * sizeof *v);
        char *s = line + k, *e;
        for (double d; (d = strtod(s, &e)), e != s; s = e)
            v[(*len)++] = d;
        break;
    }
    free(line);
    fclose(fp);
    if (!v)
        fail_msg("fixture has no %s", name);
    return v;
}

static int restore(double **arrs, size_t *lens, size_t p, ll_aml_regressor **r,
                   ll_err *err)
{
    char names[8][16];
    for (int i = 0; i < 8; i++)
        snprintf(names[i], sizeof names[i], "%s", arr_names[i]);
    return ll_aml_regressor_restore(&ll_aml_lstm, p, (const char(*)[16])names,
                                    arrs, lens, 8, r, err);
}

/* The scoring forward equals torch.nn.LSTM (double) on the same weights. */
static void test_forward_vs_torch(void **state)
{
    (void)state;
    size_t np, nx, ny;
    double *pp = fixture("p", &np);
    size_t p = (size_t)pp[0];
    double *arrs[8];
    size_t lens[8];
    for (int i = 0; i < 8; i++)
        arrs[i] = fixture(arr_names[i], &lens[i]);
    double *X = fixture("X", &nx), *want = fixture("yhat", &ny);
    assert_int_equal(nx, ny * p);
    ll_aml_regressor *r = NULL;
    ll_err err = {0};
    if (restore(arrs, lens, p, &r, &err))
        fail_msg("%s", err.msg);
    double got[16];
    ll_aml_lstm.predict(r, X, ny, got);
    for (size_t i = 0; i < ny; i++)
        if (!(fabs(got[i] - want[i]) < 1e-12 * (1 + fabs(want[i]))))
            fail_msg("row %zu: %.17g, torch %.17g", i, got[i], want[i]);
    ll_aml_regressor_free(r);

    /* Hostile shapes: each named with what it should be. */
    lens[5]--; /* w_hh */
    assert_int_equal(restore(arrs, lens, p, &r, &err), LL_EPARSE);
    assert_string_equal(err.msg, "LSTM: w_hh has 35 values, expected 36 (4 x "
                                 "hidden x hidden)");
    lens[5]++;
    double keep = arrs[3][4];
    arrs[3][4] = 6; /* a lag column past the features */
    assert_int_equal(restore(arrs, lens, p, &r, &err), LL_EPARSE);
    assert_string_equal(err.msg,
                        "LSTM: seq[5] = 6 is not a feature column (0..5)");
    arrs[3][4] = keep;
    arrs[3][0] = 1e9; /* hidden size */
    assert_int_equal(restore(arrs, lens, p, &r, &err), LL_EPARSE);
    assert_string_equal(err.msg,
                        "LSTM: seq[1] = 1e+09 is not a size in 1..1024");
    for (int i = 0; i < 8; i++)
        free(arrs[i]);
    free(pp), free(X), free(want);
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rmse(const double *a, const double *b, size_t n)
{
    double q = 0;
    for (size_t i = 0; i < n; i++)
        q += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(q / (double)n);
}

/* A nonlinear function of a lag sequence: the LSTM learns what Ridge
 * cannot, and the same seed gives the same model. */
static void test_learns_nonlinear(void **state)
{
    (void)state;
    enum { N = 900, NTR = 700, P = 4 };
    static double X[N * P], y[N];
    uint64_t s = 3;
    for (size_t i = 0; i < N; i++) {
        double *x = X + i * P;
        for (int k = 0; k < P; k++)
            x[k] = 4 * (double)(mix(&s) >> 11) / 9007199254740992.0 - 2;
        /* columns 0..2: lags 3, 2, 1; column 3: a regressor */
        y[i] = sin(2 * x[2]) + 0.5 * x[0] * x[1] + fabs(x[3]);
    }
    ll_aml_feat f[P] = {{"y_lag3", "y", LL_AML_F_LAG, 3},
                        {"y_lag2", "y", LL_AML_F_LAG, 2},
                        {"y_lag1", "y", LL_AML_F_LAG, 1},
                        {"x", "x", LL_AML_F_REG, 0}};
    ll_aml_featset fs = {
        .horizon = 1, .season = 1, .f = f, .nf = P, .maxlag = 3};
    ll_aml_fit_ctx cx = {&fs, 16, 200, 0};
    ll_aml_regressor *r = NULL, *r2 = NULL, *lin = NULL;
    ll_err err = {0};
    if (ll_aml_regressor_fit(&ll_aml_lstm, &cx, X, y, NTR, P, 7, &r, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(
        ll_aml_regressor_fit(&ll_aml_lstm, &cx, X, y, NTR, P, 7, &r2, &err), 0);
    assert_int_equal(
        ll_aml_regressor_fit(&ll_aml_ridge, NULL, X, y, NTR, P, 7, &lin, &err),
        0);
    static double pr[N - NTR], pr2[N - NTR], pl[N - NTR], mean[N - NTR];
    const double *Xte = X + NTR * P, *yte = y + NTR;
    ll_aml_lstm.predict(r, Xte, N - NTR, pr);
    ll_aml_lstm.predict(r2, Xte, N - NTR, pr2);
    ll_aml_ridge.predict(lin, Xte, N - NTR, pl);
    assert_memory_equal(pr, pr2, sizeof pr);
    double ym = 0;
    for (size_t i = 0; i < NTR; i++)
        ym += y[i] / NTR;
    for (size_t i = 0; i < N - NTR; i++)
        mean[i] = ym;
    double e = rmse(pr, yte, N - NTR), el = rmse(pl, yte, N - NTR),
           em = rmse(mean, yte, N - NTR);
    print_message("LSTM RMSE %.4f, Ridge %.4f, mean %.4f\n", e, el, em);
    if (!(e < 0.5 * el && e < 0.4 * em))
        fail_msg("LSTM RMSE %g, Ridge %g, mean %g", e, el, em);
    /* Arrays as documented. */
    assert_int_equal(r->narr, 8);
    assert_string_equal(r->arr_name[3], "seq");
    assert_true(r->arr[3][0] == 16 && r->arr[3][1] == 3 && r->arr[3][2] == 1);
    assert_true(r->arr[3][3] == 0 && r->arr[3][4] == 1 && r->arr[3][5] == 2 &&
                r->arr[3][6] == 3);
    ll_aml_regressor_free(r);
    ll_aml_regressor_free(r2);
    ll_aml_regressor_free(lin);

    /* A deadline already passed stops after the first epoch: the model of
     * a one-epoch training. */
    ll_aml_fit_ctx late = {&fs, 16, 200, ll_aml_now() - 1},
                   one = {&fs, 16, 1, 0};
    assert_int_equal(
        ll_aml_regressor_fit(&ll_aml_lstm, &late, X, y, NTR, P, 7, &r, &err),
        0);
    assert_int_equal(
        ll_aml_regressor_fit(&ll_aml_lstm, &one, X, y, NTR, P, 7, &r2, &err),
        0);
    for (size_t a = 0; a < 8; a++)
        assert_memory_equal(r->arr[a], r2->arr[a],
                            r->arr_len[a] * sizeof(double));
    ll_aml_lstm.predict(r, Xte, N - NTR, pr);
    double e1 = rmse(pr, yte, N - NTR);
    print_message("one epoch: RMSE %.4f\n", e1);
    assert_true(e1 > e);
    ll_aml_regressor_free(r);
    ll_aml_regressor_free(r2);

    assert_int_equal(
        ll_aml_regressor_fit(&ll_aml_lstm, &cx, X, y, 1, P, 7, &r, &err),
        LL_EINVAL);
    assert_string_equal(err.msg, "LSTM: need 2 rows, got 1");
}

static double sine(int i)
{
    return 10 + 3 * sin(2 * M_PI * i / 12.0) + sin(2 * M_PI * i / 5.0);
}

static ll_aml_job *sine_job(ll_frame *f, int enable)
{
    static const char *allowed[] = {"LSTM", "HistoricAverage"};
    ll_aml_opts o;
    ll_aml_opts_init(&o);
    o.table.target = "y";
    o.table.time = "t";
    o.horizon = 6;
    o.season_length = 12;
    o.threads = 2;
    o.allowed = allowed;
    o.nallowed = 2;
    o.enable_dnn = enable;
    o.dnn_epochs = 40;
    ll_aml_job *j = NULL;
    ll_err err = {0};
    if (ll_aml_run(f, &o, &j, &err)) {
        if (!enable) {
            assert_string_equal(err.msg, "allowed: LSTM is a deep learning "
                                         "model; set enable_dnn = true");
            return NULL;
        }
        fail_msg("%s", err.msg);
    }
    return j;
}

/* A lagged sine through the search: CV well below the mean model's, the
 * same numbers twice, and a pipeline scored the same from its directory. */
static void test_search_sine(void **state)
{
    (void)state;
    ll_buf b;
    ll_buf_init(&b);
    ll_buf_puts(&b, "t,y\n");
    for (int i = 0; i < 120; i++)
        ll_buf_printf(&b, "%d,%.17g\n", i, sine(i));
    ll_frame *f = csv(b.data);
    ll_buf_free(&b);
    assert_null(sine_job(f, 0));
    ll_aml_job *j = sine_job(f, 1), *j2 = sine_job(f, 1);
    int a = trial_of(j, "LSTM"), m = trial_of(j, "HistoricAverage");
    assert_true(a >= 0 && m >= 0);
    assert_true(j->trials[a].ok);
    double e = j->trials[a].metrics[LL_AML_NRMSE],
           em = j->trials[m].metrics[LL_AML_NRMSE];
    print_message("LSTM NRMSE %.3g, HistoricAverage %.3g\n", e, em);
    if (!(e < 0.1 * em))
        fail_msg("LSTM NRMSE %g, HistoricAverage %g", e, em);
    size_t cells = j->folds * j->opts.horizon;
    assert_memory_equal(j->trials[a].cv, j2->trials[trial_of(j2, "LSTM")].cv,
                        cells * sizeof(double));
    assert_string_equal(j->trials[j->best].model, "LSTM");

    ll_err err = {0};
    ll_frame *fc = ll_aml_pipeline_forecast(j->pipe, 6, NULL, &err);
    assert_non_null(fc);
    for (int i = 0; i < 6; i++)
        if (!(fabs(LL_F64(fc->cols[1])[i] - sine(120 + i)) < 0.05))
            fail_msg("step %d: %g, want %g", i + 1, LL_F64(fc->cols[1])[i],
                     sine(120 + i));
    char dir[] = "/tmp/automl-lstm-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/model", dir);
    assert_int_equal(ll_aml_pipeline_save(j->pipe, mdir, &err), 0);
    ll_model *mod = NULL;
    if (ll_model_load(mdir, &mod, &err))
        fail_msg("%s", err.msg);
    ll_frame *fut = csv("t\n120\n121\n122\n123\n124\n125\n");
    ll_frame *fc2 = NULL;
    if (ll_model_predict(mod, fut, &fc2, &err))
        fail_msg("%s", err.msg);
    int col = ll_frame_find(fc2, "forecast");
    assert_true(col >= 0);
    assert_memory_equal(LL_F64(fc->cols[1]), LL_F64(fc2->cols[col]),
                        6 * sizeof(double));
    ll_model_free(mod);
    ll_frame_free(fc2);
    ll_frame_free(fut);
    assert_int_equal(ll_remove_tree(dir, &err), 0);
    ll_frame_free(fc);
    ll_aml_job_free(j);
    ll_aml_job_free(j2);
    ll_frame_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_vs_torch),
        cmocka_unit_test(test_learns_nonlinear),
        cmocka_unit_test(test_search_sine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
