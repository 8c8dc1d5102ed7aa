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
 *
 * This file: the entry points, header names, the type sample and building
 * the frame; see csv_int.h for the other parts.
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

/* pandas' default NA strings (pandas.io.parsers: STR_NA_VALUES). */
const char *const ll_csv_default_na[] = {
    "",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
    "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
    "NaN",  "None",   "n/a",      "nan",  "null",    NULL};

void ll_csv_opts_init(ll_csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->header = 1;
    o->nrows = -1;
    o->threads = 1;
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
    if (r->have_names_h)
        ll_strhash_free(&r->names_h);
    for (int i = 0; i < r->nhdr; i++)
        free(r->hdr[i]);
    free(r->hdr);
    free(r->sample_types);
    free(r->row_types);
}

/* The column named s, or -1. */
static int find_name(const reader *r, const char *s)
{
    return (int)ll_strhash_get(&r->names_h, s, strlen(s));
}

/* Name the columns as pandas does: V1..Vn without a header; an empty name
 * is "Unnamed: i" (i counted from 0); a repeated name x becomes x.1, x.2,
 * ... skipping every name the header holds or was already given.  Hash
 * sets keep this linear in the number of columns.  Warnings for unnamed
 * (but the first, see index_warning) and renamed columns. */
static int name_columns(reader *r)
{
    const ll_csv_opts *o = r->o;
    int n = r->ncol, rc = LL_OK;
    ll_strhash orig;
    int64_t *next = calloc((size_t)n + 1, sizeof *next);
    char **base = calloc((size_t)n + 1, sizeof *base);
    if (next && base && !ll_strhash_init(&r->names_h, n))
        r->have_names_h = 1;
    if (!r->have_names_h || ll_strhash_init(&orig, n)) {
        free(next);
        free(base);
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n && !rc; i++) {
        char nm[64];
        const char *b = r->hdr[i];
        if (!o->header) {
            snprintf(nm, sizeof nm, "V%d", i + 1);
            b = nm;
        } else if (!b[0]) {
            snprintf(nm, sizeof nm, "Unnamed: %d", i);
            b = nm;
            if (r->warn && i > 0)
                ll_buf_printf(r->warn,
                              "%s: column %d has no name; named '%s'\n",
                              r->name, i + 1, nm);
        }
        base[i] = strdup(b);
        if (!base[i] || ll_strhash_put(&orig, b, strlen(b)) < 0)
            rc = LL_ENOMEM;
    }
    for (int i = 0; i < n && !rc; i++) {
        const char *b = base[i];
        size_t bl = strlen(b);
        char *cand = NULL;
        if (ll_strhash_get(&r->names_h, b, bl) < 0) {
            cand = strdup(b);
        } else {
            int64_t id = ll_strhash_get(&orig, b, bl);
            int64_t k = next[id] ? next[id] : 1;
            size_t cap = bl + 24;
            cand = malloc(cap);
            for (; cand; k++) {
                snprintf(cand, cap, "%s.%lld", b, (long long)k);
                size_t cl = strlen(cand);
                if (ll_strhash_get(&r->names_h, cand, cl) < 0 &&
                    ll_strhash_get(&orig, cand, cl) < 0)
                    break;
            }
            next[id] = k + 1;
            if (cand && r->warn)
                ll_buf_printf(r->warn,
                              "%s: duplicate column name '%s' renamed to "
                              "'%s'\n",
                              r->name, b, cand);
        }
        if (!cand ||
            ll_strhash_put(&r->names_h, cand, strlen(cand)) != (int64_t)i) {
            free(cand);
            rc = LL_ENOMEM;
            break;
        }
        r->names[i] = cand;
    }
    for (int i = 0; i < n; i++)
        free(base[i]);
    free(base);
    free(next);
    ll_strhash_free(&orig);
    if (rc)
        return ll_err_set(r->err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

static ll_column *finish_col(reader *r, colb *c, int64_t nrows)
{
    ll_column *col = NULL;
    (void)r;
    if (c->type == T_UNKNOWN)
        c->type = c->date_only ? LL_DATE : LL_FLOAT;
    if (c->type == LL_STR) {
        col = ll_sb_finish(&c->sb, NULL);
    } else if (c->type == LL_CAT) {
        int auto_str = r->o->strings_as == 0 && c->h.count * 2 > nrows &&
                       c->h.count > 16 && !c->forced;
        col = ll_col_new(LL_CAT, 0, NULL);
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
        col = ll_col_new((ll_dtype)c->type, 0, NULL);
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

/* pandas writes its row index as a first column with an empty name and
 * the values 0..n-1: say so, and how to drop it. */
static void index_warning(const reader *r, const ll_frame *f)
{
    if (!r->warn || !r->o->header || r->hdr[0][0])
        return;
    int j = r->cols[0].keep ? ll_frame_find(f, r->names[0]) : -1;
    int index = r->ncol > 1 && j >= 0 && f->nrow > 0;
    const ll_column *c = index ? f->cols[j] : NULL;
    if (c && (c->type != LL_INT || c->null_count))
        index = 0;
    for (int64_t i = 0; index && i < c->len; i++)
        if (LL_I64(c)[i] != i)
            index = 0;
    if (index)
        ll_buf_printf(r->warn,
                      "%s: column 1 has no name and holds 0..%lld, the row "
                      "index pandas writes; named '%s' (drop it with "
                      "f = f:drop(\"%s\"))\n",
                      r->name, (long long)c->len - 1, r->names[0], r->names[0]);
    else
        ll_buf_printf(r->warn, "%s: column 1 has no name; named '%s'\n",
                      r->name, r->names[0]);
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
    r.na = o->na ? o->na : ll_csv_default_na;
    {
        int nna = 0;
        while (r.na[nna])
            nna++;
        r.na_len = malloc(sizeof(size_t) * (size_t)(nna + 1));
        if (!r.na_len) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            return NULL;
        }
        for (int k = 0; k < nna; k++) {
            size_t l = strlen(r.na[k]);
            r.na_len[k] = l;
            if (l == 0)
                r.na_has_empty = 1;
            else
                r.na_lens[(unsigned char)r.na[k][0]] |= 1u << (l < 31 ? l : 31);
        }
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
        converted = llcsv_latin1_to_utf8(data, len, &len);
        if (!converted) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        data = converted;
    } else {
        size_t bad = llcsv_utf8_bad_at(data, len);
        if (bad != (size_t)-1) {
            ll_err_set(err, LL_EPARSE,
                       "%s:%lld: invalid UTF-8 (use encoding=\"latin1\" for "
                       "latin-1 files)",
                       name, (long long)llcsv_line_of(data, bad));
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
    char sep = o->sep ? o->sep : (char)llcsv_detect_sep(data + pos, len - pos);

    /* header row, one byte at a time so we know where it ends */
    if (llcsv_init_parser(&r, &p, sep))
        goto done;
    parser_live = 1;
    r.header_mode = 1;
    r.line = line0;
    size_t hend = pos;
    while (hend < len && !r.hdr_done && !r.rc) {
        if (csv_parse(&p, data + hend, 1, llcsv_on_field, llcsv_on_row, &r) !=
            1) {
            ll_err_set(err, LL_EPARSE, "%s:%lld: %s", name,
                       (long long)llcsv_line_of(data, hend),
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
        csv_fini(&p, llcsv_on_field, llcsv_on_row, &r);
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
    r.names = calloc((size_t)r.ncol + 1, sizeof *r.names);
    r.cols = calloc((size_t)r.ncol + 1, sizeof *r.cols);
    r.sample_types = malloc(sizeof(int) * ((size_t)r.ncol + 1));
    r.row_types = malloc(sizeof(int) * ((size_t)r.ncol + 1));
    if (!r.names || !r.cols || !r.sample_types || !r.row_types) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (name_columns(&r))
        goto done;
    for (int i = 0; i < r.ncol; i++) {
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
            if (o->usecols_pos) {
                int i = o->usecols_pos[k];
                if (i < 0 || i >= r.ncol) {
                    ll_err_set(err, LL_ENOTFOUND,
                               "%s: usecols: no column %d (the file has %d, "
                               "counted from 0)",
                               name, i, r.ncol);
                    goto done;
                }
                r.cols[i].keep = 1;
                continue;
            }
            int i = find_name(&r, o->usecols[k]);
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
        int i = find_name(&r, o->type_cols[k]);
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
        int i = find_name(&r, o->parse_dates[k]);
        if (i < 0) {
            ll_frame tmpf = {r.ncol, r.ncol, 0, NULL, r.names};
            ll_frame_col(&tmpf, o->parse_dates[k], err);
            ll_err_prefix(err, "%s: parse_dates", name);
            goto done;
        }
        r.cols[i].date_only = 1;
        if (o->date_format || o->dayfirst) {
            r.cols[i].fmt = 1;
            r.cols[i].forced = 1;
            r.cols[i].type =
                o->date_format && ll_date_fmt_has_time(o->date_format)
                    ? LL_DATETIME
                    : LL_DATE;
        }
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
            if (llcsv_init_parser(&r, &sp, sep))
                goto done;
            r.field = 0;
            r.prev_cr = 0;
            r.line = 1;
            size_t at = 0;
            while (at < lens[k]) {
                size_t step = lens[k] - at < 65536 ? lens[k] - at : 65536;
                size_t got = csv_parse(&sp, data + starts[k] + at, step,
                                       llcsv_on_field, llcsv_on_row, &r);
                if (got != step)
                    break; /* the main pass reports it */
                at += step;
            }
            if (k == 0 && ns == 1 && !(sp.pstate == 2 && sp.quoted))
                csv_fini(&sp, llcsv_on_field, llcsv_on_row, &r);
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
            if (t != T_UNKNOWN && llcsv_widen(&r, c, t)) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
        }
    }

    /* the main pass */
    if (o->threads > 1 && o->nrows < 0 && len - dstart > (1u << 20)) {
        if (llcsv_read_threads(&r, data, dstart, len, data_line,
                               o->header ? prev_cr_after_header : 0, sep,
                               o->threads))
            goto done;
        goto build;
    }
    if (llcsv_init_parser(&r, &p, sep))
        goto done;
    parser_live = 1;
    r.field = 0;
    r.line = r.row_line = data_line;
    r.prev_cr = o->header ? prev_cr_after_header : 0;
    if (llcsv_run_csv(&r, data + dstart, len - dstart, 1, &p, dstart, data))
        goto done;
build:
    f = ll_frame_new(err);
    if (!f)
        goto done;
    /* in file order, or in usecols order (each once), without lookups by
     * name in the frame: linear in the number of columns */
    int nbuild = o->nusecols > 0 ? o->nusecols : r.ncol;
    for (int k = 0; k < nbuild; k++) {
        int i = o->nusecols == 0 ? k
                : o->usecols_pos ? o->usecols_pos[k]
                                 : find_name(&r, o->usecols[k]);
        colb *c = &r.cols[i];
        if (!c->keep || c->built)
            continue;
        c->built = 1;
        while (c->len < r.rows)
            if (llcsv_cb_push_na(c)) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto fail;
            }
        ll_column *col = finish_col(&r, c, r.rows);
        if (!col) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto fail;
        }
        int rc = ll_frame_append(f, r.names[i], col, err);
        ll_col_unref(col);
        if (rc)
            goto fail;
    }
    index_warning(&r, f);
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
    free(r.na_len);
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
