#!/usr/bin/env python3
"""BIP68 in blocks: a child spending, with a 3-block relative lock, an
output confirmed at height 102 is non-final in block 103. A hearsay node
refuses such a block sent over P2P (and disconnects the sender, as Core
punishes a consensus-invalid block) and submitblock answers Core's
"bad-txns-nonfinal"; the mempool says "non-BIP68-final" through the same
rule; in block 105 the child is final and the block connects."""

import hashlib
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import p2p_hostile as ph  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8
# P2SH of OP_1 OP_NOP: spendable without a key or a witness, and standard
# to spend (a minimal push of the redeem script), so the mempool can judge
# the child too.
REDEEM = b"\x51\x61"
P2SH = b"\xa9\x14" + hashlib.new("ripemd160", hashlib.sha256(REDEEM).digest()).digest() + b"\x87"


def test_bip68_block(t):
    node = t.add_node().start()
    hashes = node.rpc("generatetodescriptor", 101, tt.descsum_create("raw(51)"))
    cb = node.rpc("getblock", hashes[0])["tx"][0]
    tip = node.rpc("getblockheader", hashes[-1])
    when = tip["time"] + 1
    parent = tt.ser_tx(2, [(cb, 0, b"", 0xFFFFFFFF)], [(50 * COIN - 1000, P2SH)])
    h102, raw = tt.make_block(tip["hash"], 102, when, [parent])
    fw.assert_equal(node.rpc("submitblock", raw), None, "block 102 with the parent")
    # Relative lock of 3 blocks: final from height 102 + 3 on.
    child = tt.ser_tx(2, [(tt.txid_of(parent), 0, tt.varbytes(REDEEM), 3)],
                      [(50 * COIN - 2000, P2SH)])

    fw.assert_raises_rpc_error(-26, "non-BIP68-final", node.rpc, "sendrawtransaction",
                               child.hex())

    _, early = tt.make_block(h102, 103, when + 1, [child], extra=b"p2p")
    s = ph.handshake(node)
    s.sendall(ph.frame("block", bytes.fromhex(early)))
    fw.assert_equal(ph.closed_by_node(s, timeout=20), True, "sender of the block disconnected")
    s.close()
    node.wait_for_log("bad-txns-nonfinal")
    fw.assert_equal(node.rpc("getbestblockhash"), h102)

    _, early = tt.make_block(h102, 103, when + 1, [child])
    fw.assert_equal(node.rpc("submitblock", early), "bad-txns-nonfinal")
    fw.assert_equal(node.rpc("getbestblockhash"), h102)

    h103, raw = tt.make_block(h102, 103, when + 2)
    fw.assert_equal(node.rpc("submitblock", raw), None)
    h104, raw = tt.make_block(h103, 104, when + 3)
    fw.assert_equal(node.rpc("submitblock", raw), None)
    # Judged for block 105: final now, in the mempool and in the block.
    fw.assert_equal(node.rpc("sendrawtransaction", child.hex()), tt.txid_of(child))
    h105, raw = tt.make_block(h104, 105, when + 4, [child])
    fw.assert_equal(node.rpc("submitblock", raw), None, "block 105 with the child")
    fw.assert_equal(node.rpc("getbestblockhash"), h105)
    fw.assert_equal(node.rpc("getrawmempool"), [])
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_bip68_block], timeout=120)
