/*
 * families: the family tables defined by each model file, for registry.c
 * (and tests that call a family directly).
 */
#ifndef LL_FC_FAMILIES_H
#define LL_FC_FAMILIES_H

#include "forecast/forecast.h"

/* arima.c */
extern const ll_fc_family ll_fc_arima_family;
extern const ll_fc_family ll_fc_autoarima_family;


#endif
