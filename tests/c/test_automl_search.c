/* forecast/automl: featurization (gaps, errors, season, PACF), the search
 * on two exact series, the pipeline's forecasts, save/load and the
 * forecast model flavor. */
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
#include "model/model.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/signals.h"

/* A deterministic noise-like regressor (no autocorrelation to speak of). */
static double xval(int s, int i)
{
    uint64_t z = (uint64_t)(i * 2 + s + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z ^= z >> 27;
    return 5 + 3 * (double)(z >> 11) / 9007199254740992.0;
}

/* Two series A and B over days from..from+n-1 counted from 2020-01-01:
 * y = 2 x + 10 (A) or 12 (B). */
static ll_frame *two_series(int from, int n)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_buf_puts(&b, "Date,Store,x,y\n");
    for (int s = 0; s < 2; s++)
        for (int i = from; i < from + n; i++) {
            int day = i + 1;
            int y = 2020, m = 1;
            int dm[] = {31, 29, 31, 30, 31, 30};
            while (day > dm[m - 1]) {
                day -= dm[m - 1];
                m++;
            }
            double x = xval(s, i);
            ll_buf_printf(&b, "%04d-%02d-%02d,%s,%.17g,%.17g\n", y, m, day,
                          s ? "B" : "A", x, 2 * x + (s ? 12 : 10));
        }
    ll_frame *f = csv(b.data);
    ll_buf_free(&b);
    return f;
}

static const char *series_cols[] = {"Store"};

static void test_table_gaps(void **state)
{
    (void)state;
    ll_frame *f = csv("t,g,y,x\n2020-01-01,A,1,10\n2020-01-02,A,2,20\n"
                      "2020-01-05,A,5,50\n2020-01-01,B,7,1\n");
    ll_aml_table_opts o = {"y", "t", series_cols, 0, NULL, 0, NULL};
    const char *g[] = {"g"};
    o.series = g;
    o.nseries = 1;
    ll_aml_table *t = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_table_from_frame(f, &o, &t, &err), 0);
    assert_int_equal(t->nseries, 2);
    assert_int_equal(t->len[0], 5);
    assert_int_equal(t->len[1], 1);
    assert_int_equal(t->filled, 2);
    assert_string_equal(t->keys[0], "A");
    /* Target forward-filled, regressor by the series median (20). */
    double wy[] = {1, 2, 2, 2, 5}, wx[] = {10, 20, 20, 20, 50};
    for (int i = 0; i < 5; i++) {
        assert_true(t->y[i] == wy[i]);
        assert_true(t->x[i] == wx[i]);
    }
    assert_int_equal(t->time_kind, LL_AML_TIME_DATE);
    assert_int_equal(ll_aml_detect_season(t), 7);
    ll_aml_table_free(t);
    ll_frame_free(f);

    f = csv("t,y\n2020-01-31,1\n2020-02-29,2\n2020-03-31,3\n2020-05-31,4\n");
    o.series = NULL;
    o.nseries = 0;
    assert_int_equal(ll_aml_table_from_frame(f, &o, &t, &err), 0);
    assert_int_equal(t->monthly, 1);
    assert_int_equal(t->len[0], 5);
    assert_int_equal(ll_aml_detect_season(t), 12);
    assert_true(ll_aml_table_future_time(t, 0, 1) ==
                t->t[4] + 30); /* 2020-06-30 */
    ll_aml_table_free(t);
    ll_frame_free(f);
}

static void expect_table_error(const char *text, const char *target,
                               int nseries, const char *want)
{
    ll_frame *f = csv(text);
    const char *g[] = {"g"};
    ll_aml_table_opts o = {target, "t", g, nseries, NULL, 0, NULL};
    ll_aml_table *t = NULL;
    ll_err err = {0};
    assert_true(ll_aml_table_from_frame(f, &o, &t, &err) < 0);
    assert_null(t);
    assert_string_equal(err.msg, want);
    ll_frame_free(f);
}

static void test_table_errors(void **state)
{
    (void)state;
    expect_table_error("t,g,y\n2020-01-01,A,1\n", "nope", 1,
                       "target column 'nope' not found");
    expect_table_error("t,g,y\n2020-01-01,A,one\n2020-01-02,A,two\n", "y", 1,
                       "target column 'y' is not numeric (category)");
    expect_table_error("t,g,y\n2020-01-01,A,1\n2020-01-02,A,2\n"
                       "notadate,A,3\n",
                       "y", 1,
                       "unparseable time 'notadate' in row 3 (series A)");
    expect_table_error("t,g,y\n2020-01-01,A,1\n2020-01-02,B,2\n"
                       "2020-01-02,B,3\n",
                       "y", 1,
                       "duplicated time 2020-01-02 in series B (rows 2 and "
                       "3)");
    expect_table_error("t,g,y\n2020-01-01,A,\n2020-01-02,A,2\n", "y", 1,
                       "target 'y' is missing at the start of series A "
                       "(time 2020-01-01)");
    ll_frame *f = ll_frame_new(NULL);
    ll_aml_table_opts o = {"y", "t", NULL, 0, NULL, 0, NULL};
    ll_aml_table *t = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_table_from_frame(f, &o, &t, &err), LL_EINVAL);
    assert_string_equal(err.msg, "the table is empty");
    ll_frame_free(f);
}

static void test_pacf(void **state)
{
    (void)state;
    enum { N = 2000 };
    double y[N], pacf[5];
    uint64_t s = 12345;
    y[0] = 0;
    for (int i = 1; i < N; i++) {
        /* Sum of 12 uniforms minus 6: about N(0, 1). */
        double e = -6;
        for (int k = 0; k < 12; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            e += (double)(s >> 11) / 9007199254740992.0;
        }
        y[i] = 0.7 * y[i - 1] + e;
    }
    ll_aml_pacf(y, N, 5, pacf);
    assert_true(fabs(pacf[0] - 0.7) < 0.05);
    for (int k = 1; k < 5; k++)
        assert_true(fabs(pacf[k]) < 0.08);
}

static void base_opts(ll_aml_opts *o, const char **allowed, int nallowed)
{
    ll_aml_opts_init(o);
    o->table.target = "y";
    o->table.time = "Date";
    o->table.series = series_cols;
    o->table.nseries = 1;
    o->horizon = 7;
    o->threads = 2;
    o->allowed = allowed;
    o->nallowed = nallowed;
}

static void test_search_and_pipeline(void **state)
{
    (void)state;
    ll_frame *f = two_series(0, 70);
    const char *allowed[] = {"Ridge", "Naive", "HistoricAverage", "KNN",
                             "VotingEnsemble"};
    ll_aml_opts o;
    base_opts(&o, allowed, 5);
    ll_aml_job *j = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_int_equal(j->folds, 3);
    assert_int_equal(j->step, 7);
    assert_int_equal(j->season, 7);
    assert_int_equal(j->ntrials, 5);
    assert_true(j->best >= 0);
    const ll_aml_trial *b = &j->trials[j->best];
    assert_true(strcmp(b->model, "Ridge") == 0 ||
                strcmp(b->model, "VotingEnsemble") == 0);
    if (!(b->metrics[LL_AML_NRMSE] < 1e-6))
        fail_msg("%s nrmse %g", b->model, b->metrics[LL_AML_NRMSE]);
    assert_true(fabs(b->metrics[LL_AML_R2] - 1) < 1e-12);

    ll_frame *lb = ll_aml_leaderboard(j, &err);
    assert_non_null(lb);
    assert_int_equal(lb->nrow, 5);
    assert_string_equal(lb->names[0], "rank");
    assert_string_equal(lb->names[1], "model");
    assert_string_equal(lb->names[2], "nrmse");
    assert_int_equal(ll_frame_find(lb, "fit_seconds"), lb->ncol - 2);
    assert_int_equal(ll_frame_find(lb, "error"), lb->ncol - 1);
    ll_frame_free(lb);

    /* The regressor x explains y. */
    ll_frame *ex = ll_aml_explanation(j, &err);
    assert_non_null(ex);
    size_t n;
    const char *s0 = ll_col_str(ex->cols[0], 0, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(s0, "x", 1);
    s0 = ll_col_str(ex->cols[1], 0, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s0, "raw", 3);
    assert_true(LL_F64(ex->cols[2])[0] > 0);
    ll_frame_free(ex);

    /* Forecasts of the next 7 days from their x. */
    ll_frame *fut = two_series(70, 7);
    ll_frame *fc = ll_aml_pipeline_forecast(j->pipe, 0, fut, &err);
    assert_non_null(fc);
    assert_int_equal(fc->nrow, 14);
    assert_string_equal(fc->names[0], "Store");
    assert_string_equal(fc->names[1], "Date");
    assert_string_equal(fc->names[2], "forecast");
    for (int64_t i = 0; i < 14; i++) {
        int s = i >= 7, k = (int)(i % 7);
        double want = 2 * xval(s, 70 + k) + (s ? 12 : 10);
        assert_true(fabs(LL_F64(fc->cols[2])[i] - want) < 1e-6);
    }
    /* Without the regressor. */
    assert_null(ll_aml_pipeline_forecast(j->pipe, 7, NULL, &err));
    assert_string_equal(err.msg, "missing future regressors: x (pass a frame "
                                 "of future rows instead of h)");
    const char *dropx[] = {"x"};
    ll_frame *nox = ll_frame_drop(fut, dropx, 1, &err);
    assert_null(ll_aml_pipeline_forecast(j->pipe, 0, nox, &err));
    assert_string_equal(err.msg,
                        "missing future regressor 'x' in the future frame");
    ll_frame_free(nox);

    /* Save, load: the same numbers, from Lua-free C (ll_model_*). */
    char dir[] = "/tmp/automl-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/model", dir);
    assert_int_equal(ll_aml_pipeline_save(j->pipe, mdir, &err), 0);
    ll_aml_pipeline *p2 = NULL;
    assert_int_equal(ll_aml_pipeline_load(mdir, &p2, &err), 0);
    ll_frame *fc2 = ll_aml_pipeline_forecast(p2, 0, fut, &err);
    assert_non_null(fc2);
    assert_memory_equal(LL_F64(fc->cols[2]), LL_F64(fc2->cols[2]),
                        14 * sizeof(double));
    ll_model *m = NULL;
    assert_int_equal(ll_model_load(mdir, &m, &err), 0);
    assert_string_equal(ll_model_flavor(m), "forecast");
    ll_frame *fc3 = NULL;
    assert_int_equal(ll_model_predict(m, fut, &fc3, &err), 0);
    assert_memory_equal(LL_F64(fc->cols[2]), LL_F64(fc3->cols[2]),
                        14 * sizeof(double));
    ll_model_free(m);
    ll_frame_free(fc3);
    ll_frame_free(fc2);
    ll_aml_pipeline_free(p2);
    assert_int_equal(ll_remove_tree(dir, &err), 0);

    ll_frame_free(fc);
    ll_frame_free(fut);
    ll_aml_job_free(j);
    ll_frame_free(f);
}

static void test_univariate_pipeline(void **state)
{
    (void)state;
    /* Integer time, season 4: SeasonalNaive repeats the last season. */
    ll_buf b;
    ll_buf_init(&b);
    ll_buf_puts(&b, "step,y\n");
    for (int i = 0; i < 40; i++)
        ll_buf_printf(&b, "%d,%d\n", i, (i % 4) * 10);
    ll_frame *f = csv(b.data);
    ll_buf_free(&b);
    const char *allowed[] = {"SeasonalNaive", "Naive"};
    ll_aml_opts o;
    ll_aml_opts_init(&o);
    o.table.target = "y";
    o.table.time = "step";
    o.horizon = 4;
    o.threads = 1;
    o.allowed = allowed;
    o.nallowed = 2;
    ll_aml_job *j = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_int_equal(j->season, 4);
    assert_string_equal(j->trials[j->best].model, "SeasonalNaive");
    assert_true(j->trials[j->best].metrics[LL_AML_NRMSE] == 0);
    ll_frame *fc = ll_aml_pipeline_forecast(j->pipe, 6, NULL, &err);
    assert_non_null(fc);
    assert_int_equal(fc->nrow, 6);
    assert_string_equal(fc->names[0], "step");
    for (int i = 0; i < 6; i++) {
        assert_int_equal(LL_I64(fc->cols[0])[i], 40 + i);
        assert_true(LL_F64(fc->cols[1])[i] == ((40 + i) % 4) * 10);
    }
    ll_frame_free(fc);
    ll_aml_job_free(j);
    ll_frame_free(f);
}

/* StatisticalEnsemble: the plain mean of AutoETS, AutoARIMA and Theta, in
 * CV and as a pipeline (saved and scored from C); with its members
 * blocked, a failed row that says why. */
static void test_statistical_ensemble(void **state)
{
    (void)state;
    ll_buf b;
    ll_buf_init(&b);
    ll_buf_puts(&b, "step,y\n");
    for (int i = 0; i < 60; i++)
        ll_buf_printf(&b, "%d,%.17g\n", i,
                      50 + 0.5 * i + (i % 4) * 6 + 4 * xval(0, i));
    ll_frame *f = csv(b.data);
    ll_buf_free(&b);
    const char *allowed[] = {"AutoETS", "AutoARIMA", "Theta",
                             "StatisticalEnsemble"};
    ll_aml_opts o;
    ll_aml_opts_init(&o);
    o.table.target = "y";
    o.table.time = "step";
    o.horizon = 4;
    o.season_length = 4;
    o.threads = 1;
    o.allowed = allowed;
    o.nallowed = 4;
    ll_aml_job *j = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_int_equal(j->ntrials, 4);
    int se = trial_of(j, "StatisticalEnsemble"), e = trial_of(j, "AutoETS"),
        a = trial_of(j, "AutoARIMA"), t = trial_of(j, "Theta");
    assert_true(se >= 0 && e >= 0 && a >= 0 && t >= 0);
    assert_true(j->trials[se].ok);
    assert_int_equal(j->trials[se].nmembers, 3);
    size_t cells = j->folds * o.horizon;
    for (size_t q = 0; q < cells; q++) {
        double m =
            (j->trials[e].cv[q] + j->trials[a].cv[q] + j->trials[t].cv[q]) / 3;
        assert_true(fabs(j->trials[se].cv[q] - m) <= 1e-12 * fabs(m));
    }
    /* The pipeline forecasts the mean of its members' pipelines. */
    ll_aml_pipeline *ps = NULL, *pm[3] = {NULL, NULL, NULL};
    assert_int_equal(ll_aml_pipeline_fit_trial(j, se, &ps, &err), 0);
    int mi[3] = {e, a, t};
    ll_frame *fm[3];
    for (int k = 0; k < 3; k++) {
        assert_int_equal(ll_aml_pipeline_fit_trial(j, mi[k], &pm[k], &err), 0);
        fm[k] = ll_aml_pipeline_forecast(pm[k], 4, NULL, &err);
        assert_non_null(fm[k]);
    }
    ll_frame *fs = ll_aml_pipeline_forecast(ps, 4, NULL, &err);
    assert_non_null(fs);
    for (int i = 0; i < 4; i++) {
        double m = (LL_F64(fm[0]->cols[1])[i] + LL_F64(fm[1]->cols[1])[i] +
                    LL_F64(fm[2]->cols[1])[i]) /
                   3;
        assert_true(fabs(LL_F64(fs->cols[1])[i] - m) <= 1e-9 * fabs(m));
    }
    char dir[] = "/tmp/automl-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/model", dir);
    assert_int_equal(ll_aml_pipeline_save(ps, mdir, &err), 0);
    ll_model *m = NULL;
    assert_int_equal(ll_model_load(mdir, &m, &err), 0);
    ll_aml_pipeline *p2 = NULL;
    assert_int_equal(ll_aml_pipeline_load(mdir, &p2, &err), 0);
    ll_frame *f2 = ll_aml_pipeline_forecast(p2, 4, NULL, &err);
    assert_non_null(f2);
    assert_memory_equal(LL_F64(fs->cols[1]), LL_F64(f2->cols[1]),
                        4 * sizeof(double));
    ll_frame_free(f2);
    ll_aml_pipeline_free(p2);
    ll_model_free(m);
    assert_int_equal(ll_remove_tree(dir, &err), 0);
    for (int k = 0; k < 3; k++) {
        ll_frame_free(fm[k]);
        ll_aml_pipeline_free(pm[k]);
    }
    ll_frame_free(fs);
    ll_aml_pipeline_free(ps);
    ll_aml_job_free(j);

    const char *only[] = {"Theta", "StatisticalEnsemble"};
    o.allowed = only;
    o.nallowed = 2;
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_int_equal(j->ntrials, 2);
    se = trial_of(j, "StatisticalEnsemble");
    assert_false(j->trials[se].ok);
    assert_string_equal(j->trials[se].error,
                        "StatisticalEnsemble needs two of AutoETS, AutoARIMA "
                        "and Theta to succeed, got 1");
    assert_string_equal(j->trials[j->best].model, "Theta");
    ll_aml_job_free(j);
    ll_frame_free(f);
}

static int reports;
static double last_done, last_total;
static void count_report(void *ud, const ll_progress *p)
{
    (void)ud;
    reports++;
    last_done = p->done;
    last_total = p->total;
}

/* exit_score stops the search after the trial that reaches it; a timeout
 * or an interrupt before any trial leaves no model. */
static void test_stopping(void **state)
{
    (void)state;
    ll_frame *f = two_series(0, 70);
    const char *allowed[] = {"Ridge", "KNN", "VotingEnsemble"};
    ll_aml_opts o;
    base_opts(&o, allowed, 3);
    o.threads = 1;
    o.exit_score = 1e-3;
    ll_progress_set_handler(count_report, NULL);
    reports = 0;
    ll_aml_job *j = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_true(j->exited_early);
    assert_int_equal(j->ntrials, 1); /* KNN never started, no ensemble */
    assert_string_equal(j->trials[j->best].model, "Ridge");
    assert_int_equal(reports, 1);
    assert_true(last_done == 1 && last_total == 2);
    ll_aml_job_free(j);

    base_opts(&o, allowed, 3);
    o.timeout = 1e-9;
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_true(j->timed_out);
    assert_int_equal(j->ntrials, 0);
    assert_int_equal(j->best, -1);
    assert_null(j->pipe);
    ll_aml_job_free(j);

    base_opts(&o, allowed, 3);
    ll_interrupt_requested = 1;
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    ll_interrupt_requested = 0;
    assert_true(j->interrupted);
    assert_int_equal(j->best, -1);
    ll_aml_job_free(j);
    ll_progress_set_handler(NULL, NULL);
    ll_frame_free(f);
}

/* opts.board: the live leaderboard after each trial. */
typedef struct board_seen {
    int calls;
    int64_t rows[16];
    int sorted; /* every table was ranked best first */
    ll_frame *last;
} board_seen;

static void on_board(void *ctx, const ll_aml_job *j)
{
    board_seen *b = ctx;
    ll_err err = {0};
    ll_frame *f = ll_aml_leaderboard_live(j, &err);
    assert_non_null(f);
    if (b->calls < 16)
        b->rows[b->calls] = f->nrow;
    b->calls++;
    const double *m = LL_F64(f->cols[2]); /* the primary metric */
    for (int64_t i = 1; i < f->nrow; i++)
        if (!isnan(m[i]) && !(m[i - 1] <= m[i]))
            b->sorted = 0;
    ll_frame_free(b->last);
    b->last = f;
}

/* The live leaderboard grows a row per trial, ranked as the final one,
 * and after the last trial it equals ll_aml_leaderboard. */
static void test_live_leaderboard(void **state)
{
    (void)state;
    ll_frame *f = two_series(0, 70);
    const char *allowed[] = {"Naive", "HistoricAverage", "Ridge", "KNN",
                             "VotingEnsemble"};
    ll_aml_opts o;
    base_opts(&o, allowed, 5);
    board_seen b = {.sorted = 1};
    o.board = on_board;
    o.progress_ctx = &b;
    ll_aml_job *j = NULL;
    ll_err err = {0};
    assert_int_equal(ll_aml_run(f, &o, &j, &err), 0);
    assert_int_equal(b.calls, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(b.rows[i], i + 1);
    assert_true(b.sorted);
    ll_frame *lb = ll_aml_leaderboard(j, &err);
    assert_non_null(lb);
    assert_int_equal(b.last->nrow, lb->nrow);
    assert_int_equal(b.last->ncol, lb->ncol);
    for (int c = 0; c < lb->ncol; c++) {
        assert_string_equal(b.last->names[c], lb->names[c]);
        if (lb->cols[c]->type == LL_FLOAT)
            assert_memory_equal(LL_F64(b.last->cols[c]), LL_F64(lb->cols[c]),
                                (size_t)lb->nrow * sizeof(double));
    }
    ll_frame_free(lb);
    ll_frame_free(b.last);
    ll_aml_job_free(j);
    ll_frame_free(f);
}

static void expect_run_error(ll_frame *f, ll_aml_opts *o, const char *want)
{
    ll_aml_job *j = NULL;
    ll_err err = {0};
    assert_true(ll_aml_run(f, o, &j, &err) < 0);
    assert_null(j);
    assert_string_equal(err.msg, want);
}

static void test_run_errors(void **state)
{
    (void)state;
    ll_frame *f = two_series(0, 70);
    const char *bad[] = {"Ridge", "SVM"};
    ll_aml_opts o;
    base_opts(&o, bad, 2);
    expect_run_error(f, &o, "allowed: unknown model 'SVM'");
    base_opts(&o, NULL, 0);
    o.blocked = bad;
    o.nblocked = 2;
    expect_run_error(f, &o, "blocked: unknown model 'SVM'");
    base_opts(&o, NULL, 0);
    o.horizon = 0;
    expect_run_error(f, &o, "horizon must be at least 1");
    base_opts(&o, NULL, 0);
    o.horizon = 30;
    o.cv_folds = 3;
    expect_run_error(f, &o,
                     "series A is too short: 70 rows, but horizon 30 with 3 "
                     "folds 30 apart needs at least 104");
    ll_frame_free(f);
    /* Auto folds shrink to one before giving up. */
    f = two_series(0, 20);
    base_opts(&o, NULL, 0);
    o.horizon = 10;
    expect_run_error(f, &o,
                     "series A is too short: 20 rows, but horizon 10 with 1 "
                     "fold 10 apart needs at least 24");
    /* A table read from a file: its errors name the file, option errors
     * do not. */
    o.table.source = "sales.csv";
    expect_run_error(f, &o,
                     "sales.csv: series A is too short: 20 rows, but horizon "
                     "10 with 1 fold 10 apart needs at least 24");
    o.table.target = "Sales";
    expect_run_error(f, &o, "sales.csv: target column 'Sales' not found");
    o.horizon = 0;
    expect_run_error(f, &o, "horizon must be at least 1");
    ll_frame_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_gaps),
        cmocka_unit_test(test_table_errors),
        cmocka_unit_test(test_pacf),
        cmocka_unit_test(test_search_and_pipeline),
        cmocka_unit_test(test_univariate_pipeline),
        cmocka_unit_test(test_statistical_ensemble),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_stopping),
        cmocka_unit_test(test_live_leaderboard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
