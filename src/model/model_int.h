/* model internals shared by model.c (MLmodel, frames) and the flavors. */
#ifndef LL_MODEL_INT_H
#define LL_MODEL_INT_H

#include <cjson/cJSON.h>

#include "model/model.h"
#include "nn/layers.h"

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

/* ---- seq.c: the one sequential-model loader ------------------------------
 * Both flavors are a config.json (class_name "Sequential", input_shape,
 * layers) plus weights.safetensors.  seq.c walks the config, looks weights
 * up, checks shapes and runs the forward pass; a flavor (keras.c,
 * nnflavor.c) supplies its config keys, its weight names and layouts and a
 * table of layer builders that fill an ll_seqlayer. */

/* The forecast flavor (src/forecast/flavor.c): an automated ML pipeline
 * directory; it predicts frames of future rows. */
int ll_forecast_flavor_load(ll_model *m, ll_err *err);

/* Out of memory, as a status with its message. */
static inline int ll_model_oom(ll_err *err)
{
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

typedef struct ll_seqshape {
    int nd;
    int64_t d[LL_MAXDIM];
} ll_seqshape;

typedef enum {
    LL_SL_LINEAR,
    LL_SL_EMBEDDING,
    LL_SL_RNN,
    LL_SL_LASTSTEP,
    LL_SL_IDENTITY,
    LL_SL_ACT, /* the activation alone */
    LL_SL_FLATTEN,
    LL_SL_REPEAT,
    LL_SL_LAYERNORM,
    LL_SL_CONV1D,
    LL_SL_POOL,
    LL_SL_GPOOL,
    LL_SL_BIDI,
    LL_SL_TIMEDIST
} ll_seqkind;

/* An activation applied after a layer (or alone, LL_SL_ACT). */
typedef enum { LL_ACT_NONE, LL_ACT_UNARY, LL_ACT_SOFTMAX } ll_actkind;
typedef struct ll_seqact {
    ll_actkind kind;
    ll_unop op; /* LL_ACT_UNARY */
    float arg;  /* its argument (slope, alpha) */
    int dim;    /* LL_ACT_SOFTMAX: batch-first dim, < 0 from the end */
    int is_log;
} ll_seqact;

typedef enum {
    LL_MERGE_CONCAT,
    LL_MERGE_SUM,
    LL_MERGE_MUL,
    LL_MERGE_AVE
} ll_merge;

typedef struct ll_seqlayer ll_seqlayer;
struct ll_seqlayer {
    ll_seqkind kind;
    char *type, *name; /* as in config.json ("Dense", "dense_1") */
    char *label;       /* for errors: "Dense dense_1", "LSTM '1'" */
    char *wname;       /* weight-name prefix; '*' matches a run of non-'/' */
    ll_seqact act;
    ll_tensor *w, *b; /* Linear (out, in), Embedding, LayerNorm, Conv (o,c,k) */
    int64_t padding_idx;
    double eps;
    /* recurrent: per layer and direction (PyTorch's order and layouts) */
    ll_cell cell;
    int nlayers, dirs;
    ll_tensor **w_ih, **w_hh, **b_ih, **b_hh;
    int return_sequences; /* else the last hidden state (one layer, dir) */
    int go_backwards;     /* Keras: run reversed, outputs in that order */
    /* Bidirectional (fwd, bwd, merge), TimeDistributed (inner) */
    ll_seqlayer *fwd, *bwd, *inner;
    ll_merge merge;
    /* Flatten start dim, global-pool dim, RepeatVector n */
    int dim, n;
    /* Conv, pools: channels_last for (B, T, C) inputs (Keras) */
    int k, stride, pad, dilation, is_max, channels_last;
};

typedef struct ll_seqload ll_seqload;
typedef int (*ll_seqbuild)(ll_seqload *ld, ll_seqlayer *l, const cJSON *c,
                           ll_seqshape *s, ll_err *err);

typedef struct ll_seqtype {
    const char *type;
    ll_seqbuild build;
} ll_seqtype;

typedef struct ll_seqflavor {
    const char *name;        /* "keras", "nn" */
    const char *type_key;    /* the key of a layer's class: "class_name" */
    int quote_name;          /* labels "LSTM '1'", else "Dense dense_1" */
    char wsep;               /* between a weight prefix and its name */
    const char *cfg_missing; /* after "needs config.json" */
    const char *unbuilt;     /* after "'input_shape' must be ... sizes" */
    const ll_seqtype *types;
    int ntypes;
    /* Before the layers are built (may be NULL). */
    void (*prepare)(ll_seqload *ld, const cJSON *layers);
} ll_seqflavor;

struct ll_seqload {
    const ll_seqflavor *fl;
    char cfgfile[4096], wfile[4096];
    char **names;
    ll_tensor **ts;
    int nw;
    int time_major; /* nn: the Lua input is (time, batch, ...) */
    int timed;      /* nn: the tensor is still a sequence in that layout */
};

/* Load m->dir's config.json and weights.safetensors with flavor fl: sets
 * the shapes, impl and functions of m. */
int ll_seq_load(ll_model *m, const ll_seqflavor *fl, ll_err *err);
extern const ll_seqflavor ll_keras_flavor, ll_nn_flavor;

/* For the flavors' builders. */
ll_seqlayer *ll_seq_new_layer(const ll_seqload *ld, const char *type,
                              const char *name);
/* Build l (its type already set) from config c through the flavor's table. */
int ll_seq_build(ll_seqload *ld, ll_seqlayer *l, const cJSON *c, ll_seqshape *s,
                 ll_err *err);
int ll_seq_int(const ll_seqload *ld, const ll_seqlayer *l, const cJSON *c,
               const char *key, int def, int min, int *out, ll_err *err);
/* "FILE: layer 'NAME' (TYPE): WANT, got [shape]" */
int ll_seq_shape_err(const ll_seqload *ld, const ll_seqlayer *l,
                     const char *want, const ll_seqshape *s, ll_err *err);
/* "FILE: layer 'NAME': unsupported WHAT 'VALUE'" */
int ll_seq_unsupported(const ll_seqload *ld, const ll_seqlayer *l,
                       const char *what, const char *value, ll_err *err);
/* The weight <wname><wsep><w> of the given shape, contiguous; with perm,
 * its dims permuted (perm[i] = source dim of dim i) into a new tensor. */
int ll_seq_weight(const ll_seqload *ld, const ll_seqlayer *l, const char *w,
                  int nd, const int64_t *shape, const int *perm,
                  ll_tensor **out, ll_err *err);
/* Room for nlayers * dirs recurrent weights. */
int ll_seq_rnn_alloc(ll_seqlayer *l, int nlayers, int dirs, ll_err *err);
/* Output length of a conv or pool over len steps; < 1 when too short. */
int64_t ll_seq_conv_len(int64_t len, int k, int stride, int64_t pad,
                        int dilation);

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
