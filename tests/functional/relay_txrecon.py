#!/usr/bin/env python3
"""Erlay (BIP330 reconciliation, -txreconciliation=1) on a random 8-regular
graph of 30 nodes without anti-entropy: 500 transactions submitted at
random nodes reach every node (zero residue) with zero duplicate payloads.
One node runs without -txreconciliation, like a Bitcoin Core peer: it
sends no sendtxrcncl and still gets every transaction by inv. Inbound
reconciling peers get (almost) no inv: their share goes by reconciliation."""

import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402

N = 30
NTX = 500
PLAIN = N - 1  # the node without reconciliation


def start(t):
    edges = rl.random_regular(N, 8, seed=13)
    nodes = [t.add_node() for _ in range(N)]
    for i, node in enumerate(nodes):
        recon = ["-txreconciliation=0"] if i == PLAIN else ["-txreconciliation=1"]
        node.relay_args = rl.FAST + rl.dial_args(nodes, edges, i) + recon
        node.start(*node.relay_args)
    rl.wait_links(nodes, edges)
    return nodes, edges


def report(nodes, txids):
    """Who lacks what, and the reconciliation counters (for failures)."""
    want = set(txids)
    for i, nd in enumerate(nodes):
        info = nd.rpc("getgossipinfo")
        peers = nd.rpc("getpeerinfo")
        print(f"node{i}: lacks {len(want - set(nd.rpc('getrawmempool')))}, "
              f"peers {len(peers)} ({sum(1 for p in peers if not p['inbound'])} out), "
              f"recon {info.get('txreconciliation')}")


def have_all(nodes, txids, timeout):
    try:
        rl.all_have(nodes, txids, timeout=timeout)
    except fw.TestFailure:
        report(nodes, txids)
        raise


def coins(nodes):
    """NTX confirmed outputs, (txid, vout, value): mature coinbases split
    100 ways each, mined."""
    splits = NTX // 100
    hashes = rl.mine(nodes[0], 100 + splits)
    rl.same_tip(nodes, timeout=60)  # else the spends are premature elsewhere
    out, txids = [], []
    for h in hashes[:splits]:
        raw, txid, each = rl.fan_out(rl.coinbase_of(nodes[0], h), 0, 50 * rl.COIN, 100)
        nodes[0].rpc("sendrawtransaction", raw)
        txids.append(txid)
        out += [(txid, k, each) for k in range(100)]
    have_all(nodes, txids, 60)
    rl.mine(nodes[0], 1)
    rl.same_tip(nodes, timeout=60)
    return out


def test_erlay_network(t):
    nodes, edges = start(t)
    outs = coins(nodes)
    rng = random.Random(5)
    start_t = time.monotonic()
    txids = [nodes[rng.randrange(N)].rpc("sendrawtransaction", tt.spend(*o)) for o in outs]
    have_all(nodes, txids, 120)
    print(f"{NTX} transactions in all {N} mempools after {time.monotonic() - start_t:.1f} s")
    dups, rounds, diffs = 0, 0, 0
    for i, nd in enumerate(nodes):
        info = nd.rpc("getgossipinfo")
        dups += info["summary"]["dup_payloads"]
        if i == PLAIN:
            fw.assert_equal("txreconciliation" in info, False, "the plain node reconciles")
            continue
        rounds += info["txreconciliation"]["rounds"]
        diffs += info["txreconciliation"]["differences"]
    fw.assert_equal(dups, 0, "duplicate payloads in the network")
    fw.assert_equal(rounds > 0 and diffs > 0, True, f"reconciliations ran ({rounds} rounds)")
    # Per peer: the links between reconciling nodes carry the counters,
    # the plain node's links do not.
    plain_peers = nodes[PLAIN].rpc("getpeerinfo")
    fw.assert_equal(any("txreconciliation" in p["gossip"] for p in plain_peers), False,
                    "reconciliation with the plain node")
    recon_links = sum(1 for p in nodes[0].rpc("getpeerinfo")
                      if "txreconciliation" in p["gossip"])
    fw.assert_equal(recon_links > 0, True, "node0 reconciles with its peers")
    # What Erlay saves: a reconciling node floods (inv) at most -fanout of
    # its outbound reconciling peers; its inbound ones hear of transactions
    # only through reconciliation, where flooding sends them about as
    # many invs as the outbound ones get.
    flood_in = flood_out = 0
    for i, nd in enumerate(nodes):
        for p in nd.rpc("getpeerinfo"):
            if i == PLAIN or "txreconciliation" not in p["gossip"]:
                continue
            if p["inbound"]:
                flood_in += p["gossip"]["inv_sent"]
            else:
                flood_out += p["gossip"]["inv_sent"]
    print(f"tx inv entries to reconciling peers: {flood_out} outbound, {flood_in} inbound")
    fw.assert_equal(flood_out > NTX, True, "flooding to outbound reconciling peers")
    fw.assert_equal(flood_in * 20 < flood_out, True,
                    f"inbound reconciling peers flooded ({flood_in} inv entries)")
    print(f"{rounds} reconciliation rounds, {diffs} differences decoded")


if __name__ == "__main__":
    fw.main([test_erlay_network], timeout=300)
