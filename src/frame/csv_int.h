/*
 * csv_int: what the CSV reader's files share (not for other parts).
 *
 * csv_read.c   entry points: the file, header names, type sample, build
 * csv_parse.c  libcsv callbacks and the typed column builders they fill
 * csv_infer.c  type inference of single values
 * csv_text.c   encodings, separator detection, line numbers
 * csv_threads.c  several threads: chunks split at row boundaries, merged
 */
#ifndef LL_CSV_INT_H
#define LL_CSV_INT_H

#include <csv.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame/frame.h"
#include "frame/frame_int.h"

#define T_UNKNOWN (-1)

typedef struct colb {
    int type;      /* T_UNKNOWN or ll_dtype */
    int forced;    /* type given by the caller */
    int date_only; /* parse_dates: date or datetime */
    int fmt;       /* parse_dates with date_format or dayfirst */
    int keep;      /* in usecols */
    int built;     /* handed to the frame */
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
    /* bit min(length, 31) of na_lens[c] is set when an NA string of that
     * length starts with byte c: most fields are ruled out at once */
    uint32_t na_lens[256];
    size_t *na_len; /* strlen of each NA string */
    int na_has_empty;
    /* columns */
    int ncol; /* fields per row */
    int nout; /* columns kept */
    colb *cols;
    char **names;
    ll_strhash names_h; /* names[i] has id i */
    int have_names_h;
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
    int nhdr, hdr_cap;
    int hdr_done;
} reader;

static inline int is_na(const reader *r, const char *s, size_t n)
{
    if (n == 0)
        return r->na_has_empty;
    if (!((r->na_lens[(unsigned char)s[0]] >> (n < 31 ? n : 31)) & 1))
        return 0;
    for (int k = 0; r->na[k]; k++)
        if (r->na_len[k] == n && !memcmp(r->na[k], s, n))
            return 1;
    return 0;
}

#define PEND 32
/* dictionaries below this size stay in cache: no batching */
#define PEND_MIN_KEYS 8192

/* Type inference (csv_infer.c): the type a value reads as (T_UNKNOWN for
 * none), and the type two inferred types widen to. */
int llcsv_value_type(const char *s, size_t n);
int llcsv_join_type(int a, int b);

/* Builders and callbacks (csv_parse.c). */
void llcsv_set_valid(colb *c, int64_t i, int ok);
int llcsv_cb_push_na(colb *c);
int llcsv_widen(reader *r, colb *c, int to);
void llcsv_on_field(void *s0, size_t n, void *ud);
void llcsv_on_row(int term, void *ud);
int llcsv_run_csv(reader *r, const char *d, size_t n, int last,
                  struct csv_parser *p, size_t base, const char *all);
int llcsv_init_parser(reader *r, struct csv_parser *p, char sep);

/* Text (csv_text.c). */
int llcsv_detect_sep(const char *d, size_t n);
int64_t llcsv_line_of(const char *d, size_t pos);
size_t llcsv_utf8_bad_at(const char *s, size_t n);
char *llcsv_latin1_to_utf8(const char *s, size_t n, size_t *out_len);

/* Several threads (csv_threads.c). */
int llcsv_read_threads(reader *r, const char *data, size_t dstart, size_t len,
                       int64_t data_line, int prev_cr, char sep, int nt);

#endif
