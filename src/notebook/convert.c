/*
 * convert: `lualab convert IN OUT`, between the percent .lua format and
 * .ipynb (and from .md).  The formats follow the file extensions.
 * Exit codes: 0 ok, 1 the output could not be written, 2 usage or parse
 * error.
 */
#include "config.h"

#include "frontends.h"
#include "notebook/notebook.h"
#include "util/fsutil.h"

#include <stdio.h>
#include <string.h>

int ll_cmd_convert(int argc, char **argv);
extern const char ll_cmd_convert_help[];
const char ll_cmd_convert_help[] =
    "convert IN OUT\tconvert between .lua (percent), .ipynb and .md";

int ll_cmd_convert(int argc, char **argv)
{
    const char *why = NULL;
    if (argc != 3)
        why = argc < 3 ? "convert needs an input and an output file"
                       : "convert takes two files";
    else if (strcmp(ll_path_ext(argv[2]), "lua") != 0 &&
             strcmp(ll_path_ext(argv[2]), "ipynb") != 0 &&
             strcmp(ll_path_ext(argv[2]), "md") != 0)
        why = "convert writes .lua, .ipynb or .md files";
    if (why) {
        fprintf(stderr, "lualab: %s\n", why);
        ll_usage_hint(stderr);
        return 2;
    }
    ll_err err;
    ll_err_clear(&err);
    ll_notebook *nb = NULL;
    if (ll_notebook_read(argv[1], &nb, &err) != LL_OK) {
        fprintf(stderr, "lualab: %s\n", err.msg);
        if (err.code == LL_ENOTFOUND || err.code == LL_EINVAL)
            ll_usage_hint(stderr);
        return 2;
    }
    int rc = ll_notebook_write(nb, argv[2], &err);
    ll_notebook_free(nb);
    if (rc != LL_OK) {
        fprintf(stderr, "lualab: %s\n", err.msg);
        return 1;
    }
    return 0;
}
