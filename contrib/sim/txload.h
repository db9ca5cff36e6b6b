/* A stream of transactions on the simulated network: many rumors in
 * flight at once, as a node sees them, so that batching of announcements
 * and BIP330 reconciliation (whose cost depends on how many transactions
 * are in flight) can be measured.
 *
 * Every node runs the node's own relay core (net/relay/relay.h) with
 * explicit peers and, in reconciliation mode, the node's own BIP330 state
 * machine (net/relay/txrecon.h): real sets keyed by each link's salts,
 * real sketches, decodes, extensions and fallbacks, and the messages'
 * real encodings, whose sizes are counted as on the wire. Time is event
 * time with the core's Poisson trickle and the links' latencies; there is
 * no loss, churn or down node in this mode. */
#ifndef HEARSAY_SIM_TXLOAD_H
#define HEARSAY_SIM_TXLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "contrib/sim/engine.h"

struct sim_txload_config {
    struct sim_config base;   /* topology, links, relay policy, seed, tx size */
    uint32_t txs;             /* transactions in the stream */
    double rate;              /* arrivals per second (Poisson), uniform origins */
    bool recon;               /* Erlay: base.proto.fanout outbound peers flooded */
    double recon_interval_ms; /* one round per node, next outbound partner */
    double recon_q;           /* the q sent in reqrecon */
    double req_delay_ms;      /* request delay for non-preferred announcers
                               * but a round's answers; < 0: the node's */
};

/* Message types, with their wire sizes counted per message. */
enum sim_tl_msg {
    SIM_TL_INV,
    SIM_TL_GETDATA,
    SIM_TL_TX,
    SIM_TL_NOTFOUND,
    SIM_TL_REQRECON,
    SIM_TL_SKETCH,
    SIM_TL_REQSKETCHEXT,
    SIM_TL_RECONCILDIFF,
    SIM_TL_COUNT
};
const char *sim_tl_msg_name(enum sim_tl_msg t);

/* Latency to a fraction of the nodes (all but the origin). */
enum { SIM_TL_P50, SIM_TL_P99, SIM_TL_P100, SIM_TL_NPCT };

struct sim_txload_result {
    uint32_t nodes, txs;
    uint64_t msgs[SIM_TL_COUNT];
    uint64_t bytes[SIM_TL_COUNT];
    uint64_t missing;          /* (transaction, node) pairs never informed */
    double residue;            /* missing / (txs * (nodes - 1)) */
    double lat_mean[SIM_TL_NPCT];  /* seconds, mean over transactions */
    double lat_worst[SIM_TL_NPCT]; /* the worst transaction (inf: never) */
    uint64_t duplicates;       /* payloads delivered to a node that had it */
    /* Reconciliation, summed over nodes. */
    uint64_t recon_rounds;     /* reqrecon sent */
    uint64_t sketches;         /* sketch messages, extensions included */
    uint64_t decode_failures;  /* sketches that did not decode */
    uint64_t extensions;       /* reqsketchext sent */
    uint64_t fallbacks;        /* reconcildiff(failure): whole sets announced */
    uint64_t differences;      /* short ids found by successful decodes */
    uint64_t answers;          /* inv entries requested at once as a round's
                                * answer (txrecon_solicited) */
    uint64_t recon_errors;     /* messages the state machine refused (a bug) */
    uint64_t events;
    double end_time;           /* seconds of virtual time */
    size_t mem_relay, mem_engine;
    double wall_s;
    long maxrss_kb;
};

/* One run. 0, or -1 and *err (malloc'd) for a bad configuration. */
int sim_txload_run(const struct sim_txload_config *cfg, struct sim_txload_result *res,
                   char **err);

/* Bytes per transaction per node: of a type, of the announcements (inv
 * and the four reconciliation messages), of everything. */
double sim_txload_per_tx_node(const struct sim_txload_result *r, uint64_t bytes);
uint64_t sim_txload_announce_bytes(const struct sim_txload_result *r);
uint64_t sim_txload_total_bytes(const struct sim_txload_result *r);

void sim_txload_report_table(FILE *f, const struct sim_txload_config *cfg,
                             const struct sim_txload_result *r);
void sim_txload_report_json(FILE *f, const struct sim_txload_config *cfg,
                            const struct sim_txload_result *r);

#endif
