/*
 * calendar: proleptic Gregorian dates as days since 1970-01-01, the one
 * conversion every part shares (dataframe dates, generated data, chart
 * ticks).  Exact for every int64 year in range; no time zones.
 */
#ifndef LL_CALENDAR_H
#define LL_CALENDAR_H

#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). */
int64_t ll_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The date of day z (days since 1970-01-01). */
void ll_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
