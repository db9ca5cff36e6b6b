/* GF(2^32) arithmetic for PinSketch (internal to net/relay/sketch*.c).
 *
 * Elements are 32-bit integers, bit i the coefficient of x^i, modulo
 * x^32 + x^7 + x^3 + x^2 + 1: the field BIP330 and libminisketch use.
 * Products may be kept unreduced (64-bit carry-less) and summed by XOR:
 * reduction is linear, so one reduction per sum is enough. The bulk
 * operations run with PCLMULQDQ when the CPU has it and a 4-bit window
 * multiplier otherwise; gf_ops() picks once. */
#ifndef HEARSAY_NET_SKETCH_GF_H
#define HEARSAY_NET_SKETCH_GF_H

#include <stddef.h>
#include <stdint.h>

/* The low bits of the modulus (x^32 is implicit). */
#define GF_MODULUS_LOW 0x8Du

static inline uint32_t gf_reduce(uint64_t v)
{
    uint64_t hi = v >> 32;
    uint64_t t = hi ^ (hi << 2) ^ (hi << 3) ^ (hi << 7);
    uint64_t hi2 = t >> 32;
    t ^= hi2 ^ (hi2 << 2) ^ (hi2 << 3) ^ (hi2 << 7);
    return (uint32_t)(v ^ t);
}

struct gf_ops {
    const char *name;
    uint64_t (*clmul)(uint32_t a, uint32_t b);
    /* acc[i] ^= c * src[i], unreduced. */
    void (*addmul)(uint64_t *acc, uint32_t c, const uint32_t *src, size_t n);
    /* dst[i] ^= c * src[i], reduced. */
    void (*axpy)(uint32_t *dst, uint32_t c, const uint32_t *src, size_t n);
    /* sum of a[i] * b[i], unreduced. */
    uint64_t (*dot)(const uint32_t *a, const uint32_t *b, size_t n);
    /* a^-1 for a != 0 (0 maps to 0). */
    uint32_t (*inv)(uint32_t a);
};

/* The fastest implementation this CPU runs. */
const struct gf_ops *gf_ops(void);
/* The portable one (tests compare both). */
const struct gf_ops *gf_ops_portable(void);

static inline uint32_t gf_mul(const struct gf_ops *g, uint32_t a, uint32_t b)
{
    return gf_reduce(g->clmul(a, b));
}

#endif
