/* Helpers shared by the test_automl_*.c programs: a Frame from CSV text,
 * and a trial of a finished job found by its leaderboard name. */
#ifndef LL_TEST_AUTOML_FIXTURE_H
#define LL_TEST_AUTOML_FIXTURE_H

#include <string.h>

#include "forecast/automl_int.h"
#include "frame/frame.h"

static ll_frame *csv(const char *text)
{
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    ll_err err = {0};
    ll_frame *f =
        ll_frame_read_csv_mem(text, strlen(text), "test.csv", &o, NULL, &err);
    if (!f)
        fail_msg("csv: %s", err.msg);
    return f;
}

/* The index of the trial named model, or -1. */
static int trial_of(const ll_aml_job *j, const char *model)
{
    for (size_t i = 0; i < j->ntrials; i++)
        if (strcmp(j->trials[i].model, model) == 0)
            return (int)i;
    return -1;
}

#endif
