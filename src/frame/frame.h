/*
 * frame: a dataframe, a list of named columns of equal length.
 *
 * Frames own one reference to each of their columns; verbs build new
 * frames that share the columns they did not change.  Every function that
 * returns a frame gives the caller ownership (ll_frame_free); on error it
 * returns NULL and fills err.  Column names are copied.
 */
#ifndef LL_FRAME_H
#define LL_FRAME_H

#include <stdint.h>

#include "frame/column.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct ll_frame {
    int ncol, cap;
    int64_t nrow;
    ll_column **cols;
    char **names;
} ll_frame;

ll_frame *ll_frame_new(ll_err *err);
void ll_frame_free(ll_frame *f);
/* A new frame sharing all of f's columns. */
ll_frame *ll_frame_copy(const ll_frame *f, ll_err *err);
/* Add (or replace by name) a column; takes a new reference to col.  The
 * length must match the frame's unless it has no columns. */
int ll_frame_set(ll_frame *f, const char *name, ll_column *col, ll_err *err);
int ll_frame_find(const ll_frame *f, const char *name);
/* Index of name, or -1 with "no column 'x' (did you mean 'y'?)" in err. */
int ll_frame_col(const ll_frame *f, const char *name, ll_err *err);

ll_frame *ll_frame_select(const ll_frame *f, const char *const *names, int n,
                          ll_err *err);
ll_frame *ll_frame_drop(const ll_frame *f, const char *const *names, int n,
                        ll_err *err);
ll_frame *ll_frame_rename(const ll_frame *f, const char *const *from,
                          const char *const *to, int n, ll_err *err);
/* Rows [off, off + len) as views (clamped to the frame: a negative off
 * counts as 0, a negative len as "to the end"). */
ll_frame *ll_frame_slice(const ll_frame *f, int64_t off, int64_t len,
                         ll_err *err);
/* Rows idx[0..n) in that order; idx < 0 gives a row of NA, idx >= the
 * frame's rows is LL_ERANGE naming the index and the row count. */
ll_frame *ll_frame_take(const ll_frame *f, const int64_t *idx, int64_t n,
                        ll_err *err);
ll_frame *ll_frame_filter(const ll_frame *f, const ll_column *mask,
                          ll_err *err);
/* Rows of b under a's; columns matched by name (missing ones become NA). */
ll_frame *ll_frame_concat(const ll_frame *a, const ll_frame *b, ll_err *err);

/* Sorting (sort.c): a stable order of rows by keys, NA last. */
int ll_frame_order(const ll_frame *f, const int *keys, const int *desc,
                   int nkeys, int64_t **perm, ll_err *err);
ll_frame *ll_frame_sort(const ll_frame *f, const char *const *keys,
                        const int *desc, int nkeys, ll_err *err);

/* Grouping (groupby.c).  An aggregation: output name, input column, fn
 * (sum mean min max count nunique std var median first last size). */
typedef struct ll_agg {
    const char *out;
    const char *col;
    const char *fn;
} ll_agg;
ll_frame *ll_frame_groupby(const ll_frame *f, const char *const *keys,
                           int nkeys, const ll_agg *aggs, int naggs,
                           ll_err *err);
/* Distinct rows of the key columns with a count column, most frequent
 * first. */
ll_frame *ll_frame_value_counts(const ll_frame *f, const char *const *keys,
                                int nkeys, ll_err *err);
/* The same dropping the rows whose keys hold NA first when dropna (pandas'
 * default: groupby(dropna=True), value_counts(dropna=True)). */
ll_frame *ll_frame_groupby_opt(const ll_frame *f, const char *const *keys,
                               int nkeys, const ll_agg *aggs, int naggs,
                               int dropna, ll_err *err);
ll_frame *ll_frame_value_counts_opt(const ll_frame *f, const char *const *keys,
                                    int nkeys, int dropna, ll_err *err);
ll_frame *ll_frame_unique(const ll_frame *f, const char *const *keys, int nkeys,
                          ll_err *err);

/* Series verbs on one column (column_verbs.c); NA (and NaN) stays NA.
 * fn: cumsum cumprod cummax cummin (bool sums as int). */
ll_column *ll_col_cum(const ll_column *c, const char *fn, ll_err *err);
/* x[i] - x[i - periods] and x[i] / x[i - periods] - 1, as floats. */
ll_column *ll_col_diff(const ll_column *c, int64_t periods, ll_err *err);
ll_column *ll_col_pct_change(const ll_column *c, int64_t periods, ll_err *err);
/* Half to even at decimals (numpy's around); ints stay ints. */
ll_column *ll_col_round(const ll_column *c, int decimals, ll_err *err);
/* Bounds NaN = none; an int column stays int for whole bounds. */
ll_column *ll_col_clip(const ll_column *c, double lo, double hi, ll_err *err);
/* Whole values equal to from[k] become to[k]. */
ll_column *ll_col_replace_num(const ll_column *c, const double *from,
                              const double *to, int n, ll_err *err);
ll_column *ll_col_replace_str(const ll_column *c, const char *const *from,
                              const char *const *to, int n, ll_err *err);
/* Every occurrence of pat (literal, not empty) inside each string. */
ll_column *ll_col_str_replace(const ll_column *c, const char *pat,
                              const char *repl, ll_err *err);
/* Distinct values in order of appearance (NA once, where it appears). */
ll_column *ll_col_unique(ll_column *c, ll_err *err);
/* Columns name and count (or proportion when normalize), most frequent
 * first, ties in value order. */
ll_frame *ll_col_value_counts(ll_column *c, const char *name, int dropna,
                              int normalize, ll_err *err);

/* Reshaping and row pickers (reshape.c).  melt: id columns repeated, a
 * var_name column of value column names and a value_name column of their
 * values, one value column after the other (nvals == 0: every column not
 * an id).  pivot: one row per distinct index value and one column per
 * distinct columns value (both sorted, NA left out) holding values; a
 * pair seen twice is an error.  pivot_table: the same after grouping by
 * (index, columns) with aggfunc (any groupby function).  corr (Pearson)
 * and cov (sample) of the bool/int/float columns over pairwise complete
 * rows: a "column" column of names, then one float column each.  sample:
 * n rows (n < 0: round(frac * rows)) in random order, seeded (splitmix64
 * Fisher-Yates), with or without replacement.  nlargest/nsmallest: the n
 * rows with the largest/smallest keys, sorted so, ties in row order, rows
 * with an NA first key left out. */
ll_frame *ll_frame_melt(const ll_frame *f, const char *const *ids, int nids,
                        const char *const *vals, int nvals,
                        const char *var_name, const char *value_name,
                        ll_err *err);
ll_frame *ll_frame_pivot(const ll_frame *f, const char *index,
                         const char *columns, const char *values, ll_err *err);
ll_frame *ll_frame_pivot_table(const ll_frame *f, const char *index,
                               const char *columns, const char *values,
                               const char *aggfunc, ll_err *err);
ll_frame *ll_frame_corr(const ll_frame *f, int corr, ll_err *err);
ll_frame *ll_frame_sample(const ll_frame *f, int64_t n, double frac,
                          int replace, uint64_t seed, ll_err *err);
ll_frame *ll_frame_nlargest(const ll_frame *f, int64_t n,
                            const char *const *cols, int ncols, int largest,
                            ll_err *err);

/* Joins (join.c): how is "inner" "left" "right" "outer". */
ll_frame *ll_frame_join(const ll_frame *a, const ll_frame *b,
                        const char *const *on, int non, const char *how,
                        const char *suffix_a, const char *suffix_b,
                        ll_err *err);

/* Missing values. */
ll_frame *ll_frame_dropna(const ll_frame *f, const char *const *subset, int n,
                          ll_err *err);
/* Fill NA of column col with a number or string value. */
ll_column *ll_col_fillna_num(const ll_column *c, double v, ll_err *err);
ll_column *ll_col_fillna_str(const ll_column *c, const char *v, ll_err *err);
/* ffill (dir=1) or bfill (dir=-1); group may be NULL. */
ll_column *ll_col_fill_dir(const ll_column *c, int dir, const int64_t *order,
                           const int64_t *group, ll_err *err);

/* fillna with values (missing.c).  A value with col == NULL fills every
 * column of its kind (a number: all but text; a string: text, dates and
 * datetimes, parsed; a boolean: bool columns), the first that fits; one
 * with col fills that column and must fit it ("fillna: column 'b'
 * (string) cannot take a number").  An unknown col is an error with a
 * suggestion.  NA is a missing value or NaN in a float column. */
enum { LL_FILL_NUM, LL_FILL_STR, LL_FILL_BOOL };
typedef struct ll_fill {
    const char *col; /* NULL = every column of this kind */
    int kind;        /* LL_FILL_NUM / STR / BOOL */
    double num;      /* NUM; BOOL as 0 or 1 */
    const char *str; /* STR */
} ll_fill;
ll_frame *ll_frame_fillna(const ll_frame *f, const ll_fill *fills, int n,
                          ll_err *err);
/* ffill (dir=1) or bfill (dir=-1) every column, within groups and in the
 * order given (see ll_frame_group_order; both may be NULL). */
ll_frame *ll_frame_fill_dir(const ll_frame *f, int dir, const int64_t *order,
                            const int64_t *group, ll_err *err);

/* The arrays behind lag, lead, rolling and ffill/bfill by group
 * (timeseries.c): *group gets a group id per row from the by columns
 * (numbered in order of first appearance; NULL when nby == 0) and *order
 * a permutation of rows sorted by (by..., order...), stable (NULL when
 * both lists are empty, or when norder == 0 and !need_order).  An unknown
 * column is "option 'by': no column 'x' (did you mean ...)".  The caller
 * frees both. */
int ll_frame_group_order(const ll_frame *f, const char *const *by, int nby,
                         const char *const *order, int norder, int need_order,
                         int64_t **order_out, int64_t **group_out, ll_err *err);

/* Time series (timeseries.c).  order: a permutation of rows (time order
 * within groups) or NULL for row order; group: group id per row or NULL. */
ll_column *ll_col_shift(const ll_column *c, int64_t k, const int64_t *order,
                        const int64_t *group, ll_err *err);
ll_column *ll_col_rolling(const ll_column *c, int64_t window,
                          int64_t min_periods, const char *fn,
                          const int64_t *order, const int64_t *group,
                          ll_err *err);
/* Resample: rule "1d" "7d" "1w" "1m" (month) on a date/datetime column,
 * optionally by key columns; aggs as in groupby (columns not named get
 * no output). */
ll_frame *ll_frame_resample(const ll_frame *f, const char *rule, const char *on,
                            const char *const *by, int nby, const ll_agg *aggs,
                            int naggs, ll_err *err);
/* Row permutation for a split: the first n_train rows are the train set. */
int ll_frame_split_index(const ll_frame *f, double test, uint64_t seed,
                         int shuffle, const char *time_col, int64_t **perm,
                         int64_t *n_train, ll_err *err);

/* Frame -> float matrix (matrix.c): the one conversion for models.
 * Columns cols[0..n) of f in that order: bool as 0/1, int and float as
 * they are, date as days and datetime as milliseconds since 1970-01-01,
 * category and string columns as codes into their sorted distinct values
 * (onehot = 0) or as one-hot blocks of that many columns (onehot = 1).
 * Any NA, or NaN in a float column, is an error "column 'x' row 3 is NA"
 * (rows counted from 1).  ll_frame_matrix_width gives the number of matrix
 * columns; ll_frame_to_matrix fills out[nrow * width] row by row. */
int ll_frame_matrix_width(const ll_frame *f, const int *cols, int n, int onehot,
                          int64_t *width, ll_err *err);
int ll_frame_to_matrix(const ll_frame *f, const int *cols, int n, int onehot,
                       float *out, int64_t width, ll_err *err);
/* The same rules with codes, but NA (and NaN) becomes NaN instead of an
 * error: for charts, which draw a gap there. */
int ll_frame_to_matrix_nan(const ll_frame *f, const int *cols, int n,
                           float *out, int64_t width, ll_err *err);

/* describe(): one row per statistic, one column per input column. */
ll_frame *ll_frame_describe(const ll_frame *f, ll_err *err);

/* Display (print.c): a table fitted to width characters, at most max_rows
 * rows (middle elided), shape underneath. */
int ll_frame_render(const ll_frame *f, int width, int max_rows, ll_buf *out);
int ll_col_render(const ll_column *c, const char *name, int width, int max_rows,
                  ll_buf *out);

/* CSV (csv_read.c and the files of csv_int.h; csv_write.c). */
typedef struct ll_csv_opts {
    char sep;              /* 0 = detect among , ; tab | */
    int header;            /* 1 (default) or 0: names V1..Vn */
    const char *const *na; /* NULL-ended; NULL = default list */
    const char *const *type_cols;
    const int *type_vals; /* ll_dtype per type_cols entry */
    int ntypes;
    const char *const *parse_dates;
    int nparse_dates;
    const char *const *usecols;
    int nusecols;
    const int *usecols_pos; /* instead of names: positions from 0 */
    int64_t nrows;          /* -1 = all */
    int64_t skip;           /* lines skipped before the header */
    int on_bad_lines;       /* 0 error, 1 warn, 2 skip */
    int strict;
    int latin1;
    int threads;
    int strings_as; /* 0 auto (category when few distinct), 1 string, 2 cat */
    const char *date_format; /* parse_dates columns in this format */
    int dayfirst;            /* parse_dates columns as day/month/year */
    int coerce; /* a value that does not fit a given type becomes NA */
} ll_csv_opts;
/* pandas' default NA strings (NULL-ended): "", "NA", "n/a", "NULL",
 * "None", "NaN", "nan", "#N/A", ... */
extern const char *const ll_csv_default_na[];
void ll_csv_opts_init(ll_csv_opts *o);
/* Read path; warnings (renamed headers, bad lines) are appended to warn
 * (may be NULL), one per line. */
ll_frame *ll_frame_read_csv(const char *path, const ll_csv_opts *o,
                            ll_buf *warn, ll_err *err);
/* The same from memory (name is used in messages). */
ll_frame *ll_frame_read_csv_mem(const char *data, size_t len, const char *name,
                                const ll_csv_opts *o, ll_buf *warn,
                                ll_err *err);
int ll_frame_write_csv(const ll_frame *f, const char *path, char sep,
                       ll_err *err);
int ll_frame_to_csv(const ll_frame *f, char sep, ll_buf *out);

/* Expressions (expr.c): evaluate "a > 1 and not isna(b)" to a column. */
ll_column *ll_frame_eval(const ll_frame *f, const char *expr, ll_err *err);

#endif
