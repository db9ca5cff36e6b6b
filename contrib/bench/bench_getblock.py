#!/usr/bin/env python3
"""Latency of getblock for a block of 2,000 transactions (verbosity 0, 1
and 2), and of getblockcount, over one keep-alive HTTP connection.

Builds the block on a temporary regtest node: a coinbase is fanned out to
1,999 P2WSH(OP_TRUE) outputs and each is spent, all in one generateblock.
Prints figures; never fails on timing. Run from a build directory
(HEARSAY_BUILDDIR), preferably one configured without sanitizers:

    python3 ../contrib/bench/bench_getblock.py [rounds]
"""

import base64
import http.client
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "functional"))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

N_SPENDS = 1999
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20


class Client:
    """One keep-alive connection, as python-bitcoinrpc keeps one."""

    def __init__(self, node):
        with open(os.path.join(node.chaindir, ".cookie"), encoding="ascii") as f:
            self.auth = "Basic " + base64.b64encode(f.read().strip().encode()).decode()
        self.conn = http.client.HTTPConnection(fw.LOOPBACK, node.rpc_port, timeout=60)

    def call(self, method, *params):
        body = json.dumps({"id": 1, "method": method, "params": list(params)})
        self.conn.request("POST", "/", body, {"Authorization": self.auth})
        data = self.conn.getresponse().read()
        return len(data)


def build_block(node):
    hashes = node.rpc("generatetodescriptor", 101, tt.P2WSH_OP_TRUE_DESC)
    cb = node.rpc("getblock", hashes[0])["tx"][0]
    each = (50 * 10**8 - 300000) // N_SPENDS
    fan = tt.ser_tx(2, [(cb, 0, b"", 0xFFFFFFFF)], [(each, tt.P2WSH_OP_TRUE)] * N_SPENDS,
                    witness=[[tt.OP_TRUE]])
    legacy = tt.ser_tx(2, [(cb, 0, b"", 0xFFFFFFFF)], [(each, tt.P2WSH_OP_TRUE)] * N_SPENDS)
    fan_id = tt.txid_of(legacy)
    txs = [fan.hex()] + [tt.spend(fan_id, i, each) for i in range(N_SPENDS)]
    return node.rpc("generateblock", tt.P2WSH_OP_TRUE_ADDR, txs, timeout=300)["hash"]


def measure(client, method, *params):
    times, size = [], 0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        size = client.call(method, *params)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000, size


def bench(t):
    node = t.add_node().start()
    block = build_block(node)
    info = node.rpc("getblock", block)
    print(f"block {block}: {info['nTx']} transactions, {info['size']} bytes, "
          f"weight {info['weight']}")
    client = Client(node)
    for label, method, params in (("getblockcount", "getblockcount", ()),
                                  ("getblock verbosity 0", "getblock", (block, 0)),
                                  ("getblock verbosity 1", "getblock", (block, 1)),
                                  ("getblock verbosity 2", "getblock", (block, 2))):
        med, best, size = measure(client, method, *params)
        print(f"{label:22s} median {med:9.3f} ms  best {best:9.3f} ms  reply {size} bytes")


if __name__ == "__main__":
    fw.main([bench], timeout=600)
