# serve/: the REST scoring server (`lualab serve`, DESIGN 5.10) and the
# `serve` module that starts one from a kernel and talks to it.
liblualab_a_SOURCES += src/serve/request.h src/serve/request.c \
	src/serve/server.h src/serve/server.c src/serve/cmd_serve.c \
	src/serve/lua_serve.c
LL_MODULES += serve
LL_COMMANDS += serve
EXTRA_DIST += docs/serve.md

check_PROGRAMS += tests/c/test_serve_request
TESTS += tests/c/test_serve_request
tests_c_test_serve_request_SOURCES = tests/c/test_serve_request.c
tests_c_test_serve_request_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_serve_request_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/c/test_serve_request.c

TESTS += tests/serve.sh tests/lua/serve_spec.lua
EXTRA_DIST += tests/serve.sh tests/lua/serve_spec.lua

# The request parser's fuzz target (./configure --enable-fuzzing, clang).
EXTRA_DIST += tests/fuzz/fuzz_serve.c tests/fuzz/run_fuzz_serve.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_serve
tests_fuzz_fuzz_serve_SOURCES = tests/fuzz/fuzz_serve.c
tests_fuzz_fuzz_serve_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_serve_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_serve_LDADD = $(LL_LIBS)
TESTS += tests/fuzz/run_fuzz_serve.sh
endif

EXTRA_DIST += bench/serve/run.sh tests/fixtures/serve/rows.csv
