/*
 * rows: schemas, text rows typed by a schema under a malformed-record mode,
 * and whole CSV / JSON-lines files read for a stream.
 *
 * A CSV file is read by the frame's CSV reader with the schema's types
 * forced; when that fails on a malformed row and the mode keeps going
 * (permissive, dropmalformed), the file is read again line by line here,
 * so every bad row is named with its file and line.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"
#include "util/fsutil.h"

int ll_stream_mode_parse(const char *s)
{
    if (!strcmp(s, "permissive"))
        return LL_MODE_PERMISSIVE;
    if (!strcmp(s, "dropmalformed"))
        return LL_MODE_DROPMALFORMED;
    if (!strcmp(s, "failfast"))
        return LL_MODE_FAILFAST;
    return -1;
}

/* ---- schema ---- */

void ll_schema_init(ll_schema *s)
{
    memset(s, 0, sizeof *s);
}

void ll_schema_free(ll_schema *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s->types);
    ll_schema_init(s);
}

int ll_schema_add(ll_schema *s, const char *name, int type, ll_err *err)
{
    char **nn = realloc(s->names, sizeof *nn * (size_t)(s->n + 1));
    if (!nn)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    s->names = nn;
    int *nt = realloc(s->types, sizeof *nt * (size_t)(s->n + 1));
    if (!nt)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    s->types = nt;
    if (!(s->names[s->n] = ll_strdup(name)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    s->types[s->n++] = type;
    return LL_OK;
}

int ll_schema_copy(ll_schema *dst, const ll_schema *src, ll_err *err)
{
    ll_schema_init(dst);
    for (int i = 0; i < src->n; i++) {
        int rc = ll_schema_add(dst, src->names[i], src->types[i], err);
        if (rc) {
            ll_schema_free(dst);
            return rc;
        }
    }
    return LL_OK;
}

int ll_schema_of(ll_schema *s, const ll_frame *f, ll_err *err)
{
    ll_schema_init(s);
    for (int i = 0; i < f->ncol; i++) {
        int rc = ll_schema_add(s, f->names[i], f->cols[i]->type, err);
        if (rc) {
            ll_schema_free(s);
            return rc;
        }
    }
    return LL_OK;
}

/* ---- typed rows ---- */

typedef struct rcol {
    int type;
    int64_t *i64; /* int, datetime (and bool, date widened) */
    double *f64;
    ll_strbuilder sb; /* string and category */
    uint8_t *na;      /* one byte per row: 1 = NA */
} rcol;

struct ll_rows {
    ll_schema schema;
    int mode;
    int64_t len, cap, malformed;
    rcol *cols;
    char *scratch;
    size_t scratch_cap;
};

static int is_text(int t)
{
    return t == LL_STR || t == LL_CAT;
}

ll_rows *ll_rows_new(const ll_schema *s, int mode, ll_err *err)
{
    ll_rows *r = calloc(1, sizeof *r);
    if (!r) {
        ll_err_oom(err);
        return NULL;
    }
    if (ll_schema_copy(&r->schema, s, err)) {
        ll_rows_free(r);
        return NULL;
    }
    if (!(r->cols = calloc((size_t)(s->n ? s->n : 1), sizeof *r->cols))) {
        ll_rows_free(r);
        ll_err_oom(err);
        return NULL;
    }
    r->mode = mode;
    for (int i = 0; i < s->n; i++) {
        r->cols[i].type = s->types[i];
        ll_sb_init(&r->cols[i].sb);
    }
    return r;
}

static void rows_clear(ll_rows *r)
{
    for (int i = 0; i < r->schema.n; i++) {
        free(r->cols[i].i64);
        free(r->cols[i].f64);
        free(r->cols[i].na);
        ll_sb_free(&r->cols[i].sb);
        r->cols[i].i64 = NULL;
        r->cols[i].f64 = NULL;
        r->cols[i].na = NULL;
        ll_sb_init(&r->cols[i].sb);
    }
    r->len = r->cap = 0;
}

void ll_rows_free(ll_rows *r)
{
    if (!r)
        return;
    if (r->cols)
        rows_clear(r);
    free(r->cols);
    free(r->scratch);
    ll_schema_free(&r->schema);
    free(r);
}

int64_t ll_rows_malformed(const ll_rows *r)
{
    return r->malformed;
}

static int grow(ll_rows *r)
{
    if (r->len < r->cap)
        return LL_OK;
    int64_t cap = r->cap ? r->cap * 2 : 256;
    for (int i = 0; i < r->schema.n; i++) {
        rcol *c = &r->cols[i];
        uint8_t *na = realloc(c->na, (size_t)cap);
        if (!na)
            return LL_ENOMEM;
        c->na = na;
        if (is_text(c->type))
            continue;
        if (c->type == LL_FLOAT) {
            double *f = realloc(c->f64, sizeof *f * (size_t)cap);
            if (!f)
                return LL_ENOMEM;
            c->f64 = f;
        } else {
            int64_t *v = realloc(c->i64, sizeof *v * (size_t)cap);
            if (!v)
                return LL_ENOMEM;
            c->i64 = v;
        }
    }
    r->cap = cap;
    return LL_OK;
}

/* Parse one value into row r->len of column c; 0 when it does not fit. */
static int put(rcol *c, int64_t row, const char *s, size_t n)
{
    if (!s) {
        c->na[row] = 1;
        return is_text(c->type) ? ll_sb_push_na(&c->sb) == LL_OK : 1;
    }
    c->na[row] = 0;
    switch (c->type) {
    case LL_BOOL: {
        uint8_t b;
        if (!ll_parse_bool(s, n, &b))
            return 0;
        c->i64[row] = b;
        return 1;
    }
    case LL_INT:
        return ll_parse_int(s, n, &c->i64[row]);
    case LL_FLOAT:
        return ll_parse_float(s, n, &c->f64[row]);
    case LL_DATE: {
        int32_t d;
        if (!ll_parse_date(s, n, &d))
            return 0;
        c->i64[row] = d;
        return 1;
    }
    case LL_DATETIME:
        return ll_parse_datetime(s, n, &c->i64[row]);
    default:
        return ll_sb_push(&c->sb, s, n) == LL_OK;
    }
}

/* An empty field or one of the usual NA spellings is NA. */
static int is_na_text(const char *s, size_t n)
{
    return n == 0 || (n == 2 && !memcmp(s, "NA", 2)) ||
           (n == 3 && (!memcmp(s, "N/A", 3) || !memcmp(s, "NaN", 3))) ||
           (n == 4 && !memcmp(s, "null", 4));
}

/* Drop the row being built (columns 0..upto-1 got a value). */
static void unput(ll_rows *r, int upto)
{
    for (int i = 0; i < upto; i++) {
        rcol *c = &r->cols[i];
        if (is_text(c->type) && c->sb.len > r->len) {
            c->sb.len = r->len;
            c->sb.bytes.len = (size_t)c->sb.offs[r->len];
            if (c->sb.valid)
                c->sb.valid[r->len >> 3] |= (uint8_t)(1u << (r->len & 7));
        }
    }
}

static int malformed(ll_rows *r, const char *src, int64_t line, ll_buf *log,
                     ll_err *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int malformed(ll_rows *r, const char *src, int64_t line, ll_buf *log,
                     ll_err *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->malformed++;
    if (r->mode == LL_MODE_FAILFAST)
        return ll_err_set(err, LL_EPARSE, "%s:%lld: %s", src, (long long)line,
                          what);
    if (log && ll_buf_printf(
                   log, "%s:%lld: %s (%s)\n", src, (long long)line, what,
                   r->mode == LL_MODE_PERMISSIVE ? "kept with NA" : "dropped"))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

int ll_rows_add(ll_rows *r, const char *const *vals, const size_t *lens,
                int nvals, const char *src, int64_t line, ll_buf *log,
                ll_err *err)
{
    if (grow(r))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int n = r->schema.n;
    int bad = -1; /* first column that did not parse */
    for (int i = 0; i < n; i++) {
        const char *s = i < nvals ? vals[i] : NULL;
        size_t len = s ? lens[i] : 0;
        if (s && !is_text(r->cols[i].type) && is_na_text(s, len))
            s = NULL;
        if (!put(&r->cols[i], r->len, s, len)) {
            if (bad < 0)
                bad = i;
            if (r->mode != LL_MODE_PERMISSIVE) {
                unput(r, i);
                break;
            }
            if (!put(&r->cols[i], r->len, NULL, 0))
                return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    }
    if (nvals != n) {
        if (bad >= 0 && r->mode != LL_MODE_PERMISSIVE)
            ; /* already unput */
        else if (r->mode != LL_MODE_PERMISSIVE)
            unput(r, n);
        int rc = malformed(r, src, line, log, err,
                           "expected %d fields, found %d", n, nvals);
        if (rc)
            return rc;
        if (r->mode == LL_MODE_PERMISSIVE)
            r->len++;
        return LL_OK;
    }
    if (bad >= 0) {
        const char *s = vals[bad];
        size_t len = lens[bad];
        int rc = malformed(r, src, line, log, err,
                           "column '%s': cannot parse '%.*s' as %s",
                           r->schema.names[bad], (int)(len > 40 ? 40 : len), s,
                           ll_dtype_name((ll_dtype)r->cols[bad].type));
        if (rc)
            return rc;
        if (r->mode == LL_MODE_PERMISSIVE)
            r->len++;
        return LL_OK;
    }
    r->len++;
    return LL_OK;
}

int ll_rows_add_json(ll_rows *r, const char *text, size_t len, const char *src,
                     int64_t line, ll_buf *log, ll_err *err)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        if (grow(r))
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        int rc = malformed(r, src, line, log, err, "not a JSON object");
        if (rc)
            return rc;
        if (r->mode == LL_MODE_PERMISSIVE) {
            for (int i = 0; i < r->schema.n; i++)
                if (!put(&r->cols[i], r->len, NULL, 0))
                    return ll_err_set(err, LL_ENOMEM, "out of memory");
            r->len++;
        }
        return LL_OK;
    }
    int n = r->schema.n;
    const char **vals = calloc((size_t)(n ? n : 1), sizeof *vals);
    size_t *lens = calloc((size_t)(n ? n : 1), sizeof *lens);
    char(*num)[32] = calloc((size_t)(n ? n : 1), sizeof *num);
    int rc = LL_OK;
    if (!vals || !lens || !num) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, r->schema.names[i]);
        if (!v || cJSON_IsNull(v))
            continue;
        if (cJSON_IsString(v)) {
            vals[i] = v->valuestring;
            lens[i] = strlen(v->valuestring);
        } else if (cJSON_IsBool(v)) {
            vals[i] = cJSON_IsTrue(v) ? "true" : "false";
            lens[i] = strlen(vals[i]);
        } else if (cJSON_IsNumber(v)) {
            double d = v->valuedouble;
            if (d == (double)(int64_t)d && d > -9e15 && d < 9e15)
                snprintf(num[i], sizeof num[i], "%lld", (long long)d);
            else
                ll_format_float(d, num[i], sizeof num[i]);
            vals[i] = num[i];
            lens[i] = strlen(num[i]);
        } else {
            vals[i] = "";
            lens[i] = 0;
            vals[i] = cJSON_IsArray(v) ? "[array]" : "{object}";
            lens[i] = strlen(vals[i]);
        }
    }
    rc = ll_rows_add(r, vals, lens, n, src, line, log, err);
done:
    free(vals);
    free(lens);
    free(num);
    cJSON_Delete(o);
    return rc;
}

ll_frame *ll_rows_finish(ll_rows *r, ll_err *err)
{
    ll_frame *f = ll_frame_new(err);
    if (!f)
        return NULL;
    for (int i = 0; i < r->schema.n; i++) {
        rcol *c = &r->cols[i];
        ll_column *col = NULL;
        if (is_text(c->type)) {
            if (c->sb.len == 0 && r->len == 0)
                col = ll_col_new(LL_STR, 0, NULL);
            else
                col = ll_sb_finish(&c->sb, NULL);
            if (col && c->type == LL_CAT) {
                ll_column *cat = ll_col_to_category(col, NULL);
                ll_col_unref(col);
                col = cat;
            }
        } else {
            col = ll_col_new((ll_dtype)c->type, r->len, NULL);
            if (col) {
                for (int64_t k = 0; k < r->len; k++) {
                    if (c->na[k]) {
                        if (ll_col_set_na(col, k)) {
                            ll_col_unref(col);
                            col = NULL;
                            break;
                        }
                        continue;
                    }
                    switch (c->type) {
                    case LL_BOOL:
                        LL_U8(col)[k] = (uint8_t)c->i64[k];
                        break;
                    case LL_FLOAT:
                        LL_F64(col)[k] = c->f64[k];
                        break;
                    case LL_DATE:
                        LL_I32(col)[k] = (int32_t)c->i64[k];
                        break;
                    default:
                        LL_I64(col)[k] = c->i64[k];
                    }
                }
                if (col)
                    ll_col_finish(col);
            }
        }
        if (!col)
            ll_err_oom(err);
        if (!col || ll_frame_set(f, r->schema.names[i], col, err)) {
            ll_col_unref(col);
            ll_frame_free(f);
            rows_clear(r);
            return NULL;
        }
        ll_col_unref(col);
    }
    rows_clear(r);
    return f;
}

/* ---- files ---- */

/* Split one CSV line (no line breaks inside quotes) into fields; quoted
 * fields are unquoted into buf.  Returns the number of fields. */
static int split_csv(char *s, size_t n, char sep, const char ***vals,
                     size_t **lens, int *cap)
{
    int nf = 0;
    size_t i = 0;
    for (;;) {
        if (nf == *cap) {
            int nc = *cap ? *cap * 2 : 16;
            const char **v = realloc(*vals, sizeof *v * (size_t)nc);
            if (!v)
                return -1;
            *vals = v;
            size_t *l = realloc(*lens, sizeof *l * (size_t)nc);
            if (!l)
                return -1;
            *lens = l;
            *cap = nc;
        }
        if (i < n && s[i] == '"') {
            size_t w = i + 1, out = i + 1;
            (*vals)[nf] = s + out;
            while (w < n) {
                if (s[w] == '"') {
                    if (w + 1 < n && s[w + 1] == '"') {
                        s[out++] = '"';
                        w += 2;
                        continue;
                    }
                    w++;
                    break;
                }
                s[out++] = s[w++];
            }
            (*lens)[nf] = out - (i + 1);
            nf++;
            while (w < n && s[w] != sep)
                w++;
            if (w >= n)
                return nf;
            i = w + 1;
            continue;
        }
        size_t j = i;
        while (j < n && s[j] != sep)
            j++;
        (*vals)[nf] = s + i;
        (*lens)[nf] = j - i;
        nf++;
        if (j >= n)
            return nf;
        i = j + 1;
    }
}

/* Line-by-line reading: CSV (header names matched to the schema) or JSON
 * lines. */
static ll_frame *read_lines(const char *path, const char *format,
                            const ll_schema *schema, int mode,
                            int64_t *malformed_out, ll_buf *log, ll_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (ll_read_file(path, &data, &len, err))
        return NULL;
    ll_rows *r = ll_rows_new(schema, mode, err);
    const char **vals = NULL, **row = NULL;
    size_t *lens = NULL, *rlens = NULL;
    int *map = NULL, cap = 0, ncsv = 0;
    ll_frame *f = NULL;
    int json = !strcmp(format, "jsonl") || !strcmp(format, "json");
    if (!r)
        goto fail;
    row = calloc((size_t)schema->n + 1, sizeof *row);
    rlens = calloc((size_t)schema->n + 1, sizeof *rlens);
    if (!row || !rlens)
        goto nomem;
    int64_t line = 0;
    size_t pos = 0;
    int header = !json;
    while (pos < len) {
        char *s = data + pos;
        char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + 1;
        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        if (json) {
            if (ll_rows_add_json(r, s, n, path, line, log, err))
                goto fail;
            continue;
        }
        int nf = split_csv(s, n, ',', &vals, &lens, &cap);
        if (nf < 0)
            goto nomem;
        if (header) {
            header = 0;
            ncsv = nf;
            map = malloc(sizeof *map * (size_t)(schema->n + 1));
            if (!map)
                goto nomem;
            for (int k = 0; k < schema->n; k++) {
                map[k] = -1;
                for (int j = 0; j < nf; j++)
                    if (strlen(schema->names[k]) == lens[j] &&
                        !memcmp(schema->names[k], vals[j], lens[j]))
                        map[k] = j;
                /* an empty header name reads as the CSV reader names it */
                if (map[k] < 0 && nf > 0 && lens[0] == 0 &&
                    !strcmp(schema->names[k], "Unnamed: 0"))
                    map[k] = 0;
                if (map[k] < 0) {
                    ll_err_set(err, LL_EPARSE, "%s: no column '%s'", path,
                               schema->names[k]);
                    goto fail;
                }
            }
            continue;
        }
        int got = nf == ncsv ? schema->n : (nf < ncsv ? nf : ncsv + 1);
        if (nf == ncsv) {
            for (int k = 0; k < schema->n; k++) {
                row[k] = vals[map[k]];
                rlens[k] = lens[map[k]];
            }
            if (ll_rows_add(r, row, rlens, schema->n, path, line, log, err))
                goto fail;
        } else {
            /* a wrong field count: report the file's counts */
            if (grow(r))
                goto nomem;
            int rc = malformed(r, path, line, log, err,
                               "expected %d fields, found %d", ncsv, nf);
            if (rc)
                goto fail;
            if (mode == LL_MODE_PERMISSIVE) {
                for (int k = 0; k < schema->n; k++) {
                    int j = map[k];
                    const char *v = j < nf ? vals[j] : NULL;
                    size_t l = v ? lens[j] : 0;
                    if (v && !is_text(r->cols[k].type) && is_na_text(v, l))
                        v = NULL;
                    if (!put(&r->cols[k], r->len, v, l) &&
                        !put(&r->cols[k], r->len, NULL, 0))
                        goto nomem;
                }
                r->len++;
            }
            (void)got;
        }
    }
    if (malformed_out)
        *malformed_out = r->malformed;
    f = ll_rows_finish(r, err);
    goto done;
nomem:
    ll_err_set(err, LL_ENOMEM, "out of memory");
fail:
    f = NULL;
done:
    ll_rows_free(r);
    free(vals);
    free(lens);
    free(row);
    free(rlens);
    free(map);
    free(data);
    return f;
}

ll_frame *ll_stream_read_file(const char *path, const char *format,
                              const ll_schema *schema, int mode,
                              int64_t *malformed, ll_buf *log, ll_err *err)
{
    if (malformed)
        *malformed = 0;
    if (strcmp(format, "csv") != 0)
        return read_lines(path, format, schema, mode, malformed, log, err);
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    o.sep = ',';
    o.threads = 1;
    o.type_cols = (const char *const *)schema->names;
    o.type_vals = schema->types;
    o.ntypes = schema->n;
    o.usecols = (const char *const *)schema->names;
    o.nusecols = schema->n;
    o.strings_as = 1;
    o.on_bad_lines = 0;
    ll_err e;
    ll_err_clear(&e);
    ll_frame *f = ll_frame_read_csv(path, &o, NULL, &e);
    if (f) {
        /* categories as the schema says; the reader gives strings */
        for (int i = 0; i < schema->n; i++) {
            if (schema->types[i] != LL_CAT || f->cols[i]->type == LL_CAT)
                continue;
            ll_column *c = ll_col_to_category(f->cols[i], err);
            if (!c || ll_frame_set(f, schema->names[i], c, err)) {
                ll_col_unref(c);
                ll_frame_free(f);
                return NULL;
            }
            ll_col_unref(c);
        }
        return f;
    }
    if (e.code != LL_EPARSE) {
        *err = e;
        return NULL;
    }
    /* a malformed row: read line by line, which names every bad row */
    return read_lines(path, format, schema, mode, malformed, log, err);
}

int ll_stream_infer_schema(const char *path, const char *format, ll_schema *out,
                           ll_err *err)
{
    ll_schema_init(out);
    if (!strcmp(format, "csv")) {
        ll_csv_opts o;
        ll_csv_opts_init(&o);
        o.sep = ',';
        o.threads = 1;
        o.strings_as = 1;
        o.on_bad_lines = 2;
        ll_frame *f = ll_frame_read_csv(path, &o, NULL, err);
        if (!f)
            return err ? err->code : LL_EPARSE;
        int rc = ll_schema_of(out, f, err);
        ll_frame_free(f);
        return rc;
    }
    /* JSON lines: the first object's fields */
    char *data = NULL;
    size_t len = 0;
    int rc = ll_read_file(path, &data, &len, err);
    if (rc)
        return rc;
    char *nl = memchr(data, '\n', len);
    char where[4200];
    snprintf(where, sizeof where, "%s:1", path);
    rc = ll_stream_infer_json_schema(data, nl ? (size_t)(nl - data) : len,
                                     where, out, err);
    free(data);
    return rc;
}

int ll_stream_infer_json_schema(const char *text, size_t len, const char *where,
                                ll_schema *out, ll_err *err)
{
    ll_schema_init(out);
    int rc = LL_OK;
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ll_err_set(err, LL_EPARSE,
                          "%s: not a JSON object (cannot infer a schema)",
                          where);
    }
    cJSON *v;
    cJSON_ArrayForEach(v, o)
    {
        int t = LL_STR;
        if (cJSON_IsBool(v))
            t = LL_BOOL;
        else if (cJSON_IsNumber(v))
            t = LL_FLOAT;
        else if (cJSON_IsString(v)) {
            int32_t d;
            int64_t ms;
            const char *s = v->valuestring;
            if (ll_parse_date(s, strlen(s), &d))
                t = LL_DATE;
            else if (ll_parse_datetime(s, strlen(s), &ms))
                t = LL_DATETIME;
        }
        if ((rc = ll_schema_add(out, v->string, t, err)))
            break;
    }
    cJSON_Delete(o);
    if (rc)
        ll_schema_free(out);
    return rc;
}
