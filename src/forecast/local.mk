# forecast/: univariate forecasting models in C (DESIGN 5.9).
liblualab_a_SOURCES += src/forecast/forecast.h src/forecast/optim.h \
	src/forecast/families.h src/forecast/forecast.c \
	src/forecast/registry.c src/forecast/optim.c src/forecast/naive.c \
	src/forecast/ets.c src/forecast/theta.c \
	src/forecast/panel.h src/forecast/panel.c src/forecast/lua_forecast.c \
	src/forecast/arima.h src/forecast/arima.c src/forecast/unitroot.c
LL_MODULES += forecast

EXTRA_DIST += tests/fixtures/make_forecast.R tests/fixtures/forecast \
	tests/c/forecast_fixture.h tests/c/automl_fixture.h

check_PROGRAMS += tests/c/test_forecast_optim tests/c/test_forecast_naive \
	tests/c/test_forecast_ets tests/c/test_forecast_theta \
	tests/c/test_forecast_panel tests/c/test_forecast_update
TESTS += tests/c/test_forecast_optim tests/c/test_forecast_naive \
	tests/c/test_forecast_ets tests/c/test_forecast_theta \
	tests/c/test_forecast_panel tests/c/test_forecast_update
tests_c_test_forecast_update_SOURCES = tests/c/test_forecast_update.c
tests_c_test_forecast_update_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_update_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_optim_SOURCES = tests/c/test_forecast_optim.c
tests_c_test_forecast_optim_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_optim_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_naive_SOURCES = tests/c/test_forecast_naive.c
tests_c_test_forecast_naive_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_naive_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_ets_SOURCES = tests/c/test_forecast_ets.c
tests_c_test_forecast_ets_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_ets_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_theta_SOURCES = tests/c/test_forecast_theta.c
tests_c_test_forecast_theta_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_theta_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/lua/forecast_spec.lua
EXTRA_DIST += tests/lua/forecast_spec.lua
tests_c_test_forecast_panel_SOURCES = tests/c/test_forecast_panel.c
tests_c_test_forecast_panel_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_panel_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += docs/forecast.md bench/forecast/run.sh bench/forecast/r_bench.R \
	bench/forecast/bench.lua bench/forecast/scale.lua

# prophet.c, mstl.c, croston.c: Prophet, MSTL and the Croston family.
liblualab_a_SOURCES += src/forecast/croston.c src/forecast/mstl.c \
	src/forecast/mstl.h src/forecast/prophet.c src/forecast/prophet.h

check_PROGRAMS += tests/c/test_forecast_croston
TESTS += tests/c/test_forecast_croston
tests_c_test_forecast_croston_SOURCES = tests/c/test_forecast_croston.c \
	tests/c/forecast_more_fixture.h
tests_c_test_forecast_croston_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DLL_TEST_FIXTURES='"$(abs_top_srcdir)/tests/fixtures"'
tests_c_test_forecast_croston_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/make_forecast_more.R tests/fixtures/forecast_more

check_PROGRAMS += tests/c/test_forecast_mstl
TESTS += tests/c/test_forecast_mstl
tests_c_test_forecast_mstl_SOURCES = tests/c/test_forecast_mstl.c \
	tests/c/forecast_more_fixture.h
tests_c_test_forecast_mstl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DLL_TEST_FIXTURES='"$(abs_top_srcdir)/tests/fixtures"'
tests_c_test_forecast_mstl_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/c/test_forecast_prophet
TESTS += tests/c/test_forecast_prophet
tests_c_test_forecast_prophet_SOURCES = tests/c/test_forecast_prophet.c \
	tests/c/forecast_more_fixture.h
tests_c_test_forecast_prophet_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DLL_TEST_FIXTURES='"$(abs_top_srcdir)/tests/fixtures"'
tests_c_test_forecast_prophet_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
TESTS += tests/lua/forecast_more_spec.lua
EXTRA_DIST += tests/lua/forecast_more_spec.lua

check_PROGRAMS += tests/c/test_forecast_arima
TESTS += tests/c/test_forecast_arima
tests_c_test_forecast_arima_SOURCES = tests/c/test_forecast_arima.c
tests_c_test_forecast_arima_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DFIXTURE_DIR='"$(abs_top_srcdir)/tests/fixtures/forecast_arima"'
tests_c_test_forecast_arima_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/make_forecast_arima.R \
	tests/fixtures/forecast_arima \
	tests/lua/forecast_arima_spec.lua
TESTS += tests/lua/forecast_arima_spec.lua

# Automated ML forecasting (issue 13).
include src/forecast/automl.mk
TESTS += tests/lua/forecast_bind_spec.lua
EXTRA_DIST += tests/lua/forecast_bind_spec.lua
