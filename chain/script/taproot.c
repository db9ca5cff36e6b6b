#include "chain/script/taproot.h"

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/script/pubkey.h"

#include <string.h>

static struct hash_tag tag_leaf = HASH_TAG("TapLeaf");
static struct hash_tag tag_branch = HASH_TAG("TapBranch");

void taproot_leaf_hash(uint8_t out[32], uint8_t leaf_version, const uint8_t *script, size_t len)
{
    struct hash_ctx *h = hash_ctx_new();
    uint8_t head[1 + SER_COMPACT_MAX] = {leaf_version};
    hash_ctx_init_tagged(h, &tag_leaf);
    hash_ctx_update(h, head, 1 + ser_put_compact(head + 1, len));
    hash_ctx_update(h, script, len);
    hash_ctx_final(h, out);
    hash_ctx_free(h);
}

void taproot_branch_hash(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    uint8_t msg[64];
    bool a_first = memcmp(a, b, 32) < 0;
    memcpy(msg, a_first ? a : b, 32);
    memcpy(msg + 32, a_first ? b : a, 32);
    hash_tagged(out, &tag_branch, msg, 64);
}

bool taproot_verify_commitment(const uint8_t *control, size_t control_len,
                               const uint8_t program[32], const uint8_t tapleaf_hash[32])
{
    size_t nodes = (control_len - TAPROOT_CONTROL_BASE_SIZE) / TAPROOT_CONTROL_NODE_SIZE;
    uint8_t k[32];
    memcpy(k, tapleaf_hash, 32);
    for (size_t i = 0; i < nodes; i++) {
        const uint8_t *node =
            control + TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * i;
        taproot_branch_hash(k, k, node);
    }
    /* The internal key follows the leaf-version byte, whose low bit is the
     * output key's parity. */
    return pubkey_taproot_check_tweak(program, control[0] & 1, control + 1, k);
}
