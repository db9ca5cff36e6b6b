#!/usr/bin/env python3
"""Our own addresses as Bitcoin Core handles them: -externalip adds one
(score 4, LOCAL_MANUAL; discovery then off), getnetworkinfo lists it
under localaddresses, and it is announced in an addr to a peer (the
address is only data in a message: nothing connects to it). The version
message tells a peer its address only when it is routable (with
-allowprivateaddrs, as on regtest networks on one host, a loopback one
counts); without -allowprivateaddrs no private or loopback address of
ours is ever announced, even when a peer says it reached us at one."""
import ipaddress
import struct
import time

import framework as fw
import p2p_hostile as ph
import txtools as tt


def netaddr(ip, port):
    a = ipaddress.ip_address(ip)
    raw = a.packed if a.version == 6 else bytes(10) + b"\xff\xff" + a.packed
    return struct.pack("<Q", 0) + raw + struct.pack(">H", port)


def handshake(node, addr_recv=("0.0.0.0", 0)):
    """A raw peer that says it reached the node at addr_recv: (socket, the
    node's version payload)."""
    s = ph.connect(node)
    s.settimeout(10)
    payload = (struct.pack("<iQq", 70016, 9, int(time.time())) + netaddr(*addr_recv)
               + netaddr("0.0.0.0", 0) + struct.pack("<Q", 99) + b"\x00"
               + struct.pack("<i", 0) + b"\x01")
    s.sendall(ph.frame("version", payload))
    version = None
    while True:
        cmd, body = ph.read_frame(s)
        if cmd == "version":
            version = body
        elif cmd == "verack":
            break
    s.sendall(ph.frame("verack"))
    return s, version


def addr_recv_of(version):
    """The address the node says it sees us at, from its version."""
    ip = ipaddress.ip_address(version[28:44])
    ip = ip.ipv4_mapped or ip
    return str(ip), struct.unpack(">H", version[44:46])[0]


def announced(s, seconds):
    """Every address in the node's addr messages for a while: [(ip, port)]
    (our test peer sends no sendaddrv2, so no addrv2 comes)."""
    got, end = [], time.monotonic() + seconds
    s.settimeout(0.5)
    while time.monotonic() < end:
        try:
            msg = ph.read_frame(s)
        except TimeoutError:
            continue
        if msg is None:
            raise fw.TestFailure("node closed the peer")
        cmd, body = msg
        if cmd == "ping":
            s.sendall(ph.frame("pong", body))
        elif cmd == "addr":
            n, pos = tt.read_compact(body, 0)
            for _ in range(n):
                ip = ipaddress.ip_address(body[pos + 12:pos + 28])
                got.append((str(ip.ipv4_mapped or ip),
                            struct.unpack(">H", body[pos + 28:pos + 30])[0]))
                pos += 30
    return got


def test_externalip(t):
    node = t.add_node()
    node.start("-externalip=1.2.3.4", "-externalip=[2a00:1450::1]:8444", "-addrtrickle=100")
    local = node.rpc("getnetworkinfo")["localaddresses"]
    fw.assert_equal(local, [{"address": "1.2.3.4", "port": node.p2p_port, "score": 4},
                            {"address": "2a00:1450::1", "port": 8444, "score": 4}])
    node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)  # out of initial download
    s, version = handshake(node)
    # Ours in the version: loopback counts on regtest (-allowprivateaddrs).
    fw.assert_equal(addr_recv_of(version), ("127.0.0.1", s.getsockname()[1]))
    s.sendall(ph.frame("getaddr"))  # it now takes part in address relay
    got = announced(s, 3)
    fw.assert_in(("1.2.3.4", node.p2p_port), got, "our -externalip announced")
    fw.assert_equal([a for a in got if a[1] == node.p2p_port and a[0] != "1.2.3.4"], [],
                    "no other address of ours")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_nothing_private(t):
    """What is absent here is announced in test_externalip's run (same
    getaddr, same reader), so an empty answer is not a silent node."""
    node = t.add_node()
    node.start("-allowprivateaddrs=0", "-discover=1", "-addrtrickle=100")
    node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)
    local = node.rpc("getnetworkinfo")["localaddresses"]
    fw.assert_equal([a for a in local if not ipaddress.ip_address(a["address"]).is_global], [],
                    "discovered addresses are routable")
    # The peer says it reached us at our loopback address: not announced,
    # and its own loopback address is not told to it in the version.
    s, version = handshake(node, (fw.LOOPBACK, node.p2p_port))
    fw.assert_equal(addr_recv_of(version), ("::", 0), "no private address in version")
    s.sendall(ph.frame("getaddr"))
    got = announced(s, 2)
    fw.assert_equal([a for a in got if not ipaddress.ip_address(a[0]).is_global], [],
                    "no private address announced")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_bad_externalip(t):
    node = t.add_node()
    rc, out, err = node.run("-externalip=foo.example")
    fw.assert_equal(rc != 0, True)
    fw.assert_in("Cannot resolve -externalip address: 'foo.example'", out + err)


if __name__ == "__main__":
    fw.main([test_externalip, test_nothing_private, test_bad_externalip])
