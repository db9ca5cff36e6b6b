# net/wire/wire.mk: the P2P core (framing, peers, connections, addresses).
libnet_a_SOURCES += \
	net/wire/protocol.c net/wire/protocol.h \
	net/wire/cmpct.c net/wire/cmpct_partial.c net/wire/cmpct.h \
	net/wire/txrecon_msg.c net/wire/txrecon_msg.h \
	net/conn/peer.c net/conn/peer.h \
	net/conn/addrman.c net/conn/addrman.h \
	net/conn/netbase.c net/conn/netbase.h \
	net/conn/connman.c net/conn/connman.h net/conn/connman_int.h \
	net/conn/outbound.c net/conn/addrrelay.c \
	net/conn/uptarget.c net/conn/uptarget.h net/conn/localnode.c

check_PROGRAMS += tests/unit/test_protocol tests/unit/test_peer tests/unit/test_addrman tests/unit/test_connman \
	tests/unit/test_netbase tests/unit/test_uptarget tests/unit/test_localnode
TESTS += tests/unit/test_protocol tests/unit/test_peer tests/unit/test_addrman tests/unit/test_connman \
	tests/unit/test_netbase tests/unit/test_uptarget tests/unit/test_localnode
tests_unit_test_protocol_SOURCES = tests/unit/test_protocol.c
tests_unit_test_protocol_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_peer_SOURCES = tests/unit/test_peer.c
tests_unit_test_peer_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_addrman_SOURCES = tests/unit/test_addrman.c
tests_unit_test_addrman_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_netbase_SOURCES = tests/unit/test_netbase.c
tests_unit_test_netbase_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_uptarget_SOURCES = tests/unit/test_uptarget.c
tests_unit_test_uptarget_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_localnode_SOURCES = tests/unit/test_localnode.c
tests_unit_test_localnode_LDADD = $(NET_LIBS) $(EVENT_LIBS) $(CMOCKA_LIBS)
tests_unit_test_connman_SOURCES = tests/unit/test_connman.c
tests_unit_test_connman_LDADD = $(NET_LIBS) $(EVENT_LIBS) $(CMOCKA_LIBS)

# The daemon glue (options and start-up row) lives in libnode.
libnode_a_SOURCES += node/net_glue.c node/net_glue.h

# Functional tests: real hearsayd processes on loopback (skipped until the
# daemon is built).
TESTS += tests/functional/p2p_connect.py tests/functional/p2p_hostile.py \
	tests/functional/p2p_handshake.py tests/functional/p2p_getdata.py tests/functional/p2p_addr_relay.py tests/functional/p2p_addrv2.py \
	tests/functional/p2p_maxupload.py tests/functional/p2p_localaddr.py
EXTRA_DIST += tests/functional/p2p_connect.py tests/functional/p2p_hostile.py \
	tests/functional/p2p_handshake.py tests/functional/p2p_getdata.py tests/functional/p2p_addr_relay.py tests/functional/p2p_addrv2.py \
	tests/functional/p2p_maxupload.py tests/functional/p2p_localaddr.py

# Fuzz harnesses: the payload decoders, and a peer fed arbitrary streams.
check_PROGRAMS += tests/fuzz/fuzz_msg tests/fuzz/fuzz_msg_stream
FUZZ_HARNESSES += tests/fuzz/fuzz_msg tests/fuzz/fuzz_msg_stream
TESTS += tests/fuzz/fuzz_msg tests/fuzz/fuzz_msg_stream
tests_fuzz_fuzz_msg_SOURCES = tests/fuzz/fuzz_msg.c tests/fuzz/driver.c
tests_fuzz_fuzz_msg_LDADD = $(NET_LIBS)
tests_fuzz_fuzz_msg_stream_SOURCES = tests/fuzz/fuzz_msg_stream.c tests/fuzz/driver.c
tests_fuzz_fuzz_msg_stream_LDADD = $(NET_LIBS)
EXTRA_DIST += tests/fuzz/seeds/msg tests/fuzz/seeds/msg_stream

# Benchmark: 1000 handshaked connections to one node (prints figures).
noinst_PROGRAMS += contrib/bench/bench_conn
contrib_bench_bench_conn_SOURCES = contrib/bench/bench_conn.c
contrib_bench_bench_conn_LDADD = $(NET_LIBS) $(EVENT_LIBS)

# Benchmark: one peer's receive path in process, ns per frame and per
# command lookup (prints figures).
noinst_PROGRAMS += contrib/bench/bench_dispatch
contrib_bench_bench_dispatch_SOURCES = contrib/bench/bench_dispatch.c
contrib_bench_bench_dispatch_LDADD = $(NET_LIBS)

# BIP152 compact blocks: codecs, short ids, reconstruction (real blocks in
# tests/data/blocks), and their fuzz harness.
check_PROGRAMS += tests/unit/test_cmpct tests/fuzz/fuzz_cmpct
FUZZ_HARNESSES += tests/fuzz/fuzz_cmpct
TESTS += tests/unit/test_cmpct tests/fuzz/fuzz_cmpct
tests_unit_test_cmpct_SOURCES = tests/unit/test_cmpct.c
tests_unit_test_cmpct_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_fuzz_fuzz_cmpct_SOURCES = tests/fuzz/fuzz_cmpct.c tests/fuzz/driver.c
tests_fuzz_fuzz_cmpct_LDADD = $(NET_LIBS)
EXTRA_DIST += tests/fuzz/seeds/cmpct tests/data/blocks
TESTS += tests/functional/p2p_compactblocks.py
noinst_PROGRAMS += contrib/bench/bench_cmpct
contrib_bench_bench_cmpct_SOURCES = contrib/bench/bench_cmpct.c
contrib_bench_bench_cmpct_LDADD = $(NET_LIBS)
EXTRA_DIST += tests/functional/p2p_compactblocks.py
