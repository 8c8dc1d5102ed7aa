/*
 * sinks: where a query's batches go, each idempotent per batch id.
 *
 *   console   prints "Batch: N" and the batch as a table
 *   memory    appends to a named in-process table (a batch id once)
 *   files     part-<batch>-<n>.csv|jsonl under partition folders col=value,
 *             each written under a temporary name and renamed, so a batch
 *             run again rewrites the same files
 *   sqlite    rows and the batch id (in _lualab_stream_batches) in one
 *             transaction; a batch already recorded is skipped
 *   callback  foreachBatch: a function called with the batch and its id
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream_int.h"
#include "util/fsutil.h"

/* ---- JSON rows ---- */

static int json_string(ll_buf *b, const char *s, size_t n)
{
    if (ll_buf_putc(b, '"'))
        return LL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"' || c == '\\')
            rc = ll_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            rc = ll_buf_puts(b, "\\n");
        else if (c < 0x20)
            rc = ll_buf_printf(b, "\\u%04x", c);
        else
            rc = ll_buf_putc(b, (char)c);
        if (rc)
            return LL_ENOMEM;
    }
    return ll_buf_putc(b, '"');
}

int ll_row_json(const ll_frame *f, int64_t i, ll_buf *out)
{
    ll_buf v;
    ll_buf_init(&v);
    int rc = ll_buf_putc(out, '{');
    for (int k = 0; !rc && k < f->ncol; k++) {
        const ll_column *c = f->cols[k];
        if (k)
            rc = ll_buf_putc(out, ',');
        if (!rc)
            rc = json_string(out, f->names[k], strlen(f->names[k]));
        if (!rc)
            rc = ll_buf_putc(out, ':');
        if (rc)
            break;
        if (ll_col_isna(c, i) ||
            (c->type == LL_FLOAT && !isfinite(LL_F64(c)[i]))) {
            rc = ll_buf_puts(out, "null");
            continue;
        }
        ll_buf_reset(&v);
        if ((rc = ll_col_format(c, i, &v)))
            break;
        switch (c->type) {
        case LL_BOOL:
        case LL_INT:
        case LL_FLOAT:
            rc = ll_buf_append(out, v.data, v.len);
            break;
        default:
            rc = json_string(out, v.data ? v.data : "", v.len);
        }
    }
    if (!rc)
        rc = ll_buf_putc(out, '}');
    ll_buf_free(&v);
    return rc;
}

int ll_sink_send_rows(const ll_stream_sink *sink, const ll_frame *batch,
                      int64_t id, ll_row_send_fn send, void *ud, ll_err *err)
{
    ll_buf msg;
    ll_buf_init(&msg);
    int rc = LL_OK;
    for (int64_t i = 0; i < batch->nrow && !rc; i++) {
        ll_buf_reset(&msg);
        if (ll_row_json(batch, i, &msg)) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        char key[96];
        int kn = snprintf(key, sizeof key, "%s:%lld:%lld", sink->query_id,
                          (long long)id, (long long)i);
        rc = send(ud, key, (size_t)kn, msg.data, msg.len, err);
    }
    ll_buf_free(&msg);
    return rc;
}

/* ---- console ---- */

typedef struct console_sink {
    ll_stream_sink base;
    ll_text_fn out;
    void *ud;
    int max_rows;
} console_sink;

static int console_write(ll_stream_sink *base, const ll_frame *batch,
                         int64_t id, ll_err *err)
{
    console_sink *s = (console_sink *)base;
    ll_buf b;
    ll_buf_init(&b);
    int rc = ll_buf_printf(&b,
                           "-------------------------------------------\n"
                           "Batch: %lld\n"
                           "-------------------------------------------\n",
                           (long long)id);
    if (!rc)
        rc = ll_frame_render(batch, 100, s->max_rows, &b);
    if (rc) {
        ll_buf_free(&b);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    s->out(s->ud, ll_buf_str(&b));
    ll_buf_free(&b);
    return LL_OK;
}

static void plain_free(ll_stream_sink *s)
{
    free(s);
}

ll_stream_sink *ll_sink_console(ll_text_fn out, void *ud, int max_rows,
                                ll_err *err)
{
    console_sink *s = calloc(1, sizeof *s);
    if (!s) {
        ll_err_oom(err);
        return NULL;
    }
    s->base.kind = "console";
    s->base.write = console_write;
    s->base.free = plain_free;
    s->out = out;
    s->ud = ud;
    s->max_rows = max_rows > 0 ? max_rows : 20;
    return &s->base;
}

/* ---- memory ---- */

typedef struct mem_table {
    char *name;
    ll_frame *frame;
    struct mem_table *next;
} mem_table;
static mem_table *tables;

static mem_table *find_table(const char *name)
{
    for (mem_table *t = tables; t; t = t->next)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

ll_frame *ll_stream_table(const char *name, ll_err *err)
{
    mem_table *t = find_table(name);
    if (!t) {
        ll_err_set(err, LL_ENOTFOUND, "no memory table '%s'", name);
        return NULL;
    }
    return t->frame ? ll_frame_copy(t->frame, err) : ll_frame_new(err);
}

void ll_stream_tables_clear(void)
{
    while (tables) {
        mem_table *t = tables;
        tables = t->next;
        free(t->name);
        ll_frame_free(t->frame);
        free(t);
    }
}

typedef struct memory_sink {
    ll_stream_sink base;
    char *name;
    int64_t last; /* the last batch appended */
} memory_sink;

static int memory_write(ll_stream_sink *base, const ll_frame *batch, int64_t id,
                        ll_err *err)
{
    memory_sink *s = (memory_sink *)base;
    if (id <= s->last)
        return LL_OK;
    mem_table *t = find_table(s->name);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t || !(t->name = ll_strdup(s->name))) {
            free(t);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        t->next = tables;
        tables = t;
    }
    ll_frame *f = t->frame ? ll_frame_concat(t->frame, batch, err)
                           : ll_frame_copy(batch, err);
    if (!f)
        return err && err->code ? err->code : LL_ENOMEM;
    ll_frame_free(t->frame);
    t->frame = f;
    s->last = id;
    return LL_OK;
}

static void memory_free(ll_stream_sink *base)
{
    memory_sink *s = (memory_sink *)base;
    free(s->name);
    free(s);
}

ll_stream_sink *ll_sink_memory(const char *name, ll_err *err)
{
    memory_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->name = ll_strdup(name))) {
        free(s);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "memory";
    s->base.write = memory_write;
    s->base.free = memory_free;
    s->last = -1;
    /* a new query on a name starts the table afresh */
    mem_table *t = find_table(name);
    if (t) {
        ll_frame_free(t->frame);
        t->frame = NULL;
    }
    return &s->base;
}

/* ---- partition_by (files, sqlite) ---- */

typedef struct part_cols {
    char **names;
    int n;
} part_cols;

static void part_cols_free(part_cols *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->names[i]);
    free(p->names);
    p->names = NULL;
    p->n = 0;
}

/* A copy of n column names; LL_ENOMEM (p freeable) when out of memory. */
static int part_cols_copy(part_cols *p, const char *const *names, int n)
{
    if (n <= 0)
        return LL_OK;
    if (!(p->names = calloc((size_t)n, sizeof *p->names)))
        return LL_ENOMEM;
    for (; p->n < n; p->n++)
        if (!(p->names[p->n] = ll_strdup(names[p->n])))
            return LL_ENOMEM;
    return LL_OK;
}

/* ---- files ---- */

typedef struct files_sink {
    ll_stream_sink base;
    char *dir;
    int json;
    part_cols part;
} files_sink;

static int render_rows(const files_sink *s, const ll_frame *f, ll_buf *out)
{
    if (!s->json)
        return ll_frame_to_csv(f, ',', out);
    for (int64_t i = 0; i < f->nrow; i++)
        if (ll_row_json(f, i, out) || ll_buf_putc(out, '\n'))
            return LL_ENOMEM;
    return LL_OK;
}

static int write_part(const files_sink *s, const char *sub, const ll_frame *f,
                      int64_t id, int n, ll_err *err)
{
    ll_buf b, path;
    ll_buf_init(&b);
    ll_buf_init(&path);
    int rc = LL_OK;
    if (ll_buf_printf(&path, "%s%s%s", s->dir, sub ? "/" : "",
                      sub ? sub : "")) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = ll_mkdir_p(path.data, err)))
        goto done;
    if (ll_buf_printf(&path, "/part-%05lld-%05d.%s", (long long)id, n,
                      s->json ? "jsonl" : "csv") ||
        render_rows(s, f, &b)) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    rc = ll_write_file_atomic(path.data, b.data ? b.data : "", b.len, err);
done:
    ll_buf_free(&b);
    ll_buf_free(&path);
    return rc;
}

/* A partition folder's value: '/' and NUL-like bytes escaped as %XX. */
static int folder_value(const ll_column *c, int64_t i, ll_buf *out)
{
    ll_buf v;
    ll_buf_init(&v);
    int rc = ll_col_is_numeric(c) || !ll_col_isna(c, i)
                 ? ll_col_format(c, i, &v)
                 : ll_buf_puts(&v, "__NA__");
    for (size_t k = 0; !rc && k < v.len; k++) {
        unsigned char ch = (unsigned char)v.data[k];
        if (ch == '/' || ch == '%' || ch < 0x20 || ch == '=')
            rc = ll_buf_printf(out, "%%%02X", ch);
        else
            rc = ll_buf_putc(out, (char)ch);
    }
    ll_buf_free(&v);
    return rc;
}

static int files_write(ll_stream_sink *base, const ll_frame *batch, int64_t id,
                       ll_err *err)
{
    files_sink *s = (files_sink *)base;
    if (s->part.n == 0)
        return write_part(s, NULL, batch, id, 0, err);
    int64_t *order = NULL, *group = NULL, *idx = NULL;
    int rc = ll_frame_group_order(batch, (const char *const *)s->part.names,
                                  s->part.n, NULL, 0, 1, &order, &group, err);
    if (rc) {
        ll_err_prefix(err, "partition_by");
        return rc;
    }
    ll_frame *rest = ll_frame_drop(batch, (const char *const *)s->part.names,
                                   s->part.n, err);
    int *pc = malloc(sizeof *pc * (size_t)s->part.n);
    idx = malloc(sizeof *idx * (size_t)(batch->nrow ? batch->nrow : 1));
    ll_buf sub;
    ll_buf_init(&sub);
    if (!rest || !pc || !idx) {
        rc = rest ? ll_err_set(err, LL_ENOMEM, "out of memory") : err->code;
        goto done;
    }
    for (int k = 0; k < s->part.n; k++)
        pc[k] = ll_frame_find(batch, s->part.names[k]);
    /* order sorts rows by the partition columns: runs are partitions */
    int64_t i = 0;
    while (i < batch->nrow) {
        int64_t j = i;
        int64_t g = group[order[i]];
        while (j < batch->nrow && group[order[j]] == g) {
            idx[j - i] = order[j];
            j++;
        }
        ll_buf_reset(&sub);
        for (int k = 0; k < s->part.n && !rc; k++) {
            if ((k && ll_buf_putc(&sub, '/')) ||
                ll_buf_printf(&sub, "%s=", s->part.names[k]) ||
                folder_value(batch->cols[pc[k]], order[i], &sub))
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        ll_frame *p = rc ? NULL : ll_frame_take(rest, idx, j - i, err);
        if (!rc && !p)
            rc = err && err->code ? err->code : LL_ENOMEM;
        if (!rc)
            rc = write_part(s, sub.data, p, id, 0, err);
        ll_frame_free(p);
        if (rc)
            break;
        i = j;
    }
done:
    ll_buf_free(&sub);
    ll_frame_free(rest);
    free(pc);
    free(idx);
    free(order);
    free(group);
    return rc;
}

static void files_free(ll_stream_sink *base)
{
    files_sink *s = (files_sink *)base;
    part_cols_free(&s->part);
    free(s->dir);
    free(s);
}

ll_stream_sink *ll_sink_files(const char *dir, const char *format,
                              const char *const *partition_by, int npart,
                              ll_err *err)
{
    if (strcmp(format, "csv") && strcmp(format, "jsonl")) {
        ll_err_set(err, LL_EINVAL,
                   "file sink: unknown format '%s' (csv, jsonl)", format);
        return NULL;
    }
    files_sink *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->base.write = files_write;
    s->base.free = files_free;
    s->json = !strcmp(format, "jsonl");
    s->base.kind = s->json ? "jsonl" : "csv";
    if (!(s->dir = ll_strdup(dir)))
        goto nomem;
    if (part_cols_copy(&s->part, partition_by, npart))
        goto nomem;
    if (ll_mkdir_p(dir, err)) {
        ll_err_prefix(err, "%s sink", s->base.kind);
        files_free(&s->base);
        return NULL;
    }
    return &s->base;
nomem:
    if (s)
        files_free(&s->base);
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

/* ---- sqlite ---- */

typedef struct sqlite_sink {
    ll_stream_sink base;
    sqlite3 *db;
    char *path, *table;
    part_cols part;
    int created;
} sqlite_sink;

static int db_error(sqlite_sink *s, ll_err *err, const char *what)
{
    return ll_err_set(err, LL_EIO, "sqlite sink %s: %s: %s", s->path, what,
                      sqlite3_errmsg(s->db));
}

static int exec(sqlite_sink *s, const char *sql, ll_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = ll_err_set(err, LL_EIO, "sqlite sink %s: %s", s->path,
                            msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return rc;
    }
    return LL_OK;
}

static const char *sql_type(ll_dtype t)
{
    switch (t) {
    case LL_BOOL:
    case LL_INT:
        return "INTEGER";
    case LL_FLOAT:
        return "REAL";
    default:
        return "TEXT";
    }
}

/* "name" quoted for SQL into b. */
static int quote_ident(ll_buf *b, const char *name)
{
    int rc = ll_buf_putc(b, '"');
    for (const char *p = name; !rc && *p; p++)
        rc = *p == '"' ? ll_buf_puts(b, "\"\"") : ll_buf_putc(b, *p);
    return rc ? rc : ll_buf_putc(b, '"');
}

static int create_table(sqlite_sink *s, const ll_frame *f, ll_err *err)
{
    ll_buf b;
    ll_buf_init(&b);
    int rc = ll_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
    rc = rc ? rc : quote_ident(&b, s->table);
    rc = rc ? rc : ll_buf_puts(&b, " (");
    for (int i = 0; !rc && i < f->ncol; i++) {
        if (i)
            rc = ll_buf_puts(&b, ", ");
        rc = rc ? rc : quote_ident(&b, f->names[i]);
        rc = rc ? rc : ll_buf_printf(&b, " %s", sql_type(f->cols[i]->type));
    }
    rc = rc ? rc : ll_buf_puts(&b, ");");
    if (s->part.n) {
        rc = rc ? rc : ll_buf_puts(&b, "CREATE INDEX IF NOT EXISTS ");
        ll_buf idx;
        ll_buf_init(&idx);
        rc = rc ? rc : ll_buf_printf(&idx, "%s_by", s->table);
        for (int k = 0; !rc && k < s->part.n; k++)
            rc = ll_buf_printf(&idx, "_%s", s->part.names[k]);
        rc = rc ? rc : quote_ident(&b, idx.data);
        ll_buf_free(&idx);
        rc = rc ? rc : ll_buf_puts(&b, " ON ");
        rc = rc ? rc : quote_ident(&b, s->table);
        rc = rc ? rc : ll_buf_putc(&b, '(');
        for (int k = 0; !rc && k < s->part.n; k++) {
            if (k)
                rc = ll_buf_putc(&b, ',');
            rc = rc ? rc : quote_ident(&b, s->part.names[k]);
        }
        rc = rc ? rc : ll_buf_puts(&b, ");");
    }
    if (rc) {
        ll_buf_free(&b);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    rc = exec(s, b.data, err);
    ll_buf_free(&b);
    return rc;
}

static int bind_value(sqlite3_stmt *st, int k, const ll_column *c, int64_t i,
                      ll_buf *tmp)
{
    if (ll_col_isna(c, i))
        return sqlite3_bind_null(st, k);
    switch (c->type) {
    case LL_BOOL:
        return sqlite3_bind_int(st, k, LL_U8(c)[i]);
    case LL_INT:
        return sqlite3_bind_int64(st, k, LL_I64(c)[i]);
    case LL_FLOAT: {
        double v = LL_F64(c)[i];
        return isnan(v) ? sqlite3_bind_null(st, k)
                        : sqlite3_bind_double(st, k, v);
    }
    case LL_STR:
    case LL_CAT: {
        size_t n;
        const char *p = ll_col_str(c, i, &n);
        return sqlite3_bind_text(st, k, p, (int)n, SQLITE_STATIC);
    }
    default:
        ll_buf_reset(tmp);
        if (ll_col_format(c, i, tmp))
            return SQLITE_NOMEM;
        return sqlite3_bind_text(st, k, tmp->data, (int)tmp->len,
                                 SQLITE_TRANSIENT);
    }
}

static int sqlite_write(ll_stream_sink *base, const ll_frame *batch, int64_t id,
                        ll_err *err)
{
    sqlite_sink *s = (sqlite_sink *)base;
    sqlite3_stmt *st = NULL;
    ll_buf sql, tmp;
    ll_buf_init(&sql);
    ll_buf_init(&tmp);
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT 1 FROM _lualab_stream_batches WHERE "
                           "query_id = ?1 AND batch_id = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "batches");
        goto rollback;
    }
    sqlite3_bind_text(st, 1, s->base.query_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    int have = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    st = NULL;
    if (have) {
        /* this batch is already in the table: written before a kill */
        exec(s, "ROLLBACK", NULL);
        return LL_OK;
    }
    if (!s->created && batch->ncol > 0) {
        if ((rc = create_table(s, batch, err)))
            goto rollback;
        s->created = 1;
    }
    if (batch->nrow > 0) {
        rc = ll_buf_puts(&sql, "INSERT INTO ");
        rc = rc ? rc : quote_ident(&sql, s->table);
        rc = rc ? rc : ll_buf_puts(&sql, " (");
        for (int k = 0; !rc && k < batch->ncol; k++) {
            if (k)
                rc = ll_buf_putc(&sql, ',');
            rc = rc ? rc : quote_ident(&sql, batch->names[k]);
        }
        rc = rc ? rc : ll_buf_puts(&sql, ") VALUES (");
        for (int k = 0; !rc && k < batch->ncol; k++)
            rc = ll_buf_puts(&sql, k ? ",?" : "?");
        rc = rc ? rc : ll_buf_putc(&sql, ')');
        if (rc) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto rollback;
        }
        if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
            rc = db_error(s, err, "insert");
            goto rollback;
        }
        for (int64_t i = 0; i < batch->nrow; i++) {
            for (int k = 0; k < batch->ncol; k++)
                if (bind_value(st, k + 1, batch->cols[k], i, &tmp) !=
                    SQLITE_OK) {
                    rc = db_error(s, err, "bind");
                    goto rollback;
                }
            if (sqlite3_step(st) != SQLITE_DONE) {
                rc = db_error(s, err, "insert");
                goto rollback;
            }
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO _lualab_stream_batches "
                           "(query_id, batch_id, rows) VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(s, err, "batches");
        goto rollback;
    }
    sqlite3_bind_text(st, 1, s->base.query_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, batch->nrow);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_error(s, err, "batches");
        goto rollback;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = exec(s, "COMMIT", err);
    ll_buf_free(&sql);
    ll_buf_free(&tmp);
    return rc;
rollback:
    sqlite3_finalize(st);
    exec(s, "ROLLBACK", NULL);
    ll_buf_free(&sql);
    ll_buf_free(&tmp);
    return rc;
}

static void sqlite_free(ll_stream_sink *base)
{
    sqlite_sink *s = (sqlite_sink *)base;
    if (s->db)
        sqlite3_close(s->db);
    part_cols_free(&s->part);
    free(s->path);
    free(s->table);
    free(s);
}

ll_stream_sink *ll_sink_sqlite(const char *path, const char *table,
                               const char *const *partition_by, int npart,
                               ll_err *err)
{
    sqlite_sink *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->base.kind = "sqlite";
    s->base.write = sqlite_write;
    s->base.free = sqlite_free;
    if (!(s->path = ll_strdup(path)) || !(s->table = ll_strdup(table)))
        goto nomem;
    if (part_cols_copy(&s->part, partition_by, npart))
        goto nomem;
    if (sqlite3_open(path, &s->db) != SQLITE_OK) {
        ll_err_set(err, LL_EIO, "sqlite sink %s: %s", path,
                   s->db ? sqlite3_errmsg(s->db) : "cannot open");
        sqlite_free(&s->base);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err) ||
        exec(s,
             "CREATE TABLE IF NOT EXISTS _lualab_stream_batches ("
             "query_id TEXT NOT NULL, batch_id INTEGER NOT NULL, "
             "rows INTEGER NOT NULL, PRIMARY KEY (query_id, batch_id))",
             err)) {
        sqlite_free(&s->base);
        return NULL;
    }
    return &s->base;
nomem:
    if (s)
        sqlite_free(&s->base);
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

/* ---- foreachBatch ---- */

typedef struct callback_sink {
    ll_stream_sink base;
    ll_batch_fn fn;
    void *ud;
    void (*free_ud)(void *);
} callback_sink;

static int callback_write(ll_stream_sink *base, const ll_frame *batch,
                          int64_t id, ll_err *err)
{
    callback_sink *s = (callback_sink *)base;
    return s->fn(s->ud, batch, id, err);
}

static void callback_free(ll_stream_sink *base)
{
    callback_sink *s = (callback_sink *)base;
    if (s->free_ud)
        s->free_ud(s->ud);
    free(s);
}

ll_stream_sink *ll_sink_callback(ll_batch_fn fn, void *ud,
                                 void (*free_ud)(void *), ll_err *err)
{
    callback_sink *s = calloc(1, sizeof *s);
    if (!s) {
        if (free_ud)
            free_ud(ud);
        ll_err_oom(err);
        return NULL;
    }
    s->base.kind = "foreach_batch";
    s->base.write = callback_write;
    s->base.free = callback_free;
    s->fn = fn;
    s->ud = ud;
    s->free_ud = free_ud;
    return &s->base;
}
