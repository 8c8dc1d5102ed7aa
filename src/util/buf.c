/* buf: see buf.h. */
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ll_buf_init(ll_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void ll_buf_free(ll_buf *b)
{
    free(b->data);
    ll_buf_init(b);
}

void ll_buf_reset(ll_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

int ll_buf_reserve(ll_buf *b, size_t extra)
{
    if (b->failed)
        return LL_ENOMEM;
    if (b->len + extra + 1 <= b->cap)
        return LL_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return LL_ENOMEM;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return LL_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return LL_OK;
}

int ll_buf_append(ll_buf *b, const void *data, size_t len)
{
    if (ll_buf_reserve(b, len) != LL_OK)
        return LL_ENOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return LL_OK;
}

int ll_buf_puts(ll_buf *b, const char *s)
{
    return ll_buf_append(b, s, strlen(s));
}

int ll_buf_putc(ll_buf *b, char c)
{
    return ll_buf_append(b, &c, 1);
}

int ll_buf_vprintf(ll_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return LL_EINVAL;
    if (ll_buf_reserve(b, (size_t)n) != LL_OK)
        return LL_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return LL_OK;
}

int ll_buf_printf(ll_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ll_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *ll_buf_take(ll_buf *b)
{
    if (b->failed) {
        ll_buf_free(b);
        return NULL;
    }
    char *p = b->data;
    if (!p) {
        p = malloc(1);
        if (p)
            p[0] = '\0';
    }
    ll_buf_init(b);
    return p;
}

const char *ll_buf_str(const ll_buf *b)
{
    return b->data ? b->data : "";
}

char *ll_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
