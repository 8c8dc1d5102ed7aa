/*
 * request: scoring request bodies into frames and tensors, predictions
 * into response bodies.  See request.h for the formats.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/request.h"
#include "util/json.h"

void ll_req_input_clear(ll_req_input *in)
{
    if (in->frame) {
        for (int c = 0; c < in->frame->ncol; c++)
            free(in->bad_value ? in->bad_value[c] : NULL);
        ll_frame_free(in->frame);
    }
    ll_tensor_free(in->tensor);
    free(in->bad_row);
    free(in->bad_value);
    free(in->quantiles);
    memset(in, 0, sizeof *in);
}

/* ---- JSON values into columns ------------------------------------------ */

enum { K_NULL = 1, K_NUM = 2, K_BOOL = 4, K_STR = 8, K_OTHER = 16 };

static int kind_of(const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return K_NULL;
    if (cJSON_IsNumber(v))
        return K_NUM;
    if (cJSON_IsBool(v))
        return K_BOOL;
    if (cJSON_IsString(v))
        return K_STR;
    return K_OTHER;
}

/* A column from n JSON values (vals[i] may be NULL for a missing key).
 * Records the first non-number for the error messages. */
static ll_column *column_from(const cJSON *const *vals, int64_t n,
                              const char *name, int64_t *bad_row,
                              char **bad_value, ll_err *err)
{
    int kinds = 0;
    *bad_row = -1;
    *bad_value = NULL;
    for (int64_t i = 0; i < n; i++) {
        int k = kind_of(vals[i]);
        if (k == K_OTHER)
            return ll_err_set(err, LL_EINVAL,
                              "row %lld, column '%s': a nested %s is not a "
                              "value",
                              (long long)i, name,
                              cJSON_IsArray(vals[i]) ? "list" : "object"),
                   NULL;
        if (k != K_NUM && k != K_NULL && *bad_row < 0) {
            *bad_row = i;
            char *s = cJSON_IsString(vals[i])
                          ? ll_strdup(vals[i]->valuestring)
                          : ll_strdup(cJSON_IsTrue(vals[i]) ? "true" : "false");
            if (!s)
                return ll_err_set(err, LL_ENOMEM, "out of memory"), NULL;
            *bad_value = s;
        }
        kinds |= k;
    }
    ll_column *c = NULL;
    if ((kinds & ~K_NULL) == K_NUM || kinds == K_NULL || kinds == 0) {
        c = ll_col_new(LL_FLOAT, n, NULL);
        if (!c)
            goto oom;
        double *d = c->data;
        for (int64_t i = 0; i < n; i++) {
            if (kind_of(vals[i]) == K_NUM) {
                d[i] = vals[i]->valuedouble;
            } else if (ll_col_set_na(c, i) != 0) {
                goto oom;
            }
        }
        *bad_row = -1;
        free(*bad_value);
        *bad_value = NULL;
    } else if ((kinds & ~K_NULL) == K_BOOL) {
        c = ll_col_new(LL_BOOL, n, NULL);
        if (!c)
            goto oom;
        uint8_t *d = c->data;
        for (int64_t i = 0; i < n; i++) {
            if (kind_of(vals[i]) == K_BOOL)
                d[i] = cJSON_IsTrue(vals[i]) ? 1 : 0;
            else if (ll_col_set_na(c, i) != 0)
                goto oom;
        }
    } else {
        /* Strings: dates and date-times when every one parses. */
        int all_date = (kinds & ~K_NULL) == K_STR;
        int all_dt = all_date;
        for (int64_t i = 0; i < n && (all_date || all_dt); i++) {
            if (kind_of(vals[i]) != K_STR)
                continue;
            const char *s = vals[i]->valuestring;
            int32_t days;
            int64_t ms;
            if (all_date && !ll_parse_date(s, strlen(s), &days))
                all_date = 0;
            if (all_dt && !ll_parse_datetime(s, strlen(s), &ms))
                all_dt = 0;
        }
        if (all_date || all_dt) {
            c = ll_col_new(all_date ? LL_DATE : LL_DATETIME, n, NULL);
            if (!c)
                goto oom;
            for (int64_t i = 0; i < n; i++) {
                if (kind_of(vals[i]) != K_STR) {
                    if (ll_col_set_na(c, i) != 0)
                        goto oom;
                    continue;
                }
                const char *s = vals[i]->valuestring;
                if (all_date)
                    ll_parse_date(s, strlen(s), &((int32_t *)c->data)[i]);
                else
                    ll_parse_datetime(s, strlen(s), &((int64_t *)c->data)[i]);
            }
        } else {
            ll_strbuilder sb;
            ll_sb_init(&sb);
            char num[64];
            for (int64_t i = 0; i < n; i++) {
                int k = kind_of(vals[i]), rc;
                if (k == K_NULL) {
                    rc = ll_sb_push_na(&sb);
                } else if (k == K_STR) {
                    rc = ll_sb_push(&sb, vals[i]->valuestring,
                                    strlen(vals[i]->valuestring));
                } else if (k == K_BOOL) {
                    const char *b = cJSON_IsTrue(vals[i]) ? "true" : "false";
                    rc = ll_sb_push(&sb, b, strlen(b));
                } else {
                    ll_format_float(vals[i]->valuedouble, num, sizeof num);
                    rc = ll_sb_push(&sb, num, strlen(num));
                }
                if (rc != 0) {
                    ll_sb_free(&sb);
                    goto oom;
                }
            }
            c = ll_sb_finish(&sb, NULL);
            if (!c)
                goto oom;
        }
    }
    ll_col_finish(c);
    return c;
oom:
    ll_col_unref(c);
    free(*bad_value);
    *bad_value = NULL;
    return ll_err_set(err, LL_ENOMEM, "out of memory"), NULL;
}

/* The frame being built, with its per-column bad-row records. */
typedef struct builder {
    ll_frame *f;
    int64_t *bad_row;
    char **bad_value;
    int cap;
} builder;

static int add_column(builder *b, const char *name, const cJSON *const *vals,
                      int64_t n, ll_err *err)
{
    if (ll_frame_find(b->f, name) >= 0)
        return ll_err_set(err, LL_EINVAL, "column '%s' appears twice", name);
    if (b->f->ncol == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        int64_t *br = realloc(b->bad_row, (size_t)cap * sizeof *br);
        if (!br)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        b->bad_row = br;
        char **bv = realloc(b->bad_value, (size_t)cap * sizeof *bv);
        if (!bv)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        b->bad_value = bv;
        b->cap = cap;
    }
    int64_t bad;
    char *badv;
    ll_column *c = column_from(vals, n, name, &bad, &badv, err);
    if (!c)
        return err->code;
    int i = b->f->ncol;
    int rc = ll_frame_set(b->f, name, c, err);
    ll_col_unref(c);
    if (rc != 0) {
        free(badv);
        return rc;
    }
    b->bad_row[i] = bad;
    b->bad_value[i] = badv;
    return LL_OK;
}

static void builder_free(builder *b)
{
    if (b->f)
        for (int c = 0; c < b->f->ncol; c++)
            free(b->bad_value[c]);
    ll_frame_free(b->f);
    free(b->bad_row);
    free(b->bad_value);
    memset(b, 0, sizeof *b);
}

static int builder_done(builder *b, ll_req_input *in)
{
    in->frame = b->f;
    in->bad_row = b->bad_row;
    in->bad_value = b->bad_value;
    memset(b, 0, sizeof *b);
    return LL_OK;
}

/* [{"a": 1, "b": 2}, ...] (key order from the first record, new keys of
 * later records appended). */
static int from_records(const cJSON *arr, const char *what, builder *b,
                        ll_err *err)
{
    int64_t n = cJSON_GetArraySize(arr);
    const cJSON *rec;
    int64_t r = 0;
    cJSON_ArrayForEach(rec, arr)
    {
        if (!cJSON_IsObject(rec))
            return ll_err_set(err, LL_EINVAL,
                              "%s: row %lld is not an object of column "
                              "values",
                              what, (long long)r);
        r++;
    }
    if (n == 0)
        return ll_err_set(err, LL_EINVAL, "%s: no rows", what);
    const cJSON **vals = calloc((size_t)n, sizeof *vals);
    if (!vals)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    cJSON_ArrayForEach(rec, arr)
    {
        const cJSON *kv;
        cJSON_ArrayForEach(kv, rec)
        {
            if (ll_frame_find(b->f, kv->string) >= 0)
                continue;
            r = 0;
            const cJSON *rr;
            cJSON_ArrayForEach(rr, arr)
            {
                vals[r++] = cJSON_GetObjectItemCaseSensitive(rr, kv->string);
            }
            rc = add_column(b, kv->string, vals, n, err);
            if (rc != 0)
                goto done;
        }
    }
done:
    free(vals);
    return rc;
}

/* {"columns": [...], "data": [[...], ...]} (an "index" is ignored). */
static int from_split(const cJSON *o, builder *b, ll_err *err)
{
    const char *what = "dataframe_split";
    if (!cJSON_IsObject(o))
        return ll_err_set(err, LL_EINVAL,
                          "%s must be an object with 'columns' and 'data'",
                          what);
    const cJSON *kv;
    cJSON_ArrayForEach(kv, o)
    {
        if (strcmp(kv->string, "columns") && strcmp(kv->string, "data") &&
            strcmp(kv->string, "index"))
            return ll_err_set(err, LL_EINVAL,
                              "%s: unknown key '%s' (expected columns, data, "
                              "index)",
                              what, kv->string);
    }
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(o, "columns");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
    if (!cJSON_IsArray(data))
        return ll_err_set(err, LL_EINVAL, "%s: 'data' must be a list of rows",
                          what);
    int64_t n = cJSON_GetArraySize(data);
    if (n == 0)
        return ll_err_set(err, LL_EINVAL, "%s: no rows", what);
    int ncol = -1;
    const cJSON *row;
    int64_t r = 0;
    cJSON_ArrayForEach(row, data)
    {
        int w = cJSON_IsArray(row) ? cJSON_GetArraySize(row) : 1;
        if (ncol < 0)
            ncol = w;
        else if (w != ncol)
            return ll_err_set(err, LL_EINVAL,
                              "%s: row %lld has %d values, row 0 has %d", what,
                              (long long)r, w, ncol);
        r++;
    }
    if (cols && !cJSON_IsArray(cols))
        return ll_err_set(err, LL_EINVAL,
                          "%s: 'columns' must be a list of names", what);
    if (cols && cJSON_GetArraySize(cols) != ncol)
        return ll_err_set(err, LL_EINVAL,
                          "%s: %d column names for rows of %d values", what,
                          cJSON_GetArraySize(cols), ncol);
    const cJSON **vals = calloc((size_t)n, sizeof *vals);
    if (!vals)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    for (int c = 0; c < ncol && rc == 0; c++) {
        char name[32];
        const char *nm = name;
        if (cols) {
            const cJSON *cn = cJSON_GetArrayItem(cols, c);
            if (!cJSON_IsString(cn)) {
                rc = ll_err_set(err, LL_EINVAL,
                                "%s: column name %d is not a string", what, c);
                break;
            }
            nm = cn->valuestring;
        } else {
            snprintf(name, sizeof name, "%d", c);
        }
        r = 0;
        cJSON_ArrayForEach(row, data)
        {
            vals[r++] = cJSON_IsArray(row) ? cJSON_GetArrayItem(row, c) : row;
        }
        rc = add_column(b, nm, vals, n, err);
    }
    free(vals);
    return rc;
}

/* {"a": [1, 2], "b": [3, 4]}: a dictionary of columns. */
static int from_columns(const cJSON *o, const char *what, builder *b,
                        ll_err *err)
{
    int64_t n = -1;
    const cJSON *kv;
    cJSON_ArrayForEach(kv, o)
    {
        int64_t m = cJSON_IsArray(kv) ? cJSON_GetArraySize(kv) : 1;
        if (n < 0)
            n = m;
        else if (m != n)
            return ll_err_set(err, LL_EINVAL,
                              "%s: column '%s' has %lld values, the first has "
                              "%lld",
                              what, kv->string, (long long)m, (long long)n);
    }
    if (n <= 0)
        return ll_err_set(err, LL_EINVAL, "%s: no rows", what);
    const cJSON **vals = calloc((size_t)n, sizeof *vals);
    if (!vals)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    cJSON_ArrayForEach(kv, o)
    {
        if (cJSON_IsArray(kv)) {
            int64_t r = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, kv)
            {
                vals[r++] = v;
            }
        } else {
            vals[0] = kv;
        }
        rc = add_column(b, kv->string, vals, n, err);
        if (rc != 0)
            break;
    }
    free(vals);
    return rc;
}

/* The shape of a nested list of numbers; -1 on a ragged or non-numeric
 * one (err says where). */
static int tensor_shape(const cJSON *v, int depth, int64_t *shape, int *ndim,
                        const char *what, ll_err *err)
{
    if (cJSON_IsNumber(v)) {
        if (*ndim < 0)
            *ndim = depth;
        else if (*ndim != depth)
            return ll_err_set(err, LL_EINVAL,
                              "%s: nested lists of different depths", what);
        return LL_OK;
    }
    if (!cJSON_IsArray(v)) {
        char *s = cJSON_PrintUnformatted(v);
        int rc = ll_err_set(err, LL_EINVAL, "%s: %s is not a number", what,
                            s ? s : "a value");
        free(s);
        return rc;
    }
    if (depth >= LL_MAXDIM)
        return ll_err_set(err, LL_EINVAL, "%s: more than %d nested list levels",
                          what, LL_MAXDIM);
    int64_t m = cJSON_GetArraySize(v);
    if (shape[depth] < 0)
        shape[depth] = m;
    else if (shape[depth] != m)
        return ll_err_set(err, LL_EINVAL,
                          "%s: ragged lists (%lld and %lld items at depth %d)",
                          what, (long long)shape[depth], (long long)m,
                          depth + 1);
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        int rc = tensor_shape(e, depth + 1, shape, ndim, what, err);
        if (rc != 0)
            return rc;
    }
    if (m == 0 && *ndim < 0)
        *ndim = depth + 1;
    return LL_OK;
}

static void tensor_fill(const cJSON *v, float *d, int64_t *at)
{
    if (cJSON_IsNumber(v)) {
        d[(*at)++] = (float)v->valuedouble;
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        tensor_fill(e, d, at);
    }
}

/* "instances" / "inputs": rows of numbers -> a tensor; records or a
 * dictionary of columns -> a frame. */
static int from_instances(const cJSON *v, const char *what, builder *b,
                          ll_req_input *in, ll_err *err)
{
    if (cJSON_IsObject(v))
        return from_columns(v, what, b, err);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return ll_err_set(err, LL_EINVAL, "%s must be a non-empty list", what);
    if (cJSON_IsObject(v->child))
        return from_records(v, what, b, err);
    int64_t shape[LL_MAXDIM];
    for (int i = 0; i < LL_MAXDIM; i++)
        shape[i] = -1;
    int ndim = -1;
    int rc = tensor_shape(v, 0, shape, &ndim, what, err);
    if (rc != 0)
        return rc;
    if (ndim == 1) { /* a list of scalars: one value per row */
        shape[1] = 1;
        ndim = 2;
    }
    in->tensor = ll_tensor_new(ndim, shape, err);
    if (!in->tensor)
        return err->code;
    int64_t at = 0;
    tensor_fill(v, ll_tensor_data(in->tensor), &at);
    return LL_OK;
}

/* ---- CSV ---------------------------------------------------------------- */

static int from_csv(const char *body, size_t len, ll_req_input *in, ll_err *err)
{
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_frame *f =
        ll_frame_read_csv_mem(body, len, "request body", &o, NULL, err);
    if (!f)
        return err->code ? err->code : LL_EPARSE;
    if (f->nrow == 0) {
        ll_frame_free(f);
        return ll_err_set(err, LL_EINVAL, "CSV body: no rows");
    }
    in->frame = f;
    in->bad_row = malloc((size_t)(f->ncol ? f->ncol : 1) * sizeof(int64_t));
    in->bad_value = calloc((size_t)(f->ncol ? f->ncol : 1), sizeof(char *));
    if (!in->bad_row || !in->bad_value)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (int c = 0; c < f->ncol; c++) {
        in->bad_row[c] = -1;
        const ll_column *col = f->cols[c];
        if (col->type != LL_STR && col->type != LL_CAT)
            continue;
        /* A text column among numbers: its first value that is no number. */
        for (int64_t r = 0; r < col->len; r++) {
            size_t n;
            const char *s = ll_col_str(col, r, &n);
            double x;
            if (s && !ll_parse_float(s, n, &x)) {
                in->bad_row[c] = r;
                in->bad_value[c] = strndup(s, n);
                break;
            }
        }
    }
    return LL_OK;
}

/* ---- the body ----------------------------------------------------------- */

static int is_json(const char *ct)
{
    if (!ct || !*ct)
        return 1;
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0);
}

static int is_csv(const char *ct)
{
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return (n == 8 && strncasecmp(ct, "text/csv", 8) == 0) ||
           (n == 15 && strncasecmp(ct, "application/csv", 15) == 0);
}

static int parse_quantiles(const cJSON *q, ll_req_input *in, ll_err *err)
{
    if (!cJSON_IsArray(q))
        return ll_err_set(err, LL_EINVAL,
                          "'quantiles' must be a list of numbers in (0, 1)");
    int n = cJSON_GetArraySize(q);
    in->quantiles = calloc((size_t)(n ? n : 1), sizeof(double));
    if (!in->quantiles)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    const cJSON *v;
    cJSON_ArrayForEach(v, q)
    {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) ||
            !(v->valuedouble < 1))
            return ll_err_set(err, LL_EINVAL,
                              "'quantiles' must be a list of numbers in "
                              "(0, 1)");
        in->quantiles[in->nquantiles++] = v->valuedouble;
    }
    return LL_OK;
}

int ll_req_parse(const char *content_type, const char *body, size_t len,
                 ll_req_contract contract, ll_req_input *in,
                 ll_req_contract *used, ll_err *err)
{
    memset(in, 0, sizeof *in);
    if (used)
        *used = contract;
    if (content_type && is_csv(content_type))
        return from_csv(body, len, in, err);
    if (!is_json(content_type))
        return ll_err_set(err, LL_EINVAL,
                          "unsupported content type '%s' (use "
                          "application/json or text/csv)",
                          content_type);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        int line, col;
        const char *at = end ? end : body;
        if (at < body || at > body + len)
            at = body + len;
        ll_json_line_col(body, (size_t)(at - body), &line, &col);
        return ll_err_set(err, LL_EPARSE,
                          "malformed JSON at line %d, column %d", line, col);
    }
    int rc = LL_OK;
    builder b = {0};
    b.f = ll_frame_new(err);
    if (!b.f) {
        cJSON_Delete(root);
        return LL_ENOMEM;
    }
    if (!cJSON_IsObject(root)) {
        rc = ll_err_set(err, LL_EINVAL,
                        "the body must be a JSON object with one of the keys "
                        "dataframe_split, dataframe_records, instances, "
                        "inputs");
        goto done;
    }
    const char *mlflow_keys[] = {"dataframe_split", "dataframe_records",
                                 "instances", "inputs"};
    const cJSON *main_item = NULL;
    const char *main_key = NULL;
    const cJSON *kv;
    cJSON_ArrayForEach(kv, root)
    {
        const char *k = kv->string;
        int known = 0;
        for (size_t i = 0; i < 4; i++)
            if (strcmp(k, mlflow_keys[i]) == 0)
                known = 1;
        if (contract != LL_REQ_MLFLOW &&
            (strcmp(k, "Inputs") == 0 || strcmp(k, "data") == 0))
            known = 1;
        if (known) {
            if (main_key) {
                rc = ll_err_set(err, LL_EINVAL,
                                "the body has both '%s' and '%s': send one",
                                main_key, k);
                goto done;
            }
            main_key = k;
            main_item = kv;
            continue;
        }
        if (contract != LL_REQ_MLFLOW &&
            (strcmp(k, "GlobalParameters") == 0 || strcmp(k, "quantiles") == 0))
            continue;
        if (contract == LL_REQ_MLFLOW && strcmp(k, "params") == 0)
            continue;
        rc = ll_err_set(err, LL_EINVAL,
                        contract == LL_REQ_MLFLOW
                            ? "unknown key '%s' (expected dataframe_split, "
                              "dataframe_records, instances or inputs)"
                            : "unknown key '%s' (expected Inputs, data, "
                              "dataframe_split, dataframe_records, instances "
                              "or inputs)",
                        k);
        goto done;
    }
    if (!main_key) {
        rc = ll_err_set(err, LL_EINVAL,
                        contract == LL_REQ_MLFLOW
                            ? "the body has none of dataframe_split, "
                              "dataframe_records, instances, inputs"
                            : "the body has none of Inputs, data, "
                              "dataframe_split, dataframe_records, "
                              "instances, inputs");
        goto done;
    }
    if (strcmp(main_key, "dataframe_split") == 0) {
        rc = from_split(main_item, &b, err);
    } else if (strcmp(main_key, "dataframe_records") == 0) {
        if (!cJSON_IsArray(main_item))
            rc = ll_err_set(err, LL_EINVAL,
                            "dataframe_records must be a list of records");
        else
            rc = from_records(main_item, main_key, &b, err);
    } else if (strcmp(main_key, "instances") == 0 ||
               strcmp(main_key, "inputs") == 0) {
        rc = from_instances(main_item, main_key, &b, in, err);
    } else if (strcmp(main_key, "Inputs") == 0) {
        if (used)
            *used = LL_REQ_AZURE;
        const cJSON *d =
            cJSON_IsObject(main_item)
                ? cJSON_GetObjectItemCaseSensitive(main_item, "data")
                : NULL;
        if (!cJSON_IsArray(d))
            rc = ll_err_set(err, LL_EINVAL,
                            "Inputs must be an object with a 'data' list of "
                            "records");
        else
            rc = from_records(d, "Inputs.data", &b, err);
    } else { /* "data": the forecasting contract */
        if (used)
            *used = LL_REQ_FORECAST;
        if (!cJSON_IsArray(main_item))
            rc = ll_err_set(err, LL_EINVAL, "data must be a list of records");
        else
            rc = from_records(main_item, "data", &b, err);
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "quantiles");
        if (rc == 0 && q)
            rc = parse_quantiles(q, in, err);
    }
    if (rc == 0 && !in->tensor)
        rc = builder_done(&b, in);
done:
    builder_free(&b);
    cJSON_Delete(root);
    if (rc != 0)
        ll_req_input_clear(in);
    return rc;
}

int ll_req_check_numeric(const ll_req_input *in, const char *const *names,
                         int n, ll_err *err)
{
    if (!in->frame)
        return LL_OK;
    for (int i = 0; i < n; i++) {
        int c = ll_frame_find(in->frame, names[i]);
        if (c < 0)
            return ll_err_set(err, LL_EINVAL, "missing input column '%s'",
                              names[i]);
        if (in->bad_row && in->bad_row[c] >= 0)
            return ll_err_set(err, LL_EINVAL,
                              "row %lld, column '%s': '%s' is not a number",
                              (long long)in->bad_row[c], names[i],
                              in->bad_value[c] ? in->bad_value[c] : "");
    }
    return LL_OK;
}

/* ---- responses ---------------------------------------------------------- */

static void put_num(ll_buf *out, double x)
{
    if (isnan(x) || isinf(x)) {
        ll_buf_puts(out, "null");
        return;
    }
    char s[64];
    snprintf(s, sizeof s, "%.9g", x);
    ll_buf_puts(out, s);
}

/* One cell of a frame as a JSON value. */
static void put_cell(ll_buf *out, const ll_column *c, int64_t r)
{
    if (ll_col_isna(c, r)) {
        ll_buf_puts(out, "null");
        return;
    }
    char s[64];
    switch (c->type) {
    case LL_BOOL:
        ll_buf_puts(out, ll_col_num(c, r) != 0 ? "true" : "false");
        break;
    case LL_INT:
        ll_buf_printf(out, "%lld",
                      (long long)((const int64_t *)c->data)[r + 0]);
        break;
    case LL_FLOAT:
        put_num(out, ll_col_num(c, r));
        break;
    case LL_DATE:
        ll_format_date(((const int32_t *)c->data)[r], s, sizeof s);
        ll_json_put_string(out, s, strlen(s));
        break;
    case LL_DATETIME:
        ll_format_datetime(((const int64_t *)c->data)[r], s, sizeof s);
        ll_json_put_string(out, s, strlen(s));
        break;
    default: {
        size_t n;
        const char *t = ll_col_str(c, r, &n);
        ll_json_put_string(out, t ? t : "", t ? n : 0);
    }
    }
}

static void put_record(ll_buf *out, const ll_frame *f, int64_t r,
                       const int *cols, int ncols)
{
    ll_buf_putc(out, '{');
    for (int j = 0; j < ncols; j++) {
        if (j)
            ll_buf_putc(out, ',');
        const char *nm = f->names[cols[j]];
        ll_json_put_string(out, nm, strlen(nm));
        ll_buf_putc(out, ':');
        put_cell(out, f->cols[cols[j]], r);
    }
    ll_buf_putc(out, '}');
}

int ll_req_write_frame(const ll_frame *pred, ll_req_contract contract,
                       ll_buf *out)
{
    ll_buf_puts(out, contract == LL_REQ_MLFLOW ? "{\"predictions\":["
                                               : "{\"Results\":[");
    int *all = malloc((size_t)(pred->ncol ? pred->ncol : 1) * sizeof *all);
    if (!all)
        return LL_ENOMEM;
    for (int j = 0; j < pred->ncol; j++)
        all[j] = j;
    for (int64_t r = 0; r < pred->nrow; r++) {
        if (r)
            ll_buf_putc(out, ',');
        if (pred->ncol == 1)
            put_cell(out, pred->cols[0], r);
        else
            put_record(out, pred, r, all, pred->ncol);
    }
    free(all);
    ll_buf_puts(out, "]}");
    return LL_OK;
}

static void put_tensor(ll_buf *out, const ll_tensor *t, int dim, int64_t *at)
{
    const int64_t *shape = ll_tensor_shape(t);
    if (dim == ll_tensor_ndim(t)) {
        put_num(out, ll_tensor_get(t, (*at)++));
        return;
    }
    ll_buf_putc(out, '[');
    for (int64_t i = 0; i < shape[dim]; i++) {
        if (i)
            ll_buf_putc(out, ',');
        put_tensor(out, t, dim + 1, at);
    }
    ll_buf_putc(out, ']');
}

int ll_req_write_tensor(const ll_tensor *pred, ll_req_contract contract,
                        ll_buf *out)
{
    ll_buf_puts(out, contract == LL_REQ_MLFLOW ? "{\"predictions\":"
                                               : "{\"Results\":");
    int64_t at = 0;
    const int64_t *shape = ll_tensor_shape(pred);
    if (ll_tensor_ndim(pred) == 2 && shape[1] == 1) {
        /* [N, 1] -> a flat list, as a single-output model answers. */
        ll_buf_putc(out, '[');
        for (int64_t i = 0; i < shape[0]; i++) {
            if (i)
                ll_buf_putc(out, ',');
            put_num(out, ll_tensor_get(pred, i));
        }
        ll_buf_putc(out, ']');
    } else {
        put_tensor(out, pred, 0, &at);
    }
    ll_buf_putc(out, '}');
    return LL_OK;
}

int ll_req_write_forecast(const ll_frame *pred, ll_buf *out, ll_err *err)
{
    int fc = ll_frame_find(pred, "forecast");
    if (fc < 0)
        fc = ll_frame_find(pred, "prediction");
    if (fc < 0)
        return ll_err_set(err, LL_EINVAL,
                          "the model is not a forecaster (its predictions "
                          "have no 'forecast' column): POST "
                          "{\"Inputs\": {\"data\": [...]}} or use "
                          "/invocations");
    int lo = ll_frame_find(pred, "lower");
    int hi = ll_frame_find(pred, "upper");
    int *idx = malloc((size_t)(pred->ncol ? pred->ncol : 1) * sizeof *idx);
    if (!idx)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int nidx = 0;
    for (int j = 0; j < pred->ncol; j++)
        if (j != fc && j != lo && j != hi)
            idx[nidx++] = j;
    ll_buf_puts(out, "{\"forecast\":[");
    for (int64_t r = 0; r < pred->nrow; r++) {
        if (r)
            ll_buf_putc(out, ',');
        put_cell(out, pred->cols[fc], r);
    }
    ll_buf_putc(out, ']');
    if (lo >= 0 && hi >= 0) {
        ll_buf_puts(out, ",\"prediction_interval\":[");
        for (int64_t r = 0; r < pred->nrow; r++) {
            if (r)
                ll_buf_putc(out, ',');
            ll_buf_putc(out, '[');
            put_cell(out, pred->cols[lo], r);
            ll_buf_putc(out, ',');
            put_cell(out, pred->cols[hi], r);
            ll_buf_putc(out, ']');
        }
        ll_buf_putc(out, ']');
    }
    ll_buf_puts(out, ",\"index\":[");
    for (int64_t r = 0; r < pred->nrow; r++) {
        if (r)
            ll_buf_putc(out, ',');
        put_record(out, pred, r, idx, nidx);
    }
    ll_buf_puts(out, "]}");
    free(idx);
    return LL_OK;
}

void ll_req_write_error(const char *code, const char *msg, ll_buf *out)
{
    ll_buf_puts(out, "{\"error_code\":");
    ll_json_put_string(out, code, strlen(code));
    ll_buf_puts(out, ",\"message\":");
    ll_json_put_string(out, msg, strlen(msg));
    ll_buf_putc(out, '}');
}

/* ---- the client's side: frames out, predictions back ------------------- */

int ll_req_frame_to_split(const ll_frame *f, ll_buf *out)
{
    ll_buf_puts(out, "{\"dataframe_split\":{\"columns\":[");
    for (int j = 0; j < f->ncol; j++) {
        if (j)
            ll_buf_putc(out, ',');
        ll_json_put_string(out, f->names[j], strlen(f->names[j]));
    }
    ll_buf_puts(out, "],\"data\":[");
    for (int64_t r = 0; r < f->nrow; r++) {
        ll_buf_puts(out, r ? ",[" : "[");
        for (int j = 0; j < f->ncol; j++) {
            if (j)
                ll_buf_putc(out, ',');
            const ll_column *c = f->cols[j];
            if (c->type == LL_FLOAT && !ll_col_isna(c, r)) {
                /* All the digits: the server must see the same number. */
                double x = ((const double *)c->data)[r];
                if (isnan(x) || isinf(x)) {
                    ll_buf_puts(out, "null");
                } else {
                    /* The shortest text that reads back as x. */
                    char s[40];
                    for (int digits = 15; digits <= 17; digits++) {
                        snprintf(s, sizeof s, "%.*g", digits, x);
                        if (strtod(s, NULL) == x)
                            break;
                    }
                    ll_buf_puts(out, s);
                }
            } else {
                put_cell(out, c, r);
            }
        }
        ll_buf_putc(out, ']');
    }
    ll_buf_puts(out, "]}}");
    return out->len ? LL_OK : LL_ENOMEM;
}

int ll_req_parse_response(const char *body, size_t len, ll_frame **out,
                          ll_err *err)
{
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        int line, col;
        const char *at = end && end >= body && end <= body + len ? end : body;
        ll_json_line_col(body, (size_t)(at - body), &line, &col);
        return ll_err_set(err, LL_EPARSE,
                          "the server's answer is not JSON (line %d, column "
                          "%d)",
                          line, col);
    }
    int rc = LL_OK;
    builder b = {0};
    b.f = ll_frame_new(err);
    const cJSON *err_code =
        cJSON_GetObjectItemCaseSensitive(root, "error_code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "predictions");
    if (!p)
        p = cJSON_GetObjectItemCaseSensitive(root, "Results");
    if (!b.f) {
        rc = LL_ENOMEM;
    } else if (cJSON_IsString(err_code)) {
        rc = ll_err_set(err, LL_EINVAL, "%s: %s", err_code->valuestring,
                        cJSON_IsString(msg) ? msg->valuestring : "");
    } else if (cJSON_GetObjectItemCaseSensitive(root, "forecast")) {
        /* The forecasting contract: index columns, forecast, interval. */
        const cJSON *fc = cJSON_GetObjectItemCaseSensitive(root, "forecast");
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(root, "index");
        const cJSON *pi =
            cJSON_GetObjectItemCaseSensitive(root, "prediction_interval");
        int64_t n = cJSON_GetArraySize(fc);
        if (cJSON_IsArray(idx) && cJSON_GetArraySize(idx) == n && n > 0)
            rc = from_records(idx, "index", &b, err);
        const cJSON **vals = calloc((size_t)(n ? n : 1), sizeof *vals);
        if (!vals && rc == 0)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        if (rc == 0) {
            int64_t i = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, fc)
            {
                vals[i++] = v;
            }
            rc = add_column(&b, "forecast", vals, n, err);
        }
        for (int side = 0; rc == 0 && cJSON_IsArray(pi) &&
                           cJSON_GetArraySize(pi) == n && side < 2;
             side++) {
            int64_t i = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, pi)
            {
                vals[i++] = cJSON_GetArrayItem(v, side);
            }
            rc = add_column(&b, side ? "upper" : "lower", vals, n, err);
        }
        free(vals);
    } else if (!cJSON_IsArray(p)) {
        rc = ll_err_set(err, LL_EPARSE,
                        "the server's answer has no 'predictions' list");
    } else if (cJSON_GetArraySize(p) == 0) {
        rc = LL_OK;
    } else if (cJSON_IsObject(p->child)) {
        rc = from_records(p, "predictions", &b, err);
    } else {
        int64_t n = cJSON_GetArraySize(p);
        int w = cJSON_IsArray(p->child) ? cJSON_GetArraySize(p->child) : 0;
        const cJSON **vals = calloc((size_t)n, sizeof *vals);
        if (!vals)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        for (int j = 0; rc == 0 && j < (w ? w : 1); j++) {
            int64_t i = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, p)
            {
                vals[i++] = w ? cJSON_GetArrayItem(v, j) : v;
            }
            char name[32];
            if (w)
                snprintf(name, sizeof name, "prediction_%d", j);
            else
                snprintf(name, sizeof name, "prediction");
            rc = add_column(&b, name, vals, n, err);
        }
        free(vals);
    }
    cJSON_Delete(root);
    if (rc == 0) {
        for (int c = 0; c < b.f->ncol; c++)
            free(b.bad_value[c]);
        *out = b.f;
        b.f = NULL;
    }
    builder_free(&b);
    return rc;
}
