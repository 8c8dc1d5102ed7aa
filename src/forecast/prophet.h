/*
 * prophet: what the Prophet family (prophet.c) offers beyond the family
 * interface, for tests that check its fit against an independent solver.
 */
#ifndef LL_FC_PROPHET_H
#define LL_FC_PROPHET_H

#include "forecast/forecast.h"

/* The negative log posterior (constants dropped) of a fit of the Prophet
 * family at its parameters, in Prophet's scaled units: y / max |y|, time
 * in [0, 1].  f must come from the Prophet family. */
double ll_fc_prophet_objective(const ll_fc_fit *f);

/* The changepoint times of a Prophet fit, scaled to the history's [0, 1];
 * *count gets their number.  The array lives as long as the fit. */
const double *ll_fc_prophet_changepoints(const ll_fc_fit *f, size_t *count);

#endif
