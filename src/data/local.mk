# data/: the lab's data sets (generators), word vectors, `datasets` module,
# `lualab gen`.
liblualab_a_SOURCES += src/data/generators.c src/data/generators.h \
	src/data/glove.c src/data/cmd_gen.c src/data/lua_data.c
LL_MODULES += datasets
LL_COMMANDS += gen

check_PROGRAMS += tests/c/test_data
TESTS += tests/c/test_data
tests_c_test_data_SOURCES = tests/c/test_data.c
tests_c_test_data_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DLL_TEST_FIXTURES='"$(abs_top_srcdir)/tests/fixtures"'
tests_c_test_data_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

TESTS += tests/lua/datasets_spec.lua tests/gen.sh
EXTRA_DIST += tests/lua/datasets_spec.lua tests/gen.sh \
	tests/fixtures/data/glove-mini.txt tests/fixtures/data/glove-bad.txt \
	tests/fixtures/data/glove-mini.json tests/fixtures/data/glove-bad.json

# The Keras-style front end (Lua over nn) and its text tools.
LL_LUA_FILES += lua/lualab/keras.lua lua/lualab/keras/text.lua \
	lua/lualab/keras/backend.lua \
	lua/lualab/keras/layers.lua lua/lualab/keras/models.lua \
	lua/lualab/keras/callbacks.lua
TESTS += tests/lua/keras_spec.lua
EXTRA_DIST += tests/lua/keras_spec.lua tests/fixtures/keras/text_cases.lua \
	tests/fixtures/keras/make_keras_text.py tests/fixtures/data/README
