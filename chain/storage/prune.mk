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
