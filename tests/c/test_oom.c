/*
 * Fault injection (SQLite's practice): every allocation of the core goes
 * through the wrappers below (the binary is linked with --wrap=malloc,
 * calloc, realloc, free, strdup, strndup; cJSON and SQLite get them as
 * hooks).  Each scenario drives public entry points of the core; it is run
 * with the N-th allocation failing, N = 1, 2, ... until a run allocates
 * fewer than N times.  Every run must end with LL_OK (the failure was
 * absorbed) or LL_ENOMEM and an "out of memory" message, must not crash
 * and must give back every block it took.  LL_OOM_TRACE=1 prints a
 * backtrace at each injected failure (addr2line -e tests/c/test_oom).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <execinfo.h>
#include <lauxlib.h>
#include <lualib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/generators.h"
#include "forecast/automl.h"
#include "frame/frame.h"
#include "host/term_sink.h"
#include "model/model.h"
#include "nn/safetensors.h"
#include "plot/plot.h"
#include "plot/progress.h"
#include "notebook/notebook.h"
#include "repl/repl.h"
#include "stream/stream.h"
#include "nn/tensor.h"
#include "track/track.h"
#include "util/buf.h"
#include "util/fsutil.h"

/* ---- the failing allocator --------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long fail_at;       /* the allocation to fail; 0 = none */
static long n_allocs;      /* allocations counted since arming */
static long live;          /* blocks taken and not given back */
static __thread int armed; /* only the arming thread counts and fails */

static int trace; /* LL_OOM_TRACE=1: print where each injected failure is */

static int fail_now(void)
{
    if (!armed)
        return 0;
    if (++n_allocs != fail_at)
        return 0;
    if (trace) {
        void *pcs[32];
        int n = backtrace(pcs, 32);
        fprintf(stderr, "-- allocation %ld fails here:\n", fail_at);
        backtrace_symbols_fd(pcs, n, 2);
    }
    errno = ENOMEM;
    return 1;
}

static void took(void *p)
{
    if (p)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
}

void *__wrap_malloc(size_t n)
{
    if (fail_now())
        return NULL;
    void *p = __real_malloc(n);
    took(p);
    return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
    if (fail_now())
        return NULL;
    void *p = __real_calloc(k, n);
    took(p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_now())
        return NULL;
    void *q = __real_realloc(p, n);
    if (!p)
        took(q);
    return q;
}

void __wrap_free(void *p)
{
    if (p)
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t l = strnlen(s, n);
    char *d = __wrap_malloc(l + 1);
    if (d) {
        memcpy(d, s, l);
        d[l] = '\0';
    }
    return d;
}

/* SQLite's allocator, failing with the others. */
static sqlite3_mem_methods sql_orig;

static void *sql_malloc(int n)
{
    if (fail_now())
        return NULL;
    void *p = sql_orig.xMalloc(n);
    took(p);
    return p;
}

static void sql_free(void *p)
{
    if (p)
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    sql_orig.xFree(p);
}

static void *sql_realloc(void *p, int n)
{
    if (fail_now())
        return NULL;
    return sql_orig.xRealloc(p, n);
}

/* ---- the driver ---------------------------------------------------------- */

static char fixdir[4096];
static char tmpdir[64];

typedef int (*scenario)(ll_err *err);

/* Run sc with allocation N failing for N = 1, 2, ...; returns how many
 * allocations a clean run makes. */
static long inject(const char *name, scenario sc)
{
    ll_err err = {0};
    /* A clean run first: it must pass, and warms caches (the tensor
     * pool, SQLite's and cJSON's one-time state). */
    long before = live;
    int rc = sc(&err);
    if (rc)
        fail_msg("%s: clean run failed: %s", name, err.msg);
    long baseline = live - before;
    for (long n = 1;; n++) {
        ll_err_clear(&err);
        before = live;
        n_allocs = 0;
        fail_at = n;
        armed = 1;
        rc = sc(&err);
        armed = 0;
        fail_at = 0;
        long leaked = live - before - baseline;
        if (rc != LL_OK && rc != LL_ENOMEM)
            fail_msg("%s: allocation %ld failed: status %d, not LL_ENOMEM "
                     "(%s)",
                     name, n, rc, err.msg);
        if (rc == LL_ENOMEM &&
            (err.code != LL_ENOMEM || !strstr(err.msg, "out of memory")))
            fail_msg("%s: allocation %ld failed: message '%s' (code %d)", name,
                     n, err.msg, err.code);
        if (leaked)
            fail_msg("%s: allocation %ld failed: %ld block(s) leaked", name, n,
                     leaked);
        if (n_allocs < n) {
            if (rc)
                fail_msg("%s: failed with no allocation failing: %s", name,
                         err.msg);
            print_message("%s: %ld allocations, each failed once\n", name,
                          n - 1);
            return n - 1;
        }
    }
}

/* The status of a pointer-returning call: its err when it failed. */
static int st(const void *p, const ll_err *err)
{
    return p ? LL_OK : (err->code ? err->code : -99);
}

/* ---- scenarios ------------------------------------------------------------
 */

static int sc_tensor(ll_err *err)
{
    int64_t sx[2] = {4, 5}, sw[2] = {5, 3};
    ll_tensor *x = ll_tensor_randn(2, sx, err);
    ll_tensor *w = x ? ll_tensor_randn(2, sw, err) : NULL;
    int rc = st(w, err);
    if (!rc)
        rc = ll_tensor_set_requires_grad(w, 1, err);
    ll_tensor *y = rc ? NULL : ll_matmul(x, w, err);
    ll_tensor *a = y ? ll_unary(LL_TANH, y, 0, err) : NULL;
    ll_tensor *b = a ? ll_binary(LL_MUL, a, y, err) : NULL;
    ll_tensor *s = b ? ll_softmax(b, 1, 0, err) : NULL;
    ll_tensor *t = s ? ll_transpose(s, 0, 1, err) : NULL;
    ll_tensor *c = t ? ll_contiguous(t, err) : NULL;
    ll_tensor *r = c ? ll_reduce(LL_RSUM, c, LL_ALLDIMS, 0, err) : NULL;
    if (!rc)
        rc = st(r, err);
    if (!rc)
        rc = ll_tensor_backward(r, NULL, 0, err);
    ll_tensor *cat[2] = {x, x};
    ll_tensor *k = rc ? NULL : ll_cat(cat, 2, 0, err);
    if (!rc)
        rc = st(k, err);
    ll_tensor *all[] = {x, w, y, a, b, s, t, c, r, k};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ll_tensor_free(all[i]);
    return rc;
}

static char st_path[128];

static int sc_safetensors(ll_err *err)
{
    char **names = NULL;
    ll_tensor **ts = NULL;
    int n = 0;
    int rc = ll_safetensors_load(st_path, &names, &ts, &n, err);
    if (!rc)
        rc = ll_safetensors_save(st_path, (const char *const *)names, ts, n,
                                 err);
    if (names)
        ll_safetensors_list_free(names, ts, n);
    return rc;
}

static int load_predict(const char *name, int frame, ll_err *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", fixdir, name);
    ll_model *m = NULL;
    int rc = ll_model_load(dir, &m, err);
    if (rc)
        return rc;
    int64_t shape[LL_MAXDIM] = {3};
    int nd = ll_model_input_ndim(m);
    memcpy(shape + 1, ll_model_input_shape(m), (size_t)nd * sizeof shape[0]);
    ll_tensor *x = ll_tensor_new(nd + 1, shape, err);
    ll_tensor *y = NULL;
    rc = st(x, err);
    if (!rc)
        rc = ll_model_predict_tensor(m, x, &y, err);
    ll_frame *f = NULL, *out = NULL;
    if (!rc && frame) {
        f = ll_frame_new(err);
        for (int j = 0; f && !rc && j < shape[1]; j++) {
            char col[16];
            snprintf(col, sizeof col, "c%d", j);
            ll_column *c = ll_col_new(LL_FLOAT, 3, err);
            rc = c ? ll_frame_set(f, col, c, err) : err->code;
            ll_col_unref(c);
        }
        if (!f)
            rc = err->code;
        if (!rc)
            rc = ll_model_predict(m, f, &out, err);
    }
    ll_frame_free(out);
    ll_frame_free(f);
    ll_tensor_free(x);
    ll_tensor_free(y);
    ll_model_free(m);
    return rc;
}

static int sc_model_dense(ll_err *err)
{
    return load_predict("model/dense", 1, err);
}

static int sc_model_lab(ll_err *err)
{
    return load_predict("model/lab", 0, err);
}

static int sc_model_bidi(ll_err *err)
{
    return load_predict("model/bidi", 0, err);
}

static int sc_model_nn(ll_err *err)
{
    return load_predict("nn_model/gru_time_major", 0, err);
}

static const char csv[] = "city,temp,day,n\n"
                          "Oslo,3.5,2024-01-01,1\n"
                          "Rome,12.25,2024-01-02,\n"
                          "Oslo,,2024-01-03,3\n"
                          "\"Lima, PE\",20,2024-01-04,4\n";

static int sc_frame(ll_err *err)
{
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    o.threads = 1;
    ll_frame *f =
        ll_frame_read_csv_mem(csv, sizeof csv - 1, "t.csv", &o, NULL, err);
    const char *keys[1] = {"city"};
    int desc[1] = {1};
    ll_frame *s = f ? ll_frame_sort(f, keys, desc, 1, err) : NULL;
    ll_agg aggs[2] = {{"t", "temp", "mean"}, {"k", "n", "count"}};
    ll_frame *g = s ? ll_frame_groupby(s, keys, 1, aggs, 2, err) : NULL;
    ll_frame *d = g ? ll_frame_describe(f, err) : NULL;
    ll_frame *v = d ? ll_frame_value_counts(f, keys, 1, err) : NULL;
    int rc = st(v, err);
    ll_frame_free(f);
    ll_frame_free(s);
    ll_frame_free(g);
    ll_frame_free(d);
    ll_frame_free(v);
    return rc;
}

/* The frame constructors one by one: each failing allocation must give
 * LL_ENOMEM and the message "out of memory", nothing else. */
static ll_frame *base3; /* three rows: i (int), s (string) */

static int only_oom(const void *p, ll_err *err)
{
    if (p)
        return LL_OK;
    if (err->code == LL_ENOMEM && strcmp(err->msg, "out of memory"))
        return ll_err_set(err, LL_EINVAL, "message '%s', not 'out of memory'",
                          err->msg);
    return err->code ? err->code : -99;
}

static int sc_frame_new(ll_err *err)
{
    ll_frame *f = ll_frame_new(err);
    int rc = only_oom(f, err);
    ll_frame_free(f);
    return rc;
}

static int sc_col_new(ll_err *err)
{
    ll_column *a = ll_col_new(LL_FLOAT, 5, err);
    int rc = only_oom(a, err);
    ll_column *b = rc ? NULL : ll_col_new(LL_STR, 5, err);
    if (!rc)
        rc = only_oom(b, err);
    ll_col_unref(a);
    ll_col_unref(b);
    return rc;
}

static int sc_sb_finish(ll_err *err)
{
    ll_strbuilder sb;
    ll_sb_init(&sb);
    /* pushes fail as ints (LL_ENOMEM, no err): report them the same way */
    if (ll_sb_push(&sb, "Oslo", 4) || ll_sb_push_na(&sb) ||
        ll_sb_push(&sb, "Rome", 4)) {
        ll_sb_free(&sb);
        return ll_err_oom(err);
    }
    ll_column *c = ll_sb_finish(&sb, err);
    int rc = only_oom(c, err);
    if (!rc && (c->len != 3 || c->null_count != 1))
        rc = ll_err_set(err, LL_EINVAL, "sb_finish: %lld rows, %lld NA",
                        (long long)c->len, (long long)c->null_count);
    ll_col_unref(c);
    ll_sb_free(&sb);
    return rc;
}

static int sc_frame_copy(ll_err *err)
{
    ll_frame *f = ll_frame_copy(base3, err);
    int rc = only_oom(f, err);
    ll_frame_free(f);
    return rc;
}

static int sc_frame_slice(ll_err *err)
{
    ll_frame *f = ll_frame_slice(base3, 1, 2, err);
    int rc = only_oom(f, err);
    if (!rc && f->nrow != 2)
        rc = ll_err_set(err, LL_EINVAL, "slice: %lld rows", (long long)f->nrow);
    ll_frame_free(f);
    return rc;
}

static int sc_frame_take(ll_err *err)
{
    const int64_t idx[4] = {2, -1, 0, 2};
    ll_frame *f = ll_frame_take(base3, idx, 4, err);
    int rc = only_oom(f, err);
    if (!rc && f->nrow != 4)
        rc = ll_err_set(err, LL_EINVAL, "take: %lld rows", (long long)f->nrow);
    ll_frame_free(f);
    return rc;
}

/* The column verbs behind them: take, slice, filter, to_category and
 * isna_mask, on the string column of base3. */
static int sc_col_verbs(ll_err *err)
{
    ll_column *s = base3->cols[1];
    const int64_t idx[3] = {1, -1, 0};
    ll_column *t = ll_col_take(s, idx, 3, err);
    int rc = only_oom(t, err);
    ll_column *v = rc ? NULL : ll_col_slice(s, 1, 2, err);
    if (!rc)
        rc = only_oom(v, err);
    ll_column *m = rc ? NULL : ll_col_isna_mask(s, 0, err);
    if (!rc)
        rc = only_oom(m, err);
    ll_column *f = rc ? NULL : ll_col_filter(s, m, err);
    if (!rc)
        rc = only_oom(f, err);
    ll_column *c = rc ? NULL : ll_col_to_category(t, err);
    if (!rc)
        rc = only_oom(c, err);
    if (!rc && (f->len != 2 || c->type != LL_CAT || c->null_count != 1))
        rc = ll_err_set(err, LL_EINVAL, "col verbs: %lld rows, %lld NA",
                        (long long)f->len, (long long)c->null_count);
    ll_column *all[] = {t, v, m, f, c};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ll_col_unref(all[i]);
    return rc;
}

/* The first allocation of the next call fails. */
static void fail_first(void)
{
    n_allocs = 0;
    fail_at = 1;
    armed = 1;
}

static void disarm(void)
{
    armed = 0;
    fail_at = 0;
}

/* A chart built, copied into a grid and drawn as text (ll_plot_new,
 * ll_plot_clone through ll_plot_grid_add, ll_canvas_new). */
static int sc_plot(ll_err *err)
{
    static const double y[5] = {3, 1, 4, 1, 5};
    ll_plot *p = ll_plot_new(LL_PLOT_LINE, err);
    ll_plot *g = p ? ll_plot_new(LL_PLOT_GRID, err) : NULL;
    int rc = st(g, err);
    if (!rc)
        rc = ll_plot_set_text(p, LL_PLOT_TITLE, "loss", err);
    if (!rc && ll_plot_add_series(p, "train", NULL, y, 5, 0, err) < 0)
        rc = err->code;
    if (!rc)
        rc = ll_plot_grid_add(g, p, err);
    ll_buf b;
    ll_buf_init(&b);
    if (!rc)
        rc = ll_plot_render_text(g, 40, 10, 1, 0, &b, err);
    ll_buf_free(&b);
    ll_plot_free(p);
    ll_plot_free(g);
    return rc;
}

static int sc_track(ll_err *err)
{
    char db[128], cmd[256];
    snprintf(db, sizeof db, "%s/t.db", tmpdir);
    snprintf(cmd, sizeof cmd, "rm -rf %s/t.db* %s/mlartifacts", tmpdir, tmpdir);
    if (system(cmd) != 0)
        return ll_err_set(err, LL_EIO, "rm failed");
    ll_track *t = NULL;
    long long exp = 0;
    char run[33];
    int rc = ll_track_open(db, NULL, &t, err);
    if (!rc)
        rc = ll_track_experiment_create(t, "oom", NULL, &exp, err);
    if (!rc)
        rc = ll_track_run_create(t, exp, "r", "u", "s", 1000, run, err);
    if (!rc)
        rc = ll_track_log_param(t, run, "lr", "0.1", err);
    for (int i = 0; !rc && i < 3; i++)
        rc = ll_track_log_metric(t, run, "loss", 1.0 / (i + 1), 1000 + i, i,
                                 err);
    if (!rc)
        rc = ll_track_set_tag(t, run, "k", "v", err);
    if (!rc)
        rc = ll_track_flush(t, err);
    if (!rc)
        rc = ll_track_run_end(t, run, "FINISHED", 2000, err);
    ll_track_free(t);
    return rc;
}

/* Notebooks: each format parsed from text, written (atomically) and read
 * back from the file, then the cell operations of the editor. */
static const char nb_percent[] =
    "-- ---\n-- title: OOM\n-- ---\n\n"
    "-- %% [markdown]\n-- # Heading\n-- Some *text*.\n\n"
    "-- %% tags=[\"parameters\"] k={\"n\": [1, 2]}\nx = 1\nprint(x)\n\n"
    "-- %% [raw]\n-- raw text\n\n"
    "-- %% {\"tags\": [\"a\", \"b\"], \"a b\": 1}\nreturn x + 1\n";

static const char nb_ipynb[] =
    "{\"cells\": ["
    "{\"cell_type\": \"markdown\", \"id\": \"m1\", \"metadata\": {},"
    " \"source\": [\"# Heading\\n\", \"text\"]},"
    "{\"cell_type\": \"code\", \"execution_count\": 2, \"id\": \"c1\","
    " \"metadata\": {\"tags\": [\"parameters\"], \"k\": [1, 2]},"
    " \"outputs\": ["
    "{\"name\": \"stdout\", \"output_type\": \"stream\", \"text\": [\"1\\n\"]},"
    "{\"data\": {\"text/plain\": [\"2\"], \"image/svg+xml\": [\"<svg/>\"],"
    " \"image/png\": \"iVBORw0KGgo=\"}, \"execution_count\": 2,"
    " \"metadata\": {}, \"output_type\": \"execute_result\"},"
    "{\"data\": {\"text/plain\": [\"d\"]}, \"metadata\": {},"
    " \"output_type\": \"display_data\"},"
    "{\"ename\": \"E\", \"evalue\": \"bad\", \"output_type\": \"error\","
    " \"traceback\": [\"l1\", \"l2\"]}],"
    " \"source\": [\"x = 1\\n\", \"print(x)\"]},"
    "{\"cell_type\": \"raw\", \"id\": \"r1\", \"metadata\": {},"
    " \"source\": \"raw\"}],"
    " \"metadata\": {\"kernelspec\": {\"display_name\": \"Lua\","
    " \"language\": \"lua\", \"name\": \"lualab\"}, \"title\": \"OOM\"},"
    " \"nbformat\": 4, \"nbformat_minor\": 5}\n";

static const char nb_md[] =
    "# Heading\n\nSome *text*.\n\n"
    "```lua tags=[\"parameters\"]\nx = 1\nprint(x)\n```\n\n"
    "More text.\n\n"
    "````lua k={\"n\": 1}\ns = \"```\"\n````\n";

typedef int (*nb_parser)(const char *, size_t, const char *, ll_notebook **,
                         ll_err *);

/* Parse text, write it to file name in tmpdir, read that back. */
static int nb_round_trip(nb_parser parse, const char *text, size_t len,
                         const char *name, ll_err *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ll_notebook *nb = NULL, *back = NULL;
    int rc = parse(text, len, name, &nb, err);
    if (!rc)
        rc = ll_notebook_write(nb, path, err);
    if (!rc)
        rc = ll_notebook_read(path, &back, err);
    if (!rc && back->ncells != nb->ncells)
        rc = ll_err_set(err, LL_EPARSE, "%s: %d cells read back, not %d", name,
                        back->ncells, nb->ncells);
    ll_notebook_free(nb);
    ll_notebook_free(back);
    return rc;
}

static int sc_nb_percent(ll_err *err)
{
    return nb_round_trip(ll_notebook_parse_percent, nb_percent,
                         sizeof nb_percent - 1, "nb.lua", err);
}

static int sc_nb_ipynb(ll_err *err)
{
    return nb_round_trip(ll_notebook_parse_ipynb, nb_ipynb, sizeof nb_ipynb - 1,
                         "nb.ipynb", err);
}

static int sc_nb_md(ll_err *err)
{
    return nb_round_trip(ll_notebook_parse_markdown, nb_md, sizeof nb_md - 1,
                         "nb.md", err);
}

/* The percent notebook written as .ipynb and .md (the conversions). */
static int sc_nb_convert(ll_err *err)
{
    char path[128];
    ll_notebook *nb = NULL;
    int rc = ll_notebook_parse_percent(nb_percent, sizeof nb_percent - 1,
                                       "nb.lua", &nb, err);
    if (!rc) {
        snprintf(path, sizeof path, "%s/conv.ipynb", tmpdir);
        rc = ll_notebook_write(nb, path, err);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/conv.md", tmpdir);
        rc = ll_notebook_write(nb, path, err);
    }
    ll_notebook_free(nb);
    return rc;
}

/* The editor's operations: insert, edit, tag, metadata, outputs, copy,
 * move, delete. */
static int sc_nb_ops(ll_err *err)
{
    char s_out[] = "stdout", s_two[] = "2\n", s_three[] = "3",
         s_svg[] = "<svg/>", s_e[] = "E", s_bad[] = "bad", s_tb[] = "l1\nl2";
    ll_notebook *nb = ll_notebook_new(err);
    int rc = only_oom(nb, err);
    if (rc)
        return rc;
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "x = 1", err);
    rc = only_oom(c, err);
    if (!rc)
        rc = only_oom(
            ll_notebook_insert_cell(nb, 1, LL_CELL_MARKDOWN, "# Title", err),
            err);
    c = rc ? NULL : &nb->cells[0];
    if (!rc && ll_cell_set_source(c, "x = 2\nprint(x)"))
        rc = ll_err_oom(err);
    if (!rc)
        rc = ll_cell_set_metadata(c, "{\"tags\": [\"a\"], \"k\": {\"n\": [1]}}",
                                  err);
    if (!rc && ll_cell_add_tag(c, "parameters"))
        rc = ll_err_oom(err);
    if (!rc) {
        ll_output o = {.type = LL_OUT_STREAM, .name = s_out, .text = s_two};
        if (ll_cell_add_output(c, &o))
            rc = ll_err_oom(err);
    }
    if (!rc) {
        ll_output o = {.type = LL_OUT_RESULT,
                       .text = s_three,
                       .svg = s_svg,
                       .execution_count = 1};
        if (ll_cell_add_output(c, &o))
            rc = ll_err_oom(err);
    }
    if (!rc) {
        ll_output o = {.type = LL_OUT_ERROR,
                       .ename = s_e,
                       .evalue = s_bad,
                       .traceback = s_tb};
        if (ll_cell_add_output(c, &o))
            rc = ll_err_oom(err);
    }
    if (!rc) {
        /* cut ("x..."), then whole */
        char *first = ll_cell_first_line(c, 4, err);
        rc = only_oom(first, err);
        if (!rc && strcmp(first, "x..."))
            rc = ll_err_set(err, LL_EINVAL, "first line '%s'", first);
        free(first);
        first = rc ? NULL : ll_cell_first_line(c, 50, err);
        if (!rc)
            rc = only_oom(first, err);
        if (!rc && strcmp(first, "x = 2"))
            rc = ll_err_set(err, LL_EINVAL, "first line '%s'", first);
        free(first);
    }
    if (!rc) {
        ll_cell copy;
        memset(&copy, 0, sizeof copy);
        if (ll_cell_copy(&nb->cells[0], &copy))
            rc = ll_err_oom(err);
        else
            ll_cell_free(&copy);
    }
    if (!rc && ll_notebook_move_cell(nb, 0, 1))
        rc = ll_err_oom(err);
    if (!rc) {
        ll_buf b;
        ll_buf_init(&b);
        rc = ll_notebook_to_ipynb(nb, &b, err);
        ll_buf_free(&b);
    }
    if (!rc && ll_notebook_delete_cell(nb, 0))
        rc = ll_err_oom(err);
    ll_notebook_free(nb);
    return rc;
}

/* A batch of rows typed by a schema (ll_rows_new, add, finish), shown by
 * the console sink and handed to a foreachBatch sink; a checkpoint path. */
static ll_schema schema2;  /* id (int), x (float) */
static int64_t batch_rows; /* what the callback saw */

static void text_sink(void *ud, const char *text)
{
    *(size_t *)ud += strlen(text);
}

static int count_batch(void *ud, const ll_frame *batch, int64_t id, ll_err *err)
{
    (void)ud, (void)id, (void)err;
    batch_rows = batch->nrow;
    return LL_OK;
}

static int sc_stream(ll_err *err)
{
    ll_rows *r = ll_rows_new(&schema2, LL_MODE_PERMISSIVE, err);
    int rc = st(r, err);
    static const char *const rows[3][2] = {
        {"1", "0.5"}, {"2", "x"}, {"3", NULL}};
    for (int i = 0; !rc && i < 3; i++) {
        size_t lens[2] = {strlen(rows[i][0]),
                          rows[i][1] ? strlen(rows[i][1]) : 0};
        rc = ll_rows_add(r, rows[i], lens, 2, "t.csv", i + 2, NULL, err);
    }
    ll_frame *f = rc ? NULL : ll_rows_finish(r, err);
    if (!rc)
        rc = st(f, err);
    ll_rows_free(r);
    size_t shown = 0;
    ll_stream_sink *con =
        rc ? NULL : ll_sink_console(text_sink, &shown, 5, err);
    if (!rc)
        rc = st(con, err);
    if (!rc)
        rc = con->write(con, f, 0, err);
    if (!rc && shown == 0)
        rc = ll_err_set(err, LL_EINVAL, "console sink printed nothing");
    /* the callback's ud is the sink's: given back even when it fails */
    void *ud = rc ? NULL : malloc(16);
    if (!rc && !ud)
        rc = ll_err_oom(err);
    ll_stream_sink *cb =
        rc ? NULL : ll_sink_callback(count_batch, ud, free, err);
    if (!rc)
        rc = st(cb, err);
    batch_rows = 0;
    if (!rc)
        rc = cb->write(cb, f, 1, err);
    if (!rc && batch_rows != 3)
        rc = ll_err_set(err, LL_EINVAL, "callback saw %lld rows",
                        (long long)batch_rows);
    ll_checkpoint ck = {.dir = tmpdir};
    char *path = rc ? NULL : ll_ckpt_path(&ck, "sources/0", err);
    if (!rc)
        rc = st(path, err);
    free(path);
    if (cb)
        cb->free(cb);
    if (con)
        con->free(con);
    ll_frame_free(f);
    return rc;
}

/* Regressors of the search: fitted (Ridge through its own allocation,
 * KNN), built head first and rebuilt from their arrays. */
static int sc_regressors(ll_err *err)
{
    static const double X[8] = {1, 2, 2, 1, 3, 5, 4, 3}, y[4] = {1, 2, 4, 3};
    ll_aml_regressor *r = ll_aml_regressor_alloc(&ll_aml_ridge, 2, err);
    int rc = st(r, err);
    ll_aml_regressor_free(r);
    ll_aml_regressor *ridge = NULL, *knn = NULL, *back = NULL;
    if (!rc)
        rc = ll_aml_ridge.fit(X, y, 4, 2, 1, &ridge, err);
    if (!rc)
        rc = ll_aml_knn.fit(X, y, 4, 2, 1, &knn, err);
    if (!rc)
        rc = ll_aml_regressor_restore(
            &ll_aml_knn, 2, (const char(*)[16])knn->arr_name, knn->arr,
            knn->arr_len, knn->narr, &back, err);
    if (!rc) {
        double a[4], b[4];
        ll_aml_knn.predict(knn, X, 4, a);
        ll_aml_knn.predict(back, X, 4, b);
        if (memcmp(a, b, sizeof a))
            rc = ll_err_set(err, LL_EINVAL, "restored KNN predicts otherwise");
    }
    if (ridge)
        ridge->ops->free(ridge);
    if (knn)
        knn->ops->free(knn);
    if (back)
        back->ops->free(back);
    return rc;
}

/* The REPL's helpers: its terminal sink and completion candidates; the
 * word vectors' path. */
static lua_State *cand_L;
static char glove_file[256];

static int sc_front(ll_err *err)
{
    ll_term_sink *t = ll_term_sink_new(0, 0, err);
    int rc = st(t, err);
    ll_term_sink_free(t);
    int files = 0;
    const char *line = "tbl.al";
    char **c =
        rc ? NULL : ll_repl_candidates(cand_L, line, 4, line + 4, &files, err);
    if (!rc)
        rc = st(c, err);
    if (!rc && (!c[0] || !c[1] || strcmp(c[0], "alpha") ||
                strcmp(c[1], "alps") || c[2]))
        rc = ll_err_set(err, LL_EINVAL, "candidates: %s %s", c[0] ? c[0] : "-",
                        c[0] && c[1] ? c[1] : "-");
    ll_repl_free_candidates(c);
    setenv("LUALAB_GLOVE", "/some/glove.txt", 1);
    char *p = rc ? NULL : ll_glove_path(err);
    if (!rc)
        rc = st(p, err);
    free(p);
    unsetenv("LUALAB_GLOVE");
    setenv("XDG_DATA_HOME", tmpdir, 1);
    p = rc ? NULL : ll_glove_path(err);
    if (!rc)
        rc = st(p, err);
    if (!rc && strcmp(p, glove_file))
        rc = ll_err_set(err, LL_EINVAL, "glove path %s", p);
    free(p);
    unsetenv("XDG_DATA_HOME");
    return rc;
}

/* ---- tests -----------------------------------------------------------------
 */

static void test_tensor(void **state)
{
    (void)state;
    assert_true(inject("tensor ops and backward", sc_tensor) > 10);
}

static void test_safetensors(void **state)
{
    (void)state;
    int64_t s[2] = {3, 4};
    ll_err err = {0};
    ll_tensor *a = ll_tensor_randn(2, s, &err),
              *b = ll_tensor_randn(1, s, &err);
    ll_tensor *ts[2] = {a, b};
    const char *names[2] = {"a", "b"};
    snprintf(st_path, sizeof st_path, "%s/w.safetensors", tmpdir);
    assert_int_equal(ll_safetensors_save(st_path, names, ts, 2, &err), 0);
    ll_tensor_free(a);
    ll_tensor_free(b);
    assert_true(inject("safetensors read and write", sc_safetensors) > 5);
}

static void test_model(void **state)
{
    (void)state;
    assert_true(inject("keras Dense model load, predict tensor and frame",
                       sc_model_dense) > 20);
    assert_true(inject("keras Embedding+LSTM load and predict", sc_model_lab) >
                20);
    assert_true(inject("keras Bidirectional load and predict", sc_model_bidi) >
                20);
    assert_true(inject("nn time-major GRU load and predict", sc_model_nn) > 20);
}

static void test_frame(void **state)
{
    (void)state;
    assert_true(inject("read_csv, sort, groupby, describe, value_counts",
                       sc_frame) > 20);
}

static void test_frame_constructors(void **state)
{
    (void)state;
    ll_err err = {0};
    base3 = ll_frame_new(&err);
    assert_non_null(base3);
    ll_column *i = ll_col_new(LL_INT, 3, &err);
    assert_non_null(i);
    for (int k = 0; k < 3; k++)
        LL_I64(i)[k] = 10 * (k + 1);
    ll_strbuilder sb;
    ll_sb_init(&sb);
    assert_int_equal(ll_sb_push(&sb, "a", 1), 0);
    assert_int_equal(ll_sb_push(&sb, "bb", 2), 0);
    assert_int_equal(ll_sb_push_na(&sb), 0);
    ll_column *s = ll_sb_finish(&sb, &err);
    assert_non_null(s);
    assert_int_equal(ll_frame_set(base3, "i", i, &err), 0);
    assert_int_equal(ll_frame_set(base3, "s", s, &err), 0);
    ll_col_unref(i);
    ll_col_unref(s);

    assert_true(inject("ll_frame_new", sc_frame_new) >= 1);
    assert_true(inject("ll_col_new (float and string)", sc_col_new) >= 4);
    assert_true(inject("ll_sb_push and ll_sb_finish", sc_sb_finish) >= 4);
    assert_true(inject("ll_frame_copy", sc_frame_copy) >= 4);
    assert_true(inject("ll_frame_slice", sc_frame_slice) >= 4);
    assert_true(inject("ll_frame_take", sc_frame_take) >= 4);
    assert_true(inject("ll_col_take, slice, isna_mask, filter, to_category",
                       sc_col_verbs) >= 8);

    /* the exact message of each when its first allocation fails */
    ll_frame *f;
    ll_column *c;
    static const char oom[] = "out of memory";
#define FIRST_FAILS(call)                                                      \
    do {                                                                       \
        ll_err_clear(&err);                                                    \
        fail_first();                                                          \
        void *p_ = (void *)(call);                                             \
        disarm();                                                              \
        assert_null(p_);                                                       \
        assert_int_equal(err.code, LL_ENOMEM);                                 \
        assert_string_equal(err.msg, oom);                                     \
    } while (0)
    FIRST_FAILS(f = ll_frame_new(&err));
    FIRST_FAILS(c = ll_col_new(LL_DATE, 7, &err));
    FIRST_FAILS(c = ll_col_new(LL_STR, 7, &err));
    FIRST_FAILS(f = ll_frame_copy(base3, &err));
    FIRST_FAILS(f = ll_frame_slice(base3, 0, 2, &err));
    int64_t idx[2] = {1, 0};
    FIRST_FAILS(f = ll_frame_take(base3, idx, 2, &err));
    ll_sb_init(&sb);
    assert_int_equal(ll_sb_push(&sb, "x", 1), 0);
    FIRST_FAILS(c = ll_sb_finish(&sb, &err));
    assert_int_equal(sb.len, 0); /* consumed even so */
    assert_null(sb.offs);
    /* NULL err is allowed */
    fail_first();
    f = ll_frame_new(NULL);
    disarm();
    assert_null(f);
#undef FIRST_FAILS

    /* the other failures name what is wrong */
    ll_err_clear(&err);
    int64_t bad[3] = {0, 3, 1};
    assert_null(ll_frame_take(base3, bad, 3, &err));
    assert_int_equal(err.code, LL_ERANGE);
    assert_string_equal(err.msg, "take: row index 3 (position 1) is out of "
                                 "range for a frame of 3 rows");
    ll_err_clear(&err);
    assert_null(ll_frame_take(base3, idx, -2, &err));
    assert_int_equal(err.code, LL_EINVAL);
    assert_string_equal(err.msg, "take: row count -2 is negative");
    ll_err_clear(&err);
    assert_null(ll_col_new(LL_INT, -1, &err));
    assert_int_equal(err.code, LL_EINVAL);
    assert_string_equal(err.msg, "column length -1 is negative");
    /* slice clamps: past the end is empty, not an error */
    ll_err_clear(&err);
    f = ll_frame_slice(base3, 7, 2, &err);
    assert_non_null(f);
    assert_int_equal(f->nrow, 0);
    assert_int_equal(f->ncol, 2);
    ll_frame_free(f);
    f = ll_frame_slice(base3, -4, -1, &err);
    assert_non_null(f);
    assert_int_equal(f->nrow, 3);
    assert_int_equal(LL_I64(f->cols[0])[2], 30);
    ll_frame_free(f);
    /* take: a negative index is a row of NA */
    f = ll_frame_take(base3, (const int64_t[]){2, -1}, 2, &err);
    assert_non_null(f);
    assert_int_equal(LL_I64(f->cols[0])[0], 30);
    assert_true(ll_col_isna(f->cols[0], 1));
    assert_true(ll_col_isna(f->cols[1], 0)); /* row 2 of s is NA */
    assert_true(ll_col_isna(f->cols[1], 1));
    ll_frame_free(f);
    (void)c;
    ll_frame_free(base3);
    base3 = NULL;
}

static void test_plot(void **state)
{
    (void)state;
    assert_true(inject("chart, grid copy, text rendering", sc_plot) > 10);
    ll_err err = {0};
    fail_first();
    ll_plot *p = ll_plot_new(LL_PLOT_BAR, &err);
    disarm();
    assert_null(p);
    assert_int_equal(err.code, LL_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
}

#define FIRST_FAILS_OOM(call)                                                  \
    do {                                                                       \
        ll_err_clear(&err);                                                    \
        fail_first();                                                          \
        void *p_ = (void *)(call);                                             \
        disarm();                                                              \
        assert_null(p_);                                                       \
        assert_int_equal(err.code, LL_ENOMEM);                                 \
        assert_string_equal(err.msg, "out of memory");                         \
    } while (0)

static void test_stream(void **state)
{
    (void)state;
    ll_schema_init(&schema2);
    assert_int_equal(ll_schema_add(&schema2, "id", LL_INT, NULL), LL_OK);
    assert_int_equal(ll_schema_add(&schema2, "x", LL_FLOAT, NULL), LL_OK);
    assert_true(inject("stream rows, console and foreachBatch sinks, "
                       "checkpoint path",
                       sc_stream) > 10);
    ll_err err = {0};
    size_t shown = 0;
    ll_checkpoint ck = {.dir = tmpdir};
    FIRST_FAILS_OOM(ll_rows_new(&schema2, LL_MODE_FAILFAST, &err));
    FIRST_FAILS_OOM(ll_sink_console(text_sink, &shown, 5, &err));
    FIRST_FAILS_OOM(ll_sink_callback(count_batch, NULL, NULL, &err));
    FIRST_FAILS_OOM(ll_ckpt_path(&ck, "sources/0", &err));
    ll_schema_free(&schema2);
}

static void test_regressors(void **state)
{
    (void)state;
    assert_true(inject("Ridge and KNN fit, KNN restore", sc_regressors) > 10);
    ll_err err = {0};
    FIRST_FAILS_OOM(ll_aml_regressor_alloc(&ll_aml_knn, 3, &err));
}

static void test_front(void **state)
{
    (void)state;
    cand_L = luaL_newstate();
    assert_non_null(cand_L);
    assert_int_equal(luaL_dostring(cand_L, "tbl = {alpha = 1, alps = 2, beta "
                                           "= 3}"),
                     LUA_OK);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/lualab/node_modules/%s", tmpdir,
             LL_GLOVE_NPM);
    snprintf(glove_file, sizeof glove_file, "%s/%s.json", sub, LL_GLOVE_NPM);
    ll_err err = {0};
    assert_int_equal(ll_mkdir_p(sub, &err), LL_OK);
    FILE *f = fopen(glove_file, "w");
    assert_non_null(f);
    fputs("{\"vectors\": {}}\n", f);
    fclose(f);
    assert_true(
        inject("terminal sink, completion, word vectors' path", sc_front) >= 5);
    FIRST_FAILS_OOM(ll_term_sink_new(0, 1, &err));
    FIRST_FAILS_OOM(ll_progress_term_new(stderr, 0, 1, &err));
    int files = 0;
    FIRST_FAILS_OOM(ll_repl_candidates(cand_L, "tbl.a", 4, "a", &files, &err));
    setenv("LUALAB_GLOVE", "/some/glove.txt", 1);
    FIRST_FAILS_OOM(ll_glove_path(&err));
    unsetenv("LUALAB_GLOVE");
    /* not there is not out of memory */
    setenv("XDG_DATA_HOME", "/nonexistent", 1);
    ll_err_clear(&err);
    assert_null(ll_glove_path(&err));
    assert_int_equal(err.code, LL_ENOTFOUND);
    unsetenv("XDG_DATA_HOME");
    lua_close(cand_L);
    cand_L = NULL;
}
#undef FIRST_FAILS_OOM

static void test_track(void **state)
{
    (void)state;
    assert_true(inject("tracking store open, run, log", sc_track) > 20);
}

static void test_notebook(void **state)
{
    (void)state;
    assert_true(inject("percent notebook parse, write, read", sc_nb_percent) >
                20);
    assert_true(inject("ipynb notebook parse, write, read", sc_nb_ipynb) > 20);
    assert_true(inject("Markdown notebook parse, write, read", sc_nb_md) > 20);
    assert_true(inject("percent notebook to .ipynb and .md", sc_nb_convert) >
                20);
    assert_true(inject("notebook cell operations", sc_nb_ops) > 20);
    /* with memory to spare, bad metadata is still a parse error */
    ll_err err = {0};
    ll_notebook *nb = NULL;
    static const char bad[] = "-- %% tags=[\"a\",]\nx = 1\n";
    assert_int_equal(
        ll_notebook_parse_percent(bad, sizeof bad - 1, "b.lua", &nb, &err),
        LL_EPARSE);
    assert_null(nb);
    assert_string_equal(err.msg, "b.lua:1:12: bad metadata value for 'tags' "
                                 "on the cell marker (expected JSON)");
    ll_notebook *nb2 = ll_notebook_new(&err);
    ll_cell *c =
        nb2 ? ll_notebook_insert_cell(nb2, 0, LL_CELL_CODE, "", &err) : NULL;
    assert_non_null(c);
    /* the constructors' exact message when their first allocation fails */
    ll_err_clear(&err);
    fail_first();
    ll_notebook *none = ll_notebook_new(&err);
    disarm();
    assert_null(none);
    assert_int_equal(err.code, LL_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    ll_err_clear(&err);
    fail_first();
    ll_cell *nc = ll_notebook_insert_cell(nb2, 1, LL_CELL_CODE, "y", &err);
    disarm();
    assert_null(nc);
    assert_int_equal(nb2->ncells, 1); /* nothing half-inserted */
    assert_int_equal(err.code, LL_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    ll_err_clear(&err);
    fail_first();
    char *first = ll_cell_first_line(c, 50, &err);
    disarm();
    assert_null(first);
    assert_int_equal(err.code, LL_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    /* NULL err is allowed */
    fail_first();
    none = ll_notebook_new(NULL);
    disarm();
    assert_null(none);
    ll_err_clear(&err);
    assert_int_equal(ll_cell_set_metadata(c, "[1]", &err), LL_EPARSE);
    assert_string_equal(err.msg, "cell metadata is not a JSON object: [1]");
    ll_notebook_free(nb2);
}

int main(void)
{
    const char *src = getenv("top_srcdir");
    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures", src ? src : ".");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ll_oom_XXXXXX");
    trace = getenv("LL_OOM_TRACE") != NULL;
    if (trace) { /* backtrace loads its unwinder (allocating) on first use */
        void *pc[1];
        backtrace(pc, 1);
    }
    if (!mkdtemp(tmpdir))
        return 1;
    cJSON_Hooks hooks = {__wrap_malloc, __wrap_free};
    cJSON_InitHooks(&hooks);
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sql_orig);
    sqlite3_mem_methods m = sql_orig;
    m.xMalloc = sql_malloc;
    m.xFree = sql_free;
    m.xRealloc = sql_realloc;
    sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor),
        cmocka_unit_test(test_safetensors),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_frame_constructors),
        cmocka_unit_test(test_plot),
        cmocka_unit_test(test_track),
        cmocka_unit_test(test_notebook),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_regressors),
        cmocka_unit_test(test_front),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
