#!/usr/bin/env python3
"""Address relay as Bitcoin Core: on an idle 20-node network (random
4-regular, listening on loopback), the
addresses go round once and then addr traffic stops, even when a fresh
address is injected from outside.

Each node advertises its own address to its peers (once out of initial
download, as Core: a block is mined first); an address travels on
to 2 peers per hop (chosen per address and day), and a per-peer
known-address filter keeps any link from carrying one address twice. So
over a node's life it receives each address at most once per link: a
ceiling of 20 x 4 x 38 bytes (addrv2 header plus one IPv4 entry) = 3040
bytes, however long it runs. The old relay (2 random peers on every
reception, no memory) kept a fresh address bouncing for its 10 minutes of
freshness: one injected address cost each node about 200 bytes a second.

To stay short the test runs 50 s, not 5 minutes, with addr messages
trickled every 2 s on average instead of Core's 30 s (-addrtrickle), so
the first exchange is over after a 20 s warm-up. In the next 30 s, a
fresh address injected at one node may add at most one message per link
(152 bytes per node; three times that is allowed, for stragglers of the first
exchange); a raw observer on each node, taking part in
address relay, must receive it at most once from that node (the old relay
sent it up to 7 times); how many observers it reaches is printed, not
asserted (the 2 peers per hop are random: it may miss them all). The 5-minute
measurement with Core's timers is in the closing report of the work."""
import re
import time

import framework as fw
import p2p_hostile as ph
import relay_lib as rl

NODES, DEGREE = 20, 4
WARMUP, WINDOW = 20, 30
ENTRY = 38  # an addrv2 message of one IPv4 address
INJECTED = [8, 8, 8, 8]


def watch(observers, seconds):
    """Reads every observer for `seconds` (answering pings): how many times
    each received the injected address."""
    needle = bytes(INJECTED) + (8333).to_bytes(2, "big")
    got = ph.collect_addrs(observers, seconds)
    return [sum(m[1].count(needle) for m in got[s]) for s in observers]


def addr_bytes(node):
    total = 0
    for peer in node.rpc("getpeerinfo"):
        per_msg = peer.get("bytesrecv_per_msg", {})
        total += per_msg.get("addr", 0) + per_msg.get("addrv2", 0)
    return total


def learned(node):
    """Addresses new to the node's address manager, from its log."""
    return sum(int(n) for n in re.findall(r": \d+ addresses, (\d+) new", node.debug_log()))


def test_idle_network_goes_quiet(t):
    edges = rl.random_regular(NODES, DEGREE, seed=7)
    nodes = rl.start_network(t, NODES, edges, "-debug=addrman", "-addrtrickle=2000")
    rl.mine(nodes[0], 1)  # out of initial download: only then do nodes announce themselves
    rl.same_tip(nodes)
    time.sleep(WARMUP)
    before = [addr_bytes(nd) for nd in nodes]
    observers = [ph.handshake(nd) for nd in nodes]
    for s in observers:
        s.sendall(ph.frame("addr", b"\x00"))  # takes part in address relay
        ph.ping(s)
    outsider = ph.handshake(nodes[0])  # a fresh address from outside
    outsider.sendall(ph.frame("addr", b"\x01" + ph.addr_entry(INJECTED, 8333,
                                                               int(time.time()))))
    ph.ping(outsider)
    seen = watch(observers, WINDOW)
    after = [addr_bytes(nd) for nd in nodes]
    growth = [a - b for a, b in zip(after, before)]
    print(f"  the injected address reached {sum(1 for k in seen if k)} observers, "
          f"at most {max(seen)} times each")
    print(f"  addr bytes per node after {WARMUP} s: mean {sum(before) / NODES:.0f}; "
          f"in the next {WINDOW} s: mean {sum(growth) / NODES:.0f}, max {max(growth)}, "
          f"{growth.count(0)} of {NODES} nodes none")
    # Only the injected address, at most once per link.
    fw.assert_equal(max(seen) <= 1, True, f"times each observer got the address: {seen}")
    fw.assert_equal(max(growth) <= 3 * DEGREE * ENTRY, True, f"addr bytes in the window: {growth}")
    fw.assert_equal(max(before) <= NODES * DEGREE * ENTRY, True, f"addr bytes: {before}")
    # Relay works: every node heard of addresses beyond its own links.
    heard = [learned(nd) for nd in nodes]
    fw.assert_equal(min(heard) >= 1, True, f"addresses learned per node: {heard}")
    fw.assert_equal(sum(heard) > NODES * DEGREE // 2, True, f"addresses learned: {heard}")
    outsider.close()
    for s in observers:
        s.close()
    for nd in nodes:
        fw.assert_equal(nd.stop(), 0, f"node{nd.index} stop")


if __name__ == "__main__":
    fw.main([test_idle_network_goes_quiet], timeout=240)
