/* Addresses: bech32/bech32m (BIP173, BIP350) for witness programs and
 * base58check for P2PKH and P2SH, decoded to output scripts and encoded
 * from them, with the network's hrp and prefixes from chain params.
 *
 * Errors are an enum so callers can tell a mistyped address (checksum)
 * from one of another network or an unsupported form; address_error_str
 * gives a message in the style of Bitcoin Core's validateaddress. */
#ifndef HEARSAY_CHAIN_ADDRESS_H
#define HEARSAY_CHAIN_ADDRESS_H

#include "chain/primitives/params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest address string (a bech32 string is at most 90 characters) plus NUL. */
#define ADDRESS_MAX_LEN 91
/* Longest script an address stands for: OP_n, push length, 40 bytes. */
#define ADDRESS_MAX_SCRIPT 42

enum address_type {
    ADDRESS_NONE = 0,
    ADDRESS_P2PKH,
    ADDRESS_P2SH,
    ADDRESS_P2WPKH,
    ADDRESS_P2WSH,
    ADDRESS_P2TR,
    ADDRESS_WITNESS_UNKNOWN, /* witness v1 of another length, or v2..v16 */
};

enum address_error {
    ADDRESS_OK = 0,
    ADDRESS_ERR_ENCODING,         /* neither valid bech32 nor base58 text */
    ADDRESS_ERR_BECH32_CHECKSUM,  /* bech32 text whose checksum fails */
    ADDRESS_ERR_BASE58_CHECKSUM,  /* base58 text whose checksum fails */
    ADDRESS_ERR_WRONG_NETWORK,    /* valid, but another network's hrp or prefix */
    ADDRESS_ERR_BASE58_LENGTH,    /* base58check payload of the wrong size */
    ADDRESS_ERR_WITNESS_VERSION,  /* witness version above 16 or missing */
    ADDRESS_ERR_PROGRAM_SIZE,     /* witness program of an invalid length */
    ADDRESS_ERR_CHECKSUM_VARIANT, /* v0 with bech32m, or v1+ with bech32 */
    ADDRESS_ERR_PADDING,          /* non-zero or oversized 5-to-8-bit padding */
};

const char *address_error_str(enum address_error e);

/* Decodes an address of network p into its output script (script holds
 * ADDRESS_MAX_SCRIPT bytes). type may be NULL. */
enum address_error address_decode(const struct chain_params *p, const char *addr,
                                  uint8_t *script, size_t *script_len,
                                  enum address_type *type);

/* The address type of an output script, ADDRESS_NONE if it has no address. */
enum address_type address_script_type(const uint8_t *script, size_t len);

/* Encodes an output script as network p's address (out holds
 * ADDRESS_MAX_LEN bytes). -1 if the script has no address form. */
int address_encode(const struct chain_params *p, const uint8_t *script, size_t len, char *out);

/* Generic bech32 layer (exposed for the BIP test vectors). */
enum bech32_encoding { BECH32_INVALID = 0, BECH32_BECH32, BECH32_BECH32M };

/* Decodes a bech32 string: hrp (lowercased, holds 84 bytes) and 5-bit data
 * without the checksum (holds 90 values). BECH32_INVALID on any error; then
 * *checksum_bad tells whether the text was well-formed but the checksum
 * matched neither variant. */
enum bech32_encoding bech32_decode(const char *str, char *hrp, uint8_t *data, size_t *data_len,
                                   bool *checksum_bad);
/* Bitcoin Core's bech32::LocateErrors for a string that is not valid
 * bech32 or bech32m: Core's message and the likely error positions in locs
 * (room for strlen(str) entries), *n_locs of them. NULL when the string is
 * valid. */
const char *bech32_locate_errors(const char *str, int *locs, size_t *n_locs);
/* Encodes hrp (lowercase) and 5-bit values; out holds ADDRESS_MAX_LEN
 * bytes. -1 if the result would exceed 90 characters. */
int bech32_encode(enum bech32_encoding enc, const char *hrp, const uint8_t *data, size_t data_len,
                  char *out);

/* Plain base58. Decoding returns the byte count, or -1 on a character
 * outside the alphabet, text over 128 characters or more than max bytes.
 * Encoding takes at most BASE58_MAX_DATA bytes; out must hold
 * BASE58_MAX_TEXT + 1 bytes. */
#define BASE58_MAX_DATA 88 /* an extended key and its checksum: 82 */
#define BASE58_MAX_TEXT 128
int base58_decode(const char *str, uint8_t *out, size_t max);
void base58_encode(const uint8_t *data, size_t len, char *out);

/* Base58check: a payload (at most max bytes) and a 4-byte sha256d checksum.
 * Returns the payload length, -1 on bad text or length, -2 on a checksum
 * mismatch. Encoding takes at most BASE58_MAX_DATA - 4 bytes. */
int base58check_decode(const char *str, uint8_t *out, size_t max);
void base58check_encode(const uint8_t *payload, size_t len, char *out);

#endif
