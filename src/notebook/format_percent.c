/*
 * format_percent: jupytext's percent format for Lua, the notebook's source
 * of truth.
 *
 *   -- ---                         header block (YAML, commented)
 *   -- title: Demo
 *   -- ---
 *
 *   -- %% [markdown]               a Markdown cell, every line "-- "
 *   -- # Heading
 *
 *   -- %% tags=["parameters"]      a code cell; metadata as key=JSON
 *   horizon = 30
 *
 * A marker is a line starting with "-- %%" outside any Lua long string or
 * long comment, so "[[ -- %% ]]" stays inside its cell.  Cells are
 * separated by one blank line; trailing blank lines of a cell are not part
 * of it.  What ll_notebook_to_percent writes reads back byte-identical.
 */
#include "config.h"

#include "notebook/nb_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lexer state carried from line to line. */
typedef struct lexstate {
    int long_level; /* -1: not in a long bracket; else its level */
    char quote;     /* in a short string continued by a backslash-newline */
} lexstate;

/* "[", "[=", "[==" ... "[": the level of a long bracket at p, or -1. */
static int long_open(const char *p, const char *end)
{
    if (p >= end || *p != '[')
        return -1;
    const char *q = p + 1;
    int level = 0;
    while (q < end && *q == '=') {
        level++;
        q++;
    }
    return (q < end && *q == '[') ? level : -1;
}

/* Advance the lexer over one line [p, end) (without its newline). */
static void lex_line(lexstate *st, const char *p, const char *end)
{
    while (p < end) {
        if (st->long_level >= 0) {
            if (*p == ']') {
                const char *q = p + 1;
                int level = 0;
                while (q < end && *q == '=') {
                    level++;
                    q++;
                }
                if (q < end && *q == ']' && level == st->long_level) {
                    st->long_level = -1;
                    p = q + 1;
                    continue;
                }
            }
            p++;
            continue;
        }
        if (st->quote) {
            if (*p == '\\') {
                p += (p + 1 < end) ? 2 : 1;
                if (p >= end && p[-1] == '\\')
                    return; /* backslash-newline: the string goes on */
                continue;
            }
            if (*p == st->quote)
                st->quote = 0;
            p++;
            if (p >= end && st->quote) {
                st->quote = 0; /* unfinished string: Lua's error, not ours */
                return;
            }
            continue;
        }
        if (p[0] == '-' && p + 1 < end && p[1] == '-') {
            int level = long_open(p + 2, end);
            if (level < 0)
                return; /* a line comment */
            st->long_level = level;
            p += 2 + level + 2;
            continue;
        }
        int level = long_open(p, end);
        if (level >= 0) {
            st->long_level = level;
            p += level + 2;
            continue;
        }
        if (*p == '"' || *p == '\'') {
            st->quote = *p++;
            if (p >= end)
                st->quote = 0;
            continue;
        }
        p++;
    }
    if (st->quote)
        st->quote = 0;
}

/* Is [p, end) a cell marker line ("-- %%" then the end or a blank)?  Sets
 * *rest to the text after "%%". */
static int is_marker(const char *p, const char *end, const char **rest)
{
    if (end - p < 5 || memcmp(p, "-- %%", 5) != 0)
        return 0;
    const char *q = p + 5;
    if (q < end && *q != ' ' && *q != '\t' && *q != '\r')
        return 0;
    *rest = q;
    return 1;
}

static int is_blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return 0;
    return 1;
}

static int is_blank_text(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return 0;
    return 1;
}

/* Is [t, e) spaces, "---", spaces: a line that would close the header? */
static int is_dashes(const char *t, const char *e)
{
    while (t < e && *t == ' ')
        t++;
    while (e > t && (e[-1] == ' ' || e[-1] == '\r'))
        e--;
    return e - t == 3 && memcmp(t, "---", 3) == 0;
}

/* "-- x" -> "x", "--" -> "", anything else verbatim.  put_commented
 * writes a line that starts (after spaces) with "%%" -- or, in the header,
 * a "---" line -- with one more space, so it cannot pass for a marker or
 * the header's end: that space is taken off again. */
static void uncomment(const char **p, const char **end, int header)
{
    const char *s = *p, *e = *end;
    if (e - s >= 2 && s[0] == '-' && s[1] == '-') {
        if (e - s == 2 || (e - s == 3 && s[2] == '\r'))
            *p = e;
        else if (s[2] == ' ') {
            const char *t = s + 3;
            while (t < e && *t == ' ')
                t++;
            int escaped =
                t > s + 3 && ((e - t >= 2 && t[0] == '%' && t[1] == '%') ||
                              (header && is_dashes(s + 4, e)));
            *p = s + 3 + escaped;
        }
    }
}

static int is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Parse the marker text after "%%": [title] [markdown|md|raw] key=JSON...
 * Fills *type and a metadata object. */
static int parse_marker(nb_src *ps, const char *p, const char *end,
                        ll_cell_type *type, cJSON **meta)
{
    *type = LL_CELL_CODE;
    *meta = cJSON_CreateObject();
    if (!*meta)
        return ll_err_set(ps->err, LL_ENOMEM, "out of memory");
    while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    ll_buf title;
    ll_buf_init(&title);
    int rc = LL_OK;
    int in_meta = 0;
    while (p < end && rc == LL_OK) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        const char *k = p;
        while (k < end && is_key_char(*k))
            k++;
        if (k > p && k < end && *k == '=') {
            /* key=JSON */
            char key[128];
            size_t klen = (size_t)(k - p);
            if (klen >= sizeof key)
                klen = sizeof key - 1;
            memcpy(key, p, klen);
            key[klen] = '\0';
            const char *v = k + 1;
            const char *vend = NULL;
            errno = 0;
            cJSON *val =
                cJSON_ParseWithLengthOpts(v, (size_t)(end - v), &vend, 0);
            if (!val && errno == ENOMEM) { /* a failed malloc */
                rc = ll_err_oom(ps->err);
                break;
            }
            if (!val) {
                rc = nb_src_error(ps, v,
                                  "bad metadata value for '%s' on the cell "
                                  "marker (expected JSON)",
                                  key);
                break;
            }
            if (vend < end && *vend != ' ' && *vend != '\t') {
                cJSON_Delete(val);
                rc = nb_src_error(ps, vend,
                                  "unexpected text after the value of "
                                  "'%s' on the cell marker",
                                  key);
                break;
            }
            cJSON_DeleteItemFromObjectCaseSensitive(*meta, key);
            if (!cJSON_AddItemToObject(*meta, key, val)) {
                cJSON_Delete(val);
                rc = ll_err_oom(ps->err);
                break;
            }
            in_meta = 1;
            p = vend;
            continue;
        }
        if (*p == '{') {
            /* metadata as one JSON object (keys that key=value cannot
             * spell) */
            const char *vend = NULL;
            errno = 0;
            cJSON *obj =
                cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &vend, 0);
            if (!obj && errno == ENOMEM) { /* a failed malloc */
                rc = ll_err_oom(ps->err);
                break;
            }
            if (!cJSON_IsObject(obj) ||
                (vend < end && *vend != ' ' && *vend != '\t')) {
                cJSON_Delete(obj);
                rc = nb_src_error(ps, p,
                                  "bad metadata object on the cell marker "
                                  "(expected JSON)");
                break;
            }
            cJSON *item = obj->child;
            while (item) {
                cJSON *nextitem = item->next;
                cJSON_DetachItemViaPointer(obj, item);
                cJSON_DeleteItemFromObjectCaseSensitive(*meta, item->string);
                if (!cJSON_AddItemToObject(*meta, item->string, item)) {
                    cJSON_Delete(item);
                    rc = ll_err_oom(ps->err);
                    break;
                }
                item = nextitem;
            }
            cJSON_Delete(obj);
            if (rc != LL_OK)
                break;
            in_meta = 1;
            p = vend;
            continue;
        }
        const char *w = p;
        while (w < end && *w != ' ' && *w != '\t')
            w++;
        size_t wl = (size_t)(w - p);
        if (in_meta) {
            char word[64];
            snprintf(word, sizeof word, "%.*s", (int)(wl < 60 ? wl : 60), p);
            rc = nb_src_error(
                ps, p, "expected key=value on the cell marker, got '%s'", word);
            break;
        }
        if ((wl == 10 && memcmp(p, "[markdown]", 10) == 0) ||
            (wl == 4 && memcmp(p, "[md]", 4) == 0))
            *type = LL_CELL_MARKDOWN;
        else if (wl == 5 && memcmp(p, "[raw]", 5) == 0)
            *type = LL_CELL_RAW;
        else {
            if (title.len)
                rc = ll_buf_putc(&title, ' ');
            if (rc == LL_OK)
                rc = ll_buf_append(&title, p, wl);
        }
        p = w;
    }
    if (rc == LL_OK && title.len) {
        cJSON_DeleteItemFromObjectCaseSensitive(*meta, "title");
        if (!cJSON_AddStringToObject(*meta, "title", ll_buf_str(&title)))
            rc = ll_err_set(ps->err, LL_ENOMEM, "out of memory");
    }
    ll_buf_free(&title);
    if (rc != LL_OK) {
        cJSON_Delete(*meta);
        *meta = NULL;
    }
    return rc;
}

/* A cell body: lines [start, end) of the file (end excludes the newline
 * before the next marker). */
static int add_cell(nb_src *ps, ll_notebook *nb, ll_cell_type type, cJSON *meta,
                    const char *start, const char *end, int line)
{
    /* drop trailing blank lines */
    while (end > start) {
        const char *ls = end;
        while (ls > start && ls[-1] != '\n')
            ls--;
        if (!is_blank(ls, end))
            break;
        end = ls > start ? ls - 1 : start;
    }
    ll_buf src;
    ll_buf_init(&src);
    int rc = LL_OK;
    if (type == LL_CELL_CODE) {
        rc = ll_buf_append(&src, start, (size_t)(end - start));
    } else {
        const char *p = start;
        while (p < end && rc == LL_OK) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            const char *s = p, *e = le;
            uncomment(&s, &e, 0);
            if (p > start)
                rc = ll_buf_putc(&src, '\n');
            if (rc == LL_OK)
                rc = ll_buf_append(&src, s, (size_t)(e - s));
            p = nl ? nl + 1 : end;
        }
    }
    char *source = rc == LL_OK ? ll_buf_take(&src) : NULL;
    ll_buf_free(&src);
    ll_cell *c = source ? nb_append_cell(nb, type, source) : NULL;
    if (!c || (meta && nb_cell_set_metadata_obj(c, meta) != LL_OK)) {
        return ll_err_set(ps->err, LL_ENOMEM, "out of memory");
    }
    c->line = line;
    return LL_OK;
}

/* The header block's YAML: "title: X" gives the notebook's title. */
int nb_take_title(ll_notebook *nb)
{
    const char *p = nb->header;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 6 && memcmp(p, "title:", 6) == 0) {
            const char *v = p + 6, *e = p + n;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\r'))
                e--;
            if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
                v++;
                e--;
            }
            free(nb->title);
            nb->title = nb_strndup(v, (size_t)(e - v));
            return nb->title ? LL_OK : LL_ENOMEM;
        }
        p = nl ? nl + 1 : NULL;
    }
    return LL_OK;
}

static int is_header_fence(const char *p, const char *end)
{
    while (end > p && (end[-1] == '\r' || end[-1] == ' '))
        end--;
    return end - p == 6 && memcmp(p, "-- ---", 6) == 0;
}

static int parse_percent(const char *text, size_t len, const char *path,
                         ll_notebook **out, ll_err *err)
{
    *out = NULL;
    nb_src ps = {text, path, err};
    ll_notebook *nb = ll_notebook_new(err);
    if (!nb)
        return LL_ENOMEM;
    nb->format = LL_NB_PERCENT;
    const char *p = text, *end = text + len;
    int line = 1;
    int rc = LL_OK;

    /* preamble: a "#!" line, an Emacs "-*- coding: ... -*-" comment */
    for (;;) {
        const char *pn = memchr(p, '\n', (size_t)(end - p));
        const char *pe = pn ? pn : end;
        int shebang = p == text && end - p >= 2 && p[0] == '#' && p[1] == '!';
        int cookie = pe - p >= 2 && p[0] == '-' && p[1] == '-' &&
                     !is_marker(p, pe, &(const char *){NULL}) &&
                     memmem(p, (size_t)(pe - p), "-*-", 3) &&
                     memmem(p, (size_t)(pe - p), "coding", 6);
        if (!pn || !(shebang || cookie))
            break;
        p = pn + 1;
        line++;
    }
    if (p > text && !(nb->preamble = nb_strndup(text, (size_t)(p - text)))) {
        ll_notebook_free(nb);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }

    /* header block */
    const char *hdr = p;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (p < end && is_header_fence(p, nl ? nl : end)) {
        ll_buf yaml;
        ll_buf_init(&yaml);
        const char *q = nl ? nl + 1 : end;
        int hline = line + 1, closed = 0;
        while (q < end && rc == LL_OK) {
            const char *qn = memchr(q, '\n', (size_t)(end - q));
            const char *qe = qn ? qn : end;
            if (is_header_fence(q, qe)) {
                closed = 1;
                q = qn ? qn + 1 : end;
                hline++;
                break;
            }
            const char *s = q, *e = qe;
            uncomment(&s, &e, 1);
            if (yaml.len || hline > line + 1)
                rc = ll_buf_putc(&yaml, '\n');
            if (rc == LL_OK)
                rc = ll_buf_append(&yaml, s, (size_t)(e - s));
            q = qn ? qn + 1 : end;
            hline++;
        }
        if (rc == LL_OK && !closed)
            rc = nb_src_error(&ps, hdr,
                              "header block not closed (expected a '%s' "
                              "line)",
                              "-- ---");
        else if (rc != LL_OK)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        if (rc == LL_OK) {
            nb->header = ll_buf_take(&yaml);
            rc = nb->header ? nb_take_title(nb) : LL_ENOMEM;
            if (rc != LL_OK)
                ll_err_set(err, rc, "out of memory");
        }
        ll_buf_free(&yaml);
        p = q;
        line = hline;
    }

    /* cells */
    lexstate st = {-1, 0};
    const char *body = p;
    int body_line = line;
    ll_cell_type type = LL_CELL_CODE;
    cJSON *meta = NULL;
    int have_marker = 0;
    while (rc == LL_OK) {
        const char *le = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *lend = le ? le : end;
        const char *rest;
        int at_end = p >= end;
        int marker = !at_end && st.long_level < 0 && !st.quote &&
                     is_marker(p, lend, &rest);
        if (at_end || marker) {
            /* close the cell being read */
            const char *bend = p > body ? p - 1 : body;
            if (at_end && end > body && end[-1] != '\n')
                bend = end;
            if (have_marker || !is_blank_text(body, bend))
                rc = add_cell(&ps, nb, type, meta, body, bend,
                              have_marker ? body_line - 1 : body_line);
            cJSON_Delete(meta);
            meta = NULL;
            if (at_end || rc != LL_OK)
                break;
            rc = parse_marker(&ps, rest, lend, &type, &meta);
            have_marker = 1;
            p = le ? le + 1 : end;
            line++;
            body = p;
            body_line = line;
            continue;
        }
        if (type == LL_CELL_CODE || !have_marker)
            lex_line(&st, p, lend);
        p = le ? le + 1 : end;
        line++;
    }
    cJSON_Delete(meta);
    if (rc != LL_OK) {
        ll_notebook_free(nb);
        return rc;
    }
    *out = nb;
    return LL_OK;
}

/* Keys jupytext leaves off the marker line (Jupyter's UI state). */
static int skip_key(const char *k)
{
    static const char *const skipped[] = {
        "title",      "collapsed",          "scrolled",
        "trusted",    "ExecuteTime",        "execution",
        "autoscroll", "lines_to_next_cell", NULL};
    for (int i = 0; skipped[i]; i++)
        if (strcmp(k, skipped[i]) == 0)
            return 1;
    return 0;
}

static int put_commented(ll_buf *b, const char *s, int header)
{
    int rc = LL_OK;
    while (rc == LL_OK) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n == 0)
            rc = ll_buf_puts(b, "--\n");
        else {
            /* "-- %%" would start a cell: a line starting (after spaces)
             * with "%%" gets one more space, which uncomment takes off */
            size_t sp = strspn(s, " ");
            int escape = (sp + 2 <= n && s[sp] == '%' && s[sp + 1] == '%') ||
                         (header && is_dashes(s, s + n));
            rc = ll_buf_puts(b, escape ? "--  " : "-- ");
            if (rc == LL_OK)
                rc = ll_buf_append(b, s, n);
            if (rc == LL_OK)
                rc = ll_buf_putc(b, '\n');
        }
        if (!nl)
            break;
        s = nl + 1;
    }
    return rc;
}

/* A title reads back as written: one line of single-spaced words, none
 * of which looks like a type or metadata. */
static int plain_title(const char *t)
{
    if (!*t || *t == ' ' || t[strlen(t) - 1] == ' ')
        return 0;
    for (const char *p = t; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p == '=' || *p == '[' ||
            *p == '{' || (*p == ' ' && p[1] == ' '))
            return 0;
    }
    return 1;
}

static int put_marker(ll_buf *b, const ll_cell *c)
{
    int rc = ll_buf_puts(b, "-- %%");
    errno = 0;
    cJSON *meta = cJSON_Parse(c->metadata_json ? c->metadata_json : "{}");
    if (!meta && errno == ENOMEM) /* fail rather than drop the metadata */
        return LL_ENOMEM;
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(meta, "title");
    int title_ok = cJSON_IsString(title) && plain_title(title->valuestring);
    if (rc == LL_OK && title_ok)
        rc = ll_buf_printf(b, " %s", title->valuestring);
    if (rc == LL_OK && c->type == LL_CELL_MARKDOWN)
        rc = ll_buf_puts(b, " [markdown]");
    else if (rc == LL_OK && c->type == LL_CELL_RAW)
        rc = ll_buf_puts(b, " [raw]");
    int plain = 1; /* every key spells as key=value */
    const cJSON *e;
    if (cJSON_IsString(title) && !title_ok)
        plain = 0;
    cJSON_ArrayForEach(e, meta)
    {
        if (skip_key(e->string))
            continue;
        const char *k = e->string;
        if (!*k)
            plain = 0;
        for (; *k; k++)
            if (!is_key_char(*k))
                plain = 0;
    }
    if (!plain) {
        cJSON *rest = cJSON_CreateObject();
        cJSON_ArrayForEach(e, meta)
        {
            if (!rest)
                break;
            if (skip_key(e->string) && !(e == title && !title_ok))
                continue;
            cJSON *dup = cJSON_Duplicate(e, 1);
            if (!dup || !cJSON_AddItemToObject(rest, e->string, dup)) {
                cJSON_Delete(dup);
                cJSON_Delete(rest);
                rest = NULL;
            }
        }
        if (rc == LL_OK)
            rc = ll_buf_putc(b, ' ');
        if (rc == LL_OK)
            rc = rest ? nb_json_dump(rest, b, -1, 0) : LL_ENOMEM;
        cJSON_Delete(rest);
    } else if (cJSON_IsObject(meta)) {
        cJSON_ArrayForEach(e, meta)
        {
            if (rc != LL_OK)
                break;
            if (skip_key(e->string))
                continue;
            rc = ll_buf_printf(b, " %s=", e->string);
            if (rc == LL_OK)
                rc = nb_json_dump(e, b, -1, 0);
        }
    }
    cJSON_Delete(meta);
    if (rc == LL_OK)
        rc = ll_buf_putc(b, '\n');
    return rc;
}

int ll_notebook_to_percent(const ll_notebook *nb, ll_buf *out)
{
    int rc = LL_OK;
    if (nb->preamble)
        rc = ll_buf_puts(out, nb->preamble);
    if (rc == LL_OK && nb->header) {
        rc = ll_buf_puts(out, "-- ---\n");
        if (rc == LL_OK && nb->header[0])
            rc = put_commented(out, nb->header, 1);
        if (rc == LL_OK)
            rc = ll_buf_puts(out, "-- ---\n");
        if (rc == LL_OK && nb->ncells)
            rc = ll_buf_putc(out, '\n');
    }
    for (int i = 0; i < nb->ncells && rc == LL_OK; i++) {
        const ll_cell *c = &nb->cells[i];
        if (i > 0)
            rc = ll_buf_putc(out, '\n');
        if (rc == LL_OK)
            rc = put_marker(out, c);
        const char *src = c->source ? c->source : "";
        /* trailing blank lines would not read back: leave them off */
        size_t n = strlen(src);
        while (n > 0 && c->type == LL_CELL_CODE) {
            size_t ls = n;
            while (ls > 0 && src[ls - 1] != '\n')
                ls--;
            if (!is_blank(src + ls, src + n))
                break;
            n = ls > 0 ? ls - 1 : 0;
        }
        if (rc != LL_OK || n == 0)
            continue;
        if (c->type == LL_CELL_CODE) {
            rc = ll_buf_append(out, src, n);
            if (rc == LL_OK)
                rc = ll_buf_putc(out, '\n');
        } else {
            char *s = nb_strndup(src, n);
            rc = s ? put_commented(out, s, 0) : LL_ENOMEM;
            free(s);
        }
    }
    return rc;
}

/* The text parsed is NUL-terminated, and files with CRLF line ends
 * (Windows editors) read as if they had LF: no '\r' reaches a cell's
 * source or the screen. */
int ll_notebook_parse_percent(const char *text, size_t len, const char *path,
                              ll_notebook **out, ll_err *err)
{
    return nb_parse_text(parse_percent, text, len, path, out, err);
}
