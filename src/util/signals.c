/* signals: see signals.h. */
#include "util/signals.h"

#include <stddef.h>
#include <time.h>

volatile sig_atomic_t ll_interrupt_requested = 0;

static ll_progress_fn progress_fn = NULL;
static void *progress_ud = NULL;

void ll_progress_set_handler(ll_progress_fn fn, void *ud)
{
    progress_fn = fn;
    progress_ud = ud;
}

void ll_progress_report(const ll_progress *p)
{
    if (progress_fn)
        progress_fn(progress_ud, p);
}

long long ll_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double ll_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
