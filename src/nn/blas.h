/*
 * blas: OpenBLAS, loaded on first use.
 *
 * Loading libopenblas at program start (relocating its thousands of
 * symbols and starting its threads) cost more than the rest of lualab's
 * start-up together, and most sessions that never touch a tensor paid it.
 * So the nn engine opens the library with dlopen the first time it needs a
 * GEMM.  If no OpenBLAS can be opened, a plain C GEMM keeps every result
 * correct (only slower) and a one-line warning says why.  LUALAB_NO_BLAS=1
 * chooses the plain GEMM on purpose (tests compare the two).
 */
#ifndef LL_NN_BLAS_H
#define LL_NN_BLAS_H

/* C = A * B + beta * C, row-major, A m x k (or k x m when ta), B k x n (or
 * n x k when tb), C m x n. */
void ll_blas_sgemm(int ta, int tb, int m, int n, int k, const float *a,
                   const float *b, float beta, float *c);
/* C = A'A in double precision: A k x n row-major, C n x n (both
 * triangles filled), through OpenBLAS' cblas_dsyrk when it is there, else a
 * plain loop (the same sums, other rounding).  Thread-safe. */
void ll_blas_dsyrk_t(int n, int k, const double *a, double *c);
/* 1 when cblas_dsyrk was found in the OpenBLAS loaded. */
int ll_blas_has_dsyrk(void);
/* OpenBLAS' thread count (1 without OpenBLAS). */
void ll_blas_set_threads(int n);
int ll_blas_get_threads(void);
/* 1 when OpenBLAS is loaded (loading it if needed), 0 on the fallback. */
int ll_blas_available(void);
/* The library loaded ("libopenblas.so.0") or the reason it is not. */
const char *ll_blas_name(void);

#endif
