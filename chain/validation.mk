# chain/validation.mk: proof of work, storage, the header tree, validation,
# the UTXO set and the chainstate, with their tests.
libchain_a_SOURCES += \
	chain/pow.c chain/pow.h \
	chain/store.c chain/store.h \
	chain/blockindex.c chain/blockindex.h \
	chain/utxo.c chain/utxo.h \
	chain/validation.c chain/validation.h \
	chain/chainstate.c chain/chainstate.h

# Test helpers shared by the chain tests.
noinst_LIBRARIES += tests/unit/libchaintest.a
tests_unit_libchaintest_a_SOURCES = tests/unit/chain_testutil.c tests/unit/chain_testutil.h \
	tests/unit/chain_blockutil.c
CHAIN_TEST_LIBS = tests/unit/libchaintest.a $(CHAIN_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_pow
tests_unit_test_pow_SOURCES = tests/unit/test_pow.c
tests_unit_test_pow_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pow_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_pow

check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_store_LDADD = $(CHAIN_TEST_LIBS)
TESTS += tests/unit/test_store
