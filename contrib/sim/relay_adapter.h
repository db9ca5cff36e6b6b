/* The simulator's adapter on the node's relay core (net/relay/relay.h).
 *
 * Each simulated node owns one `struct relay`, created on first contact.
 * The virtual clock is the core's clock; each core's PRNG is seeded from
 * the run's seed and the node id; the core's actions (send_inv,
 * send_getdata, rumor_removed) become simulated messages and SIR marks;
 * simulated deliveries become relay_on_* calls. The adapter itself only
 * serves payloads (getdata -> tx), as the node's driver does. */
#ifndef HEARSAY_SIM_RELAY_ADAPTER_H
#define HEARSAY_SIM_RELAY_ADAPTER_H

#include "contrib/sim/adapter.h"

struct relay_policy;

extern const struct sim_adapter sim_relay_adapter;

/* The relay policy the adapter gives every node for these parameters. */
void sim_relay_policy(const struct sim_proto *proto, struct relay_policy *out);

#endif
