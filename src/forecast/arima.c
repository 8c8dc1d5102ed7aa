/*
 * arima: the ARIMA and AutoARIMA families, as R's arima() / forecast's
 * Arima() and auto.arima().
 *
 * A seasonal ARIMA(p,d,q)(P,D,Q)[m] model with optional intercept, drift
 * and exogenous regressors (regression with ARIMA errors) is written in the
 * state space form of Gardner, Harvey and Phillips (1980): an ARMA block of
 * r = max(p + mP, q + mQ + 1) states plus d + Dm states that carry the
 * differencing, whose initial variance is diffuse (1e6) so the first
 * observations only set them up.  The exact Gaussian likelihood comes from
 * the Kalman filter; the ARMA block starts at its stationary covariance.
 *
 * Fitting is CSS-ML as R's default: conditional sum of squares for a start
 * (stationarity checked), then maximum likelihood by BFGS with the AR
 * coefficients mapped through the Jones (1980) partial autocorrelation
 * transform so every trial point is stationary; MA roots inside the unit
 * circle are reflected at the end.  Regressors are differenced with the
 * series for their starting values and, when there are several, rotated by
 * their singular vectors while optimising.  The BFGS here follows R's
 * optim() step for step (Nash's variable metric method, finite-difference
 * gradients with step 1e-3 on scaled parameters) because AutoARIMA's
 * choices depend on where the optimiser stops.
 *
 * AutoARIMA is the Hyndman-Khandakar (2008) stepwise search: KPSS for d,
 * seasonal strength for D, AICc, drift/mean rules, CSS approximation with a
 * final ML refit for long series.
 */
#include "forecast/arima.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"

#define KAPPA 1e6
/* The most coefficients one model may have (ARMA and regressors). */
#define MAXPAR 64
#define NDEPS 1e-3

/* ---- polynomials ---------------------------------------------------- */

/* Roots of c[0] + c[1] z + ... + c[deg] z^deg (c[deg] != 0) by the
 * Durand-Kerner iteration, polished. */
static void poly_roots(const double *c, int deg, double complex *z)
{
    double complex w[64];
    double lead = c[deg];
    for (int i = 0; i < deg; i++)
        z[i] = cpow(0.4 + 0.9 * (double complex)I, i) * (1 + fabs(c[0] / lead));
    for (int it = 0; it < 1000; it++) {
        double change = 0;
        for (int i = 0; i < deg; i++) {
            double complex num = c[deg] / lead;
            for (int k = deg - 1; k >= 0; k--)
                num = num * z[i] + c[k] / lead;
            double complex den = 1;
            for (int j = 0; j < deg; j++)
                if (j != i)
                    den *= z[i] - z[j];
            if (cabs(den) == 0)
                den = 1e-12;
            w[i] = num / den;
        }
        for (int i = 0; i < deg; i++) {
            z[i] -= w[i];
            double rel = cabs(w[i]) / fmax(cabs(z[i]), 1e-300);
            if (rel > change)
                change = rel;
        }
        if (change < 1e-15)
            break;
    }
}

/* Smallest modulus of the roots of 1 + s c[0] z + ... + s c[k-1] z^k,
 * coefficients below tol in magnitude trimmed from the end; 2 (large)
 * when the polynomial is constant.  deg at most 60. */
static double min_root(const double *c, int k, double s, double tol)
{
    int last = 0;
    for (int i = 0; i < k; i++)
        if (fabs(c[i]) > tol)
            last = i + 1;
    if (last == 0 || last > 60)
        return last == 0 ? HUGE_VAL : 0;
    double poly[61];
    double complex z[60];
    poly[0] = 1;
    for (int i = 0; i < last; i++)
        poly[i + 1] = s * c[i];
    poly_roots(poly, last, z);
    double m = HUGE_VAL;
    for (int i = 0; i < last; i++)
        if (cabs(z[i]) < m)
            m = cabs(z[i]);
    return m;
}

/* 1 when the AR polynomial 1 - ar[0] z - ... is stationary (R's arCheck). */
static int ar_check(const double *ar, int p)
{
    return min_root(ar, p, -1, 0) > 1;
}

/* Reflect the roots of 1 + ma[0] z + ... inside the unit circle (R's
 * maInvert). */
static void ma_invert(double *ma, int q)
{
    int q0 = 0;
    for (int i = 0; i < q; i++)
        if (ma[i] != 0)
            q0 = i + 1;
    if (q0 == 0 || q0 > 60)
        return;
    double poly[61];
    double complex z[60], x[61];
    poly[0] = 1;
    for (int i = 0; i < q0; i++)
        poly[i + 1] = ma[i];
    poly_roots(poly, q0, z);
    int any = 0;
    for (int i = 0; i < q0; i++)
        if (cabs(z[i]) < 1)
            any = 1;
    if (!any)
        return;
    if (q0 == 1) {
        ma[0] = 1 / ma[0];
        return;
    }
    for (int i = 0; i < q0; i++)
        if (cabs(z[i]) < 1)
            z[i] = 1 / z[i];
    x[0] = 1;
    for (int i = 1; i <= q0; i++)
        x[i] = 0;
    for (int i = 0; i < q0; i++)
        for (int j = i + 1; j >= 1; j--)
            x[j] -= x[j - 1] / z[i];
    for (int i = 0; i < q0; i++)
        ma[i] = creal(x[i + 1]);
}

/* ---- parameter transforms (Jones 1980), as R's partrans ------------- */

static void partrans(int p, const double *raw, double *out)
{
    double work[128];
    for (int j = 0; j < p; j++)
        work[j] = out[j] = tanh(raw[j]);
    for (int j = 1; j < p; j++) {
        double a = out[j];
        for (int k = 0; k < j; k++)
            work[k] -= a * out[j - k - 1];
        memcpy(out, work, (size_t)j * sizeof *out);
    }
}

static void invpartrans(int p, const double *phi, double *out)
{
    double work[128], nw[128];
    for (int j = 0; j < p; j++)
        work[j] = nw[j] = phi[j];
    for (int j = p - 1; j > 0; j--) {
        double a = nw[j];
        for (int k = 0; k < j; k++)
            work[k] = (nw[k] + a * nw[j - k - 1]) / (1 - a * a);
        memcpy(nw, work, (size_t)j * sizeof *nw);
    }
    for (int j = 0; j < p; j++)
        out[j] = atanh(nw[j]);
}

/* The orders of one model. */
typedef struct arma_order {
    int p, d, q, P, D, Q, m;
} arma_order;

static int narma_of(const arma_order *o)
{
    return o->p + o->q + o->P + o->Q;
}

/* in: narma coefficients; out: the same with the AR blocks transformed
 * when trans. */
static void trans_blocks(const arma_order *o, const double *in, double *out,
                         int trans)
{
    int n = narma_of(o);
    memcpy(out, in, (size_t)n * sizeof *out);
    if (trans) {
        if (o->p > 0)
            partrans(o->p, in, out);
        if (o->P > 0)
            partrans(o->P, in + o->p + o->q, out + o->p + o->q);
    }
}

static void inv_blocks(const arma_order *o, const double *in, double *out)
{
    int n = narma_of(o);
    memcpy(out, in, (size_t)n * sizeof *out);
    if (o->p > 0)
        invpartrans(o->p, in, out);
    if (o->P > 0)
        invpartrans(o->P, in + o->p + o->q, out + o->p + o->q);
}

/* Expand (possibly transformed) coefficients to the full phi (p + mP)
 * and theta (q + mQ) of the multiplied-out model. */
static void expand(const arma_order *o, const double *par, int trans,
                   double *phi, double *theta)
{
    double params[512];
    trans_blocks(o, par, params, trans);
    int m = o->m, p = o->p + m * o->P, q = o->q + m * o->Q;
    for (int i = 0; i < p; i++)
        phi[i] = i < o->p ? params[i] : 0;
    for (int i = 0; i < q; i++)
        theta[i] = i < o->q ? params[o->p + i] : 0;
    for (int j = 0; j < o->P; j++) {
        double s = params[o->p + o->q + j];
        phi[(j + 1) * m - 1] += s;
        for (int i = 0; i < o->p; i++)
            phi[(j + 1) * m + i] -= params[i] * s;
    }
    for (int j = 0; j < o->Q; j++) {
        double s = params[o->p + o->q + o->P + j];
        theta[(j + 1) * m - 1] += s;
        for (int i = 0; i < o->q; i++)
            theta[(j + 1) * m + i] += params[o->p + i] * s;
    }
}

/* ---- small dense linear algebra ------------------------------------- */

/* The 1-norm (largest column sum of absolute values) of the n x n a. */
static double norm1(const double *a, int n)
{
    double norm = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += fabs(a[i * n + j]);
        if (s > norm)
            norm = s;
    }
    return norm;
}

/* Invert the n x n matrix a (row-major) into inv by Gauss-Jordan with
 * partial pivoting; returns the reciprocal 1-norm condition number (0
 * when singular). */
static double mat_inverse(const double *a, int n, double *inv, double *work)
{
    double anorm = norm1(a, n);
    memcpy(work, a, (size_t)n * (size_t)n * sizeof *work);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            inv[i * n + j] = i == j;
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int i = c + 1; i < n; i++)
            if (fabs(work[i * n + c]) > fabs(work[piv * n + c]))
                piv = i;
        if (work[piv * n + c] == 0)
            return 0;
        if (piv != c)
            for (int j = 0; j < n; j++) {
                double t = work[c * n + j];
                work[c * n + j] = work[piv * n + j];
                work[piv * n + j] = t;
                t = inv[c * n + j];
                inv[c * n + j] = inv[piv * n + j];
                inv[piv * n + j] = t;
            }
        double d = work[c * n + c];
        for (int j = 0; j < n; j++) {
            work[c * n + j] /= d;
            inv[c * n + j] /= d;
        }
        for (int i = 0; i < n; i++)
            if (i != c && work[i * n + c] != 0) {
                double f = work[i * n + c];
                for (int j = 0; j < n; j++) {
                    work[i * n + j] -= f * work[c * n + j];
                    inv[i * n + j] -= f * inv[c * n + j];
                }
            }
    }
    double inorm = norm1(inv, n);
    if (!(anorm > 0) || !(inorm > 0) || !isfinite(inorm))
        return 0;
    return 1 / (anorm * inorm);
}

/* Eigenvectors of the symmetric k x k matrix a (destroyed) by cyclic
 * Jacobi, columns of v sorted by descending eigenvalue. */
static void sym_eigen(double *a, int k, double *v)
{
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            v[i * k + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++)
                off += a[i * k + j] * a[i * k + j];
        if (off < 1e-30)
            break;
        for (int p = 0; p < k; p++)
            for (int q = p + 1; q < k; q++) {
                double apq = a[p * k + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) /
                           (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int r = 0; r < k; r++) {
                    double arp = a[r * k + p], arq = a[r * k + q];
                    a[r * k + p] = c * arp - s * arq;
                    a[r * k + q] = s * arp + c * arq;
                }
                for (int r = 0; r < k; r++) {
                    double apr = a[p * k + r], aqr = a[q * k + r];
                    a[p * k + r] = c * apr - s * aqr;
                    a[q * k + r] = s * apr + c * aqr;
                }
                for (int r = 0; r < k; r++) {
                    double vrp = v[r * k + p], vrq = v[r * k + q];
                    v[r * k + p] = c * vrp - s * vrq;
                    v[r * k + q] = s * vrp + c * vrq;
                }
            }
    }
    /* sort columns by eigenvalue, descending; sign: first nonzero
     * component negative, as LAPACK's SVD usually returns for these */
    for (int i = 0; i < k; i++) {
        int best = i;
        for (int j = i + 1; j < k; j++)
            if (a[j * k + j] > a[best * k + best])
                best = j;
        if (best != i) {
            double t = a[i * k + i];
            a[i * k + i] = a[best * k + best];
            a[best * k + best] = t;
            for (int r = 0; r < k; r++) {
                t = v[r * k + i];
                v[r * k + i] = v[r * k + best];
                v[r * k + best] = t;
            }
        }
    }
}

/* Least squares of y (nobs) on the columns of X (nobs x k, row-major) by
 * Householder QR: coefficients and their standard errors.  Returns 0, or
 * -1 when X is rank deficient. */
static int least_squares(const double *X, const double *y, size_t nobs, int k,
                         double *beta, double *se)
{
    if (nobs <= (size_t)k || k > 64)
        return -1;
    double *A = malloc(nobs * (size_t)k * sizeof *A);
    double *b = malloc(nobs * sizeof *b);
    if (!A || !b) {
        free(A), free(b);
        return -1;
    }
    memcpy(A, X, nobs * (size_t)k * sizeof *A);
    memcpy(b, y, nobs * sizeof *b);
    double R[64 * 64], Rinv[64 * 64];
    int rc = 0;
    for (int j = 0; j < k; j++) {
        double norm = 0;
        for (size_t i = (size_t)j; i < nobs; i++)
            norm += A[i * (size_t)k + (size_t)j] * A[i * (size_t)k + (size_t)j];
        norm = sqrt(norm);
        if (norm == 0) {
            rc = -1;
            break;
        }
        double a0 = A[(size_t)j * (size_t)k + (size_t)j];
        double alpha = a0 > 0 ? -norm : norm;
        double v0 = a0 - alpha;
        /* v = (v0, A[j+1..,j]); H = I - 2 v v' / v'v */
        double vtv = v0 * v0 + norm * norm - a0 * a0;
        A[(size_t)j * (size_t)k + (size_t)j] = v0;
        for (int c = j + 1; c <= k; c++) {
            double s = 0;
            for (size_t i = (size_t)j; i < nobs; i++)
                s += A[i * (size_t)k + (size_t)j] *
                     (c < k ? A[i * (size_t)k + (size_t)c] : b[i]);
            s = 2 * s / vtv;
            for (size_t i = (size_t)j; i < nobs; i++) {
                double *t = c < k ? &A[i * (size_t)k + (size_t)c] : &b[i];
                *t -= s * A[i * (size_t)k + (size_t)j];
            }
        }
        R[j * k + j] = alpha;
        for (int c = j + 1; c < k; c++)
            R[j * k + c] = A[(size_t)j * (size_t)k + (size_t)c];
        for (int c = 0; c < j; c++)
            R[j * k + c] = 0;
    }
    if (rc == 0) {
        double rmax = 0, rmin = HUGE_VAL;
        for (int j = 0; j < k; j++) {
            rmax = fmax(rmax, fabs(R[j * k + j]));
            rmin = fmin(rmin, fabs(R[j * k + j]));
        }
        if (!(rmin > 1e-7 * rmax))
            rc = -1;
    }
    if (rc == 0) {
        for (int j = k - 1; j >= 0; j--) {
            double s = b[j];
            for (int c = j + 1; c < k; c++)
                s -= R[j * k + c] * beta[c];
            beta[j] = s / R[j * k + j];
        }
        double rss = 0;
        for (size_t i = (size_t)k; i < nobs; i++)
            rss += b[i] * b[i];
        double s2 = rss / (double)(nobs - (size_t)k);
        /* (R'R)^-1 = Rinv Rinv' with Rinv upper triangular */
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                Rinv[i * k + j] = 0;
        for (int j = 0; j < k; j++) {
            Rinv[j * k + j] = 1 / R[j * k + j];
            for (int i = j - 1; i >= 0; i--) {
                double s = 0;
                for (int c = i + 1; c <= j; c++)
                    s += R[i * k + c] * Rinv[c * k + j];
                Rinv[i * k + j] = -s / R[i * k + i];
            }
        }
        for (int i = 0; i < k; i++) {
            double s = 0;
            for (int j = i; j < k; j++)
                s += Rinv[i * k + j] * Rinv[i * k + j];
            se[i] = sqrt(s * s2);
        }
    }
    free(A), free(b);
    return rc;
}

/* ---- the model's state space form and likelihood -------------------- */

typedef struct arima_work {
    arma_order o;
    int np, nq; /* expanded orders */
    int r, nd, rd;
    double *delta;               /* nd differencing coefficients */
    double *phi, *theta;         /* np, r (theta padded) */
    double *a, *anew, *M;        /* rd */
    double *P, *Pn, *mm, *Pprev; /* rd * rd */
    double *q0w;                 /* 3 r * r for the stationary covariance */
    int steady_ok; /* the filter may stop updating P once steady */
} arima_work;

static void work_free(arima_work *w)
{
    free(w->delta);
    free(w->phi);
    free(w->a);
    free(w->P);
    free(w->q0w);
    memset(w, 0, sizeof *w);
}

static int work_init(arima_work *w, const arma_order *o)
{
    memset(w, 0, sizeof *w);
    w->o = *o;
    w->np = o->p + o->m * o->P;
    w->nq = o->q + o->m * o->Q;
    w->r = w->np > w->nq + 1 ? w->np : w->nq + 1;
    w->nd = o->d + o->m * o->D;
    w->rd = w->r + w->nd;
    size_t r = (size_t)w->r, rd = (size_t)w->rd;
    w->delta = calloc((size_t)w->nd + 1, sizeof *w->delta);
    w->phi = calloc((size_t)w->np + r + 1, sizeof *w->phi);
    w->a = calloc(3 * rd, sizeof *w->a);
    w->P = calloc(4 * rd * rd, sizeof *w->P);
    w->q0w =
        calloc(4 * r * r + (r + 2) * (r + 2) + 8 * (r + 2), sizeof *w->q0w);
    if (!w->delta || !w->phi || !w->a || !w->P || !w->q0w) {
        work_free(w);
        return LL_ENOMEM;
    }
    w->theta = w->phi + w->np;
    w->anew = w->a + rd;
    w->M = w->a + 2 * rd;
    w->Pn = w->P + rd * rd;
    w->mm = w->P + 2 * rd * rd;
    w->Pprev = w->P + 3 * rd * rd;
    /* Delta: the coefficients of (1 - B)^d (1 - B^m)^D, negated, without
     * the leading 1 (R's arima). */
    double *poly = calloc((size_t)w->nd + 1, sizeof *poly);
    if (!poly) {
        work_free(w);
        return LL_ENOMEM;
    }
    poly[0] = 1;
    int deg = 0;
    for (int i = 0; i < o->d; i++) {
        for (int j = deg + 1; j >= 1; j--)
            poly[j] -= poly[j - 1];
        deg++;
    }
    for (int i = 0; i < o->D; i++) {
        for (int j = deg + o->m; j >= o->m; j--)
            poly[j] -= poly[j - o->m];
        deg += o->m;
    }
    for (int i = 0; i < w->nd; i++)
        w->delta[i] = -poly[i + 1];
    free(poly);
    return LL_OK;
}

/* The stationary covariance Q of the ARMA block, Q = T Q T' + R R', by the
 * doubling iteration Q <- Q + A Q A', A <- A A.  Returns 0, or -1 when it
 * does not converge (no stationary solution). */
static int stationary_cov(arima_work *w, double *Q, size_t ld)
{
    int r = w->r;
    size_t rr = (size_t)r * (size_t)r;
    double *A = w->q0w, *B = A + rr, *C = B + rr, *S = C + rr;
    if (r == 1) {
        double ph = w->np > 0 ? w->phi[0] : 0;
        if (!(fabs(ph) < 1))
            return -1;
        Q[0] = 1 / (1 - ph * ph);
        return 0;
    }
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++) {
            A[i * r + j] = (j == 0 && i < w->np) ? w->phi[i] : 0;
            if (j == i + 1)
                A[i * r + j] += 1;
            double ri = i == 0 ? 1 : w->theta[i - 1];
            double rj = j == 0 ? 1 : w->theta[j - 1];
            S[i * r + j] = ri * rj;
        }
    for (int it = 0; it < 80; it++) {
        /* C = A S, B = C A' */
        double amax = 0;
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                double s = 0;
                for (int k = 0; k < r; k++)
                    s += A[i * r + k] * S[k * r + j];
                C[i * r + j] = s;
            }
        double inc = 0, tot = 0;
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                double s = 0;
                for (int k = 0; k < r; k++)
                    s += C[i * r + k] * A[j * r + k];
                B[i * r + j] = s;
            }
        for (size_t i = 0; i < rr; i++) {
            S[i] += B[i];
            inc = fmax(inc, fabs(B[i]));
            tot = fmax(tot, fabs(S[i]));
        }
        if (!isfinite(tot))
            return -1;
        if (inc <= 1e-16 * tot)
            break;
        /* A = A A */
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                double s = 0;
                for (int k = 0; k < r; k++)
                    s += A[i * r + k] * A[k * r + j];
                C[i * r + j] = s;
            }
        memcpy(A, C, rr * sizeof *A);
        for (size_t i = 0; i < rr; i++)
            amax = fmax(amax, fabs(A[i]));
        if (amax == 0)
            break;
        if (it == 79)
            return -1;
    }
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
            Q[(size_t)i * ld + (size_t)j] = S[i * r + j];
    return 0;
}

/* Set phi/theta from expanded coefficients and the initial state: a = 0,
 * Pn = stationary covariance plus a diffuse block. */
static int model_start(arima_work *w)
{
    size_t rd = (size_t)w->rd;
    memset(w->a, 0, rd * sizeof *w->a);
    memset(w->Pn, 0, rd * rd * sizeof *w->Pn);
    memset(w->P, 0, rd * rd * sizeof *w->P);
    for (int i = w->nq; i < w->r; i++)
        w->theta[i] = 0;
    int rc = stationary_cov(w, w->Pn, rd);
    for (int i = w->r; i < w->rd; i++)
        w->Pn[(size_t)i * rd + (size_t)i] = KAPPA;
    return rc;
}

/* anew = T a: the state one step on, for the structured transition. */
static void predict_state(const arima_work *w, const double *a, double *anew)
{
    int r = w->r, d = w->nd;
    for (int i = 0; i < r; i++) {
        double tmp = (i < r - 1) ? a[i + 1] : 0.0;
        if (i < w->np)
            tmp += w->phi[i] * a[0];
        anew[i] = tmp;
    }
    if (d > 0) {
        for (int i = r + 1; i < w->rd; i++)
            anew[i] = a[i - 1];
        double tmp = a[0];
        for (int i = 0; i < d; i++)
            tmp += w->delta[i] * a[r + i];
        anew[r] = tmp;
    }
}

/* Z a: the observation the state a stands for. */
static double observe(const arima_work *w, const double *a)
{
    double z = a[0];
    for (int i = 0; i < w->nd; i++)
        z += w->delta[i] * a[w->r + i];
    return z;
}

/* Pn = T P T' + R R' for the structured transition (d >= 0). */
static void predict_cov(const arima_work *w, const double *P, double *Pn,
                        double *mm)
{
    int r = w->r, d = w->nd, rd = w->rd, p = w->np, q = w->nq;
    const double *phi = w->phi, *theta = w->theta, *delta = w->delta;
    for (int i = 0; i < r; i++)
        for (int j = 0; j < rd; j++) {
            double tmp = 0.0;
            if (i < p)
                tmp += phi[i] * P[rd * j];
            if (i < r - 1)
                tmp += P[i + 1 + rd * j];
            mm[i + rd * j] = tmp;
        }
    if (d > 0) {
        for (int j = 0; j < rd; j++) {
            double tmp = P[rd * j];
            for (int k = 0; k < d; k++)
                tmp += delta[k] * P[r + k + rd * j];
            mm[r + rd * j] = tmp;
        }
        for (int i = 1; i < d; i++)
            for (int j = 0; j < rd; j++)
                mm[r + i + rd * j] = P[r + i - 1 + rd * j];
    }
    for (int i = 0; i < r; i++)
        for (int j = 0; j < rd; j++) {
            double tmp = 0.0;
            if (i < p)
                tmp += phi[i] * mm[j];
            if (i < r - 1)
                tmp += mm[rd * (i + 1) + j];
            Pn[j + rd * i] = tmp;
        }
    if (d > 0) {
        for (int j = 0; j < rd; j++) {
            double tmp = mm[j];
            for (int k = 0; k < d; k++)
                tmp += delta[k] * mm[rd * (r + k) + j];
            Pn[j + rd * r] = tmp;
        }
        for (int i = 1; i < d; i++)
            for (int j = 0; j < rd; j++)
                Pn[j + rd * (r + i)] = mm[rd * (r + i - 1) + j];
    }
    for (int i = 0; i <= q; i++) {
        double vi = i == 0 ? 1. : theta[i - 1];
        for (int j = 0; j <= q; j++)
            Pn[i + rd * j] += vi * (j == 0 ? 1. : theta[j - 1]);
    }
}

/* The Kalman filter over y (n values) from the state set by model_start:
 * sum of squared standardised innovations, sum of log variances and their
 * count (observations whose innovation variance is below 1e4, so the
 * diffuse start is left out).  Residuals (standardised) into resid when
 * not NULL.  w->a and w->P hold the final filtered state. */
static void kalman(arima_work *w, const double *y, size_t n, double *ssq,
                   double *sumlog, int *nu, double *resid)
{
    int r = w->r, d = w->nd, rd = w->rd, p = w->np, q = w->nq;
    const double *phi = w->phi, *theta = w->theta, *delta = w->delta;
    double *a = w->a, *anew = w->anew, *M = w->M, *P = w->P, *Pnew = w->Pn,
           *mm = w->mm, *Pprev = w->Pprev;
    double s = 0, sl = 0, gain = 1;
    int count = 0, steady = 0;
    size_t rd2 = (size_t)rd * (size_t)rd;
    for (size_t l = 0; l < n; l++) {
        predict_state(w, a, anew);
        if (l > 0 && !steady) {
            if (d == 0) {
                for (int i = 0; i < r; i++) {
                    double vi = i == 0 ? 1.0 : (i - 1 < q ? theta[i - 1] : 0);
                    for (int j = 0; j < r; j++) {
                        double tmp =
                            j == 0 ? vi : (j - 1 < q ? vi * theta[j - 1] : 0.0);
                        if (i < p && j < p)
                            tmp += phi[i] * phi[j] * P[0];
                        if (i < r - 1 && j < r - 1)
                            tmp += P[(i + 1) + r * (j + 1)];
                        if (i < p && j < r - 1)
                            tmp += phi[i] * P[j + 1];
                        if (j < p && i < r - 1)
                            tmp += phi[j] * P[i + 1];
                        Pnew[i + r * j] = tmp;
                    }
                }
            } else {
                predict_cov(w, P, Pnew, mm);
            }
        }
        /* y - Z anew, subtracted term by term: the optimiser's path (and the
         * coefficients the tests compare with R) depends on this rounding */
        double resid0 = y[l] - anew[0];
        for (int i = 0; i < d; i++)
            resid0 -= delta[i] * anew[r + i];
        if (!steady) {
            gain = Pnew[0];
            for (int i = 0; i < d; i++)
                gain += delta[i] * Pnew[r + i];
            for (int i = 0; i < rd; i++) {
                double tmp = Pnew[i];
                for (int j = 0; j < d; j++)
                    tmp += Pnew[i + rd * (r + j)] * delta[j];
                M[i] = tmp;
            }
            for (int i = 0; i < d; i++)
                gain += delta[i] * M[r + i];
        }
        if (gain < 1e4) {
            count++;
            s += resid0 * resid0 / gain;
            sl += log(gain);
        }
        if (resid)
            resid[l] = resid0 / sqrt(gain);
        for (int i = 0; i < rd; i++)
            a[i] = anew[i] + M[i] * resid0 / gain;
        if (steady)
            continue;
        for (int i = 0; i < rd; i++)
            for (int j = 0; j < rd; j++)
                P[i + rd * j] = Pnew[i + rd * j] - M[i] * M[j] / gain;
        /* Once the filtered covariance stops changing, the model being
         * time-invariant, every later step has the same gain: only the
         * state moves from then on. */
        if (l > 0) {
            double diff = 0, scale = 0;
            for (size_t i = 0; i < rd2; i++) {
                double dv = fabs(P[i] - Pprev[i]), sv = fabs(P[i]);
                diff = dv > diff ? dv : diff;
                scale = sv > scale ? sv : scale;
            }
            /* the filter runs at unit innovation variance: P is on the
             * scale of 1 or more */
            if (diff <= 1e-13 * (scale > 1 ? scale : 1) && w->steady_ok)
                steady = 1;
        }
        memcpy(Pprev, P, rd2 * sizeof *P);
    }
    *ssq = s;
    *sumlog = sl;
    *nu = count;
}

/* The likelihood terms of a stationary ARMA model (no differencing) by
 * the Chandrasekhar recursions (Morf, Sidhu and Kailath 1974): started at
 * the stationary covariance, the one-step change of the prediction
 * covariance has rank one, so each step costs O(r) instead of the
 * Riccati update's O(r^2).  Only the first column of the stationary
 * covariance is needed: from the autocovariances and psi weights.
 * Returns -1 when the autocovariances cannot be solved for. */
static int chandrasekhar(arima_work *w, const double *y, size_t n, double *ssq,
                         double *sumlog, int *nu)
{
    int r = w->r, p = w->np, q = w->nq;
    const double *phi = w->phi, *theta = w->theta;
    double *buf = w->q0w; /* 4 r * r >= what is used here */
    double *psi = buf, *gam = psi + r + 1, *col = gam + r + 1, *K = col + r + 1,
           *wv = K + r + 1, *a = wv + r + 1, *u = a + r + 1, *A = u + r + 1;
    /* psi weights 0..r */
    for (int j = 0; j <= r; j++) {
        double v = j == 0 ? 1 : (j <= q ? theta[j - 1] : 0);
        for (int i = 1; i <= j && i <= p; i++)
            v += phi[i - 1] * psi[j - i];
        psi[j] = v;
    }
    /* Autocovariances of the ARMA process in O(r^2): those of the pure AR
     * part x (phi(B) x = e) by the step-down and Levinson recursions, then
     * y = theta(B) x.  A = kappa, cur, prev (p each) and gx (r + q + 1). */
    double *kap = A, *cur = kap + p + 1, *prev = cur + p + 1,
           *gx = prev + p + 1;
    int L = r + q;
    for (int j = 0; j < p; j++)
        cur[j] = phi[j];
    for (int m = p; m >= 1; m--) {
        double k = cur[m - 1];
        if (!(fabs(k) < 1))
            return -1;
        kap[m] = k;
        double den = 1 - k * k;
        for (int j = 0; j < m - 1; j++)
            prev[j] = (cur[j] + k * cur[m - 2 - j]) / den;
        memcpy(cur, prev, (size_t)(m > 1 ? m - 1 : 0) * sizeof *cur);
    }
    double var0 = 1;
    for (int m = 1; m <= p; m++)
        var0 /= 1 - kap[m] * kap[m];
    gx[0] = var0;
    for (int m = 1; m <= p; m++) {
        /* prev = a^(m-1) (m - 1 values) */
        double g = kap[m] * var0;
        for (int j = 1; j < m; j++)
            g += prev[j - 1] * gx[m - j];
        gx[m] = g;
        for (int j = 1; j < m; j++)
            cur[j - 1] = prev[j - 1] - kap[m] * prev[m - j - 1];
        cur[m - 1] = kap[m];
        memcpy(prev, cur, (size_t)m * sizeof *cur);
        var0 *= 1 - kap[m] * kap[m];
    }
    for (int k = p + 1; k <= L; k++) {
        double g = 0;
        for (int j = 1; j <= p; j++)
            if (phi[j - 1] != 0)
                g += phi[j - 1] * gx[k - j];
        gx[k] = g;
    }
    int nz[512], nnz = 0;
    for (int j = 0; j <= q && nnz < 512; j++)
        if (j == 0 || theta[j - 1] != 0)
            nz[nnz++] = j;
    for (int k = 0; k <= r; k++) {
        double g = 0;
        for (int a1 = 0; a1 < nnz; a1++) {
            int j = nz[a1];
            double tj = j == 0 ? 1 : theta[j - 1];
            for (int a2 = 0; a2 < nnz; a2++) {
                int l = nz[a2];
                double tl = l == 0 ? 1 : theta[l - 1];
                g += tj * tl * gx[abs(k + j - l)];
            }
        }
        gam[k] = g;
    }
    if (!(gam[0] > 0) || !isfinite(gam[0]))
        return -1;
    /* Cov(state i, y) */
    col[0] = gam[0];
    for (int i = 1; i < r; i++) {
        double v = 0;
        for (int k = i; k < r; k++) {
            if (k < p)
                v += phi[k] * gam[k - i + 1];
            double rk = k == 0 ? 1 : (k - 1 < q ? theta[k - 1] : 0);
            v += rk * psi[k - i];
        }
        col[i] = v;
    }
    col[r] = 0;
    double F = col[0];
    for (int i = 0; i < r; i++) {
        K[i] = (i < p ? phi[i] * col[0] : 0) + col[i + 1];
        wv[i] = K[i];
        a[i] = 0;
    }
    double sv = -1 / F, ss = 0, sl = 0;
    int count = 0;
    for (size_t t = 0; t < n; t++) {
        double v = y[t] - a[0];
        if (F < 1e4) {
            count++;
            ss += v * v / F;
            sl += log(F);
        }
        /* next predicted state: T a + K v / F */
        double a0 = a[0], g = v / F;
        for (int i = 0; i < r; i++)
            a[i] = (i < p ? phi[i] * a0 : 0) + (i < r - 1 ? a[i + 1] : 0) +
                   K[i] * g;
        /* covariance change: rank one, s w w' */
        double w0 = wv[0], w0F = w0 / F;
        for (int i = 0; i < r; i++)
            u[i] = (i < p ? phi[i] * w0 : 0) + (i < r - 1 ? wv[i + 1] : 0);
        double Fn = F + sv * w0 * w0;
        for (int i = 0; i < r; i++) {
            double ki = K[i];
            K[i] = ki + sv * w0 * u[i];
            wv[i] = u[i] - w0F * ki;
        }
        sv = sv * F / Fn;
        F = Fn;
        if (!(F > 0))
            return -1;
    }
    *ssq = ss;
    *sumlog = sl;
    *nu = count;
    return 0;
}

/* Conditional sum of squares: the mean squared residual after ncond
 * observations (R's ARIMA_CSS); residuals into resid when not NULL. */
static double css(const arima_work *w, const double *y, size_t n, int ncond,
                  double *wbuf, double *res)
{
    const arma_order *o = &w->o;
    memcpy(wbuf, y, n * sizeof *wbuf);
    for (int i = 0; i < o->d; i++)
        for (size_t l = n - 1; l > 0; l--)
            wbuf[l] -= wbuf[l - 1];
    for (int i = 0; i < o->D; i++)
        for (size_t l = n - 1; l >= (size_t)o->m && l > 0; l--)
            wbuf[l] -= wbuf[l - (size_t)o->m];
    double ssq = 0;
    int nu = 0;
    for (size_t l = 0; l < (size_t)ncond && l < n; l++)
        res[l] = 0;
    for (size_t l = (size_t)ncond; l < n; l++) {
        double tmp = wbuf[l];
        for (int j = 0; j < w->np; j++)
            tmp -= w->phi[j] * wbuf[l - (size_t)j - 1];
        int lim =
            (int)(l - (size_t)ncond) < w->nq ? (int)(l - (size_t)ncond) : w->nq;
        for (int j = 0; j < lim; j++)
            tmp -= w->theta[j] * res[l - (size_t)j - 1];
        res[l] = tmp;
        if (!isnan(tmp)) {
            nu++;
            ssq += tmp * tmp;
        }
    }
    return ssq / nu;
}

/* ---- optimisation as R's optim(method = "BFGS") ---------------------- */

typedef double (*objective)(const double *x, void *ctx);

typedef struct opt_state {
    objective fn;
    void *ctx;
    int n;
    const double *parscale;
    double *tmp;
} opt_state;

/* The objective at scaled parameters x. */
static double opt_f(opt_state *s, const double *x)
{
    for (int i = 0; i < s->n; i++)
        s->tmp[i] = x[i] * s->parscale[i];
    return s->fn(s->tmp, s->ctx);
}

/* Central differences with step NDEPS on the scaled parameters; -1 when a
 * difference is not finite (R's optim stops with an error there). */
static int opt_grad(opt_state *s, const double *x, double *g)
{
    double xx[MAXPAR];
    memcpy(xx, x, (size_t)s->n * sizeof *xx);
    for (int i = 0; i < s->n; i++) {
        xx[i] = x[i] + NDEPS;
        double f1 = opt_f(s, xx);
        xx[i] = x[i] - NDEPS;
        double f2 = opt_f(s, xx);
        xx[i] = x[i];
        g[i] = (f1 - f2) / (2 * NDEPS);
        if (!isfinite(g[i]))
            return -1;
    }
    return 0;
}

/* Nash's variable metric minimiser (as R's vmmin) on scaled parameters b.
 * *fail: 0 converged, 1 iteration limit; returns -1 on a non-finite
 * start or gradient. */
static int vmmin(opt_state *s, double *b, int maxit, double *fmin, int *fail)
{
    const double stepredn = 0.2, acctol = 0.0001, reltest = 10.0;
    const double reltol = 1.490116119384765625e-8;
    int n = s->n;
    double g[MAXPAR], t[MAXPAR], X[MAXPAR], c[MAXPAR], B[MAXPAR * MAXPAR];
    double f = opt_f(s, b);
    *fail = 0;
    if (maxit <= 0) {
        *fmin = f;
        return 0;
    }
    if (!isfinite(f))
        return -1;
    *fmin = f;
    if (opt_grad(s, b, g) < 0)
        return -1;
    int iter = 1, gradcount = 1, ilast = gradcount, count;
    do {
        if (ilast == gradcount)
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++)
                    B[i * n + j] = i == j;
        for (int i = 0; i < n; i++) {
            X[i] = b[i];
            c[i] = g[i];
        }
        double gradproj = 0;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j <= i; j++)
                sum -= B[i * n + j] * g[j];
            for (int j = i + 1; j < n; j++)
                sum -= B[j * n + i] * g[j];
            t[i] = sum;
            gradproj += sum * g[i];
        }
        if (gradproj < 0) {
            double steplength = 1.0;
            int accpoint = 0;
            do {
                count = 0;
                for (int i = 0; i < n; i++) {
                    b[i] = X[i] + steplength * t[i];
                    if (reltest + X[i] == reltest + b[i])
                        count++;
                }
                if (count < n) {
                    f = opt_f(s, b);
                    accpoint = isfinite(f) &&
                               (f <= *fmin + gradproj * steplength * acctol);
                    if (!accpoint)
                        steplength *= stepredn;
                }
            } while (!(count == n || accpoint));
            int enough = (f > -HUGE_VAL) &&
                         fabs(f - *fmin) > reltol * (fabs(*fmin) + reltol);
            if (!enough) {
                count = n;
                *fmin = f;
            }
            if (count < n) {
                *fmin = f;
                if (opt_grad(s, b, g) < 0)
                    return -1;
                gradcount++;
                iter++;
                double D1 = 0;
                for (int i = 0; i < n; i++) {
                    t[i] = steplength * t[i];
                    c[i] = g[i] - c[i];
                    D1 += t[i] * c[i];
                }
                if (D1 > 0) {
                    double D2 = 0;
                    for (int i = 0; i < n; i++) {
                        double sum = 0;
                        for (int j = 0; j <= i; j++)
                            sum += B[i * n + j] * c[j];
                        for (int j = i + 1; j < n; j++)
                            sum += B[j * n + i] * c[j];
                        X[i] = sum;
                        D2 += sum * c[i];
                    }
                    D2 = 1.0 + D2 / D1;
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j <= i; j++)
                            B[i * n + j] +=
                                (D2 * t[i] * t[j] - X[i] * t[j] - t[i] * X[j]) /
                                D1;
                } else {
                    ilast = gradcount;
                }
            } else {
                if (ilast < gradcount) {
                    count = 0;
                    ilast = gradcount;
                }
            }
        } else {
            count = 0;
            if (ilast == gradcount)
                count = n;
            else
                ilast = gradcount;
        }
        if (iter >= maxit)
            break;
        if (gradcount - ilast > 2 * n)
            ilast = gradcount;
    } while (count != n || ilast != gradcount);
    *fail = iter < maxit ? 0 : 1;
    return 0;
}

/* Minimise s->fn over the free parameters (mask[i] != 0 among npar),
 * starting from init: x gets the minimum in natural units, *fval the
 * value there, *fail vmmin's flag; -1 as vmmin. */
static int optimise_free(opt_state *s, const double *init, const int *mask,
                         int npar, double *x, double *fval, int *fail)
{
    for (int i = 0, j = 0; i < npar; i++)
        if (mask[i]) {
            x[j] = init[i] / s->parscale[j];
            j++;
        }
    if (vmmin(s, x, s->n > 0 ? 100 : 0, fval, fail) < 0)
        return -1;
    for (int i = 0; i < s->n; i++)
        x[i] *= s->parscale[i];
    return 0;
}

/* The Hessian of the objective at unscaled parameters par (as R's
 * optimhess: differences of finite-difference gradients), symmetrised,
 * in unscaled coordinates.  -1 when a gradient is not finite. */
static int opt_hessian(opt_state *s, const double *par, double *H)
{
    int n = s->n;
    double dpar[MAXPAR], g1[MAXPAR], g2[MAXPAR];
    for (int i = 0; i < n; i++)
        dpar[i] = par[i] / s->parscale[i];
    for (int i = 0; i < n; i++) {
        double eps = NDEPS / s->parscale[i];
        dpar[i] += eps;
        if (opt_grad(s, dpar, g1) < 0)
            return -1;
        dpar[i] -= 2 * eps;
        if (opt_grad(s, dpar, g2) < 0)
            return -1;
        for (int j = 0; j < n; j++)
            H[i * n + j] =
                (g1[j] - g2[j]) / (2 * eps * s->parscale[i] * s->parscale[j]);
        dpar[i] += eps;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            double v = 0.5 * (H[i * n + j] + H[j * n + i]);
            H[i * n + j] = H[j * n + i] = v;
        }
    return 0;
}

/* ---- one fit ---------------------------------------------------------- */

enum { METHOD_CSS_ML = 0, METHOD_ML = 1, METHOD_CSS = 2 };
/* Or'ed into the method: optimise the likelihood of the differenced
 * series (the search's speed) rather than R's full filter. */
#define METHOD_FAST 8

typedef struct fit_ctx {
    arima_work w;
    const double *y;
    size_t n;
    const double *X; /* n x ncx, possibly rotated */
    int ncx;
    int narma;
    double *coef;    /* narma + ncx: the full vector, fixed entries set */
    const int *mask; /* 1 = free */
    int nfree;
    int trans;
    int ncond;
    double *resy; /* n: y - X beta */
    double *wbuf; /* n */
    double *res;  /* n */
    /* The optimiser's likelihood on the differenced series: the ARMA block
     * alone (wd) over dy - dX beta.  It equals the diffuse likelihood of
     * the full model up to the 1e6 prior, at a fraction of the cost. */
    int use_diff;
    arima_work wd;
    double *dy, *dX, *dw;
    size_t nw;
} fit_ctx;

static void ctx_set(fit_ctx *c, const double *x)
{
    for (int i = 0, j = 0; i < c->narma + c->ncx; i++)
        if (c->mask[i])
            c->coef[i] = x[j++];
    for (size_t t = 0; t < c->n; t++) {
        double v = c->y[t];
        for (int j = 0; j < c->ncx; j++)
            v -= c->X[t * (size_t)c->ncx + (size_t)j] * c->coef[c->narma + j];
        c->resy[t] = v;
    }
}

static double obj_css(const double *x, void *vc)
{
    fit_ctx *c = vc;
    ctx_set(c, x);
    expand(&c->w.o, c->coef, 0, c->w.phi, c->w.theta);
    double v = css(&c->w, c->resy, c->n, c->ncond, c->wbuf, c->res);
    return 0.5 * log(v);
}

static double obj_ml(const double *x, void *vc)
{
    fit_ctx *c = vc;
    if (c->use_diff) {
        for (int i = 0, j = 0; i < c->narma + c->ncx; i++)
            if (c->mask[i])
                c->coef[i] = x[j++];
        for (size_t t = 0; t < c->nw; t++) {
            double v = c->dy[t];
            for (int j = 0; j < c->ncx; j++)
                v -= c->dX[t * (size_t)c->ncx + (size_t)j] *
                     c->coef[c->narma + j];
            c->dw[t] = v;
        }
        expand(&c->wd.o, c->coef, c->trans, c->wd.phi, c->wd.theta);
        for (int i = c->wd.nq; i < c->wd.r; i++)
            c->wd.theta[i] = 0;
        double ssq, sumlog;
        int nu;
        if (chandrasekhar(&c->wd, c->dw, c->nw, &ssq, &sumlog, &nu) < 0)
            return DBL_MAX;
        return 0.5 * (log(ssq / nu) + sumlog / nu);
    }
    ctx_set(c, x);
    expand(&c->w.o, c->coef, c->trans, c->w.phi, c->w.theta);
    if (model_start(&c->w) < 0)
        return DBL_MAX;
    double ssq, sumlog;
    int nu;
    kalman(&c->w, c->resy, c->n, &ssq, &sumlog, &nu, NULL);
    double s2 = ssq / nu;
    return 0.5 * (log(s2) + sumlog / nu);
}

static size_t diff_rows(double *X, size_t len, int k, int d, int D, int m);

int ll_fc_arima_loglik(const double *y, size_t n, const int order[7],
                       const double *coef, int fast, double *loglik)
{
    arma_order o = {order[0],
                    order[1],
                    order[2],
                    order[3],
                    order[4],
                    order[5],
                    order[6] > 0 ? order[6] : 1};
    arima_work w;
    if (o.p < 0 || o.q < 0 || o.P < 0 || o.Q < 0 || o.d < 0 || o.D < 0 ||
        narma_of(&o) > MAXPAR)
        return LL_EINVAL;
    if (work_init(&w, &o) < 0)
        return LL_ENOMEM;
    size_t nd = (size_t)w.nd;
    if (n <= nd) {
        work_free(&w);
        return LL_EINVAL;
    }
    double ssq, sumlog;
    int nu, rc = LL_OK;
    if (fast) {
        arima_work wd;
        arma_order od = o;
        od.d = od.D = 0;
        double *dy = malloc(n * sizeof *dy);
        if (!dy || work_init(&wd, &od) < 0) {
            free(dy);
            work_free(&w);
            return LL_ENOMEM;
        }
        memcpy(dy, y, n * sizeof *dy);
        size_t len = diff_rows(dy, n, 1, o.d, o.D, o.m);
        expand(&od, coef, 0, wd.phi, wd.theta);
        if (chandrasekhar(&wd, dy, len, &ssq, &sumlog, &nu) < 0)
            rc = LL_ERANGE;
        free(dy);
        work_free(&wd);
    } else {
        expand(&o, coef, 0, w.phi, w.theta);
        if (model_start(&w) < 0)
            rc = LL_ERANGE;
        else
            kalman(&w, y, n, &ssq, &sumlog, &nu, NULL);
    }
    work_free(&w);
    if (rc < 0)
        return rc;
    double dn = (double)(n - nd), f = 0.5 * (log(ssq / nu) + sumlog / nu);
    *loglik = -0.5 * (2 * dn * f + dn + dn * log(2 * M_PI));
    return LL_OK;
}

/* What one fit produces. */
typedef struct arima_res {
    arma_order o;
    int has_mean, has_drift, k;
    int ncx;
    int narma;
    double coef[MAXPAR]; /* narma + ncx, natural (unrotated) scale */
    int nfree;
    double loglik, aic, sigma2_fit; /* aic NAN for CSS */
    double sigma2;                  /* adjusted */
    int var_ok;                     /* var.coef has no negative diagonal */
    double *resid;                  /* n */
    arima_work w;                   /* final state (ML), for forecasting */
    int method;
} arima_res;

static void res_free(arima_res *r)
{
    if (!r)
        return;
    free(r->resid);
    work_free(&r->w);
    r->resid = NULL;
}

/* The design matrix of intercept (when mean and no differencing), drift
 * (1..n) and user regressors: n x ncx row-major. */
static double *design(const ll_fc_data *data, int mean, int drift, int *ncx)
{
    int k = (int)data->k, c = (mean ? 1 : 0) + (drift ? 1 : 0) + k;
    *ncx = c;
    if (c == 0)
        return NULL;
    double *X = malloc(data->n * (size_t)c * sizeof *X);
    if (!X)
        return NULL;
    for (size_t t = 0; t < data->n; t++) {
        int j = 0;
        if (mean)
            X[t * (size_t)c + (size_t)j++] = 1;
        if (drift)
            X[t * (size_t)c + (size_t)j++] = (double)(t + 1);
        for (int i = 0; i < k; i++)
            X[t * (size_t)c + (size_t)j++] = data->x[t * data->k + (size_t)i];
    }
    return X;
}

/* Difference the columns of X (len rows, k columns) d times at lag 1 and
 * D times at lag m in place; returns the rows left. */
static size_t diff_rows(double *X, size_t len, int k, int d, int D, int m)
{
    for (int i = 0; i < d && len > 0; i++) {
        for (size_t t = 0; t + 1 < len; t++)
            for (int j = 0; j < k; j++)
                X[t * (size_t)k + (size_t)j] =
                    X[(t + 1) * (size_t)k + (size_t)j] -
                    X[t * (size_t)k + (size_t)j];
        len--;
    }
    for (int i = 0; i < D && len > (size_t)m; i++) {
        for (size_t t = 0; t + (size_t)m < len; t++)
            for (int j = 0; j < k; j++)
                X[t * (size_t)k + (size_t)j] =
                    X[(t + (size_t)m) * (size_t)k + (size_t)j] -
                    X[t * (size_t)k + (size_t)j];
        len -= (size_t)m;
    }
    if (D > 0 && len <= (size_t)m)
        len = 0;
    return len;
}

/* At the optimum x of os (natural units): the Hessian into H when any
 * parameter is free (*have_hessian says whether), then c's coefficients
 * set to x. */
static int settle_at(opt_state *os, fit_ctx *c, const double *x, double *H,
                     int *have_hessian, ll_err *err)
{
    *have_hessian = os->n > 0;
    if (os->n > 0 && opt_hessian(os, x, H) < 0)
        return ll_err_set(err, LL_EINVAL, "non-finite finite-difference value");
    ctx_set(c, x);
    return LL_OK;
}

/* Fit one model as R's arima() with the given method.  fixed: narma + ncx
 * values, NAN = estimate (NULL = all estimated).  On failure returns a
 * negative code with a message (R's error). */
static double fit_min_root(const arima_res *r, int ar);

static int fit_one(const ll_fc_data *data, const arma_order *o, int mean,
                   int drift, int method, const double *fixed, arima_res *out,
                   ll_err *err)
{
    memset(out, 0, sizeof *out);
    int fast = (method & METHOD_FAST) != 0;
    method &= ~METHOD_FAST;
    out->o = *o;
    out->method = method;
    size_t n = data->n;
    int nd_total = o->d + o->D;
    int has_mean = mean && nd_total == 0;
    out->has_mean = has_mean;
    out->has_drift = drift;
    out->k = (int)data->k;
    int ncx = 0;
    double *X = design(data, has_mean, drift, &ncx);
    if (ncx > 0 && !X)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int narma = narma_of(o), npar = narma + ncx;
    out->ncx = ncx;
    out->narma = narma;
    if (o->p + o->m * o->P > 350 || o->q + o->m * o->Q > 350) {
        free(X);
        return ll_err_set(err, LL_EINVAL, "maximum supported lag is 350");
    }
    if (npar > MAXPAR) {
        free(X);
        return ll_err_set(err, LL_EINVAL,
                          "ARIMA: too many parameters (%d; at most %d)", npar,
                          MAXPAR);
    }
    fit_ctx c;
    memset(&c, 0, sizeof c);
    int rc = work_init(&c.w, o);
    double *buf = malloc((4 * n + 16) * sizeof *buf);
    double *V = NULL;
    int mask[MAXPAR];
    double coef[MAXPAR], parscale[MAXPAR], init[MAXPAR];
    if (rc < 0 || !buf) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    c.y = data->y;
    c.n = n;
    c.ncx = ncx;
    c.narma = narma;
    c.coef = coef;
    c.mask = mask;
    c.resy = buf;
    c.wbuf = buf + n;
    c.res = buf + 2 * n;
    double *lmy = buf + 3 * n;
    size_t nused = n - (size_t)c.w.nd;
    if (n <= (size_t)c.w.nd) {
        rc = ll_err_set(err, LL_EINVAL, "too few non-missing observations");
        goto done;
    }
    int nfree = 0;
    for (int i = 0; i < npar; i++) {
        mask[i] = !fixed || isnan(fixed[i]);
        coef[i] = mask[i] ? 0 : fixed[i];
        nfree += mask[i];
        parscale[i] = 1;
        init[i] = 0;
    }
    c.nfree = nfree;
    int trans = nfree > 0;
    for (int i = 0; i < o->p; i++)
        if (!mask[i])
            trans = 0;
    for (int i = 0; i < o->P; i++)
        if (!mask[o->p + o->q + i])
            trans = 0;
    int orig_xreg = ncx == 1;
    for (int i = 0; i < ncx; i++)
        if (!mask[narma + i])
            orig_xreg = 1;
    if (ncx > 0) {
        if (!orig_xreg) {
            /* rotate by the right singular vectors of X */
            double XtX[64 * 64];
            V = malloc((size_t)ncx * (size_t)ncx * sizeof *V);
            if (!V || ncx > 64) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
            for (int i = 0; i < ncx; i++)
                for (int j = 0; j < ncx; j++) {
                    double s = 0;
                    for (size_t t = 0; t < n; t++)
                        s += X[t * (size_t)ncx + (size_t)i] *
                             X[t * (size_t)ncx + (size_t)j];
                    XtX[i * ncx + j] = s;
                }
            sym_eigen(XtX, ncx, V);
            double row[64];
            for (size_t t = 0; t < n; t++) {
                for (int j = 0; j < ncx; j++) {
                    double s = 0;
                    for (int i = 0; i < ncx; i++)
                        s += X[t * (size_t)ncx + (size_t)i] * V[i * ncx + j];
                    row[j] = s;
                }
                memcpy(&X[t * (size_t)ncx], row, (size_t)ncx * sizeof *row);
            }
        }
        /* starting values: least squares on the differenced data */
        double *dX = malloc(n * (size_t)ncx * sizeof *dX);
        if (!dX) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(dX, X, n * (size_t)ncx * sizeof *dX);
        memcpy(lmy, data->y, n * sizeof *lmy);
        size_t len = diff_rows(dX, n, ncx, o->d, o->D, o->m);
        diff_rows(lmy, n, 1, o->d, o->D, o->m);
        double beta[64], se[64];
        int lrc =
            len > (size_t)ncx ? least_squares(dX, lmy, len, ncx, beta, se) : -1;
        if (lrc < 0)
            lrc = least_squares(X, data->y, n, ncx, beta, se);
        free(dX);
        if (lrc < 0) {
            rc = ll_err_set(err, LL_EINVAL,
                            "the regressors are collinear (rank deficient)");
            goto done;
        }
        for (int j = 0; j < ncx; j++) {
            init[narma + j] = beta[j];
            parscale[narma + j] = isfinite(se[j]) && se[j] > 0 ? 10 * se[j] : 1;
        }
    }
    c.X = X;
    for (int i = 0; i < npar; i++)
        if (!mask[i])
            init[i] = fixed[i];
    if (fast && method != METHOD_CSS) {
        arma_order od = *o;
        od.d = od.D = 0;
        c.nw = n - (size_t)c.w.nd;
        c.dy = malloc((2 * n + n * (size_t)ncx) * sizeof *c.dy);
        if (!c.dy || work_init(&c.wd, &od) < 0) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        c.wd.steady_ok = 1;
        /* the search's final pass may stop updating a converged P too:
         * its values move by 1e-13 relative at most */
        c.w.steady_ok = 1;
        c.dw = c.dy + n;
        c.dX = c.dy + 2 * n;
        memcpy(c.dy, data->y, n * sizeof *c.dy);
        diff_rows(c.dy, n, 1, o->d, o->D, o->m);
        if (ncx > 0) {
            memcpy(c.dX, X, n * (size_t)ncx * sizeof *c.dX);
            diff_rows(c.dX, n, ncx, o->d, o->D, o->m);
        }
        c.use_diff = 1;
    }
    double x[MAXPAR], ps[MAXPAR], tmp[MAXPAR];
    int nf = 0;
    for (int i = 0; i < npar; i++)
        if (mask[i])
            ps[nf++] = parscale[i];
    opt_state os = {NULL, &c, nfree, ps, tmp};
    double H[MAXPAR * MAXPAR], Hinv[MAXPAR * MAXPAR], Hw[MAXPAR * MAXPAR];
    double fval = 0;
    int fail = 0, have_hessian = 0;
    if (method == METHOD_CSS || method == METHOD_CSS_ML) {
        c.ncond = o->d + o->D * o->m + o->p + o->m * o->P;
        if ((size_t)c.ncond >= n) {
            rc = ll_err_set(err, LL_EINVAL,
                            "series too short for the conditional sum of "
                            "squares: %zu observations, %d conditioning",
                            n, c.ncond);
            goto done;
        }
        os.fn = obj_css;
        if (optimise_free(&os, init, mask, npar, x, &fval, &fail) < 0) {
            rc = ll_err_set(err, LL_EINVAL,
                            "non-finite value in the CSS optimisation");
            goto done;
        }
        if (method == METHOD_CSS) {
            if ((rc = settle_at(&os, &c, x, H, &have_hessian, err)) < 0)
                goto done;
        } else {
            if (fail == 0) {
                for (int i = 0, j = 0; i < npar; i++)
                    if (mask[i])
                        init[i] = x[j++];
            }
            if (o->p > 0 && !ar_check(init, o->p)) {
                rc = ll_err_set(err, LL_EINVAL,
                                "non-stationary AR part from CSS");
                goto done;
            }
            if (o->P > 0 && !ar_check(init + o->p + o->q, o->P)) {
                rc = ll_err_set(err, LL_EINVAL,
                                "non-stationary seasonal AR part from CSS");
                goto done;
            }
        }
    }
    if (method != METHOD_CSS) {
        c.ncond = 0;
        if (trans) {
            double t2[MAXPAR];
            inv_blocks(o, init, t2);
            memcpy(init, t2, (size_t)narma * sizeof *init);
            if (o->q > 0)
                ma_invert(init + o->p, o->q);
            if (o->Q > 0)
                ma_invert(init + o->p + o->q + o->P, o->Q);
        }
        c.trans = trans;
        os.fn = obj_ml;
        for (int i = 0; i < npar; i++)
            coef[i] = init[i];
        if (optimise_free(&os, init, mask, npar, x, &fval, &fail) < 0) {
            rc = ll_err_set(err, LL_EINVAL,
                            nfree > 0 ? "non-finite finite-difference value "
                                        "in the likelihood optimisation"
                                      : "non-finite likelihood");
            goto done;
        }
        if ((rc = settle_at(&os, &c, x, H, &have_hessian, err)) < 0)
            goto done;
        if (trans) {
            int all_q = 1, all_Q = 1;
            for (int i = 0; i < o->q; i++)
                all_q &= mask[o->p + i];
            for (int i = 0; i < o->Q; i++)
                all_Q &= mask[o->p + o->q + o->P + i];
            if (o->q > 0 && all_q)
                ma_invert(coef + o->p, o->q);
            if (o->Q > 0 && all_Q)
                ma_invert(coef + o->p + o->q + o->P, o->Q);
            int changed = 0;
            for (int i = 0, j = 0; i < npar; i++)
                if (mask[i]) {
                    if (coef[i] != x[j])
                        changed = 1;
                    x[j++] = coef[i];
                }
            if (changed) {
                for (int i = 0; i < nfree; i++)
                    x[i] /= ps[i];
                fval = opt_f(&os, x);
                for (int i = 0; i < nfree; i++)
                    x[i] *= ps[i];
                if ((rc = settle_at(&os, &c, x, H, &have_hessian, err)) < 0)
                    goto done;
            }
        }
    }
    /* variance of the estimates: only whether its diagonal is valid */
    out->var_ok = 1;
    if (have_hessian) {
        for (int i = 0; i < nfree * nfree; i++)
            H[i] *= (double)nused;
        double rcond = mat_inverse(H, nfree, Hinv, Hw);
        if (!(rcond >= DBL_EPSILON)) {
            rc = ll_err_set(err, LL_EINVAL,
                            "the Hessian is computationally singular");
            goto done;
        }
        /* Jacobian of the transform (forward differences, as R) */
        double A[MAXPAR * MAXPAR];
        for (int i = 0; i < nfree * nfree; i++)
            A[i] = 0;
        int fidx[MAXPAR];
        for (int i = 0, j = 0; i < npar; i++)
            if (mask[i])
                fidx[i] = j++;
            else
                fidx[i] = -1;
        for (int i = 0; i < npar; i++)
            if (mask[i])
                A[fidx[i] * nfree + fidx[i]] = 1;
        if (method != METHOD_CSS && trans) {
            int blocks[2][2] = {{0, o->p}, {o->p + o->q, o->P}};
            for (int b = 0; b < 2; b++) {
                int off = blocks[b][0], len = blocks[b][1];
                if (len == 0)
                    continue;
                double w1[MAXPAR], w2[MAXPAR], w3[MAXPAR];
                memcpy(w1, coef + off, (size_t)len * sizeof *w1);
                partrans(len, w1, w2);
                for (int i = 0; i < len; i++) {
                    w1[i] += 1e-3;
                    partrans(len, w1, w3);
                    for (int j = 0; j < len; j++)
                        A[fidx[off + i] * nfree + fidx[off + j]] =
                            (w3[j] - w2[j]) / 1e-3;
                    w1[i] -= 1e-3;
                }
            }
        }
        /* var = A' Hinv A, then the regressor block rotated back */
        double *var = Hw;
        for (int i = 0; i < nfree; i++)
            for (int j = 0; j < nfree; j++) {
                double s = 0;
                for (int k = 0; k < nfree; k++) {
                    double t = 0;
                    for (int l = 0; l < nfree; l++)
                        t += Hinv[k * nfree + l] * A[l * nfree + j];
                    s += A[k * nfree + i] * t;
                }
                var[i * nfree + j] = s;
            }
        for (int i = 0; i < nfree; i++) {
            double dv = var[i * nfree + i];
            if (V && i >= narma) {
                int a = i - narma;
                dv = 0;
                for (int k = 0; k < ncx; k++)
                    for (int l = 0; l < ncx; l++)
                        dv += V[a * ncx + k] *
                              var[(narma + k) * nfree + narma + l] *
                              V[a * ncx + l];
            }
            if (isnan(sqrt(dv)))
                out->var_ok = 0;
        }
    }
    /* undo the transform for the reported coefficients */
    if (method != METHOD_CSS && trans) {
        double t2[MAXPAR];
        trans_blocks(o, coef, t2, 1);
        memcpy(coef, t2, (size_t)narma * sizeof *coef);
    }
    /* The search rejects this fit anyway (R's myarima: invalid variance,
     * or a root within 1.01 of the unit circle): spare the final pass. */
    if (fast) {
        memcpy(out->coef, coef, (size_t)npar * sizeof *coef);
        if (!out->var_ok || (o->p + o->P > 0 && fit_min_root(out, 1) < 1.01) ||
            (o->q + o->Q > 0 && fit_min_root(out, 0) < 1.01)) {
            rc = ll_err_set(err, LL_ERANGE, "rejected: near a unit root");
            goto done;
        }
    }
    out->resid = malloc(n * sizeof *out->resid);
    if (!out->resid) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    /* residual series with the final coefficients (X, beta rotated alike) */
    for (size_t t = 0; t < n; t++) {
        double v = data->y[t];
        for (int j = 0; j < ncx; j++)
            v -= X[t * (size_t)ncx + (size_t)j] * coef[narma + j];
        c.resy[t] = v;
    }
    expand(o, coef, 0, c.w.phi, c.w.theta);
    double dn = (double)nused;
    out->loglik = -0.5 * (2 * dn * fval + dn + dn * log(2 * M_PI));
    if (method == METHOD_CSS) {
        out->sigma2_fit = css(&c.w, c.resy, n, c.ncond, c.wbuf, out->resid);
        out->aic = NAN;
    } else {
        double ssq, sumlog;
        int nu;
        model_start(&c.w);
        kalman(&c.w, c.resy, n, &ssq, &sumlog, &nu, out->resid);
        /* the reported likelihood from the full model's filter, as R */
        fval = 0.5 * (log(ssq / nu) + sumlog / nu);
        out->loglik = -0.5 * (2 * dn * fval + dn + dn * log(2 * M_PI));
        out->sigma2_fit = ssq / dn;
        out->aic = -2 * out->loglik + 2 * nfree + 2;
    }
    if (V) {
        double b[64];
        for (int i = 0; i < ncx; i++) {
            double s2 = 0;
            for (int j = 0; j < ncx; j++)
                s2 += V[i * ncx + j] * coef[narma + j];
            b[i] = s2;
        }
        memcpy(coef + narma, b, (size_t)ncx * sizeof *b);
    }
    memcpy(out->coef, coef, (size_t)npar * sizeof *coef);
    out->nfree = nfree;
    out->w = c.w;
    memset(&c.w, 0, sizeof c.w);
    rc = LL_OK;
done:
    free(buf);
    free(X);
    free(V);
    free(c.dy);
    work_free(&c.w);
    work_free(&c.wd);
    if (rc < 0)
        res_free(out);
    return rc;
}

/* ---- forecasting from the final state -------------------------------- */

/* ---- the fitted model -------------------------------------------------- */

typedef struct arima_fit {
    ll_fc_fit head;
    arima_res r;
} arima_fit;

static void arima_free(ll_fc_fit *f)
{
    arima_fit *a = (arima_fit *)f;
    res_free(&a->r);
    free(f->fitted);
    free(f->params);
    free(f);
}

static int arima_predict(const ll_fc_fit *f, size_t h, const double *xf,
                         const double *levels, size_t nlevels, double *mean,
                         double *lo, double *hi, ll_err *err)
{
    const arima_fit *a = (const arima_fit *)f;
    const arima_work *w = &a->r.w;
    size_t rd = (size_t)w->rd;
    double *buf = malloc((3 * rd * rd + 2 * rd + 1) * sizeof *buf);
    if (!buf)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    double *P = buf, *Pn = buf + rd * rd, *mm = buf + 2 * rd * rd;
    double *st = buf + 3 * rd * rd, *sn = st + rd;
    memcpy(st, w->a, rd * sizeof *st);
    memcpy(P, w->P, rd * rd * sizeof *P);
    int r = w->r, d = w->nd;
    const double *beta = a->r.coef + a->r.narma;
    for (size_t l = 0; l < h; l++) {
        predict_state(w, st, sn);
        memcpy(st, sn, rd * sizeof *st);
        double fc = observe(w, st);
        predict_cov(w, P, Pn, mm);
        memcpy(P, Pn, rd * rd * sizeof *P);
        double var = P[0];
        for (int i = 0; i < d; i++)
            var += 2 * w->delta[i] * P[r + i];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                var += w->delta[i] * w->delta[j] * P[(r + i) + rd * (r + j)];
        int j = 0;
        if (a->r.has_mean)
            fc += beta[j++];
        if (a->r.has_drift)
            fc += beta[j++] * (double)(f->n + l + 1);
        for (int i = 0; i < a->r.k; i++)
            fc += beta[j++] * xf[l * (size_t)a->r.k + (size_t)i];
        mean[l] = fc;
        double se = sqrt(fmax(var, 0) * f->sigma2);
        for (size_t k = 0; k < nlevels; k++) {
            double z = ll_fc_normal_quantile(levels[k]);
            lo[k * h + l] = fc - z * se;
            hi[k * h + l] = fc + z * se;
        }
    }
    free(buf);
    return LL_OK;
}

static const ll_fc_fit_ops arima_ops = {arima_predict, arima_free, NULL};

/* R's arima.string(). */
static void method_string(const arima_res *r, char *out, size_t len)
{
    const arma_order *o = &r->o;
    int n = snprintf(out, len, "ARIMA(%d,%d,%d)", o->p, o->d, o->q);
    if (o->m > 1 && o->P + o->D + o->Q > 0)
        n += snprintf(out + n, len - (size_t)n, "(%d,%d,%d)[%d]", o->P, o->D,
                      o->Q, o->m);
    if (r->k > 0) {
        char tmp[48];
        snprintf(tmp, sizeof tmp, "%.47s", out);
        snprintf(out, len, "Regression with %.40s errors", tmp);
    } else if (r->has_drift)
        snprintf(out + n, len - (size_t)n, " with drift");
    else if (r->has_mean)
        snprintf(out + n, len - (size_t)n, " with non-zero mean");
    else if (o->d == 0 && o->D == 0)
        snprintf(out + n, len - (size_t)n, " with zero mean");
}

/* Information criteria and the unbiased residual variance as forecast's
 * Arima() and auto.arima() set them.  css_offset: NAN for an ML fit, the
 * AIC offset for a CSS approximation. */
static void res_ic(arima_res *r, size_t n, int nfree, double css_offset,
                   double *aic, double *aicc, double *bic)
{
    const arma_order *o = &r->o;
    double npar = nfree + 1;
    double nstar = (double)n - o->d - o->D * o->m;
    double a = r->aic;
    if (!isnan(css_offset))
        a = css_offset + nstar * log(r->sigma2_fit) + 2 * npar;
    *aic = a;
    *bic = a + npar * (log(nstar) - 2);
    *aicc = a + 2 * npar * (npar + 1) / (nstar - npar - 1);
    double ss = 0;
    for (size_t t = 0; t < n; t++)
        ss += r->resid[t] * r->resid[t];
    r->sigma2 = ss / (nstar - npar + 1);
}

static int make_fit(const ll_fc_family *fam, const ll_fc_spec *spec,
                    const ll_fc_data *data, arima_res *r, int nparam_est,
                    ll_fc_fit **out, ll_err *err)
{
    arima_fit *a = calloc(1, sizeof *a);
    if (!a)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    ll_fc_fit *f = &a->head;
    f->ops = &arima_ops;
    f->family = fam;
    f->spec = *spec;
    f->spec.p = r->o.p, f->spec.d = r->o.d, f->spec.q = r->o.q;
    f->spec.P = r->o.P, f->spec.D = r->o.D, f->spec.Q = r->o.Q;
    f->spec.season_length = r->o.m;
    f->spec.include_mean = r->has_mean;
    f->spec.include_drift = r->has_drift;
    f->n = data->n;
    f->k = data->k;
    double aic, aicc, bic;
    res_ic(r, data->n, nparam_est, NAN, &aic, &aicc, &bic);
    f->loglik = r->loglik;
    f->aic = aic, f->aicc = aicc, f->bic = bic;
    f->sigma2 = r->sigma2;
    method_string(r, f->method, sizeof f->method);
    int np = r->narma + r->ncx;
    f->fitted = malloc(data->n * sizeof *f->fitted);
    f->params = calloc((size_t)np + 1, sizeof *f->params);
    if (!f->fitted || !f->params) {
        a->r = *r;
        arima_free(f);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t t = 0; t < data->n; t++)
        f->fitted[t] = data->y[t] - r->resid[t];
    int j = 0;
    const arma_order *o = &r->o;
    for (int i = 0; i < o->p; i++, j++)
        snprintf(f->params[j].name, sizeof f->params[j].name, "ar%d", i + 1);
    for (int i = 0; i < o->q; i++, j++)
        snprintf(f->params[j].name, sizeof f->params[j].name, "ma%d", i + 1);
    for (int i = 0; i < o->P; i++, j++)
        snprintf(f->params[j].name, sizeof f->params[j].name, "sar%d", i + 1);
    for (int i = 0; i < o->Q; i++, j++)
        snprintf(f->params[j].name, sizeof f->params[j].name, "sma%d", i + 1);
    if (r->has_mean)
        snprintf(f->params[j++].name, sizeof f->params[0].name, "intercept");
    if (r->has_drift)
        snprintf(f->params[j++].name, sizeof f->params[0].name, "drift");
    for (int i = 0; i < r->k; i++, j++) {
        const char *nm = data->x_names ? data->x_names[i] : NULL;
        if (nm)
            snprintf(f->params[j].name, sizeof f->params[j].name, "%s", nm);
        else if (r->k == 1) /* R's names for unnamed regressors */
            snprintf(f->params[j].name, sizeof f->params[j].name, "xreg");
        else
            snprintf(f->params[j].name, sizeof f->params[j].name, "xreg%d",
                     i + 1);
    }
    for (int i = 0; i < np; i++)
        f->params[i].value = r->coef[i];
    f->nparams = (size_t)np;
    a->r = *r;
    memset(r, 0, sizeof *r);
    *out = f;
    return LL_OK;
}

static int order_of(const ll_fc_spec *spec, arma_order *o, ll_err *err)
{
    o->p = spec->p < 0 ? 0 : spec->p;
    o->d = spec->d < 0 ? 0 : spec->d;
    o->q = spec->q < 0 ? 0 : spec->q;
    o->P = spec->P < 0 ? 0 : spec->P;
    o->D = spec->D < 0 ? 0 : spec->D;
    o->Q = spec->Q < 0 ? 0 : spec->Q;
    o->m = spec->season_length > 0 ? spec->season_length : 1;
    if (o->m == 1)
        o->P = o->D = o->Q = 0;
    if (o->p > 30 || o->q > 30 || o->P > 5 || o->Q > 5 || o->d > 3 || o->D > 2)
        return ll_err_set(err, LL_EINVAL,
                          "ARIMA: order (%d,%d,%d)(%d,%d,%d) is out of range "
                          "(p, q <= 30; P, Q <= 5; d <= 3; D <= 2)",
                          o->p, o->d, o->q, o->P, o->D, o->Q);
    if (o->p + o->m * o->P > 500 || o->q + o->m * o->Q > 500 ||
        o->d + o->m * o->D > 1000)
        return ll_err_set(err, LL_EINVAL,
                          "ARIMA: the seasonal order is too large for "
                          "season_length %d",
                          o->m);
    return LL_OK;
}

static size_t arima_min_length(const ll_fc_spec *spec)
{
    arma_order o;
    if (order_of(spec, &o, NULL) < 0)
        return 1;
    return (size_t)(o.d + o.D * o.m + o.p + o.P * o.m + o.q + o.Q * o.m) + 2;
}

static int arima_fit_fn(const ll_fc_spec *spec, const ll_fc_data *data,
                        ll_fc_fit **out, ll_err *err)
{
    arma_order o;
    int rc = order_of(spec, &o, err);
    if (rc < 0)
        return rc;
    int mean = spec->include_mean != 0;
    int drift = spec->include_drift == 1 && o.d + o.D <= 1;
    arima_res r;
    rc = fit_one(data, &o, mean, drift, METHOD_CSS_ML, NULL, &r, err);
    if (rc < 0) {
        ll_err_prefix(err, "ARIMA");
        return rc;
    }
    return make_fit(&ll_fc_arima_family, spec, data, &r, r.nfree, out, err);
}

/* Rebuild from reported coefficients: every one fixed, one filter pass. */
static int arima_restore(const ll_fc_spec *spec, const ll_fc_param *params,
                         size_t nparams, const ll_fc_data *data,
                         ll_fc_fit **out, ll_err *err)
{
    arma_order o;
    int rc = order_of(spec, &o, err);
    if (rc < 0)
        return rc;
    int mean = spec->include_mean == 1 && o.d + o.D == 0;
    int drift = spec->include_drift == 1;
    size_t need = (size_t)narma_of(&o) + (size_t)mean + (size_t)drift + data->k;
    if (nparams != need)
        return ll_err_set(err, LL_EINVAL,
                          "ARIMA restore: expected %zu parameters, got %zu",
                          need, nparams);
    double fixed[MAXPAR];
    for (size_t i = 0; i < need && i < MAXPAR; i++)
        fixed[i] = params[i].value;
    arima_res r;
    rc = fit_one(data, &o, mean, drift, METHOD_ML, fixed, &r, err);
    if (rc < 0) {
        ll_err_prefix(err, "ARIMA restore");
        return rc;
    }
    r.aic = -2 * r.loglik + 2 * (double)need + 2;
    const ll_fc_family *fam = ll_fc_family_find(spec->family);
    return make_fit(fam ? fam : &ll_fc_arima_family, spec, data, &r, (int)need,
                    out, err);
}

const ll_fc_family ll_fc_arima_family = {"ARIMA", arima_fit_fn, arima_restore,
                                         arima_min_length, 1};

/* ---- AutoARIMA ------------------------------------------------------- */

#define MAX_MODELS 94

typedef struct cand {
    int p, q, P, Q, constant;
    double ic;
} cand;

typedef struct auto_ctx {
    const ll_fc_data *data;
    int d, D, m;
    int use_aic;
    int exact; /* fit with R's full-filter objective */
    double offset;
    cand results[MAX_MODELS + 1];
    int k;
} auto_ctx;

/* Smallest root modulus of the fitted AR (sign -1) or MA (sign +1)
 * polynomial, the seasonal factor's roots taken to the 1/m power. */
static double fit_min_root(const arima_res *r, int ar)
{
    const arma_order *o = &r->o;
    const double *c = r->coef;
    double s = ar ? -1 : 1;
    int off = ar ? 0 : o->p, len = ar ? o->p : o->q;
    int soff = ar ? o->p + o->q : o->p + o->q + o->P, slen = ar ? o->P : o->Q;
    double m1 = min_root(c + off, len, s, 1e-8);
    double m2 = min_root(c + soff, slen, s, 1e-8);
    if (isfinite(m2))
        m2 = pow(m2, 1.0 / o->m);
    return fmin(m1, m2);
}

/* forecast's myarima(): fit, score (ic), reject near unit roots and
 * invalid variance.  keep (may be NULL) receives the fit when it is
 * usable; returns the criterion (HUGE_VAL when rejected). */
static double my_arima(auto_ctx *a, int p, int q, int P, int Q, int constant,
                       int approx, arima_res *keep)
{
    arma_order o = {p, a->d, q, P, a->D, Q, a->m};
    int diffs = a->d + a->D;
    int drift = diffs == 1 && constant;
    int mean = !drift && constant;
    arima_res r;
    ll_err e;
    if (keep)
        memset(keep, 0, sizeof *keep);
    int method =
        approx ? METHOD_CSS : METHOD_CSS_ML | (a->exact ? 0 : METHOD_FAST);
    if (fit_one(a->data, &o, mean, drift, method, NULL, &r, &e) < 0)
        return HUGE_VAL;
    double aic, aicc, bic;
    res_ic(&r, a->data->n, r.nfree, approx ? a->offset : (double)NAN, &aic,
           &aicc, &bic);
    double ic = isnan(aic) ? HUGE_VAL : (a->use_aic ? aic : aicc);
    double minroot = 2;
    if (p + P > 0)
        minroot = fmin(minroot, fit_min_root(&r, 1));
    if (q + Q > 0 && ic < HUGE_VAL)
        minroot = fmin(minroot, fit_min_root(&r, 0));
    if (minroot < 1 + 1e-2 || !r.var_ok)
        ic = HUGE_VAL;
    if (keep && ic < HUGE_VAL) {
        r.aic = aic; /* CSS fits carry the approximated AIC */
        *keep = r;
    } else
        res_free(&r);
    return ic;
}

static int new_model(const auto_ctx *a, int p, int q, int P, int Q, int K)
{
    for (int i = 0; i < a->k; i++) {
        const cand *c = &a->results[i];
        if (c->p == p && c->q == q && c->P == P && c->Q == Q &&
            c->constant == K)
            return 0;
    }
    return 1;
}

typedef struct best_t {
    arima_res fit;
    double ic;
    int have;
} best_t;

/* Try one candidate: record it, keep it when best; 1 when it improved. */
static int try_cand(auto_ctx *a, best_t *b, int p, int q, int P, int Q, int K,
                    int approx)
{
    arima_res r;
    double ic = my_arima(a, p, q, P, Q, K, approx, &r);
    if (a->k < MAX_MODELS + 1)
        a->results[a->k] = (cand){p, q, P, Q, K, ic};
    a->k++;
    if (ic < b->ic) {
        if (b->have)
            res_free(&b->fit);
        b->fit = r;
        b->ic = ic;
        b->have = 1;
        return 1;
    }
    if (ic < HUGE_VAL)
        res_free(&r);
    return 0;
}

/* The whole grid: every order with p + q + P + Q <= 5 within the
 * maxima, with and without the constant when allowed. */
static void try_grid(auto_ctx *a, best_t *b, int max_p, int max_q, int max_P,
                     int max_Q, int constant, int approx)
{
    for (int p = 0; p <= max_p; p++)
        for (int q = 0; q <= max_q; q++)
            for (int P = 0; P <= max_P; P++)
                for (int Q = 0; Q <= max_Q; Q++)
                    if (p + q + P + Q <= 5)
                        for (int K = 0; K <= constant; K++) {
                            a->k = 0;
                            try_cand(a, b, p, q, P, Q, K, approx);
                        }
}

static int cand_cmp(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->ic < b->ic)
        return -1;
    if (a->ic > b->ic)
        return 1;
    return 0;
}

/* 1 when some column of X (len rows, k columns) is constant as R's
 * is.constant sees it. */
static int any_constant_column(const double *X, size_t len, int k)
{
    double *col = malloc((len ? len : 1) * sizeof *col);
    int any = 0;
    for (int j = 0; j < k && col && !any; j++) {
        for (size_t t = 0; t < len; t++)
            col[t] = X[t * (size_t)k + (size_t)j];
        any = ll_fc_is_constant(col, len);
    }
    free(col);
    return any;
}

static int auto_fit_fn(const ll_fc_spec *spec, const ll_fc_data *data,
                       ll_fc_fit **out, ll_err *err)
{
    size_t n = data->n;
    int k = (int)data->k;
    int m = spec->season_length > 1 ? spec->season_length : 1;
    const ll_fc_family *fam = &ll_fc_autoarima_family;
    auto_ctx a;
    memset(&a, 0, sizeof a);
    a.data = data;
    a.m = m;
    /* a constant series: its mean */
    if (ll_fc_is_constant(data->y, n) && k == 0) {
        arma_order o = {0, 0, 0, 0, 0, 0, m};
        double mean = 0;
        for (size_t t = 0; t < n; t++)
            mean += data->y[t];
        mean /= (double)n;
        arima_res r;
        int rc = fit_one(data, &o, 1, 0, METHOD_ML, &mean, &r, err);
        if (rc < 0)
            return rc;
        return make_fit(fam, spec, data, &r, 0, out, err);
    }
    int max_p = 5, max_q = 5, max_P = 2, max_Q = 2, max_d = 2, max_D = 1;
    int third = (int)(n / 3);
    max_p = max_p < third ? max_p : third;
    max_q = max_q < third ? max_q : third;
    max_P = max_P < third / m ? max_P : (int)(n / 3 / (size_t)m);
    max_Q = max_Q < third / m ? max_Q : (int)(n / 3 / (size_t)m);
    a.use_aic = n <= 3;
    /* the series the tests see: regression residuals when regressors */
    double *xx = malloc(n * sizeof *xx);
    double *dxr = k > 0 ? malloc(n * (size_t)k * sizeof *dxr) : NULL;
    if (!xx || (k > 0 && !dxr)) {
        free(xx), free(dxr);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    memcpy(xx, data->y, n * sizeof *xx);
    if (k > 0) {
        for (int j = 0; j < k; j++) {
            double col0 = data->x[j];
            int cst = 1;
            for (size_t t = 0; t < n && cst; t++)
                cst = data->x[t * (size_t)k + (size_t)j] == col0;
            if (cst) { /* R drops it with a warning; say so instead */
                free(xx), free(dxr);
                return ll_err_set(err, LL_EINVAL,
                                  "AutoARIMA: regressor %d is constant; drop "
                                  "it (the intercept is automatic)",
                                  j + 1);
            }
        }
        double *Z = malloc(n * (size_t)(k + 1) * sizeof *Z);
        double beta[65], se[65];
        if (!Z) {
            free(xx), free(dxr);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        for (size_t t = 0; t < n; t++) {
            Z[t * (size_t)(k + 1)] = 1;
            for (int j = 0; j < k; j++)
                Z[t * (size_t)(k + 1) + (size_t)j + 1] =
                    data->x[t * (size_t)k + (size_t)j];
        }
        int lrc = k < 64 ? least_squares(Z, data->y, n, k + 1, beta, se) : -1;
        if (lrc == 0)
            for (size_t t = 0; t < n; t++) {
                double v = data->y[t];
                for (int j = 0; j <= k; j++)
                    v -= Z[t * (size_t)(k + 1) + (size_t)j] * beta[j];
                xx[t] = v;
            }
        free(Z);
        if (lrc < 0) {
            free(xx), free(dxr);
            return ll_err_set(err, LL_EINVAL,
                              "AutoARIMA: the regressors are rank deficient");
        }
    }
    /* seasonal differences */
    int D = 0;
    if (m == 1)
        max_P = max_Q = 0;
    else if (n > 2 * (size_t)m) {
        D = ll_fc_nsdiffs(xx, n, m, max_D);
        if (D > 0 && k > 0) {
            memcpy(dxr, data->x, n * (size_t)k * sizeof *dxr);
            size_t len = diff_rows(dxr, n, k, 0, D, m);
            if (any_constant_column(dxr, len, k))
                D--;
        }
    }
    size_t len = n;
    double *dx = xx;
    if (D > 0) {
        len = diff_rows(dx, n, 1, 0, D, m);
    }
    int d = ll_fc_ndiffs(dx, len, max_d);
    if (d > 0 && k > 0) {
        memcpy(dxr, data->x, n * (size_t)k * sizeof *dxr);
        size_t l2 = diff_rows(dxr, n, k, d, D, m);
        if (any_constant_column(dxr, l2, k))
            d--;
    }
    if (d > 0)
        len = diff_rows(dx, len, 1, d, 0, m);
    free(dxr);
    a.d = d, a.D = D;
    if (len == 0) {
        free(xx);
        return ll_err_set(err, LL_EINVAL,
                          "AutoARIMA: not enough data to proceed after %d "
                          "difference(s) and %d seasonal difference(s)",
                          d, D);
    }
    if (ll_fc_is_constant(dx, len) && k == 0) {
        /* the differenced series is constant: a fixed model, as R */
        arma_order o = {0, d, 0, 0, D, 0, m};
        arima_res r;
        int rc;
        double fx = 0;
        for (size_t t = 0; t < len; t++)
            fx += dx[t];
        fx /= (double)len;
        free(xx);
        if (D > 0 && d == 0) {
            fx /= m;
            rc = fit_one(data, &o, 1, 1, METHOD_ML, &fx, &r, err);
        } else if (D > 0 || d == 2) {
            rc = fit_one(data, &o, 0, 0, METHOD_ML, NULL, &r, err);
        } else {
            rc = fit_one(data, &o, 1, d == 1, METHOD_ML, &fx, &r, err);
        }
        if (rc < 0)
            return rc;
        return make_fit(fam, spec, data, &r, r.nfree, out, err);
    }
    free(xx);
    if (m > 1) {
        if (max_P > 0)
            max_p = max_p < m - 1 ? max_p : m - 1;
        if (max_Q > 0)
            max_q = max_q < m - 1 ? max_q : m - 1;
    }
    int approx =
        spec->approximation >= 0 ? spec->approximation : (n > 150 || m > 12);
    if (approx) {
        /* the white-noise model's -2 loglik - n log sigma2 (R's offset) */
        arma_order o = {0, d, 0, 0, D, 0, m};
        arima_res r;
        ll_err e;
        a.offset = 0;
        if (fit_one(data, &o, 1, 0, METHOD_CSS_ML | METHOD_FAST, NULL, &r,
                    &e) == 0) {
            a.offset = -2 * r.loglik - (double)n * log(r.sigma2_fit);
            res_free(&r);
        }
    }
    int allowdrift = spec->include_drift != 0 && d + D == 1;
    int allowmean = spec->include_mean != 0 && d + D == 0;
    int constant = allowdrift || allowmean;
    best_t best = {.ic = HUGE_VAL};
    if (!spec->stepwise) {
        /* every model with p + q + P + Q <= 5 */
        try_grid(&a, &best, max_p, max_q, max_P, max_Q, constant, approx);
        if (best.have && approx) {
            arima_res r;
            const arma_order *bo = &best.fit.o;
            int K = best.fit.has_mean || best.fit.has_drift;
            double ic = my_arima(&a, bo->p, bo->q, bo->P, bo->Q, K, 0, &r);
            if (ic < HUGE_VAL) {
                res_free(&best.fit);
                best.fit = r;
            } else {
                res_free(&best.fit);
                best.have = 0;
                best.ic = HUGE_VAL;
                try_grid(&a, &best, max_p, max_q, max_P, max_Q, constant, 0);
            }
        }
    } else {
        int sp = 2, sq = 2, sP = 1, sQ = 1;
        if (n < 10) {
            sp = 1, sq = 1, sP = 0, sQ = 0;
        }
        int p = sp < max_p ? sp : max_p, q = sq < max_q ? sq : max_q;
        int P = sP < max_P ? sP : max_P, Q = sQ < max_Q ? sQ : max_Q;
        try_cand(&a, &best, p, q, P, Q, constant, approx);
        if (try_cand(&a, &best, 0, 0, 0, 0, constant, approx))
            p = q = P = Q = 0;
        if (max_p > 0 || max_P > 0) {
            int pp = max_p > 0, PP = m > 1 && max_P > 0;
            if (try_cand(&a, &best, pp, 0, PP, 0, constant, approx)) {
                p = pp, P = PP, q = Q = 0;
            }
        }
        if (max_q > 0 || max_Q > 0) {
            int qq = max_q > 0, QQ = m > 1 && max_Q > 0;
            if (try_cand(&a, &best, 0, qq, 0, QQ, constant, approx)) {
                p = P = 0, Q = QQ, q = qq;
            }
        }
        if (constant)
            if (try_cand(&a, &best, 0, 0, 0, 0, 0, approx)) {
                /* R leaves the search's constant as it was here: the
                 * neighbours are explored with it still on */
                p = q = P = Q = 0;
            }
        int startk = 0;
        while (startk < a.k && a.k < MAX_MODELS) {
            startk = a.k;
            /* the neighbours, in R's order; the first improvement
             * restarts the scan */
            int moves[16][4] = {
                {0, 0, -1, 0},  {0, 0, 0, -1}, {0, 0, 1, 0},  {0, 0, 0, 1},
                {0, 0, -1, -1}, {0, 0, -1, 1}, {0, 0, 1, -1}, {0, 0, 1, 1},
                {-1, 0, 0, 0},  {0, -1, 0, 0}, {1, 0, 0, 0},  {0, 1, 0, 0},
                {-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0}};
            int improved = 0;
            for (int i = 0; i < 16 && !improved; i++) {
                int np2 = p + moves[i][0], nq2 = q + moves[i][1];
                int nP2 = P + moves[i][2], nQ2 = Q + moves[i][3];
                if (np2 < 0 || nq2 < 0 || nP2 < 0 || nQ2 < 0 || np2 > max_p ||
                    nq2 > max_q || nP2 > max_P || nQ2 > max_Q)
                    continue;
                if (!new_model(&a, np2, nq2, nP2, nQ2, constant))
                    continue;
                if (a.k >= MAX_MODELS) {
                    a.k++;
                    continue;
                }
                if (try_cand(&a, &best, np2, nq2, nP2, nQ2, constant, approx)) {
                    p = np2, q = nq2, P = nP2, Q = nQ2;
                    improved = 1;
                }
            }
            if (!improved && (allowdrift || allowmean) &&
                new_model(&a, p, q, P, Q, !constant) && a.k < MAX_MODELS) {
                if (try_cand(&a, &best, p, q, P, Q, !constant, approx))
                    constant = !constant;
            }
        }
        if (approx && best.have) {
            /* refit the best candidates by maximum likelihood, in order */
            int nres = a.k < MAX_MODELS ? a.k : MAX_MODELS;
            cand order[MAX_MODELS + 1];
            memcpy(order, a.results, (size_t)nres * sizeof *order);
            /* a stable sort keeps R's tie order */
            for (int i = 1; i < nres; i++) {
                cand t = order[i];
                int j = i - 1;
                while (j >= 0 && cand_cmp(&order[j], &t) > 0) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = t;
            }
            res_free(&best.fit);
            best.have = 0;
            for (int i = 0; i < nres; i++) {
                arima_res r;
                double ic = my_arima(&a, order[i].p, order[i].q, order[i].P,
                                     order[i].Q, order[i].constant, 0, &r);
                if (ic < HUGE_VAL) {
                    best.fit = r;
                    best.have = 1;
                    break;
                }
            }
        }
    }
    if (!best.have)
        return ll_err_set(err, LL_EINVAL,
                          "AutoARIMA: no suitable ARIMA model found");
    return make_fit(fam, spec, data, &best.fit, best.fit.nfree, out, err);
}

static size_t auto_min_length(const ll_fc_spec *spec)
{
    (void)spec;
    return 2;
}

const ll_fc_family ll_fc_autoarima_family = {"AutoARIMA", auto_fit_fn,
                                             arima_restore, auto_min_length, 1};
