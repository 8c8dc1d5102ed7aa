/* column_ops: operations on columns (see column.h): arithmetic and math
 * functions, comparisons and masks, reductions, string and date
 * functions.  Each builds a new column; NA propagates. */
#define _POSIX_C_SOURCE 200809L
#include "frame/column.h"
#include "frame/frame_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- arithmetic --- */

static int num_or_date(const ll_column *c)
{
    return ll_col_is_numeric(c) || c->type == LL_DATE || c->type == LL_DATETIME;
}

static double apply_op(double x, double y, char op)
{
    switch (op) {
    case '+':
        return x + y;
    case '-':
        return x - y;
    case '*':
        return x * y;
    case '/':
        return x / y;
    default: {
        double m = fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0)))
            m += y;
        return m;
    }
    }
}

static int iop(int64_t x, int64_t y, char op, int64_t *out)
{
    switch (op) {
    case '+':
        return !__builtin_add_overflow(x, y, out);
    case '-':
        return !__builtin_sub_overflow(x, y, out);
    case '*':
        return !__builtin_mul_overflow(x, y, out);
    default:
        if (y == 0 || (x == INT64_MIN && y == -1))
            return 0;
        *out = x % y;
        if (*out != 0 && ((*out < 0) != (y < 0)))
            *out += y;
        return 1;
    }
}

/* Result type of a op b for numeric/date operands. */
static int arith_type(ll_dtype a, ll_dtype b, char op, ll_dtype *out)
{
    int adt = a == LL_DATE || a == LL_DATETIME;
    int bdt = b == LL_DATE || b == LL_DATETIME;
    if (adt || bdt) {
        if (adt && bdt && a == b && op == '-') {
            *out = LL_INT;
            return 1;
        }
        if (adt && !bdt && (op == '+' || op == '-') &&
            (b == LL_INT || b == LL_BOOL)) {
            *out = a;
            return 1;
        }
        if (bdt && !adt && op == '+' && (a == LL_INT || a == LL_BOOL)) {
            *out = b;
            return 1;
        }
        return 0;
    }
    if (op != '/' && a != LL_FLOAT && b != LL_FLOAT)
        *out = LL_INT;
    else
        *out = LL_FLOAT;
    return 1;
}

static int64_t ival(const ll_column *c, int64_t i)
{
    switch (c->type) {
    case LL_BOOL:
        return LL_U8(c)[i];
    case LL_DATE:
        return LL_I32(c)[i];
    default:
        return LL_I64(c)[i];
    }
}

static ll_column *arith(const ll_column *a, const ll_column *b, double x,
                        int scalar_left, char op, ll_err *err)
{
    ll_dtype bt =
        b ? b->type : (x == floor(x) && fabs(x) < 9e15 ? LL_INT : LL_FLOAT);
    ll_dtype t;
    if (!num_or_date(a) || (b && !num_or_date(b)) ||
        !(scalar_left ? arith_type(bt, a->type, op, &t)
                      : arith_type(a->type, bt, op, &t))) {
        ll_err_set(err, LL_EINVAL, "cannot apply '%c' to %s and %s", op,
                   ll_dtype_name(scalar_left ? bt : a->type),
                   ll_dtype_name(scalar_left ? a->type : bt));
        return NULL;
    }
    if (b && b->len != a->len) {
        ll_err_set(err, LL_EINVAL,
                   "columns of different lengths (%lld and %lld)",
                   (long long)a->len, (long long)b->len);
        return NULL;
    }
    ll_column *r = ll_col_new(t, a->len, err);
    if (!r)
        return NULL;
    int64_t xi = (int64_t)x;
    int fast = !a->valid && (!b || !b->valid);
    if (fast && t == LL_FLOAT && a->type == LL_FLOAT &&
        (!b || b->type == LL_FLOAT) && op != '%') {
        const double *pa = LL_F64(a), *pb = b ? LL_F64(b) : NULL;
        double *pr = LL_F64(r);
        for (int64_t i = 0; i < a->len; i++) {
            double u = pa[i], v = pb ? pb[i] : x;
            if (scalar_left) {
                double s = u;
                u = v;
                v = s;
            }
            pr[i] = op == '+'   ? u + v
                    : op == '-' ? u - v
                    : op == '*' ? u * v
                                : u / v;
        }
        return r;
    }
    for (int64_t i = 0; i < a->len; i++) {
        if (ll_col_isna(a, i) || (b && ll_col_isna(b, i))) {
            if (ll_col_set_na(r, i))
                goto oom;
            continue;
        }
        if (t == LL_FLOAT) {
            double u = ll_col_num(a, i), v = b ? ll_col_num(b, i) : x;
            LL_F64(r)
            [i] = scalar_left ? apply_op(v, u, op) : apply_op(u, v, op);
        } else {
            int64_t u = ival(a, i), v = b ? ival(b, i) : xi, out;
            if (scalar_left) {
                int64_t s = u;
                u = v;
                v = s;
            }
            if (!iop(u, v, op, &out)) {
                if (ll_col_set_na(r, i))
                    goto oom;
                continue;
            }
            if (t == LL_DATE)
                LL_I32(r)[i] = (int32_t)out;
            else
                LL_I64(r)[i] = out;
        }
    }
    ll_col_finish(r);
    return r;
oom:
    ll_col_unref(r);
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

ll_column *ll_col_arith(const ll_column *a, const ll_column *b, char op,
                        ll_err *err)
{
    return arith(a, b, 0, 0, op, err);
}

ll_column *ll_col_arith_scalar(const ll_column *a, double x, char op,
                               int scalar_left, ll_err *err)
{
    return arith(a, NULL, x, scalar_left, op, err);
}

ll_column *ll_col_neg(const ll_column *a, ll_err *err)
{
    if (!ll_col_is_numeric(a)) {
        ll_err_set(err, LL_EINVAL, "cannot negate a %s column",
                   ll_dtype_name(a->type));
        return NULL;
    }
    return arith(a, NULL, -1, 0, '*', err);
}

ll_column *ll_col_math(const ll_column *a, const char *fn, ll_err *err)
{
    if (!ll_col_is_numeric(a)) {
        ll_err_set(err, LL_EINVAL, "%s() needs a numeric column, got %s", fn,
                   ll_dtype_name(a->type));
        return NULL;
    }
    if (!strcmp(fn, "abs") && a->type == LL_INT) {
        ll_column *r = ll_col_new(LL_INT, a->len, err);
        if (!r)
            return NULL;
        for (int64_t i = 0; i < a->len; i++) {
            if (ll_col_isna(a, i))
                ll_col_set_na(r, i);
            else
                LL_I64(r)[i] = llabs(LL_I64(a)[i]);
        }
        return r;
    }
    double (*f)(double) = !strcmp(fn, "abs")    ? fabs
                          : !strcmp(fn, "log")  ? log
                          : !strcmp(fn, "exp")  ? exp
                          : !strcmp(fn, "sqrt") ? sqrt
                                                : NULL;
    if (!f) {
        ll_err_set(err, LL_EINVAL, "unknown function '%s'", fn);
        return NULL;
    }
    ll_column *r = ll_col_new(LL_FLOAT, a->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < a->len; i++) {
        if (ll_col_isna(a, i)) {
            if (ll_col_set_na(r, i)) {
                ll_col_unref(r);
                return NULL;
            }
        } else {
            LL_F64(r)[i] = f(ll_col_num(a, i));
        }
    }
    return r;
}

/* --- comparisons and masks --- */

static int cmp_code(const char *op)
{
    if (!strcmp(op, "=="))
        return 0;
    if (!strcmp(op, "!=") || !strcmp(op, "~="))
        return 1;
    if (!strcmp(op, "<"))
        return 2;
    if (!strcmp(op, "<="))
        return 3;
    if (!strcmp(op, ">"))
        return 4;
    if (!strcmp(op, ">="))
        return 5;
    return -1;
}

static int cmp_result(int c, int code)
{
    switch (code) {
    case 0:
        return c == 0;
    case 1:
        return c != 0;
    case 2:
        return c < 0;
    case 3:
        return c <= 0;
    case 4:
        return c > 0;
    default:
        return c >= 0;
    }
}

static int strcmp_n(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

ll_column *ll_col_cmp(const ll_column *a, const ll_column *b, const char *op,
                      ll_err *err)
{
    int code = cmp_code(op);
    int astr = a->type == LL_STR || a->type == LL_CAT;
    int bstr = b->type == LL_STR || b->type == LL_CAT;
    if (code < 0 || astr != bstr) {
        ll_err_set(err, LL_EINVAL, "cannot compare %s with %s",
                   ll_dtype_name(a->type), ll_dtype_name(b->type));
        return NULL;
    }
    if (a->len != b->len) {
        ll_err_set(err, LL_EINVAL,
                   "columns of different lengths (%lld and %lld)",
                   (long long)a->len, (long long)b->len);
        return NULL;
    }
    ll_column *r = ll_col_new(LL_BOOL, a->len, err);
    if (!r)
        return NULL;
    int both_int =
        (a->type == LL_INT || a->type == LL_DATETIME) && a->type == b->type;
    for (int64_t i = 0; i < a->len; i++) {
        if (ll_col_isna(a, i) || ll_col_isna(b, i)) {
            LL_U8(r)[i] = code == 1;
            continue;
        }
        int c;
        if (astr) {
            size_t an, bn;
            const char *sa = ll_col_str(a, i, &an);
            const char *sb = ll_col_str(b, i, &bn);
            c = strcmp_n(sa, an, sb, bn);
        } else if (both_int) {
            int64_t x = LL_I64(a)[i], y = LL_I64(b)[i];
            c = (x > y) - (x < y);
        } else {
            double x = ll_col_num(a, i), y = ll_col_num(b, i);
            c = (x > y) - (x < y);
            if (x != x || y != y) {
                LL_U8(r)[i] = code == 1;
                continue;
            }
        }
        LL_U8(r)[i] = (uint8_t)cmp_result(c, code);
    }
    return r;
}

ll_column *ll_col_cmp_num(const ll_column *a, double x, const char *op,
                          ll_err *err)
{
    int code = cmp_code(op);
    if (code < 0 || !num_or_date(a)) {
        ll_err_set(err, LL_EINVAL, "cannot compare %s with a number",
                   ll_dtype_name(a->type));
        return NULL;
    }
    ll_column *r = ll_col_new(LL_BOOL, a->len, err);
    if (!r)
        return NULL;
    uint8_t *o = LL_U8(r);
    if (!a->valid && a->type == LL_FLOAT) {
        const double *p = LL_F64(a);
        for (int64_t i = 0; i < a->len; i++) {
            double v = p[i];
            o[i] = (uint8_t)(v == v ? cmp_result((v > x) - (v < x), code)
                                    : code == 1);
        }
        return r;
    }
    if (!a->valid && a->type == LL_INT && x == floor(x) && fabs(x) < 9e18) {
        const int64_t *p = LL_I64(a);
        int64_t xi = (int64_t)x;
        for (int64_t i = 0; i < a->len; i++)
            o[i] = (uint8_t)cmp_result((p[i] > xi) - (p[i] < xi), code);
        return r;
    }
    for (int64_t i = 0; i < a->len; i++) {
        double v = ll_col_num(a, i);
        if (v != v) {
            o[i] = code == 1;
            continue;
        }
        o[i] = (uint8_t)cmp_result((v > x) - (v < x), code);
    }
    return r;
}

ll_column *ll_col_cmp_str(const ll_column *a, const char *s, const char *op,
                          ll_err *err)
{
    int code = cmp_code(op);
    size_t sn = strlen(s);
    if (code >= 0 && (a->type == LL_DATE || a->type == LL_DATETIME)) {
        int64_t ms;
        int32_t d;
        if (a->type == LL_DATE && ll_parse_date(s, sn, &d))
            return ll_col_cmp_num(a, d, op, err);
        if (ll_parse_datetime(s, sn, &ms)) {
            double x =
                a->type == LL_DATE ? (double)ms / 86400000.0 : (double)ms;
            return ll_col_cmp_num(a, x, op, err);
        }
        ll_err_set(err, LL_EINVAL, "cannot compare %s with '%s'",
                   ll_dtype_name(a->type), s);
        return NULL;
    }
    if (code < 0 || (a->type != LL_STR && a->type != LL_CAT)) {
        ll_err_set(err, LL_EINVAL, "cannot compare %s with a string",
                   ll_dtype_name(a->type));
        return NULL;
    }
    ll_column *r = ll_col_new(LL_BOOL, a->len, err);
    if (!r)
        return NULL;
    if (a->type == LL_CAT) {
        /* compare each category once */
        ll_column *d = a->dict;
        uint8_t *res = malloc((size_t)d->len + 1);
        if (!res) {
            ll_col_unref(r);
            return NULL;
        }
        for (int64_t k = 0; k < d->len; k++) {
            size_t n;
            const char *v = ll_col_str(d, k, &n);
            res[k] = (uint8_t)cmp_result(strcmp_n(v, n, s, sn), code);
        }
        for (int64_t i = 0; i < a->len; i++) {
            int32_t c = LL_I32(a)[i];
            LL_U8(r)[i] = c < 0 || ll_col_isna(a, i) ? code == 1 : res[c];
        }
        free(res);
        return r;
    }
    for (int64_t i = 0; i < a->len; i++) {
        if (ll_col_isna(a, i)) {
            LL_U8(r)[i] = code == 1;
            continue;
        }
        size_t n;
        const char *v = ll_col_str(a, i, &n);
        LL_U8(r)[i] = (uint8_t)cmp_result(strcmp_n(v, n, s, sn), code);
    }
    return r;
}

ll_column *ll_col_isna_mask(const ll_column *a, int want_na, ll_err *err)
{
    ll_column *r = ll_col_new(LL_BOOL, a->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < a->len; i++) {
        int na = ll_col_isna(a, i) ||
                 (a->type == LL_FLOAT && LL_F64(a)[i] != LL_F64(a)[i]);
        LL_U8(r)[i] = (uint8_t)(na == want_na);
    }
    return r;
}

ll_column *ll_col_logic(const ll_column *a, const ll_column *b, char op,
                        ll_err *err)
{
    if (a->type != LL_BOOL || b->type != LL_BOOL) {
        ll_err_set(err, LL_EINVAL, "'%c' needs two bool masks, got %s and %s",
                   op, ll_dtype_name(a->type), ll_dtype_name(b->type));
        return NULL;
    }
    if (a->len != b->len) {
        ll_err_set(err, LL_EINVAL, "masks of different lengths (%lld and %lld)",
                   (long long)a->len, (long long)b->len);
        return NULL;
    }
    ll_column *r = ll_col_new(LL_BOOL, a->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < a->len; i++) {
        int x = LL_U8(a)[i] && !ll_col_isna(a, i);
        int y = LL_U8(b)[i] && !ll_col_isna(b, i);
        LL_U8(r)[i] = (uint8_t)(op == '&' ? (x && y) : (x || y));
    }
    return r;
}

ll_column *ll_col_not(const ll_column *a, ll_err *err)
{
    if (a->type != LL_BOOL) {
        ll_err_set(err, LL_EINVAL, "'~' needs a bool mask, got %s",
                   ll_dtype_name(a->type));
        return NULL;
    }
    ll_column *r = ll_col_new(LL_BOOL, a->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < a->len; i++)
        LL_U8(r)[i] = !(LL_U8(a)[i] && !ll_col_isna(a, i));
    return r;
}

/* --- reductions --- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

double ll_quantile_sorted(const double *v, int64_t n, double q)
{
    if (n == 0)
        return LL_NAN;
    double pos = q * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    int64_t hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - (double)lo;
    return v[lo] + (v[hi] - v[lo]) * frac;
}

static int64_t nunique_str(const ll_column *c)
{
    ll_strhash h;
    if (ll_strhash_init(&h, 64))
        return -1;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i))
            continue;
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        if (ll_strhash_put(&h, s, n) < 0) {
            ll_strhash_free(&h);
            return -1;
        }
    }
    int64_t k = h.count;
    ll_strhash_free(&h);
    return k;
}

int ll_col_reduce(const ll_column *c, const char *which, double q, double *out,
                  ll_err *err)
{
    int64_t cnt = 0;
    for (int64_t i = 0; i < c->len; i++)
        cnt += !ll_col_isna(c, i);
    *out = LL_NAN;
    if (!strcmp(which, "count")) {
        *out = (double)cnt;
        return LL_OK;
    }
    int str = c->type == LL_STR || c->type == LL_CAT;
    if (!strcmp(which, "nunique") && str) {
        int64_t k = nunique_str(c);
        if (k < 0)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        *out = (double)k;
        return LL_OK;
    }
    if (str)
        return ll_err_set(err, LL_EINVAL, "%s() needs a numeric column, got %s",
                          which, ll_dtype_name(c->type));
    if (!strcmp(which, "first") || !strcmp(which, "last")) {
        int first = which[0] == 'f';
        for (int64_t k = 0; k < c->len; k++) {
            int64_t i = first ? k : c->len - 1 - k;
            if (!ll_col_isna(c, i)) {
                *out = ll_col_num(c, i);
                break;
            }
        }
        return LL_OK;
    }
    double sum = 0, mn = HUGE_VAL, mx = -HUGE_VAL;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i))
            continue;
        double x = ll_col_num(c, i);
        sum += x;
        if (x < mn)
            mn = x;
        if (x > mx)
            mx = x;
    }
    if (!strcmp(which, "sum")) {
        *out = sum;
    } else if (!strcmp(which, "mean")) {
        *out = cnt ? sum / (double)cnt : LL_NAN;
    } else if (!strcmp(which, "min")) {
        *out = cnt ? mn : LL_NAN;
    } else if (!strcmp(which, "max")) {
        *out = cnt ? mx : LL_NAN;
    } else if (!strcmp(which, "std") || !strcmp(which, "var")) {
        double mean = cnt ? sum / (double)cnt : 0, ss = 0;
        for (int64_t i = 0; i < c->len; i++) {
            if (ll_col_isna(c, i))
                continue;
            double d = ll_col_num(c, i) - mean;
            ss += d * d;
        }
        double var = cnt > 1 ? ss / (double)(cnt - 1) : LL_NAN;
        *out = which[0] == 's' ? sqrt(var) : var;
    } else if (!strcmp(which, "median") || !strcmp(which, "quantile") ||
               !strcmp(which, "nunique")) {
        double *v = malloc((size_t)(cnt ? cnt : 1) * sizeof *v);
        if (!v)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        int64_t k = 0;
        for (int64_t i = 0; i < c->len; i++)
            if (!ll_col_isna(c, i))
                v[k++] = ll_col_num(c, i);
        qsort(v, (size_t)cnt, sizeof *v, cmp_double);
        if (which[0] == 'n') {
            int64_t u = 0;
            for (int64_t i = 0; i < cnt; i++)
                u += i == 0 || v[i] != v[i - 1];
            *out = (double)u;
        } else {
            if (which[0] == 'm')
                q = 0.5;
            if (!(q >= 0 && q <= 1)) {
                free(v);
                return ll_err_set(err, LL_EINVAL,
                                  "quantile must be in [0, 1], got %g", q);
            }
            *out = ll_quantile_sorted(v, cnt, q);
        }
        free(v);
    } else {
        return ll_err_set(err, LL_EINVAL, "unknown reduction '%s'", which);
    }
    return LL_OK;
}

/* --- strings and dates --- */

ll_column *ll_col_strfn(const ll_column *c, const char *fn, const char *arg,
                        ll_err *err)
{
    if (c->type != LL_STR && c->type != LL_CAT) {
        ll_err_set(err, LL_EINVAL, "%s() needs a string column, got %s", fn,
                   ll_dtype_name(c->type));
        return NULL;
    }
    int kind = !strcmp(fn, "lower")        ? 0
               : !strcmp(fn, "upper")      ? 1
               : !strcmp(fn, "strip")      ? 2
               : !strcmp(fn, "len")        ? 3
               : !strcmp(fn, "contains")   ? 4
               : !strcmp(fn, "startswith") ? 5
               : !strcmp(fn, "endswith")   ? 6
                                           : -1;
    if (kind < 0) {
        ll_err_set(err, LL_EINVAL, "unknown string method '%s'", fn);
        return NULL;
    }
    size_t an = arg ? strlen(arg) : 0;
    if (kind >= 4 && !arg) {
        ll_err_set(err, LL_EINVAL, "%s() needs a string argument", fn);
        return NULL;
    }
    if (kind >= 3) {
        ll_column *r = ll_col_new(kind == 3 ? LL_INT : LL_BOOL, c->len, err);
        if (!r)
            return NULL;
        for (int64_t i = 0; i < c->len; i++) {
            if (ll_col_isna(c, i)) {
                if (kind == 3)
                    ll_col_set_na(r, i);
                continue;
            }
            size_t n;
            const char *s = ll_col_str(c, i, &n);
            if (kind == 3) {
                int64_t chars = 0; /* count UTF-8 code points */
                for (size_t k = 0; k < n; k++)
                    chars += ((unsigned char)s[k] & 0xC0) != 0x80;
                LL_I64(r)[i] = chars;
            } else if (kind == 4) {
                int found = an == 0;
                for (size_t k = 0; !found && k + an <= n; k++)
                    found = !memcmp(s + k, arg, an);
                LL_U8(r)[i] = (uint8_t)found;
            } else if (kind == 5) {
                LL_U8(r)[i] = an <= n && !memcmp(s, arg, an);
            } else {
                LL_U8(r)[i] = an <= n && !memcmp(s + n - an, arg, an);
            }
        }
        return r;
    }
    ll_strbuilder sb;
    ll_sb_init(&sb);
    char *tmp = NULL;
    size_t tcap = 0;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i)) {
            if (ll_sb_push_na(&sb))
                goto oom;
            continue;
        }
        size_t n;
        const char *s = ll_col_str(c, i, &n);
        if (kind == 2) {
            while (n && isspace((unsigned char)*s)) {
                s++;
                n--;
            }
            while (n && isspace((unsigned char)s[n - 1]))
                n--;
            if (ll_sb_push(&sb, s, n))
                goto oom;
            continue;
        }
        if (n + 1 > tcap) {
            char *t = realloc(tmp, n + 1);
            if (!t)
                goto oom;
            tmp = t;
            tcap = n + 1;
        }
        for (size_t k = 0; k < n; k++) {
            unsigned char ch = (unsigned char)s[k];
            tmp[k] =
                (char)(ch < 0x80 ? (kind ? toupper(ch) : tolower(ch)) : ch);
        }
        if (ll_sb_push(&sb, tmp, n))
            goto oom;
    }
    free(tmp);
    return ll_sb_finish(&sb, err);
oom:
    free(tmp);
    ll_sb_free(&sb);
    ll_err_set(err, LL_ENOMEM, "out of memory");
    return NULL;
}

ll_column *ll_col_split_part(const ll_column *c, const char *sep, int64_t k,
                             int64_t *nparts_max, ll_err *err)
{
    if (c->type != LL_STR && c->type != LL_CAT) {
        ll_err_set(err, LL_EINVAL, "split() needs a string column, got %s",
                   ll_dtype_name(c->type));
        return NULL;
    }
    size_t sn = strlen(sep);
    if (sn == 0) {
        ll_err_set(err, LL_EINVAL, "split() needs a non-empty separator");
        return NULL;
    }
    ll_strbuilder sb;
    ll_sb_init(&sb);
    int64_t maxp = 0;
    for (int64_t i = 0; i < c->len; i++) {
        int rc;
        if (ll_col_isna(c, i)) {
            rc = ll_sb_push_na(&sb);
        } else {
            size_t n;
            const char *s = ll_col_str(c, i, &n);
            int64_t part = 0;
            size_t start = 0;
            const char *hit = NULL;
            size_t hlen = 0;
            for (size_t p = 0; p <= n; p++) {
                if (p == n || (p + sn <= n && !memcmp(s + p, sep, sn))) {
                    if (part == k) {
                        hit = s + start;
                        hlen = p - start;
                    }
                    part++;
                    if (p == n)
                        break;
                    start = p + sn;
                    p += sn - 1;
                }
            }
            if (part > maxp)
                maxp = part;
            rc = hit ? ll_sb_push(&sb, hit, hlen) : ll_sb_push_na(&sb);
        }
        if (rc) {
            ll_sb_free(&sb);
            ll_err_set(err, LL_ENOMEM, "out of memory");
            return NULL;
        }
    }
    if (nparts_max)
        *nparts_max = maxp;
    return ll_sb_finish(&sb, err);
}

ll_column *ll_col_datepart(const ll_column *c, const char *part, ll_err *err)
{
    if (c->type != LL_DATE && c->type != LL_DATETIME) {
        ll_err_set(err, LL_EINVAL, "%s() needs a date column, got %s", part,
                   ll_dtype_name(c->type));
        return NULL;
    }
    static const char *const parts[] = {
        "year", "month", "day",    "dayofweek", "dayofyear", "quarter",
        "week", "hour",  "minute", "second",    NULL};
    int kind = -1;
    for (int k = 0; parts[k]; k++)
        if (!strcmp(part, parts[k]))
            kind = k;
    if (kind < 0) {
        ll_err_set(err, LL_EINVAL, "unknown date part '%s'", part);
        return NULL;
    }
    ll_column *r = ll_col_new(LL_INT, c->len, err);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < c->len; i++) {
        if (ll_col_isna(c, i)) {
            ll_col_set_na(r, i);
            continue;
        }
        int64_t days, ms = 0;
        if (c->type == LL_DATE) {
            days = LL_I32(c)[i];
        } else {
            ms = LL_I64(c)[i];
            days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
            ms -= days * 86400000;
        }
        int64_t y;
        unsigned m, d;
        ll_civil_from_days(days, &y, &m, &d);
        int64_t dow = ((days % 7) + 7 + 3) % 7; /* 1970-01-01 was Thursday */
        int64_t v = 0;
        switch (kind) {
        case 0:
            v = y;
            break;
        case 1:
            v = m;
            break;
        case 2:
            v = d;
            break;
        case 3:
            v = dow;
            break;
        case 4:
            v = days - ll_days_from_civil(y, 1, 1) + 1;
            break;
        case 5:
            v = (m - 1) / 3 + 1;
            break;
        case 6: {
            /* ISO week: the week with the year's first Thursday is 1 */
            int64_t thursday = days - dow + 3;
            int64_t ty;
            unsigned tm, td;
            ll_civil_from_days(thursday, &ty, &tm, &td);
            v = (thursday - ll_days_from_civil(ty, 1, 1)) / 7 + 1;
            break;
        }
        case 7:
            v = ms / 3600000;
            break;
        case 8:
            v = ms / 60000 % 60;
            break;
        default:
            v = ms / 1000 % 60;
        }
        LL_I64(r)[i] = v;
    }
    ll_col_finish(r);
    return r;
}
