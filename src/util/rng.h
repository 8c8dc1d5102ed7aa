/*
 * rng: the one pseudo-random generator of the C core.
 *
 * ll_splitmix64 is Steele, Lea and Flood's SplitMix64 step: a 64-bit
 * state advanced by a constant and mixed; good alone for short streams
 * (shuffles, samples) and as the seeder of ll_rng.  ll_rng is Blackman
 * and Vigna's xoshiro256** on four words seeded from one 64-bit seed by
 * splitmix64.  Both are deterministic for a seed on every platform, which
 * the generators, samplers and fixtures rely on.
 */
#ifndef LL_RNG_H
#define LL_RNG_H

#include <stdint.h>

/* Advance *state and return the next 64 bits. */
uint64_t ll_splitmix64(uint64_t *state);

typedef struct ll_rng {
    uint64_t s[4];
} ll_rng;

/* Seed r from seed through splitmix64. */
void ll_rng_seed(ll_rng *r, uint64_t seed);
/* The next 64 bits of r. */
uint64_t ll_rng_next(ll_rng *r);
/* The top 53 bits of x as a double in [0, 1). */
double ll_rng_u53(uint64_t x);
/* Uniform in [0, 1): ll_rng_u53 of the next 64 bits. */
double ll_rng_unif(ll_rng *r);
/* Standard normal by Box-Muller from two uniforms (the first kept off 0),
 * one value a call. */
double ll_rng_normal(ll_rng *r);

#endif
