# contrib/bench/bench.mk: sources and tests of this area (filled in by its work).

# The chain: headers/s, blocks/s, MB/s and memory (chain/validation/validation.mk's area).
noinst_PROGRAMS += contrib/bench/bench_chain
contrib_bench_bench_chain_SOURCES = contrib/bench/bench_chain.c
contrib_bench_bench_chain_LDADD = $(CHAIN_LIBS)
