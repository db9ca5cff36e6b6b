/* Address decoding on arbitrary text: never crashes, and whatever decodes
 * encodes back to an address that decodes to the same script. */
#include "chain/primitives/address.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct chain_params nets[] = {
    {.base58_pubkey = 0, .base58_script = 5, .bech32_hrp = "bc"},
    {.base58_pubkey = 111, .base58_script = 196, .bech32_hrp = "bcrt"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < sizeof(nets) / sizeof(*nets); i++) {
        uint8_t script[ADDRESS_MAX_SCRIPT], again[ADDRESS_MAX_SCRIPT];
        size_t len, len2;
        char addr[ADDRESS_MAX_LEN];
        if (address_decode(&nets[i], text, script, &len, NULL) != ADDRESS_OK)
            continue;
        if (address_encode(&nets[i], script, len, addr) != 0 ||
            address_decode(&nets[i], addr, again, &len2, NULL) != ADDRESS_OK || len != len2 ||
            memcmp(script, again, len) != 0)
            abort();
    }
    uint8_t raw[BASE58_MAX_TEXT];
    base58_decode(text, raw, sizeof(raw));
    free(text);
    return 0;
}
