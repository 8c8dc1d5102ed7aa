/*
 * csv_threads: reading with several threads: the data split at row
 * boundaries (quote-aware), each part parsed into its own builders, the
 * parts merged in order; warnings and error lines as with one thread.
 * Part of the CSV reader (csv_int.h).
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
    /* lines are counted from 1 at the chunk's start; llcsv_read_threads adds
     * the chunk's first line number to the messages afterwards */
    if (!c->r.o->latin1) {
        size_t bad = llcsv_utf8_bad_at(c->data, c->len);
        if (bad != (size_t)-1) {
            c->rc =
                ll_err_set(&c->err, LL_EPARSE,
                           "%s:%lld: invalid UTF-8 (use "
                           "encoding=\"latin1\" for latin-1 files)",
                           c->r.name, (long long)llcsv_line_of(c->data, bad));
            return NULL;
        }
    }
    struct csv_parser p;
    c->rc = llcsv_init_parser(&c->r, &p, c->sep);
    if (!c->rc)
        c->rc = llcsv_run_csv(&c->r, c->data, c->len, 1, &p, 0, c->data);
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
            /* only the new bytes: the old last one holds NA bits */
            size_t had = (size_t)dst->cap / 8 + 1, need = (size_t)cap / 8 + 1;
            uint8_t *v = realloc(dst->valid, need);
            if (!v)
                return LL_ENOMEM;
            memset(v + had, 0xFF, need - had);
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
            llcsv_set_valid(dst, dst->len + i,
                            !part->valid ||
                                ((part->valid[i >> 3] >> (i & 7)) & 1));
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
int llcsv_read_threads(reader *r, const char *data, size_t dstart, size_t len,
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
            dst->fmt = src->fmt;
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
    /* join each column's types over the chunks, llcsv_widen, append */
    for (int i = 0; i < r->ncol && !rc; i++) {
        colb *dst = &r->cols[i];
        if (!dst->keep)
            continue;
        int t = dst->type;
        for (int k = 0; k < nt; k++)
            t = llcsv_join_type(t, ch[k].r.cols[i].type);
        if (t == LL_STR && r->o->strings_as != 1 && dst->type != LL_STR)
            t = LL_CAT;
        for (int k = 0; k < nt && !rc; k++) {
            colb *part = &ch[k].r.cols[i];
            if (part->type != t && llcsv_widen(&ch[k].r, part, t))
                rc = ll_err_set(r->err, LL_ENOMEM, "out of memory");
        }
        if (!rc && dst->type != t && llcsv_widen(r, dst, t))
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
