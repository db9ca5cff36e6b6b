#!/usr/bin/env python3
"""Headers below the anti-DoS work threshold from a raw peer, as Bitcoin
Core: on a 300-block regtest chain the threshold is the tip's work less
144 blocks' worth, so a fork of 100 headers from genesis is not stored
(the peer is neither punished nor dropped, no low-work sync starts:
getpeerinfo's presynced_headers stays -1), while a fork of 2000 headers,
more work than our chain, is stored at once."""
import hashlib
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402
from p2p_hostile import frame, handshake, ping  # noqa: E402

REGTEST_BITS = 0x207FFFFF
REGTEST_TARGET = 0x7FFFFF << (8 * (0x20 - 3))


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def fork_headers(genesis_hex, time0, n, tag):
    """n serialized headers chained on genesis, each ground to its target;
    returns them and the hash (hex) of the last."""
    prev = bytes.fromhex(genesis_hex)[::-1]
    out = []
    for i in range(n):
        nonce = 0
        while True:
            hdr = (struct.pack("<i", 4) + prev + bytes([tag]) * 32
                   + struct.pack("<III", time0 + i, REGTEST_BITS, nonce))
            h = sha256d(hdr)
            if int.from_bytes(h, "little") <= REGTEST_TARGET:
                break
            nonce += 1
        out.append(hdr)
        prev = h
    return out, prev[::-1].hex()


def headers_msg(hdrs):
    n = len(hdrs)
    count = bytes([n]) if n < 0xFD else b"\xfd" + struct.pack("<H", n)
    return frame("headers", count + b"".join(h + b"\x00" for h in hdrs))


def known(node, block_hash):
    return any(t["hash"] == block_hash for t in node.rpc("getchaintips"))


def test_low_work_fork(t):
    node = t.add_node().start("-debug=net")
    node.rpc("generatetoaddress", 300, tt.P2WSH_OP_TRUE_ADDR)
    genesis = node.rpc("getblockhash", 0)
    time0 = node.rpc("getblockheader", genesis)["time"] + 1
    hdrs, last = fork_headers(genesis, time0, 2000, 0x11)
    s = handshake(node)
    s.sendall(headers_msg(hdrs[:100]))
    ping(s)
    fw.assert_equal(known(node, sha256d(hdrs[99])[::-1].hex()), False, "low-work fork stored")
    peers = node.rpc("getpeerinfo")
    fw.assert_equal(len(peers), 1)
    fw.assert_equal(peers[0]["presynced_headers"], -1)
    s.sendall(headers_msg(hdrs))
    ping(s)
    fw.assert_equal(known(node, last), True, "fork with more work not stored")
    fw.assert_equal(node.rpc("getblockchaininfo")["headers"], 2000)
    s.close()


if __name__ == "__main__":
    fw.main([test_low_work_fork])
