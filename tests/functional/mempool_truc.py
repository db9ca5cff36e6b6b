#!/usr/bin/env python3
"""TRUC (BIP431, version 3) policy through RPC, after Bitcoin Core's
mempool_truc.py (the scenarios that need no wallet): the 10,000 vB and
1,000 vB child limits with Core's messages, replacements (by version 3
and by version 2, a replacement counted alone against the child limit),
version inheritance both ways, sibling eviction, the package rules
through submitpackage (ancestors in the package and in the mempool, a
child too big, package RBF of a version 3 pair), testmempoolaccept, and
a reorg returning transactions whatever their topology."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import mempool_package_rbf as mpr  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402

FEE = 10000  # Core's DEFAULT_FEE in its test: 0.0001 BTC
TRUC_MAX_VSIZE = 10000
TRUC_CHILD_MAX_VSIZE = 1000


def vsize_of(vin, vout, version):
    legacy = tt.ser_tx(version, vin, vout)
    full = tt.ser_tx(version, vin, vout, witness=[[tt.OP_TRUE]] * len(vin))
    return (3 * len(legacy) + len(full) + 3) // 4


class Wallet(mpr.Coins):
    """Package RBF's coins, with transactions of any version, outputs and
    size."""

    def tx(self, inputs, fee, version=3, n_out=1, min_vsize=0):
        """inputs: [(txid, vout, value)]. Pays fee, the rest in n_out
        equal outputs, more while the size is under min_vsize."""
        self.seq -= 1
        vin = [(t, n, b"", self.seq) for t, n, _ in inputs]
        total = sum(v for _, _, v in inputs) - fee

        def outs(k):
            return [(total // k + (total % k if i == 0 else 0), tt.P2WSH_OP_TRUE)
                    for i in range(k)]
        k = n_out
        while vsize_of(vin, outs(k), version) < min_vsize:
            k += max(1, (min_vsize - vsize_of(vin, outs(k), version)) // 43)
        vout = outs(k)
        full = tt.ser_tx(version, vin, vout, witness=[[tt.OP_TRUE]] * len(vin))
        txid = tt.txid_of(tt.ser_tx(version, vin, vout))
        return {
            "hex": full.hex(), "txid": txid,
            "wtxid": tt.sha256d(full)[::-1].hex(),
            "vsize": vsize_of(vin, vout, version),
            "outs": [(txid, i, v) for i, (v, _) in enumerate(vout)],
        }


def name(tx):
    return f"{tx['txid']} (wtxid={tx['wtxid']})"


def check_mempool(node, txs):
    fw.assert_equal(sorted(node.rpc("getrawmempool")), sorted(t["txid"] for t in txs),
                    "mempool contents")


def send(node, tx):
    fw.assert_equal(node.rpc("sendrawtransaction", tx["hex"]), tx["txid"])


def clear(node, w):
    """Mines the mempool empty (Core's @cleanup)."""
    rl.mine(node, 1)
    check_mempool(node, [])


def test_sizes(node, w):
    heavy = w.tx([w.pop()], 5 * FEE, min_vsize=TRUC_MAX_VSIZE + 1)
    fw.assert_raises_rpc_error(-26, f"TRUC-violation, version=3 tx {name(heavy)} is too big: "
                               f"{heavy['vsize']} > {TRUC_MAX_VSIZE} virtual bytes",
                               node.rpc, "sendrawtransaction", heavy["hex"])
    check_mempool(node, [])
    # The limit is TRUC's own: version 2 may be larger.
    v2 = w.tx([w.pop()], 5 * FEE, version=2, min_vsize=TRUC_MAX_VSIZE + 1)
    send(node, v2)

    parent = w.tx([w.pop()], FEE)
    send(node, parent)
    child = w.tx([parent["outs"][0]], FEE, min_vsize=TRUC_CHILD_MAX_VSIZE + 1)
    fw.assert_raises_rpc_error(-26, f"TRUC-violation, version=3 child tx {name(child)} is too "
                               f"big: {child['vsize']} > {TRUC_CHILD_MAX_VSIZE} virtual bytes",
                               node.rpc, "sendrawtransaction", child["hex"])
    fw.assert_equal(node.rpc("getmempoolentry", parent["txid"])["descendantcount"], 1)
    # Only the replacement counts against the child limit.
    almost = w.tx([parent["outs"][0]], FEE, min_vsize=TRUC_CHILD_MAX_VSIZE - 50)
    send(node, almost)
    rbf = w.tx([parent["outs"][0]], 2 * FEE, min_vsize=875)
    send(node, rbf)
    check_mempool(node, [v2, parent, rbf])
    fw.assert_equal(node.rpc("getmempoolentry", parent["txid"])["descendantcount"], 2)
    clear(node, w)


def test_replacement_and_inheritance(node, w):
    coin = w.pop()
    a = w.tx([coin], FEE)
    send(node, a)
    b = w.tx([coin], 2 * FEE)  # version 3 by version 3
    send(node, b)
    c = w.tx([coin], 3 * FEE, version=2)  # version 3 by version 2
    send(node, c)
    check_mempool(node, [c])

    parent = w.tx([w.pop()], FEE)
    send(node, parent)
    child = w.tx([parent["outs"][0]], FEE)
    send(node, child)
    v2_child = w.tx([parent["outs"][0]], 2 * FEE, version=2)
    fw.assert_raises_rpc_error(-26, f"TRUC-violation, non-version=3 tx {name(v2_child)} cannot "
                               f"spend from version=3 tx {name(parent)}",
                               node.rpc, "sendrawtransaction", v2_child["hex"])
    r = node.rpc("testmempoolaccept", [v2_child["hex"]])[0]
    fw.assert_equal((r["allowed"], r["reject-reason"]), (False, "TRUC-violation"))
    check_mempool(node, [c, parent, child])

    v2_parent = w.tx([w.pop()], FEE, version=2)
    send(node, v2_parent)
    v3_child = w.tx([v2_parent["outs"][0]], FEE)
    fw.assert_raises_rpc_error(-26, f"TRUC-violation, version=3 tx {name(v3_child)} cannot "
                               f"spend from non-version=3 tx {name(v2_parent)}",
                               node.rpc, "sendrawtransaction", v3_child["hex"])
    grandchild = w.tx([child["outs"][0]], FEE)
    fw.assert_raises_rpc_error(-26, f"TRUC-violation, tx {name(grandchild)} would have too many "
                               "ancestors", node.rpc, "sendrawtransaction", grandchild["hex"])
    clear(node, w)


def test_sibling_eviction(node, w):
    parent = w.tx([w.pop()], FEE, n_out=2)
    send(node, parent)
    first = w.tx([parent["outs"][0]], FEE)
    send(node, first)
    poor = w.tx([parent["outs"][1]], FEE)
    fw.assert_raises_rpc_error(-26, "insufficient fee (including sibling eviction), rejecting "
                               f"replacement {poor['txid']}", node.rpc, "sendrawtransaction",
                               poor["hex"])
    # testmempoolaccept sees the eviction too, and changes nothing.
    rich = w.tx([parent["outs"][1]], 3 * FEE)
    fw.assert_equal(node.rpc("testmempoolaccept", [rich["hex"]])[0]["allowed"], True)
    check_mempool(node, [parent, first])
    send(node, rich)
    check_mempool(node, [parent, rich])
    clear(node, w)


def test_packages(node, w):
    p1 = w.tx([w.pop()], 0, min_vsize=1001)
    p2 = w.tx([w.pop()], 0, min_vsize=1001)
    multi = w.tx([p1["outs"][0], p2["outs"][0]], 10000)
    r = node.rpc("submitpackage", [p1["hex"], p2["hex"], multi["hex"]])
    fw.assert_equal(r["package_msg"],
                    f"TRUC-violation, tx {name(multi)} would have too many ancestors")
    heavy = w.tx([p1["outs"][0]], 10000, min_vsize=TRUC_CHILD_MAX_VSIZE + 1)
    r = node.rpc("submitpackage", [p1["hex"], heavy["hex"]])
    fw.assert_equal(r["package_msg"], f"TRUC-violation, version=3 child tx {name(heavy)} is too "
                    f"big: {heavy['vsize']} > {TRUC_CHILD_MAX_VSIZE} virtual bytes")
    check_mempool(node, [])

    # Core's test_truc_ancestors_package_and_mempool: A in the mempool,
    # B (paying nothing) and C through submitpackage.
    a = w.tx([w.pop()], FEE)
    send(node, a)
    b = w.tx([a["outs"][0]], 0)
    c = w.tx([b["outs"][0]], 3 * FEE)
    r = node.rpc("submitpackage", [b["hex"], c["hex"]])
    fw.assert_equal(r["package_msg"], f"TRUC-violation, tx {name(c)} would have too many ancestors")
    check_mempool(node, [a])

    # A version 3 pair replacing a version 3 transaction by package RBF.
    coin = w.pop()
    old = w.tx([coin], FEE)
    send(node, old)
    parent = w.tx([coin], 0)
    child = w.tx([parent["outs"][0]], 5 * FEE)
    r = node.rpc("submitpackage", [parent["hex"], child["hex"]])
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(r["replaced-transactions"], [old["txid"]])
    check_mempool(node, [a, parent, child])
    clear(node, w)


def test_reorg(node, w):
    """Core's test_truc_reorg: a disconnected block's transactions return
    without TRUC enforcement."""
    v2_block = w.tx([w.pop()], FEE, version=2)
    v3_block = w.tx([w.pop()], FEE)
    v3_block2 = w.tx([w.pop()], FEE)
    chain1 = w.tx([w.pop()], FEE)
    chain2 = w.tx([chain1["outs"][0]], FEE)
    chain3 = w.tx([chain2["outs"][0]], FEE)
    mined = [v3_block, v2_block, v3_block2, chain1, chain2, chain3]
    block = node.rpc("generateblock", tt.P2WSH_OP_TRUE_DESC, [t["hex"] for t in mined])["hash"]
    check_mempool(node, [])
    v2_from_v3 = w.tx([v3_block["outs"][0]], FEE, version=2)
    v3_from_v2 = w.tx([v2_block["outs"][0]], FEE)
    v3_child_large = w.tx([v3_block2["outs"][0]], FEE, min_vsize=1250)
    chain4 = w.tx([chain3["outs"][0]], FEE, version=2)
    later = [v2_from_v3, v3_from_v2, v3_child_large, chain4]
    for t in later:
        send(node, t)
    node.rpc("invalidateblock", block)
    check_mempool(node, mined + later)
    node.rpc("reconsiderblock", block)
    check_mempool(node, later)
    clear(node, w)


def test_truc(t):
    node = t.add_node().start()
    w = Wallet(node, 40)
    for case in (test_sizes, test_replacement_and_inheritance, test_sibling_eviction,
                 test_packages, test_reorg):
        case(node, w)
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_truc])
