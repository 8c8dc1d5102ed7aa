/*
 * csv_infer: the type a CSV value reads as (int, float, bool, date,
 * datetime, else string) and how two inferred types combine.  Part of the
 * CSV reader (csv_int.h).
 */
#define _POSIX_C_SOURCE 200809L
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise */
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame/csv_int.h"

/* --- type inference --- */

int llcsv_value_type(const char *s, size_t n)
{
    int64_t i;
    double d;
    uint8_t b;
    int32_t days;
    int64_t ms;
    if (ll_parse_int(s, n, &i))
        return LL_INT;
    if (ll_parse_float(s, n, &d))
        return LL_FLOAT;
    if (ll_parse_bool(s, n, &b))
        return LL_BOOL;
    if (n >= 10 && s[4] == '-') {
        if (ll_parse_date(s, n, &days))
            return LL_DATE;
        if (ll_parse_datetime(s, n, &ms))
            return LL_DATETIME;
    }
    return LL_STR;
}

int llcsv_join_type(int a, int b)
{
    if (a == T_UNKNOWN)
        return b;
    if (b == T_UNKNOWN || a == b)
        return a;
    if ((a == LL_INT && b == LL_FLOAT) || (a == LL_FLOAT && b == LL_INT))
        return LL_FLOAT;
    if ((a == LL_DATE && b == LL_DATETIME) ||
        (a == LL_DATETIME && b == LL_DATE))
        return LL_DATETIME;
    return LL_STR;
}
