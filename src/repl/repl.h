/*
 * repl: what the line editor asks the Lua state.  Kept apart from the
 * readline loop (repl.c) so tests can call it without a terminal.
 *
 * Every function here touches the Lua state with raw operations only
 * (rawget, next, getmetatable): completing a name never runs Lua code, so
 * it cannot fail, loop, or have side effects.
 */
#ifndef LL_REPL_H
#define LL_REPL_H

#include <lua.h>
#include <stddef.h>

#include "util/err.h"

/* Does this chunk need more lines?  1 when it (or "return " before it)
 * fails to compile only because it ends too early: the syntax error ends
 * in "<eof>", as lua.c decides.  0 when it compiles or has another error. */
int ll_repl_incomplete(lua_State *L, const char *code, size_t len);

/*
 * Completion candidates for the word `text` that starts at byte `start`
 * of `line`.  The word never holds '.' or ':'; what comes before decides
 * the kind:
 *   name         globals (and what _G's metatable __index table offers)
 *                and Lua keywords
 *   a.b.name     fields of a.b, through __index tables (userdata too)
 *   a.b:name     functions of a.b, through __index tables
 *   :name        REPL commands (at the start of the line)
 *   a.b["name    string keys of a.b (column names of a Frame), any
 *                text but the quote and backslash (ll_repl_key_start)
 * A Frame's column names that are identifiers are fields too (f.name).
 * Returns a sorted NULL-terminated array of unique malloc'd strings, or
 * NULL when there is nothing to offer (err untouched) or when out of
 * memory (err filled by ll_err_oom; err may be NULL).  *filenames is set
 * to 1 when the caller should complete file names instead (after
 * ":run ").  Keys that start with "__" are offered only when text does.
 */
/* Is the cursor at point inside a string opened right after '[' (t["ke)?
 * Then 1, with *start the index just after the opening quote: what is
 * typed from there is a key, completed by ll_repl_candidates from the
 * string keys of t (a Frame's column names).  Comments and long strings
 * before point are skipped. */
int ll_repl_key_start(const char *line, size_t point, size_t *start);

char **ll_repl_candidates(lua_State *L, const char *line, size_t start,
                          const char *text, int *filenames, ll_err *err);
void ll_repl_free_candidates(char **c);

/* A REPL entry is a chunk of its own, so a `local x <close> = ...` at its
 * top level is closed as soon as the entry has run.  Returns 1 and copies
 * the first such variable's name into name (cap bytes, cut to fit) when
 * code declares one outside any block (do, function, if, while, for,
 * repeat); 0 otherwise.  Strings and comments are skipped. */
int ll_repl_close_at_once(const char *code, size_t len, char *name, size_t cap);

#endif
