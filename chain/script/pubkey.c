#include "chain/script/pubkey.h"

#include "chain/primitives/hash.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_recovery.h>
#include <secp256k1_schnorrsig.h>
#include <string.h>

/* Verification needs no precomputed signing tables: libsecp256k1's static
 * context serves every thread. Its self-test runs once, as the library
 * asks of users of that context. */
static void selftest(void)
{
    secp256k1_selftest();
}

static const secp256k1_context *ctx(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, selftest);
    return secp256k1_context_static;
}

/* A DER length at *pos: short form, or long form whose leading zero bytes
 * are skipped. false when it runs past the input or needs 4 bytes or more. */
static bool der_length(const uint8_t *in, size_t len, size_t *pos, size_t *out)
{
    if (*pos == len)
        return false;
    size_t n = in[(*pos)++];
    if (!(n & 0x80)) {
        *out = n;
        return true;
    }
    n -= 0x80;
    if (n > len - *pos)
        return false;
    while (n > 0 && in[*pos] == 0) {
        (*pos)++;
        n--;
    }
    if (n >= 4)
        return false;
    size_t v = 0;
    for (; n > 0; n--)
        v = (v << 8) | in[(*pos)++];
    *out = v;
    return true;
}

/* An INTEGER at *pos: tag 0x02 and a length that fits the input. */
static bool der_integer(const uint8_t *in, size_t len, size_t *pos, size_t *start, size_t *ilen)
{
    if (*pos == len || in[*pos] != 0x02)
        return false;
    (*pos)++;
    if (!der_length(in, len, pos, ilen) || *ilen > len - *pos)
        return false;
    *start = *pos;
    *pos += *ilen;
    return true;
}

/* Right-aligns a big-endian integer into 32 bytes, dropping leading zeros;
 * false when it is still longer than 32 bytes. */
static bool der_scalar(const uint8_t *p, size_t n, uint8_t out[32])
{
    while (n > 0 && *p == 0) {
        p++;
        n--;
    }
    if (n > 32)
        return false;
    memcpy(out + 32 - n, p, n);
    return true;
}

/* Core's lax DER parse (ecdsa_signature_parse_der_lax): accepts what
 * OpenSSL once accepted (any sequence length, long-form and padded
 * lengths, negative or zero-padded integers, trailing garbage). A
 * structurally valid encoding whose R or S does not fit yields the zero
 * signature, which never verifies. false only for a broken structure. */
static bool parse_der_lax(secp256k1_ecdsa_signature *sig, const uint8_t *in, size_t len)
{
    uint8_t compact[64] = {0};
    size_t pos = 0, seq_len, rpos, rlen, spos, slen;

    if (!secp256k1_ecdsa_signature_parse_compact(ctx(), sig, compact))
        return false;
    if (pos == len || in[pos++] != 0x30 || pos == len)
        return false;
    /* The sequence length is not checked, only skipped when long. */
    seq_len = in[pos++];
    if (seq_len & 0x80) {
        if (seq_len - 0x80 > len - pos)
            return false;
        pos += seq_len - 0x80;
    }
    if (!der_integer(in, len, &pos, &rpos, &rlen) || !der_integer(in, len, &pos, &spos, &slen))
        return false;
    bool fits = der_scalar(in + rpos, rlen, compact) && der_scalar(in + spos, slen, compact + 32);
    if (fits && secp256k1_ecdsa_signature_parse_compact(ctx(), sig, compact))
        return true;
    memset(compact, 0, sizeof(compact));
    return secp256k1_ecdsa_signature_parse_compact(ctx(), sig, compact);
}

/* CPubKey's size rule: the header byte decides the length. */
static bool parse_pubkey(secp256k1_pubkey *pk, const uint8_t *pub, size_t pub_len)
{
    if (pub_len == 0)
        return false;
    size_t want = (pub[0] == 2 || pub[0] == 3) ? 33
                  : (pub[0] == 4 || pub[0] == 6 || pub[0] == 7) ? 65 : 0;
    return want == pub_len && secp256k1_ec_pubkey_parse(ctx(), pk, pub, pub_len);
}

bool pubkey_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *sig,
                         size_t sig_len, const uint8_t hash[32])
{
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature s;
    if (!parse_pubkey(&pk, pub, pub_len) || sig_len == 0 || !parse_der_lax(&s, sig, sig_len))
        return false;
    /* libsecp256k1 only verifies low-S signatures; consensus allows both. */
    secp256k1_ecdsa_signature_normalize(ctx(), &s, &s);
    return secp256k1_ecdsa_verify(ctx(), &s, hash, &pk);
}

bool pubkey_ecdsa_low_s(const uint8_t *sig, size_t sig_len)
{
    secp256k1_ecdsa_signature s;
    if (!parse_der_lax(&s, sig, sig_len))
        return false;
    return !secp256k1_ecdsa_signature_normalize(ctx(), NULL, &s);
}

bool pubkey_is_valid(const uint8_t *pub, size_t pub_len)
{
    secp256k1_pubkey pk;
    return parse_pubkey(&pk, pub, pub_len);
}

bool pubkey_schnorr_verify(const uint8_t xonly[32], const uint8_t sig[64], const uint8_t msg[32])
{
    secp256k1_xonly_pubkey pk;
    return secp256k1_xonly_pubkey_parse(ctx(), &pk, xonly) &&
           secp256k1_schnorrsig_verify(ctx(), sig, msg, 32, &pk);
}

/* H_TapTweak(internal || merkle_root), or of internal alone without a
 * script tree. */
static void tap_tweak(uint8_t out[32], const uint8_t internal[32], const uint8_t *merkle_root)
{
    static struct hash_tag tag = HASH_TAG("TapTweak");
    uint8_t msg[64];
    memcpy(msg, internal, 32);
    if (merkle_root)
        memcpy(msg + 32, merkle_root, 32);
    hash_tagged(out, &tag, msg, merkle_root ? 64 : 32);
}

bool pubkey_taproot_check_tweak(const uint8_t output[32], int parity,
                                const uint8_t internal[32], const uint8_t *merkle_root)
{
    secp256k1_xonly_pubkey in;
    uint8_t tweak[32];
    if (!secp256k1_xonly_pubkey_parse(ctx(), &in, internal))
        return false;
    tap_tweak(tweak, internal, merkle_root);
    return secp256k1_xonly_pubkey_tweak_add_check(ctx(), output, parity, &in, tweak);
}

bool pubkey_taproot_output(uint8_t output[32], int *parity, const uint8_t internal[32],
                           const uint8_t *merkle_root)
{
    secp256k1_xonly_pubkey in, out;
    secp256k1_pubkey full;
    uint8_t tweak[32];
    if (!secp256k1_xonly_pubkey_parse(ctx(), &in, internal))
        return false;
    tap_tweak(tweak, internal, merkle_root);
    return secp256k1_xonly_pubkey_tweak_add(ctx(), &full, &in, tweak) &&
           secp256k1_xonly_pubkey_from_pubkey(ctx(), &out, parity, &full) &&
           secp256k1_xonly_pubkey_serialize(ctx(), output, &out);
}

bool pubkey_recover_compact(const uint8_t sig[65], const uint8_t hash[32], uint8_t *pub,
                            size_t *pub_len)
{
    int recid = (sig[0] - 27) & 3;
    bool compressed = ((sig[0] - 27) & 4) != 0;
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &rs, sig + 1, recid) ||
        !secp256k1_ecdsa_recover(ctx(), &pk, &rs, hash))
        return false;
    *pub_len = compressed ? 33 : 65;
    secp256k1_ec_pubkey_serialize(ctx(), pub, pub_len, &pk,
                                  compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
    return true;
}

bool pubkey_tweak_add(const uint8_t pub[33], const uint8_t tweak[32], uint8_t out[33])
{
    secp256k1_pubkey pk;
    size_t len = 33;
    if (!parse_pubkey(&pk, pub, 33) || !secp256k1_ec_pubkey_tweak_add(ctx(), &pk, tweak))
        return false;
    secp256k1_ec_pubkey_serialize(ctx(), out, &len, &pk, SECP256K1_EC_COMPRESSED);
    return true;
}

void pubkey_decompress(const uint8_t pub[33], uint8_t out[65])
{
    secp256k1_pubkey pk;
    size_t len = 65;
    memset(out, 0, 65);
    if (parse_pubkey(&pk, pub, 33))
        secp256k1_ec_pubkey_serialize(ctx(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
}
