#!/usr/bin/env python3
"""regtest-net watch on a ring of 3: the samples and rates between two of
them as a block and transactions flow, the --once frame (text and JSON),
a stopped node shown first when the rows do not fit, and the live screen
under a pseudo-terminal quitting on q and on Ctrl-C."""

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import framework as fw  # noqa: E402
from regtest_net import TOOL, Tool  # noqa: E402  (sets the tool's modules on the path)

import rnlib  # noqa: E402
import rnwatch  # noqa: E402


def up3(t):
    tool = Tool(t)
    tool.run("up", "3", "--topology", "ring", "--base-port", str(fw.free_ports(6)),
             "--build", fw.BUILDDIR, "--trickle", "0", "--coinbases", "2")
    return tool


def check_rates(tool):
    """Two samples around a load's block: heights, mempools and traffic move."""
    tool.run("load", "--rate", "50", "--count", "4")
    net = rnlib.Network.load(tool.dir)
    sampler = rnwatch.Sampler(net)
    try:
        before = sampler.sample()
        fw.assert_equal([r["mempool"] for r in before["rows"]], [4, 4, 4], "mempools")
        tool.run("mine", "1", "--at", "0")
        after = rnwatch.rates(before, sampler.sample())
    finally:
        sampler.close()
    rows = after["rows"]
    fw.assert_equal([r["height"] - b["height"] for r, b in zip(rows, before["rows"])],
                    [1, 1, 1], "height steps")
    fw.assert_equal([r["mempool"] for r in rows], [0, 0, 0], "mempools after the block")
    for r in rows:
        fw.assert_equal(r["mempool_per_s"] < 0, True, f"node{r['node']} mempool rate")
        fw.assert_equal(r["peers"], 2, "peers")
        fw.assert_equal(r["rss_kb"] > 1000, True, f"node{r['node']} RSS {r['rss_kb']} kB")
    # The miner sent the block, both others received it (a block is > 200 bytes).
    fw.assert_equal(rows[0]["sent_Bps"] * (after["t"] - before["t"]) > 200, True,
                    f"node0 sent {rows[0]['sent_Bps']} B/s")
    for r in rows[1:]:
        fw.assert_equal(r["recv_Bps"] * (after["t"] - before["t"]) > 200, True,
                        f"node{r['node']} received {r['recv_Bps']} B/s")
    s = rnwatch.summary(after)
    fw.assert_equal((s["running"], s["tips"], s["behind"], s["peers"], s["peers_expected"]),
                    (3, 1, 0, 6, 6), "summary")
    return rows[0]["height"]


def check_once(tool, height):
    out = tool.run("watch", "--once", "--interval", "0.3")
    fw.assert_equal("\x1b" in out, False, "escape codes in --once output")
    fw.assert_in(f"nodes 3/3 running, 3 answering; peers 6/6; height {height} (1 tip, 0 behind)",
                 out)
    table = out.splitlines()
    head = next(k for k, line in enumerate(table) if line.split()[:3] == ["node", "pid", "peers"])
    rows = [line.split() for line in table[head + 1:]]
    fw.assert_equal([(r[0], r[2], r[3], r[5]) for r in rows],
                    [(str(i), "2/2", str(height), "0") for i in range(3)], "rows")
    snap = json.loads(tool.run("watch", "--once", "--json", "--interval", "0.3"))
    fw.assert_equal([n["height"] for n in snap["nodes"]], [height] * 3, "JSON heights")


def check_down_first(tool):
    """A node stopped from another shell shows as down in a running watch
    (first, in red when live, when rows run short), and up again after its
    restart under a new pid."""
    net = rnlib.Network.load(tool.dir)
    sampler = rnwatch.Sampler(net)
    try:
        tool.run("stop", "2")
        snap = json.loads(tool.run("watch", "--once", "--json", "--interval", "0.2"))
        fw.assert_equal((snap["summary"]["running"], snap["nodes"][2]["running"]), (2, False),
                        "node2 down")
        fw.assert_equal(snap["summary"]["peers_expected"], 2, "links left between 0 and 1")
        lines = rnwatch.render(net, rnwatch.rates(None, sampler.sample()), height=8)
        body = [(style, text.split()) for style, text in lines[5:]]
        fw.assert_equal(body[0], ("down", ["2", "down"] + ["-"] * 9), "first row")
        fw.assert_in("... 1 more nodes", lines[-1][1])
        tool.run("start", "2")
        fw.wait_until(lambda: [(r["running"], r.get("peers")) for r in
                               sampler.sample()["rows"]] == [(True, 2)] * 3,
                      timeout=30, what="node2 back with its two peers")
    finally:
        sampler.close()


def live(tool, stop):
    """Runs the live screen on a pseudo-terminal until it drew two frames,
    then stops it with stop(proc, master fd); returns (exit code, output)."""
    master, slave = pty.openpty()
    # Its own session with the pty as its terminal; SIGINT at its default
    # (a suite run in the background inherits it ignored).
    p = subprocess.Popen([sys.executable, TOOL, "watch", "--dir", tool.dir, "--interval", "0.3"],
                         stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + 30
        while out.count(b"regtest-net watch") < 2 and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                out += os.read(master, 65536)
        stop(p, master)
        rc = p.wait(timeout=20)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            out += chunk
        return rc, out.decode("utf-8", "replace")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


def check_live(tool):
    rc, out = live(tool, lambda p, fd: os.write(fd, b"q"))
    fw.assert_equal(rc, 0, f"exit after q; output:\n{out[-2000:]}")
    fw.assert_in("\x1b[?1049h", out, "alternate screen")
    fw.assert_in("nodes 3/3 running", out)
    fw.assert_equal(out.rstrip().endswith("\x1b[?1049l"), True,
                    f"screen restored last: {out[-80:]!r}")
    rc, out = live(tool, lambda p, fd: p.send_signal(signal.SIGINT))
    fw.assert_equal(rc, 0, f"exit after Ctrl-C; output:\n{out[-2000:]}")
    fw.assert_in("\x1b[?25h", out, "cursor shown again")


def test_watch(t):
    tool = up3(t)
    try:
        height = check_rates(tool)
        check_once(tool, height)
        check_down_first(tool)
        check_live(tool)
        fw.assert_in("stopped 3 nodes", tool.run("down"))
    finally:
        tool.force_down()


if __name__ == "__main__":
    fw.main([test_watch], timeout=120)
