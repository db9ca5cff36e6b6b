# tests/functional/compat.mk: existing Bitcoin RPC client libraries against
# hearsayd, unchanged. rpc_npm_client.py runs the npm `bitcoin-core` client
# (pinned in npm/package.json and package-lock.json), installed on first use
# into tests/functional/npm-cache under the build directory; it is skipped
# when node and npm are missing or the npm registry cannot be reached.
TESTS += tests/functional/rpc_npm_client.py
EXTRA_DIST += tests/functional/rpc_npm_client.py \
	tests/functional/npm/bitcoin_core_client.js \
	tests/functional/npm/package.json \
	tests/functional/npm/package-lock.json

# A download cache: kept by `make clean`, removed by `make distclean`.
distclean-local: distclean-npm-cache
distclean-npm-cache:
	rm -rf tests/functional/npm-cache
.PHONY: distclean-npm-cache
