/*
 * fastmath: float exp, sigmoid and tanh for the recurrent gate loops
 * (libm's expm1f/tanhf were over half of an LSTM step).  Cephes-style
 * range reduction and minimax polynomials, within about 2 ulp of libm; the
 * array versions run 4 lanes at a time with SSE2 where available and give
 * the same results as the scalar versions.  NaN in gives NaN out; inputs
 * beyond the float range saturate (exp clamps its argument to
 * [-87.3, 88.4], so no exponent arithmetic overflows).
 */
#ifndef LL_NN_FASTMATH_H
#define LL_NN_FASTMATH_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define LL_EXP_HI 88.3762626647949f
#define LL_EXP_LO (-87.3365447504f)
#define LL_LOG2E 1.44269504088896341f
#define LL_C1 0.693359375f
#define LL_C2 (-2.12194440e-4f)
#define LL_P0 1.9875691500e-4f
#define LL_P1 1.3981999507e-3f
#define LL_P2 8.3334519073e-3f
#define LL_P3 4.1665795894e-2f
#define LL_P4 1.6666665459e-1f
#define LL_P5 5.0000001201e-1f
#define LL_T0 (-5.70498872745e-3f)
#define LL_T1 2.06390887954e-2f
#define LL_T2 (-5.37397155531e-2f)
#define LL_T3 1.33314422036e-1f
#define LL_T4 (-3.33332819422e-1f)

static inline float ll_fexp(float x)
{
    if (x != x) /* NaN: the exponent arithmetic below needs a number */
        return x;
    x = x > LL_EXP_HI ? LL_EXP_HI : x;
    x = x < LL_EXP_LO ? LL_EXP_LO : x;
    /* round to nearest even, as cvtps2dq does */
    volatile float magic = 12582912.0f;
    float fn = (x * LL_LOG2E + magic) - magic;
    int32_t n = (int32_t)fn;
    float r = x - fn * LL_C1 - fn * LL_C2;
    float y = LL_P0;
    y = y * r + LL_P1;
    y = y * r + LL_P2;
    y = y * r + LL_P3;
    y = y * r + LL_P4;
    y = y * r + LL_P5;
    y = y * (r * r) + r + 1.0f;
    int32_t bits = (n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

static inline float ll_fsigmoid(float x)
{
    return 1.0f / (1.0f + ll_fexp(-x));
}

static inline float ll_ftanh(float x)
{
    float ax = x < 0 ? -x : x;
    if (ax >= 0.625f) {
        float big = 1.0f - 2.0f / (ll_fexp(2.0f * ax) + 1.0f);
        return x < 0 ? -big : big;
    }
    float z = x * x;
    float p = LL_T0;
    p = p * z + LL_T1;
    p = p * z + LL_T2;
    p = p * z + LL_T3;
    p = p * z + LL_T4;
    return p * z * x + x;
}

#if defined(__SSE2__)
static inline __m128 ll_exp_ps(__m128 x)
{
    /* min/max turn NaN into a bound: keep the NaN lanes aside. */
    __m128 nan = _mm_cmpunord_ps(x, x);
    __m128 xin = x;
    x = _mm_min_ps(x, _mm_set1_ps(LL_EXP_HI));
    x = _mm_max_ps(x, _mm_set1_ps(LL_EXP_LO));
    __m128i n = _mm_cvtps_epi32(_mm_mul_ps(x, _mm_set1_ps(LL_LOG2E)));
    __m128 fn = _mm_cvtepi32_ps(n);
    __m128 r = _mm_sub_ps(x, _mm_mul_ps(fn, _mm_set1_ps(LL_C1)));
    r = _mm_sub_ps(r, _mm_mul_ps(fn, _mm_set1_ps(LL_C2)));
    __m128 y = _mm_set1_ps(LL_P0);
    y = _mm_add_ps(_mm_mul_ps(y, r), _mm_set1_ps(LL_P1));
    y = _mm_add_ps(_mm_mul_ps(y, r), _mm_set1_ps(LL_P2));
    y = _mm_add_ps(_mm_mul_ps(y, r), _mm_set1_ps(LL_P3));
    y = _mm_add_ps(_mm_mul_ps(y, r), _mm_set1_ps(LL_P4));
    y = _mm_add_ps(_mm_mul_ps(y, r), _mm_set1_ps(LL_P5));
    y = _mm_add_ps(_mm_add_ps(_mm_mul_ps(y, _mm_mul_ps(r, r)), r),
                   _mm_set1_ps(1.0f));
    __m128i bits = _mm_slli_epi32(_mm_add_epi32(n, _mm_set1_epi32(127)), 23);
    y = _mm_mul_ps(y, _mm_castsi128_ps(bits));
    return _mm_or_ps(_mm_and_ps(nan, xin), _mm_andnot_ps(nan, y));
}

static inline __m128 ll_sigmoid_ps(__m128 x)
{
    __m128 one = _mm_set1_ps(1.0f);
    __m128 e = ll_exp_ps(_mm_sub_ps(_mm_setzero_ps(), x));
    return _mm_div_ps(one, _mm_add_ps(one, e));
}

static inline __m128 ll_tanh_ps(__m128 x)
{
    __m128 sign = _mm_set1_ps(-0.0f);
    __m128 ax = _mm_andnot_ps(sign, x);
    __m128 one = _mm_set1_ps(1.0f);
    __m128 e = ll_exp_ps(_mm_add_ps(ax, ax));
    __m128 big =
        _mm_sub_ps(one, _mm_div_ps(_mm_set1_ps(2.0f), _mm_add_ps(e, one)));
    big = _mm_or_ps(big, _mm_and_ps(sign, x));
    __m128 z = _mm_mul_ps(x, x);
    __m128 p = _mm_set1_ps(LL_T0);
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(LL_T1));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(LL_T2));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(LL_T3));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(LL_T4));
    __m128 small = _mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, z), x), x);
    __m128 is_small = _mm_cmplt_ps(ax, _mm_set1_ps(0.625f));
    return _mm_or_ps(_mm_and_ps(is_small, small), _mm_andnot_ps(is_small, big));
}
#endif

/* In place over an array. */
static inline void ll_vsigmoid(float *x, int64_t n)
{
    int64_t i = 0;
#if defined(__SSE2__)
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(x + i, ll_sigmoid_ps(_mm_loadu_ps(x + i)));
#endif
    for (; i < n; i++)
        x[i] = ll_fsigmoid(x[i]);
}

static inline void ll_vtanh(float *x, int64_t n)
{
    int64_t i = 0;
#if defined(__SSE2__)
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(x + i, ll_tanh_ps(_mm_loadu_ps(x + i)));
#endif
    for (; i < n; i++)
        x[i] = ll_ftanh(x[i]);
}

#endif
