#!/usr/bin/env python3
"""Catch-up (anti-entropy on restart): a node stopped while 50 blocks and
200 transactions pass, then restarted, ends with the same tip and the same
mempool as the others (headers-first sync, then BIP35 mempool requests)."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402

NTX = 200


def test_restart_catches_up(t):
    edges = rl.ring(3) + [(3, 0), (3, 2)]
    nodes = rl.start_network(t, 4, edges)
    hashes = rl.mine(nodes[0], 101)
    # 200 coins to spend later: one coinbase split in 200, confirmed.
    raw, split, each = rl.fan_out(rl.coinbase_of(nodes[0], hashes[0]), 0, 50 * rl.COIN, NTX)
    nodes[0].rpc("sendrawtransaction", raw)
    rl.mine(nodes[0], 1)
    rl.same_tip(nodes)
    late = nodes[3]
    fw.assert_equal(late.stop(), 0)
    rl.mine(nodes[1], 50)
    txids = [nodes[i % 3].rpc("sendrawtransaction", tt.spend(split, i, each))
             for i in range(NTX)]
    rl.all_have(nodes[:3], txids)
    late.start(*late.relay_args)
    tip = rl.same_tip(nodes, timeout=45)
    fw.assert_equal(late.rpc("getblockcount"), 152)
    fw.assert_equal(late.rpc("getbestblockhash"), tip)
    rl.all_have([late], txids, timeout=45)
    fw.assert_equal(sorted(late.rpc("getrawmempool")), sorted(nodes[0].rpc("getrawmempool")))


if __name__ == "__main__":
    fw.main([test_restart_catches_up], timeout=120)
