# tests/functional/functional.mk: Python functional tests (standard library
# only). Each test_*.py starts its own hearsayd processes through
# framework.py, with temporary datadirs and free loopback ports.
TESTS += tests/functional/test_daemon.py
EXTRA_DIST += tests/functional/framework.py tests/functional/test_daemon.py
TESTS += tests/functional/install.py
EXTRA_DIST += tests/functional/install.py
TESTS += tests/functional/rest_interface.py
EXTRA_DIST += tests/functional/rest_interface.py
TESTS += tests/functional/rpc_bitcoinlib.py
EXTRA_DIST += tests/functional/rpc_bitcoinlib.py
TESTS += tests/functional/metrics.py
EXTRA_DIST += tests/functional/metrics.py
TESTS += tests/functional/zmq_notify.py
EXTRA_DIST += tests/functional/zmq_notify.py
TESTS += tests/functional/mempool_package_rbf.py
EXTRA_DIST += tests/functional/mempool_package_rbf.py
TESTS += tests/functional/mempool_truc.py
EXTRA_DIST += tests/functional/mempool_truc.py
TESTS += tests/functional/rpc_shutdown.py
EXTRA_DIST += tests/functional/rpc_shutdown.py
# Two nodes: one syncs a generated chain from the other (a small run of
# contrib/bench/bench_sync.py); the event loop's pause figures are exported.
TESTS += tests/functional/p2p_sync_looplag.py
EXTRA_DIST += tests/functional/p2p_sync_looplag.py
