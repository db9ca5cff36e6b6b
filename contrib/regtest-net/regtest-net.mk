# contrib/regtest-net/regtest-net.mk: wallet-free P2WSH(OP_TRUE)
# transactions (chain/optrue), the regtest-net tool and its C helper.
libchain_a_SOURCES += chain/primitives/optrue.c chain/primitives/optrue.h

check_PROGRAMS += tests/unit/test_optrue
TESTS += tests/unit/test_optrue
tests_unit_test_optrue_SOURCES = tests/unit/test_optrue.c tests/unit/chain_testutil.h
tests_unit_test_optrue_LDADD = $(CHAIN_LIBS) $(CMOCKA_LIBS)

# The tool (Python 3 standard library) finds its helper in the build tree.
noinst_PROGRAMS += contrib/regtest-net/regtest-txgen
contrib_regtest_net_regtest_txgen_SOURCES = contrib/regtest-net/txgen.c
contrib_regtest_net_regtest_txgen_LDADD = $(CHAIN_LIBS)
EXTRA_DIST += contrib/regtest-net/regtest-net contrib/regtest-net/rnlib.py \
	contrib/regtest-net/rnmeasure.py contrib/regtest-net/rnreport.py \
	contrib/regtest-net/README.md contrib/regtest-net/measure-issue7.sh \
	contrib/regtest-net/soak contrib/regtest-net/rnrecon.py \
	contrib/regtest-net/rnwatch.py contrib/regtest-net/rnhtml.py \
	contrib/regtest-net/rssflat.py

# The tool driven on a small network (tests/functional/framework.py).
TESTS += tests/functional/regtest_net.py
EXTRA_DIST += tests/functional/regtest_net.py

# watch and report (the report test renders the page in headless Chromium).
TESTS += tests/functional/regtest_net_watch.py tests/functional/regtest_net_report.py
EXTRA_DIST += tests/functional/regtest_net_watch.py tests/functional/regtest_net_report.py

# The soak's memory verdict on known curves, and a 90-second soak of 4 nodes.
TESTS += tests/functional/regtest_net_soak.py
EXTRA_DIST += tests/functional/regtest_net_soak.py
