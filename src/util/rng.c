/*
 * rng: splitmix64 and xoshiro256** (see rng.h).
 */
#include "util/rng.h"

#include <math.h>

uint64_t ll_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ll_rng_seed(ll_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = ll_splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ll_rng_next(ll_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ll_rng_u53(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

double ll_rng_unif(ll_rng *r)
{
    return ll_rng_u53(ll_rng_next(r));
}

double ll_rng_normal(ll_rng *r)
{
    double u1 = ll_rng_unif(r), u2 = ll_rng_unif(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
