/* libFuzzer target for the percent .lua reader, with a write-then-read round
 * trip of every notebook it reads (tests/fuzz/nb_fuzz.h). */
#include "nb_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_notebook(LL_NB_PERCENT, data, size);
    return 0;
}
