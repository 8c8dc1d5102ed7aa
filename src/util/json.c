/* json: see json.h. */
#include "util/json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ll_json_line_col(const char *text, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

cJSON *ll_json_parse(const char *text, size_t len, const char *what,
                     ll_err *err)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t off;
    if (j) {
        off = (size_t)(end - text);
        while (off < len && isspace((unsigned char)text[off]))
            off++;
        if (off == len)
            return j;
        cJSON_Delete(j);
    } else {
        const char *at = cJSON_GetErrorPtr();
        off = at && at >= text && at <= text + len ? (size_t)(at - text) : 0;
    }
    size_t rest = off;
    while (rest < len && isspace((unsigned char)text[rest]))
        rest++;
    if (rest == len)
        off = len; /* only space left: the text ended too soon */
    int line, col;
    ll_json_line_col(text, off, &line, &col);
    char near[24];
    size_t n = 0;
    for (size_t i = off; i < len && n < 16 && text[i] != '\n'; i++)
        near[n++] = text[i];
    near[n] = '\0';
    if (off >= len)
        ll_err_set(err, LL_EPARSE, "%s:%d:%d: invalid JSON: unexpected end",
                   what, line, col);
    else if (j)
        ll_err_set(err, LL_EPARSE,
                   "%s:%d:%d: invalid JSON: text after the value near '%s'",
                   what, line, col, near);
    else
        ll_err_set(err, LL_EPARSE, "%s:%d:%d: invalid JSON near '%s'", what,
                   line, col, near);
    return NULL;
}

int ll_json_put_string(ll_buf *b, const char *s, size_t n)
{
    int rc = ll_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n && rc == LL_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            if (c < 0x20) {
                snprintf(u, sizeof u, "\\u%04x", c);
                esc = u;
            }
        }
        if (!esc)
            continue;
        rc |= ll_buf_append(b, s + start, i - start);
        rc |= ll_buf_puts(b, esc);
        start = i + 1;
    }
    rc |= ll_buf_append(b, s + start, n - start);
    rc |= ll_buf_putc(b, '"');
    return rc ? LL_ENOMEM : LL_OK;
}

void ll_fmt_double(double v, char *out, size_t cap)
{
    if (isnan(v)) {
        snprintf(out, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    /* the fewest significant digits that read back as v */
    char e[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is [-]d[.ddd]e[+-]XX: the digits and the exponent */
    const char *p = e;
    int neg = *p == '-';
    if (neg)
        p++;
    char digits[32];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p))
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int exp10 = atoi(p + 1);
    int decpt = v == 0.0 ? 1 : exp10 + 1;
    char s[64];
    size_t k = 0;
    if (neg)
        s[k++] = '-';
    if (decpt > 16 || decpt < -3) {
        /* d[.ddd]e[+-]XX */
        k += (size_t)snprintf(s + k, sizeof s - k, "%c%s%s", digits[0],
                              nd > 1 ? "." : "", digits + 1);
        snprintf(s + k, sizeof s - k, "e%c%02d", exp10 < 0 ? '-' : '+',
                 abs(exp10));
    } else if (decpt <= 0) {
        k += (size_t)snprintf(s + k, sizeof s - k, "0.");
        for (int i = 0; i < -decpt; i++)
            s[k++] = '0';
        snprintf(s + k, sizeof s - k, "%s", digits);
    } else if ((size_t)decpt >= nd) {
        k += (size_t)snprintf(s + k, sizeof s - k, "%s", digits);
        for (size_t i = nd; i < (size_t)decpt; i++)
            s[k++] = '0';
        snprintf(s + k, sizeof s - k, ".0");
    } else {
        snprintf(s + k, sizeof s - k, "%.*s.%s", decpt, digits, digits + decpt);
    }
    snprintf(out, cap, "%s", s);
}

int ll_json_put_double(ll_buf *b, double v)
{
    if (isnan(v))
        return ll_buf_puts(b, "NaN");
    if (isinf(v))
        return ll_buf_puts(b, v < 0 ? "-Infinity" : "Infinity");
    char s[64];
    ll_fmt_double(v, s, sizeof s);
    return ll_buf_puts(b, s);
}
