#!/usr/bin/env python3
"""A small run of contrib/bench/bench_sync.py: node B syncs a generated
chain of 100 KB blocks (transactions spending earlier outputs) from node
A; the sync completes, and B's event-loop pause figures are exported by
getlooplag and on /metrics, consistent with each other."""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "contrib", "bench"))

import bench_sync  # noqa: E402
import framework as fw  # noqa: E402
import metrics  # noqa: E402
from framework import assert_equal  # noqa: E402

BLOCKS = 130  # the last 30 carry transactions: coinbases mature after 100
BLOCK_BYTES = 100000


def test_sync_and_pause_figures(t):
    if not os.access(bench_sync.FILL, os.X_OK):
        print(f"SKIP: {bench_sync.FILL} not built")
        sys.exit(fw.SKIP)
    port = fw.free_port()
    seen = {}

    def scrape_before_stop(node):
        seen["metrics"] = metrics.parse(metrics.scrape(port)[2])
        seen["lag"] = node.rpc("getlooplag")

    r = bench_sync.sync(t, BLOCKS, BLOCK_BYTES, dbcache=16,
                        b_args=[f"-metricsbind={fw.LOOPBACK}:{port}"], timeout=300,
                        before_stop=scrape_before_stop)
    assert_equal(r["height"], BLOCKS)
    assert r["bytes"] > 30 * BLOCK_BYTES * 0.9, f"blocks too small: {r['bytes']} bytes"
    assert r["written"] > 0, "B wrote nothing"
    lag, m = seen["lag"], seen["metrics"]
    assert lag["ticks"] > 0, lag
    sections = {s["name"]: s for s in lag["sections"]}
    assert_equal(sections["block"]["count"], BLOCKS)
    assert_equal(sections["block"]["category"], "validation")
    assert sections["p2p message"]["count"] >= BLOCKS
    assert sections["rpc request"]["count"] >= 1
    count = m[("hearsay_event_loop_pause_seconds_count", "")]
    assert 0 < count <= lag["ticks"], (count, lag["ticks"])  # the scrape came first
    assert_equal(m[("hearsay_event_loop_pause_seconds_bucket", 'le="+Inf"')], count)
    le100 = m[("hearsay_event_loop_pause_seconds_bucket", 'le="0.1"')]
    le1000 = m[("hearsay_event_loop_pause_seconds_bucket", 'le="1"')]
    assert le100 <= le1000 <= count, (le100, le1000, count)
    assert m[("hearsay_event_loop_pause_max_seconds", "")] <= lag["pause_max_ms"] / 1000.0
    assert_equal(m[("hearsay_event_loop_sections_total", 'section="block"')], BLOCKS)
    assert m[("hearsay_event_loop_section_seconds_total", 'section="block"')] > 0
    # Every pause over 100 ms left a log line (the log also covers the
    # shutdown, after the figures were read).
    assert r["log"].count("Event loop paused ") >= lag["pauses_over_ms"]["100"]


if __name__ == "__main__":
    fw.main([test_sync_and_pause_figures], timeout=240)
