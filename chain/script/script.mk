# chain/script/script.mk: scripts, the interpreter, signature hashes, the
# signature cache and public-key operations (libsecp256k1), with their tests.
libchain_a_SOURCES += \
	chain/script/script.c chain/script/script.h \
	chain/script/pubkey.c chain/script/pubkey.h \
	chain/script/taproot.c chain/script/taproot.h \
	chain/script/sighash.c chain/script/sighash.h \
	chain/script/sighash_taproot.c \
	chain/script/sigcache.c chain/script/sigcache.h \
	chain/script/interp_internal.h \
	chain/script/interpreter.c chain/script/interpreter.h \
	chain/script/checksig.c chain/script/verify.c \
	chain/script/message.c chain/script/message.h \
	chain/script/bip32.c chain/script/bip32.h \
	chain/script/descriptor.c chain/script/descriptor.h

# Core's short script assembly, for tests built on Core's vectors.
noinst_LIBRARIES += tests/unit/libscripttest.a
tests_unit_libscripttest_a_SOURCES = tests/unit/script_asm.c tests/unit/script_asm.h \
	tests/unit/script_testutil.c tests/unit/script_testutil.h
SCRIPT_TEST_LIBS = tests/unit/libscripttest.a $(CHAIN_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)

SCRIPT_TESTS = tests/unit/test_script_vectors tests/unit/test_script
check_PROGRAMS += $(SCRIPT_TESTS)
TESTS += $(SCRIPT_TESTS)
tests_unit_test_script_vectors_SOURCES = tests/unit/test_script_vectors.c
tests_unit_test_script_vectors_LDADD = $(SCRIPT_TEST_LIBS)
tests_unit_test_script_SOURCES = tests/unit/test_script.c tests/unit/chain_testutil.h
tests_unit_test_script_LDADD = $(SCRIPT_TEST_LIBS)
EXTRA_DIST += tests/data/core/script-tests.json tests/data/core/tx-valid.json \
	tests/data/core/tx-invalid.json tests/data/core/sighash-tests.json tests/data/core/COPYING

# Signatures, taproot commitments and BIP341 signature hashes against the
# BIP340 and BIP341 vectors (tests/data/bip340, tests/data/bip341).
SCRIPT_CRYPTO_TESTS = tests/unit/test_pubkey tests/unit/test_taproot
check_PROGRAMS += $(SCRIPT_CRYPTO_TESTS)
TESTS += $(SCRIPT_CRYPTO_TESTS)
tests_unit_test_pubkey_SOURCES = tests/unit/test_pubkey.c tests/unit/chain_testutil.h \
	tests/unit/taproot_testutil.h
tests_unit_test_pubkey_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_taproot_SOURCES = tests/unit/test_taproot.c tests/unit/chain_testutil.h \
	tests/unit/taproot_testutil.h
tests_unit_test_taproot_LDADD = $(CHAIN_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/data/bip340 tests/data/bip341

# Two real blocks verified input by input with the coins they spend
# (tests/data/blocks); the loader is shared with contrib/bench/bench_verify.
BLOCKCOINS_TESTUTIL = tests/unit/blockcoins_testutil.c tests/unit/blockcoins_testutil.h
check_PROGRAMS += tests/unit/test_block_verify
TESTS += tests/unit/test_block_verify
tests_unit_test_block_verify_SOURCES = tests/unit/test_block_verify.c $(BLOCKCOINS_TESTUTIL) \
	tests/unit/chain_testutil.h
tests_unit_test_block_verify_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/data/blocks

# The interpreter under random scripts, witnesses and flag sets.
check_PROGRAMS += tests/fuzz/fuzz_script
FUZZ_HARNESSES += tests/fuzz/fuzz_script
TESTS += tests/fuzz/fuzz_script
tests_fuzz_fuzz_script_SOURCES = tests/fuzz/fuzz_script.c tests/fuzz/driver.c
tests_fuzz_fuzz_script_LDADD = tests/unit/libscripttest.a $(CHAIN_LIBS)
EXTRA_DIST += tests/fuzz/seeds/script

# Taproot key-path and script-path spends built and signed by the test.
check_PROGRAMS += tests/unit/test_tapscript
TESTS += tests/unit/test_tapscript
tests_unit_test_tapscript_SOURCES = tests/unit/test_tapscript.c tests/unit/chain_testutil.h \
	tests/unit/taproot_testutil.h
tests_unit_test_tapscript_LDADD = $(SCRIPT_TEST_LIBS)

# BIP32 derivation and output descriptors against the BIP32 and BIP380-386
# vectors (tests/data/bip380); signed messages against Core's vectors.
check_PROGRAMS += tests/unit/test_descriptor tests/unit/test_message
TESTS += tests/unit/test_descriptor tests/unit/test_message
tests_unit_test_descriptor_SOURCES = tests/unit/test_descriptor.c
tests_unit_test_descriptor_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_message_SOURCES = tests/unit/test_message.c
tests_unit_test_message_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/data/bip380

# Descriptor and address text from RPC, under random input.
check_PROGRAMS += tests/fuzz/fuzz_descriptor
FUZZ_HARNESSES += tests/fuzz/fuzz_descriptor
tests_fuzz_fuzz_descriptor_SOURCES = tests/fuzz/fuzz_descriptor.c tests/fuzz/driver.c
tests_fuzz_fuzz_descriptor_LDADD = $(CHAIN_LIBS)
TESTS += tests/fuzz/fuzz_descriptor
EXTRA_DIST += tests/fuzz/seeds/descriptor
