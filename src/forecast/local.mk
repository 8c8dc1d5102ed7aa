# forecast/: univariate forecasting models in C (DESIGN 5.9).
liblualab_a_SOURCES += src/forecast/forecast.h src/forecast/optim.h \
	src/forecast/families.h src/forecast/forecast.c \
	src/forecast/registry.c src/forecast/optim.c src/forecast/naive.c

EXTRA_DIST += tests/fixtures/make_forecast.R tests/fixtures/forecast \
	tests/c/forecast_fixture.h

check_PROGRAMS += tests/c/test_forecast_optim tests/c/test_forecast_naive
TESTS += tests/c/test_forecast_optim tests/c/test_forecast_naive
tests_c_test_forecast_optim_SOURCES = tests/c/test_forecast_optim.c
tests_c_test_forecast_optim_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_optim_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_naive_SOURCES = tests/c/test_forecast_naive.c
tests_c_test_forecast_naive_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_naive_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

# Automated ML forecasting (issue 13): featurization, metrics, regression
# models, the search, the pipeline, the `automl` Lua module.
liblualab_a_SOURCES += src/forecast/automl.h src/forecast/automl_int.h \
	src/forecast/metrics.c src/forecast/features.c src/forecast/linear.c \
	src/forecast/trees.c src/forecast/knn.c src/forecast/automl.c \
	src/forecast/pipeline.c src/forecast/pipeline_io.c src/forecast/explain.c \
	src/forecast/lua_automl.c src/forecast/flavor.c
LL_MODULES += automl
LL_LUA_FILES += lua/lualab/_automl.lua
