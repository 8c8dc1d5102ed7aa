/*
 * model_uri: a model URI into the directory that holds the model, as
 * MLflow resolves them: models:/NAME/VERSION, models:/NAME/STAGE,
 * models:/NAME/latest, models:/NAME@ALIAS, runs:/RUN_ID/PATH, file://PATH
 * (also file://localhost/PATH and file:PATH, %XX escapes decoded) and a
 * plain directory.  The scoring server, the streaming engine and the
 * mlflow module's load_model / pyfunc.load_model find their models here.
 * The store is only read: it is opened read-only and never created.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "track/track.h"
#include "util/buf.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A copy of path[0..n) without trailing slashes (but "/" stays). */
static int dir_copy(const char *path, size_t n, char **dir, ll_err *err)
{
    while (n > 1 && path[n - 1] == '/')
        n--;
    ll_buf b;
    ll_buf_init(&b);
    if (ll_buf_append(&b, path, n) != LL_OK || !(*dir = ll_buf_take(&b)))
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    return LL_OK;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* file:///abs, file://localhost/abs, file:/abs or file:rel: the local
 * path, %XX decoded. */
static int file_uri(const char *uri, char **dir, ll_err *err)
{
    const char *p = uri + 5;
    if (strncmp(p, "//", 2) == 0) {
        p += 2;
        if (strncmp(p, "localhost/", 10) == 0)
            p += 9;
        else if (*p != '/')
            return ll_err_set(err, LL_EINVAL,
                              "model URI '%s': a file URI names a local "
                              "path (file:///abs/path)",
                              uri);
    }
    ll_buf b;
    ll_buf_init(&b);
    int rc = LL_OK;
    for (; *p && rc == LL_OK; p++) {
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            rc = ll_buf_putc(&b, (char)(hexval((unsigned char)p[1]) * 16 +
                                        hexval((unsigned char)p[2])));
            p += 2;
        } else {
            rc = ll_buf_putc(&b, *p);
        }
    }
    if (rc != LL_OK) {
        ll_buf_free(&b);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    if (b.len == 0 || !is_dir(ll_buf_str(&b))) {
        rc = ll_err_set(err, LL_ENOTFOUND,
                        "model URI '%s': no such directory %s", uri,
                        ll_buf_str(&b));
        ll_buf_free(&b);
        return rc;
    }
    rc = dir_copy(b.data, b.len, dir, err);
    ll_buf_free(&b);
    return rc;
}

static int from_store(const char *uri, const char *tracking_uri, ll_track **t,
                      ll_err *err)
{
    if (*t)
        return LL_OK;
    const char *tu = tracking_uri;
    if (!tu || !*tu)
        tu = getenv("MLFLOW_TRACKING_URI");
    if (!tu || !*tu)
        tu = "sqlite:///mlruns.db";
    char path[PATH_MAX];
    int rc = ll_track_uri_to_path(tu, path, sizeof path, err);
    if (rc != LL_OK)
        return rc;
    if (access(path, F_OK) != 0)
        return ll_err_set(err, LL_ENOTFOUND,
                          "%s: no tracking store at %s (set "
                          "MLFLOW_TRACKING_URI or --tracking-uri)",
                          uri, path);
    rc = ll_track_open_existing(path, t, err);
    if (rc != LL_OK)
        ll_err_prefix(err, "%s", uri);
    return rc;
}

static int resolve(const char *uri, const char *tracking_uri, ll_track **t,
                   int depth, char **dir, ll_err *err)
{
    if (depth > 4)
        return ll_err_set(err, LL_EINVAL,
                          "model URI '%s': registered versions point at each "
                          "other",
                          uri);
    if (strncmp(uri, "file:", 5) == 0)
        return file_uri(uri, dir, err);
    if (strncmp(uri, "runs:/", 6) == 0) {
        const char *id = uri + 6;
        const char *slash = strchr(id, '/');
        if (!slash || slash == id || !slash[1])
            return ll_err_set(err, LL_EINVAL,
                              "model URI '%s': expected runs:/RUN_ID/PATH",
                              uri);
        char run_id[128];
        size_t n = (size_t)(slash - id);
        if (n >= sizeof run_id)
            return ll_err_set(err, LL_EINVAL, "model URI '%s': bad run id",
                              uri);
        memcpy(run_id, id, n);
        run_id[n] = '\0';
        int rc = from_store(uri, tracking_uri, t, err);
        if (rc != LL_OK)
            return rc;
        ll_track_run *run = NULL;
        rc = ll_track_run_get(*t, run_id, &run, err);
        if (rc != LL_OK) {
            ll_err_prefix(err, "model URI '%s'", uri);
            return rc;
        }
        ll_buf b;
        ll_buf_init(&b);
        size_t plen = strlen(slash + 1);
        while (plen > 0 && slash[1 + plen - 1] == '/')
            plen--;
        ll_buf_printf(&b, "%s/%.*s", run->artifact_uri, (int)plen, slash + 1);
        ll_track_run_free(run);
        if (!is_dir(ll_buf_str(&b))) {
            rc = ll_err_set(err, LL_ENOTFOUND,
                            "model URI '%s': the run has no artifact '%.*s'",
                            uri, (int)plen, slash + 1);
            ll_buf_free(&b);
            return rc;
        }
        *dir = ll_buf_take(&b);
        return *dir ? LL_OK : ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    if (strncmp(uri, "models:/", 8) == 0) {
        const char *name = uri + 8;
        size_t n = strcspn(name, "/@");
        if (n == 0 || n >= 256)
            return ll_err_set(err, LL_EINVAL,
                              "model URI '%s': expected models:/NAME/VERSION, "
                              "models:/NAME/STAGE or models:/NAME@ALIAS",
                              uri);
        char nm[256];
        memcpy(nm, name, n);
        nm[n] = '\0';
        const char *rest = name + n;
        int rc = from_store(uri, tracking_uri, t, err);
        if (rc != LL_OK)
            return rc;
        ll_track_model_version v;
        memset(&v, 0, sizeof v);
        if (*rest == '@') {
            rc = ll_track_model_version_by_alias(*t, nm, rest + 1, &v, err);
        } else if (*rest == '\0' || strcmp(rest, "/latest") == 0) {
            rc = ll_track_model_version_latest(*t, nm, NULL, &v, err);
        } else {
            const char *s = rest + 1;
            int digits = *s != '\0';
            for (const char *p = s; *p; p++)
                if (!isdigit((unsigned char)*p))
                    digits = 0;
            if (digits)
                rc = ll_track_model_version_get(*t, nm, atoll(s), &v, err);
            else
                rc = ll_track_model_version_latest(*t, nm, s, &v, err);
        }
        if (rc != LL_OK) {
            ll_err_prefix(err, "model URI '%s'", uri);
            return rc;
        }
        rc = resolve(v.source, tracking_uri, t, depth + 1, dir, err);
        ll_track_model_version_clear(&v);
        return rc;
    }
    if (strstr(uri, "://"))
        return ll_err_set(err, LL_EINVAL,
                          "model URI '%s': unsupported scheme (expected "
                          "models:/, runs:/, file:// or a directory)",
                          uri);
    if (!is_dir(uri))
        return ll_err_set(err, LL_ENOTFOUND,
                          "model URI '%s': no such directory (expected "
                          "models:/NAME/VERSION, models:/NAME@ALIAS, "
                          "runs:/RUN_ID/PATH or a directory)",
                          uri);
    return dir_copy(uri, strlen(uri), dir, err);
}

int ll_track_model_uri_dir(const char *uri, const char *tracking_uri,
                           char **dir, ll_err *err)
{
    *dir = NULL;
    if (!uri || !*uri)
        return ll_err_set(err, LL_EINVAL, "empty model URI");
    ll_track *t = NULL;
    int rc = resolve(uri, tracking_uri, &t, 0, dir, err);
    ll_track_free(t);
    return rc;
}
