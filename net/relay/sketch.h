/* PinSketch over GF(2^32): a set of nonzero 32-bit ids summarized by its
 * odd power sums, so that two sketches XOR into the sketch of the
 * symmetric difference and a sketch of capacity c decodes any difference
 * of up to c ids. Pure math, no I/O.
 *
 * The field (x^32 + x^7 + x^3 + x^2 + 1) and serialization (c elements of
 * 4 bytes little-endian: sum of x, of x^3, ..., of x^(2c-1)) are BIP330's
 * and libminisketch's, so sketches are interchangeable with theirs. */
#ifndef HEARSAY_NET_SKETCH_H
#define HEARSAY_NET_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes per field element on the wire. */
#define SKETCH_ELEM_BYTES 4

struct sketch;

/* An empty sketch of capacity c (0 < c <= SKETCH_MAX_CAPACITY). */
#define SKETCH_MAX_CAPACITY 65536
struct sketch *sketch_new(size_t capacity);
void sketch_free(struct sketch *s);
size_t sketch_capacity(const struct sketch *s);
/* Back to the empty set. */
void sketch_clear(struct sketch *s);

/* Adds (or, being XOR, removes) one id; 0 is no element and is ignored. */
void sketch_add(struct sketch *s, uint32_t id);
/* Adds n ids at once (faster than n sketch_add for large capacities). */
void sketch_add_many(struct sketch *s, const uint32_t *ids, size_t n);

/* s ^= other over their common prefix; s keeps its capacity only if
 * other's is at least as large, else it shrinks to other's (a prefix of a
 * sketch is the sketch of lower capacity). */
void sketch_merge(struct sketch *s, const struct sketch *other);

/* 4 * capacity bytes. */
size_t sketch_serialized_size(const struct sketch *s);
void sketch_serialize(const struct sketch *s, uint8_t *out);
/* Reads exactly sketch_serialized_size(s) bytes (any bytes are valid). */
void sketch_deserialize(struct sketch *s, const uint8_t *in);

/* Decodes the set the sketch summarizes if it has at most max_count
 * elements (max_count <= capacity): writes them to out (room for
 * max_count) and returns their number, or -1 if the sketch is not the
 * sketch of such a set. A returned set always reproduces the sketch; over
 * capacity, a wrong set could still do so (about 1 in c! when it has c
 * elements), which is why callers keep spare capacity: see
 * sketch_capacity_for(). Work is O(capacity * max_count + 32 * max_count^2). */
int sketch_decode(const struct sketch *s, size_t max_count, uint32_t *out);

/* Capacity to decode up to max_elements differences with a false decode
 * of an over-full sketch below 2^-fpbits. */
size_t sketch_capacity_for(size_t max_elements, unsigned fpbits);

/* The inverse: the most elements a sketch of this capacity decodes with
 * a false decode below 2^-fpbits (0 for capacity 1 at 16 bits). */
size_t sketch_max_elements(size_t capacity, unsigned fpbits);

/* The multiplier in use ("pclmul" or "portable"), for benchmarks. */
const char *sketch_impl_name(void);
/* Tests and benchmarks: force the portable multiplier (true) or not. */
void sketch_force_portable(bool on);

#endif
