/*
 * families: the family tables defined by each model file, for registry.c
 * (and tests that call a family directly).
 */
#ifndef LL_FC_FAMILIES_H
#define LL_FC_FAMILIES_H

#include "forecast/forecast.h"

/* prophet.c, mstl.c, croston.c */
extern const ll_fc_family ll_fc_prophet;
extern const ll_fc_family ll_fc_mstl;
extern const ll_fc_family ll_fc_croston;
extern const ll_fc_family ll_fc_croston_sba;
extern const ll_fc_family ll_fc_croston_optimized;

/* naive.c */
extern const ll_fc_family ll_fc_naive;
extern const ll_fc_family ll_fc_seasonal_naive;
extern const ll_fc_family ll_fc_historic_average;
extern const ll_fc_family ll_fc_window_average;
extern const ll_fc_family ll_fc_seasonal_window_average;
extern const ll_fc_family ll_fc_rw_drift;

/* ets.c */
extern const ll_fc_family ll_fc_autoets;
extern const ll_fc_family ll_fc_ses;
extern const ll_fc_family ll_fc_holt;
extern const ll_fc_family ll_fc_holtwinters;

/* theta.c */
extern const ll_fc_family ll_fc_theta;
extern const ll_fc_family ll_fc_optimized_theta;
extern const ll_fc_family ll_fc_dynamic_optimized_theta;

/* arima.c */
extern const ll_fc_family ll_fc_arima_family;
extern const ll_fc_family ll_fc_autoarima_family;

#endif
