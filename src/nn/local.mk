# nn/: tensors, autograd, layers, losses, optimizers (DESIGN.md 5.7).
liblualab_a_SOURCES += src/nn/tensor.h src/nn/nn_int.h src/nn/tensor.c \
	src/nn/ops.c src/nn/layers.h src/nn/rnn.c src/nn/layers.c \
	src/nn/loss.c src/nn/optim.c src/nn/safetensors.h src/nn/safetensors.c src/nn/lua_nn.h src/nn/lua_nn.c
LL_MODULES += _nn
