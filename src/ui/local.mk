# ui/: the full-screen ncursesw notebook (lualab NOTEBOOK on a terminal).
liblualab_a_SOURCES += src/ui/ui.c src/ui/ui_int.h src/ui/ui_draw.c \
	src/ui/ui_keys.c src/ui/ui_edit.c src/ui/ui_markdown.c \
	src/ui/ui_pager.c

# Tests drive the real binary inside tmux (tests/ui/ui_lib.sh).
TESTS += tests/ui/edit.sh tests/ui/run.sh tests/ui/files.sh tests/ui/live.sh tests/ui/board.sh \
	tests/ui/pager.sh tests/ui/signals.sh tests/ui/queries.sh
EXTRA_DIST += tests/ui/ui_lib.sh tests/ui/edit.sh tests/ui/run.sh bench/ui/bench.sh \
	tests/ui/files.sh tests/ui/live.sh tests/ui/pager.sh tests/ui/signals.sh tests/ui/board.sh tests/ui/queries.sh

check_PROGRAMS += tests/c/test_ui
TESTS += tests/c/test_ui
tests_c_test_ui_SOURCES = tests/c/test_ui.c
tests_c_test_ui_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_ui_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
