#!/usr/bin/env python3
"""A reorg returns a transaction to the mempool, and it is not announced
again (Bitcoin Core relays nothing its MaybeUpdateMempoolForReorg puts
back): two hearsayd nodes on loopback, anti-entropy off, split while each
mines its own branch, the transaction confirmed only on the shorter one. On
reconnection the BIP35 exchange comes before the reorg, so the transaction
stays on the side that had it."""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402


def connect(a, b):
    """b dials a (once), and both see the link."""
    b.rpc("addnode", f"127.0.0.1:{a.p2p_port}", "onetry")
    fw.wait_until(lambda: a.rpc("getconnectioncount") == 1 and b.rpc("getconnectioncount") == 1,
                  20, what="the link is up")


def test_reorg_does_not_reannounce(t):
    a, b = t.add_node(), t.add_node()
    for nd in (a, b):
        nd.start(*rl.FAST, "-debug=relay")
    hashes = rl.mine(a, 101)
    connect(a, b)
    rl.same_tip([a, b])
    b.rpc("disconnectnode", f"127.0.0.1:{a.p2p_port}")
    fw.wait_until(lambda: a.rpc("getconnectioncount") == 0 and b.rpc("getconnectioncount") == 0,
                  20, what="the split")
    txid = a.rpc("sendrawtransaction", rl.spend_coinbases(a, hashes[:1])[0])
    rl.mine(a, 1)
    fw.assert_equal(a.rpc("getrawmempool"), [], "confirmed on a's branch")
    rl.mine(b, 3)
    connect(a, b)
    tip = rl.same_tip([a, b])
    fw.assert_equal(tip, b.rpc("getbestblockhash"), "b's longer branch wins")
    rl.all_have([a], [txid], timeout=20)
    time.sleep(3)  # many trickles (0.1-0.2 s here): an announcement would have gone
    fw.assert_equal(b.rpc("getrawmempool"), [], "b never hears of it")


if __name__ == "__main__":
    fw.main([test_reorg_does_not_reannounce], timeout=120)
