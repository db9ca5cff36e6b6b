#!/usr/bin/env python3
"""Chain methods: getblockchaininfo, getblockcount, getbestblockhash,
getblockhash, getblock (verbosity 0/1/2), getblockheader, getdifficulty,
and getchaintips across a reorg built from hand-made blocks."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

ZERO = "00" * 32


def test_chain_queries(t):
    node = t.add_node().start()
    info = node.rpc("getblockchaininfo")
    fw.assert_equal(info["chain"], "regtest")
    fw.assert_equal(info["blocks"], 0)
    fw.assert_equal(info["bits"], "207fffff")
    fw.assert_equal(len(info["chainwork"]), 64)
    genesis = node.rpc("getblockhash", 0)
    fw.assert_equal(info["bestblockhash"], genesis)
    hashes = node.rpc("generatetoaddress", 10, tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(node.rpc("getblockcount"), 10)
    fw.assert_equal(node.rpc("getbestblockhash"), hashes[-1])
    fw.assert_equal(node.rpc("getblockhash", 10), hashes[-1])
    fw.assert_equal(node.rpc("getblockchaininfo")["initialblockdownload"], False)
    fw.assert_raises_rpc_error(-8, "Block height out of range", node.rpc, "getblockhash", 11)
    fw.assert_raises_rpc_error(-8, "Block height out of range", node.rpc, "getblockhash", -1)
    fw.assert_raises_rpc_error(-3, None, node.rpc, "getblockhash", "1")
    fw.assert_raises_rpc_error(None, None, node.rpc, "getblockhash")

    raw = node.rpc("getblock", hashes[4], 0)
    header = bytes.fromhex(raw[:160])
    fw.assert_equal(tt.sha256d(header)[::-1].hex(), hashes[4], "hash of getblock's header")
    fw.assert_equal(node.rpc("getblockheader", hashes[4], False), raw[:160])
    b = node.rpc("getblock", hashes[4])
    fw.assert_equal(b["height"], 5)
    fw.assert_equal(b["confirmations"], 6)
    fw.assert_equal(b["previousblockhash"], hashes[3])
    fw.assert_equal(b["nextblockhash"], hashes[5])
    fw.assert_equal(b["nTx"], 1)
    fw.assert_equal(b["versionHex"], "20000000")
    fw.assert_equal(b["size"], len(raw) // 2)
    fw.assert_equal(b["weight"], b["strippedsize"] * 3 + b["size"])
    fw.assert_equal(len(b["tx"]), 1)
    fw.assert_equal(node.rpc("getblock", hashes[4], True), b)
    b2 = node.rpc("getblock", hashes[4], 2)
    cb = b2["tx"][0]
    fw.assert_equal(cb["txid"], b["tx"][0])
    fw.assert_in("coinbase", cb["vin"][0])
    fw.assert_equal(cb["vout"][0]["value"], 50)
    fw.assert_equal(cb["vout"][0]["scriptPubKey"]["address"], tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_in(cb["hex"], raw)
    hdr = node.rpc("getblockheader", hashes[4])
    for key in ("hash", "confirmations", "height", "merkleroot", "time", "mediantime", "nonce",
                "bits", "target", "difficulty", "chainwork", "nTx", "nextblockhash"):
        fw.assert_equal(hdr[key], b[key], key)
    tip = node.rpc("getblockheader", hashes[-1])
    fw.assert_equal("nextblockhash" in tip, False)
    fw.assert_equal(node.rpc("getdifficulty"), tip["difficulty"])

    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "getblock", ZERO)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "getblockheader", ZERO)
    fw.assert_raises_rpc_error(-8, "must be of length 64", node.rpc, "getblock", "00")
    fw.assert_raises_rpc_error(-8, "must be hexadecimal", node.rpc, "getblock", "zz" * 32)
    fw.assert_raises_rpc_error(-3, None, node.rpc, "getblock", hashes[0], "x")
    fw.assert_raises_rpc_error(-3, None, node.rpc, "getblockheader", hashes[0], 3)


def test_reorg_chaintips(t):
    node = t.add_node().start()
    old = node.rpc("generatetodescriptor", 3, tt.descsum_create(tt.P2WSH_OP_TRUE_DESC))
    fork_base = node.rpc("getblockheader", old[0])
    prev, when, fork = old[0], fork_base["time"] + 1, []
    # A competing branch from height 1: equal work is not enough, more work wins.
    for height, want in ((2, "inconclusive"), (3, "inconclusive"), (4, None)):
        h, raw = tt.make_block(prev, height, when, extra=b"fork")
        fw.assert_equal(node.rpc("submitblock", raw), want, f"submitblock at {height}")
        prev, when = h, when + 1
        fork.append((h, raw))
    fw.assert_equal(node.rpc("getbestblockhash"), fork[-1][0])
    fw.assert_equal(node.rpc("getblockheader", old[2])["confirmations"], -1)
    tips = node.rpc("getchaintips")
    fw.assert_equal(tips[0], {"height": 4, "hash": fork[-1][0], "branchlen": 0,
                              "status": "active"})
    fw.assert_equal(tips[1], {"height": 3, "hash": old[2], "branchlen": 2,
                              "status": "valid-fork"})
    fw.assert_equal(len(tips), 2)
    fw.assert_equal(node.rpc("submitblock", fork[-1][1]), "duplicate")

    # An invalid block (the coinbase claims too much) becomes an invalid tip.
    h, raw = tt.make_block(prev, 5, when, value=51 * 10**8)
    reason = node.rpc("submitblock", raw)
    fw.assert_equal(isinstance(reason, str) and reason not in ("duplicate", "inconclusive"), True,
                    f"reject reason {reason!r}")
    fw.assert_equal(node.rpc("submitblock", raw), "duplicate-invalid")
    fw.assert_equal(node.rpc("getblockcount"), 4)
    statuses = {tip["hash"]: tip["status"] for tip in node.rpc("getchaintips")}
    fw.assert_equal(statuses.get(h), "invalid")
    # Unknown parent.
    _, raw = tt.make_block("11" * 32, 9, when)
    fw.assert_equal(node.rpc("submitblock", raw), "prev-blk-not-found")
    fw.assert_raises_rpc_error(-22, "Block decode failed", node.rpc, "submitblock", "00")
    fw.assert_raises_rpc_error(-22, "Block decode failed", node.rpc, "submitblock", "zz")


if __name__ == "__main__":
    fw.main([test_chain_queries, test_reorg_chaintips])
