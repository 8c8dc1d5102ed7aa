/* model internals shared by model.c (MLmodel, frames) and the flavors. */
#ifndef LL_MODEL_INT_H
#define LL_MODEL_INT_H

#include <cjson/cJSON.h>

#include "model/model.h"

struct ll_model {
    char *dir;
    char *flavor;
    int in_ndim, out_ndim;
    int64_t in_shape[LL_MAXDIM], out_shape[LL_MAXDIM];
    int nin, nout;
    char **in_names, **out_names;
    /* The flavor's state and functions. */
    void *impl;
    int (*forward)(void *impl, ll_tensor *x, ll_tensor **y, ll_err *err);
    void (*free_impl)(void *impl);
    int nlayers;
    const char *(*layer_type)(void *impl, int i);
    /* Flavors that score frames directly (forecast): NULL otherwise. */
    int (*predict_frame)(void *impl, const ll_frame *in, ll_frame **out,
                         ll_err *err);
};

/* The keras flavor: reads m->dir's config.json and weights.safetensors,
 * sets the shapes, impl and functions. */
int ll_keras_load(ll_model *m, ll_err *err);
/* The nn flavor: the same from the config.json and weights.safetensors
 * that nn.lua's Sequential:save writes (PyTorch names and layouts). */
int ll_nnflavor_load(ll_model *m, ll_err *err);

/* The forecast flavor (src/forecast/flavor.c): an automated ML pipeline
 * directory; it predicts frames of future rows. */
int ll_forecast_flavor_load(ll_model *m, ll_err *err);

/* Out of memory, as a status with its message. */
static inline int ll_model_oom(ll_err *err)
{
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

/* The status of a failed tensor call (its message is already in err). */
static inline int ll_model_tensor_err(ll_err *err)
{
    return err && err->code ? err->code : LL_ENOMEM;
}

/* cfg.c: config.json readers shared by the flavors.  An integer option
 * absent from c is `def`, or an error naming file and layer when def <
 * min (required). */
const cJSON *ll_cfg_get(const cJSON *o, const char *key);
int ll_cfg_int(const char *file, const char *layer, const cJSON *c,
               const char *key, int def, int min, int *out, ll_err *err);
int ll_cfg_bool(const cJSON *c, const char *key, int def);
double ll_cfg_num(const cJSON *c, const char *key, double def);
const char *ll_cfg_str(const cJSON *c, const char *key, const char *def);
/* 1-based line and column of byte off in text (for JSON errors). */
void ll_cfg_line_col(const char *text, size_t off, int *line, int *col);

#endif
