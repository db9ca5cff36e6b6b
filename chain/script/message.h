/* Signed messages as Bitcoin Core's util/message.h: the message hash
 * (sha256d of the magic "Bitcoin Signed Message:\n" and the message, each
 * length-prefixed) and the check of a base64 compact signature against a
 * P2PKH address. */
#ifndef HEARSAY_CHAIN_SCRIPT_MESSAGE_H
#define HEARSAY_CHAIN_SCRIPT_MESSAGE_H

#include "chain/primitives/params.h"

#include <stddef.h>
#include <stdint.h>

/* Core's MessageVerificationResult. */
enum message_verify_result {
    MESSAGE_OK = 0,
    MESSAGE_ERR_INVALID_ADDRESS,     /* not an address of network p */
    MESSAGE_ERR_ADDRESS_NO_KEY,      /* valid, but not P2PKH */
    MESSAGE_ERR_MALFORMED_SIGNATURE, /* not base64 */
    MESSAGE_ERR_PUBKEY_NOT_RECOVERED,
    MESSAGE_ERR_NOT_SIGNED, /* a key was recovered, but another one */
};

void message_hash(const char *msg, size_t len, uint8_t out[32]);

enum message_verify_result message_verify(const struct chain_params *p, const char *address,
                                          const char *signature, const char *msg, size_t len);

/* Core's DecodeBase64: length a multiple of 4, at most two '=' at the end,
 * no other characters, zero padding bits. Returns the byte count written
 * to out (room for strlen(in) * 3 / 4 bytes), -1 when malformed. */
long message_base64_decode(const char *in, uint8_t *out);

#endif
