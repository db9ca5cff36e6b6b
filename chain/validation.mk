# chain/validation.mk: proof of work, storage, the header tree, validation,
# the UTXO set and the chainstate, with their tests.
libchain_a_SOURCES += \
	chain/pow.c chain/pow.h

check_PROGRAMS += tests/unit/test_pow
tests_unit_test_pow_SOURCES = tests/unit/test_pow.c
tests_unit_test_pow_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pow_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_pow
