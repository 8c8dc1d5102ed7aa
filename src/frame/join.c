/*
 * join: hash joins on one or more key columns.
 *
 * The key columns of both frames are stacked and grouped once (NA keys
 * match each other, as in pandas); each left row then meets the right rows
 * of its group.  Output rows follow the left frame's order, then (right,
 * outer) the unmatched right rows.  Non-key columns present on both sides
 * get the suffixes.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pairs {
    int64_t *a, *b;
    int64_t n, cap;
} pairs;

static int push_pair(pairs *p, int64_t a, int64_t b)
{
    if (p->n == p->cap) {
        int64_t cap = p->cap ? p->cap * 2 : 1024;
        int64_t *na = realloc(p->a, (size_t)cap * sizeof *na);
        if (!na)
            return LL_ENOMEM;
        p->a = na;
        int64_t *nb = realloc(p->b, (size_t)cap * sizeof *nb);
        if (!nb)
            return LL_ENOMEM;
        p->b = nb;
        p->cap = cap;
    }
    p->a[p->n] = a;
    p->b[p->n++] = b;
    return LL_OK;
}

static int is_key(const char *name, const char *const *on, int non)
{
    for (int k = 0; k < non; k++)
        if (!strcmp(name, on[k]))
            return 1;
    return 0;
}

static int add_col(ll_frame *r, const char *name, const char *suffix,
                   ll_column *c, ll_err *err)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", name, suffix ? suffix : "");
    /* c is NULL when taking its rows failed, which filled err */
    int rc = c ? ll_frame_set(r, buf, c, err) : LL_ENOMEM;
    ll_col_unref(c);
    return rc;
}

/* The merged key column `name`: the left value, or the right one for rows
 * only the right frame has. */
static int add_key(ll_frame *r, const ll_frame *keys, const ll_frame *a,
                   const char *const *on, int non, const char *name,
                   const int64_t *kidx, int64_t n, ll_err *err)
{
    (void)on;
    (void)non;
    int k = ll_frame_find(keys, name);
    ll_column *c = ll_col_take(keys->cols[k], kidx, n, err);
    int ia = ll_frame_find(a, name);
    if (c && c->type == LL_STR && a->cols[ia]->type == LL_CAT) {
        ll_column *cat = ll_col_to_category(c, err);
        ll_col_unref(c);
        c = cat;
    }
    return add_col(r, name, NULL, c, err);
}

ll_frame *ll_frame_join(const ll_frame *a, const ll_frame *b,
                        const char *const *on, int non, const char *how,
                        const char *suffix_a, const char *suffix_b, ll_err *err)
{
    int kind = !strcmp(how, "inner")   ? 0
               : !strcmp(how, "left")  ? 1
               : !strcmp(how, "right") ? 2
               : !strcmp(how, "outer") ? 3
                                       : -1;
    if (kind < 0) {
        ll_err_set(err, LL_EINVAL,
                   "join: how must be inner, left, right or outer, got '%s'",
                   how);
        return NULL;
    }
    if (non < 1 || non > 16) {
        ll_err_set(err, LL_EINVAL, "join: 1 to 16 keys, got %d", non);
        return NULL;
    }
    if (kind == 2) {
        /* right = left with the sides swapped, columns put back in
         * left-then-right order (pandas keeps the right frame's order) */
        ll_frame *sw =
            ll_frame_join(b, a, on, non, "left", suffix_b, suffix_a, err);
        if (!sw)
            return NULL;
        ll_frame *out = ll_frame_new(err);
        int ok = out != NULL;
        for (int side = 0; ok && side < 2; side++) {
            const ll_frame *x = side ? b : a, *y = side ? a : b;
            for (int j = 0; ok && j < x->ncol; j++) {
                if (is_key(x->names[j], on, non)) {
                    int i = side ? -1 : ll_frame_find(sw, x->names[j]);
                    ok = i < 0 ||
                         !ll_frame_set(out, x->names[j], sw->cols[i], err);
                    continue;
                }
                char nm[512];
                int clash = ll_frame_find(y, x->names[j]) >= 0;
                snprintf(nm, sizeof nm, "%s%s", x->names[j],
                         clash ? (side ? suffix_b : suffix_a) : "");
                int i = ll_frame_find(sw, nm);
                ok = i >= 0 && !ll_frame_set(out, nm, sw->cols[i], err);
            }
        }
        ll_frame_free(sw);
        if (!ok) {
            ll_frame_free(out);
            return NULL;
        }
        return out;
    }
    ll_frame *keys = ll_frame_new(err);
    ll_frame *r = NULL;
    int64_t *group = NULL, *first = NULL, *start = NULL, *rows = NULL;
    uint8_t *matched = NULL;
    pairs p = {0};
    int64_t *kidx = NULL;
    if (!keys)
        return NULL;
    int keycols[16];
    for (int k = 0; k < non; k++) {
        int ia = ll_frame_col(a, on[k], err);
        if (ia < 0) {
            ll_err_prefix(err, "join: left frame");
            goto fail;
        }
        int ib = ll_frame_col(b, on[k], err);
        if (ib < 0) {
            ll_err_prefix(err, "join: right frame");
            goto fail;
        }
        ll_column *c = ll_col_concat(a->cols[ia], b->cols[ib], err);
        if (!c) {
            ll_err_prefix(err, "join: key '%s'", on[k]);
            goto fail;
        }
        int rc = ll_frame_set(keys, on[k], c, err);
        ll_col_unref(c);
        if (rc)
            goto fail;
        keycols[k] = k;
    }
    int64_t ng;
    if (ll_group_rows(keys, keycols, non, &group, &ng, &first, err))
        goto fail;
    /* right rows by group */
    start = calloc((size_t)ng + 2, sizeof *start);
    rows = malloc((size_t)(b->nrow ? b->nrow : 1) * sizeof *rows);
    matched = calloc((size_t)b->nrow + 1, 1);
    if (!start || !rows || !matched)
        goto oom;
    for (int64_t j = 0; j < b->nrow; j++)
        start[group[a->nrow + j] + 1]++;
    for (int64_t g = 0; g < ng; g++)
        start[g + 1] += start[g];
    {
        int64_t *pos = malloc((size_t)(ng + 1) * sizeof *pos);
        if (!pos)
            goto oom;
        memcpy(pos, start, (size_t)(ng + 1) * sizeof *pos);
        for (int64_t j = 0; j < b->nrow; j++)
            rows[pos[group[a->nrow + j]]++] = j;
        free(pos);
    }
    for (int64_t i = 0; i < a->nrow; i++) {
        int64_t g = group[i];
        if (start[g] == start[g + 1]) {
            if ((kind == 1 || kind == 3) && push_pair(&p, i, -1))
                goto oom;
            continue;
        }
        for (int64_t q = start[g]; q < start[g + 1]; q++) {
            matched[rows[q]] = 1;
            if (push_pair(&p, i, rows[q]))
                goto oom;
        }
    }
    if (kind >= 2)
        for (int64_t j = 0; j < b->nrow; j++)
            if (!matched[j] && push_pair(&p, -1, j))
                goto oom;
    r = ll_frame_new(err);
    if (!r)
        goto fail;
    kidx = malloc((size_t)(p.n ? p.n : 1) * sizeof *kidx);
    if (!kidx)
        goto oom;
    for (int64_t q = 0; q < p.n; q++)
        kidx[q] = p.a[q] >= 0 ? p.a[q] : a->nrow + p.b[q];
    for (int side = 0; side < 2; side++) {
        const ll_frame *x = side ? b : a, *y = side ? a : b;
        const int64_t *idx = side ? p.b : p.a;
        for (int j = 0; j < x->ncol; j++) {
            if (is_key(x->names[j], on, non)) {
                if (side == 0 &&
                    add_key(r, keys, a, on, non, x->names[j], kidx, p.n, err))
                    goto fail;
                continue;
            }
            int clash = ll_frame_find(y, x->names[j]) >= 0;
            ll_column *c = ll_col_take(x->cols[j], idx, p.n, err);
            if (add_col(r, x->names[j],
                        clash ? (side ? suffix_b : suffix_a) : NULL, c, err))
                goto fail;
        }
    }
    free(kidx);
    kidx = NULL;
    r->nrow = p.n;
    if (kind == 3) {
        /* outer joins come sorted by the keys, as in pandas */
        ll_frame *sorted = ll_frame_sort(r, on, NULL, non, err);
        ll_frame_free(r);
        r = sorted;
    }
    goto done;
oom:
    ll_err_set(err, LL_ENOMEM, "out of memory");
fail:
    ll_frame_free(r);
    r = NULL;
done:
    ll_frame_free(keys);
    free(group);
    free(first);
    free(start);
    free(rows);
    free(matched);
    free(kidx);
    free(p.a);
    free(p.b);
    return r;
}
