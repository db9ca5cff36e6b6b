# net/sync/netproc.mk: message processing between connman, the relay core, the
# chainstate and the mempool; its daemon glue; tests and benchmark.
libnet_a_SOURCES += \
	net/sync/netproc.c net/sync/netproc.h net/sync/netproc_int.h \
	net/sync/blocksync.c net/sync/blockserve.c net/sync/blockarrive.c net/sync/blockstep.c net/sync/antientropy.c \
	net/sync/getdata.c \
	net/sync/cmpctblock.c net/sync/txrecon_sync.c net/sync/blockpolicy.c \
	net/sync/extrapeers.c net/sync/unbroadcast_sync.c net/sync/pkgrelay.c \
	net/sync/feefilter.c net/sync/orphanage.c net/sync/orphanage.h \
	net/sync/headerssync.c net/sync/headerssync.h net/sync/lowwork.c

libnode_a_SOURCES += node/relay_glue.c node/relay_glue.h

# The orphan pool (Core v30's TxOrphanage).
check_PROGRAMS += tests/unit/test_orphanage
TESTS += tests/unit/test_orphanage
tests_unit_test_orphanage_SOURCES = tests/unit/test_orphanage.c
tests_unit_test_orphanage_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/fuzz/fuzz_orphanage
TESTS += tests/fuzz/fuzz_orphanage
FUZZ_HARNESSES += tests/fuzz/fuzz_orphanage
tests_fuzz_fuzz_orphanage_SOURCES = tests/fuzz/fuzz_orphanage.c tests/fuzz/driver.c
tests_fuzz_fuzz_orphanage_LDADD = $(NET_LIBS)
EXTRA_DIST += tests/fuzz/seeds/orphanage
# Orphan pool costs at its limit: adds, lookups, work sets, erasures.
noinst_PROGRAMS += contrib/bench/bench_orphanage
contrib_bench_bench_orphanage_SOURCES = contrib/bench/bench_orphanage.c
contrib_bench_bench_orphanage_LDADD = $(NET_LIBS)

# The low-work headers sync, alone and within netproc.
check_PROGRAMS += tests/unit/test_headerssync tests/unit/test_netproc_lowwork
TESTS += tests/unit/test_headerssync tests/unit/test_netproc_lowwork
tests_unit_test_headerssync_SOURCES = tests/unit/test_headerssync.c
tests_unit_test_headerssync_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_lowwork_SOURCES = tests/unit/test_netproc_lowwork.c \
	tests/unit/netproc_harness.h
tests_unit_test_netproc_lowwork_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_netproc tests/unit/test_cmpct_netproc tests/unit/test_netproc_txrecon \
	tests/unit/test_netproc_limited tests/unit/test_extrapeers tests/unit/test_netproc_serve \
	tests/unit/test_netproc_pkg tests/unit/test_netproc_headers tests/unit/test_netproc_arrive
TESTS += tests/unit/test_netproc tests/unit/test_cmpct_netproc tests/unit/test_netproc_txrecon \
	tests/unit/test_netproc_limited tests/unit/test_extrapeers tests/unit/test_netproc_serve \
	tests/unit/test_netproc_pkg tests/unit/test_netproc_headers tests/unit/test_netproc_arrive
tests_unit_test_netproc_arrive_SOURCES = tests/unit/test_netproc_arrive.c \
	tests/unit/netproc_harness.h
tests_unit_test_netproc_arrive_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_headers_SOURCES = tests/unit/test_netproc_headers.c \
	tests/unit/netproc_harness.h
tests_unit_test_netproc_headers_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_serve_SOURCES = tests/unit/test_netproc_serve.c tests/unit/netproc_harness.h
tests_unit_test_netproc_serve_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_pkg_SOURCES = tests/unit/test_netproc_pkg.c tests/unit/netproc_harness.h
tests_unit_test_netproc_pkg_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_extrapeers_SOURCES = tests/unit/test_extrapeers.c tests/unit/netproc_harness.h
tests_unit_test_extrapeers_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_limited_SOURCES = tests/unit/test_netproc_limited.c \
	tests/unit/netproc_harness.h
tests_unit_test_netproc_limited_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cmpct_netproc_SOURCES = tests/unit/test_cmpct_netproc.c
tests_unit_test_cmpct_netproc_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_txrecon_SOURCES = tests/unit/test_netproc_txrecon.c \
	tests/unit/netproc_harness.h
tests_unit_test_netproc_txrecon_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netproc_SOURCES = tests/unit/test_netproc.c tests/unit/netproc_harness.h
tests_unit_test_netproc_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(CMOCKA_LIBS)

# Functional tests: networks of hearsayd processes on loopback.
TESTS += tests/functional/relay_basic.py tests/functional/relay_catchup.py \
	tests/functional/relay_epidemic.py tests/functional/relay_blocksonly.py \
	tests/functional/relay_reorg.py tests/functional/relay_txrecon.py tests/functional/p2p_1p1c.py \
	tests/functional/p2p_feefilter.py tests/functional/p2p_lowwork.py \
	tests/functional/p2p_minchainwork.py
EXTRA_DIST += tests/functional/relay_txrecon.py tests/functional/relay_lib.py tests/functional/relay_basic.py \
	tests/functional/relay_catchup.py tests/functional/relay_epidemic.py \
	tests/functional/relay_blocksonly.py tests/functional/relay_reorg.py tests/functional/p2p_1p1c.py \
	tests/functional/p2p_feefilter.py tests/functional/p2p_lowwork.py \
	tests/functional/p2p_minchainwork.py

# Benchmark: one hearsayd under transaction load from 8 loopback peers.
noinst_PROGRAMS += contrib/bench/bench_relay_node
contrib_bench_bench_relay_node_SOURCES = contrib/bench/bench_relay_node.c \
	contrib/bench/bench_peer.c contrib/bench/bench_peer.h
# bench_conn (net/wire/wire.mk) shares the loopback peer helpers.
contrib_bench_bench_conn_SOURCES += contrib/bench/bench_peer.c contrib/bench/bench_peer.h
contrib_bench_bench_relay_node_LDADD = tests/unit/libchainstatetest.a $(NET_LIBS) $(EVENT_LIBS)
