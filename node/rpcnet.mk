# node/rpcnet.mk: the network RPC methods (getpeerinfo, getnetworkinfo,
# addnode, bans, ...), hearsay's getgossipinfo, setmocktime and the node
# clock; in net/, bans and connection-manager administration.
libnode_a_SOURCES += \
	node/rpc_net.c node/rpc_net.h node/rpc_net_admin.c \
	node/clock.c node/clock.h \
	node/banlist.c node/banlist.h
libnet_a_SOURCES += \
	net/banman.c net/banman.h \
	net/netadmin.c net/netadmin.h

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
