# net/relay.mk: the relay core (gossip push, pull tracker, seen-sets).
libnet_a_SOURCES += \
	net/relay.h
