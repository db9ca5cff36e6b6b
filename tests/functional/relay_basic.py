#!/usr/bin/env python3
"""Gossip relay between real hearsayd processes on loopback: blocks mined at
one node become every node's tip (headers-first sync), transactions given
to one node reach every mempool, over a line of 3 and over 10 nodes in a
line, a ring and a random 4-regular graph; with honest peers no node
downloads the same transaction payload twice."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402


def spread(t, nodes, ntx):
    """Mines 100 + ntx blocks at node 0, then sends one transaction per
    mature coinbase at nodes taken in turn, then mines them at the last
    node: checks tips, mempools and duplicates at each step."""
    hashes = rl.mine(nodes[0], 100 + ntx)
    rl.same_tip(nodes)
    raws = rl.spend_coinbases(nodes[0], hashes[:ntx])
    txids = [nodes[i % len(nodes)].rpc("sendrawtransaction", raw) for i, raw in enumerate(raws)]
    rl.all_have(nodes, txids)
    rl.mine(nodes[-1], 1)
    tip = rl.same_tip(nodes)
    fw.assert_equal(nodes[0].rpc("getblock", tip)["nTx"], ntx + 1, "the block confirms them")
    for i, nd in enumerate(nodes):
        fw.assert_equal(nd.rpc("getrawmempool"), [], f"node{i}'s mempool after the block")
        fw.assert_equal(rl.duplicate_payloads(nd), 0, f"node{i} duplicate tx payloads")


def test_line_of_three(t):
    nodes = rl.start_network(t, 3, rl.line(3), "-debug=relay")
    spread(t, nodes, 3)


def test_line_of_ten(t):
    nodes = rl.start_network(t, 10, rl.line(10), "-debug=relay")
    spread(t, nodes, 5)


def test_ring_of_ten(t):
    nodes = rl.start_network(t, 10, rl.ring(10), "-debug=relay")
    spread(t, nodes, 5)


def test_random_4_regular(t):
    nodes = rl.start_network(t, 10, rl.random_regular(10, 4, seed=5), "-debug=relay")
    spread(t, nodes, 5)


def test_mocktime_reaches_relayed_entries(t):
    """A transaction that arrives by relay enters the mempool at the node's
    clock, which setmocktime moves (as Bitcoin Core's GetTime)."""
    nodes = rl.start_network(t, 2, rl.line(2))
    hashes = rl.mine(nodes[0], 101)
    rl.same_tip(nodes)
    mock = nodes[1].rpc("getblock", hashes[-1])["time"] + 100000  # a day ahead
    nodes[1].rpc("setmocktime", mock)
    txid = nodes[0].rpc("sendrawtransaction", rl.spend_coinbases(nodes[0], hashes[:1])[0])
    # The mock clock stands still: step it so that node 1's timers run.
    step = [mock]

    def arrived():
        step[0] += 1
        nodes[1].rpc("setmocktime", step[0])
        return txid in nodes[1].rpc("getrawmempool")
    fw.wait_until(arrived, 30, interval=0.2, what="the transaction at node 1")
    got = nodes[1].rpc("getmempoolentry", txid)["time"]
    if not mock <= got <= step[0]:
        raise fw.TestFailure(f"entry time {got} outside the mock clock's {mock}..{step[0]}")


if __name__ == "__main__":
    fw.main([test_line_of_three, test_line_of_ten, test_ring_of_ten, test_random_4_regular,
             test_mocktime_reaches_relayed_entries],
            timeout=400)
