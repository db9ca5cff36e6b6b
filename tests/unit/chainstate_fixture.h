/* The fixture the chainstate tests share: a regtest chainstate in a
 * temporary directory (8 MiB cache unless told) whose listeners count the blocks
 * connected and disconnected, the heights last seen and the settles. */
#ifndef HEARSAY_TESTS_CHAINSTATE_FIXTURE_H
#define HEARSAY_TESTS_CHAINSTATE_FIXTURE_H

#include "chain/primitives/params.h"
#include "chain/validation/chainstate.h"

#include <stdint.h>

struct csfix {
    char *dir;
    const struct chain_params *p;
    struct chainstate *cs;
    int connected, disconnected, settled;
    int last_connected, last_disconnected;
    uint32_t tag; /* varies the coinbases the tests build */
    int64_t check_slice_us; /* non-zero: the chainstate's, from the next reopen */
    size_t dbcache_bytes;   /* non-zero: instead of 8 MiB, from the next reopen */
};

/* Closes the chainstate (if open) and opens it again on the same
 * directory, listeners attached; fails the test if it cannot. */
void csfix_reopen(struct csfix *f);
/* cmocka setup: a fresh directory named after tag, the chainstate open. */
int csfix_setup(void **state, const char *tag);
/* cmocka teardown: closes, removes the directory, frees. */
int csfix_teardown(void **state);

#endif
