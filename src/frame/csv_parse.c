/*
 * csv_parse: the libcsv callbacks (one field, one row) and the typed
 * column builders they fill; a value that does not fit its column's type
 * widens the column in place.  Part of the CSV reader (csv_int.h).
 */
#define _POSIX_C_SOURCE 200809L
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise */
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame/csv_int.h"
#include "util/signals.h"

/* --- builders --- */

static int cb_reserve(colb *c)
{
    if (c->len < c->cap)
        return LL_OK;
    /* the first allocation takes the row estimate from the sample, so a
     * big file is not built by doubling (which would need twice its size) */
    int64_t cap = c->cap ? c->cap * 2 : (c->hint > 0 ? c->hint : 1024);
    /* category codes are int32; every other type sits in 8-byte slots */
    size_t es = c->type == LL_CAT ? 4 : 8;
    void *d = realloc(c->data, (size_t)cap * es);
    if (!d)
        return LL_ENOMEM;
    c->data = d;
    if (c->valid) {
        /* mark only the new bytes valid: the old last byte holds the NA
         * bits of rows already read */
        size_t had = (size_t)c->cap / 8 + 1, need = (size_t)cap / 8 + 1;
        uint8_t *v = realloc(c->valid, need);
        if (!v)
            return LL_ENOMEM;
        memset(v + had, 0xFF, need - had);
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

/* A parse_dates value in opts.date_format, or day first. */
static int parse_fmt(const reader *r, const char *s, size_t n, int64_t *ms)
{
    static const char *const dayfirst[] = {"%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y",
                                           "%Y-%m-%d", NULL};
    if (r->o->date_format)
        return ll_parse_date_fmt(s, n, r->o->date_format, ms);
    for (int k = 0; dayfirst[k]; k++)
        if (ll_parse_date_fmt(s, n, dayfirst[k], ms))
            return 1;
    return 0;
}

static int bad_value(reader *r, colb *c, const char *s, size_t n)
{
    if (r->o->coerce)
        return cb_push_na(c);
    if (c->fmt && r->o->date_format)
        return ll_err_set(r->err, LL_EPARSE,
                          "%s:%lld: column '%s': cannot parse '%.*s' with "
                          "date_format '%s'",
                          r->name, (long long)r->row_line,
                          r->names[r->cur_field], (int)(n > 40 ? 40 : n), s,
                          r->o->date_format);
    return ll_err_set(r->err, LL_EPARSE,
                      "%s:%lld: column '%s': cannot parse '%.*s' as %s",
                      r->name, (long long)r->row_line, r->names[r->cur_field],
                      (int)(n > 40 ? 40 : n), s,
                      c->fmt         ? "a day-first date"
                      : c->date_only ? "a date"
                                     : ll_dtype_name((ll_dtype)c->type));
}

static int put_value(reader *r, colb *c, const char *s, size_t n)
{
    if (cb_reserve(c))
        return LL_ENOMEM;
    if (c->fmt) {
        int64_t ms;
        if (!parse_fmt(r, s, n, &ms))
            return bad_value(r, c, s, n);
        if (c->valid)
            set_valid(c, c->len, 1);
        if (c->type == LL_DATE)
            ((int64_t *)c->data)[c->len++] =
                ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
        else
            ((int64_t *)c->data)[c->len++] = ms;
        return LL_OK;
    }
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
    int vt = llcsv_value_type(s, n);
    if (c->forced || c->date_only) {
        int ok_widen = c->date_only && c->type == LL_DATE && vt == LL_DATETIME;
        if (c->date_only && c->type == T_UNKNOWN &&
            (vt == LL_DATE || vt == LL_DATETIME))
            ok_widen = 1;
        if (!ok_widen)
            return bad_value(r, c, s, n);
    }
    int to = llcsv_join_type(c->type, vt);
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

void llcsv_on_field(void *s0, size_t n, void *ud)
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
        if (r->nhdr == r->hdr_cap) {
            int cap = r->hdr_cap ? r->hdr_cap * 2 : 16;
            char **h = realloc(r->hdr, sizeof *h * (size_t)cap);
            if (!h) {
                r->rc = LL_ENOMEM;
                return;
            }
            r->hdr = h;
            r->hdr_cap = cap;
        }
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
            r->row_types[f] = llcsv_value_type(s, n);
        else
            r->row_types[f] = T_UNKNOWN;
        return;
    }
    colb *c = &r->cols[f];
    if (!c->keep)
        return;
    /* CSV_EMPTY_IS_NULL: an unquoted empty field arrives as NULL, a quoted
     * one ("") as an empty string, which is a value, not NA */
    int na =
        s0 ? (n > 0 &&
              ((r->na_lens[(unsigned char)s[0]] >> (n < 31 ? n : 31)) & 1) &&
              is_na(r, s, n))
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

void llcsv_on_row(int term, void *ud)
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
                    llcsv_join_type(r->sample_types[i], r->row_types[i]);
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

int llcsv_run_csv(reader *r, const char *d, size_t n, int last,
                  struct csv_parser *p, size_t base, const char *all)
{
    size_t chunk = 1 << 20;
    for (size_t off = 0; off < n && !r->rc && !r->stop; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        size_t got =
            csv_parse(p, d + off, len, llcsv_on_field, llcsv_on_row, r);
        if (got != len && !r->rc) {
            return ll_err_set(
                r->err, LL_EPARSE, "%s:%lld: malformed quoting (strict mode)",
                r->name, (long long)llcsv_line_of(all, base + off + got));
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
        csv_fini(p, llcsv_on_field, llcsv_on_row, r);
    }
    for (int i = 0; r->cols && i < r->ncol && !r->rc && !r->sample; i++)
        if (flush_pending(&r->cols[i]))
            r->rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
    return r->rc;
}

int llcsv_init_parser(reader *r, struct csv_parser *p, char sep)
{
    unsigned char opts = CSV_APPEND_NULL | CSV_REPALL_NL | CSV_EMPTY_IS_NULL;
    if (r->o->strict)
        opts |= CSV_STRICT;
    if (csv_init(p, opts))
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    csv_set_delim(p, (unsigned char)sep);
    return LL_OK;
}

/* set_valid for the other files of the reader (the callbacks here call the
 * static one, which the compiler inlines). */
void llcsv_set_valid(colb *c, int64_t i, int ok)
{
    set_valid(c, i, ok);
}

/* cb_push_na for the other files of the reader (the callbacks here call the
 * static one, which the compiler inlines). */
int llcsv_cb_push_na(colb *c)
{
    return cb_push_na(c);
}

/* widen for the other files of the reader (the callbacks here call the
 * static one, which the compiler inlines). */
int llcsv_widen(reader *r, colb *c, int to)
{
    return widen(r, c, to);
}
