#!/usr/bin/env python3
"""The unbroadcast set (Bitcoin Core's) and its journal: a transaction
submitted by RPC stays "unbroadcast" (getmempoolinfo, getmempoolentry)
until a peer asks for it by getdata; it survives a kill -9 before any peer
had it (unbroadcast.dat, read back at start), is announced to a peer that
connects afterwards, and leaves the set, and the journal, once served."""

import os
import signal
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
import framework as fw  # noqa: E402
import p2p_hostile as ph  # noqa: E402
import relay_lib as rl  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402

MSG_TX = 1
MSG_WITNESS_TX = 0x40000001
JOURNAL_HEADER = 8  # "HSUB", version


def journal(node):
    return os.path.join(node.chaindir, "unbroadcast.dat")


def journal_size(node):
    return os.path.getsize(journal(node))


def unbroadcast_count(node):
    return node.rpc("getmempoolinfo")["unbroadcastcount"]


def submit_alone(node):
    """A coinbase spend sent to a node with no peers: unbroadcast."""
    hashes = rl.mine(node, 101)
    raw, = rl.spend_coinbases(node, hashes[:1])
    txid = node.rpc("sendrawtransaction", raw)
    assert_equal(unbroadcast_count(node), 1, "unbroadcastcount after the send")
    assert_equal(node.rpc("getmempoolentry", txid)["unbroadcast"], True, "entry flag")
    assert journal_size(node) > JOURNAL_HEADER, "the transaction is journaled"
    return txid


def kill9_and_restart(node, *args):
    assert_equal(node.stop(sig=signal.SIGKILL), -signal.SIGKILL)
    assert not os.path.exists(os.path.join(node.chaindir, "mempool.dat")), \
        "no mempool.dat: only the journal can bring the transaction back"
    node.start(*args)


def inv_items(payload):
    n = payload[0]  # the node announces a handful at a time (< 0xfd)
    return [(struct.unpack("<I", payload[1 + 36 * i:5 + 36 * i])[0],
             payload[5 + 36 * i:37 + 36 * i][::-1].hex()) for i in range(n)]


def wait_for_inv(s, txid, timeout=20):
    """Reads messages until an inv of txid (by txid: the raw peer did not
    send wtxidrelay); fails on a timeout or a closed socket."""
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = ph.read_frame(s)
        if msg is None:
            raise fw.TestFailure("the node closed the raw peer")
        if msg[0] == "inv" and (MSG_TX, txid) in inv_items(msg[1]):
            return
    raise fw.TestFailure(f"no inv of {txid} within {timeout} s")


def read_tx(s, timeout=20):
    s.settimeout(timeout)
    while True:
        msg = ph.read_frame(s)
        if msg is None:
            raise fw.TestFailure("the node closed the raw peer instead of serving the tx")
        if msg[0] == "tx":
            return msg[1]


def test_kill9_then_raw_peer(t):
    """kill -9 right after the send: back at start; announced to a peer
    that connects (it sends no BIP35 mempool request), served by getdata,
    and then out of the set and of the journal."""
    node = t.add_node()
    node.start("-trickle=0")
    txid = submit_alone(node)
    kill9_and_restart(node, "-trickle=0")
    assert_in("Mempool: 1 unbroadcast transactions from", node.debug_log()[node.log_offset:])
    assert_equal(node.rpc("getrawmempool"), [txid], "the mempool after kill -9 and restart")
    assert_equal(unbroadcast_count(node), 1, "still unbroadcast after the restart")
    s = ph.handshake(node)
    try:
        wait_for_inv(s, txid)
        assert_equal(unbroadcast_count(node), 1, "an inv alone does not remove it")
        s.sendall(ph.frame("getdata", bytes([1]) + struct.pack("<I", MSG_WITNESS_TX)
                           + bytes.fromhex(txid)[::-1]))
        raw = read_tx(s)
        assert_equal(node.rpc("decoderawtransaction", raw.hex())["txid"], txid, "the tx served")
        fw.wait_until(lambda: unbroadcast_count(node) == 0, 10, what="the set emptied")
        assert_equal(node.rpc("getmempoolentry", txid)["unbroadcast"], False, "entry flag")
        assert_equal(journal_size(node), JOURNAL_HEADER, "the journal cut to its header")
    finally:
        s.close()
    # Sent again while in the mempool: unbroadcast (and journaled) again,
    # as Core's BroadcastTransaction does.
    assert_equal(node.rpc("sendrawtransaction", raw.hex()), txid, "sent again")
    assert_equal(unbroadcast_count(node), 1, "unbroadcast again")
    kill9_and_restart(node)
    assert_equal(node.rpc("getrawmempool"), [txid], "back after a second kill -9")
    assert_equal(unbroadcast_count(node), 1, "unbroadcast after the second kill")
    assert_equal(node.stop(), 0)


def test_kill9_then_hearsay_peer(t):
    """The same with a hearsay peer that connects after the restart: it
    gets the transaction, and the sender's set empties. The peer has the
    chain first (a node far behind cannot take the spend)."""
    a, b = t.add_node(), t.add_node()
    a.start(*rl.FAST)
    b.start(*rl.FAST, f"-addnode={fw.LOOPBACK}:{a.p2p_port}")
    rl.mine(a, 101)
    rl.same_tip([a, b])
    assert_equal(b.stop(), 0)
    hashes = [a.rpc("getblockhash", 1)]
    raw, = rl.spend_coinbases(a, hashes)
    txid = a.rpc("sendrawtransaction", raw)
    assert_equal(unbroadcast_count(a), 1, "unbroadcastcount after the send")
    kill9_and_restart(a, *rl.FAST)
    assert_equal(a.rpc("getrawmempool"), [txid], "the mempool after kill -9 and restart")
    b.start(*rl.FAST, f"-addnode={fw.LOOPBACK}:{a.p2p_port}")
    rl.all_have([b], [txid], timeout=20)
    fw.wait_until(lambda: unbroadcast_count(a) == 0, 10, what="a's set emptied")
    assert_equal(journal_size(a), JOURNAL_HEADER, "the journal cut to its header")
    assert_equal(b.rpc("getmempoolinfo")["unbroadcastcount"], 0, "relayed is not local")
    assert_equal(b.stop(), 0)
    assert_equal(a.stop(), 0)


def test_clean_restart_and_torn_record(t):
    """A clean stop keeps the set (Core keeps it in mempool.dat); a torn
    last record, as a kill in mid-write leaves, is ignored; a block
    confirming the transaction takes it out of the set."""
    node = t.add_node()
    node.start()
    txid = submit_alone(node)
    assert_equal(node.stop(), 0)
    with open(journal(node), "ab") as f:
        f.write(b"\xfd\x10\x27" + b"\x00" * 40)  # a record cut short
    node.start()
    assert_in("ignoring a torn record after 1", node.debug_log()[node.log_offset:])
    assert_equal(unbroadcast_count(node), 1, "unbroadcast after a clean restart")
    rl.mine(node, 1)
    assert_equal(node.rpc("getrawmempool"), [], "confirmed")
    assert_equal(unbroadcast_count(node), 0, "a confirmed transaction leaves the set")
    assert_equal(journal_size(node), JOURNAL_HEADER, "the journal cut to its header")
    assert_equal(node.stop(), 0)


def test_no_persistence(t):
    """-persistmempool=0: the set works, no journal is written."""
    node = t.add_node()
    node.start("-persistmempool=0")
    hashes = rl.mine(node, 101)
    raw, = rl.spend_coinbases(node, hashes[:1])
    node.rpc("sendrawtransaction", raw)
    assert_equal(unbroadcast_count(node), 1, "unbroadcastcount")
    assert not os.path.exists(journal(node)), "journal written with -persistmempool=0"
    assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_kill9_then_raw_peer, test_kill9_then_hearsay_peer,
             test_clean_restart_and_torn_record, test_no_persistence])
