#!/usr/bin/env python3
"""-metricsbind: /metrics parses as Prometheus text (every sample declared
with HELP and TYPE first, valid names, counters ending in _total), and the
figures move with the traffic: peers, bytes by message type, chain height,
mempool, relay counters, RPC requests."""

import http.client
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{NAME}=\"[^\"]*\",?)*)\}})? (\S+)$")


def scrape(port, path="/metrics"):
    conn = http.client.HTTPConnection(fw.LOOPBACK, port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read().decode()
    finally:
        conn.close()


def scrape_with_big_header(port):
    """The status of a scrape with a 16 KB header, None if the connection
    was closed without an answer."""
    conn = http.client.HTTPConnection(fw.LOOPBACK, port, timeout=30)
    try:
        conn.putrequest("GET", "/metrics")
        conn.putheader("X-Pad", "x" * 16384)
        conn.endheaders()
        return conn.getresponse().status
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return None
    finally:
        conn.close()


def parse(text):
    """{(name, labels): value}, checking the exposition format as it goes."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        m = re.match(rf"^# TYPE ({NAME}) (counter|gauge|histogram)$", line)
        if m:
            assert m.group(1) not in types, f"{m.group(1)} declared twice"
            types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample: {line!r}"
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if types.get(family) == "histogram":
            assert name != family, f"histogram {name} sampled without a suffix"
            assert name.endswith("_bucket") == ("le=" in (labels or "")), f"{name}: le label"
        else:
            assert name in types, f"{name} sampled before its TYPE"
        if types.get(name) == "counter":
            assert name.endswith("_total"), f"counter {name} without _total"
        samples[(name, labels or "")] = float(value)
    return samples


def test_metrics_move_with_traffic(t):
    a, b = t.add_node(), t.add_node()
    port = fw.free_port()
    a.start(f"-metricsbind={fw.LOOPBACK}:{port}", "-maxoutbound=0")  # one link, b's
    b.start(f"-connect={fw.LOOPBACK}:{a.p2p_port}")
    fw.wait_until(lambda: len(a.rpc("getpeerinfo")) == 1, 20, what="b connecting to a")
    status, ctype, text = scrape(port)
    assert_equal(status, 200)
    assert_in("text/plain; version=0.0.4", ctype)
    before = parse(text)
    assert_equal(before[("hearsay_up", "")], 1.0)
    assert_equal(before[("hearsay_peers", 'direction="inbound"')], 1.0)
    assert_equal(before[("hearsay_peers", 'direction="outbound"')], 0.0)
    assert_equal(before[("hearsay_chain_blocks", "")], 0.0)
    assert before[("hearsay_peer_bytes_received", 'msg="version"')] > 0
    # Blocks and a transaction from b reach a; the scrape shows them.
    hashes = b.rpc("generatetodescriptor", 101, tt.P2WSH_OP_TRUE_DESC)
    fw.wait_until(lambda: a.rpc("getblockcount") == 101, 60, what="a syncing the blocks")
    cb = b.rpc("getblock", hashes[0])["tx"][0]
    txid = b.rpc("sendrawtransaction", tt.spend(cb, 0, 50 * 10**8))
    fw.wait_until(lambda: txid in a.rpc("getrawmempool"), 60, what="the tx reaching a")
    fw.wait_until(lambda: parse(scrape(port)[2])[("hearsay_mempool_transactions", "")] == 1, 10,
                  what="the scrape showing the transaction")
    after = parse(scrape(port)[2])
    assert_equal(after[("hearsay_chain_blocks", "")], 101.0)
    assert_equal(after[("hearsay_chain_headers", "")], 101.0)
    assert_equal(after[("hearsay_mempool_transactions", "")], 1.0)
    assert after[("hearsay_mempool_vbytes", "")] > 0
    assert after[("hearsay_net_bytes_received_total", "")] > \
        before[("hearsay_net_bytes_received_total", "")]
    assert after[("hearsay_peer_bytes_received", 'msg="tx"')] > 0
    assert after[("hearsay_gossip_processing_blocks_received_total", "")] >= 101
    assert after[("hearsay_gossip_processing_txs_accepted_total", "")] >= 1
    assert after[("hearsay_rpc_requests_total", "")] > before[("hearsay_rpc_requests_total", "")]
    assert_equal(scrape(port, "/other")[0], 404)
    # Header bytes are capped as on the RPC port: no 16 KB header is read.
    assert scrape_with_big_header(port) != 200, "a 16 KB header was accepted"
    assert_equal(scrape(port)[0], 200)


def test_dashboard_uses_served_metrics(t):
    """Every metric the sample Grafana dashboard queries is one a node serves."""
    path = os.path.join(os.environ.get("HEARSAY_SRCDIR", "."), "contrib", "grafana",
                        "hearsay-dashboard.json")
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    node = t.add_node()
    port = fw.free_port()
    node.start(f"-metricsbind={fw.LOOPBACK}:{port}")
    text = scrape(port)[2]
    parse(text)  # well formed
    served = set(re.findall(rf"^# TYPE ({NAME}) ", text, re.M))
    exprs = [tg["expr"] for p in dash["panels"] for tg in p["targets"]]
    used = {n for e in exprs for n in re.findall(r"\b(hearsay_[a-z0-9_]+)", e)}
    assert used, "the dashboard queries nothing"
    assert_equal(sorted(used - served), [], "metrics the dashboard uses but no node serves")


def test_off_and_bad_values(t):
    node = t.add_node()
    rc, out, err = node.run("-metricsbind=127.0.0.1")
    assert_equal(rc, 1)
    assert_in("-metricsbind", err + out)
    node.start()
    assert "Metrics on" not in node.debug_log(), "metrics served without -metricsbind"


if __name__ == "__main__":
    fw.main([test_metrics_move_with_traffic, test_dashboard_uses_served_metrics,
             test_off_and_bad_values])
