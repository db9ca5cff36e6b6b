"""regtest-net's output: the status table, reports as text, JSON, CSV and
an infection-curve plot (gnuplot)."""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import rnlib


def _ms(s):
    return "-" if s is None else f"{s * 1000:.1f}"


def status_table(rows):
    head = ["node", "pid", "p2p", "out/in", "peers", "height", "tip", "mempool", "tx B", "inv B",
            "getdata B"]
    lines = [head]
    for r in rows:
        c = (r.get("counters") or {}).get("bytes", {})
        peers = r.get("peers")
        lines.append([str(r["node"]), str(r["pid"]) if r["running"] else "down",
                      str(r["p2p_port"]), f"{r['links_out']}/{r['links_in']}",
                      "-" if peers is None else f"{peers}/{r['peers_expected']}",
                      str(r.get("height", "-")), (r.get("tip") or "-")[:16],
                      str(r.get("mempool", "-"))] +
                     [str(c[k]) if k in c else "-" for k in ("tx", "inv", "getdata")])
        if "error" in r:
            lines[-1][-1] += f"  ({r['error']})"
    widths = [max(len(line[k]) for line in lines) for k in range(len(head))]
    return "\n".join("  ".join(v.rjust(w) for v, w in zip(line, widths)) for line in lines)


def text(rep):
    kind = rep["kind"]
    if kind == "start":
        out = [f"node{rep['node']} started in {rep['startup_s']:.2f} s"]
        if "blocks_caught_up_s" in rep:
            out.append(f"blocks: height {rep['height_before']} -> {rep['height']}, caught up "
                       f"{seconds(rep['blocks_caught_up_s'])} after launch")
            out.append(f"mempool: {rep['mempool_target']} transactions in common with its "
                       f"peers, caught up {seconds(rep['mempool_caught_up_s'])} after launch")
        else:
            out.append(rep.get("note", ""))
        return "\n".join(out)
    what = "transactions" if kind == "load" else "blocks"
    out = [f"{rep['items']} {what} over {rep['nodes']} nodes, {rep['links']} links "
           f"(poll period {rep['poll_period_ms']:.1f} ms)"]
    for key, label in (("reach_all_s", "every node"), ("reach_90pct_s", "90% of nodes"),
                       ("reach_half_s", "half the nodes")):
        r = rep.get(key)
        if r:
            out.append(f"time until {label} had it (ms): p50 {_ms(r['p50'])}  "
                       f"p90 {_ms(r['p90'])}  p99 {_ms(r['p99'])}  max {_ms(r['max'])}")
    slow = sorted(rep.get("node_median_s", {}).items(), key=lambda kv: -kv[1])[:3]
    if slow:
        out.append("slowest nodes (median ms): " +
                   ", ".join(f"node{i} {_ms(v)}" for i, v in slow))
    if rep["incomplete_items"]:
        out.append(f"NOT everywhere: {rep['incomplete_items']} of {rep['items']} {what}")
    if rep.get("failed"):
        out.append(f"rejected at submission: {len(rep['failed'])} "
                   f"(first: {rep['failed'][0]['error']})")
    t = rep.get("traffic")
    if not t:
        out.append("traffic: the nodes keep no counters (no getpeerinfo)")
        return "\n".join(out)
    if "bytes_per_item_per_node" in t:
        size = rep.get("tx_size") or rep.get("last_block_size")
        out.append(f"relay bytes received per item per node: {t['bytes_per_item_per_node']:.0f} B "
                   f"({t['relative_to_item_size']:.2f} x the {size:.0f}-byte item)")
        out.append("  by message: " + ", ".join(
            f"{c} {b:.0f} B" for c, b in t["bytes_per_item_per_node_by_msg"].items()))
    if "duplicate_payloads" in t:
        out.append(f"payloads received: {t['payloads_received']}, duplicates: "
                   f"{t['duplicate_payloads']}")
    if "announcements_per_item_per_link" in t:
        est = " (estimated from inv bytes)" if t.get("announcements_estimated") else ""
        out.append(f"announcements per item per link: "
                   f"{t['announcements_per_item_per_link']:.2f}{est}")
    if t.get("gossip_counters"):
        out.append("relay counters (sum of deltas): " + ", ".join(
            f"{k} {v}" for k, v in sorted(t["gossip_counters"].items())))
    return "\n".join(out)


def seconds(v):
    return "never (timeout)" if v is None else f"{v:.2f} s"


def emit(rep, args):
    print(text(rep))
    if getattr(args, "json", None):
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rep, f, indent=1)
    if getattr(args, "csv", None) and "rows" in rep:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "nodes_reached", "reach_all_ms"])
            for r in rep["rows"]:
                w.writerow([r["id"], r["nodes_reached"],
                            "" if r["reach_all_s"] is None else f"{r['reach_all_s'] * 1000:.3f}"])
    if getattr(args, "plot", None) and rep.get("curve"):
        plot(rep, args.plot)


def record(net, rep):
    """Keeps the report of a load or mine in DIR/runs/NNNN-KIND.json, with
    the network it ran on, for `report`; returns the path."""
    runs = os.path.join(net.dir, rnlib.RUNS)
    os.makedirs(runs, exist_ok=True)
    seq = 1 + max([int(f.split("-")[0]) for f in os.listdir(runs)
                   if f.split("-")[0].isdigit()], default=0)
    rec = dict(rep, run=seq, recorded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               network={"n": net.n, "topology": net.state["topology"],
                        "seed": net.state["seed"], "policy": net.state["policy"],
                        "extra": net.state["extra"]})
    path = os.path.join(runs, f"{seq:04d}-{rep['kind']}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(rec, f, indent=1)
    os.replace(path + ".tmp", path)
    return path


def plot(rep, path):
    """The infection curve: the mean fraction of nodes holding an item over
    the time since it was sent."""
    if not shutil.which("gnuplot"):
        print("plot: gnuplot not found", file=sys.stderr)
        return
    what = "transaction" if rep["kind"] == "load" else "block"
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "curve.dat")
        with open(data, "w", encoding="utf-8") as f:
            for t, frac in rep["curve"]:
                f.write(f"{t * 1000:.3f} {frac:.5f}\n")
        script = "\n".join([
            "set terminal pngcairo size 900,550" if _has_cairo() else "set terminal png",
            f"set output '{os.path.abspath(path)}'",
            f"set title 'Fraction of {rep['nodes']} nodes holding a {what} "
            f"(mean over {rep['items']})'",
            "set xlabel 'ms since sent'", "set ylabel 'fraction of nodes'",
            "set yrange [0:1.05]", "set grid", "set key off",
            f"plot '{data}' using 1:2 with lines lw 2"])
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60)
    print(f"plot: {path}")


def _has_cairo():
    out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True,
                         timeout=30)
    return "pngcairo" in out.stdout + out.stderr
