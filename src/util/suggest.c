/*
 * suggest: the closest known name to a misspelt one (see suggest.h).
 */
#include <string.h>

#include "util/suggest.h"

size_t ll_edit_distance(const char *a, const char *b)
{
    size_t an = strlen(a), bn = strlen(b);
    if (an > 200 || bn > 200)
        return (size_t)-1;
    size_t row[201];
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] =
                sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[bn];
}

const char *ll_suggest(const char *name, const char *const *candidates, int n)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1, len = strlen(name);
    size_t limit = len / 2 > 2 ? len / 2 : 2;
    for (int k = 0; n < 0 ? candidates[k] != NULL : k < n; k++) {
        if (!candidates[k])
            continue;
        size_t d = ll_edit_distance(name, candidates[k]);
        if (d < bestd) {
            bestd = d;
            best = candidates[k];
        }
    }
    if (best && bestd <= limit)
        return best;
    /* a known name the misspelt one begins: 'agg' for 'aggfunc' */
    if (len >= 3)
        for (int k = 0; n < 0 ? candidates[k] != NULL : k < n; k++)
            if (candidates[k] && !strncmp(candidates[k], name, len))
                return candidates[k];
    return NULL;
}
