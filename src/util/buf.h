/*
 * buf: a growable byte buffer, always NUL-terminated after its bytes.
 * Functions return LL_OK or LL_ENOMEM; a failed append leaves the bytes as
 * they were and marks the buffer failed: every later append fails too and
 * ll_buf_take gives NULL, so a writer that checks only at the end never
 * takes a silently truncated text for a whole one.
 */
#ifndef LL_BUF_H
#define LL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ll_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    int failed; /* an append ran out of memory */
} ll_buf;

void ll_buf_init(ll_buf *b);
void ll_buf_free(ll_buf *b);
void ll_buf_reset(ll_buf *b); /* len = 0, keeps memory, clears failed */
int ll_buf_reserve(ll_buf *b, size_t extra);
int ll_buf_append(ll_buf *b, const void *data, size_t len);
int ll_buf_puts(ll_buf *b, const char *s);
int ll_buf_putc(ll_buf *b, char c);
int ll_buf_printf(ll_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ll_buf_vprintf(ll_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Give the bytes to the caller (free() them); the buffer is left empty.
 * Never NULL unless out of memory (now or in an earlier append): an empty
 * buffer gives "". */
char *ll_buf_take(ll_buf *b);
/* The bytes as a C string ("" when empty); owned by the buffer. */
const char *ll_buf_str(const ll_buf *b);

/* A malloc'd copy of s (free() it); NULL when s is NULL or out of memory. */
char *ll_strdup(const char *s);

#endif
