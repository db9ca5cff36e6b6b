#!/usr/bin/env python3
"""ZMQ notifications (-zmqpub*) received by a Python subscriber (Debian's
python3-zmq): Core's message layout [topic, body, LE32 sequence], every
topic in order with no gap in its sequence numbers, mempool sequence
numbers on "A"/"R", a reorg seen as "D" then "C" with one hashblock for
the new tip, no hashblock during initial download; getzmqnotifications
lists what is published."""

import os
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402

fw.require_system_module("zmq", "python3-zmq")

import zmq  # noqa: E402

import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402
from framework import assert_equal  # noqa: E402

TOPICS = ["hashblock", "hashtx", "rawblock", "rawtx", "sequence"]


class Subscriber:
    def __init__(self, address):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.RCVTIMEO, 30000)
        for t in TOPICS:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        self.sock.connect(address)
        self.last = {}

    def recv(self):
        """(topic, body), checking the layout and that this topic's
        sequence number follows the last one seen."""
        parts = self.sock.recv_multipart()
        assert_equal(len(parts), 3, "parts of a notification")
        topic, body, seq = parts[0].decode(), parts[1], parts[2]
        assert_equal(len(seq), 4, "sequence number size")
        n = struct.unpack("<I", seq)[0]
        if topic in self.last:
            assert_equal(n, self.last[topic] + 1, f"{topic} sequence")
        self.last[topic] = n
        return topic, body

    def expect(self, want):
        """Receives len(want) messages: each (topic, body) in order, a body
        of None matching any."""
        for topic, body in want:
            got_topic, got_body = self.recv()
            assert_equal(got_topic, topic, "topic")
            if body is not None:
                assert_equal(got_body, body, f"{topic} body")

    def close(self):
        self.sock.close(0)
        self.ctx.term()


def seq_body(hash_hex, label, mempool_seq=None):
    b = bytes.fromhex(hash_hex) + label.encode()
    return b + struct.pack("<Q", mempool_seq) if mempool_seq is not None else b


def start_publisher(t, *extra):
    node = t.add_node()
    addr = f"tcp://127.0.0.1:{fw.free_port()}"
    node.start(*[f"-zmqpub{k}={addr}" for k in TOPICS], *extra)
    assert_equal(sorted(n["type"] for n in node.rpc("getzmqnotifications")),
                 sorted("pub" + k for k in TOPICS))
    assert_equal({n["address"] for n in node.rpc("getzmqnotifications")}, {addr})
    sub = Subscriber(addr)
    time.sleep(0.5)  # the subscription reaches the publisher (ZMQ's slow joiner)
    return node, sub


def block_messages(node, block_hash, label):
    blk = node.rpc("getblock", block_hash, 2)
    want = []
    for tx in blk["tx"]:
        want += [("hashtx", bytes.fromhex(tx["txid"])), ("rawtx", bytes.fromhex(tx["hex"]))]
    return want + [("sequence", seq_body(block_hash, label))]


def test_tx_and_block(t):
    node, sub = start_publisher(t)
    hashes = rl.mine(node, 101)
    for h in hashes:  # every block: its transactions, then "C"
        sub.expect(block_messages(node, h, "C"))
    tip = hashes[-1]  # then the tip, once the batch is done
    sub.expect([("hashblock", bytes.fromhex(tip)),
                ("rawblock", bytes.fromhex(node.rpc("getblock", tip, 0)))])
    # A transaction entering the mempool: hashtx, rawtx, then "A" with the
    # mempool sequence it took.
    seq0 = node.rpc("getrawmempool", False, True)["mempool_sequence"]
    assert_equal(seq0, 1, "a fresh mempool's sequence (Core's starts at 1)")
    raw = tt.spend(rl.coinbase_of(node, hashes[0]), 0, 50 * 10**8)
    txid = node.rpc("sendrawtransaction", raw)
    sub.expect([("hashtx", bytes.fromhex(txid)), ("rawtx", bytes.fromhex(raw)),
                ("sequence", seq_body(txid, "A", seq0))])
    assert_equal(node.rpc("getrawmempool", False, True),
                 {"txids": [txid], "mempool_sequence": seq0 + 1})
    # Replaced (full RBF): "R" for the old one, then the new one as above.
    raw2 = tt.spend(rl.coinbase_of(node, hashes[0]), 0, 50 * 10**8, fee=5000)
    txid2 = node.rpc("sendrawtransaction", raw2)
    sub.expect([("sequence", seq_body(txid, "R", seq0 + 1)),
                ("hashtx", bytes.fromhex(txid2)), ("rawtx", bytes.fromhex(raw2)),
                ("sequence", seq_body(txid2, "A", seq0 + 2))])
    # Mined: the block's transactions and "C"; no "R" for a confirmation.
    block = rl.mine(node, 1)[0]
    sub.expect(block_messages(node, block, "C"))
    sub.expect([("hashblock", bytes.fromhex(block)), ("rawblock", None)])
    # The confirmation took a mempool sequence number all the same.
    assert_equal(node.rpc("getrawmempool", False, True),
                 {"txids": [], "mempool_sequence": seq0 + 4})
    sub.close()


def test_reorg(t):
    node, sub = start_publisher(t)
    other = t.add_node()
    other.start()
    base = rl.mine(node, 101)
    for h in base:
        sub.expect(block_messages(node, h, "C"))
    sub.expect([("hashblock", None), ("rawblock", None)])
    # The other node builds a longer branch on the same first 100 blocks.
    for h in base[:100]:
        other.rpc("submitblock", node.rpc("getblock", h, 0))
    branch = other.rpc("generatetodescriptor", 2, "raw(51)")  # not our block 101
    raw = tt.spend(rl.coinbase_of(node, base[0]), 0, 50 * 10**8)
    txid = node.rpc("sendrawtransaction", raw)
    sub.expect([("hashtx", None), ("rawtx", None), ("sequence", None)])
    node.rpc("addnode", f"127.0.0.1:{other.p2p_port}", "onetry")
    rl.same_tip([node, other])
    # Block 101 of our branch leaves ("D"), the two of the other branch join
    # ("C"), and the new tip is announced once.
    sub.expect(block_messages(node, base[100], "D"))
    for h in branch:
        sub.expect(block_messages(node, h, "C"))
    sub.expect([("hashblock", bytes.fromhex(branch[-1])), ("rawblock", None)])
    assert txid in node.rpc("getrawmempool"), "the transaction stayed in the mempool"
    sub.close()


def test_initial_download(t):
    """No tip notification while in initial download, as Core: here a
    recent tip short of the minimum chain work (genesis and three blocks,
    2 each on regtest)."""
    node, sub = start_publisher(t, "-minimumchainwork=0x8")
    for height in (1, 2, 3):
        block = rl.mine(node, 1)[0]
        sub.expect(block_messages(node, block, "C"))
        assert_equal(node.rpc("getblockchaininfo")["initialblockdownload"], height < 3)
    sub.expect([("hashblock", bytes.fromhex(block)), ("rawblock", None)])
    sub.close()


if __name__ == "__main__":
    fw.main([test_tx_and_block, test_reorg, test_initial_download])
