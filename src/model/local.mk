# model/: load logged models and predict in C (DESIGN 5.8).
liblualab_a_SOURCES += src/model/model.h src/model/model_int.h \
	src/model/model.c src/model/mlmodel.c src/model/mlmodel.h src/model/cfg.c src/model/seq.c src/model/keras.c src/model/nnflavor.c \
	src/model/lua_model.c
LL_MODULES += _model
EXTRA_DIST += docs/models.md tests/fixtures/model tests/fixtures/nn_model \
	tests/fixtures/make_nn_model.py

check_PROGRAMS += tests/c/test_model
TESTS += tests/c/test_model
tests_c_test_model_SOURCES = tests/c/test_model.c
tests_c_test_model_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_model_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/lua/model_spec.lua tests/lua/nn_model_spec.lua
EXTRA_DIST += tests/lua/model_spec.lua tests/lua/nn_model_spec.lua tests/c/test_model.c
EXTRA_DIST += bench/model/bench.lua bench/model/run.sh bench/model/RESULTS.md

# The safetensors and model-directory fuzz targets (./configure
# --enable-fuzzing, clang; see docs/models.md).
EXTRA_DIST += tests/fuzz/fuzz_safetensors.c tests/fuzz/run_fuzz_safetensors.sh \
	tests/fuzz/fuzz_model.c tests/fuzz/run_fuzz_model.sh tests/c/test_oom.c
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_safetensors tests/fuzz/fuzz_model
tests_fuzz_fuzz_safetensors_SOURCES = tests/fuzz/fuzz_safetensors.c
tests_fuzz_fuzz_safetensors_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_safetensors_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_safetensors_LDADD = $(LL_LIBS)
tests_fuzz_fuzz_model_SOURCES = tests/fuzz/fuzz_model.c
tests_fuzz_fuzz_model_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_model_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_model_LDADD = $(LL_LIBS)
TESTS += tests/fuzz/run_fuzz_safetensors.sh tests/fuzz/run_fuzz_model.sh
endif
