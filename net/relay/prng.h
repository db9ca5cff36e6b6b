/* A small seeded PRNG and hash mixing for the relay core.
 *
 * The relay core takes no randomness from the environment: each instance
 * holds its own state, seeded by the caller, so that the simulator and the
 * tests are reproducible and a million nodes cost 8 bytes of state each. */
#ifndef HEARSAY_NET_PRNG_H
#define HEARSAY_NET_PRNG_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "chain/primitives/hash.h"

/* splitmix64: one 64-bit word of state, passes BigCrush; plenty for
 * choosing peers and timers (nothing here needs cryptographic strength
 * except the salts, which the caller seeds from a secure source). */
static inline uint64_t prng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t prng_next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ULL;
    return prng_mix64(*state);
}

/* Uniform in [0, n) by multiply-high (bias below 2^-32 for our n). */
static inline uint64_t prng_below(uint64_t *state, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)prng_next(state) * n) >> 64);
}

/* Uniform double in (0, 1]. */
static inline double prng_unit(uint64_t *state)
{
    return ((double)(prng_next(state) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* Exponentially distributed delay with the given mean (a Poisson
 * process's inter-arrival time), like Bitcoin Core's rand_exp_duration. */
static inline int64_t prng_exp(uint64_t *state, int64_t mean)
{
    if (mean <= 0)
        return 0;
    return (int64_t)(-log(prng_unit(state)) * (double)mean + 0.5);
}

/* A salted 64-bit key of a 256-bit hash. Announced hashes are chosen by
 * peers, so table positions must not be predictable without the salt. */
static inline uint64_t prng_hash_key(const struct hash256 *h, uint64_t salt)
{
    uint64_t w[4];
    memcpy(w, h->b, 32);
    return prng_mix64(w[0] ^ salt) ^ prng_mix64(w[1] + salt) ^
           prng_mix64(w[2] ^ (salt << 1)) ^ prng_mix64(w[3] - salt);
}

#endif
