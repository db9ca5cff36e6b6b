#!/usr/bin/env python3
"""Fee estimation: blocks mined with transactions at two feerates, a fast
class confirmed in the next block and a slow class confirmed SLOW_WAIT
blocks after it arrived, so estimatesmartfee must answer exactly the fast
feerate for 2 blocks and the slow one for 8; estimaterawfee's horizons
and ranges; fee_estimates.dat across a restart; Core's errors."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

COIN = 10**8
VSIZE = 96  # a P2WSH(OP_TRUE) spend with one output
FAST_FEE, SLOW_FEE = 1920, 192  # 20000 and 2000 sat/kvB
PER_CLASS = 8
ROUNDS = 30
SLOW_WAIT = 4
OUTPUTS = 2 * PER_CLASS * ROUNDS + 8


def split_coin(node):
    """One mature coinbase split into OUTPUTS coins: (txid, value each)."""
    hashes = node.rpc("generatetoaddress", 101, tt.P2WSH_OP_TRUE_ADDR)
    coin = node.rpc("getblock", hashes[0])["tx"][0]
    each = (50 * COIN - 200000) // OUTPUTS
    raw = tt.ser_tx(2, [(coin, 0, b"", 0xFFFFFFFD)], [(each, tt.P2WSH_OP_TRUE)] * OUTPUTS,
                    witness=[[tt.OP_TRUE]])
    txid = node.rpc("sendrawtransaction", raw.hex())
    node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)
    return txid, each


def mine_rounds(node):
    split, value = split_coin(node)
    vout, slow_waiting = 0, []
    for r in range(ROUNDS):
        fast = []
        for cls_fee, out in ((FAST_FEE, fast), (SLOW_FEE, None)):
            for _ in range(PER_CLASS):
                txid = node.rpc("sendrawtransaction", tt.spend(split, vout, value, fee=cls_fee))
                vout += 1
                (out if out is not None else slow_waiting).append((r, txid))
        if r == 0:
            fw.assert_equal(node.rpc("getmempoolentry", fast[0][1])["vsize"], VSIZE)
        due = [txid for rr, txid in slow_waiting if rr <= r - SLOW_WAIT + 1]
        slow_waiting = [(rr, txid) for rr, txid in slow_waiting if rr > r - SLOW_WAIT + 1]
        node.rpc("generateblock", tt.P2WSH_OP_TRUE_ADDR, [txid for _, txid in fast] + due)
    return len(slow_waiting)


def check_estimates(node):
    fw.assert_equal(node.rpc("estimatesmartfee", 2), {"feerate": 0.0002, "blocks": 2})
    fw.assert_equal(node.rpc("estimatesmartfee", 1), {"feerate": 0.0002, "blocks": 2})
    fw.assert_equal(node.rpc("estimatesmartfee", 8), {"feerate": 0.00002, "blocks": 8})
    fw.assert_equal(node.rpc("estimatesmartfee", 2, "economical", True)["feerate"], 20.0)
    # Beyond half the history: clamped to what it covers.
    got = node.rpc("estimatesmartfee", 1008)
    fw.assert_equal(got["feerate"], 0.00002)
    assert 8 <= got["blocks"] < ROUNDS // 2 + 2, got


def test_estimates(t):
    node = t.add_node().start()
    fw.assert_equal(node.rpc("estimatesmartfee", 6),
                    {"errors": ["Insufficient data or no feerate found"], "blocks": 0})
    raw = node.rpc("estimaterawfee", 6)
    fw.assert_equal(sorted(raw), ["long", "medium", "short"])
    fw.assert_equal(raw["short"]["errors"],
                    ["Insufficient data or no feerate found which meets threshold"])
    fw.assert_equal([raw["short"]["decay"], raw["short"]["scale"]], [0.962, 1])

    waiting = mine_rounds(node)
    fw.assert_equal(len(node.rpc("getrawmempool")), waiting)  # the fast ones are mined
    check_estimates(node)
    # Conservative also asks the long horizon for 95% within 16 blocks. Below
    # height 1008 its ring index wraps as Core's unsigned arithmetic does, so
    # the slow transactions still waiting count against their range there.
    fw.assert_equal(node.rpc("estimatesmartfee", 8, "CONSERVATIVE"),
                    {"feerate": 0.0002, "blocks": 8})

    raw = node.rpc("estimaterawfee", 1)
    short = raw["short"]
    fw.assert_equal(short["feerate"], 0.0002)
    assert short["pass"]["startrange"] < 20000 <= short["pass"]["endrange"], short
    assert short["fail"]["startrange"] < 2000 <= short["fail"]["endrange"], short
    assert short["fail"]["withintarget"] < 1, short  # only the split transaction, decayed
    assert short["fail"]["inmempool"] > 0 and short["pass"]["totalconfirmed"] > 0, short
    raw = node.rpc("estimaterawfee", 8, 0.85)
    fw.assert_equal([raw[h]["feerate"] for h in ("short", "medium", "long")], [0.00002] * 3)
    fw.assert_equal([raw[h]["scale"] for h in ("short", "medium", "long")], [1, 2, 24])
    fw.assert_equal(sorted(node.rpc("estimaterawfee", 13)), ["long", "medium"])
    fw.assert_equal(sorted(node.rpc("estimaterawfee", 49)), ["long"])

    # The history survives a restart in fee_estimates.dat.
    fw.assert_equal(node.stop(), 0)
    with open(os.path.join(node.chaindir, "fee_estimates.dat"), "rb") as f:
        fw.assert_equal(f.read(4), b"HSFE")
    node.start()
    check_estimates(node)
    fw.assert_equal(node.stop(), 0)


def test_errors(t):
    node = t.add_node().start()
    for target in (0, 1009, -1):
        fw.assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                   node.rpc, "estimatesmartfee", target)
        fw.assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                   node.rpc, "estimaterawfee", target)
    fw.assert_raises_rpc_error(-8, 'Invalid estimate_mode parameter, must be one of: "unset", '
                               '"economical", "conservative"', node.rpc, "estimatesmartfee", 2,
                               "fast")
    fw.assert_equal(node.rpc("estimatesmartfee", 2, "unset")["blocks"], 0)
    fw.assert_raises_rpc_error(-8, "Invalid threshold", node.rpc, "estimaterawfee", 2, 1.5)
    fw.assert_raises_rpc_error(-8, "Invalid threshold", node.rpc, "estimaterawfee", 2, -0.1)
    fw.assert_raises_rpc_error(-3, None, node.rpc, "estimatesmartfee", "2")
    fw.assert_raises_rpc_error(-1, None, node.rpc, "estimatesmartfee", 2.5)
    help_text = node.rpc("help")
    assert "estimatesmartfee" in help_text and "estimaterawfee" not in help_text, \
        "estimaterawfee is hidden, as Core's"
    fw.assert_equal(node.stop(), 0)


def test_stale_file(t):
    """A file older than 60 hours is not read (Core's MAX_FILE_AGE)."""
    node = t.add_node().start()
    mine_rounds(node)
    fw.assert_equal(node.stop(), 0)
    path = os.path.join(node.chaindir, "fee_estimates.dat")
    with open(path, "rb") as f:
        saved = f.read()
    old = os.path.getmtime(path) - 61 * 3600
    os.utime(path, (old, old))
    node.start()
    fw.assert_in("too old and will not be used", node.debug_log()[node.log_offset:])
    fw.assert_equal(node.rpc("estimatesmartfee", 2)["blocks"], 0)
    fw.assert_equal(node.stop(), 0)
    with open(path, "wb") as f:  # the stop wrote the new node's empty history
        f.write(saved)
    os.utime(path, (old, old))
    node.start("-acceptstalefeeestimates")
    fw.assert_equal(node.rpc("estimatesmartfee", 2)["feerate"], 0.0002)
    fw.assert_equal(node.stop(), 0)


def test_stale_tip(t):
    """Transactions arriving while the tip is over 3 hours old are not
    tracked (Core's IsCurrentForFeeEstimation), though such a tip has left
    initial download; once a block makes it recent, they are."""
    node = t.add_node().start()
    split, value = split_coin(node)
    tip = node.rpc("getblockheader", node.rpc("getbestblockhash"))["time"]
    node.rpc("setmocktime", tip + 3 * 3600 + 60)
    fw.assert_equal(node.rpc("getblockchaininfo")["initialblockdownload"], False)
    vout = 0
    for tracked in (False, True):
        txids = [node.rpc("sendrawtransaction", tt.spend(split, vout + i, value, fee=FAST_FEE))
                 for i in range(2 * PER_CLASS)]
        vout += 2 * PER_CLASS
        node.rpc("generateblock", tt.P2WSH_OP_TRUE_ADDR, txids)
        short = node.rpc("estimaterawfee", 1)["short"]
        fw.assert_equal("feerate" in short, tracked, f"estimate from tracked={tracked}: {short}")
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_estimates, test_errors, test_stale_file, test_stale_tip])
