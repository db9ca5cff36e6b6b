# chain/mempool.mk: addresses, the mempool and policy, block assembly.
libchain_a_SOURCES += \
	chain/address.c chain/address.h

check_PROGRAMS += tests/unit/test_address
tests_unit_test_address_SOURCES = tests/unit/test_address.c
tests_unit_test_address_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_address_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_address

check_PROGRAMS += tests/fuzz/fuzz_address
tests_fuzz_fuzz_address_SOURCES = tests/fuzz/fuzz_address.c tests/fuzz/driver.c
tests_fuzz_fuzz_address_LDADD = $(CHAIN_LIBS)
TESTS += tests/fuzz/fuzz_address

libchain_a_SOURCES += \
	chain/policy.c chain/policy.h \
	chain/mempool_map.c chain/mempool_map.h \
	chain/mempool.c chain/mempool.h chain/mempool_int.h \
	chain/mempool_accept.c chain/mempool_persist.c

libchain_a_SOURCES += chain/miner.c chain/miner.h

MEMPOOL_TESTS = tests/unit/test_mempool tests/unit/test_mempool_random tests/unit/test_miner \
	tests/unit/test_policy tests/unit/test_mempool_chain
check_PROGRAMS += $(MEMPOOL_TESTS)
TESTS += $(MEMPOOL_TESTS)
tests_unit_test_mempool_SOURCES = tests/unit/test_mempool.c \
	tests/unit/mempool_testutil.c tests/unit/mempool_testutil.h
tests_unit_test_mempool_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mempool_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_miner_SOURCES = tests/unit/test_miner.c \
	tests/unit/mempool_testutil.c tests/unit/mempool_testutil.h
tests_unit_test_miner_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_miner_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_mempool_random_SOURCES = tests/unit/test_mempool_random.c \
	tests/unit/mempool_testutil.c tests/unit/mempool_testutil.h
tests_unit_test_mempool_random_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mempool_random_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_mempool_chain_SOURCES = tests/unit/test_mempool_chain.c \
	tests/unit/mempool_testutil.c tests/unit/mempool_testutil.h
tests_unit_test_mempool_chain_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mempool_chain_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c \
	tests/unit/mempool_testutil.c tests/unit/mempool_testutil.h
tests_unit_test_policy_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_policy_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fuzz/seeds/address

# The daemon's mempool subsystem (options, start-up, mempool.dat).
libnode_a_SOURCES += node/mempool_glue.c node/mempool_glue.h

noinst_PROGRAMS += contrib/bench/bench_mempool
contrib_bench_bench_mempool_SOURCES = contrib/bench/bench_mempool.c
contrib_bench_bench_mempool_LDADD = $(CHAIN_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_mempool
tests_fuzz_fuzz_mempool_SOURCES = tests/fuzz/fuzz_mempool.c tests/fuzz/driver.c
tests_fuzz_fuzz_mempool_LDADD = $(CHAIN_LIBS)
TESTS += tests/fuzz/fuzz_mempool
EXTRA_DIST += tests/fuzz/seeds/mempool

TESTS += tests/functional/mempool_persist.py
EXTRA_DIST += tests/functional/mempool_persist.py
