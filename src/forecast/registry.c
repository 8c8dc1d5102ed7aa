/*
 * registry: every forecasting family, listed once.  A family file defines
 * its ll_fc_family and adds one line here.
 */
#include "forecast/forecast.h"

#include <string.h>

#include "forecast/families.h"

const ll_fc_family *const ll_fc_families[] = {
    /* naive.c, ets.c, theta.c (the core families) */
    &ll_fc_naive,
    &ll_fc_seasonal_naive,
    &ll_fc_historic_average,
    &ll_fc_window_average,
    &ll_fc_seasonal_window_average,
    &ll_fc_rw_drift,
    &ll_fc_autoets,
    &ll_fc_ses,
    &ll_fc_holt,
    &ll_fc_holtwinters,
    &ll_fc_theta,
    &ll_fc_optimized_theta,
    &ll_fc_dynamic_optimized_theta,
    /* arima.c */
    &ll_fc_arima_family,
    &ll_fc_autoarima_family,
    /* prophet.c, mstl.c, croston.c */
    &ll_fc_prophet,
    &ll_fc_mstl,
    &ll_fc_croston,
    &ll_fc_croston_sba,
    &ll_fc_croston_optimized,
    NULL,
};

const ll_fc_family *ll_fc_family_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; ll_fc_families[i]; i++)
        if (strcmp(ll_fc_families[i]->name, name) == 0)
            return ll_fc_families[i];
    return NULL;
}
