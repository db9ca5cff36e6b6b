# chain/storage/prune.mk: block pruning (which files go, and removing them
# from the chainstate), with its tests.
libchain_a_SOURCES += chain/storage/prune.c chain/storage/prune.h \
	chain/validation/chainprune.c chain/validation/chainprune.h

check_PROGRAMS += tests/unit/test_prune
TESTS += tests/unit/test_prune
tests_unit_test_prune_SOURCES = tests/unit/test_prune.c
tests_unit_test_prune_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)

TESTS += tests/functional/blocks_prune.py
EXTRA_DIST += tests/functional/blocks_prune.py

# A real chainstate pruned, reopened, and refusing a reorganization below
# what it kept.
check_PROGRAMS += tests/unit/test_chainprune
TESTS += tests/unit/test_chainprune
tests_unit_test_chainprune_SOURCES = tests/unit/test_chainprune.c
tests_unit_test_chainprune_LDADD = $(CHAINSTATE_TEST_LIBS)
