#!/usr/bin/env python3
"""The npm `bitcoin-core` client against real hearsayd processes, unchanged:
tests/functional/npm/bitcoin_core_client.js constructs it as its README says
and calls getBlockchainInfo, getBlockCount, generateToAddress, getBlock
(verbosity 2), sendRawTransaction, getRawMempool, getPeerInfo,
getNetworkInfo, a batch, named parameters, and methods that fail; this
script checks what the client handed back, and that it all went over one
kept-alive connection. Credentials: the node's .cookie, -rpcuser/-rpcpassword,
and a wrong password.

The client (the version pinned in npm/package.json and package-lock.json)
is installed with `npm ci` into tests/functional/npm-cache under the build
directory the first time. Without node and npm, or when the registry cannot
be reached, the test is skipped (exit 77)."""

import filecmp
import json
import os
import shutil
import subprocess
import sys

import framework as fw
import txtools as tt

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_SRC = os.path.join(HERE, "npm")
CLIENT_JS = os.path.join(NPM_SRC, "bitcoin_core_client.js")
CACHE = os.path.join(fw.BUILDDIR, "tests", "functional", "npm-cache")
MODULES = os.path.join(CACHE, "node_modules")
MANIFESTS = ("package.json", "package-lock.json")
INSTALL_TIMEOUT = 180
CLIENT_TIMEOUT = 60
MISSING_HASH = "ab" * 32
QUIET = ("-nettick=100", "-maxoutbound=0")


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(fw.SKIP)


def pinned_version():
    with open(os.path.join(NPM_SRC, "package.json"), encoding="utf-8") as f:
        return json.load(f)["dependencies"]["bitcoin-core"]


def installed_version():
    try:
        with open(os.path.join(MODULES, "bitcoin-core", "package.json"), encoding="utf-8") as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def cache_current():
    """The cache holds the pinned client, installed from these manifests
    (copied there only after an install succeeded)."""
    same = all(os.path.exists(os.path.join(CACHE, m)) and
               filecmp.cmp(os.path.join(NPM_SRC, m), os.path.join(CACHE, m), shallow=False)
               for m in MANIFESTS)
    return same and installed_version() == pinned_version()


def ensure_client():
    """Installs the pinned client when the cache lacks it; skips the test
    when node/npm are missing or npm cannot fetch it."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            skip(f"{tool} not found: the npm bitcoin-core client check needs node and npm")
    if cache_current():
        return
    os.makedirs(CACHE, exist_ok=True)
    staged = os.path.join(CACHE, "staging")
    shutil.rmtree(staged, ignore_errors=True)
    os.makedirs(staged)
    for m in MANIFESTS:
        shutil.copyfile(os.path.join(NPM_SRC, m), os.path.join(staged, m))
    cmd = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error",
           "--fetch-retries=1", "--fetch-timeout=30000", "--prefix", staged]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        shutil.rmtree(staged, ignore_errors=True)
        skip(f"npm ci did not finish within {INSTALL_TIMEOUT} s (registry unreachable?)")
    if p.returncode != 0:
        shutil.rmtree(staged, ignore_errors=True)
        head = "\n".join((p.stderr or p.stdout).strip().splitlines()[:4])
        skip(f"npm ci failed (registry unreachable?), exit {p.returncode}:\n{head}")
    # Swap the finished install in, manifests last: they mark the cache good.
    shutil.rmtree(MODULES, ignore_errors=True)
    os.rename(os.path.join(staged, "node_modules"), MODULES)
    for m in MANIFESTS:
        os.replace(os.path.join(staged, m), os.path.join(CACHE, m))
    shutil.rmtree(staged, ignore_errors=True)
    if installed_version() != pinned_version():
        raise SystemExit(f"npm installed bitcoin-core {installed_version()}, "
                         f"want {pinned_version()}")


def run_client(port, user, password, mode="session", **extra):
    """Runs the Node.js script; returns the JSON it printed."""
    cfg = dict(mode=mode, port=port, username=user, password=password, **extra)
    env = dict(os.environ, NODE_PATH=MODULES)
    try:
        p = subprocess.run(["node", CLIENT_JS, json.dumps(cfg)], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=CLIENT_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        raise fw.TestFailure(f"the npm client did not finish within {CLIENT_TIMEOUT} s")
    if p.returncode != 0:
        raise fw.TestFailure(f"the npm client exited {p.returncode}:\n{p.stderr}")
    return json.loads(p.stdout)


def cookie_of(node):
    with open(os.path.join(node.chaindir, ".cookie"), encoding="ascii") as f:
        return f.read().strip().split(":", 1)


def same_json(got, want, path="result"):
    """got (through the client) equals want (through framework.py). The
    client hands numbers of more than 15 significant digits over as strings,
    as its README says; those must still carry the same value."""
    if isinstance(want, dict):
        fw.assert_equal(sorted(got), sorted(want), f"{path} keys")
        for k in want:
            same_json(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        fw.assert_equal(len(got), len(want), f"{path} length")
        for i, (g, w) in enumerate(zip(got, want)):
            same_json(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and isinstance(got, str):
        fw.assert_equal(float(got), want, path)
    else:
        fw.assert_equal(got, want, path)


def linked_pair(t):
    """Node a with 101 blocks mined to P2WSH(OP_TRUE) and b connected to it;
    returns (a, b, a spend of block 1's coinbase)."""
    a, b = t.add_node(), t.add_node()
    a.start(*QUIET)
    b.start(*QUIET)
    b.rpc("addnode", f"127.0.0.1:{a.p2p_port}", "add")
    fw.wait_until(lambda: len(a.rpc("getpeerinfo")) == 1, 20, what="b connected to a")
    a.rpc("generatetoaddress", 101, tt.P2WSH_OP_TRUE_ADDR)
    cb = a.rpc("getblock", a.rpc("getblockhash", 1), 2)["tx"][0]
    sats = round(cb["vout"][0]["value"] * 10**8)
    return a, b, tt.spend(cb["txid"], 0, sats)


def check_calls(a, b, out, txhex):
    info = out["blockchaininfo"]
    fw.assert_equal((info["chain"], info["blocks"], info["headers"]), ("regtest", 101, 101))
    fw.assert_equal((out["count_before"], out["count_after"]), (101, 102))
    fw.assert_equal(out["generated"], [a.rpc("getblockhash", 102)], "generateToAddress")
    block = out["block"]
    same_json(block, a.rpc("getblock", out["generated"][0], 2), "getBlock")
    fw.assert_equal(block["tx"][0]["vout"][0]["scriptPubKey"]["address"],
                    tt.P2WSH_OP_TRUE_ADDR)
    txid = a.rpc("decoderawtransaction", txhex)["txid"]
    fw.assert_equal(out["sent_txid"], txid, "sendRawTransaction")
    fw.assert_equal(out["mempool"], [txid], "getRawMempool")
    fw.wait_until(lambda: b.rpc("getrawmempool") == [txid], 20, what="the tx relayed to b")
    fw.assert_equal(len(out["peers"]), 1, "getPeerInfo")
    peer = out["peers"][0]
    fw.assert_equal((peer["inbound"], peer["version"], peer["subver"]),
                    (True, 70016, "/hearsay:0.1.0/"))
    net = out["networkinfo"]
    fw.assert_equal((net["protocolversion"], net["connections"], net["subversion"]),
                    (70016, 1, "/hearsay:0.1.0/"))
    fw.assert_equal(type(net["relayfee"]), float, "relayfee type")


def check_errors(a, out):
    not_found = {"error": {"name": "RpcError", "code": -5, "message": "Block not found"}}
    unknown = {"error": {"name": "RpcError", "code": -32601, "message": "Method not found"}}
    fw.assert_equal(out["batch"], [{"result": 102}, {"result": a.rpc("getblockhash", 0)},
                                   not_found, unknown], "batch")
    fw.assert_equal(out["missing_block"], not_found, "getBlock of an unknown hash")
    fw.assert_equal(out["unknown_method"], unknown, "unknown method")
    fw.assert_equal(out["bad_tx"]["error"]["code"], -22, "sendRawTransaction of junk")
    fw.assert_in("TX decode failed", out["bad_tx"]["error"]["message"])
    # Bitcoin Core with REST off answers 404 to GET /rest/..., not 405.
    fw.assert_equal(out["rest_chaininfo"],
                    {"error": {"name": "RpcError", "code": 404, "message": "Not Found"}}, "REST")


def check_named_and_keepalive(a, out):
    fw.assert_equal(out["named_blockhash"], a.rpc("getblockhash", 0), "named getBlockHash")
    same_json(out["named_block"], a.rpc("getblock", out["generated"][0], 1), "named getBlock")
    # Every call, error replies included, on one kept-alive connection.
    fw.assert_equal(out["connections"], 1, "connections the client opened")


def test_cookie_session(t):
    a, b, txhex = linked_pair(t)
    user, password = cookie_of(a)
    out = run_client(a.rpc_port, user, password, address=tt.P2WSH_OP_TRUE_ADDR, txhex=txhex,
                     missing_hash=MISSING_HASH)
    check_calls(a, b, out, txhex)
    check_errors(a, out)
    check_named_and_keepalive(a, out)
    for n in (a, b):
        fw.assert_equal(n.stop(), 0, f"node{n.index} exit code")


def test_rpcpassword(t):
    node = t.add_node()
    node.write_conf(extra=["rpcuser=npmuser", "rpcpassword=npm-secret"])
    node.start()
    fw.assert_equal(run_client(node.rpc_port, "npmuser", "npm-secret", "count")["count"],
                    {"result": 0})
    # No JSON in a 401 reply: the client reports the HTTP status instead.
    fw.assert_equal(run_client(node.rpc_port, "npmuser", "wrong", "count")["count"],
                    {"error": {"name": "RpcError", "code": 401, "message": "Unauthorized"}})
    fw.assert_equal(node.stop(), 0, "exit code")


if __name__ == "__main__":
    if os.access(fw.HEARSAYD, os.X_OK):
        ensure_client()
    fw.main([test_cookie_session, test_rpcpassword])
