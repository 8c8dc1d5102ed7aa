/*
 * cmd_gen: `lualab gen NAME [--out FILE] [--seed N] [--rows N]
 * [--batteries N] [--days N]` writes one of the lab's data sets as CSV to
 * FILE (atomically) or to stdout.  Exit 0, 1 on a failure, 2 on bad usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/generators.h"
#include "util/fsutil.h"

int ll_cmd_gen(int argc, char **argv);

static const char gen_usage[] =
    "usage: lualab gen NAME [--out FILE] [--seed N] [--rows N] "
    "[--batteries N] [--days N]\n"
    "  NAME: daily-battery-time-series | battery-fleet-telemetry | "
    "connected-car-components\n";

static int gen_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int gen_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lualab gen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nsee lualab gen --help\n");
    va_end(ap);
    return 2;
}

/* Parse a whole non-negative decimal; -1 when it is not one. */
static long long parse_count(const char *s)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE || v > (unsigned long long)0x7fffffff * 4)
        return -1;
    return (long long)v;
}

int ll_cmd_gen(int argc, char **argv)
{
    ll_gen_opts o;
    const char *name = NULL, *out = NULL;
    ll_gen_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(gen_usage, stdout);
            return 0;
        }
        if (strcmp(a, "--out") == 0 || strcmp(a, "--seed") == 0 ||
            strcmp(a, "--rows") == 0 || strcmp(a, "--batteries") == 0 ||
            strcmp(a, "--days") == 0) {
            if (i + 1 >= argc)
                return gen_usage_error("%s needs an argument", a);
            const char *v = argv[++i];
            if (strcmp(a, "--out") == 0) {
                out = v;
                continue;
            }
            long long n = parse_count(v);
            if (n < 0 || (n == 0 && strcmp(a, "--seed") != 0)) {
                return gen_usage_error(
                    "%s needs a %s integer, got '%s'", a,
                    strcmp(a, "--seed") == 0 ? "non-negative" : "positive", v);
            }
            if (strcmp(a, "--seed") == 0)
                o.seed = (uint64_t)n;
            else if (strcmp(a, "--rows") == 0)
                o.rows = (long)n;
            else if (n > 1000000)
                return gen_usage_error("%s is at most 1000000", a);
            else if (strcmp(a, "--batteries") == 0)
                o.batteries = (int)n;
            else
                o.days = (int)n;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
            return gen_usage_error("unknown option '%s'", a);
        if (name)
            return gen_usage_error("unexpected argument '%s'", a);
        name = a;
    }
    if (!name)
        return gen_usage_error("%s", "needs a data set NAME");
    int known = 0;
    for (int i = 0; ll_gen_names[i]; i++)
        known |= strcmp(ll_gen_names[i], name) == 0;
    if (!known)
        return gen_usage_error("unknown data set '%s'", name);

    ll_buf csv;
    ll_err err;
    long rows = 0;
    int rc;
    ll_buf_init(&csv);
    rc = ll_gen_csv(name, &o, &csv, &rows, &err);
    if (rc == LL_OK) {
        if (out) {
            rc = ll_write_file_atomic(out, csv.data, csv.len, &err);
            if (rc == LL_OK)
                fprintf(stderr, "lualab gen: wrote %ld rows to %s\n", rows,
                        out);
        } else if (fwrite(ll_buf_str(&csv), 1, csv.len, stdout) != csv.len ||
                   fflush(stdout) != 0) {
            rc = ll_err_set(&err, LL_EIO, "writing to stdout: %s",
                            strerror(errno));
        }
    }
    ll_buf_free(&csv);
    if (rc != LL_OK) {
        fprintf(stderr, "lualab gen: %s\n", err.msg);
        return 1;
    }
    return 0;
}
