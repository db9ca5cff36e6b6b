/* Bitcoin P2P wire format: the 24-byte message header and the payload
 * codecs of every message hearsay speaks.
 *
 * Decoders read through the bounded cursor and never allocate more than the
 * payload could hold; a false return means "malformed": the caller drops
 * the message and keeps the peer, as Bitcoin Core does, unless a list is
 * over its protocol limit (struct net_msg's too_many). Trailing bytes
 * after a message's fields are ignored, as Bitcoin Core ignores them. tx
 * and block payloads are not decoded here: the relay layer parses them
 * with chain/primitives/tx.h and chain/primitives/block.h. */
#ifndef HEARSAY_NET_PROTOCOL_H
#define HEARSAY_NET_PROTOCOL_H

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol versions (Bitcoin Core's node/protocol_version.h). */
#define PROTO_VERSION 70016
#define PROTO_MIN_PEER_VERSION 31800
#define PROTO_BIP31_VERSION 60000       /* ping carries a nonce above this */
#define PROTO_SENDHEADERS_VERSION 70012
#define PROTO_FEEFILTER_VERSION 70013
#define PROTO_SHORT_IDS_VERSION 70014   /* sendcmpct */
#define PROTO_WTXID_VERSION 70016       /* wtxidrelay, sendaddrv2 */

#define PROTO_HEADER_SIZE 24
#define PROTO_COMMAND_SIZE 12
#define PROTO_MAX_PAYLOAD 4000000u /* MAX_PROTOCOL_MESSAGE_LENGTH */

/* Limits from Bitcoin Core. */
#define PROTO_MAX_USER_AGENT 256
#define PROTO_MAX_ADDR 1000
#define PROTO_MAX_ADDRV2_BYTES 512
#define PROTO_MAX_INV 50000
#define PROTO_MAX_HEADERS 2000
#define PROTO_MAX_LOCATOR 101

/* Service bits. */
#define PROTO_NODE_NETWORK (1ull << 0)
#define PROTO_NODE_BLOOM (1ull << 2)
#define PROTO_NODE_WITNESS (1ull << 3)
#define PROTO_NODE_COMPACT_FILTERS (1ull << 6)
#define PROTO_NODE_NETWORK_LIMITED (1ull << 10)
#define PROTO_NODE_P2P_V2 (1ull << 11)
/* BIP159: a NODE_NETWORK_LIMITED peer serves at least the last 288 blocks
 * (Core's NODE_NETWORK_LIMITED_MIN_BLOCKS). */
#define PROTO_NODE_NETWORK_LIMITED_MIN_BLOCKS 288

/* Inventory types. */
#define PROTO_INV_TX 1u
#define PROTO_INV_BLOCK 2u
#define PROTO_INV_FILTERED_BLOCK 3u
#define PROTO_INV_CMPCT_BLOCK 4u
#define PROTO_INV_WTX 5u
#define PROTO_INV_WITNESS_FLAG (1u << 30)
#define PROTO_INV_WITNESS_TX (PROTO_INV_TX | PROTO_INV_WITNESS_FLAG)
#define PROTO_INV_WITNESS_BLOCK (PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG)

/* BIP155 network ids. */
enum proto_net {
    PROTO_NET_IPV4 = 1,
    PROTO_NET_IPV6 = 2,
    PROTO_NET_TORV2 = 3,
    PROTO_NET_TORV3 = 4,
    PROTO_NET_I2P = 5,
    PROTO_NET_CJDNS = 6,
};

/* Every command hearsay knows, in one list. Its wire facts (name, payload
 * cap, decoder) are one row of protocol.c's table; net/conn/peer.c adds
 * the handshake states and the connection-level handler, net/sync/netproc.c
 * the relay handler, each indexed by this enum. Senders pass the enum. */
enum proto_cmd {
    PROTO_CMD_VERSION,
    PROTO_CMD_VERACK,
    PROTO_CMD_WTXIDRELAY,
    PROTO_CMD_SENDADDRV2,
    PROTO_CMD_SENDHEADERS,
    PROTO_CMD_SENDCMPCT,
    PROTO_CMD_FEEFILTER,
    PROTO_CMD_PING,
    PROTO_CMD_PONG,
    PROTO_CMD_GETADDR,
    PROTO_CMD_ADDR,
    PROTO_CMD_ADDRV2,
    PROTO_CMD_INV,
    PROTO_CMD_GETDATA,
    PROTO_CMD_NOTFOUND,
    PROTO_CMD_TX,
    PROTO_CMD_BLOCK,
    PROTO_CMD_HEADERS,
    PROTO_CMD_GETHEADERS,
    PROTO_CMD_GETBLOCKS,
    PROTO_CMD_MEMPOOL,
    PROTO_CMD_CMPCTBLOCK,
    PROTO_CMD_GETBLOCKTXN,
    PROTO_CMD_BLOCKTXN,
    /* BIP330 (payloads in net/wire/txrecon_msg.h). */
    PROTO_CMD_SENDTXRCNCL,
    PROTO_CMD_REQRECON,
    PROTO_CMD_SKETCH,
    PROTO_CMD_REQSKETCHEXT,
    PROTO_CMD_RECONCILDIFF,
    /* hearsay's anti-entropy, ignored by Bitcoin Core as any unknown
     * command (formats in net/sync/netproc.h). */
    PROTO_CMD_HSGOSSIP,
    PROTO_CMD_HSDIGEST,
    PROTO_CMD_HSINV,
    PROTO_CMD_HSSKETCH,
    PROTO_CMD_HSASK,
    /* BIP37 bloom filters and BIP157 compact filters: services hearsay
     * does not offer (a peer asking is dropped, as Core drops it). */
    PROTO_CMD_FILTERLOAD,
    PROTO_CMD_FILTERADD,
    PROTO_CMD_FILTERCLEAR,
    PROTO_CMD_GETCFILTERS,
    PROTO_CMD_GETCFHEADERS,
    PROTO_CMD_GETCFCHECKPT,
    PROTO_CMD_OTHER, /* anything unknown: counted, logged, ignored */
    PROTO_CMD_COUNT
};

/* "version", ...; "*other*" for PROTO_CMD_OTHER (Bitcoin Core's label). */
const char *proto_cmd_name(enum proto_cmd cmd);
/* PROTO_CMD_OTHER when the 12-byte command is none of ours. */
enum proto_cmd proto_cmd_lookup(const char command[PROTO_COMMAND_SIZE]);

struct proto_header {
    uint8_t magic[4];
    char command[PROTO_COMMAND_SIZE]; /* NUL-padded, not NUL-terminated */
    uint32_t length;
    uint8_t checksum[4];
};

void proto_header_decode(const uint8_t raw[PROTO_HEADER_SIZE], struct proto_header *h);
/* NULL when the header may be followed (right magic, length within
 * PROTO_MAX_PAYLOAD), else the reason to disconnect. A malformed command
 * is not one: as a bad checksum, it only gets the message dropped
 * (Bitcoin Core's V1Transport). */
const char *proto_header_check(const struct proto_header *h, const uint8_t magic[4]);
/* Bitcoin Core's rule: printable ASCII, then only NULs to the 12th byte. */
bool proto_command_valid(const char command[PROTO_COMMAND_SIZE]);
/* Compares all 12 bytes against name padded with NULs. */
bool proto_command_is(const char command[PROTO_COMMAND_SIZE], const char *name);
/* The command as a printable NUL-terminated string (for logs); out holds 13. */
void proto_command_str(const char command[PROTO_COMMAND_SIZE], char out[PROTO_COMMAND_SIZE + 1]);
void proto_checksum(const void *payload, size_t len, uint8_t out[4]);
bool proto_checksum_ok(const struct proto_header *h, const void *payload);

/* Framing: proto_begin appends a header placeholder (the command field
 * from the table) and returns its offset; the caller appends the payload,
 * then proto_finish fills in the length and checksum. */
size_t proto_begin(struct wbuf *w, const uint8_t magic[4], enum proto_cmd cmd);
void proto_finish(struct wbuf *w, size_t start);
/* A whole frame of any command name (up to 12 bytes, longer is cut), for
 * test peers and tools that speak commands hearsay does not know. */
void proto_frame(struct wbuf *w, const uint8_t magic[4], const char *command,
                 const void *payload, size_t len);

/* A network address. net 0 is IP: IPv4 kept IPv4-mapped (::ffff:a.b.c.d)
 * in ip[0..16], so IPv4 and IPv6 share one form. Addresses of networks we
 * cannot reach (BIP155 Tor v3, I2P, CJDNS) keep their BIP155 id in net and
 * their bytes in ip: we store and relay them to addrv2 peers, as Bitcoin
 * Core, but never connect to them. */
#define PROTO_NETADDR_MAX 32
struct proto_netaddr {
    uint32_t time;
    uint64_t services;
    uint8_t net; /* 0, PROTO_NET_TORV3, PROTO_NET_I2P or PROTO_NET_CJDNS */
    uint8_t ip[PROTO_NETADDR_MAX];
    uint16_t port;
};

bool proto_netaddr_is_ipv4(const struct proto_netaddr *a);
/* An IP address (IPv4 or IPv6): the ones a v1 addr message can carry and
 * we can connect to. */
bool proto_netaddr_is_ip(const struct proto_netaddr *a);
/* How many bytes of ip the address uses: 16, or 32 for Tor v3 and I2P. */
size_t proto_netaddr_len(const struct proto_netaddr *a);
/* The BIP155 network id of the address (PROTO_NET_IPV4, PROTO_NET_IPV6...). */
uint8_t proto_netaddr_bip155(const struct proto_netaddr *a);

struct proto_version {
    int32_t version;
    uint64_t services;
    int64_t time;
    struct proto_netaddr addr_recv; /* time unused */
    struct proto_netaddr addr_from; /* time unused */
    uint64_t nonce;
    char user_agent[PROTO_MAX_USER_AGENT + 1];
    int32_t start_height;
    bool relay;
};

/* Fields after addr_recv are optional as in Bitcoin Core (old peers stop
 * early); a field cut in the middle, or a user agent over 256 bytes, fails.
 * Bytes after the relay flag are ignored. */
bool proto_version_decode(struct cursor *c, struct proto_version *v);
void proto_version_encode(struct wbuf *w, const struct proto_version *v);

/* ping, pong: one 64-bit nonce. feefilter: a signed fee rate (sat/kvB). */
bool proto_u64_decode(struct cursor *c, uint64_t *v);
bool proto_feefilter_decode(struct cursor *c, int64_t *feerate);

struct proto_sendcmpct {
    bool announce;
    uint64_t version;
};
bool proto_sendcmpct_decode(struct cursor *c, struct proto_sendcmpct *m);
void proto_sendcmpct_encode(struct wbuf *w, const struct proto_sendcmpct *m);

/* A BIP155 address: network id, length-prefixed address bytes and a
 * big-endian port (an addrv2 entry after time and services; also Core's
 * fixed seed tables). false on malformed input (a cursor error, or a known
 * network's address of the wrong length); *keep says whether it is of a
 * network we know (IPv4, IPv6, Tor v3, I2P, CJDNS). Sets net, ip and port
 * only. */
bool proto_bip155_addr_decode(struct cursor *c, struct proto_netaddr *a, bool *keep);

/* addr (v2 = false) or addrv2 (BIP155). Fails above PROTO_MAX_ADDR entries.
 * *out (malloc'd, free it) receives the entries kept; *skipped counts
 * well-formed entries of unknown networks. A v1 addr message cannot carry
 * the non-IP entries of a: they are left out (the count says so). */
bool proto_addr_decode(struct cursor *c, bool v2, struct proto_netaddr **out, size_t *n,
                       size_t *skipped);
void proto_addr_encode(struct wbuf *w, bool v2, const struct proto_netaddr *a, size_t n);

/* inv, getdata, notfound. */
struct proto_inv {
    uint32_t type;
    struct hash256 hash;
};
/* Core's CInv::IsGenTxMsg and IsGenBlkMsg: the witness flag goes with
 * tx and block only; any other combination (a witness wtx, compact or
 * filtered block) is an unknown type, ignored as Core ignores it. */
bool proto_inv_is_tx(uint32_t type);
bool proto_inv_is_block(uint32_t type);
/* *items is malloc'd (NULL when n is 0). Fails above PROTO_MAX_INV. */
bool proto_inv_decode(struct cursor *c, struct proto_inv **items, size_t *n);
void proto_inv_encode(struct wbuf *w, const struct proto_inv *items, size_t n);

/* getheaders, getblocks. */
struct proto_locator {
    uint32_t version;
    size_t count;
    struct hash256 *hashes; /* malloc'd */
    struct hash256 stop;
};
bool proto_locator_decode(struct cursor *c, struct proto_locator *loc);
void proto_locator_encode(struct wbuf *w, uint32_t version, const struct hash256 *hashes,
                          size_t n, const struct hash256 *stop);
void proto_locator_clear(struct proto_locator *loc);

/* headers: each entry is an 80-byte header and a transaction count that
 * is read and ignored, as Bitcoin Core does. *hdrs (malloc'd) points at each raw header inside the
 * payload, for block_header_parse. Fails above PROTO_MAX_HEADERS. */
bool proto_headers_decode(struct cursor *c, const uint8_t ***hdrs, size_t *n);
void proto_headers_encode(struct wbuf *w, const uint8_t (*hdrs)[80], size_t n);

/* A received message, decoded by its command's row (proto_msg_decode).
 * Commands without a decoder (tx, block, BIP152, BIP330 and hearsay's
 * own) keep only the raw payload: their handlers parse it. */
struct net_msg {
    enum proto_cmd cmd;
    const uint8_t *payload;
    size_t len;
    void *owned; /* the decoder's allocation, if any: proto_msg_clear frees it */
    size_t too_many; /* decode failed on a list over its limit: the count */
    union {
        struct proto_version version;
        struct {
            const struct proto_netaddr *a; /* entries kept */
            size_t n, skipped;             /* skipped: unknown networks */
        } addr; /* addr, addrv2 */
        struct {
            bool present; /* absent before BIP31, or cut short */
            uint64_t value;
        } nonce; /* ping, pong */
        struct {
            const struct proto_inv *items;
            size_t n;
        } inv; /* inv, getdata, notfound */
        struct proto_locator locator; /* getheaders, getblocks */
        struct {
            const uint8_t *const *hdrs; /* 80 raw bytes each, inside the payload */
            size_t n;
        } headers;
        int64_t feerate; /* feefilter */
        struct proto_sendcmpct sendcmpct;
    } u;
};

/* Decodes payload (len bytes, which must stay valid while m is used) as
 * cmd's row says; bytes after the fields read are ignored. false:
 * malformed, or m->too_many set for a list over its limit (inv, getdata,
 * notfound, addr, addrv2, headers, getheaders, getblocks); nothing is
 * left to clear. */
bool proto_msg_decode(enum proto_cmd cmd, const uint8_t *payload, size_t len,
                      struct net_msg *m);
void proto_msg_clear(struct net_msg *m);

#endif
