/*
 * parse: scalar text <-> value conversions used by the CSV reader and
 * writer, casts and display.  Numbers parse exactly (a fast path for short
 * decimals, strtod otherwise); floats format as the shortest text that
 * reads back to the same double.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/column.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static inline int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static inline void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

int ll_parse_int(const char *s, size_t n, int64_t *out)
{
    trim(&s, &n);
    if (n == 0 || n > 20)
        return 0;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (n == 1)
            return 0;
    }
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9)
            return 0;
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return 0;
        *out = (int64_t)v;
    }
    return 1;
}

static const double pow10_tab[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int ll_parse_float(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    if (n == 0)
        return 0;
    /* Fast path: [-+]digits[.digits] with at most 15 significant digits
     * is exact as mantissa / 10^k (both exactly representable). */
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    uint64_t m = 0;
    int digits = 0, frac = 0, seen_dot = 0, any = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any = 1;
            if (m == 0 && c == '0' && !seen_dot)
                continue;
            if (digits >= 15)
                goto slow;
            m = m * 10 + (uint64_t)(c - '0');
            if (m)
                digits++;
            if (seen_dot)
                frac++;
        } else if (c == '.' && !seen_dot) {
            seen_dot = 1;
        } else {
            goto slow;
        }
    }
    if (!any)
        return 0;
    if (frac > 22)
        goto slow;
    {
        double v = (double)m / pow10_tab[frac];
        *out = neg ? -v : v;
        return 1;
    }
slow:;
    char tmp[128];
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    /* Accept what pandas accepts: decimal, exponent, inf, nan words. */
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + n)
        return 0;
    /* strtod takes hex floats; a CSV number never is one. */
    if (memchr(tmp, 'x', n) || memchr(tmp, 'X', n))
        return 0;
    *out = v;
    return 1;
}

int ll_parse_bool(const char *s, size_t n, uint8_t *out)
{
    trim(&s, &n);
    if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) ||
                    !memcmp(s, "TRUE", 4)))) {
        *out = 1;
        return 1;
    }
    if ((n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) ||
                    !memcmp(s, "FALSE", 5)))) {
        *out = 0;
        return 1;
    }
    return 0;
}

static int digits_at(const char *s, size_t n, size_t at, size_t k, int *v)
{
    if (at + k > n)
        return 0;
    int x = 0;
    for (size_t i = 0; i < k; i++) {
        unsigned c = (unsigned)(s[at + i] - '0');
        if (c > 9)
            return 0;
        x = x * 10 + (int)c;
    }
    *v = x;
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* YYYY-MM-DD (also YYYY/MM/DD); returns the length consumed or 0. */
static size_t parse_ymd(const char *s, size_t n, int64_t *days)
{
    int y, m, d;
    if (n < 10 || !digits_at(s, n, 0, 4, &y) || (s[4] != '-' && s[4] != '/') ||
        !digits_at(s, n, 5, 2, &m) || s[7] != s[4] ||
        !digits_at(s, n, 8, 2, &d))
        return 0;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return 0;
    *days = ll_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 10;
}

int ll_parse_date(const char *s, size_t n, int32_t *days)
{
    trim(&s, &n);
    int64_t d;
    if (n != 10 || !parse_ymd(s, n, &d))
        return 0;
    *days = (int32_t)d;
    return 1;
}

int ll_parse_datetime(const char *s, size_t n, int64_t *ms)
{
    trim(&s, &n);
    int64_t d;
    if (!parse_ymd(s, n, &d))
        return 0;
    int64_t t = d * 86400000;
    if (n == 10) {
        *ms = t;
        return 1;
    }
    int hh, mi, ss = 0;
    if ((s[10] != 'T' && s[10] != ' ') || !digits_at(s, n, 11, 2, &hh) ||
        n < 16 || s[13] != ':' || !digits_at(s, n, 14, 2, &mi))
        return 0;
    size_t at = 16;
    if (at < n && s[at] == ':') {
        if (!digits_at(s, n, 17, 2, &ss))
            return 0;
        at = 19;
    }
    if (hh > 23 || mi > 59 || ss > 60)
        return 0;
    int frac_ms = 0;
    if (at < n && s[at] == '.') {
        at++;
        int k = 0;
        while (at < n && s[at] >= '0' && s[at] <= '9') {
            if (k < 3)
                frac_ms = frac_ms * 10 + (s[at] - '0');
            k++;
            at++;
        }
        if (k == 0)
            return 0;
        for (; k < 3; k++)
            frac_ms *= 10;
    }
    int64_t offset_min = 0;
    if (at < n && s[at] == 'Z') {
        at++;
    } else if (at < n && (s[at] == '+' || s[at] == '-')) {
        int oh, om = 0;
        int sign = s[at] == '-' ? -1 : 1;
        if (!digits_at(s, n, at + 1, 2, &oh))
            return 0;
        at += 3;
        if (at < n && s[at] == ':')
            at++;
        if (at < n) {
            if (!digits_at(s, n, at, 2, &om))
                return 0;
            at += 2;
        }
        offset_min = sign * (oh * 60 + om);
    }
    if (at != n)
        return 0;
    *ms = t + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + frac_ms -
          offset_min * 60000;
    return 1;
}

int ll_format_float(double x, char *out, size_t cap)
{
    if (isnan(x))
        return snprintf(out, cap, "NaN");
    if (isinf(x))
        return snprintf(out, cap, x > 0 ? "inf" : "-inf");
    if (x == floor(x) && fabs(x) < 1e15) {
        /* integral values keep a ".0" so they read back as floats */
        return snprintf(out, cap, "%.1f", x);
    }
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(out, cap, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            break;
    }
    return len;
}

void ll_format_date(int32_t days, char *out, size_t cap)
{
    int64_t y;
    unsigned m, d;
    ll_civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
}

void ll_format_datetime(int64_t ms, char *out, size_t cap)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    int64_t y;
    unsigned m, d;
    ll_civil_from_days(days, &y, &m, &d);
    int hh = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60),
        ss = (int)(rem / 1000 % 60), fr = (int)(rem % 1000);
    if (fr)
        snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d", (long long)y,
                 m, d, hh, mi, ss, fr);
    else
        snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m,
                 d, hh, mi, ss);
}

int ll_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            k = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* A run of 1..width digits at s[*at]; strptime reads %m 3 as well as 03. */
static int fmt_digits(const char *s, size_t n, size_t *at, int width, int *out)
{
    int v = 0, k = 0;
    while (k < width && *at < n && s[*at] >= '0' && s[*at] <= '9') {
        v = v * 10 + (s[*at] - '0');
        (*at)++;
        k++;
    }
    *out = v;
    return k > 0;
}

int ll_parse_date_fmt(const char *s, size_t n, const char *fmt, int64_t *ms)
{
    static const char *const mon[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
    trim(&s, &n);
    int y = 1970, m = 1, d = 1, hh = 0, mi = 0, ss = 0, frac = 0;
    size_t at = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            if (at >= n || s[at] != *f)
                return 0;
            at++;
            continue;
        }
        f++;
        int ok = 1;
        switch (*f) {
        case 'Y':
            ok = fmt_digits(s, n, &at, 4, &y);
            break;
        case 'y':
            ok = fmt_digits(s, n, &at, 2, &y);
            y += y < 69 ? 2000 : 1900; /* as POSIX strptime */
            break;
        case 'm':
            ok = fmt_digits(s, n, &at, 2, &m);
            break;
        case 'd':
            ok = fmt_digits(s, n, &at, 2, &d);
            break;
        case 'H':
            ok = fmt_digits(s, n, &at, 2, &hh);
            break;
        case 'M':
            ok = fmt_digits(s, n, &at, 2, &mi);
            break;
        case 'S':
            ok = fmt_digits(s, n, &at, 2, &ss);
            break;
        case 'f': {
            size_t st = at;
            ok = fmt_digits(s, n, &at, 9, &frac);
            for (size_t k = at - st; k > 3; k--)
                frac /= 10;
            for (size_t k = at - st; k < 3; k++)
                frac *= 10;
            break;
        }
        case 'b': {
            ok = 0;
            if (at + 3 <= n)
                for (int k = 0; k < 12 && !ok; k++)
                    if (!strncasecmp(s + at, mon[k], 3)) {
                        m = k + 1;
                        ok = 1;
                    }
            at += 3;
            break;
        }
        case '%':
            ok = at < n && s[at] == '%';
            at++;
            break;
        default:
            return 0;
        }
        if (!ok)
            return 0;
    }
    if (at != n || m < 1 || m > 12 || d < 1 || hh > 23 || mi > 59 || ss > 60)
        return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return 0;
    *ms = (ll_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 +
           mi * 60 + ss) *
              (int64_t)1000 +
          frac;
    return 1;
}

int ll_date_fmt_has_time(const char *fmt)
{
    for (const char *f = fmt; *f; f++)
        if (*f == '%' && f[1]) {
            f++;
            if (strchr("HMSf", *f))
                return 1;
        }
    return 0;
}

int ll_date_fmt_check(const char *fmt)
{
    for (const char *f = fmt; *f; f++)
        if (*f == '%') {
            f++;
            if (!*f || !strchr("YymdHMSfb%", *f))
                return 0;
        }
    return 1;
}
