/*
 * mlmodel: the one reader of MLmodel files (the YAML file at the top of a
 * logged model directory), for C scoring (model.c) and, through
 * lualab._model.read_mlmodel, for mlflow.load_model.
 *
 * Entries are kept in file order under their dotted paths:
 *   flavors                       (a mapping: value NULL)
 *   flavors.keras                 (a mapping)
 *   flavors.keras.loader_module   "lualab.keras"
 *   signature.inputs              '[{"name": "x", ...}]'
 * Errors name the file and line: "DIR/MLmodel:3: expected 'key: value'".
 */
#ifndef LL_MLMODEL_H
#define LL_MLMODEL_H

#include "util/err.h"

typedef struct ll_mlmodel_entry {
    char *path;  /* "flavors.keras.loader_module" */
    char *value; /* the scalar; NULL for a nested mapping */
    int line;    /* 1-based */
} ll_mlmodel_entry;

typedef struct ll_mlmodel {
    char *file; /* DIR/MLmodel */
    ll_mlmodel_entry *e;
    int n, cap;
} ll_mlmodel;

/* Read DIR/MLmodel into *out (cleared first; free with ll_mlmodel_clear,
 * also after a failure).  A missing file is LL_ENOTFOUND "no MLmodel file
 * in DIR". */
int ll_mlmodel_read(const char *dir, ll_mlmodel *out, ll_err *err);
void ll_mlmodel_clear(ll_mlmodel *m);
/* The entry at a dotted path, or NULL. */
const ll_mlmodel_entry *ll_mlmodel_get(const ll_mlmodel *m, const char *path);

#endif
