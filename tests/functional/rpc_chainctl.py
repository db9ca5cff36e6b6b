#!/usr/bin/env python3
"""Steering the chain and waiting for it: invalidateblock and
reconsiderblock (with the mempool taking back the transactions of
disconnected blocks), preciousblock between branches of equal work, and
waitfornewblock / waitforblock / waitforblockheight, which wait without
blocking the node: other requests are answered meanwhile. Also
getmemoryinfo, getindexinfo and help's categories."""

import base64
import http.client
import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

ZERO = "00" * 32


def spend_coinbase(node, blockhash):
    cb = node.rpc("getblock", blockhash, 2)["tx"][0]
    return node.rpc("sendrawtransaction", tt.spend(cb["txid"], 0, 50 * 10**8))


def tip_status(node):
    return {tip["hash"]: tip["status"] for tip in node.rpc("getchaintips")}


def test_invalidate_reconsider(t):
    node = t.add_node().start()
    hashes = node.rpc("generatetoaddress", 101, tt.P2WSH_OP_TRUE_ADDR)
    txid = spend_coinbase(node, hashes[0])
    confirmed = node.rpc("generatetoaddress", 2, tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(node.rpc("getrawmempool"), [])
    fw.assert_equal(node.rpc("invalidateblock", confirmed[0]), None)
    fw.assert_equal(node.rpc("getbestblockhash"), hashes[-1])
    # The spend went back to the mempool; the branch is an invalid tip.
    fw.assert_equal(node.rpc("getrawmempool"), [txid])
    fw.assert_equal(tip_status(node)[confirmed[1]], "invalid")
    fw.assert_equal(node.rpc("getblockheader", confirmed[0])["confirmations"], -1)
    fw.assert_equal(node.rpc("reconsiderblock", confirmed[0]), None)
    fw.assert_equal(node.rpc("getbestblockhash"), confirmed[1])
    fw.assert_equal(node.rpc("getrawmempool"), [])
    fw.assert_equal(tip_status(node), {confirmed[1]: "active"})
    # Invalidating a block below the tip takes its descendants too; named
    # arguments as Core's.
    node.rpc("invalidateblock", hashes[50])
    fw.assert_equal(node.rpc("getblockcount"), 50)
    fw.assert_equal(tip_status(node)[confirmed[1]], "invalid")
    node.rpc("reconsiderblock", confirmed[1])  # clears the ancestors' failure too
    fw.assert_equal(node.rpc("getblockcount"), 103)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "invalidateblock", ZERO)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "reconsiderblock", ZERO)
    fw.assert_raises_rpc_error(-8, "must be of length 64", node.rpc, "invalidateblock", "00")
    fw.assert_raises_rpc_error(-1, None, node.rpc, "invalidateblock")
    # Hidden as in Core, but with help text.
    fw.assert_equal("invalidateblock" in node.rpc("help"), False)
    fw.assert_in("Permanently marks a block as invalid", node.rpc("help", "invalidateblock"))


def test_preciousblock(t):
    node = t.add_node().start()
    base = node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)[0]
    when = node.rpc("getblockheader", base)["time"] + 1
    # Two branches of two blocks each on `base`: the first one seen wins.
    branches = []
    for tag in (b"a", b"b"):
        prev, blocks = base, []
        for height in (2, 3):
            h, raw = tt.make_block(prev, height, when + height, extra=tag)
            node.rpc("submitblock", raw)
            prev = h
            blocks.append(h)
        branches.append(blocks)
    a, b = branches
    fw.assert_equal(node.rpc("getbestblockhash"), a[1])
    fw.assert_equal(node.rpc("preciousblock", b[1]), None)
    fw.assert_equal(node.rpc("getbestblockhash"), b[1])
    fw.assert_equal(tip_status(node)[a[1]], "valid-fork")
    # A later call overrides an earlier one.
    node.rpc("preciousblock", a[1])
    fw.assert_equal(node.rpc("getbestblockhash"), a[1])
    # Less work than the tip: nothing happens.
    node.rpc("preciousblock", b[0])
    fw.assert_equal(node.rpc("getbestblockhash"), a[1])
    # More work still wins over precious.
    h, raw = tt.make_block(b[1], 4, when + 4, extra=b"b")
    node.rpc("submitblock", raw)
    fw.assert_equal(node.rpc("getbestblockhash"), h)
    node.rpc("preciousblock", a[1])
    fw.assert_equal(node.rpc("getbestblockhash"), h)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "preciousblock", ZERO)
    fw.assert_in("== Blockchain ==", node.rpc("help"))
    fw.assert_in("preciousblock \"blockhash\"", node.rpc("help"))


class Waiter(threading.Thread):
    """Calls a method on its own connection; result or error kept."""

    def __init__(self, node, method, *params):
        super().__init__(daemon=True)
        self.node, self.method, self.params = node, method, params
        self.result = self.error = None
        self.elapsed = None

    def run(self):
        start = time.monotonic()
        try:
            self.result = self.node.rpc(self.method, *self.params, timeout=60)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.elapsed = time.monotonic() - start


def tip_of(node):
    return {"hash": node.rpc("getbestblockhash"), "height": node.rpc("getblockcount")}


def test_wait_methods(t):
    node = t.add_node().start()
    node.rpc("generatetoaddress", 2, tt.P2WSH_OP_TRUE_ADDR)
    # Timeouts answer with the current tip.
    start = time.monotonic()
    fw.assert_equal(node.rpc("waitfornewblock", 300), tip_of(node))
    fw.assert_equal(time.monotonic() - start >= 0.29, True, "waited the timeout")
    # Already there: at once.
    fw.assert_equal(node.rpc("waitforblockheight", 1), tip_of(node))
    fw.assert_equal(node.rpc("waitforblock", tip_of(node)["hash"]), tip_of(node))
    fw.assert_equal(node.rpc("waitforblockheight", 5, 100), tip_of(node))

    new = Waiter(node, "waitfornewblock")
    height = Waiter(node, "waitforblockheight", 4)
    tip = node.rpc("getblockheader", node.rpc("getbestblockhash"))
    h5, raw5 = tt.make_block(tip["hash"], 3, tip["time"] + 1)
    block = Waiter(node, "waitforblock", h5, 0)
    for w in (new, height, block):
        w.start()
    time.sleep(0.3)
    # The node answers other requests while they wait.
    fw.assert_equal(node.rpc("getblockcount"), 2)
    fw.assert_equal(any(w.result or w.error for w in (new, height, block)), False)
    fw.assert_equal(node.rpc("submitblock", raw5), None)
    new.join(10)
    block.join(10)
    fw.assert_equal(new.result, {"hash": h5, "height": 3})
    fw.assert_equal(block.result, {"hash": h5, "height": 3})
    fw.assert_equal(height.is_alive(), True, "height 4 not reached yet")
    hashes = node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)
    height.join(10)
    fw.assert_equal(height.result, {"hash": hashes[0], "height": 4})

    fw.assert_raises_rpc_error(-1, "Negative timeout", node.rpc, "waitfornewblock", -1)
    fw.assert_raises_rpc_error(-1, "Negative timeout", node.rpc, "waitforblockheight", 9, -5)
    fw.assert_raises_rpc_error(-8, "must be of length 64", node.rpc, "waitforblock", "00")
    # In a batch a request cannot wait: it answers as at its deadline.
    body = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "waitfornewblock"},
                       {"jsonrpc": "2.0", "id": 2, "method": "getblockcount"}])
    replies = batch(node, body)
    fw.assert_equal([r["result"] for r in replies], [tip_of(node), 4])

    # A client that hangs up while its request waits: answered into the
    # void at the deadline, the node carries on.
    gone = raw_request(node, json.dumps({"method": "waitfornewblock", "params": [300], "id": 1}))
    gone.close()
    time.sleep(0.5)
    fw.assert_equal(node.rpc("getblockcount"), 4)
    # The server's own HTTP timeout does not cut a waiting request short.
    node.stop()
    node.start("-rpcservertimeout=1")
    start = time.monotonic()
    fw.assert_equal(node.rpc("waitfornewblock", 1500), tip_of(node))
    fw.assert_equal(time.monotonic() - start >= 1.4, True)

    # A request still waiting at `stop` gets the current tip, as Core's.
    waiting = Waiter(node, "waitforblockheight", 100)
    waiting.start()
    time.sleep(0.2)
    node.rpc("stop")
    fw.assert_equal(node.process.wait(20), 0)
    waiting.join(10)
    fw.assert_equal(waiting.result, {"hash": hashes[0], "height": 4})


def test_wait_through_reorg(t):
    """A reorganization seen by the waiting methods as Core's do: b, told
    that a's last 3 blocks are invalid, mines 4 on their parent and a
    switches to them, one block per step. The waits see only tips with
    more work than the last they saw, so never a block on the way down
    (a disconnect) nor one of the first 3 new blocks (less or equal work)."""
    a, b = t.add_node(), t.add_node()
    a.start()
    b.start(f"-connect=127.0.0.1:{a.p2p_port}")
    a.rpc("generatetoaddress", 2, tt.P2WSH_OP_TRUE_ADDR)
    old = a.rpc("generatetoaddress", 3, tt.P2WSH_OP_TRUE_ADDR)
    fw.wait_until(lambda: b.rpc("getbestblockhash") == old[-1], 20, what="b synced")
    b.rpc("invalidateblock", old[0])
    fw.assert_equal(b.rpc("getblockcount"), 2)
    new = Waiter(a, "waitfornewblock")
    height = Waiter(a, "waitforblockheight", 6)
    for w in (new, height):
        w.start()
    time.sleep(0.3)
    fw.assert_equal(any(w.result or w.error for w in (new, height)), False)
    # Another output script, or the first block would be old[0] again.
    branch = b.rpc("generatetodescriptor", 4, "raw(51)")
    new.join(20)
    height.join(20)
    fw.assert_equal(a.rpc("getbestblockhash"), branch[-1])
    fw.assert_equal(new.result, {"hash": branch[-1], "height": 6})
    fw.assert_equal(height.result, {"hash": branch[-1], "height": 6})


def test_memory_index_help(t):
    node = t.add_node().start()
    fw.assert_equal(node.rpc("getmemoryinfo"), {"locked": {
        "used": 0, "free": 0, "total": 0, "locked": 0, "chunks_used": 0, "chunks_free": 0}})
    fw.assert_equal(node.rpc("getmemoryinfo", "stats"), node.rpc("getmemoryinfo"))
    xml = node.rpc("getmemoryinfo", "mallocinfo")
    fw.assert_equal(xml.startswith("<malloc version="), True, xml[:40])
    fw.assert_in("</malloc>", xml)
    fw.assert_raises_rpc_error(-8, "unknown mode foo", node.rpc, "getmemoryinfo", "foo")
    fw.assert_equal(node.rpc("getindexinfo"), {})
    fw.assert_equal(node.rpc("getindexinfo", "txindex"), {})
    # help: categories with Core's headers, each method's usage and text.
    text = node.rpc("help")
    sections = [line for line in text.splitlines() if line.startswith("== ")]
    for want in ("== Blockchain ==", "== Control ==", "== Util =="):
        fw.assert_in(want, sections)
    blockchain = text.split("== Blockchain ==")[1].split("\n\n")[0].splitlines()
    for usage in ("getblockstats hash_or_height ( [\"stats\",...] )",
                  "getchaintxstats ( nblocks \"blockhash\" )",
                  "gettxoutsetinfo ( \"hash_type\" hash_or_height use_index )",
                  "waitforblockheight height ( timeout )", "waitfornewblock ( timeout )",
                  "getdeploymentinfo ( \"blockhash\" )"):
        fw.assert_in(usage, blockchain)
    control = text.split("== Control ==")[1].split("\n\n")[0]
    fw.assert_in("getmemoryinfo ( \"mode\" )", control)
    fw.assert_in("getindexinfo ( \"index_name\" )", text.split("== Util ==")[1])
    one = node.rpc("help", "gettxoutsetinfo")
    fw.assert_equal(one.startswith("gettxoutsetinfo ( \"hash_type\" hash_or_height use_index )"),
                    True, one[:80])
    fw.assert_in("Returns statistics about the unspent transaction output set.", one)
    fw.assert_in("1. hash_type", one)


def raw_request(node, body):
    """Sends a JSON-RPC body with the cookie; returns the open connection."""
    with open(os.path.join(node.chaindir, ".cookie"), encoding="ascii") as f:
        auth = base64.b64encode(f.read().strip().encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
    conn.request("POST", "/", body, {"Authorization": f"Basic {auth}"})
    return conn


def batch(node, body):
    conn = raw_request(node, body)
    try:
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


if __name__ == "__main__":
    fw.main([test_invalidate_reconsider, test_preciousblock, test_wait_methods,
             test_wait_through_reorg,
             test_memory_index_help])
