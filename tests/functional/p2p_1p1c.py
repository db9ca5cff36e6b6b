#!/usr/bin/env python3
"""Opportunistic 1-parent-1-child package relay over P2P, after Bitcoin
Core v28's p2p_opportunistic_1p1c.py: a raw peer sends a parent paying
less than the node's -minrelaytxfee, then its child paying for both; the
node fetches the parent again for the orphan child, accepts the pair, and
a second hearsayd (same floor) gets both from it the same way. A low
parent without a child stays out, at both nodes."""

import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import p2p_hostile as ph  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8
FLOOR = "0.0001"  # -minrelaytxfee: 10,000 sat/kvB
MSG_TX, MSG_WITNESS_TX = 1, 0x40000001


def make_tx(inputs, fee):
    """inputs: [(txid, vout, value)] of P2WSH(OP_TRUE) outputs: (raw bytes,
    txid, its output) of a transaction paying fee."""
    vin = [(t, n, b"", 0xFFFFFFFD) for t, n, _ in inputs]
    value = sum(v for _, _, v in inputs) - fee
    out = [(value, tt.P2WSH_OP_TRUE)]
    raw = tt.ser_tx(2, vin, out, witness=[[tt.OP_TRUE]] * len(vin))
    txid = tt.txid_of(tt.ser_tx(2, vin, out))
    return raw, txid, (txid, 0, value)


class RawPeer:
    """A raw P2P peer that serves the transactions it holds when asked."""

    def __init__(self, node):
        self.s = ph.handshake(node)
        self.txs = {}  # txid (internal byte order) -> raw
        self.served = []

    def send_tx(self, raw, txid):
        self.txs[bytes.fromhex(txid)[::-1]] = raw
        self.s.sendall(ph.frame("tx", raw))

    def serve(self, seconds):
        """Answers pings and getdata for seconds."""
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return
            self.s.settimeout(left)
            try:
                msg = ph.read_frame(self.s)
            except socket.timeout:
                return
            if msg is None:
                raise fw.TestFailure("the node closed the raw peer")
            command, payload = msg
            if command == "ping":
                self.s.sendall(ph.frame("pong", payload))
            elif command == "getdata":
                self._getdata(payload)

    def _getdata(self, payload):
        count, pos = tt.read_compact(payload, 0)
        for _ in range(count):
            kind, h = struct.unpack("<I", payload[pos:pos + 4])[0], payload[pos + 4:pos + 36]
            pos += 36
            if kind in (MSG_TX, MSG_WITNESS_TX) and h in self.txs:
                self.served.append(h[::-1].hex())
                self.s.sendall(ph.frame("tx", self.txs[h]))


def pool(node):
    return set(node.rpc("getrawmempool"))


def test_cpfp_over_p2p(t):
    node, second = t.add_node(), t.add_node()
    node.start(f"-minrelaytxfee={FLOOR}", "-debug=mempool")
    second.start(f"-minrelaytxfee={FLOOR}", f"-addnode=127.0.0.1:{node.p2p_port}",
                 "-debug=mempool")
    node.wait_for_log("inbound connected", timeout=20)
    hashes = rl.mine(node, 102)
    rl.same_tip([node, second])
    coins = [(rl.coinbase_of(node, h), 0, 50 * COIN) for h in hashes[:2]]
    raw_peer = RawPeer(node)

    # Alone, a parent below the floor (about 1,000 sat/kvB) stays out.
    lone, lone_txid, _ = make_tx([coins[1]], 120)
    raw_peer.send_tx(lone, lone_txid)
    raw_peer.serve(1)
    parent, parent_txid, parent_out = make_tx([coins[0]], 120)
    child, child_txid, _ = make_tx([parent_out], 50000)
    raw_peer.send_tx(parent, parent_txid)
    raw_peer.serve(1)
    fw.assert_equal(parent_txid in pool(node), False, "the parent alone in the mempool")

    # The child arrives: an orphan whose parent, refused on its feerate
    # only, is asked for again; the pair enters.
    raw_peer.send_tx(child, child_txid)
    deadline = time.time() + 20
    while time.time() < deadline and child_txid not in pool(node):
        raw_peer.serve(0.5)
    fw.assert_equal(parent_txid in raw_peer.served, True, "the parent fetched again")
    fw.assert_equal({parent_txid, child_txid} <= pool(node), True, "the pair at the node")

    # The second node gets both: the child from the node, then the parent
    # it needs as an orphan's, paired the same way.
    fw.wait_until(lambda: {parent_txid, child_txid} <= pool(second), 30,
                  what="the pair at the second node")
    raw_peer.serve(3)
    for n in (node, second):
        fw.assert_equal(lone_txid in pool(n), False, "the lone low parent in a mempool")
    fw.assert_equal(pool(node), {parent_txid, child_txid}, "the node's mempool")
    raw_peer.s.close()
    fw.assert_equal(node.stop(), 0)
    fw.assert_equal(second.stop(), 0)


if __name__ == "__main__":
    fw.main([test_cpfp_over_p2p], timeout=180)
