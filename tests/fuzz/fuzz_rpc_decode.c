/* Fuzz harness: what decoderawtransaction, getblock and getrawtransaction
 * show of untrusted bytes. The input is read as an output script (asm,
 * inferred descriptor, scriptPubKey object), as a transaction (TxToUniv)
 * when it parses, and as descriptor text for the checksum. Nothing may
 * crash, and every descriptor must carry its own valid checksum. */
#include "node/rpc/rpc_internal.h"
#include "node/rpc/rpc_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_descriptor(const char *d)
{
    size_t n = strlen(d);
    CHECK(n > 9 && d[n - 9] == '#');
    char sum[9];
    CHECK(rpc_util_desc_checksum(d, n - 9, sum) == 0);
    CHECK(memcmp(sum, d + n - 8, 8) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    /* The scriptSig form; the scriptPubKey object carries the other asm
     * and the inferred descriptor (computing them apart again took
     * three tenths of the time). */
    char *s = rpc_util_script_asm(data, size, true);
    CHECK(s != NULL);
    free(s);
    json_t *spk = rpc_util_script_json(p, data, size);
    const char *text = json_string_value(json_object_get(spk, "asm"));
    CHECK(text && (size == 0) == (text[0] == '\0'));
    text = json_string_value(json_object_get(spk, "desc"));
    CHECK(text);
    check_descriptor(text);
    json_decref(spk);
    struct tx *tx = tx_from_bytes(data, size, NULL);
    if (tx) {
        json_t *j = rpc_util_tx_json(p, tx, true);
        CHECK(json_array_size(json_object_get(j, "vin")) == tx->vin_count);
        json_decref(j);
        tx_free(tx);
    }
    char sum[9];
    (void)rpc_util_desc_checksum((const char *)data, size, sum);
    rpc_amounts_release();
    return 0;
}
