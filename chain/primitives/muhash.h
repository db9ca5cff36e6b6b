/* MuHash3072, Bitcoin Core's rolling set hash (gettxoutsetinfo "muhash").
 *
 * Each element is hashed to a number below 2^3072 (SHA-256 of its bytes
 * keys a ChaCha20 keystream of 384 bytes, read little-endian); the set's
 * value is the product of its elements modulo the prime 2^3072 - 1103717,
 * so elements can be added and removed in any order. Finalizing divides
 * the inserted product by the removed one and hashes the 384-byte
 * little-endian result with SHA-256. The arithmetic and ciphers are
 * OpenSSL's (BIGNUM, EVP ChaCha20). */
#ifndef HEARSAY_CHAIN_MUHASH_H
#define HEARSAY_CHAIN_MUHASH_H

#include "chain/primitives/hash.h"

#include <stddef.h>
#include <stdint.h>

struct muhash;

/* The empty set. */
struct muhash *muhash_new(void);
void muhash_free(struct muhash *m); /* accepts NULL */

void muhash_insert(struct muhash *m, const void *data, size_t len);
void muhash_remove(struct muhash *m, const void *data, size_t len);

/* The set's hash, in the byte order SHA-256 produced it (Core's uint256;
 * shown reversed, as every Bitcoin hash). The set stays usable. */
void muhash_finalize(struct muhash *m, struct hash256 *out);

#endif
