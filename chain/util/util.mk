# chain/util/util.mk: the event loop's pause accounting, the background worker
# and their tests (the other chain/util files are in chain/primitives/primitives.mk).
libchain_a_SOURCES += chain/util/looplag.c chain/util/looplag.h

check_PROGRAMS += tests/unit/test_looplag
tests_unit_test_looplag_SOURCES = tests/unit/test_looplag.c
tests_unit_test_looplag_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_looplag

# A background thread with a handoff queue (the UTXO cache's writer).
libchain_a_SOURCES += chain/util/worker.c chain/util/worker.h

check_PROGRAMS += tests/unit/test_worker
tests_unit_test_worker_SOURCES = tests/unit/test_worker.c
tests_unit_test_worker_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_worker

# Core's ParseFixedPoint, for RPC amounts.
libchain_a_SOURCES += chain/util/fixedpoint.c chain/util/fixedpoint.h

check_PROGRAMS += tests/unit/test_fixedpoint
tests_unit_test_fixedpoint_SOURCES = tests/unit/test_fixedpoint.c
tests_unit_test_fixedpoint_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_fixedpoint

check_PROGRAMS += tests/unit/test_xmalloc
tests_unit_test_xmalloc_SOURCES = tests/unit/test_xmalloc.c
tests_unit_test_xmalloc_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_xmalloc
