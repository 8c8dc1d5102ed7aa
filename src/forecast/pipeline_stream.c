/*
 * pipeline_stream: a family pipeline's model kept between the forecasts
 * of a streamed history (the stream's with_forecast), instead of a model
 * search and fit for every new row.
 *
 * A key starts with the pipeline's own parameters for its series (the
 * model automated ML fitted on the training data).  Each forecast runs
 * them over the key's history: where the history only grew since the
 * last call and the family can advance its fit by an observation (ETS:
 * the state equations with the parameters fixed), the new values are fed
 * one by one; otherwise the fit is restored on the whole history (no
 * search, no optimisation; statsforecast calls this `forward`).  Every
 * refit_every new positions the family searches and fits again on the
 * history and its new parameters replace the old.
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "forecast/forecast.h"

ll_aml_stream_fit *ll_aml_stream_fit_new(void)
{
    return calloc(1, sizeof(ll_aml_stream_fit));
}

void ll_aml_stream_fit_free(ll_aml_stream_fit *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nmembers; i++)
        ll_aml_stream_fit_free(c->members[i]);
    free(c->members);
    ll_fc_fit_free(c->fit);
    free(c->params);
    free(c->yk);
    free(c);
}

int ll_aml_stream_fit_set(ll_aml_stream_fit *c, const ll_fc_spec *spec,
                          const ll_fc_param *params, size_t n)
{
    ll_fc_param *np = malloc((n + 1) * sizeof *np);
    if (!np)
        return LL_ENOMEM;
    if (n)
        memcpy(np, params, n * sizeof *np);
    free(c->params);
    c->params = np;
    c->nparams = n;
    c->spec = *spec;
    c->have = 1;
    return LL_OK;
}

/* yk = y[0, n) */
static int keep_values(ll_aml_stream_fit *c, const double *y, size_t n)
{
    if (n > c->capk) {
        double *v = realloc(c->yk, (n + 64) * sizeof *v);
        if (!v)
            return LL_ENOMEM;
        c->yk = v;
        c->capk = n + 64;
    }
    if (n)
        memcpy(c->yk, y, n * sizeof *y);
    c->lk = n;
    return LL_OK;
}

/* Feed y[lk, n) to the fit; 0 when it took them all. */
static int advance(ll_aml_stream_fit *c, const double *y, size_t n)
{
    ll_fc_fit *f = c->fit;
    if (!f || !f->ops->update || f->k > 0 || n < c->lk ||
        (c->lk && memcmp(c->yk, y, c->lk * sizeof *y)))
        return -1;
    for (size_t i = c->lk; i < n; i++) {
        ll_err e;
        if (f->ops->update(f, y[i], NULL, &e))
            return -1;
    }
    return keep_values(c, y, n) ? -1 : 0;
}

int ll_aml_stream_family_predict(const ll_aml_pipeline *p, size_t s,
                                 ll_aml_stream_fit *c, size_t refit_every,
                                 const ll_fc_spec *base, const ll_fc_data *d,
                                 const double *x, size_t h, double *mean,
                                 ll_err *err)
{
    const ll_fc_family *fam = ll_fc_family_find(p->model);
    if (!fam)
        return ll_err_set(err, LL_EINVAL, "forecast: unknown family %s",
                          p->model);
    size_t len = d->n, kx = d->k;
    const ll_fc_fit *own = p->fits ? p->fits[s] : NULL;
    if (!c->have && own) {
        if (ll_aml_stream_fit_set(c, &own->spec, own->params, own->nparams))
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        c->fit_len = p->tab->len[s];
    }
    int rc;
    if (!c->have || (refit_every && len >= c->fit_len + refit_every)) {
        ll_fc_fit *f = NULL;
        if ((rc = ll_fc_fit_series(base, d, &f, err)))
            return rc;
        ll_fc_fit_free(c->fit);
        c->fit = f;
        if (ll_aml_stream_fit_set(c, &f->spec, f->params, f->nparams) ||
            keep_values(c, d->y, len))
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        c->fit_len = len;
    } else if (advance(c, d->y, len)) {
        ll_fc_fit_free(c->fit);
        c->fit = NULL;
        if ((rc = fam->restore(&c->spec, c->params, c->nparams, d, &c->fit,
                               err)))
            return rc;
        if (keep_values(c, d->y, len))
            return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double level = 95;
    double *lo = malloc((2 * h + 1) * sizeof *lo);
    if (!lo)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    rc = ll_fc_predict(c->fit, h, kx ? x + len * kx : NULL, &level, 1, mean, lo,
                       lo + h, err);
    free(lo);
    return rc;
}
