/*
 * flavor: the `forecast` model flavor for src/model/ — a pipeline directory
 * saved by automated ML (forecaster:save, mlflow.log_model), loaded and
 * scored in C: ll_model_predict takes a frame of future rows (time, series
 * columns, known regressors) and returns series columns, time, forecast,
 * lower, upper.
 */
#include "forecast/automl.h"
#include "model/model_int.h"

static int fc_forward(void *impl, ll_tensor *x, ll_tensor **y, ll_err *err)
{
    (void)impl;
    (void)x;
    *y = NULL;
    return ll_err_set(err, LL_EINVAL,
                      "the forecast flavor scores frames of future rows, "
                      "not tensors");
}

static int fc_predict_frame(void *impl, const ll_frame *in, ll_frame **out,
                            ll_err *err)
{
    *out = ll_aml_pipeline_forecast(impl, 0, in, err);
    return *out ? LL_OK : (err->code ? err->code : LL_EINVAL);
}

static void fc_free(void *impl)
{
    ll_aml_pipeline_free(impl);
}

int ll_forecast_flavor_load(ll_model *m, ll_err *err)
{
    ll_aml_pipeline *p = NULL;
    int rc = ll_aml_pipeline_load(m->dir, &p, err);
    if (rc)
        return rc;
    m->impl = p;
    m->free_impl = fc_free;
    m->forward = fc_forward;
    m->predict_frame = fc_predict_frame;
    return LL_OK;
}
