"""regtest-net's machinery: topologies, node processes, RPC, the coin pool.

Everything about a network is in DIR/network.json: the nodes (datadir,
ports, pid), the links (who dials whom), the links a partition cut, the
options, and the P2WSH(OP_TRUE) coins the tool may spend. Each action loads
it, acts and saves it, so that actions are separate commands.
"""

import base64
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import time

LOOPBACK = "127.0.0.1"
MATURITY = 100
# P2WSH(OP_TRUE) on regtest: chain/primitives/optrue.h's script as an address.
OPTRUE_ADDR = "bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85"
MAX_SPLIT = 1000  # chain/primitives/optrue.h's OPTRUE_MAX_OUTPUTS
STATE = "network.json"
RUNS = "runs"  # DIR/runs: the report of every load and mine, for `report`
HERE = os.path.dirname(os.path.abspath(__file__))

# Helper processes this command started (regtest-txgen); killed on Ctrl-C.
_children = []


class NetError(Exception):
    pass


class RPCError(NetError):
    def __init__(self, code, message):
        super().__init__(f"RPC error {code}: {message}")
        self.code = code
        self.message = message


def kill_children():
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()
    _children.clear()


def _unblock_signals():
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def run_helper(args, stdin_text):
    """Runs a helper to completion with stdin_text; returns its stdout."""
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    _children.append(p)
    out, err = p.communicate(stdin_text)
    _children.remove(p)
    if p.returncode != 0:
        raise NetError(f"{os.path.basename(args[0])} failed: {err.strip()}")
    return out


# ---- Topologies ----

def parse_topology(spec):
    if spec in ("line", "ring", "star", "full"):
        return spec, 0
    m = re.fullmatch(r"random:(\d+)", spec)
    if m and int(m.group(1)) >= 1:
        return "random", int(m.group(1))
    raise NetError(f"unknown topology {spec!r} (line, ring, star, full, random:K)")


def _random_regular(n, k, rng):
    """A uniform-ish K-regular simple graph: pair free stubs of distinct,
    not yet adjacent vertices at random (Steger-Wormald), restart when
    stuck; keep only connected graphs."""
    if n * k % 2 or k >= n:
        raise NetError(f"no {k}-regular graph on {n} nodes (need n*k even and k < n)")
    for _ in range(1000):
        free = {v: k for v in range(n)}
        adj = {v: set() for v in range(n)}
        edges = []
        while free:
            cands = [v for v in free for _ in range(free[v])]
            for _ in range(100):
                a, b = rng.choice(cands), rng.choice(cands)
                if a != b and b not in adj[a]:
                    break
            else:
                break  # stuck: restart
            adj[a].add(b)
            adj[b].add(a)
            edges.append((a, b))
            for v in (a, b):
                free[v] -= 1
                if not free[v]:
                    del free[v]
        if not free and _connected(n, edges):
            return edges
    raise NetError(f"could not draw a connected {k}-regular graph on {n} nodes")


def _connected(n, edges):
    return len(component(0, n, edges, set(range(n)))) == n


def component(start, n, edges, alive):
    """The nodes reachable from start over edges between alive nodes."""
    adj = {v: [] for v in range(n)}
    for a, b in edges:
        if a in alive and b in alive:
            adj[a].append(b)
            adj[b].append(a)
    seen, todo = {start}, [start]
    while todo:
        for w in adj[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def make_edges(kind, k, n, seed):
    """Links as (dialer, listener) pairs. Directions matter to relay
    (outbound peers are preferred), so random ones are drawn with the seed."""
    rng = random.Random(seed)
    if kind == "line":
        pairs = [(i, i + 1) for i in range(n - 1)]
    elif kind == "ring":
        pairs = [(i, (i + 1) % n) for i in range(n)] if n > 2 else [(0, 1)][:n - 1]
    elif kind == "star":
        return [(i, 0) for i in range(1, n)]
    elif kind == "full":
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        pairs = _random_regular(n, k, rng)
    if kind in ("line", "ring"):
        return pairs
    return [(a, b) if rng.random() < 0.5 else (b, a) for a, b in pairs]


def parse_nodes(spec, n):
    """"0-4,7" -> {0, 1, 2, 3, 4, 7}."""
    out = set()
    for part in spec.split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if not m:
            raise NetError(f"bad node list {spec!r} (e.g. 0-4,7)")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if lo > hi or hi >= n:
            raise NetError(f"node list {spec!r} outside 0..{n - 1}")
        out.update(range(lo, hi + 1))
    return out


# ---- RPC ----

class Rpc:
    """JSON-RPC over one kept-alive HTTP connection, with the node's cookie."""

    def __init__(self, port, cookie_path, timeout=60.0):
        self.port = port
        self.cookie_path = cookie_path
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        with open(self.cookie_path, encoding="ascii") as f:
            self.auth = base64.b64encode(f.read().strip().encode()).decode()
        self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)

    def call(self, method, *params):
        body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)})
        reply = self._post(body, method)
        if reply.get("error"):
            raise RPCError(reply["error"].get("code"), reply["error"].get("message"))
        return reply.get("result")

    def _post(self, body, method):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self._connect()
                self.conn.request("POST", "/", body, {"Authorization": f"Basic {self.auth}",
                                                      "Content-Type": "application/json"})
                data = self.conn.getresponse().read()
                break
            except (OSError, http.client.HTTPException) as e:
                self.close()
                if attempt:
                    raise NetError(f"RPC {method} on port {self.port}: {e}")
        try:
            return json.loads(data)
        except ValueError:
            raise NetError(f"RPC {method}: not JSON: {data[:200]!r}")

    def batch(self, calls):
        """Several calls in one request: [(method, params)] -> [result, or
        the RPCError of that call]."""
        body = json.dumps([{"jsonrpc": "1.0", "id": k, "method": m, "params": list(p)}
                           for k, (m, p) in enumerate(calls)])
        replies = self._post(body, "batch")
        ok = isinstance(replies, list) and len(replies) == len(calls)
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)} if ok else {}
        if set(by_id) != set(range(len(calls))):
            raise NetError(f"RPC batch on port {self.port}: {len(calls)} calls, reply "
                           f"{str(replies)[:200]}")
        return [RPCError(r["error"].get("code"), r["error"].get("message"))
                if r.get("error") else r.get("result")
                for r in (by_id[k] for k in range(len(calls)))]

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As a listener binds: connections of a stopped node in TIME_WAIT are fine.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
            return True
        except OSError:
            return False


def find_build(build):
    """The build directory holding hearsayd and regtest-txgen."""
    cands = [build] if build else [os.environ.get("HEARSAY_BUILDDIR"),
                                   os.path.join(HERE, "..", "..", "build"),
                                   os.path.join(HERE, "..", "..")]
    for d in filter(None, cands):
        if os.access(os.path.join(d, "hearsayd"), os.X_OK) and \
                os.access(os.path.join(d, "contrib", "regtest-net", "regtest-txgen"), os.X_OK):
            return os.path.abspath(d)
    raise NetError("hearsayd and contrib/regtest-net/regtest-txgen not found: build them "
                   "and pass --build DIR (or set HEARSAY_BUILDDIR)")


def _known_options(hearsayd):
    out = subprocess.run([hearsayd, "-help"], capture_output=True, text=True, timeout=30).stdout
    return {line[3:].split("=")[0].strip() for line in out.splitlines()
            if line.startswith("  -")}


def node_defaults(degree):
    """What a node of a regtest network needs, far below a mainnet node's
    defaults, so that hundreds fit on one machine: its topology links (plus
    room for a test's or a user's own peers), small caches and mempool, and
    script checks on the event loop's thread (-par=1: no worker threads).
    Options given after `--` override these."""
    return [("maxconnections", degree + 32), ("dbcache", 16), ("maxsigcachesize", 4),
            ("maxmempool", 50), ("par", 1)]


def raise_fd_limit():
    """One RPC connection per node (and a poller's per node) can exceed the
    usual soft limit of 1024 descriptors: raise it to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass  # above the kernel's nr_open: keep what we have
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pid_is(pid, datadir):
    """Whether pid is still the hearsayd of this datadir (pids get reused)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"-datadir={datadir}".encode() in f.read().split(b"\0")
    except OSError:
        return False


# ---- The network ----

class Node:
    def __init__(self, d):
        self.index = d["index"]
        self.datadir = d["datadir"]
        self.p2p_port = d["p2p_port"]
        self.rpc_port = d["rpc_port"]
        self.pid = d.get("pid")
        self.log_offset = d.get("log_offset", 0)
        self.height_at_stop = d.get("height_at_stop")

    def to_dict(self):
        return {"index": self.index, "datadir": self.datadir, "p2p_port": self.p2p_port,
                "rpc_port": self.rpc_port, "pid": self.pid, "log_offset": self.log_offset,
                "height_at_stop": self.height_at_stop}

    @property
    def chaindir(self):
        return os.path.join(self.datadir, "regtest")

    @property
    def log_path(self):
        return os.path.join(self.chaindir, "debug.log")

    def running(self):
        return self.pid is not None and pid_is(self.pid, self.datadir)


class Network:
    def __init__(self, directory, state):
        self.dir = directory
        self.state = state
        self.nodes = [Node(d) for d in state["nodes"]]
        self.edges = [tuple(e) for e in state["edges"]]
        self._rpcs = {}

    # -- state --
    @property
    def n(self):
        return len(self.nodes)

    @property
    def state_path(self):
        return os.path.join(self.dir, STATE)

    @classmethod
    def create(cls, directory, n, topology, seed, base_port, fanout, gossipstop, trickle,
               extra, build):
        directory = os.path.abspath(directory)
        if n < 1 or base_port < 1024 or base_port + 2 * n > 65535:
            raise NetError("need N >= 1 and ports base..base+2N within 1024..65535")
        old = None
        if os.path.exists(os.path.join(directory, STATE)):
            old = cls.load(directory)
            if any(node.running() for node in old.nodes):
                raise NetError(f"a network is running in {directory}: `down` it first")
        elif os.path.exists(directory) and (not os.path.isdir(directory) or
                                            set(os.listdir(directory)) - {RUNS}):
            # Not ours (no network.json): never delete what a user put there.
            raise NetError(f"{directory} exists and holds no network: give a new or empty "
                           "--dir")
        busy = [p for p in range(base_port, base_port + 2 * n) if not port_free(p)]
        if busy:
            raise NetError(f"ports in use: {busy[:5]}: pick another --base-port")
        if old:
            # The old network goes; the reports of its runs stay for `report`.
            for entry in os.listdir(directory):
                if entry != RUNS:
                    path = os.path.join(directory, entry)
                    (shutil.rmtree if os.path.isdir(path) else os.remove)(path)
        kind, k = parse_topology(topology)
        build = find_build(build)
        policy = {"fanout": fanout, "gossipstop": gossipstop, "trickle": trickle}
        state = {"version": 1, "topology": topology, "seed": seed, "base_port": base_port,
                 "build": build, "policy": {k: v for k, v in policy.items() if v is not None},
                 "extra": list(extra), "edges": make_edges(kind, k, n, seed), "cut": [],
                 "nodes": [{"index": i, "datadir": os.path.join(directory, f"node{i}"),
                            "p2p_port": base_port + 2 * i, "rpc_port": base_port + 2 * i + 1}
                           for i in range(n)],
                 "wallet": {"coinbases": [], "coins": [], "pending": []}}
        os.makedirs(directory, exist_ok=True)  # an empty directory (mktemp -d) is fine
        net = cls(directory, state)
        net.state["known_options"] = sorted(_known_options(net.hearsayd))
        for node in net.nodes:
            os.makedirs(node.datadir)
        net.save()
        return net

    @classmethod
    def load(cls, directory):
        path = os.path.join(os.path.abspath(directory), STATE)
        try:
            with open(path, encoding="utf-8") as f:
                state = json.load(f)
        except FileNotFoundError:
            raise NetError(f"no network in {directory} (run `up` first, or pass --dir)")
        return cls(os.path.abspath(directory), state)

    def save(self):
        self.state["nodes"] = [node.to_dict() for node in self.nodes]
        self.state["edges"] = [list(e) for e in self.edges]
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.state, f, indent=1)
        os.replace(tmp, self.state_path)

    @property
    def hearsayd(self):
        return os.path.join(self.state["build"], "hearsayd")

    @property
    def txgen_path(self):
        return os.path.join(self.state["build"], "contrib", "regtest-net", "regtest-txgen")

    @property
    def wallet(self):
        return self.state["wallet"]

    def describe_topology(self):
        pol = " ".join(f"-{k}={v}" for k, v in self.state["policy"].items())
        return f"topology {self.state['topology']} (seed {self.state['seed']})" + \
            (f", {pol}" if pol else "")

    def cli_hint(self, i):
        node = self.nodes[i]
        return (f"{os.path.join(self.state['build'], 'hearsay-cli')} -regtest "
                f"-datadir={node.datadir} -rpcport={node.rpc_port} getblockcount")

    # -- links --
    def live_edges(self):
        cut = {tuple(e) for e in self.state["cut"]}
        return [e for e in self.edges if e not in cut]

    def running_set(self):
        return {node.index for node in self.nodes if node.running()}

    def component_of(self, i):
        """The running nodes node i reaches (i counted as running)."""
        return component(i, self.n, self.live_edges(), self.running_set() | {i})

    def expected_peers(self, i, alive=None):
        alive = self.running_set() if alive is None else alive
        return sum(1 for a, b in self.live_edges() if i in (a, b) and a in alive and b in alive)

    # -- processes --
    def write_conf(self, node):
        known = set(self.state["known_options"])
        opts = [("port", node.p2p_port), ("rpcport", node.rpc_port), ("bind", LOOPBACK),
                ("rpcbind", LOOPBACK), ("rpcallowip", LOOPBACK), ("listen", 1),
                ("maxoutbound", 0), ("dnsseed", 0), ("fixedseeds", 0), ("discover", 0),
                ("upnp", 0), ("natpmp", 0), ("addnoderetrymax", 1), ("debug", "net")]
        opts += node_defaults(sum(1 for e in self.edges if node.index in e))
        opts += sorted(self.state["policy"].items())
        # Only the topology's links: -connect, and no automatic outbound (above).
        opts += [("connect", f"{LOOPBACK}:{self.nodes[b].p2p_port}")
                 for a, b in self.live_edges() if a == node.index]
        lines = ["chain=regtest", "[regtest]"] + [f"{k}={v}" for k, v in opts if k in known]
        with open(os.path.join(node.datadir, "hearsay.conf"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def start_node(self, i, wait=True, timeout=60.0):
        node = self.nodes[i]
        if node.running():
            raise NetError(f"node{i} is already running (pid {node.pid})")
        self.write_conf(node)
        try:
            node.log_offset = os.path.getsize(node.log_path)
        except OSError:
            node.log_offset = 0
        # A Ctrl-C between the spawn and the pid being recorded would leave a
        # node nobody stops: hold the signals until the pid is saved.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            with open(os.path.join(node.datadir, "stdout"), "ab") as out, \
                    open(os.path.join(node.datadir, "stderr"), "ab") as err:
                # Its own session: a Ctrl-C meant for a later action never
                # reaches it; the signal mask is not inherited.
                p = subprocess.Popen([self.hearsayd, f"-datadir={node.datadir}"] +
                                     self.state["extra"], stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=err, start_new_session=True,
                                     preexec_fn=_unblock_signals)
            node.pid = p.pid
            self.save()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        if wait:
            self.wait_started(i, timeout)

    def wait_started(self, i, timeout=60.0):
        node = self.nodes[i]
        deadline = time.monotonic() + timeout
        while True:
            if "Startup: done" in self.log_since_start(node):
                return
            if not node.running():
                raise NetError(f"node{i} exited during start-up; stderr:\n" +
                               _tail(os.path.join(node.datadir, "stderr")) +
                               "\ndebug.log:\n" + self.log_since_start(node)[-3000:])
            if time.monotonic() > deadline:
                raise NetError(f"node{i} not started after {timeout} s")
            time.sleep(0.05)

    def log_since_start(self, node):
        try:
            with open(node.log_path, "rb") as f:
                f.seek(node.log_offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop_node(self, i, grace=20.0, signalled=False):
        """Stops node i (SIGTERM, SIGKILL after grace seconds); signalled:
        stop_nodes already sent the SIGTERM."""
        node = self.nodes[i]
        if node.running() and not signalled:
            try:
                node.height_at_stop = self.rpc(i).call("getblockcount")
            except NetError:
                pass  # not answering: stopped all the same
            os.kill(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while node.running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if node.running():
            os.kill(node.pid, signal.SIGKILL)  # hung: its data may need a replay
            while node.running():
                time.sleep(0.05)
        rpc = self._rpcs.pop(i, None)
        if rpc:
            rpc.close()
        node.pid = None
        self.save()

    def stop_nodes(self, nodes):
        """Stops several nodes at once (SIGTERM to all, then waits)."""
        live = [self.nodes[i] for i in nodes if self.nodes[i].running()]
        for node in live:
            try:
                node.height_at_stop = self.rpc(node.index).call("getblockcount")
            except NetError:
                pass
            os.kill(node.pid, signal.SIGTERM)
        for node in live:
            self.stop_node(node.index, signalled=True)
        return len(live)

    def down(self, clean=False):
        stopped = self.stop_nodes(range(self.n))
        if clean:
            shutil.rmtree(self.dir)
        else:
            self.save()
        return stopped

    def rpc(self, i):
        if i not in self._rpcs:
            node = self.nodes[i]
            self._rpcs[i] = Rpc(node.rpc_port, os.path.join(node.chaindir, ".cookie"))
        return self._rpcs[i]

    def new_rpc(self, i, timeout=60.0):
        """A connection of its own, for a thread."""
        node = self.nodes[i]
        return Rpc(node.rpc_port, os.path.join(node.chaindir, ".cookie"), timeout)

    def peer_count(self, i):
        """Connected, handshaked peers: getconnectioncount or getpeerinfo when
        the node has them, else the connect/disconnect lines of its log."""
        for method in ("getconnectioncount", "getpeerinfo"):
            if method in self.state.get("missing_methods", []):
                continue
            try:
                r = self.rpc(i).call(method)
                return r if isinstance(r, int) else len(r)
            except RPCError as e:
                if e.code != -32601:
                    raise
                self.state.setdefault("missing_methods", []).append(method)
        live = set()
        for m in re.finditer(r"peer=(\d+) \S+ \S+ (connected|disconnecting):",
                             self.log_since_start(self.nodes[i])):
            (live.add if m.group(2) == "connected" else live.discard)(m.group(1))
        return len(live)

    def wait_connected(self, timeout=60.0, nodes=None):
        short = sorted(self.running_set() if nodes is None else nodes)
        deadline = time.monotonic() + timeout
        while True:
            # Read once a round: each read looks at every node's process.
            alive = self.running_set()
            short = [i for i in short if self.peer_count(i) < self.expected_peers(i, alive)]
            if not short:
                return
            if time.monotonic() > deadline:
                raise NetError(f"nodes {short[:10]} still lack peers after {timeout} s")
            time.sleep(0.1)

    # -- blocks and coins --
    def mine(self, count, at, timeout=60.0):
        """Mines count blocks at node `at` to P2WSH(OP_TRUE) and waits until
        every node it can reach has the tip."""
        rpc = self.rpc(at)
        hashes = rpc.call("generatetoaddress", count, OPTRUE_ADDR)
        height = rpc.call("getblockcount")
        for k, h in enumerate(hashes):
            self.wallet["coinbases"].append([h, height - len(hashes) + 1 + k])
        self.save()
        self.wait_tip(hashes[-1], self.component_of(at), timeout)
        return {"hashes": hashes, "height": height}

    def wait_tip(self, tip, nodes, timeout):
        deadline = time.monotonic() + timeout
        for i in sorted(nodes):
            while self.rpc(i).call("getbestblockhash") != tip:
                if time.monotonic() > deadline:
                    raise NetError(f"node{i} lacks block {tip[:16]} after {timeout} s")
                time.sleep(0.05)

    def _mature_coinbase(self, at):
        """An unspent mature coinbase on node at's chain, mining one if none."""
        rpc = self.rpc(at)
        for _ in range(MATURITY + 2):
            tip = rpc.call("getblockcount")
            for entry in self.wallet["coinbases"]:
                h, height = entry
                if height + MATURITY <= tip and rpc.call("getblockhash", height) == h:
                    self.wallet["coinbases"].remove(entry)
                    cb = rpc.call("getblock", h, 2)["tx"][0]
                    return [cb["txid"], 0, round(cb["vout"][0]["value"] * 1e8)]
            self.mine(1, at)
        raise NetError("no mature coinbase")

    def txgen(self, coins, outputs=1, chain=1):
        """Transactions spending coins (txid, vout, sats): [(txid, hex, values)]."""
        lines = "".join(f"{t} {n} {v}\n" for t, n, v in coins)
        out = run_helper([self.txgen_path, f"-outputs={outputs}", f"-chain={chain}"], lines)
        txs = []
        for line in out.splitlines():
            parts = line.split()
            txs.append((parts[0], parts[1], [int(v) for v in parts[2:]]))
        return txs

    def take_coins(self, count, at, timeout=60.0):
        """count confirmed coins, splitting mature coinbases (and mining the
        split) as needed; they leave the pool at once."""
        coins = self.wallet["coins"]
        while len(coins) < count:
            cb = self._mature_coinbase(at)
            k = min(MAX_SPLIT, max(count - len(coins), 2))
            (txid, raw, values), = self.txgen([cb], outputs=k)
            self.rpc(at).call("sendrawtransaction", raw)
            self.mine(1, at, timeout)
            coins += [[txid, n, v] for n, v in enumerate(values)]
        taken, self.wallet["coins"] = coins[:count], coins[count:]
        self.save()
        return taken

    def settle_pending(self, at):
        """Outputs of our transactions count as confirmed once mined."""
        mempool = set(self.rpc(at).call("getrawmempool"))
        still = [c for c in self.wallet["pending"] if c[0] in mempool]
        self.wallet["coins"] += [c for c in self.wallet["pending"] if c[0] not in mempool]
        self.wallet["pending"] = still
        self.save()

    # -- partitions --
    def start_nodes(self, nodes, timeout=60.0):
        for i in nodes:
            self.start_node(i, wait=False)
        for i in nodes:
            self.wait_started(i, timeout)

    def restart(self, nodes, timeout=60.0):
        self.stop_nodes(nodes)
        self.start_nodes(nodes, timeout)

    def partition(self, a, b, timeout=60.0):
        if a & b:
            raise NetError(f"nodes {sorted(a & b)} are on both sides")
        cut = [e for e in self.live_edges() if (e[0] in a and e[1] in b) or
               (e[0] in b and e[1] in a)]
        self.state["cut"] += [list(e) for e in cut]
        self.save()
        # A link ends when its dialer restarts without it (and never redials).
        self.restart(sorted({d for d, _ in cut} & self.running_set()), timeout)
        self.wait_connected(timeout)
        return len(cut)

    def heal_links(self, timeout=60.0):
        cut = [tuple(e) for e in self.state["cut"]]
        self.state["cut"] = []
        self.save()
        self.restart(sorted({d for d, _ in cut} & self.running_set()), timeout)
        self.wait_connected(timeout)
        return len(cut)


def _tail(path, n=3000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return ""
