# frame/: columnar dataframes, CSV on libcsv, the `df` Lua module.
liblualab_a_SOURCES += src/frame/column.c src/frame/column.h \
	src/frame/frame.c src/frame/frame.h src/frame/frame_int.h \
	src/frame/parse.c src/frame/csv_read.c src/frame/csv_write.c \
	src/frame/sort.c src/frame/groupby.c src/frame/join.c \
	src/frame/timeseries.c src/frame/print.c src/frame/expr.c \
	src/frame/lua_frame.c
LL_MODULES += df

TESTS += tests/lua/frame_spec.lua
EXTRA_DIST += tests/lua/frame_spec.lua tests/fixtures/csv

check_PROGRAMS += tests/c/test_frame
TESTS += tests/c/test_frame
tests_c_test_frame_SOURCES = tests/c/test_frame.c
tests_c_test_frame_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_frame_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
