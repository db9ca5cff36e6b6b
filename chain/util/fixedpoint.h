/* Decimal text to fixed point, as Bitcoin Core's ParseFixedPoint
 * (src/util/strencodings.cpp): JSON number syntax, no more significant
 * decimals than asked for, |result| < 10^18. */
#ifndef HEARSAY_CHAIN_FIXEDPOINT_H
#define HEARSAY_CHAIN_FIXEDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses s[0..len) as a number times 10^decimals; false when the text is
 * malformed, has digits below 10^-decimals, or overflows. */
bool fixedpoint_parse(const char *s, size_t len, int decimals, int64_t *out);

#endif
