/* Fuzz harness: transaction parsing. Whatever parses must re-serialize to
 * the same bytes, and its stripped form must parse to the same txid. */
#include "chain/primitives/tx.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broken: stop so the driver (or libFuzzer) reports it. */
#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_stripped(const struct tx *tx)
{
    struct wbuf w;
    wbuf_init(&w);
    tx_serialize(tx, &w, false);
    CHECK(w.len == tx->base_size);
    struct tx *s = tx_from_bytes(w.data, w.len, NULL);
    CHECK(s && hash_eq(&s->txid, &tx->txid) && !s->has_witness);
    tx_free(s);
    wbuf_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(data, size, &why);
    if (!tx) {
        CHECK(why != NULL);
        return 0;
    }
    CHECK(tx->size == size);
    CHECK(tx->base_size <= tx->size);
    CHECK(tx_weight(tx) == tx->base_size * 3 + tx->size);
    struct wbuf w;
    wbuf_init(&w);
    tx_serialize(tx, &w, true);
    CHECK(w.len == size && memcmp(w.data, data, size) == 0);
    wbuf_free(&w);
    if (tx->has_witness)
        check_stripped(tx);
    else
        CHECK(hash_eq(&tx->txid, &tx->wtxid));
    int64_t sum;
    (void)tx_output_sum(tx, &sum);
    (void)tx_is_coinbase(tx);
    tx_free(tx);
    return 0;
}
