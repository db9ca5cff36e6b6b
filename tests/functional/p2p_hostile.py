#!/usr/bin/env python3
"""Hostile raw-socket peers: bad magic, an oversized length, garbage, and
100 connections that never send. Each is dropped with its reason in
debug.log, while an honest hearsayd peer and an honest raw peer keep
being served. A bad checksum, a bad command or a version that cannot be
read only get the message dropped, as in Bitcoin Core: the peer may go on
with a good version; so do hearsay's own messages cut short."""
import hashlib
import os
import select
import socket
import struct
import time

import framework as fw

REGTEST_MAGIC = bytes.fromhex("fabfb5da")


def frame(command, payload=b"", magic=REGTEST_MAGIC, checksum=None):
    if checksum is None:
        checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return (magic + command.encode().ljust(12, b"\0") + struct.pack("<I", len(payload))
            + checksum + payload)


def version_payload(nonce=0x1234):
    addr = struct.pack("<Q", 0) + bytes(10) + b"\xff\xff" + bytes(4) + struct.pack(">H", 0)
    ua = b"/raw-test:0.1/"
    return (struct.pack("<iQq", 70016, 9, int(time.time())) + addr + addr
            + struct.pack("<Q", nonce) + bytes([len(ua)]) + ua + struct.pack("<i", 0) + b"\x01")


def connect(node):
    s = socket.create_connection((fw.LOOPBACK, node.p2p_port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_frame(s):
    """One message: (command, payload); None when the node closed."""
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
    hdr = exact(24)
    if hdr is None:
        return None
    length = struct.unpack("<I", hdr[16:20])[0]
    payload = exact(length)
    return hdr[4:16].rstrip(b"\0").decode(), payload


def handshake(node, first=b"", before_verack=b""):
    """An honest raw peer: version/verack both ways; returns the socket.
    first: bytes sent before the version; before_verack: before ours."""
    s = connect(node)
    s.sendall(first + frame("version", version_payload()))
    seen = []
    while "verack" not in seen:
        msg = read_frame(s)
        if msg is None:
            raise fw.TestFailure(f"node closed an honest handshake after {seen}")
        seen.append(msg[0])
    # hsgossip: hearsay's extension offer (anti-entropy), ignored by Core.
    fw.assert_equal([m for m in seen if m != "hsgossip"][:4],
                    ["version", "wtxidrelay", "sendaddrv2", "verack"])
    s.sendall(before_verack + frame("verack"))
    return s


def collect_addrs(peers, seconds):
    """Every addr/addrv2 message each peer receives within `seconds`, its
    pings answered: {socket: [(command, payload)]}."""
    got = {s: [] for s in peers}
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select(peers, [], [], max(0.0, end - time.time()))
        for s in ready:
            msg = read_frame(s)
            if msg is None:
                raise fw.TestFailure("the node closed a peer reading addresses")
            if msg[0] == "ping":
                s.sendall(frame("pong", msg[1]))
            elif msg[0] in ("addr", "addrv2"):
                got[s].append(msg)
    return got


def ping(s, nonce=0xabcdef):
    """Our ping, answered; returns the node's other messages before the
    pong [(command, payload)], its own pings answered."""
    s.sendall(frame("ping", struct.pack("<Q", nonce)))
    seen = []
    while True:
        msg = read_frame(s)
        if msg is None:
            raise fw.TestFailure("node closed an honest peer instead of answering ping")
        if msg[0] == "pong":
            fw.assert_equal(struct.unpack("<Q", msg[1])[0], nonce, "pong nonce")
            return seen
        if msg[0] == "ping":
            s.sendall(frame("pong", msg[1]))
        else:
            seen.append(msg)


def closed_by_node(s, timeout=10):
    """True once the node closes the socket (reading and discarding)."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


HOSTILE = [
    ("bad magic", frame("version", version_payload(), magic=bytes.fromhex("f9beb4d9"))),
    ("oversized message", REGTEST_MAGIC + b"block".ljust(12, b"\0")
     + struct.pack("<I", 4_000_001) + bytes(4)),
    ("bad magic", os.urandom(16) + b"\x00garbage-garbage-garbage\xff"),
]

# Dropped, the peer kept (Core's V1Transport and ProcessMessages): what
# the node logs for each.
DROPPED = [
    ("dropping a message: bad checksum",
     frame("version", version_payload(), checksum=b"\0\0\0\0")),
    ("dropping a message: bad command", frame("ver\x01ion", version_payload())),
    ("dropping a malformed version", frame("version", version_payload()[:30])),
]


def test_hostile_peers(t):
    node, honest = t.add_node(), t.add_node()
    node.start("-peertimeout=3", "-nettick=100", "-debug=net")
    honest.start(f"-addnode=127.0.0.1:{node.p2p_port}", "-nettick=100", "-pinginterval=1")
    node.wait_for_log("inbound connected", timeout=20)
    raw = handshake(node)
    for reason, data in HOSTILE:
        s = connect(node)
        s.sendall(data)
        if not closed_by_node(s):
            raise fw.TestFailure(f"node kept a peer that sent {reason!r}")
        s.close()
        node.wait_for_log(f"disconnecting: {reason}", timeout=10)
        ping(raw)  # the honest raw peer is still served
    for logged, data in DROPPED:
        s = handshake(node, data)
        ping(s)
        s.close()
        node.wait_for_log(logged, timeout=10)
    fw.assert_equal(node.debug_log().count("(misbehaving)"), 0, "peers discouraged")
    # 100 connections that never send anything: all dropped at the
    # handshake timeout, while the honest peers stay.
    silent = [connect(node) for _ in range(100)]
    ping(raw)
    for s in silent:
        if not closed_by_node(s, timeout=15):
            raise fw.TestFailure("a silent connection outlived the handshake timeout")
        s.close()
    fw.wait_until(lambda: node.debug_log().count("disconnecting: handshake timeout") >= 100, 15,
                  what="100 handshake timeouts logged")
    ping(raw)
    # The honest hearsayd peer never lost its link to the node.
    fw.assert_equal(honest.debug_log().count("outbound disconnecting"), 0,
                    "honest node disconnections")
    raw.close()
    fw.assert_equal(node.stop(), 0)
    fw.assert_equal(honest.stop(), 0)


# hearsay's own reconciliation messages, cut short: dropped and logged,
# the peer kept, as Core drops any message it cannot read.
MALFORMED_OWN = [("hsdigest", b"\x01"), ("hsinv", b"\x02" + bytes(32)), ("hssketch", b"\x01"),
                 ("hsask", b"")]


def test_malformed_own_messages(t):
    node = t.add_node()
    node.start("-debug=net")
    s = handshake(node, before_verack=frame("wtxidrelay") + frame("hsgossip"))
    for command, payload in MALFORMED_OWN:
        s.sendall(frame(command, payload))
        ping(s)
        node.wait_for_log(f"dropping a malformed {command}", timeout=10)
    fw.assert_equal(node.debug_log().count("(misbehaving)"), 0, "peers discouraged")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_order_violations(t):
    """As Bitcoin Core: wtxidrelay or sendaddrv2 after verack ends the
    connection without discouragement; a second version is ignored."""
    node = t.add_node()
    node.start()
    for command in ("wtxidrelay", "sendaddrv2"):
        s = handshake(node)
        s.sendall(frame(command, b""))
        if not closed_by_node(s):
            raise fw.TestFailure(f"node kept a peer that sent {command} after verack")
        node.wait_for_log(f"disconnecting: {command} after verack")
        fw.assert_equal(node.debug_log().count(f"{command} after verack (misbehaving)"), 0,
                        f"{command} discouraged")
    s = handshake(node)
    s.sendall(frame("version", version_payload(0x99)))
    ping(s)
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_eviction(t):
    """Past -maxconnections a new inbound peer evicts one without a claim
    to stay (here: the youngest of the unprotected half)."""
    node = t.add_node()
    node.start("-maxconnections=4")
    peers = [handshake(node) for _ in range(4)]
    newcomer = handshake(node)
    node.wait_for_log("disconnecting: evicted for a new inbound connection")
    ping(newcomer)
    closed = [s for s in peers if closed_by_node(s, timeout=0.5)]
    fw.assert_equal(len(closed), 1, "peers evicted")
    fw.assert_equal(closed[0] in peers[2:], True, "the evicted peer is one of the youngest")
    fw.assert_equal(node.stop(), 0)


def test_addr_rate_limit(t):
    """1000 addresses from a fresh inbound peer: only its token bucket's
    worth is taken; 1001 addresses is misbehaviour."""
    node = t.add_node()
    node.start("-debug=addrman")
    s = handshake(node)
    now = int(time.time())
    entries = b"".join(struct.pack("<IQ", now, 9) + bytes(10) + b"\xff\xff"
                       + bytes([8, i // 250, i % 250, 1]) + struct.pack(">H", 8333)
                       for i in range(1000))
    s.sendall(frame("addr", b"\xfd" + struct.pack("<H", 1000) + entries))
    node.wait_for_log(": 1000 addresses, 1 new, 999 rate-limited")
    ping(s)
    more = entries + entries[:30]
    s.sendall(frame("addr", b"\xfd" + struct.pack("<H", 1001) + more))
    if not closed_by_node(s):
        raise fw.TestFailure("node kept a peer that sent 1001 addresses")
    node.wait_for_log("disconnecting: addr message size = 1001 (misbehaving)")
    fw.assert_equal(node.stop(), 0)


def addr_entry(ip, port, when, services=9):
    return (struct.pack("<IQ", when, services) + bytes(10) + b"\xff\xff" + bytes(ip) +
            struct.pack(">H", port))


def test_addr_relay(t):
    """Fresh addresses are rumours: each goes to 2 other peers that take
    part in address relay (an inbound peer does once it sent addr or
    getaddr), and those queued for one peer share one trickled message.
    An address whose services serve no blocks is neither stored nor
    relayed (Core's MayHaveUsefulAddressDB)."""
    node = t.add_node()
    node.start("-addrtrickle=3000")
    a, b, c, d = handshake(node), handshake(node), handshake(node), handshake(node)
    b.sendall(frame("getaddr"))  # b now takes part in address relay
    ping(b)
    now = int(time.time())
    a.sendall(frame("addr", b"\x01" + addr_entry([8, 8, 8, 8], 8333, now)))
    c.sendall(frame("addr", b"\x01" + addr_entry([8, 8, 4, 4], 8333, now)))
    b.settimeout(10)
    while True:
        msg = read_frame(b)
        if msg is None:
            raise fw.TestFailure("node closed a peer waiting for addresses")
        if msg[0] == "ping":
            b.sendall(frame("pong", msg[1]))
        elif msg[0] == "addr":
            break
    payload = msg[1]
    fw.assert_equal(payload[0], 2, "addresses in the relayed message")
    ips = sorted(payload[1 + 30 * i + 24:1 + 30 * i + 28] for i in range(2))
    fw.assert_equal(ips, [bytes([8, 8, 4, 4]), bytes([8, 8, 8, 8])])
    d.sendall(frame("addr", b"\x01" + addr_entry([8, 8, 2, 2], 8333, now, services=8)))
    ping(d)
    stored = sorted(a["address"] for a in node.rpc("getnodeaddresses", 0))
    fw.assert_equal(stored, ["8.8.4.4", "8.8.8.8"], "addresses stored")
    fw.assert_equal(node.stop(), 0)


def test_listen_and_ipv6(t):
    quiet, six = t.add_node(), t.add_node()
    quiet.start("-listen=0")
    try:
        connect(quiet).close()
        raise fw.TestFailure("a node with -listen=0 accepted a connection")
    except ConnectionRefusedError:
        pass
    fw.assert_equal("listening on" in quiet.debug_log(), False)
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        print("  (no IPv6 loopback here: IPv6 part skipped)")
        return
    six.start("-nobind", "-bind=[::1]")
    s = socket.create_connection(("::1", six.p2p_port), timeout=10)
    s.sendall(frame("version", version_payload()))
    fw.assert_equal(read_frame(s)[0], "version")
    six.wait_for_log("[::1]:")
    s.close()


if __name__ == "__main__":
    fw.main([test_hostile_peers, test_malformed_own_messages, test_order_violations, test_eviction, test_addr_rate_limit,
             test_addr_relay, test_listen_and_ipv6], timeout=240)
