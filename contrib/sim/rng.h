/* Seeded pseudo-random numbers for the simulator (xoshiro256**).
 *
 * Every random choice of a run (topology, latency, partners, the relay
 * core's own draws) comes from a generator seeded from --seed, so a run is
 * reproduced exactly by its seed. Not for cryptography. */
#ifndef HEARSAY_SIM_RNG_H
#define HEARSAY_SIM_RNG_H

#include <stdint.h>

struct sim_rng {
    uint64_t s[4];
};

/* Seeds through splitmix64, so nearby seeds give unrelated streams. */
void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n); n > 0. Unbiased (Lemire's multiply-and-reject). */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double sim_rng_double(struct sim_rng *r);
/* Exponential with the given mean (Poisson process gaps). */
double sim_rng_exp(struct sim_rng *r, double mean);
/* Standard normal (Box-Muller). */
double sim_rng_normal(struct sim_rng *r);
/* A 64-bit mix of x (splitmix64's finalizer): stateless hashing of keys
 * such as a link's endpoints. */
uint64_t sim_mix64(uint64_t x);

#endif
