# repl/: the readline REPL and the stdin runner.
liblualab_a_SOURCES += src/repl/repl.c src/repl/edit.c src/repl/repl.h \
	src/frontends.h

check_PROGRAMS += tests/c/test_edit
TESTS += tests/c/test_edit tests/repl.sh tests/lua/ux_spec.lua
tests_c_test_edit_SOURCES = tests/c/test_edit.c
tests_c_test_edit_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_edit_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/repl.sh docs/repl.md tests/lua/ux_spec.lua \
	tests/fixtures/make_tensor_print.py tests/fixtures/ux/tensor_print.lua
