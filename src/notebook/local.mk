# notebook/: the notebook model, its file formats (percent .lua, .ipynb,
# .md), running a cell into outputs, the headless runner and `convert`.
liblualab_a_SOURCES += src/notebook/notebook.h src/notebook/nb_int.h \
	src/notebook/exec.h src/notebook/keeper.h \
	src/notebook/notebook.c src/notebook/format_percent.c \
	src/notebook/format_ipynb.c src/notebook/format_md.c \
	src/notebook/exec.c src/notebook/keeper.c src/notebook/runner.c \
	src/notebook/convert.c src/notebook/svg_png.c
# librsvg's headers for svg_png.c (configure marks them -isystem).
AM_CFLAGS += $(RSVG_CFLAGS)
LL_COMMANDS += convert

check_PROGRAMS += tests/c/test_notebook tests/c/test_notebook_ipynb \
	tests/c/test_notebook_fuzz
TESTS += tests/c/test_notebook tests/c/test_notebook_ipynb \
	tests/c/test_notebook_fuzz
tests_c_test_notebook_SOURCES = tests/c/test_notebook.c
tests_c_test_notebook_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_notebook_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_notebook_ipynb_SOURCES = tests/c/test_notebook_ipynb.c
tests_c_test_notebook_ipynb_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_notebook_ipynb_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_notebook_fuzz_SOURCES = tests/c/test_notebook_fuzz.c
tests_c_test_notebook_fuzz_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_notebook_fuzz_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/runner.sh tests/convert.sh tests/nb_scale.sh
EXTRA_DIST += tests/runner.sh tests/convert.sh tests/nb_scale.sh
EXTRA_DIST += docs/notebooks.md bench/startup/run.sh bench/startup/RESULTS.md \
	bench/notebook/scale.sh

# The lab notebooks install under $(pkgdatadir)/notebooks/.  List each one
# here by name as it lands (no wildcards: automake needs the files), e.g.
#   nobase_dist_pkgdata_DATA += notebooks/00-tour.lua

# libFuzzer targets for the three readers, each with a write-then-read round
# trip (./configure --enable-fuzzing, clang; .ci/run runs every
# tests/fuzz/run_fuzz_*.sh).
EXTRA_DIST += tests/fuzz/nb_fuzz.h tests/fuzz/nb_fuzz_lib.sh \
	tests/fuzz/fuzz_nb_percent.c tests/fuzz/fuzz_nb_ipynb.c \
	tests/fuzz/fuzz_nb_md.c tests/fuzz/run_fuzz_nb_percent.sh \
	tests/fuzz/run_fuzz_nb_ipynb.sh tests/fuzz/run_fuzz_nb_md.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_nb_percent tests/fuzz/fuzz_nb_ipynb \
	tests/fuzz/fuzz_nb_md
tests_fuzz_fuzz_nb_percent_SOURCES = tests/fuzz/fuzz_nb_percent.c
tests_fuzz_fuzz_nb_percent_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_nb_percent_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_nb_percent_LDADD = $(LL_LIBS)
tests_fuzz_fuzz_nb_ipynb_SOURCES = tests/fuzz/fuzz_nb_ipynb.c
tests_fuzz_fuzz_nb_ipynb_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_nb_ipynb_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_nb_ipynb_LDADD = $(LL_LIBS)
tests_fuzz_fuzz_nb_md_SOURCES = tests/fuzz/fuzz_nb_md.c
tests_fuzz_fuzz_nb_md_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_nb_md_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_nb_md_LDADD = $(LL_LIBS)
TESTS += tests/fuzz/run_fuzz_nb_percent.sh tests/fuzz/run_fuzz_nb_ipynb.sh \
	tests/fuzz/run_fuzz_nb_md.sh
endif
