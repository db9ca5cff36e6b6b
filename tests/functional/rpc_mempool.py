#!/usr/bin/env python3
"""Mempool methods: getmempoolancestors and getmempooldescendants (txids
and verbose entries as getmempoolentry), savemempool."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8


def mature_coins(node, n):
    """Mines n + 100 blocks; the txids of the first n coinbases."""
    hashes = node.rpc("generatetoaddress", n + 100, tt.P2WSH_OP_TRUE_ADDR)
    return [node.rpc("getblock", h)["tx"][0] for h in hashes[:n]]


def chain_of(node, coin, length, value=50 * COIN):
    """A chain of length transactions from a coinbase: their txids."""
    txids, prev = [], coin
    for _ in range(length):
        prev = node.rpc("sendrawtransaction", tt.spend(prev, 0, value))
        value -= tt.FEE
        txids.append(prev)
    return txids


def test_relatives(t):
    node = t.add_node().start()
    coins = mature_coins(node, 2)
    a, b, c = chain_of(node, coins[0], 3)
    lone = chain_of(node, coins[1], 1)[0]
    fw.assert_equal(sorted(node.rpc("getmempoolancestors", c)), sorted([a, b]))
    fw.assert_equal(node.rpc("getmempoolancestors", a), [])
    fw.assert_equal(sorted(node.rpc("getmempooldescendants", a)), sorted([b, c]))
    fw.assert_equal(node.rpc("getmempooldescendants", c, False), [])
    fw.assert_equal(node.rpc("getmempooldescendants", lone), [])
    verbose = node.rpc("getmempoolancestors", c, True)
    fw.assert_equal(sorted(verbose), sorted([a, b]))
    for txid, entry in verbose.items():
        fw.assert_equal(entry, node.rpc("getmempoolentry", txid), f"entry of {txid}")
    fw.assert_equal(verbose[b]["depends"], [a])
    fw.assert_equal(verbose[a]["descendantcount"], 3)
    desc = node.rpc("getmempooldescendants", a, True)
    fw.assert_equal(desc[c]["ancestorcount"], 3)
    fw.assert_equal(desc[b]["spentby"], [c])
    fw.assert_raises_rpc_error(-5, "Transaction not in mempool", node.rpc,
                               "getmempoolancestors", "11" * 32)
    fw.assert_raises_rpc_error(-5, "Transaction not in mempool", node.rpc,
                               "getmempooldescendants", coins[0], True)
    fw.assert_raises_rpc_error(-8, "must be of length 64", node.rpc, "getmempoolancestors", "ab")
    fw.assert_raises_rpc_error(-3, None, node.rpc, "getmempooldescendants", a, "yes")
    fw.assert_equal(node.stop(), 0)


def test_savemempool(t):
    node = t.add_node().start("-persistmempool=0")
    coins = mature_coins(node, 1)
    txids = chain_of(node, coins[0], 2)
    path = os.path.join(node.chaindir, "mempool.dat")
    fw.assert_equal(node.rpc("savemempool"), {"filename": path})
    size = os.path.getsize(path)
    assert size > 4 + 4 + 8 + 32, "the dump holds the transactions"
    fw.assert_equal(node.stop(), 0)
    fw.assert_equal(os.path.getsize(path), size, "-persistmempool=0 leaves the saved file")
    node.start()  # loads what savemempool wrote
    fw.assert_equal(sorted(node.rpc("getrawmempool")), sorted(txids))
    os.chmod(node.chaindir, 0o500)  # the dump cannot be written
    try:
        if os.geteuid() != 0:
            fw.assert_raises_rpc_error(-1, "Unable to dump mempool to disk", node.rpc,
                                       "savemempool")
    finally:
        os.chmod(node.chaindir, 0o700)
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_relatives, test_savemempool])
