/* Tests for notebook/format_ipynb.c, format_md.c and exec.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebook/exec.h"
#include "notebook/notebook.h"

static char *to_ipynb(const ll_notebook *nb)
{
    ll_buf b;
    ll_buf_init(&b);
    ll_err err;
    assert_int_equal(ll_notebook_to_ipynb(nb, &b, &err), LL_OK);
    return ll_buf_take(&b);
}

static ll_notebook *parse_ipynb(const char *text)
{
    ll_notebook *nb = NULL;
    ll_err err;
    ll_err_clear(&err);
    int rc = ll_notebook_parse_ipynb(text, strlen(text), "t.ipynb", &nb, &err);
    if (rc != LL_OK)
        fprintf(stderr, "# %s\n", err.msg);
    assert_int_equal(rc, LL_OK);
    return nb;
}

static void test_ipynb_write_shape(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *md =
        ll_notebook_insert_cell(nb, 0, LL_CELL_MARKDOWN, "# T\nx", NULL);
    free(md->id);
    md->id = strdup("aaaa0001");
    ll_cell *c = ll_notebook_insert_cell(nb, 1, LL_CELL_CODE, "print(1)", NULL);
    free(c->id);
    c->id = strdup("aaaa0002");
    ll_output o = {0};
    o.type = LL_OUT_STREAM;
    o.name = (char[]){"stdout"};
    o.text = (char[]){"1\n"};
    ll_cell_add_output(c, &o);
    c->execution_count = 1;
    char *s = to_ipynb(nb);
    const char *expect = "{\n"
                         " \"cells\": [\n"
                         "  {\n"
                         "   \"cell_type\": \"markdown\",\n"
                         "   \"id\": \"aaaa0001\",\n"
                         "   \"metadata\": {},\n"
                         "   \"source\": [\n"
                         "    \"# T\\n\",\n"
                         "    \"x\"\n"
                         "   ]\n"
                         "  },\n"
                         "  {\n"
                         "   \"cell_type\": \"code\",\n"
                         "   \"execution_count\": 1,\n"
                         "   \"id\": \"aaaa0002\",\n"
                         "   \"metadata\": {},\n"
                         "   \"outputs\": [\n"
                         "    {\n"
                         "     \"name\": \"stdout\",\n"
                         "     \"output_type\": \"stream\",\n"
                         "     \"text\": [\n"
                         "      \"1\\n\"\n"
                         "     ]\n"
                         "    }\n"
                         "   ],\n"
                         "   \"source\": [\n"
                         "    \"print(1)\"\n"
                         "   ]\n"
                         "  }\n"
                         " ],\n"
                         " \"metadata\": {\n"
                         "  \"kernelspec\": {\n"
                         "   \"display_name\": \"Lua (lualab)\",\n"
                         "   \"language\": \"lua\",\n"
                         "   \"name\": \"lua\"\n"
                         "  },\n"
                         "  \"language_info\": {\n"
                         "   \"file_extension\": \".lua\",\n"
                         "   \"mimetype\": \"text/x-lua\",\n"
                         "   \"name\": \"lua\",\n"
                         "   \"version\": \"5.4\"\n"
                         "  }\n"
                         " },\n"
                         " \"nbformat\": 4,\n"
                         " \"nbformat_minor\": 5\n"
                         "}\n";
    assert_string_equal(s, expect);
    /* and it reads back the same */
    ll_notebook *back = parse_ipynb(s);
    char *again = to_ipynb(back);
    assert_string_equal(again, expect);
    free(again);
    ll_notebook_free(back);
    free(s);
    ll_notebook_free(nb);
}

static void test_ipynb_outputs_round_trip(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    nb->title = strdup("T \"q\"");
    nb->header = strdup("title: T");
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "x", NULL);
    c->execution_count = 3;
    ll_output r = {0};
    r.type = LL_OUT_RESULT;
    r.text = (char[]){"<plot>"};
    r.svg = (char[]){"<svg>\n</svg>"};
    r.execution_count = 3;
    ll_cell_add_output(c, &r);
    ll_output e = {0};
    e.type = LL_OUT_ERROR;
    e.ename = (char[]){"LuaError"};
    e.evalue = (char[]){"cell 1:1: boom"};
    e.traceback = (char[]){"cell 1:1: boom\nstack traceback:\n\t[C]: in ?"};
    ll_cell_add_output(c, &e);
    ll_output d = {0};
    d.type = LL_OUT_DISPLAY;
    d.text = (char[]){"tab\x01\"le"};
    ll_cell_add_output(c, &d);
    assert_int_equal(ll_cell_add_tag(c, "raises-exception"), LL_OK);
    char *s = to_ipynb(nb);
    assert_non_null(strstr(s, "\"image/svg+xml\": [\n       \"<svg>\\n\",\n"));
    assert_non_null(strstr(s, "\"traceback\": [\n      \"cell 1:1: boom\",\n"
                              "      \"stack traceback:\",\n"
                              "      \"\\t[C]: in ?\"\n"));
    assert_non_null(strstr(s, "\"tab\\u0001\\\"le\""));
    assert_non_null(strstr(s, "\"percent_header\": \"title: T\""));
    ll_notebook *back = parse_ipynb(s);
    assert_string_equal(back->title, "T \"q\"");
    assert_string_equal(back->header, "title: T");
    const ll_cell *b = &back->cells[0];
    assert_int_equal(b->execution_count, 3);
    assert_true(ll_cell_has_tag(b, "raises-exception"));
    assert_int_equal(b->noutputs, 3);
    assert_int_equal(b->outputs[0].type, LL_OUT_RESULT);
    assert_string_equal(b->outputs[0].svg, "<svg>\n</svg>");
    assert_int_equal(b->outputs[0].execution_count, 3);
    assert_int_equal(b->outputs[1].type, LL_OUT_ERROR);
    assert_string_equal(b->outputs[1].traceback, e.traceback);
    assert_string_equal(b->outputs[1].evalue, "cell 1:1: boom");
    assert_string_equal(b->outputs[2].text, "tab\x01\"le");
    ll_notebook_free(back);
    free(s);
    ll_notebook_free(nb);
}

/* Charts: image/png kept beside image/svg+xml, and no XML declaration in
 * the SVG written (nbconvert's HTML exporter cannot parse one). */
static void test_ipynb_png_and_svg_prologue(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "p", NULL);
    ll_output d = {0};
    d.type = LL_OUT_DISPLAY;
    d.text = (char[]){"chart"};
    d.svg = (char[]){"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg/>"};
    d.png = (char[]){"iVBORw0KGgo="};
    ll_cell_add_output(c, &d);
    char *s = to_ipynb(nb);
    assert_null(strstr(s, "<?xml"));
    assert_non_null(strstr(s, "\"image/png\": \"iVBORw0KGgo=\",\n"
                              "      \"image/svg+xml\": [\n"
                              "       \"<svg/>\"\n"));
    ll_notebook *back = parse_ipynb(s);
    assert_string_equal(back->cells[0].outputs[0].png, "iVBORw0KGgo=");
    assert_string_equal(back->cells[0].outputs[0].svg, "<svg/>");
    ll_cell copy;
    assert_int_equal(ll_cell_copy(&back->cells[0], &copy), LL_OK);
    assert_string_equal(copy.outputs[0].png, "iVBORw0KGgo=");
    ll_cell_free(&copy);
    ll_notebook_free(back);
    free(s);
    ll_notebook_free(nb);
}

/* Markdown: what is written reads back as the same cells, code holding
 * fences included (CommonMark's longer fence). */
static void test_markdown_round_trip(void **state)
{
    (void)state;
    static const struct {
        ll_cell_type type;
        const char *src;
    } cells[] = {
        {LL_CELL_MARKDOWN, "# Title\n\nSome text."},
        {LL_CELL_CODE, "s = [[\n```\ncode\n```\n]]"},
        {LL_CELL_CODE, "t = [[\n````lua\n]]\nu = \"```\""},
        {LL_CELL_CODE, "v = [[\n  ```\n~~~\n]]"},
        {LL_CELL_MARKDOWN, "Use a fence:\n```\nunclosed"},
        {LL_CELL_MARKDOWN, "```lua\nx = 1\n```"},
        {LL_CELL_MARKDOWN, "two in a row"},
        {LL_CELL_RAW, "raw\n\n text"},
        {LL_CELL_CODE, ""},
        {LL_CELL_MARKDOWN, ""},
        {LL_CELL_MARKDOWN, "last"},
    };
    int n = (int)(sizeof cells / sizeof cells[0]);
    ll_notebook *nb = ll_notebook_new(NULL);
    for (int i = 0; i < n; i++)
        assert_non_null(
            ll_notebook_insert_cell(nb, i, cells[i].type, cells[i].src, NULL));
    ll_cell_add_tag(&nb->cells[1], "parameters");
    ll_buf b;
    ll_buf_init(&b);
    assert_int_equal(ll_notebook_to_markdown(nb, &b), LL_OK);
    assert_non_null(strstr(ll_buf_str(&b), "````lua tags=[\"parameters\"]\n"
                                           "s = [[\n```\ncode\n```\n]]\n"
                                           "````\n"));
    assert_non_null(strstr(ll_buf_str(&b), "`````lua\nt = [["));
    ll_notebook *back = NULL;
    ll_err err;
    ll_err_clear(&err);
    int rc = ll_notebook_parse_markdown(b.data, b.len, "t.md", &back, &err);
    if (rc != LL_OK)
        fprintf(stderr, "# %s\n%s", err.msg, ll_buf_str(&b));
    assert_int_equal(rc, LL_OK);
    assert_int_equal(back->ncells, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(back->cells[i].type, cells[i].type);
        assert_string_equal(back->cells[i].source, cells[i].src);
    }
    assert_true(ll_cell_has_tag(&back->cells[1], "parameters"));
    ll_notebook_free(back);
    ll_buf_free(&b);
    ll_notebook_free(nb);
    /* an explicit cell that is not closed is Markdown text */
    const char *open = "text\n<!-- #region -->\nnot closed\n";
    back = NULL;
    assert_int_equal(
        ll_notebook_parse_markdown(open, strlen(open), "t.md", &back, &err),
        LL_OK);
    assert_int_equal(back->ncells, 1);
    assert_string_equal(back->cells[0].source,
                        "text\n<!-- #region -->\nnot closed");
    ll_notebook_free(back);
}

static void assert_ipynb_error(const char *text, const char *msg)
{
    ll_notebook *nb = NULL;
    ll_err err;
    ll_err_clear(&err);
    assert_int_equal(
        ll_notebook_parse_ipynb(text, strlen(text), "t.ipynb", &nb, &err),
        LL_EPARSE);
    assert_null(nb);
    assert_string_equal(err.msg, msg);
}

static void test_ipynb_errors(void **state)
{
    (void)state;
    assert_ipynb_error("{\n \"cells\": [\n  {,\n ]}",
                       "t.ipynb:3:5: invalid JSON");
    assert_ipynb_error("{\"cells\": [], \"nbformat\": 3}",
                       "t.ipynb:1:27: unsupported nbformat 3 (lualab reads "
                       "nbformat 4)");
    assert_ipynb_error("[]",
                       "t.ipynb:1:1: not a notebook (expected a JSON object)");
    assert_ipynb_error("{\"nbformat\": 4, \"cells\": [{\"cell_type\": "
                       "\"code\", \"source\": 5}]}",
                       "t.ipynb:1:41: cells[0]: source must be a string or a "
                       "list of strings");
    assert_ipynb_error("{\"nbformat\": 4, \"cells\": [{\"cell_type\": "
                       "\"slide\"}]}",
                       "t.ipynb:1:41: cells[0]: unknown cell_type 'slide'");
    assert_ipynb_error("{\"nbformat\": 4, \"cells\": []} x",
                       "t.ipynb:1:30: invalid JSON: text after the notebook");
}

static void test_ipynb_reads_strings_and_ids(void **state)
{
    (void)state;
    ll_notebook *nb =
        parse_ipynb("{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": "
                    "{\"kernelspec\": {\"name\": \"python3\"}}, \"cells\": ["
                    "{\"cell_type\": \"code\", \"source\": \"a = 1\\n\", "
                    "\"metadata\": {}, \"outputs\": [], \"id\": \"same\"},"
                    "{\"cell_type\": \"raw\", \"source\": [\"r\"], "
                    "\"metadata\": {}, \"id\": \"same\"}]}");
    assert_int_equal(nb->ncells, 2);
    assert_string_equal(nb->cells[0].source, "a = 1");
    assert_string_equal(nb->cells[0].id, "same");
    assert_string_not_equal(nb->cells[1].id, "same");
    assert_int_equal(nb->cells[1].type, LL_CELL_RAW);
    char *s = to_ipynb(nb);
    assert_non_null(strstr(s, "\"name\": \"lua\""));
    assert_null(strstr(s, "python3"));
    free(s);
    ll_notebook_free(nb);
}

static void test_markdown_reader(void **state)
{
    (void)state;
    const char *md = "---\ntitle: M\n---\n\n# Title\n\nSome text.\n\n"
                     "```python\nnot lua\n```\n\n"
                     "```lua tags=[\"parameters\"]\nx = 1\n```\n\n"
                     "More.\n\n~~~lua\nprint(x)\n\n~~~\n";
    ll_notebook *nb = NULL;
    ll_err err;
    assert_int_equal(
        ll_notebook_parse_markdown(md, strlen(md), "t.md", &nb, &err), LL_OK);
    assert_string_equal(nb->header, "title: M");
    assert_string_equal(nb->title, "M");
    assert_int_equal(nb->ncells, 4);
    assert_int_equal(nb->cells[0].type, LL_CELL_MARKDOWN);
    assert_string_equal(nb->cells[0].source,
                        "# Title\n\nSome text.\n\n```python\nnot lua\n```");
    assert_int_equal(nb->cells[1].type, LL_CELL_CODE);
    assert_string_equal(nb->cells[1].source, "x = 1");
    assert_true(ll_cell_has_tag(&nb->cells[1], "parameters"));
    assert_int_equal(nb->cells[1].line, 13);
    assert_string_equal(nb->cells[2].source, "More.");
    assert_string_equal(nb->cells[3].source, "print(x)\n");
    ll_notebook_free(nb);

    const char *bad = "text\n\n```lua\nx = 1\n";
    nb = NULL;
    assert_int_equal(
        ll_notebook_parse_markdown(bad, strlen(bad), "t.md", &nb, &err),
        LL_EPARSE);
    assert_null(nb);
    assert_string_equal(err.msg,
                        "t.md:3:1: code block opened here is not closed");
    bad = "```lua tags=[oops]\nx\n```\n";
    assert_int_equal(
        ll_notebook_parse_markdown(bad, strlen(bad), "t.md", &nb, &err),
        LL_EPARSE);
    assert_string_equal(err.msg, "t.md:1:13: bad metadata value for 'tags' "
                                 "after ```lua (expected JSON)");
}

typedef struct seen {
    char text[256];
    int events;
} seen;

static void seen_stream(void *ud, const char *name, const char *data,
                        size_t len)
{
    seen *s = ud;
    (void)name;
    strncat(s->text, data, len);
    s->events++;
}

static void test_execute_cell(void **state)
{
    (void)state;
    ll_err err;
    ll_host *h = ll_host_new(0, NULL, &err);
    assert_non_null(h);
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *c =
        ll_notebook_insert_cell(nb, 0, LL_CELL_CODE,
                                "io.write('a') io.write('b') print('c')\n"
                                "print('d')\n"
                                "display('shown')\n"
                                "6 * 7",
                                NULL);
    seen s = {{0}, 0};
    ll_sink fwd = {seen_stream, NULL, NULL, &s, 0, 0};
    int counter = 4;
    assert_int_equal(ll_cell_execute(c, h, &counter, &fwd), LL_CELL_OK);
    assert_int_equal(counter, 5);
    assert_int_equal(c->execution_count, 5);
    assert_string_equal(s.text, "abc\nd\n");
    assert_true(s.events >= 3);
    /* consecutive stdout writes merged into one output */
    assert_int_equal(c->outputs[0].type, LL_OUT_STREAM);
    assert_string_equal(c->outputs[0].name, "stdout");
    assert_string_equal(c->outputs[0].text, "abc\nd\n");
    int last = c->noutputs - 1;
    assert_int_equal(c->outputs[last].type, LL_OUT_RESULT);
    assert_string_equal(c->outputs[last].text, "42");
    assert_int_equal(c->outputs[last].execution_count, 5);
    assert_int_equal(c->outputs[last - 1].type, LL_OUT_DISPLAY);
    assert_string_equal(c->outputs[last - 1].text, "shown");

    ll_cell *bad = ll_notebook_insert_cell(
        nb, 1, LL_CELL_CODE, "print('before')\nerror('boom')", NULL);
    assert_int_equal(ll_cell_execute(bad, h, &counter, NULL), LL_CELL_ERROR);
    assert_int_equal(bad->noutputs, 2);
    assert_string_equal(bad->outputs[0].text, "before\n");
    assert_int_equal(bad->outputs[1].type, LL_OUT_ERROR);
    assert_string_equal(bad->outputs[1].evalue, "cell 6:2: boom");
    assert_non_null(strstr(bad->outputs[1].traceback, "stack traceback"));
    /* running again replaces the outputs */
    assert_int_equal(ll_cell_set_source(bad, "x = 1"), LL_OK);
    assert_true(bad->stale);
    assert_int_equal(ll_cell_execute(bad, h, &counter, NULL), LL_CELL_OK);
    assert_int_equal(bad->noutputs, 0);
    assert_false(bad->stale);
    ll_notebook_free(nb);
    ll_host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipynb_write_shape),
        cmocka_unit_test(test_ipynb_outputs_round_trip),
        cmocka_unit_test(test_ipynb_png_and_svg_prologue),
        cmocka_unit_test(test_ipynb_errors),
        cmocka_unit_test(test_ipynb_reads_strings_and_ids),
        cmocka_unit_test(test_markdown_reader),
        cmocka_unit_test(test_markdown_round_trip),
        cmocka_unit_test(test_execute_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
