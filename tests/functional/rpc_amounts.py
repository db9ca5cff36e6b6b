#!/usr/bin/env python3
"""Amounts as Bitcoin Core's AmountFromValue: ParseFixedPoint on the JSON
number's own text (or the string), 8 decimals, so what Core rejects is
rejected ("Invalid amount" for more decimals or 1e10 and up, "Amount out
of range" past 21 million or below zero, "Amount is not a number or
string") and nothing is rounded. Requests are posted as raw JSON so the
number texts reach the node exactly as written."""

import base64
import http.client
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

ADDR = tt.P2WSH_OP_TRUE_ADDR


def post(node, body):
    with open(os.path.join(node.chaindir, ".cookie"), encoding="ascii") as f:
        auth = base64.b64encode(f.read().strip().encode()).decode()
    conn = http.client.HTTPConnection(fw.LOOPBACK, node.rpc_port, timeout=30)
    try:
        conn.request("POST", "/", body, {"Authorization": f"Basic {auth}"})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def request(amount_text, rid=1):
    """createrawtransaction with one output of the amount, written as is."""
    return ('{"jsonrpc": "1.0", "id": %d, "method": "createrawtransaction", '
            '"params": [[], {"%s": %s}]}' % (rid, ADDR, amount_text))


def output_value(raw_hex):
    # version (4 bytes), no inputs (00), one output (01), then its value
    return int.from_bytes(bytes.fromhex(raw_hex[12:28]), "little")


CASES = [  # (JSON text, satoshis or the error message)
    ("20999999.99999999", 2099999999999999),
    ("21000000", 2100000000000000),
    ("0.1", 10000000),
    ("0.29", 29000000),          # 0.29 * 1e8 is 28999999.999999996 as a double
    ("1e-8", 1),
    ("1E-8", 1),
    ("100e-10", 1),
    ("1.10000000000000000000", 110000000),
    ('"0.00000001"', 1),
    ('"20999999.99999999"', 2099999999999999),
    ("0", 0),
    ("1e-9", "Invalid amount"),
    ("0.000000001", "Invalid amount"),
    ("0.100000000000000001", "Invalid amount"),   # a double would say 0.1
    ("0.00000001000000001", "Invalid amount"),
    ("1e10", "Invalid amount"),
    ('"1e-9"', "Invalid amount"),
    ('" 1"', "Invalid amount"),
    ('"+1"', "Invalid amount"),
    ('""', "Invalid amount"),
    ("21000000.00000001", "Amount out of range"),
    ("-0.00000001", "Amount out of range"),
    ('"-1"', "Amount out of range"),
    ("true", "Amount is not a number or string"),
    ("null", "Amount is not a number or string"),
    ("[1]", "Amount is not a number or string"),
]


def test_amount_texts(t):
    node = t.add_node().start()
    for text, want in CASES:
        reply = post(node, request(text))
        if isinstance(want, int):
            fw.assert_equal(reply["error"], None, text)
            fw.assert_equal(output_value(reply["result"]), want, text)
        else:
            fw.assert_equal(reply["error"], {"code": -3, "message": want}, text)


def test_batch_and_named(t):
    node = t.add_node().start()
    body = "[" + ",".join(request(text, i) for i, (text, _) in enumerate(CASES)) + "]"
    replies = post(node, body)
    fw.assert_equal(len(replies), len(CASES))
    for reply, (text, want) in zip(replies, CASES):
        if isinstance(want, int):
            fw.assert_equal(output_value(reply["result"]), want, "batch " + text)
        else:
            fw.assert_equal(reply["error"]["message"], want, "batch " + text)
    named = ('{"jsonrpc": "2.0", "id": 1, "method": "createrawtransaction", "params": '
             '{"outputs": {"%s": 0.100000000000000001}, "inputs": []}}' % ADDR)
    fw.assert_equal(post(node, named)["error"], {"code": -3, "message": "Invalid amount"})
    # Numbers elsewhere in the request do not shift the texts.
    other = ('{"jsonrpc": "1.0", "id": 2.5, "method": "createrawtransaction", '
             '"params": [[], {"%s": 0.00000003}, 0, false, 2]}' % ADDR)
    fw.assert_equal(output_value(post(node, other)["result"]), 3)


if __name__ == "__main__":
    fw.main([test_amount_texts, test_batch_and_named])
