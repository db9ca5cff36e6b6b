#!/usr/bin/env python3
"""Block relay with and without BIP152 compact blocks, on a regtest network.

    contrib/bench/bench_cmpct_net.py [--nodes 20] [--degree 8] [--txs 2000]
        [--blocks 2] [--seed 7] [--base-port 23000] [--build build]

It starts two random degree-regular networks with contrib/regtest-net, one
with -compactblocks=1 and one with 0, side by side; they take turns block by
block (order swapped each time) so both see the same machine load. For each
block it fills every mempool of one network with the same --txs
P2WSH(OP_TRUE) transactions, mines a block holding them at node 0 and
measures, while that block spreads:
  - block-relay bytes per node: the bytes every node received of the
    messages that carry or ask for blocks (cmpctblock, getblocktxn,
    blocktxn, block, headers, getheaders, getdata, inv, sendcmpct), from
    getpeerinfo before and after, message headers included;
  - time to the last node: from the generate call until the last node has
    the block as its tip (each node polled on its own connection every ms).
Repeated --blocks times per mode (a fresh batch of transactions each
time); prints per-block figures and the means. Use a release build."""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RN_DIR = os.path.join(HERE, "..", "regtest-net")
sys.path.insert(0, RN_DIR)
sys.dont_write_bytecode = True

import rnlib  # noqa: E402

BLOCK_MSGS = ("cmpctblock", "getblocktxn", "blocktxn", "block", "headers", "getheaders",
              "getdata", "inv", "sendcmpct")


def regtest_net(directory, action, *args):
    cmd = [sys.executable, os.path.join(RN_DIR, "regtest-net"), action, "--dir", directory]
    cmd += list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{action} failed:\n{r.stdout[-3000:]}")
    return r.stdout


def block_bytes(net, i):
    """Block-relay bytes node i received, by message."""
    out = dict.fromkeys(BLOCK_MSGS, 0)
    for p in net.rpc(i).call("getpeerinfo"):
        per = p.get("bytesrecv_per_msg", {})
        for m in BLOCK_MSGS:
            out[m] += per.get(m, 0)
    out["cmpct_msgs"] = net.rpc(i).call("getgossipinfo")["processing"]["compactblocks"]["received"]
    return out


def wait_mempools(net, count, timeout=300):
    deadline = time.monotonic() + timeout
    for i in range(net.n):
        while net.rpc(i).call("getmempoolinfo")["size"] < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"node{i}'s mempool never reached {count}")
            time.sleep(0.1)


def arrival_times(net, timeout=120):
    """Starts one poller per node; returns (start, {node: arrival}) once
    the returned `mine` function has been called and every node moved."""
    arrivals, lock = {}, threading.Lock()
    go = threading.Event()
    target = {}

    def poll(i):
        rpc = net.new_rpc(i)
        go.wait()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if rpc.call("getbestblockhash") == target["hash"]:
                with lock:
                    arrivals[i] = time.monotonic()
                break
            time.sleep(0.001)
        rpc.close()

    threads = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(net.n)]
    for th in threads:
        th.start()

    def mine():
        start = time.monotonic()
        target["hash"] = net.rpc(0).call("generatetoaddress", 1, rnlib.OPTRUE_ADDR)[0]
        go.set()
        for th in threads:
            th.join()
        return start, arrivals
    return mine


class Mode:
    """One regtest network with compact blocks on or off."""

    def __init__(self, args, compact, base_port):
        self.args, self.compact, self.rows = args, compact, []
        self.parent = tempfile.mkdtemp(prefix=f"bench-cmpct-{compact}-")
        self.directory = os.path.join(self.parent, "net")  # regtest-net creates it
        opts = [f"-compactblocks={compact}", "-antientropy=0"]
        regtest_net(self.directory, "up", str(args.nodes), "--topology",
                    f"random:{args.degree}", "--seed", str(args.seed), "--trickle", "0",
                    "--base-port", str(base_port), "--build", args.build,
                    "--coinbases", str(args.blocks * 3 + 5), "--", *opts)
        self.net = rnlib.Network.load(self.directory)

    def measure_block(self):
        args, net = self.args, self.net
        regtest_net(self.directory, "load", "--rate", "1000", "--count", str(args.txs),
                    "--outputs", str(args.outputs))
        wait_mempools(net, args.txs)
        time.sleep(1.0)  # transaction traffic settles
        before = [block_bytes(net, i) for i in range(net.n)]
        start, arrivals = arrival_times(net)()
        if len(arrivals) != net.n:
            raise SystemExit(f"only {len(arrivals)} nodes got the block")
        time.sleep(2.0)  # late duplicates land
        after = [block_bytes(net, i) for i in range(net.n)]
        per_node = [sum(a[m] - b[m] for m in BLOCK_MSGS) for a, b in zip(after, before)]
        last = max(arrivals.values()) - start
        by_msg = {m: sum(a[m] - b[m] for a, b in zip(after, before)) / net.n
                  for m in BLOCK_MSGS + ("cmpct_msgs",)}
        self.rows.append((sum(per_node) / net.n, max(per_node), last, by_msg))
        mean, peak, last, by_msg = self.rows[-1]
        print(f"compactblocks={self.compact} block {len(self.rows)}: {mean / 1000:.1f} kB/node "
              f"(max {peak / 1000:.1f}), last node after {last * 1000:.0f} ms; per node: "
              + ", ".join(f"{m} {v / 1000:.1f} kB" for m, v in by_msg.items()
                          if v and m != "cmpct_msgs")
              + f"; cmpctblocks received {by_msg['cmpct_msgs']:.2f}", flush=True)

    def down(self):
        regtest_net(self.directory, "down", "--clean")
        os.rmdir(self.parent)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--degree", type=int, default=8)
    ap.add_argument("--txs", type=int, default=2000)
    ap.add_argument("--blocks", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--base-port", type=int, default=23000)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--outputs", type=int, default=1, help="outputs per transaction")
    args = ap.parse_args()
    # Both networks run side by side and take turns block by block (the
    # order swapped each time), so that both modes see the same machine load.
    modes = {}
    try:
        for compact in (1, 0):
            modes[compact] = Mode(args, compact, args.base_port + compact * 100)
        for k in range(args.blocks):
            for compact in ((1, 0) if k % 2 == 0 else (0, 1)):
                modes[compact].measure_block()
    finally:
        for m in modes.values():
            m.down()
    results = {c: m.rows for c, m in modes.items()}
    means = {c: [sum(r[j] for r in rows) / len(rows) for j in range(3)]
             for c, rows in results.items()}
    cb, full = means[1], means[0]
    print(f"\n{args.nodes} nodes, random {args.degree}-regular, {args.txs} transactions "
          f"({args.outputs} output each) per block, {args.blocks} blocks per mode")
    print(f"block-relay bytes per node: compact {cb[0] / 1000:.1f} kB, "
          f"full {full[0] / 1000:.1f} kB: {100 * (1 - cb[0] / full[0]):.1f}% fewer")
    print(f"time to the last node:      compact {cb[2] * 1000:.0f} ms, "
          f"full {full[2] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
