#!/usr/bin/env python3
"""regtest-net report: two loads and a mine on a ring of 3 give one
self-contained HTML page whose figures hold the runs' series; headless
Chromium renders it, and the screenshot (decoded here with zlib) shows
each plot drawn in colour where the page puts it. Skips, saying why, when
chromium or gnuplot is not installed."""

import base64
import html.parser
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True
import framework as fw  # noqa: E402
from regtest_net import Tool  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1300, 1850)  # two figures a row; the six end near 1800
KINDS = {"load": ["#1 trickle=0", "#2 trickle=0"], "mine": ["#3 trickle=0"]}


class Page(html.parser.HTMLParser):
    """The figures (id -> decoded SVG), table rows, and anything the page
    would fetch or run."""

    def __init__(self):
        super().__init__()
        self.figures, self.rows, self.outside = {}, 0, []
        self._figure = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self._figure = a.get("id")
        elif tag == "img":
            src = a.get("src", "")
            prefix = "data:image/svg+xml;base64,"
            if not src.startswith(prefix):
                self.outside.append(src[:80])
            elif self._figure:
                self.figures[self._figure] = base64.b64decode(src[len(prefix):]).decode()
        elif tag in ("script", "link", "iframe", "object") or "href" in a:
            self.outside.append(tag)
        elif tag == "tr":
            self.rows += 1


def check_html(path, labels):
    with open(path, encoding="utf-8") as f:
        page = Page()
        page.feed(f.read())
    fw.assert_equal(page.outside, [], "external resources or scripts")
    want = [f"fig-{k}-{f}" for k in KINDS for f in ("curves", "latency", "bytes")]
    fw.assert_equal(sorted(page.figures), sorted(want), "figures")
    fw.assert_equal(page.rows, 2 + 3, "table rows (a head per kind and a row per run)")
    for kind, runs in labels.items():
        curves = page.figures[f"fig-{kind}-curves"]
        # One plotted series per run, each named in the key.
        fw.assert_equal(curves.count("<g id=\"gnuplot_plot_"), len(runs), f"{kind} curves")
        for label in runs:
            fw.assert_in(f">{label}</text>", curves, f"{kind} curve key")
        latency = page.figures[f"fig-{kind}-latency"]
        fw.assert_equal(latency.count("<g id=\"gnuplot_plot_"), 4, f"{kind} percentiles")
        for p in ("p50", "p90", "p99", "max"):
            fw.assert_in(f">{p}</text>", latency)
        nbytes = page.figures[f"fig-{kind}-bytes"]
        msgs = ["tx", "inv", "getdata"] if kind == "load" else ["headers", "getdata"]
        for m in msgs:
            fw.assert_in(f">{m}</text>", nbytes, f"{kind} message types")


# ---- The screenshot ----

def read_png(path):
    """(width, height, bytes per pixel, rows of bytes) of an 8-bit RGB(A) PNG."""
    with open(path, "rb") as f:
        data = f.read()
    fw.assert_equal(data[:8], b"\x89PNG\r\n\x1a\n", "PNG signature")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        fw.assert_equal(zlib.crc32(kind + body), struct.unpack(">I", data[pos + 8 + n:
                                                                          pos + 12 + n])[0],
                        f"CRC of {kind}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    fw.assert_equal((depth, ctype in (2, 6), interlace), (8, True, 0), "PNG format")
    bpp = 3 if ctype == 2 else 4
    return w, h, bpp, _unfilter(zlib.decompress(b"".join(idat)), w * bpp, h, bpp)


def _unfilter(raw, stride, h, bpp):
    rows, prev = [], bytearray(stride)
    for y in range(h):
        base = y * (stride + 1)
        ft, line = raw[base], bytearray(raw[base + 1:base + 1 + stride])
        if ft == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:  # Up
            line = bytearray(map(lambda x, b: (x + b) & 255, line, prev))
        elif ft in (3, 4):  # Average, Paeth: the first pixel has no left neighbour
            for i in range(bpp):
                line[i] = (line[i] + (prev[i] // 2 if ft == 3 else prev[i])) & 255
            for i in range(bpp, stride):
                a, b, c = line[i - bpp], prev[i], prev[i - bpp]
                if ft == 3:
                    line[i] = (line[i] + (a + b) // 2) & 255
                    continue
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return rows


def colours(png, rect):
    """Inside rect: the count of strongly coloured pixels (plot lines and
    bars; text, axes and grid are grey) and the distinct colours among them
    (quantized, ignoring anti-aliasing's few pixels)."""
    w, h, bpp, rows = png
    x0, y0 = max(0, int(rect["x"])), max(0, int(rect["y"]))
    x1, y1 = min(w, int(rect["x"] + rect["width"])), min(h, int(rect["y"] + rect["height"]))
    hist = {}
    for y in range(y0, y1):
        line = rows[y]
        span = slice(x0 * bpp, x1 * bpp, bpp)
        for r, g, b in zip(line[span], line[span.start + 1:span.stop:bpp],
                           line[span.start + 2:span.stop:bpp]):
            if max(r, g, b) - min(r, g, b) > 80:
                key = (r >> 5, g >> 5, b >> 5)
                hist[key] = hist.get(key, 0) + 1
    return sum(hist.values()), sum(1 for n in hist.values() if n >= 30)


MEASURE = """<pre id="rects"></pre><script>
var out = {};
document.querySelectorAll("figure").forEach(function (f) {
  out[f.id] = f.querySelector("img").getBoundingClientRect(); });
out.title = document.querySelector("h1").getBoundingClientRect();
document.getElementById("rects").textContent = JSON.stringify(out);
</script>"""


def screenshot(t, page):
    """Renders a copy of the page that also reports where its figures are;
    returns (those rectangles, the decoded screenshot)."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    copy = os.path.join(t.tmpdir, "measured.html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", MEASURE + "</body>"))  # after the figures: no shift
    shot = os.path.join(t.tmpdir, "shot.png")
    home = os.path.join(t.tmpdir, "chromium")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home, XDG_CACHE_HOME=home)
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--force-device-scale-factor=1", f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--user-data-dir={home}", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-default-apps", "--dump-dom",
            f"--screenshot={shot}", "file://" + copy]
    # Its own process group: the browser's helpers go with it on a timeout.
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, start_new_session=True)
    try:
        dom, err = p.communicate(timeout=45)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    fw.assert_equal(os.path.exists(shot), True, f"no screenshot; chromium said:\n{err[-2000:]}")
    start = dom.index('<pre id="rects">') + len('<pre id="rects">')
    rects = json.loads(html.unescape(dom[start:dom.index("</pre>", start)]))
    return rects, read_png(shot)


def check_screenshot(t, page):
    rects, png = screenshot(t, page)
    fw.assert_equal(png[:2], WINDOW, "screenshot size")
    figs = {k: v for k, v in rects.items() if k.startswith("fig-")}
    fw.assert_equal(len(figs), 6, "figures laid out")
    for fig, rect in figs.items():
        fw.assert_equal(rect["width"] >= 600 and rect["height"] >= 300, True,
                        f"{fig} size {rect}")
        fw.assert_equal(rect["y"] + rect["height"] <= WINDOW[1], True, f"{fig} in the window")
        pixels, distinct = colours(png, rect)
        # Series colours: one per run in the curves, four percentiles, and
        # at least two message types in the stacked bars.
        least = {"curves": len(KINDS[fig.split("-")[1]]), "latency": 4, "bytes": 2}
        fw.assert_equal(pixels > 300 and distinct >= least[fig.split("-")[2]], True,
                        f"{fig}: {pixels} coloured pixels in {distinct} colours")
    # The check itself tells colour from black text.
    fw.assert_equal(colours(png, rects["title"])[0], 0, "coloured pixels in the title")


def test_report(t):
    tool = Tool(t)
    try:
        tool.run("up", "3", "--topology", "ring", "--base-port", str(fw.free_ports(6)),
                 "--build", fw.BUILDDIR, "--trickle", "0", "--coinbases", "2")
        named = os.path.join(t.tmpdir, "first.json")
        tool.run("load", "--rate", "40", "--count", "6", "--json", named)
        tool.run("load", "--rate", "40", "--count", "6", "--outputs", "2")
        tool.run("mine", "2", "--at", "1")
        tool.run("down")
    finally:
        tool.force_down()
    fw.assert_in("3 runs read", tool.run("report"))
    page = os.path.join(tool.dir, "report.html")
    check_html(page, KINDS)
    # A report of named --json files labels runs by file name.
    alone = os.path.join(t.tmpdir, "alone.html")
    tool.run("report", named, "--out", alone)
    with open(alone, encoding="utf-8") as f:
        fw.assert_in("Infection curves of the last 1 load runs", f.read())
    check_screenshot(t, page)


if __name__ == "__main__":
    for tool, package in ((CHROMIUM, "chromium"), (shutil.which("gnuplot"), "gnuplot-nox")):
        if not tool:
            print(f"SKIP: {package} is not installed (Debian package {package}); "
                  "contrib/deps.sh installs it")
            sys.exit(fw.SKIP)
    fw.main([test_report], timeout=120)
