/* blas: see blas.h. */
#include "config.h"

#include "nn/blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The CBLAS enum values, fixed by the CBLAS standard. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112, LOWER = 122 };

typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k,
                         float alpha, const float *a, int lda, const float *b,
                         int ldb, float beta, float *c, int ldc);
typedef void (*dsyrk_fn)(int order, int uplo, int trans, int n, int k,
                         double alpha, const double *a, int lda, double beta,
                         double *c, int ldc);
typedef void (*set_threads_fn)(int n);
typedef int (*get_threads_fn)(void);

static struct {
    int tried;
    void *lib;
    sgemm_fn sgemm;
    dsyrk_fn dsyrk;
    set_threads_fn set_threads;
    get_threads_fn get_threads;
    char name[256];
} blas;

static void *symbol(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    return p;
}

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_load(void)
{
    blas.tried = 1;
    const char *off = getenv("LUALAB_NO_BLAS");
    if (off && *off) {
        snprintf(blas.name, sizeof blas.name,
                 "plain C GEMM (LUALAB_NO_BLAS is set)");
        return;
    }
    static const char *const names[] = {"libopenblas.so.0", "libopenblas.so",
                                        NULL};
    const char *why = "not found";
    for (int i = 0; names[i]; i++) {
        void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *e = dlerror();
            why = e ? e : why;
            continue;
        }
        sgemm_fn sgemm;
        void *p = symbol(lib, "cblas_sgemm");
        memcpy(&sgemm, &p, sizeof sgemm);
        if (!sgemm) {
            why = "no cblas_sgemm in it";
            dlclose(lib);
            continue;
        }
        blas.lib = lib;
        blas.sgemm = sgemm;
        p = symbol(lib, "cblas_dsyrk");
        memcpy(&blas.dsyrk, &p, sizeof blas.dsyrk);
        p = symbol(lib, "openblas_set_num_threads");
        memcpy(&blas.set_threads, &p, sizeof blas.set_threads);
        p = symbol(lib, "openblas_get_num_threads");
        memcpy(&blas.get_threads, &p, sizeof blas.get_threads);
        snprintf(blas.name, sizeof blas.name, "%s", names[i]);
        return;
    }
    snprintf(blas.name, sizeof blas.name, "plain C GEMM (OpenBLAS: %s)", why);
    fprintf(stderr,
            "lualab: OpenBLAS could not be loaded (%s); using a slow "
            "built-in GEMM\n",
            why);
}

/* Trial threads of automated ML may be the first to need BLAS. */
static void blas_open(void)
{
    pthread_once(&blas_once, blas_load);
}

/* The fallback: correct and cache-aware enough for small shapes. */
static void plain_sgemm(int ta, int tb, int m, int n, int k, const float *a,
                        const float *b, float beta, float *c)
{
    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * (size_t)n;
        for (int j = 0; j < n; j++)
            ci[j] = beta == 0.0f ? 0.0f : beta * ci[j];
        for (int p = 0; p < k; p++) {
            float aip = ta ? a[(size_t)p * (size_t)m + (size_t)i]
                           : a[(size_t)i * (size_t)k + (size_t)p];
            if (aip == 0.0f)
                continue;
            if (!tb) {
                const float *bp = b + (size_t)p * (size_t)n;
                for (int j = 0; j < n; j++)
                    ci[j] += aip * bp[j];
            } else {
                for (int j = 0; j < n; j++)
                    ci[j] += aip * b[(size_t)j * (size_t)k + (size_t)p];
            }
        }
    }
}

void ll_blas_sgemm(int ta, int tb, int m, int n, int k, const float *a,
                   const float *b, float beta, float *c)
{
    blas_open();
    if (!blas.sgemm) {
        plain_sgemm(ta, tb, m, n, k, a, b, beta, c);
        return;
    }
    blas.sgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k,
               1.0f, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

void ll_blas_dsyrk_t(int n, int k, const double *a, double *c)
{
    blas_open();
    if (blas.dsyrk)
        blas.dsyrk(ROW_MAJOR, LOWER, TRANS, n, k, 1.0, a, n, 0.0, c, n);
    else {
        memset(c, 0, (size_t)n * (size_t)n * sizeof *c);
        for (int r = 0; r < k; r++) {
            const double *ar = a + (size_t)r * (size_t)n;
            for (int i = 0; i < n; i++) {
                double v = ar[i];
                if (v == 0.0)
                    continue;
                double *ci = c + (size_t)i * (size_t)n;
                for (int j = 0; j <= i; j++)
                    ci[j] += v * ar[j];
            }
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            c[(size_t)j * (size_t)n + (size_t)i] =
                c[(size_t)i * (size_t)n + (size_t)j];
}

int ll_blas_has_dsyrk(void)
{
    blas_open();
    return blas.dsyrk != NULL;
}

void ll_blas_set_threads(int n)
{
    blas_open();
    if (blas.set_threads)
        blas.set_threads(n);
}

int ll_blas_get_threads(void)
{
    blas_open();
    return blas.get_threads ? blas.get_threads() : 1;
}

int ll_blas_available(void)
{
    blas_open();
    return blas.sgemm != NULL;
}

const char *ll_blas_name(void)
{
    blas_open();
    return blas.name;
}
