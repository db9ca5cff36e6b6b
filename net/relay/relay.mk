# net/relay/relay.mk: the relay core (gossip push, pull tracker, seen-sets).
libnet_a_SOURCES += \
	net/relay/relay.c net/relay/relay.h net/relay/relay_impl.h net/relay/relay_push.c \
	net/relay/txrequest.c net/relay/txrequest.h \
	net/relay/seenset.c net/relay/seenset.h \
	net/relay/hashtab.c net/relay/hashtab.h \
	net/relay/prng.h net/relay/vec.h

check_PROGRAMS += tests/unit/test_seenset tests/unit/test_txrequest tests/unit/test_relay tests/unit/test_relay_pull \
	tests/unit/test_relay_sim tests/unit/test_relay_hashtab tests/unit/test_relay_rounds
TESTS += tests/unit/test_seenset tests/unit/test_txrequest tests/unit/test_relay tests/unit/test_relay_pull \
	tests/unit/test_relay_sim tests/unit/test_relay_hashtab tests/unit/test_relay_rounds
tests_unit_test_seenset_SOURCES = tests/unit/test_seenset.c
tests_unit_test_seenset_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_txrequest_SOURCES = tests/unit/test_txrequest.c
tests_unit_test_txrequest_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_SOURCES = tests/unit/test_relay.c tests/unit/relay_fake.c \
	tests/unit/relay_fake.h tests/unit/relay_testutil.h
# The pull side: requests, timeouts, fallback, delays, caps, pull gossip.
tests_unit_test_relay_pull_SOURCES = tests/unit/test_relay_pull.c tests/unit/relay_fake.c \
	tests/unit/relay_fake.h tests/unit/relay_testutil.h
tests_unit_test_relay_pull_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_sim_SOURCES = tests/unit/test_relay_sim.c tests/unit/relay_testutil.h
tests_unit_test_relay_sim_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_hashtab_SOURCES = tests/unit/test_relay_hashtab.c
tests_unit_test_relay_hashtab_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_unit_test_relay_rounds_SOURCES = tests/unit/test_relay_rounds.c tests/unit/relay_testutil.h
tests_unit_test_relay_rounds_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)

noinst_PROGRAMS += contrib/bench/bench_relay
contrib_bench_bench_relay_SOURCES = contrib/bench/bench_relay.c
contrib_bench_bench_relay_LDADD = $(NET_LIBS)

# PinSketch set reconciliation sketches (BIP330's field and encoding).
libnet_a_SOURCES += net/relay/sketch.c net/relay/sketch.h \
	net/relay/sketch_gf.c net/relay/sketch_gf.h net/relay/sketch_gf_impl.h \
	net/relay/txrecon.c net/relay/txrecon.h
check_PROGRAMS += tests/unit/test_sketch tests/fuzz/fuzz_sketch tests/unit/test_txrecon \
	tests/fuzz/fuzz_txrecon
TESTS += tests/unit/test_sketch tests/fuzz/fuzz_sketch tests/unit/test_txrecon tests/fuzz/fuzz_txrecon
FUZZ_HARNESSES += tests/fuzz/fuzz_sketch tests/fuzz/fuzz_txrecon
tests_unit_test_txrecon_SOURCES = tests/unit/test_txrecon.c
tests_unit_test_txrecon_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_fuzz_fuzz_txrecon_SOURCES = tests/fuzz/fuzz_txrecon.c tests/fuzz/driver.c
tests_fuzz_fuzz_txrecon_LDADD = $(NET_LIBS)
EXTRA_DIST += tests/fuzz/seeds/txrecon
tests_unit_test_sketch_SOURCES = tests/unit/test_sketch.c
tests_unit_test_sketch_LDADD = $(NET_LIBS) $(CMOCKA_LIBS)
tests_fuzz_fuzz_sketch_SOURCES = tests/fuzz/fuzz_sketch.c tests/fuzz/driver.c
tests_fuzz_fuzz_sketch_LDADD = $(NET_LIBS)
EXTRA_DIST += tests/fuzz/seeds/sketch

noinst_PROGRAMS += contrib/bench/bench_sketch
contrib_bench_bench_sketch_SOURCES = contrib/bench/bench_sketch.c
contrib_bench_bench_sketch_LDADD = $(NET_LIBS)
