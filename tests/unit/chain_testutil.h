/* Helpers shared by the chain/ unit tests (include after cmocka.h). */
#ifndef HEARSAY_TESTS_CHAIN_TESTUTIL_H
#define HEARSAY_TESTS_CHAIN_TESTUTIL_H

#include "chain/primitives/hash.h"
#include "chain/util/hex.h"

#include <stdint.h>
#include <stdlib.h>

/* Under AddressSanitizer any single allocation above 16 MiB aborts the
 * test: parsers must never size an allocation from a length or count they
 * have not checked against the data (the tests feed counts and lengths up
 * to 2^32-1 with a few bytes behind them). Environment ASAN_OPTIONS still
 * apply on top. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=16";
}

/* Decodes a hex literal; the caller frees the bytes. */
static inline uint8_t *test_unhex(const char *hex, size_t *len)
{
    uint8_t *buf;
    ssize_t n = hex_decode_alloc(hex, &buf);
    assert_true(n >= 0);
    *len = (size_t)n;
    return buf;
}

/* Compares a hash with its byte-reversed hex as Bitcoin shows it. */
static inline void test_assert_hash_hex(const struct hash256 *h, const char *hex)
{
    char got[HASH_HEX_LEN + 1];
    hash_to_hex(h, got);
    assert_string_equal(got, hex);
}

#endif
