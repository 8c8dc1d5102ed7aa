/* err: see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ll_err_set(ll_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void ll_err_prefix(ll_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t hl = strlen(head), cap = sizeof err->msg;
    if (hl + 2 >= cap)
        hl = cap - 3;
    size_t ol = strlen(err->msg);
    if (hl + 2 + ol >= cap)
        ol = cap - hl - 3;
    memmove(err->msg + hl + 2, err->msg, ol);
    memcpy(err->msg, head, hl);
    err->msg[hl] = ':';
    err->msg[hl + 1] = ' ';
    err->msg[hl + 2 + ol] = '\0';
}

int ll_err_oom(ll_err *err)
{
    return ll_err_set(err, LL_ENOMEM, "out of memory");
}

void ll_err_clear(ll_err *err)
{
    if (err) {
        err->code = LL_OK;
        err->msg[0] = '\0';
    }
}

const char *ll_err_name(int code)
{
    switch (code) {
    case LL_OK:
        return "ok";
    case LL_ENOMEM:
        return "out of memory";
    case LL_EIO:
        return "I/O error";
    case LL_EPARSE:
        return "parse error";
    case LL_EINVAL:
        return "invalid argument";
    case LL_ENOTFOUND:
        return "not found";
    case LL_EINTR:
        return "interrupted";
    case LL_ERANGE:
        return "out of range";
    case LL_ETIMEOUT:
        return "timed out";
    default:
        return "unknown error";
    }
}
