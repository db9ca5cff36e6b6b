#!/usr/bin/env python3
"""Mempool and raw transaction methods: decoderawtransaction of a known
vector, testmempoolaccept's reject reasons and package test-accept, sendrawtransaction's error
codes, and a transaction seen through getrawmempool, getmempoolentry,
getmempoolinfo and getrawtransaction before and after it is mined."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8
ZERO = "00" * 32


def mature_node(t, blocks=110):
    node = t.add_node().start()
    hashes = node.rpc("generatetodescriptor", blocks, tt.P2WSH_OP_TRUE_DESC)
    return node, hashes


def coinbase_txid(node, block_hash):
    return node.rpc("getblock", block_hash)["tx"][0]


def test_decoderawtransaction(t):
    node = t.add_node().start()
    # Version 2, one input 11..11:0 with witness [51], sequence 0xfffffffd,
    # one output of 0.99999 BTC to P2WSH(OP_TRUE), locktime 0.
    raw = tt.spend("11" * 32, 0, COIN)
    fw.assert_equal(raw, "02000000" "0001" "01" + "11" * 32 + "00000000" "00" "fdffffff"
                    "01" "18ddf50500000000" "22" + tt.P2WSH_OP_TRUE_HEX + "01" "01" "51"
                    "00000000")
    d = node.rpc("decoderawtransaction", raw)
    legacy = tt.ser_tx(2, [("11" * 32, 0, b"", 0xFFFFFFFD)], [(COIN - 1000, tt.P2WSH_OP_TRUE)])
    fw.assert_equal(d["txid"], tt.txid_of(legacy))
    fw.assert_equal(d["hash"], tt.sha256d(bytes.fromhex(raw))[::-1].hex())
    fw.assert_equal([d["version"], d["size"], d["vsize"], d["weight"], d["locktime"]],
                    [2, 99, 96, 381, 0])
    fw.assert_equal(d["vin"], [{"txid": "11" * 32, "vout": 0,
                                "scriptSig": {"asm": "", "hex": ""},
                                "txinwitness": ["51"], "sequence": 4294967293}])
    spk = d["vout"][0]["scriptPubKey"]
    fw.assert_equal(d["vout"][0]["value"], 0.99999)
    fw.assert_equal(d["vout"][0]["n"], 0)
    fw.assert_equal(spk["asm"], "0 " + tt.P2WSH_OP_TRUE_HEX[4:])
    fw.assert_equal(spk["hex"], tt.P2WSH_OP_TRUE_HEX)
    fw.assert_equal(spk["address"], tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(spk["type"], "witness_v0_scripthash")
    fw.assert_equal(spk["desc"], tt.descsum_create(f"addr({tt.P2WSH_OP_TRUE_ADDR})"))
    fw.assert_equal("hex" in d, False)
    # A legacy P2PKH output and a scriptSig with a signature and a key.
    p2pkh = bytes.fromhex("76a914" + "ab" * 20 + "88ac")
    sig = bytes.fromhex("3006020101020101") + b"\x01"
    script_sig = bytes([len(sig)]) + sig + bytes([33]) + b"\x02" + b"\x01" * 32
    legacy = tt.ser_tx(1, [("22" * 32, 3, script_sig, 0xFFFFFFFF)], [(5000, p2pkh)])
    d = node.rpc("decoderawtransaction", legacy.hex())
    fw.assert_equal(d["vin"][0]["scriptSig"]["asm"], "3006020101020101[ALL] 02" + "01" * 32)
    out = d["vout"][0]["scriptPubKey"]
    fw.assert_equal(out["asm"], "OP_DUP OP_HASH160 " + "ab" * 20 + " OP_EQUALVERIFY OP_CHECKSIG")
    fw.assert_equal(out["type"], "pubkeyhash")
    fw.assert_equal(out["address"][0] in "mn", True, "regtest P2PKH address")
    fw.assert_equal(d["vout"][0]["value"], 0.00005)
    fw.assert_equal(node.rpc("decoderawtransaction", legacy.hex(), False), d)
    fw.assert_equal(node.rpc("decoderawtransaction", raw, True)["txid"], tt.txid_of(
        tt.ser_tx(2, [("11" * 32, 0, b"", 0xFFFFFFFD)], [(COIN - 1000, tt.P2WSH_OP_TRUE)])))
    fw.assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "decoderawtransaction", raw,
                               False)
    fw.assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "decoderawtransaction", "00")
    fw.assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "decoderawtransaction", "zz")
    fw.assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "decoderawtransaction",
                               raw + "00")


def test_testmempoolaccept(t):
    node, hashes = mature_node(t)
    good = tt.spend(coinbase_txid(node, hashes[0]), 0, 50 * COIN)
    r = node.rpc("testmempoolaccept", [good])
    fw.assert_equal(len(r), 1)
    fw.assert_equal(r[0]["allowed"], True)
    fw.assert_equal(r[0]["vsize"], 96)
    fw.assert_equal(r[0]["fees"]["base"], 0.00001)
    fw.assert_equal(node.rpc("getrawmempool"), [], "testmempoolaccept changes nothing")

    def reason(raw, *extra):
        res = node.rpc("testmempoolaccept", [raw], *extra)[0]
        fw.assert_equal(res["allowed"], False)
        return res["reject-reason"]

    fw.assert_equal(reason(tt.spend("33" * 32, 0, COIN)), "missing-inputs")
    immature = tt.spend(coinbase_txid(node, hashes[-1]), 0, 50 * COIN)
    fw.assert_equal(reason(immature), "bad-txns-premature-spend-of-coinbase")
    fw.assert_equal(reason(good, 0.00000001), "max-fee-exceeded")
    dust = tt.spend(coinbase_txid(node, hashes[1]), 0, 50 * COIN, fee=50 * COIN - 100)
    fw.assert_equal(reason(dust, 0), "dust")
    over = tt.spend(coinbase_txid(node, hashes[1]), 0, 51 * COIN)
    fw.assert_equal(reason(over).startswith("bad-txns-in-belowout"), True)
    fw.assert_raises_rpc_error(-8, "between 1 and 25", node.rpc, "testmempoolaccept", [])
    fw.assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "testmempoolaccept", ["00"])
    fw.assert_raises_rpc_error(-3, None, node.rpc, "testmempoolaccept", good)
    check_package_accept(node, coinbase_txid(node, hashes[2]))


def check_package_accept(node, coin):
    """Several transactions: judged as a package, in order, each by its own
    fee, a child seeing its parent's outputs; nothing enters."""
    parent = tt.spend(coin, 0, 50 * COIN)
    ptxid = node.rpc("decoderawtransaction", parent)["txid"]
    child = tt.spend(ptxid, 0, 50 * COIN - 1000)

    def ids(raw):
        d = node.rpc("decoderawtransaction", raw)
        return {"txid": d["txid"], "wtxid": d["hash"]}

    def allowed(raw):
        return dict(ids(raw), allowed=True, vsize=96,
                    fees={"base": 0.00001, "effective-feerate": 0.00010416,
                          "effective-includes": [ids(raw)["wtxid"]]})

    fw.assert_equal(node.rpc("testmempoolaccept", [parent, child]),
                    [allowed(parent), allowed(child)])
    fw.assert_equal(node.rpc("getrawmempool"), [], "a package test changes nothing")
    fw.assert_equal(node.rpc("testmempoolaccept", [child, parent]),
                    [dict(ids(child), **{"package-error": "package-not-sorted"}),
                     dict(ids(parent), **{"package-error": "package-not-sorted"})])
    # A failing parent stops the package: its child gets only its ids.
    poor = tt.spend(coin, 0, 50 * COIN, fee=0)
    poor_child = tt.spend(node.rpc("decoderawtransaction", poor)["txid"], 0, 50 * COIN)
    fw.assert_equal(node.rpc("testmempoolaccept", [poor, poor_child]),
                    [dict(ids(poor), allowed=False, **{"reject-reason": "min relay fee not met"}),
                     ids(poor_child)])
    fw.assert_equal(node.rpc("testmempoolaccept", [parent, child], 0.00000001),
                    [dict(ids(parent), allowed=False, **{"reject-reason": "max-fee-exceeded"}),
                     ids(child)])
    # Already in the mempool: refused in a package.
    node.rpc("sendrawtransaction", parent)
    fw.assert_equal(node.rpc("testmempoolaccept", [parent, child]),
                    [dict(ids(parent), allowed=False,
                          **{"reject-reason": "txn-already-in-mempool"}),
                     ids(child)])


def test_send_and_mine(t):
    node, hashes = mature_node(t)
    parent = coinbase_txid(node, hashes[0])
    raw = tt.spend(parent, 0, 50 * COIN)
    txid = node.rpc("sendrawtransaction", raw)
    fw.assert_equal(node.rpc("getrawmempool"), [txid])
    fw.assert_equal(node.rpc("sendrawtransaction", raw), txid, "resending a known tx")
    entry = node.rpc("getmempoolentry", txid)
    fw.assert_equal(entry, node.rpc("getrawmempool", True)[txid])
    fw.assert_equal([entry["vsize"], entry["weight"], entry["height"]], [96, 381, 110])
    fw.assert_equal(entry["fees"], {"base": 0.00001, "modified": 0.00001,
                                    "ancestor": 0.00001, "descendant": 0.00001})
    fw.assert_equal([entry["depends"], entry["spentby"], entry["bip125-replaceable"]],
                    [[], [], True])
    info = node.rpc("getmempoolinfo")
    fw.assert_equal([info["size"], info["bytes"], info["total_fee"]], [1, 96, 0.00001])
    fw.assert_equal(node.rpc("getrawtransaction", txid), raw)
    v = node.rpc("getrawtransaction", txid, 1)
    fw.assert_equal([v["txid"], v["hex"], "blockhash" in v], [txid, raw, False])
    fw.assert_equal(node.rpc("getrawtransaction", txid, True), v)

    # A child: both visible, linked.
    child = tt.spend(txid, 0, 50 * COIN - 1000)
    child_id = node.rpc("sendrawtransaction", child)
    fw.assert_equal(node.rpc("getmempoolentry", child_id)["depends"], [txid])
    fw.assert_equal(node.rpc("getmempoolentry", txid)["spentby"], [child_id])
    fw.assert_equal(node.rpc("getmempoolentry", txid)["descendantcount"], 2)

    # Rejections with Core's codes.
    conflict = tt.spend(parent, 0, 50 * COIN, fee=1500)
    fw.assert_raises_rpc_error(-26, "insufficient fee", node.rpc, "sendrawtransaction", conflict)
    fw.assert_raises_rpc_error(-25, "bad-txns-inputs-missingorspent", node.rpc,
                               "sendrawtransaction", tt.spend("44" * 32, 0, COIN))
    greedy = tt.spend(coinbase_txid(node, hashes[1]), 0, 50 * COIN, fee=10 * COIN)
    fw.assert_raises_rpc_error(-25, "Fee exceeds maximum", node.rpc, "sendrawtransaction", greedy)
    fw.assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "sendrawtransaction", "0000")
    fw.assert_raises_rpc_error(-5, "No such mempool transaction", node.rpc,
                               "getrawtransaction", "55" * 32)
    fw.assert_raises_rpc_error(-5, "Transaction not in mempool", node.rpc,
                               "getmempoolentry", "55" * 32)
    fw.assert_raises_rpc_error(-8, "must be of length 64", node.rpc, "getmempoolentry", "55")
    gen_cb = node.rpc("getblock", node.rpc("getblockhash", 0))["tx"][0]
    fw.assert_raises_rpc_error(-5, "genesis block coinbase", node.rpc, "getrawtransaction",
                               gen_cb)
    fw.assert_raises_rpc_error(-8, None, node.rpc, "getrawmempool", True, True)

    # Mined: out of the mempool, found with its block hash.
    block = node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)[0]
    fw.assert_equal(node.rpc("getrawmempool"), [])
    fw.assert_equal(node.rpc("getblock", block)["tx"][1:], [txid, child_id])
    v = node.rpc("getrawtransaction", txid, 1, block)
    fw.assert_equal([v["in_active_chain"], v["blockhash"], v["confirmations"]],
                    [True, block, 1])
    fw.assert_equal(node.rpc("getrawtransaction", txid, 0, block), raw)
    fw.assert_raises_rpc_error(-5, "No such transaction found in the provided block", node.rpc,
                               "getrawtransaction", txid, 1, hashes[5])
    fw.assert_raises_rpc_error(-5, "Block hash not found", node.rpc, "getrawtransaction", txid,
                               1, ZERO)
    fw.assert_raises_rpc_error(-27, "Transaction outputs already in utxo set", node.rpc,
                               "sendrawtransaction", child)
    fw.assert_raises_rpc_error(-5, "Transaction not in mempool", node.rpc,
                               "getmempoolentry", txid)


if __name__ == "__main__":
    fw.main([test_decoderawtransaction, test_testmempoolaccept, test_send_and_mine])
