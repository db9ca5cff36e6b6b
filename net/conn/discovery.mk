# net/conn/discovery.mk: finding peers (DNS and fixed seeds, -seednode),
# anchors.dat and the getaddr reply cache.
libnet_a_SOURCES += \
	net/conn/seeds.c net/conn/seeds.h net/conn/seeds_data.c \
	net/conn/discovery.c \
	net/conn/anchors.c net/conn/anchors.h \
	net/conn/addrcache.c net/conn/addrcache.h

check_PROGRAMS += tests/unit/test_seeds
TESTS += tests/unit/test_seeds
tests_unit_test_seeds_SOURCES = tests/unit/test_seeds.c
tests_unit_test_seeds_LDADD = $(NET_LIBS) $(EVENT_LIBS) $(CMOCKA_LIBS)

# Functional: a local DNS server (dnsserver.py) stands in for the seeds.
TESTS += tests/functional/p2p_seeds.py tests/functional/p2p_conntypes.py \
	tests/functional/p2p_extrapeers.py
EXTRA_DIST += tests/functional/p2p_seeds.py tests/functional/p2p_conntypes.py \
	tests/functional/p2p_extrapeers.py \
	tests/functional/dnsserver.py contrib/seeds/convert-seeds.py
