/* Mutation fuzzing of the notebook readers (percent, ipynb, md): every
 * mutated input either parses (and what is written from it parses again)
 * or fails with LL_EPARSE and a "file:line:col: " message.  Deterministic
 * (fixed seed); run under the sanitizers it also checks memory safety. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebook/notebook.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const tokens[] = {
    "-- %%",    "[[",    "]]",        "[==[",     "]==]",
    "--[[",     "\"",    "'",         "\\",       "\n",
    "{",        "}",     "[",         "]",        ",",
    ":",        "=",     "tags=",     "```lua\n", "```\n",
    "-- ---\n", "---\n", "\"cells\"", "null",     "\"nbformat\": 4",
    "\xc3\xa9", "\r\n",  " "};

/* A mutated copy of seed (caller frees), length in *len. */
static char *mutate(const char *seed, size_t *len)
{
    size_t n = strlen(seed);
    size_t cap = n * 2 + 256;
    char *s = malloc(cap);
    memcpy(s, seed, n);
    int edits = 1 + (int)next(4);
    for (int e = 0; e < edits; e++) {
        size_t at = n ? next((unsigned)n + 1) : 0;
        switch (next(4)) {
        case 0: /* insert a token */
        {
            const char *t = tokens[next(sizeof tokens / sizeof *tokens)];
            size_t tl = strlen(t);
            if (n + tl + 1 >= cap)
                break;
            memmove(s + at + tl, s + at, n - at);
            memcpy(s + at, t, tl);
            n += tl;
            break;
        }
        case 1: /* delete a run */
        {
            size_t k = next(8) + 1;
            if (at + k > n)
                k = n - at;
            memmove(s + at, s + at + k, n - at - k);
            n -= k;
            break;
        }
        case 2: /* flip a byte */
            if (at < n)
                s[at] = (char)next(256);
            break;
        default: /* truncate */
            n = at;
        }
    }
    s[n] = '\0';
    *len = n;
    return s;
}

typedef int (*parse_fn)(const char *, size_t, const char *, ll_notebook **,
                        ll_err *);

static void fuzz(const char *seed, parse_fn parse, const char *name, int rounds)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s:", name);
    int parsed = 0, rejected = 0;
    for (int i = 0; i < rounds; i++) {
        size_t len;
        char *text = mutate(seed, &len);
        ll_notebook *nb = NULL;
        ll_err err;
        ll_err_clear(&err);
        int rc = parse(text, len, name, &nb, &err);
        if (rc == LL_OK) {
            parsed++;
            assert_non_null(nb);
            ll_buf b;
            ll_buf_init(&b);
            assert_int_equal(ll_notebook_to_percent(nb, &b), LL_OK);
            ll_notebook *again = NULL;
            int rc2 = ll_notebook_parse_percent(b.data ? b.data : "", b.len,
                                                "re.lua", &again, &err);
            if (rc2 != LL_OK)
                fprintf(stderr, "# input:\n%s\n# written:\n%s\n# %s\n", text,
                        b.data, err.msg);
            assert_int_equal(rc2, LL_OK);
            ll_notebook_free(again);
            ll_buf_reset(&b);
            assert_int_equal(ll_notebook_to_ipynb(nb, &b, &err), LL_OK);
            assert_int_equal(ll_notebook_parse_ipynb(b.data, b.len, "re.ipynb",
                                                     &again, &err),
                             LL_OK);
            assert_int_equal(again->ncells, nb->ncells);
            ll_notebook_free(again);
            ll_buf_free(&b);
            ll_notebook_free(nb);
        } else {
            rejected++;
            assert_int_equal(rc, LL_EPARSE);
            assert_null(nb);
            assert_memory_equal(err.msg, prefix, strlen(prefix));
        }
        free(text);
    }
    /* both paths were exercised */
    assert_true(parsed > 0);
    (void)rejected;
}

static void test_fuzz_percent(void **state)
{
    (void)state;
    fuzz("-- ---\n-- title: x\n-- ---\n\n-- %% [markdown]\n-- # T\n\n"
         "-- %% tags=[\"parameters\"]\nx = 1\n\n-- %%\nlocal s = [[\n-- %%\n]]"
         "\n--[==[ c ]==]\nprint('a\\\n b')\n",
         ll_notebook_parse_percent, "f.lua", 20000);
}

static void test_fuzz_ipynb(void **state)
{
    (void)state;
    fuzz(
        "{\"cells\": [{\"cell_type\": \"code\", \"id\": \"ab\", \"metadata\": "
        "{\"tags\": [\"x\"]}, \"source\": [\"a\\n\", \"b\"], "
        "\"execution_count\": 1, \"outputs\": [{\"output_type\": \"stream\", "
        "\"name\": \"stdout\", \"text\": \"hi\"}, {\"output_type\": \"error\", "
        "\"ename\": \"E\", \"evalue\": \"v\", \"traceback\": [\"t\"]}, "
        "{\"output_type\": \"execute_result\", \"data\": {\"text/plain\": "
        "\"1\"}, \"metadata\": {}, \"execution_count\": 1}]}, "
        "{\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"# "
        "h\"}], \"metadata\": {\"title\": \"t\"}, \"nbformat\": 4, "
        "\"nbformat_minor\": 5}",
        ll_notebook_parse_ipynb, "f.ipynb", 20000);
}

static void test_fuzz_markdown(void **state)
{
    (void)state;
    fuzz("---\ntitle: m\n---\n# H\n\ntext\n\n```lua tags=[\"p\"]\nx = 1\n```\n"
         "\n~~~python\ny\n~~~\n\n```lua\nprint(x)\n```\n",
         ll_notebook_parse_markdown, "f.md", 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_percent),
        cmocka_unit_test(test_fuzz_ipynb),
        cmocka_unit_test(test_fuzz_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
