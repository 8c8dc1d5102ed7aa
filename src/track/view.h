/*
 * view: text views of the tracking store for the terminal and notebooks
 * (tables with sparklines, overlaid metric charts, all drawn by plot/).
 * Each appends UTF-8 text to
 * out and returns LL_OK or an error with err filled.
 */
#ifndef LL_TRACK_VIEW_H
#define LL_TRACK_VIEW_H

#include <stddef.h>

#include "track/track.h"
#include "util/buf.h"

int ll_track_view_experiments(ll_track *t, ll_buf *out, ll_err *err);
/* experiment NULL: every experiment. */
int ll_track_view_runs(ll_track *t, const char *experiment, ll_buf *out,
                       ll_err *err);
int ll_track_view_run(ll_track *t, const char *ref, size_t width, ll_buf *out,
                      ll_err *err);
int ll_track_view_compare(ll_track *t, const char *const *refs, size_t n,
                          size_t width, ll_buf *out, ll_err *err);
int ll_track_view_models(ll_track *t, ll_buf *out, ll_err *err);

#endif
