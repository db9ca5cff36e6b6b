#!/usr/bin/env python3
"""Serving a peer as Bitcoin Core expects: a 16-block getdata (what Core
asks for at once) to a node with -maxsendbuffer=1 (1 kB) is served whole,
in order, to a peer that reads slowly, without disconnection;
sendheaders sent 12 s after the handshake still switches block
announcements from inv to headers; a transaction is served only once it
was in the mempool when transactions were last announced to the peer, or
when it is in the block connected last; a peer's message sent right
behind its large block (parsed off the event loop) is handled after the
block."""
import struct
import time

import framework as fw
import p2p_hostile as ph
import relay_lib as rl
import txtools as tt

MSG_WITNESS_BLOCK = 0x40000002
MSG_WITNESS_TX = 0x40000001
BIG_OUTPUTS = [(0, b"\x51" * 10000)] * 30  # about 300 kB of coinbase outputs


def slow_read_frame(s, chunk=16384, pause=0.002):
    """One message, read in small chunks with a pause after each: a peer
    on a slow link. None when the node closed."""
    def exact(n):
        buf = b""
        while len(buf) < n:
            data = s.recv(min(chunk, n - len(buf)))
            if not data:
                return None
            buf += data
            time.sleep(pause)
        return buf
    hdr = exact(24)
    if hdr is None:
        return None
    payload = exact(struct.unpack("<I", hdr[16:20])[0])
    return None if payload is None else (hdr[4:16].rstrip(b"\0").decode(), payload)


def mine_big_blocks(node, count):
    prev = node.rpc("getbestblockhash")
    when = node.rpc("getblockheader", prev)["time"]
    hashes = []
    for height in range(1, count + 1):
        prev, raw = tt.make_block(prev, height, when + height, more_outputs=BIG_OUTPUTS)
        fw.assert_equal(node.rpc("submitblock", raw), None, f"big block {height}")
        hashes.append(prev)
    fw.assert_equal(node.rpc("getblockcount"), count)
    fw.assert_equal(node.rpc("getblock", hashes[0])["size"] > 290000, True, "block size")
    return hashes


def test_sixteen_blocks_small_buffer(t):
    node = t.add_node()
    node.start("-maxsendbuffer=1")
    hashes = mine_big_blocks(node, 16)
    s = ph.handshake(node)
    s.settimeout(30)
    items = b"".join(struct.pack("<I", MSG_WITNESS_BLOCK) + bytes.fromhex(h)[::-1]
                     for h in hashes)
    s.sendall(ph.frame("getdata", tt.compact(16) + items))
    got = []
    while len(got) < 16:
        msg = slow_read_frame(s)
        if msg is None:
            raise fw.TestFailure(f"disconnected after {len(got)} of 16 blocks")
        if msg[0] == "ping":
            s.sendall(ph.frame("pong", msg[1]))
        elif msg[0] == "block":
            got.append(tt.sha256d(msg[1][:80])[::-1].hex())
    fw.assert_equal(got, hashes, "the 16 blocks, in the order asked")
    ph.ping(s)  # still connected
    fw.assert_equal("send buffer overflow" in node.debug_log(), False)
    s.close()
    fw.assert_equal(node.stop(), 0)


def next_block_announcement(s, block_hash):
    """'headers' or 'inv': how the node announced block_hash to us."""
    raw = bytes.fromhex(block_hash)[::-1]
    while True:
        msg = ph.read_frame(s)
        if msg is None:
            raise fw.TestFailure("node closed the peer waiting for a block announcement")
        cmd, payload = msg
        if cmd == "ping":
            s.sendall(ph.frame("pong", payload))
        elif cmd == "headers" and payload[0] >= 1 and tt.sha256d(payload[1:81]) == raw:
            return cmd
        elif cmd == "inv" and raw in payload:
            return cmd


def test_late_sendheaders(t):
    node = t.add_node()
    node.start()
    s = ph.handshake(node)
    s.settimeout(20)
    first = node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)[0]
    fw.assert_equal(next_block_announcement(s, first), "inv", "before sendheaders")
    time.sleep(12)  # past the 10 s hearsay used to watch for it
    s.sendall(ph.frame("sendheaders"))
    ph.ping(s)
    second = node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)[0]
    fw.assert_equal(next_block_announcement(s, second), "headers", "after sendheaders")
    s.close()
    fw.assert_equal(node.stop(), 0)


def next_of(s, commands):
    """The next message among commands (others skipped): (command, payload)."""
    while True:
        msg = ph.read_frame(s)
        if msg is None:
            raise fw.TestFailure("node closed an honest peer")
        if msg[0] in commands:
            return msg


def getdata_txs(s, txids):
    items = b"".join(struct.pack("<I", MSG_WITNESS_TX) + bytes.fromhex(x)[::-1] for x in txids)
    s.sendall(ph.frame("getdata", tt.compact(len(txids)) + items))


def test_tx_served_once_announced(t):
    """As Core's FindTxForGetData: asked for a transaction it has not
    announced to the peer (whose fee filter keeps it out), the node answers
    notfound; once it announced a later one, both are served."""
    node = t.add_node()
    node.start()
    hashes = rl.mine(node, 102)
    s = ph.handshake(node)
    s.settimeout(30)
    s.sendall(ph.frame("feefilter", struct.pack("<q", 10**8)))  # 1 BTC/kvB: none of ours
    ph.ping(s)
    raws = rl.spend_coinbases(node, hashes[:2])
    first = node.rpc("sendrawtransaction", raws[0])
    getdata_txs(s, [first])
    cmd, payload = next_of(s, ("tx", "notfound"))
    fw.assert_equal(cmd, "notfound", "answer to a transaction not announced")
    fw.assert_equal(payload[5:37][::-1].hex(), first, "notfound entry")
    s.sendall(ph.frame("feefilter", struct.pack("<q", 0)))
    ph.ping(s)
    second = node.rpc("sendrawtransaction", raws[1])
    while True:
        cmd, payload = next_of(s, ("inv",))
        if bytes.fromhex(second)[::-1] in payload:
            break
    getdata_txs(s, [first, second])
    served = []
    for _ in range(2):
        cmd, payload = next_of(s, ("tx", "notfound"))
        fw.assert_equal(cmd, "tx", "answer once announced")
        served.append(payload)
    fw.assert_equal(sorted(served) == sorted(bytes.fromhex(r) for r in raws), True,
                    "both transactions served whole")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_tx_of_last_block_served(t):
    """As Core's FindTxForGetData (m_most_recent_block_txs): a transaction
    of the block connected last is served after it left the mempool; one
    of an older block is notfound."""
    node = t.add_node()
    node.start()
    hashes = rl.mine(node, 102)
    s = ph.handshake(node)
    s.settimeout(30)
    raws = rl.spend_coinbases(node, hashes[:2])
    first = node.rpc("sendrawtransaction", raws[0])
    node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)
    second = node.rpc("sendrawtransaction", raws[1])
    node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)
    fw.assert_equal(node.rpc("getrawmempool"), [], "both mined")
    getdata_txs(s, [second])
    cmd, payload = next_of(s, ("tx", "notfound"))
    fw.assert_equal(cmd, "tx", "answer for a transaction of the last block")
    fw.assert_equal(payload, bytes.fromhex(raws[1]), "the transaction, whole")
    getdata_txs(s, [first])
    cmd, payload = next_of(s, ("tx", "notfound"))
    fw.assert_equal(cmd, "notfound", "answer for a transaction of an older block")
    s.close()
    fw.assert_equal(node.stop(), 0)


def test_message_behind_block_waits(t):
    """Each large block (300 kB: parsed on a worker thread) is followed in
    the same write by a small block on it (handled at once): the small one
    waits for the large one, else its parent would be unknown (a
    disconnection for prev-blk-not-found)."""
    node = t.add_node()
    node.start()
    s = ph.handshake(node)
    s.settimeout(30)
    prev = node.rpc("getbestblockhash")
    when = node.rpc("getblockheader", prev)["time"]
    for height in range(1, 7, 2):
        big, raw_big = tt.make_block(prev, height, when + height, more_outputs=BIG_OUTPUTS)
        prev, raw_small = tt.make_block(big, height + 1, when + height + 1)
        s.sendall(ph.frame("block", bytes.fromhex(raw_big))
                  + ph.frame("block", bytes.fromhex(raw_small)))
    fw.wait_until(lambda: node.rpc("getblockcount") == 6, timeout=30, what="6 blocks")
    ph.ping(s)  # still connected
    fw.assert_equal("misbehaving" in node.debug_log(), False)
    s.close()
    # A peer gone while its block is on the thread: the block is dropped
    # or stored, the node unharmed; so is one stopped with a block there.
    for last in (False, True):
        s = ph.handshake(node)
        _, raw_big = tt.make_block(prev, 7, when + 7, extra=bytes([last]),
                                   more_outputs=BIG_OUTPUTS)
        s.sendall(ph.frame("block", bytes.fromhex(raw_big)))
        if not last:
            s.close()
            fw.wait_until(lambda: node.rpc("getpeerinfo") == [], timeout=30,
                          what="the closed peer gone")
            fw.assert_equal(node.rpc("getblockcount") in (6, 7), True)
            s = ph.handshake(node)  # still serving
            s.settimeout(30)
            ph.ping(s)
            s.close()
    fw.assert_equal(node.stop(), 0)
    s.close()
    # Stopped with a block on the thread: a consistent store on restart.
    node.start()
    height = node.rpc("getblockcount")
    fw.assert_equal(height in (6, 7), True, f"height {height} after the restart")
    tips = [c for c in node.rpc("getchaintips") if c["status"] == "active"]
    fw.assert_equal(tips[0]["height"], height)
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_sixteen_blocks_small_buffer, test_late_sendheaders,
             test_tx_served_once_announced, test_tx_of_last_block_served,
             test_message_behind_block_waits], timeout=180)
