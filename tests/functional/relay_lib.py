"""Networks of hearsayd nodes for the relay tests (standard library only).

    nodes = start_network(t, 10, ring(10), "-fanout=2")

starts one node per index, each dialing (-addnode) the neighbours the edge
list names after it, with automatic outbound connections off so the graph
is exactly the one given, and waits for every handshake."""

import os
import random
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

CONNECTED = re.compile(r"peer=\d+ \S+ (?:inbound|outbound) connected: version")
# Fast announcements and reconnects; no anti-entropy unless a test asks.
FAST = ["-maxoutbound=0", "-trickle=200", "-trickleout=100", "-antientropy=0",
        "-nettick=100", "-addnoderetrymax=1"]
COIN = 10**8


def line(n):
    return [(i, i + 1) for i in range(n - 1)]


def ring(n):
    return line(n) + [(n - 1, 0)]


def random_regular(n, d, seed):
    """A random simple d-regular graph (d even): the circulant graph (each
    node linked to the d/2 next ones) shuffled by many random double-edge
    swaps, which keep every degree; retried until connected. (The pairing
    model is almost never simple for d = 8.)"""
    rng = random.Random(seed)
    edges = {tuple(sorted((i, (i + k) % n))) for i in range(n) for k in range(1, d // 2 + 1)}
    for _ in range(100):
        for _ in range(20 * len(edges)):
            (a, b), (c, e) = rng.sample(sorted(edges), 2)
            if rng.random() < 0.5:
                c, e = e, c
            new1, new2 = tuple(sorted((a, c))), tuple(sorted((b, e)))
            if a == c or b == e or new1 in edges or new2 in edges:
                continue
            edges -= {(a, b) if a < b else (b, a), (c, e) if c < e else (e, c)}
            edges |= {new1, new2}
        if connected(n, edges):
            return sorted(edges)
    raise fw.TestFailure("no connected random regular graph")


def connected(n, edges):
    adj = {i: set() for i in range(n)}
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    seen, todo = {0}, [0]
    while todo:
        for m in adj[todo.pop()] - seen:
            seen.add(m)
            todo.append(m)
    return len(seen) == n


def handshakes(node):
    return len(CONNECTED.findall(node.debug_log()[node.log_offset:]))


def dial_args(nodes, edges, i):
    return [f"-addnode=127.0.0.1:{nodes[b].p2p_port}" for a, b in edges if a == i]


def degree(edges, i):
    return sum(1 for a, b in edges if i in (a, b))


def start_network(t, n, edges, *extra):
    nodes = [t.add_node() for _ in range(n)]
    for i, node in enumerate(nodes):
        node.relay_args = FAST + dial_args(nodes, edges, i) + list(extra)  # for restarts
        node.start(*node.relay_args)
    wait_links(nodes, edges)
    return nodes


def wait_links(nodes, edges, timeout=40):
    fw.wait_until(lambda: all(handshakes(nd) >= degree(edges, i) for i, nd in enumerate(nodes)),
                  timeout, what="every link of the graph handshaked")


def same_tip(nodes, timeout=40):
    def agree():
        tips = {nd.rpc("getbestblockhash") for nd in nodes}
        return len(tips) == 1
    fw.wait_until(agree, timeout, interval=0.2, what="every node on the same tip")
    return nodes[0].rpc("getbestblockhash")


def all_have(nodes, txids, timeout=40):
    want = set(txids)

    def done():
        return all(want <= set(nd.rpc("getrawmempool")) for nd in nodes)
    fw.wait_until(done, timeout, interval=0.2, what=f"{len(want)} transactions in every mempool")


def mine(node, n):
    return node.rpc("generatetodescriptor", n, tt.P2WSH_OP_TRUE_DESC)


def coinbase_of(node, block_hash):
    return node.rpc("getblock", block_hash)["tx"][0]


def spend_coinbases(node, block_hashes):
    """One transaction per block's coinbase (50 BTC each, regtest's first
    150 blocks); returns the raw hex list."""
    return [tt.spend(coinbase_of(node, h), 0, 50 * COIN) for h in block_hashes]


def fan_out(txid, vout, value, count):
    """A transaction splitting one P2WSH(OP_TRUE) output into count equal
    outputs; returns (raw hex, legacy txid, value per output)."""
    each = (value - 10000) // count
    vin = [(txid, vout, b"", 0xFFFFFFFD)]
    outs = [(each, tt.P2WSH_OP_TRUE)] * count
    raw = tt.ser_tx(2, vin, outs, witness=[[tt.OP_TRUE]])
    return raw.hex(), tt.txid_of(tt.ser_tx(2, vin, outs)), each


def duplicate_payloads(node):
    return node.debug_log().count("duplicate payload")
