# track/: experiment tracking and the model registry on SQLite (DESIGN 5.8).
liblualab_a_SOURCES += src/track/track.h src/track/store_int.h \
	src/track/store.c src/track/experiments.c src/track/runs.c \
	src/track/metrics.c src/track/artifacts.c \
	src/track/filter.c src/track/registry.c src/track/export_mlflow.c \
	src/track/view.h src/track/view.c src/track/cli.c src/track/lua_track.c \
	src/track/model_uri.c
LL_MODULES += mlflow
LL_COMMANDS += runs models
LL_LUA_FILES += lua/lualab/_mlflow.lua

check_PROGRAMS += tests/c/test_track_store
TESTS += tests/c/test_track_store
tests_c_test_track_store_SOURCES = tests/c/test_track_store.c
tests_c_test_track_store_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_track_store_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/c/test_track_registry tests/c/test_track_export
TESTS += tests/c/test_track_registry tests/c/test_track_export
tests_c_test_track_registry_SOURCES = tests/c/test_track_registry.c
tests_c_test_track_registry_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_track_registry_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_track_export_SOURCES = tests/c/test_track_export.c
tests_c_test_track_export_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_track_export_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/track
TESTS += tests/lua/mlflow_spec.lua
EXTRA_DIST += tests/lua/mlflow_spec.lua
TESTS += tests/track_concurrency.sh
EXTRA_DIST += tests/track_concurrency.sh tests/track/conc_worker.lua
EXTRA_DIST += docs/tracking.md bench/track/bench.sh bench/track/bench_track.lua bench/track/bench_peer.py bench/track/RESULTS.md

check_PROGRAMS += tests/c/test_track_view
TESTS += tests/c/test_track_view
tests_c_test_track_view_SOURCES = tests/c/test_track_view.c
tests_c_test_track_view_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_track_view_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/lua/mlflow_keras_spec.lua
EXTRA_DIST += tests/lua/mlflow_keras_spec.lua
