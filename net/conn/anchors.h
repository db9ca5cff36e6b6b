/* anchors.dat: the block-relay-only peers of the last run, saved at a
 * clean shutdown and dialed first at the next start (Bitcoin Core's
 * anchors, which make an eclipse attack survive no restart). Core writes
 * a serialized vector of CAddress; ours is a small file of our own:
 *
 *   "HSAN" | version 1 | CompactSize count (<= ANCHORS_MAX_FILE) |
 *   count x (services u64 LE, 16-byte IPv6/IPv4-mapped ip, port u16 BE,
 *   time u32 LE) | first 4 bytes of SHA-256d of everything before.
 *
 * As Core, the file is deleted once read, whatever it held: a crash
 * after start-up leaves no stale anchors. */
#ifndef HEARSAY_NET_ANCHORS_H
#define HEARSAY_NET_ANCHORS_H

#include "chain/primitives/serialize.h"
#include "net/wire/protocol.h"

#include <stddef.h>

#define ANCHORS_MAX 2       /* Core's MAX_BLOCK_RELAY_ONLY_ANCHORS */
#define ANCHORS_MAX_FILE 16 /* more in a file means it is not ours */

void anchors_encode(const struct proto_netaddr *a, size_t n, struct wbuf *w);
/* At most cap entries are kept (Core resizes to its maximum). -1 and
 * *err on a bad magic, version, count, length or checksum. */
int anchors_decode(const uint8_t *data, size_t len, struct proto_netaddr *out, size_t cap,
                   size_t *n, char **err);

/* Writes through a temporary file and a rename. */
int anchors_write(const char *path, const struct proto_netaddr *a, size_t n, char **err);
/* Reads and deletes the file. A missing file gives 0 anchors. */
int anchors_read(const char *path, struct proto_netaddr *out, size_t cap, size_t *n,
                 char **err);

#endif
