#!/usr/bin/env python3
"""Two-node sync benchmark: node B downloads and connects a chain of about
1 MB blocks from node A over loopback (regtest).

A's chain store is filled first by bench_sync_fill (wallet-free
transactions spending earlier outputs: a growing UTXO set and real undo
data); that part is not measured. Then B starts, connects to A and syncs;
measured from the connection to B's tip reaching A's:

- MB/s of block data and the wall time;
- B's longest event-loop pause (getlooplag) and what ran during it, its
  counts of pauses over 100 ms and 1 s, and the slowest RPC round trip
  seen while polling B every 0.25 s;
- B's bytes written to disk (/proc/<pid>/io write_bytes) over the block
  bytes: the write amplification of the sync (and with B's shutdown, its
  final flush, included).

Prints figures; never fails on timing. Run from a build directory
(HEARSAY_BUILDDIR), preferably one configured without sanitizers:

    nice python3 ../contrib/bench/bench_sync.py [--blocks 5000] [--block-bytes 1000000]
        [--dbcache 450] [--tmpdir DIR] [--source DIR]

With --source, A's filled chain is kept in DIR and copied from there by
later runs with the same --blocks and --block-bytes (a 5,000-block fill
takes about 10 minutes; the copy, seconds).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "functional"))

import framework as fw  # noqa: E402

FILL = os.path.join(fw.BUILDDIR, "contrib", "bench", "bench_sync_fill")
POLL_S = 0.25


def write_bytes(pid):
    """Bytes the process has caused to be written to storage so far."""
    with open(f"/proc/{pid}/io", encoding="ascii") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    raise fw.TestFailure(f"/proc/{pid}/io has no write_bytes")


def fill(chaindir, blocks, block_bytes, dbcache):
    """Builds A's chain in chaindir; returns (height, block bytes)."""
    os.makedirs(chaindir, exist_ok=True)
    out = subprocess.run([FILL, chaindir, str(blocks), str(block_bytes), str(dbcache)],
                         capture_output=True, text=True, check=False)
    m = re.search(r"built (\d+) blocks, (\d+) bytes", out.stdout)
    if out.returncode != 0 or not m:
        raise fw.TestFailure(f"bench_sync_fill failed: {out.stdout}{out.stderr}")
    return int(m.group(1)), int(m.group(2))


def fill_from(node, source, blocks, block_bytes, dbcache):
    """fill(), through a copy kept in source: reused when it was filled
    with the same parameters. The copy leaves the source as it was, even
    when A truncates or rewrites its files on start."""
    stamp = os.path.join(source, "fill.json")
    want = {"blocks": blocks, "block_bytes": block_bytes}
    kept = os.path.join(source, "chain")
    try:
        with open(stamp, encoding="utf-8") as f:
            got = json.load(f)
    except (OSError, ValueError):
        got = {}
    if {k: got.get(k) for k in want} != want:
        shutil.rmtree(source, ignore_errors=True)
        os.makedirs(source)
        height, nbytes = fill(kept, blocks, block_bytes, dbcache)
        with open(stamp, "w", encoding="utf-8") as f:
            json.dump({**want, "height": height, "bytes": nbytes}, f)
        got = {**want, "height": height, "bytes": nbytes}
    shutil.rmtree(node.chaindir, ignore_errors=True)
    shutil.copytree(kept, node.chaindir)
    return got["height"], got["bytes"]


def wait_synced(node, height, timeout):
    """Polls B's height; returns the slowest RPC round trip, in seconds."""
    deadline = time.monotonic() + timeout
    slowest = 0.0
    while True:
        start = time.monotonic()
        count = node.rpc("getblockcount", timeout=timeout)
        slowest = max(slowest, time.monotonic() - start)
        if count >= height:
            return slowest
        if not node.running():
            raise fw.TestFailure(f"node{node.index} exited while syncing:\n{node.stderr()}")
        if time.monotonic() > deadline:
            raise fw.TestFailure(f"sync stuck at {count} of {height} blocks after {timeout} s")
        time.sleep(POLL_S)


def sync(t, blocks, block_bytes, dbcache=450, b_args=(), timeout=3600, before_stop=None,
         source=None):
    """Fills A (through source, when given: see fill_from), syncs B from
    it; returns the figures (a dict). before_stop(B) runs once B is synced,
    before it stops."""
    a, b = t.add_node(), t.add_node()
    fill_start = time.monotonic()
    if source:
        height, nbytes = fill_from(a, source, blocks, block_bytes, dbcache)
    else:
        height, nbytes = fill(a.chaindir, blocks, block_bytes, dbcache)
    # The fill's or the copy's gigabytes are written back now, not while B
    # syncs: the kernel would throttle B's writes and the figures with them.
    os.sync()
    fill_s = time.monotonic() - fill_start
    a.start(timeout=120)
    b.start(f"-dbcache={dbcache}", *b_args)
    pid = b.process.pid
    written0 = write_bytes(pid)
    start = time.monotonic()
    b.rpc("addnode", f"{fw.LOOPBACK}:{a.p2p_port}", "onetry")
    slowest_rpc = wait_synced(b, height, timeout)
    wall = time.monotonic() - start
    written = write_bytes(pid) - written0
    lag = b.rpc("getlooplag")
    if before_stop:
        before_stop(b)
    stop_start = time.monotonic()
    fw.assert_equal(b.stop(timeout=600), 0)
    stop_s = time.monotonic() - stop_start
    return {"height": height, "bytes": nbytes, "fill_s": fill_s, "wall_s": wall,
            "written": written, "slowest_rpc_s": slowest_rpc, "lag": lag, "stop_s": stop_s,
            "log": b.debug_log()}


def report(r):
    mb = r["bytes"] / 1e6
    lag = r["lag"]
    over = lag["pauses_over_ms"]
    print(f"chain: {r['height']} blocks, {mb:.1f} MB (A filled or copied in "
          f"{r['fill_s']:.1f} s)")
    print(f"sync: {r['wall_s']:.1f} s, {mb / r['wall_s']:.1f} MB/s")
    print(f"B wrote {r['written'] / 1e6:.1f} MB during the sync: {r['written'] / r['bytes']:.2f}"
          f" bytes per block byte; shutdown (final flush) took {r['stop_s']:.1f} s")
    print(f"B's event loop: longest pause {lag['pause_max_ms']:.0f} ms"
          f" ({lag['pause_max_during'] or 'no timed section'}); pauses over 100 ms: "
          f"{over['100']}, over 1 s: {over['1000']}; {lag['ticks']} ticks of "
          f"{lag['tick_ms']:.0f} ms")
    print(f"slowest getblockcount round trip while syncing: {r['slowest_rpc_s'] * 1000:.0f} ms")
    for s in sorted(lag["sections"], key=lambda s: -s["total_ms"]):
        print(f"  section {s['category']}/{s['name']}: {s['count']} runs, "
              f"{s['total_ms'] / 1000:.1f} s in all, longest {s['max_ms']:.0f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blocks", type=int, default=5000)
    ap.add_argument("--block-bytes", type=int, default=1000000)
    ap.add_argument("--dbcache", type=int, default=450, help="MiB, for both nodes")
    ap.add_argument("--tmpdir", help="where the datadirs go (default: TMPDIR)")
    ap.add_argument("--source", help="keep A's filled chain here and reuse it")
    args = ap.parse_args()
    if args.tmpdir:
        os.environ["TMPDIR"] = args.tmpdir
    if not os.access(FILL, os.X_OK):
        sys.exit(f"{FILL} not built (make contrib/bench/bench_sync_fill)")

    def bench(t):
        source = os.path.abspath(args.source) if args.source else None
        report(sync(t, args.blocks, args.block_bytes, args.dbcache, source=source))
    fw.main([bench], timeout=6 * 3600)


if __name__ == "__main__":
    main()
