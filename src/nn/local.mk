# nn/: tensors, autograd, layers, losses, optimizers (DESIGN.md 5.7).
liblualab_a_SOURCES += src/nn/tensor.h src/nn/nn_int.h src/nn/tensor.c src/nn/blas.c src/nn/blas.h \
	src/nn/ops.c src/nn/fastmath.h src/nn/layers.h src/nn/rnn.c src/nn/layers.c \
	src/nn/loss.c src/nn/optim.c src/nn/safetensors.h src/nn/safetensors.c src/nn/render.c src/nn/lua_nn.h src/nn/lua_nn.c
LL_MODULES += _nn
LL_LUA_FILES += lua/lualab/nn.lua
TESTS += tests/lua/nn_spec.lua
EXTRA_DIST += tests/lua/nn_spec.lua tests/fixtures/make_nn.py \
	tests/fixtures/make_nn_render.py tests/fixtures/nn/render.txt \
	tests/fixtures/nn/conv1d.safetensors \
	tests/fixtures/nn/embedding.safetensors \
	tests/fixtures/nn/gru.safetensors \
	tests/fixtures/nn/gru_bi.safetensors \
	tests/fixtures/nn/linear.safetensors \
	tests/fixtures/nn/loss_bce.safetensors \
	tests/fixtures/nn/loss_bce_logits.safetensors \
	tests/fixtures/nn/loss_cross_entropy.safetensors \
	tests/fixtures/nn/loss_huber.safetensors \
	tests/fixtures/nn/loss_l1.safetensors \
	tests/fixtures/nn/loss_mse.safetensors \
	tests/fixtures/nn/loss_nll.safetensors \
	tests/fixtures/nn/lstm1.safetensors \
	tests/fixtures/nn/lstm2.safetensors \
	tests/fixtures/nn/lstm_bi.safetensors \
	tests/fixtures/nn/lstmcell.safetensors \
	tests/fixtures/nn/optim_adagrad.safetensors \
	tests/fixtures/nn/optim_adam.safetensors \
	tests/fixtures/nn/optim_adamw.safetensors \
	tests/fixtures/nn/optim_rmsprop.safetensors \
	tests/fixtures/nn/optim_sgd.safetensors

check_PROGRAMS += tests/c/test_tensor tests/c/test_nn
TESTS += tests/c/test_tensor tests/c/test_nn
EXTRA_DIST += tests/c/nn_gradcheck.h
tests_c_test_tensor_SOURCES = tests/c/test_tensor.c
tests_c_test_tensor_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_tensor_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_nn_SOURCES = tests/c/test_nn.c
tests_c_test_nn_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_nn_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/c/test_blas
TESTS += tests/c/test_blas tests/blas_fallback.sh
EXTRA_DIST += tests/blas_fallback.sh
tests_c_test_blas_SOURCES = tests/c/test_blas.c
tests_c_test_blas_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_blas_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
