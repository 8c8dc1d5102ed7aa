/*
 * notebook: the in-memory model (cells, outputs, ids, tags), choosing a
 * file format by extension, and the JSON printing the formats share.
 *
 * Cell ids are 8 lowercase hex digits from a xorshift generator seeded by
 * the clock and the process id; a notebook never holds two equal ids.
 */
#include "config.h"

#include "notebook/nb_int.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/signals.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *nb_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *nb_strdup(const char *s)
{
    return s ? nb_strndup(s, strlen(s)) : NULL;
}

const char *nb_name(const char *path)
{
    return path ? path : "<string>";
}

void nb_line_col(const char *text, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* ---- ids ---- */

static uint64_t id_state;

static uint32_t id_next(void)
{
    if (id_state == 0) {
        id_state = (uint64_t)ll_now_ms() * 0x9E3779B97F4A7C15ULL ^
                   ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&id_state;
        if (id_state == 0)
            id_state = 0x2545F4914F6CDD1DULL;
    }
    id_state ^= id_state << 13;
    id_state ^= id_state >> 7;
    id_state ^= id_state << 17;
    return (uint32_t)(id_state >> 16);
}

static char *new_id(void)
{
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%08x", (unsigned)id_next());
    return nb_strdup(tmp);
}

static int id_taken(const ll_notebook *nb, const char *id, const ll_cell *skip)
{
    for (int i = 0; i < nb->ncells; i++)
        if (&nb->cells[i] != skip && nb->cells[i].id &&
            strcmp(nb->cells[i].id, id) == 0)
            return 1;
    return 0;
}

/* Give c a fresh id not used elsewhere in nb. */
static int assign_id(ll_notebook *nb, ll_cell *c)
{
    for (;;) {
        char *id = new_id();
        if (!id)
            return LL_ENOMEM;
        if (!id_taken(nb, id, c)) {
            free(c->id);
            c->id = id;
            return LL_OK;
        }
        free(id);
    }
}

/* ---- unique ids in linear time (the readers) ---- */

typedef struct id_set {
    const char **slot;
    size_t mask;
} id_set;

static size_t id_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return (size_t)h;
}

/* Add id unless it is there; 1 when added, 0 when it was there. */
static int id_set_add(id_set *st, const char *id)
{
    size_t i = id_hash(id) & st->mask;
    while (st->slot[i]) {
        if (strcmp(st->slot[i], id) == 0)
            return 0;
        i = (i + 1) & st->mask;
    }
    st->slot[i] = id;
    return 1;
}

int nb_unique_ids(ll_notebook *nb)
{
    size_t cap = 16;
    while (cap < (size_t)nb->ncells * 2 + 2)
        cap *= 2;
    id_set st = {calloc(cap, sizeof *st.slot), cap - 1};
    char *fresh = calloc((size_t)nb->ncells + 1, 1);
    if (!st.slot || !fresh) {
        free(st.slot);
        free(fresh);
        return LL_ENOMEM;
    }
    /* the first cell with an id keeps it; later copies and cells without
     * one get fresh ids that no cell uses */
    for (int i = 0; i < nb->ncells; i++) {
        const char *id = nb->cells[i].id;
        fresh[i] = !id || !id[0] || !id_set_add(&st, id);
    }
    int rc = LL_OK;
    for (int i = 0; i < nb->ncells && rc == LL_OK; i++) {
        if (!fresh[i])
            continue;
        for (;;) {
            char *id = new_id();
            if (!id) {
                rc = LL_ENOMEM;
                break;
            }
            if (id_set_add(&st, id)) {
                free(nb->cells[i].id);
                nb->cells[i].id = id;
                break;
            }
            free(id);
        }
    }
    free(st.slot);
    free(fresh);
    return rc;
}

/* ---- notebook ---- */

ll_notebook *ll_notebook_new(ll_err *err)
{
    ll_notebook *nb = calloc(1, sizeof *nb);
    if (!nb) {
        ll_err_oom(err);
        return NULL;
    }
    nb->metadata_json = nb_strdup("{}");
    if (!nb->metadata_json) {
        free(nb);
        ll_err_oom(err);
        return NULL;
    }
    return nb;
}

void ll_notebook_free(ll_notebook *nb)
{
    if (!nb)
        return;
    for (int i = 0; i < nb->ncells; i++)
        ll_cell_free(&nb->cells[i]);
    free(nb->cells);
    free(nb->path);
    free(nb->title);
    free(nb->header);
    free(nb->preamble);
    free(nb->metadata_json);
    free(nb);
}

static int grow_cells(ll_notebook *nb)
{
    if (nb->ncells < nb->cap_cells)
        return LL_OK;
    int cap = nb->cap_cells ? nb->cap_cells * 2 : 16;
    ll_cell *cells = realloc(nb->cells, (size_t)cap * sizeof *cells);
    if (!cells)
        return LL_ENOMEM;
    nb->cells = cells;
    nb->cap_cells = cap;
    return LL_OK;
}

static int init_cell(ll_cell *c, ll_cell_type t, char *source)
{
    memset(c, 0, sizeof *c);
    c->type = t;
    c->source = source ? source : nb_strdup("");
    c->metadata_json = nb_strdup("{}");
    if (!c->source || !c->metadata_json) {
        free(c->source);
        free(c->metadata_json);
        return LL_ENOMEM;
    }
    return LL_OK;
}

static ll_cell *insert_owned(ll_notebook *nb, int index, ll_cell_type t,
                             char *source, int check)
{
    if (index < 0 || index > nb->ncells)
        index = nb->ncells;
    if (grow_cells(nb) != LL_OK) {
        free(source);
        return NULL;
    }
    ll_cell c;
    if (init_cell(&c, t, source) != LL_OK)
        return NULL;
    memmove(&nb->cells[index + 1], &nb->cells[index],
            (size_t)(nb->ncells - index) * sizeof c);
    nb->cells[index] = c;
    nb->ncells++;
    /* readers take a fresh id here and make ids unique at the end
     * (nb_unique_ids), in linear time */
    int rc;
    if (check) {
        rc = assign_id(nb, &nb->cells[index]);
    } else {
        nb->cells[index].id = new_id();
        rc = nb->cells[index].id ? LL_OK : LL_ENOMEM;
    }
    if (rc != LL_OK) {
        ll_notebook_delete_cell(nb, index);
        return NULL;
    }
    return &nb->cells[index];
}

ll_cell *nb_append_cell(ll_notebook *nb, ll_cell_type t, char *source)
{
    return insert_owned(nb, nb->ncells, t, source, 0);
}

ll_cell *ll_notebook_insert_cell(ll_notebook *nb, int index, ll_cell_type t,
                                 const char *source, ll_err *err)
{
    char *s = nb_strdup(source ? source : "");
    ll_cell *c = s ? insert_owned(nb, index, t, s, 1) : NULL;
    if (!c)
        ll_err_oom(err);
    return c;
}

int ll_notebook_delete_cell(ll_notebook *nb, int index)
{
    if (index < 0 || index >= nb->ncells)
        return LL_EINVAL;
    ll_cell_free(&nb->cells[index]);
    memmove(&nb->cells[index], &nb->cells[index + 1],
            (size_t)(nb->ncells - index - 1) * sizeof(ll_cell));
    nb->ncells--;
    return LL_OK;
}

int ll_notebook_move_cell(ll_notebook *nb, int from, int to)
{
    if (from < 0 || from >= nb->ncells || to < 0 || to >= nb->ncells)
        return LL_EINVAL;
    if (from == to)
        return LL_OK;
    ll_cell c = nb->cells[from];
    if (from < to)
        memmove(&nb->cells[from], &nb->cells[from + 1],
                (size_t)(to - from) * sizeof c);
    else
        memmove(&nb->cells[to + 1], &nb->cells[to],
                (size_t)(from - to) * sizeof c);
    nb->cells[to] = c;
    return LL_OK;
}

/* ---- cells ---- */

int ll_cell_set_source(ll_cell *c, const char *source)
{
    char *s = nb_strdup(source ? source : "");
    if (!s)
        return LL_ENOMEM;
    free(c->source);
    c->source = s;
    c->stale = 1;
    return LL_OK;
}

int ll_cell_has_tag(const ll_cell *c, const char *tag)
{
    for (int i = 0; i < c->ntags; i++)
        if (strcmp(c->tags[i], tag) == 0)
            return 1;
    return 0;
}

static void free_tags(char **tags, int n)
{
    for (int i = 0; i < n; i++)
        free(tags[i]);
    free(tags);
}

/* Set metadata from a parsed object (taken over by nobody: caller frees). */
int nb_cell_set_metadata_obj(ll_cell *c, const cJSON *obj)
{
    ll_buf b;
    ll_buf_init(&b);
    if (nb_json_dump(obj, &b, -1, 0) != LL_OK) {
        ll_buf_free(&b);
        return LL_ENOMEM;
    }
    char **tags = NULL;
    int ntags = 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "tags");
    if (cJSON_IsArray(t)) {
        int n = cJSON_GetArraySize(t);
        tags = calloc((size_t)(n ? n : 1), sizeof *tags);
        if (!tags) {
            ll_buf_free(&b);
            return LL_ENOMEM;
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, t)
        {
            if (!cJSON_IsString(e))
                continue;
            tags[ntags] = nb_strdup(e->valuestring);
            if (!tags[ntags]) {
                free_tags(tags, ntags);
                ll_buf_free(&b);
                return LL_ENOMEM;
            }
            ntags++;
        }
    }
    char *json = ll_buf_take(&b);
    if (!json) {
        free_tags(tags, ntags);
        return LL_ENOMEM;
    }
    free(c->metadata_json);
    c->metadata_json = json;
    free_tags(c->tags, c->ntags);
    c->tags = tags;
    c->ntags = ntags;
    return LL_OK;
}

int ll_cell_set_metadata(ll_cell *c, const char *json, ll_err *err)
{
    errno = 0;
    cJSON *obj = cJSON_Parse(json ? json : "{}");
    if (!obj && errno == ENOMEM) /* a failed malloc, not the text */
        return ll_err_oom(err);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return ll_err_set(err, LL_EPARSE,
                          "cell metadata is not a JSON object: %.60s",
                          json ? json : "");
    }
    int rc = nb_cell_set_metadata_obj(c, obj);
    cJSON_Delete(obj);
    if (rc != LL_OK)
        return ll_err_set(err, rc, "out of memory");
    return LL_OK;
}

int ll_cell_add_tag(ll_cell *c, const char *tag)
{
    if (ll_cell_has_tag(c, tag))
        return LL_OK;
    errno = 0;
    cJSON *obj = cJSON_Parse(c->metadata_json ? c->metadata_json : "{}");
    if (!obj && errno == ENOMEM) /* fail rather than drop the metadata */
        return LL_ENOMEM;
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        obj = cJSON_CreateObject();
        if (!obj)
            return LL_ENOMEM;
    }
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(obj, "tags");
    if (!cJSON_IsArray(tags)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "tags");
        tags = cJSON_AddArrayToObject(obj, "tags");
    }
    cJSON *s = cJSON_CreateString(tag);
    if (!tags || !s || !cJSON_AddItemToArray(tags, s)) {
        cJSON_Delete(s);
        cJSON_Delete(obj);
        return LL_ENOMEM;
    }
    int rc = nb_cell_set_metadata_obj(c, obj);
    cJSON_Delete(obj);
    return rc;
}

char *ll_cell_first_line(const ll_cell *c, size_t max, ll_err *err)
{
    const char *s = c->source ? c->source : "";
    while (*s == '\n' || *s == ' ' || *s == '\t' || *s == '\r') {
        const char *nl = strchr(s, '\n');
        const char *p = s;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\n' && nl)
            s = nl + 1;
        else {
            s = p;
            break;
        }
    }
    size_t n = strcspn(s, "\r\n");
    if (max >= 4 && n > max) {
        /* cut on a UTF-8 character boundary */
        size_t cut = max - 3;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        char *d = malloc(cut + 4);
        if (!d) {
            ll_err_oom(err);
            return NULL;
        }
        memcpy(d, s, cut);
        memcpy(d + cut, "...", 4);
        return d;
    }
    char *d = nb_strndup(s, n);
    if (!d)
        ll_err_oom(err);
    return d;
}

void ll_output_free(ll_output *o)
{
    if (!o)
        return;
    free(o->name);
    free(o->text);
    free(o->ansi);
    free(o->svg);
    free(o->png);
    free(o->ename);
    free(o->evalue);
    free(o->traceback);
    memset(o, 0, sizeof *o);
}

void ll_cell_clear_outputs(ll_cell *c)
{
    for (int i = 0; i < c->noutputs; i++)
        ll_output_free(&c->outputs[i]);
    c->noutputs = 0;
}

static int copy_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = nb_strdup(src);
    return *dst ? 0 : 1;
}

static int copy_output(ll_output *d, const ll_output *o)
{
    memset(d, 0, sizeof *d);
    d->type = o->type;
    d->execution_count = o->execution_count;
    int bad = copy_str(&d->name, o->name) + copy_str(&d->text, o->text) +
              copy_str(&d->ansi, o->ansi) + copy_str(&d->svg, o->svg) +
              copy_str(&d->png, o->png) + copy_str(&d->ename, o->ename) +
              copy_str(&d->evalue, o->evalue) +
              copy_str(&d->traceback, o->traceback);
    if (bad) {
        ll_output_free(d);
        return LL_ENOMEM;
    }
    return LL_OK;
}

int ll_cell_add_output(ll_cell *c, const ll_output *o)
{
    if (c->noutputs == c->cap_outputs) {
        int cap = c->cap_outputs ? c->cap_outputs * 2 : 4;
        ll_output *outs = realloc(c->outputs, (size_t)cap * sizeof *outs);
        if (!outs)
            return LL_ENOMEM;
        c->outputs = outs;
        c->cap_outputs = cap;
    }
    int rc = copy_output(&c->outputs[c->noutputs], o);
    if (rc == LL_OK)
        c->noutputs++;
    return rc;
}

void ll_cell_free(ll_cell *c)
{
    if (!c)
        return;
    ll_cell_clear_outputs(c);
    free(c->outputs);
    free(c->id);
    free(c->source);
    free(c->metadata_json);
    free_tags(c->tags, c->ntags);
    memset(c, 0, sizeof *c);
}

int ll_cell_copy(const ll_cell *src, ll_cell *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->execution_count = src->execution_count;
    dst->seconds = src->seconds;
    dst->stale = src->stale;
    dst->line = src->line;
    dst->id = new_id();
    dst->source = nb_strdup(src->source ? src->source : "");
    dst->metadata_json = nb_strdup("{}");
    if (!dst->id || !dst->source || !dst->metadata_json)
        goto fail;
    if (src->metadata_json &&
        ll_cell_set_metadata(dst, src->metadata_json, NULL) != LL_OK)
        goto fail;
    for (int i = 0; i < src->noutputs; i++)
        if (ll_cell_add_output(dst, &src->outputs[i]) != LL_OK)
            goto fail;
    return LL_OK;
fail:
    ll_cell_free(dst);
    return LL_ENOMEM;
}

/* ---- files ---- */

int ll_notebook_read(const char *path, ll_notebook **out, ll_err *err)
{
    *out = NULL;
    const char *ext = ll_path_ext(path);
    struct stat st;
    int fmt;
    if (strcmp(ext, "lua") == 0)
        fmt = LL_NB_PERCENT;
    else if (strcmp(ext, "ipynb") == 0)
        fmt = LL_NB_IPYNB;
    else if (strcmp(ext, "md") == 0)
        fmt = LL_NB_MARKDOWN;
    else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ll_err_set(err, LL_EINVAL,
                          "%s: is a directory, not a notebook (.lua, .ipynb "
                          "or .md)",
                          path);
    else
        return ll_err_set(err, LL_EINVAL,
                          "%s: unknown notebook format (expected .lua, "
                          ".ipynb or .md)",
                          path);
    char *text = NULL;
    size_t len = 0;
    int rc = ll_read_file(path, &text, &len, err);
    if (rc != LL_OK)
        return rc;
    if (fmt == LL_NB_PERCENT)
        rc = ll_notebook_parse_percent(text, len, path, out, err);
    else if (fmt == LL_NB_IPYNB)
        rc = ll_notebook_parse_ipynb(text, len, path, out, err);
    else
        rc = ll_notebook_parse_markdown(text, len, path, out, err);
    free(text);
    if (rc == LL_OK && !(*out)->path) {
        (*out)->path = nb_strdup(path);
        if (!(*out)->path) {
            ll_notebook_free(*out);
            *out = NULL;
            return ll_err_set(err, LL_ENOMEM, "%s: out of memory", path);
        }
    }
    return rc;
}

int ll_notebook_write(const ll_notebook *nb, const char *path, ll_err *err)
{
    const char *ext = ll_path_ext(path);
    ll_buf b;
    ll_buf_init(&b);
    int rc;
    if (strcmp(ext, "lua") == 0)
        rc = ll_notebook_to_percent(nb, &b);
    else if (strcmp(ext, "ipynb") == 0)
        rc = ll_notebook_to_ipynb(nb, &b, err);
    else if (strcmp(ext, "md") == 0)
        rc = ll_notebook_to_markdown(nb, &b);
    else
        return ll_err_set(err, LL_EINVAL,
                          "%s: cannot write this format (expected .lua, "
                          ".ipynb or .md)",
                          path);
    if (rc == LL_ENOMEM)
        ll_err_set(err, rc, "%s: out of memory", path);
    else if (rc == LL_OK)
        rc = ll_write_file_atomic(path, b.data ? b.data : "", b.len, err);
    ll_buf_free(&b);
    return rc;
}

/* ---- JSON printing ---- */

static int put_number(ll_buf *b, double d)
{
    if (!isfinite(d))
        return ll_buf_puts(b, "null");
    if (d == floor(d) && fabs(d) < 1e15)
        return ll_buf_printf(b, "%.0f", d);
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.15g", d);
    if (strtod(tmp, NULL) != d)
        snprintf(tmp, sizeof tmp, "%.17g", d);
    return ll_buf_puts(b, tmp);
}

static int indent_to(ll_buf *b, int indent, int level)
{
    int rc = ll_buf_putc(b, '\n');
    for (int i = 0; i < indent * level && rc == LL_OK; i++)
        rc = ll_buf_putc(b, ' ');
    return rc;
}

static int cmp_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static int dump(const cJSON *v, ll_buf *b, int indent, int sort, int level)
{
    if (cJSON_IsNull(v) || !v)
        return ll_buf_puts(b, "null");
    if (cJSON_IsTrue(v))
        return ll_buf_puts(b, "true");
    if (cJSON_IsFalse(v))
        return ll_buf_puts(b, "false");
    if (cJSON_IsNumber(v))
        return put_number(b, v->valuedouble);
    if (cJSON_IsString(v))
        return ll_json_put_string(b, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsRaw(v))
        return ll_buf_puts(b, v->valuestring);
    int obj = cJSON_IsObject(v);
    int n = cJSON_GetArraySize(v);
    if (n == 0)
        return ll_buf_puts(b, obj ? "{}" : "[]");
    const cJSON **items = malloc((size_t)n * sizeof *items);
    if (!items)
        return LL_ENOMEM;
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) items[k++] = e;
    if (obj && sort)
        qsort(items, (size_t)n, sizeof *items, cmp_keys);
    int rc = ll_buf_putc(b, obj ? '{' : '[');
    for (int i = 0; i < n && rc == LL_OK; i++) {
        if (i > 0)
            rc = ll_buf_puts(b, indent >= 0 ? "," : ", ");
        if (rc == LL_OK && indent >= 0)
            rc = indent_to(b, indent, level + 1);
        if (rc == LL_OK && obj) {
            rc = ll_json_put_string(b, items[i]->string,
                                    strlen(items[i]->string));
            if (rc == LL_OK)
                rc = ll_buf_puts(b, ": ");
        }
        if (rc == LL_OK)
            rc = dump(items[i], b, indent, sort, level + 1);
    }
    if (rc == LL_OK && indent >= 0)
        rc = indent_to(b, indent, level);
    if (rc == LL_OK)
        rc = ll_buf_putc(b, obj ? '}' : ']');
    free(items);
    return rc;
}

int nb_json_dump(const cJSON *v, ll_buf *b, int indent, int sort_keys)
{
    return dump(v, b, indent, sort_keys, 0);
}

int nb_json_dump_at(const cJSON *v, ll_buf *b, int indent, int sort_keys,
                    int level)
{
    return dump(v, b, indent, sort_keys, level);
}

int nb_text_copy(const char *text, size_t len, const char *path, char **copy,
                 size_t *copy_len, ll_err *err)
{
    *copy = NULL;
    *copy_len = 0;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line, col; /* the bytes before the NUL hold no NUL */
        nb_line_col(text, (size_t)(nul - text), &line, &col);
        return ll_err_set(err, LL_EPARSE, "%s:%d:%d: NUL byte in the notebook",
                          nb_name(path), line, col);
    }
    char *c = malloc(len + 1);
    if (!c)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\r')
            c[j++] = text[i];
        else if (!(i + 1 < len && text[i + 1] == '\n'))
            c[j++] = '\n'; /* a lone CR (old Mac files) ends a line too */
    }
    c[j] = '\0';
    *copy = c;
    *copy_len = j;
    return LL_OK;
}

int nb_src_error(const nb_src *src, const char *at, const char *fmt, ...)
{
    int line = 1, col = 1;
    if (at)
        nb_line_col(src->text, (size_t)(at - src->text), &line, &col);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ll_err_set(src->err, LL_EPARSE, "%s:%d:%d: %s", nb_name(src->path),
                      line, col, msg);
}

int nb_parse_text(nb_parser parse, const char *text, size_t len,
                  const char *path, ll_notebook **out, ll_err *err)
{
    char *copy;
    size_t copy_len;
    *out = NULL;
    int rc = nb_text_copy(text, len, path, &copy, &copy_len, err);
    if (rc != LL_OK)
        return rc;
    rc = parse(copy, copy_len, path, out, err);
    free(copy);
    if (rc == LL_OK && nb_unique_ids(*out) != LL_OK) {
        ll_notebook_free(*out);
        *out = NULL;
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    return rc;
}

void nb_strip_crlf(char *s)
{
    if (!s || !strstr(s, "\r\n"))
        return;
    char *d = s;
    for (const char *p = s; *p; p++)
        if (!(p[0] == '\r' && p[1] == '\n'))
            *d++ = *p;
    *d = '\0';
}
