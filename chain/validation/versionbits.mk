# chain/validation/versionbits.mk: BIP9 deployment states, with their test.
libchain_a_SOURCES += chain/validation/versionbits.c chain/validation/versionbits.h

check_PROGRAMS += tests/unit/test_versionbits
TESTS += tests/unit/test_versionbits
tests_unit_test_versionbits_SOURCES = tests/unit/test_versionbits.c
tests_unit_test_versionbits_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)

# Regtest activation of testdummy through getdeploymentinfo and getblocktemplate.
TESTS += tests/functional/rpc_versionbits.py
EXTRA_DIST += tests/functional/rpc_versionbits.py
