/* Simulated network topologies, seeded and reproducible.
 *
 * The complete graph is implicit (no adjacency at all: the papers' model,
 * where each contact is a uniformly random other node), so it costs nothing
 * at a million nodes. The others are stored compactly (one offset per node,
 * one entry per link end). */
#ifndef HEARSAY_SIM_TOPO_H
#define HEARSAY_SIM_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contrib/sim/rng.h"

enum sim_topo_kind {
    SIM_TOPO_COMPLETE,
    SIM_TOPO_REGULAR, /* random K-regular, configuration model */
    SIM_TOPO_BITCOIN, /* K outbound to random nodes, inbound capped */
};

struct sim_topo_spec {
    enum sim_topo_kind kind;
    uint32_t degree;      /* K for regular; outbound count for bitcoin */
    uint32_t inbound_cap; /* bitcoin: total connections a node accepts */
};

struct sim_topo;

/* Parses "complete", "regular:K", "bitcoin" or "bitcoin:OUT:CAP". */
int sim_topo_parse(const char *text, struct sim_topo_spec *out, char **err);
struct sim_topo *sim_topo_new(const struct sim_topo_spec *spec, uint32_t n,
                              struct sim_rng *rng, char **err);
void sim_topo_free(struct sim_topo *t);

bool sim_topo_is_complete(const struct sim_topo *t);
uint32_t sim_topo_nodes(const struct sim_topo *t);
uint32_t sim_topo_degree(const struct sim_topo *t, uint32_t node);
/* The i-th neighbour of node, i < degree. Outbound links come first. */
uint32_t sim_topo_neighbor(const struct sim_topo *t, uint32_t node, uint32_t i);
/* How many of node's links it opened itself (Bitcoin's preferred peers). */
uint32_t sim_topo_outbound(const struct sim_topo *t, uint32_t node);
/* A uniformly random neighbour (on the complete graph: any other node). */
uint32_t sim_topo_random_peer(const struct sim_topo *t, uint32_t node,
                              struct sim_rng *rng);
/* Whether a and b are linked (complete graph: a != b). */
bool sim_topo_linked(const struct sim_topo *t, uint32_t a, uint32_t b);
size_t sim_topo_memory(const struct sim_topo *t);

#endif
