/* libFuzzer target for the CSV reader: any bytes must give a frame or an
 * error, never a crash, leak or sanitizer report.  The first byte picks
 * options (separator, header, bad-line policy, strictness, encoding,
 * threads); a frame that was read is also displayed and written back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    ll_csv_opts o;
    ll_csv_opts_init(&o);
    static const char seps[] = {0, ',', ';', '\t'};
    o.sep = seps[opt & 3];
    o.header = !(opt & 4);
    o.on_bad_lines = (opt >> 3) % 3;
    o.strict = (opt & 32) != 0;
    o.latin1 = (opt & 64) != 0;
    o.threads = (opt & 128) ? 2 : 1;
    ll_err err;
    ll_err_clear(&err);
    ll_buf warn;
    ll_buf_init(&warn);
    ll_frame *f = ll_frame_read_csv_mem((const char *)data + 1, size - 1,
                                        "fuzz.csv", &o, &warn, &err);
    if (f) {
        ll_buf out;
        ll_buf_init(&out);
        ll_frame_render(f, 80, 10, &out);
        ll_buf_reset(&out);
        ll_frame_to_csv(f, ',', &out);
        ll_buf_free(&out);
        ll_frame_free(f);
    }
    ll_buf_free(&warn);
    return 0;
}
