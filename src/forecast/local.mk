# forecast/: univariate forecasting models in C (DESIGN 5.9).
liblualab_a_SOURCES += src/forecast/forecast.h src/forecast/optim.h \
	src/forecast/families.h src/forecast/forecast.c \
	src/forecast/registry.c src/forecast/optim.c

check_PROGRAMS += tests/c/test_forecast_optim
TESTS += tests/c/test_forecast_optim
tests_c_test_forecast_optim_SOURCES = tests/c/test_forecast_optim.c
tests_c_test_forecast_optim_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_optim_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
