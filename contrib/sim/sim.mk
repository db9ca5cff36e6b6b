# contrib/sim/sim.mk: the simulator (hearsay-sim) and its tests.
# Everything but main() is a library, so that the tests link the very code
# the program runs, and both link the node's relay core from libnet.a.
noinst_LIBRARIES += contrib/sim/libsim.a
contrib_sim_libsim_a_SOURCES = \
	contrib/sim/rng.c contrib/sim/rng.h \
	contrib/sim/heap.c contrib/sim/heap.h \
	contrib/sim/topo.c contrib/sim/topo.h \
	contrib/sim/netmodel.c contrib/sim/netmodel.h \
	contrib/sim/engine.c contrib/sim/engine.h contrib/sim/adapter.h \
	contrib/sim/relay_adapter.c contrib/sim/relay_adapter.h \
	contrib/sim/report.c contrib/sim/report.h \
	contrib/sim/experiments.c contrib/sim/experiments.h \
	contrib/sim/txload.c contrib/sim/txload.h contrib/sim/txload_int.h \
	contrib/sim/txload_recon.c contrib/sim/txload_report.c
SIM_LIBS = contrib/sim/libsim.a $(NET_LIBS)

noinst_PROGRAMS += contrib/sim/hearsay-sim
contrib_sim_hearsay_sim_SOURCES = contrib/sim/main.c
contrib_sim_hearsay_sim_LDADD = $(SIM_LIBS)

check_PROGRAMS += tests/unit/test_sim_engine tests/unit/test_sim tests/unit/test_sim_recon
tests_unit_test_sim_engine_SOURCES = tests/unit/test_sim_engine.c
tests_unit_test_sim_engine_LDADD = $(SIM_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sim_SOURCES = tests/unit/test_sim.c
tests_unit_test_sim_LDADD = $(SIM_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sim_recon_SOURCES = tests/unit/test_sim_recon.c
tests_unit_test_sim_recon_LDADD = $(SIM_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_sim_engine tests/unit/test_sim tests/unit/test_sim_recon \
	tests/unit/test_sim_links.sh \
	tests/unit/test_sim_cli.sh

EXTRA_DIST += contrib/sim/README.md contrib/sim/table1.sh tests/unit/test_sim_links.sh \
	tests/unit/test_sim_cli.sh \
	contrib/bench/bench_sim.sh contrib/bench/bench_sim_recon.sh
