/* The relay subsystem of hearsayd: gossip options (-fanout, -gossipstop,
 * -trickle, -antientropy, -blocksonly) and the start-up row that connects
 * the connection manager, the relay core, the chainstate and the mempool
 * through net/sync/netproc.h. Starts after the chain, mempool and net rows. */
#ifndef HEARSAY_NODE_RELAY_GLUE_H
#define HEARSAY_NODE_RELAY_GLUE_H

#include "chain/mempool/mempool.h"
#include "net/sync/netproc.h"
#include "node/config.h"
#include "node/node.h"

extern const struct config_option relay_options[];
extern const struct node_subsystem relay_subsystem;

/* The running netproc (NULL before start and after stop), for RPC
 * methods: netproc_get_info, netproc_relay (relay_get_info,
 * relay_get_peer_info), netproc_peer_reconciles. */
struct netproc *relay_glue_netproc(const struct node *node);
/* The clock netproc runs on (monotonic microseconds). */
int64_t relay_glue_now(void);
/* sendrawtransaction / submitblock / generatetoaddress: hand the item to
 * netproc so it is announced (and the mempool follows new blocks). The
 * relay subsystem always runs once the node is up; before that a
 * transaction is refused ("relay not running") and a block goes straight
 * to the chainstate. */
enum mempool_status relay_glue_submit_tx(struct node *node, struct tx *tx,
                                         struct mempool_reject *rej);
/* Announces a transaction already put in the mempool (submitpackage). */
void relay_glue_announce_tx(struct node *node, const struct tx *tx);
/* sendrawtransaction of a transaction already in the mempool. */
void relay_glue_rebroadcast_tx(struct node *node, const struct tx *tx);
enum chainstate_status relay_glue_submit_block(struct node *node, const struct block *b,
                                               const char **reason, char **err);

#endif
