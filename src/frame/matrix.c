/*
 * matrix: frame columns as a row-major float matrix, the one conversion
 * every caller that feeds numbers to a model uses (df's to_tensor, model
 * scoring).  The rules (see frame.h and docs/frame.md): columns in the
 * order given; bool 0/1; int and float as they are; date as days and
 * datetime as milliseconds since 1970-01-01; category and string columns
 * as codes into their sorted distinct values, or one-hot blocks; any NA
 * (or NaN) is an error naming the column and the row.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The column as it enters the matrix: strings become categories. */
static ll_column *matrix_col(const ll_column *c)
{
    return c->type == LL_STR ? ll_col_to_category(c, NULL)
                             : ll_col_ref(ll_col_mut(c));
}

static int check_cols(const ll_frame *f, const int *cols, int n, ll_err *err)
{
    if (n < 1)
        return ll_err_set(err, LL_EINVAL, "no columns");
    for (int k = 0; k < n; k++)
        if (cols[k] < 0 || cols[k] >= f->ncol)
            return ll_err_set(err, LL_EINVAL, "column index %d out of range",
                              cols[k]);
    return LL_OK;
}

int ll_frame_matrix_width(const ll_frame *f, const int *cols, int n, int onehot,
                          int64_t *width, ll_err *err)
{
    *width = 0;
    int rc = check_cols(f, cols, n, err);
    if (rc)
        return rc;
    int64_t w = 0;
    for (int k = 0; k < n; k++) {
        const ll_column *c = f->cols[cols[k]];
        if (!onehot || (c->type != LL_STR && c->type != LL_CAT)) {
            w++;
            continue;
        }
        ll_column *use = matrix_col(c);
        if (!use)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        w += use->dict->len;
        ll_col_unref(use);
    }
    *width = w;
    return LL_OK;
}

static int na_error(const ll_frame *f, int col, int64_t row, ll_err *err)
{
    return ll_err_set(err, LL_EINVAL, "column '%s' row %lld is NA",
                      f->names[col], (long long)row + 1);
}

/* na_nan: NA becomes NaN (charts draw a gap) instead of an error. */
static int to_matrix(const ll_frame *f, const int *cols, int n, int onehot,
                     int na_nan, float *out, int64_t width, ll_err *err)
{
    int rc = check_cols(f, cols, n, err);
    if (rc)
        return rc;
    int64_t rows = f->nrow, col0 = 0;
    for (int k = 0; k < n; k++) {
        const ll_column *src = f->cols[cols[k]];
        if (src->null_count > 0 && !na_nan)
            for (int64_t r = 0; r < rows; r++)
                if (ll_col_isna(src, r))
                    return na_error(f, cols[k], r, err);
        ll_column *c = matrix_col(src);
        if (!c)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        int64_t span = c->type == LL_CAT && onehot ? c->dict->len : 1;
        if (col0 + span > width) {
            ll_col_unref(c);
            return ll_err_set(err, LL_EINVAL,
                              "the columns need more than %lld matrix "
                              "columns",
                              (long long)width);
        }
        switch (c->type) {
        case LL_CAT: {
            const int32_t *codes = LL_I32(c);
            for (int64_t r = 0; r < rows; r++) {
                float *row = out + r * width + col0;
                if (na_nan && ll_col_isna(c, r)) {
                    for (int64_t j = 0; j < span; j++)
                        row[j] = NAN;
                } else if (onehot) {
                    memset(row, 0, sizeof *row * (size_t)span);
                    row[codes[r]] = 1.0f;
                } else {
                    row[0] = (float)codes[r];
                }
            }
            break;
        }
        case LL_FLOAT: {
            const double *v = LL_F64(c);
            for (int64_t r = 0; r < rows; r++) {
                if (na_nan && ll_col_isna(c, r)) {
                    out[r * width + col0] = NAN;
                    continue;
                }
                if (isnan(v[r]) && !na_nan) {
                    ll_col_unref(c);
                    return na_error(f, cols[k], r, err);
                }
                out[r * width + col0] = (float)v[r];
            }
            break;
        }
        default:
            for (int64_t r = 0; r < rows; r++)
                out[r * width + col0] = (float)ll_col_num(c, r); /* NA: NaN */
        }
        ll_col_unref(c);
        col0 += span;
    }
    if (col0 != width)
        return ll_err_set(err, LL_EINVAL,
                          "the columns give %lld matrix columns, not %lld",
                          (long long)col0, (long long)width);
    return LL_OK;
}

int ll_frame_to_matrix(const ll_frame *f, const int *cols, int n, int onehot,
                       float *out, int64_t width, ll_err *err)
{
    return to_matrix(f, cols, n, onehot, 0, out, width, err);
}

int ll_frame_to_matrix_nan(const ll_frame *f, const int *cols, int n,
                           float *out, int64_t width, ll_err *err)
{
    return to_matrix(f, cols, n, 0, 1, out, width, err);
}
