#!/usr/bin/env python3
"""BIP152 compact blocks between hearsayd processes and with a raw peer
that behaves like Bitcoin Core.

Three nodes, fully linked, whose mempools hold the same 2,000
transactions: the block holding them is relayed as a compact block and
rebuilt everywhere with no getblocktxn. Then one transaction is missing
from one node's mempool (below its -minrelaytxfee, and no extra pool to
keep it): a getblocktxn for that one transaction to each peer that
announced the block (up to 3 rebuild one block at once, as in Core). Last, a raw
peer sends sendcmpct(0, 2), gets a new block announced by headers, asks
for it as MSG_CMPCT_BLOCK and rebuilds it from the transactions it knows,
with SipHash short ids computed here; asks two of its transactions with
getblocktxn; then switches to high bandwidth (sendcmpct(1, 2)) and gets
the next block as an unasked cmpctblock."""

import base64
import http.client
import json
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import relay_lib as rl  # noqa: E402
import txtools as tt  # noqa: E402
from p2p_hostile import connect, frame, read_frame, version_payload  # noqa: E402

NTX = 2000
RAW_PEER_TXS = 20
MSG_CMPCT_BLOCK = 4


def fan_out(node, count):
    """A mature coinbase split into count P2WSH(OP_TRUE) outputs, mined;
    returns (txid, value per output)."""
    cb_txid = rl.coinbase_of(node, node.rpc("getblockhash", 1))
    fee = 200000  # ~2 sat/vB for a ~90 kvB transaction
    each = (50 * rl.COIN - fee) // count
    vin = [(cb_txid, 0, b"", 0xFFFFFFFD)]
    outs = [(each, tt.P2WSH_OP_TRUE)] * count
    txid = node.rpc("sendrawtransaction", tt.ser_tx(2, vin, outs, witness=[[tt.OP_TRUE]]).hex())
    rl.mine(node, 1)
    return txid, each


def send_batch(node, raws):
    """sendrawtransaction of every raw in one JSON-RPC batch (2,000 calls
    one by one cost most of this test's time under sanitizers)."""
    with open(os.path.join(node.chaindir, ".cookie"), encoding="ascii") as f:
        auth = base64.b64encode(f.read().strip().encode()).decode()
    body = json.dumps([{"jsonrpc": "1.0", "id": i, "method": "sendrawtransaction",
                        "params": [raw]} for i, raw in enumerate(raws)])
    conn = http.client.HTTPConnection(fw.LOOPBACK, node.rpc_port, timeout=120)
    try:
        conn.request("POST", "/", body, {"Authorization": f"Basic {auth}",
                                         "Content-Type": "application/json"})
        replies = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    for r in replies:
        fw.assert_equal(r.get("error"), None, "sendrawtransaction in the batch")
    return [r["result"] for r in sorted(replies, key=lambda r: r["id"])]


def cmpct_counters(node):
    return node.rpc("getgossipinfo")["processing"]["compactblocks"]


def full_blocks(node):
    return node.rpc("getgossipinfo")["processing"]["blocks_received"]


# ---- the raw peer's side of BIP152 ----

def siphash24(k0, k1, data):
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask
    v = [0x736F6D6570736575 ^ k0, 0x646F72616E646F6D ^ k1, 0x6C7967656E657261 ^ k0,
         0x7465646279746573 ^ k1]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & mask
            v[1] = rotl(v[1], 13) ^ v[0]
            v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & mask
            v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & mask
            v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & mask
            v[1] = rotl(v[1], 17) ^ v[2]
            v[2] = rotl(v[2], 32)
    tail = len(data) & ~7
    words = [int.from_bytes(data[i:i + 8], "little") for i in range(0, tail, 8)]
    words.append((len(data) & 0xFF) << 56 | int.from_bytes(data[tail:], "little"))
    for m in words:
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def tx_parts(b, pos):
    """(start of the witness or of the locktime, end) of the serialized
    transaction at pos, with or without witness."""
    segwit = b[pos + 4] == 0 and b[pos + 5] == 1
    pos += 6 if segwit else 4
    nin, pos = tt.read_compact(b, pos)
    for _ in range(nin):
        n, pos = tt.read_compact(b, pos + 36)
        pos += n + 4
    nout, pos = tt.read_compact(b, pos)
    for _ in range(nout):
        n, pos = tt.read_compact(b, pos + 8)
        pos += n
    body_end = pos
    if segwit:
        for _ in range(nin):
            items, pos = tt.read_compact(b, pos)
            for _ in range(items):
                n, pos = tt.read_compact(b, pos)
                pos += n
    return body_end, pos + 4


def tx_end(b, pos):
    """End of the serialized transaction at pos."""
    return tx_parts(b, pos)[1]


def legacy_txid(raw):
    """txid of a raw transaction (hex) given with its witness."""
    b = bytes.fromhex(raw)
    if b[4:6] != b"\x00\x01":
        return tt.sha256d(b)[::-1].hex()
    body_end, end = tx_parts(b, 0)
    return tt.sha256d(b[:4] + b[6:body_end] + b[end - 4:end])[::-1].hex()


def decode_cmpctblock(p):
    header, nonce = p[:80], struct.unpack_from("<Q", p, 80)[0]
    n, pos = tt.read_compact(p, 88)
    shortids = [int.from_bytes(p[pos + 6 * i:pos + 6 * i + 6], "little") for i in range(n)]
    pos += 6 * n
    nprefilled, pos = tt.read_compact(p, pos)
    prefilled, last = [], -1
    for _ in range(nprefilled):
        diff, pos = tt.read_compact(p, pos)
        last += diff + 1
        end = tx_end(p, pos)
        prefilled.append((last, p[pos:end].hex()))
        pos = end
    fw.assert_equal(pos, len(p), "cmpctblock fully read")
    return header, nonce, shortids, prefilled


def rebuild(header, nonce, shortids, prefilled, known_raws):
    """The block's txids, filled from known_raws by short id."""
    import hashlib
    key = hashlib.sha256(header + struct.pack("<Q", nonce)).digest()
    k0, k1 = struct.unpack_from("<QQ", key)
    by_id = {}
    for raw in known_raws:
        wtxid = tt.sha256d(bytes.fromhex(raw))
        by_id[siphash24(k0, k1, wtxid) & 0xFFFFFFFFFFFF] = raw
    total = len(shortids) + len(prefilled)
    slots = [None] * total
    for idx, raw in prefilled:
        slots[idx] = raw
    ids = iter(shortids)
    for i in range(total):
        if slots[i] is None:
            slots[i] = by_id.get(next(ids))
    fw.assert_equal(None in slots, False, "every short id matched a known transaction")
    return [legacy_txid(raw) for raw in slots]


def core_like_peer(node):
    """Handshakes as Core does, then sendheaders and sendcmpct(0, 2)."""
    s = connect(node)
    s.settimeout(20)
    s.sendall(frame("version", version_payload(nonce=0x7777)))
    seen = set()
    while "verack" not in seen:
        msg = read_frame(s)
        fw.assert_equal(msg is not None, True, "connection open")
        seen.add(msg[0])
    s.sendall(frame("wtxidrelay") + frame("sendaddrv2") + frame("verack") + frame("sendheaders")
              + frame("sendcmpct", b"\x00" + struct.pack("<Q", 2)))
    return s


def wait_for(s, command, answer=None):
    """Reads until command comes (answering pings, and headers via answer)."""
    while True:
        msg = read_frame(s)
        fw.assert_equal(msg is not None, True, f"connection open while waiting for {command}")
        if msg[0] == command:
            return msg[1]
        fw.assert_equal(msg[0] in ("notfound", "block"), False, f"no {msg[0]} before {command}")
        if msg[0] == "ping":
            s.sendall(frame("pong", msg[1]))


def check_raw_peer(t, node, fan_txid, each):
    s = core_like_peer(node)
    node.wait_for_log("/raw-test:0.1/")
    # Its answer to our initial getheaders, as Core's: our tip, which it
    # has. Core announces by headers only blocks that connect to a header
    # the peer is known to have (else by inv).
    tip = bytes.fromhex(node.rpc("getblockheader", node.rpc("getbestblockhash"), False))
    s.sendall(frame("headers", b"\x01" + tip + b"\x00"))
    raws = [tt.spend(fan_txid, NTX + 1 + i, each) for i in range(RAW_PEER_TXS)]
    for raw in raws:
        node.rpc("sendrawtransaction", raw)
    block = rl.mine(node, 1)[0]
    hdrs = wait_for(s, "headers")
    n, pos = tt.read_compact(hdrs, 0)
    fw.assert_equal(n, 1, "one header announced")
    fw.assert_equal(tt.sha256d(hdrs[pos:pos + 80])[::-1].hex(), block, "the new block")
    s.sendall(frame("getdata", b"\x01" + struct.pack("<I", MSG_CMPCT_BLOCK)
                    + bytes.fromhex(block)[::-1]))
    header, nonce, shortids, prefilled = decode_cmpctblock(wait_for(s, "cmpctblock"))
    fw.assert_equal(tt.sha256d(header)[::-1].hex(), block, "cmpctblock of the block asked")
    fw.assert_equal((len(shortids), [i for i, _ in prefilled]), (RAW_PEER_TXS, [0]),
                    "short ids and the prefilled coinbase")
    txids = rebuild(header, nonce, shortids, prefilled, raws)
    fw.assert_equal(tt.merkle_root(txids), header[36:68], "rebuilt block's merkle root")
    fw.assert_equal(txids, node.rpc("getblock", block)["tx"], "the block's transactions")
    check_getblocktxn(s, block, txids, raws)
    check_high_bandwidth(s, node, fan_txid, each)
    s.close()


def check_getblocktxn(s, block, txids, raws):
    """getblocktxn of two positions (differentially encoded) is answered
    with blocktxn holding those transactions, witnesses included."""
    by_txid = {legacy_txid(raw): raw for raw in raws}
    want = [1, len(txids) - 1]
    s.sendall(frame("getblocktxn", bytes.fromhex(block)[::-1] + tt.compact(2) + tt.compact(1)
                    + tt.compact(want[1] - want[0] - 1)))
    p = wait_for(s, "blocktxn")
    fw.assert_equal(p[:32][::-1].hex(), block, "blocktxn of the block asked")
    n, pos = tt.read_compact(p, 32)
    got = []
    for _ in range(n):
        end = tx_end(p, pos)
        got.append(p[pos:end].hex())
        pos = end
    fw.assert_equal((pos, got), (len(p), [by_txid[txids[i]] for i in want]),
                    "blocktxn holds the transactions asked, in order")


def check_high_bandwidth(s, node, fan_txid, each):
    """After sendcmpct(1, 2) a new block comes as cmpctblock, unasked and
    before any headers announcement."""
    s.sendall(frame("sendcmpct", b"\x01" + struct.pack("<Q", 2)) + frame("ping", b"hb-nonce"))
    fw.assert_equal(wait_for(s, "pong"), b"hb-nonce", "sendcmpct(1, 2) processed")
    raw = tt.spend(fan_txid, NTX + 1 + RAW_PEER_TXS, each)
    node.rpc("sendrawtransaction", raw)
    block = rl.mine(node, 1)[0]
    while True:
        msg = read_frame(s)
        fw.assert_equal(msg is not None, True, "connection open while waiting for the block")
        fw.assert_equal(msg[0] in ("headers", "block"), False, f"no {msg[0]} to a HB peer")
        if msg[0] == "ping":
            s.sendall(frame("pong", msg[1]))
        if msg[0] == "cmpctblock":
            break
    header, nonce, shortids, prefilled = decode_cmpctblock(msg[1])
    fw.assert_equal(tt.sha256d(header)[::-1].hex(), block, "cmpctblock of the new block")
    txids = rebuild(header, nonce, shortids, prefilled, [raw])
    fw.assert_equal(txids, node.rpc("getblock", block)["tx"], "the announced block rebuilds")


def test_compact_relay(t):
    args = ["-debug=net"]
    nodes = [t.add_node() for _ in range(3)]
    edges = [(0, 1), (0, 2), (1, 2)]
    extra = [[], [], ["-minrelaytxfee=0.00005", "-blockreconstructionextratxn=0",
                      "-debug=mempoolrej"]]
    for i, nd in enumerate(nodes):
        nd.start(*(rl.FAST + rl.dial_args(nodes, edges, i) + args + extra[i]))
    rl.wait_links(nodes, edges)
    rl.mine(nodes[0], 101)
    fan_txid, each = fan_out(nodes[0], NTX + 2 + RAW_PEER_TXS)
    rl.same_tip(nodes)
    for i in (1, 2):
        peers = nodes[i].rpc("getpeerinfo")
        fw.assert_equal(any(p["bip152_hb_to"] for p in peers), True,
                        f"node{i} chose a high-bandwidth peer")

    # 2,000 transactions in every mempool, then the block holding them.
    txids = send_batch(nodes[0], [tt.spend(fan_txid, i, each) for i in range(NTX)])
    rl.all_have(nodes, txids, timeout=60)
    before = [cmpct_counters(nd) for nd in nodes]
    full_before = [full_blocks(nd) for nd in nodes]
    rl.mine(nodes[0], 1)
    tip = rl.same_tip(nodes)
    fw.assert_equal(nodes[0].rpc("getblock", tip)["nTx"], NTX + 1, "the block holds them")
    for i in (1, 2):
        c = cmpct_counters(nodes[i])
        fw.assert_equal(c["reconstructed"] - before[i]["reconstructed"] >= 1, True,
                        f"node{i} rebuilt the block without a round trip")
        fw.assert_equal(c["getblocktxn_sent"], before[i]["getblocktxn_sent"],
                        f"node{i} getblocktxn")
        fw.assert_equal(full_blocks(nodes[i]), full_before[i], f"node{i} full blocks")
    fw.assert_equal(cmpct_counters(nodes[0])["sent"] - before[0]["sent"] >= 2, True,
                    "node0 sent cmpctblocks")

    # One transaction node2 never gets nor keeps: its feefilter (its
    # -minrelaytxfee, out of initial download) keeps it out of its peers'
    # announcements, as Core's would.
    before2 = cmpct_counters(nodes[2])
    fw.wait_until(lambda: any(abs(p["minfeefilter"] - 0.00005) < 1e-9
                              for p in nodes[0].rpc("getpeerinfo")), 10,
                  what="node2's feefilter at node0")
    cheap = nodes[0].rpc("sendrawtransaction", tt.spend(fan_txid, NTX, each, fee=150))
    rl.all_have(nodes[:2], [cheap])
    fw.assert_equal(cheap in nodes[2].rpc("getrawmempool"), False, "node2 lacks it")
    rl.mine(nodes[0], 1)
    rl.same_tip(nodes)
    c = cmpct_counters(nodes[2])
    # Both its peers announce the block by cmpctblock: as Core (up to 3
    # downloads of one block at once), it may ask each for the one
    # transaction, the first answer completing the block.
    asked = c["getblocktxn_sent"] - before2["getblocktxn_sent"]
    fw.assert_equal(asked in (1, 2), True, f"one getblocktxn per announcer, got {asked}")
    fw.assert_equal(c["txs_requested"] - before2["txs_requested"], asked, "for one transaction")
    fw.assert_equal(c["full_fallbacks"], before2["full_fallbacks"], "no full block")

    check_raw_peer(t, nodes[0], fan_txid, each)
    for nd in nodes:
        fw.assert_equal("misbehaving" in nd.debug_log(), False, "no misbehaviour")


if __name__ == "__main__":
    fw.main([test_compact_relay], timeout=170)
