/*
 * signals: the interrupt flag and the progress hook, shared by every layer.
 *
 * The host sets ll_interrupt_requested from its SIGINT handler (and for cell
 * time limits); long C loops in the core (training, CSV reading, automl)
 * poll ll_interrupted() and return LL_EINTR.  The host also installs the
 * progress handler, through which core code reports progress without
 * knowing which front end draws it.
 */
#ifndef LL_SIGNALS_H
#define LL_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t ll_interrupt_requested;

static inline int ll_interrupted(void)
{
    return ll_interrupt_requested != 0;
}

typedef struct ll_progress {
    const char *label;   /* "Epoch 3/5", "reading data.csv" */
    double done;         /* units done so far */
    double total;        /* 0 when unknown */
    const char *unit;    /* "batch", "row", NULL */
    const char *metrics; /* "loss 0.0123 acc 0.998" or NULL */
    int depth;           /* 0 outer, 1 nested (batches inside epochs) */
    int finished;        /* 1 on the last report of this bar */
} ll_progress;

typedef void (*ll_progress_fn)(void *ud, const ll_progress *p);

void ll_progress_set_handler(ll_progress_fn fn, void *ud);
void ll_progress_report(const ll_progress *p);

/* Wall-clock milliseconds since the epoch, and monotonic seconds. */
long long ll_now_ms(void);
double ll_monotonic(void);

#endif
