/*
 * safetensors.c: the safetensors reader and writer (see safetensors.h).
 */
#include "nn/safetensors.h"
#include "nn/nn_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "util/fsutil.h"

static int add_number(cJSON *array, double v)
{
    cJSON *n = cJSON_CreateNumber(v);
    if (n && cJSON_AddItemToArray(array, n))
        return 1;
    cJSON_Delete(n);
    return 0;
}

int ll_safetensors_save(const char *path, const char *const *names,
                        ll_tensor **ts, int n, ll_err *err)
{
    cJSON *root = cJSON_CreateObject();
    ll_buf out;
    ll_buf_init(&out);
    int rc = LL_ENOMEM;
    int64_t off = 0;
    if (!root)
        goto done;
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_AddObjectToObject(root, names[i]);
        if (!e || !cJSON_AddStringToObject(e, "dtype", "F32"))
            goto done;
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        cJSON *offs = cJSON_AddArrayToObject(e, "data_offsets");
        if (!shape || !offs)
            goto done;
        int ok = 1;
        for (int d = 0; d < ts[i]->ndim; d++)
            ok = ok && add_number(shape, (double)ts[i]->shape[d]);
        int64_t bytes = ts[i]->numel * 4;
        ok = ok && add_number(offs, (double)off) &&
             add_number(offs, (double)(off + bytes));
        if (!ok) /* a header missing a number would be written corrupt */
            goto done;
        off += bytes;
    }
    char *hdr = cJSON_PrintUnformatted(root);
    if (!hdr)
        goto done;
    size_t hl = strlen(hdr), padded = (hl + 7) / 8 * 8;
    unsigned char len8[8];
    for (int k = 0; k < 8; k++)
        len8[k] = (unsigned char)((uint64_t)padded >> (8 * k));
    int ok =
        ll_buf_append(&out, len8, 8) == 0 && ll_buf_append(&out, hdr, hl) == 0;
    free(hdr);
    for (size_t k = hl; ok && k < padded; k++)
        ok = ll_buf_putc(&out, ' ') == 0;
    for (int i = 0; ok && i < n; i++) {
        size_t bytes = (size_t)ts[i]->numel * 4;
        if (ll_buf_reserve(&out, bytes) != 0) {
            ok = 0;
            break;
        }
        float *tmp = malloc(bytes ? bytes : 1);
        if (!tmp) {
            ok = 0;
            break;
        }
        ll_gather_to(ts[i], tmp);
        ok = ll_buf_append(&out, tmp, bytes) == 0;
        free(tmp);
    }
    if (!ok)
        goto done;
    rc = ll_write_file_atomic(path, out.data, out.len, err);
done:
    if (rc == LL_ENOMEM)
        ll_err_set(err, LL_ENOMEM, "%s: out of memory", path);
    cJSON_Delete(root);
    ll_buf_free(&out);
    return rc;
}

void ll_safetensors_list_free(char **names, ll_tensor **ts, int n)
{
    for (int i = 0; i < n; i++) {
        if (names)
            free(names[i]);
        if (ts)
            ll_tensor_free(ts[i]);
    }
    free(names);
    free(ts);
}

static float half_to_float(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
    float f;
    if (e == 0)
        f = ldexpf((float)m, -24);
    else if (e == 31)
        f = m ? NAN : INFINITY;
    else
        f = ldexpf((float)(m | 1024), (int)e - 25);
    return s ? -f : f;
}

static int dtype_size(const char *dt, int *code)
{
    static const char *names[] = {"F32", "F64", "F16", "BF16", "I64",
                                  "I32", "I16", "I8",  "U8",   "BOOL"};
    static const int sizes[] = {4, 8, 2, 2, 8, 4, 2, 1, 1, 1};
    for (int i = 0; i < 10; i++)
        if (!strcmp(dt, names[i])) {
            *code = i;
            return sizes[i];
        }
    return 0;
}

/* A JSON number that is a whole size in [0, 2^63). */
static int json_size(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (!(d >= 0 && d < 9223372036854775808.0) || d != floor(d))
        return 0;
    *out = (int64_t)d;
    return 1;
}

static float load_elem(const unsigned char *p, int code)
{
    union {
        float f;
        double d;
        uint32_t u32;
        uint64_t u64;
        int64_t i64;
        int32_t i32;
        int16_t i16;
        uint16_t u16;
    } v;
    switch (code) {
    case 0:
        memcpy(&v.f, p, 4);
        return v.f;
    case 1:
        memcpy(&v.d, p, 8);
        return (float)v.d;
    case 2:
        memcpy(&v.u16, p, 2);
        return half_to_float(v.u16);
    case 3:
        memcpy(&v.u16, p, 2);
        v.u32 = (uint32_t)v.u16 << 16;
        return v.f;
    case 4:
        memcpy(&v.i64, p, 8);
        return (float)v.i64;
    case 5:
        memcpy(&v.i32, p, 4);
        return (float)v.i32;
    case 6:
        memcpy(&v.i16, p, 2);
        return (float)v.i16;
    case 7:
        return (float)(int8_t)p[0];
    default:
        return (float)p[0];
    }
}

int ll_safetensors_load(const char *path, char ***names_out,
                        ll_tensor ***ts_out, int *n_out, ll_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = ll_read_file(path, &data, &len, err);
    if (rc)
        return rc;
    rc = ll_safetensors_parse(path, data, len, names_out, ts_out, n_out, err);
    free(data);
    return rc;
}

int ll_safetensors_parse(const char *path, const char *data, size_t len,
                         char ***names_out, ll_tensor ***ts_out, int *n_out,
                         ll_err *err)
{
    int rc;
    cJSON *root = NULL;
    char **names = NULL;
    ll_tensor **ts = NULL;
    int n = 0;
    uint64_t hl = 0;
    for (int k = 0; k < 8 && len >= 8; k++)
        hl |= (uint64_t)(unsigned char)data[k] << (8 * k);
    if (len < 8 || hl > len - 8) {
        rc = ll_err_set(err, LL_EPARSE,
                        "%s: not a safetensors file (bad header length)", path);
        goto done;
    }
    errno = 0;
    root = cJSON_ParseWithLength(data + 8, (size_t)hl);
    if (!root && errno == ENOMEM) { /* a failed malloc, not the header */
        rc = ll_oom(err, path);
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        rc = ll_err_set(err, LL_EPARSE,
                        "%s: safetensors header is not a "
                        "JSON object",
                        path);
        goto done;
    }
    int cap = cJSON_GetArraySize(root);
    names = calloc((size_t)cap + 1, sizeof *names);
    ts = calloc((size_t)cap + 1, sizeof *ts);
    if (!names || !ts) {
        rc = ll_oom(err, path);
        goto done;
    }
    const unsigned char *base = (const unsigned char *)data + 8 + hl;
    size_t avail = len - 8 - (size_t)hl;
    cJSON *e;
    cJSON_ArrayForEach(e, root)
    {
        if (!strcmp(e->string, "__metadata__"))
            continue;
        cJSON *dt = cJSON_GetObjectItem(e, "dtype");
        cJSON *shape = cJSON_GetObjectItem(e, "shape");
        cJSON *offs = cJSON_GetObjectItem(e, "data_offsets");
        int code = 0,
            size = cJSON_IsString(dt) ? dtype_size(dt->valuestring, &code) : 0;
        if (!size || !cJSON_IsObject(e) || !cJSON_IsArray(shape) ||
            !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
            cJSON_GetArraySize(shape) > LL_MAXDIM) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: key '%s': unsupported dtype or bad entry",
                            path, e->string);
            goto done;
        }
        int64_t s[LL_MAXDIM];
        int nd = 0;
        cJSON *d;
        cJSON_ArrayForEach(d, shape)
        {
            if (!json_size(d, &s[nd])) {
                rc = ll_err_set(err, LL_EPARSE,
                                "%s: key '%s': shape entry %d is not a "
                                "non-negative integer",
                                path, e->string, nd + 1);
                goto done;
            }
            nd++;
        }
        int64_t numel = ll_shape_numel(nd, s);
        if (numel < 0) {
            char b[LL_MAXDIM * 24 + 4];
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: key '%s': shape %s has too many elements",
                            path, e->string, ll_shape_str(nd, s, b, sizeof b));
            goto done;
        }
        int64_t lo, hi;
        if (!json_size(cJSON_GetArrayItem(offs, 0), &lo) ||
            !json_size(cJSON_GetArrayItem(offs, 1), &hi)) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: key '%s': data_offsets must be two "
                            "non-negative integers",
                            path, e->string);
            goto done;
        }
        /* numel <= LL_NUMEL_MAX and size <= 8: the division cannot be
         * fooled by a wrapped product. */
        if (hi < lo || (uint64_t)hi > avail ||
            (uint64_t)(hi - lo) % (uint64_t)size != 0 ||
            (uint64_t)(hi - lo) / (uint64_t)size != (uint64_t)numel) {
            rc = ll_err_set(err, LL_EPARSE,
                            "%s: key '%s': data offsets do not match its "
                            "shape",
                            path, e->string);
            goto done;
        }
        ll_tensor *t = ll_tensor_empty(nd, s, err);
        if (!t) {
            rc = err && err->code ? err->code : LL_ENOMEM;
            ll_err_prefix(err, "%s: key '%s'", path, e->string);
            goto done;
        }
        names[n] = strdup(e->string);
        if (!names[n]) {
            ll_tensor_free(t);
            rc = ll_oom(err, path);
            goto done;
        }
        ts[n++] = t;
        for (int64_t q = 0; q < numel; q++)
            LL_D(t)[q] = load_elem(base + lo + (size_t)q * (size_t)size, code);
    }
    *names_out = names;
    *ts_out = ts;
    *n_out = n;
    names = NULL;
    ts = NULL;
    rc = 0;
done:
    ll_safetensors_list_free(names, ts, n);
    cJSON_Delete(root);
    return rc;
}
