#!/usr/bin/env python3
"""The mempool subsystem of hearsayd: mempool.dat written at shutdown and
read at start-up (-persistmempool), a mempool of unconfirmed chains
surviving the restart with its entries' times and fees, a damaged file
refused without stopping the node, and its options' errors."""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402
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


def test_round_trip(t):
    """Three coinbase spends, one with a child and a grandchild: five
    entries come back after a restart, with the same fees and times."""
    node = t.add_node()
    node.start()
    hashes = rl.mine(node, 103)
    raws = rl.spend_coinbases(node, hashes[:3])
    txids = [node.rpc("sendrawtransaction", raw) for raw in raws]
    value = 50 * rl.COIN - tt.FEE
    for _ in range(2):  # a chain on the first spend
        raw = tt.spend(txids[-3] if len(txids) == 3 else txids[-1], 0, value)
        value -= tt.FEE
        txids.append(node.rpc("sendrawtransaction", raw))
    before = node.rpc("getrawmempool", True)
    assert_equal(sorted(before), sorted(txids), "the mempool before the stop")
    assert_equal(node.stop(), 0)
    node.start()
    assert_in(f"mempool: loaded {len(txids)} transactions", node.debug_log())
    after = node.rpc("getrawmempool", True)
    assert_equal(sorted(after), sorted(txids), "the mempool after the restart")
    for txid in txids:
        for key in ("time", "vsize", "fees", "depends"):
            got, want = after[txid][key], before[txid][key]
            if key == "depends":
                got, want = sorted(got), sorted(want)
            assert_equal(got, want, f"{key} of {txid}")
    assert_equal(node.stop(), 0)
    with open(dump_path(node), "rb") as f:
        assert len(f.read()) > EMPTY_DUMP_SIZE, "the dump holds the transactions"


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
    fw.main([test_dump_at_shutdown, test_round_trip, test_no_persistence, test_damaged_dump_refused,
             test_option_errors])
