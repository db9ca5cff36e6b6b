# node/daemon.mk: the daemon skeleton (config, start-up/shutdown, hearsayd).
libnode_a_SOURCES += \
	node/config.c node/config.h \
	node/options.c \
	node/init.c node/init.h node/node.h \
	node/chain_glue.c node/chain_glue.h \
	node/prune_glue.c node/prune_glue.h \
	node/zmqpub.c node/zmqpub.h \
	node/feeest_glue.c node/feeest_glue.h \
	node/util.c node/util.h \
	node/looplag_glue.c node/looplag_glue.h

bin_PROGRAMS += hearsayd
hearsayd_SOURCES = node/main.c
hearsayd_LDADD = $(HS_LIBS)

# The config tests bring their own option tables, so they link config.c
# directly instead of libnode.a (whose options.c lists the daemon's).
check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c node/config.c node/util.c
tests_unit_test_config_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_config

check_PROGRAMS += tests/fuzz/fuzz_config
FUZZ_HARNESSES += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/driver.c node/config.c node/util.c
tests_fuzz_fuzz_config_LDADD = $(CHAIN_LIBS)
TESTS += tests/fuzz/fuzz_config
EXTRA_DIST += tests/fuzz/seeds/config/sections.conf tests/fuzz/seeds/config/errors.conf \
	tests/fuzz/seeds/config/values.conf
