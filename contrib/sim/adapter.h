/* The boundary between the simulator's engine and the protocol that runs
 * on each simulated node.
 *
 * The engine owns time, topology, the virtual network and the statistics;
 * the adapter owns every node's protocol state and makes every decision
 * (whom to push to, what to request, when to stop). The production adapter
 * (relay_adapter.c) drives the node's own relay core, net/relay/relay.h. */
#ifndef HEARSAY_SIM_ADAPTER_H
#define HEARSAY_SIM_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;

enum sim_mode { SIM_MODE_PUSH, SIM_MODE_PULL, SIM_MODE_PUSHPULL };
enum sim_stop {
    SIM_STOP_ONCE,    /* announce once to the chosen peers (Bitcoin) */
    SIM_STOP_COUNTER, /* stop after K useless pushes */
    SIM_STOP_COIN,    /* stop with probability 1/K after each push */
};

/* Message types on the virtual wire, with Bitcoin's sizes (engine.c). */
enum sim_msg_type {
    SIM_MSG_INV,
    SIM_MSG_GETDATA,
    SIM_MSG_TX,
    SIM_MSG_NOTFOUND,
    SIM_MSG_DIGEST,  /* anti-entropy: a mempool digest (hearsay message) */
    SIM_MSG_PULL,    /* pull gossip: "what is new?" (header only) */
    SIM_MSG_COUNT
};

struct sim_proto {
    enum sim_mode mode;
    bool feedback;      /* count useless pushes (feedback) or all (blind) */
    enum sim_stop stop;
    uint32_t k;         /* counter threshold or coin 1/k */
    uint32_t fanout;    /* peers per push round; 0 = every peer (flood) */
    bool cycles;        /* synchronous cycles (the papers) */
    double trickle_ms;  /* mean inbound Poisson trickle (not cycles) */
    double trickle_out_ms; /* mean outbound trickle (not cycles) */
    double round_ms;    /* between a rumor's push rounds (not cycles) */
    double window_ms;   /* no getdata within it: the push was useless */
    bool implicit_peers; /* peers picked by the driver, none kept per node */
    uint32_t known_entries;  /* per-peer known-inventory set capacity */
    uint32_t recent_entries; /* node-wide seen-set capacity */
    /* The papers' feedback (cycles): every push of a cycle to a node that
     * lacked the rumor when the cycle began is answered with getdata, even
     * while a request is in flight elsewhere (Bitcoin's rule, one request
     * per hash, makes all but the first push of a cycle useless). */
    bool paper_feedback;
};

struct sim_adapter {
    const char *name;
    /* Builds every node's state; NULL and *err on failure. */
    void *(*create)(struct sim *sim, const struct sim_proto *proto, char **err);
    void (*destroy)(void *st);
    /* node accepts a new rumor of its own (a wallet's transaction). */
    void (*originate)(void *st, uint32_t node);
    /* node's timer fired (trickle tick or cycle boundary). */
    void (*wake)(void *st, uint32_t node);
    /* A message from `from` arrives at `to`. */
    void (*deliver)(void *st, uint32_t to, uint32_t from, enum sim_msg_type type,
                    uint32_t nitems);
    /* Anti-entropy found that peer lacks what node holds: node announces
     * its whole pool to peer (BIP35's mempool reply), through the core. */
    void (*offer)(void *st, uint32_t node, uint32_t peer);
    /* Bytes of per-node protocol state (for the memory report). */
    size_t (*memory)(const void *st);
};

#endif
