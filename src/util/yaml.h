/*
 * yaml: the one YAML writer of lualab.
 *
 * It writes block mappings the way PyYAML's safe_dump
 * (default_flow_style=False) does, so MLflow reads what lualab writes and
 * the files look the same as MLflow's: a string is written plain unless
 * YAML 1.1 would read it as something else (a number, a bool, null, a
 * timestamp) or it has characters that need quotes, then single-quoted;
 * long values break at a space past column 80.
 *
 * Every function appends to b and returns LL_OK or LL_ENOMEM.
 */
#ifndef LL_YAML_H
#define LL_YAML_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* s as a YAML scalar that starts at column `column` of a line whose
 * mapping is indented by `indent` spaces: *out (caller frees). */
int ll_yaml_scalar(const char *s, size_t indent, size_t column, char **out);
/* "<indent>key: value\n" with value a string scalar (NULL: null). */
int ll_yaml_str(ll_buf *b, size_t indent, const char *key, const char *value);
/* "<indent>key: text\n" with text written as given (numbers, bools). */
int ll_yaml_raw(ll_buf *b, size_t indent, const char *key, const char *text);
/* "<indent>key:\n": a nested mapping or sequence follows. */
int ll_yaml_key(ll_buf *b, size_t indent, const char *key);
/* "<indent>- value\n", value a string scalar. */
int ll_yaml_item(ll_buf *b, size_t indent, const char *value);

#endif
