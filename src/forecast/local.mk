# forecast/: univariate forecasting models in C (DESIGN 5.9).
liblualab_a_SOURCES += src/forecast/forecast.h src/forecast/optim.h \
	src/forecast/families.h src/forecast/forecast.c \
	src/forecast/registry.c src/forecast/optim.c src/forecast/naive.c \
	src/forecast/ets.c src/forecast/theta.c \
	src/forecast/arima.h src/forecast/arima.c src/forecast/unitroot.c

EXTRA_DIST += tests/fixtures/make_forecast.R tests/fixtures/forecast \
	tests/c/forecast_fixture.h

check_PROGRAMS += tests/c/test_forecast_optim tests/c/test_forecast_naive \
	tests/c/test_forecast_ets tests/c/test_forecast_theta
TESTS += tests/c/test_forecast_optim tests/c/test_forecast_naive \
	tests/c/test_forecast_ets tests/c/test_forecast_theta
tests_c_test_forecast_optim_SOURCES = tests/c/test_forecast_optim.c
tests_c_test_forecast_optim_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_optim_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
	src/forecast/registry.c src/forecast/optim.c src/forecast/naive.c \
	src/forecast/ets.c src/forecast/theta.c \
	src/forecast/arima.h src/forecast/arima.c src/forecast/unitroot.c

# Automated ML forecasting (issue 13).
include src/forecast/automl.mk
