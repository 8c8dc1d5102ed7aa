/*
 * forecast_op: with_forecast, a stateful operator that scores every row
 * with a saved forecast pipeline (automated ML, flavor `forecast`).
 *
 * Its state is each key's history: the times and targets seen (the last
 * `history` of them), the last row's regressors and, for statistical
 * models, the key's fitted model.  For each row, in (key, time) order,
 * the row joins its key's history and the pipeline forecasts the next
 * `horizon` steps from it (ll_aml_pipeline_forecast_stream: the model's
 * parameters stay, its states advance with the new values; a new model
 * is fitted every `refit_every` values); their sum is the row's output
 * column (NA while the history is too short for the model).  The state
 * is saved in the checkpoint after every batch, so a restarted query
 * forecasts from the same histories and parameters.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "stream/stream_int.h"
#include "track/track.h"

typedef struct hist {
    double *t, *y, *x; /* x: the last row's regressors */
    size_t n, cap;
    ll_aml_stream_fit *fit;
} hist;

typedef struct fc_state {
    ll_aml_pipeline *pipe;
    ll_strset keys;
    hist *h; /* by the keys' insertion order */
    size_t nh, caph;
} fc_state;

enum { F_BY, F_TIME, F_TARGET, F_TRACKING, F_NNAMES };

static void hists_free(fc_state *st)
{
    for (size_t i = 0; i < st->nh; i++) {
        free(st->h[i].t);
        free(st->h[i].y);
        free(st->h[i].x);
        ll_aml_stream_fit_free(st->h[i].fit);
    }
    free(st->h);
    st->h = NULL;
    st->nh = st->caph = 0;
    ll_strset_free(&st->keys);
}

void ll_forecast_state_free(void *state)
{
    fc_state *st = state;
    if (!st)
        return;
    hists_free(st);
    ll_aml_pipeline_free(st->pipe);
    free(st);
}

void ll_forecast_state_reset(void *state)
{
    hists_free(state);
}

/* Load the pipeline a model URI or directory names. */
static int load_pipeline(const ll_op *op, fc_state *st, ll_err *err)
{
    char *dir = NULL;
    int rc = ll_track_model_uri_dir(op->expr, op->names[F_TRACKING], &dir, err);
    if (rc) {
        ll_err_prefix(err, "with_forecast");
        return rc;
    }
    rc = ll_aml_pipeline_load(dir, &st->pipe, err);
    if (rc)
        ll_err_prefix(err, "with_forecast: %s", op->expr);
    free(dir);
    return rc;
}

ll_op *ll_op_forecast(const ll_forecast_opts *o, ll_err *err)
{
    if (!o->model || !o->by || !o->time || !o->target) {
        ll_err_set(err, LL_EINVAL,
                   "with_forecast: model, by, time and target are required");
        return NULL;
    }
    if (o->horizon < 1) {
        ll_err_set(err, LL_EINVAL, "with_forecast: horizon must be >= 1");
        return NULL;
    }
    const char *names[F_NNAMES] = {o->by, o->time, o->target,
                                   o->tracking_uri ? o->tracking_uri : ""};
    ll_op *op = ll_op_new(LL_OP_WITH_FORECAST, names, F_NNAMES, o->model,
                          o->name ? o->name : "forecast", err);
    if (!op)
        return NULL;
    op->horizon = o->horizon;
    op->history = o->history > 0 ? o->history : 1000;
    if (o->refit_every < 0) {
        ll_op_free(op);
        ll_err_set(err, LL_EINVAL, "with_forecast: refit_every must be >= 0");
        return NULL;
    }
    op->refit_every = o->refit_every;
    fc_state *st = calloc(1, sizeof *st);
    if (!st) {
        ll_op_free(op);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    ll_strset_init(&st->keys);
    op->state = st;
    if (!*op->names[F_TRACKING]) {
        free(op->names[F_TRACKING]);
        op->names[F_TRACKING] = NULL;
    }
    if (load_pipeline(op, st, err)) {
        ll_op_free(op);
        return NULL;
    }
    return op;
}

ll_op *ll_forecast_clone(const ll_op *op, ll_err *err)
{
    ll_forecast_opts o = {
        op->expr,          op->names[F_TRACKING], op->names[F_BY],
        op->names[F_TIME], op->names[F_TARGET],   op->name,
        op->horizon,       op->history,           op->refit_every};
    return ll_op_forecast(&o, err);
}

static hist *get_hist(fc_state *st, const char *key, size_t n, size_t nreg)
{
    long j = ll_strset_index(&st->keys, key, n);
    if (j >= 0)
        return &st->h[j];
    if (st->nh == st->caph) {
        size_t cap = st->caph ? st->caph * 2 : 64;
        hist *h = realloc(st->h, sizeof *h * cap);
        if (!h)
            return NULL;
        st->h = h;
        st->caph = cap;
    }
    hist *h = &st->h[st->nh];
    memset(h, 0, sizeof *h);
    if (!(h->fit = ll_aml_stream_fit_new()) ||
        (nreg && !(h->x = malloc(sizeof *h->x * nreg)))) {
        ll_aml_stream_fit_free(h->fit);
        return NULL;
    }
    for (size_t c = 0; c < nreg; c++)
        h->x[c] = LL_NAN;
    if (ll_strset_add(&st->keys, key, n) != 1) {
        free(h->x);
        ll_aml_stream_fit_free(h->fit);
        return NULL;
    }
    st->nh++;
    return h;
}

static int push(hist *h, double t, double y, size_t keep)
{
    if (h->n && t == h->t[h->n - 1]) {
        h->y[h->n - 1] = y; /* the same time again: a duplicate */
        return LL_OK;
    }
    if (h->n && t < h->t[h->n - 1])
        return LL_OK; /* late: the history has moved on */
    if (h->n == keep) {
        memmove(h->t, h->t + 1, sizeof *h->t * (h->n - 1));
        memmove(h->y, h->y + 1, sizeof *h->y * (h->n - 1));
        h->n--;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        double *nt = realloc(h->t, sizeof *nt * cap);
        if (!nt)
            return LL_ENOMEM;
        h->t = nt;
        double *ny = realloc(h->y, sizeof *ny * cap);
        if (!ny)
            return LL_ENOMEM;
        h->y = ny;
        h->cap = cap;
    }
    h->t[h->n] = t;
    h->y[h->n++] = y;
    return LL_OK;
}

/* The regressor c of row i as the table codes it. */
static double reg_value(const ll_aml_table *t, size_t c, const ll_column *col,
                        int64_t i)
{
    if (ll_col_isna(col, i))
        return LL_NAN;
    if (!t->reg_levels || !t->reg_levels[c])
        return ll_col_num(col, i);
    size_t n;
    const char *s = NULL;
    char buf[64];
    if (col->type == LL_STR || col->type == LL_CAT)
        s = ll_col_str(col, i, &n);
    else {
        ll_buf b;
        ll_buf_init(&b);
        ll_col_format(col, i, &b);
        snprintf(buf, sizeof buf, "%s", ll_buf_str(&b));
        ll_buf_free(&b);
        s = buf;
        n = strlen(buf);
    }
    for (size_t l = 0; l < t->reg_nlevels[c]; l++)
        if (strlen(t->reg_levels[c][l]) == n &&
            !memcmp(t->reg_levels[c][l], s, n))
            return (double)l;
    return LL_NAN;
}

ll_frame *ll_forecast_apply(ll_op *op, const ll_frame *in, ll_err *err)
{
    fc_state *st = op->state;
    const ll_aml_table *t = ll_aml_pipeline_table(st->pipe);
    int cb = ll_frame_col(in, op->names[F_BY], err);
    int ct = cb < 0 ? -1 : ll_frame_col(in, op->names[F_TIME], err);
    int cy = ct < 0 ? -1 : ll_frame_col(in, op->names[F_TARGET], err);
    if (cy < 0) {
        ll_err_prefix(err, "with_forecast");
        return NULL;
    }
    size_t nreg = t->nreg, h = (size_t)op->horizon;
    int *creg = malloc(sizeof *creg * (nreg + 1));
    double *out = malloc(sizeof *out * (size_t)(in->nrow + 1));
    double *mean = malloc(sizeof *mean * (h + 1));
    double *xrow = malloc(sizeof *xrow * (nreg + 1));
    int64_t *order = NULL, *group = NULL;
    ll_frame *res = NULL;
    ll_buf key;
    ll_buf_init(&key);
    if (!creg || !out || !mean || !xrow) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < nreg; c++) {
        creg[c] = ll_frame_find(in, t->reg_names[c]);
        if (creg[c] < 0) {
            ll_err_set(err, LL_ENOTFOUND,
                       "with_forecast: no column '%s' (a regressor of the "
                       "model)",
                       t->reg_names[c]);
            goto done;
        }
    }
    const char *by[1] = {op->names[F_BY]}, *tm[1] = {op->names[F_TIME]};
    if (ll_frame_group_order(in, by, 1, tm, 1, 1, &order, &group, err))
        goto done;
    const ll_column *kc = in->cols[cb], *tc = in->cols[ct], *yc = in->cols[cy];
    for (int64_t r = 0; r < in->nrow; r++) {
        int64_t i = order ? order[r] : r;
        out[i] = LL_NAN;
        ll_buf_reset(&key);
        if (ll_col_format(kc, i, &key)) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        hist *hs = get_hist(st, ll_buf_str(&key), key.len, nreg);
        if (!hs) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        double tv = ll_col_num(tc, i), yv = ll_col_num(yc, i);
        if (!isnan(tv) && !isnan(yv) && push(hs, tv, yv, (size_t)op->history)) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t c = 0; c < nreg; c++) {
            double v = reg_value(t, c, in->cols[creg[c]], i);
            if (!isnan(v))
                hs->x[c] = v;
        }
        if (hs->n == 0)
            continue;
        int frc = ll_aml_pipeline_forecast_stream(
            st->pipe, ll_buf_str(&key), hs->t, hs->y, hs->n, hs->x, h,
            (size_t)op->refit_every, hs->fit, mean, err);
        if (frc == LL_ERANGE)
            continue; /* too little history yet: NA */
        if (frc) {
            ll_err_prefix(err, "with_forecast: %s %s", op->names[F_BY],
                          ll_buf_str(&key));
            goto done;
        }
        double sum = 0;
        for (size_t k = 0; k < h; k++)
            sum += mean[k];
        out[i] = sum;
    }
    ll_column *col = ll_col_new(LL_FLOAT, in->nrow, err);
    if (!col)
        goto done;
    memcpy(col->data, out, sizeof *out * (size_t)in->nrow);
    res = ll_frame_copy(in, err);
    if (!res || ll_frame_set(res, op->name, col, err)) {
        ll_frame_free(res);
        res = NULL;
    }
    ll_col_unref(col);
done:
    ll_buf_free(&key);
    free(creg);
    free(out);
    free(mean);
    free(xrow);
    free(order);
    free(group);
    return res;
}

static cJSON *num_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        cJSON *x = isnan(v[i]) ? cJSON_CreateNull() : cJSON_CreateNumber(v[i]);
        if (!cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

int ll_forecast_state_save(const ll_op *op, ll_buf *out, ll_err *err)
{
    const fc_state *st = op->state;
    size_t nreg = ll_aml_pipeline_table(st->pipe)->nreg;
    cJSON *o = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(o, "keys");
    for (size_t j = 0; keys && j < st->nh; j++) {
        const hist *h = &st->h[j];
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(
            e, cJSON_CreateString(ll_strset_at(&st->keys, j, NULL)));
        cJSON_AddItemToArray(e, num_array(h->t, h->n));
        cJSON_AddItemToArray(e, num_array(h->y, h->n));
        cJSON_AddItemToArray(e, num_array(h->x, nreg));
        cJSON_AddItemToArray(e, ll_aml_stream_fit_save(h->fit));
        cJSON_AddItemToArray(keys, e);
    }
    return ll_stream_json_out(o, out, err);
}

static size_t read_array(const cJSON *a, double *v, size_t cap)
{
    size_t n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (n == cap)
            break;
        v[n++] = cJSON_IsNumber(x) ? x->valuedouble : LL_NAN;
    }
    return n;
}

int ll_forecast_state_load(ll_op *op, const char *text, ll_err *err)
{
    fc_state *st = op->state;
    hists_free(st);
    if (!text)
        return LL_OK;
    size_t nreg = ll_aml_pipeline_table(st->pipe)->nreg;
    cJSON *o = cJSON_Parse(text);
    cJSON *keys = cJSON_GetObjectItemCaseSensitive(o, "keys");
    if (!cJSON_IsArray(keys)) {
        cJSON_Delete(o);
        return ll_err_set(err, LL_EPARSE,
                          "with_forecast: state without \"keys\"");
    }
    const cJSON *e;
    int rc = LL_OK;
    cJSON_ArrayForEach(e, keys)
    {
        const cJSON *k = cJSON_GetArrayItem(e, 0);
        const cJSON *ta = cJSON_GetArrayItem(e, 1);
        const cJSON *ya = cJSON_GetArrayItem(e, 2);
        const cJSON *xa = cJSON_GetArrayItem(e, 3);
        if (!cJSON_IsString(k) || !cJSON_IsArray(ta) || !cJSON_IsArray(ya)) {
            rc = ll_err_set(err, LL_EPARSE,
                            "with_forecast: a malformed history in the "
                            "state");
            break;
        }
        hist *h = get_hist(st, k->valuestring, strlen(k->valuestring), nreg);
        size_t n = (size_t)cJSON_GetArraySize(ta);
        if (!h || !(h->t = malloc(sizeof *h->t * (n + 1))) ||
            !(h->y = malloc(sizeof *h->y * (n + 1)))) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        h->cap = n + 1;
        h->n = read_array(ta, h->t, n);
        size_t ny = read_array(ya, h->y, n);
        if (ny < h->n)
            h->n = ny;
        if (nreg && cJSON_IsArray(xa))
            read_array(xa, h->x, nreg);
        const cJSON *fa = cJSON_GetArrayItem(e, 4);
        if (cJSON_IsObject(fa) &&
            (rc = ll_aml_stream_fit_load(st->pipe, fa, h->fit, err)))
            break;
    }
    cJSON_Delete(o);
    return rc;
}
