#!/usr/bin/env python3
"""Package RBF through submitpackage, after Bitcoin Core v28's
mempool_package_rbf.py: a parent and its child replacing a lone
transaction and a two-transaction cluster (replaced-transactions listed,
the evicted gone from getrawmempool, ZMQ sequence removals, the
replacement relayed to a second node); refused with Core's messages: a
conflict in a cluster of three, too little fee, a diagram not improved,
two parents; a parent good enough alone replaces alone."""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402

fw.require_system_module("zmq", "python3-zmq")

import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402
import zmq_notify as zn  # noqa: E402

COIN = 10**8
FEE = 10000  # Core's DEFAULT_FEE in the test: 0.0001 BTC


class Coins:
    """Mature 50 BTC coinbases, and transactions spending them with
    distinct sequences (so two spends paying alike still differ)."""

    def __init__(self, node, n):
        hashes = rl.mine(node, n + 100)
        self.coins = [(rl.coinbase_of(node, h), 0, 50 * COIN) for h in hashes[:n]]
        self.seq = 0xFFFFFFFD

    def pop(self):
        return self.coins.pop(0)

    def tx(self, inputs, fee):
        """inputs: [(txid, vout, value)]: (raw hex, txid, output) of a
        transaction paying fee, with one P2WSH(OP_TRUE) output."""
        self.seq -= 1
        vin = [(t, n, b"", self.seq) for t, n, _ in inputs]
        value = sum(v for _, _, v in inputs) - fee
        out = [(value, tt.P2WSH_OP_TRUE)]
        raw = tt.ser_tx(2, vin, out, witness=[[tt.OP_TRUE]] * len(vin)).hex()
        txid = tt.txid_of(tt.ser_tx(2, vin, out))
        return raw, txid, (txid, 0, value)

    def package(self, coin, parent_fee, child_fee):
        """A parent spending coin and its child: ([hex], [txid])."""
        p_hex, p_txid, p_out = self.tx([coin], parent_fee)
        c_hex, c_txid, _ = self.tx([p_out], child_fee)
        return [p_hex, c_hex], [p_txid, c_txid]


def assert_mempool(node, expected=(), unexpected=()):
    pool = set(node.rpc("getrawmempool"))
    for txid in expected:
        fw.assert_equal(txid in pool, True, f"{txid} in the mempool")
    for txid in unexpected:
        fw.assert_equal(txid in pool, False, f"{txid} not in the mempool")


def money(sats):
    """Core's FormatMoney: 8 decimals, trailing zeros cut down to two."""
    s = f"{sats // COIN}.{sats % COIN:08d}"
    while s.endswith("0") and s[-3] != ".":
        s = s[:-1]
    return s


def vsize_of(node, raw):
    return node.rpc("decoderawtransaction", raw)["vsize"]


def test_replace_and_relay(t):
    """Core's test_package_rbf_basic, with a second node and ZMQ."""
    nodes = [t.add_node(), t.add_node()]
    addr = f"tcp://127.0.0.1:{fw.free_port()}"
    nodes[0].start(*rl.FAST, f"-zmqpubsequence={addr}")
    nodes[1].start(*rl.FAST, *rl.dial_args(nodes, [(1, 0)], 1))
    rl.wait_links(nodes, [(0, 1)])
    node = nodes[0]
    coins = Coins(node, 2)
    rl.same_tip(nodes)

    # A lone transaction replaced by a zero-fee parent and its child.
    coin = coins.pop()
    old_hex, old_txid, _ = coins.tx([coin], FEE)
    node.rpc("sendrawtransaction", old_hex)
    rl.all_have(nodes, [old_txid])
    hexes, txids = coins.package(coin, 0, 5 * FEE)
    r = node.rpc("submitpackage", hexes)
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(r["replaced-transactions"], [old_txid])
    assert_mempool(node, txids, [old_txid])
    rate = 5 * FEE * 1000 // sum(vsize_of(node, h) for h in hexes)
    for res in r["tx-results"].values():
        fw.assert_equal(res["fees"]["effective-feerate"], rate / 1e8)
    rl.mine(node, 1)
    rl.same_tip(nodes)

    # A parent and child (the parent paying nothing, so the second node
    # never takes them: no package relay) replaced by a package whose
    # parent relays alone once its conflicts are gone.
    coin = coins.pop()
    hexes1, txids1 = coins.package(coin, 0, FEE)
    fw.assert_equal(node.rpc("submitpackage", hexes1)["package_msg"], "success")
    sub = zn.Subscriber(addr)
    time.sleep(0.5)  # ZMQ's slow joiner
    hexes2, txids2 = coins.package(coin, FEE // 2, 3 * FEE)
    r = node.rpc("submitpackage", hexes2)
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(sorted(r["replaced-transactions"]), sorted(txids1))
    assert_mempool(node, txids2, txids1)
    got = [sub.recv() for _ in range(4)]
    sub.close()
    fw.assert_equal([(topic, body[32:33]) for topic, body in got],
                    [("sequence", b"R")] * 2 + [("sequence", b"A")] * 2)
    fw.assert_equal(sorted(body[:32].hex() for _, body in got[:2]), sorted(txids1))
    fw.assert_equal([body[:32].hex() for _, body in got[2:]], txids2)
    rl.all_have(nodes, txids2)
    assert_mempool(nodes[1], unexpected=txids1)
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0)


def test_refusals(t):
    node = t.add_node().start()
    coins = Coins(node, 8)

    # Core's test_wrong_conflict_cluster_size_linear, conflicting at the top.
    coin = coins.pop()
    a_hex, a_txid, a_out = coins.tx([coin], FEE)
    b_hex, b_txid, b_out = coins.tx([a_out], FEE)
    c_hex, c_txid, _ = coins.tx([b_out], FEE)
    for h in (a_hex, b_hex, c_hex):
        node.rpc("sendrawtransaction", h)
    hexes, txids = coins.package(coin, FEE, 4 * FEE)
    r = node.rpc("submitpackage", hexes)
    fw.assert_equal(r["package_msg"],
                    f"package RBF failed: {a_txid} has 2 descendants, max 1 allowed")
    fw.assert_equal(r["replaced-transactions"], [])
    assert_mempool(node, [a_txid, b_txid, c_txid], txids)

    # Core's anti-DoS fee check: one satoshi more than the evicted paid.
    coin = coins.pop()
    hexes4, txids4 = coins.package(coin, FEE, FEE)
    node.rpc("submitpackage", hexes4)
    hexes5, txids5 = coins.package(coin, FEE // 2, 3 * FEE // 2 + 1)
    vsize = sum(vsize_of(node, h) for h in hexes5)
    r = node.rpc("submitpackage", hexes5)
    fw.assert_equal(r["package_msg"], "package RBF failed: insufficient anti-DoS fees, rejecting "
                    f"replacement {txids5[1]}, not enough additional fees to relay; "
                    f"0.00000001 < {money(vsize)}")
    assert_mempool(node, txids4, txids5)

    # Core's test_insufficient_feerate: more fees, but the old parent's
    # feerate was higher than the new package's.
    coin = coins.pop()
    hexes1, txids1 = coins.package(coin, FEE + FEE // 2, FEE // 2)
    node.rpc("submitpackage", hexes1)
    hexes2, txids2 = coins.package(coin, FEE, FEE + FEE // 2)
    r = node.rpc("submitpackage", hexes2)
    fw.assert_equal(r["package_msg"],
                    "package RBF failed: insufficient feerate: does not improve feerate diagram")
    assert_mempool(node, txids1, txids2)

    # Core's test_too_numerous_pkg: two parents each replacing a package.
    c1, c2 = coins.pop(), coins.pop()
    hexes1, txids1 = coins.package(c1, FEE, FEE)
    hexes2, txids2 = coins.package(c2, FEE, FEE)
    node.rpc("submitpackage", hexes1)
    node.rpc("submitpackage", hexes2)
    p1_hex, p1_txid, p1_out = coins.tx([c1], FEE)
    p2_hex, p2_txid, p2_out = coins.tx([c2], FEE)
    ch_hex, ch_txid, _ = coins.tx([p1_out, p2_out], 5 * FEE)
    r = node.rpc("submitpackage", [p1_hex, p2_hex, ch_hex])
    fw.assert_equal(r["package_msg"], "package RBF failed: package must be 1-parent-1-child")
    assert_mempool(node, txids1 + txids2, [p1_txid, p2_txid, ch_txid])

    # A parent paying enough alone replaces alone (Core's individual path
    # first): it is judged at its own feerate, and the replaced are listed.
    coin = coins.pop()
    hexes1, txids1 = coins.package(coin, FEE, FEE)
    node.rpc("submitpackage", hexes1)
    hexes2, txids2 = coins.package(coin, 3 * FEE, 3 * FEE)
    r = node.rpc("submitpackage", hexes2)
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(sorted(r["replaced-transactions"]), sorted(txids1))
    for res in r["tx-results"].values():
        fw.assert_equal(len(res["fees"]["effective-includes"]), 1)
    assert_mempool(node, txids2, txids1)
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_replace_and_relay, test_refusals])
