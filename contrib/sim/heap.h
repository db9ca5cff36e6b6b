/* The simulator's event queue: a binary min-heap ordered by (time, seq).
 *
 * seq is the order of scheduling, so events at the same virtual time run
 * first-scheduled-first, which makes runs deterministic. */
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
};

struct sim_event {
    uint64_t at;   /* virtual microseconds */
    uint64_t seq;
    uint32_t node; /* recipient or timer owner */
    uint32_t from; /* sender of a message */
    uint8_t kind;
    uint8_t type;  /* message type */
    uint16_t nitems;
};

struct sim_heap {
    struct sim_event *ev;
    size_t len, cap;
    uint64_t next_seq;
};

void sim_heap_init(struct sim_heap *h);
void sim_heap_clear(struct sim_heap *h);
/* Stamps ev->seq and inserts it. */
void sim_heap_push(struct sim_heap *h, struct sim_event ev);
/* Removes the earliest event into *out; false when empty. */
bool sim_heap_pop(struct sim_heap *h, struct sim_event *out);

#endif
