# util/: the ground layer every other part may use.
liblualab_a_SOURCES += src/util/err.c src/util/err.h src/util/buf.c \
	src/util/buf.h src/util/fsutil.c src/util/fsutil.h \
	src/util/signals.c src/util/signals.h \
	src/util/calendar.c src/util/calendar.h \
	src/util/json.c src/util/json.h src/util/yaml.c src/util/yaml.h \
	src/util/lua_json.c src/util/lua_fs.c \
	src/util/suggest.c src/util/suggest.h \
	src/util/rng.c src/util/rng.h
LL_MODULES += json _fs

check_PROGRAMS += tests/c/test_util
TESTS += tests/c/test_util
tests_c_test_util_SOURCES = tests/c/test_util.c
tests_c_test_util_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_util_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/lua/json_spec.lua
EXTRA_DIST += tests/lua/json_spec.lua

# Fault injection: the core's allocations fail one at a time (test_oom.c).
check_PROGRAMS += tests/c/test_oom
TESTS += tests/c/test_oom
tests_c_test_oom_SOURCES = tests/c/test_oom.c
tests_c_test_oom_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_oom_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
	-Wl,--wrap=free,--wrap=strdup,--wrap=strndup
tests_c_test_oom_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
