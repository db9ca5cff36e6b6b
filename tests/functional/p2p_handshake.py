#!/usr/bin/env python3
"""The handshake as a Bitcoin Core peer sees it, byte for byte: a raw
socket plays Core (its message order from net_processing.cpp, a real
Core 23 version payload) on both sides of the connection, and checks every
message hearsay sends and when."""
import socket
import struct
import time

import framework as fw
from p2p_hostile import connect, frame, read_frame

# A version Bitcoin Core 23.0 sent (mainnet capture, see test_protocol.c).
CORE23_VERSION = bytes.fromhex(
    "801101000d0400000000000050835063000000000000000000000000000000000000000000000000"
    "0000000000000d04000000000000000000000000000000000000000000000000ff0ae91284bdd3e2"
    "102f5361746f7368693a32332e302e302f8e960b0001")


def parse_version(p):
    version, services, _ = struct.unpack_from("<iQq", p, 0)
    nonce = struct.unpack_from("<Q", p, 72)[0]
    ua_len = p[80]
    ua = p[81:81 + ua_len].decode()
    height, relay = struct.unpack_from("<i?", p, 81 + ua_len)
    return {"version": version, "services": services, "nonce": nonce, "ua": ua,
            "height": height, "relay": relay}


def expect(s, commands, any_order=False):
    """Reads messages until each of commands came, in this order (or any);
    returns {command: payload}. Pings are answered as Core would."""
    got, order = {}, []
    while len(order) < len(commands):
        msg = read_frame(s)
        if msg is None:
            raise fw.TestFailure(f"hearsay closed the connection after {order}")
        if msg[0] == "ping" and "ping" not in commands:
            s.sendall(frame("pong", msg[1]))
            continue
        # The relay layer's own traffic: the extension offer (Core ignores
        # it), headers sync both ways and, to this NODE_BLOOM peer, a BIP35
        # request.
        if msg[0] in ("hsgossip", "getheaders", "headers", "mempool") and msg[0] not in commands:
            continue
        order.append(msg[0])
        got[msg[0]] = msg[1]
    if any_order:
        order, commands = sorted(order), sorted(commands)
    fw.assert_equal(order, commands, "hearsay's messages")
    return got


def check_our_version(payload):
    v = parse_version(payload)
    fw.assert_equal(v["version"], 70016)
    fw.assert_equal(v["services"], 1 | 8 | 1024, "NETWORK | WITNESS | NETWORK_LIMITED")
    fw.assert_equal(v["ua"], "/hearsay:0.1.0/")
    fw.assert_equal(v["relay"], True)
    fw.assert_equal(v["nonce"] != 0, True, "nonce")


def core_after_verack(s):
    """What Core sends once it has the other side's verack."""
    s.sendall(frame("sendheaders") + frame("sendcmpct", b"\x00" + struct.pack("<Q", 2))
              + frame("ping", struct.pack("<Q", 0x5151)) + frame("getheaders", struct.pack(
                  "<I", 70016) + b"\x01" + bytes(32) + bytes(32))
              + frame("feefilter", struct.pack("<q", 1000)))


def test_core_dials_hearsay(t):
    node = t.add_node()
    node.start()
    s = connect(node)
    s.sendall(frame("version", CORE23_VERSION))
    got = expect(s, ["version", "wtxidrelay", "sendaddrv2", "verack"])
    check_our_version(got["version"])
    s.sendall(frame("wtxidrelay") + frame("sendaddrv2") + frame("verack"))
    # No sendheaders yet: Core sends it once the peer's headers chain is
    # known (p2p_feefilter.py); the feefilter of initial download.
    got = expect(s, ["sendcmpct", "feefilter"])
    fw.assert_equal(got["sendcmpct"], b"\x00" + struct.pack("<Q", 2), "sendcmpct(0, 2)")
    fw.assert_equal(struct.unpack("<q", got["feefilter"])[0], 9170997, "feefilter")
    core_after_verack(s)
    got = expect(s, ["pong"])
    fw.assert_equal(struct.unpack("<Q", got["pong"])[0], 0x5151, "pong nonce")
    node.wait_for_log("inbound connected: version 70016 /Satoshi:23.0.0/, height 759438")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_hearsay_dials_core(t):
    listener = socket.socket()
    listener.bind((fw.LOOPBACK, 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    node = t.add_node()
    node.start(f"-connect=127.0.0.1:{port}", "-pinginterval=1")
    listener.settimeout(20)
    s, _ = listener.accept()
    s.settimeout(20)
    got = expect(s, ["version"])  # hearsay speaks first on its outbound link
    check_our_version(got["version"])
    s.sendall(frame("version", CORE23_VERSION) + frame("wtxidrelay") + frame("sendaddrv2")
              + frame("verack"))
    expect(s, ["wtxidrelay", "sendaddrv2", "verack", "sendcmpct", "getaddr", "feefilter"])
    core_after_verack(s)
    # hearsay answers the ping and then pings us itself.
    got = expect(s, ["pong", "ping"], any_order=True)
    s.sendall(frame("pong", got["ping"]))
    node.wait_for_log("outbound connected: version 70016 /Satoshi:23.0.0/")
    time.sleep(1.5)
    fw.assert_equal("disconnecting" in node.debug_log(), False, "no disconnection")
    s.close()
    listener.close()
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_core_dials_hearsay, test_hearsay_dials_core], timeout=120)
