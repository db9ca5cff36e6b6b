#!/usr/bin/env python3
"""kill -9 during block sync, then restart.

Node 0 mines a 400-block chain with transactions in it; node 2 holds its
first 200 blocks only. Node 1 starts empty and syncs from node 2 (headers
first, then blocks); it is SIGKILLed twice while at or below height 200,
however fast the download runs, since node 2 has nothing beyond. Restarted
on the same datadir and dialing node 0, it must catch up from where the
kills left it (always below node 0's tip) and finish with node 0's tip and
a consistent store: getblockchaininfo agrees with itself, every height's
block is there and linked to its parent, and the coins are right (spent
coins refused, unspent ones accepted). The same with a node SIGKILLed just
as it switches to a longer competing branch."""

import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402

HEIGHT = 400
PARTIAL = 200  # what node 2 serves
SPENT = 10  # coinbases of blocks 1..SPENT are spent inside the chain


def build_chain(node, height=HEIGHT, first=None):
    """Mines a chain of `height` blocks (the first paying to descriptor
    `first`, when given, so that it forks from any other node's at
    genesis); returns every block hash by height (index 0: genesis)."""
    hashes = [node.rpc("generatetodescriptor", 1, first)[0]] if first else []
    hashes += rl.mine(node, 110 - len(hashes))
    for raw in rl.spend_coinbases(node, hashes[1 if first else 0:SPENT]):
        node.rpc("sendrawtransaction", raw)
    hashes += rl.mine(node, height - 110)
    fw.assert_equal(node.rpc("getrawmempool"), [], "all spends mined")
    return [node.rpc("getblockhash", 0)] + hashes


def kill_mid_sync(node, source, at):
    """Starts node dialing source, SIGKILLs it once it has `at` blocks;
    returns the height it had reached (by RPC, just before)."""
    node.start(*rl.FAST, f"-addnode=127.0.0.1:{source.p2p_port}")
    seen = []

    def enough_blocks():
        seen.append(node.rpc("getblockcount"))
        return seen[-1] >= at
    fw.wait_until(enough_blocks, 30, interval=0.01, what=f"node 1 at height {at}")
    node.send_signal(signal.SIGKILL)
    fw.assert_equal(node.process.wait(10), -signal.SIGKILL, "killed by SIGKILL")
    return seen[-1]


def check_store(node, hashes, source):
    height = len(hashes) - 1
    info = node.rpc("getblockchaininfo")
    fw.assert_equal((info["blocks"], info["headers"], info["bestblockhash"]),
                    (height, height, hashes[-1]), "getblockchaininfo")
    fw.assert_equal(info["chainwork"], source.rpc("getblockchaininfo")["chainwork"], "chainwork")
    for h, want in enumerate(hashes):
        fw.assert_equal(node.rpc("getblockhash", h), want, f"hash at {h}")
        b = node.rpc("getblock", want)
        fw.assert_equal((b["height"], b["confirmations"]), (h, height - h + 1), f"block {h}")
        if h:
            fw.assert_equal(b["previousblockhash"], hashes[h - 1], f"parent of {h}")
    # The coins: the first SPENT coinbases are spent, the next one is not.
    spent = tt.spend(rl.coinbase_of(node, hashes[1]), 0, 50 * rl.COIN)
    fresh = tt.spend(rl.coinbase_of(node, hashes[SPENT + 1]), 0, 50 * rl.COIN)
    res = node.rpc("testmempoolaccept", [spent])[0]
    fw.assert_equal(res["allowed"], False, "a coin spent in the chain")
    fw.assert_equal(node.rpc("testmempoolaccept", [fresh])[0]["allowed"], True, "an unspent coin")


def partial_source(t, source, hashes):
    """A node holding the first PARTIAL blocks of source's chain."""
    part = t.add_node()
    part.start(*rl.FAST)
    for h in hashes[1:PARTIAL + 1]:
        fw.assert_equal(part.rpc("submitblock", source.rpc("getblock", h, 0)), None, "submitblock")
    fw.assert_equal(part.rpc("getbestblockhash"), hashes[PARTIAL], "node 2's tip")
    return part


def test_kill_during_sync(t):
    source, node = t.add_node(), t.add_node()
    source.start(*rl.FAST)
    hashes = build_chain(source)
    part = partial_source(t, source, hashes)
    # Killed twice: early in the download, then again at or before the end
    # of what node 2 has.
    for at in (20, PARTIAL // 2):
        start = time.monotonic()
        reached = kill_mid_sync(node, part, at)
        print(f"  killed at height >= {reached}, {time.monotonic() - start:.2f} s after start")
    fw.assert_equal(part.stop(), 0, "node 2 stop")
    # Back alone first: where the kills left it, a prefix of the chain.
    node.start(*rl.FAST)
    restarted = node.rpc("getblockcount")
    print(f"  restarted at height {restarted}")
    if restarted > PARTIAL:
        raise fw.TestFailure(f"restarted at {restarted}, beyond anything node 2 served")
    fw.assert_equal(node.rpc("getbestblockhash"), hashes[restarted], "the tip after the kills")
    fw.assert_equal(node.stop(), 0, "node 1 stop")
    # Then the catch-up from node 0: at least HEIGHT - PARTIAL blocks.
    node.start(*rl.FAST, f"-addnode=127.0.0.1:{source.p2p_port}")
    fw.wait_until(lambda: node.rpc("getbestblockhash") == hashes[-1], 45, interval=0.2,
                  what="node 1 on node 0's tip after the restart")
    check_store(node, hashes, source)
    # The store survives a clean restart too, without any peer.
    fw.assert_equal(node.stop(), 0, "node 1 stop")
    node.start(*rl.FAST)
    check_store(node, hashes, source)
    fw.assert_equal(node.stop(), 0, "node 1 stop")
    fw.assert_equal(source.stop(), 0, "node 0 stop")


def test_kill_during_reorg(t):
    """Node 1 has its own 150-block chain; node 0 a 250-block one from
    genesis. Node 1 dials node 0, is SIGKILLed as it switches branches,
    then must come back on a consistent chain and end on node 0's, with
    its own branch's coins gone."""
    source, node = t.add_node(), t.add_node()
    source.start(*rl.FAST)
    node.start(*rl.FAST)
    mine_hashes = build_chain(node, 150, first="raw(51)")
    # Only block 1 differs from node 0's chain at each height: the same
    # coinbases and spends recur on both branches. Its coinbase (to bare
    # OP_TRUE) is the one coin that must disappear with the branch.
    cb = rl.coinbase_of(node, mine_hashes[1])
    gone = tt.ser_tx(2, [(cb, 0, b"", 0xFFFFFFFD)], [(50 * rl.COIN - tt.FEE, tt.P2WSH_OP_TRUE)])

    def reason():
        res = node.rpc("testmempoolaccept", [gone.hex()])[0]
        return "accepted" if res["allowed"] else res["reject-reason"]
    fw.assert_equal(reason() != "missing-inputs", True, "the coin on node 1's own branch")
    fw.assert_equal(node.stop(), 0, "node 1 stop")
    hashes = build_chain(source, 250)
    node.start(*rl.FAST, f"-addnode=127.0.0.1:{source.p2p_port}")
    own = set(mine_hashes)
    fw.wait_until(lambda: node.rpc("getbestblockhash") not in own, 30, interval=0.01,
                  what="node 1 leaving its own branch")
    node.send_signal(signal.SIGKILL)
    node.process.wait(10)
    # Alone, it comes back on one consistent chain, one of the two
    # branches: every height's block is the one its successor names.
    node.start(*rl.FAST)
    tip = node.rpc("getblockcount")
    print(f"  restarted alone at height {tip}")
    back = [node.rpc("getblockhash", h) for h in range(tip + 1)]
    for h in range(1, tip + 1):
        fw.assert_equal(node.rpc("getblock", back[h])["previousblockhash"], back[h - 1],
                        f"parent of {h} after the kill")
    fw.assert_equal(back in (hashes[:tip + 1], mine_hashes[:tip + 1]), True,
                    "the chain after the kill is one of the two branches")
    fw.assert_equal(node.stop(), 0, "node 1 stop")
    node.start(*rl.FAST, f"-addnode=127.0.0.1:{source.p2p_port}")
    fw.wait_until(lambda: node.rpc("getbestblockhash") == hashes[-1], 45, interval=0.2,
                  what="node 1 on node 0's tip")
    check_store(node, hashes, source)
    fw.assert_equal(reason(), "missing-inputs", "the coin of the abandoned branch")
    fw.assert_equal(node.stop(), 0, "node 1 stop")
    fw.assert_equal(source.stop(), 0, "node 0 stop")


if __name__ == "__main__":
    fw.main([test_kill_during_sync, test_kill_during_reorg], timeout=200)
