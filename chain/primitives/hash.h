/* SHA-256 through OpenSSL's EVP interface, and the 256-bit hash type.
 *
 * Hashes are stored in internal byte order (as computed); Bitcoin shows
 * them byte-reversed, which hash_to_hex / hash_from_hex do. */
#ifndef HEARSAY_CHAIN_HASH_H
#define HEARSAY_CHAIN_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hash256 {
    uint8_t b[32];
};

#define HASH_HEX_LEN 64

static inline bool hash_eq(const struct hash256 *a, const struct hash256 *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}
static inline bool hash_is_zero(const struct hash256 *a)
{
    static const uint8_t z[32];
    return memcmp(a->b, z, 32) == 0;
}
/* The low 64 bits, for hash tables (the hash is already uniform). */
static inline uint64_t hash_cheap(const struct hash256 *a)
{
    uint64_t v;
    memcpy(&v, a->b, 8);
    return v;
}

void hash_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA256(SHA256(data)): txids, block hashes, checksums. */
void hash_sha256d(const void *data, size_t len, struct hash256 *out);
/* Double SHA-256 of two concatenated 32-byte hashes (merkle nodes). */
void hash_sha256d_pair(const struct hash256 *a, const struct hash256 *b, struct hash256 *out);

/* Incremental SHA-256. A context is reusable after hash_ctx_final. */
struct hash_ctx;
struct hash_ctx *hash_ctx_new(void);
void hash_ctx_free(struct hash_ctx *ctx);
/* The calling thread's own context, created on first use and freed when
 * the thread exits (blocks are parsed on worker threads too). */
struct hash_ctx *hash_ctx_thread(void);
void hash_ctx_update(struct hash_ctx *ctx, const void *data, size_t len);
/* Single SHA-256 of everything fed since the last final. */
void hash_ctx_final(struct hash_ctx *ctx, uint8_t out[32]);
/* Double SHA-256 of everything fed since the last final. */
void hash_ctx_final_d(struct hash_ctx *ctx, struct hash256 *out);

/* BIP340 tagged hashes: SHA256(SHA256(tag) || SHA256(tag) || msg). A tag
 * is a static object (HASH_TAG("TapLeaf")); the state after its 64-byte
 * prefix (the midstate) is computed on first use, once per process, and
 * shared read-only by every thread. */
struct hash_tag {
    const char *name;
    void *_Atomic mid; /* OpenSSL digest context holding the midstate */
};
#define HASH_TAG(name_) {.name = (name_), .mid = NULL}

void hash_tagged(uint8_t out[32], struct hash_tag *tag, const void *msg, size_t len);
/* Starts ctx at tag's midstate, for a message fed in pieces (then
 * hash_ctx_update and hash_ctx_final as usual). */
void hash_ctx_init_tagged(struct hash_ctx *ctx, struct hash_tag *tag);

/* RIPEMD160(SHA256(data)): P2PKH and P2WPKH key hashes. */
void hash_hash160(const void *data, size_t len, uint8_t out[20]);
/* Plain RIPEMD-160 and SHA-1 (script opcodes OP_RIPEMD160, OP_SHA1). */
void hash_ripemd160(const void *data, size_t len, uint8_t out[20]);
void hash_sha1(const void *data, size_t len, uint8_t out[20]);

/* HMAC-SHA256 (rpcauth). */
void hash_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                      uint8_t out[32]);

/* The bytes in display (reversed) order, as Bitcoin shows hashes and ZMQ
 * sends them. */
void hash_to_display(const struct hash256 *h, uint8_t out[32]);
/* Byte-reversed lowercase hex, NUL-terminated (out holds 65 bytes). */
void hash_to_hex(const struct hash256 *h, char out[HASH_HEX_LEN + 1]);
/* Parses exactly 64 hex digits (either case), byte-reversed. */
bool hash_from_hex(const char *hex, struct hash256 *out);
/* Core's uint256::FromUserHex: an optional lowercase "0x", then up to 64
 * hex digits (either case, none meaning zero) taken as a number. */
bool hash_from_user_hex(const char *hex, struct hash256 *out);

#endif
