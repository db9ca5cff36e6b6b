# tests/tests.mk: checks over the source tree itself.
TESTS += tests/check_layers.sh tests/check_fuzz_list.sh
EXTRA_DIST += tests/check_layers.sh tests/check_fuzz_list.sh
