/* The simulator's event queue: a binary min-heap ordered by (time, seq),
 * with a few FIFO lanes for popular exact times.
 *
 * seq is the order of scheduling, so events at the same virtual time run
 * first-scheduled-first, which makes runs deterministic. In synchronous
 * cycles almost every event falls on one of a handful of times (the next
 * boundary, the next microsecond): those go to a lane in O(1) instead of
 * through the heap. Lanes and heap together still pop in (time, seq)
 * order. */
#ifndef HEARSAY_SIM_HEAP_H
#define HEARSAY_SIM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_event_kind {
    SIM_EV_MSG,   /* a message arrives at node */
    SIM_EV_WAKE,  /* node's timer fires (trickle tick or cycle) */
    SIM_EV_AE,    /* an anti-entropy round starts */
    SIM_EV_CHURN, /* node goes down or comes back */
    SIM_EV_ORIGIN, /* a transaction of the workload starts (txload.c) */
    SIM_EV_RECON,  /* node's reconciliation timer (txload.c) */
};

struct sim_event {
    uint64_t at;   /* virtual microseconds */
    uint64_t seq;
    uint32_t node; /* recipient or timer owner */
    uint32_t from; /* sender of a message */
    uint8_t kind;
    uint8_t type;  /* message type */
    uint16_t nitems;
    uint32_t ref;  /* a message's payload (txload.c) or a transaction */
};

#define SIM_HEAP_LANES 4

/* Events of one exact time, in seq order. */
struct sim_lane {
    struct sim_event *ev;
    size_t head, len, cap;
};

struct sim_heap {
    struct sim_event *ev;
    size_t len, cap;
    uint64_t next_seq;
    struct sim_lane lane[SIM_HEAP_LANES];
};

void sim_heap_init(struct sim_heap *h);
void sim_heap_clear(struct sim_heap *h);
/* Stamps ev->seq and inserts it. */
void sim_heap_push(struct sim_heap *h, struct sim_event ev);
/* Removes the earliest event into *out; false when empty. */
bool sim_heap_pop(struct sim_heap *h, struct sim_event *out);
/* Bytes held by the queue's arrays. */
size_t sim_heap_memory(const struct sim_heap *h);

#endif
