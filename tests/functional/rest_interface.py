#!/usr/bin/env python3
"""REST (-rest) against the RPC results it must agree with, in each format
(.bin, .hex, .json), decoded with the standard library; Core's status codes
and messages for bad input; nothing answered without -rest."""

import http.client
import json
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402

COIN = 10**8


def get(node, path, body=None):
    """(status, content type, body bytes) of a REST request, without auth."""
    conn = http.client.HTTPConnection(fw.LOOPBACK, node.rpc_port, timeout=30)
    try:
        conn.request("POST" if body is not None else "GET", path, body)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


def get_ok(node, path, body=None):
    status, ctype, data = get(node, path, body)
    assert_equal(status, 200, f"{path}: {data[:200]!r}")
    return ctype, data


def get_json(node, path):
    ctype, data = get_ok(node, path)
    assert_equal(ctype, "application/json", path)
    return json.loads(data)


def chain_with_mempool_tx(t):
    node = t.add_node()
    node.start("-rest")
    hashes = node.rpc("generatetodescriptor", 110, tt.P2WSH_OP_TRUE_DESC)
    cb = node.rpc("getblock", hashes[0])["tx"][0]
    txid = node.rpc("sendrawtransaction", tt.spend(cb, 0, 50 * COIN))
    return node, hashes, cb, txid


def test_tx_block_headers(t):
    node, hashes, cb, txid = chain_with_mempool_tx(t)
    raw = node.rpc("getrawtransaction", txid)
    assert_equal(get_ok(node, f"/rest/tx/{txid}.bin")[1], bytes.fromhex(raw))
    assert_equal(get_ok(node, f"/rest/tx/{txid}.hex")[1], (raw + "\n").encode())
    tx = get_json(node, f"/rest/tx/{txid}.json")
    assert_equal(tx["txid"], txid)
    assert_equal(tx["hex"], raw)
    blk = hashes[5]
    raw_block = bytes.fromhex(node.rpc("getblock", blk, 0))
    ctype, data = get_ok(node, f"/rest/block/{blk}.bin")
    assert_equal((ctype, data), ("application/octet-stream", raw_block))
    assert_equal(get_ok(node, f"/rest/block/{blk}.hex")[1], (raw_block.hex() + "\n").encode())
    assert_equal(get_json(node, f"/rest/block/{blk}.json"), node.rpc("getblock", blk, 2))
    assert_equal(get_json(node, f"/rest/block/notxdetails/{blk}.json"), node.rpc("getblock", blk, 1))
    # Headers: along the active chain from the hash, count from the query
    # (default 5) or the older /<count>/<hash> form; 80 bytes each.
    data = get_ok(node, f"/rest/headers/{hashes[0]}.bin?count=3")[1]
    assert_equal(data, b"".join(bytes.fromhex(node.rpc("getblockheader", h, False))
                                for h in hashes[:3]))
    assert_equal(len(get_ok(node, f"/rest/headers/{hashes[0]}.bin")[1]), 5 * 80)
    assert_equal(get_json(node, f"/rest/headers/2/{hashes[1]}.json"),
                 [node.rpc("getblockheader", h) for h in hashes[1:3]])
    assert_equal(get_json(node, f"/rest/headers/{hashes[-1]}.json?count=10"),
                 [node.rpc("getblockheader", hashes[-1])])
    # The walk stops at the tip in every form; an unknown hash gives nothing.
    tail = b"".join(bytes.fromhex(node.rpc("getblockheader", h, False)) for h in hashes[-2:])
    assert_equal(get_ok(node, f"/rest/headers/{hashes[-2]}.bin?count=10")[1], tail)
    assert_equal(get_ok(node, f"/rest/headers/10/{hashes[-2]}.hex")[1], (tail.hex() + "\n").encode())
    assert_equal(get_ok(node, f"/rest/headers/{'00' * 32}.bin")[1], b"")
    assert_equal(get_json(node, f"/rest/headers/{'00' * 32}.json"), [])
    # Block hash by height, in its three forms.
    assert_equal(get_json(node, "/rest/blockhashbyheight/7.json"), {"blockhash": hashes[6]})
    assert_equal(get_ok(node, "/rest/blockhashbyheight/7.hex")[1], (hashes[6] + "\n").encode())
    assert_equal(get_ok(node, "/rest/blockhashbyheight/7.bin")[1], bytes.fromhex(hashes[6])[::-1])


def test_chain_and_mempool(t):
    node, hashes, cb, txid = chain_with_mempool_tx(t)
    assert_equal(get_json(node, "/rest/chaininfo.json"), node.rpc("getblockchaininfo"))
    assert_equal(get_json(node, "/rest/mempool/info.json"), node.rpc("getmempoolinfo"))
    assert_equal(get_json(node, "/rest/mempool/contents.json"), node.rpc("getrawmempool", True))
    assert_equal(get_json(node, "/rest/mempool/contents.json?verbose=false"), [txid])
    status, _, data = get(node, "/rest/mempool/contents.json?verbose=maybe")
    assert_equal(status, 400)
    assert_in(b'"verbose" query parameter must be either', data)


def test_getutxos(t):
    node, hashes, cb, txid = chain_with_mempool_tx(t)
    cb2 = node.rpc("getblock", hashes[1])["tx"][0]
    # cb:0 is spent in the mempool; cb2:0 is unspent; txid:0 exists only in
    # the mempool; cb2:5 does not exist.
    path = f"/rest/getutxos/checkmempool/{cb}-0/{cb2}-0/{txid}-0/{cb2}-5.json"
    res = get_json(node, path)
    tip = node.rpc("getbestblockhash")
    assert_equal([res["chainHeight"], res["chaintipHash"], res["bitmap"]], [110, tip, "0110"])
    out = node.rpc("gettxout", cb2, 0)
    assert_equal(res["utxos"][0], {"height": 2, "value": out["value"],
                                   "scriptPubKey": out["scriptPubKey"]})
    assert_equal(res["utxos"][1]["height"], 0x7fffffff)
    # Without the mempool, cb:0 is unspent and txid:0 unknown.
    res = get_json(node, f"/rest/getutxos/{cb}-0/{txid}-0.json")
    assert_equal(res["bitmap"], "10")
    # Binary request body (bool checkmempool, vector<COutPoint>), binary answer.
    body = b"\x01" + bytes([2]) + bytes.fromhex(cb2)[::-1] + struct.pack("<I", 0) + \
        bytes.fromhex(cb)[::-1] + struct.pack("<I", 0)
    data = get_ok(node, "/rest/getutxos.bin", body)[1]
    height, = struct.unpack_from("<i", data, 0)
    assert_equal((height, data[4:36][::-1].hex()), (110, tip))
    nbits, off = tt.read_compact(data, 36)
    assert_equal((nbits, data[off]), (1, 0b01))
    ncoins, off = tt.read_compact(data, off + 1)
    ver, h, value = struct.unpack_from("<IIq", data, off)
    slen, off = tt.read_compact(data, off + 16)
    assert_equal((ncoins, ver, h, value), (1, 0, 2, 50 * COIN))
    assert_equal(data[off:off + slen].hex(), out["scriptPubKey"]["hex"])
    assert_equal(get_ok(node, "/rest/getutxos.hex", body.hex().encode())[1],
                 (data.hex() + "\n").encode())
    # Bytes after the outpoints are ignored, as Core: a large body is
    # answered from its head.
    assert_equal(get_ok(node, "/rest/getutxos.bin", body + bytes(1 << 20))[1], data)
    # Limits and errors, as Core.
    many = "/".join(f"{cb2}-{i}" for i in range(16))
    status, _, msg = get(node, f"/rest/getutxos/{many}.json")
    assert_equal((status, msg), (400, b"Error: max outpoints exceeded (max: 15, tried: 16)\r\n"))
    one = bytes.fromhex(cb2)[::-1] + struct.pack("<I", 0)
    assert_equal(get(node, "/rest/getutxos.bin", b"\x00\x10" + one * 16)[0::2],
                 (400, b"Error: max outpoints exceeded (max: 15, tried: 16)\r\n"))
    assert_equal(get(node, "/rest/getutxos.bin", b"\x00\xfe\x00\x00\x00\x01" + one)[0::2],
                 (400, b"Error: max outpoints exceeded (max: 15, tried: 16777216)\r\n"))
    assert_equal(get(node, "/rest/getutxos.json")[0::2], (400, b"Error: empty request\r\n"))
    assert_equal(get(node, f"/rest/getutxos/{cb2}-x.json")[0::2], (400, b"Parse error\r\n"))
    status, _, msg = get(node, f"/rest/getutxos/{cb2}-0.bin", body)
    assert_equal(status, 400)
    assert_in(b"Combination of URI scheme inputs and raw post data", msg)


def test_errors_and_off(t):
    node, hashes, cb, txid = chain_with_mempool_tx(t)
    bad = "zz" * 32
    assert_equal(get(node, f"/rest/block/{bad}.bin")[0::2], (400, f"Invalid hash: {bad}\r\n".encode()))
    missing = "00" * 32
    assert_equal(get(node, f"/rest/block/{missing}.bin")[0::2], (404, f"{missing} not found\r\n".encode()))
    assert_equal(get(node, f"/rest/tx/{missing}.hex")[0::2], (404, f"{missing} not found\r\n".encode()))
    # An unknown suffix stays part of the hash (Core's ParseDataFormat); no
    # suffix at all is a format not found.
    assert_equal(get(node, f"/rest/block/{hashes[0]}.xml")[0::2],
                 (400, f"Invalid hash: {hashes[0]}.xml\r\n".encode()))
    status, ctype, msg = get(node, f"/rest/block/{hashes[0]}")
    assert_equal((status, ctype), (404, "text/plain"))
    assert_equal(msg, b"output format not found (available: .bin, .hex, .json)\r\n")
    assert_equal(get(node, "/rest/chaininfo.bin")[0::2],
                 (404, b"output format not found (available: json)\r\n"))
    assert_equal(get(node, "/rest/blockhashbyheight/999.json")[0::2],
                 (404, b"Block height out of range\r\n"))
    assert_equal(get(node, "/rest/blockhashbyheight/-1.json")[0::2],
                 (400, b"Invalid height: -1\r\n"))
    status, _, msg = get(node, f"/rest/headers/{hashes[0]}.json?count=2001")
    assert_equal(status, 400)
    assert_in(b"Header count is invalid or out of acceptable range (1-2000): 2001", msg)
    # Without -rest, /rest/ is an unknown path: 404 with no body.
    node.stop()
    node.start()
    assert_equal(get(node, "/rest/chaininfo.json")[0::2], (404, b""))


if __name__ == "__main__":
    fw.main([test_tx_block_headers, test_chain_and_mempool, test_getutxos, test_errors_and_off])
