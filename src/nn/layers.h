/*
 * layers: coarse ops with fused hand-written backward (Linear, Embedding,
 * LSTM/GRU/RNN layers, Conv1d, pooling, Dropout, LayerNorm), losses and
 * optimizers over flat parameter buffers.
 *
 * Shapes follow PyTorch.  Functions return a new reference or NULL with err
 * naming the layer (`name`, e.g. "Linear(4, 3)") and the shapes involved.
 * Weights are borrowed; outputs record one autograd node per call.
 */
#ifndef LL_LAYERS_H
#define LL_LAYERS_H

#include "nn/tensor.h"

/* y = x W^T + b; x (..., in), W (out, in), b (out) or NULL. */
ll_tensor *ll_linear(const char *name, ll_tensor *x, ll_tensor *w, ll_tensor *b,
                     ll_err *err);
/* Rows of w (n, d) picked by idx (any shape of integral values); rows equal
 * to padding_idx (or -1 for none) get no gradient. */
ll_tensor *ll_embedding(const char *name, ll_tensor *idx, ll_tensor *w,
                        int64_t padding_idx, ll_err *err);

typedef enum { LL_CELL_LSTM, LL_CELL_GRU, LL_CELL_TANH, LL_CELL_RELU } ll_cell;

/* One recurrent layer in one direction over a whole sequence.
 * x (T, B, D) time-major; h0 (B, H) or NULL; c0 (B, H) (LSTM only) or NULL;
 * w_ih (G*H, D), w_hh (G*H, H), b_ih/b_hh (G*H) or NULL, G = 4 (LSTM,
 * gates i f g o), 3 (GRU, gates r z n), 1 (tanh/relu RNN).  reverse runs
 * t = T-1 .. 0.  rec_mask (B, H) or NULL multiplies h_{t-1} before the
 * recurrent GEMM (Keras recurrent_dropout).  out[0] = outputs (T, B, H),
 * out[1] = h_T (B, H), out[2] = c_T (LSTM; NULL otherwise). */
int ll_rnn_layer(const char *name, ll_cell cell, ll_tensor *x, ll_tensor *h0,
                 ll_tensor *c0, ll_tensor *w_ih, ll_tensor *w_hh,
                 ll_tensor *b_ih, ll_tensor *b_hh, int reverse,
                 ll_tensor *rec_mask, ll_tensor **out, ll_err *err);

/* x (B, C, L), w (O, C, K), b (O) or NULL. */
ll_tensor *ll_conv1d(const char *name, ll_tensor *x, ll_tensor *w, ll_tensor *b,
                     int stride, int padding, int dilation, ll_err *err);
/* x (B, C, L); max (is_max) or average over windows of k. */
ll_tensor *ll_pool1d(const char *name, ll_tensor *x, int is_max, int k,
                     int stride, int padding, ll_err *err);
/* Inverted dropout: zero with probability p, scale the rest by 1/(1-p). */
ll_tensor *ll_dropout(ll_tensor *x, double p, int training, ll_err *err);
/* A dropout mask of shape: 0 or 1/(1-p). */
ll_tensor *ll_dropout_mask(int ndim, const int64_t *shape, double p,
                           ll_err *err);
/* Normalise over the last dim; w, b (D) or NULL. */
ll_tensor *ll_layer_norm(const char *name, ll_tensor *x, ll_tensor *w,
                         ll_tensor *b, double eps, ll_err *err);

typedef enum {
    LL_LOSS_MSE,
    LL_LOSS_L1,
    LL_LOSS_HUBER, /* arg = delta */
    LL_LOSS_BCE,   /* input probabilities */
    LL_LOSS_BCE_LOGITS,
    LL_LOSS_CE, /* input logits (N, C), target class indices (N) */
    LL_LOSS_NLL /* input log-probabilities (N, C), target (N) */
} ll_loss_kind;

typedef enum { LL_RED_MEAN, LL_RED_SUM, LL_RED_NONE } ll_reduction;

/* ignore_index applies to CE/NLL (-100 as PyTorch). */
ll_tensor *ll_loss(ll_loss_kind kind, ll_tensor *input, ll_tensor *target,
                   ll_reduction red, double arg, int64_t ignore_index,
                   ll_err *err);

/* ---- optimizers ---------------------------------------------------------- */

typedef enum {
    LL_OPT_SGD,
    LL_OPT_ADAM,
    LL_OPT_ADAMW,
    LL_OPT_RMSPROP,
    LL_OPT_ADAGRAD
} ll_opt_kind;

typedef struct ll_opt_conf {
    ll_opt_kind kind;
    double lr, momentum, dampening, weight_decay;
    int nesterov;
    double beta1, beta2, eps;             /* Adam/AdamW */
    double alpha;                         /* RMSprop smoothing */
    double lr_decay, initial_accumulator; /* Adagrad */
} ll_opt_conf;

typedef struct ll_optim ll_optim;

/* Moves the n parameters (leaf tensors) into one flat buffer and their
 * gradients into another (the tensors stay valid; their storage changes).
 * params are referenced by the optimizer. */
ll_optim *ll_optim_new(const ll_opt_conf *conf, ll_tensor **params, int n,
                       ll_err *err);
void ll_optim_free(ll_optim *o);
int ll_optim_step(ll_optim *o, ll_err *err);
void ll_optim_zero_grad(ll_optim *o);
double ll_optim_get_lr(const ll_optim *o);
void ll_optim_set_lr(ll_optim *o, double lr);
/* Total 2-norm of the gradients of params (any tensors), scaled down to
 * max_norm if larger; returns the norm before clipping. */
double ll_clip_grad_norm(ll_tensor **params, int n, double max_norm);
void ll_clip_grad_value(ll_tensor **params, int n, double clip);

#endif
