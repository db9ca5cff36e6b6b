# net/relay.mk: the relay core (gossip push, pull tracker, seen-sets).
libnet_a_SOURCES += \
	net/relay.c net/relay.h net/relay_impl.h net/relay_push.c \
	net/txrequest.c net/txrequest.h \
	net/seenset.c net/seenset.h \
	net/hashtab.c net/hashtab.h \
	net/prng.h
