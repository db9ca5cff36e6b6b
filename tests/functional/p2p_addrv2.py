#!/usr/bin/env python3
"""Addresses of networks we cannot reach (BIP155 Tor v3, I2P, CJDNS), as
Bitcoin Core without proxies: a fresh one is relayed, to peers that sent
sendaddrv2 only (Core's IsAddrCompatible: the v1 addr form cannot carry
it), never stored ("do not store addresses outside our network"), so never
dialed nor given in getaddr answers or getnodeaddresses; the networks are
listed unreachable; a CJDNS address outside fc00::/8 is invalid, not
relayed; a Tor or I2P name is refused with a clear error.

Raw peers on loopback: the addresses are only data, nothing connects to
them."""
import struct
import time

import framework as fw
import p2p_hostile as ph

ONION = bytes(range(1, 33))
I2P = bytes(range(101, 133))
CJDNS = bytes([0xfc]) + bytes(range(201, 216))
ENTRIES = [(4, ONION), (5, I2P), (6, CJDNS)]
BAD_CJDNS = bytes(range(50, 66))  # outside fc00::/8: invalid for Core


def addrv2_entry(net, addr, port, when, services=9):
    """One BIP155 entry: time, compact services, network id, compact length,
    address, big-endian port (services and length fit one byte here)."""
    return (struct.pack("<IBBB", when, services, net, len(addr)) + addr +
            struct.pack(">H", port))


def test_unreachable_networks_relayed_not_stored(t):
    node = t.add_node()
    node.start("-addrtrickle=500")
    v2 = ph.handshake(node, before_verack=ph.frame("sendaddrv2"))
    v1 = ph.handshake(node)
    for s in (v2, v1):
        s.sendall(ph.frame("addr", b"\x00"))  # takes part in address relay
        ph.ping(s)
    # One sender per entry (a new peer has one address token). The senders
    # did not send sendaddrv2: none of them may be a relay target.
    now = int(time.time())
    senders = []
    for net, addr in ENTRIES + [(6, BAD_CJDNS)]:
        s = ph.handshake(node)
        s.sendall(ph.frame("addrv2", b"\x01" + addrv2_entry(net, addr, 8333, now)))
        ph.ping(s)
        senders.append(s)
    got = ph.collect_addrs([v2, v1] + senders, 6)
    payload = b"".join(m[1] for m in got[v2])
    fw.assert_equal([m[0] for m in got[v2]], ["addrv2"] * len(got[v2]), "messages to v2")
    for net, addr in ENTRIES:
        fw.assert_in(bytes([net, len(addr)]) + addr + struct.pack(">H", 8333), payload,
                     f"network {net} relayed to the addrv2 peer")
    fw.assert_equal(BAD_CJDNS in payload, False, "an invalid CJDNS address relayed")
    for s in [v1] + senders:
        fw.assert_equal(got[s], [], "addresses sent to a peer without sendaddrv2")
    # Relayed, not stored.
    for name in ("onion", "i2p", "cjdns"):
        fw.assert_equal(node.rpc("getnodeaddresses", 0, name), [], f"{name} addresses stored")
        fw.assert_equal(node.rpc("getaddrmaninfo")[name]["total"], 0, f"{name} in addrman")
    nets = {n["name"]: n["reachable"] for n in node.rpc("getnetworkinfo")["networks"]}
    fw.assert_equal(nets, {"ipv4": True, "ipv6": True, "onion": False, "i2p": False,
                           "cjdns": False})
    # A new peer asking for addresses gets none of them.
    asker = ph.handshake(node, before_verack=ph.frame("sendaddrv2"))
    asker.sendall(ph.frame("getaddr"))
    answer = b"".join(m[1] for m in ph.collect_addrs([asker], 2)[asker])
    for _, addr in ENTRIES:
        fw.assert_equal(addr in answer, False, "an unreachable address in a getaddr answer")
    fw.assert_raises_rpc_error(None, "Tor and I2P are not reachable", node.rpc, "addnode",
                               ONION.hex()[:56] + ".onion:8333", "onetry")
    for s in [v2, v1, asker] + senders:
        s.close()
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_unreachable_networks_relayed_not_stored], timeout=120)
