/*
 * err: status codes and error messages for the core.
 *
 * Core functions return int status: LL_OK (0) or a negative LL_E* code, and
 * fill an ll_err whose message names the input (file, line, column, key).
 * Functions that return a pointer return NULL on failure and fill their
 * err the same way (allocation-only constructors included).  err may be
 * NULL.  Core never aborts or exits; running out of memory is LL_ENOMEM.
 */
#ifndef LL_ERR_H
#define LL_ERR_H

#include <stddef.h>

enum {
    LL_OK = 0,
    LL_ENOMEM = -1,    /* allocation failed */
    LL_EIO = -2,       /* file or system call failed */
    LL_EPARSE = -3,    /* malformed input */
    LL_EINVAL = -4,    /* bad argument */
    LL_ENOTFOUND = -5, /* missing file, key, column */
    LL_EINTR = -6,     /* interrupted by the user */
    LL_ERANGE = -7,    /* value out of range */
    LL_ETIMEOUT = -8   /* a time limit was reached */
};

typedef struct ll_err {
    int code;
    char msg[1024];
} ll_err;

/* Set code and a printf-style message; returns code.  err may be NULL. */
int ll_err_set(ll_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the message already in err with "prefix: ". */
void ll_err_prefix(ll_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ll_err_clear(ll_err *err);
/* Out of memory: code LL_ENOMEM and the message "out of memory"; returns
 * LL_ENOMEM.  Every core function that fails to allocate reports through
 * this (a caller may ll_err_prefix what it was doing). */
int ll_err_oom(ll_err *err);
/* A short name for a code: "out of memory", "I/O error", ... */
const char *ll_err_name(int code);

#endif
