/* The allocation policy of every layer: running out of memory is not an
 * error a caller can handle, so these helpers log one line and abort
 * instead of returning NULL (as Tor's tor_malloc). Callers never check
 * their result. Sizes of zero are rounded up so that NULL always means
 * a bug, never "empty". */
#ifndef HEARSAY_CHAIN_XMALLOC_H
#define HEARSAY_CHAIN_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
/* Zeroed; aborts as well when n * size overflows. */
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
/* xrealloc(p, 0) is xrealloc(p, 1): the block stays owned by the caller. */
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* n elements of size bytes; aborts as well when n * size overflows. */
void *xreallocarray(void *p, size_t n, size_t size) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
/* A formatted string, like asprintf; the one formatter every layer uses
 * (err_set builds on it). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), malloc, returns_nonnull));
/* Copies at most n bytes of s and terminates the copy. */
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));

/* Tunes the C library's allocator for a process that frees millions of
 * small blocks at once (the UTXO cache dropping a generation); a daemon's
 * main calls it first. glibc keeps small freed blocks unmerged in its
 * "fastbins" and merges all of them before the next allocation of 1 KiB
 * or more, whichever thread asks: after such a drop that one allocation
 * (a block read, a sort buffer) held the event loop for up to a second.
 * Without fastbins each free merges its block at once, and the per-thread
 * cache still serves the common small sizes. Its heaps also grow and
 * shrink in large steps. Elsewhere it does nothing. */
void xmalloc_tune(void);
/* Its heap steps (see xmalloc.c), and the size from which an allocation
 * is mapped alone: above a serialized block's 4 MB limit. */
#define XMALLOC_TOP_PAD (16u << 20)
#define XMALLOC_TRIM_THRESHOLD (64u << 20)
#define XMALLOC_MMAP_THRESHOLD (8u << 20)

#endif
