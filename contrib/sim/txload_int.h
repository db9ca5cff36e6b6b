/* Shared between txload.c (the workload's engine and relay driver) and
 * txload_recon.c (its BIP330 driver). */
#ifndef HEARSAY_SIM_TXLOAD_INT_H
#define HEARSAY_SIM_TXLOAD_INT_H

#include "contrib/sim/heap.h"
#include "contrib/sim/txload.h"
#include "net/relay/relay.h"

#define TL_NEVER UINT32_MAX /* informed[]: not (yet) informed */

/* A message's contents: transaction indexes (inv, getdata, tx,
 * notfound) or the payload bytes (reconciliation messages). */
struct tl_payload {
    void *data;
    uint32_t len;
    uint32_t next_free;
};

struct tl {
    const struct sim_txload_config *cfg;
    struct sim_txload_result *res;
    struct sim_topo *topo;
    struct sim_rng rng;
    struct sim_heap heap;
    uint64_t now;
    uint32_t n, ntx;
    struct relay_policy policy;
    struct relay_driver drv;
    struct relay **relay;
    uint64_t *wake_at;
    struct relay_tx_info *tx;
    uint64_t *born;
    uint32_t *origin;
    uint32_t *informed;      /* [tx * n + node]: us after the tx's birth */
    struct tl_payload *pl;
    uint32_t npl, cap_pl, free_pl;
    uint64_t foreground;     /* relay wakes and messages but reconciliation's */
    uint32_t originated;
    /* Reconciliation (txload_recon.c). */
    struct txrecon **recon;  /* per node; NULL when off */
    uint32_t *rot;           /* per node: last partner in the rotation */
    uint64_t salt;
};

/* txload.c */
uint32_t tl_tx_index(const struct tl *tl, const struct hash256 *h);
bool tl_has(const struct tl *tl, uint32_t node, uint32_t tx);
void tl_send(struct tl *tl, uint32_t from, uint32_t to, enum sim_tl_msg type, const void *data,
             uint32_t len, uint64_t bytes);
void tl_send_inv(struct tl *tl, uint32_t from, uint32_t to, const uint32_t *txs, size_t n);
void tl_after_event(struct tl *tl, uint32_t node);

/* txload_recon.c */
void tl_recon_setup(struct tl *tl);
void tl_recon_free(struct tl *tl);
void tl_recon_add(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid);
void tl_recon_seen(struct tl *tl, uint32_t node, uint32_t peer, const struct hash256 *wtxid);
/* txrecon_solicited: the peer's inv of wtxid answers a round node took
 * part in (false when reconciliation is off). */
bool tl_recon_solicited(struct tl *tl, uint32_t node, uint32_t peer, const struct hash256 *wtxid);
void tl_recon_timer(struct tl *tl, uint32_t node);
/* Entries left to reconcile, network-wide. */
size_t tl_recon_pending(const struct tl *tl);
void tl_recon_deliver(struct tl *tl, uint32_t to, uint32_t from, enum sim_tl_msg type,
                      const uint8_t *data, size_t len);
void tl_recon_totals(const struct tl *tl, struct sim_txload_result *res);

#endif
