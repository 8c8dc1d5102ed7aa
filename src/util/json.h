/*
 * json: the one JSON path of lualab, over cJSON.
 *
 * ll_json_parse parses a whole text and names the line and column of the
 * first error.  The writers append to an ll_buf the way Python's
 * json.dumps writes (so files read the same whichever wrote them):
 * strings with control characters, '"' and '\\' escaped (UTF-8 kept),
 * numbers as the shortest text that reads back to the same double.
 */
#ifndef LL_JSON_H
#define LL_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Parse text[0..len) (all of it: trailing non-space is an error).  Returns
 * the tree (free with cJSON_Delete) or NULL with err set to
 * "WHAT:LINE:COL: invalid JSON near '...'" (WHAT is a file name or
 * "json"). */
cJSON *ll_json_parse(const char *text, size_t len, const char *what,
                     ll_err *err);
/* 1-based line and column of byte off in text. */
void ll_json_line_col(const char *text, size_t off, int *line, int *col);

/* s[0..n) as a JSON string literal. */
int ll_json_put_string(ll_buf *b, const char *s, size_t n);
/* A float as Python's repr() writes it: "0.1", "1.0", "1e-07", "nan",
 * "inf", "-inf". */
void ll_fmt_double(double v, char *out, size_t cap);
/* A float as json.dumps writes it: repr, or NaN, Infinity, -Infinity. */
int ll_json_put_double(ll_buf *b, double v);

#endif
