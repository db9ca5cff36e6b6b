/* ZMQ publishers (see zmqpub.h): one PUB socket per distinct address,
 * shared by the notifiers bound to it, as Core does. */
#include "node/zmqpub.h"

#include "chain/mempool/mempool.h"
#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"
#include "node/clock.h"

#include <errno.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZMQ_DEFAULT_HWM 1000

enum zmq_kind { ZK_HASHBLOCK, ZK_HASHTX, ZK_RAWBLOCK, ZK_RAWTX, ZK_SEQUENCE, ZK_COUNT };
static const char *const kind_names[ZK_COUNT] = { "hashblock", "hashtx", "rawblock", "rawtx",
                                                  "sequence" };

struct notifier {
    enum zmq_kind kind;
    char *address;
    int hwm;
    void *socket; /* shared with the other notifiers of the same address */
    uint32_t seq; /* this notifier's message counter */
};

struct zmqpub {
    struct node *node;
    void *ctx;
    struct notifier *n;
    size_t count;
    struct event *tip_ev;      /* the tip notification, after a batch of changes */
    struct hash256 last_tip;   /* the last tip published */
};

const struct config_option zmq_options[] = {
    { "zmqpubhashblock", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Enable publish hash block in <address> (e.g. tcp://127.0.0.1:28332)." },
    { "zmqpubhashtx", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Enable publish hash transaction in <address>." },
    { "zmqpubrawblock", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Enable publish raw block in <address>." },
    { "zmqpubrawtx", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Enable publish raw transaction in <address>." },
    { "zmqpubsequence", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Enable publish hash block and tx sequence in <address>." },
    { "zmqpubhashblockhwm", CONFIG_INT, "1000", 0, 1000000000, 0,
      "Set publish hash block outbound message high water mark." },
    { "zmqpubhashtxhwm", CONFIG_INT, "1000", 0, 1000000000, 0,
      "Set publish hash transaction outbound message high water mark." },
    { "zmqpubrawblockhwm", CONFIG_INT, "1000", 0, 1000000000, 0,
      "Set publish raw block outbound message high water mark." },
    { "zmqpubrawtxhwm", CONFIG_INT, "1000", 0, 1000000000, 0,
      "Set publish raw transaction outbound message high water mark." },
    { "zmqpubsequencehwm", CONFIG_INT, "1000", 0, 1000000000, 0,
      "Set publish hash sequence message high water mark." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* [topic, body, LE32 counter]; never waits. A full queue drops the
 * message (PUB semantics); the counter still advances, so a subscriber
 * sees the gap. */
static void publish(struct notifier *n, const void *body, size_t len)
{
    uint8_t seq[4];
    ser_put_le32(seq, n->seq++);
    const char *topic = kind_names[n->kind];
    if (zmq_send(n->socket, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(n->socket, body, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(n->socket, seq, sizeof(seq), ZMQ_DONTWAIT) < 0)
        LOG_DEBUG(LOG_NET, "zmq: %s to %s not sent: %s", topic, n->address,
                  zmq_strerror(zmq_errno()));
}

static void publish_tx(struct zmqpub *z, const struct tx *tx)
{
    uint8_t h[32];
    hash_to_display(&tx->txid, h);
    for (size_t i = 0; i < z->count; i++) {
        if (z->n[i].kind == ZK_HASHTX)
            publish(&z->n[i], h, sizeof(h));
        else if (z->n[i].kind == ZK_RAWTX)
            publish(&z->n[i], tx->raw, tx->size);
    }
}

/* sequence: hash, label, and for 'A'/'R' the mempool sequence (LE64). */
static void publish_sequence(struct zmqpub *z, const struct hash256 *hash, char label,
                             const uint64_t *mempool_seq)
{
    uint8_t body[41];
    hash_to_display(hash, body);
    body[32] = (uint8_t)label;
    size_t len = 33;
    if (mempool_seq) {
        ser_put_le64(body + 33, *mempool_seq);
        len = 41;
    }
    for (size_t i = 0; i < z->count; i++)
        if (z->n[i].kind == ZK_SEQUENCE)
            publish(&z->n[i], body, len);
}

static void block_changed(struct zmqpub *z, const struct block *b, char label)
{
    for (size_t i = 0; i < b->tx_count; i++)
        publish_tx(z, b->txs[i]);
    publish_sequence(z, &b->hash, label, NULL);
}

static void on_settled(void *ctx)
{
    struct zmqpub *z = ctx;
    event_active(z->tip_ev, 0, 0);
}

static void on_connected(void *ctx, const struct block *b, int height)
{
    (void)height;
    block_changed(ctx, b, 'C');
}

static void on_disconnected(void *ctx, const struct block *b, int height)
{
    (void)height;
    block_changed(ctx, b, 'D');
}

/* Core's UpdatedBlockTip: once the chain has settled, the new tip, unless
 * the node is still in initial download. */
static void on_tip(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct zmqpub *z = arg;
    const struct bindex_node *tip = chainstate_tip(z->node->chain);
    if (hash_eq(&tip->hash, &z->last_tip))
        return;
    z->last_tip = tip->hash;
    if (chainstate_initial_download(z->node->chain))
        return;
    uint8_t h[32], *raw = NULL;
    size_t len = 0;
    hash_to_display(&tip->hash, h);
    for (size_t i = 0; i < z->count; i++) {
        if (z->n[i].kind == ZK_HASHBLOCK) {
            publish(&z->n[i], h, sizeof(h));
        } else if (z->n[i].kind == ZK_RAWBLOCK) {
            if (!raw && chainstate_get_block_raw(z->node->chain, &tip->hash, &raw, &len, NULL) != 1)
                LOG_WARN("zmq: cannot read the tip's block for rawblock");
            if (raw)
                publish(&z->n[i], raw, len);
        }
    }
    free(raw);
}

static void on_mempool_added(void *ctx, const struct tx *tx, uint64_t seq)
{
    struct zmqpub *z = ctx;
    publish_tx(z, tx);
    publish_sequence(z, &tx->txid, 'A', &seq);
}

static void on_mempool_removed(void *ctx, const struct tx *tx, enum mempool_removal why,
                               uint64_t seq)
{
    if (why != MEMPOOL_REMOVED_BLOCK)
        publish_sequence(ctx, &tx->txid, 'R', &seq);
}

/* One PUB socket per address, shared by every notifier bound to it. */
static int open_socket(struct zmqpub *z, struct notifier *n, char **err)
{
    for (size_t i = 0; i < z->count; i++)
        if (z->n[i].socket && !strcmp(z->n[i].address, n->address)) {
            n->socket = z->n[i].socket;
            return 0;
        }
    n->socket = zmq_socket(z->ctx, ZMQ_PUB);
    if (!n->socket)
        return err_set(err, "zmq: cannot create a socket: %s", zmq_strerror(zmq_errno()));
    int linger = 0;
    zmq_setsockopt(n->socket, ZMQ_SNDHWM, &n->hwm, sizeof(n->hwm));
    zmq_setsockopt(n->socket, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_bind(n->socket, n->address) != 0) {
        int e = zmq_errno();
        zmq_close(n->socket);
        n->socket = NULL;
        return err_set(err, "Unable to bind ZMQ socket to %s: %s", n->address, zmq_strerror(e));
    }
    LOG_INFO("zmq: publishing %s on %s", kind_names[n->kind], n->address);
    return 0;
}

static void zmqpub_free(struct zmqpub *z)
{
    if (!z)
        return;
    if (z->node->chain)
        chainstate_remove_callbacks(z->node->chain, z);
    if (z->node->mempool)
        mempool_remove_listener(z->node->mempool, z);
    for (size_t i = 0; i < z->count; i++) {
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first = first && z->n[j].socket != z->n[i].socket;
        if (first && z->n[i].socket)
            zmq_close(z->n[i].socket);
        free(z->n[i].address);
    }
    free(z->n);
    if (z->tip_ev)
        event_free(z->tip_ev);
    if (z->ctx)
        zmq_ctx_term(z->ctx);
    free(z);
}

/* The notifiers the options ask for, in Core's order of types. */
static int add_notifiers(struct zmqpub *z, const struct config *cfg, char **err)
{
    for (int k = 0; k < ZK_COUNT; k++) {
        char name[40], hwm[44];
        snprintf(name, sizeof(name), "zmqpub%s", kind_names[k]);
        snprintf(hwm, sizeof(hwm), "%shwm", name);
        size_t n;
        const char *const *addrs = config_get_multi(cfg, name, &n);
        for (size_t i = 0; i < n; i++) {
            z->n = xreallocarray(z->n, z->count + 1, sizeof(*z->n));
            struct notifier *nt = &z->n[z->count];
            *nt = (struct notifier){ (enum zmq_kind)k, xstrdup(addrs[i]),
                                     (int)config_get_int(cfg, hwm), NULL, 0 };
            z->count++;
            if (open_socket(z, nt, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int zmq_start(struct node *node, char **err)
{
    struct zmqpub *z = xcalloc(1, sizeof(*z));
    z->node = node;
    z->ctx = zmq_ctx_new();
    z->tip_ev = event_new(node->base, -1, 0, on_tip, z);
    if (!z->ctx || !z->tip_ev) {
        zmqpub_free(z);
        return err_set(err, "zmq: cannot create the context");
    }
    if (add_notifiers(z, node->cfg, err) < 0) {
        zmqpub_free(z);
        return -1;
    }
    if (!z->count) { /* nothing asked for: no listeners at all */
        zmqpub_free(z);
        return 0;
    }
    z->last_tip = chainstate_tip(node->chain)->hash;
    struct chainstate_callbacks cb = { on_connected, on_disconnected, z, on_settled };
    chainstate_add_callbacks(node->chain, &cb);
    struct mempool_listener l = { on_mempool_added, on_mempool_removed, z };
    if (mempool_add_listener(node->mempool, &l) < 0) {
        zmqpub_free(z);
        return err_set(err, "zmq: too many mempool listeners");
    }
    node->zmq = z;
    return 0;
}

static void zmq_stop(struct node *node)
{
    zmqpub_free(node->zmq);
    node->zmq = NULL;
}

const struct node_subsystem zmq_subsystem = { "zmq", zmq_start, zmq_stop };

static json_t *rpc_getzmqnotifications(struct rpc_request *req)
{
    struct node *node = req->ctx;
    json_t *list = json_array();
    for (size_t i = 0; node->zmq && i < node->zmq->count; i++) {
        const struct notifier *n = &node->zmq->n[i];
        char type[40];
        snprintf(type, sizeof(type), "pub%s", kind_names[n->kind]);
        json_array_append_new(list, json_pack("{s:s, s:s, s:i}", "type", type, "address",
                                              n->address, "hwm", n->hwm));
    }
    return list;
}

static const struct rpc_method zmq_methods[] = {
    { "getzmqnotifications", "zmq", rpc_getzmqnotifications,
      "Returns information about the active ZeroMQ notifications.", { { 0 } } },
};

const struct rpc_method_set zmq_rpc_methods = RPC_METHOD_SET(zmq_methods);
