"""regtest-net watch: the network live in the terminal.

Each refresh asks every running node, in one batched RPC request, for its
height, tip, mempool, connection count and byte totals, and reads its
memory and CPU time from /proc; rates are the differences between two
refreshes. Plain ANSI escapes on the alternate screen, no curses; q or
Ctrl-C quits. --once prints one frame (two samples an interval apart) as
plain text, or as JSON, for scripts and tests.
"""

import concurrent.futures
import json
import os
import select
import shutil
import sys
import termios
import time
import tty

import rnlib

CALLS = [("getblockcount", []), ("getbestblockhash", []), ("getmempoolinfo", []),
         ("getconnectioncount", []), ("getnettotals", [])]
CLK_TCK = os.sysconf("SC_CLK_TCK")
RPC_TIMEOUT = 5.0  # a node that takes longer shows its error, the others still refresh


def rss_kb(pid, field="VmRSS"):
    """A process's resident memory in kB (None when unreadable); field
    RssAnon: the private part, without the shared program and libraries."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
    except (OSError, StopIteration, IndexError, ValueError):
        return None


def cpu_s(pid):
    """A process's CPU time (user and system) in seconds (None when unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


class Sampler:
    """Samples a network; keeps one RPC connection per node across samples."""

    def __init__(self, net, workers=16):
        self.net = net
        self.rpcs = {}
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers,
                                                                                  net.n)))

    def close(self):
        self.pool.shutdown()
        for rpc in self.rpcs.values():
            rpc.close()

    def _node(self, i, expected):
        node = self.net.nodes[i]
        row = {"node": i, "pid": node.pid, "running": node.running(),
               "peers_expected": expected}
        if not row["running"]:
            return row
        row["rss_kb"], row["cpu_s"] = rss_kb(node.pid), cpu_s(node.pid)
        if i not in self.rpcs:
            self.rpcs[i] = self.net.new_rpc(i, timeout=RPC_TIMEOUT)
        try:
            res = self.rpcs[i].batch(CALLS)
        except rnlib.NetError as e:
            row["error"] = str(e)
            return row
        bad = [r for r in res if isinstance(r, rnlib.RPCError)]
        if bad:
            row["error"] = str(bad[0])
            return row
        height, tip, mempool, conns, totals = res
        row.update(height=height, tip=tip, mempool=mempool.get("size"),
                   mempool_bytes=mempool.get("bytes"), peers=conns,
                   bytes_recv=totals.get("totalbytesrecv"),
                   bytes_sent=totals.get("totalbytessent"))
        return row

    def sample(self):
        """{"t": monotonic seconds, "rows": one dict per node}."""
        # Read afresh: other shells stop, start and partition nodes meanwhile.
        net = self.net = rnlib.Network.load(self.net.dir)
        alive = net.running_set()
        links = [e for e in net.live_edges() if e[0] in alive and e[1] in alive]
        expected = {i: 0 for i in range(net.n)}
        for a, b in links:
            expected[a] += 1
            expected[b] += 1
        t = time.monotonic()
        rows = list(self.pool.map(lambda i: self._node(i, expected[i]), range(net.n)))
        return {"t": t, "rows": rows, "links": len(links)}


def rates(prev, cur):
    """Adds per-second rates to cur's rows from the previous sample."""
    dt = cur["t"] - prev["t"] if prev else 0
    before = {r["node"]: r for r in prev["rows"]} if prev else {}
    for row in cur["rows"]:
        old = before.get(row["node"], {})
        for key, rate in (("bytes_recv", "recv_Bps"), ("bytes_sent", "sent_Bps"),
                          ("mempool", "mempool_per_s"), ("cpu_s", "cpu_pct")):
            if dt > 0 and row.get(key) is not None and old.get(key) is not None and \
                    old.get("pid") == row.get("pid"):
                row[rate] = (row[key] - old[key]) / dt * (100 if rate == "cpu_pct" else 1)
    return cur


def summary(snap):
    """Network-wide figures of a sample (after rates())."""
    rows = snap["rows"]
    up = [r for r in rows if r["running"]]
    ok = [r for r in up if "height" in r]
    best = max((r["height"] for r in ok), default=None)
    pools = sorted(r["mempool"] for r in ok)
    rss = sorted(r["rss_kb"] for r in up if r.get("rss_kb"))

    def total(key):
        return sum(r.get(key) or 0 for r in ok)
    return {"nodes": len(rows), "running": len(up), "answering": len(ok), "links": snap["links"],
            "peers": total("peers"), "peers_expected": sum(r["peers_expected"] for r in up),
            "best_height": best, "behind": sum(1 for r in ok if r["height"] != best),
            "tips": len({r["tip"] for r in ok}),
            "mempool_min": pools[0] if pools else None, "mempool_max": pools[-1] if pools else None,
            "mempool_median": pools[len(pools) // 2] if pools else None,
            "recv_Bps": total("recv_Bps"), "sent_Bps": total("sent_Bps"),
            "cpu_pct": sum(r.get("cpu_pct") or 0 for r in up),
            "rss_kb_total": sum(rss), "rss_kb_median": rss[len(rss) // 2] if rss else None}


def _num(v, fmt):
    return "-" if v is None else format(v, fmt)


def _trouble(row, best):
    """Why a node deserves a look (empty when fine)."""
    if not row["running"]:
        return "down"
    if "error" in row:
        return "error"
    if row["height"] != best:
        return "behind"
    if row["peers"] < row["peers_expected"]:
        return "peers"
    return ""


HEAD = ["node", "pid", "peers", "height", "tip", "mempool", "mp/s", "in kB/s", "out kB/s",
        "RSS MB", "CPU%"]
STYLE = {"head": "\x1b[1m", "down": "\x1b[31m", "error": "\x1b[31m", "behind": "\x1b[33m",
         "peers": "\x1b[33m", "note": "\x1b[2m"}
RESET = "\x1b[0m"


def _kilo(v, scale, fmt):
    return _num(None if v is None else v / scale, fmt)


def _row_cells(r):
    if not r["running"]:
        return [str(r["node"]), "down"] + ["-"] * (len(HEAD) - 2)
    if "error" in r:
        return [str(r["node"]), str(r["pid"])]
    return [str(r["node"]), str(r["pid"]), f"{r['peers']}/{r['peers_expected']}",
            str(r["height"]), r["tip"][:12], str(r["mempool"]),
            _num(r.get("mempool_per_s"), "+.1f"), _kilo(r.get("recv_Bps"), 1000, ".2f"),
            _kilo(r.get("sent_Bps"), 1000, ".2f"), _kilo(r.get("rss_kb"), 1024, ".1f"),
            _num(r.get("cpu_pct"), ".1f")]


def render(net, snap, height=None):
    """One frame as (style, text) lines, style a key of STYLE or "";
    height: the lines that fit (None: every node)."""
    s = summary(snap)
    lines = [("head", f"regtest-net watch  {net.dir}  {time.strftime('%H:%M:%S')}  "
                      f"{net.describe_topology()}"),
             ("", f"nodes {s['running']}/{s['nodes']} running, {s['answering']} answering; "
                  f"peers {s['peers']}/{s['peers_expected']}; "
                  f"height {_num(s['best_height'], 'd')} ({s['tips']} "
                  f"tip{'s' if s['tips'] != 1 else ''}, {s['behind']} behind); "
                  f"mempool {_num(s['mempool_min'], 'd')}..{_num(s['mempool_max'], 'd')} "
                  f"(median {_num(s['mempool_median'], 'd')})"),
             ("", f"traffic in {s['recv_Bps'] / 1000:.2f} kB/s, out {s['sent_Bps'] / 1000:.2f} "
                  f"kB/s; CPU {s['cpu_pct']:.1f}%; RSS {s['rss_kb_total'] / 1024:.0f} MB "
                  f"(median {_kilo(s['rss_kb_median'], 1024, '.1f')} MB a node)"),
             ("", "")]
    rows = snap["rows"]
    room = None if height is None else max(1, height - len(lines) - 2)
    note = None
    if room is not None and len(rows) > room:
        # Too many to show: the nodes that need a look first.
        rows = sorted(rows, key=lambda r: (_trouble(r, s["best_height"]) == "", r["node"]))
        note = ("note", f"... {len(rows) - room} more nodes (troubled ones shown first)")
        rows = rows[:room]
    cells = [HEAD] + [_row_cells(r) for r in rows]
    widths = [max(len(c[k]) for c in cells if k < len(c)) for k in range(len(HEAD))]
    lines.append(("head", "  ".join(v.rjust(w) for v, w in zip(HEAD, widths))))
    for r, c in zip(rows, cells[1:]):
        text = "  ".join(v.rjust(w) for v, w in zip(c, widths))
        if "error" in r:
            text += "  " + r["error"]
        lines.append((_trouble(r, s["best_height"]), text))
    if note:
        lines.append(note)
    return lines


def once(net, interval, as_json=False):
    sampler = Sampler(net)
    try:
        first = sampler.sample()
        time.sleep(interval)
        snap = rates(first, sampler.sample())
    finally:
        sampler.close()
    if as_json:
        return json.dumps({"summary": summary(snap), "nodes": snap["rows"]}, indent=1)
    return "\n".join(text for _, text in render(net, snap))


def live(net, interval):
    """Refreshes every interval until q or Ctrl-C."""
    out = sys.stdout
    fd = sys.stdin.fileno() if sys.stdin.isatty() else None
    saved = termios.tcgetattr(fd) if fd is not None else None
    sampler = Sampler(net)
    try:
        if fd is not None:
            tty.setcbreak(fd)
        out.write("\x1b[?1049h\x1b[?25l")  # alternate screen, no cursor
        prev = None
        while True:
            snap = rates(prev, sampler.sample())
            size = shutil.get_terminal_size()
            lines = render(net, snap, size.lines - 1) + [("note", "q quits")]
            out.write("\x1b[H" + "\x1b[K\n".join(
                f"{STYLE[style]}{text[:size.columns]}{RESET}" if style else text[:size.columns]
                for style, text in lines) + "\x1b[K\x1b[J")
            out.flush()
            prev = snap
            if _wait_key(fd, snap["t"] + interval - time.monotonic()):
                return 0
    except KeyboardInterrupt:
        return 0
    finally:
        sampler.close()
        out.write("\x1b[?25h\x1b[?1049l")
        out.flush()
        if saved is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _wait_key(fd, timeout):
    """Waits up to timeout seconds; True when q was pressed."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if fd is None:
            time.sleep(left)
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if ready and os.read(fd, 1) in (b"q", b"Q"):
            return True
