#!/usr/bin/env python3
"""Mempool methods: getmempoolancestors and getmempooldescendants (txids
and verbose entries as getmempoolentry), savemempool, submitpackage (a
child paying for its parent, a package too poor, already-known members,
replacements, Core's errors, announcement to a peer)."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
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


def wtxid_of(raw_hex):
    return tt.sha256d(bytes.fromhex(raw_hex))[::-1].hex()


def test_submitpackage(t):
    node = t.add_node().start()
    coins = mature_coins(node, 4)
    parent = tt.spend(coins[0], 0, 50 * COIN, fee=0)
    parent_txid = node.rpc("decoderawtransaction", parent)["txid"]
    child = tt.spend(parent_txid, 0, 50 * COIN, fee=20000)
    fw.assert_raises_rpc_error(-26, "min relay fee not met", node.rpc, "sendrawtransaction", parent)
    r = node.rpc("submitpackage", [parent, child])
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(r["replaced-transactions"], [])
    wp, wc = wtxid_of(parent), wtxid_of(child)
    fw.assert_equal(sorted(r["tx-results"]), sorted([wp, wc]))
    vsizes = [node.rpc("getmempoolentry", txid)["vsize"] for txid in (parent_txid,
                                                                      r["tx-results"][wc]["txid"])]
    rate = 20000 * 1000 // sum(vsizes) / 1e8
    for w, base, vsize in ((wp, 0, vsizes[0]), (wc, 0.0002, vsizes[1])):
        res = r["tx-results"][w]
        fw.assert_equal(res["vsize"], vsize)
        fw.assert_equal(res["fees"], {"base": base, "effective-feerate": rate,
                                      "effective-includes": [wp, wc]})
    fw.assert_equal(sorted(node.rpc("getrawmempool")), sorted([parent_txid, res["txid"]]))
    # Known already: no effective feerate, as Core.
    r = node.rpc("submitpackage", [parent, child])
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(r["tx-results"][wp]["fees"], {"base": 0})

    # Too poor together: nothing enters, each keeps its own reason.
    poor_parent = tt.spend(coins[1], 0, 50 * COIN, fee=0)
    poor_txid = node.rpc("decoderawtransaction", poor_parent)["txid"]
    poor_child = tt.spend(poor_txid, 0, 50 * COIN, fee=50)
    r = node.rpc("submitpackage", [poor_parent, poor_child])
    fw.assert_equal(r["package_msg"], "package-fee-too-low")
    assert r["tx-results"][wtxid_of(poor_parent)]["error"].startswith("min relay fee not met"), r
    fw.assert_equal(r["tx-results"][wtxid_of(poor_child)]["error"],
                    "bad-txns-inputs-missingorspent")
    fw.assert_equal(len(node.rpc("getrawmempool")), 2)

    # A single transaction replacing one in the mempool.
    old = node.rpc("sendrawtransaction", tt.spend(coins[2], 0, 50 * COIN))
    new = tt.spend(coins[2], 0, 50 * COIN, fee=50000)
    r = node.rpc("submitpackage", [new])
    fw.assert_equal(r["package_msg"], "success")
    fw.assert_equal(r["replaced-transactions"], [old])
    fw.assert_equal(r["tx-results"][wtxid_of(new)]["fees"]["effective-includes"], [wtxid_of(new)])

    # A transaction paying more than maxfeerate allows.
    rich = tt.spend(coins[3], 0, 50 * COIN, fee=20000)
    r = node.rpc("submitpackage", [rich], 0.00001)
    fw.assert_equal(r["package_msg"], "transaction failed")
    fw.assert_equal(r["tx-results"][wtxid_of(rich)]["error"], "max feerate exceeded")
    fw.assert_equal(node.stop(), 0)


def test_submitpackage_errors(t):
    node = t.add_node().start()
    coins = mature_coins(node, 2)
    a = tt.spend(coins[0], 0, 50 * COIN)
    b = tt.spend(coins[1], 0, 50 * COIN)
    fw.assert_raises_rpc_error(-8, "Array must contain between 1 and 25 transactions.",
                               node.rpc, "submitpackage", [])
    fw.assert_raises_rpc_error(-8, "Array must contain between 1 and 25 transactions.",
                               node.rpc, "submitpackage", [a] * 26)
    fw.assert_raises_rpc_error(-22, "TX decode failed: zz Make sure the tx has at least one input.",
                               node.rpc, "submitpackage", [a, "zz"])
    fw.assert_raises_rpc_error(-25, "package topology disallowed. not child-with-parents or parents "
                               "depend on each other.", node.rpc, "submitpackage", [a, b])
    fw.assert_raises_rpc_error(-8, "Fee rates larger than or equal to 1BTC/kvB are not accepted",
                               node.rpc, "submitpackage", [a], 1)
    outs = [(1000, b"\x6a"), (50 * COIN - 3000, tt.P2WSH_OP_TRUE)]
    burn = tt.ser_tx(2, [(coins[0], 0, b"", 0xFFFFFFFD)], outs, witness=[[tt.OP_TRUE]]).hex()
    fw.assert_raises_rpc_error(-25, "Unspendable output exceeds maximum configured by user "
                               "(maxburnamount)", node.rpc, "submitpackage", [burn])
    r = node.rpc("submitpackage", [burn], 0.1, 0.00001)
    fw.assert_equal(r["package_msg"], "success")
    # Refused whole: the transactions are not evaluated, as Core leaves them out.
    b_txid = node.rpc("decoderawtransaction", b)["txid"]
    greedy = tt.ser_tx(2, [(b_txid, 0, b"", 0xFFFFFFFD), (coins[1], 0, b"", 0xFFFFFFFD)],
                       [(COIN, tt.P2WSH_OP_TRUE)], witness=[[tt.OP_TRUE], [tt.OP_TRUE]]).hex()
    r = node.rpc("submitpackage", [b, greedy])
    fw.assert_equal([r["package_msg"], r["tx-results"]], ["conflict-in-package", {}])
    fw.assert_equal(node.stop(), 0)


def test_submitpackage_relays(t):
    """Accepted package transactions are announced as sendrawtransaction's."""
    nodes = rl.start_network(t, 2, rl.line(2))
    coins = mature_coins(nodes[0], 1)
    rl.same_tip(nodes)
    parent = tt.spend(coins[0], 0, 50 * COIN, fee=2000)
    parent_txid = nodes[0].rpc("decoderawtransaction", parent)["txid"]
    child = tt.spend(parent_txid, 0, 50 * COIN - 2000, fee=2000)
    r = nodes[0].rpc("submitpackage", [parent, child])
    fw.assert_equal(r["package_msg"], "success")
    txids = [res["txid"] for res in r["tx-results"].values()]
    rl.all_have(nodes, txids)
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0)


if __name__ == "__main__":
    fw.main([test_relatives, test_savemempool, test_submitpackage, test_submitpackage_errors,
             test_submitpackage_relays])
