/* The discrete-event engine: a virtual clock, a virtual network and the
 * statistics of one simulated run.
 *
 * One run spreads one rumor from one origin node. Adapters call back into
 * the engine (sim_send, sim_wake, sim_mark...) from their hooks. */
#ifndef HEARSAY_SIM_ENGINE_H
#define HEARSAY_SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contrib/sim/adapter.h"
#include "contrib/sim/netmodel.h"
#include "contrib/sim/rng.h"
#include "contrib/sim/topo.h"

#define SIM_CYCLE_US 1000000ULL /* one synchronous cycle of virtual time */

enum sim_node_state { SIM_SUSCEPTIBLE, SIM_INFECTIVE, SIM_REMOVED };

struct sim_config {
    uint32_t nodes;
    struct sim_topo_spec topo;
    struct sim_netmodel net;
    struct sim_proto proto;
    uint64_t seed;
    uint32_t tx_size;       /* bytes of the transaction payload */
    double antientropy_s;   /* anti-entropy round interval; 0 = off */
    double down;            /* fraction of nodes down (permanently, or on
                             * average under churn) */
    double churn_s;         /* mean up-session length; 0 = no churn */
    double max_time_s;      /* stop the run here (cycles: this many) */
    double sample_ms;       /* S/I/R sampling interval (trickle mode) */
    bool series;            /* keep the S/I/R time series */
    bool until_informed;    /* end the run once every up node is informed
                             * (spread time only; traffic is cut short) */
};

/* One S/I/R sample. */
struct sim_sample {
    double t;
    uint32_t s, i, r;
};

struct sim_result {
    uint32_t nodes, up;         /* up: nodes up at the end */
    uint32_t informed;          /* up nodes holding the rumor */
    double residue;             /* fraction of up nodes never informed */
    double traffic;             /* announcements (inv) per node */
    double t_ave, t_last;       /* cycles, or seconds in trickle mode */
    double pct[5];              /* informed-time percentiles 50/75/90/95/99 */
    uint64_t msgs[SIM_MSG_COUNT];
    uint64_t bytes[SIM_MSG_COUNT];
    uint64_t lost;              /* dropped by loss or a down recipient */
    uint64_t duplicates;        /* payloads delivered to a node that had it */
    double bytes_per_node;
    uint64_t events;
    double end_time;            /* when the last event ran */
    size_t mem_topology, mem_protocol, mem_engine;
    struct sim_sample *series;  /* malloc'd; NULL unless config.series */
    size_t nseries;
};

struct sim;

/* Builds the topology and the nodes' protocol state. */
struct sim *sim_new(const struct sim_config *cfg, const struct sim_adapter *ad,
                    char **err);
void sim_free(struct sim *s);
/* Runs to quiescence (or max_time) with the rumor starting at `origin`;
 * fills *res (free res->series with sim_result_clear). */
void sim_run(struct sim *s, uint32_t origin, struct sim_result *res);
void sim_result_clear(struct sim_result *res);

/* Wire size of a message, with the 24-byte header. */
uint64_t sim_msg_bytes(enum sim_msg_type type, uint32_t nitems, uint32_t tx_size);
const char *sim_msg_name(enum sim_msg_type type);

/* For adapters. */
uint64_t sim_now(const struct sim *s);
struct sim_rng *sim_rng(struct sim *s);
const struct sim_topo *sim_topology(const struct sim *s);
const struct sim_config *sim_config(const struct sim *s);
bool sim_node_up(const struct sim *s, uint32_t node);
/* Sends a message; it arrives after the link's latency unless lost. */
void sim_send(struct sim *s, uint32_t from, uint32_t to, enum sim_msg_type type,
              uint32_t nitems);
/* Asks for node's wake hook at virtual time `at` (cycles: rounded up to the
 * next cycle boundary). One timer per node: the earliest pending request
 * wins, and the node re-arms from its wake hook if it needs more. */
void sim_wake(struct sim *s, uint32_t node, uint64_t at);
/* Records a node's SIR state change (the first INFECTIVE is its infection
 * time). */
void sim_mark(struct sim *s, uint32_t node, enum sim_node_state st);
enum sim_node_state sim_state(const struct sim *s, uint32_t node);
/* When node was informed (virtual us; UINT64_MAX: not yet). */
uint64_t sim_informed_at(const struct sim *s, uint32_t node);
/* Start of the current cycle (cycle mode), else now. */
uint64_t sim_cycle_start(const struct sim *s);
/* Nodes in a SIR state, network-wide. */
uint32_t sim_count(const struct sim *s, enum sim_node_state st);

#endif
