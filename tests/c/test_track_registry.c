/* Tests for track/registry.c: versions, stages, aliases, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track/track.h"
#include "track/view.h"
#include "util/buf.h"
#include "util/fsutil.h"

typedef struct fx {
    char dir[64];
    ll_track *t;
    char run[33];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ll-reg-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char db[128];
    snprintf(db, sizeof db, "%s/r.db", f->dir);
    ll_err err;
    if (ll_track_open(db, NULL, &f->t, &err) != LL_OK ||
        ll_track_run_create(f->t, 0, "train", "u", "s", 1, f->run, &err) !=
            LL_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ll_track_free(f->t);
    ll_remove_tree(f->dir, NULL);
    free(f);
    return 0;
}

static void test_versions_are_sequential(void **state)
{
    fx *f = *state;
    ll_err err;
    long long v;
    char src[64];
    snprintf(src, sizeof src, "runs:/%s/model", f->run);
    for (long long want = 1; want <= 3; want++) {
        assert_int_equal(ll_track_model_version_create(f->t, "battery", src,
                                                       f->run, &v, &err),
                         LL_OK);
        assert_int_equal(v, want);
    }
    assert_int_equal(
        ll_track_model_version_create(f->t, "other", "/x", NULL, &v, &err),
        LL_OK);
    assert_int_equal(v, 1);
    ll_track_model_version mv;
    assert_int_equal(ll_track_model_version_get(f->t, "battery", 2, &mv, &err),
                     LL_OK);
    assert_string_equal(mv.source, src);
    assert_string_equal(mv.run_id, f->run);
    assert_string_equal(mv.stage, "None");
    assert_string_equal(mv.status, "READY");
    ll_track_model_version_clear(&mv);
    assert_int_equal(ll_track_model_version_get(f->t, "battery", 9, &mv, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "model 'battery' has no version 9");
    assert_int_equal(ll_track_model_version_get(f->t, "nope", 1, &mv, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "registered model 'nope' not found");
    assert_int_equal(ll_track_model_create(f->t, "battery", 0, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "registered model 'battery' already exists");
    assert_int_equal(ll_track_model_create(f->t, "a/b", 1, &err), LL_EINVAL);
    assert_string_equal(err.msg, "invalid registered model name 'a/b': it "
                                 "must not contain '/', '\\' or '%'");
}

static void test_stages_and_aliases(void **state)
{
    fx *f = *state;
    ll_err err;
    long long v;
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            ll_track_model_version_create(f->t, "m", "/src", NULL, &v, &err),
            LL_OK);
    assert_int_equal(
        ll_track_model_version_stage(f->t, "m", 1, "production", 0, &err),
        LL_OK);
    assert_int_equal(
        ll_track_model_version_stage(f->t, "m", 2, "Production", 1, &err),
        LL_OK);
    ll_track_model_version mv;
    assert_int_equal(ll_track_model_version_get(f->t, "m", 1, &mv, &err),
                     LL_OK);
    assert_string_equal(mv.stage, "Archived");
    ll_track_model_version_clear(&mv);
    assert_int_equal(
        ll_track_model_version_latest(f->t, "m", "Production", &mv, &err),
        LL_OK);
    assert_int_equal(mv.version, 2);
    ll_track_model_version_clear(&mv);
    assert_int_equal(ll_track_model_version_latest(f->t, "m", NULL, &mv, &err),
                     LL_OK);
    assert_int_equal(mv.version, 3);
    ll_track_model_version_clear(&mv);
    assert_int_equal(
        ll_track_model_version_latest(f->t, "m", "Staging", &mv, &err),
        LL_ENOTFOUND);
    assert_string_equal(err.msg, "model 'm' has no version in stage Staging");
    assert_int_equal(
        ll_track_model_version_stage(f->t, "m", 3, "Live", 0, &err), LL_EINVAL);
    assert_string_equal(err.msg, "unknown stage 'Live' (expected None, "
                                 "Staging, Production or Archived)");
    assert_int_equal(
        ll_track_model_version_stage(f->t, "m", 3, "None", 1, &err), LL_EINVAL);
    /* aliases move between versions */
    assert_int_equal(ll_track_model_alias_set(f->t, "m", "champion", 2, &err),
                     LL_OK);
    assert_int_equal(
        ll_track_model_version_by_alias(f->t, "m", "champion", &mv, &err),
        LL_OK);
    assert_int_equal(mv.version, 2);
    assert_int_equal(mv.n_aliases, 1);
    ll_track_model_version_clear(&mv);
    assert_int_equal(ll_track_model_alias_set(f->t, "m", "champion", 3, &err),
                     LL_OK);
    assert_int_equal(
        ll_track_model_version_by_alias(f->t, "m", "champion", &mv, &err),
        LL_OK);
    assert_int_equal(mv.version, 3);
    ll_track_model_version_clear(&mv);
    assert_int_equal(ll_track_model_alias_set(f->t, "m", "v2", 2, &err),
                     LL_EINVAL);
    assert_string_equal(err.msg, "alias 'v2' is reserved (v<number> names a "
                                 "version)");
    assert_int_equal(ll_track_model_alias_set(f->t, "m", "x", 7, &err),
                     LL_ENOTFOUND);
    assert_string_equal(err.msg, "model 'm' has no version 7");
    assert_int_equal(ll_track_model_alias_delete(f->t, "m", "champion", &err),
                     LL_OK);
    assert_int_equal(
        ll_track_model_version_by_alias(f->t, "m", "champion", &mv, &err),
        LL_ENOTFOUND);
    assert_string_equal(err.msg, "model 'm' has no alias 'champion'");
    ll_track_model *models;
    size_t n;
    assert_int_equal(ll_track_model_list(f->t, &models, &n, &err), LL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(models[0].latest_version, 3);
    ll_track_models_free(models, n);
    ll_buf out;
    ll_buf_init(&out);
    assert_int_equal(ll_track_view_models(f->t, &out, &err), LL_OK);
    assert_non_null(strstr(out.data, "model  version  stage"));
    assert_non_null(strstr(out.data, "Production"));
    ll_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_versions_are_sequential, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stages_and_aliases, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
