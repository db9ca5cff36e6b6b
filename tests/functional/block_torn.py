#!/usr/bin/env python3
"""Torn block data at runtime: a node killed (SIGKILL) after syncing, before
its coins were flushed, loses what a crash can take from its block file:
the header of a block in the middle is zeroed (a page never written) and
the file is cut inside the last block (a torn append). Restarted with the
peer it synced from, it finds both blocks torn (their data flag cleared,
as Core), replays what it still has, downloads the two blocks again and
ends on the peer's tip with the same blocks."""

import hashlib
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

BLOCKS = 40
TORN_MIDDLE = 25  # a block whose header is zeroed
HEADER = 8  # magic, size


def records(path):
    """(offset of the payload, size, block hash) of each block record."""
    with open(path, "rb") as f:
        data = f.read()
    magic, out, off = data[:4], [], 0
    while off + HEADER + 80 <= len(data) and data[off:off + 4] == magic:
        size = int.from_bytes(data[off + 4:off + 8], "little")
        start = off + HEADER
        h = hashlib.sha256(hashlib.sha256(data[start:start + 80]).digest()).digest()
        out.append((start, size, h[::-1].hex()))
        off = start + size
    return out


def test_torn_block_fetched_again(t):
    a, b = t.add_node(), t.add_node()
    a.start()
    hashes = a.rpc("generatetoaddress", BLOCKS, tt.P2WSH_OP_TRUE_ADDR)
    b.start()
    b.rpc("addnode", f"{fw.LOOPBACK}:{a.p2p_port}", "onetry")
    fw.wait_until(lambda: b.rpc("getblockcount") == BLOCKS, timeout=60, what="B synced")
    want = [b.rpc("getblock", h, 0) for h in hashes]
    b.stop(signal.SIGKILL)  # the coins stay at genesis: the blocks are replayed

    blk = os.path.join(b.chaindir, "blocks", "blk00000.dat")
    recs = {h: (start, size) for start, size, h in records(blk)}
    fw.assert_equal(all(h in recs for h in hashes), True, "every block in blk00000.dat")
    start, _ = recs[hashes[TORN_MIDDLE - 1]]
    with open(blk, "r+b") as f:
        f.seek(start - HEADER)
        f.write(bytes(HEADER + 80))
    start, size = recs[hashes[-1]]
    os.truncate(blk, start + size // 2)

    b.start()
    log = b.debug_log()[b.log_offset:]
    fw.assert_equal(log.count("missing or torn in block file 0"), 2, log[-2000:])
    # Replayed up to the first torn block, then waiting for the download.
    b.rpc("addnode", f"{fw.LOOPBACK}:{a.p2p_port}", "onetry")
    fw.wait_until(lambda: b.rpc("getblockcount") == BLOCKS, timeout=60,
                  what="B fetched the torn blocks again")
    fw.assert_equal(b.rpc("getbestblockhash"), a.rpc("getbestblockhash"))
    fw.assert_equal([b.rpc("getblock", h, 0) for h in hashes], want)
    # Stored properly this time: a clean restart keeps them.
    b.stop()
    b.start()
    fw.assert_equal(b.rpc("getblockcount"), BLOCKS)
    fw.assert_equal(b.rpc("getblock", hashes[TORN_MIDDLE - 1], 0), want[TORN_MIDDLE - 1])
    fw.assert_equal(b.rpc("getblock", hashes[-1], 0), want[-1])


if __name__ == "__main__":
    fw.main([test_torn_block_fetched_again])
