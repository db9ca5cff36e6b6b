# chain/mempool/mempool.mk: addresses, transaction policy, the mempool, block
# assembly, and the daemon's mempool subsystem.
libchain_a_SOURCES += \
	chain/primitives/address.c chain/primitives/address.h \
	chain/mempool/policy.c chain/mempool/policy.h \
	chain/mempool/mempool_map.c chain/mempool/mempool_map.h \
	chain/mempool/mempool.c chain/mempool/mempool.h chain/mempool/mempool_int.h \
	chain/mempool/mempool_accept.c chain/mempool/mempool_persist.c \
	chain/mempool/mempool_package.c chain/mempool/mempool_pkgrbf.c \
	chain/mempool/truc.c chain/mempool/truc.h \
	chain/mempool/unbroadcast.c chain/mempool/unbroadcast.h \
	chain/mempool/miner.c chain/mempool/miner.h \
	chain/mempool/feeest.c chain/mempool/feeest.h

# Options, start-up and mempool.dat in hearsayd.
libnode_a_SOURCES += node/mempool_glue.c node/mempool_glue.h

# Unit tests. The mempool ones share a UTXO stub and transaction builders.
MEMPOOL_TESTUTIL = tests/unit/mempool_testutil.c tests/unit/mempool_testutil.h
MEMPOOL_TESTS = tests/unit/test_address tests/unit/test_policy tests/unit/test_mempool \
	tests/unit/test_mempool_random tests/unit/test_miner tests/unit/test_mempool_chain \
	tests/unit/test_feeest tests/unit/test_mempool_package tests/unit/test_mempool_pkgrbf \
	tests/unit/test_unbroadcast tests/unit/test_truc
check_PROGRAMS += $(MEMPOOL_TESTS)
TESTS += $(MEMPOOL_TESTS)
tests_unit_test_address_SOURCES = tests/unit/test_address.c
tests_unit_test_address_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c $(MEMPOOL_TESTUTIL)
tests_unit_test_policy_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_mempool_SOURCES = tests/unit/test_mempool.c $(MEMPOOL_TESTUTIL)
tests_unit_test_mempool_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_mempool_random_SOURCES = tests/unit/test_mempool_random.c $(MEMPOOL_TESTUTIL)
tests_unit_test_mempool_random_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_miner_SOURCES = tests/unit/test_miner.c $(MEMPOOL_TESTUTIL)
tests_unit_test_miner_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_mempool_package_SOURCES = tests/unit/test_mempool_package.c $(MEMPOOL_TESTUTIL)
tests_unit_test_mempool_package_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_mempool_pkgrbf_SOURCES = tests/unit/test_mempool_pkgrbf.c $(MEMPOOL_TESTUTIL)
tests_unit_test_mempool_pkgrbf_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_truc_SOURCES = tests/unit/test_truc.c $(MEMPOOL_TESTUTIL)
tests_unit_test_truc_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_unbroadcast_SOURCES = tests/unit/test_unbroadcast.c $(MEMPOOL_TESTUTIL)
tests_unit_test_unbroadcast_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_feeest_SOURCES = tests/unit/test_feeest.c
tests_unit_test_feeest_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
# Beside a real chainstate: uses the chain tests' helpers (validation.mk).
tests_unit_test_mempool_chain_SOURCES = tests/unit/test_mempool_chain.c $(MEMPOOL_TESTUTIL)
tests_unit_test_mempool_chain_LDADD = $(CHAINSTATE_TEST_LIBS)

# Fuzz harnesses, seeds in tests/fuzz/seeds/<name>/.
MEMPOOL_FUZZ = tests/fuzz/fuzz_address tests/fuzz/fuzz_mempool
check_PROGRAMS += $(MEMPOOL_FUZZ)
FUZZ_HARNESSES += $(MEMPOOL_FUZZ)
TESTS += $(MEMPOOL_FUZZ)
tests_fuzz_fuzz_address_SOURCES = tests/fuzz/fuzz_address.c tests/fuzz/driver.c
tests_fuzz_fuzz_address_LDADD = $(CHAIN_LIBS)
tests_fuzz_fuzz_mempool_SOURCES = tests/fuzz/fuzz_mempool.c tests/fuzz/driver.c
tests_fuzz_fuzz_mempool_LDADD = $(CHAIN_LIBS)
EXTRA_DIST += tests/fuzz/seeds/address tests/fuzz/seeds/mempool

TESTS += tests/functional/mempool_persist.py tests/functional/mempool_unbroadcast.py
EXTRA_DIST += tests/functional/mempool_persist.py tests/functional/mempool_unbroadcast.py

noinst_PROGRAMS += contrib/bench/bench_mempool
contrib_bench_bench_mempool_SOURCES = contrib/bench/bench_mempool.c
contrib_bench_bench_mempool_LDADD = $(CHAIN_LIBS)
