/* Helpers shared by the taproot tests (include after cmocka.h): the
 * TapTweak hash computed by libsecp256k1's own tagged hash (an oracle
 * independent of ours), and BIP340 keys for signing with a context the
 * test owns. */
#ifndef HEARSAY_TESTS_TAPROOT_TESTUTIL_H
#define HEARSAY_TESTS_TAPROOT_TESTUTIL_H

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <string.h>

/* H_TapTweak(internal || root), or of internal alone when root is NULL. */
static inline void test_tap_tweak(uint8_t out[32], const uint8_t internal[32],
                                  const uint8_t *root)
{
    static const char tag[] = "TapTweak";
    uint8_t msg[64];
    memcpy(msg, internal, 32);
    if (root)
        memcpy(msg + 32, root, 32);
    assert_true(secp256k1_tagged_sha256(secp256k1_context_static, out, (const uint8_t *)tag,
                                        sizeof(tag) - 1, msg, root ? 64 : 32));
}

/* The keypair of a secret key and its x-only public key. */
static inline void test_keypair(const secp256k1_context *ctx, const uint8_t sec[32],
                                secp256k1_keypair *kp, uint8_t xonly[32])
{
    secp256k1_xonly_pubkey xpk;
    assert_true(secp256k1_keypair_create(ctx, kp, sec));
    assert_true(secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, kp));
    assert_true(secp256k1_xonly_pubkey_serialize(ctx, xonly, &xpk));
}

#endif
