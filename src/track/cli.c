/*
 * cli: `lualab runs ...` and `lualab models`, the terminal views of the
 * tracking store.  The database is MLFLOW_TRACKING_URI (sqlite:///PATH)
 * or ./mlruns.db, or the one given with --tracking-uri URI.  Every
 * command only reads the store: it is opened read-only and never created.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/track.h"
#include "track/view.h"
#include "util/buf.h"

int ll_cmd_runs(int argc, char **argv);
int ll_cmd_models(int argc, char **argv);

static const char runs_usage[] =
    "usage: lualab runs [--tracking-uri URI]             list experiments\n"
    "       lualab runs list [-e EXPERIMENT]              list runs\n"
    "       lualab runs show RUN                          one run\n"
    "       lualab runs compare RUN RUN...                runs side by side\n"
    "       lualab runs export --mlflow DIR               MLflow file store\n"
    "RUN is a run id, a unique prefix of one (6+ hex digits) or a run "
    "name.\n";

/* "lualab: <what><arg>" and where the usage is, as the other commands
 * report a usage error (one line, then "see lualab CMD --help"); exit 2. */
static int usage_error(const char *usage, const char *what, const char *arg)
{
    fprintf(stderr, "lualab: %s%s\nsee lualab %s --help\n", what, arg,
            strstr(usage, "lualab models") ? "models" : "runs");
    return 2;
}

/* --help or -h anywhere: the usage on stdout (before the store is opened,
 * so it works without one). */
static int wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        }
    return 0;
}

/* Strip --tracking-uri URI from argv; open the store. */
static int open_store(int *argc, char **argv, const char *usage, ll_track **t)
{
    const char *uri = getenv("MLFLOW_TRACKING_URI");
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--tracking-uri") == 0) {
            if (i + 1 >= *argc)
                return usage_error(usage, "a URI must follow ", argv[i]);
            uri = argv[++i];
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    if (!uri || !*uri)
        uri = "sqlite:///mlruns.db";
    char path[4096];
    ll_err err;
    if (ll_track_uri_to_path(uri, path, sizeof path, &err) != LL_OK ||
        ll_track_open_existing(path, t, &err) != LL_OK) {
        fprintf(stderr, "lualab: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int finish(ll_track *t, int rc, const ll_err *err, ll_buf *out)
{
    if (rc == LL_OK)
        fputs(ll_buf_str(out), stdout);
    else
        fprintf(stderr, "lualab: %s\n", err->msg);
    ll_buf_free(out);
    ll_track_free(t);
    return rc == LL_OK ? 0 : 1;
}

int ll_cmd_runs(int argc, char **argv)
{
    ll_track *t = NULL;
    if (wants_help(argc, argv, runs_usage))
        return 0;
    int code = open_store(&argc, argv, runs_usage, &t);
    if (code != 0)
        return code;
    ll_buf out;
    ll_buf_init(&out);
    ll_err err;
    int rc;
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub) {
        rc = ll_track_view_experiments(t, &out, &err);
    } else if (strcmp(sub, "list") == 0) {
        const char *exp = NULL;
        for (int i = 2; i < argc; i++) {
            if ((strcmp(argv[i], "-e") == 0 ||
                 strcmp(argv[i], "--experiment") == 0) &&
                i + 1 < argc) {
                exp = argv[++i];
            } else {
                ll_track_free(t);
                return usage_error(runs_usage,
                                   "runs list: unexpected argument ", argv[i]);
            }
        }
        rc = ll_track_view_runs(t, exp, &out, &err);
    } else if (strcmp(sub, "show") == 0) {
        if (argc != 3) {
            ll_track_free(t);
            return usage_error(runs_usage, "runs show: expected one RUN", "");
        }
        rc = ll_track_view_run(t, argv[2], 100, &out, &err);
    } else if (strcmp(sub, "compare") == 0) {
        if (argc < 4 || argc > 8) {
            ll_track_free(t);
            return usage_error(runs_usage, "runs compare: expected 2 to 6 runs",
                               "");
        }
        rc = ll_track_view_compare(t, (const char *const *)argv + 2,
                                   (size_t)argc - 2, 100, &out, &err);
    } else if (strcmp(sub, "export") == 0) {
        if (argc != 4 || strcmp(argv[2], "--mlflow") != 0) {
            ll_track_free(t);
            return usage_error(runs_usage, "runs export: expected --mlflow DIR",
                               "");
        }
        rc = ll_track_export_mlflow(t, argv[3], &err);
        if (rc == LL_OK)
            ll_buf_printf(&out, "exported to %s (MLflow file store)\n",
                          argv[3]);
    } else {
        ll_track_free(t);
        return usage_error(runs_usage, "runs: unknown command ", sub);
    }
    return finish(t, rc, &err, &out);
}

static const char models_usage[] =
    "usage: lualab models [--tracking-uri URI]   registered models and "
    "versions\n";

int ll_cmd_models(int argc, char **argv)
{
    ll_track *t = NULL;
    if (wants_help(argc, argv, models_usage))
        return 0;
    int code = open_store(&argc, argv, models_usage, &t);
    if (code != 0)
        return code;
    if (argc > 1) {
        ll_track_free(t);
        return usage_error(models_usage, "models: unexpected argument ",
                           argv[1]);
    }
    ll_buf out;
    ll_buf_init(&out);
    ll_err err;
    int rc = ll_track_view_models(t, &out, &err);
    return finish(t, rc, &err, &out);
}
