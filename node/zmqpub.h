/* ZMQ notifications, as Bitcoin Core's -zmqpub* options: PUB sockets that
 * publish hashblock, hashtx, rawblock, rawtx and sequence messages, each a
 * multipart message [topic, body, 4-byte little-endian sequence number of
 * that notifier]. Sends never wait (ZMQ_DONTWAIT; a subscriber that falls
 * behind its high-water mark loses messages, as with Core), so the event
 * loop is never blocked by a subscriber.
 *
 * What is published when (Core's CZMQNotificationInterface):
 *  - a block joins the active chain: hashtx/rawtx for each of its
 *    transactions, then sequence "C"; it leaves: the same with "D";
 *  - the tip changed (after a batch of connects and disconnects) and the
 *    node is not in initial download: hashblock/rawblock of the new tip;
 *  - a transaction enters the mempool: hashtx/rawtx and sequence "A" with
 *    the mempool sequence number; leaves for any reason but a block:
 *    sequence "R" with it. */
#ifndef HEARSAY_NODE_ZMQPUB_H
#define HEARSAY_NODE_ZMQPUB_H

#include "node/config.h"
#include "node/node.h"
#include "node/rpc/rpc.h"

/* -zmqpubhashblock=<address> ... and -zmqpub<type>hwm=<n>. */
extern const struct config_option zmq_options[];
/* Starts after the chain and the mempool, whose events it publishes. */
extern const struct node_subsystem zmq_subsystem;
/* getzmqnotifications. */
extern const struct rpc_method_set zmq_rpc_methods;

#endif
