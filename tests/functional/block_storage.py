#!/usr/bin/env python3
"""Block files and the two databases: blocks in blocks/blk*.dat (64 KiB
files with -fastprune), -reindex after the block index is deleted and on
an intact datadir (same tip, same coins: gettxout of chosen outpoints and
gettxoutsetinfo's hash_serialized_3 and muhash), the old single-database layout
refused with what to do."""

import glob
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8
BLOCKS = 700  # enough coinbases for 64 KiB files to fill several


def build_chain(node):
    """Mines BLOCKS blocks, a few of them spending coinbases (undo data
    with coins in it); returns the outpoints to compare."""
    hashes = node.rpc("generatetoaddress", 120, tt.P2WSH_OP_TRUE_ADDR)
    spent = []
    for i in range(20):
        cb = node.rpc("getblock", hashes[i], 2)["tx"][0]["txid"]
        node.rpc("sendrawtransaction", tt.spend(cb, 0, 50 * COIN))
        spent.append(cb)
        if i % 5 == 4:
            hashes += node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)
    hashes += node.rpc("generatetoaddress", BLOCKS - len(hashes), tt.P2WSH_OP_TRUE_ADDR)
    outpoints = [(cb, 0) for cb in spent]  # spent: gettxout answers null
    for h in hashes[::7]:
        for tx in node.rpc("getblock", h, 2)["tx"]:
            outpoints.append((tx["txid"], 0))
    return outpoints


def coin(node, txid, n):
    c = node.rpc("gettxout", txid, n)
    return c and (c["value"], c["scriptPubKey"]["hex"], c["coinbase"])


def coin_digest(node):
    """The whole UTXO set, as gettxoutsetinfo digests it."""
    info = node.rpc("gettxoutsetinfo")
    mu = node.rpc("gettxoutsetinfo", "muhash")
    return (info["txouts"], info["total_amount"], info["hash_serialized_3"], mu["muhash"])


def snapshot(node, outpoints):
    info = node.rpc("getblockchaininfo")
    coins = [coin(node, txid, n) for txid, n in outpoints]
    return (info["blocks"], info["bestblockhash"], info["chainwork"], coins, coin_digest(node))


def block_files(node):
    return sorted(glob.glob(os.path.join(node.chaindir, "blocks", "blk*.dat")))


def test_reindex(t):
    node = t.add_node()
    node.start("-fastprune")
    outpoints = build_chain(node)
    want = snapshot(node, outpoints)
    fw.assert_equal(want[0], BLOCKS)
    assert all(c is None for c in want[3][:20]), "the spent coinbases are gone"
    assert sum(c is not None for c in want[3]) > 80, "unspent coins to compare"
    node.stop()
    files = block_files(node)
    assert len(files) >= 3, f"64 KiB block files: {files}"
    for f in files[:-1]:  # finished files are cut back to their data
        assert os.path.getsize(f) <= 64 * 1024, f

    # The index lost: the coins name a block nobody knows; -reindex rebuilds.
    shutil.rmtree(os.path.join(node.chaindir, "blocks", "index"))
    rc, out, err = node.run("-fastprune")
    fw.assert_equal(rc, 1)
    fw.assert_in("restart with -reindex", err)
    node.start("-fastprune", "-reindex")
    fw.assert_equal(snapshot(node, outpoints), want)
    fw.assert_in("reindex: done", node.debug_log())
    # New blocks go after the reindexed ones, and everything survives a restart.
    node.rpc("generatetoaddress", 5, tt.P2WSH_OP_TRUE_ADDR)
    grown = coin_digest(node)
    node.stop()
    node.start("-fastprune")
    fw.assert_equal(node.rpc("getblockcount"), BLOCKS + 5)
    fw.assert_equal(snapshot(node, outpoints)[3], want[3])
    fw.assert_equal(coin_digest(node), grown)
    block = node.rpc("getblock", node.rpc("getblockhash", 3), 0)
    fw.assert_equal(len(block) > 100, True)
    node.stop()

    # -reindex of an intact datadir gives the same chain again.
    node.start("-fastprune", "-reindex")
    fw.assert_equal(node.rpc("getblockcount"), BLOCKS + 5)
    fw.assert_equal(snapshot(node, outpoints)[3], want[3])
    fw.assert_equal(coin_digest(node), grown)


def test_old_layout_refused(t):
    node = t.add_node()
    old = os.path.join(node.chaindir, "index")
    os.makedirs(old)
    with open(os.path.join(old, "CURRENT"), "w") as f:
        f.write("MANIFEST-000002\n")
    rc, out, err = node.run()
    fw.assert_equal(rc, 1)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    fw.assert_equal(len(lines), 1, f"one line: {err!r}")
    fw.assert_in("old single-database layout", lines[0])
    fw.assert_in("delete that directory", lines[0])
    # Doing what it says works.
    shutil.rmtree(old)
    node.start()
    fw.assert_equal(node.rpc("getblockcount"), 0)


if __name__ == "__main__":
    fw.main([test_reindex, test_old_layout_refused])
