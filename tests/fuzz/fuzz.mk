# Fuzz harnesses: each defines LLVMFuzzerTestOneInput and links with
# tests/fuzz/driver.c, so `make check` runs it over its seeds plus bounded
# mutations. Areas add their harnesses in their own .mk fragment:
#   check_PROGRAMS += tests/fuzz/fuzz_NAME
#   tests_fuzz_fuzz_NAME_SOURCES = tests/fuzz/fuzz_NAME.c tests/fuzz/driver.c
#   tests_fuzz_fuzz_NAME_LDADD = $(NET_LIBS)   (or $(CHAIN_LIBS))
#   TESTS += tests/fuzz/fuzz_NAME
# Seeds live in tests/fuzz/seeds/NAME/ and are passed by tests/fuzz/run.
