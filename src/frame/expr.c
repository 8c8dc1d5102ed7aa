/*
 * expr: the small vectorised expression language of filter() and
 * mutate(): column names (or `quoted names`), numbers, 'strings', true,
 * false, + - * / %, unary -, == != ~= < <= > >=, and, or, not,
 * parentheses and the functions isna notna abs log exp sqrt.  Evaluated
 * while parsing (recursive descent), one whole column per operation.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"
#include "frame/frame_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V_COL, V_NUM, V_STR, V_BOOL };

typedef struct val {
    int kind;
    ll_column *c;
    double x;
    char s[256];
} val;

typedef struct parser {
    const ll_frame *f;
    const char *src, *p;
    ll_err *err;
    int failed;
} parser;

static void vfree(val *v)
{
    if (v->kind == V_COL)
        ll_col_unref(v->c);
    v->c = NULL;
}

static int fail(parser *ps, const char *what)
{
    if (!ps->failed)
        ll_err_set(ps->err, LL_EINVAL, "expression '%s': %s at position %d",
                   ps->src, what, (int)(ps->p - ps->src) + 1);
    ps->failed = 1;
    return -1;
}

static void skip_ws(parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int accept_word(parser *ps, const char *w)
{
    skip_ws(ps);
    size_t n = strlen(w);
    if (!strncmp(ps->p, w, n) && !isalnum((unsigned char)ps->p[n]) &&
        ps->p[n] != '_') {
        ps->p += n;
        return 1;
    }
    return 0;
}

static int accept(parser *ps, const char *tok)
{
    skip_ws(ps);
    size_t n = strlen(tok);
    if (!strncmp(ps->p, tok, n)) {
        ps->p += n;
        return 1;
    }
    return 0;
}

/* A constant bool mask of the frame's length. */
static ll_column *const_mask(const ll_frame *f, int b, ll_err *err)
{
    ll_column *m = ll_col_new(LL_BOOL, f->nrow, err);
    if (m)
        memset(m->data, b ? 1 : 0, (size_t)f->nrow);
    return m;
}

static int to_col(parser *ps, val *v)
{
    if (v->kind == V_COL)
        return 0;
    if (v->kind == V_BOOL) {
        v->c = const_mask(ps->f, v->x != 0, ps->err);
    } else if (v->kind == V_NUM) {
        v->c = ll_col_new(LL_FLOAT, ps->f->nrow, ps->err);
        if (v->c)
            for (int64_t i = 0; i < ps->f->nrow; i++)
                LL_F64(v->c)[i] = v->x;
    } else {
        return fail(ps, "a string cannot stand alone here");
    }
    if (!v->c) {
        ll_err_prefix(ps->err, "expression '%s'", ps->src);
        ps->failed = 1;
        return -1;
    }
    v->kind = V_COL;
    return 0;
}

static int parse_or(parser *ps, val *out);

static int parse_primary(parser *ps, val *out)
{
    skip_ws(ps);
    memset(out, 0, sizeof *out);
    const char *p = ps->p;
    if (*p == '(') {
        ps->p++;
        if (parse_or(ps, out))
            return -1;
        if (!accept(ps, ")")) {
            vfree(out);
            return fail(ps, "expected ')'");
        }
        return 0;
    }
    if (isdigit((unsigned char)*p) ||
        (*p == '.' && isdigit((unsigned char)p[1]))) {
        char *end;
        out->kind = V_NUM;
        out->x = strtod(p, &end);
        ps->p = end;
        return 0;
    }
    if (*p == '\'' || *p == '"') {
        char q = *p++;
        const char *e = strchr(p, q);
        if (!e)
            return fail(ps, "unterminated string");
        size_t n = (size_t)(e - p);
        if (n >= sizeof out->s)
            return fail(ps, "string too long");
        memcpy(out->s, p, n);
        out->s[n] = 0;
        out->kind = V_STR;
        ps->p = e + 1;
        return 0;
    }
    char name[256];
    size_t n = 0;
    if (*p == '`') {
        const char *e = strchr(p + 1, '`');
        if (!e)
            return fail(ps, "unterminated `name`");
        n = (size_t)(e - p - 1);
        if (n >= sizeof name)
            return fail(ps, "name too long");
        memcpy(name, p + 1, n);
        ps->p = e + 1;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
        while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '.')
            n++;
        if (n >= sizeof name)
            return fail(ps, "name too long");
        memcpy(name, p, n);
        ps->p = p + n;
    } else {
        return fail(ps, *p ? "unexpected character" : "unexpected end");
    }
    name[n] = 0;
    if (*p != '`') {
        if (!strcmp(name, "true") || !strcmp(name, "false")) {
            out->kind = V_BOOL;
            out->x = name[0] == 't';
            return 0;
        }
        static const char *const fns[] = {"isna", "notna", "abs", "log",
                                          "exp",  "sqrt",  NULL};
        for (int k = 0; fns[k]; k++) {
            if (strcmp(name, fns[k]))
                continue;
            if (!accept(ps, "("))
                return fail(ps, "expected '(' after function name");
            val arg;
            if (parse_or(ps, &arg))
                return -1;
            if (!accept(ps, ")")) {
                vfree(&arg);
                return fail(ps, "expected ')'");
            }
            if (arg.kind == V_NUM && k >= 2) {
                out->kind = V_NUM;
                out->x = k == 2   ? fabs(arg.x)
                         : k == 3 ? log(arg.x)
                         : k == 4 ? exp(arg.x)
                                  : sqrt(arg.x);
                return 0;
            }
            if (arg.kind != V_COL)
                return fail(ps, "function needs a column");
            out->kind = V_COL;
            out->c = k < 2 ? ll_col_isna_mask(arg.c, k == 0, ps->err)
                           : ll_col_math(arg.c, fns[k], ps->err);
            vfree(&arg);
            if (!out->c) {
                ps->failed = 1;
                return -1;
            }
            return 0;
        }
    }
    int i = ll_frame_col(ps->f, name, ps->err);
    if (i < 0) {
        ps->failed = 1;
        return -1;
    }
    out->kind = V_COL;
    out->c = ll_col_ref(ps->f->cols[i]);
    return 0;
}

/* The result r of a column op becomes *v (already freed); NULL fails the
 * parse (the op has set ps->err). */
static int set_col(parser *ps, val *v, ll_column *r)
{
    if (!r) {
        ps->failed = 1;
        return -1;
    }
    v->kind = V_COL;
    v->c = r;
    return 0;
}

static int parse_unary(parser *ps, val *out)
{
    if (accept(ps, "-")) {
        if (parse_unary(ps, out))
            return -1;
        if (out->kind == V_NUM) {
            out->x = -out->x;
            return 0;
        }
        if (out->kind != V_COL)
            return fail(ps, "'-' needs a number");
        ll_column *r = ll_col_neg(out->c, ps->err);
        vfree(out);
        return set_col(ps, out, r);
    }
    return parse_primary(ps, out);
}

static int arith(parser *ps, val *a, val *b, char op)
{
    if (a->kind == V_NUM && b->kind == V_NUM) {
        a->x = op == '+'   ? a->x + b->x
               : op == '-' ? a->x - b->x
               : op == '*' ? a->x * b->x
               : op == '/' ? a->x / b->x
                           : fmod(a->x, b->x);
        return 0;
    }
    ll_column *r = NULL;
    if (a->kind == V_COL && b->kind == V_COL)
        r = ll_col_arith(a->c, b->c, op, ps->err);
    else if (a->kind == V_COL && b->kind == V_NUM)
        r = ll_col_arith_scalar(a->c, b->x, op, 0, ps->err);
    else if (a->kind == V_NUM && b->kind == V_COL)
        r = ll_col_arith_scalar(b->c, a->x, op, 1, ps->err);
    else {
        vfree(a);
        vfree(b);
        return fail(ps, "arithmetic needs numbers or columns");
    }
    vfree(a);
    vfree(b);
    return set_col(ps, a, r);
}

typedef int (*parse_fn)(parser *ps, val *out);

/* A left-associative chain: operand (op operand)*, where op is one of the
 * single characters in ops. */
static int parse_arith_chain(parser *ps, val *out, parse_fn operand,
                             const char *ops)
{
    if (operand(ps, out))
        return -1;
    for (;;) {
        skip_ws(ps);
        char op = *ps->p;
        if (!op || !strchr(ops, op))
            return 0;
        ps->p++;
        val b;
        if (operand(ps, &b)) {
            vfree(out);
            return -1;
        }
        if (arith(ps, out, &b, op))
            return -1;
    }
}

static int parse_mul(parser *ps, val *out)
{
    return parse_arith_chain(ps, out, parse_unary, "*/%");
}

static int parse_add(parser *ps, val *out)
{
    return parse_arith_chain(ps, out, parse_mul, "+-");
}

static const char *flip(const char *op)
{
    if (!strcmp(op, "<"))
        return ">";
    if (!strcmp(op, ">"))
        return "<";
    if (!strcmp(op, "<="))
        return ">=";
    if (!strcmp(op, ">="))
        return "<=";
    return op;
}

static int parse_cmp(parser *ps, val *out)
{
    if (parse_add(ps, out))
        return -1;
    static const char *const ops[] = {
        "==", "!=", "~=", "<=", ">=", "<", ">", NULL};
    const char *op = NULL;
    for (int k = 0; ops[k]; k++)
        if (accept(ps, ops[k])) {
            op = ops[k];
            break;
        }
    if (!op)
        return 0;
    val b;
    if (parse_add(ps, &b)) {
        vfree(out);
        return -1;
    }
    val *col = out, *other = &b;
    const char *use = op;
    if (out->kind != V_COL && b.kind == V_COL) {
        col = &b;
        other = out;
        use = flip(op);
    }
    ll_column *r = NULL;
    if (col->kind != V_COL) {
        vfree(out);
        vfree(&b);
        return fail(ps, "a comparison needs a column");
    }
    if (other->kind == V_COL)
        r = ll_col_cmp(col->c, other->c, use, ps->err);
    else if (other->kind == V_STR)
        r = ll_col_cmp_str(col->c, other->s, use, ps->err);
    else
        r = ll_col_cmp_num(col->c, other->x, use, ps->err);
    vfree(out);
    vfree(&b);
    return set_col(ps, out, r);
}

static int parse_not(parser *ps, val *out)
{
    if (accept_word(ps, "not")) {
        if (parse_not(ps, out))
            return -1;
        if (out->kind == V_BOOL) {
            out->x = !out->x;
            return 0;
        }
        if (to_col(ps, out))
            return -1;
        ll_column *r = ll_col_not(out->c, ps->err);
        vfree(out);
        return set_col(ps, out, r);
    }
    return parse_cmp(ps, out);
}

static int logic(parser *ps, val *a, val *b, char op)
{
    if (to_col(ps, a) || to_col(ps, b)) {
        vfree(a);
        vfree(b);
        return -1;
    }
    ll_column *r = ll_col_logic(a->c, b->c, op, ps->err);
    vfree(a);
    vfree(b);
    return set_col(ps, a, r);
}

/* A left-associative chain: operand ((word | sym) operand)*, where sym is
 * the one-character operator symbol passed on to logic(). */
static int parse_logic_chain(parser *ps, val *out, parse_fn operand,
                             const char *word, const char *sym)
{
    if (operand(ps, out))
        return -1;
    while (accept_word(ps, word) || accept(ps, sym)) {
        val b;
        if (operand(ps, &b)) {
            vfree(out);
            return -1;
        }
        if (logic(ps, out, &b, sym[0]))
            return -1;
    }
    return 0;
}

static int parse_and(parser *ps, val *out)
{
    return parse_logic_chain(ps, out, parse_not, "and", "&");
}

static int parse_or(parser *ps, val *out)
{
    return parse_logic_chain(ps, out, parse_and, "or", "|");
}

ll_column *ll_frame_eval(const ll_frame *f, const char *expr, ll_err *err)
{
    parser ps = {f, expr, expr, err, 0};
    val v;
    if (parse_or(&ps, &v))
        return NULL;
    skip_ws(&ps);
    if (*ps.p) {
        vfree(&v);
        fail(&ps, "unexpected text");
        return NULL;
    }
    if (v.kind != V_COL && to_col(&ps, &v))
        return NULL;
    return v.c;
}
