/* libFuzzer target for the safetensors reader: any bytes must give named
 * tensors or an error, never a crash, leak or sanitizer report.  What was
 * read is written back and read again, and must come back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/safetensors.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/ll_fuzz_st_%ld.safetensors",
                 (long)getpid());
    ll_err err;
    ll_err_clear(&err);
    char **names = NULL;
    ll_tensor **ts = NULL;
    int n = 0;
    if (ll_safetensors_parse("fuzz.safetensors", (const char *)data, size,
                             &names, &ts, &n, &err))
        return 0;
    if (ll_safetensors_save(path, (const char *const *)names, ts, n, &err) ==
        0) {
        char **names2 = NULL;
        ll_tensor **ts2 = NULL;
        int n2 = 0;
        if (ll_safetensors_load(path, &names2, &ts2, &n2, &err) != 0 || n2 != n)
            abort(); /* what was written must read back */
        for (int i = 0; i < n; i++) {
            if (strcmp(names[i], names2[i]) != 0 ||
                ll_tensor_numel(ts[i]) != ll_tensor_numel(ts2[i]))
                abort();
            for (int64_t k = 0; k < ll_tensor_numel(ts[i]); k++) {
                float a = ll_tensor_get(ts[i], k), b = ll_tensor_get(ts2[i], k);
                if (a != b && !(a != a && b != b))
                    abort();
            }
        }
        ll_safetensors_list_free(names2, ts2, n2);
        unlink(path);
    }
    ll_safetensors_list_free(names, ts, n);
    return 0;
}
