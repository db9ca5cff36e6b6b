#!/usr/bin/env python3
"""getblocktemplate: the template's fields as Bitcoin Core's, transactions
chosen by ancestor feerate (a child paying for its parent goes first),
a block built from the template here in Python (coinbase, witness
commitment, merkle root, proof of work) and accepted by submitblock,
BIP23 proposals, BIP22 long polling and Core's errors."""

import hashlib
import os
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8
RULES = {"rules": ["segwit"]}


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def build_block(tmpl, extra_nonce=b"hs"):
    """A block from the template alone: our coinbase paying coinbasevalue to
    P2WSH(OP_TRUE) plus the witness commitment, the template's transactions
    in order, the header ground to the template's target."""
    height = tmpl["height"]
    wroot = tt.merkle_root(["00" * 32] + [t["hash"] for t in tmpl["transactions"]])
    commitment = "6a24aa21a9ed" + sha256d(wroot + bytes(32)).hex()
    fw.assert_equal(tmpl["default_witness_commitment"], commitment, "witness commitment")
    sig = tt.script_num(height) + tt.varbytes(extra_nonce)
    vin = [("00" * 32, 0xFFFFFFFF, sig, 0xFFFFFFFF)]
    vout = [(tmpl["coinbasevalue"], tt.P2WSH_OP_TRUE), (0, bytes.fromhex(commitment))]
    cb_legacy = tt.ser_tx(2, vin, vout)
    cb = tt.ser_tx(2, vin, vout, witness=[[bytes(32)]])
    root = tt.merkle_root([tt.txid_of(cb_legacy)] + [t["txid"] for t in tmpl["transactions"]])
    bits, target = int(tmpl["bits"], 16), int(tmpl["target"], 16)
    prev = bytes.fromhex(tmpl["previousblockhash"])[::-1]
    for nonce in range(1 << 24):
        header = struct.pack("<i", tmpl["version"]) + prev + root + \
            struct.pack("<III", tmpl["curtime"], bits, nonce)
        h = sha256d(header)
        if int.from_bytes(h, "little") <= target:
            break
    body = tt.compact(1 + len(tmpl["transactions"])) + cb + \
        b"".join(bytes.fromhex(t["data"]) for t in tmpl["transactions"])
    return h[::-1].hex(), header, body


def spend_fee(node, txid, value, fee):
    return node.rpc("sendrawtransaction", tt.spend(txid, 0, value, fee=fee))


def test_template_and_block(t):
    node = t.add_node().start()
    hashes = node.rpc("generatetoaddress", 102, tt.P2WSH_OP_TRUE_ADDR)
    coins = [node.rpc("getblock", h)["tx"][0] for h in hashes[:2]]
    parent = spend_fee(node, coins[0], 50 * COIN, 1000)
    child = spend_fee(node, parent, 50 * COIN - 1000, 50000)  # pays for its parent
    other = spend_fee(node, coins[1], 50 * COIN, 20000)

    tmpl = node.rpc("getblocktemplate", RULES)
    best = node.rpc("getbestblockhash")
    fw.assert_equal(tmpl["previousblockhash"], best)
    fw.assert_equal(tmpl["height"], 103)
    fw.assert_equal(tmpl["capabilities"], ["proposal"])
    fw.assert_equal(tmpl["version"], 0x20000000)
    fw.assert_equal(tmpl["rules"], ["csv", "!segwit", "taproot"])
    fw.assert_equal([tmpl["vbavailable"], tmpl["vbrequired"]], [{}, 0])
    fw.assert_equal(tmpl["coinbaseaux"], {})
    fw.assert_equal(tmpl["mutable"], ["time", "transactions", "prevblock"])
    fw.assert_equal(tmpl["noncerange"], "00000000ffffffff")
    fw.assert_equal([tmpl["sigoplimit"], tmpl["sizelimit"], tmpl["weightlimit"]],
                    [80000, 4000000, 4000000])
    fw.assert_equal(tmpl["bits"], "207fffff")
    fw.assert_equal(tmpl["target"], "7fffff" + "00" * 29)
    fw.assert_equal(tmpl["mintime"], node.rpc("getblockchaininfo")["mediantime"] + 1)
    assert tmpl["curtime"] >= tmpl["mintime"], tmpl
    assert tmpl["longpollid"].startswith(best), tmpl["longpollid"]

    txs = tmpl["transactions"]
    fw.assert_equal([x["txid"] for x in txs], [parent, child, other], "ancestor feerate order")
    fw.assert_equal([x["depends"] for x in txs], [[], [1], []])
    fw.assert_equal([x["fee"] for x in txs], [1000, 50000, 20000])
    for x in txs:
        entry = node.rpc("getmempoolentry", x["txid"])
        fw.assert_equal([x["hash"], x["weight"], x["sigops"]], [entry["wtxid"], entry["weight"], 0])
        fw.assert_equal(x["data"], node.rpc("getrawtransaction", x["txid"]))
    fw.assert_equal(tmpl["coinbasevalue"], 50 * COIN + 71000)

    block_hash, header, body = build_block(tmpl)
    raw = (header + body).hex()
    fw.assert_equal(node.rpc("getblocktemplate", {"mode": "proposal", "data": raw}), None)
    bad = bytearray(header + body)
    bad[40] ^= 1  # the merkle root
    fw.assert_equal(node.rpc("getblocktemplate", {"mode": "proposal", "data": bad.hex()}),
                    "bad-txnmrklroot")
    fw.assert_equal(node.rpc("getbestblockhash"), best, "a proposal is not connected")
    fw.assert_equal(len(node.rpc("getrawmempool")), 3)

    fw.assert_equal(node.rpc("submitblock", raw), None)
    fw.assert_equal(node.rpc("getbestblockhash"), block_hash)
    fw.assert_equal(node.rpc("getrawmempool"), [])
    fw.assert_equal(node.rpc("getblock", block_hash)["tx"][1:], [parent, child, other])
    fw.assert_equal(node.rpc("getblocktemplate", {"mode": "proposal", "data": raw}), "duplicate")
    # On the old tip: not the best block any more.
    stale = tmpl
    _, header, body = build_block(stale, extra_nonce=b"other")
    fw.assert_equal(node.rpc("getblocktemplate", {"mode": "proposal", "data": (header + body).hex()}),
                    "inconclusive-not-best-prevblk")
    tmpl = node.rpc("getblocktemplate", RULES)
    fw.assert_equal([tmpl["height"], tmpl["transactions"], tmpl["coinbasevalue"]],
                    [104, [], 50 * COIN])
    fw.assert_equal(tmpl["previousblockhash"], block_hash)
    fw.assert_equal(node.stop(), 0)


def test_proposal_rejects(t):
    """A block paying itself a satoshi too much, and one spending a coin
    that is not there: TestBlockValidity's reasons, the chain unchanged."""
    node = t.add_node().start()
    node.rpc("generatetoaddress", 101, tt.P2WSH_OP_TRUE_ADDR)
    tmpl = node.rpc("getblocktemplate", RULES)
    greedy = dict(tmpl, coinbasevalue=tmpl["coinbasevalue"] + 1)
    _, header, body = build_block(greedy)
    fw.assert_equal(node.rpc("getblocktemplate", {"mode": "proposal", "data": (header + body).hex()}),
                    "bad-cb-amount")
    ghost = tt.spend("ab" * 32, 0, COIN)
    tx = {"data": ghost, "txid": tt.txid_of(bytes.fromhex(tt.ser_tx(2, [("ab" * 32, 0, b"", 0xFFFFFFFD)],
                                                                    [(COIN - tt.FEE, tt.P2WSH_OP_TRUE)]).hex())),
          "hash": tt.sha256d(bytes.fromhex(ghost))[::-1].hex()}
    missing = dict(tmpl, transactions=[tx])
    missing["default_witness_commitment"] = "6a24aa21a9ed" + sha256d(
        tt.merkle_root(["00" * 32, tx["hash"]]) + bytes(32)).hex()
    _, header, body = build_block(missing)
    fw.assert_equal(node.rpc("getblocktemplate", {"mode": "proposal", "data": (header + body).hex()}),
                    "bad-txns-inputs-missingorspent")
    fw.assert_equal(node.rpc("getblockcount"), 101)
    # The coins the failed proposals touched are still there.
    node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(node.rpc("getblockcount"), 102)
    fw.assert_equal(node.stop(), 0)


def test_errors(t):
    node = t.add_node().start()
    msg = 'getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})'
    fw.assert_raises_rpc_error(-8, msg, node.rpc, "getblocktemplate")
    fw.assert_raises_rpc_error(-8, msg, node.rpc, "getblocktemplate", {"rules": ["csv"]})
    fw.assert_raises_rpc_error(-8, "Invalid mode", node.rpc, "getblocktemplate",
                               {"rules": ["segwit"], "mode": "bogus"})
    fw.assert_raises_rpc_error(-8, "Invalid mode", node.rpc, "getblocktemplate", {"mode": 5})
    fw.assert_raises_rpc_error(-3, "Missing data String key for proposal", node.rpc,
                               "getblocktemplate", {"mode": "proposal"})
    fw.assert_raises_rpc_error(-22, "Block decode failed", node.rpc, "getblocktemplate",
                               {"mode": "proposal", "data": "00zz"})
    fw.assert_raises_rpc_error(-3, None, node.rpc, "getblocktemplate", "segwit")
    fw.assert_equal(node.stop(), 0)


def test_main_needs_peers(t):
    """Off the test chains a template needs peers (regtest is exempt, as in Core)."""
    node = t.add_node(chain="main").start()
    fw.assert_raises_rpc_error(-9, "hearsay is not connected!", node.rpc, "getblocktemplate",
                               RULES)
    fw.assert_equal(node.stop(), 0)


def test_longpoll(t):
    """A longpollid naming the present tip parks the call (the node goes on
    answering) until a block arrives; a stale one answers at once."""
    node = t.add_node().start()
    node.rpc("generatetoaddress", 101, tt.P2WSH_OP_TRUE_ADDR)
    first = node.rpc("getblocktemplate", RULES)
    got = {}

    def poll():
        got["t"] = node.rpc("getblocktemplate", dict(RULES, longpollid=first["longpollid"]),
                            timeout=60)
    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(1.5)
    fw.assert_equal(waiter.is_alive(), True, "long poll answered before anything changed")
    fw.assert_equal(node.rpc("getblockcount"), 101)  # the loop is free meanwhile
    new_tip = node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)[0]
    waiter.join(30)
    fw.assert_equal(waiter.is_alive(), False, "long poll not answered after a block")
    fw.assert_equal(got["t"]["previousblockhash"], new_tip)
    fw.assert_equal(got["t"]["longpollid"] != first["longpollid"], True)
    # The old id names a tip that is gone: answered at once.
    again = node.rpc("getblocktemplate", dict(RULES, longpollid=first["longpollid"]), timeout=10)
    fw.assert_equal(again["previousblockhash"], new_tip)
    fw.assert_raises_rpc_error(-8, "longpollid must be hexadecimal string", node.rpc,
                               "getblocktemplate", dict(RULES, longpollid="xyz"))


if __name__ == "__main__":
    fw.main([test_template_and_block, test_proposal_rejects, test_errors, test_main_needs_peers,
             test_longpoll])
