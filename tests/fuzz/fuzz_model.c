/* libFuzzer target for model directories: the input is MLmodel,
 * config.json and weights.safetensors separated by the line "\n@@@@\n"; they
 * are written to a directory and loaded.  Any bytes must give a model or
 * an error, never a crash, hang, leak or sanitizer report; a model that
 * loads predicts a batch of two zero inputs (when input and output are
 * small). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[3] = {"MLmodel", "config.json",
                                     "weights.safetensors"};
#define SEP "\n@@@@\n"

static char dir[64];

static void put(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static int64_t numel(int nd, const int64_t *s)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n = s[i] > 0 && n <= INT64_MAX / s[i] ? n * s[i] : INT64_MAX;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/ll_fuzz_model_%ld", (long)getpid());
        char cmd[96];
        snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
        if (system(cmd) != 0)
            abort();
    }
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < 3; i++) {
        const uint8_t *q = p;
        size_t sl = strlen(SEP);
        while (i < 2 && q + sl <= end && memcmp(q, SEP, sl) != 0)
            q++;
        if (i < 2 && q + sl > end)
            q = end;
        if (i == 2)
            q = end;
        put(files[i], p, (size_t)(q - p));
        p = q + sl <= end ? q + sl : end;
    }
    ll_err err;
    ll_err_clear(&err);
    ll_model *m = NULL;
    if (ll_model_load(dir, &m, &err))
        return 0;
    int nd = ll_model_input_ndim(m);
    int64_t shape[LL_MAXDIM] = {2};
    memcpy(shape + 1, ll_model_input_shape(m), (size_t)nd * sizeof shape[0]);
    if (numel(nd, shape + 1) <= 4096 &&
        numel(ll_model_output_ndim(m), ll_model_output_shape(m)) <= 65536) {
        ll_tensor *x = ll_tensor_new(nd + 1, shape, &err);
        ll_tensor *y = NULL;
        if (x && ll_model_predict_tensor(m, x, &y, &err) == 0) {
            /* the output has the shape the model announced */
            if (ll_tensor_ndim(y) != ll_model_output_ndim(m) + 1)
                abort();
            for (int i = 0; i < ll_model_output_ndim(m); i++)
                if (ll_tensor_shape(y)[i + 1] != ll_model_output_shape(m)[i])
                    abort();
        }
        ll_tensor_free(x);
        ll_tensor_free(y);
    }
    ll_model_free(m);
    return 0;
}
