#!/usr/bin/env python3
"""Partition, competing chains, heal.

Four nodes in a line 0-1-2-3 share 105 blocks. Node 1 is restarted without
its link to node 2, which splits the network into A = {0, 1} and B = {2, 3}.
Each side confirms transactions on its own chain, one coin is spent
differently on each side (confirmed on both sides), another coin is spent
differently in each side's mempool (B's spend pays more), and B's chain is
the longer. When node 1 dials node 2 again every node must follow B's
chain; A's confirmed transactions return to the mempools unless B's chain
conflicts with them, and both double spends end the same way everywhere.

Also: equal-work halves (first seen kept until the next block), spends of
coins only the losing branch had (dropped on the reorg), and a node that
was down while the others reorganised (catch-up across a reorg)."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402

# Every mempool reconciles with a peer each second after the heal.
HEAL_ARGS = ["-antientropy=1"]


def restart(node, args):
    fw.assert_equal(node.stop(), 0, f"node{node.index} stop")
    node.start(*args)


def send(node, raw):
    return node.rpc("sendrawtransaction", raw)


def mempool(node):
    return set(node.rpc("getrawmempool"))


def test_partition_and_heal(t):
    edges = rl.line(4)
    nodes = rl.start_network(t, 4, edges)
    hashes = rl.mine(nodes[0], 105)  # coinbases of blocks 1..5 spendable
    rl.same_tip(nodes)
    coins = [rl.coinbase_of(nodes[0], h) for h in hashes[:6]]
    value = 50 * rl.COIN

    # Split: node 1 forgets its link to node 2 (node 1 is the dialer).
    cut = [a for a in nodes[1].relay_args if a != f"-addnode=127.0.0.1:{nodes[2].p2p_port}"]
    restart(nodes[1], cut)
    fw.wait_until(lambda: rl.handshakes(nodes[1]) >= 1, 30, what="node 1 back with node 0")
    side_a, side_b = nodes[:2], nodes[2:]

    # Side A: two confirmed spends (one of coin 0), then one in the mempool.
    a_spend0 = send(nodes[0], tt.spend(coins[0], 0, value))
    a_kept = send(nodes[1], tt.spend(coins[1], 0, value))
    rl.all_have(side_a, [a_spend0, a_kept])
    a_blocks = rl.mine(nodes[0], 2)
    rl.same_tip(side_a)
    a_mem = send(nodes[1], tt.spend(coins[3], 0, value))
    a_loser = send(nodes[0], tt.spend(coins[5], 0, value))
    a_child = send(nodes[0], tt.spend(a_kept, 0, value - tt.FEE))  # its parent confirmed on A
    rl.all_have(side_a, [a_mem, a_loser, a_child])

    # Side B: coin 0 spent otherwise (a different fee), coin 2, one block
    # more than A; then a mempool spend and a higher-fee rival of A's
    # mempool spend of coin 5.
    b_spend0 = send(nodes[2], tt.spend(coins[0], 0, value, fee=2000))
    b_conf = send(nodes[3], tt.spend(coins[2], 0, value))
    rl.all_have(side_b, [b_spend0, b_conf])
    rl.mine(nodes[3], 3)
    b_tip = rl.same_tip(side_b)
    b_mem = send(nodes[3], tt.spend(coins[4], 0, value))
    b_winner = send(nodes[2], tt.spend(coins[5], 0, value, fee=20000))
    rl.all_have(side_b, [b_mem, b_winner])

    # The partition held: A knows nothing of B's chain or mempool.
    fw.assert_equal(nodes[0].rpc("getblockcount"), 107, "A's height")
    fw.assert_equal(nodes[2].rpc("getblockcount"), 108, "B's height")
    fw.assert_equal(mempool(nodes[0]) & {b_mem, b_winner}, set(), "B's txs at A")
    fw.assert_raises_rpc_error(-5, None, nodes[1].rpc, "getblockheader", b_tip)

    # Heal: everyone follows B's chain, which has more work.
    for nd in nodes:
        nd.relay_args = nd.relay_args + HEAL_ARGS
    restart(nodes[1], nodes[1].relay_args)
    fw.assert_equal(rl.same_tip(nodes, timeout=45), b_tip, "tip after the heal")
    for nd in side_a:
        for h in a_blocks:
            fw.assert_equal(nd.rpc("getblockheader", h)["confirmations"], -1,
                            f"A's block {h[:16]} at node{nd.index}")
    confirmed = set()
    for height in (106, 107, 108):
        confirmed |= set(nodes[0].rpc("getblock", nodes[0].rpc("getblockhash", height))["tx"])
    fw.assert_equal({b_spend0, b_conf} <= confirmed, True, "B's spends confirmed")
    fw.assert_equal({a_spend0, a_kept} & confirmed, set(), "A's spends unconfirmed")

    # Mempools: A's unconflicted confirmed tx is back (with its child),
    # A's spend of coin 0 is gone (B confirmed another), B's rival of
    # coin 5 replaced A's.
    want = {a_kept, a_child, a_mem, b_mem, b_winner}

    def consistent():
        return all(mempool(nd) == want for nd in nodes)
    try:
        fw.wait_until(consistent, 45, interval=0.3, what="the same mempool everywhere")
    except fw.TestFailure:
        names = {a_spend0: "a_spend0", a_kept: "a_kept", a_mem: "a_mem", a_loser: "a_loser",
                 a_child: "a_child", b_spend0: "b_spend0", b_conf: "b_conf", b_mem: "b_mem",
                 b_winner: "b_winner"}
        for nd in nodes:
            print(f"  node{nd.index} mempool:", sorted(names.get(x, x) for x in mempool(nd)))
        raise
    for nd in nodes:  # the child of the returned tx hangs on it again
        fw.assert_equal(nd.rpc("getmempoolentry", a_child)["depends"], [a_kept],
                        f"a_child's parents at node{nd.index}")
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


def test_equal_work_heal(t):
    """Two halves that mined the same amount of work: on the heal each
    node keeps the tip it saw first and learns the other as a fork; the
    next block decides for both."""
    nodes = rl.start_network(t, 2, [])  # no link yet
    # Different payees: the same template in the same second would give
    # the same block.
    tips = [nd.rpc("generatetodescriptor", 1, desc)[0]
            for nd, desc in zip(nodes, (tt.P2WSH_OP_TRUE_DESC, "raw(51)"))]
    fw.assert_equal(tips[0] != tips[1], True, "two different blocks at height 1")
    nodes[1].relay_args += [f"-addnode=127.0.0.1:{nodes[0].p2p_port}"]
    restart(nodes[1], nodes[1].relay_args)
    rl.wait_links(nodes, [(1, 0)])

    def knows_other(i):
        return lambda: tips[1 - i] in {tip["hash"] for tip in nodes[i].rpc("getchaintips")}
    for i, nd in enumerate(nodes):
        fw.wait_until(knows_other(i), 30, what=f"node{i} learning the other branch")
        fw.assert_equal(nd.rpc("getbestblockhash"), tips[i], f"node{i} keeps its first tip")
    winner = rl.mine(nodes[1], 1)[0]
    fw.assert_equal(rl.same_tip(nodes), winner, "tip after the deciding block")
    fw.assert_equal(nodes[0].rpc("getblockheader", tips[0])["confirmations"], -1,
                    "node 0's first block, now off the chain")
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


def own_branch(node, count, tag, tip=None):
    """Mines count blocks on tip (default: node's tip) with coinbases
    marked `tag`, so that no other node's blocks share them; returns the
    coinbase txids."""
    tip = tip or node.rpc("getbestblockhash")
    header = node.rpc("getblockheader", tip)
    when, base = header["time"], header["height"]
    coinbases = []
    for height in range(base + 1, base + count + 1):
        when += 1
        tip, raw = tt.make_block(tip, height, when, extra=tag)
        # "inconclusive": stored, but not (yet) more work than the tip
        fw.assert_in(node.rpc("submitblock", raw), (None, "inconclusive"), f"block {height}")
        coinbases.append(node.rpc("getblock", tip)["tx"][0])
    return coinbases


def test_reorg_drops_lost_coins(t):
    """Spends of coins that exist only on the losing branch (its mature
    coinbases) leave the mempool with their descendants on the reorg."""
    nodes = rl.start_network(t, 2, [])
    coinbases = own_branch(nodes[1], 102, b"loser")
    lost = send(nodes[1], tt.spend(coinbases[0], 0, 50 * rl.COIN))
    child = send(nodes[1], tt.spend(lost, 0, 50 * rl.COIN - tt.FEE))
    lost2 = send(nodes[1], tt.spend(coinbases[1], 0, 50 * rl.COIN))
    win = rl.mine(nodes[0], 110)[-1]
    nodes[1].relay_args += [f"-addnode=127.0.0.1:{nodes[0].p2p_port}"]
    restart(nodes[1], nodes[1].relay_args)
    # The heal can already be done when RPC answers: the reload shows in the log.
    fw.assert_in("mempool: loaded 3 transactions", nodes[1].debug_log(), "node 1's mempool reloaded")
    fw.assert_equal(rl.same_tip(nodes), win, "tip after the heal")
    for nd in nodes:
        fw.wait_until(lambda: not mempool(nd), 20, what=f"node{nd.index}'s mempool empty")
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


def test_catch_up_across_reorg(t):
    """A node stopped with a transaction confirmed comes back after the
    others reorganised that block away: it follows the new chain, and the
    transaction is back in every mempool with the one sent while it was
    down."""
    nodes = rl.start_network(t, 3, rl.line(3))
    hashes = rl.mine(nodes[0], 102)
    # As Core's functional tests sync before relaying: a node still in
    # initial download asks for no transaction (its feefilter says so), and
    # a transaction it was not sent is not announced to it again.
    rl.same_tip(nodes)
    coins = [rl.coinbase_of(nodes[0], h) for h in hashes[:2]]
    unconfirmed = send(nodes[0], tt.spend(coins[0], 0, 50 * rl.COIN))
    rl.all_have(nodes, [unconfirmed])
    old = rl.mine(nodes[0], 1)[0]
    rl.same_tip(nodes)
    late = nodes[2]
    fw.assert_equal(late.stop(), 0, "node 2 stop")
    own_branch(nodes[0], 2, b"reorg", tip=hashes[-1])  # replaces block 103
    fresh = send(nodes[1], tt.spend(coins[1], 0, 50 * rl.COIN))
    tip = rl.same_tip(nodes[:2])
    rl.all_have(nodes[:2], [unconfirmed, fresh])
    late.start(*late.relay_args)
    fw.assert_equal(rl.same_tip(nodes, timeout=45), tip, "node 2 on the new chain")
    fw.assert_equal(late.rpc("getblockheader", old)["confirmations"], -1, "the old block")
    fw.wait_until(lambda: all(mempool(nd) == {unconfirmed, fresh} for nd in nodes), 45,
                  interval=0.3, what="both transactions in every mempool, nothing else")
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


if __name__ == "__main__":
    fw.main([test_partition_and_heal, test_equal_work_heal, test_reorg_drops_lost_coins,
             test_catch_up_across_reorg], timeout=240)
