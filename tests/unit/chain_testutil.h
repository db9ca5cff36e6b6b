/* Helpers shared by the chain tests: temporary directories. */
#ifndef HEARSAY_TESTS_CHAIN_TESTUTIL_H
#define HEARSAY_TESTS_CHAIN_TESTUTIL_H

/* Creates a fresh directory under $TMPDIR (or /tmp); malloc'd path. */
char *testutil_tmpdir(const char *tag);
/* Removes a directory tree and frees the path; accepts NULL. */
void testutil_rmtree(char *path);

#endif
