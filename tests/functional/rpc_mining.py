#!/usr/bin/env python3
"""Mining methods: generatetoaddress, generatetodescriptor (raw() and
addr(), BIP380 checksums), generateblock, submitblock of a hand-built block
and getmininginfo."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8


def coinbase_script(node, block_hash):
    return node.rpc("getblock", block_hash, 2)["tx"][0]["vout"][0]["scriptPubKey"]["hex"]


def test_generate(t):
    node = t.add_node().start()
    fw.assert_equal(node.rpc("generatetoaddress", 0, tt.P2WSH_OP_TRUE_ADDR), [])
    h = node.rpc("generatetoaddress", 2, tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(len(h), 2)
    fw.assert_equal(coinbase_script(node, h[1]), tt.P2WSH_OP_TRUE_HEX)
    h = node.rpc("generatetodescriptor", 1, tt.descsum_create("raw(51)"))
    fw.assert_equal(coinbase_script(node, h[0]), "51")
    h = node.rpc("generatetodescriptor", 1, "raw(6a0100)")
    fw.assert_equal(coinbase_script(node, h[0]), "6a0100")
    h = node.rpc("generatetodescriptor", 1,
                 tt.descsum_create(f"addr({tt.P2WSH_OP_TRUE_ADDR})"), 1000)
    fw.assert_equal(coinbase_script(node, h[0]), tt.P2WSH_OP_TRUE_HEX)
    fw.assert_equal(node.rpc("getblockcount"), 5)

    bad_sum = tt.descsum_create("raw(51)")[:-1] + "q"
    if bad_sum == tt.descsum_create("raw(51)"):
        bad_sum = bad_sum[:-1] + "p"
    fw.assert_raises_rpc_error(-5, "does not match computed checksum", node.rpc,
                               "generatetodescriptor", 1, bad_sum)
    fw.assert_raises_rpc_error(-5, "Expected 8 character checksum", node.rpc,
                               "generatetodescriptor", 1, "raw(51)#abc")
    fw.assert_raises_rpc_error(-5, None, node.rpc, "generatetodescriptor", 1, "raw(5)")
    fw.assert_raises_rpc_error(-5, None, node.rpc, "generatetodescriptor", 1, "pkh(xyz)")
    fw.assert_raises_rpc_error(-5, "Invalid address", node.rpc, "generatetodescriptor", 1,
                               "addr(bc1qnotanaddress)")
    fw.assert_raises_rpc_error(-5, "Invalid address", node.rpc, "generatetoaddress", 1,
                               "mainnet-or-garbage")
    fw.assert_raises_rpc_error(-3, None, node.rpc, "generatetoaddress", "1",
                               tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(node.rpc("getblockcount"), 5)

    info = node.rpc("getmininginfo")
    fw.assert_equal([info["blocks"], info["chain"], info["pooledtx"], info["bits"]],
                    [5, "regtest", 0, "207fffff"])
    fw.assert_equal(info["next"]["height"], 6)
    fw.assert_equal(info["difficulty"], node.rpc("getdifficulty"))


def test_generateblock_and_submit(t):
    node = t.add_node().start()
    hashes = node.rpc("generatetoaddress", 102, tt.P2WSH_OP_TRUE_ADDR)
    cbs = [node.rpc("getblock", h)["tx"][0] for h in hashes[:3]]
    in_pool = node.rpc("sendrawtransaction", tt.spend(cbs[0], 0, 50 * COIN))
    raw = tt.spend(cbs[1], 0, 50 * COIN)
    r = node.rpc("generateblock", tt.P2WSH_OP_TRUE_ADDR, [raw, in_pool])
    block = node.rpc("getblock", r["hash"], 2)
    fw.assert_equal([tx["txid"] for tx in block["tx"][1:]],
                    [tt.txid_of(tt.ser_tx(2, [(cbs[1], 0, b"", 0xFFFFFFFD)],
                                          [(50 * COIN - 1000, tt.P2WSH_OP_TRUE)])), in_pool])
    fw.assert_equal(block["tx"][0]["vout"][0]["value"], 50, "generateblock takes no fees")
    fw.assert_equal(node.rpc("getbestblockhash"), r["hash"])
    fw.assert_equal(node.rpc("getrawmempool"), [])

    # submit=false returns the block; submitblock accepts it.
    r = node.rpc("generateblock", f"raw({tt.P2WSH_OP_TRUE_HEX})",
                 [tt.spend(cbs[2], 0, 50 * COIN)], False)
    fw.assert_equal(node.rpc("getblockcount"), 103)
    fw.assert_equal(node.rpc("submitblock", r["hex"]), None)
    fw.assert_equal(node.rpc("getbestblockhash"), r["hash"])
    fw.assert_equal(node.rpc("submitblock", r["hex"]), "duplicate")

    fw.assert_raises_rpc_error(-5, "not in mempool", node.rpc, "generateblock",
                               tt.P2WSH_OP_TRUE_ADDR, ["66" * 32])
    fw.assert_raises_rpc_error(-22, "Transaction decode failed", node.rpc, "generateblock",
                               tt.P2WSH_OP_TRUE_ADDR, ["0011"])
    fw.assert_raises_rpc_error(-5, None, node.rpc, "generateblock", "nonsense", [])
    fw.assert_raises_rpc_error(-25, None, node.rpc, "generateblock", tt.P2WSH_OP_TRUE_ADDR,
                               [tt.spend(cbs[2], 0, 50 * COIN)])

    # A block built by hand (txtools) on the tip.
    tip = node.rpc("getblockheader", node.rpc("getbestblockhash"))
    h, blk = tt.make_block(tip["hash"], tip["height"] + 1, tip["time"] + 1)
    fw.assert_equal(node.rpc("submitblock", blk), None)
    fw.assert_equal(node.rpc("getbestblockhash"), h)
    fw.assert_equal(node.rpc("getblock", h)["nTx"], 1)

if __name__ == "__main__":
    fw.main([test_generate, test_generateblock_and_submit])
