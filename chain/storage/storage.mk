# chain/storage/storage.mk: block and undo files and the LevelDB store, with their tests.
libchain_a_SOURCES += \
	chain/storage/blockfile.c chain/storage/blockfile.h

# Appends, reads, preallocation, file switches, torn tails, checksums.
check_PROGRAMS += tests/unit/test_blockfile
TESTS += tests/unit/test_blockfile
tests_unit_test_blockfile_SOURCES = tests/unit/test_blockfile.c
tests_unit_test_blockfile_LDADD = $(CHAINSTATE_TEST_LIBS)

# Block files across 64 KiB file boundaries, -reindex after losing the
# index, the old layout refused; torn block data fetched again.
TESTS += tests/functional/block_storage.py tests/functional/block_torn.py
EXTRA_DIST += tests/functional/block_storage.py tests/functional/block_torn.py

# The chainstate on block files: a reindex of out-of-order blocks, torn
# data fetched again, a torn tail cut, removing a file pair.
check_PROGRAMS += tests/unit/test_blockstore
TESTS += tests/unit/test_blockstore
tests_unit_test_blockstore_SOURCES = tests/unit/test_blockstore.c
tests_unit_test_blockstore_LDADD = $(CHAINSTATE_TEST_LIBS)
