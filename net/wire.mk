# net/wire.mk: the P2P core (framing, peers, connections, addresses).
libnet_a_SOURCES += \
	net/protocol.c net/protocol.h \
	net/peer.c net/peer.h \
	net/addrman.c net/addrman.h

check_PROGRAMS += tests/unit/test_protocol tests/unit/test_peer tests/unit/test_addrman
TESTS += tests/unit/test_protocol tests/unit/test_peer tests/unit/test_addrman
tests_unit_test_protocol_SOURCES = tests/unit/test_protocol.c
tests_unit_test_protocol_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_protocol_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_peer_SOURCES = tests/unit/test_peer.c
tests_unit_test_peer_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_peer_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_addrman_SOURCES = tests/unit/test_addrman.c
tests_unit_test_addrman_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_addrman_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
