#!/usr/bin/env python3
"""Is each node's resident memory flat after warm-up? Reads a soak's
output directory (rss.csv, events.log) and states it.

    contrib/regtest-net/rssflat.py [--update] [--warmup 600] [--flat-kbh 512] OUT

The verdict comes from the maximum RSS over all nodes in each 30-minute
window: a node's memory is a saw-tooth (caches fill, flushes and trims
empty them) whose peaks are what a leak would raise, so a plateau shows as
equal maxima. Flat: the least-squares slope of the maxima of the full
windows after the first (which holds start-up and warm-up) is at most
+flat-kbh KB/hour; it needs three such windows (two hours). Per node, for
information: the maxima of its windows, and the slope over the last hour of
its last run from warm-up on (a node kill -9'd and restarted starts a new
run from zero); a run with under 20 minutes left gets no slope. Those
slopes are noisy: a restarted node fills its caches for longer than the
warm-up, and the saw-tooth swings by a few MB within minutes; nodes over
the bound either way are listed as `growing` or `returning`. With --update
the result joins summary.json (key "rss") and rss.png is redrawn with it.
soak calls analyse() and plot() itself."""

import argparse
import json
import os
import re
import subprocess
import sys

WINDOW = 1800
LAST = 3600
MIN_SPAN = 1200


def read_csv(path):
    with open(path) as f:
        names = f.readline().strip().split(",")[1:]
        rows = []
        for line in f:
            cells = line.strip().split(",")
            if len(cells) != len(names) + 1 or not cells[0]:
                continue
            rows.append((float(cells[0]), [float(c) if c else None for c in cells[1:]]))
    return names, rows


def restarts(path, n):
    """Per node, the times (soak seconds) it was started again."""
    out = [[] for _ in range(n)]
    if not os.path.exists(path):
        return out
    pat = re.compile(r"^\s*([\d.]+) restarted node(\d+)")
    with open(path) as f:
        for line in f:
            m = pat.match(line)
            if m and int(m.group(2)) < n:
                out[int(m.group(2))].append(float(m.group(1)))
    return out


def slope_kbh(points):
    """Least-squares slope of (seconds, MB) points, in KB per hour."""
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    if sxx == 0:
        return None
    sxy = sum((t - mx) * (v - my) for t, v in points)
    return sxy / sxx * 1024 * 3600


def analyse(out, warmup=600, flat_kbh=512.0):
    names, rows = read_csv(os.path.join(out, "rss.csv"))
    if not rows:
        return {"verdict": "no samples"}
    end = rows[-1][0]
    starts = restarts(os.path.join(out, "events.log"), len(names))
    nwin = int(end // WINDOW) + 1
    nodes = {}
    for k, name in enumerate(names):
        samples = [(t, v[k]) for t, v in rows if v[k] is not None]
        wins = [max((v for t, v in samples if w * WINDOW <= t < (w + 1) * WINDOW), default=None)
                for w in range(nwin)]
        run_start = max([0.0] + [s for s in starts[k] if s <= end])
        fit = [(t, v) for t, v in samples
               if t >= end - LAST and t >= run_start + warmup]
        span = fit[-1][0] - fit[0][0] if len(fit) > 1 else 0
        s = slope_kbh(fit) if span >= MIN_SPAN else None
        nodes[name] = {"window_max_mb": wins, "last_run_start_s": round(run_start),
                       "slope_kb_per_h": None if s is None else round(s, 1),
                       "fit_span_s": round(span)}
    slopes = {name: d["slope_kb_per_h"] for name, d in nodes.items()
              if d["slope_kb_per_h"] is not None}
    overall = [max((d["window_max_mb"][w] for d in nodes.values()
                    if d["window_max_mb"][w] is not None), default=None) for w in range(nwin)]
    plateau = [((w + 0.5) * WINDOW, overall[w]) for w in range(1, int(end // WINDOW))
               if overall[w] is not None]
    trend = slope_kbh(plateau) if len(plateau) >= 3 else None
    flat = trend is not None and trend <= flat_kbh
    verdict = "too short to say" if trend is None else "flat" if flat else "growing"
    values = list(slopes.values())
    return {
        "window_s": WINDOW, "warmup_s": warmup, "flat_threshold_kb_per_h": flat_kbh,
        "end_s": end,
        "window_max_mb_all_nodes": overall,
        "maxima_slope_kb_per_h": None if trend is None else round(trend, 1),
        "flat": flat,
        "verdict": verdict + " after warm-up",
        "nodes_with_slope": len(values),
        "max_slope_kb_per_h": round(max(values), 1) if values else None,
        "median_slope_kb_per_h": round(sorted(values)[len(values) // 2], 1) if values else None,
        "growing": {name: v for name, v in slopes.items() if v > flat_kbh},
        "returning": {name: v for name, v in slopes.items() if v < -flat_kbh},
        "per_node": nodes,
    }


def plot(out, rss=None):
    """rss.png: every node's curve, the 30-minute maxima over all nodes
    (black steps) and the verdict in the title."""
    csv = os.path.join(out, "rss.csv")
    cols = open(csv).readline().strip().split(",")
    curves = [f"'{csv}' using ($1/60):{k + 2} with lines lc rgb '#9090c0' notitle"
              for k in range(len(cols) - 1)]
    title = "hearsayd resident memory per node"
    steps = ""
    if rss and rss.get("window_max_mb_all_nodes"):
        last = rss.get("end_s", float("inf"))  # the last window may be partial
        steps = "".join(f"{w * WINDOW / 60},{m}\n{min((w + 1) * WINDOW, last) / 60},{m}\n"
                        for w, m in enumerate(rss["window_max_mb_all_nodes"]) if m is not None)
        curves.append("'-' using 1:2 with lines lw 3 lc rgb 'black' "
                      "title '30-min max, all nodes'")
        if rss["maxima_slope_kb_per_h"] is not None:
            title += (f"\\n{rss['verdict']}: 30-min maxima {rss['maxima_slope_kb_per_h']:+.0f}"
                      f" KB/h (bound +{rss['flat_threshold_kb_per_h']:.0f})")
    script = (f"set terminal png size 1000,600\nset output '{os.path.join(out, 'rss.png')}'\n"
              "set datafile separator ','\nset key top left\nset xlabel 'minutes'\n"
              f"set ylabel 'RSS (MB)'\nset title \"{title}\"\n"
              f"plot {', '.join(curves)}\n")
    script += steps + "e\n" if steps else ""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"soak: no plot ({e}); the CSV is {csv}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the soak's output directory (DIR/soak)")
    ap.add_argument("--warmup", type=float, default=600)
    ap.add_argument("--flat-kbh", type=float, default=512.0)
    ap.add_argument("--update", action="store_true",
                    help="add the result to summary.json and redraw rss.png")
    args = ap.parse_args()
    rss = analyse(args.out, args.warmup, args.flat_kbh)
    if args.update:
        path = os.path.join(args.out, "summary.json")
        summary = json.load(open(path)) if os.path.exists(path) else {}
        summary["rss"] = rss
        with open(path, "w") as f:
            json.dump(summary, f, indent=2)
        plot(args.out, rss)
    per = rss.pop("per_node", {})
    print(json.dumps(rss, indent=2))
    for name, d in per.items():
        print(f"{name}: slope {d['slope_kb_per_h']} KB/h over {d['fit_span_s']} s; "
              f"30-min maxima {d['window_max_mb']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
