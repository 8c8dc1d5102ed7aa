/*
 * column: one typed, immutable, reference-counted column of a dataframe.
 *
 * Types: bool (uint8), int64, float64, string (int64 offsets into one byte
 * buffer), category (int32 codes into a string dictionary column), date
 * (int32 days since 1970-01-01) and datetime (int64 ms UTC).  A validity
 * bitmap (bit set = present) is NULL when the column has no NA.  A column
 * is never changed once built, so frames, selections and slices share it:
 * ll_col_ref / ll_col_unref.  A slice is a view holding a reference to the
 * column it looks into.
 */
#ifndef LL_COLUMN_H
#define LL_COLUMN_H

#include <stddef.h>
#include <stdint.h>

#include "util/calendar.h"

#include "util/buf.h"
#include "util/err.h"

#include <math.h>

/* NaN as a double (NAN is a float constant). */
#define LL_NAN ((double)NAN)

typedef enum ll_dtype {
    LL_BOOL,
    LL_INT,
    LL_FLOAT,
    LL_STR,
    LL_CAT,
    LL_DATE,
    LL_DATETIME
} ll_dtype;

typedef struct ll_column ll_column;
struct ll_column {
    int refs;
    ll_dtype type;
    int64_t len;
    int64_t null_count;
    uint8_t *valid;  /* NULL = no NA; bit (voff + i) */
    int64_t voff;    /* bit offset into valid (views) */
    void *data;      /* uint8/int64/double/int32 codes/int32 days/int64 ms */
    int64_t *offs;   /* LL_STR: len + 1 offsets into bytes */
    char *bytes;     /* LL_STR */
    ll_column *dict; /* LL_CAT: an LL_STR column of the categories */
    ll_column *base; /* a view: owns a reference to base, frees nothing */
};

const char *ll_dtype_name(ll_dtype t);
/* "bool" "int" "float" "string"/"str" "category"/"cat" "date" "datetime";
 * returns -1 when unknown. */
int ll_dtype_parse(const char *name);
size_t ll_dtype_size(ll_dtype t);

/* A new column of len rows (data zeroed; all valid).  Caller owns it (one
 * reference).  For LL_STR use ll_col_from_strings or a ll_strbuilder.
 * NULL with err filled on failure (LL_ENOMEM; LL_EINVAL when len < 0). */
ll_column *ll_col_new(ll_dtype type, int64_t len, ll_err *err);
ll_column *ll_col_ref(ll_column *c);
void ll_col_unref(ll_column *c); /* accepts NULL */

/* Make room for a validity bitmap (all valid) and mark row i NA. */
int ll_col_set_na(ll_column *c, int64_t i);
/* Recount null_count and drop an all-valid bitmap. */
void ll_col_finish(ll_column *c);

static inline int ll_col_isna(const ll_column *c, int64_t i)
{
    if (!c->valid)
        return 0;
    int64_t b = c->voff + i;
    return !((c->valid[b >> 3] >> (b & 7)) & 1);
}
#define LL_I64(c) ((int64_t *)(c)->data)
#define LL_F64(c) ((double *)(c)->data)
#define LL_I32(c) ((int32_t *)(c)->data)
#define LL_U8(c) ((uint8_t *)(c)->data)

/* String value of row i of an LL_STR or LL_CAT column (not terminated). */
const char *ll_col_str(const ll_column *c, int64_t i, size_t *len);
/* Numeric value of row i as double (bool/int/float/date/datetime; NaN
 * when NA or not numeric). */
double ll_col_num(const ll_column *c, int64_t i);
int ll_col_is_numeric(const ll_column *c);

/* A growing string column. */
typedef struct ll_strbuilder {
    ll_buf bytes;
    int64_t *offs;
    uint8_t *valid;
    int64_t len, cap;
    int has_na;
} ll_strbuilder;
void ll_sb_init(ll_strbuilder *sb);
int ll_sb_push(ll_strbuilder *sb, const char *s, size_t n);
int ll_sb_push_na(ll_strbuilder *sb);
/* Hand the strings over as a column (NULL and err filled on out of
 * memory); sb is reset either way. */
ll_column *ll_sb_finish(ll_strbuilder *sb, ll_err *err);
void ll_sb_free(ll_strbuilder *sb);

/* These return NULL with err filled when memory runs out. */
/* A view of rows [off, off + len) sharing c's memory. */
ll_column *ll_col_slice(ll_column *c, int64_t off, int64_t len, ll_err *err);
/* Rows idx[0..n) of c in that order (each < c->len); idx < 0 gives NA. */
ll_column *ll_col_take(const ll_column *c, const int64_t *idx, int64_t n,
                       ll_err *err);
/* Rows where mask (an LL_BOOL column of the same length) is true. */
ll_column *ll_col_filter(const ll_column *c, const ll_column *mask,
                         ll_err *err);
/* a followed by b (same type; int+float widen to float, cat+str become
 * string). */
ll_column *ll_col_concat(const ll_column *a, const ll_column *b, ll_err *err);
/* Convert to another type; an unparsable string gives an error naming the
 * row. */
ll_column *ll_col_cast(const ll_column *c, ll_dtype to, ll_err *err);
/* Category codes from strings (dictionary sorted). */
ll_column *ll_col_to_category(const ll_column *c, ll_err *err);

/* Format row i into out (NA -> "NA"); floats use the shortest text that
 * reads back to the same double. */
int ll_col_format(const ll_column *c, int64_t i, ll_buf *out);

/* Arithmetic: op is one of + - * / % ; NA propagates.  The result is int
 * for int op int (except /), float otherwise; date +- int days. */
ll_column *ll_col_arith(const ll_column *a, const ll_column *b, char op,
                        ll_err *err);
ll_column *ll_col_arith_scalar(const ll_column *a, double x, char op,
                               int scalar_left, ll_err *err);
ll_column *ll_col_neg(const ll_column *a, ll_err *err);
/* Apply a math function (abs log exp sqrt) to a numeric column. */
ll_column *ll_col_math(const ll_column *a, const char *fn, ll_err *err);

/* Comparisons give LL_BOOL masks; NA compares false (ne: true). op is
 * "==" "!=" "<" "<=" ">" ">=". */
ll_column *ll_col_cmp(const ll_column *a, const ll_column *b, const char *op,
                      ll_err *err);
ll_column *ll_col_cmp_num(const ll_column *a, double x, const char *op,
                          ll_err *err);
ll_column *ll_col_cmp_str(const ll_column *a, const char *s, const char *op,
                          ll_err *err);
ll_column *ll_col_isna_mask(const ll_column *a, int want_na, ll_err *err);
/* Boolean logic on masks: op '&', '|' ; ll_col_not for '~'. */
ll_column *ll_col_logic(const ll_column *a, const ll_column *b, char op,
                        ll_err *err);
ll_column *ll_col_not(const ll_column *a, ll_err *err);

/* Reductions ignore NA.  which: sum mean std var min max median count
 * nunique first last; quantile uses q (linear interpolation, as pandas).
 * Returns NaN when nothing to reduce. */
int ll_col_reduce(const ll_column *c, const char *which, double q, double *out,
                  ll_err *err);

/* String methods: lower upper strip len contains startswith. */
ll_column *ll_col_strfn(const ll_column *c, const char *fn, const char *arg,
                        ll_err *err);
/* Date parts: year month day dayofweek (Monday=0) dayofyear quarter week
 * (ISO week). */
ll_column *ll_col_datepart(const ll_column *c, const char *part, ll_err *err);

/* Parsing and formatting of scalars (parse.c). */
int ll_parse_int(const char *s, size_t n, int64_t *out);
int ll_parse_float(const char *s, size_t n, double *out);
int ll_parse_bool(const char *s, size_t n, uint8_t *out);
int ll_parse_date(const char *s, size_t n, int32_t *days);
int ll_parse_datetime(const char *s, size_t n, int64_t *ms);
int ll_format_float(double x, char *out, size_t cap);
void ll_format_date(int32_t days, char *out, size_t cap);
void ll_format_datetime(int64_t ms, char *out, size_t cap);
/* A date or datetime in a strptime-style format (%Y %y %m %d %H %M %S %f
 * %b %%; other characters must match) as ms since 1970-01-01 UTC;
 * ll_date_fmt_has_time: the format has a time of day; ll_date_fmt_check:
 * only those directives are used. */
int ll_parse_date_fmt(const char *s, size_t n, const char *fmt, int64_t *ms);
int ll_date_fmt_has_time(const char *fmt);
int ll_date_fmt_check(const char *fmt);
/* Is s[0..n) valid UTF-8? */
int ll_utf8_valid(const char *s, size_t n);

#endif
