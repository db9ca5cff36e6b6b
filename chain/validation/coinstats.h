/* Statistics of the UTXO set at the tip, as Bitcoin Core's gettxoutsetinfo
 * computes them (kernel/coinstats.cpp): counts, amounts, the "bogosize"
 * and one of its hashes. Each coin is serialized for the hashes as Core's
 * TxOutSer: outpoint (txid, 32-bit index), 32-bit height * 2 + coinbase,
 * then the output (64-bit value, script with its length). */
#ifndef HEARSAY_CHAIN_COINSTATS_H
#define HEARSAY_CHAIN_COINSTATS_H

#include "chain/primitives/coin.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/validation/chainstate.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum coinstats_hash {
    COINSTATS_HASH_SERIALIZED, /* "hash_serialized_3": SHA256d of the coins in key order */
    COINSTATS_HASH_MUHASH,     /* "muhash": MuHash3072 of the coins (any order) */
    COINSTATS_HASH_NONE,
};

struct coinstats {
    int height;
    struct hash256 bestblock;
    uint64_t txouts;
    uint64_t transactions; /* transactions with an unspent output */
    uint64_t bogosize;     /* Core's database-independent size metric */
    int64_t total_amount;  /* satoshis */
    uint64_t disk_size;
    struct hash256 hash; /* zero for COINSTATS_HASH_NONE */
};

/* A walk in three steps, so the long middle one can run off the event
 * loop: start (writes the cache out, takes a snapshot and notes the tip)
 * and finish on the thread that owns the chainstate, run on any thread.
 * run returns -1 and *err on a storage error, 1 when *cancel was set. */
struct coinstats_job;
struct coinstats_job *coinstats_start(struct chainstate *cs, enum coinstats_hash type,
                                      char **err);
int coinstats_run(struct coinstats_job *j, const atomic_bool *cancel, char **err);
void coinstats_finish(struct coinstats_job *j, struct chainstate *cs, struct coinstats *out);
void coinstats_job_free(struct coinstats_job *j); /* accepts NULL */

/* The three at once: -1 and *err on a storage error. */
int coinstats_compute(struct chainstate *cs, enum coinstats_hash type, struct coinstats *out,
                      char **err);

/* Core's TxOutSer of one coin, appended to w. */
void coinstats_coin_ser(struct wbuf *w, const struct outpoint *op, const struct coin *c);

/* Core's GetBogoSize of an output with this script. */
uint64_t coinstats_bogosize(size_t script_len);

#endif
