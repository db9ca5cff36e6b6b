#!/usr/bin/env python3
"""Rumors plus anti-entropy: on a random 8-regular graph of 20 nodes, with
each rumor pushed to only 2 peers per round and dropped by a coin flip
(-fanout=2 -gossipstop=coin:2), mempool reconciliation every 5 s
(-antientropy=5) still delivers every transaction and block to every
node."""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402

NTX = 20


def test_sparse_gossip_complete(t):
    edges = rl.random_regular(20, 8, seed=8)
    nodes = rl.start_network(t, 20, edges, "-fanout=2", "-gossipstop=coin:2",
                             "-antientropy=5")
    hashes = rl.mine(nodes[0], 100 + NTX)
    rl.same_tip(nodes, timeout=60)
    raws = rl.spend_coinbases(nodes[0], hashes[:NTX])
    start = time.monotonic()
    txids = [nodes[(7 * i) % 20].rpc("sendrawtransaction", raw) for i, raw in enumerate(raws)]
    rl.all_have(nodes, txids, timeout=60)
    took = time.monotonic() - start
    print(f"{NTX} transactions in all 20 mempools after {took:.1f} s")
    rl.mine(nodes[5], 1)
    rl.same_tip(nodes, timeout=60)
    for i, nd in enumerate(nodes):
        fw.assert_equal(nd.rpc("getrawmempool"), [], f"node{i}'s mempool after the block")


if __name__ == "__main__":
    fw.main([test_sparse_gossip_complete], timeout=180)
