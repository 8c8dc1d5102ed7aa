/*
 * display: how a value is shown.
 *
 * The display protocol, in order: a __display metamethod, called as
 * __display(value, {width=, height=, color=}) and returning a string or a
 * table {text=, ansi=, svg=, kind=}; else __tostring (or __name); else the
 * pretty printer, which is cycle-safe and bounded in depth and items, and
 * folds a table onto several lines when it does not fit the width.
 */
#include "config.h"

#include "host/host_int.h"
#include "util/buf.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_identifier(const char *s, size_t len)
{
    static const char *const reserved[] = {
        "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
        "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
        "repeat",   "return", "then", "true", "until",  "while", NULL};
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') ||
                      (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    for (int i = 0; reserved[i]; i++)
        if (strlen(reserved[i]) == len && memcmp(reserved[i], s, len) == 0)
            return 0;
    return 1;
}

/* Displayed text is kept as a C string: a NUL byte becomes U+FFFD so it
 * cannot end the text early and drop the rest of the value. */
static void put_text(ll_buf *out, const char *s, size_t len)
{
    const char *z;
    while (len && (z = memchr(s, '\0', len))) {
        ll_buf_append(out, s, (size_t)(z - s));
        ll_buf_puts(out, "\xEF\xBF\xBD");
        len -= (size_t)(z - s) + 1;
        s = z + 1;
    }
    ll_buf_append(out, s, len);
}

static void put_quoted(ll_buf *out, const char *s, size_t len)
{
    ll_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            ll_buf_puts(out, "\\\"");
            break;
        case '\\':
            ll_buf_puts(out, "\\\\");
            break;
        case '\n':
            ll_buf_puts(out, "\\n");
            break;
        case '\r':
            ll_buf_puts(out, "\\r");
            break;
        case '\t':
            ll_buf_puts(out, "\\t");
            break;
        default:
            if (c < 32 || c == 127)
                ll_buf_printf(out, "\\%d", c);
            else
                ll_buf_putc(out, (char)c);
        }
    }
    ll_buf_putc(out, '"');
}

typedef struct pretty_state {
    lua_State *L;
    int seen; /* stack index of the table of tables being printed */
    const ll_pretty_opts *o;
} pretty_state;

static void pretty_value(pretty_state *ps, int idx, int depth, int indent,
                         int top, ll_buf *out);

static void put_scalar(lua_State *L, int idx, int top, ll_buf *out)
{
    size_t len;
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tolstring(L, idx, &len);
        if (top)
            put_text(out, s, len);
        else
            put_quoted(out, s, len);
        return;
    }
    const char *s = luaL_tolstring(L, idx, &len);
    ll_buf_append(out, s, len);
    lua_pop(L, 1);
}

/* Keys that are not part of the array 1..n, sorted: numbers, then
 * strings, then the rest by their printed form.  Leaves a sequence of keys
 * on the stack (one table) and returns how many. */
static int sort_keys(lua_State *L, int t, lua_Integer n)
{
    lua_newtable(L);
    int keys = lua_gettop(L);
    int nk = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1)) {
            lua_Integer k = lua_tointeger(L, -1);
            if (k >= 1 && k <= n)
                continue;
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nk);
    }
    if (nk > 1 && nk <= 5000) {
        /* Sort with a comparator that orders mixed types. */
        luaL_loadstring(L,
                        "local t = ... local rank = {number=1, string=2, "
                        "boolean=3} table.sort(t, function(a, b) local ta, "
                        "tb = rank[type(a)] or 4, rank[type(b)] or 4 if ta ~= "
                        "tb then return ta < tb end if ta <= 2 then return a "
                        "< b end return tostring(a) < tostring(b) end)");
        lua_pushvalue(L, keys);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK)
            lua_pop(L, 1);
    }
    return nk;
}

static void pretty_table(pretty_state *ps, int t, int depth, int indent,
                         ll_buf *out)
{
    lua_State *L = ps->L;
    if (depth >= ps->o->max_depth) {
        ll_buf_puts(out, "{...}");
        return;
    }
    lua_pushvalue(L, t);
    if (lua_rawget(L, ps->seen) != LUA_TNIL) {
        lua_pop(L, 1);
        ll_buf_puts(out, "<cycle>");
        return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, t);
    lua_pushboolean(L, 1);
    lua_rawset(L, ps->seen);

    lua_Integer n = (lua_Integer)lua_rawlen(L, t);
    int nk = sort_keys(L, t, n);
    int keys = lua_gettop(L);
    lua_Integer total = n + nk;

    /* Render every entry once, on one line each. */
    ll_buf entries;
    ll_buf_init(&entries);
    size_t *ends = NULL;
    int shown = 0;
    lua_Integer limit = ps->o->max_items;
    ends = malloc(sizeof *ends * (size_t)(total < limit ? total : limit) + 1);
    for (lua_Integer i = 1; i <= total && shown < limit; i++) {
        if (i <= n) {
            lua_rawgeti(L, t, i);
            pretty_value(ps, lua_gettop(L), depth + 1, indent + 2, 0, &entries);
            lua_pop(L, 1);
        } else {
            lua_rawgeti(L, keys, (lua_Integer)(i - n));
            int k = lua_gettop(L);
            size_t klen;
            const char *ks = lua_type(L, k) == LUA_TSTRING
                                 ? lua_tolstring(L, k, &klen)
                                 : NULL;
            if (ks && is_identifier(ks, klen)) {
                ll_buf_append(&entries, ks, klen);
            } else {
                ll_buf_putc(&entries, '[');
                pretty_value(ps, k, depth + 1, indent + 2, 0, &entries);
                ll_buf_putc(&entries, ']');
            }
            ll_buf_puts(&entries, " = ");
            lua_pushvalue(L, k);
            lua_rawget(L, t);
            pretty_value(ps, lua_gettop(L), depth + 1, indent + 2, 0, &entries);
            lua_pop(L, 2);
        }
        if (ends)
            ends[shown] = entries.len;
        shown++;
    }
    lua_settop(L, keys - 1);

    size_t one_line = entries.len + (size_t)shown * 2 + 2;
    int multiline = ends && (one_line + (size_t)indent > (size_t)ps->o->width ||
                             memchr(ll_buf_str(&entries), '\n', entries.len));
    const char *e = ll_buf_str(&entries);
    ll_buf_putc(out, '{');
    size_t start = 0;
    for (int i = 0; ends && i < shown; i++) {
        if (multiline) {
            ll_buf_putc(out, '\n');
            for (int s = 0; s < indent + 2; s++)
                ll_buf_putc(out, ' ');
        } else if (i > 0) {
            ll_buf_putc(out, ' ');
        }
        ll_buf_append(out, e + start, ends[i] - start);
        if (i + 1 < shown || total > shown)
            ll_buf_putc(out, ',');
        start = ends[i];
    }
    if (total > shown) {
        if (multiline) {
            ll_buf_putc(out, '\n');
            for (int s = 0; s < indent + 2; s++)
                ll_buf_putc(out, ' ');
        } else {
            ll_buf_putc(out, ' ');
        }
        ll_buf_printf(out, "... (%lld more)", (long long)(total - shown));
    }
    if (multiline) {
        ll_buf_putc(out, '\n');
        for (int s = 0; s < indent; s++)
            ll_buf_putc(out, ' ');
    }
    ll_buf_putc(out, '}');
    free(ends);
    ll_buf_free(&entries);

    lua_pushvalue(L, t);
    lua_pushnil(L);
    lua_rawset(L, ps->seen);
}

static void pretty_value(pretty_state *ps, int idx, int depth, int indent,
                         int top, ll_buf *out)
{
    lua_State *L = ps->L;
    if (lua_type(L, idx) == LUA_TTABLE &&
        !luaL_getmetafield(L, idx, "__tostring")) {
        pretty_table(ps, idx, depth, indent, out);
        return;
    }
    if (lua_type(L, idx) == LUA_TTABLE)
        lua_pop(L, 1); /* the __tostring field */
    put_scalar(L, idx, top, out);
}

int ll_pretty(lua_State *L, int idx, const ll_pretty_opts *o, ll_buf *out)
{
    ll_pretty_opts def = {4, 100, 80};
    if (!o)
        o = &def;
    idx = lua_absindex(L, idx);
    if (!lua_checkstack(L, 40))
        return LL_ENOMEM;
    lua_newtable(L);
    pretty_state ps = {L, lua_gettop(L), o};
    pretty_value(&ps, idx, 0, 0, 1, out);
    lua_pop(L, 1);
    return out->data || out->len == 0 ? LL_OK : LL_ENOMEM;
}

static char *dup_lua(lua_State *L, int idx)
{
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (!s)
        return NULL;
    ll_buf b;
    ll_buf_init(&b);
    put_text(&b, s, len);
    char *p = ll_buf_take(&b);
    ll_buf_free(&b);
    return p;
}

static int call_display(lua_State *L)
{
    /* upvalue-free: args are (fn, value, opts) */
    lua_call(L, 2, 1);
    return 1;
}

int ll_host_display_value(ll_host *h, int idx, ll_display *out)
{
    return ll_host_display_at(h, h->L, idx, out);
}

int ll_host_display_at(ll_host *h, lua_State *L, int idx, ll_display *out)
{
    memset(out, 0, sizeof *out);
    idx = lua_absindex(L, idx);
    int top = lua_gettop(L);
    if (luaL_getmetafield(L, idx, "__display") != LUA_TNIL) {
        int fn = lua_gettop(L);
        lua_pushcfunction(L, call_display);
        lua_pushvalue(L, fn);
        lua_pushvalue(L, idx);
        lua_createtable(L, 0, 3);
        lua_pushinteger(L, h->dopts.width);
        lua_setfield(L, -2, "width");
        if (h->dopts.height > 0) {
            lua_pushinteger(L, h->dopts.height);
            lua_setfield(L, -2, "height");
        }
        lua_pushboolean(L, h->dopts.color);
        lua_setfield(L, -2, "color");
        if (lua_pcall(L, 3, 1, 0) == LUA_OK) {
            if (lua_type(L, -1) == LUA_TSTRING) {
                out->text = dup_lua(L, -1);
            } else if (lua_type(L, -1) == LUA_TTABLE) {
                int t = lua_gettop(L);
                if (lua_getfield(L, t, "text") == LUA_TSTRING)
                    out->text = dup_lua(L, -1);
                if (lua_getfield(L, t, "ansi") == LUA_TSTRING)
                    out->ansi = dup_lua(L, -1);
                if (lua_getfield(L, t, "svg") == LUA_TSTRING)
                    out->svg = dup_lua(L, -1);
                if (lua_getfield(L, t, "kind") == LUA_TSTRING)
                    out->kind = dup_lua(L, -1);
                if (lua_getfield(L, t, "id") == LUA_TNUMBER &&
                    lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0)
                    out->id = (uint64_t)lua_tointeger(L, -1);
            }
        } else {
            /* A broken __display must not hide the value. */
            lua_pushfstring(L, "(__display failed: %s)", lua_tostring(L, -1));
            out->text = dup_lua(L, -1);
        }
        lua_settop(L, top);
        if (out->text) {
            if (!out->kind)
                out->kind = ll_strdup("value");
            return LL_OK;
        }
    }
    ll_buf b;
    ll_buf_init(&b);
    ll_pretty_opts o = {4, 100, h->dopts.width > 0 ? h->dopts.width : 80};
    int rc = ll_pretty(L, idx, &o, &b);
    lua_settop(L, top);
    if (rc != LL_OK) {
        ll_buf_free(&b);
        return rc;
    }
    out->text = ll_buf_take(&b);
    out->kind = ll_strdup("value");
    return out->text && out->kind ? LL_OK : LL_ENOMEM;
}

/* ---- updatable displays ---- */

static void show_plain(ll_host *h, const ll_display *d)
{
    if (h->has_sink && h->sink.display) {
        ll_display plain = *d;
        plain.display_id = NULL;
        plain.update = 0;
        h->sink.display(h->sink.ud, &plain);
        return;
    }
    const char *t = h->dopts.color && d->ansi ? d->ansi : d->text;
    if (!t)
        return;
    ll_host_write(h, "stdout", t, strlen(t));
    ll_host_write(h, "stdout", "\n", 1);
}

/* Move src's strings into dst (freeing dst's). */
static void take_display(ll_display *dst, ll_display *src)
{
    ll_display_free(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

static char *dup_or_null(const char *s)
{
    return s ? ll_strdup(s) : NULL;
}

int ll_host_emit_display(ll_host *h, const ll_display *d)
{
    if (!d->display_id) {
        show_plain(h, d);
        return LL_OK;
    }
    if (h->has_sink && h->sink.display && h->sink.updates) {
        h->sink.display(h->sink.ud, d);
        return LL_OK;
    }
    /* Held: the first version takes a slot, later ones replace it. */
    ll_display copy = {0};
    copy.text = dup_or_null(d->text);
    copy.ansi = dup_or_null(d->ansi);
    copy.svg = dup_or_null(d->svg);
    copy.kind = dup_or_null(d->kind);
    copy.display_id = dup_or_null(d->display_id);
    copy.id = d->id;
    if ((d->text && !copy.text) || (d->ansi && !copy.ansi) ||
        (d->svg && !copy.svg) || (d->kind && !copy.kind) || !copy.display_id) {
        ll_display_free(&copy);
        return LL_ENOMEM;
    }
    for (int i = 0; i < h->nheld; i++)
        if (strcmp(h->held[i].display_id, d->display_id) == 0) {
            take_display(&h->held[i], &copy);
            return LL_OK;
        }
    if (h->nheld == h->capheld) {
        int cap = h->capheld ? h->capheld * 2 : 4;
        ll_display *n = realloc(h->held, sizeof *n * (size_t)cap);
        if (!n) {
            ll_display_free(&copy);
            return LL_ENOMEM;
        }
        h->held = n;
        h->capheld = cap;
    }
    h->held[h->nheld++] = copy;
    return LL_OK;
}

void ll_host_flush_displays(ll_host *h)
{
    h->display_epoch++;
    /* Shown in the order they were first displayed. */
    int n = h->nheld;
    h->nheld = 0;
    for (int i = 0; i < n; i++) {
        show_plain(h, &h->held[i]);
        ll_display_free(&h->held[i]);
    }
}
