#!/usr/bin/env python3
"""RPC calls waiting when the node stops get Bitcoin Core's answers, not
a dropped connection: waitfornewblock the current block, a long-polling
getblocktemplate and a gettxoutsetinfo walk still running -9 "Shutting
down" (Core's RpcInterruptionPoint and long poll). Both through `stop`
and a stop signal; the node exits in its usual time either way."""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

RULES = {"rules": ["segwit"]}
WALK_DELAY_MS = 30000  # far longer than the test: the walk is still running at the stop


class Call(threading.Thread):
    """One RPC call on its own thread: .result, or .error (code, message)."""

    def __init__(self, node, method, *params):
        super().__init__()
        self.node, self.method, self.params = node, method, params
        self.result = self.error = None
        self.start()

    def run(self):
        try:
            self.result = self.node.rpc(self.method, *self.params, timeout=60)
        except fw.RPCError as e:
            self.error = (e.code, e.message)
        except Exception as e:  # a dropped connection: reported by the check
            self.error = ("no answer", repr(e))


def park_calls(node):
    """The three kinds of waiting calls, parked: (calls, tip)."""
    node.rpc("generatetoaddress", 3, tt.P2WSH_OP_TRUE_ADDR)
    tip = {"hash": node.rpc("getbestblockhash"), "height": 3}
    lpid = node.rpc("getblocktemplate", RULES)["longpollid"]

    def received():  # requests the server has dispatched (-debug=http)
        return node.debug_log().count("Received a POST request")
    before = received()
    calls = [Call(node, "waitfornewblock"),
             Call(node, "getblocktemplate", dict(RULES, longpollid=lpid)),
             Call(node, "gettxoutsetinfo", "none")]
    fw.wait_until(lambda: received() >= before + 3, 30, what="the three calls dispatched")
    time.sleep(0.2)
    for c in calls:
        fw.assert_equal(c.is_alive(), True, f"{c.method} waits")
    fw.assert_equal(node.rpc("getblockcount"), 3)  # the loop is free meanwhile
    return calls, tip


def check_answers(calls, tip):
    for c in calls:
        c.join(20)
        fw.assert_equal(c.is_alive(), False, f"{c.method} answered")
    fw.assert_equal([c.result for c in calls], [tip, None, None])
    fw.assert_equal([c.error for c in calls],
                    [None, (-9, "Shutting down"), (-9, "Shutting down")])


def test_stop(t):
    node = t.add_node().start(f"-testcoinstatsdelay={WALK_DELAY_MS}", "-debug=http")
    calls, tip = park_calls(node)
    start = time.monotonic()
    node.rpc("stop")
    fw.assert_equal(node.process.wait(20), 0)
    secs = time.monotonic() - start
    check_answers(calls, tip)
    fw.assert_equal(secs < 10, True, f"stopped in {secs:.1f} s")


def test_signal(t):
    node = t.add_node().start(f"-testcoinstatsdelay={WALK_DELAY_MS}", "-debug=http")
    calls, tip = park_calls(node)
    start = time.monotonic()
    fw.assert_equal(node.stop(), 0)  # SIGTERM
    secs = time.monotonic() - start
    check_answers(calls, tip)
    fw.assert_equal(secs < 10, True, f"stopped in {secs:.1f} s")


if __name__ == "__main__":
    fw.main([test_stop, test_signal])
