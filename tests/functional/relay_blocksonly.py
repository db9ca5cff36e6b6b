#!/usr/bin/env python3
"""-blocksonly between real hearsayd processes on loopback: the blocks-only
node says relay=false in its version (its peer's getpeerinfo shows
relaytxes false), hears of no transaction (its mempool stays empty while
its peer's fills), asks for none, and still follows the chain; the link
stays up (nobody broke the protocol). A transaction sent to it by RPC
still reaches its peer, as from Core."""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402


def test_blocksonly(t):
    full, bonly = t.add_node(), t.add_node()
    full.start(*rl.FAST, "-debug=relay")
    bonly.start(*rl.FAST, "-debug=relay", "-blocksonly",
                f"-addnode=127.0.0.1:{full.p2p_port}")
    rl.wait_links([bonly, full], [(0, 1)])
    fw.assert_equal([p["relaytxes"] for p in full.rpc("getpeerinfo")], [False],
                    "the blocks-only node's version relay flag, seen by its peer")
    fw.assert_equal([p["relaytxes"] for p in bonly.rpc("getpeerinfo")], [True],
                    "the full node's relay flag")
    fw.assert_equal(bonly.rpc("getnetworkinfo")["localrelay"], False, "localrelay")
    hashes = rl.mine(full, 102)
    rl.same_tip([full, bonly])
    txids = [full.rpc("sendrawtransaction", raw) for raw in rl.spend_coinbases(full, hashes[:2])]
    rl.all_have([full], txids)
    time.sleep(2)  # many trickle intervals (100-200 ms)
    fw.assert_equal(bonly.rpc("getrawmempool"), [], "the blocks-only node's mempool")
    fw.assert_equal(bonly.rpc("getmempoolinfo")["size"], 0, "mempool size")
    # Blocks still flow, and they confirm what it never heard of.
    rl.mine(full, 1)
    tip = rl.same_tip([full, bonly])
    fw.assert_equal(bonly.rpc("getblock", tip)["nTx"], 3, "the block's transactions")
    fw.assert_equal(len(full.rpc("getpeerinfo")), 1, "the link is still up")
    fw.assert_equal(len(bonly.rpc("getpeerinfo")), 1, "the link is still up")
    # Its own transactions still go out, as Core's (-blocksonly refuses only
    # what peers send): the full node fetches one sent by RPC.
    own = bonly.rpc("sendrawtransaction", rl.spend_coinbases(bonly, hashes[2:3])[0])
    rl.all_have([full], [own])
    fw.assert_equal(len(full.rpc("getpeerinfo")), 1, "the link is still up")


if __name__ == "__main__":
    fw.main([test_blocksonly], timeout=120)
