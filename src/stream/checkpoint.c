/*
 * checkpoint: the folder that makes a query restartable.
 *
 *   metadata            {"id": "<query id>"}, written once
 *   offsets/<batch>     the source's offsets, written before the batch runs
 *   commits/<batch>     written after the sink committed the batch
 *   state/<op>/<batch>  a stateful operator's state after the batch
 *   sources/<n>/        a source's own files (the MQTT write-ahead log)
 *
 * Every file is written atomically (temporary name, fsync, rename), so a
 * kill leaves a file whole or absent.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stream/stream.h"
#include "util/fsutil.h"

char *ll_ckpt_path(const ll_checkpoint *c, const char *sub, ll_err *err)
{
    ll_buf b;
    ll_buf_init(&b);
    char *p = NULL;
    if (ll_buf_printf(&b, "%s/%s", c->dir, sub) || !(p = ll_buf_take(&b))) {
        ll_buf_free(&b);
        ll_err_oom(err);
    }
    return p;
}

/* The highest numbered file in dir/sub, -1 when none. */
static int64_t last_number(const char *dir, const char *sub)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int64_t best = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        long long v = strtoll(e->d_name, &end, 10);
        if (*end == 0 && v > best)
            best = v;
    }
    closedir(d);
    return best;
}

static void new_id(char out[33])
{
    unsigned char bytes[16];
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof bytes) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                     (uint64_t)getpid();
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            bytes[i] = (unsigned char)(x >> 56);
        }
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

int ll_ckpt_open(ll_checkpoint *c, const char *dir, ll_err *err)
{
    memset(c, 0, sizeof *c);
    c->last_offsets = c->last_commit = -1;
    if (!(c->dir = ll_strdup(dir)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    char path[4096];
    int rc;
    const char *subs[] = {"offsets", "commits", "state", "sources"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
        if ((rc = ll_mkdir_p(path, err))) {
            ll_err_prefix(err, "checkpoint");
            goto fail;
        }
    }
    snprintf(path, sizeof path, "%s/metadata", dir);
    char *text = NULL;
    size_t len;
    if (ll_file_exists(path)) {
        if ((rc = ll_read_file(path, &text, &len, err)))
            goto fail;
        cJSON *m = cJSON_Parse(text);
        free(text);
        cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
        if (!cJSON_IsString(id) || strlen(id->valuestring) != 32) {
            cJSON_Delete(m);
            rc =
                ll_err_set(err, LL_EPARSE,
                           "%s: not a checkpoint's metadata (no \"id\")", path);
            goto fail;
        }
        memcpy(c->id, id->valuestring, 33);
        cJSON_Delete(m);
    } else {
        char buf[64];
        new_id(c->id);
        int n = snprintf(buf, sizeof buf, "{\"id\":\"%s\"}\n", c->id);
        if ((rc = ll_write_file_atomic(path, buf, (size_t)n, err)))
            goto fail;
    }
    c->last_offsets = last_number(dir, "offsets");
    c->last_commit = last_number(dir, "commits");
    return LL_OK;
fail:
    ll_ckpt_close(c);
    return rc;
}

void ll_ckpt_close(ll_checkpoint *c)
{
    free(c->dir);
    c->dir = NULL;
}

char *ll_ckpt_read_offsets(const ll_checkpoint *c, int64_t id, ll_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/offsets/%lld", c->dir, (long long)id);
    if (!ll_file_exists(path)) {
        ll_err_set(err, LL_ENOTFOUND, "%s: no such file", path);
        return NULL;
    }
    char *text = NULL;
    size_t len;
    if (ll_read_file(path, &text, &len, err))
        return NULL;
    return text;
}

int ll_ckpt_write_offsets(ll_checkpoint *c, int64_t id, const char *text,
                          ll_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/offsets/%lld", c->dir, (long long)id);
    int rc = ll_write_file_atomic(path, text, strlen(text), err);
    if (!rc && id > c->last_offsets)
        c->last_offsets = id;
    return rc;
}

int ll_ckpt_write_commit(ll_checkpoint *c, int64_t id, ll_err *err)
{
    char path[4096], buf[64];
    snprintf(path, sizeof path, "%s/commits/%lld", c->dir, (long long)id);
    int n = snprintf(buf, sizeof buf, "{\"batch_id\":%lld}\n", (long long)id);
    int rc = ll_write_file_atomic(path, buf, (size_t)n, err);
    if (!rc && id > c->last_commit)
        c->last_commit = id;
    return rc;
}

int ll_ckpt_read_state(const ll_checkpoint *c, int op, int64_t id, char **text,
                       ll_err *err)
{
    char path[4096];
    *text = NULL;
    snprintf(path, sizeof path, "%s/state/%d/%lld", c->dir, op, (long long)id);
    if (!ll_file_exists(path))
        return LL_OK;
    size_t len;
    return ll_read_file(path, text, &len, err);
}

int ll_ckpt_write_state(const ll_checkpoint *c, int op, int64_t id,
                        const char *text, size_t len, ll_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/state/%d", c->dir, op);
    int rc = ll_mkdir_p(path, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/state/%d/%lld", c->dir, op, (long long)id);
    return ll_write_file_atomic(path, text, len, err);
}

static int purge_dir(const char *dir, int64_t keep_from, ll_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return LL_OK;
    struct dirent *e;
    int rc = LL_OK;
    while ((e = readdir(d))) {
        char *end;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        long long v = strtoll(e->d_name, &end, 10);
        if (*end || v >= keep_from)
            continue;
        char path[4400];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
            (int)sizeof path)
            continue;
        if (unlink(path) && errno != ENOENT) {
            rc = ll_err_set(err, LL_EIO, "%s: %s", path, strerror(errno));
            break;
        }
    }
    closedir(d);
    return rc;
}

int ll_ckpt_purge(const ll_checkpoint *c, int64_t keep_from, ll_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/state", c->dir);
    DIR *d = opendir(path);
    if (!d)
        return LL_OK;
    struct dirent *e;
    int rc = LL_OK;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char sub[4400];
        if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >=
            (int)sizeof sub)
            continue;
        rc = purge_dir(sub, keep_from, err);
    }
    closedir(d);
    return rc;
}
