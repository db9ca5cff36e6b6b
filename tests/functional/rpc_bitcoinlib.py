#!/usr/bin/env python3
"""python-bitcoinlib (Debian's python3-bitcoinlib), a client people already
use with Bitcoin Core, against hearsayd unchanged: its bitcoin.rpc.Proxy
finds the node from the configuration file and authenticates with the
.cookie, or with -rpcuser/-rpcpassword; it reads chain data, decodes the
blocks and transactions hearsayd returns raw with its own parser, builds and
submits a transaction, and reads the new output back with gettxout."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402

fw.require_system_module("bitcoin", "python3-bitcoinlib")

import bitcoin  # noqa: E402
import bitcoin.rpc  # noqa: E402
from bitcoin.core import (COIN, COutPoint, CMutableTransaction, CMutableTxIn,  # noqa: E402
                          CMutableTxOut, CTxInWitness, CTxWitness, b2lx, lx)
from bitcoin.core.script import CScript, CScriptWitness, OP_TRUE  # noqa: E402

import txtools as tt  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402

bitcoin.SelectParams("regtest")


def mined_node(t, *conf):
    """A node with 101 blocks, mined through the library's generic call, and a
    Proxy that found it from the configuration file."""
    node = t.add_node()
    if conf:
        node.write_conf(extra=conf)
    node.start()
    proxy = bitcoin.rpc.Proxy(btc_conf_file=node.conf_path)
    proxy.call("generatetodescriptor", 101, tt.P2WSH_OP_TRUE_DESC)
    return node, proxy


def spend_p2wsh_op_true(prev_txid, value):
    """A spend of P2WSH(OP_TRUE) built with python-bitcoinlib's own classes."""
    txin = CMutableTxIn(COutPoint(prev_txid, 0), nSequence=0xFFFFFFFD)
    txout = CMutableTxOut(value - tt.FEE, CScript(tt.P2WSH_OP_TRUE))
    wit = CTxWitness([CTxInWitness(CScriptWitness([CScript([OP_TRUE])]))])
    return CMutableTransaction([txin], [txout], nVersion=2, witness=wit)


def test_cookie_chain_data_and_submit(t):
    node, proxy = mined_node(t)  # the cookie, found in datadir/regtest
    assert_equal(proxy.getblockcount(), 101)
    tip = proxy.getbestblockhash()
    assert_equal(b2lx(tip), node.rpc("getbestblockhash"))
    # Blocks come back raw and are decoded by python-bitcoinlib's parser.
    first = proxy.getblockhash(1)
    block = proxy.getblock(first)
    assert_equal(block.GetHash(), first)
    assert_equal(block.calc_merkle_root(), block.hashMerkleRoot)
    assert block.vtx[0].is_coinbase(), "first transaction is not a coinbase"
    header = proxy.getblockheader(first)
    assert_equal(header.GetHash(), first)
    cb = block.vtx[0]
    tx = proxy.getrawtransaction(cb.GetTxid(), block_hash=first)
    assert_equal(tx.GetTxid(), cb.GetTxid())
    out = proxy.gettxout(COutPoint(cb.GetTxid(), 0))
    assert_equal((out["txout"].nValue, out["confirmations"]), (50 * COIN, 101))
    # A transaction it builds and serializes itself is accepted and relayed.
    spend = spend_p2wsh_op_true(cb.GetTxid(), 50 * COIN)
    txid = proxy.sendrawtransaction(spend)
    assert_equal(txid, spend.GetTxid())
    assert_in(txid, proxy.getrawmempool())
    back = proxy.getrawtransaction(txid)
    assert_equal(back.serialize(), spend.serialize())
    new = proxy.gettxout(COutPoint(txid, 0))
    assert_equal((new["txout"].nValue, new["confirmations"]), (50 * COIN - tt.FEE, 0))
    # Spent in the mempool: gettxout says not found, as Core.
    try:
        proxy.gettxout(COutPoint(cb.GetTxid(), 0))
        raise fw.TestFailure("gettxout returned a coin spent in the mempool")
    except IndexError:
        pass
    # Errors map to the library's exceptions by Core's codes.
    try:
        proxy.getblock(lx("00" * 32))
        raise fw.TestFailure("getblock of an unknown hash did not raise")
    except IndexError as e:
        assert_in("(-5)", str(e))


def test_rpcuser_rpcpassword(t):
    node, by_conf = mined_node(t, "rpcuser=alice", "rpcpassword=s3cret")
    assert not os.path.exists(os.path.join(node.chaindir, ".cookie")), "cookie despite rpcpassword"
    assert_equal(by_conf.getblockcount(), 101)
    url = f"http://alice:s3cret@{fw.LOOPBACK}:{node.rpc_port}"
    assert_equal(bitcoin.rpc.Proxy(service_url=url).getblockcount(), 101)
    wrong = bitcoin.rpc.Proxy(service_url=f"http://alice:nope@{fw.LOOPBACK}:{node.rpc_port}")
    try:
        wrong.getblockcount()
        raise fw.TestFailure("a wrong password was accepted")
    except Exception as e:  # the library reports the 401 its own way
        assert not isinstance(e, fw.TestFailure), str(e)


if __name__ == "__main__":
    fw.main([test_cookie_chain_data_and_submit, test_rpcuser_rpcpassword])
