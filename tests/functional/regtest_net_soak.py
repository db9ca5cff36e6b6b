#!/usr/bin/env python3
"""contrib/regtest-net/soak: its memory verdict (rssflat.py) on made-up
curves whose answer is known, and a short soak of 4 nodes with kills, blocks
and the audit, leaving no process behind."""

import json
import os
import random
import subprocess
import sys

sys.dont_write_bytecode = True
import framework as fw  # noqa: E402
from regtest_net import SRCDIR, nodes_of  # noqa: E402

TOOLS = os.path.join(SRCDIR, "contrib", "regtest-net")
sys.path.insert(0, TOOLS)
import rssflat  # noqa: E402


def write_soak_output(out, curves, end_s, restarts=()):
    """rss.csv sampled every 10 s from curves (seconds -> MB, or None when
    down) and events.log naming the restarts."""
    os.makedirs(out)
    rng = random.Random(7)
    with open(os.path.join(out, "rss.csv"), "w") as f:
        f.write("seconds," + ",".join(f"node{i}" for i in range(len(curves))) + "\n")
        for t in range(0, end_s + 1, 10):
            cells = []
            for curve in curves:
                mb = curve(t)
                cells.append("" if mb is None else f"{mb + rng.uniform(-0.2, 0.2):.1f}")
            f.write(f"{t}," + ",".join(cells) + "\n")
    with open(os.path.join(out, "events.log"), "w") as f:
        for t, node in restarts:
            f.write(f"{t:8.1f} restarted node{node}\n")


def steady(t):
    return 20.0 if t >= 300 else 5 + t / 20


def leaking(t):  # 1 MB an hour after warm-up: a leak
    return steady(t) + max(0, t - 600) / 3600


def returning(t):  # glibc handing back 1.5 MB an hour: not a leak
    return steady(t) + 1 - max(0, t - 600) / 2400


def restarted(t):  # steady before a kill at 4,000 s, then a fresh run
    if t < 4000:
        return 19.0
    if t < 4010:
        return None
    return steady(t - 4010)


def test_rss_verdicts(t):
    two_hours = 7200
    out = os.path.join(t.tmpdir, "leak")
    write_soak_output(out, [steady, leaking, returning, restarted], two_hours,
                      restarts=[(4010.0, 3)])
    rss = rssflat.analyse(out)
    fw.assert_equal((rss["flat"], rss["verdict"]), (False, "growing after warm-up"), "a leak")
    trend = rss["maxima_slope_kb_per_h"]
    fw.assert_equal(900 < trend < 1150, True, f"maxima rise {trend} KB/h, want about 1,024")
    # Per node, for information.
    fw.assert_equal(list(rss["growing"]), ["node1"], "growing nodes")
    fw.assert_equal(list(rss["returning"]), ["node2"], "nodes returning memory")
    slope = rss["per_node"]["node1"]["slope_kb_per_h"]
    fw.assert_equal(900 < slope < 1150, True, f"leak slope {slope} KB/h, want about 1,024")
    # The restarted node is fitted over its new run only, from 10 minutes in.
    node3 = rss["per_node"]["node3"]
    fw.assert_equal(node3["last_run_start_s"], 4010, "restart seen")
    fw.assert_equal(abs(node3["slope_kb_per_h"]) < 512, True, f"restarted: {node3}")

    out = os.path.join(t.tmpdir, "flat")
    write_soak_output(out, [steady, returning, restarted], two_hours, restarts=[(4010.0, 2)])
    rss = rssflat.analyse(out)
    fw.assert_equal((rss["flat"], rss["verdict"]), (True, "flat after warm-up"), "no leak")
    fw.assert_equal(list(rss["returning"]), ["node1"], "memory returned, not a leak")
    # The saw-tooth of a real node: peaks flat, a line through it noisy.
    out = os.path.join(t.tmpdir, "sawtooth")
    write_soak_output(out, [lambda t: 15 + (t % 1500) / 250], two_hours)
    fw.assert_equal(rssflat.analyse(out)["verdict"], "flat after warm-up", "saw-tooth")

    out = os.path.join(t.tmpdir, "short")
    write_soak_output(out, [steady], 900)
    fw.assert_equal(rssflat.analyse(out)["verdict"], "too short to say after warm-up")


def test_short_soak(t):
    net, out = os.path.join(t.tmpdir, "net"), os.path.join(t.tmpdir, "out")
    cmd = [sys.executable, os.path.join(TOOLS, "soak"), "--duration", "90", "--n", "4",
           "--rate", "2", "--seed", "3", "--dir", net, "--out", out, "--build", fw.BUILDDIR,
           "--base-port", str(fw.free_ports(8))]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    finally:
        for pid in nodes_of(t.tmpdir):
            os.kill(pid, 9)
    if p.returncode != 0:
        raise fw.TestFailure(f"soak exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    fw.assert_equal((s["nodes"], s["tips_agree"]), (4, True), "nodes, tips")
    fw.assert_equal(s["accepted"] >= 100, True, f"accepted {s['accepted']}")
    fw.assert_equal(s["missing"], s["missing_sent_to_a_node_killed_within_10s"], "lost")
    fw.assert_equal(s["confirmed"] + s["in_every_mempool"] + s["missing"], s["accepted"],
                    "every accepted transaction accounted for")
    fw.assert_equal(s["kills"] >= 1 and s["blocks"] >= 2, True, f"abuse: {s}")
    fw.assert_equal(s["rss_samples"] >= 9, True, "RSS samples")
    with open(os.path.join(out, "rss.csv")) as f:
        rows = f.read().splitlines()
    fw.assert_equal(rows[0], "seconds,node0,node1,node2,node3", "rss.csv header")
    fw.assert_equal(len(rows) - 1, s["rss_samples"], "rss.csv rows")
    fw.assert_in("kill -9 node", open(os.path.join(out, "events.log")).read())
    fw.assert_equal(s["rss"]["verdict"], "too short to say after warm-up", "90 s: no slope")
    fw.assert_equal(nodes_of(t.tmpdir), [], "hearsayd processes left")


if __name__ == "__main__":
    fw.main([test_rss_verdicts, test_short_soak], timeout=600)
