/*
 * model: load a logged model directory and predict without Lua (DESIGN 5.8).
 *
 * A logged model is a directory with an `MLmodel` file (YAML: flavors,
 * signature, run_id, ...) and the flavor's files.  ll_model_load reads
 * MLmodel, picks the flavor and loads it; predictions run on nn's C layer
 * functions in inference mode (dropout off, no autograd).
 *
 * Flavors:
 *   keras  config.json (the Sequential config lualab's keras writes) and
 *          weights.safetensors (Keras layouts, named "<layer>/<weight>").
 *          Layers: Dense, Activation, Dropout, Flatten, RepeatVector,
 *          Embedding, LSTM, GRU, SimpleRNN, Bidirectional, Conv1D,
 *          MaxPooling1D, AveragePooling1D, GlobalMaxPooling1D,
 *          GlobalAveragePooling1D, TimeDistributed.
 *   nn     config.json (nn.lua's Sequential:save: layers with their
 *          constructor options) and weights.safetensors (PyTorch's
 *          state-dict names and layouts).  Layers: Linear, Embedding,
 *          LSTM, GRU, RNN, LastStep, Dropout, activations, LayerNorm,
 *          Flatten, Conv1d, pools.  Inputs are batch first even for
 *          time-major (batch_first = false) models.
 *
 * Not thread-safe: nn's grad mode and buffer pool are process-wide, so
 * call predict from one thread at a time.
 *
 * Shapes below leave out the batch dimension: a model with input shape
 * [4] takes tensors [N, 4]; an Embedding model with input_length 20 takes
 * [N, 20] indices.
 */
#ifndef LL_MODEL_H
#define LL_MODEL_H

#include <stdint.h>

#include "frame/frame.h"
#include "nn/tensor.h"
#include "util/err.h"

typedef struct ll_model ll_model;

/* Load the model in dir.  Errors name the file (and the key, line or
 * layer): "no MLmodel file in DIR", "DIR/MLmodel: unknown flavor 'x' ...",
 * "DIR/config.json: layer 2 'norm': unsupported layer type 'X'". */
int ll_model_load(const char *dir, ll_model **out, ll_err *err);
void ll_model_free(ll_model *m); /* accepts NULL */

/* in: [N, input shape...]; *out: [N, output shape...] (a new reference). */
int ll_model_predict_tensor(ll_model *m, const ll_tensor *in, ll_tensor **out,
                            ll_err *err);

/* Rows of in -> a frame with one float column `prediction` (one output
 * value per row) or one column per output value (named by the signature's
 * outputs when it names that many, else prediction_0, prediction_1, ...).
 * The input columns are the signature's input names when MLmodel has a
 * column signature, else every numeric column in order; their count must
 * equal the number of input values per row. */
int ll_model_predict(ll_model *m, const ll_frame *in, ll_frame **out,
                     ll_err *err);

/* "keras" or "nn" */
const char *ll_model_flavor(const ll_model *m);
/* The directory it was loaded from. */
const char *ll_model_dir(const ll_model *m);
/* Input and output shapes without the batch dimension. */
int ll_model_input_ndim(const ll_model *m);
const int64_t *ll_model_input_shape(const ll_model *m);
int ll_model_output_ndim(const ll_model *m);
const int64_t *ll_model_output_shape(const ll_model *m);
/* Names from MLmodel's signature (0 when it has none or names none). */
int ll_model_n_inputs(const ll_model *m);
const char *ll_model_input_name(const ll_model *m, int i);
int ll_model_n_outputs(const ll_model *m);
const char *ll_model_output_name(const ll_model *m, int i);
/* Number of layers and the class name of layer i ("Dense", ...). */
int ll_model_n_layers(const ll_model *m);
const char *ll_model_layer_type(const ll_model *m, int i);

#endif
