# chain/validation/validation.mk: proof of work, storage, the header tree, validation,
# the UTXO set and the chainstate, with their tests.
libchain_a_SOURCES += \
	chain/validation/pow.c chain/validation/pow.h \
	chain/storage/store.c chain/storage/store.h \
	chain/validation/blockindex.c chain/validation/blockindex.h \
	chain/validation/blockstore.c chain/validation/blockstore.h \
	chain/validation/reindex.c chain/validation/reindex.h \
	chain/validation/utxo.c chain/validation/utxo.h \
	chain/validation/sigops.c chain/validation/sigops.h \
	chain/validation/checkqueue.c chain/validation/checkqueue.h \
	chain/validation/scriptcache.c chain/validation/scriptcache.h \
	chain/validation/scriptcheck.c chain/validation/scriptcheck.h \
	chain/validation/locktime.c chain/validation/locktime.h \
	chain/validation/validation.c chain/validation/validation.h \
	chain/validation/chainstate.c chain/validation/chainstate.h \
	chain/validation/chainstate_int.h chain/validation/chainstate_open.c \
	chain/validation/connect_async.c chain/validation/chainstate_query.c \
	chain/validation/coinstats.c chain/validation/coinstats.h \
	chain/validation/blockstats.c chain/validation/blockstats.h

# Helpers shared by the chainstate tests: temporary directories, blocks.
noinst_LIBRARIES += tests/unit/libchainstatetest.a
tests_unit_libchainstatetest_a_SOURCES = tests/unit/chainstate_util.h \
	tests/unit/chainstate_util.c tests/unit/chainstate_blocks.c
CHAINSTATE_TEST_LIBS = tests/unit/libchainstatetest.a $(CHAIN_LIBS) $(CMOCKA_LIBS)

VALIDATION_TESTS = tests/unit/test_pow tests/unit/test_store tests/unit/test_blockindex \
	tests/unit/test_utxo tests/unit/test_locktime tests/unit/test_validation tests/unit/test_chainstate tests/unit/test_chain_crash \
	tests/unit/test_chainstate_step tests/unit/test_connect_async
check_PROGRAMS += $(VALIDATION_TESTS)
TESTS += $(VALIDATION_TESTS)
tests_unit_test_pow_SOURCES = tests/unit/test_pow.c
tests_unit_test_pow_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_blockindex_SOURCES = tests/unit/test_blockindex.c
tests_unit_test_blockindex_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_utxo_SOURCES = tests/unit/test_utxo.c
tests_unit_test_utxo_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_locktime_SOURCES = tests/unit/test_locktime.c
tests_unit_test_locktime_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_validation_SOURCES = tests/unit/test_validation.c
tests_unit_test_validation_LDADD = $(CHAINSTATE_TEST_LIBS)
tests_unit_test_chainstate_SOURCES = tests/unit/test_chainstate.c \
	tests/unit/chainstate_fixture.c tests/unit/chainstate_fixture.h
tests_unit_test_chainstate_LDADD = $(CHAINSTATE_TEST_LIBS)
# The activation one block per step: waiting blocks, a reorg, a late failure.
tests_unit_test_chainstate_step_SOURCES = tests/unit/test_chainstate_step.c \
	tests/unit/chainstate_fixture.c tests/unit/chainstate_fixture.h
tests_unit_test_chainstate_step_LDADD = $(CHAINSTATE_TEST_LIBS)
# Block connects with the scripts off the caller's thread: later step, failure, sync caller.
tests_unit_test_connect_async_SOURCES = tests/unit/test_connect_async.c
tests_unit_test_connect_async_LDADD = $(CHAINSTATE_TEST_LIBS)
# Kills a child process 50 times while it stores a 2,000-block chain.
tests_unit_test_chain_crash_SOURCES = tests/unit/test_chain_crash.c
tests_unit_test_chain_crash_LDADD = $(CHAINSTATE_TEST_LIBS)

# The worker pool, the execution cache, block script flags and two real
# blocks verified through scriptcheck (tests/data/blocks).
check_PROGRAMS += tests/unit/test_scriptcheck
TESTS += tests/unit/test_scriptcheck
tests_unit_test_scriptcheck_SOURCES = tests/unit/test_scriptcheck.c $(BLOCKCOINS_TESTUTIL)
tests_unit_test_scriptcheck_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)

# -assumevalid over a 2,150-block regtest chain with one bad script.
check_PROGRAMS += tests/unit/test_assumevalid
TESTS += tests/unit/test_assumevalid
tests_unit_test_assumevalid_SOURCES = tests/unit/test_assumevalid.c
tests_unit_test_assumevalid_LDADD = $(CHAINSTATE_TEST_LIBS)

# Signed P2PKH, P2WPKH and P2TR spends (libsecp256k1 through ctypes) across
# three nodes; corrupted copies refused with Core v30's reasons.
TESTS += tests/functional/script_relay.py
EXTRA_DIST += tests/functional/script_relay.py

# BIP68 in blocks: a relatively locked child refused over P2P and by
# submitblock ("bad-txns-nonfinal"), accepted once final.
TESTS += tests/functional/block_bip68.py
EXTRA_DIST += tests/functional/block_bip68.py

# Block statistics of a real block with the coins it spends.
check_PROGRAMS += tests/unit/test_blockstats
TESTS += tests/unit/test_blockstats
tests_unit_test_blockstats_SOURCES = tests/unit/test_blockstats.c $(BLOCKCOINS_TESTUTIL)
tests_unit_test_blockstats_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
