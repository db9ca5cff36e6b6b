/* The recording relay driver shared by the relay core's unit tests: a
 * log of what the core sent, to whom, and fake peers. */
#ifndef HEARSAY_TESTS_RELAY_FAKE_H
#define HEARSAY_TESTS_RELAY_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/relay/relay.h"
#include "tests/unit/relay_testutil.h"

#define MAXLOG 8192

struct sent {
    enum kind kind;
    uint64_t peer;
    size_t n;
    struct relay_inv inv[64];
};

/* The recording driver (one per test). Implicit peers, when enabled, are
 * the ids 1000, 1001, ... in pick order, or random ids below n_nodes. */
struct fake {
    struct sent log[MAXLOG];
    size_t n;
    uint64_t next_implicit;
    uint64_t removed;
};

extern struct fake *F;
extern const struct relay_driver explicit_drv, implicit_drv, pull_drv, recon_drv;

/* cmocka setup/teardown: a fresh recording driver in F. */
int setup(void **state);
int teardown(void **state);
/* A relay core on driver d with F as its context. */
struct relay *mk(const struct relay_policy *p, const struct relay_driver *d, uint64_t seed);
/* Peers 1..n_out are outbound, the next n_in inbound. */
void add_peers(struct relay *r, int n_out, int n_in, bool wtxid);
/* Entries of kind k sent to peer (any peer if peer is 0) in log[from..]. */
size_t entries(enum kind k, uint64_t peer, size_t from);

#endif
