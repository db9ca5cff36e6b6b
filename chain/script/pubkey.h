/* Public-key operations over libsecp256k1: ECDSA with Bitcoin Core's lax
 * DER parsing and low-S normalisation, BIP340 Schnorr, x-only keys and the
 * taproot commitment. No elliptic-curve code of our own.
 *
 * Every function is safe to call from several threads at once (one
 * verification context, created on first use, is only read). */
#ifndef HEARSAY_CHAIN_SCRIPT_PUBKEY_H
#define HEARSAY_CHAIN_SCRIPT_PUBKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's CPubKey::Verify: pub is a 33- or 65-byte key (hybrid keys as
 * libsecp256k1 parses them), sig a DER signature WITHOUT the hash-type
 * byte, parsed laxly (ecdsa_signature_parse_der_lax), normalised to low S
 * before verification. */
bool pubkey_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *sig,
                         size_t sig_len, const uint8_t hash[32]);
/* Core's CPubKey::CheckLowS on a DER signature without hash-type byte:
 * false when it does not parse laxly or its S is high. */
bool pubkey_ecdsa_low_s(const uint8_t *sig, size_t sig_len);
/* Whether pub parses as a full public key (CPubKey::IsFullyValid). */
bool pubkey_is_valid(const uint8_t *pub, size_t pub_len);

/* BIP340 verification of a 64-byte signature over a 32-byte message. */
bool pubkey_schnorr_verify(const uint8_t xonly[32], const uint8_t sig[64],
                           const uint8_t msg[32]);

/* BIP341: whether `output` (x-only) equals internal + H_TapTweak(internal ||
 * merkle_root) G with the given parity bit (control block's lowest bit).
 * merkle_root NULL means the key-path-only tweak (no script tree). */
bool pubkey_taproot_check_tweak(const uint8_t output[32], int parity,
                                const uint8_t internal[32], const uint8_t *merkle_root);
/* The output key for internal key and merkle root (NULL: none), with its
 * parity: what wallets and tests need to build a P2TR output. false when
 * internal is not a valid x-only key. */
bool pubkey_taproot_output(uint8_t output[32], int *parity, const uint8_t internal[32],
                           const uint8_t *merkle_root);

/* Core's CPubKey::RecoverCompact: the key that made the 65-byte compact
 * signature (header 27 + recid, + 4 when the key is compressed) over hash,
 * into pub (65 bytes of room), *pub_len 33 or 65. */
bool pubkey_recover_compact(const uint8_t sig[65], const uint8_t hash[32], uint8_t *pub,
                            size_t *pub_len);
/* BIP32 public derivation's point step: pub (33 bytes, compressed) plus
 * tweak times G, compressed into out. false when the tweak is not below
 * the group order or the sum is infinity. */
bool pubkey_tweak_add(const uint8_t pub[33], const uint8_t tweak[32], uint8_t out[33]);
/* The 65-byte uncompressed form of a valid 33-byte key. */
void pubkey_decompress(const uint8_t pub[33], uint8_t out[65]);

#endif
