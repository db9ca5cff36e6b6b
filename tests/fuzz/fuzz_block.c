/* Fuzz harness: block parsing, serialization and merkle roots. */
#include "chain/primitives/block.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    struct block *b = block_from_bytes(data, size, &why);
    if (!b) {
        CHECK(why != NULL);
        return 0;
    }
    CHECK(b->size == size);
    CHECK(b->base_size <= b->size);
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(b, &w, true);
    CHECK(w.len == size && memcmp(w.data, data, size) == 0);
    wbuf_reset(&w);
    block_serialize(b, &w, false);
    CHECK(w.len == b->base_size);
    wbuf_free(&w);
    struct hash256 root, wroot, h;
    bool mutated;
    block_merkle_root(b, &root, &mutated);
    block_witness_merkle_root(b, &wroot);
    block_header_hash(&b->hdr, &h);
    CHECK(hash_eq(&h, &b->hash));
    block_free(b);
    return 0;
}
