# chain/script/script.mk: scripts, the interpreter, signature hashes, the
# signature cache and public-key operations (libsecp256k1), with their tests.
libchain_a_SOURCES += \
	chain/script/script.c chain/script/script.h \
	chain/script/pubkey.c chain/script/pubkey.h \
	chain/script/taproot.c chain/script/taproot.h \
	chain/script/sighash.c chain/script/sighash.h \
	chain/script/sigcache.c chain/script/sigcache.h \
	chain/script/interp_internal.h \
	chain/script/interpreter.c chain/script/interpreter.h \
	chain/script/checksig.c chain/script/verify.c

# Core's short script assembly, for tests built on Core's vectors.
noinst_LIBRARIES += tests/unit/libscripttest.a
tests_unit_libscripttest_a_SOURCES = tests/unit/script_asm.c tests/unit/script_asm.h
SCRIPT_TEST_LIBS = tests/unit/libscripttest.a $(CHAIN_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)

SCRIPT_TESTS = tests/unit/test_script_vectors
check_PROGRAMS += $(SCRIPT_TESTS)
TESTS += $(SCRIPT_TESTS)
tests_unit_test_script_vectors_SOURCES = tests/unit/test_script_vectors.c
tests_unit_test_script_vectors_LDADD = $(SCRIPT_TEST_LIBS)
EXTRA_DIST += tests/data/core/script-tests.json tests/data/core/tx-valid.json \
	tests/data/core/tx-invalid.json tests/data/core/sighash-tests.json tests/data/core/COPYING
