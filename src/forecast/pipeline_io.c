/*
 * pipeline_io: a fitted pipeline as a model directory.
 *   MLmodel            flavor forecast (what ll_model_load dispatches on)
 *   pipeline.json      the table's layout, the engineered features, the
 *                      model (family specs and parameters, ensemble weights,
 *                      interval widths)
 *   data.safetensors   float64 tensors: the history (y, t, len, x) and the
 *                      regression model's arrays ("reg.coef", "m0.reg.thr")
 * Loading rebuilds families with their restore (no search), so the loaded
 * pipeline forecasts the same numbers.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "forecast/forecast.h"
#include "util/buf.h"
#include "util/fsutil.h"

/* ---- float64 safetensors ---- */

typedef struct tens {
    char name[64];
    const double *data;
    size_t len;
} tens;

typedef struct tlist {
    tens *t;
    size_t n, cap;
} tlist;

static int tl_add(tlist *l, const char *name, const double *d, size_t len)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 16;
        tens *nt = realloc(l->t, c * sizeof *nt);
        if (!nt)
            return -1;
        l->t = nt;
        l->cap = c;
    }
    tens *t = &l->t[l->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->data = d;
    t->len = len;
    return 0;
}

static int st_write(const char *path, const tlist *l, ll_err *err)
{
    ll_buf h, out;
    ll_buf_init(&h);
    ll_buf_init(&out);
    size_t off = 0;
    int bad = ll_buf_putc(&h, '{');
    for (size_t i = 0; i < l->n && !bad; i++) {
        bad = ll_buf_printf(&h,
                            "%s\"%s\":{\"dtype\":\"F64\",\"shape\":[%zu],"
                            "\"data_offsets\":[%zu,%zu]}",
                            i ? "," : "", l->t[i].name, l->t[i].len, off,
                            off + 8 * l->t[i].len);
        off += 8 * l->t[i].len;
    }
    bad = bad || ll_buf_putc(&h, '}');
    while (!bad && h.len % 8)
        bad = ll_buf_putc(&h, ' ');
    uint64_t hl = h.len;
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(hl >> (8 * i));
    bad =
        bad || ll_buf_append(&out, le, 8) || ll_buf_append(&out, h.data, h.len);
    for (size_t i = 0; i < l->n && !bad; i++)
        bad = ll_buf_append(&out, l->t[i].data, 8 * l->t[i].len);
    int rc = bad ? ll_err_set(err, LL_ENOMEM, "out of memory")
                 : ll_write_file_atomic(path, out.data, out.len, err);
    ll_buf_free(&h);
    ll_buf_free(&out);
    return rc;
}

/* Read every tensor; the returned cJSON header's items point into data. */
typedef struct stfile {
    char *raw;
    size_t len;
    cJSON *hdr;
    const unsigned char *base;
} stfile;

static int st_read(const char *path, stfile *f, ll_err *err)
{
    memset(f, 0, sizeof *f);
    int rc = ll_read_file(path, &f->raw, &f->len, err);
    if (rc)
        return rc;
    if (f->len < 8)
        return ll_err_set(err, LL_EPARSE, "%s: too short", path);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = (hl << 8) | (unsigned char)f->raw[i];
    if (hl > f->len - 8)
        return ll_err_set(err, LL_EPARSE, "%s: bad header length", path);
    f->hdr = cJSON_ParseWithLength(f->raw + 8, (size_t)hl);
    if (!f->hdr)
        return ll_err_set(err, LL_EPARSE, "%s: bad JSON header", path);
    f->base = (const unsigned char *)f->raw + 8 + hl;
    return LL_OK;
}

static void st_free(stfile *f)
{
    cJSON_Delete(f->hdr);
    free(f->raw);
}

/* A tensor's values copied into a new array (*len values). */
static double *st_get(const stfile *f, const char *path, const char *name,
                      size_t *len, ll_err *err)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(f->hdr, name);
    cJSON *off = e ? cJSON_GetObjectItem(e, "data_offsets") : NULL;
    cJSON *dt = e ? cJSON_GetObjectItem(e, "dtype") : NULL;
    if (!off || cJSON_GetArraySize(off) != 2 || !cJSON_IsString(dt) ||
        strcmp(dt->valuestring, "F64")) {
        ll_err_set(err, LL_EPARSE, "%s: no F64 tensor '%s'", path, name);
        return NULL;
    }
    double a = cJSON_GetArrayItem(off, 0)->valuedouble;
    double b = cJSON_GetArrayItem(off, 1)->valuedouble;
    size_t avail = f->len - (size_t)(f->base - (const unsigned char *)f->raw);
    if (a < 0 || b < a || b > (double)avail || fmod(b - a, 8) != 0) {
        ll_err_set(err, LL_EPARSE, "%s: tensor '%s' out of range", path, name);
        return NULL;
    }
    *len = (size_t)(b - a) / 8;
    double *v = malloc((*len + 1) * sizeof *v);
    if (!v) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(v, f->base + (size_t)a, *len * sizeof *v);
    return v;
}

/* ---- save ---- */

static cJSON *str_array(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i] ? v[i] : ""));
    return a;
}

/* A number written with the fewest digits that read back exactly
 * (cJSON's own printer settles for 15 digits within an ulp), so a loaded
 * pipeline forecasts the same numbers to the last bit; null when not
 * finite. */
static cJSON *exact_number(double v)
{
    if (!isfinite(v))
        return cJSON_CreateNull();
    char s[40];
    ll_fmt_double(v, s, sizeof s);
    return cJSON_CreateRaw(s);
}

static cJSON *num_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, exact_number(v[i]));
    return a;
}

static cJSON *spec_json(const ll_fc_spec *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "family", s->family ? s->family : "");
    cJSON_AddNumberToObject(o, "season_length", s->season_length);
    cJSON_AddStringToObject(o, "ets_model", s->ets_model);
    int iv[] = {s->damped,
                s->p,
                s->d,
                s->q,
                s->P,
                s->D,
                s->Q,
                s->include_drift,
                s->include_mean,
                s->stepwise,
                s->approximation,
                s->window,
                s->yearly,
                s->weekly,
                s->daily,
                s->n_changepoints,
                s->n_season_lengths};
    double dv[17];
    for (int i = 0; i < 17; i++)
        dv[i] = iv[i];
    cJSON_AddItemToObject(o, "ints", num_array(dv, 17));
    cJSON_AddItemToObject(o, "changepoint_prior_scale",
                          exact_number(s->changepoint_prior_scale));
    double sl[4];
    for (int i = 0; i < 4; i++)
        sl[i] = s->season_lengths[i];
    cJSON_AddItemToObject(o, "season_lengths", num_array(sl, 4));
    cJSON_AddNumberToObject(o, "seed", (double)s->seed);
    return o;
}

static int spec_from_json(const cJSON *o, const ll_fc_family *fam,
                          ll_fc_spec *s)
{
    ll_fc_spec_init(s, fam->name);
    cJSON *ints = cJSON_GetObjectItem(o, "ints");
    cJSON *sl = cJSON_GetObjectItem(o, "season_lengths");
    cJSON *em = cJSON_GetObjectItem(o, "ets_model");
    if (cJSON_GetArraySize(ints) != 17 || cJSON_GetArraySize(sl) != 4 ||
        !cJSON_IsString(em))
        return -1;
    int iv[17];
    for (int i = 0; i < 17; i++)
        iv[i] = (int)cJSON_GetArrayItem(ints, i)->valuedouble;
    s->season_length =
        (int)cJSON_GetObjectItem(o, "season_length")->valuedouble;
    snprintf(s->ets_model, sizeof s->ets_model, "%s", em->valuestring);
    s->damped = iv[0];
    s->p = iv[1], s->d = iv[2], s->q = iv[3];
    s->P = iv[4], s->D = iv[5], s->Q = iv[6];
    s->include_drift = iv[7], s->include_mean = iv[8];
    s->stepwise = iv[9], s->approximation = iv[10], s->window = iv[11];
    s->yearly = iv[12], s->weekly = iv[13], s->daily = iv[14];
    s->n_changepoints = iv[15], s->n_season_lengths = iv[16];
    s->changepoint_prior_scale =
        cJSON_GetObjectItem(o, "changepoint_prior_scale")->valuedouble;
    for (int i = 0; i < 4; i++)
        s->season_lengths[i] = (int)cJSON_GetArrayItem(sl, i)->valuedouble;
    s->seed = (unsigned long long)cJSON_GetObjectItem(o, "seed")->valuedouble;
    return 0;
}

static cJSON *pipe_json(const ll_aml_pipeline *p, const char *prefix, tlist *tl)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "model", p->model);
    cJSON_AddStringToObject(o, "kind",
                            p->kind == LL_AML_P_REG      ? "regression"
                            : p->kind == LL_AML_P_FAMILY ? "family"
                                                         : "ensemble");
    cJSON_AddItemToObject(o, "interval_sd", num_array(p->sd, p->horizon));
    if (p->kind == LL_AML_P_REG) {
        cJSON *arrs = cJSON_CreateArray();
        for (size_t i = 0; i < p->reg->narr; i++) {
            char name[64];
            snprintf(name, sizeof name, "%sreg.%s", prefix,
                     p->reg->arr_name[i]);
            cJSON_AddItemToArray(arrs, cJSON_CreateString(p->reg->arr_name[i]));
            if (tl_add(tl, name, p->reg->arr[i], p->reg->arr_len[i])) {
                cJSON_Delete(arrs);
                cJSON_Delete(o);
                return NULL;
            }
        }
        cJSON_AddItemToObject(o, "arrays", arrs);
    } else if (p->kind == LL_AML_P_FAMILY) {
        double xi[256];
        for (size_t i = 0; i < p->nxi && i < 256; i++)
            xi[i] = p->xi[i];
        cJSON_AddItemToObject(o, "regressors", num_array(xi, p->nxi));
        cJSON *fits = cJSON_CreateArray();
        for (size_t s = 0; s < p->tab->nseries; s++) {
            const ll_fc_fit *f = p->fits[s];
            cJSON *fo = cJSON_CreateObject();
            cJSON_AddStringToObject(fo, "method", f->method);
            cJSON_AddItemToObject(fo, "spec", spec_json(&f->spec));
            cJSON *names = cJSON_CreateArray();
            double *vals = malloc((f->nparams + 1) * sizeof *vals);
            for (size_t k = 0; vals && k < f->nparams; k++) {
                cJSON_AddItemToArray(names,
                                     cJSON_CreateString(f->params[k].name));
                vals[k] = f->params[k].value;
            }
            cJSON_AddItemToObject(fo, "param_names", names);
            cJSON_AddItemToObject(fo, "param_values",
                                  num_array(vals, vals ? f->nparams : 0));
            free(vals);
            cJSON_AddItemToArray(fits, fo);
        }
        cJSON_AddItemToObject(o, "fits", fits);
    } else {
        cJSON *mem = cJSON_CreateArray();
        for (size_t i = 0; i < p->nmembers; i++) {
            char pre[64];
            snprintf(pre, sizeof pre, "%sm%zu.", prefix, i);
            cJSON *m = pipe_json(p->members[i], pre, tl);
            if (!m) {
                cJSON_Delete(mem);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToArray(mem, m);
        }
        cJSON_AddItemToObject(o, "members", mem);
        cJSON_AddItemToObject(o, "weights", num_array(p->weights, p->nmembers));
    }
    return o;
}

int ll_aml_pipeline_save(const ll_aml_pipeline *p, const char *dir, ll_err *err)
{
    int rc = ll_mkdir_p(dir, err);
    if (rc)
        return rc;
    const ll_aml_table *t = p->tab;
    tlist tl = {0};
    double *lens = malloc((t->nseries + 1) * sizeof *lens);
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    if (!lens || !root) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < t->nseries; s++)
        lens[s] = (double)t->len[s];
    if (tl_add(&tl, "y", t->y, t->n) || tl_add(&tl, "t", t->t, t->n) ||
        tl_add(&tl, "len", lens, t->nseries) ||
        tl_add(&tl, "x", t->x, t->n * t->nreg)) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    cJSON_AddStringToObject(root, "format", "lualab-forecast-pipeline");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddNumberToObject(root, "horizon", (double)p->horizon);
    cJSON_AddNumberToObject(root, "season_length", p->season);
    cJSON *tab = cJSON_CreateObject();
    cJSON_AddStringToObject(tab, "target", t->target);
    cJSON_AddStringToObject(tab, "time", t->time);
    cJSON_AddStringToObject(tab, "time_kind",
                            t->time_kind == LL_AML_TIME_DATE       ? "date"
                            : t->time_kind == LL_AML_TIME_DATETIME ? "datetime"
                                                                   : "int");
    cJSON_AddNumberToObject(tab, "monthly", t->monthly);
    cJSON_AddItemToObject(tab, "step", exact_number(t->step));
    cJSON_AddItemToObject(tab, "series_columns",
                          str_array(t->series_cols, (size_t)t->nseries_cols));
    double kn[64];
    for (int c = 0; c < t->nseries_cols && c < 64; c++)
        kn[c] = t->key_is_num[c];
    cJSON_AddItemToObject(tab, "series_numeric",
                          num_array(kn, (size_t)t->nseries_cols));
    cJSON *keys = cJSON_CreateArray();
    for (size_t s = 0; s < t->nseries; s++)
        cJSON_AddItemToArray(
            keys, str_array(t->key_parts[s], (size_t)t->nseries_cols));
    cJSON_AddItemToObject(tab, "series", keys);
    cJSON *regs = cJSON_CreateArray();
    for (size_t r = 0; r < t->nreg; r++) {
        cJSON *ro = cJSON_CreateObject();
        cJSON_AddStringToObject(ro, "name", t->reg_names[r]);
        if (t->reg_levels[r])
            cJSON_AddItemToObject(
                ro, "levels", str_array(t->reg_levels[r], t->reg_nlevels[r]));
        cJSON_AddItemToArray(regs, ro);
    }
    cJSON_AddItemToObject(tab, "regressors", regs);
    cJSON_AddItemToObject(root, "table", tab);
    cJSON *feats = cJSON_CreateArray();
    static const char *const kinds[] = {
        "regressor", "calendar",     "trend",      "series",
        "lag",       "rolling_mean", "rolling_std"};
    for (size_t i = 0; i < p->fs.nf; i++) {
        const ll_aml_feat *f = &p->fs.f[i];
        cJSON *fo = cJSON_CreateObject();
        cJSON_AddStringToObject(fo, "name", f->name);
        cJSON_AddStringToObject(fo, "raw", f->raw);
        cJSON_AddStringToObject(fo, "kind", kinds[f->kind]);
        cJSON_AddItemToObject(fo, "arg", exact_number(f->arg));
        cJSON_AddItemToArray(feats, fo);
    }
    cJSON_AddItemToObject(root, "features", feats);
    cJSON_AddNumberToObject(root, "max_lag", p->fs.maxlag);
    cJSON *pj = pipe_json(p, "", &tl);
    if (!pj) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    cJSON_AddItemToObject(root, "pipeline", pj);
    text = cJSON_Print(root);
    if (!text) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/pipeline.json", dir);
    rc = ll_write_file_atomic(path, text, strlen(text), err);
    if (rc)
        goto done;
    snprintf(path, sizeof path, "%s/data.safetensors", dir);
    rc = st_write(path, &tl, err);
    if (rc)
        goto done;
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    if (!ll_file_exists(path)) {
        static const char mlmodel[] =
            "flavors:\n  forecast:\n    loader_module: lualab.automl\n"
            "    data: pipeline.json\n";
        rc = ll_write_file_atomic(path, mlmodel, sizeof mlmodel - 1, err);
    }
done:
    free(text);
    cJSON_Delete(root);
    free(lens);
    free(tl.t);
    return rc;
}

/* ---- load ---- */

static const char *jstr(const cJSON *o, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *key, double def)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static char *dupstr(const char *s)
{
    return ll_strdup(s ? s : "");
}

static int load_pipe(const cJSON *o, const char *prefix, const stfile *st,
                     const char *path, ll_aml_table *t,
                     const ll_aml_featset *fs, int season,
                     ll_aml_pipeline **out, ll_err *err)
{
    const char *model = jstr(o, "model"), *kind = jstr(o, "kind");
    if (!model || !kind)
        return ll_err_set(err, LL_EPARSE,
                          "%s: a pipeline without model or kind", path);
    ll_aml_pipeline *p = ll_aml_pipe_new(t, fs, season, model);
    if (!p)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = LL_OK;
    cJSON *sd = cJSON_GetObjectItem(o, "interval_sd");
    for (size_t k = 0; k < p->horizon && k < (size_t)cJSON_GetArraySize(sd);
         k++)
        p->sd[k] = cJSON_GetArrayItem(sd, (int)k)->valuedouble;
    if (strcmp(kind, "regression") == 0) {
        p->kind = LL_AML_P_REG;
        const ll_aml_reg_ops *ops = ll_aml_regressor_find(model);
        cJSON *arrs = cJSON_GetObjectItem(o, "arrays");
        size_t na = (size_t)cJSON_GetArraySize(arrs);
        if (!ops || na > 8) {
            rc = ll_err_set(err, LL_EPARSE, "%s: unknown regression model %s",
                            path, model);
            goto done;
        }
        char names[8][16];
        double *vals[8] = {0};
        size_t lens[8];
        for (size_t i = 0; i < na && rc == LL_OK; i++) {
            cJSON *nm = cJSON_GetArrayItem(arrs, (int)i);
            if (!cJSON_IsString(nm)) {
                rc = ll_err_set(err, LL_EPARSE, "%s: bad array name", path);
                break;
            }
            snprintf(names[i], sizeof names[i], "%s", nm->valuestring);
            char tn[64];
            snprintf(tn, sizeof tn, "%sreg.%s", prefix, names[i]);
            vals[i] = st_get(st, path, tn, &lens[i], err);
            if (!vals[i])
                rc = err->code ? err->code : LL_EPARSE;
        }
        if (rc == LL_OK) {
            rc = ll_aml_regressor_restore(ops, fs->nf, (const char(*)[16])names,
                                          vals, lens, na, &p->reg, err);
            if (rc)
                ll_err_prefix(err, "%s: %sreg", path, prefix);
        }
        for (size_t i = 0; i < na; i++)
            free(vals[i]);
    } else if (strcmp(kind, "family") == 0) {
        p->kind = LL_AML_P_FAMILY;
        const ll_fc_family *fam = ll_fc_family_find(model);
        cJSON *fits = cJSON_GetObjectItem(o, "fits");
        cJSON *xr = cJSON_GetObjectItem(o, "regressors");
        if (!fam || (size_t)cJSON_GetArraySize(fits) != t->nseries) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: unknown family %s or wrong number of fits",
                            path, model);
            goto done;
        }
        p->fits = calloc(t->nseries, sizeof *p->fits);
        p->xi = malloc(((size_t)cJSON_GetArraySize(xr) + 1) * sizeof *p->xi);
        if (!p->fits || !p->xi) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        p->nxi = (size_t)cJSON_GetArraySize(xr);
        for (size_t i = 0; i < p->nxi; i++) {
            p->xi[i] = (int)cJSON_GetArrayItem(xr, (int)i)->valuedouble;
            if (p->xi[i] < 0 || (size_t)p->xi[i] >= t->nreg) {
                rc =
                    ll_err_set(err, LL_EPARSE, "%s: bad regressor index", path);
                goto done;
            }
        }
        size_t k = p->nxi;
        double *x = malloc((t->n * k + 1) * sizeof *x);
        if (!x) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t r = 0; r < t->n; r++)
            for (size_t c = 0; c < k; c++)
                x[r * k + c] = t->x[r * t->nreg + (size_t)p->xi[c]];
        for (size_t s = 0; s < t->nseries && rc == LL_OK; s++) {
            cJSON *fo = cJSON_GetArrayItem(fits, (int)s);
            cJSON *pn = cJSON_GetObjectItem(fo, "param_names");
            cJSON *pv = cJSON_GetObjectItem(fo, "param_values");
            ll_fc_spec spec;
            size_t np = (size_t)cJSON_GetArraySize(pn);
            if (spec_from_json(cJSON_GetObjectItem(fo, "spec"), fam, &spec) ||
                (size_t)cJSON_GetArraySize(pv) != np) {
                rc = ll_err_set(err, LL_EPARSE, "%s: bad fit of series %zu",
                                path, s + 1);
                break;
            }
            ll_fc_param *par = calloc(np + 1, sizeof *par);
            if (!par) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            for (size_t q = 0; q < np; q++) {
                cJSON *nm = cJSON_GetArrayItem(pn, (int)q);
                snprintf(par[q].name, sizeof par[q].name, "%s",
                         cJSON_IsString(nm) ? nm->valuestring : "");
                par[q].value = cJSON_GetArrayItem(pv, (int)q)->valuedouble;
            }
            ll_fc_data d = ll_aml_fc_data(t, s, t->len[s],
                                          k ? x + t->off[s] * k : NULL, k);
            rc = fam->restore(&spec, par, np, &d, &p->fits[s], err);
            free(par);
        }
        free(x);
    } else if (strcmp(kind, "ensemble") == 0) {
        p->kind = LL_AML_P_ENSEMBLE;
        cJSON *mem = cJSON_GetObjectItem(o, "members");
        cJSON *w = cJSON_GetObjectItem(o, "weights");
        size_t nm = (size_t)cJSON_GetArraySize(mem);
        if (nm == 0 || (size_t)cJSON_GetArraySize(w) != nm) {
            rc = ll_err_set(err, LL_EPARSE, "%s: bad ensemble", path);
            goto done;
        }
        p->members = calloc(nm, sizeof *p->members);
        p->weights = calloc(nm, sizeof *p->weights);
        if (!p->members || !p->weights) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < nm && rc == LL_OK; i++) {
            char pre[64];
            snprintf(pre, sizeof pre, "%sm%zu.", prefix, i);
            rc = load_pipe(cJSON_GetArrayItem(mem, (int)i), pre, st, path, t,
                           fs, season, &p->members[i], err);
            if (rc == LL_OK) {
                p->weights[i] = cJSON_GetArrayItem(w, (int)i)->valuedouble;
                p->nmembers++;
            }
        }
    } else
        rc = ll_err_set(err, LL_EPARSE, "%s: unknown pipeline kind '%s'", path,
                        kind);
done:
    if (rc) {
        ll_aml_pipeline_free(p);
        return rc;
    }
    *out = p;
    return LL_OK;
}

int ll_aml_pipeline_load(const char *dir, ll_aml_pipeline **out, ll_err *err)
{
    *out = NULL;
    char path[4096], spath[4096];
    snprintf(path, sizeof path, "%s/pipeline.json", dir);
    snprintf(spath, sizeof spath, "%s/data.safetensors", dir);
    char *text = NULL;
    size_t len;
    int rc = ll_read_file(path, &text, &len, err);
    if (rc)
        return rc;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root)
        return ll_err_set(err, LL_EPARSE, "%s: not valid JSON", path);
    stfile st;
    ll_aml_table *t = NULL;
    ll_aml_featset fs = {0};
    rc = st_read(spath, &st, err);
    if (rc)
        goto done;
    const cJSON *tab = cJSON_GetObjectItem(root, "table");
    const char *fmt = jstr(root, "format");
    if (!fmt || strcmp(fmt, "lualab-forecast-pipeline") || !tab) {
        rc = ll_err_set(err, LL_EPARSE, "%s: not a lualab forecast pipeline",
                        path);
        goto done;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    t->refs = 1;
    t->target = dupstr(jstr(tab, "target"));
    t->time = dupstr(jstr(tab, "time"));
    const char *tk = jstr(tab, "time_kind");
    t->time_kind = tk && strcmp(tk, "date") == 0       ? LL_AML_TIME_DATE
                   : tk && strcmp(tk, "datetime") == 0 ? LL_AML_TIME_DATETIME
                                                       : LL_AML_TIME_INT;
    t->monthly = (int)jnum(tab, "monthly", 0);
    t->step = jnum(tab, "step", 1);
    cJSON *sc = cJSON_GetObjectItem(tab, "series_columns");
    cJSON *sn = cJSON_GetObjectItem(tab, "series_numeric");
    cJSON *keys = cJSON_GetObjectItem(tab, "series");
    cJSON *regs = cJSON_GetObjectItem(tab, "regressors");
    t->nseries_cols = cJSON_GetArraySize(sc);
    t->nseries = (size_t)cJSON_GetArraySize(keys);
    t->nreg = (size_t)cJSON_GetArraySize(regs);
    t->series_cols = calloc((size_t)t->nseries_cols + 1, sizeof(char *));
    t->key_is_num = calloc((size_t)t->nseries_cols + 1, sizeof(int));
    t->keys = calloc(t->nseries + 1, sizeof(char *));
    t->key_parts = calloc(t->nseries + 1, sizeof(char **));
    t->reg_names = calloc(t->nreg + 1, sizeof(char *));
    t->reg_levels = calloc(t->nreg + 1, sizeof(char **));
    t->reg_nlevels = calloc(t->nreg + 1, sizeof(size_t));
    t->off = calloc(t->nseries + 1, sizeof(size_t));
    t->len = calloc(t->nseries + 1, sizeof(size_t));
    if (!t->target || !t->time || !t->series_cols || !t->key_is_num ||
        !t->keys || !t->key_parts || !t->reg_names || !t->reg_levels ||
        !t->reg_nlevels || !t->off || !t->len || t->nseries == 0) {
        rc = t->nseries == 0 ? ll_err_set(err, LL_EPARSE, "%s: no series", path)
                             : ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (int c = 0; c < t->nseries_cols; c++) {
        cJSON *v = cJSON_GetArrayItem(sc, c);
        t->series_cols[c] = dupstr(cJSON_IsString(v) ? v->valuestring : "");
        cJSON *k = cJSON_GetArrayItem(sn, c);
        t->key_is_num[c] = k ? (int)k->valuedouble : 0;
    }
    for (size_t s = 0; s < t->nseries; s++) {
        cJSON *parts = cJSON_GetArrayItem(keys, (int)s);
        t->key_parts[s] = calloc((size_t)t->nseries_cols + 1, sizeof(char *));
        ll_buf b;
        ll_buf_init(&b);
        for (int c = 0; t->key_parts[s] && c < t->nseries_cols; c++) {
            cJSON *v = cJSON_GetArrayItem(parts, c);
            t->key_parts[s][c] =
                dupstr(cJSON_IsString(v) ? v->valuestring : "");
            if (c)
                ll_buf_putc(&b, '|');
            ll_buf_puts(&b, t->key_parts[s][c] ? t->key_parts[s][c] : "");
        }
        ll_buf_putc(&b, 0);
        t->keys[s] = ll_buf_take(&b);
    }
    for (size_t r = 0; r < t->nreg; r++) {
        cJSON *ro = cJSON_GetArrayItem(regs, (int)r);
        t->reg_names[r] = dupstr(jstr(ro, "name"));
        cJSON *lv = cJSON_GetObjectItem(ro, "levels");
        if (lv) {
            size_t nl = (size_t)cJSON_GetArraySize(lv);
            t->reg_levels[r] = calloc(nl + 1, sizeof(char *));
            for (size_t l = 0; t->reg_levels[r] && l < nl; l++) {
                cJSON *v = cJSON_GetArrayItem(lv, (int)l);
                t->reg_levels[r][l] =
                    dupstr(cJSON_IsString(v) ? v->valuestring : "");
            }
            t->reg_nlevels[r] = t->reg_levels[r] ? nl : 0;
        }
    }
    size_t ny, nt, nl, nx;
    double *lens = NULL;
    t->y = st_get(&st, spath, "y", &ny, err);
    t->t = t->y ? st_get(&st, spath, "t", &nt, err) : NULL;
    lens = t->t ? st_get(&st, spath, "len", &nl, err) : NULL;
    t->x = lens ? st_get(&st, spath, "x", &nx, err) : NULL;
    if (!t->x || nt != ny || nl != t->nseries || nx != ny * t->nreg) {
        free(lens);
        rc = t->x ? ll_err_set(err, LL_EPARSE,
                               "%s: history tensors of inconsistent sizes",
                               spath)
                  : (err->code ? err->code : LL_EPARSE);
        goto done;
    }
    for (size_t s = 0; s < t->nseries; s++) {
        t->len[s] = (size_t)lens[s];
        t->off[s + 1] = t->off[s] + t->len[s];
    }
    free(lens);
    t->n = ny;
    if (t->off[t->nseries] != ny) {
        rc = ll_err_set(err, LL_EPARSE, "%s: series lengths do not add up",
                        spath);
        goto done;
    }
    /* Features. */
    cJSON *feats = cJSON_GetObjectItem(root, "features");
    fs.nf = (size_t)cJSON_GetArraySize(feats);
    fs.f = calloc(fs.nf + 1, sizeof *fs.f);
    fs.horizon = (size_t)jnum(root, "horizon", 1);
    fs.season = (int)jnum(root, "season_length", 1);
    fs.maxlag = (int)jnum(root, "max_lag", 0);
    if (!fs.f) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    static const char *const kinds[] = {
        "regressor", "calendar",     "trend",      "series",
        "lag",       "rolling_mean", "rolling_std"};
    for (size_t i = 0; i < fs.nf; i++) {
        cJSON *fo = cJSON_GetArrayItem(feats, (int)i);
        const char *k = jstr(fo, "kind");
        int kind = -1;
        for (int q = 0; k && q < 7; q++)
            if (strcmp(k, kinds[q]) == 0)
                kind = q;
        fs.f[i].kind = kind;
        fs.f[i].arg = (int)jnum(fo, "arg", 0);
        snprintf(fs.f[i].name, sizeof fs.f[i].name, "%s",
                 jstr(fo, "name") ? jstr(fo, "name") : "");
        snprintf(fs.f[i].raw, sizeof fs.f[i].raw, "%s",
                 jstr(fo, "raw") ? jstr(fo, "raw") : "");
        if (kind < 0 || (kind == LL_AML_F_REG &&
                         (fs.f[i].arg < 0 || (size_t)fs.f[i].arg >= t->nreg))) {
            rc = ll_err_set(err, LL_EPARSE, "%s: bad feature %zu", path, i + 1);
            goto done;
        }
    }
    rc = load_pipe(cJSON_GetObjectItem(root, "pipeline"), "", &st, spath, t,
                   &fs, fs.season, out, err);
done:
    ll_aml_featset_free(&fs);
    ll_aml_table_free(t);
    if (st.raw || st.hdr)
        st_free(&st);
    cJSON_Delete(root);
    return rc;
}

/* ---- a stream's fitted models (pipeline_stream.c) ---- */

cJSON *ll_aml_stream_fit_save(const ll_aml_stream_fit *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (c->have) {
        cJSON_AddNumberToObject(o, "fit_len", (double)c->fit_len);
        cJSON_AddItemToObject(o, "spec", spec_json(&c->spec));
        cJSON *names = cJSON_AddArrayToObject(o, "param_names");
        double *vals = malloc((c->nparams + 1) * sizeof *vals);
        for (size_t k = 0; names && vals && k < c->nparams; k++) {
            cJSON_AddItemToArray(names, cJSON_CreateString(c->params[k].name));
            vals[k] = c->params[k].value;
        }
        cJSON_AddItemToObject(o, "param_values",
                              num_array(vals, vals ? c->nparams : 0));
        if (!vals || cJSON_GetArraySize(names) != (int)c->nparams) {
            free(vals);
            cJSON_Delete(o);
            return NULL;
        }
        free(vals);
    }
    if (c->nmembers) {
        cJSON *m = cJSON_AddArrayToObject(o, "members");
        for (size_t i = 0; m && i < c->nmembers; i++) {
            cJSON *e = ll_aml_stream_fit_save(c->members[i]);
            if (!e || !cJSON_AddItemToArray(m, e)) {
                cJSON_Delete(e);
                cJSON_Delete(o);
                return NULL;
            }
        }
    }
    return o;
}

int ll_aml_stream_fit_load(const ll_aml_pipeline *p, const cJSON *o,
                           ll_aml_stream_fit *c, ll_err *err)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    if (spec && p->kind == LL_AML_P_FAMILY) {
        const ll_fc_family *fam = ll_fc_family_find(p->model);
        const cJSON *len = cJSON_GetObjectItemCaseSensitive(o, "fit_len");
        const cJSON *pn = cJSON_GetObjectItemCaseSensitive(o, "param_names");
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "param_values");
        size_t np = (size_t)cJSON_GetArraySize(pn);
        ll_fc_spec sp;
        if (!fam || !cJSON_IsNumber(len) || spec_from_json(spec, fam, &sp) ||
            (size_t)cJSON_GetArraySize(pv) != np)
            return ll_err_set(err, LL_EPARSE,
                              "forecast: a malformed fitted model in the "
                              "stream's state");
        ll_fc_param *par = calloc(np + 1, sizeof *par);
        if (!par)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        for (size_t q = 0; q < np; q++) {
            const cJSON *nm = cJSON_GetArrayItem(pn, (int)q);
            const cJSON *v = cJSON_GetArrayItem(pv, (int)q);
            snprintf(par[q].name, sizeof par[q].name, "%s",
                     cJSON_IsString(nm) ? nm->valuestring : "");
            par[q].value = cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
        }
        int rc = ll_aml_stream_fit_set(c, &sp, par, np);
        free(par);
        if (rc)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        c->fit_len = (size_t)len->valuedouble;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "members");
    if (m && p->kind == LL_AML_P_ENSEMBLE) {
        if ((size_t)cJSON_GetArraySize(m) != p->nmembers)
            return ll_err_set(err, LL_EPARSE,
                              "forecast: an ensemble's fitted models in the "
                              "stream's state do not match its %zu members",
                              p->nmembers);
        if (!(c->members = calloc(p->nmembers, sizeof *c->members)))
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        c->nmembers = p->nmembers;
        for (size_t i = 0; i < p->nmembers; i++) {
            if (!(c->members[i] = ll_aml_stream_fit_new()))
                return ll_err_set(err, LL_ENOMEM, "out of memory");
            int rc = ll_aml_stream_fit_load(p->members[i],
                                            cJSON_GetArrayItem(m, (int)i),
                                            c->members[i], err);
            if (rc)
                return rc;
        }
    }
    return LL_OK;
}
