/*
 * artifacts: artifact trees of runs: copy a file or a directory into
 * one, list the files under one (see track.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "track/store_int.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/signals.h"

/* ---- artifacts ---- */

static int copy_file(const char *src, const char *dst, ll_err *err)
{
    char *data;
    size_t len;
    int rc = ll_read_file(src, &data, &len, err);
    if (rc != LL_OK)
        return rc;
    rc = ll_write_file_atomic(dst, data, len, err);
    free(data);
    return rc;
}

static int parent_dir(const char *path, ll_err *err)
{
    char *d = ll_strdup(path);
    if (!d)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    char *s = strrchr(d, '/');
    int rc = LL_OK;
    if (s && s != d) {
        *s = '\0';
        rc = ll_mkdir_p(d, err);
    }
    free(d);
    return rc;
}

int ll_track_copy(const char *src, const char *dst, ll_err *err)
{
    struct stat sb;
    if (stat(src, &sb) != 0)
        return ll_err_set(err, LL_ENOTFOUND, "%s: %s", src, strerror(errno));
    int rc = parent_dir(dst, err);
    if (rc != LL_OK)
        return rc;
    if (!S_ISDIR(sb.st_mode))
        return copy_file(src, dst, err);
    if ((rc = ll_mkdir_p(dst, err)) != LL_OK)
        return rc;
    DIR *d = opendir(src);
    if (!d)
        return ll_err_set(err, LL_EIO, "%s: %s", src, strerror(errno));
    struct dirent *e;
    while (rc == LL_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        ll_buf a, b;
        ll_buf_init(&a);
        ll_buf_init(&b);
        if (ll_buf_printf(&a, "%s/%s", src, e->d_name) != LL_OK ||
            ll_buf_printf(&b, "%s/%s", dst, e->d_name) != LL_OK)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        else
            rc = ll_track_copy(a.data, b.data, err);
        ll_buf_free(&a);
        ll_buf_free(&b);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_into(const char *root, const char *rel, char ***names,
                     size_t *n, ll_err *err)
{
    ll_buf path;
    ll_buf_init(&path);
    if (ll_buf_printf(&path, "%s%s%s", root, *rel ? "/" : "", rel) != LL_OK)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    DIR *d = opendir(path.data);
    ll_buf_free(&path);
    if (!d)
        return LL_OK; /* no artifacts yet */
    struct dirent *e;
    int rc = LL_OK;
    while (rc == LL_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' &&
            (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        ll_buf r;
        ll_buf_init(&r);
        if (ll_buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", e->d_name) !=
            LL_OK) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            break;
        }
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", root, r.data);
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = list_into(root, r.data, names, n, err);
            ll_buf_free(&r);
        } else {
            char **g = realloc(*names, (*n + 1) * sizeof *g);
            if (!g) {
                ll_buf_free(&r);
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                break;
            }
            *names = g;
            g[(*n)++] = ll_buf_take(&r);
        }
    }
    closedir(d);
    return rc;
}

int ll_track_list_files(const char *dir, char **out, ll_err *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = list_into(dir, "", &names, &n, err);
    ll_buf b;
    ll_buf_init(&b);
    if (rc == LL_OK) {
        if (n > 1)
            qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n && rc == LL_OK; i++)
            if (ll_buf_printf(&b, "%s\n", names[i]) != LL_OK)
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc != LL_OK) {
        ll_buf_free(&b);
        *out = NULL;
        return rc;
    }
    *out = ll_buf_take(&b);
    return *out ? LL_OK : ll_err_set(err, LL_ENOMEM, "out of memory");
}
