/*
 * filter: MLflow's search_runs filter syntax, compiled to SQL over `runs`.
 *
 *   filter     := comparison { AND comparison }
 *   comparison := entity '.' key op value
 *   entity     := metrics|metric | params|param | tags|tag
 *               | attributes|attribute|attr|run
 *   key        := name chars [A-Za-z0-9_.-/:]... | `quoted` | "quoted"
 *   op         := = != < <= > >= | LIKE | ILIKE | IN
 *   value      := number (metrics, start_time, end_time)
 *               | 'string' | "string" | ( 'a', 'b' ) after IN
 *
 * Each condition is `runs.run_uuid IN (SELECT run_uuid FROM <table> WHERE
 * key = ? AND value <op> ?)`, which SQLite answers from the (key, value)
 * indexes, driving the search from the most selective condition.
 * Every value is bound, never pasted into SQL.  Errors name the column
 * (1-based) of the filter string where the problem starts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "track/track.h"
#include "util/buf.h"

enum ent { ENT_METRIC, ENT_PARAM, ENT_TAG, ENT_ATTR };

typedef struct lexer {
    const char *src;
    size_t pos;
    ll_err *err;
} lexer;

static int fail(lexer *lx, size_t pos, const char *what)
{
    return ll_err_set(lx->err, LL_EPARSE,
                      "invalid filter: %s at column %zu of \"%s\"", what,
                      pos + 1, lx->src);
}

static void skip_ws(lexer *lx)
{
    while (lx->src[lx->pos] && isspace((unsigned char)lx->src[lx->pos]))
        lx->pos++;
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' ||
           c == '/' || c == ':';
}

static void query_clear_binds(ll_track_query *q)
{
    for (size_t i = 0; i < q->n_binds; i++)
        free(q->binds[i].text);
    free(q->binds);
    q->binds = NULL;
    q->n_binds = 0;
}

void ll_track_query_clear(ll_track_query *q)
{
    if (!q)
        return;
    free(q->sql);
    q->sql = NULL;
    query_clear_binds(q);
}

static int bind_text(ll_track_query *q, const char *s, size_t len)
{
    ll_track_bind *g = realloc(q->binds, (q->n_binds + 1) * sizeof *g);
    if (!g)
        return LL_ENOMEM;
    q->binds = g;
    char *t = malloc(len + 1);
    if (!t)
        return LL_ENOMEM;
    memcpy(t, s, len);
    t[len] = '\0';
    g[q->n_binds].is_num = 0;
    g[q->n_binds].num = 0;
    g[q->n_binds].text = t;
    q->n_binds++;
    return LL_OK;
}

static int bind_num(ll_track_query *q, double v)
{
    ll_track_bind *g = realloc(q->binds, (q->n_binds + 1) * sizeof *g);
    if (!g)
        return LL_ENOMEM;
    q->binds = g;
    g[q->n_binds].is_num = 1;
    g[q->n_binds].num = v;
    g[q->n_binds].text = NULL;
    q->n_binds++;
    return LL_OK;
}

/* Read a quoted string at lx->pos into *s (unescaped, caller frees). */
static int read_quoted(lexer *lx, char **s, size_t *len)
{
    char quote = lx->src[lx->pos];
    size_t start = lx->pos++;
    ll_buf b;
    ll_buf_init(&b);
    for (;;) {
        char c = lx->src[lx->pos];
        if (!c) {
            ll_buf_free(&b);
            return fail(lx, start, "unterminated string");
        }
        lx->pos++;
        if (c == quote) {
            if (lx->src[lx->pos] == quote) { /* '' inside '...' */
                lx->pos++;
            } else {
                break;
            }
        } else if (c == '\\' && lx->src[lx->pos]) {
            c = lx->src[lx->pos++];
        }
        if (ll_buf_putc(&b, c) != LL_OK) {
            ll_buf_free(&b);
            return ll_err_set(lx->err, LL_ENOMEM, "out of memory");
        }
    }
    *len = b.len;
    *s = ll_buf_take(&b);
    return *s ? LL_OK : ll_err_set(lx->err, LL_ENOMEM, "out of memory");
}

/* Read the quoted string at the lexer and bind it as the next text
 * parameter of q. */
static int bind_quoted(lexer *lx, ll_track_query *q)
{
    char *s;
    size_t len;
    int rc = read_quoted(lx, &s, &len);
    if (rc != LL_OK)
        return rc;
    rc = bind_text(q, s, len);
    free(s);
    return rc == LL_OK ? LL_OK
                       : ll_err_set(lx->err, LL_ENOMEM, "out of memory");
}

static const char *attr_column(const char *key, int *numeric)
{
    static const struct {
        const char *name;
        const char *col;
        int numeric;
    } attrs[] = {{"status", "runs.status", 0},
                 {"run_name", "runs.name", 0},
                 {"run_id", "runs.run_uuid", 0},
                 {"user_id", "runs.user_id", 0},
                 {"artifact_uri", "runs.artifact_uri", 0},
                 {"start_time", "runs.start_time", 1},
                 {"created", "runs.start_time", 1},
                 {"end_time", "runs.end_time", 1},
                 {"experiment_id", "runs.experiment_id", 1}};
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strcmp(key, attrs[i].name) == 0) {
            *numeric = attrs[i].numeric;
            return attrs[i].col;
        }
    return NULL;
}

/* entity '.' key.  Fills *ent and the key. */
static int read_identifier(lexer *lx, enum ent *ent, char **key,
                           size_t *key_len)
{
    skip_ws(lx);
    size_t start = lx->pos;
    while (isalpha((unsigned char)lx->src[lx->pos]))
        lx->pos++;
    size_t n = lx->pos - start;
    const char *w = lx->src + start;
    static const struct {
        const char *word;
        enum ent ent;
    } words[] = {{"metrics", ENT_METRIC},   {"metric", ENT_METRIC},
                 {"params", ENT_PARAM},     {"param", ENT_PARAM},
                 {"parameters", ENT_PARAM}, {"tags", ENT_TAG},
                 {"tag", ENT_TAG},          {"attributes", ENT_ATTR},
                 {"attribute", ENT_ATTR},   {"attr", ENT_ATTR},
                 {"run", ENT_ATTR}};
    int found = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == n &&
            strncasecmp(w, words[i].word, n) == 0) {
            *ent = words[i].ent;
            found = 1;
        }
    if (!found || lx->src[lx->pos] != '.') {
        if (n == 0)
            return fail(lx, start,
                        "expected metrics.<key>, params.<key>, tags.<key> "
                        "or attributes.<name>");
        return fail(lx, start,
                    "unknown entity (expected metrics., params., tags. or "
                    "attributes.)");
    }
    lx->pos++;
    char c = lx->src[lx->pos];
    if (c == '`' || c == '"') {
        int rc = read_quoted(lx, key, key_len);
        if (rc != LL_OK)
            return rc;
    } else {
        size_t ks = lx->pos;
        while (name_char(lx->src[lx->pos]))
            lx->pos++;
        if (lx->pos == ks)
            return fail(lx, ks, "expected a key name");
        *key_len = lx->pos - ks;
        *key = malloc(*key_len + 1);
        if (!*key)
            return ll_err_set(lx->err, LL_ENOMEM, "out of memory");
        memcpy(*key, lx->src + ks, *key_len);
        (*key)[*key_len] = '\0';
    }
    if (*ent == ENT_ATTR) {
        int numeric;
        if (!attr_column(*key, &numeric)) {
            free(*key);
            *key = NULL;
            return fail(lx, start,
                        "unknown attribute (expected status, run_name, "
                        "run_id, user_id, artifact_uri, start_time or "
                        "end_time)");
        }
    }
    return LL_OK;
}

static int read_op(lexer *lx, char op[8])
{
    skip_ws(lx);
    const char *p = lx->src + lx->pos;
    static const char *const ops[] = {"!=", "<=", ">=", "=", "<", ">"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i]);
        if (strncmp(p, ops[i], n) == 0) {
            strcpy(op, ops[i]);
            lx->pos += n;
            return LL_OK;
        }
    }
    static const char *const words[] = {"ILIKE", "LIKE", "IN"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strncasecmp(p, words[i], n) == 0 && !name_char(p[n])) {
            strcpy(op, words[i]);
            lx->pos += n;
            return LL_OK;
        }
    }
    return fail(lx, lx->pos,
                *p ? "expected a comparison operator (=, !=, <, <=, >, >=, "
                     "LIKE, ILIKE, IN)"
                   : "expected a comparison operator, got the end");
}

static int read_number(lexer *lx, double *v)
{
    skip_ws(lx);
    const char *s = lx->src + lx->pos;
    char *end;
    *v = strtod(s, &end);
    if (end == s || name_char(*end))
        return fail(lx, lx->pos, "expected a number");
    lx->pos += (size_t)(end - s);
    return LL_OK;
}

static int comparison(lexer *lx, ll_track_query *q, ll_buf *sql)
{
    enum ent ent = ENT_METRIC;
    char *key = NULL;
    size_t key_len = 0;
    int rc = read_identifier(lx, &ent, &key, &key_len);
    if (rc != LL_OK)
        return rc;
    char op[8];
    size_t op_pos = (skip_ws(lx), lx->pos);
    if ((rc = read_op(lx, op)) != LL_OK)
        goto out;
    int numeric = ent == ENT_METRIC;
    const char *col = NULL;
    if (ent == ENT_ATTR)
        col = attr_column(key, &numeric);
    int is_like = strcmp(op, "LIKE") == 0 || strcmp(op, "ILIKE") == 0;
    int is_in = strcmp(op, "IN") == 0;
    if (numeric && (is_like || is_in)) {
        rc =
            fail(lx, op_pos, "LIKE, ILIKE and IN compare strings, not numbers");
        goto out;
    }
    if (!numeric && ent != ENT_ATTR && op[0] != '=' && op[0] != '!' &&
        !is_like && !is_in) {
        rc = fail(lx, op_pos,
                  "params and tags are strings: use =, !=, LIKE, ILIKE or "
                  "IN");
        goto out;
    }
    const char *lhs = "x.value";
    switch (ent) {
    case ENT_METRIC:
        rc = ll_buf_puts(sql, "runs.run_uuid IN (SELECT x.run_uuid FROM "
                              "latest_metrics x WHERE x.key = ? AND ");
        break;
    case ENT_PARAM:
        rc = ll_buf_puts(sql, "runs.run_uuid IN (SELECT x.run_uuid FROM "
                              "params x WHERE x.key = ? AND ");
        break;
    case ENT_TAG:
        rc = ll_buf_puts(sql, "runs.run_uuid IN (SELECT x.run_uuid FROM "
                              "tags x WHERE x.key = ? AND ");
        break;
    case ENT_ATTR:
        lhs = col;
        rc = ll_buf_puts(sql, "(");
        break;
    }
    if (rc == LL_OK && ent != ENT_ATTR)
        rc = bind_text(q, key, key_len);
    if (rc != LL_OK)
        goto oom;
    skip_ws(lx);
    size_t val_pos = lx->pos;
    if (is_in) {
        if (lx->src[lx->pos] != '(') {
            rc = fail(lx, val_pos, "expected '(' after IN");
            goto out;
        }
        lx->pos++;
        rc = ll_buf_printf(sql, "%s IN (", lhs);
        for (int first = 1; rc == LL_OK; first = 0) {
            skip_ws(lx);
            char c = lx->src[lx->pos];
            if (c != '\'' && c != '"') {
                rc = fail(lx, lx->pos, "expected a quoted string");
                goto out;
            }
            if ((rc = bind_quoted(lx, q)) != LL_OK)
                goto out;
            rc = ll_buf_puts(sql, first ? "?" : ", ?");
            skip_ws(lx);
            if (lx->src[lx->pos] == ',') {
                lx->pos++;
                continue;
            }
            if (lx->src[lx->pos] != ')') {
                rc = fail(lx, lx->pos, "expected ',' or ')'");
                goto out;
            }
            lx->pos++;
            break;
        }
        if (rc == LL_OK)
            rc = ll_buf_puts(sql, "))");
        if (rc != LL_OK)
            goto oom;
        goto out;
    }
    if (numeric) {
        double v;
        if ((rc = read_number(lx, &v)) != LL_OK)
            goto out;
        rc = bind_num(q, v);
        if (rc == LL_OK)
            rc = ll_buf_printf(sql, "%s %s ?)", lhs, op);
    } else {
        char c = lx->src[lx->pos];
        if (c != '\'' && c != '"') {
            rc = fail(lx, val_pos,
                      c ? "expected a quoted string value"
                        : "expected a value, got the end");
            goto out;
        }
        if ((rc = bind_quoted(lx, q)) != LL_OK)
            goto out;
        if (strcmp(op, "ILIKE") == 0)
            rc = ll_buf_printf(sql, "lower(%s) LIKE lower(?))", lhs);
        else if (rc == LL_OK)
            rc = ll_buf_printf(sql, "%s %s ?)", lhs, op);
    }
    if (rc != LL_OK)
        goto oom;
    goto out;
oom:
    rc = ll_err_set(lx->err, LL_ENOMEM, "out of memory");
out:
    free(key);
    return rc;
}

int ll_track_filter_compile(const char *filter, ll_track_query *q, ll_err *err)
{
    memset(q, 0, sizeof *q);
    ll_buf sql;
    ll_buf_init(&sql);
    lexer lx = {filter ? filter : "", 0, err};
    skip_ws(&lx);
    int rc = LL_OK;
    if (!lx.src[lx.pos]) {
        rc = ll_buf_puts(&sql, "1");
    } else {
        for (;;) {
            if ((rc = comparison(&lx, q, &sql)) != LL_OK)
                break;
            skip_ws(&lx);
            const char *p = lx.src + lx.pos;
            if (!*p)
                break;
            if (strncasecmp(p, "and", 3) == 0 && !name_char(p[3])) {
                lx.pos += 3;
                rc = ll_buf_puts(&sql, " AND ");
                if (rc != LL_OK)
                    break;
                continue;
            }
            if (strncasecmp(p, "or", 2) == 0 && !name_char(p[2]))
                rc = fail(&lx, lx.pos, "OR is not supported (use AND)");
            else
                rc = fail(&lx, lx.pos, "expected AND or the end");
            break;
        }
    }
    if (rc == LL_OK) {
        q->sql = ll_buf_take(&sql);
        if (!q->sql)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    ll_buf_free(&sql);
    if (rc != LL_OK)
        ll_track_query_clear(q);
    return rc;
}

int ll_track_order_compile(const char *order, ll_track_query *q, ll_err *err)
{
    lexer lx = {order ? order : "", 0, err};
    enum ent ent = ENT_METRIC;
    char *key = NULL;
    size_t key_len = 0;
    int rc = read_identifier(&lx, &ent, &key, &key_len);
    if (rc != LL_OK) {
        ll_err_prefix(err, "order_by");
        return rc;
    }
    skip_ws(&lx);
    const char *dir = "ASC";
    const char *p = lx.src + lx.pos;
    if (strncasecmp(p, "DESC", 4) == 0 && !p[4 + strspn(p + 4, " ")]) {
        dir = "DESC";
    } else if (strncasecmp(p, "ASC", 3) == 0 && !p[3 + strspn(p + 3, " ")]) {
        dir = "ASC";
    } else if (*p) {
        free(key);
        rc = fail(&lx, lx.pos, "expected ASC or DESC");
        ll_err_prefix(err, "order_by");
        return rc;
    }
    ll_buf sql;
    ll_buf_init(&sql);
    static const char *const tables[] = {"latest_metrics", "params", "tags"};
    if (ent == ENT_ATTR) {
        int numeric;
        const char *col = attr_column(key, &numeric);
        rc = ll_buf_printf(&sql, "%s IS NULL, %s %s", col, col, dir);
    } else {
#define SUB                                                                    \
    "(SELECT x.value FROM %s x WHERE x.run_uuid = runs.run_uuid AND x.key = "  \
    "?)"
        rc = ll_buf_printf(&sql, SUB " IS NULL, " SUB " %s", tables[ent],
                           tables[ent], dir);
#undef SUB
        rc |= bind_text(q, key, key_len);
        rc |= bind_text(q, key, key_len);
    }
    free(key);
    if (rc != LL_OK) {
        ll_buf_free(&sql);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    free(q->sql);
    q->sql = ll_buf_take(&sql);
    return q->sql ? LL_OK : ll_err_set(err, LL_ENOMEM, "out of memory");
}
