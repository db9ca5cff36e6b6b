# contrib/sim/sim.mk: the simulator (hearsay-sim) and its tests.
# The engine (virtual clock, network, topologies, statistics) is a library
# so that the tests link the same code as the program.
noinst_LIBRARIES += contrib/sim/libsim.a
contrib_sim_libsim_a_SOURCES = \
	contrib/sim/rng.c contrib/sim/rng.h \
	contrib/sim/util.c contrib/sim/util.h \
	contrib/sim/heap.c contrib/sim/heap.h \
	contrib/sim/topo.c contrib/sim/topo.h \
	contrib/sim/netmodel.c contrib/sim/netmodel.h \
	contrib/sim/engine.c contrib/sim/engine.h contrib/sim/adapter.h
SIM_LIBS = contrib/sim/libsim.a -lm

check_PROGRAMS += tests/unit/test_sim_engine
tests_unit_test_sim_engine_SOURCES = tests/unit/test_sim_engine.c
tests_unit_test_sim_engine_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_sim_engine_LDADD = $(SIM_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_sim_engine

EXTRA_DIST += contrib/sim/README.md
