/* Transactions: legacy and BIP144 (segwit) serialization, txid and wtxid.
 *
 * A parsed transaction owns one copy of its serialization (raw); scripts
 * and witness items point into it, and the struct, its input, output and
 * witness arrays and raw share a single allocation. Transactions are
 * reference counted because the mempool, blocks and the relay queues share
 * them: tx_ref adds a reference and tx_free drops one. The fields are
 * read-only: tx_serialize writes from raw. To build a transaction,
 * serialize it into a wbuf and parse that (tx_from_bytes).
 *
 * Parsing accepts exactly what Bitcoin Core's UnserializeTransaction does:
 * canonical CompactSizes up to SER_MAX_SIZE; with the BIP144 marker, flag 1
 * and at least one non-empty witness stack ("superfluous witness record"
 * otherwise); no other flag bits; an empty input vector followed by flag 0
 * is a transaction with no inputs and no outputs. */
#ifndef HEARSAY_CHAIN_TX_H
#define HEARSAY_CHAIN_TX_H

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TX_COIN 100000000LL
#define TX_MAX_MONEY (21000000LL * TX_COIN)
#define TX_WITNESS_SCALE 4

struct outpoint {
    struct hash256 hash;
    uint32_t n;
};

struct tx_witem {
    const uint8_t *data;
    size_t len;
};

struct tx_in {
    struct outpoint prevout;
    const uint8_t *script;
    size_t script_len;
    uint32_t sequence;
    size_t wit_count;
    struct tx_witem *wit;
};

struct tx_out {
    int64_t value; /* satoshis */
    const uint8_t *script;
    size_t script_len;
};

struct tx {
    int32_t version;
    uint32_t locktime;
    size_t vin_count;
    struct tx_in *vin;
    size_t vout_count;
    struct tx_out *vout;
    struct hash256 txid;  /* hash of the serialization without witness */
    struct hash256 wtxid; /* hash with witness; equals txid without one */
    bool has_witness;
    size_t size;      /* serialized size with witness */
    size_t base_size; /* serialized size without witness */
    uint8_t *raw;     /* owned serialization (with witness), size bytes */
    unsigned refs;
};

/* Parse flags. */
#define TX_PARSE_WITNESS 1 /* accept BIP144 marker/flag (always, on the wire) */

/* Parses one transaction at the cursor. NULL on failure, with the cursor
 * poisoned and a short static reason ("truncated input", "bad input
 * count", "superfluous witness record", ...). No allocation happens
 * before the whole transaction has been validated, and then it is
 * proportional to the bytes consumed. */
struct tx *tx_parse(struct cursor *c, int flags, const char **reason);
/* Parses a whole buffer: trailing bytes are an error. */
struct tx *tx_from_bytes(const void *data, size_t len, const char **reason);
/* Serialization with or without witness data. */
void tx_serialize(const struct tx *tx, struct wbuf *w, bool with_witness);

struct tx *tx_ref(struct tx *tx);
void tx_free(struct tx *tx); /* drops a reference; accepts NULL */

bool tx_is_coinbase(const struct tx *tx);
/* Does one of tx's inputs spend an output of txid? */
bool tx_spends(const struct tx *tx, const struct hash256 *txid);
size_t tx_weight(const struct tx *tx); /* base_size * 3 + size */
size_t tx_vsize(const struct tx *tx);  /* weight / 4, rounded up */
/* Sum of output values; false if any value or the sum leaves 0..MAX_MONEY. */
bool tx_output_sum(const struct tx *tx, int64_t *sum);

#endif
