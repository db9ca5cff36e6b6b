# node/rpc/rpcnet.mk: the network RPC methods (getpeerinfo, getnetworkinfo,
# addnode, bans, ...), hearsay's getgossipinfo, setmocktime and the node
# clock; in net/, bans and connection-manager administration.
libnode_a_SOURCES += \
	node/rpc/rpc_net.c node/rpc/rpc_net.h node/rpc/rpc_net_admin.c node/rpc/rpc_addrman.c \
	node/clock.c node/clock.h \
	node/banlist.c node/banlist.h
libnet_a_SOURCES += \
	net/conn/banman.c net/conn/banman.h \
	net/conn/netadmin.c net/conn/netadmin.h

check_PROGRAMS += tests/unit/test_banman
tests_unit_test_banman_SOURCES = tests/unit/test_banman.c
tests_unit_test_banman_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_banman

check_PROGRAMS += tests/unit/test_clock
tests_unit_test_clock_SOURCES = tests/unit/test_clock.c
tests_unit_test_clock_LDADD = $(HS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_clock

TESTS += tests/functional/rpc_net.py
EXTRA_DIST += tests/functional/rpc_net.py

check_PROGRAMS += tests/unit/test_rpc_net
tests_unit_test_rpc_net_SOURCES = tests/unit/test_rpc_net.c
tests_unit_test_rpc_net_LDADD = $(HS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_rpc_net
