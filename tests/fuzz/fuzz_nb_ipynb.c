/* libFuzzer target for the .ipynb reader, with a write-then-read round
 * trip of every notebook it reads (tests/fuzz/fuzz_nb.h). */
#include "fuzz_nb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_notebook(LL_NB_IPYNB, data, size);
    return 0;
}
