/* Tests for repl/edit.c: chunk completeness and completion candidates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "repl/repl.h"

static int setup(void **state)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    static const char code[] =
        "Base = {}; Base.__index = Base\n"
        "function Base.greet(self) end\n"
        "function Base.grow(self) end\n"
        "Base.count = 3\n"
        "Derived = setmetatable({}, Base); Derived.__index = Derived\n"
        "function Derived.shout(self) end\n"
        "obj = setmetatable({name = 'x', notfn = 1}, Derived)\n"
        "lazy = setmetatable({}, {__index = function(t, k) return k end})\n"
        "config = {alpha = 1, beta = {gamma = 2}, __secret = 1}\n"
        "caller = setmetatable({}, {__call = function() end})\n"
        "box = {f = caller}\n"
        "loop = {}; setmetatable(loop, {__index = loop})\n"
        "function loop.lf() end\n";
    assert_int_equal(luaL_dostring(L, code), LUA_OK);
    *state = L;
    return 0;
}

static int teardown(void **state)
{
    lua_close(*state);
    return 0;
}

/* The candidates for the word of line that starts at start, joined with
 * sep ("" when none). */
static char *candidates(lua_State *L, const char *line, size_t start,
                        const char *sep)
{
    int files = -1;
    int top = lua_gettop(L);
    ll_err err = {0};
    char **c = ll_repl_candidates(L, line, start, line + start, &files, &err);
    assert_int_equal(lua_gettop(L), top);
    assert_int_equal(files, 0);
    assert_int_equal(err.code, LL_OK); /* none is not an error */
    static char out[4096];
    out[0] = '\0';
    for (char **p = c; p && *p; p++) {
        if (p != c)
            strcat(out, sep);
        strcat(out, *p);
    }
    ll_repl_free_candidates(c);
    return out;
}

/* The candidates for the line, completing the word at its end, joined
 * with spaces ("" when none). */
static char *complete(lua_State *L, const char *line)
{
    size_t start = strlen(line);
    while (start > 0 && !strchr(" \t()=,.:?", line[start - 1]))
        start--;
    return candidates(L, line, start, " ");
}

static void test_incomplete(void **state)
{
    lua_State *L = *state;
    static const struct {
        const char *code;
        int more;
    } cases[] = {
        {"for i = 1, 3 do", 1},
        {"for i = 1, 3 do\n  print(i)", 1},
        {"for i = 1, 3 do\n  print(i)\nend", 0},
        {"x = {", 1},
        {"s = [[long", 1},
        {"f(", 1},
        {"1 +", 1},
        {"1 + 1", 0},
        {"x = 1 +", 1},
        {"x = 1", 0},
        {"x = = 1", 0},          /* a real error, not more input */
        {"s = \"open", 1},       /* as lua.c: "unfinished string near <eof>" */
        {"s = \"open\nmore", 0}, /* a newline in a string: an error */
        {"end", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int top = lua_gettop(L);
        int got = ll_repl_incomplete(L, cases[i].code, strlen(cases[i].code));
        if (got != cases[i].more)
            fail_msg("'%s': got %d, want %d", cases[i].code, got,
                     cases[i].more);
        assert_int_equal(lua_gettop(L), top);
    }
}

static void test_globals_and_keywords(void **state)
{
    lua_State *L = *state;
    assert_string_equal(complete(L, "prin"), "print");
    assert_string_equal(complete(L, "x = pai"), "pairs");
    assert_string_equal(complete(L, "wh"), "while");
    assert_string_equal(complete(L, "loc"), "local");
    assert_string_equal(complete(L, "ob"), "obj");
    assert_string_equal(complete(L, "zzz"), "");
    /* ?name completes like a global */
    assert_string_equal(complete(L, "?tostr"), "tostring");
}

static void test_fields(void **state)
{
    lua_State *L = *state;
    assert_string_equal(complete(L, "string.up"), "upper");
    assert_string_equal(complete(L, "config."), "alpha beta");
    assert_string_equal(complete(L, "config.__"), "__secret");
    assert_string_equal(complete(L, "config.beta.g"), "gamma");
    assert_string_equal(complete(L, "print(config.beta.g"), "gamma");
    /* fields through an __index chain: own, Derived's, Base's */
    assert_string_equal(complete(L, "obj.n"), "name notfn");
    assert_string_equal(complete(L, "obj.co"), "count");
    assert_string_equal(complete(L, "obj.gr"), "greet grow");
    /* a missing path and a path through a number offer nothing */
    assert_string_equal(complete(L, "nosuch.a"), "");
    assert_string_equal(complete(L, "config.alpha.x"), "");
    assert_string_equal(complete(L, "x = 1."), "");
}

static void test_methods(void **state)
{
    lua_State *L = *state;
    /* methods: callable values only, through the chain */
    assert_string_equal(complete(L, "obj:"), "greet grow shout");
    assert_string_equal(complete(L, "obj:sh"), "shout");
    assert_string_equal(complete(L, "obj:n"), "");
    /* a callable table counts as a method */
    assert_string_equal(complete(L, "box:"), "f");
    /* userdata: a file handle's methods come from its metatable */
    assert_string_equal(complete(L, "io.stdout:wr"), "write");
    assert_string_equal(complete(L, "io.stdout:se"), "seek setvbuf");
    /* strings: the string library through the string metatable */
    lua_pushstring(L, "abc");
    lua_setglobal(L, "s");
    assert_string_equal(complete(L, "s:up"), "upper");
    /* a function __index cannot be enumerated: nothing, and no call */
    assert_string_equal(complete(L, "lazy."), "");
    assert_string_equal(complete(L, "lazy.anything.x"), "");
    /* a self-referencing chain terminates */
    assert_string_equal(complete(L, "loop.l"), "lf");
    assert_string_equal(complete(L, "loop.nothere.x"), "");
}

static void test_commands_and_files(void **state)
{
    lua_State *L = *state;
    assert_string_equal(complete(L, ":t"), "time");
    assert_string_equal(complete(L, ":"), "help run time");
    assert_string_equal(complete(L, "  :he"), "help");
    /* "::label" is Lua, not a command */
    assert_string_equal(complete(L, "::"), "");
    int files = 0;
    const char *line = ":run note";
    char **c = ll_repl_candidates(L, line, 5, line + 5, &files, NULL);
    assert_null(c);
    assert_int_equal(files, 1);
}

/* In a real kernel module globals load on first use; completion still
 * offers them and loads one to complete its fields. */
static void test_lazy_module_globals(void **state)
{
    (void)state;
    ll_err e;
    ll_host *h = ll_host_new(0, NULL, &e);
    assert_non_null(h);
    lua_State *L = ll_host_lua(h);
    assert_string_equal(complete(L, "plo"), "plot");
    assert_string_equal(complete(L, "plot.lin"), "line");
    /* a Column's __index is a function (it also finds values); its
     * methods still complete through __methods */
    assert_int_equal(luaL_dostring(L, "col = df.column({1.5, 2.5})"), LUA_OK);
    assert_string_equal(complete(L, "col:me"), "mean median");
    ll_host_free(h);
}

/* The keys completing the line's end as readline would: the word starts
 * after the quote when ll_repl_key_start says the cursor is in t["...]. */
static const char *complete_key(lua_State *L, const char *line)
{
    size_t start;
    if (!ll_repl_key_start(line, strlen(line), &start))
        return "(no key)";
    return candidates(L, line, start, "|");
}

static void test_table_keys(void **state)
{
    lua_State *L = *state;
    assert_int_equal(luaL_dostring(L, "d = {['key one'] = 1, keyboard = 2, "
                                      "other = 3, [5] = 4, ['q\"x'] = 5, "
                                      "['a.b'] = 6}\n"
                                      "nest = {inner = d}"),
                     LUA_OK);
    assert_string_equal(complete_key(L, "d[\"ke"), "key one|keyboard");
    assert_string_equal(complete_key(L, "d['key "), "key one");
    assert_string_equal(complete_key(L, "print(d[\"o"), "other");
    assert_string_equal(complete_key(L, "x = nest.inner[ 'a."), "a.b");
    /* every string key, but not one holding the quote (it would need
     * escaping), nor the integer key */
    assert_string_equal(complete_key(L, "d[\""), "a.b|key one|keyboard|other");
    assert_string_equal(complete_key(L, "d['"),
                        "a.b|key one|keyboard|other|q\"x");
    assert_string_equal(complete_key(L, "d[\"zz"), "");
    assert_string_equal(complete_key(L, "nope[\"k"), "");
    /* not a key: a plain string, a closed one, a comment, a long string */
    assert_string_equal(complete_key(L, "print(\"ke"), "(no key)");
    assert_string_equal(complete_key(L, "d[\"key\"] .. \"k"), "(no key)");
    assert_string_equal(complete_key(L, "x = 1 -- d[\"k"), "(no key)");
    assert_string_equal(complete_key(L, "s = [[d[\"k]] .. d[\"oth"), "other");
    /* t[ with nothing typed: the keys quoted; names when there are none */
    assert_string_equal(candidates(L, "d[", 2, "|"),
                        "\"a.b\"]|\"key one\"]|\"keyboard\"]|\"other\"]");
    assert_string_equal(candidates(L, "x = nest.inner[", 15, "|"),
                        "\"a.b\"]|\"key one\"]|\"keyboard\"]|\"other\"]");
    assert_int_equal(luaL_dostring(L, "arr = {10, 20}"), LUA_OK);
    assert_true(strstr(candidates(L, "arr[", 4, "|"), "|print|") != NULL);
    size_t start = 0;
    assert_int_equal(ll_repl_key_start("f[ \"Col", 8, &start), 1);
    assert_int_equal(start, 4);
}

/* A Frame's columns: keys after f[" and fields after f. */
static void test_frame_columns(void **state)
{
    (void)state;
    ll_err e;
    ll_host *h = ll_host_new(0, NULL, &e);
    assert_non_null(h);
    lua_State *L = ll_host_lua(h);
    assert_int_equal(luaL_dostring(L, "f = df.frame{Cycles = {1}, "
                                      "['Cycle time'] = {2}, id = {3}}"),
                     LUA_OK);
    assert_string_equal(complete_key(L, "f[\"Cyc"), "Cycle time|Cycles");
    assert_string_equal(complete_key(L, "f[\"i"), "id");
    assert_string_equal(complete(L, "f.Cyc"), "Cycles");
    /* a closed Frame offers nothing and raises nothing */
    assert_int_equal(
        luaL_dostring(L, "g = f:copy(); do local h <close> = g end"), LUA_OK);
    assert_string_equal(complete_key(L, "g[\"C"), "");
    ll_host_free(h);
}

static void test_close_at_once(void **state)
{
    (void)state;
    char name[8];
    static const char *const yes[] = {
        "local run <close> = mlflow.start_run{}",
        "  local a, b <close> = 1, f()",
        "local x < close > = g()",
        "do end local r <close> = h()",
        "for i = 1, 2 do end; local r <close> = h()",
    };
    static const char *const want[] = {"run", "b", "x", "r", "r"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        assert_int_equal(
            ll_repl_close_at_once(yes[i], strlen(yes[i]), name, sizeof name),
            1);
        assert_string_equal(name, want[i]);
    }
    static const char *const no[] = {
        "do local run <close> = mlflow.start_run{} end",
        "local function f() local g <close> = x() end",
        "for i = 1, 3 do local g <close> = x() end",
        "if a then local g <close> = x() elseif b then end",
        "local c <const> = 1",
        "s = \"local run <close> = x\"",
        "-- local run <close> = x",
        "--[[ local run <close> = x ]] y = [==[local z <close>]==]",
        "x = a < close",
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_int_equal(
            ll_repl_close_at_once(no[i], strlen(no[i]), name, sizeof name), 0);
    /* A long name is cut to fit. */
    const char *lng = "local a_very_long_name <close> = x";
    assert_int_equal(ll_repl_close_at_once(lng, strlen(lng), name, sizeof name),
                     1);
    assert_string_equal(name, "a_very_");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_globals_and_keywords),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_commands_and_files),
        cmocka_unit_test(test_lazy_module_globals),
        cmocka_unit_test(test_table_keys),
        cmocka_unit_test(test_frame_columns),
        cmocka_unit_test(test_close_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
