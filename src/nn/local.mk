# nn/: tensors, autograd, layers, losses, optimizers (DESIGN.md 5.7).
liblualab_a_SOURCES += src/nn/tensor.h src/nn/nn_int.h src/nn/tensor.c \
	src/nn/ops.c src/nn/layers.h src/nn/rnn.c src/nn/layers.c \
	src/nn/loss.c src/nn/optim.c src/nn/safetensors.h src/nn/safetensors.c src/nn/lua_nn.h src/nn/lua_nn.c
LL_MODULES += _nn
LL_LUA_FILES += lua/lualab/nn.lua
TESTS += tests/lua/nn_spec.lua
EXTRA_DIST += tests/lua/nn_spec.lua tests/fixtures/make_nn.py \
	$(wildcard $(srcdir)/tests/fixtures/nn/*.safetensors)
