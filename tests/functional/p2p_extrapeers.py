#!/usr/bin/env python3
"""Core's extra outbound peer for a stale tip: once the tip has not moved for
3 block intervals (moved on with setmocktime), a node with one full-relay slot
opens a second full-relay outbound connection, and at the next check (every
45 s) drops the unprotected peer whose last new-block announcement is oldest:
the extra one, since the first showed us our chain (protected)."""
import time

import framework as fw
import relay_lib as rl


def full_relay(node):
    return sorted(p["addr"] for p in node.rpc("getpeerinfo")
                  if p["connection_type"] == "outbound-full-relay")


def test_stale_tip_extra_peer(t):
    b, c = t.add_node(), t.add_node()
    b.start()
    c.start()
    block1 = rl.mine(b, 1)[0]  # a recent tip: no headers-sync timeout after the clock jumps
    # c holds block 1 as invalid, so it never shows a chain as good as a's and
    # cannot be protected from eviction (as Core's m_protect): the extra peer
    # it becomes is the one to go, whatever the timing.
    c.rpc("submitblock", b.rpc("getblock", block1, 0))
    c.rpc("invalidateblock", block1)
    a = t.add_node()
    a.start("-maxoutbound=1", "-maxblockrelay=0", "-nettick=200", "-debug=net")
    fw.assert_equal(a.rpc("addpeeraddress", "127.0.0.1", b.p2p_port, True)["success"], True)
    fw.wait_until(lambda: len(full_relay(a)) == 1, 20, what="one full-relay peer")
    first = full_relay(a)
    if first != [f"127.0.0.1:{b.p2p_port}"]:
        raise fw.TestFailure(f"first peer {first}")
    fw.wait_until(lambda: a.rpc("getblockcount") == 1, 20, what="a synced")
    fw.assert_equal(a.rpc("addpeeraddress", "127.0.0.1", c.p2p_port, True)["success"], True)
    now = int(time.time())
    a.rpc("setmocktime", now)  # frozen: the relay's clock moves with it from here
    time.sleep(1)
    a.rpc("setmocktime", now + 31 * 60)
    a.wait_for_log("Potential stale tip detected", timeout=20)
    fw.wait_until(lambda: len(full_relay(a)) == 2, 20, what="the extra full-relay peer")
    # Past MINIMUM_CONNECT_TIME and a 45 s check later the extra one goes. A
    # loaded machine may see the extra peer's handshake after the check that
    # followed the stale tip, so the clock moves on check by check (at most 4).
    for k in range(1, 5):
        a.rpc("setmocktime", now + 31 * 60 + 50 * k)
        try:
            fw.wait_until(lambda: full_relay(a) == first, 10, what="back to the protected peer")
            break
        except fw.TestFailure:
            if k == 4:
                raise
    time.sleep(2)
    fw.assert_equal(full_relay(a), first, "no further extra peer")
    for n in (a, b, c):
        fw.assert_equal(n.stop(), 0)


if __name__ == "__main__":
    fw.main([test_stale_tip_extra_peer], timeout=120)
