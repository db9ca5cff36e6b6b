/* Helpers shared by the relay core's test programs: transactions with
 * distinct ids, and policies (Bitcoin Core's, or the papers' rounds). */
#ifndef HEARSAY_TESTS_UNIT_RELAY_TESTUTIL_H
#define HEARSAY_TESTS_UNIT_RELAY_TESTUTIL_H

#include <stdint.h>
#include <string.h>

#include "net/relay/relay.h"

#define S 1000000LL /* one second in microseconds */

enum kind { K_INV, K_GETDATA, K_HEADERS, K_PULL, K_RECON };

static inline struct hash256 H(uint32_t i)
{
    struct hash256 h = {{0}};
    memcpy(h.b, &i, 4);
    h.b[31] = 0xa5;
    return h;
}

static inline struct relay_tx_info tx(uint32_t i, uint32_t ancestors, int64_t feerate)
{
    return (struct relay_tx_info){.txid = H(i), .wtxid = H(i | 0x40000000u),
                                  .ancestors = ancestors, .vsize = 200, .feerate = feerate};
}

/* Bitcoin Core's policy, with the trickle off unless a test sets it. */
static inline struct relay_policy quick_policy(void)
{
    struct relay_policy p;
    relay_policy_default(&p);
    p.trickle_in_us = 0;
    p.trickle_out_us = 0;
    return p;
}

/* The papers' rounds: one a second, verdicts by the next one. */
static inline struct relay_policy rumor_policy(enum relay_stop stop, uint32_t k, bool feedback,
                                               uint32_t fanout)
{
    struct relay_policy p = quick_policy();
    p.fanout = fanout;
    p.stop = stop;
    p.stop_k = k;
    p.feedback = feedback;
    p.round_interval_us = S;
    p.feedback_window_us = 0;
    return p;
}

/* Ticks whenever the relay asks, until `until`. */
static inline void run_until(struct relay *r, int64_t until)
{
    for (int64_t t = relay_next_wakeup(r); t <= until; t = relay_next_wakeup(r))
        relay_tick(r, t);
}

#endif
