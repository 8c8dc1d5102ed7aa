/*
 * format_md: reading a Markdown document as a notebook.
 *
 * Fenced ```lua (or ~~~lua) blocks are code cells, optionally followed by
 * jupytext-style metadata (```lua tags=["parameters"]); everything between
 * them is a Markdown cell.  A leading "---" YAML block is the header.
 * Fences of other languages stay inside the Markdown.
 *
 * jupytext's explicit cells are read too: the lines between
 * "<!-- #region -->" and "<!-- #endregion -->" make one Markdown cell,
 * between "<!-- #raw -->" and "<!-- #endraw -->" one raw cell, verbatim.
 *
 * Writing does the reverse.  A code cell's fence is longer than any run of
 * backticks starting a line of its code (CommonMark), so code holding
 * ``` reads back.  Raw cells, and the Markdown cells that plain text would
 * not bring back as they were (one holding a fence, two in a row), are
 * written as explicit cells, unless the text holds a line that would close
 * the explicit cell ("<!-- #endregion -->"): that one is written plain.
 */
#include "config.h"

#include "notebook/nb_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fence line: up to 3 spaces, then 3+ backticks or tildes.  Returns the
 * fence length and sets *ch and *info (the text after the fence). */
static int fence(const char *p, const char *end, char *ch, const char **info)
{
    int sp = 0;
    while (p < end && *p == ' ' && sp < 4) {
        p++;
        sp++;
    }
    if (sp > 3 || p >= end || (*p != '`' && *p != '~'))
        return 0;
    char c = *p;
    int n = 0;
    while (p < end && *p == c) {
        p++;
        n++;
    }
    if (n < 3)
        return 0;
    *ch = c;
    *info = p;
    return n;
}

static int only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return 0;
    return 1;
}

/* Markdown text [s, e) as a cell, without blank lines around it. */
static int add_markdown(nb_src *m, ll_notebook *nb, const char *s,
                        const char *e)
{
    while (s < e && (*s == '\n' || *s == '\r')) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        if (!nl || !only_space(s, nl))
            break;
        s = nl + 1;
    }
    if (only_space(s, e))
        return LL_OK;
    while (e > s &&
           (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t'))
        e--;
    char *src = nb_strndup(s, (size_t)(e - s));
    if (!src || !nb_append_cell(nb, LL_CELL_MARKDOWN, src))
        return ll_err_set(m->err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

/* Is [p, e) the line `want`, give or take spaces around it? */
static int is_line(const char *p, const char *e, const char *want)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t n = strlen(want);
    return (size_t)(e - p) == n && memcmp(p, want, n) == 0;
}

/* jupytext's explicit cells: a line "<!-- #region -->" (LL_CELL_MARKDOWN)
 * or "<!-- #raw -->" (LL_CELL_RAW) opens one; -1 for any other line. */
static int region_open(const char *p, const char *e)
{
    if (is_line(p, e, "<!-- #region -->"))
        return LL_CELL_MARKDOWN;
    if (is_line(p, e, "<!-- #raw -->"))
        return LL_CELL_RAW;
    return -1;
}

/* Parse "lua key=JSON ..." after a fence.  *is_lua = 0 for other
 * languages (the block stays Markdown). */
static int fence_info(nb_src *m, const char *p, const char *end, int *is_lua,
                      cJSON **meta)
{
    *is_lua = 0;
    *meta = NULL;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == '\r' || end[-1] == ' '))
        end--;
    const char *w = p;
    while (w < end && *w != ' ' && *w != '\t')
        w++;
    if (!((w - p == 3 && memcmp(p, "lua", 3) == 0) ||
          (w - p == 5 && memcmp(p, "{lua}", 5) == 0)))
        return LL_OK;
    *is_lua = 1;
    *meta = cJSON_CreateObject();
    if (!*meta)
        return ll_err_set(m->err, LL_ENOMEM, "out of memory");
    p = w;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        const char *eq = p;
        while (eq < end && *eq != '=' && *eq != ' ')
            eq++;
        if (eq >= end || *eq != '=' || eq == p)
            return nb_src_error(m, p, "expected key=value after ```lua");
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        const char *vend = NULL;
        errno = 0;
        cJSON *v =
            cJSON_ParseWithLengthOpts(eq + 1, (size_t)(end - eq - 1), &vend, 0);
        if (!v && errno == ENOMEM) /* a failed malloc, not the text */
            return ll_err_oom(m->err);
        if (!v || (vend < end && *vend != ' ' && *vend != '\t')) {
            cJSON_Delete(v);
            return nb_src_error(m, eq + 1,
                                "bad metadata value for '%s' after ```lua "
                                "(expected JSON)",
                                key);
        }
        if (!cJSON_AddItemToObject(*meta, key, v)) {
            cJSON_Delete(v);
            return ll_err_oom(m->err);
        }
        p = vend;
    }
    return LL_OK;
}

static int parse_markdown(const char *text, size_t len, const char *path,
                          ll_notebook **out, ll_err *err)
{
    *out = NULL;
    nb_src m = {text, path, err};
    ll_notebook *nb = ll_notebook_new(err);
    if (!nb)
        return LL_ENOMEM;
    nb->format = LL_NB_MARKDOWN;
    const char *p = text, *end = text + len;
    int rc = LL_OK;

    /* YAML header */
    if (len >= 4 && memcmp(p, "---", 3) == 0 &&
        (p[3] == '\n' || p[3] == '\r')) {
        const char *q = (const char *)memchr(p, '\n', len) + 1;
        const char *hs = q;
        while (q < end) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            const char *le = nl ? nl : end;
            if ((le - q == 3 || (le - q == 4 && q[3] == '\r')) &&
                memcmp(q, "---", 3) == 0) {
                const char *he = q > hs ? q - 1 : hs;
                nb->header = nb_strndup(hs, (size_t)(he - hs));
                if (!nb->header || nb_take_title(nb) != LL_OK)
                    rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                p = nl ? nl + 1 : end;
                break;
            }
            q = nl ? nl + 1 : end;
        }
        if (!nb->header && rc == LL_OK)
            rc = nb_src_error(&m, text,
                              "header block not closed (expected a '---' "
                              "line)");
    }

    const char *md_start = p;
    /* line numbers of fences, counted on from the last one (p only moves
     * forward): linear in the size of the file */
    const char *lc_at = text;
    int lc_line = 1;
    while (p < end && rc == LL_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        int rtype = region_open(p, le);
        if (rtype >= 0) {
            const char *rend = rtype == LL_CELL_RAW ? "<!-- #endraw -->"
                                                    : "<!-- #endregion -->";
            const char *body = nl ? nl + 1 : end;
            const char *q = body, *close = NULL, *after = end;
            while (q < end) {
                const char *qn = memchr(q, '\n', (size_t)(end - q));
                const char *qe = qn ? qn : end;
                if (is_line(q, qe, rend)) {
                    close = q;
                    after = qn ? qn + 1 : end;
                    break;
                }
                q = qn ? qn + 1 : end;
            }
            if (!close) {
                /* not closed: the line is Markdown text like any other */
                p = body;
                continue;
            }
            rc = add_markdown(&m, nb, md_start, p);
            const char *be = close > body ? close - 1 : body;
            char *src =
                rc == LL_OK ? nb_strndup(body, (size_t)(be - body)) : NULL;
            if (rc == LL_OK &&
                (!src || !nb_append_cell(nb, (ll_cell_type)rtype, src)))
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            p = md_start = after;
            continue;
        }
        char ch;
        const char *info;
        int flen = fence(p, le, &ch, &info);
        if (!flen) {
            p = nl ? nl + 1 : end;
            continue;
        }
        int is_lua = 0;
        cJSON *meta = NULL;
        if (ch == '`' && memchr(info, '`', (size_t)(le - info)))
            flen = 0; /* not a fence: inline code */
        else
            rc = fence_info(&m, info, le, &is_lua, &meta);
        if (rc != LL_OK) {
            cJSON_Delete(meta);
            break;
        }
        /* find the closing fence */
        const char *open = p;
        int open_line;
        while (lc_at < p) {
            const char *n = memchr(lc_at, '\n', (size_t)(p - lc_at));
            if (!n)
                break;
            lc_line++;
            lc_at = n + 1;
        }
        open_line = lc_line;
        const char *body = nl ? nl + 1 : end;
        const char *q = body;
        const char *close = NULL, *after = end;
        while (flen && q < end) {
            const char *qn = memchr(q, '\n', (size_t)(end - q));
            const char *qe = qn ? qn : end;
            char c2;
            const char *info2;
            int n2 = fence(q, qe, &c2, &info2);
            if (n2 >= flen && c2 == ch && only_space(info2, qe)) {
                close = q;
                after = qn ? qn + 1 : end;
                break;
            }
            q = qn ? qn + 1 : end;
        }
        if (flen && !close && !is_lua) {
            /* CommonMark: an unclosed fence runs to the end of the
             * document; a Markdown cell may hold one */
            cJSON_Delete(meta);
            break;
        }
        if (flen && !close) {
            cJSON_Delete(meta);
            rc = nb_src_error(&m, open, "code block opened here is not closed");
            break;
        }
        if (!is_lua) {
            cJSON_Delete(meta);
            p = close ? after : (nl ? nl + 1 : end);
            continue;
        }
        rc = add_markdown(&m, nb, md_start, open);
        const char *be = close > body ? close - 1 : body;
        if (be > body && be[-1] == '\r')
            be--;
        char *src = rc == LL_OK ? nb_strndup(body, (size_t)(be - body)) : NULL;
        ll_cell *c = src ? nb_append_cell(nb, LL_CELL_CODE, src) : NULL;
        if (rc == LL_OK && (!c || nb_cell_set_metadata_obj(c, meta) != LL_OK))
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        if (c)
            c->line = open_line;
        cJSON_Delete(meta);
        p = after;
        md_start = p;
    }
    if (rc == LL_OK)
        rc = add_markdown(&m, nb, md_start, end);
    if (rc != LL_OK) {
        ll_notebook_free(nb);
        return rc;
    }
    *out = nb;
    return LL_OK;
}

/* The longest run of backticks that starts a line of s. */
static int longest_tick_run(const char *s)
{
    int best = 0;
    for (const char *p = s; *p;) {
        const char *q = p;
        while (*q == ' ')
            q++;
        int n = 0;
        while (q[n] == '`')
            n++;
        if (n > best)
            best = n;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return best;
}

static int put_fence(ll_buf *b, int n)
{
    int rc = LL_OK;
    for (int i = 0; i < n && rc == LL_OK; i++)
        rc = ll_buf_putc(b, '`');
    return rc;
}

/* Metadata after the language, as key=JSON (what the reader takes). */
static int put_md_meta(ll_buf *b, const ll_cell *c)
{
    errno = 0;
    cJSON *meta = cJSON_Parse(c->metadata_json ? c->metadata_json : "{}");
    if (!meta && errno == ENOMEM) /* fail rather than drop the metadata */
        return LL_ENOMEM;
    int rc = LL_OK;
    const cJSON *e;
    cJSON_ArrayForEach(e, meta)
    {
        if (rc != LL_OK)
            break;
        rc = ll_buf_printf(b, " %s=", e->string);
        if (rc == LL_OK)
            rc = nb_json_dump(e, b, -1, 0);
    }
    cJSON_Delete(meta);
    return rc;
}

/* Does a line of s open a fence or an explicit cell, or is s blank? */
static int has_block_line(const char *s)
{
    if (only_space(s, s + strlen(s)))
        return 1;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        const char *e = nl ? nl : p + strlen(p);
        char ch;
        const char *info;
        if (fence(p, e, &ch, &info) || region_open(p, e) >= 0 ||
            is_line(p, e, "<!-- #endregion -->") ||
            is_line(p, e, "<!-- #endraw -->"))
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

/* A Markdown cell is written inside <!-- #region --> ... <!-- #endregion -->
 * (jupytext's explicit cell) when plain text would not read back as the
 * same cell: it holds a fence (or a region line), it is blank, it is next
 * to another Markdown or raw cell (they would merge), or it could be taken
 * for the header. */
/* Does a line of s read as `end` (the line closing an explicit cell)?
 * Such text cannot be wrapped in that kind of cell (the line would end it
 * early): it is written plain. */
static int has_end_line(const char *s, const char *end)
{
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        const char *e = nl ? nl : p + strlen(p);
        if (is_line(p, e, end))
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

static int needs_region(const ll_notebook *nb, int i)
{
    const ll_cell *c = &nb->cells[i];
    const char *src = c->source ? c->source : "";
    if (has_end_line(src, "<!-- #endregion -->"))
        return 0;
    if (has_block_line(src))
        return 1;
    if (i > 0 && nb->cells[i - 1].type != LL_CELL_CODE)
        return 1;
    if (i + 1 < nb->ncells && nb->cells[i + 1].type != LL_CELL_CODE)
        return 1;
    if (i == 0 && !nb->header && strncmp(src, "---", 3) == 0)
        return 1;
    /* leading or trailing blank lines would be trimmed */
    size_t n = strlen(src);
    if (src[0] == '\n' || src[0] == ' ' || src[0] == '\t' ||
        src[n - 1] == '\n' || src[n - 1] == ' ' || src[n - 1] == '\t')
        return 1;
    return 0;
}

int ll_notebook_to_markdown(const ll_notebook *nb, ll_buf *out)
{
    int rc = LL_OK;
    if (nb->header) {
        rc = ll_buf_puts(out, "---\n");
        if (rc == LL_OK && nb->header[0]) {
            rc = ll_buf_puts(out, nb->header);
            if (rc == LL_OK && nb->header[strlen(nb->header) - 1] != '\n')
                rc = ll_buf_putc(out, '\n');
        }
        if (rc == LL_OK)
            rc = ll_buf_puts(out, "---\n");
        if (rc == LL_OK && nb->ncells)
            rc = ll_buf_putc(out, '\n');
    }
    for (int i = 0; i < nb->ncells && rc == LL_OK; i++) {
        const ll_cell *c = &nb->cells[i];
        const char *src = c->source ? c->source : "";
        if (i > 0)
            rc = ll_buf_putc(out, '\n');
        if (rc != LL_OK)
            break;
        if (c->type != LL_CELL_CODE) {
            int raw = c->type == LL_CELL_RAW &&
                      !has_end_line(src, "<!-- #endraw -->");
            int wrap = raw || needs_region(nb, i);
            if (wrap)
                rc = ll_buf_puts(out, raw ? "<!-- #raw -->\n"
                                          : "<!-- #region -->\n");
            if (rc == LL_OK)
                rc = ll_buf_puts(out, src);
            if (rc == LL_OK && (*src || wrap))
                rc = ll_buf_putc(out, '\n');
            if (rc == LL_OK && wrap)
                rc = ll_buf_puts(out, raw ? "<!-- #endraw -->\n"
                                          : "<!-- #endregion -->\n");
            continue;
        }
        /* a fence longer than any backtick run inside the code */
        int ticks = longest_tick_run(src) + 1;
        if (ticks < 3)
            ticks = 3;
        rc = put_fence(out, ticks);
        if (rc == LL_OK)
            rc = ll_buf_puts(out, "lua");
        if (rc == LL_OK)
            rc = put_md_meta(out, c);
        if (rc == LL_OK)
            rc = ll_buf_putc(out, '\n');
        if (rc == LL_OK && *src) {
            rc = ll_buf_puts(out, src);
            if (rc == LL_OK)
                rc = ll_buf_putc(out, '\n');
        }
        if (rc == LL_OK)
            rc = put_fence(out, ticks);
        if (rc == LL_OK)
            rc = ll_buf_putc(out, '\n');
    }
    return rc;
}

/* The text parsed is NUL-terminated, and files with CRLF line ends
 * (Windows editors) read as if they had LF: no '\r' reaches a cell's
 * source or the screen. */
int ll_notebook_parse_markdown(const char *text, size_t len, const char *path,
                               ll_notebook **out, ll_err *err)
{
    return nb_parse_text(parse_markdown, text, len, path, out, err);
}
