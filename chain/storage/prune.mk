# chain/storage/prune.mk: which block files pruning deletes, and its tests.
libchain_a_SOURCES += chain/storage/prune.c chain/storage/prune.h

check_PROGRAMS += tests/unit/test_prune
TESTS += tests/unit/test_prune
tests_unit_test_prune_SOURCES = tests/unit/test_prune.c
tests_unit_test_prune_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
