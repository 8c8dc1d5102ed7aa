# notebook/: the notebook model, its file formats (percent .lua, .ipynb,
# .md), running a cell into outputs, the headless runner and `convert`.
liblualab_a_SOURCES += src/notebook/notebook.h src/notebook/nb_int.h \
	src/notebook/notebook.c src/notebook/format_percent.c \
	src/notebook/format_ipynb.c src/notebook/format_md.c \
	src/notebook/exec.c src/notebook/runner.c src/notebook/convert.c \
	src/notebook/svg_png.c
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
TESTS += tests/runner.sh tests/convert.sh
EXTRA_DIST += tests/runner.sh tests/convert.sh
EXTRA_DIST += docs/notebooks.md bench/startup/run.sh bench/startup/RESULTS.md

# The lab notebooks install under $(pkgdatadir)/notebooks/.  List each one
# here by name as it lands (no wildcards: automake needs the files), e.g.
#   nobase_dist_pkgdata_DATA += notebooks/00-tour.lua
