/*
 * source_file: a folder of CSV or JSON-lines files as a stream.
 *
 * Files are taken in order of modification time, then name; names starting
 * with '.' or '_' (files being written) and other extensions are ignored.
 * A batch's offsets name its files: {"files": ["a.csv", ...]}; every file
 * named in an offsets file is seen and never read again.  A file that
 * cannot be read is named in the batch's log and skipped.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stream/stream_int.h"

typedef struct file_source {
    ll_source base;
    char *dir;
    char *format;
    int max_files, mode, have_schema, unordered;
    ll_strset seen;
    ll_strset bound; /* available_now: the files there at the start */
    int bounded;
} file_source;

typedef struct entry {
    char *name;
    struct timespec mtime;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int wanted(const file_source *s, const char *name)
{
    if (name[0] == '.' || name[0] == '_')
        return 0;
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    if (!strcmp(s->format, "csv"))
        return !strcmp(dot, ".csv");
    return !strcmp(dot, ".jsonl") || !strcmp(dot, ".json");
}

/* The unseen files, oldest first. */
static int list_new(file_source *s, entry **out, size_t *n, ll_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(s->dir);
    if (!d)
        return ll_err_set(err, LL_EIO, "%s: %s", s->dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    int rc = LL_OK;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (!wanted(s, e->d_name) || ll_strset_has(&s->seen, e->d_name, len))
            continue;
        if (s->bounded && !ll_strset_has(&s->bound, e->d_name, len))
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        /* a file that cannot be read (a broken link, no permission) is
         * taken too, and named and skipped when its batch reads it */
        if (stat(path, &st) ? lstat(path, &st) != 0 : !S_ISREG(st.st_mode))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            entry *ne = realloc(*out, sizeof *ne * cap);
            if (!ne) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            *out = ne;
        }
        if (!((*out)[*n].name = ll_strdup(e->d_name))) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        (*out)[*n].mtime = st.st_mtim;
        (*n)++;
    }
    closedir(d);
    if (!rc && *n)
        qsort(*out, *n, sizeof **out, cmp_entry);
    return rc;
}

static void free_entries(entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

static int fs_plan(ll_source *base, int all, char **offsets, ll_err *err)
{
    file_source *s = (file_source *)base;
    entry *e;
    size_t n;
    *offsets = NULL;
    int rc = list_new(s, &e, &n, err);
    if (rc || n == 0) {
        free_entries(e, n);
        return rc;
    }
    size_t take = n;
    if (!all && s->max_files > 0 && take > (size_t)s->max_files)
        take = (size_t)s->max_files;
    cJSON *o = cJSON_CreateObject();
    cJSON *files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; files && i < take; i++)
        if (!cJSON_AddItemToArray(files, cJSON_CreateString(e[i].name)))
            files = NULL;
    free_entries(e, n);
    if (!files || !(*offsets = cJSON_PrintUnformatted(o))) {
        cJSON_Delete(o);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    cJSON_Delete(o);
    return LL_OK;
}

static cJSON *parse_files(const char *offsets, ll_err *err)
{
    cJSON *o = cJSON_Parse(offsets);
    cJSON *files = cJSON_GetObjectItemCaseSensitive(o, "files");
    if (!cJSON_IsArray(files)) {
        cJSON_Delete(o);
        ll_err_set(err, LL_EPARSE, "file source: offsets without \"files\"");
        return NULL;
    }
    return o;
}

static int fs_restore(ll_source *base, const char *offsets, ll_err *err)
{
    file_source *s = (file_source *)base;
    cJSON *o = parse_files(offsets, err);
    if (!o)
        return LL_EPARSE;
    cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(o, "files"))
    {
        if (cJSON_IsString(f) && ll_strset_add(&s->seen, f->valuestring,
                                               strlen(f->valuestring)) < 0) {
            cJSON_Delete(o);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    }
    cJSON_Delete(o);
    return LL_OK;
}

/* Order the given schema's columns as the file has them. */
static int order_schema(file_source *s, const char *path, ll_err *err)
{
    ll_schema file, out;
    int rc = ll_stream_infer_schema(path, s->format, &file, err);
    if (rc)
        return rc;
    ll_schema_init(&out);
    for (int i = 0; !rc && i < file.n; i++)
        for (int k = 0; !rc && k < s->base.schema.n; k++)
            if (!strcmp(file.names[i], s->base.schema.names[k]))
                rc = ll_schema_add(&out, s->base.schema.names[k],
                                   s->base.schema.types[k], err);
    for (int k = 0; !rc && k < s->base.schema.n; k++) {
        int found = 0;
        for (int i = 0; i < out.n; i++)
            found |= !strcmp(out.names[i], s->base.schema.names[k]);
        if (!found)
            rc = ll_err_set(err, LL_EPARSE, "%s: no column '%s' (schema)", path,
                            s->base.schema.names[k]);
    }
    ll_schema_free(&file);
    if (rc) {
        ll_schema_free(&out);
        return rc;
    }
    ll_schema_free(&s->base.schema);
    s->base.schema = out;
    s->unordered = 0;
    return LL_OK;
}

static int ensure_schema(file_source *s, const char *path, ll_err *err)
{
    if (s->unordered)
        return order_schema(s, path, err);
    if (s->have_schema)
        return LL_OK;
    int rc = ll_stream_infer_schema(path, s->format, &s->base.schema, err);
    if (!rc)
        s->have_schema = 1;
    return rc;
}

static ll_frame *fs_read(ll_source *base, const char *offsets,
                         int64_t *malformed, ll_buf *log, ll_err *err)
{
    file_source *s = (file_source *)base;
    *malformed = 0;
    cJSON *o = parse_files(offsets, err);
    if (!o)
        return NULL;
    ll_frame *all = NULL;
    cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(o, "files"))
    {
        if (!cJSON_IsString(f))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", s->dir, f->valuestring);
        ll_err e;
        ll_err_clear(&e);
        if (ensure_schema(s, path, &e)) {
            if (e.code == LL_EIO || e.code == LL_ENOTFOUND) {
                ll_buf_printf(log, "%s (skipped)\n", e.msg);
                continue;
            }
            *err = e;
            goto fail;
        }
        int64_t bad = 0;
        ll_frame *part = ll_stream_read_file(path, s->format, &base->schema,
                                             s->mode, &bad, log, &e);
        *malformed += bad;
        if (!part) {
            if (e.code == LL_EIO || e.code == LL_ENOTFOUND) {
                /* unreadable: name it and go on */
                ll_buf_printf(log, "%s (skipped)\n", e.msg);
                continue;
            }
            if (e.code == LL_EPARSE && s->mode != LL_MODE_FAILFAST) {
                ll_buf_printf(log, "%s (file skipped)\n", e.msg);
                continue;
            }
            *err = e;
            goto fail;
        }
        if (!all) {
            all = part;
            continue;
        }
        ll_frame *both = ll_frame_concat(all, part, err);
        ll_frame_free(part);
        ll_frame_free(all);
        all = both;
        if (!all)
            goto fail;
    }
    cJSON_Delete(o);
    if (!all) {
        /* nothing readable: an empty batch of the schema's columns */
        ll_rows *r = ll_rows_new(&base->schema, s->mode, err);
        if (!r)
            return NULL;
        all = ll_rows_finish(r, err);
        ll_rows_free(r);
    }
    return all;
fail:
    cJSON_Delete(o);
    ll_frame_free(all);
    return NULL;
}

static int fs_snapshot(ll_source *base, ll_err *err)
{
    file_source *s = (file_source *)base;
    entry *e;
    size_t n;
    int rc = list_new(s, &e, &n, err);
    for (size_t i = 0; !rc && i < n; i++)
        if (ll_strset_add(&s->bound, e[i].name, strlen(e[i].name)) < 0)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    free_entries(e, n);
    s->bounded = 1;
    return rc;
}

static int fs_committed(ll_source *base, const char *offsets, ll_err *err)
{
    (void)base;
    (void)offsets;
    (void)err;
    return LL_OK;
}

static int64_t fs_lag(ll_source *base)
{
    file_source *s = (file_source *)base;
    entry *e;
    size_t n;
    if (list_new(s, &e, &n, NULL))
        return -1;
    free_entries(e, n);
    return (int64_t)n;
}

static void fs_free(ll_source *base)
{
    file_source *s = (file_source *)base;
    free(s->dir);
    free(s->format);
    ll_strset_free(&s->seen);
    ll_strset_free(&s->bound);
    ll_schema_free(&s->base.schema);
    free(s);
}

ll_source *ll_source_files(const ll_file_source_opts *o, ll_err *err)
{
    const char *format = o->format ? o->format : "csv";
    if (strcmp(format, "csv") && strcmp(format, "jsonl") &&
        strcmp(format, "json")) {
        ll_err_set(err, LL_EINVAL,
                   "file source: unknown format '%s' (csv, jsonl)", format);
        return NULL;
    }
    struct stat st;
    if (stat(o->path, &st) || !S_ISDIR(st.st_mode)) {
        ll_err_set(err, LL_ENOTFOUND, "file source: %s: not a folder", o->path);
        return NULL;
    }
    file_source *s = calloc(1, sizeof *s);
    if (!s) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.kind = "files";
    s->base.plan = fs_plan;
    s->base.restore = fs_restore;
    s->base.read = fs_read;
    s->base.snapshot = fs_snapshot;
    s->base.committed = fs_committed;
    s->base.lag = fs_lag;
    s->base.free = fs_free;
    ll_schema_init(&s->base.schema);
    ll_strset_init(&s->seen);
    ll_strset_init(&s->bound);
    s->max_files = o->max_files_per_trigger;
    s->mode = o->mode;
    s->dir = ll_strdup(o->path);
    s->format = ll_strdup(!strcmp(format, "json") ? "jsonl" : format);
    if (!s->dir || !s->format ||
        (o->schema && o->schema->n &&
         ll_schema_copy(&s->base.schema, o->schema, err))) {
        fs_free(&s->base);
        ll_err_set(err, LL_ENOMEM, "out of memory");
        return NULL;
    }
    s->have_schema = o->schema && o->schema->n;
    s->unordered = s->have_schema && o->schema_unordered;
    return &s->base;
}
