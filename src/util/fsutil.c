/* fsutil: see fsutil.h. */
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* Follow symbolic links from path (relative targets against the link's
 * folder), so that saving through a link writes the file it points to and
 * keeps the link.  A dangling link gives the path it points to. */
static int resolve_links(const char *path, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", path);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode))
            return 0;
        char target[4096];
        ssize_t len = readlink(out, target, sizeof target - 1);
        if (len < 0)
            return 0;
        target[len] = '\0';
        char next[4096];
        if (target[0] == '/') {
            n = snprintf(next, sizeof next, "%s", target);
        } else {
            char dir[4096];
            dir_of(out, dir, sizeof dir);
            n = snprintf(next, sizeof next, "%s/%s", dir, target);
        }
        if (n < 0 || (size_t)n >= sizeof next || (size_t)n >= cap)
            return -1;
        memcpy(out, next, (size_t)n + 1);
    }
    errno = ELOOP;
    return -1;
}

/* The temporary file being written, for ll_write_abort (one at a time;
 * written before the file exists, cleared after it is renamed). */
static char pending_tmp[4096];
static volatile sig_atomic_t pending_set;

void ll_write_abort(void)
{
    if (pending_set) {
        unlink(pending_tmp);
        pending_set = 0;
    }
}

int ll_write_file_atomic(const char *path, const void *data, size_t len,
                         ll_err *err)
{
    char real[4096];
    if (resolve_links(path, real, sizeof real) != 0)
        return ll_err_set(err, LL_EIO, "%s: %s", path,
                          errno == ELOOP ? strerror(ELOOP) : "path too long");
    char tmp[4096];
    int n =
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld.XXXXXX", real, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ll_err_set(err, LL_EINVAL, "%s: path too long", path);
    int mine = !pending_set;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ll_err_set(err, LL_EIO, "%s: %s", path, strerror(errno));
    if (mine) {
        memcpy(pending_tmp, tmp, (size_t)n + 1);
        pending_set = 1;
    }
    int rc = LL_OK, e = 0;
    if (ll_write_fd(fd, data, len))
        e = errno;
    if (!e) {
        /* Keep the mode of the file we replace, else the usual 0644. */
        struct stat st;
        mode_t mode = 0644;
        if (stat(real, &st) == 0)
            mode = st.st_mode & 07777;
        if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
            e = errno;
    }
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, real) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        rc = ll_err_set(err, LL_EIO, "%s: %s", path,
                        e == ENOSPC ? "disk is full" : strerror(e));
    }
    if (mine)
        pending_set = 0;
    if (rc != LL_OK)
        return rc;
    char dir[4096];
    dir_of(real, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return LL_OK;
}

void ll_remove_stale_tmp(const char *path)
{
    char real[4096];
    if (resolve_links(path, real, sizeof real) != 0)
        return;
    char dir[4096];
    dir_of(real, dir, sizeof dir);
    const char *slash = strrchr(real, '/');
    const char *base = slash ? slash + 1 : real;
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (strncmp(name, base, blen) != 0 ||
            strncmp(name + blen, ".tmp.", 5) != 0)
            continue;
        char *end;
        long pid = strtol(name + blen + 5, &end, 10);
        if (end == name + blen + 5 || *end != '.' || strlen(end + 1) != 6 ||
            pid <= 0)
            continue;
        /* a writer that still runs keeps its file */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", dir, name);
        unlink(full);
    }
    closedir(d);
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

int ll_write_fd(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
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
