# chain/script/script.mk: scripts, the interpreter, signature hashes, the
# signature cache and public-key operations (libsecp256k1), with their tests.
libchain_a_SOURCES += \
	chain/script/script.c chain/script/script.h \
	chain/script/pubkey.c chain/script/pubkey.h \
	chain/script/taproot.c chain/script/taproot.h
libchain_a_SOURCES += chain/script/sighash_taproot.c

# Signatures, taproot commitments and BIP341 signature hashes against the
# BIP340 and BIP341 vectors (tests/data/bip340, tests/data/bip341).
SCRIPT_CRYPTO_TESTS = tests/unit/test_pubkey tests/unit/test_taproot
check_PROGRAMS += $(SCRIPT_CRYPTO_TESTS)
TESTS += $(SCRIPT_CRYPTO_TESTS)
tests_unit_test_pubkey_SOURCES = tests/unit/test_pubkey.c tests/unit/chain_testutil.h
tests_unit_test_pubkey_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_taproot_SOURCES = tests/unit/test_taproot.c tests/unit/chain_testutil.h
tests_unit_test_taproot_LDADD = $(CHAIN_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/data/bip340 tests/data/bip341
