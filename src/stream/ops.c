/*
 * ops: the operators a query applies to each batch.
 *
 * select, filter (an expression of ll_frame_eval), with_column (an
 * expression's column under a name) and drop_duplicates (keeps the first
 * row of each key ever seen; the keys seen are its state, saved in the
 * checkpoint after every batch).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream_int.h"

ll_op *ll_op_new(int kind, const char *const *names, int n, const char *expr,
                 const char *name, ll_err *err)
{
    ll_op *op = calloc(1, sizeof *op);
    if (!op)
        goto nomem;
    op->kind = kind;
    if (n > 0) {
        if (!(op->names = calloc((size_t)n, sizeof *op->names)))
            goto nomem;
        op->n = n;
        for (int i = 0; i < n; i++)
            if (!(op->names[i] = ll_strdup(names[i])))
                goto nomem;
    }
    if ((expr && !(op->expr = ll_strdup(expr))) ||
        (name && !(op->name = ll_strdup(name))))
        goto nomem;
    if (kind == LL_OP_DROP_DUPLICATES) {
        ll_strset *s = calloc(1, sizeof *s);
        if (!s)
            goto nomem;
        ll_strset_init(s);
        op->state = s;
    }
    return op;
nomem:
    ll_op_free(op);
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

ll_op *ll_op_clone(const ll_op *op, ll_err *err)
{
    if (op->kind == LL_OP_WITH_FORECAST)
        return ll_forecast_clone(op, err);
    return ll_op_new(op->kind, (const char *const *)op->names, op->n, op->expr,
                     op->name, err);
}

void ll_op_free(ll_op *op)
{
    if (!op)
        return;
    for (int i = 0; i < op->n; i++)
        free(op->names[i]);
    free(op->names);
    free(op->expr);
    free(op->name);
    if (op->kind == LL_OP_DROP_DUPLICATES && op->state) {
        ll_strset_free(op->state);
        free(op->state);
    }
    if (op->kind == LL_OP_WITH_FORECAST)
        ll_forecast_state_free(op->state);
    free(op);
}

int ll_op_is_stateful(const ll_op *op)
{
    return op->kind == LL_OP_DROP_DUPLICATES || op->kind == LL_OP_WITH_FORECAST;
}

int ll_row_key(const ll_frame *f, const int *cols, int n, int64_t i,
               ll_buf *out)
{
    ll_buf_reset(out);
    for (int k = 0; k < n; k++) {
        if (k && ll_buf_putc(out, '\x1f'))
            return LL_ENOMEM;
        if (ll_col_format(f->cols[cols[k]], i, out))
            return LL_ENOMEM;
    }
    return LL_OK;
}

static ll_frame *drop_duplicates(ll_op *op, const ll_frame *in, ll_err *err)
{
    ll_strset *seen = op->state;
    int n = op->n ? op->n : in->ncol;
    int *cols = malloc(sizeof *cols * (size_t)(n ? n : 1));
    int64_t *keep = malloc(sizeof *keep * (size_t)(in->nrow ? in->nrow : 1));
    ll_buf key;
    ll_buf_init(&key);
    ll_frame *out = NULL;
    if (!cols || !keep) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n; k++) {
        cols[k] = op->n ? ll_frame_col(in, op->names[k], err) : k;
        if (cols[k] < 0) {
            ll_err_prefix(err, "drop_duplicates");
            goto done;
        }
    }
    int64_t nk = 0;
    for (int64_t i = 0; i < in->nrow; i++) {
        if (ll_row_key(in, cols, n, i, &key)) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        int added = ll_strset_add(seen, key.data ? key.data : "", key.len);
        if (added < 0) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        if (added)
            keep[nk++] = i;
    }
    out = ll_frame_take(in, keep, nk, err);
done:
    free(cols);
    free(keep);
    ll_buf_free(&key);
    return out;
}

ll_frame *ll_op_apply(ll_op *op, const ll_frame *in, ll_err *err)
{
    switch (op->kind) {
    case LL_OP_SELECT: {
        ll_frame *f =
            ll_frame_select(in, (const char *const *)op->names, op->n, err);
        if (!f)
            ll_err_prefix(err, "select");
        return f;
    }
    case LL_OP_FILTER: {
        ll_column *mask = ll_frame_eval(in, op->expr, err);
        if (!mask) {
            ll_err_prefix(err, "filter(\"%s\")", op->expr);
            return NULL;
        }
        if (mask->type != LL_BOOL) {
            ll_col_unref(mask);
            ll_err_set(err, LL_EINVAL,
                       "filter(\"%s\"): the expression is not a condition",
                       op->expr);
            return NULL;
        }
        ll_frame *f = ll_frame_filter(in, mask, err);
        ll_col_unref(mask);
        return f;
    }
    case LL_OP_WITH_COLUMN: {
        ll_column *c = ll_frame_eval(in, op->expr, err);
        if (!c) {
            ll_err_prefix(err, "with_column(\"%s\")", op->name);
            return NULL;
        }
        ll_frame *f = ll_frame_copy(in, err);
        if (!f || ll_frame_set(f, op->name, c, err)) {
            ll_frame_free(f);
            ll_col_unref(c);
            return NULL;
        }
        ll_col_unref(c);
        return f;
    }
    case LL_OP_DROP_DUPLICATES:
        return drop_duplicates(op, in, err);
    case LL_OP_WITH_FORECAST:
        return ll_forecast_apply(op, in, err);
    }
    ll_err_set(err, LL_EINVAL, "unknown operator %d", op->kind);
    return NULL;
}

void ll_op_state_reset(ll_op *op)
{
    if (op->kind == LL_OP_DROP_DUPLICATES)
        ll_strset_free(op->state);
    if (op->kind == LL_OP_WITH_FORECAST)
        ll_forecast_state_reset(op->state);
}

int ll_stream_json_out(cJSON *o, ll_buf *out, ll_err *err)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text || ll_buf_puts(out, text)) {
        free(text);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    free(text);
    return LL_OK;
}

int ll_op_state_save(const ll_op *op, ll_buf *out, ll_err *err)
{
    ll_buf_reset(out);
    if (op->kind == LL_OP_WITH_FORECAST)
        return ll_forecast_state_save(op, out, err);
    if (op->kind != LL_OP_DROP_DUPLICATES)
        return LL_OK;
    const ll_strset *s = op->state;
    cJSON *keys = cJSON_CreateArray();
    for (size_t j = 0; keys && j < s->count; j++) {
        const char *k = ll_strset_at(s, j, NULL);
        if (!cJSON_AddItemToArray(keys, cJSON_CreateString(k))) {
            cJSON_Delete(keys);
            keys = NULL;
        }
    }
    cJSON *o = keys ? cJSON_CreateObject() : NULL;
    if (!o || !cJSON_AddItemToObject(o, "keys", keys)) {
        cJSON_Delete(keys);
        cJSON_Delete(o);
        o = NULL;
    }
    return ll_stream_json_out(o, out, err);
}

int ll_op_state_load(ll_op *op, const char *text, ll_err *err)
{
    if (op->kind == LL_OP_WITH_FORECAST)
        return ll_forecast_state_load(op, text, err);
    ll_op_state_reset(op);
    if (op->kind != LL_OP_DROP_DUPLICATES || !text)
        return LL_OK;
    cJSON *o = cJSON_Parse(text);
    cJSON *keys = cJSON_GetObjectItemCaseSensitive(o, "keys");
    if (!cJSON_IsArray(keys)) {
        cJSON_Delete(o);
        return ll_err_set(err, LL_EPARSE,
                          "drop_duplicates: state without \"keys\"");
    }
    cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (cJSON_IsString(k) && ll_strset_add(op->state, k->valuestring,
                                               strlen(k->valuestring)) < 0) {
            cJSON_Delete(o);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    }
    cJSON_Delete(o);
    return LL_OK;
}
