/* Figures for PinSketch (prints numbers; never pass/fail): for capacities
 * 10, 100 and 1000, the CPU time to encode a set of `set` ids, to merge two
 * sketches, and to decode a difference filling the capacity, with the
 * fastest multiplier and with the portable one.
 * Usage: bench_sketch [set size] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "chain/util/xmalloc.h"
#include "net/relay/prng.h"
#include "net/relay/sketch.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench(size_t cap, size_t set, uint64_t *rng)
{
    uint32_t *ids = xmalloc((set + cap) * sizeof(uint32_t));
    uint32_t *out = xmalloc(cap * sizeof(uint32_t));
    struct sketch *a = sketch_new(cap), *b = sketch_new(cap);
    for (size_t i = 0; i < set + cap; i++)
        ids[i] = (uint32_t)prng_next(rng) | 1;
    int reps = cap >= 1000 ? 3 : cap >= 100 ? 30 : 300;
    double t0 = now();
    for (int r = 0; r < reps; r++) {
        sketch_clear(a);
        sketch_add_many(a, ids, set);
    }
    double enc = (now() - t0) / reps;
    sketch_clear(b);
    sketch_add_many(b, ids + cap, set);
    t0 = now();
    for (int r = 0; r < reps * 100; r++)
        sketch_merge(a, b);
    double merge = (now() - t0) / (reps * 100);
    /* a ^ b now differs by the first and last cap ids when reps*100 is
     * odd; rebuild a sketch of exactly cap differences instead. */
    sketch_clear(a);
    sketch_add_many(a, ids, cap);
    int n = 0;
    t0 = now();
    for (int r = 0; r < reps; r++)
        n = sketch_decode(a, cap, out);
    double dec = (now() - t0) / reps;
    printf("%-8s c=%-5zu encode(%zu ids) %9.3f ms  merge %8.3f us  decode(%d diffs) %9.3f ms\n",
           sketch_impl_name(), cap, set, enc * 1e3, merge * 1e6, n, dec * 1e3);
    free(ids);
    free(out);
    sketch_free(a);
    sketch_free(b);
}

int main(int argc, char **argv)
{
    size_t set = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000;
    uint64_t rng = 42;
    const size_t caps[] = {10, 100, 1000};
    for (int portable = 0; portable < 2; portable++) {
        sketch_force_portable(portable);
        for (int i = 0; i < 3; i++)
            bench(caps[i], set, &rng);
    }
    return 0;
}
