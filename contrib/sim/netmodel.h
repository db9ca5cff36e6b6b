/* Link latency and loss of the virtual network.
 *
 * Per-link latencies are drawn from a hash of the seed and the link's two
 * ends, not stored, so a link keeps its latency for the whole run at no
 * memory cost, even on the implicit complete graph. */
#ifndef HEARSAY_SIM_NETMODEL_H
#define HEARSAY_SIM_NETMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "contrib/sim/rng.h"

enum sim_latency_kind {
    SIM_LAT_CONSTANT, /* a */
    SIM_LAT_UNIFORM,  /* uniform in [a, b], drawn per message */
    SIM_LAT_LOGNORMAL /* per link: median a, log-sd b (fixed per link) */
};

struct sim_netmodel {
    enum sim_latency_kind kind;
    double a, b;    /* microseconds (log-normal: b is sigma of the log) */
    double loss;    /* probability that a message is dropped */
    uint64_t salt;  /* seed of the per-link draws */
};

/* Parses "const:MS", "uniform:MS:MS" or "lognormal:MEDIAN_MS:SIGMA". */
int sim_netmodel_parse(const char *text, struct sim_netmodel *out, char **err);
/* One-way latency of a message from a to b, in microseconds (>= 1). */
uint64_t sim_netmodel_latency(const struct sim_netmodel *m, uint32_t a, uint32_t b,
                              struct sim_rng *rng);
/* Whether this message is lost. */
bool sim_netmodel_drop(const struct sim_netmodel *m, struct sim_rng *rng);

#endif
