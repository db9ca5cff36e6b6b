#!/usr/bin/env python3
"""-minimumchainwork over the wire, as Bitcoin Core: a node whose minimum
chain work lies above its tip stays in initial block download; it
presyncs a peer's longer chain ("Pre-synchronizing blockheaders"),
redownloads it, stores it and syncs to
its tip, then leaves initial download. A chain short of the minimum work
is not stored, and a node below it answers getheaders empty; an outbound
peer that serves only such a chain (headers we already have) is dropped
during initial download, though our own tip is recent."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

WORK_PER_BLOCK = 2  # regtest: every block proves 2 hashes


def endpoint(node):
    return f"127.0.0.1:{node.p2p_port}"


def work_hex(blocks):
    """The chain work of `blocks` blocks after genesis, as -minimumchainwork."""
    return f"0x{(blocks + 1) * WORK_PER_BLOCK:x}"


def mine(node, n):
    for _ in range(0, n, 500):
        node.rpc("generatetoaddress", min(500, n), tt.P2WSH_OP_TRUE_ADDR, timeout=120)
        n -= 500


def test_presync_then_sync(t):
    a = t.add_node().start()
    mine(a, 4300)
    tip = a.rpc("getbestblockhash")
    # Two full headers messages short of it: the first 2000 headers start
    # a presync rather than being stored, which the next 2000 go on with.
    # (getpeerinfo's presynced_headers lasts a few loopback round trips,
    # too short to poll for reliably: test_netproc_lowwork checks it.)
    b = t.add_node().start("-debug=net", f"-minimumchainwork={work_hex(4200)}")
    fw.assert_in(f"Setting nMinimumChainWork={int(work_hex(4200), 16):064x}",
                 b.debug_log()[b.log_offset:])
    fw.assert_equal(b.rpc("getblockchaininfo")["initialblockdownload"], True)
    b.rpc("addnode", endpoint(a), "onetry")
    fw.wait_until(lambda: b.rpc("getbestblockhash") == tip, 120, what="b synced to a's tip")
    log = b.debug_log()[b.log_offset:]
    fw.assert_in("Pre-synchronizing blockheaders, height: 2000", log)
    fw.assert_in("reached sufficient work at height=4300", log)
    fw.assert_in("releasing all at height=4300 (redownload phase)", log)
    fw.assert_equal(b.rpc("getblockchaininfo")["headers"], 4300)
    fw.assert_equal(b.rpc("getblockchaininfo")["initialblockdownload"], False)
    fw.assert_in("Leaving InitialBlockDownload (latching to false)", log)
    fw.assert_equal(b.stop(), 0)
    fw.assert_equal(a.stop(), 0)


def test_insufficient_work(t):
    a = t.add_node().start()
    mine(a, 300)
    tip = a.rpc("getbestblockhash")
    # A fresh node: a's whole chain is short of its minimum work and fits
    # one message, so nothing of it is stored (nor a punished).
    b = t.add_node().start("-debug=net", "-minimumchainwork=0x1000")
    b.rpc("addnode", endpoint(a), "onetry")
    b.wait_for_log("ignoring low-work chain (height=300)", timeout=20)
    fw.assert_equal(b.rpc("getblockchaininfo")["headers"], 0)
    fw.assert_equal(len(b.rpc("getpeerinfo")), 1)
    # Nor does b serve its own chain, below the minimum work: an empty answer.
    b.wait_for_log("because active chain has too little work; sending empty response",
                   timeout=20)
    # A node that already holds a's recent chain and restarts with a
    # minimum work above it is back in initial download: its automatic
    # outbound link to a, which serves nothing better, is dropped.
    c = t.add_node().start()
    c.rpc("addnode", endpoint(a), "onetry")
    fw.wait_until(lambda: c.rpc("getbestblockhash") == tip, 30, what="c synced to a's tip")
    fw.assert_equal(c.stop(), 0)
    c.start("-debug=net", "-minimumchainwork=0x1000", "-nettick=200")
    fw.assert_equal(c.rpc("getblockchaininfo")["initialblockdownload"], True)
    # a's address for an automatic connection: already known from before
    # the restart (then addpeeraddress adds nothing) or added now.
    if not c.rpc("addpeeraddress", "127.0.0.1", a.p2p_port, True)["success"]:
        fw.assert_in(a.p2p_port, [x["port"] for x in c.rpc("getnodeaddresses", 0)])
    c.wait_for_log("headers chain has insufficient work", timeout=30)
    fw.assert_equal(c.rpc("getblockchaininfo")["headers"], 300)
    fw.assert_equal(c.rpc("getblockchaininfo")["initialblockdownload"], True)
    for n in (a, b, c):
        fw.assert_equal(n.stop(), 0)


def test_option_errors(t):
    n = t.add_node()
    for bad in ("test", "0X10", "0x" + "1" * 65):
        rc, _, err = n.run(f"-minimumchainwork={bad}")
        fw.assert_equal(rc != 0, True, f"-minimumchainwork={bad} accepted")
        fw.assert_in(f"Invalid minimum work specified ({bad}), must be up to 64 hex digits", err)
    # Below the chain's own (regtest's is zero; main's is not): a warning.
    m = t.add_node(chain="main").start("-minimumchainwork=0x1")
    fw.assert_in("[warning] nMinimumChainWork set below default value of "
                 "0000000000000000000000000000000000000000b1f3b93b65b16d035a82be84",
                 m.debug_log()[m.log_offset:])
    fw.assert_in(f"Setting nMinimumChainWork={1:064x}", m.debug_log()[m.log_offset:])
    fw.assert_equal(m.stop(), 0)


def test_assumevalid_option(t):
    """-assumevalid reads a hash as -minimumchainwork reads work (Core's
    FromUserHex): an optional "0x", up to 64 hex digits, left-padded."""
    n = t.add_node()
    for bad in ("test", "0X10", "0x" + "1" * 65, "1" * 65):
        rc, _, err = n.run(f"-assumevalid={bad}")
        fw.assert_equal(rc != 0, True, f"-assumevalid={bad} accepted")
        fw.assert_in(f"Invalid assumevalid block hash specified ({bad}), must be up to 64 hex "
                     "digits (or 0 to disable)", err)
    n.start("-assumevalid=0x1")
    mine(n, 1)
    fw.assert_in("assumevalid hash not in headers", n.debug_log()[n.log_offset:])
    fw.assert_equal(n.stop(), 0)
    n.start("-assumevalid=0x0")
    mine(n, 1)
    fw.assert_in("assumevalid=0 (always verify)", n.debug_log()[n.log_offset:])
    fw.assert_equal(n.stop(), 0)


def test_maxtipage(t):
    """-maxtipage: a tip older than that many seconds is initial download."""
    n = t.add_node().start()
    mine(n, 1)
    fw.assert_equal(n.rpc("getblockchaininfo")["initialblockdownload"], False)
    fw.assert_equal(n.stop(), 0)
    time.sleep(2)
    n.start("-maxtipage=1")
    fw.assert_equal(n.rpc("getblockchaininfo")["initialblockdownload"], True)
    fw.assert_equal(n.stop(), 0)


if __name__ == "__main__":
    fw.main([test_presync_then_sync, test_insufficient_work, test_option_errors,
             test_assumevalid_option, test_maxtipage])
