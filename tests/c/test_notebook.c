/* Tests for notebook/notebook.c (the model) and format_percent.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notebook/notebook.h"

/* Layering: the notebook model and its formats need no Lua and no kernel. */
#if defined(LL_HOST_H) || defined(lua_h)
#error "notebook/notebook.h must not include the host or Lua"
#endif

static ll_notebook *parse(const char *text)
{
    ll_notebook *nb = NULL;
    ll_err err;
    ll_err_clear(&err);
    int rc = ll_notebook_parse_percent(text, strlen(text), "t.lua", &nb, &err);
    if (rc != LL_OK)
        fprintf(stderr, "# %s\n", err.msg);
    assert_int_equal(rc, LL_OK);
    return nb;
}

static char *to_percent(const ll_notebook *nb)
{
    ll_buf b;
    ll_buf_init(&b);
    assert_int_equal(ll_notebook_to_percent(nb, &b), LL_OK);
    return ll_buf_take(&b);
}

static void assert_parse_error(const char *text, const char *msg);

static void assert_round_trip(const char *text)
{
    ll_notebook *nb = parse(text);
    char *back = to_percent(nb);
    assert_string_equal(back, text);
    free(back);
    ll_notebook_free(nb);
}

static void test_model_insert_delete_move(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    assert_non_null(nb);
    assert_non_null(
        ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "b = 2", NULL));
    assert_non_null(
        ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "a = 1", NULL));
    assert_non_null(
        ll_notebook_insert_cell(nb, nb->ncells, LL_CELL_MARKDOWN, "# c", NULL));
    assert_int_equal(nb->ncells, 3);
    assert_string_equal(nb->cells[0].source, "a = 1");
    assert_string_equal(nb->cells[2].source, "# c");
    assert_int_equal(ll_notebook_move_cell(nb, 0, 2), LL_OK);
    assert_string_equal(nb->cells[0].source, "b = 2");
    assert_string_equal(nb->cells[2].source, "a = 1");
    assert_int_equal(ll_notebook_move_cell(nb, 2, 0), LL_OK);
    assert_string_equal(nb->cells[0].source, "a = 1");
    assert_int_equal(ll_notebook_delete_cell(nb, 1), LL_OK);
    assert_int_equal(nb->ncells, 2);
    assert_string_equal(nb->cells[1].source, "# c");
    assert_int_equal(ll_notebook_delete_cell(nb, 5), LL_EINVAL);
    assert_int_equal(ll_notebook_move_cell(nb, 0, 9), LL_EINVAL);
    ll_notebook_free(nb);
}

static void test_cell_ids_unique_hex(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    for (int i = 0; i < 300; i++)
        assert_non_null(
            ll_notebook_insert_cell(nb, i, LL_CELL_CODE, "x", NULL));
    for (int i = 0; i < nb->ncells; i++) {
        const char *id = nb->cells[i].id;
        assert_true(strlen(id) >= 8);
        assert_int_equal(strspn(id, "0123456789abcdef"), strlen(id));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(id, nb->cells[j].id);
    }
    ll_cell copy;
    assert_int_equal(ll_cell_copy(&nb->cells[0], &copy), LL_OK);
    assert_string_not_equal(copy.id, nb->cells[0].id);
    assert_string_equal(copy.source, "x");
    ll_cell_free(&copy);
    ll_notebook_free(nb);
}

static void test_tags_and_metadata(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "x = 1", NULL);
    assert_false(ll_cell_has_tag(c, "parameters"));
    assert_int_equal(ll_cell_add_tag(c, "parameters"), LL_OK);
    assert_int_equal(ll_cell_add_tag(c, "parameters"), LL_OK);
    assert_true(ll_cell_has_tag(c, "parameters"));
    assert_int_equal(c->ntags, 1);
    assert_string_equal(c->metadata_json, "{\"tags\": [\"parameters\"]}");
    ll_err err;
    assert_int_equal(ll_cell_set_metadata(c, "[1]", &err), LL_EPARSE);
    assert_string_equal(err.msg, "cell metadata is not a JSON object: [1]");
    assert_int_equal(
        ll_cell_set_metadata(c, "{\"tags\":[\"a\",\"b\"],\"k\":1}", &err),
        LL_OK);
    assert_int_equal(c->ntags, 2);
    assert_true(ll_cell_has_tag(c, "b"));
    assert_false(ll_cell_has_tag(c, "parameters"));
    ll_notebook_free(nb);
}

static void test_outputs_copy_and_clear(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_CODE, "x", NULL);
    ll_output o = {0};
    o.type = LL_OUT_STREAM;
    o.name = (char[]){"stdout"};
    o.text = (char[]){"hi\n"};
    for (int i = 0; i < 9; i++)
        assert_int_equal(ll_cell_add_output(c, &o), LL_OK);
    assert_int_equal(c->noutputs, 9);
    assert_string_equal(c->outputs[8].text, "hi\n");
    assert_ptr_not_equal(c->outputs[8].text, o.text);
    ll_cell_clear_outputs(c);
    assert_int_equal(c->noutputs, 0);
    ll_notebook_free(nb);
}

static void test_first_line(void **state)
{
    (void)state;
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_CODE,
                                         "\n  \nlocal x = 1\nprint(x)", NULL);
    char *s = ll_cell_first_line(c, 50, NULL);
    assert_string_equal(s, "local x = 1");
    free(s);
    s = ll_cell_first_line(c, 8, NULL);
    assert_string_equal(s, "local...");
    free(s);
    ll_notebook_free(nb);
}

static const char canonical[] =
    "-- ---\n"
    "-- title: Battery cycles\n"
    "-- jupyter:\n"
    "--   kernelspec:\n"
    "--     name: lua\n"
    "-- ---\n"
    "\n"
    "-- %% [markdown]\n"
    "-- # Exercise 1\n"
    "--\n"
    "-- Text in **markdown**.\n"
    "\n"
    "-- %% tags=[\"parameters\"]\n"
    "horizon = 30\n"
    "\n"
    "-- %%\n"
    "local s = [[\n"
    "-- %%\n"
    "not a cell]]\n"
    "local t = [==[\n"
    "]]\n"
    "-- %% still not\n"
    "]==]\n"
    "--[[ a long comment\n"
    "-- %% no split\n"
    "]]\n"
    "print(#s)\n"
    "\n"
    "-- %% Load the data [raw] tags=[\"a\", \"b\"] slideshow={\"slide_type\": "
    "\"slide\"}\n"
    "-- raw text\n"
    "\n"
    "-- %%\n"
    "\n"
    "-- %%\n"
    "x = \"--[[\" -- not a long comment\n"
    "\n"
    "-- %%\n"
    "y = 1\n";

static void test_percent_parse(void **state)
{
    (void)state;
    ll_notebook *nb = parse(canonical);
    assert_string_equal(nb->title, "Battery cycles");
    assert_string_equal(nb->header, "title: Battery cycles\njupyter:\n"
                                    "  kernelspec:\n    name: lua");
    assert_int_equal(nb->ncells, 7);
    assert_int_equal(nb->cells[0].type, LL_CELL_MARKDOWN);
    assert_string_equal(nb->cells[0].source,
                        "# Exercise 1\n\nText in **markdown**.");
    assert_int_equal(nb->cells[0].line, 8);
    assert_true(ll_cell_has_tag(&nb->cells[1], "parameters"));
    assert_string_equal(nb->cells[1].source, "horizon = 30");
    assert_int_equal(nb->cells[2].type, LL_CELL_CODE);
    assert_non_null(strstr(nb->cells[2].source, "-- %% no split\n]]\n"));
    assert_non_null(strstr(nb->cells[2].source, "-- %%\nnot a cell]]"));
    assert_int_equal(nb->cells[3].type, LL_CELL_RAW);
    assert_string_equal(nb->cells[3].source, "raw text");
    assert_string_equal(nb->cells[3].metadata_json,
                        "{\"tags\": [\"a\", \"b\"], \"slideshow\": "
                        "{\"slide_type\": \"slide\"}, \"title\": \"Load the "
                        "data\"}");
    assert_string_equal(nb->cells[4].source, "");
    assert_string_equal(nb->cells[5].source,
                        "x = \"--[[\" -- not a long comment");
    assert_string_equal(nb->cells[6].source, "y = 1");
    ll_notebook_free(nb);
}

/* CRLF files (Windows editors) read as LF files do, in all three formats. */
static void test_crlf_readers(void **state)
{
    (void)state;
    ll_err err;
    ll_err_clear(&err);
    const char *pct =
        "-- ---\r\n-- title: T\r\n-- ---\r\n\r\n"
        "-- %% [markdown] tags=[\"a\"]\r\n-- # Head\r\n-- text\r\n"
        "\r\n-- %%\r\nx = 1\r\nprint(x)\r\n";
    ll_notebook *nb = parse(pct);
    assert_string_equal(nb->title, "T");
    assert_string_equal(nb->header, "title: T");
    assert_int_equal(nb->ncells, 2);
    assert_string_equal(nb->cells[0].source, "# Head\ntext");
    assert_true(ll_cell_has_tag(&nb->cells[0], "a"));
    assert_string_equal(nb->cells[1].source, "x = 1\nprint(x)");
    ll_notebook_free(nb);

    const char *md = "---\r\ntitle: M\r\n---\r\n\r\n# Head\r\n\r\n"
                     "```lua tags=[\"p\"]\r\ny = 2\r\nprint(y)\r\n```\r\n";
    nb = NULL;
    assert_int_equal(
        ll_notebook_parse_markdown(md, strlen(md), "t.md", &nb, &err), LL_OK);
    assert_string_equal(nb->title, "M");
    assert_int_equal(nb->ncells, 2);
    assert_string_equal(nb->cells[0].source, "# Head");
    assert_string_equal(nb->cells[1].source, "y = 2\nprint(y)");
    assert_true(ll_cell_has_tag(&nb->cells[1], "p"));
    ll_notebook_free(nb);

    const char *ipynb =
        "{\r\n \"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, "
        "\"outputs\": [], \"execution_count\": null,\r\n"
        "  \"source\": [\"z = 3\\r\\n\", \"print(z)\\r\\n\"]}],\r\n"
        " \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}\r\n";
    nb = NULL;
    assert_int_equal(
        ll_notebook_parse_ipynb(ipynb, strlen(ipynb), "t.ipynb", &nb, &err),
        LL_OK);
    assert_int_equal(nb->ncells, 1);
    assert_string_equal(nb->cells[0].source, "z = 3\nprint(z)");
    ll_notebook_free(nb);
}

/* Found by the fuzz targets: NUL bytes are refused with a position, lone
 * CRs end lines, and a reader never looks past len. */
static void test_reader_bytes(void **state)
{
    (void)state;
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    const char nul[] = "-- %%\nx = 1\0\n";
    assert_int_equal(
        ll_notebook_parse_percent(nul, sizeof nul - 1, "t.lua", &nb, &err),
        LL_EPARSE);
    assert_null(nb);
    assert_string_equal(err.msg, "t.lua:2:6: NUL byte in the notebook");
    assert_int_equal(ll_notebook_parse_markdown("\r\0", 2, "t.md", &nb, &err),
                     LL_EPARSE);
    assert_string_equal(err.msg, "t.md:1:2: NUL byte in the notebook");
    assert_int_equal(ll_notebook_parse_ipynb("{\0}", 3, "t.ipynb", &nb, &err),
                     LL_EPARSE);
    assert_string_equal(err.msg, "t.ipynb:1:2: NUL byte in the notebook");
    /* the escaped form would end cJSON's C string and cut the cell */
    const char *esc = "{\"nbformat\": 4, \"cells\": [{\"cell_type\": "
                      "\"code\",\n \"source\": \"x = 1\\u0000\\ny = 2\"}]}";
    assert_int_equal(
        ll_notebook_parse_ipynb(esc, strlen(esc), "t.ipynb", &nb, &err),
        LL_EPARSE);
    assert_null(nb);
    assert_string_equal(
        err.msg, "t.ipynb:2:18: NUL character (\\u0000) in the notebook");
    /* an escaped backslash before "u0000" is text, kept */
    const char *bs = "{\"nbformat\": 4, \"cells\": [{\"cell_type\": "
                     "\"code\", \"source\": \"s = '\\\\u0000'\"}]}";
    assert_int_equal(
        ll_notebook_parse_ipynb(bs, strlen(bs), "t.ipynb", &nb, &err), LL_OK);
    assert_string_equal(nb->cells[0].source, "s = '\\u0000'");
    ll_notebook_free(nb);
    nb = NULL;
    nb = parse("-- %%\rx = 1\ry = 2\r");
    assert_int_equal(nb->ncells, 1);
    assert_string_equal(nb->cells[0].source, "x = 1\ny = 2");
    ll_notebook_free(nb);
    /* only the first len bytes count */
    const char *two = "{\"nbformat\": 4, \"cells\": []}garbage";
    assert_int_equal(
        ll_notebook_parse_ipynb(two, strlen(two) - 7, "t.ipynb", &nb, &err),
        LL_OK);
    assert_int_equal(nb->ncells, 0);
    ll_notebook_free(nb);
}

static void test_percent_round_trip(void **state)
{
    (void)state;
    assert_round_trip(canonical);
    assert_round_trip("");
    assert_round_trip("-- %%\nprint(1)\n");
    assert_round_trip("-- ---\n-- ---\n");
    assert_round_trip("-- %% [markdown]\n-- a\n--\n--\n\n-- %%\nb()\n");
    assert_round_trip("-- %%\n\n\nleading_blank_lines()\n");
    /* a header line "---" and Markdown lines starting with "%%" are
     * escaped with one space and come back as they were */
    assert_round_trip("-- ---\n-- a: 1\n--  ---\n--   --- \n-- ---\n");
    ll_notebook *nb = parse("-- ---\n--  ---\n-- ---\n\n-- %% [markdown]\n"
                            "--  %%\n--   %% x\n-- ---\n");
    assert_string_equal(nb->header, "---");
    assert_string_equal(nb->cells[0].source, "%%\n %% x\n---");
    ll_notebook_free(nb);
}

static void test_percent_awkward_metadata(void **state)
{
    (void)state;
    /* keys that key=value cannot spell go as one JSON object */
    ll_notebook *nb = ll_notebook_new(NULL);
    ll_cell *c = ll_notebook_insert_cell(nb, 0, LL_CELL_MARKDOWN,
                                         "%% not a marker\n %% nor this", NULL);
    assert_int_equal(
        ll_cell_set_metadata(c, "{\"a key\": 1, \"title\": \"x=1\", \"k\": 2}",
                             NULL),
        LL_OK);
    char *text = to_percent(nb);
    assert_string_equal(text, "-- %% [markdown] {\"a key\": 1, \"title\": "
                              "\"x=1\", \"k\": 2}\n"
                              "--  %% not a marker\n"
                              "--   %% nor this\n");
    ll_notebook *back = parse(text);
    assert_int_equal(back->ncells, 1);
    /* the escaping space is taken off: the lines come back as they were */
    assert_string_equal(back->cells[0].source, "%% not a marker\n %% nor this");
    assert_string_equal(back->cells[0].metadata_json,
                        "{\"a key\": 1, \"title\": \"x=1\", \"k\": 2}");
    char *again = to_percent(back);
    assert_string_equal(again, text);
    free(again);
    free(text);
    ll_notebook_free(back);
    ll_notebook_free(nb);
    assert_round_trip("-- %% {\"k\": 1, \"a b\": [1, 2]}\nx = 1\n");
}

/* The shape jupytext writes for Lua: a coding cookie before the header,
 * Markdown lines with an extra leading space. */
static void test_percent_jupytext_shape(void **state)
{
    (void)state;
    const char *text = "-- -*- coding: utf-8 -*-\n"
                       "-- ---\n"
                       "-- jupyter:\n"
                       "--   kernelspec:\n"
                       "--     display_name: Lua\n"
                       "--     language: lua\n"
                       "--     name: lua\n"
                       "-- ---\n"
                       "\n"
                       "-- %% [markdown]\n"
                       "--  Indented text.\n"
                       "\n"
                       "-- %%\n"
                       "t = {\n"
                       "    a = 1, -- a comment\n"
                       "}\n";
    ll_notebook *nb = parse(text);
    assert_string_equal(nb->preamble, "-- -*- coding: utf-8 -*-\n");
    assert_string_equal(nb->header, "jupyter:\n  kernelspec:\n    "
                                    "display_name: Lua\n    language: lua\n"
                                    "    name: lua");
    assert_int_equal(nb->ncells, 2);
    assert_string_equal(nb->cells[0].source, " Indented text.");
    assert_int_equal(nb->cells[1].line, 13);
    ll_notebook_free(nb);
    assert_round_trip(text);
    assert_round_trip("#!/usr/bin/env lualab\n-- %%\nprint(1)\n");
    assert_parse_error("-- -*- coding: utf-8 -*-\n-- ---\n-- x: 1\n",
                       "t.lua:2:1: header block not closed (expected a '-- "
                       "---' line)");
}

static void test_percent_no_marker_and_trailing_blanks(void **state)
{
    (void)state;
    ll_notebook *nb = parse("\nprint(1)\n\n\n-- %%\nprint(2)\n\n\n");
    assert_int_equal(nb->ncells, 2);
    assert_string_equal(nb->cells[0].source, "\nprint(1)");
    assert_string_equal(nb->cells[1].source, "print(2)");
    char *back = to_percent(nb);
    assert_string_equal(back, "-- %%\n\nprint(1)\n\n-- %%\nprint(2)\n");
    free(back);
    ll_notebook_free(nb);
    /* blank lines only before the first marker make no cell */
    nb = parse("\n\n-- %%\nx = 1");
    assert_int_equal(nb->ncells, 1);
    assert_string_equal(nb->cells[0].source, "x = 1");
    ll_notebook_free(nb);
}

static void assert_parse_error(const char *text, const char *msg)
{
    ll_notebook *nb = (ll_notebook *)(uintptr_t)1;
    ll_err err;
    ll_err_clear(&err);
    assert_int_equal(
        ll_notebook_parse_percent(text, strlen(text), "t.lua", &nb, &err),
        LL_EPARSE);
    assert_null(nb);
    assert_string_equal(err.msg, msg);
}

static void test_percent_errors(void **state)
{
    (void)state;
    assert_parse_error("x = 1\n\n-- %% tags=[\"parameters\"\ny = 2\n",
                       "t.lua:3:12: bad metadata value for 'tags' on the "
                       "cell marker (expected JSON)");
    assert_parse_error("-- %% tags=[\"a\"]x\n",
                       "t.lua:1:17: unexpected text after the value of "
                       "'tags' on the cell marker");
    assert_parse_error("-- %% k=1 loose\n", "t.lua:1:11: expected key=value "
                                            "on the cell marker, got 'loose'");
    assert_parse_error("-- %% {\"a\": 1\n",
                       "t.lua:1:7: bad metadata object on the cell marker "
                       "(expected JSON)");
    assert_parse_error("-- ---\n-- title: x\n",
                       "t.lua:1:1: header block not closed (expected a '-- "
                       "---' line)");
}

static void test_read_by_extension(void **state)
{
    (void)state;
    ll_notebook *nb = NULL;
    ll_err err;
    assert_int_equal(ll_notebook_read("x.txt", &nb, &err), LL_EINVAL);
    assert_string_equal(err.msg, "x.txt: unknown notebook format (expected "
                                 ".lua, .ipynb or .md)");
    assert_int_equal(ll_notebook_read("/nonexistent/x.lua", &nb, &err),
                     LL_ENOTFOUND);
    char path[] = "/tmp/ll_nb_XXXXXX.lua";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    nb = parse("-- %%\nprint(1)\n");
    assert_int_equal(ll_notebook_write(nb, path, &err), LL_OK);
    ll_notebook_free(nb);
    nb = NULL;
    assert_int_equal(ll_notebook_read(path, &nb, &err), LL_OK);
    assert_string_equal(nb->path, path);
    assert_int_equal(nb->format, LL_NB_PERCENT);
    assert_string_equal(nb->cells[0].source, "print(1)");
    assert_int_equal(ll_notebook_write(nb, "x.txt", &err), LL_EINVAL);
    assert_string_equal(err.msg, "x.txt: cannot write this format (expected "
                                 ".lua, .ipynb or .md)");
    ll_notebook_free(nb);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_insert_delete_move),
        cmocka_unit_test(test_cell_ids_unique_hex),
        cmocka_unit_test(test_tags_and_metadata),
        cmocka_unit_test(test_outputs_copy_and_clear),
        cmocka_unit_test(test_first_line),
        cmocka_unit_test(test_percent_parse),
        cmocka_unit_test(test_percent_round_trip),
        cmocka_unit_test(test_crlf_readers),
        cmocka_unit_test(test_reader_bytes),
        cmocka_unit_test(test_percent_awkward_metadata),
        cmocka_unit_test(test_percent_jupytext_shape),
        cmocka_unit_test(test_percent_no_marker_and_trailing_blanks),
        cmocka_unit_test(test_percent_errors),
        cmocka_unit_test(test_read_by_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
