/*
 * csv_text: the text before parsing: UTF-8 checking, latin-1 conversion,
 * separator detection and line numbers for messages.  Part of the CSV
 * reader (csv_int.h).
 */
#define _POSIX_C_SOURCE 200809L
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise */
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame/csv_int.h"

/* --- helpers --- */

int llcsv_detect_sep(const char *d, size_t n)
{
    static const char cands[] = {',', ';', '\t', '|'};
    int best = ',';
    double best_score = 0;
    for (int k = 0; k < 4; k++) {
        char sep = cands[k];
        int counts[10], nl = 0, cnt = 0, inq = 0;
        size_t i;
        for (i = 0; i < n && i < 65536 && nl < 10; i++) {
            char c = d[i];
            if (c == '"')
                inq = !inq;
            else if (!inq && c == sep)
                cnt++;
            else if (!inq && c == '\n') {
                counts[nl++] = cnt;
                cnt = 0;
            }
        }
        if (nl < 10 && cnt > 0)
            counts[nl++] = cnt;
        if (nl == 0 || counts[0] == 0)
            continue;
        int same = 0;
        for (int l = 0; l < nl; l++)
            same += counts[l] == counts[0];
        double score = (double)counts[0] * same / nl;
        if (score > best_score) {
            best_score = score;
            best = sep;
        }
    }
    return best;
}

int64_t llcsv_line_of(const char *d, size_t pos)
{
    int64_t line = 1;
    const char *p = d, *end = d + pos;
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        line++;
        p++;
    }
    return line;
}

size_t llcsv_utf8_bad_at(const char *s, size_t n)
{
    /* fast skip over ASCII, then check sequences */
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = (c & 0xE0) == 0xC0   ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (k == 0 || i + k > n || !ll_utf8_valid(s + i, k))
            return i;
        i += k;
    }
    return (size_t)-1;
}

char *llcsv_latin1_to_utf8(const char *s, size_t n, size_t *out_len)
{
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += (unsigned char)s[i] >= 0x80;
    char *o = malloc(n + extra + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            o[k++] = (char)c;
        } else {
            o[k++] = (char)(0xC0 | (c >> 6));
            o[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    o[k] = 0;
    *out_len = k;
    return o;
}
