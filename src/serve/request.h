/*
 * request: the scoring server's request bodies into frames and tensors,
 * and predictions into response bodies (DESIGN 5.10).  No HTTP and no
 * Lua here, so the parser is fuzzed and unit-tested on its own.
 *
 * Bodies understood (MLflow's scoring protocol and Azure ML's):
 *   application/json  {"dataframe_split": {"columns": [...], "data": [[...]]}}
 *                     {"dataframe_records": [{...}, ...]}
 *                     {"instances": [...]}  {"inputs": ...}
 *                     {"Inputs": {"data": [records]}, "GlobalParameters": {}}
 *                     {"data": [records], "quantiles": [0.1, 0.9]}
 *   text/csv          a header line, then rows
 * instances / inputs holding rows of numbers (nested lists) give a tensor;
 * records, column dictionaries, dataframe_split and CSV give a frame.
 *
 * Column types are inferred from the JSON values: numbers (and null) give
 * float columns, true/false bool, strings that all parse as ISO dates or
 * date-times date/datetime columns, other strings string columns.  A
 * column mixing numbers with other strings becomes a string column and
 * remembers its first non-number, so that an error can name the row.
 *
 * Errors fill err with a message fit to show the client: malformed JSON
 * says the line and column, an unknown key names it, a ragged row names
 * its number.  Rows are numbered from 0 as in the request.
 */
#ifndef LL_SERVE_REQUEST_H
#define LL_SERVE_REQUEST_H

#include <stddef.h>

#include "frame/frame.h"
#include "nn/tensor.h"
#include "util/buf.h"
#include "util/err.h"

typedef enum ll_req_contract {
    LL_REQ_MLFLOW,  /* /invocations: {"predictions": ...} */
    LL_REQ_AZURE,   /* /score with Inputs: {"Results": ...} */
    LL_REQ_FORECAST /* /score with data: {"forecast": ..., "index": ...} */
} ll_req_contract;

typedef struct ll_req_input {
    ll_frame *frame;   /* frame-shaped input, or NULL */
    ll_tensor *tensor; /* tensor-shaped input, or NULL */
    /* For each frame column, the first row whose value is not a number
     * (-1 when all are numbers or null), and that value as text. */
    int64_t *bad_row;
    char **bad_value;
    double *quantiles; /* forecast contract's "quantiles", or NULL */
    size_t nquantiles;
} ll_req_input;

void ll_req_input_clear(ll_req_input *in);

/* Parse a body.  content_type may be NULL (JSON assumed) and may carry
 * parameters ("application/json; charset=utf-8").  contract says which
 * endpoint it came to: LL_REQ_MLFLOW accepts MLflow's keys; LL_REQ_AZURE
 * accepts Azure ML's keys ("Inputs", "data") and MLflow's, and reports in
 * *used which contract the body followed.  Returns 0 or LL_EPARSE /
 * LL_EINVAL (the client's fault) / LL_ENOMEM. */
int ll_req_parse(const char *content_type, const char *body, size_t len,
                 ll_req_contract contract, ll_req_input *in,
                 ll_req_contract *used, ll_err *err);

/* Check that the named input columns exist and hold numbers; the error
 * names the missing column, or the row and column of a non-number. */
int ll_req_check_numeric(const ll_req_input *in, const char *const *names,
                         int n, ll_err *err);

/* Response bodies.  Predictions of a frame: one column -> a flat list;
 * several -> a list of records.  A tensor -> nested lists of its shape. */
int ll_req_write_frame(const ll_frame *pred, ll_req_contract contract,
                       ll_buf *out);
int ll_req_write_tensor(const ll_tensor *pred, ll_req_contract contract,
                        ll_buf *out);
/* The forecast contract: pred has the index columns (time, series) and
 * forecast[, lower, upper] columns. */
int ll_req_write_forecast(const ll_frame *pred, ll_buf *out, ll_err *err);
/* {"error_code": code, "message": msg} */
void ll_req_write_error(const char *code, const char *msg, ll_buf *out);

/* The client's side (serve.start's service): a frame as a
 * dataframe_split body (floats in the shortest text that reads back exactly),
 * and a server's answer
 * ({"predictions": ...}, {"Results": ...} or the forecasting contract) as
 * a frame; an error answer becomes err "CODE: message". */
int ll_req_frame_to_split(const ll_frame *f, ll_buf *out);
int ll_req_parse_response(const char *body, size_t len, ll_frame **out,
                          ll_err *err);

#endif
