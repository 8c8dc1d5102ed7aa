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

#endif
