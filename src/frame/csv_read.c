/*
 * csv_read: CSV into a frame, on libcsv.
 *
 * The file is mapped, checked for UTF-8 (or converted from latin-1), its
 * header row parsed, a sample spread through the file parsed to infer each
 * column's type, and then one libcsv pass fills typed column builders
 * directly from the field callback.  A value that does not fit its
 * column's type widens the column in place (int -> float, date ->
 * datetime; anything -> string re-renders the values read so far).
 * Strings are dictionary-encoded while reading and kept as a category
 * when they have few distinct values (strings_as = auto).
 * Bad rows (wrong field count) are an error naming the line by default;
 * on_bad_lines warn/skip drop them.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise */
#endif
#include "frame/frame.h"
#include "frame/frame_int.h"
#include "util/signals.h"

#include <csv.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_UNKNOWN (-1)

static const char *const default_na[] = {"", "NA", "N/A", "NaN", "null", NULL};

void ll_csv_opts_init(ll_csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->header = 1;
    o->nrows = -1;
    o->threads = 1;
}

typedef struct colb {
    int type;      /* T_UNKNOWN or ll_dtype */
    int forced;    /* type given by the caller */
    int date_only; /* parse_dates: date or datetime */
    int keep;      /* in usecols */
    int64_t len, cap;
    int64_t hint; /* expected rows */
    void *data;
    uint8_t *valid;
    int64_t nna;
    ll_strhash h; /* LL_CAT */
    /* LL_CAT with a big dictionary: strings waiting for their code, looked
     * up in batches of PEND so that the hash slots of a batch are fetched
     * from memory together instead of one miss after the other */
    char *pbytes;
    size_t pbytes_len, pbytes_cap;
    int pn;
    int64_t prow[32];
    size_t poff[33];
    ll_strbuilder sb; /* LL_STR */
    int have_h;
} colb;

typedef struct reader {
    const char *name;
    const ll_csv_opts *o;
    ll_buf *warn;
    ll_err *err;
    int rc;
    /* NA strings */
    const char *const *na;
    size_t na_maxlen;
    uint8_t na_first[256];
    int na_has_empty;
    /* columns */
    int ncol; /* fields per row */
    int nout; /* columns kept */
    colb *cols;
    char **names;
    int trailing_sep; /* header ended with an empty name */
    /* row state */
    int field;
    int64_t row_len_at_start;
    int64_t line, row_line;
    int prev_cr;
    int cur_field;
    int extra_nonempty;
    int64_t rows;
    int64_t bad_rows;
    int stop;
    int sample;          /* sample mode: infer types only */
    int worker;          /* one of several threads: no progress reports */
    int64_t sample_rows; /* complete rows seen by the sample */
    int has_quotes;      /* only quoted fields can hold line breaks */
    int mapped; /* data is our private file mapping: parsed pages can go */
    int *sample_types;
    int sample_row_ok;
    int *row_types; /* per field in sample mode */
    /* header capture */
    int header_mode;
    char **hdr;
    int nhdr;
    int hdr_done;
} reader;

/* --- type inference --- */

static int value_type(const char *s, size_t n)
{
    int64_t i;
    double d;
    uint8_t b;
    int32_t days;
    int64_t ms;
    if (ll_parse_int(s, n, &i))
        return LL_INT;
    if (ll_parse_float(s, n, &d))
        return LL_FLOAT;
    if (ll_parse_bool(s, n, &b))
        return LL_BOOL;
    if (n >= 10 && s[4] == '-') {
        if (ll_parse_date(s, n, &days))
            return LL_DATE;
        if (ll_parse_datetime(s, n, &ms))
            return LL_DATETIME;
    }
    return LL_STR;
}

static int join_type(int a, int b)
{
    if (a == T_UNKNOWN)
        return b;
    if (b == T_UNKNOWN || a == b)
        return a;
    if ((a == LL_INT && b == LL_FLOAT) || (a == LL_FLOAT && b == LL_INT))
        return LL_FLOAT;
    if ((a == LL_DATE && b == LL_DATETIME) ||
        (a == LL_DATETIME && b == LL_DATE))
        return LL_DATETIME;
    return LL_STR;
}

static int is_na(const reader *r, const char *s, size_t n)
{
    if (n == 0)
        return r->na_has_empty;
    if (n > r->na_maxlen || !r->na_first[(unsigned char)s[0]])
        return 0;
    for (const char *const *p = r->na; *p; p++)
        if (strlen(*p) == n && !memcmp(*p, s, n))
            return 1;
    return 0;
}

/* --- builders --- */

static int cb_reserve(colb *c)
{
    if (c->len < c->cap)
        return LL_OK;
    /* the first allocation takes the row estimate from the sample, so a
     * big file is not built by doubling (which would need twice its size) */
    int64_t cap = c->cap ? c->cap * 2 : (c->hint > 1024 ? c->hint : 1024);
    /* category codes are int32; every other type sits in 8-byte slots */
    size_t es = c->type == LL_CAT ? 4 : 8;
    void *d = realloc(c->data, (size_t)cap * es);
    if (!d)
        return LL_ENOMEM;
    c->data = d;
    if (c->valid) {
        uint8_t *v = realloc(c->valid, (size_t)cap / 8 + 1);
        if (!v)
            return LL_ENOMEM;
        memset(v + c->cap / 8, 0xFF, (size_t)(cap - c->cap) / 8 + 1);
        c->valid = v;
    }
    c->cap = cap;
    return LL_OK;
}

static void set_valid(colb *c, int64_t i, int ok)
{
    if (ok)
        c->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        c->valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static int cb_push_na(colb *c)
{
    if (cb_reserve(c))
        return LL_ENOMEM;
    if (!c->valid) {
        c->valid = malloc((size_t)c->cap / 8 + 1);
        if (!c->valid)
            return LL_ENOMEM;
        memset(c->valid, 0xFF, (size_t)c->cap / 8 + 1);
    }
    set_valid(c, c->len, 0);
    if (c->type == LL_CAT)
        ((int32_t *)c->data)[c->len] = -1;
    else
        ((int64_t *)c->data)[c->len] = 0;
    if (c->type == LL_STR && ll_sb_push(&c->sb, "", 0))
        return LL_ENOMEM;
    c->len++;
    return LL_OK;
}

#define PEND 32
/* dictionaries below this size stay in cache: no batching */
#define PEND_MIN_KEYS 8192

/* Give the pending strings of c their codes. */
static int flush_pending(colb *c)
{
    int pn = c->pn;
    if (!pn)
        return LL_OK;
    uint64_t hv[PEND];
    size_t len[PEND];
    c->poff[pn] = c->pbytes_len;
    for (int i = 0; i < pn; i++) {
        len[i] = c->poff[i + 1] - c->poff[i];
        hv[i] = ll_hash_bytes(c->pbytes + c->poff[i], len[i]);
        ll_strhash_prefetch(&c->h, hv[i]);
    }
    int32_t *codes = c->data;
    for (int i = 0; i < pn; i++) {
        int64_t id =
            ll_strhash_put_hv(&c->h, c->pbytes + c->poff[i], len[i], hv[i]);
        if (id < 0)
            return LL_ENOMEM;
        codes[c->prow[i]] = (int32_t)id;
    }
    c->pn = 0;
    c->pbytes_len = 0;
    return LL_OK;
}

/* Drop pending strings of rows at or after c->len (a rolled back row). */
static void drop_pending(colb *c)
{
    int pn = c->pn;
    while (pn > 0 && c->prow[pn - 1] >= c->len)
        pn--;
    if (pn < c->pn)
        c->pbytes_len = c->poff[pn];
    c->pn = pn;
}

static int put_string(colb *c, const char *s, size_t n)
{
    if (c->type == LL_STR)
        return ll_sb_push(&c->sb, s, n);
    if (c->pn || c->h.count >= PEND_MIN_KEYS) {
        if (c->pbytes_len + n > c->pbytes_cap) {
            size_t cap = (c->pbytes_len + n) * 2 + 256;
            char *b = realloc(c->pbytes, cap);
            if (!b)
                return LL_ENOMEM;
            c->pbytes = b;
            c->pbytes_cap = cap;
        }
        memcpy(c->pbytes + c->pbytes_len, s, n);
        c->prow[c->pn] = c->len;
        c->poff[c->pn++] = c->pbytes_len;
        c->pbytes_len += n;
        return c->pn == PEND ? flush_pending(c) : LL_OK;
    }
    int64_t id = ll_strhash_put(&c->h, s, n);
    if (id < 0)
        return LL_ENOMEM;
    ((int32_t *)c->data)[c->len] = (int32_t)id;
    return LL_OK;
}

/* Re-type the values read so far to type `to`. */
static int widen(reader *r, colb *c, int to)
{
    int from = c->type;
    if (from == T_UNKNOWN) {
        c->type = to;
        if (to == LL_CAT) {
            if (ll_strhash_init(&c->h, 256))
                return LL_ENOMEM;
            c->have_h = 1;
            for (int64_t i = 0; i < c->len; i++)
                ((int32_t *)c->data)[i] = -1;
        } else if (to == LL_STR) {
            for (int64_t i = 0; i < c->len; i++)
                if (ll_sb_push(&c->sb, "", 0))
                    return LL_ENOMEM;
        }
        return LL_OK;
    }
    if (from == LL_INT && to == LL_FLOAT) {
        int64_t *p = c->data;
        double *q = c->data;
        for (int64_t i = 0; i < c->len; i++)
            q[i] = (double)p[i];
        c->type = LL_FLOAT;
        return LL_OK;
    }
    if (from == LL_DATE && to == LL_DATETIME) {
        int64_t *p = c->data; /* values sit in 8-byte slots */
        for (int64_t i = 0; i < c->len; i++)
            p[i] *= 86400000;
        c->type = LL_DATETIME;
        return LL_OK;
    }
    /* to string: render what was read */
    ll_buf b;
    ll_buf_init(&b);
    int target = r->o->strings_as == 1 ? LL_STR : LL_CAT;
    void *old = c->data;
    c->data = malloc((size_t)c->cap * 8);
    if (!c->data) {
        c->data = old;
        return LL_ENOMEM;
    }
    if (target == LL_CAT) {
        if (ll_strhash_init(&c->h, 256)) {
            free(old);
            return LL_ENOMEM;
        }
        c->have_h = 1;
    }
    c->type = target;
    for (int64_t i = 0; i < c->len; i++) {
        int na = c->valid && !((c->valid[i >> 3] >> (i & 7)) & 1);
        int rc;
        if (na) {
            ((int32_t *)c->data)[i] = -1;
            rc = c->type == LL_STR ? ll_sb_push(&c->sb, "", 0) : LL_OK;
        } else {
            ll_buf_reset(&b);
            char t[64];
            int64_t v = ((int64_t *)old)[i];
            switch (from) {
            case LL_INT:
                snprintf(t, sizeof t, "%lld", (long long)v);
                break;
            case LL_FLOAT: {
                double d;
                memcpy(&d, &v, 8);
                ll_format_float(d, t, sizeof t);
                break;
            }
            case LL_BOOL:
                snprintf(t, sizeof t, "%s", v ? "true" : "false");
                break;
            case LL_DATE:
                ll_format_date((int32_t)v, t, sizeof t);
                break;
            default:
                ll_format_datetime(v, t, sizeof t);
            }
            size_t tl = strlen(t);
            int64_t save = c->len;
            c->len = i;
            rc = put_string(c, t, tl);
            c->len = save;
        }
        if (rc) {
            free(old);
            return LL_ENOMEM;
        }
    }
    free(old);
    ll_buf_free(&b);
    return flush_pending(c);
}

static int parse_into(colb *c, int type, const char *s, size_t n)
{
    int64_t *slot = (int64_t *)c->data + c->len;
    switch (type) {
    case LL_INT:
        return ll_parse_int(s, n, slot);
    case LL_FLOAT:
        return ll_parse_float(s, n, (double *)slot);
    case LL_BOOL: {
        uint8_t b;
        if (!ll_parse_bool(s, n, &b))
            return 0;
        *slot = b;
        return 1;
    }
    case LL_DATE: {
        int32_t d;
        if (!ll_parse_date(s, n, &d))
            return 0;
        *slot = d;
        return 1;
    }
    case LL_DATETIME:
        return ll_parse_datetime(s, n, slot);
    default:
        return 0;
    }
}

static int put_value(reader *r, colb *c, const char *s, size_t n)
{
    if (cb_reserve(c))
        return LL_ENOMEM;
    if (c->valid)
        set_valid(c, c->len, 1);
    if (c->type == LL_STR || c->type == LL_CAT) {
        if (put_string(c, s, n))
            return LL_ENOMEM;
        c->len++;
        return LL_OK;
    }
    if (c->type != T_UNKNOWN && parse_into(c, c->type, s, n)) {
        c->len++;
        return LL_OK;
    }
    if (c->type == LL_FLOAT) {
        /* ints into float */
        int64_t iv;
        if (ll_parse_int(s, n, &iv)) {
            ((double *)c->data)[c->len++] = (double)iv;
            return LL_OK;
        }
    }
    int vt = value_type(s, n);
    if (c->forced || c->date_only) {
        int ok_widen = c->date_only && c->type == LL_DATE && vt == LL_DATETIME;
        if (c->date_only && c->type == T_UNKNOWN &&
            (vt == LL_DATE || vt == LL_DATETIME))
            ok_widen = 1;
        if (!ok_widen) {
            return ll_err_set(r->err, LL_EPARSE,
                              "%s:%lld: column '%s': cannot parse '%.*s' as %s",
                              r->name, (long long)r->row_line,
                              r->names[r->cur_field], (int)(n > 40 ? 40 : n), s,
                              c->date_only ? "a date"
                                           : ll_dtype_name((ll_dtype)c->type));
        }
    }
    int to = join_type(c->type, vt);
    if (to == LL_STR)
        to = r->o->strings_as == 1 ? LL_STR : LL_CAT;
    if (c->type == LL_STR || c->type == LL_CAT)
        to = c->type;
    if (widen(r, c, to))
        return LL_ENOMEM;
    return put_value(r, c, s, n);
}

/* --- libcsv callbacks --- */

static void count_lines(reader *r, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        r->line++;
        p++;
    }
}

static void on_field(void *s0, size_t n, void *ud)
{
    reader *r = ud;
    const char *s = s0 ? s0 : "";
    if (r->has_quotes && n && memchr(s, '\n', n))
        count_lines(r, s, n);
    if (r->rc || r->stop)
        return;
    if (r->header_mode) {
        if (r->hdr_done)
            return;
        char **h = realloc(r->hdr, sizeof *h * (size_t)(r->nhdr + 1));
        if (!h) {
            r->rc = LL_ENOMEM;
            return;
        }
        r->hdr = h;
        r->hdr[r->nhdr] = strndup(s, n);
        if (!r->hdr[r->nhdr]) {
            r->rc = LL_ENOMEM;
            return;
        }
        r->nhdr++;
        return;
    }
    int f = r->field++;
    if (f >= r->ncol) {
        if (n)
            r->extra_nonempty = 1;
        return;
    }
    r->cur_field = f;
    if (r->sample) {
        if (!is_na(r, s, n))
            r->row_types[f] = value_type(s, n);
        else
            r->row_types[f] = T_UNKNOWN;
        return;
    }
    colb *c = &r->cols[f];
    if (!c->keep)
        return;
    /* CSV_EMPTY_IS_NULL: an unquoted empty field arrives as NULL, a quoted
     * one ("") as an empty string, which is a value, not NA */
    int na = s0 ? (n > 0 && n <= r->na_maxlen &&
                   r->na_first[(unsigned char)s[0]] && is_na(r, s, n))
                : 1;
    if (!na && c->len < c->cap && (c->type == LL_INT || c->type == LL_FLOAT)) {
        /* the common case inline: a number into a numeric column with
         * room (put_value tries the same parse first) */
        int64_t *slot = (int64_t *)c->data + c->len;
        if (c->type == LL_INT ? ll_parse_int(s, n, slot)
                              : ll_parse_float(s, n, (double *)slot)) {
            if (c->valid)
                set_valid(c, c->len, 1);
            c->len++;
            return;
        }
    }
    int rc = na ? cb_push_na(c) : put_value(r, c, s, n);
    if (rc) {
        r->rc = rc;
        if (rc == LL_ENOMEM)
            ll_err_set(r->err, rc, "out of memory");
    }
}

static void rollback_row(reader *r)
{
    for (int i = 0; i < r->ncol; i++) {
        colb *c = &r->cols[i];
        if (!c->keep || c->len == r->row_len_at_start)
            continue;
        c->len = r->row_len_at_start;
        drop_pending(c);
        if (c->type == LL_STR) {
            c->sb.len = c->len;
            c->sb.bytes.len = (size_t)c->sb.offs[c->len];
        }
    }
}

static void on_row(int term, void *ud)
{
    reader *r = ud;
    int nf = r->field;
    int crlf_tail = term == '\n' && r->prev_cr && nf == 0;
    r->prev_cr = term == '\r';
    int64_t this_line = r->row_line;
    if (term == '\n' || term == '\r')
        r->line++;
    if (crlf_tail)
        r->line--; /* the \r already counted this line */
    r->row_line = r->line;
    r->field = 0;
    int extra_nonempty = r->extra_nonempty;
    r->extra_nonempty = 0;
    if (r->rc || r->stop)
        return;
    if (r->header_mode) {
        if (r->nhdr > 0)
            r->hdr_done = 1;
        return;
    }
    if (nf == 0) {
        if (crlf_tail || term == -1)
            return;
        if (r->ncol == 1 && !r->sample) {
            /* a blank line in a one-column file is a missing value */
            if (r->cols[0].keep && cb_push_na(&r->cols[0]))
                r->rc = LL_ENOMEM;
            r->rows++;
            r->row_len_at_start = r->rows;
        }
        return;
    }
    int expect = r->ncol;
    /* a trailing separator gives one more, empty, field */
    int ok = nf == expect || (nf == expect + 1 && !extra_nonempty);
    if (r->sample) {
        r->sample_rows += ok;
        if (ok)
            for (int i = 0; i < r->ncol; i++)
                r->sample_types[i] =
                    join_type(r->sample_types[i], r->row_types[i]);
        return;
    }
    if (!ok) {
        rollback_row(r);
        r->bad_rows++;
        if (r->o->on_bad_lines == 0) {
            r->rc = ll_err_set(r->err, LL_EPARSE,
                               "%s:%lld: expected %d fields, found %d", r->name,
                               (long long)this_line, expect, nf);
            return;
        }
        if (r->o->on_bad_lines == 1 && r->warn)
            ll_buf_printf(r->warn,
                          "%s:%lld: expected %d fields, found %d (skipped)\n",
                          r->name, (long long)this_line, expect, nf);
        return;
    }
    r->rows++;
    r->row_len_at_start = r->rows;
    if (r->o->nrows >= 0 && r->rows >= r->o->nrows)
        r->stop = 1;
}

/* --- helpers --- */

static int detect_sep(const char *d, size_t n)
{
    static const char cands[] = {',', ';', '\t', '|'};
    int best = ',';
    double best_score = 0;
    for (int k = 0; k < 4; k++) {
        char sep = cands[k];
        int counts[10], nl = 0, cnt = 0, inq = 0;
        size_t i;
        for (i = 0; i < n && i < 65536 && nl < 10; i++) {
            char c = d[i];
            if (c == '"')
                inq = !inq;
            else if (!inq && c == sep)
                cnt++;
            else if (!inq && c == '\n') {
                counts[nl++] = cnt;
                cnt = 0;
            }
        }
        if (nl < 10 && cnt > 0)
            counts[nl++] = cnt;
        if (nl == 0 || counts[0] == 0)
            continue;
        int same = 0;
        for (int l = 0; l < nl; l++)
            same += counts[l] == counts[0];
        double score = (double)counts[0] * same / nl;
        if (score > best_score) {
            best_score = score;
            best = sep;
        }
    }
    return best;
}

static int64_t line_of(const char *d, size_t pos)
{
    int64_t line = 1;
    const char *p = d, *end = d + pos;
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        line++;
        p++;
    }
    return line;
}

static size_t utf8_bad_at(const char *s, size_t n)
{
    /* fast skip over ASCII, then check sequences */
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = (c & 0xE0) == 0xC0   ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (k == 0 || i + k > n || !ll_utf8_valid(s + i, k))
            return i;
        i += k;
    }
    return (size_t)-1;
}

static char *latin1_to_utf8(const char *s, size_t n, size_t *out_len)
{
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += (unsigned char)s[i] >= 0x80;
    char *o = malloc(n + extra + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            o[k++] = (char)c;
        } else {
            o[k++] = (char)(0xC0 | (c >> 6));
            o[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    o[k] = 0;
    *out_len = k;
    return o;
}

static void free_reader(reader *r)
{
    if (r->cols) {
        for (int i = 0; i < r->ncol; i++) {
            free(r->cols[i].data);
            free(r->cols[i].valid);
            free(r->cols[i].pbytes);
            if (r->cols[i].have_h)
                ll_strhash_free(&r->cols[i].h);
            ll_sb_free(&r->cols[i].sb);
        }
    }
    free(r->cols);
    if (r->names)
        for (int i = 0; i < r->ncol; i++)
            free(r->names[i]);
    free(r->names);
    for (int i = 0; i < r->nhdr; i++)
        free(r->hdr[i]);
    free(r->hdr);
    free(r->sample_types);
    free(r->row_types);
}

static int run_csv(reader *r, const char *d, size_t n, int last,
                   struct csv_parser *p, size_t base, const char *all)
{
    size_t chunk = 1 << 20;
    for (size_t off = 0; off < n && !r->rc && !r->stop; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        size_t got = csv_parse(p, d + off, len, on_field, on_row, r);
        if (got != len && !r->rc) {
            return ll_err_set(
                r->err, LL_EPARSE, "%s:%lld: malformed quoting (strict mode)",
                r->name, (long long)line_of(all, base + off + got));
        }
        if (ll_interrupted())
            return ll_err_set(r->err, LL_EINTR, "%s: interrupted", r->name);
        /* (not from worker threads: dropping pages of a mapping shared by
         * running threads costs TLB shootdowns that serialize them) */
        if (r->mapped && !r->sample && !r->worker) {
            /* drop the parsed pages of the mapping: a loaded frame should
             * not also hold the whole file in memory */
            uintptr_t lo = ((uintptr_t)(d + off) + 4095) & ~(uintptr_t)4095;
            uintptr_t hi = (uintptr_t)(d + off + len) & ~(uintptr_t)4095;
            if (hi > lo + 4096)
                madvise((void *)lo, hi - lo, MADV_DONTNEED);
        }
        if (!r->sample && !r->worker && n > 64 * chunk) {
            ll_progress p2 = {"reading CSV",
                              (double)(off + len),
                              (double)n,
                              "byte",
                              NULL,
                              0,
                              0};
            ll_progress_report(&p2);
        }
    }
    if (r->rc)
        return r->rc;
    if (last && !r->stop) {
        if (p->pstate == 2 && p->quoted)
            return ll_err_set(r->err, LL_EPARSE,
                              "%s:%lld: unterminated quoted field", r->name,
                              (long long)r->line);
        csv_fini(p, on_field, on_row, r);
    }
    for (int i = 0; r->cols && i < r->ncol && !r->rc && !r->sample; i++)
        if (flush_pending(&r->cols[i]))
            r->rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
    return r->rc;
}

static int init_parser(reader *r, struct csv_parser *p, char sep)
{
    unsigned char opts = CSV_APPEND_NULL | CSV_REPALL_NL | CSV_EMPTY_IS_NULL;
    if (r->o->strict)
        opts |= CSV_STRICT;
    if (csv_init(p, opts))
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    csv_set_delim(p, (unsigned char)sep);
    return LL_OK;
}

static int find_name(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

static ll_column *finish_col(reader *r, colb *c, int64_t nrows)
{
    ll_column *col = NULL;
    (void)r;
    if (c->type == T_UNKNOWN)
        c->type = c->date_only ? LL_DATE : LL_FLOAT;
    if (c->type == LL_STR) {
        col = ll_sb_finish(&c->sb);
    } else if (c->type == LL_CAT) {
        int auto_str = r->o->strings_as == 0 && c->h.count * 2 > nrows &&
                       c->h.count > 16 && !c->forced;
        col = ll_col_new(LL_CAT, 0);
        if (!col)
            return NULL;
        free(col->data);
        col->data = c->data;
        c->data = NULL;
        col->len = nrows;
        void *shrunk = realloc(col->data, (size_t)(nrows ? nrows : 1) * 4);
        if (shrunk)
            col->data = shrunk;
        if (ll_strhash_sorted_dict(&c->h, &col->dict, LL_I32(col), nrows)) {
            ll_col_unref(col);
            return NULL;
        }
        if (auto_str) {
            ll_column *s = ll_col_cast(col, LL_STR, NULL);
            ll_col_unref(col);
            col = s;
            if (!col)
                return NULL;
        }
    } else {
        col = ll_col_new((ll_dtype)c->type, 0);
        if (!col)
            return NULL;
        free(col->data);
        col->len = nrows;
        if (c->type == LL_BOOL || c->type == LL_DATE) {
            /* values were stored 8 bytes apart; pack them */
            size_t es = ll_dtype_size((ll_dtype)c->type);
            void *d = malloc((size_t)(nrows ? nrows : 1) * es);
            if (!d) {
                col->data = NULL;
                ll_col_unref(col);
                return NULL;
            }
            for (int64_t i = 0; i < nrows; i++) {
                int64_t v = ((int64_t *)c->data)[i];
                if (es == 1)
                    ((uint8_t *)d)[i] = (uint8_t)v;
                else
                    ((int32_t *)d)[i] = (int32_t)v;
            }
            col->data = d;
        } else {
            void *d = realloc(c->data, (size_t)(nrows ? nrows : 1) * 8);
            col->data = d ? d : c->data;
            c->data = NULL;
        }
    }
    if (!col)
        return NULL;
    if (c->valid && !col->base) {
        if (col->type == LL_STR && col->valid)
            free(col->valid);
        col->valid = c->valid;
        col->voff = 0;
        c->valid = NULL;
        ll_col_finish(col);
    }
    return col;
}

/* --- several threads: chunks split at row boundaries, merged after --- */

typedef struct chunk {
    reader r;
    ll_err err;
    ll_buf warn;
    const char *data;
    size_t len, base;
    const char *all;
    char sep;
    int rc;
} chunk;

static void *chunk_main(void *arg)
{
    chunk *c = arg;
    /* lines are counted from 1 at the chunk's start; read_threads adds the
     * chunk's first line number to the messages afterwards */
    if (!c->r.o->latin1) {
        size_t bad = utf8_bad_at(c->data, c->len);
        if (bad != (size_t)-1) {
            c->rc = ll_err_set(&c->err, LL_EPARSE,
                               "%s:%lld: invalid UTF-8 (use "
                               "encoding=\"latin1\" for latin-1 files)",
                               c->r.name, (long long)line_of(c->data, bad));
            return NULL;
        }
    }
    struct csv_parser p;
    c->rc = init_parser(&c->r, &p, c->sep);
    if (!c->rc)
        c->rc = run_csv(&c->r, c->data, c->len, 1, &p, 0, c->data);
    csv_free(&p);
    return NULL;
}

/* Row boundaries: the first line start at or after each target where the
 * quotes seen so far are balanced. */
static int split_points(const char *d, size_t start, size_t len, int nt,
                        size_t *cuts)
{
    size_t pos = start, quotes = 0;
    cuts[0] = start;
    int k;
    for (k = 1; k < nt; k++) {
        size_t target = start + (len - start) / (size_t)nt * (size_t)k;
        if (target < pos)
            target = pos;
        for (;;) {
            const char *nl = memchr(d + target, '\n', len - target);
            if (!nl)
                return k;
            size_t at = (size_t)(nl - d) + 1;
            for (const char *q = d + pos;
                 (q = memchr(q, '"', at - (size_t)(q - d))); q++)
                quotes++;
            pos = at;
            if (quotes % 2 == 0) {
                cuts[k] = at;
                break;
            }
            target = at;
        }
    }
    return k;
}

/* Append the rows of part to dst (same column, types already joined). */
static int merge_col(reader *r, colb *dst, colb *part)
{
    int64_t n = part->len;
    if (dst->cap < dst->len + n + 1) {
        /* grow to exactly what is needed: the caller passes the total */
        int64_t cap = dst->len + n + 1;
        void *d = realloc(dst->data, (size_t)cap * 8);
        if (!d)
            return LL_ENOMEM;
        dst->data = d;
        if (dst->valid) {
            uint8_t *v = realloc(dst->valid, (size_t)cap / 8 + 1);
            if (!v)
                return LL_ENOMEM;
            memset(v + dst->cap / 8, 0xFF,
                   (size_t)(cap / 8 - dst->cap / 8) + 1);
            dst->valid = v;
        }
        dst->cap = cap;
    }
    if (part->valid && !dst->valid) {
        dst->valid = malloc((size_t)dst->cap / 8 + 1);
        if (!dst->valid)
            return LL_ENOMEM;
        memset(dst->valid, 0xFF, (size_t)dst->cap / 8 + 1);
    }
    if (dst->valid)
        for (int64_t i = 0; i < n; i++)
            set_valid(dst, dst->len + i,
                      !part->valid || ((part->valid[i >> 3] >> (i & 7)) & 1));
    if (dst->type == LL_CAT) {
        int32_t *map = malloc(sizeof(int32_t) * (size_t)(part->h.count + 1));
        if (!map)
            return LL_ENOMEM;
        const ll_strbuilder *sb = &part->h.strs;
        for (int64_t id = 0; id < part->h.count; id++) {
            int64_t g =
                ll_strhash_put(&dst->h, sb->bytes.data + sb->offs[id],
                               (size_t)(sb->offs[id + 1] - sb->offs[id]));
            if (g < 0) {
                free(map);
                return LL_ENOMEM;
            }
            map[id] = (int32_t)g;
        }
        const int32_t *src = part->data;
        int32_t *out = (int32_t *)dst->data + dst->len;
        for (int64_t i = 0; i < n; i++)
            out[i] = src[i] < 0 ? -1 : map[src[i]];
        free(map);
    } else if (dst->type == LL_STR) {
        for (int64_t i = 0; i < n; i++)
            if (ll_sb_push(&dst->sb, part->sb.bytes.data + part->sb.offs[i],
                           (size_t)(part->sb.offs[i + 1] - part->sb.offs[i])))
                return LL_ENOMEM;
    } else if (n) {
        memcpy((int64_t *)dst->data + dst->len, part->data, (size_t)n * 8);
    }
    (void)r;
    dst->len += n;
    return LL_OK;
}

static void free_cols(colb *cols, int n)
{
    for (int i = 0; cols && i < n; i++) {
        free(cols[i].data);
        free(cols[i].valid);
        free(cols[i].pbytes);
        if (cols[i].have_h)
            ll_strhash_free(&cols[i].h);
        ll_sb_free(&cols[i].sb);
    }
    free(cols);
}

/* Messages from a chunk say "name:LINE:" with LINE counted in the chunk;
 * add the chunk's first line (minus one) to each line of text. */
static void fix_lines(char *text, size_t cap, const char *name, int64_t add)
{
    size_t nl = strlen(name);
    ll_buf out;
    ll_buf_init(&out);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
        char *end;
        long long line;
        if (!strncmp(p, name, nl) && p[nl] == ':' &&
            (line = strtoll(p + nl + 1, &end, 10)) > 0 && *end == ':') {
            ll_buf_printf(&out, "%s:%lld", name, line + (long long)add);
            ll_buf_append(&out, end, len - (size_t)(end - p));
        } else {
            ll_buf_append(&out, p, len);
        }
        p += len;
    }
    snprintf(text, cap, "%s", ll_buf_str(&out));
    ll_buf_free(&out);
}

/* Parse [dstart, len) with nt threads into r->cols; returns status. */
static int read_threads(reader *r, const char *data, size_t dstart, size_t len,
                        int64_t data_line, int prev_cr, char sep, int nt)
{
    size_t cuts[65];
    if (nt > 64)
        nt = 64;
    nt = split_points(data, dstart, len, nt, cuts);
    cuts[nt] = len;
    chunk *ch = calloc((size_t)nt, sizeof *ch);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    int rc = LL_OK;
    if (!ch || !th) {
        free(ch);
        free(th);
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    }
    for (int k = 0; k < nt && !rc; k++) {
        chunk *c = &ch[k];
        c->r = *r;
        c->r.err = &c->err;
        ll_err_clear(&c->err);
        ll_buf_init(&c->warn);
        c->r.warn = r->warn ? &c->warn : NULL;
        c->r.worker = 1;
        c->r.field = 0;
        c->r.extra_nonempty = 0;
        c->r.rows = c->r.row_len_at_start = c->r.bad_rows = 0;
        c->r.stop = 0;
        c->r.rc = 0;
        c->r.line = c->r.row_line = 1;
        c->r.prev_cr = k == 0 ? prev_cr : 0;
        c->r.cols = calloc((size_t)r->ncol + 1, sizeof *c->r.cols);
        if (!c->r.cols) {
            rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < r->ncol; i++) {
            colb *src = &r->cols[i], *dst = &c->r.cols[i];
            dst->type = src->type;
            dst->forced = src->forced;
            dst->date_only = src->date_only;
            dst->keep = src->keep;
            dst->hint = src->hint / nt + 16;
            ll_sb_init(&dst->sb);
            if (src->type == LL_CAT) {
                if (ll_strhash_init(&dst->h, 256)) {
                    rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
                    break;
                }
                dst->have_h = 1;
            }
        }
        c->data = data + cuts[k];
        c->len = cuts[k + 1] - cuts[k];
        c->base = cuts[k];
        c->all = data;
        c->sep = sep;
    }
    int started = 0;
    for (int k = 0; k < nt && !rc; k++) {
        if (pthread_create(&th[k], NULL, chunk_main, &ch[k])) {
            rc = ll_err_set(r->err, LL_EIO, "cannot start a thread");
            break;
        }
        started++;
    }
    for (int k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    /* the first failing chunk names the error; warnings in file order;
     * each chunk's lines follow the lines of the chunks before it */
    int64_t first_line = data_line;
    for (int k = 0; k < nt && !rc; k++) {
        if (r->warn && ch[k].warn.len) {
            char *w = ll_buf_take(&ch[k].warn);
            size_t cap = strlen(w) * 2 + 64;
            char *big = w ? realloc(w, cap) : NULL;
            if (big) {
                fix_lines(big, cap, r->name, first_line - 1);
                ll_buf_puts(r->warn, big);
            }
            free(big ? big : w);
        }
        if (ch[k].rc) {
            *r->err = ch[k].err;
            fix_lines(r->err->msg, sizeof r->err->msg, r->name, first_line - 1);
            rc = ch[k].rc;
        }
        first_line += ch[k].r.line - 1;
    }
    /* join each column's types over the chunks, widen, append */
    for (int i = 0; i < r->ncol && !rc; i++) {
        colb *dst = &r->cols[i];
        if (!dst->keep)
            continue;
        int t = dst->type;
        for (int k = 0; k < nt; k++)
            t = join_type(t, ch[k].r.cols[i].type);
        if (t == LL_STR && r->o->strings_as != 1 && dst->type != LL_STR)
            t = LL_CAT;
        for (int k = 0; k < nt && !rc; k++) {
            colb *part = &ch[k].r.cols[i];
            if (part->type != t && widen(&ch[k].r, part, t))
                rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
        }
        if (!rc && dst->type != t && widen(r, dst, t))
            rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
        int k0 = 0;
        if (!rc && dst->len == 0 && nt > 0) {
            /* the first chunk's buffers become the column's: only the
             * other chunks are copied */
            colb *part = &ch[0].r.cols[i];
            free(dst->data);
            free(dst->valid);
            if (dst->have_h)
                ll_strhash_free(&dst->h);
            ll_sb_free(&dst->sb);
            dst->data = part->data;
            dst->valid = part->valid;
            dst->len = part->len;
            dst->cap = part->cap;
            dst->h = part->h;
            dst->have_h = part->have_h;
            dst->sb = part->sb;
            dst->type = part->type;
            part->data = NULL;
            part->valid = NULL;
            part->have_h = 0;
            memset(&part->h, 0, sizeof part->h);
            ll_sb_init(&part->sb);
            part->len = part->cap = 0;
            k0 = 1;
        }
        int64_t total = dst->len;
        for (int k = k0; k < nt; k++)
            total += ch[k].r.cols[i].len;
        if (!rc && dst->cap < total + 1) {
            /* one exact allocation, then each part is freed once copied */
            void *d = realloc(dst->data, (size_t)(total + 1) * 8);
            if (!d)
                rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
            else {
                dst->data = d;
                if (dst->valid) {
                    uint8_t *v =
                        realloc(dst->valid, (size_t)(total + 1) / 8 + 1);
                    if (!v)
                        rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
                    else {
                        memset(v + dst->cap / 8, 0xFF,
                               (size_t)((total + 1) / 8 - dst->cap / 8) + 1);
                        dst->valid = v;
                    }
                }
                dst->cap = total + 1;
            }
        }
        for (int k = k0; k < nt && !rc; k++) {
            colb *part = &ch[k].r.cols[i];
            if (merge_col(r, dst, part))
                rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
            free(part->data);
            free(part->valid);
            part->data = NULL;
            part->valid = NULL;
            if (part->have_h)
                ll_strhash_free(&part->h);
            part->have_h = 0;
            ll_sb_free(&part->sb);
        }
    }
    if (!rc) {
        r->rows = 0;
        for (int k = 0; k < nt; k++)
            r->rows += ch[k].r.rows;
        r->bad_rows = 0;
    }
    for (int k = 0; k < nt; k++) {
        free_cols(ch[k].r.cols, r->ncol);
        ll_buf_free(&ch[k].warn);
    }
    free(ch);
    free(th);
    return rc;
}

static ll_frame *read_csv(const char *data, size_t len, const char *name,
                          const ll_csv_opts *o, ll_buf *warn, ll_err *err,
                          int mapped)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.mapped = mapped && !o->latin1;
    r.name = name;
    r.o = o;
    r.warn = warn;
    r.err = err;
    r.na = o->na ? o->na : default_na;
    for (const char *const *p = r.na; *p; p++) {
        size_t l = strlen(*p);
        if (l == 0)
            r.na_has_empty = 1;
        else
            r.na_first[(unsigned char)(*p)[0]] = 1;
        if (l > r.na_maxlen)
            r.na_maxlen = l;
    }
    char *converted = NULL;
    ll_frame *f = NULL;
    struct csv_parser p;
    int parser_live = 0;

    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    if (o->latin1) {
        converted = latin1_to_utf8(data, len, &len);
        if (!converted) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        data = converted;
    } else {
        size_t bad = utf8_bad_at(data, len);
        if (bad != (size_t)-1) {
            ll_err_set(err, LL_EPARSE,
                       "%s:%lld: invalid UTF-8 (use encoding=\"latin1\" for "
                       "latin-1 files)",
                       name, (long long)line_of(data, bad));
            goto done;
        }
    }
    r.has_quotes = memchr(data, '"', len) != NULL;
    /* skip lines */
    size_t pos = 0;
    int64_t line0 = 1;
    for (int64_t k = 0; k < o->skip && pos < len; k++) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        pos = nl ? (size_t)(nl - data) + 1 : len;
        line0++;
    }
    char sep = o->sep ? o->sep : (char)detect_sep(data + pos, len - pos);

    /* header row, one byte at a time so we know where it ends */
    if (init_parser(&r, &p, sep))
        goto done;
    parser_live = 1;
    r.header_mode = 1;
    r.line = line0;
    size_t hend = pos;
    while (hend < len && !r.hdr_done && !r.rc) {
        if (csv_parse(&p, data + hend, 1, on_field, on_row, &r) != 1) {
            ll_err_set(err, LL_EPARSE, "%s:%lld: %s", name,
                       (long long)line_of(data, hend),
                       csv_strerror(csv_error(&p)));
            goto done;
        }
        hend++;
    }
    if (!r.hdr_done && !r.rc) {
        if (p.pstate == 2 && p.quoted) {
            ll_err_set(err, LL_EPARSE, "%s:%lld: unterminated quoted field",
                       name, (long long)r.line);
            goto done;
        }
        csv_fini(&p, on_field, on_row, &r);
    }
    csv_free(&p);
    parser_live = 0;
    if (r.rc)
        goto done;
    if (r.nhdr == 0) {
        ll_err_set(err, LL_EPARSE, "%s: no columns to parse (empty file)",
                   name);
        goto done;
    }
    r.header_mode = 0;
    int prev_cr_after_header = hend > 0 && data[hend - 1] == '\r';
    int64_t data_line = r.line;
    r.ncol = r.nhdr;
    if (o->header && r.ncol > 1 && r.hdr[r.ncol - 1][0] == 0) {
        r.trailing_sep = 1;
        r.ncol--;
    }
    r.names = calloc((size_t)r.ncol + 1, sizeof *r.names);
    r.cols = calloc((size_t)r.ncol + 1, sizeof *r.cols);
    r.sample_types = malloc(sizeof(int) * ((size_t)r.ncol + 1));
    r.row_types = malloc(sizeof(int) * ((size_t)r.ncol + 1));
    if (!r.names || !r.cols || !r.sample_types || !r.row_types) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < r.ncol; i++) {
        char nm[64];
        const char *base = r.hdr[i];
        if (!o->header) {
            snprintf(nm, sizeof nm, "V%d", i + 1);
            base = nm;
        } else if (!base[0]) {
            snprintf(nm, sizeof nm, "Unnamed: %d", i);
            base = nm;
            if (warn)
                ll_buf_printf(warn, "%s: column %d has no name; named '%s'\n",
                              name, i + 1, nm);
        }
        char *cand = strdup(base);
        for (int k = 1; cand && find_name(r.names, i, cand) >= 0; k++) {
            free(cand);
            size_t l = strlen(base) + 24;
            cand = malloc(l);
            if (cand)
                snprintf(cand, l, "%s_%d", base, k);
        }
        if (!cand) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        if (strcmp(cand, base) && warn)
            ll_buf_printf(warn,
                          "%s: duplicate column name '%s' renamed to '%s'\n",
                          name, base, cand);
        r.names[i] = cand;
        r.cols[i].type = T_UNKNOWN;
        r.cols[i].keep = 1;
        ll_sb_init(&r.cols[i].sb);
        r.sample_types[i] = T_UNKNOWN;
    }
    /* usecols, types, parse_dates */
    if (o->nusecols > 0) {
        for (int i = 0; i < r.ncol; i++)
            r.cols[i].keep = 0;
        for (int k = 0; k < o->nusecols; k++) {
            int i = find_name(r.names, r.ncol, o->usecols[k]);
            if (i < 0) {
                ll_frame tmpf = {r.ncol, r.ncol, 0, NULL, r.names};
                ll_frame_col(&tmpf, o->usecols[k], err);
                ll_err_prefix(err, "%s: usecols", name);
                goto done;
            }
            r.cols[i].keep = 1;
        }
    }
    for (int k = 0; k < o->ntypes; k++) {
        int i = find_name(r.names, r.ncol, o->type_cols[k]);
        if (i < 0) {
            ll_frame tmpf = {r.ncol, r.ncol, 0, NULL, r.names};
            ll_frame_col(&tmpf, o->type_cols[k], err);
            ll_err_prefix(err, "%s: types", name);
            goto done;
        }
        r.cols[i].forced = 1;
        r.cols[i].type = o->type_vals[k];
        if (r.cols[i].type == LL_CAT) {
            if (ll_strhash_init(&r.cols[i].h, 256)) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
            r.cols[i].have_h = 1;
        }
    }
    for (int k = 0; k < o->nparse_dates; k++) {
        int i = find_name(r.names, r.ncol, o->parse_dates[k]);
        if (i < 0) {
            ll_frame tmpf = {r.ncol, r.ncol, 0, NULL, r.names};
            ll_frame_col(&tmpf, o->parse_dates[k], err);
            ll_err_prefix(err, "%s: parse_dates", name);
            goto done;
        }
        r.cols[i].date_only = 1;
    }
    size_t dstart = o->header ? hend : pos;
    if (!o->header)
        data_line = line0;

    /* sample for type inference: the start and slices spread through */
    {
        size_t dlen = len - dstart;
        size_t starts[11], lens[11];
        int ns = 0;
        if (dlen <= (4u << 20)) {
            starts[0] = dstart;
            lens[0] = dlen;
            ns = 1;
        } else {
            starts[0] = dstart;
            lens[0] = 1u << 18;
            ns = 1;
            for (int k = 1; k <= 10; k++) {
                size_t at = dstart + dlen / 11 * (size_t)k;
                const char *nl = memchr(data + at, '\n', len - at);
                if (!nl)
                    continue;
                at = (size_t)(nl - data) + 1;
                starts[ns] = at;
                lens[ns] = len - at < (1u << 15) ? len - at : (1u << 15);
                ns++;
            }
        }
        r.sample = 1;
        for (int k = 0; k < ns; k++) {
            struct csv_parser sp;
            if (init_parser(&r, &sp, sep))
                goto done;
            r.field = 0;
            r.prev_cr = 0;
            r.line = 1;
            size_t at = 0;
            while (at < lens[k]) {
                size_t step = lens[k] - at < 65536 ? lens[k] - at : 65536;
                size_t got = csv_parse(&sp, data + starts[k] + at, step,
                                       on_field, on_row, &r);
                if (got != step)
                    break; /* the main pass reports it */
                at += step;
            }
            if (k == 0 && ns == 1 && !(sp.pstate == 2 && sp.quoted))
                csv_fini(&sp, on_field, on_row, &r);
            csv_free(&sp);
        }
        r.sample = 0;
        /* rows expected in the whole file, from the sample's row length */
        size_t sampled = 0;
        for (int k = 0; k < ns; k++)
            sampled += lens[k];
        int64_t hint = 0;
        if (r.sample_rows > 0 && sampled > 0) {
            double per_row = (double)sampled / (double)r.sample_rows;
            hint = (int64_t)((double)dlen / per_row * 1.02) + 16;
            if (o->nrows >= 0 && hint > o->nrows + 1)
                hint = o->nrows + 1;
        }
        for (int i = 0; i < r.ncol; i++)
            r.cols[i].hint = hint;
        for (int i = 0; i < r.ncol; i++) {
            colb *c = &r.cols[i];
            if (c->forced || !c->keep)
                continue;
            int t = r.sample_types[i];
            if (c->date_only && t != LL_DATE && t != LL_DATETIME)
                t = T_UNKNOWN;
            if (t == LL_STR)
                t = o->strings_as == 1 ? LL_STR : LL_CAT;
            if (t != T_UNKNOWN && widen(&r, c, t)) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
        }
    }

    /* the main pass */
    if (o->threads > 1 && o->nrows < 0 && len - dstart > (1u << 20)) {
        if (read_threads(&r, data, dstart, len, data_line,
                         o->header ? prev_cr_after_header : 0, sep, o->threads))
            goto done;
        goto build;
    }
    if (init_parser(&r, &p, sep))
        goto done;
    parser_live = 1;
    r.field = 0;
    r.line = r.row_line = data_line;
    r.prev_cr = o->header ? prev_cr_after_header : 0;
    if (run_csv(&r, data + dstart, len - dstart, 1, &p, dstart, data))
        goto done;
build:
    f = ll_frame_new();
    if (!f) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < r.ncol; i++) {
        colb *c = &r.cols[i];
        if (!c->keep)
            continue;
        while (c->len < r.rows)
            if (cb_push_na(c)) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto fail;
            }
        ll_column *col = finish_col(&r, c, r.rows);
        if (!col) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto fail;
        }
        int rc = ll_frame_set(f, r.names[i], col, err);
        ll_col_unref(col);
        if (rc)
            goto fail;
    }
    if (o->nusecols > 0) {
        /* keep usecols order */
        ll_frame *sel = ll_frame_select(f, o->usecols, o->nusecols, err);
        ll_frame_free(f);
        f = sel;
    }
    f->nrow = r.rows;
    goto done;
fail:
    ll_frame_free(f);
    f = NULL;
done:
    if (parser_live)
        csv_free(&p);
    free_reader(&r);
    free(converted);
    if (!f && err && !err->msg[0]) { /* a callback's LL_ENOMEM */
        ll_err_oom(err);
        ll_err_prefix(err, "%s", name);
    }
    return f;
}

ll_frame *ll_frame_read_csv_mem(const char *data, size_t len, const char *name,
                                const ll_csv_opts *o, ll_buf *warn, ll_err *err)
{
    return read_csv(data, len, name, o, warn, err, 0);
}

ll_frame *ll_frame_read_csv(const char *path, const ll_csv_opts *o,
                            ll_buf *warn, ll_err *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        ll_err_set(err, errno == ENOENT ? LL_ENOTFOUND : LL_EIO, "%s: %s", path,
                   strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ll_err_set(err, LL_EIO, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    if (len == 0) {
        close(fd);
        ll_err_set(err, LL_EPARSE, "%s: no columns to parse (empty file)",
                   path);
        return NULL;
    }
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        ll_err_set(err, LL_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
#ifdef POSIX_MADV_SEQUENTIAL
    posix_madvise(m, len, POSIX_MADV_SEQUENTIAL);
#endif
    ll_frame *f = read_csv(m, len, path, o, warn, err, 1);
    munmap(m, len);
    return f;
}
