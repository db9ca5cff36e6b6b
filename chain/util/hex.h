/* Hex encoding. */
#ifndef HEARSAY_CHAIN_HEX_H
#define HEARSAY_CHAIN_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes 2 * len lowercase digits and a NUL to out. */
void hex_encode(const void *data, size_t len, char *out);
/* Decodes a whole string of hex digits into out (capacity cap). Returns
 * the number of bytes, or -1 on an odd length, a non-hex digit or a
 * result longer than cap. */
ssize_t hex_decode(const char *hex, uint8_t *out, size_t cap);
/* Same, allocating: *out is malloc'd (free it). Returns -1 on error. */
ssize_t hex_decode_alloc(const char *hex, uint8_t **out);

#endif
