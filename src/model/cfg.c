/*
 * cfg: reading a flavor's config.json, shared by the keras and nn flavors.
 * Messages name the config file and the layer.
 */
#include "config.h"

#include "model/model_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>

const cJSON *ll_cfg_get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNull(v) ? NULL : v;
}

int ll_cfg_int(const char *file, const char *layer, const cJSON *c,
               const char *key, int def, int min, int *out, ll_err *err)
{
    const cJSON *v = ll_cfg_get(c, key);
    if (!v) {
        if (def < min)
            return ll_err_set(err, LL_EPARSE, "%s: layer '%s': missing '%s'",
                              file, layer, key);
        *out = def;
        return LL_OK;
    }
    /* Range first: converting an out-of-range double to int is undefined. */
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    if (cJSON_IsNumber(v) && d > INT_MAX) {
        char num[64];
        if (d < 9.2e18 && d == floor(d))
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            snprintf(num, sizeof num, "%g", d);
        return ll_err_set(err, LL_ERANGE,
                          "%s: layer '%s': '%s' is %s, more than %d", file,
                          layer, key, num, INT_MAX);
    }
    if (!cJSON_IsNumber(v) || !(d >= min) || d != floor(d))
        return ll_err_set(err, LL_EPARSE,
                          "%s: layer '%s': '%s' must be an integer >= %d", file,
                          layer, key, min);
    *out = (int)d;
    return LL_OK;
}

int ll_cfg_bool(const cJSON *c, const char *key, int def)
{
    const cJSON *v = ll_cfg_get(c, key);
    if (!v)
        return def;
    return cJSON_IsTrue(v);
}

double ll_cfg_num(const cJSON *c, const char *key, double def)
{
    const cJSON *v = ll_cfg_get(c, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *ll_cfg_str(const cJSON *c, const char *key, const char *def)
{
    const cJSON *v = ll_cfg_get(c, key);
    return cJSON_IsString(v) ? v->valuestring : def;
}

void ll_cfg_line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}
