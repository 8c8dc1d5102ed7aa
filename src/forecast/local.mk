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
tests_c_test_forecast_naive_SOURCES = tests/c/test_forecast_naive.c
tests_c_test_forecast_naive_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_naive_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_ets_SOURCES = tests/c/test_forecast_ets.c
tests_c_test_forecast_ets_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_ets_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
tests_c_test_forecast_theta_SOURCES = tests/c/test_forecast_theta.c
tests_c_test_forecast_theta_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_c_test_forecast_theta_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)

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
EXTRA_DIST += tests/fixtures/make_forecast_more.R tests/fixtures/forecast_more \
	docs/forecast-more.md

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

check_PROGRAMS += tests/c/test_forecast_arima
TESTS += tests/c/test_forecast_arima
tests_c_test_forecast_arima_SOURCES = tests/c/test_forecast_arima.c
tests_c_test_forecast_arima_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-DFIXTURE_DIR='"$(abs_top_srcdir)/tests/fixtures/forecast_arima"'
tests_c_test_forecast_arima_LDADD = $(LL_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/make_forecast_arima.R \
	tests/fixtures/forecast_arima/auto_AirPassengers.txt \
	tests/fixtures/forecast_arima/auto_BJsales.txt \
	tests/fixtures/forecast_arima/auto_JohnsonJohnson.txt \
	tests/fixtures/forecast_arima/auto_LakeHuron.txt \
	tests/fixtures/forecast_arima/auto_Nile.txt \
	tests/fixtures/forecast_arima/auto_Nile_short.txt \
	tests/fixtures/forecast_arima/auto_Seatbelts_front.txt \
	tests/fixtures/forecast_arima/auto_UKDriverDeaths.txt \
	tests/fixtures/forecast_arima/auto_UKgas.txt \
	tests/fixtures/forecast_arima/auto_USAccDeaths.txt \
	tests/fixtures/forecast_arima/auto_WWWusage.txt \
	tests/fixtures/forecast_arima/auto_airmiles.txt \
	tests/fixtures/forecast_arima/auto_austres.txt \
	tests/fixtures/forecast_arima/auto_co2.txt \
	tests/fixtures/forecast_arima/auto_discoveries.txt \
	tests/fixtures/forecast_arima/auto_fdeaths.txt \
	tests/fixtures/forecast_arima/auto_gas.txt \
	tests/fixtures/forecast_arima/auto_gold_head.txt \
	tests/fixtures/forecast_arima/auto_ldeaths.txt \
	tests/fixtures/forecast_arima/auto_lh.txt \
	tests/fixtures/forecast_arima/auto_logAirPassengers.txt \
	tests/fixtures/forecast_arima/auto_lynx.txt \
	tests/fixtures/forecast_arima/auto_mdeaths.txt \
	tests/fixtures/forecast_arima/auto_nhtemp.txt \
	tests/fixtures/forecast_arima/auto_nottem.txt \
	tests/fixtures/forecast_arima/auto_precip_ts.txt \
	tests/fixtures/forecast_arima/auto_rivers_ts.txt \
	tests/fixtures/forecast_arima/auto_sunspot.year.txt \
	tests/fixtures/forecast_arima/auto_taylor_tail.txt \
	tests/fixtures/forecast_arima/auto_treering_tail.txt \
	tests/fixtures/forecast_arima/auto_uspop.txt \
	tests/fixtures/forecast_arima/auto_wineind.txt \
	tests/fixtures/forecast_arima/auto_woolyrnq.txt \
	tests/fixtures/forecast_arima/fixed_AirPassengers_211_011.txt \
	tests/fixtures/forecast_arima/fixed_AirPassengers_log_airline.txt \
	tests/fixtures/forecast_arima/fixed_BJsales_022.txt \
	tests/fixtures/forecast_arima/fixed_JohnsonJohnson_log_010_011.txt \
	tests/fixtures/forecast_arima/fixed_Nile_101.txt \
	tests/fixtures/forecast_arima/fixed_USAccDeaths_011_011.txt \
	tests/fixtures/forecast_arima/fixed_WWWusage_110_drift.txt \
	tests/fixtures/forecast_arima/fixed_WWWusage_311.txt \
	tests/fixtures/forecast_arima/fixed_austres_210_drift.txt \
	tests/fixtures/forecast_arima/fixed_co2_112_011.txt \
	tests/fixtures/forecast_arima/fixed_ldeaths_100_200.txt \
	tests/fixtures/forecast_arima/fixed_lynx_200.txt \
	tests/fixtures/forecast_arima/fixed_lynx_402_nomean.txt \
	tests/fixtures/forecast_arima/fixed_nottem_100_100.txt \
	tests/fixtures/forecast_arima/unitroot.txt \
	tests/fixtures/forecast_arima/xreg_auto.txt \
	tests/fixtures/forecast_arima/xreg_dax_cac.txt \
	tests/fixtures/forecast_arima/xreg_fixed_101.txt \
	tests/fixtures/forecast_arima/xreg_fixed_110_drift.txt

# Automated ML forecasting (issue 13).
include src/forecast/automl.mk
