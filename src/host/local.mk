# host/: the kernel (one lua_State), display protocol, capture, interrupts.
liblualab_a_SOURCES += src/host/host.c src/host/host.h src/host/host_int.h \
	src/host/capture.c src/host/display.c src/host/interrupt.c \
	src/host/lua_util.c src/host/lua_util.h \
	src/host/term_sink.c src/host/term_sink.h
nodist_liblualab_a_SOURCES = src/gen/registry.h src/gen/lua_embed.inc

check_PROGRAMS += tests/c/test_host
TESTS += tests/c/test_host
tests_c_test_host_SOURCES = tests/c/test_host.c
tests_c_test_host_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_host_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/display.sh
EXTRA_DIST += tests/display.sh
