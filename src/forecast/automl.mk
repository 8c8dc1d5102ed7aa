# Automated ML forecasting (issue 13): featurization, metrics, regression
# models, the search, the pipeline and its model flavor, the `automl` Lua
# module.  Included from src/forecast/local.mk.
liblualab_a_SOURCES += src/forecast/automl.h src/forecast/automl_int.h \
	src/forecast/metrics.c src/forecast/features.c src/forecast/linear.c \
	src/forecast/trees.c src/forecast/xgb.c src/forecast/knn.c src/forecast/lstm.c \
	src/forecast/automl.c \
	src/forecast/pipeline.c src/forecast/pipeline_io.c src/forecast/explain.c \
	src/forecast/lua_automl.c src/forecast/flavor.c
LL_MODULES += automl
# a stream's fitted models (with_forecast)
liblualab_a_SOURCES += src/forecast/pipeline_stream.c
LL_LUA_FILES += lua/lualab/_automl.lua lua/lualab/_automl_cli.lua
LL_COMMANDS += automl

check_PROGRAMS += tests/c/test_automl_metrics tests/c/test_automl_search
TESTS += tests/c/test_automl_metrics tests/c/test_automl_search
tests_c_test_automl_metrics_SOURCES = tests/c/test_automl_metrics.c
tests_c_test_automl_metrics_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_automl_metrics_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_automl_search_SOURCES = tests/c/test_automl_search.c
tests_c_test_automl_search_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_automl_search_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/make_automl.py tests/fixtures/automl
TESTS += tests/lua/automl_spec.lua
EXTRA_DIST += tests/lua/automl_spec.lua
TESTS += tests/automl_cli.sh
EXTRA_DIST += tests/automl_cli.sh
EXTRA_DIST += docs/automl.md
EXTRA_DIST += bench/automl/bench.sh bench/automl/peer.R \
	bench/automl/bench_automl.lua bench/automl/battery.lua \
	bench/automl/RESULTS.md

# The LSTM forecaster (enable_dnn).
check_PROGRAMS += tests/c/test_automl_lstm
TESTS += tests/c/test_automl_lstm
tests_c_test_automl_lstm_SOURCES = tests/c/test_automl_lstm.c
tests_c_test_automl_lstm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DFIXTURE_DIR='"$(abs_top_srcdir)/tests/fixtures/automl"'
tests_c_test_automl_lstm_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/make_automl_lstm.py
