# frame/: columnar dataframes, CSV on libcsv, the `df` Lua module.
liblualab_a_SOURCES += src/frame/column.c src/frame/column_ops.c src/frame/column_verbs.c \
	src/frame/column.h \
	src/frame/frame.c src/frame/frame.h src/frame/frame_int.h \
	src/frame/parse.c src/frame/csv_int.h src/frame/csv_read.c \
	src/frame/csv_parse.c src/frame/csv_infer.c src/frame/csv_text.c \
	src/frame/csv_threads.c src/frame/csv_write.c \
	src/frame/sort.c src/frame/groupby.c src/frame/join.c \
	src/frame/timeseries.c src/frame/print.c src/frame/expr.c \
	src/frame/missing.c src/frame/matrix.c src/frame/reshape.c \
	src/frame/lua_frame.h src/frame/lua_frame_int.h src/frame/lua_df.c \
	src/frame/lua_frame.c src/frame/lua_column.c src/frame/lua_groupby.c
LL_MODULES += df

TESTS += tests/lua/frame_spec.lua
EXTRA_DIST += tests/lua/frame_spec.lua tests/fixtures/csv

check_PROGRAMS += tests/c/test_frame
TESTS += tests/c/test_frame
tests_c_test_frame_SOURCES = tests/c/test_frame.c
tests_c_test_frame_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_frame_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/c/test_frame_core
TESTS += tests/c/test_frame_core
tests_c_test_frame_core_SOURCES = tests/c/test_frame_core.c
tests_c_test_frame_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_frame_core_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/lua/frame_peer_spec.lua tests/lua/frame_verbs_spec.lua
EXTRA_DIST += tests/lua/frame_peer_spec.lua tests/lua/frame_verbs_spec.lua \
	tests/fixtures/frame \
	tests/fixtures/make_frame.py

# The CSV fuzz target (./configure --enable-fuzzing, clang; see docs/frame.md).
EXTRA_DIST += tests/fuzz/fuzz_csv.c tests/fuzz/run_fuzz_csv.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_csv
tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c
tests_fuzz_fuzz_csv_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_csv_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_csv_LDADD = $(LL_LIBS)
TESTS += tests/fuzz/run_fuzz_csv.sh
endif
