#!/usr/bin/env python3
"""contrib/regtest-net driven as a user would: up a ring of 4, status, mine,
load, stop/start with catch-up, partition/heal with competing chains, down
with no process left; and an `up` interrupted by Ctrl-C leaves none."""

import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import framework as fw  # noqa: E402

SRCDIR = os.environ.get("HEARSAY_SRCDIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOOL = os.path.join(SRCDIR, "contrib", "regtest-net", "regtest-net")
sys.path.insert(0, os.path.dirname(TOOL))
from rnlib import pid_is as alive  # noqa: E402  (is this pid still that datadir's node?)


class Tool:
    def __init__(self, t):
        self.dir = os.path.join(t.tmpdir, "net")

    def run(self, *args, want=0, timeout=180):
        cmd = [sys.executable, TOOL, args[0], "--dir", self.dir] + list(args[1:])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if want is not None and p.returncode != want:
            raise fw.TestFailure(f"{' '.join(args)}: exit {p.returncode}, want {want}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p.stdout

    def status(self):
        return json.loads(self.run("status", "--json"))

    def pids(self):
        try:
            with open(os.path.join(self.dir, "network.json"), encoding="utf-8") as f:
                return [(n["pid"], n["datadir"]) for n in json.load(f)["nodes"] if n["pid"]]
        except FileNotFoundError:
            return []

    def force_down(self):
        """Whatever happened, no node outlives the test."""
        for pid, datadir in self.pids():
            if alive(pid, datadir):
                os.kill(pid, signal.SIGKILL)


def nodes_of(tmpdir):
    """hearsayd processes whose datadir lies under tmpdir."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"hearsayd") and \
                any(a.startswith(f"-datadir={tmpdir}".encode()) for a in args):
            out.append(int(pid))
    return out


def assert_agree(rows, height, running=4):
    up = [r for r in rows if r["running"]]
    fw.assert_equal(len(up), running, "running nodes")
    fw.assert_equal({r["height"] for r in up}, {height}, "heights")
    fw.assert_equal(len({r["tip"] for r in up}), 1, "tips")


def test_lifecycle(t):
    tool = Tool(t)
    base = fw.free_ports(8)
    try:
        out = tool.run("up", "4", "--topology", "ring", "--base-port", str(base),
                       "--build", fw.BUILDDIR, "--trickle", "0", "--coinbases", "2",
                       "--", "-antientropy=1")
        fw.assert_in(f"127.0.0.1:{base}", out)
        rows = tool.status()
        fw.assert_equal([r["peers"] for r in rows], [2, 2, 2, 2], "ring peers")
        assert_agree(rows, 102)

        out = tool.run("mine", "2", "--at", "1")
        fw.assert_in("2 blocks over 4 nodes", out)
        assert_agree(tool.status(), 104)

        report = os.path.join(t.tmpdir, "load.json")
        tool.run("load", "--rate", "50", "--count", "5", "--from", "2", "--json", report,
                 "--csv", report + ".csv")
        with open(report, encoding="utf-8") as f:
            rep = json.load(f)
        fw.assert_equal((rep["items"], rep["nodes"], rep["complete"]), (5, 4, True))
        fw.assert_equal(len(open(report + ".csv").read().splitlines()), 6, "csv rows")
        rows = tool.status()  # the load mined its coins' split first
        fw.assert_equal([r["mempool"] for r in rows], [5] * 4, "mempools")
        assert_agree(rows, 105)

        # Down, a block without it, back up: it catches up.
        tool.run("stop", "3")
        fw.assert_equal([r["running"] for r in tool.status()], [True, True, True, False])
        tool.run("mine", "1", "--at", "0")
        out = tool.run("start", "3")
        fw.assert_in("height 105 -> 106", out)
        assert_agree(tool.status(), 106)

        # Competing chains on each side; the longer wins after the heal.
        fw.assert_in("2 links cut", tool.run("partition", "0-1", "2-3"))
        tool.run("mine", "1", "--at", "0")
        tool.run("mine", "2", "--at", "3")
        fw.assert_in("tips agree", tool.run("heal"))
        assert_agree(tool.status(), 108)

        pids = tool.pids()
        fw.assert_equal(len(pids), 4, "pids in state")
        fw.assert_in("stopped 4 nodes", tool.run("down"))
        fw.assert_equal([p for p, d in pids if alive(p, d)], [], "nodes left after down")
        fw.assert_equal(nodes_of(t.tmpdir), [], "hearsayd processes left")
    finally:
        tool.force_down()


def test_up_in_existing_dir(t):
    """`up --dir` on a directory made beforehand (mktemp -d) uses it when
    empty, and refuses a non-empty one that holds no network with a clear
    message, no traceback, leaving its files alone."""
    tool = Tool(t)
    os.makedirs(tool.dir)
    other = os.path.join(t.tmpdir, "busy")
    os.makedirs(other)
    keep = os.path.join(other, "notes.txt")
    with open(keep, "w", encoding="utf-8") as f:
        f.write("mine\n")
    cmd = [sys.executable, TOOL, "up", "1", "--dir", other, "--base-port", str(fw.free_ports(2)),
           "--build", fw.BUILDDIR]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    fw.assert_equal(p.returncode != 0, True, "up in a foreign directory must fail")
    fw.assert_in("holds no network", p.stderr)
    fw.assert_equal("Traceback" in p.stderr, False, f"a traceback: {p.stderr}")
    fw.assert_equal(os.listdir(other), ["notes.txt"], "the user's files")
    try:
        tool.run("up", "1", "--base-port", str(fw.free_ports(2)), "--build", fw.BUILDDIR,
                 "--coinbases", "0")
        assert_agree(tool.status(), 100, running=1)
        tool.run("down")
    finally:
        tool.force_down()


def test_interrupted_up_cleans_up(t):
    tool = Tool(t)
    base = fw.free_ports(6)
    # 3,000 coinbases keep `up` mining well past the moment the nodes run, so
    # the interrupt lands in it even on a fast, idle machine.
    p = subprocess.Popen([sys.executable, TOOL, "up", "3", "--dir", tool.dir, "--base-port",
                          str(base), "--build", fw.BUILDDIR, "--coinbases", "3000"],
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         # A suite run in the background inherits SIGINT ignored,
                         # and Python then keeps ignoring it: Ctrl-C is what this
                         # test sends, so the tool must get it.
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Interrupt once the nodes run, before the mining is done.
        fw.wait_until(lambda: len(nodes_of(t.tmpdir)) == 3, timeout=60, what="3 nodes")
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        fw.assert_equal(p.returncode, 130, "exit code after Ctrl-C")
        fw.assert_in("interrupted", err)
        fw.assert_equal(nodes_of(t.tmpdir), [], "hearsayd processes left")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        tool.force_down()


if __name__ == "__main__":
    fw.main([test_lifecycle, test_up_in_existing_dir, test_interrupted_up_cleans_up])
