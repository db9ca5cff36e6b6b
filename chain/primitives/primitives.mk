# chain/ primitives: serialization, hashing, transactions, blocks, params.
libchain_a_SOURCES += \
	chain/primitives/serialize.c chain/primitives/serialize.h \
	chain/primitives/hash.c chain/primitives/hash.h \
	chain/primitives/muhash.c chain/primitives/muhash.h \
	chain/primitives/siphash.c chain/primitives/siphash.h \
	chain/util/hex.c chain/util/hex.h \
	chain/util/log.c chain/util/log.h \
	chain/util/err.c chain/util/err.h chain/util/fileio.c chain/util/fileio.h \
	chain/util/xmalloc.c chain/util/xmalloc.h \
	chain/primitives/coin.c chain/primitives/coin.h \
	chain/primitives/tx.c chain/primitives/tx.h \
	chain/primitives/block.c chain/primitives/block.h \
	chain/primitives/params.c chain/primitives/params.h

# Unit tests, one program per module.
CHAIN_TESTS = tests/unit/test_serialize tests/unit/test_hash tests/unit/test_tx \
	tests/unit/test_block tests/unit/test_params tests/unit/test_err tests/unit/test_muhash
check_PROGRAMS += $(CHAIN_TESTS)
TESTS += $(CHAIN_TESTS)
tests_unit_test_tx_SOURCES = tests/unit/test_tx.c tests/unit/chain_testutil.h
tests_unit_test_tx_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_block_SOURCES = tests/unit/test_block.c tests/unit/chain_testutil.h
tests_unit_test_block_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_params_SOURCES = tests/unit/test_params.c tests/unit/chain_testutil.h
tests_unit_test_params_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_serialize_SOURCES = tests/unit/test_serialize.c tests/unit/chain_testutil.h
tests_unit_test_serialize_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_muhash_SOURCES = tests/unit/test_muhash.c
tests_unit_test_muhash_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_hash_SOURCES = tests/unit/test_hash.c tests/unit/chain_testutil.h
tests_unit_test_hash_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_err_SOURCES = tests/unit/test_err.c
tests_unit_test_err_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)

# Fuzz harnesses over the parsers; seeds in tests/fuzz/seeds/<name>/.
CHAIN_FUZZ = tests/fuzz/fuzz_tx tests/fuzz/fuzz_block tests/fuzz/fuzz_compact
check_PROGRAMS += $(CHAIN_FUZZ)
FUZZ_HARNESSES += $(CHAIN_FUZZ)
TESTS += $(CHAIN_FUZZ)
tests_fuzz_fuzz_tx_SOURCES = tests/fuzz/fuzz_tx.c tests/fuzz/driver.c
tests_fuzz_fuzz_tx_LDADD = $(CHAIN_LIBS)
tests_fuzz_fuzz_block_SOURCES = tests/fuzz/fuzz_block.c tests/fuzz/driver.c
tests_fuzz_fuzz_block_LDADD = $(CHAIN_LIBS)
tests_fuzz_fuzz_compact_SOURCES = tests/fuzz/fuzz_compact.c tests/fuzz/driver.c
tests_fuzz_fuzz_compact_LDADD = $(CHAIN_LIBS)
EXTRA_DIST += tests/fuzz/seeds/tx tests/fuzz/seeds/block tests/fuzz/seeds/compact

# Benchmark: tx parse + txid and SHA-256 throughput (prints figures).
noinst_PROGRAMS += contrib/bench/bench_parse
contrib_bench_bench_parse_SOURCES = contrib/bench/bench_parse.c
contrib_bench_bench_parse_LDADD = $(CHAIN_LIBS)
