# forecast/: univariate forecasting models in C (DESIGN 5.9).
liblualab_a_SOURCES += src/forecast/forecast.h src/forecast/optim.h \
	src/forecast/families.h src/forecast/forecast.c \
	src/forecast/registry.c src/forecast/optim.c src/forecast/naive.c \
	src/forecast/ets.c src/forecast/theta.c

EXTRA_DIST += tests/fixtures/make_forecast.R tests/fixtures/forecast \
	tests/c/forecast_fixture.h

check_PROGRAMS += tests/c/test_forecast_optim tests/c/test_forecast_naive \
	tests/c/test_forecast_ets tests/c/test_forecast_theta
TESTS += tests/c/test_forecast_optim tests/c/test_forecast_naive \
	tests/c/test_forecast_ets tests/c/test_forecast_theta
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

# Automated ML forecasting (issue 13).
include src/forecast/automl.mk
