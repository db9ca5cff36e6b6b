# Fuzz harnesses: each defines LLVMFuzzerTestOneInput and links with
# tests/fuzz/driver.c, so `make check` runs it over its seeds plus bounded
# mutations. Areas add their harnesses in their own .mk fragment:
#   check_PROGRAMS += tests/fuzz/fuzz_NAME
#   FUZZ_HARNESSES += tests/fuzz/fuzz_NAME
#   tests_fuzz_fuzz_NAME_SOURCES = tests/fuzz/fuzz_NAME.c tests/fuzz/driver.c
#   tests_fuzz_fuzz_NAME_LDADD = $(NET_LIBS)   (or $(CHAIN_LIBS))
#   TESTS += tests/fuzz/fuzz_NAME
# The driver feeds every file of tests/fuzz/seeds/NAME/ (hand-made seeds)
# and tests/fuzz/corpus/NAME/ (the minimized corpus of the libFuzzer
# campaigns, crash regressions included), then mutations of them.
#
# libFuzzer: configure CC=clang --enable-fuzz in a separate build
# directory, then `make fuzz` builds every harness with
# -fsanitize=fuzzer,address,undefined (driver.c compiles to nothing);
# contrib/fuzz/run does both and runs a campaign.
fuzz: $(FUZZ_HARNESSES)
.PHONY: fuzz
EXTRA_DIST += contrib/fuzz/run tests/fuzz/corpus
