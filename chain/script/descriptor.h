/* Output script descriptors (BIP380-386) as Bitcoin Core parses and
 * expands them: pk, pkh, wpkh, combo, sh, wsh, multi, sortedmulti, addr,
 * raw, tr (with pk() script trees, BIP386) and rawtr, with hex and WIF keys and BIP32
 * extended keys, key origins, derivation paths and ranges (/ *, / *h).
 * Errors use Core's messages. */
#ifndef HEARSAY_CHAIN_SCRIPT_DESCRIPTOR_H
#define HEARSAY_CHAIN_SCRIPT_DESCRIPTOR_H

#include "chain/primitives/params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* BIP380 checksum of desc[0..len): 8 characters and a NUL in out. -1 when
 * desc holds a character outside the descriptor charset. */
int descriptor_checksum(const char *desc, size_t len, char out[9]);

struct descriptor;

/* Parses text (checksum required when require_checksum, else checked when
 * present). NULL with *err (malloc'd) on failure. */
struct descriptor *descriptor_parse(const struct chain_params *p, const char *text,
                                    bool require_checksum, char **err);
void descriptor_free(struct descriptor *d);

/* The public form with its checksum (private keys shown as public). */
const char *descriptor_string(const struct descriptor *d);
bool descriptor_is_range(const struct descriptor *d);
/* false for addr() and raw(), whose scripts the descriptor cannot sign. */
bool descriptor_is_solvable(const struct descriptor *d);
bool descriptor_has_private_keys(const struct descriptor *d);

#define DESCRIPTOR_MAX_SCRIPTS 4 /* combo() makes four */
#define DESCRIPTOR_SCRIPT_MAX 10000

struct descriptor_script {
    uint8_t *data; /* malloc'd */
    size_t len;
};

/* The output scripts at position pos (ignored when not ranged) into out;
 * returns how many, or -1 when a key cannot be derived (a hardened step
 * without the private key). The caller frees each data. */
int descriptor_expand(const struct descriptor *d, uint32_t pos,
                      struct descriptor_script out[DESCRIPTOR_MAX_SCRIPTS]);

/* Core's GetScriptForMultisig: k, the keys, their count, CHECKMULTISIG. */
struct wbuf;
void descriptor_multisig_script(struct wbuf *w, int k, const uint8_t *const *keys,
                                const size_t *lens, size_t n);

#endif
