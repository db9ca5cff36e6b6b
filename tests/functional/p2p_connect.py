#!/usr/bin/env python3
"""hearsayd nodes find each other: -connect, -addnode and address gossip,
each link a complete version handshake (real processes, loopback only)."""
import re

import framework as fw
import relay_lib as rl

CONNECTED = re.compile(r"peer=\d+ (\S+) (inbound|outbound) connected: version 70016 /hearsay:")


def links(node, direction=None):
    """The peer addresses this node completed a handshake with since its
    last start."""
    log = node.debug_log()[node.log_offset:]
    return {m.group(1) for m in CONNECTED.finditer(log) if direction in (None, m.group(2))}


def endpoint(node):
    return f"127.0.0.1:{node.p2p_port}"


def know_tried(node, other):
    """Puts other's address in node's tried table, which node then dials by
    itself. Why not -addnode: the dialed node's self-advertisement would
    land in the new table, in the one bucket every loopback address from a
    loopback source shares; a relayed address taking the same slot (1 in
    64) would be refused, as Bitcoin Core refuses it, and never come again."""
    fw.assert_equal(node.rpc("addpeeraddress", "127.0.0.1", other.p2p_port, True)["success"], True)


def test_two_nodes_connect(t):
    a, b = t.add_node(), t.add_node()
    a.start()
    b.start(f"-connect={endpoint(a)}")
    fw.wait_until(lambda: links(a, "inbound") and links(b, "outbound"), 20,
                  what="a handshake between the two nodes")
    fw.assert_equal(links(b, "outbound"), {endpoint(a)})
    fw.assert_equal(a.stop(), 0)
    fw.assert_equal(b.stop(), 0)


def test_addnode_reconnects(t):
    a, b = t.add_node(), t.add_node()
    b.start(f"-addnode={endpoint(a)}", "-addnoderetrymax=1", "-nettick=100")
    a.start()  # later: b retries with backoff until a is up
    fw.wait_until(lambda: links(b, "outbound"), 20, what="b reaching a via -addnode")
    a.stop()
    a.start()
    fw.wait_until(lambda: links(a, "inbound"), 20, what="b reconnecting after a restart")


def test_five_nodes_gossip(t):
    """A hub and four leaves that only know the hub: leaves advertise their
    own addresses, the hub relays them (fanout 2) and answers getaddr, and
    the last leaf fills outbound slots with a peer it was never told about
    on its command line. Every node completes handshakes."""
    nodes = [t.add_node() for _ in range(5)]
    hub, last = nodes[0], nodes[4]
    fast = ("-nettick=100", "-addrtrickle=100")
    hub.start(*fast)
    # A block for the leaves to sync: as Core, a node announces its own
    # address only once out of initial download.
    rl.mine(hub, 1)
    # The last leaf comes first: as in Bitcoin Core, a getaddr reply holds
    # 23% of the address book (none of a book this small), so a leaf's
    # address reaches it by relay. The hub relays a fresh self-advertisement
    # to 2 of its other peers: while the last leaf is the only other one, it
    # is sure to hear of the next leaf.
    last.start(*fast)
    know_tried(last, hub)
    fw.wait_until(lambda: endpoint(hub) in links(last, "outbound"), 30, what="last leaf at hub")
    nodes[1].start(f"-connect={endpoint(hub)}", *fast)
    fw.wait_until(lambda: endpoint(nodes[1]) in links(last, "outbound"), 30,
                  what="the last leaf dialing a leaf it learned by gossip")
    for n in nodes[2:4]:
        n.start(f"-addnode={endpoint(hub)}", *fast)
    fw.wait_until(lambda: len(links(hub, "inbound")) == 4, 30, what="four leaves at the hub")
    for n in nodes[1:4]:
        fw.assert_equal(endpoint(hub) in links(n, "outbound"), True, "leaf reached the hub")
    # The -connect leaf listens (the framework binds it) but dials no one else.
    fw.assert_equal(links(nodes[1], "outbound"), {endpoint(hub)})
    for n in nodes:
        fw.assert_equal(n.stop(), 0)


def test_peers_persist(t):
    """Addresses learned survive a restart (the LevelDB peers database)."""
    a, b, c = t.add_node(), t.add_node(), t.add_node()
    fast = ("-nettick=100", "-addrtrickle=100")
    a.start(*fast)
    rl.mine(a, 1)  # out of initial download once synced: b announces itself
    # c first, so that a relays b's self-advertisement to c (its only other
    # peer then; see test_five_nodes_gossip).
    c.start(*fast)
    know_tried(c, a)
    fw.wait_until(lambda: endpoint(a) in links(c, "outbound"), 30, what="c at a")
    b.start(f"-addnode={endpoint(a)}", *fast)
    fw.wait_until(lambda: endpoint(b) in links(c, "outbound"), 30, what="c learning b through a")
    c.stop()
    a.stop()
    c.start("-nettick=100")  # no -addnode now: only what it remembers
    fw.wait_until(lambda: endpoint(b) in links(c, "outbound"), 30,
                  what="c dialing b from its saved addresses")


if __name__ == "__main__":
    fw.main([test_two_nodes_connect, test_addnode_reconnects, test_five_nodes_gossip,
             test_peers_persist], timeout=240)
