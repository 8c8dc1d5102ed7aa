/* libFuzzer target for the scoring server's request parser: any body must
 * give a frame, a tensor or a client error, never a crash, leak or
 * sanitizer report.  The first byte picks the content type and the
 * endpoint's contract; a parsed frame is written back as a request and as
 * each kind of response, and the written request must parse again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "serve/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    static const char *types[] = {"application/json", "text/csv",
                                  "application/json; charset=utf-8", NULL};
    const char *ct = types[opt & 3];
    ll_req_contract contract = (opt & 4) ? LL_REQ_AZURE : LL_REQ_MLFLOW;
    ll_req_input in;
    ll_req_contract used;
    ll_err err;
    ll_err_clear(&err);
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    if (ll_req_parse(ct, body, len, contract, &in, &used, &err) != LL_OK)
        return 0;
    ll_buf out;
    ll_buf_init(&out);
    if (in.frame) {
        const char *names[] = {"a", "b"};
        ll_req_check_numeric(&in, names, 2, &err);
        ll_req_write_frame(in.frame, used, &out);
        ll_buf_reset(&out);
        ll_req_write_forecast(in.frame, &out, &err);
        ll_buf_reset(&out);
        ll_req_frame_to_split(in.frame, &out);
        ll_req_input back;
        if (in.frame->ncol > 0 &&
            ll_req_parse("application/json", out.data, out.len, LL_REQ_MLFLOW,
                         &back, NULL, &err) != LL_OK)
            __builtin_trap(); /* what we write, we must read */
        if (in.frame->ncol > 0)
            ll_req_input_clear(&back);
        ll_frame *f = NULL;
        if (ll_req_parse_response(out.data, out.len, &f, &err) == LL_OK)
            ll_frame_free(f);
    } else if (in.tensor) {
        ll_req_write_tensor(in.tensor, used, &out);
    }
    ll_buf_free(&out);
    ll_req_input_clear(&in);
    return 0;
}
