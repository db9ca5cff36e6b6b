#include "chain/script/bip32.h"

#include "chain/primitives/address.h"
#include "chain/primitives/hash.h"
#include "chain/script/pubkey.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <secp256k1.h>
#include <string.h>

/* Version bytes: xpub, xprv on main; tpub, tprv elsewhere. */
static void versions(const struct chain_params *p, uint32_t *pub, uint32_t *priv)
{
    bool main = p->type == CHAIN_MAIN;
    *pub = main ? 0x0488B21Eu : 0x043587CFu;
    *priv = main ? 0x0488ADE4u : 0x04358394u;
}

static secp256k1_context *sign_ctx;

static void sign_ctx_make(void)
{
    sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
}

bool bip32_pub_of_secret(const uint8_t secret[32], uint8_t pub[33])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sign_ctx_make);
    secp256k1_pubkey pk;
    size_t len = 33;
    if (!secp256k1_ec_pubkey_create(sign_ctx, &pk, secret))
        return false;
    secp256k1_ec_pubkey_serialize(sign_ctx, pub, &len, &pk, SECP256K1_EC_COMPRESSED);
    return true;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

bool bip32_decode(const struct chain_params *p, const char *text, struct bip32_key *out)
{
    uint8_t d[BASE58_MAX_DATA];
    uint32_t vpub, vpriv;
    versions(p, &vpub, &vpriv);
    if (base58check_decode(text, d, sizeof(d)) != 78)
        return false;
    uint32_t v = be32(d);
    memset(out, 0, sizeof(*out));
    out->depth = d[4];
    memcpy(out->parent_fp, d + 5, 4);
    out->child = be32(d + 9);
    memcpy(out->chaincode, d + 13, 32);
    if (v == vpub) {
        memcpy(out->pub, d + 45, 33);
        return pubkey_is_valid(out->pub, 33);
    }
    if (v != vpriv || d[45] != 0)
        return false;
    memcpy(out->priv, d + 46, 32);
    out->has_priv = true;
    return bip32_pub_of_secret(out->priv, out->pub);
}

void bip32_encode_pub(const struct chain_params *p, const struct bip32_key *k, char *out)
{
    uint8_t d[78];
    uint32_t vpub, vpriv;
    versions(p, &vpub, &vpriv);
    put_be32(d, vpub);
    d[4] = k->depth;
    memcpy(d + 5, k->parent_fp, 4);
    put_be32(d + 9, k->child);
    memcpy(d + 13, k->chaincode, 32);
    memcpy(d + 45, k->pub, 33);
    base58check_encode(d, sizeof(d), out);
}

static void hmac512(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
                    uint8_t out[64])
{
    unsigned int n = 64;
    HMAC(EVP_sha512(), key, (int)key_len, msg, len, out, &n);
}

bool bip32_from_seed(const uint8_t *seed, size_t len, struct bip32_key *out)
{
    uint8_t i[64];
    hmac512((const uint8_t *)"Bitcoin seed", 12, seed, len, i);
    memset(out, 0, sizeof(*out));
    memcpy(out->priv, i, 32);
    memcpy(out->chaincode, i + 32, 32);
    out->has_priv = true;
    return bip32_pub_of_secret(out->priv, out->pub);
}

void bip32_fingerprint(const struct bip32_key *k, uint8_t out[4])
{
    uint8_t id[20];
    hash_hash160(k->pub, 33, id);
    memcpy(out, id, 4);
}

bool bip32_derive(const struct bip32_key *parent, uint32_t i, struct bip32_key *out)
{
    uint8_t msg[37], h[64];
    if (i >= BIP32_HARDENED) {
        if (!parent->has_priv)
            return false;
        msg[0] = 0;
        memcpy(msg + 1, parent->priv, 32);
    } else {
        memcpy(msg, parent->pub, 33);
    }
    put_be32(msg + 33, i);
    hmac512(parent->chaincode, 32, msg, sizeof(msg), h);
    struct bip32_key k = { .depth = (uint8_t)(parent->depth + 1), .child = i };
    bip32_fingerprint(parent, k.parent_fp);
    memcpy(k.chaincode, h + 32, 32);
    if (parent->has_priv) {
        /* k_i = IL + k_par (mod n); fails when IL >= n or the sum is 0. */
        memcpy(k.priv, parent->priv, 32);
        k.has_priv = secp256k1_ec_seckey_tweak_add(secp256k1_context_static, k.priv, h) &&
                     bip32_pub_of_secret(k.priv, k.pub);
        if (!k.has_priv)
            return false;
    } else if (!pubkey_tweak_add(parent->pub, h, k.pub)) {
        return false;
    }
    *out = k;
    return true;
}
