/* serve/request.c: request bodies into frames and tensors, responses out,
 * and every client error with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/request.h"

static int parse(const char *ct, const char *body, ll_req_contract c,
                 ll_req_input *in, ll_req_contract *used, ll_err *err)
{
    ll_err_clear(err);
    return ll_req_parse(ct, body, strlen(body), c, in, used, err);
}

static double num(const ll_frame *f, const char *col, int64_t r)
{
    int c = ll_frame_find(f, col);
    assert_true(c >= 0);
    return ll_col_num(f->cols[c], r);
}

static void test_split(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    ll_req_contract used;
    assert_int_equal(
        parse("application/json; charset=utf-8",
              "{\"dataframe_split\": {\"columns\": [\"a\", \"b\"], "
              "\"index\": [7, 8], \"data\": [[1, 2.5], [3, null]]}}",
              LL_REQ_MLFLOW, &in, &used, &err),
        0);
    assert_int_equal(used, LL_REQ_MLFLOW);
    assert_non_null(in.frame);
    assert_null(in.tensor);
    assert_int_equal(in.frame->nrow, 2);
    assert_int_equal(in.frame->ncol, 2);
    assert_string_equal(in.frame->names[1], "b");
    assert_true(num(in.frame, "b", 0) == 2.5);
    assert_true(num(in.frame, "a", 1) == 3);
    assert_true(ll_col_isna(in.frame->cols[1], 1));
    ll_req_input_clear(&in);
}

static void test_records_and_columns(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    assert_int_equal(parse(NULL,
                           "{\"dataframe_records\": [{\"a\": 1, \"b\": 2}, "
                           "{\"b\": 4, \"a\": 3, \"c\": \"x\"}]}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    assert_int_equal(in.frame->ncol, 3);
    assert_string_equal(in.frame->names[2], "c");
    assert_true(num(in.frame, "a", 1) == 3);
    assert_true(ll_col_isna(in.frame->cols[2], 0));
    ll_req_input_clear(&in);

    assert_int_equal(parse(NULL, "{\"inputs\": {\"a\": [1, 2], \"b\": [3, 4]}}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    assert_int_equal(in.frame->nrow, 2);
    assert_true(num(in.frame, "b", 1) == 4);
    ll_req_input_clear(&in);
}

static void test_instances_tensor(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    assert_int_equal(parse(NULL, "{\"instances\": [[1, 2, 3], [4, 5, 6]]}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    assert_null(in.frame);
    assert_non_null(in.tensor);
    assert_int_equal(ll_tensor_ndim(in.tensor), 2);
    assert_int_equal(ll_tensor_shape(in.tensor)[1], 3);
    assert_true(ll_tensor_get(in.tensor, 4) == 5.0f);
    ll_req_input_clear(&in);

    assert_int_equal(parse(NULL, "{\"instances\": [[[1], [2]], [[3], [4]]]}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    assert_int_equal(ll_tensor_ndim(in.tensor), 3);
    ll_req_input_clear(&in);

    /* a list of scalars: one value per row */
    assert_int_equal(
        parse(NULL, "{\"inputs\": [1, 2, 3]}", LL_REQ_MLFLOW, &in, NULL, &err),
        0);
    assert_int_equal(ll_tensor_shape(in.tensor)[0], 3);
    assert_int_equal(ll_tensor_shape(in.tensor)[1], 1);
    ll_req_input_clear(&in);
}

static void test_azure_and_forecast(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    ll_req_contract used;
    assert_int_equal(parse(NULL,
                           "{\"Inputs\": {\"data\": [{\"a\": 1}]}, "
                           "\"GlobalParameters\": {\"method\": \"predict\"}}",
                           LL_REQ_AZURE, &in, &used, &err),
                     0);
    assert_int_equal(used, LL_REQ_AZURE);
    assert_int_equal(in.frame->nrow, 1);
    ll_req_input_clear(&in);

    assert_int_equal(
        parse(NULL,
              "{\"data\": [{\"Date\": \"2017-03-20T00:00:00.000Z\", "
              "\"Battery_ID\": 0, \"Daily_Trip_Duration\": 57.2}, {\"Date\": "
              "\"2017-03-21T00:00:00.000Z\", \"Battery_ID\": 0, "
              "\"Daily_Trip_Duration\": 60}], \"quantiles\": [0.025, 0.975]}",
              LL_REQ_AZURE, &in, &used, &err),
        0);
    assert_int_equal(used, LL_REQ_FORECAST);
    int d = ll_frame_find(in.frame, "Date");
    assert_int_equal(in.frame->cols[d]->type, LL_DATETIME);
    assert_int_equal(in.nquantiles, 2);
    assert_true(in.quantiles[1] == 0.975);
    ll_req_input_clear(&in);

    /* plain dates stay dates */
    assert_int_equal(parse(NULL, "{\"data\": [{\"Date\": \"2017-03-20\"}]}",
                           LL_REQ_AZURE, &in, NULL, &err),
                     0);
    assert_int_equal(in.frame->cols[0]->type, LL_DATE);
    ll_req_input_clear(&in);
}

static void test_csv(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    assert_int_equal(
        parse("text/csv", "a,b\n1,2\n3,x\n", LL_REQ_MLFLOW, &in, NULL, &err),
        0);
    assert_int_equal(in.frame->nrow, 2);
    const char *names[] = {"a", "b"};
    assert_int_equal(ll_req_check_numeric(&in, names, 2, &err), LL_EINVAL);
    assert_string_equal(err.msg, "row 1, column 'b': 'x' is not a number");
    ll_req_input_clear(&in);
}

/* Every client mistake, with the message the client reads. */
static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *ct, *body;
        ll_req_contract c;
        const char *msg;
    } cases[] = {
        {NULL, "{\"dataframe_split\": {\"columns\": [\"a\"], \n \"data\": [[1]",
         LL_REQ_MLFLOW, "malformed JSON at line 2, column 13"},
        {NULL, "{\"rows\": []}", LL_REQ_MLFLOW,
         "unknown key 'rows' (expected dataframe_split, dataframe_records, "
         "instances or inputs)"},
        {NULL, "{\"Inputs\": {}}", LL_REQ_MLFLOW,
         "unknown key 'Inputs' (expected dataframe_split, dataframe_records, "
         "instances or inputs)"},
        {NULL, "{}", LL_REQ_AZURE,
         "the body has none of Inputs, data, dataframe_split, "
         "dataframe_records, instances, inputs"},
        {NULL, "[1, 2]", LL_REQ_MLFLOW,
         "the body must be a JSON object with one of the keys "
         "dataframe_split, dataframe_records, instances, inputs"},
        {NULL, "{\"instances\": [[1], 2]}", LL_REQ_MLFLOW,
         "instances: nested lists of different depths"},
        {NULL, "{\"instances\": [[1, 2], [3]]}", LL_REQ_MLFLOW,
         "instances: ragged lists (2 and 1 items at depth 2)"},
        {NULL, "{\"instances\": [[1, \"a\"]]}", LL_REQ_MLFLOW,
         "instances: \"a\" is not a number"},
        {NULL,
         "{\"dataframe_split\": {\"columns\": [\"a\", \"b\"], \"data\": [[1, "
         "2], [3]]}}",
         LL_REQ_MLFLOW, "dataframe_split: row 1 has 1 values, row 0 has 2"},
        {NULL,
         "{\"dataframe_split\": {\"columns\": [\"a\"], \"data\": [[1, 2]]}}",
         LL_REQ_MLFLOW, "dataframe_split: 1 column names for rows of 2 values"},
        {NULL, "{\"dataframe_split\": {\"cols\": [], \"data\": []}}",
         LL_REQ_MLFLOW,
         "dataframe_split: unknown key 'cols' (expected columns, data, "
         "index)"},
        {NULL, "{\"dataframe_records\": [{\"a\": [1]}]}", LL_REQ_MLFLOW,
         "row 0, column 'a': a nested list is not a value"},
        {NULL, "{\"dataframe_records\": [1]}", LL_REQ_MLFLOW,
         "dataframe_records: row 0 is not an object of column values"},
        {NULL, "{\"dataframe_records\": []}", LL_REQ_MLFLOW,
         "dataframe_records: no rows"},
        {NULL, "{\"instances\": [1], \"inputs\": [2]}", LL_REQ_MLFLOW,
         "the body has both 'instances' and 'inputs': send one"},
        {NULL, "{\"data\": [{\"a\": 1}], \"quantiles\": [1.5]}", LL_REQ_AZURE,
         "'quantiles' must be a list of numbers in (0, 1)"},
        {"text/plain", "a", LL_REQ_MLFLOW,
         "unsupported content type 'text/plain' (use application/json or "
         "text/csv)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ll_req_input in;
        ll_err err;
        int rc = parse(cases[i].ct, cases[i].body, cases[i].c, &in, NULL, &err);
        if (rc == 0 || strcmp(err.msg, cases[i].msg) != 0)
            fprintf(stderr, "case %zu: rc %d, message '%s'\n", i, rc, err.msg);
        assert_true(rc != 0);
        assert_string_equal(err.msg, cases[i].msg);
        assert_null(in.frame);
        assert_null(in.tensor);
    }
}

static void test_missing_column(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    assert_int_equal(parse(NULL, "{\"dataframe_records\": [{\"a\": 1}]}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    const char *names[] = {"a", "b"};
    assert_int_equal(ll_req_check_numeric(&in, names, 2, &err), LL_EINVAL);
    assert_string_equal(err.msg, "missing input column 'b'");
    ll_req_input_clear(&in);
}

static void test_responses(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    assert_int_equal(parse(NULL,
                           "{\"dataframe_records\": [{\"prediction\": 0.5}, "
                           "{\"prediction\": null}]}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    ll_buf b;
    ll_buf_init(&b);
    ll_req_write_frame(in.frame, LL_REQ_MLFLOW, &b);
    assert_string_equal(ll_buf_str(&b), "{\"predictions\":[0.5,null]}");
    ll_buf_reset(&b);
    ll_req_write_frame(in.frame, LL_REQ_AZURE, &b);
    assert_string_equal(ll_buf_str(&b), "{\"Results\":[0.5,null]}");
    ll_req_input_clear(&in);

    /* a forecaster's frame: index columns, forecast and its interval */
    assert_int_equal(parse(NULL,
                           "{\"data\": [{\"Date\": \"2017-03-20\", "
                           "\"Battery_ID\": 0, \"forecast\": 0.14, "
                           "\"lower\": 0.12, \"upper\": 0.16}]}",
                           LL_REQ_AZURE, &in, NULL, &err),
                     0);
    ll_buf_reset(&b);
    assert_int_equal(ll_req_write_forecast(in.frame, &b, &err), 0);
    assert_string_equal(ll_buf_str(&b),
                        "{\"forecast\":[0.14],\"prediction_interval\":[[0.12,"
                        "0.16]],\"index\":[{\"Date\":\"2017-03-20\","
                        "\"Battery_ID\":0}]}");
    /* and back into a frame, as the client reads it */
    ll_frame *f = NULL;
    assert_int_equal(ll_req_parse_response(b.data, b.len, &f, &err), 0);
    assert_int_equal(f->ncol, 5);
    assert_true(num(f, "upper", 0) == 0.16);
    ll_frame_free(f);
    ll_req_input_clear(&in);

    const char *e = "{\"error_code\":\"BAD_REQUEST\",\"message\":\"x\"}";
    assert_int_equal(ll_req_parse_response(e, strlen(e), &f, &err), LL_EINVAL);
    assert_string_equal(err.msg, "BAD_REQUEST: x");
    ll_buf_reset(&b);
    ll_req_write_error("BAD_REQUEST", "row \"1\"\n", &b);
    assert_string_equal(ll_buf_str(&b), "{\"error_code\":\"BAD_REQUEST\","
                                        "\"message\":\"row \\\"1\\\"\\n\"}");
    ll_buf_free(&b);
}

static void test_split_round_trip(void **state)
{
    (void)state;
    ll_req_input in;
    ll_err err;
    assert_int_equal(parse(NULL,
                           "{\"dataframe_records\": [{\"a\": 0.1, \"s\": "
                           "\"q\\\"x\"}, {\"a\": 1e300, \"s\": null}]}",
                           LL_REQ_MLFLOW, &in, NULL, &err),
                     0);
    ll_buf b;
    ll_buf_init(&b);
    assert_int_equal(ll_req_frame_to_split(in.frame, &b), 0);
    assert_string_equal(ll_buf_str(&b),
                        "{\"dataframe_split\":{\"columns\":[\"a\",\"s\"],"
                        "\"data\":[[0.1,\"q\\\"x\"],[1e+300,"
                        "null]]}}");
    ll_req_input back;
    assert_int_equal(
        parse(NULL, ll_buf_str(&b), LL_REQ_MLFLOW, &back, NULL, &err), 0);
    assert_true(num(back.frame, "a", 0) == 0.1);
    ll_req_input_clear(&back);
    ll_req_input_clear(&in);
    ll_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_records_and_columns),
        cmocka_unit_test(test_instances_tensor),
        cmocka_unit_test(test_azure_and_forecast),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_column),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_split_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
