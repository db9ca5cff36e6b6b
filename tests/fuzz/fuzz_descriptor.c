/* Fuzz harness: descriptor text as getdescriptorinfo and deriveaddresses
 * take it from RPC, and address text as validateaddress takes it (the
 * bech32 error locator). Nothing may crash; a descriptor that parses has
 * a public form that parses again to the same text, and expands (at
 * positions 0 and 1) to scripts or to the private-key failure. */
#include "chain/primitives/address.h"
#include "chain/script/descriptor.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void expand(const struct descriptor *d, uint32_t pos)
{
    struct descriptor_script s[DESCRIPTOR_MAX_SCRIPTS];
    int n = descriptor_expand(d, pos, s);
    CHECK(n >= -1 && n <= DESCRIPTOR_MAX_SCRIPTS);
    for (int i = 0; i < n; i++)
        free(s[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = xstrndup((const char *)data, size);
    for (int t = 0; t < 2; t++) {
        const struct chain_params *p = params_get(t ? CHAIN_MAIN : CHAIN_REGTEST);
        char *err = NULL;
        struct descriptor *d = descriptor_parse(p, text, false, &err);
        CHECK((d == NULL) == (err != NULL));
        free(err);
        if (!d)
            continue;
        struct descriptor *again = descriptor_parse(p, descriptor_string(d), true, NULL);
        CHECK(again && strcmp(descriptor_string(again), descriptor_string(d)) == 0);
        descriptor_free(again);
        expand(d, 0);
        expand(d, 1);
        descriptor_free(d);
    }
    int *locs = xcalloc(size + 1, sizeof(int));
    size_t n;
    const char *why = bech32_locate_errors(text, locs, &n);
    CHECK(why || n == 0);
    for (size_t i = 0; i < n; i++)
        CHECK(locs[i] >= 0 && (size_t)locs[i] < strlen(text));
    free(locs);
    free(text);
    return 0;
}
