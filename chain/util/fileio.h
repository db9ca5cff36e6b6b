/* Whole-file reads and atomic writes for the node's small state files
 * (mempool.dat, fee_estimates.dat). */
#ifndef HEARSAY_CHAIN_UTIL_FILEIO_H
#define HEARSAY_CHAIN_UTIL_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to path.new, fsyncs and renames it over path, so a crash
 * leaves the old file or the new one, never a torn one. 0, or -1 and
 * *err (malloc'd). */
int fileio_write_atomic(const char *path, const void *data, size_t len, char **err);

/* The whole file (malloc'd, *len bytes), refusing files over max bytes.
 * NULL and *err (malloc'd) on failure. */
uint8_t *fileio_read_all(const char *path, size_t max, size_t *len, char **err);

#endif
