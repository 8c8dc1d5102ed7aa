/* fsutil: see fsutil.h. */
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ll_read_file(const char *path, char **data, size_t *len, ll_err *err)
{
    *data = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ll_err_set(err, errno == ENOENT ? LL_ENOTFOUND : LL_EIO,
                          "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    if (!p) {
        fclose(f);
        return ll_err_set(err, LL_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                fclose(f);
                return ll_err_set(err, LL_ENOMEM, "%s: out of memory", path);
            }
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(p);
        return ll_err_set(err, LL_EIO, "%s: read error", path);
    }
    p[n] = '\0';
    *data = p;
    if (len)
        *len = n;
    return LL_OK;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, cap, ".");
    } else if (slash == path) {
        snprintf(out, cap, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= cap)
            n = cap - 1;
        memcpy(out, path, n);
        out[n] = '\0';
    }
}

int ll_write_file_atomic(const char *path, const void *data, size_t len,
                         ll_err *err)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ll_err_set(err, LL_EINVAL, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    /* Keep the mode of the file we replace, else the usual 0644. */
    struct stat st;
    mode_t mode = 0644;
    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(e));
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(e));
    }
    char dir[4096];
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return LL_OK;
}

int ll_mkdir_p(const char *path, ll_err *err)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return ll_err_set(err, LL_EINVAL, "bad directory name '%s'", path);
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return ll_err_set(err, LL_EIO, "%s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return ll_err_set(err, LL_EIO, "%s: %s", tmp, strerror(errno));
    return LL_OK;
}

int ll_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char *ll_path_ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

static int remove_one(const char *p, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

int ll_remove_tree(const char *path, ll_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return LL_OK;
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(errno));
    return LL_OK;
}
