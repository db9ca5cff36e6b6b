# node/rpc/rpc.mk: the JSON-RPC server, its method registry, control methods,
# hearsay-cli, their tests and benchmark.
libnode_a_SOURCES += \
	node/rpc/rpc.c node/rpc/rpc.h node/rpc/rpc_internal.h \
	node/rpc/rpc_numtext.c node/rpc/rpc_numtext.h \
	node/rpc/rpc_json.c \
	node/rpc/rpc_auth.c node/rpc/rpc_auth.h \
	node/rpc/rpc_server.c node/rpc/rpc_server.h \
	node/rpc/rest.c node/rpc/rest.h \
	node/rpc/metrics.c node/rpc/metrics.h \
	node/rpc/rpc_control.c \
	node/rpc/rpc_glue.c node/rpc/rpc_glue.h \
	node/cli/cli_format.c node/cli/cli_format.h

bin_PROGRAMS += hearsay-cli
hearsay_cli_SOURCES = node/cli/cli.c
hearsay_cli_LDADD = $(HS_LIBS)

check_PROGRAMS += tests/unit/test_rpc
tests_unit_test_rpc_SOURCES = tests/unit/test_rpc.c
tests_unit_test_rpc_LDADD = $(HS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_rpc

check_PROGRAMS += tests/unit/test_rpc_server
tests_unit_test_rpc_server_SOURCES = tests/unit/test_rpc_server.c
tests_unit_test_rpc_server_LDADD = $(HS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test_rpc_server

# Benchmark: requests per second with concurrent keep-alive clients.
noinst_PROGRAMS += contrib/bench/bench_rpc
contrib_bench_bench_rpc_SOURCES = contrib/bench/bench_rpc.c
contrib_bench_bench_rpc_LDADD = $(HS_LIBS)

# Functional tests: hearsayd driven through JSON-RPC and hearsay-cli.
TESTS += tests/functional/rpc_interface.py tests/functional/rpc_cli.py
EXTRA_DIST += tests/functional/rpc_interface.py tests/functional/rpc_cli.py

# Fuzz harness: request bodies, the cli's layout, Authorization headers.
check_PROGRAMS += tests/fuzz/fuzz_rpc
FUZZ_HARNESSES += tests/fuzz/fuzz_rpc
tests_fuzz_fuzz_rpc_SOURCES = tests/fuzz/fuzz_rpc.c tests/fuzz/driver.c
tests_fuzz_fuzz_rpc_LDADD = $(HS_LIBS)
TESTS += tests/fuzz/fuzz_rpc
EXTRA_DIST += tests/fuzz/seeds/rpc
