#!/usr/bin/env python3
"""Connection types as Bitcoin Core: block-relay-only outbound peers (no
transactions, no addresses), anchors.dat (those peers, saved at shutdown and
dialed first at the next start), feelers (a short connection to an address
of the new table, which moves it to tried), no extra peers when automatic
connections are off, and the getaddr reply cached for 21-27 hours
(setmocktime)."""
import os
import shutil
import struct
import time

import framework as fw
import txtools as tt
from p2p_hostile import addr_entry, frame, handshake, read_frame


def endpoint(node):
    return f"127.0.0.1:{node.p2p_port}"


def by_type(node, kind):
    return {p["addr"] for p in node.rpc("getpeerinfo") if p["connection_type"] == kind}


def test_block_relay_only_and_anchors(t):
    b, c = t.add_node(), t.add_node()
    b.start()
    c.start()
    a = t.add_node()
    a.start("-maxoutbound=0", "-maxblockrelay=2", "-nettick=200")
    # Into the tried table: loopback addresses share one new-table bucket,
    # where two of them may take the same slot (then the second is refused).
    for n in (b, c):
        fw.assert_equal(a.rpc("addpeeraddress", "127.0.0.1", n.p2p_port, True)["success"], True)
    want = {endpoint(b), endpoint(c)}
    fw.wait_until(lambda: by_type(a, "block-relay-only") == want, 20,
                  what="two block-relay-only peers")
    for p in a.rpc("getpeerinfo"):
        fw.assert_equal(p["relaytxes"], False, "relaytxes on a block-relay-only link")
        fw.assert_equal(p["addr_relay_enabled"], False, "addr relay on a block-relay-only link")
    # The other side was told not to send transactions (version relay=0).
    fw.wait_until(lambda: b.rpc("getpeerinfo"), 10, what="b's inbound peer")
    fw.assert_equal([p["relaytxes"] for p in b.rpc("getpeerinfo")], [False])

    fw.assert_equal(a.stop(), 0)
    anchors = os.path.join(a.chaindir, "anchors.dat")
    fw.assert_equal(os.path.exists(anchors), True, "anchors.dat after shutdown")
    # Forget every address: only the anchors can bring the peers back.
    shutil.rmtree(os.path.join(a.chaindir, "peers"))
    a.start("-maxoutbound=0", "-maxblockrelay=2", "-nettick=200")
    a.wait_for_log("2 block-relay-only anchors will be tried", since_start=True)
    fw.assert_equal(os.path.exists(anchors), False, "anchors.dat once read")
    fw.wait_until(lambda: by_type(a, "block-relay-only") == want, 20,
                  what="the anchors reconnected")
    fw.assert_in("Trying to make an anchor connection to", a.debug_log()[a.log_offset:])
    fw.assert_equal(a.stop(), 0)
    for n in (b, c):
        fw.assert_equal(n.stop(), 0)


def test_feeler_moves_address_to_tried(t):
    b = t.add_node()
    b.start()
    a = t.add_node()
    a.start("-maxoutbound=0", "-feelers=1", "-nettick=200", "-debug=net")
    fw.assert_equal(a.rpc("addpeeraddress", "127.0.0.1", b.p2p_port)["success"], True)
    info = a.rpc("getaddrmaninfo")["ipv4"]
    fw.assert_equal((info["new"], info["tried"]), (1, 0))
    # Feelers come about every 2 minutes (an exponential wait): an hour on.
    now = int(time.time())
    a.rpc("setmocktime", now)  # frozen: the relay's clock moves with it from here
    time.sleep(1)
    a.rpc("setmocktime", now + 3600)
    fw.wait_until(lambda: a.rpc("getaddrmaninfo")["ipv4"]["tried"] == 1, 20,
                  what="the address moved to tried")
    fw.assert_equal(a.rpc("getaddrmaninfo")["ipv4"]["new"], 0)
    a.wait_for_log(f"Making feeler connection to {endpoint(b)}", since_start=True)
    a.wait_for_log("feeler connection completed", since_start=True)
    fw.wait_until(lambda: not a.rpc("getpeerinfo"), 10, what="the feeler closed")
    fw.assert_equal(a.stop(), 0)
    fw.assert_equal(b.stop(), 0)


def test_no_extra_peers_without_automatic(t):
    """With automatic connections off (-maxoutbound=0, as regtest-net's
    nodes; a node whose every -connect link was cut has no -connect left),
    neither a stale tip nor the extra block-relay timer dials an address
    the node merely knows: a partitioned regtest network stays cut."""
    b = t.add_node()
    b.start()
    a = t.add_node()
    a.start("-maxoutbound=0", "-nettick=200", "-debug=net")
    fw.assert_equal(a.rpc("addpeeraddress", "127.0.0.1", b.p2p_port)["success"], True)
    a.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)
    # An hour on: the tip looks stale and the extra block-relay timer is
    # long due (a 5-minute mean), so both kinds of extra peer are wanted.
    now = int(time.time())
    a.rpc("setmocktime", now)  # frozen: the relay's clock moves with it from here
    time.sleep(1)
    a.rpc("setmocktime", now + 3600)
    a.wait_for_log("Potential stale tip detected", timeout=20, since_start=True)
    time.sleep(1.5)  # several connection ticks of 200 ms
    fw.assert_equal(a.rpc("getpeerinfo"), [], "peers of a node without automatic connections")
    fw.assert_equal([l for l in a.debug_log()[a.log_offset:].splitlines() if "Making" in l], [],
                    "connections attempted")
    fw.assert_equal(a.stop(), 0)
    fw.assert_equal(b.stop(), 0)


def getaddr_reply(node, before=b""):
    """The addresses (ip, port) a fresh inbound peer gets for getaddr, in
    order; before: what it sends first."""
    s = handshake(node)
    s.sendall(before + frame("getaddr"))
    s.settimeout(10)
    try:
        while True:
            msg = read_frame(s)
            if msg is None:
                raise fw.TestFailure("node closed a peer that asked for addresses")
            if msg[0] == "ping":
                s.sendall(frame("pong", msg[1]))
            elif msg[0] == "addr" and msg[1][0] != 1:  # not its own address alone
                break
    finally:
        s.close()
    p, n = msg[1], msg[1][0]
    assert n < 0xfd
    return [(p[1 + 30 * i + 12:1 + 30 * i + 28], struct.unpack(">H", p[1 + 30 * i + 28:1 + 30 * i + 30])[0])
            for i in range(n)]


def test_getaddr_cache(t):
    node = t.add_node()
    node.start("-maxoutbound=0", "-nettick=200")  # never dials what it is told
    added = sum(node.rpc("addpeeraddress", f"{i}.{j}.1.1", 8333)["success"]
                for i in range(11, 21) for j in range(10))
    fw.assert_equal(added > 80, True, f"addresses added ({added})")
    first = getaddr_reply(node)
    fw.assert_equal(len(first), added * 23 // 100, "23% of the table")
    fw.assert_equal(getaddr_reply(node), first, "a second requester's reply")
    now = int(time.time())
    node.rpc("setmocktime", now + 20 * 3600)  # within the 21-27 h lifetime
    fw.assert_equal(getaddr_reply(node), first, "the reply 20 hours later")
    node.rpc("setmocktime", now + 28 * 3600)  # past it: a new sample
    fw.assert_equal(getaddr_reply(node) != first, True, "the reply renewed after 28 hours")
    fw.assert_equal(node.stop(), 0)


def test_getaddr_reply_skips_known(t):
    """As Core's GETADDR (its answer goes through PushAddress and the
    peer's known-address filter): an address the requester sent us is not
    sent back to it."""
    node = t.add_node()
    node.start("-maxoutbound=0", "-nettick=200", "-addrtrickle=200")
    for i in range(11, 21):
        for j in range(10):
            node.rpc("addpeeraddress", f"{i}.{j}.1.1", 8333)
    first = getaddr_reply(node)
    fw.assert_equal(len(first) > 10, True, f"reply of {len(first)}")
    ip, port = first[0]
    # One address: an inbound peer's token bucket starts with one.
    told = frame("addr", b"\x01" + addr_entry(ip[12:], port, int(time.time()) - 3600))
    fw.assert_equal(getaddr_reply(node, told), first[1:], "the reply to a peer that sent one")
    fw.assert_equal(node.stop(), 0)


def test_getaddr_reply_skips_banned(t):
    """As Core's GetAddresses: banned addresses are left out of the reply
    (half the table here: a sample of 23 without one of them is a chance
    of about 1 in 10^8)."""
    node = t.add_node()
    node.start("-maxoutbound=0", "-nettick=200")
    for i in range(11, 21):
        for j in range(10):
            node.rpc("addpeeraddress", f"{i}.{j}.1.1", 8333)
    for i in range(11, 16):
        node.rpc("setban", f"{i}.0.0.0/8", "add")
    reply = getaddr_reply(node)
    fw.assert_equal(len(reply) > 0, True, "a reply")
    fw.assert_equal([ip[12] for ip, _ in reply if ip[12] < 16], [], "banned addresses in the reply")
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_block_relay_only_and_anchors, test_feeler_moves_address_to_tried,
             test_no_extra_peers_without_automatic, test_getaddr_cache,
             test_getaddr_reply_skips_known, test_getaddr_reply_skips_banned])
