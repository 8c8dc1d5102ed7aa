/*
 * suggest: "did you mean ...?" for misspelt names (columns, options, keys).
 *
 * ll_suggest picks, among candidates, the one closest to name by edit
 * distance (insertions, deletions, substitutions), when it is close enough
 * to be a likely typo: at most max(2, strlen(name) / 2) edits; failing
 * that, the first candidate that begins with name (3 bytes or more: 'agg'
 * for 'aggfunc').  Ties go to the first candidate.  Bindings reach it for
 * option tables through ll_lua_check_opts (host/lua_util.h).
 */
#ifndef LL_SUGGEST_H
#define LL_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b; (size_t)-1 when either is longer than
 * 200 bytes. */
size_t ll_edit_distance(const char *a, const char *b);

/* The closest of candidates[0..n) (NULL entries skipped), or NULL when
 * none is close enough.  n < 0: candidates is NULL-ended. */
const char *ll_suggest(const char *name, const char *const *candidates, int n);

#endif
