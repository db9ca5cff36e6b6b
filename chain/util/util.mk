# chain/util/util.mk: the event loop's pause accounting and its test (the
# other chain/util files are listed in chain/primitives/primitives.mk).
libchain_a_SOURCES += chain/util/looplag.c chain/util/looplag.h

check_PROGRAMS += tests/unit/test_looplag
tests_unit_test_looplag_SOURCES = tests/unit/test_looplag.c
tests_unit_test_looplag_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_looplag
