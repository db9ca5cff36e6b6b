#!/usr/bin/env python3
"""combinerawtransaction: 2-of-3 multisig outputs (P2WSH and legacy P2SH,
made by createmultisig) spent by a transaction two signers sign apart,
with signatures made by python-bitcoinlib (Debian's python3-bitcoinlib);
the combined transaction enters the mempool."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402

fw.require_system_module("bitcoin", "python3-bitcoinlib")

import bitcoin  # noqa: E402
from bitcoin.core import CTransaction  # noqa: E402
from bitcoin.core.script import (CScript, SignatureHash, SIGHASH_ALL,  # noqa: E402
                                 SIGVERSION_WITNESS_V0)
from bitcoin.wallet import CBitcoinSecret  # noqa: E402

import txtools as tt  # noqa: E402

bitcoin.SelectParams("regtest")
KEYS = [CBitcoinSecret.from_secret_bytes(bytes([i]) * 32) for i in (1, 2, 3)]
PUBS = [k.pub.hex() for k in KEYS]
COIN = 10**8


def push(b):
    return bytes([len(b)]) + b if len(b) < 0x4c else b"\x4c" + bytes([len(b)]) + b


def funded(node):
    """Mines a coin and pays 1 BTC each to the P2WSH and P2SH multisig."""
    blocks = node.rpc("generatetodescriptor", 101, tt.P2WSH_OP_TRUE_DESC)
    cb = node.rpc("getblock", blocks[0])["tx"][0]
    wsh = node.rpc("createmultisig", 2, PUBS, "bech32")
    sh = node.rpc("createmultisig", 2, PUBS, "legacy")
    spks = [bytes.fromhex(node.rpc("validateaddress", m["address"])["scriptPubKey"])
            for m in (wsh, sh)]
    change = 50 * COIN - 2 * COIN - tt.FEE
    fund = tt.ser_tx(2, [(cb, 0, b"", 0xFFFFFFFD)],
                     [(COIN, spks[0]), (COIN, spks[1]), (change, tt.P2WSH_OP_TRUE)],
                     witness=[[tt.OP_TRUE]])
    txid = node.rpc("sendrawtransaction", fund.hex())
    node.rpc("generatetodescriptor", 1, tt.P2WSH_OP_TRUE_DESC)
    return txid, bytes.fromhex(wsh["redeemScript"]), bytes.fromhex(sh["redeemScript"])


def signed(unsigned_hex, ws, rs, key):
    """The spend signed by one key: input 0 P2WSH, input 1 P2SH."""
    tx = CTransaction.deserialize(bytes.fromhex(unsigned_hex))
    h0 = SignatureHash(CScript(ws), tx, 0, SIGHASH_ALL, amount=COIN,
                       sigversion=SIGVERSION_WITNESS_V0)
    h1 = SignatureHash(CScript(rs), tx, 1, SIGHASH_ALL)
    s0 = key.sign(h0) + bytes([SIGHASH_ALL])
    s1 = key.sign(h1) + bytes([SIGHASH_ALL])
    return s0, s1


def test_combine_multisig(t):
    node = t.add_node().start()
    txid, ws, rs = funded(node)
    unsigned = node.rpc("createrawtransaction", [{"txid": txid, "vout": 0},
                                                 {"txid": txid, "vout": 1}],
                        {tt.P2WSH_OP_TRUE_ADDR: 1.999})
    a0, a1 = signed(unsigned, ws, rs, KEYS[0])
    c0, c1 = signed(unsigned, ws, rs, KEYS[2])
    ins = [(txid, 0, b"", 0xFFFFFFFD), (txid, 1, None, 0xFFFFFFFD)]
    outs = [(199900000, tt.P2WSH_OP_TRUE)]

    def variant(sig0, sig1):
        vin = [ins[0], (txid, 1, b"\x00" + push(sig1) + push(rs), 0xFFFFFFFD)]
        return tt.ser_tx(2, vin, outs, witness=[[b"", sig0, ws], []]).hex()

    # Signer C and signer A apart; the combination has A's then C's
    # signatures, in the order of the keys.
    v_c, v_a = variant(c0, c1), variant(a0, a1)
    for v in (v_c, v_a):
        fw.assert_equal(node.rpc("testmempoolaccept", [v])[0]["allowed"], False)
    full = node.rpc("combinerawtransaction", [v_c, v_a])
    vin = [ins[0], (txid, 1, b"\x00" + push(a1) + push(c1) + push(rs), 0xFFFFFFFD)]
    want = tt.ser_tx(2, vin, outs, witness=[[b"", a0, c0, ws], []]).hex()
    fw.assert_equal(full, want)
    fw.assert_equal(node.rpc("testmempoolaccept", [full])[0]["allowed"], True)
    # One signer alone: its signature and an empty one.
    part = node.rpc("combinerawtransaction", [v_c])
    vin = [ins[0], (txid, 1, b"\x00" + push(c1) + b"\x00" + push(rs), 0xFFFFFFFD)]
    fw.assert_equal(part, tt.ser_tx(2, vin, outs, witness=[[b"", c0, b"", ws], []]).hex())
    # A complete variant is taken as it is.
    fw.assert_equal(node.rpc("combinerawtransaction", [full, v_c]), full)
    fw.assert_equal(node.rpc("sendrawtransaction", full), node.rpc("decoderawtransaction",
                                                                   full)["txid"])
    fw.assert_raises_rpc_error(-22, "TX decode failed for tx 1. Make sure the tx has at least "
                               "one input.", node.rpc, "combinerawtransaction", [v_c, "00"])
    fw.assert_raises_rpc_error(-22, "Missing transactions", node.rpc, "combinerawtransaction",
                               [])
    stray = tt.ser_tx(2, [("22" * 32, 0, b"", 0)], outs).hex()
    fw.assert_raises_rpc_error(-25, "Input not found or already spent", node.rpc,
                               "combinerawtransaction", [stray])


if __name__ == "__main__":
    fw.main([test_combine_multisig])
