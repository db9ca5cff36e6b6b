# node/rpc/rpcmethods.mk: chain, mempool, raw transaction and mining RPC
# methods and their tests.
libnode_a_SOURCES += \
	node/rpc/rpc_util.c node/rpc/rpc_util.h \
	node/rpc/rpc_blockchain.c node/rpc/rpc_rawtx.c node/rpc/rpc_mining.c \
	node/rpc/rpc_chainstats.c node/rpc/rpc_chainctl.c \
	node/rpc/rpc_fees.c node/rpc/rpc_mining.h node/rpc/rpc_gbt.c \
	node/rpc/rpc_package.c node/rpc/rpc_prune.c node/rpc/rpc_prune.h \
	node/rpc/rpc_rawtx_build.c node/rpc/rpc_misc.c node/rpc/rpc_combine.c \
	node/rpc/rpc_txoutset.c node/rpc/rpc_txoutset.h

check_PROGRAMS += tests/unit/test_rpc_methods
tests_unit_test_rpc_methods_SOURCES = tests/unit/test_rpc_methods.c
tests_unit_test_rpc_methods_LDADD = $(HS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_rpc_methods

TESTS += tests/functional/rpc_blockchain.py tests/functional/rpc_rawtx.py \
	tests/functional/rpc_mining.py tests/functional/rpc_chainstats.py \
	tests/functional/rpc_chainctl.py tests/functional/rpc_mempool.py tests/functional/rpc_fees.py \
	tests/functional/rpc_gbt.py tests/functional/rpc_util.py tests/functional/rpc_combine.py
EXTRA_DIST += tests/functional/rpc_chainstats.py tests/functional/rpc_chainctl.py \
	tests/functional/rpc_blockchain.py tests/functional/rpc_rawtx.py \
	tests/functional/rpc_mining.py tests/functional/rpc_mempool.py tests/functional/rpc_fees.py \
	tests/functional/rpc_gbt.py tests/functional/txtools.py contrib/bench/bench_getblock.py \
	tests/functional/rpc_util.py tests/functional/rpc_combine.py tests/data/core/rpc_decodescript.json

# Fuzz harness: scripts and transactions as the RPC methods show them.
check_PROGRAMS += tests/fuzz/fuzz_rpc_decode
FUZZ_HARNESSES += tests/fuzz/fuzz_rpc_decode
tests_fuzz_fuzz_rpc_decode_SOURCES = tests/fuzz/fuzz_rpc_decode.c tests/fuzz/driver.c
tests_fuzz_fuzz_rpc_decode_LDADD = $(HS_LIBS)
TESTS += tests/fuzz/fuzz_rpc_decode
EXTRA_DIST += tests/fuzz/seeds/rpc_decode

# Amounts read from the JSON number's text, as Core's AmountFromValue.
TESTS += tests/functional/rpc_amounts.py
EXTRA_DIST += tests/functional/rpc_amounts.py
# gettxoutsetinfo off the event loop.
TESTS += tests/functional/rpc_txoutset.py
EXTRA_DIST += tests/functional/rpc_txoutset.py
