#include "chain/script/message.h"

#include "chain/primitives/address.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/script/pubkey.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static const char message_magic[] = "Bitcoin Signed Message:\n";

void message_hash(const char *msg, size_t len, uint8_t out[32])
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_varbytes(&w, message_magic, sizeof(message_magic) - 1);
    wbuf_varbytes(&w, msg, len);
    struct hash256 h;
    hash_sha256d(w.data, w.len, &h);
    memcpy(out, h.b, 32);
    wbuf_free(&w);
}

static int b64_value(char c)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = c ? strchr(tab, c) : NULL;
    return at ? (int)(at - tab) : -1;
}

long message_base64_decode(const char *in, uint8_t *out)
{
    size_t len = strlen(in);
    if (len % 4)
        return -1;
    size_t pad = 0;
    while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
        pad++;
    uint32_t acc = 0;
    unsigned bits = 0;
    long n = 0;
    for (size_t i = 0; i < len - pad; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* What is left must be padding: fewer than 6 bits, all zero. */
    if (bits >= 6 || (acc & ((1u << bits) - 1)))
        return -1;
    return n;
}

enum message_verify_result message_verify(const struct chain_params *p, const char *address,
                                          const char *signature, const char *msg, size_t len)
{
    uint8_t spk[ADDRESS_MAX_SCRIPT];
    size_t spk_len;
    enum address_type type;
    if (address_decode(p, address, spk, &spk_len, &type) != ADDRESS_OK)
        return MESSAGE_ERR_INVALID_ADDRESS;
    if (type != ADDRESS_P2PKH)
        return MESSAGE_ERR_ADDRESS_NO_KEY;
    uint8_t *sig = xmalloc(strlen(signature) / 4 * 3 + 1);
    long n = message_base64_decode(signature, sig);
    enum message_verify_result r = MESSAGE_ERR_MALFORMED_SIGNATURE;
    uint8_t hash[32], pub[65], id[20];
    size_t pub_len;
    if (n >= 0) {
        message_hash(msg, len, hash);
        r = MESSAGE_ERR_PUBKEY_NOT_RECOVERED;
    }
    if (n == 65 && pubkey_recover_compact(sig, hash, pub, &pub_len)) {
        hash_hash160(pub, pub_len, id);
        r = memcmp(id, spk + 3, 20) == 0 ? MESSAGE_OK : MESSAGE_ERR_NOT_SIGNED;
    }
    free(sig);
    return r;
}
