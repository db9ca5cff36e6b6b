# node/rpcmethods.mk: chain, mempool, raw transaction and mining RPC
# methods, the chain-mempool link, and their tests.
libnode_a_SOURCES += \
	node/rpc_util.c node/rpc_util.h \
	node/rpc_blockchain.c node/rpc_rawtx.c node/rpc_mining.c \
	node/chain_mempool.c node/chain_mempool.h

check_PROGRAMS += tests/unit/test_rpc_methods
tests_unit_test_rpc_methods_SOURCES = tests/unit/test_rpc_methods.c
tests_unit_test_rpc_methods_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_rpc_methods_LDADD = $(HS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_rpc_methods

TESTS += tests/functional/rpc_blockchain.py tests/functional/rpc_rawtx.py \
	tests/functional/rpc_mining.py
EXTRA_DIST += tests/functional/rpc_blockchain.py tests/functional/rpc_rawtx.py \
	tests/functional/rpc_mining.py tests/functional/txtools.py
