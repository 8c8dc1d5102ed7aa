/* yaml: see yaml.h. */
#include "util/yaml.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Would YAML 1.1's implicit resolvers (as PyYAML has them) read s as
 * something other than a string? */
static int resolves_implicitly(const char *s)
{
    static const char *const words[] = {
        "yes",   "Yes",   "YES",   "no",    "No",   "NO",   "true",  "True",
        "TRUE",  "false", "False", "FALSE", "on",   "On",   "ON",    "off",
        "Off",   "OFF",   "null",  "Null",  "NULL", "~",    "<<",    "=",
        ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf", ".INF", "+.inf", "-.inf",
        "+.Inf", "-.Inf", "+.INF", "-.INF"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return 1;
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    /* ints: decimal with '_', 0x.., 0b.., octal 0.., sexagesimal a:b */
    if (*p && strspn(p, "0123456789_:") == strlen(p) &&
        isdigit((unsigned char)*p))
        return 1;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'b') && p[2])
        return 1;
    /* floats: [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)? */
    size_t i = strspn(p, "0123456789_");
    if (p[i] == '.') {
        size_t j = i + 1 + strspn(p + i + 1, "0123456789_");
        if (i == 0 && j == 1)
            return 0; /* "." alone */
        if (!p[j])
            return 1;
        if ((p[j] == 'e' || p[j] == 'E') &&
            (p[j + 1] == '+' || p[j + 1] == '-') && p[j + 2] &&
            strspn(p + j + 2, "0123456789") == strlen(p + j + 2))
            return 1;
    }
    /* timestamps: YYYY-MM-DD... */
    if (strlen(s) >= 8 && isdigit((unsigned char)s[0]) &&
        isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
        isdigit((unsigned char)s[3]) && s[4] == '-')
        return 1;
    return 0;
}

/* Characters (UTF-8 code points) in s[0..len). */
static size_t chars(const char *s, size_t len)
{
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Write s plain or single-quoted from column col, breaking the line at a
 * single space once past column 80 (continuing at indent + 2), as
 * PyYAML's emitter does
 * for a block mapping value. */
static int emit_scalar(ll_buf *b, const char *s, int quoted, size_t indent,
                       size_t col)
{
    size_t n = strlen(s), column = col, start = 0;
    int spaces = 0, rc = LL_OK;
    if (quoted) {
        rc |= ll_buf_putc(b, '\'');
        column++;
    }
    for (size_t end = 0; end <= n && rc == LL_OK; end++) {
        char ch = end < n ? s[end] : '\0';
        if (spaces) {
            if (ch != ' ') {
                if (start + 1 == end && column > 80 && start != 0 && end != n) {
                    rc |= ll_buf_putc(b, '\n');
                    for (size_t k = 0; k < indent + 2; k++)
                        rc |= ll_buf_putc(b, ' ');
                    column = indent + 2;
                } else {
                    rc |= ll_buf_append(b, s + start, end - start);
                    column += chars(s + start, end - start);
                }
                start = end;
            }
        } else if (ch == '\0' || ch == ' ' || (quoted && ch == '\'')) {
            if (start < end) {
                rc |= ll_buf_append(b, s + start, end - start);
                column += chars(s + start, end - start);
                start = end;
            }
        }
        if (quoted && ch == '\'') {
            rc |= ll_buf_puts(b, "''");
            column += 2;
            start = end + 1;
        }
        if (ch)
            spaces = ch == ' ';
    }
    if (quoted)
        rc |= ll_buf_putc(b, '\'');
    return rc;
}

int ll_yaml_scalar(const char *s, size_t indent, size_t column, char **out)
{
    int quote = !*s || resolves_implicitly(s);
    size_t n = strlen(s);
    if (!quote && (strchr("#,[]{}&*!|>'\"%@`", s[0]) ||
                   (strchr("?:-", s[0]) && (s[1] == ' ' || !s[1]))))
        quote = 1;
    if (!quote &&
        (s[0] == ' ' || s[n - 1] == ' ' || strstr(s, ": ") || strstr(s, " #") ||
         s[n - 1] == ':' || strchr(s, '\n') || strchr(s, '\t')))
        quote = 1;
    ll_buf b;
    ll_buf_init(&b);
    if (emit_scalar(&b, s, quote, indent, column) != LL_OK) {
        ll_buf_free(&b);
        return LL_ENOMEM;
    }
    *out = ll_buf_take(&b);
    return *out ? LL_OK : LL_ENOMEM;
}

static int pad(ll_buf *b, size_t indent)
{
    int rc = LL_OK;
    for (size_t i = 0; i < indent; i++)
        rc |= ll_buf_putc(b, ' ');
    return rc;
}

int ll_yaml_str(ll_buf *b, size_t indent, const char *key, const char *value)
{
    if (!value)
        return ll_yaml_raw(b, indent, key, "null");
    char *q;
    if (ll_yaml_scalar(value, indent, indent + strlen(key) + 2, &q) != LL_OK)
        return LL_ENOMEM;
    int rc = ll_yaml_raw(b, indent, key, q);
    free(q);
    return rc;
}

int ll_yaml_raw(ll_buf *b, size_t indent, const char *key, const char *text)
{
    int rc = pad(b, indent);
    rc |= ll_buf_printf(b, "%s: %s\n", key, text);
    return rc ? LL_ENOMEM : LL_OK;
}

int ll_yaml_key(ll_buf *b, size_t indent, const char *key)
{
    int rc = pad(b, indent);
    rc |= ll_buf_printf(b, "%s:\n", key);
    return rc ? LL_ENOMEM : LL_OK;
}

int ll_yaml_item(ll_buf *b, size_t indent, const char *value)
{
    char *q;
    if (ll_yaml_scalar(value, indent, indent + 2, &q) != LL_OK)
        return LL_ENOMEM;
    int rc = pad(b, indent);
    rc |= ll_buf_printf(b, "- %s\n", q);
    free(q);
    return rc ? LL_ENOMEM : LL_OK;
}
