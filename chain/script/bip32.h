/* BIP32 extended keys: base58check xpub/xprv (tpub/tprv off mainnet, as
 * Bitcoin Core's chain parameters), public and private child derivation.
 * HMAC-SHA512 comes from OpenSSL and the point and scalar arithmetic from
 * libsecp256k1; no elliptic-curve code of our own. */
#ifndef HEARSAY_CHAIN_SCRIPT_BIP32_H
#define HEARSAY_CHAIN_SCRIPT_BIP32_H

#include "chain/primitives/params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIP32_HARDENED 0x80000000u
/* Longest base58 text of an extended key (82 bytes) plus NUL. */
#define BIP32_TEXT_MAX 113

struct bip32_key {
    uint8_t depth;
    uint8_t parent_fp[4];
    uint32_t child;
    uint8_t chaincode[32];
    uint8_t pub[33];
    bool has_priv;
    uint8_t priv[32];
};

/* Parses an extended key of network p (xpub/xprv on main, tpub/tprv on
 * the others). false when it is not one or its key is invalid. */
bool bip32_decode(const struct chain_params *p, const char *text, struct bip32_key *out);
/* The extended public key's text (out holds BIP32_TEXT_MAX). */
void bip32_encode_pub(const struct chain_params *p, const struct bip32_key *k, char *out);
/* The master key of a seed (HMAC-SHA512 keyed "Bitcoin seed"). */
bool bip32_from_seed(const uint8_t *seed, size_t len, struct bip32_key *out);
/* Child i of parent (hardened when i >= BIP32_HARDENED, which needs the
 * private key). false when it cannot be derived. */
bool bip32_derive(const struct bip32_key *parent, uint32_t i, struct bip32_key *out);
/* The first 4 bytes of HASH160 of the public key. */
void bip32_fingerprint(const struct bip32_key *k, uint8_t out[4]);
/* The compressed public key of a 32-byte secret; false if out of range. */
bool bip32_pub_of_secret(const uint8_t secret[32], uint8_t pub[33]);

#endif
