"""regtest-net's measurements: how transactions and blocks spread.

Arrival times come from polling every node (getrawmempool for
transactions, getblockcount for blocks) from one thread per node, so their
resolution is the poll period, which the reports give. Traffic comes from
the nodes' own counters, read before and after: getpeerinfo's
bytesrecv_per_msg (and message counts when the node gives them) and
getgossipinfo, when the node has those methods.
"""

import json
import re
import sys
import threading
import time

import rnlib


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary(values):
    if not values:
        return None
    return {"p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": max(values), "n": len(values)}


def progress(done, total, seen, width=40):
    if not sys.stderr.isatty():
        return
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} sent, "
                     f"{seen}/{total} everywhere ")
    if done == total and seen == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


class Poller:
    """One thread per node, polling fn(rpc) -> iterable of keys and noting
    when each wanted key first showed up there."""

    def __init__(self, net, nodes, fn, period):
        self.net, self.fn, self.period = net, fn, period
        self.wanted = set()
        self.seen = {i: {} for i in nodes}
        self.polls = {i: 0 for i in nodes}
        self.errors = {}
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in nodes]
        self.start_time = time.monotonic()

    def want(self, keys):
        with self.lock:
            self.wanted.update(keys)

    def start(self):
        for t in self.threads:
            t.start()

    def _run(self, i):
        rpc = self.net.new_rpc(i, timeout=30.0)
        try:
            while not self.stop_ev.is_set():
                asked = time.monotonic()
                keys = self.fn(rpc)
                with self.lock:
                    for k in keys:
                        if k in self.wanted and k not in self.seen[i]:
                            self.seen[i][k] = asked
                    self.polls[i] += 1
                self.stop_ev.wait(self.period)
        except rnlib.NetError as e:
            self.errors[i] = str(e)
        finally:
            rpc.close()

    def everywhere(self, key):
        return all(key in s for s in self.seen.values())

    def count_everywhere(self, keys):
        with self.lock:
            return sum(1 for k in keys if self.everywhere(k))

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join()
        elapsed = time.monotonic() - self.start_time
        polls = sorted(self.polls.values())
        return elapsed / max(polls[len(polls) // 2], 1)  # median poll period


# ---- Counters ----

def counters(net, nodes):
    """Per node: bytes and messages received by command, and the relay
    layer's counters, from whatever the node offers (None if nothing)."""
    out = {}
    for i in nodes:
        c = {}
        peers = _optional(net, i, "getpeerinfo")
        if peers is not None:
            c["peers"] = len(peers)
            c["bytes"], c["msgs"] = {}, {}
            for p in peers:
                for cmd, b in (p.get("bytesrecv_per_msg") or {}).items():
                    c["bytes"][cmd] = c["bytes"].get(cmd, 0) + b
                for cmd, m in (p.get("msgrecv_per_msg") or {}).items():
                    c["msgs"][cmd] = c["msgs"].get(cmd, 0) + m
            if not c["msgs"]:
                del c["msgs"]
        gossip = _optional(net, i, "getgossipinfo")
        if isinstance(gossip, dict):
            c["gossip"] = {k: v for k, v in gossip.items() if isinstance(v, (int, float))}
        out[i] = c or None
    return out


def log_counters(net, nodes):
    """Per node: messages and bytes received by command over the
    connections closed since it started, from the lines hearsayd logs at
    each disconnect (-debug=net, which regtest-net turns on)."""
    out = {}
    for i in nodes:
        c = {"bytes": {}, "msgs": {}}
        text = net.log_since_start(net.nodes[i])
        for m in re.finditer(r"peer=\d+ received \d+ bytes:(.*)", text):
            for cmd, msgs, nbytes in re.findall(r" (\w+)=(\d+)/(\d+)B", m.group(1)):
                c["bytes"][cmd] = c["bytes"].get(cmd, 0) + int(nbytes)
                c["msgs"][cmd] = c["msgs"].get(cmd, 0) + int(msgs)
        out[i] = c
    return out


def _optional(net, i, method):
    if method in net.state.get("missing_methods", []):
        return None
    try:
        return net.rpc(i).call(method)
    except rnlib.RPCError as e:
        if e.code != -32601:
            raise
        net.state.setdefault("missing_methods", []).append(method)
        return None


# What relaying an item costs: payloads, announcements and requests (and
# hearsay's anti-entropy, hs*); not the handshake, pings, addresses, or for
# transactions the header sync of a reconnection.
RELAY_CMDS = {"tx": {"tx", "inv", "getdata", "notfound", "mempool"},
              "block": {"block", "cmpctblock", "blocktxn", "getblocktxn", "inv", "getdata",
                        "notfound", "headers", "getheaders"}}


def _delta(before, after):
    """after - before for every numeric counter (nested one level)."""
    out = {}
    for k, v in after.items():
        if isinstance(v, dict):
            out[k] = {c: n - before.get(k, {}).get(c, 0) for c, n in v.items()}
        elif isinstance(v, (int, float)):
            out[k] = v - before.get(k, 0)
    return out


def traffic(before, after, payload, items, item_size, n_links, deliveries):
    """Received bytes per item per node, by command; duplicate payloads
    (payloads beyond the `deliveries` that reached a node lacking the item);
    announcements per item per link. None when the nodes keep no counters."""
    nodes = [i for i in after if after[i] and before.get(i)]
    if not nodes or items == 0:
        return None
    deltas = {i: _delta(before[i], after[i]) for i in nodes}
    per_cmd = {}
    for d in deltas.values():
        for cmd, b in d.get("bytes", {}).items():
            per_cmd[cmd] = per_cmd.get(cmd, 0) + b
    out = {"nodes_counted": len(nodes)}
    if per_cmd:
        total = sum(b for c, b in per_cmd.items()
                    if c in RELAY_CMDS[payload] or c.startswith("hs"))
        out["bytes_per_item_per_node"] = total / items / len(nodes)
        out["relative_to_item_size"] = out["bytes_per_item_per_node"] / item_size
        out["bytes_per_item_per_node_by_msg"] = {c: b / items / len(nodes)
                                                 for c, b in sorted(per_cmd.items()) if b}
    msgs = {}
    for d in deltas.values():
        for cmd, m in d.get("msgs", {}).items():
            msgs[cmd] = msgs.get(cmd, 0) + m
    if payload in msgs:
        out["payloads_received"] = msgs[payload]
    elif payload in per_cmd:
        # Every item has the same size: count payloads from bytes (24-byte header).
        out["payloads_received"] = round(per_cmd[payload] / (item_size + 24))
    if "payloads_received" in out:
        out["duplicate_payloads"] = out["payloads_received"] - deliveries
    inv_entries = None
    if "inv" in msgs and "inv" in per_cmd:
        inv_entries = (per_cmd["inv"] - 25 * msgs["inv"]) / 36  # header + count byte
    elif "inv" in per_cmd:
        inv_entries = per_cmd["inv"] / 61  # one entry per inv (trickle 0)
        out["announcements_estimated"] = True
    if inv_entries is not None and n_links:
        out["announcements_per_item_per_link"] = inv_entries / items / n_links
    gossip = {}
    for d in deltas.values():
        for k, v in d.get("gossip", {}).items():
            gossip[k] = gossip.get(k, 0) + v
    if gossip:
        out["gossip_counters"] = gossip
    return out


def _curve(delays, n_nodes, steps=200):
    """Mean fraction of nodes holding an item t seconds after it was sent."""
    if not delays:
        return []
    t_max = max(max(d) for d in delays if d) or 1e-3
    curve = []
    for s in range(steps + 1):
        t = t_max * s / steps
        curve.append([t, sum(sum(1 for x in d if x <= t) for d in delays) /
                      (len(delays) * n_nodes)])
    return curve


def _reach(got, n_nodes, fraction):
    """When a fraction of the nodes had the item (None if they never did)."""
    k = max(1, -(-int(fraction * n_nodes * 1000) // 1000))  # ceil, exact for tenths
    return sorted(got)[k - 1] if len(got) >= k else None


def _spread(net, poller, keys, sent_at, nodes, kind, extra):
    """The report of items `keys` (sent at sent_at[k]) over `nodes`."""
    delays, rows = [], []
    per_node = {i: [] for i in nodes}
    for k in keys:
        got = {i: max(0.0, poller.seen[i][k] - sent_at[k]) for i in nodes if k in poller.seen[i]}
        for i, d in got.items():
            per_node[i].append(d)
        delays.append(list(got.values()))
        rows.append({"id": k, "nodes_reached": len(got),
                     "reach_all_s": max(got.values()) if len(got) == len(nodes) else None,
                     "reach_half_s": _reach(got.values(), len(nodes), 0.5),
                     "reach_90pct_s": _reach(got.values(), len(nodes), 0.9),
                     "last_node": max(got, key=got.get) if got else None})
    complete = [r["reach_all_s"] for r in rows if r["reach_all_s"] is not None]
    rep = {"kind": kind, "nodes": len(nodes), "items": len(keys),
           "complete": len(complete) == len(keys) and len(keys) > 0,
           "incomplete_items": len(keys) - len(complete),
           "reach_all_s": summary(complete),
           "reach_half_s": summary([r["reach_half_s"] for r in rows
                                    if r["reach_half_s"] is not None]),
           "reach_90pct_s": summary([r["reach_90pct_s"] for r in rows
                                     if r["reach_90pct_s"] is not None]),
           "node_median_s": {i: percentile(v, 50) for i, v in per_node.items() if v},
           "rows": rows, "curve": _curve(delays, len(nodes)), "poll_errors": poller.errors}
    rep.update(extra)
    return rep


def _deliveries(poller, keys, src):
    """How many nodes other than src got each item, summed: the payloads
    that had to travel."""
    return sum(1 for i, seen in poller.seen.items() if i != src for k in keys if k in seen)


def load(net, rate, count, src, outputs=1, timeout=120.0, poll=0.01, by_restart=False):
    """Sends count transactions at node src at `rate` per second and
    measures how they reach every node src can reach. by_restart: for
    nodes without getpeerinfo, restart them all before the load (fresh
    connections) and stop them after it, and count from their logs."""
    if not net.nodes[src].running():
        raise rnlib.NetError(f"node{src} is not running")
    net.settle_pending(src)
    coins = net.take_coins(count, src, timeout)
    txs = net.txgen(coins, outputs=outputs)
    nodes = sorted(net.component_of(src))
    links = [e for e in net.live_edges() if e[0] in nodes and e[1] in nodes]
    if by_restart:
        net.restart(nodes, timeout)
        net.wait_connected(timeout)
        before = {i: {"bytes": {}, "msgs": {}} for i in nodes}
    else:
        before = counters(net, nodes)
    poller = Poller(net, nodes, lambda rpc: rpc.call("getrawmempool"), poll)
    poller.want(t for t, _, _ in txs)
    poller.start()
    sent_at, failed = {}, []
    rpc = net.rpc(src)
    t0 = time.monotonic()
    try:
        for k, (txid, raw, values) in enumerate(txs):
            delay = t0 + k / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent_at[txid] = time.monotonic()
            try:
                rpc.call("sendrawtransaction", raw)
                net.wallet["pending"] += [[txid, n, v] for n, v in enumerate(values)]
            except rnlib.RPCError as e:
                failed.append({"txid": txid, "error": e.message})
                del sent_at[txid]
            progress(k + 1, len(txs), poller.count_everywhere(sent_at))
        net.save()
        deadline = time.monotonic() + timeout
        while poller.count_everywhere(sent_at) < len(sent_at) and time.monotonic() < deadline:
            progress(len(txs), len(txs), poller.count_everywhere(sent_at))
            time.sleep(0.05)
        progress(len(txs), len(txs), poller.count_everywhere(sent_at))
    finally:
        period = poller.stop()
    if by_restart:
        net.stop_nodes(nodes)
        after = log_counters(net, nodes)
        net.start_nodes(nodes, timeout)
        net.wait_connected(timeout)
    else:
        after = counters(net, nodes)
    size = sum(len(raw) // 2 for _, raw, _ in txs) / max(len(txs), 1)
    keys = list(sent_at)
    extra = {"rate": rate, "from": src, "tx_size": size, "poll_period_ms": period * 1000,
             "links": len(links), "failed": failed, "policy": net.state["policy"],
             "counters_from": "logs at disconnect" if by_restart else "getpeerinfo",
             "traffic": traffic(before, after, "tx", len(keys), size, len(links),
                                _deliveries(poller, keys, src))}
    return _spread(net, poller, keys, sent_at, nodes, "load", extra)


def mine(net, count, at, timeout=120.0, poll=0.01):
    """Mines count blocks at node `at`, one at a time, each once the last
    reached every node, and measures their spread."""
    if not net.nodes[at].running():
        raise rnlib.NetError(f"node{at} is not running")
    nodes = sorted(net.component_of(at))
    links = [e for e in net.live_edges() if e[0] in nodes and e[1] in nodes]
    rpc = net.rpc(at)
    base = rpc.call("getblockcount")
    poller = Poller(net, nodes, lambda r: range(base + 1, r.call("getblockcount") + 1), poll)
    poller.want(range(base + 1, base + count + 1))
    before = counters(net, nodes)
    poller.start()
    sent_at = {}
    try:
        for k in range(count):
            sent_at[base + 1 + k] = time.monotonic()
            h = rpc.call("generatetoaddress", 1, rnlib.OPTRUE_ADDR)[0]
            net.wallet["coinbases"].append([h, base + 1 + k])
            deadline = time.monotonic() + timeout
            while not poller.everywhere(base + 1 + k) and time.monotonic() < deadline:
                time.sleep(0.01)
            progress(k + 1, count, poller.count_everywhere(sent_at))
    finally:
        period = poller.stop()
        net.save()
    after = counters(net, nodes)
    net.settle_pending(at)
    block = rpc.call("getblock", rpc.call("getbestblockhash"), 1)
    extra = {"at": at, "height": base + count, "poll_period_ms": period * 1000,
             "links": len(links), "last_block_size": block.get("size"),
             "traffic": traffic(before, after, "block", count, block.get("size") or 250,
                                len(links), _deliveries(poller, list(sent_at), at))}
    return _spread(net, poller, list(sent_at), sent_at, nodes, "mine", extra)


def _wait_for(pred, timeout, period=0.05):
    """Seconds until pred() held, or None after timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(period)
    return None


def start(net, i, timeout=120.0):
    """Starts node i again and measures its catch-up from the moment it was
    launched: until it has its peers' tip and the transactions their
    mempools have in common (both taken at launch)."""
    others = sorted(net.component_of(i) - {i})
    tip = net.rpc(others[0]).call("getbestblockhash") if others else None
    pools = [set(net.rpc(j).call("getrawmempool")) for j in others]
    common = set.intersection(*pools) if pools else set()
    rep = {"kind": "start", "node": i, "peers_expected": None,
           "height_before": net.nodes[i].height_at_stop,
           "height": net.rpc(others[0]).call("getblockcount") if others else None}
    t0 = time.monotonic()
    try:
        net.start_node(i, timeout=timeout)
    except BaseException:
        net.stop_node(i)  # half-started: leave nothing behind
        raise
    rep["startup_s"] = time.monotonic() - t0
    rep["peers_expected"] = net.expected_peers(i)
    if not others:
        rep.update(complete=True, note="no running peer to catch up from")
        return rep
    rpc = net.rpc(i)

    def since_launch(pred):
        waited = _wait_for(pred, timeout)
        return None if waited is None else time.monotonic() - t0
    rep["blocks_caught_up_s"] = since_launch(lambda: rpc.call("getbestblockhash") == tip)
    rep["mempool_target"] = len(common)
    rep["mempool_caught_up_s"] = since_launch(lambda: common <= set(rpc.call("getrawmempool")))
    rep["complete"] = rep["blocks_caught_up_s"] is not None and \
        rep["mempool_caught_up_s"] is not None
    return rep


def heal(net, timeout=120.0):
    """Restores the cut links and measures, from then, until every running
    node has the same tip, and the same mempool."""
    t0 = time.monotonic()
    links = net.heal_links(timeout)
    linked = time.monotonic() - t0
    nodes = sorted(net.running_set())

    def same(method):
        return lambda: len({json.dumps(sorted(net.rpc(j).call(method)))
                            if method == "getrawmempool" else net.rpc(j).call(method)
                            for j in nodes}) == 1

    def since(pred):
        waited = _wait_for(pred, timeout)
        return None if waited is None else time.monotonic() - t0
    tips = since(same("getbestblockhash"))
    pools = since(same("getrawmempool"))
    height = net.rpc(nodes[0]).call("getblockcount") if nodes else None
    return {"links": links, "linked_s": linked, "converged_s": tips,
            "mempools_converged_s": pools, "height": height}


def status(net):
    """One row per node: process, peers, chain, mempool, traffic counters."""
    rows = []
    for node in net.nodes:
        row = {"node": node.index, "running": node.running(), "pid": node.pid,
               "p2p_port": node.p2p_port, "rpc_port": node.rpc_port,
               "peers_expected": net.expected_peers(node.index),
               "links_out": sum(1 for a, _ in net.live_edges() if a == node.index),
               "links_in": sum(1 for _, b in net.live_edges() if b == node.index)}
        if row["running"]:
            rpc = net.rpc(node.index)
            try:
                row["peers"] = net.peer_count(node.index)
                row["height"] = rpc.call("getblockcount")
                row["tip"] = rpc.call("getbestblockhash")
                row["mempool"] = rpc.call("getmempoolinfo")["size"]
                row["counters"] = counters(net, [node.index])[node.index]
            except rnlib.NetError as e:
                row["error"] = str(e)
        rows.append(row)
    net.save()
    return rows
