/*
 * csv_write: a frame as CSV.  Fields are quoted only when needed (the
 * separator, a quote, a line break, edge spaces, an empty string, or a
 * string that would read back as NA); NA is an empty field.  Floats use
 * the shortest text that reads back to the same double, so reading the
 * file back gives the same values.  The file is written atomically.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "util/fsutil.h"

#include <stdio.h>
#include <string.h>

static int needs_quote(const char *s, size_t n, char sep)
{
    if (n == 0)
        return 1;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
        return 1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == sep || c == '"' || c == '\n' || c == '\r')
            return 1;
    }
    for (int k = 0; ll_csv_default_na[k]; k++)
        if (strlen(ll_csv_default_na[k]) == n &&
            !memcmp(ll_csv_default_na[k], s, n))
            return 1;
    return 0;
}

static int put_field(ll_buf *out, const char *s, size_t n, char sep)
{
    if (!needs_quote(s, n, sep))
        return ll_buf_append(out, s, n);
    if (ll_buf_putc(out, '"'))
        return LL_ENOMEM;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        size_t len = q ? (size_t)(q - p) + 1 : (size_t)(end - p);
        if (ll_buf_append(out, p, len))
            return LL_ENOMEM;
        if (q && ll_buf_putc(out, '"'))
            return LL_ENOMEM;
        p += len;
    }
    return ll_buf_putc(out, '"');
}

int ll_frame_to_csv(const ll_frame *f, char sep, ll_buf *out)
{
    for (int j = 0; j < f->ncol; j++) {
        if ((j && ll_buf_putc(out, sep)) ||
            put_field(out, f->names[j], strlen(f->names[j]), sep))
            return LL_ENOMEM;
    }
    if (ll_buf_putc(out, '\n'))
        return LL_ENOMEM;
    char tmp[64];
    for (int64_t i = 0; i < f->nrow; i++) {
        for (int j = 0; j < f->ncol; j++) {
            const ll_column *c = f->cols[j];
            if (j && ll_buf_putc(out, sep))
                return LL_ENOMEM;
            if (ll_col_isna(c, i))
                continue;
            int rc = LL_OK;
            switch (c->type) {
            case LL_STR:
            case LL_CAT: {
                size_t n;
                const char *s = ll_col_str(c, i, &n);
                rc = put_field(out, s, n, sep);
                break;
            }
            case LL_BOOL:
                rc = ll_buf_puts(out, LL_U8(c)[i] ? "true" : "false");
                break;
            case LL_INT: {
                int n =
                    snprintf(tmp, sizeof tmp, "%lld", (long long)LL_I64(c)[i]);
                rc = ll_buf_append(out, tmp, (size_t)n);
                break;
            }
            case LL_FLOAT: {
                double x = LL_F64(c)[i];
                if (x != x)
                    break; /* NaN is missing */
                int n = ll_format_float(x, tmp, sizeof tmp);
                rc = ll_buf_append(out, tmp, (size_t)n);
                break;
            }
            case LL_DATE:
                ll_format_date(LL_I32(c)[i], tmp, sizeof tmp);
                rc = ll_buf_puts(out, tmp);
                break;
            case LL_DATETIME:
                ll_format_datetime(LL_I64(c)[i], tmp, sizeof tmp);
                rc = ll_buf_puts(out, tmp);
                break;
            }
            if (rc)
                return LL_ENOMEM;
        }
        if (ll_buf_putc(out, '\n'))
            return LL_ENOMEM;
    }
    return LL_OK;
}

int ll_frame_write_csv(const ll_frame *f, const char *path, char sep,
                       ll_err *err)
{
    ll_buf b;
    ll_buf_init(&b);
    if (ll_frame_to_csv(f, sep ? sep : ',', &b)) {
        ll_buf_free(&b);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    int rc = ll_write_file_atomic(path, b.data ? b.data : "", b.len, err);
    ll_buf_free(&b);
    return rc;
}
