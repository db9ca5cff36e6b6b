#!/usr/bin/env python3
"""-maxuploadtarget as Bitcoin Core's (feature_maxuploadtarget.py in
spirit): getnettotals' uploadtarget figures; past the target's share for
historical blocks, a peer asking for a block more than a week older than
the tip is dropped, while new blocks are still served; the 24-hour cycle
starts again; a peer with the download permission
(-whitelist=download@127.0.0.1) is still served old blocks. Fast on
regtest: setmocktime moves the node to the end of the cycle, where
nothing is kept back for new blocks, so a 2 MiB target is enough."""
import socket
import struct
import time

import framework as fw
import p2p_hostile as ph
import txtools as tt

MIB = 1024 * 1024
DAY = 24 * 3600
MSG_WITNESS_BLOCK = 0x40000002
BIG_OUTPUTS = [(0, b"\x51" * 10000)] * 30  # about 300 kB of coinbase outputs


def mine(node, now):
    """Three big blocks three weeks old, then a new one: (old hashes, new)."""
    prev = node.rpc("getbestblockhash")
    hashes = []
    for height in range(1, 5):
        when = now - 21 * DAY + height if height < 4 else now
        prev, raw = tt.make_block(prev, height, when, more_outputs=BIG_OUTPUTS)
        fw.assert_equal(node.rpc("submitblock", raw), None, f"block {height}")
        hashes.append(prev)
    return hashes[:3], hashes[3]


def fetch(s, block_hash):
    """Asks for a block: True once it came, False if the node closed."""
    s.sendall(ph.frame("getdata", tt.compact(1) + struct.pack("<I", MSG_WITNESS_BLOCK)
                       + bytes.fromhex(block_hash)[::-1]))
    while True:
        msg = ph.read_frame(s)
        if msg is None:
            return False
        if msg[0] == "ping":
            s.sendall(ph.frame("pong", msg[1]))
        elif msg[0] == "block":
            fw.assert_equal(tt.sha256d(msg[1][:80])[::-1].hex(), block_hash, "block served")
            return True


def upload(node):
    return node.rpc("getnettotals")["uploadtarget"]


def test_historical_limit(t):
    node = t.add_node()
    node.start("-maxuploadtarget=2M")
    now = int(time.time())
    old, new = mine(node, now)
    node.rpc("setmocktime", now)
    a, b = ph.handshake(node), ph.handshake(node)
    a.settimeout(20)
    b.settimeout(20)
    up = upload(node)
    fw.assert_equal((up["timeframe"], up["target"], up["target_reached"], up["time_left_in_cycle"]),
                    (DAY, 2 * MIB, False, DAY))
    # A whole day ahead: 144 blocks of 4 MB kept for new blocks, more than 2 MiB.
    fw.assert_equal(up["serve_historical_blocks"], False, "reserve for new blocks")
    fw.assert_equal(0 < up["bytes_left_in_cycle"] < 2 * MIB, True, "handshakes counted")

    node.rpc("setmocktime", now + DAY - 60)  # a minute left: nothing kept back
    up = upload(node)
    fw.assert_equal((up["serve_historical_blocks"], up["time_left_in_cycle"]), (True, 60))
    served = 0
    while fetch(a, old[0]):
        served += 1
        fw.assert_equal(served < 10, True, "old block served past the target")
    fw.assert_equal(5 <= served <= 8, True, f"old blocks served before the limit ({served})")
    node.wait_for_log("historical block serving limit reached, disconnect peer=1")
    up = upload(node)
    fw.assert_equal((up["target_reached"], up["serve_historical_blocks"],
                     up["bytes_left_in_cycle"]), (True, False, 0))

    for _ in range(3):  # new blocks are still served
        fw.assert_equal(fetch(b, new), True, "new block past the target")
    fw.assert_equal(fetch(b, old[1]), False, "old block past the target")
    fw.assert_equal(len(node.rpc("getpeerinfo")), 0)

    node.rpc("setmocktime", now + 2 * DAY)  # the next cycle starts at the next byte sent
    c = ph.handshake(node)
    up = upload(node)
    fw.assert_equal((up["target_reached"], up["time_left_in_cycle"]), (False, DAY))
    fw.assert_equal(up["bytes_left_in_cycle"] > 2 * MIB - 10000, True, "counters reset")
    for s in (a, b, c):
        s.close()
    fw.assert_equal(node.stop(), 0)


def test_download_permission(t):
    node = t.add_node()
    node.start("-maxuploadtarget=1", "-whitelist=download@127.0.0.1")
    old, _ = mine(node, int(time.time()))
    up = upload(node)
    fw.assert_equal((up["target"], up["target_reached"], up["serve_historical_blocks"]),
                    (MIB, False, False))
    allowed = ph.handshake(node)
    allowed.settimeout(20)
    for h in old + old:  # past the 1 MiB target
        fw.assert_equal(fetch(allowed, h), True, "old block to a peer with download")
    fw.assert_equal(upload(node)["target_reached"], True)
    fw.assert_equal([p["permissions"] for p in node.rpc("getpeerinfo")], [["download"]])
    # Another loopback address, outside the whitelist: dropped.
    s = socket.create_connection((fw.LOOPBACK, node.p2p_port), timeout=10,
                                 source_address=("127.0.0.2", 0))
    s.sendall(ph.frame("version", ph.version_payload(nonce=7)))
    while ph.read_frame(s)[0] != "verack":
        pass
    s.sendall(ph.frame("verack"))
    fw.assert_equal(fetch(s, old[0]), False, "old block to a peer without download")
    ph.ping(allowed)
    allowed.close()
    fw.assert_equal(node.stop(), 0)


def test_bad_options(t):
    node = t.add_node()
    for arg, want in [("-maxuploadtarget=abc", "Unable to parse -maxuploadtarget: 'abc'"),
                      ("-maxuploadtarget=1.5M", "Unable to parse -maxuploadtarget: '1.5M'"),
                      ("-whitelist=127.0.0.1", "name the permissions"),
                      ("-whitelist=noban@127.0.0.1", "the noban permission is not supported"),
                      ("-whitelist=fly@127.0.0.1", "Invalid P2P permission: 'fly'"),
                      ("-whitelist=download@127.0.0.1/33",
                       "Invalid netmask specified in -whitelist: '127.0.0.1/33'")]:
        rc, out, err = node.run(arg)
        fw.assert_equal(rc != 0, True, f"{arg} refused")
        fw.assert_in(want, out + err, arg)


if __name__ == "__main__":
    fw.main([test_historical_limit, test_download_permission, test_bad_options])
