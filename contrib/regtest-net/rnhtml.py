"""regtest-net report: one self-contained HTML page about the last runs.

The runs are the reports `load` and `mine` keep in DIR/runs (or JSON files
written with --json). For transactions and for blocks alike: the infection
curves (mean fraction of nodes holding an item against the time since it
was sent), the percentiles of the time until every node had an item, and
the relay bytes received per item per node by message type; then a table
of every figure. Plots are SVG made by gnuplot, inlined as data: URIs, so
the page needs nothing beside itself (no script, no link).
"""

import base64
import html
import json
import os
import shutil
import subprocess
import tempfile
import time

import rnlib

PLOT_W, PLOT_H = 620, 360
KINDS = (("load", "transactions", "transaction"), ("mine", "blocks", "block"))


def find_runs(directory):
    """The JSON reports kept in DIR/runs, oldest first."""
    runs = os.path.join(directory, rnlib.RUNS)
    try:
        names = sorted(f for f in os.listdir(runs) if f.endswith(".json"))
    except FileNotFoundError:
        names = []
    return [os.path.join(runs, f) for f in names]


def load_runs(paths):
    """[(label, report)]: a kept run is labelled by its number and policy,
    a file by its name."""
    out = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                rep = json.load(f)
        except (OSError, ValueError) as e:
            raise rnlib.NetError(f"cannot read the run {path}: {e}")
        if not isinstance(rep, dict) or rep.get("kind") not in ("load", "mine"):
            raise rnlib.NetError(f"{path} is no report of `load` or `mine`")
        if "run" in rep:
            policy = rep.get("network", {}).get("policy") or rep.get("policy") or {}
            label = f"#{rep['run']} " + (" ".join(f"{k}={v}" for k, v in sorted(policy.items()))
                                         or "default")
        else:
            label = os.path.splitext(os.path.basename(path))[0]
        out.append((label.replace('"', "'"), rep))
    return out


def _gnuplot(script_lines, tmp):
    """Runs gnuplot on the script; returns the SVG it drew."""
    out = os.path.join(tmp, "plot.svg")
    head = [f"set terminal svg size {PLOT_W},{PLOT_H} noenhanced font 'sans,11' "
            "background rgb 'white'", f"set output '{out}'", "set grid", "set border 3",
            "set tics nomirror"]
    p = subprocess.run(["gnuplot"], input="\n".join(head + script_lines) + "\n", text=True,
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise rnlib.NetError(f"gnuplot failed: {p.stderr.strip()[:500]}")
    with open(out, "rb") as f:
        return f.read()


def _data(tmp, name, lines):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _quote(s):
    return '"' + s.replace('"', "'") + '"'


def plot_curves(runs, noun, tmp):
    plots = []
    for k, (label, rep) in enumerate(r for r in runs if r[1].get("curve")):
        path = _data(tmp, f"curve{k}.dat", [f"{t * 1000:.3f} {frac:.5f}"
                                            for t, frac in rep.get("curve") or []])
        plots.append(f"'{path}' using 1:2 with lines lw 2 title {_quote(label)}")
    if not plots:
        return None
    return _gnuplot([f"set title 'Infection curves: fraction of nodes holding a {noun}'",
                     "set xlabel 'ms since sent'", "set ylabel 'fraction of nodes (mean)'",
                     "set yrange [0:1.05]", "set key bottom right",
                     "plot " + ", ".join(plots)], tmp)


def _histogram(tmp, title, ylabel, style, header, rows):
    """A clustered or row-stacked bar chart, one group per run."""
    path = _data(tmp, "bars.dat", [" ".join(_quote(h) for h in header)] +
                 [" ".join([_quote(label)] + [f"{v:.3f}" for v in values])
                  for label, values in rows])
    return _gnuplot([f"set title '{title}'", f"set ylabel '{ylabel}'", "set yrange [0:*]",
                     "set style data histogram", f"set style histogram {style}",
                     "set style fill solid 0.85 border -1", "set boxwidth 0.8",
                     "set key outside right top", "set xtics rotate by -20",
                     f"plot for [c=2:{len(header)}] '{path}' using c:xtic(1) "
                     "title columnheader(c)"], tmp)


def plot_latency(runs, noun, tmp):
    rows = [(label, [rep["reach_all_s"][p] * 1000 for p in ("p50", "p90", "p99", "max")])
            for label, rep in runs if rep.get("reach_all_s")]
    if not rows:
        return None
    return _histogram(tmp, f"Time until every node had a {noun}", "ms",
                      "clustered gap 1", ["run", "p50", "p90", "p99", "max"], rows)


def plot_bytes(runs, noun, tmp):
    by = [(label, ((rep.get("traffic") or {}).get("bytes_per_item_per_node_by_msg") or {}))
          for label, rep in runs]
    by = [(label, b) for label, b in by if b]
    if not by:
        return None
    totals = {}
    for _, b in by:
        for cmd, v in b.items():
            totals[cmd] = totals.get(cmd, 0) + v
    cmds = sorted(totals, key=lambda c: -totals[c])
    return _histogram(tmp, f"Bytes received per {noun} per node, by message", "bytes",
                      "rowstacked", ["run"] + cmds, [(label, [b.get(c, 0) for c in cmds])
                                                     for label, b in by])


def _ms(v):
    return "-" if v is None else f"{v * 1000:.1f}"


def _cell(v):
    return f"<td>{html.escape(str(v))}</td>"


def run_table(runs):
    head = ["run", "recorded", "nodes", "links", "topology", "items", "rate/s", "poll ms",
            "all p50 ms", "p90", "p99", "max", "90% p50 ms", "half p50 ms",
            "relay B/item/node", "dup payloads", "inv/item/link", "complete"]
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) +
           "</tr></thead><tbody>"]
    for label, rep in runs:
        net = rep.get("network") or {}
        t = rep.get("traffic") or {}
        r_all = rep.get("reach_all_s") or {}
        cells = [label, rep.get("recorded_at", "-"), rep.get("nodes"), rep.get("links"),
                 net.get("topology", "-"), rep.get("items"), rep.get("rate", "-"),
                 f"{rep.get('poll_period_ms', 0):.1f}"] + \
            [_ms(r_all.get(p)) for p in ("p50", "p90", "p99", "max")] + \
            [_ms((rep.get("reach_90pct_s") or {}).get("p50")),
             _ms((rep.get("reach_half_s") or {}).get("p50")),
             f"{t['bytes_per_item_per_node']:.0f}" if "bytes_per_item_per_node" in t else "-",
             t.get("duplicate_payloads", "-"),
             f"{t['announcements_per_item_per_link']:.2f}"
             if "announcements_per_item_per_link" in t else "-",
             "yes" if rep.get("complete") else f"no ({rep.get('incomplete_items')} missing)"]
        out.append("<tr>" + "".join(_cell(c) for c in cells) + "</tr>")
    return "\n".join(out + ["</tbody></table>"])


def _figure(fig_id, caption, svg):
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return (f'<figure id="{fig_id}"><img class="plot" src="{src}" width="{PLOT_W}" '
            f'height="{PLOT_H}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


STYLE = """body{font-family:sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}
.figs{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}
figcaption{font-size:12px;color:#555}img.plot{display:block;border:1px solid #ccc}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:right}th{background:#eee}p.note{font-size:12px;color:#555}"""


def report(runs, last, source):
    """The page for the last `last` runs of each kind, as a string."""
    if not shutil.which("gnuplot"):
        raise rnlib.NetError("gnuplot not found (Debian package gnuplot-nox): no plots")
    body = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, plural, noun in KINDS:
            mine = [r for r in runs if r[1]["kind"] == kind][-last:]
            if not mine:
                continue
            figs = [(f"fig-{kind}-curves", f"Infection curves of the last {len(mine)} "
                     f"{kind} runs", plot_curves(mine, noun, tmp)),
                    (f"fig-{kind}-latency", f"Percentiles of the time until every node had "
                     f"a {noun}", plot_latency(mine, noun, tmp)),
                    (f"fig-{kind}-bytes", f"Bytes received per {noun} per node by message "
                     "type (every message during the run)", plot_bytes(mine, noun, tmp))]
            body.append(f"<h2>{plural.capitalize()} ({kind})</h2><div class=\"figs\">" +
                        "".join(_figure(i, c, svg) for i, c, svg in figs if svg) + "</div>")
            missing = [c for _, c, svg in figs if not svg]
            if missing:
                body.append('<p class="note">Not plotted (the runs have no such figures): ' +
                            html.escape("; ".join(missing)) + "</p>")
            body.append(run_table(mine))
    if not body:
        raise rnlib.NetError(f"no load or mine runs in {source}")
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>regtest-net report</title><style>" + STYLE + "</style></head><body>"
            f"<h1>regtest-net report</h1><p class=\"note\">{html.escape(source)}, {when}. "
            "Times come from polling each node's mempool or height (resolution: the poll "
            "period); bytes from the nodes' counters.</p>\n" + "\n".join(body) +
            "\n</body></html>\n")
