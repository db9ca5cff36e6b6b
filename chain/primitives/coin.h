/* An unspent transaction output as the UTXO set and the mempool see it,
 * and the lookup interface the mempool uses (so it needs no storage). */
#ifndef HEARSAY_CHAIN_COIN_H
#define HEARSAY_CHAIN_COIN_H

#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct coin {
    int64_t value;
    uint8_t *script; /* owned (malloc'd) by whoever filled the coin */
    size_t script_len;
    int32_t height;  /* height of the block that created it */
    bool coinbase;
};

void coin_clear(struct coin *c); /* frees script; accepts NULL */

/* Finds an unspent output in the confirmed UTXO set. Returns true and
 * fills *out (the caller clears it) if the output exists and is unspent. */
typedef bool (*coin_lookup_fn)(void *ctx, const struct outpoint *op, struct coin *out);

#endif
