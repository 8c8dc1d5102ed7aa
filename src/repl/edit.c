/*
 * edit: chunk completeness and Tab-completion candidates (see repl.h).
 */
#include "config.h"

#include "repl/repl.h"
#include "frame/lua_frame.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

/* How many __index hops completion follows before it gives up (a
 * metatable chain may loop). */
#define MAX_CHAIN 16

static const char *const keywords[] = {
    "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
    "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
    "repeat",   "return", "then", "true", "until",  "while", NULL};

static const char *const commands[] = {"help", "run", "time", NULL};

static size_t skip_long(const char *s, size_t n, size_t p);

/* Load the chunk; 1 if it compiles, else 0 with *eof set when the syntax
 * error ends in "<eof>". */
static int try_load(lua_State *L, const char *code, size_t len, int *eof)
{
    static const char mark[] = "<eof>";
    const size_t marklen = sizeof mark - 1;
    int status = luaL_loadbuffer(L, code, len, "=stdin");
    if (status == LUA_OK) {
        lua_pop(L, 1);
        return 1;
    }
    size_t mlen;
    const char *msg = lua_tolstring(L, -1, &mlen);
    if (status == LUA_ERRSYNTAX && msg && mlen >= marklen &&
        memcmp(msg + mlen - marklen, mark, marklen) == 0)
        *eof = 1;
    lua_pop(L, 1);
    return 0;
}

int ll_repl_incomplete(lua_State *L, const char *code, size_t len)
{
    static const char ret[] = "return ";
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, ret, sizeof ret - 1);
    luaL_addlstring(&b, code, len);
    luaL_pushresult(&b);
    size_t rlen;
    const char *r = lua_tolstring(L, -1, &rlen);
    /* As an expression ("1 +") or as statements ("for i = 1, 3 do"). */
    int eof = 0;
    int ok = try_load(L, r, rlen, &eof) || try_load(L, code, len, &eof);
    lua_pop(L, 1);
    return !ok && eof;
}

/* ---- candidates ---- */

typedef struct cands {
    char **v;
    size_t n, cap;
    int failed;
} cands;

static void cands_add(cands *c, const char *s, size_t n)
{
    if (c->failed)
        return;
    if (c->n + 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        char **v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->failed = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    char *p = malloc(n + 1);
    if (!p) {
        c->failed = 1;
        return;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    c->v[c->n++] = p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort, drop duplicates, NULL-terminate; NULL when empty or on failure
 * (then err says out of memory). */
static char **cands_finish(cands *c, ll_err *err)
{
    if (c->failed || c->n == 0) {
        for (size_t i = 0; i < c->n; i++)
            free(c->v[i]);
        free(c->v);
        if (c->failed)
            ll_err_oom(err);
        return NULL;
    }
    qsort(c->v, c->n, sizeof *c->v, cmp_str);
    size_t w = 1;
    for (size_t i = 1; i < c->n; i++) {
        if (strcmp(c->v[i], c->v[w - 1]) == 0)
            free(c->v[i]);
        else
            c->v[w++] = c->v[i];
    }
    c->v[w] = NULL;
    return c->v;
}

void ll_repl_free_candidates(char **c)
{
    if (!c)
        return;
    for (char **p = c; *p; p++)
        free(*p);
    free(c);
}

static int is_ident_start(int ch)
{
    return isalpha(ch) || ch == '_';
}

static int is_ident_char(int ch)
{
    return isalnum(ch) || ch == '_';
}

static int is_identifier(const char *s, size_t n)
{
    if (n == 0 || !is_ident_start((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_ident_char((unsigned char)s[i]))
            return 0;
    for (int k = 0; keywords[k]; k++)
        if (strlen(keywords[k]) == n && memcmp(keywords[k], s, n) == 0)
            return 0;
    return 1;
}

static int wanted(const char *key, size_t klen, const char *text)
{
    size_t tlen = strlen(text);
    if (klen < tlen || memcmp(key, text, tlen) != 0)
        return 0;
    if (klen >= 2 && key[0] == '_' && key[1] == '_' &&
        !(tlen >= 2 && text[0] == '_' && text[1] == '_'))
        return 0;
    return is_identifier(key, klen);
}

/* Is the value at idx something one can call? */
static int callable(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TFUNCTION)
        return 1;
    if (!lua_getmetatable(L, idx))
        return 0;
    lua_pushliteral(L, "__call");
    int ok = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return ok;
}

/* Push the __index table of the value at idx, or return 0 (a function
 * __index cannot be enumerated or followed without running it). */
static int push_index_table(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    lua_pushliteral(L, "__index");
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        /* A function __index: lualab's classes keep their methods table
         * as __methods too (host/lua_util.c). */
        lua_pop(L, 1);
        lua_pushliteral(L, "__methods");
        if (lua_rawget(L, -2) != LUA_TTABLE) {
            lua_pop(L, 2);
            return 0;
        }
    }
    lua_remove(L, -2);
    return 1;
}

/* Add the keys of the value at idx that match text, then those of its
 * __index tables.  methods: keep only callable values. */
static void collect(lua_State *L, int idx, const char *text, int methods,
                    cands *c)
{
    lua_pushvalue(L, idx);
    for (int hop = 0; hop < MAX_CHAIN; hop++) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                size_t klen;
                const char *key;
                if (lua_type(L, -2) == LUA_TSTRING &&
                    (key = lua_tolstring(L, -2, &klen)) != NULL &&
                    wanted(key, klen, text) && (!methods || callable(L, -1)))
                    cands_add(c, key, klen);
                lua_pop(L, 1);
            }
        }
        if (!push_index_table(L, -1))
            break;
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
}

/* Replace the value at the top with value[key], looked up raw through
 * __index tables.  Returns 0 (and pops the value) when the key is absent
 * or reached only through a function. */
static int index_raw(lua_State *L, const char *key, size_t klen)
{
    for (int hop = 0; hop < MAX_CHAIN; hop++) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_pushlstring(L, key, klen);
            if (lua_rawget(L, -2) != LUA_TNIL) {
                lua_remove(L, -2);
                return 1;
            }
            lua_pop(L, 1);
        }
        if (!push_index_table(L, -1))
            break;
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    return 0;
}

static int touch_global(lua_State *L)
{
    lua_getglobal(L, lua_tostring(L, 1));
    return 0;
}

/* Is name one of the module globals that load on first use? */
static int is_lazy_module(lua_State *L, const char *name, size_t len)
{
    int found = 0, top = lua_gettop(L);
    if (lua_getglobal(L, "lualab") == LUA_TTABLE &&
        lua_getfield(L, -1, "modules") == LUA_TTABLE) {
        lua_pushlstring(L, name, len);
        found = lua_rawget(L, -2) != LUA_TNIL;
    }
    lua_settop(L, top);
    return found;
}

/* Resolve "a.b.c" from the globals.  Pushes the value and returns 1, or
 * returns 0 with the stack left for the caller to reset. */
static int resolve_path(lua_State *L, const char *path, size_t len)
{
    /* A module global is loaded on first use (lualab.modules lists them):
     * load it now so its fields can be completed. */
    size_t first = 0;
    while (first < len && path[first] != '.')
        first++;
    if (is_lazy_module(L, path, first)) {
        char name[64];
        if (first < sizeof name) {
            memcpy(name, path, first);
            name[first] = '\0';
            /* _G's __index runs require: protect against a failing load. */
            lua_pushcfunction(L, touch_global);
            lua_pushstring(L, name);
            lua_pcall(L, 1, 0, 0) == LUA_OK ? (void)0 : lua_pop(L, 1);
        }
    }
    lua_pushglobaltable(L);
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && path[j] != '.')
            j++;
        if (!is_identifier(path + i, j - i) || !index_raw(L, path + i, j - i))
            return 0;
        i = j + 1;
    }
    return 1;
}

int ll_repl_key_start(const char *line, size_t point, size_t *start)
{
    size_t i = 0;
    while (i < point) {
        char c = line[i];
        if (c == '-' && i + 1 < point && line[i + 1] == '-')
            return 0; /* a comment runs to the end of the line */
        if (c == '[') {
            size_t e = skip_long(line, point, i);
            if (e != i) {
                i = e;
                continue;
            }
        }
        if (c == '"' || c == '\'') {
            size_t q = i;
            for (i++; i < point && line[i] != c; i++)
                if (line[i] == '\\')
                    i++;
            if (i >= point) { /* still open at the cursor */
                size_t b = q;
                while (b > 0 && (line[b - 1] == ' ' || line[b - 1] == '\t'))
                    b--;
                if (b == 0 || line[b - 1] != '[')
                    return 0;
                *start = q + 1;
                return 1;
            }
        }
        i++;
    }
    return 0;
}

/* Can key be written between quote characters q as it is? */
static int plain_key(const char *key, size_t klen, char q)
{
    for (size_t i = 0; i < klen; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch == (unsigned char)q || ch == '\\' || ch < 0x20 || ch == 0x7f)
            return 0;
    }
    return 1;
}

/* Add key, or "key"] when quoted (t[<Tab> with nothing typed yet). */
static void add_key(cands *c, const char *key, size_t klen, int quoted)
{
    if (!quoted) {
        cands_add(c, key, klen);
        return;
    }
    char *w = malloc(klen + 3);
    if (!w) {
        c->failed = 1;
        return;
    }
    w[0] = '"';
    memcpy(w + 1, key, klen);
    w[klen + 1] = '"';
    w[klen + 2] = ']';
    cands_add(c, w, klen + 3);
    free(w);
}

/* The string keys of the value at the top (a table's own keys, a Frame's
 * column names) that start with text: t["ke<Tab>; quoted: t[<Tab>. */
static void collect_keys(lua_State *L, const char *text, char q, int quoted,
                         cands *c)
{
    size_t tlen = strlen(text);
    const ll_frame *f = ll_lua_peek_frame(L, -1);
    if (f) {
        for (int i = 0; i < f->ncol; i++) {
            size_t klen = strlen(f->names[i]);
            if (klen >= tlen && memcmp(f->names[i], text, tlen) == 0 &&
                plain_key(f->names[i], klen, q))
                add_key(c, f->names[i], klen, quoted);
        }
        return;
    }
    if (lua_type(L, -1) != LUA_TTABLE)
        return;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        size_t klen;
        const char *key;
        if (lua_type(L, -2) == LUA_TSTRING &&
            (key = lua_tolstring(L, -2, &klen)) != NULL && klen >= tlen &&
            memcmp(key, text, tlen) == 0 && plain_key(key, klen, q))
            add_key(c, key, klen, quoted);
        lua_pop(L, 1);
    }
}

/* A Frame's column names that are identifiers, for f.Col<Tab>. */
static void collect_columns(lua_State *L, const char *text, cands *c)
{
    const ll_frame *f = ll_lua_peek_frame(L, -1);
    for (int i = 0; f && i < f->ncol; i++) {
        size_t klen = strlen(f->names[i]);
        if (wanted(f->names[i], klen, text))
            cands_add(c, f->names[i], klen);
    }
}

/* The start of the identifier path ("a.b.c") that ends at end. */
static size_t path_begin(const char *line, size_t end)
{
    size_t begin = end;
    while (begin > 0 && (is_ident_char((unsigned char)line[begin - 1]) ||
                         line[begin - 1] == '.'))
        begin--;
    return begin;
}

char **ll_repl_candidates(lua_State *L, const char *line, size_t start,
                          const char *text, int *filenames, ll_err *err)
{
    cands c = {0};
    *filenames = 0;
    int top = lua_gettop(L);

    /* After ":run " at the line start: a file name (":time " takes code,
     * completed as Lua below). */
    size_t lead = 0;
    while (line[lead] == ' ' || line[lead] == '\t')
        lead++;
    if (strncmp(line + lead, ":run", 4) == 0 &&
        (line[lead + 4] == ' ' || line[lead + 4] == '\t') && start > lead + 4) {
        *filenames = 1;
        return NULL;
    }

    /* t["ke: string keys of t (a Frame's column names). */
    size_t ks;
    if (ll_repl_key_start(line, start + strlen(text), &ks) && ks == start) {
        size_t end = start - 1; /* the quote */
        while (line[end - 1] != '[')
            end--;
        end--; /* the bracket */
        size_t begin = path_begin(line, end);
        if (begin < end && !(begin > 0 && line[begin - 1] == ':') &&
            resolve_path(L, line + begin, end - begin))
            collect_keys(L, text, line[start - 1], 0, &c);
        lua_settop(L, top);
        return cands_finish(&c, err);
    }
    /* t[ with nothing typed yet: its keys quoted ("alice"]), as IPython
     * offers them; names as usual when t has no string key. */
    if (start > 0 && line[start - 1] == '[' && text[0] == '\0') {
        size_t begin = path_begin(line, start - 1);
        if (begin < start - 1 && !(begin > 0 && line[begin - 1] == ':') &&
            resolve_path(L, line + begin, start - 1 - begin))
            collect_keys(L, "", '"', 1, &c);
        lua_settop(L, top);
        if (c.n > 0)
            return cands_finish(&c, err);
    }

    char sep = start > 0 ? line[start - 1] : '\0';
    if (sep != '.' && sep != ':') {
        /* A global name or a keyword. */
        lua_pushglobaltable(L);
        collect(L, -1, text, 0, &c);
        lua_pop(L, 1);
        /* Module globals not loaded yet. */
        if (lua_getglobal(L, "lualab") == LUA_TTABLE &&
            lua_getfield(L, -1, "modules") == LUA_TTABLE)
            collect(L, -1, text, 0, &c);
        lua_settop(L, top);
        size_t tlen = strlen(text);
        for (int k = 0; keywords[k]; k++)
            if (strncmp(keywords[k], text, tlen) == 0)
                cands_add(&c, keywords[k], strlen(keywords[k]));
        return cands_finish(&c, err);
    }

    /* The path before the separator: identifiers joined by dots. */
    size_t end = start - 1, begin = path_begin(line, end);
    if (begin == end) {
        /* ":" alone at the start of the line: a REPL command. */
        if (sep == ':' && begin == lead &&
            !(begin > 0 && line[begin - 1] == ':')) {
            size_t tlen = strlen(text);
            for (int k = 0; commands[k]; k++)
                if (strncmp(commands[k], text, tlen) == 0)
                    cands_add(&c, commands[k], strlen(commands[k]));
        }
        return cands_finish(&c, err);
    }
    /* "x:y.z" or "obj:m" after a call: nothing reliable to offer. */
    if (begin > 0 && line[begin - 1] == ':')
        return cands_finish(&c, err);
    if (!resolve_path(L, line + begin, end - begin)) {
        lua_settop(L, top);
        return cands_finish(&c, err);
    }
    collect(L, -1, text, sep == ':', &c);
    if (sep == '.')
        collect_columns(L, text, &c);
    lua_settop(L, top);
    return cands_finish(&c, err);
}

/* ---- <close> at the top level of an entry ---- */

/* Skip a long bracket [[...]] / [==[...]==] starting at p (which is '[');
 * returns the index after it, or p unchanged when it is not one. */
static size_t skip_long(const char *s, size_t n, size_t p)
{
    size_t q = p + 1, level = 0;
    while (q < n && s[q] == '=')
        q++, level++;
    if (q >= n || s[q] != '[')
        return p;
    for (q++; q < n; q++) {
        if (s[q] != ']')
            continue;
        size_t r = q + 1, l = 0;
        while (r < n && s[r] == '=')
            r++, l++;
        if (l == level && r < n && s[r] == ']')
            return r + 1;
    }
    return n;
}

int ll_repl_close_at_once(const char *code, size_t len, char *name, size_t cap)
{
    int depth = 0;
    /* After a top-level `local`: 1 expecting a name, 2 after a name. */
    int in_local = 0;
    const char *last = NULL;
    size_t last_n = 0;
    size_t i = 0;
    while (i < len) {
        char c = code[i];
        if (c == '-' && i + 1 < len && code[i + 1] == '-') {
            i += 2;
            if (i < len && code[i] == '[') {
                size_t e = skip_long(code, len, i);
                if (e != i) {
                    i = e;
                    continue;
                }
            }
            while (i < len && code[i] != '\n')
                i++;
            continue;
        }
        if (c == '"' || c == '\'') {
            for (i++; i < len && code[i] != c; i++)
                if (code[i] == '\\')
                    i++;
            i++;
            in_local = 0;
            continue;
        }
        if (c == '[') {
            size_t e = skip_long(code, len, i);
            if (e != i) {
                i = e;
                in_local = 0;
                continue;
            }
        }
        if (is_ident_start((unsigned char)c)) {
            size_t j = i;
            while (j < len && is_ident_char((unsigned char)code[j]))
                j++;
            const char *w = code + i;
            size_t wn = j - i;
#define IS(kw) (wn == sizeof kw - 1 && memcmp(w, kw, wn) == 0)
            if (IS("do") || IS("function") || IS("if") || IS("repeat")) {
                depth++;
                in_local = 0;
            } else if (IS("end") || IS("until")) {
                depth--;
                in_local = 0;
            } else if (IS("local") && depth == 0) {
                in_local = 1;
            } else if (in_local == 1) {
                last = w;
                last_n = wn;
                in_local = 2;
            } else {
                in_local = 0;
            }
#undef IS
            i = j;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (c == ',' && in_local == 2) {
            in_local = 1;
            i++;
            continue;
        }
        if (c == '<' && in_local == 2) {
            /* an attribute: <close> or <const> */
            size_t j = i + 1;
            while (j < len && (code[j] == ' ' || code[j] == '\t'))
                j++;
            if (len - j >= 5 && memcmp(code + j, "close", 5) == 0 &&
                (j + 5 >= len || !is_ident_char((unsigned char)code[j + 5]))) {
                if (cap > 0) {
                    size_t n = last_n < cap - 1 ? last_n : cap - 1;
                    memcpy(name, last, n);
                    name[n] = '\0';
                }
                return 1;
            }
            while (j < len && code[j] != '>')
                j++;
            i = j + 1;
            continue;
        }
        in_local = 0;
        i++;
    }
    return 0;
}
