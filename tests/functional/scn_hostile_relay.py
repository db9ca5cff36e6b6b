#!/usr/bin/env python3
"""Hostile raw peers beside honest relay.

Three hearsayd nodes in a line 0-1-2 relay normally while raw peers that
completed the handshake hit the middle node with what p2p_hostile.py does
not send: a bad checksum after the handshake, garbage tx and block
payloads, an inv of 50,001 entries (one over the limit) or claiming them,
getdata and getheaders over their limits, a header without its proof of
work, a block mutated under a valid header (merkle mismatch), unknown
commands, and a valid inv of 50,000 transactions that are never delivered.
As in Bitcoin Core, the misbehaving ones are disconnected with their
reason in debug.log, a locator over its limit is disconnected without
discouragement, and what cannot be read (bad checksum, garbage payloads,
an inv claiming more entries than it holds) is dropped, the peer kept; a
transaction and blocks still reach every node (the genuine block behind
the mutated one too), and no honest link drops. A peer that
announces a transaction and a block first and withholds them delays
neither."""

import os
import struct
import time
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import p2p_hostile as ph  # noqa: E402
import relay_lib as rl  # noqa: E402

MSG_WTX = 5
MSG_BLOCK = 2  # with or without the witness flag


def inv(count, kind=MSG_WTX):
    entries = b"".join(struct.pack("<I", kind) + os.urandom(32) for _ in range(count))
    return ph.frame("inv", rl.tt.compact(count) + entries)


def entries(count, kind=MSG_WTX):
    return b"".join(struct.pack("<I", kind) + os.urandom(32) for _ in range(count))


def inv(count):
    return ph.frame("inv", rl.tt.compact(count) + entries(count))


def header_on(tip, when, bits):
    return (struct.pack("<i", 0x20000000) + bytes.fromhex(tip)[::-1] + os.urandom(32)
            + struct.pack("<III", when, bits, 7))


def misbehaving(tip, when, real_block):
    """(what is sent, the reason logged), each after its own handshake.
    The last is real_block with its coinbase altered: same header, merkle
    root mismatch."""
    mutated = bytearray.fromhex(real_block)
    mutated[-10] ^= 1  # in the coinbase's output script
    return [
        (inv(50_001), "inv message size = 50001"),
        (ph.frame("getdata", rl.tt.compact(50_001) + entries(50_001)),
         "getdata message size = 50001"),
        (ph.frame("headers", b"\x01" + header_on(tip, when, 0x1D00FFFF) + b"\x00"), "high-hash"),
        (ph.frame("block", bytes(mutated)), "bad-txnmrklroot"),
    ]


# Disconnected without discouragement (Core's fDisconnect).
DISCONNECTED = [
    (ph.frame("getheaders", struct.pack("<I", 70016) + b"\x66" + os.urandom(32 * 103)),
     "getheaders locator size 102 > 101"),
]

# Dropped, the peer kept (Core's V1Transport, and ProcessMessages, which
# catches what cannot be deserialized).
DROPPED = [
    ph.frame("tx", os.urandom(120), checksum=b"\0\0\0\0"),
    ph.frame("tx", os.urandom(120)),
    ph.frame("block", os.urandom(80) + b"\xfd\xff\xff" + os.urandom(200)),
    ph.frame("inv", rl.tt.compact(50_001) + entries(1)),
]


def honest_links_intact(nodes, since):
    """No disconnection at the ends since the network was up (dials that
    raced their peer's start-up came before)."""
    for nd in (nodes[0], nodes[2]):
        fw.assert_equal(nd.debug_log()[since[nd.index]:].count("disconnecting"), 0,
                        f"node{nd.index}'s disconnections")


def test_hostile_beside_relay(t):
    nodes = rl.start_network(t, 3, rl.line(3))
    target = nodes[1]
    hashes = rl.mine(nodes[0], 102)
    tip = rl.same_tip(nodes)
    since = [len(nd.debug_log()) for nd in nodes]
    when = nodes[0].rpc("getblockheader", tip)["time"] + 1
    real_hash, real_block = rl.tt.make_block(tip, 103, when)
    cases = misbehaving(tip, when, real_block)

    # Peers that only send what is allowed, if useless: they must stay.
    flooder = ph.handshake(target)
    flooder.sendall(inv(50_000))
    chatter = ph.handshake(target)
    for cmd in ("xyzzy", "sendfoo", "getfoo"):
        chatter.sendall(ph.frame(cmd, os.urandom(64)))

    for data, reason, suffix in ([c + (" (misbehaving)",) for c in cases]
                                 + [c + ("",) for c in DISCONNECTED]):
        s = ph.handshake(target)
        s.sendall(data)
        if not ph.closed_by_node(s, timeout=20):
            raise fw.TestFailure(f"node kept a peer after {reason!r}")
        s.close()
        target.wait_for_log(f"disconnecting: {reason}{suffix}\n", timeout=15)
    for data in DROPPED:
        s = ph.handshake(target)
        s.sendall(data)
        ph.ping(s)  # still served
        s.close()

    # Honest relay meanwhile: a transaction from one end reaches the
    # other through the attacked node, and blocks go both ways, the first
    # being the one whose mutated copy the attacked node refused.
    txid = nodes[0].rpc("sendrawtransaction", rl.spend_coinbases(nodes[0], hashes[:1])[0])
    rl.all_have(nodes, [txid], timeout=40)
    fw.assert_equal(nodes[0].rpc("submitblock", real_block), None, "the genuine block")
    fw.assert_equal(rl.same_tip(nodes, timeout=40), real_hash, "tip after the genuine block")
    rl.mine(nodes[2], 1)
    tip = rl.same_tip(nodes, timeout=40)
    fw.assert_equal(txid in nodes[0].rpc("getblock", tip)["tx"], True, "the block has the tx")

    # The peers that did nothing wrong are still served.
    ph.ping(flooder)
    ph.ping(chatter)
    honest_links_intact(nodes, since)
    fw.assert_equal(target.debug_log()[since[1]:].count("(misbehaving)"), len(cases),
                    "misbehaving disconnections")
    flooder.close()
    chatter.close()
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


def wait_for_command(s, command, accept, timeout=15):
    """Reads s until the node sends `command` with a payload accept()s
    (answering pings); returns the payload."""
    s.settimeout(timeout)
    while True:
        msg = ph.read_frame(s)
        if msg is None:
            raise fw.TestFailure(f"node closed the peer waiting for {command}")
        if msg[0] == "ping":
            s.sendall(ph.frame("pong", msg[1]))
        elif msg[0] == command and accept(msg[1]):
            return msg[1]


def test_withheld_announcements(t):
    """A raw peer announces a transaction and a block first and never
    delivers them: the attacked node still gets both from honest peers,
    the transaction at once from its preferred outbound peer, the block
    once Bitcoin Core's block download timeout (10 minutes with no other
    peer downloading; moved by setmocktime) drops the withholder."""
    # Without compact blocks: a high-bandwidth peer's cmpctblock would
    # bring the withheld block at once (as in Core), and the timeout is
    # what this checks.
    nodes = rl.start_network(t, 3, rl.line(3), "-compactblocks=0")
    target = nodes[1]  # dials node 2; node 0 dials it
    hashes = rl.mine(nodes[0], 101)
    tip = rl.same_tip(nodes)
    withholder = ph.handshake(target)

    raw = rl.spend_coinbases(nodes[0], hashes[:1])[0]
    wtxid = rl.tt.sha256d(bytes.fromhex(raw))
    withholder.sendall(ph.frame("inv", b"\x01" + struct.pack("<I", MSG_WTX) + wtxid))
    ph.ping(withholder)  # the announcement is processed
    txid = nodes[2].rpc("sendrawtransaction", raw)
    rl.all_have(nodes, [txid], timeout=15)

    when = nodes[0].rpc("getblockheader", tip)["time"] + 1
    block_hash, block = rl.tt.make_block(tip, 102, when, extra=b"withheld")
    withholder.sendall(ph.frame("headers", b"\x01" + bytes.fromhex(block)[:80] + b"\x00"))
    # (a getdata for the transaction may come first on a slow machine)
    wanted = wait_for_command(withholder, "getdata",
                              lambda p: struct.unpack("<I", p[1:5])[0] & 0xFF == MSG_BLOCK)
    fw.assert_equal(wanted[5:37][::-1].hex(), block_hash, "the block asked of the withholder")
    fw.assert_equal(nodes[0].rpc("submitblock", block), None, "the block at node 0")
    time.sleep(1)
    fw.assert_equal(target.rpc("getbestblockhash"), tip, "no second request before the timeout")
    ph.ping(withholder)  # withholding is slow, not misbehaving (yet)
    mock = int(time.time())
    target.rpc("setmocktime", mock)  # the node's timers move with it from here
    mock += 601
    target.rpc("setmocktime", mock)

    def on_block():  # the mock clock keeps moving, so the relay's timers run
        nonlocal mock
        mock += 1
        target.rpc("setmocktime", mock)
        return all(nd.rpc("getbestblockhash") == block_hash for nd in nodes)
    fw.wait_until(on_block, 20, interval=0.2, what="every node on the block")
    if not ph.closed_by_node(withholder):
        raise fw.TestFailure("the withholder outlived the block download timeout")
    target.wait_for_log("timeout downloading a block")
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


def test_malleated_witness_later(t):
    """A raw peer sends a relayed transaction again with its witness
    stripped, then with a wrong witness: same txid, other wtxids. Both are
    refused and every node keeps the genuine one (by wtxid). (The other
    order is not defended: hearsay does not verify scripts, see README
    "Validation level", so a malleated copy that comes first is accepted
    and pins the txid.)"""
    nodes = rl.start_network(t, 3, rl.line(3), "-debug=mempoolrej")
    hashes = rl.mine(nodes[0], 101)
    rl.same_tip(nodes)
    coin = rl.coinbase_of(nodes[0], hashes[0])
    good = rl.tt.spend(coin, 0, 50 * rl.COIN)
    txid = nodes[2].rpc("sendrawtransaction", good)
    rl.all_have(nodes, [txid], timeout=20)
    wtxid = nodes[2].rpc("getmempoolentry", txid)["wtxid"]
    vin = [(coin, 0, b"", 0xFFFFFFFD)]
    vout = [(50 * rl.COIN - rl.tt.FEE, rl.tt.P2WSH_OP_TRUE)]
    for bad in (rl.tt.ser_tx(2, vin, vout), rl.tt.ser_tx(2, vin, vout, witness=[[b"\x52"]])):
        s = ph.handshake(nodes[1])
        s.sendall(ph.frame("tx", bad))
        ph.ping(s)  # processed
        s.close()
    fw.wait_until(lambda: nodes[1].debug_log().count("txn-same-nonwitness-data-in-mempool") >= 2,
                  15, what="both copies refused")
    for nd in nodes:
        fw.assert_equal(nd.rpc("getmempoolentry", txid)["wtxid"], wtxid,
                        f"node{nd.index}'s copy")
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")

if __name__ == "__main__":
    fw.main([test_hostile_beside_relay, test_withheld_announcements,
             test_malleated_witness_later], timeout=180)
