#!/usr/bin/env python3
"""The feefilter and sendheaders a Bitcoin Core peer gets, as Core's
MaybeSendFeefilter and MaybeSendSendHeaders: during initial block
download the largest rounded filter (9170997 sat/kvB), so the peer keeps
its transactions to itself; once out of it, the mempool's minimum fee
(here -minrelaytxfee), and nothing more while the value holds, hours of
mock time later. sendheaders only once the peer's headers chain is known
(with more than the minimum chain work, none on regtest)."""
import struct
import time

import framework as fw
import p2p_hostile as ph
import txtools as tt

MAX_FILTER = 9170997  # 500 * 1.1^103: the largest bucket up to 10^7


def feefilters(msgs):
    return [struct.unpack("<q", p)[0] for c, p in msgs if c == "feefilter"]


def test_feefilter_initial_download_then_min_fee(t):
    node = t.add_node()
    node.start("-minrelaytxfee=0.00005")
    now = int(time.time())
    node.rpc("setmocktime", now)  # the relay's timers move with it from here
    s = ph.handshake(node)
    s.settimeout(20)
    time.sleep(0.5)  # the node's next turns: still in initial download
    fw.assert_equal(feefilters(ph.ping(s)), [MAX_FILTER], "feefilter during initial download")
    node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)  # a recent tip: caught up
    fw.wait_until(lambda: node.rpc("getblockchaininfo")["initialblockdownload"] is False, 10)
    time.sleep(0.5)
    fw.assert_equal(feefilters(ph.ping(s)), [5000], "feefilter once out of initial download")
    # Six hours in 15-minute steps: the schedule comes due many times, the
    # value does not change, nothing is sent again.
    later = []
    for step in range(1, 25):
        node.rpc("setmocktime", now + 900 * step)
        time.sleep(0.3)
        later += ph.ping(s, step)
    fw.assert_equal(feefilters(later), [], "feefilters while the value held")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_sendheaders_once_headers_known(t):
    node = t.add_node()
    node.start()
    tip = node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)[0]
    s = ph.handshake(node)
    s.settimeout(20)
    time.sleep(1)
    fw.assert_equal("sendheaders" in [c for c, _ in ph.ping(s)], False,
                    "sendheaders before the peer's headers are known")
    header = bytes.fromhex(node.rpc("getblockheader", tip, False))
    s.sendall(ph.frame("headers", tt.compact(1) + header + b"\x00"))
    got = [c for c, _ in ph.ping(s)]
    fw.assert_equal(got.count("sendheaders"), 1, "sendheaders once the peer's chain is known")
    s.sendall(ph.frame("headers", tt.compact(1) + header + b"\x00"))
    fw.assert_equal("sendheaders" in [c for c, _ in ph.ping(s)], False, "sendheaders again")
    s.close()
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_feefilter_initial_download_then_min_fee, test_sendheaders_once_headers_known],
            timeout=180)
