#!/usr/bin/env python3
"""The mempool subsystem of hearsayd: mempool.dat written at shutdown and
read at start-up (-persistmempool), a damaged file refused without stopping
the node, and its options' errors."""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import framework as fw  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402

EMPTY_DUMP_SIZE = 4 + 4 + 8 + 32  # magic, version, count, checksum


def dump_path(node):
    return os.path.join(node.chaindir, "mempool.dat")


def test_dump_at_shutdown(t):
    node = t.add_node()
    node.start()
    assert_in("Mempool: 0 transactions, limit 300 MB, minimum relay fee 1000 sat/kvB",
              node.debug_log())
    assert_equal(node.stop(), 0)
    with open(dump_path(node), "rb") as f:
        data = f.read()
    assert_equal(data[:4], b"HSMP", "magic")
    assert_equal(len(data), EMPTY_DUMP_SIZE, "size of an empty dump")
    assert not os.path.exists(dump_path(node) + ".new"), "temporary file left behind"
    # Read back at the next start.
    node.start()
    assert_in("mempool: loaded 0 transactions", node.debug_log())
    assert_equal(node.stop(), 0)


def test_no_persistence(t):
    node = t.add_node()
    node.start("-persistmempool=0")
    assert_equal(node.stop(), 0)
    assert not os.path.exists(dump_path(node)), "mempool.dat written with -persistmempool=0"


def test_damaged_dump_refused(t):
    node = t.add_node()
    os.makedirs(node.chaindir, exist_ok=True)
    with open(dump_path(node), "wb") as f:
        f.write(b"HSMP" + b"\x01\x00\x00\x00" + b"\x05" * 60)
    node.start()
    assert_in("Failed to load the mempool", node.debug_log())
    assert_in("checksum mismatch", node.debug_log())
    assert_equal(node.stop(), 0)
    with open(dump_path(node), "rb") as f:
        assert_equal(len(f.read()), EMPTY_DUMP_SIZE, "rewritten at shutdown")


def test_option_errors(t):
    node = t.add_node()
    rc, _, err = node.run("-minrelaytxfee=abc")
    assert rc != 0, "a bad -minrelaytxfee must stop the start-up"
    assert_in("Invalid amount for -minrelaytxfee=<amount>: 'abc'", err)
    rc, _, err = node.run("-maxmempool=4")
    assert rc != 0, "-maxmempool below 5 MB must be refused"
    assert_in("-maxmempool", err)
    node.start("-minrelaytxfee=0.00002", "-maxmempool=50")
    assert_in("limit 50 MB, minimum relay fee 2000 sat/kvB", node.debug_log())
    assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_dump_at_shutdown, test_no_persistence, test_damaged_dump_refused,
             test_option_errors])
