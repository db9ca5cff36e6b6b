# contrib/bench/bench.mk: sources and tests of this area (filled in by its work).

# The chain: headers/s, blocks/s, MB/s and memory (chain/validation/validation.mk's area).
noinst_PROGRAMS += contrib/bench/bench_chain
contrib_bench_bench_chain_SOURCES = contrib/bench/bench_chain.c
contrib_bench_bench_chain_LDADD = $(CHAIN_LIBS)

# Script verification of a real block: ms/block and sig/s at -par=1/2, cold
# and with a filled signature cache, beside libsecp256k1's raw verify rate
# (chain/script/script.mk's area). The link wraps the library's verify and
# key-parsing functions to count, time and capture what the block checks.
noinst_PROGRAMS += contrib/bench/bench_verify
contrib_bench_bench_verify_SOURCES = contrib/bench/bench_verify.c $(BLOCKCOINS_TESTUTIL)
contrib_bench_bench_verify_LDADD = $(CHAIN_LIBS)
contrib_bench_bench_verify_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=secp256k1_ecdsa_verify \
	-Wl,--wrap=secp256k1_schnorrsig_verify -Wl,--wrap=secp256k1_ec_pubkey_parse

# Block files and the block index under 1-1.5 MB blocks, per GB: MB/s,
# write amplification, longest store call; then raw appends of the same bytes.
noinst_PROGRAMS += contrib/bench/bench_store
contrib_bench_bench_store_SOURCES = contrib/bench/bench_store.c
contrib_bench_bench_store_LDADD = $(CHAIN_LIBS)

# Fills a node's chain store with a generated chain of ~1 MB blocks for
# contrib/bench/bench_sync.py (two nodes, the second syncs from the first).
noinst_PROGRAMS += contrib/bench/bench_sync_fill
contrib_bench_bench_sync_fill_SOURCES = contrib/bench/bench_sync_fill.c
contrib_bench_bench_sync_fill_LDADD = $(CHAIN_LIBS)
EXTRA_DIST += contrib/bench/bench_sync.py
