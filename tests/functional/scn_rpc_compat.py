#!/usr/bin/env python3
"""RPC compatibility: the results of the common methods, as a
python-bitcoinrpc client sees them (amounts parsed as Decimal), have the
keys and JSON types Bitcoin Core documents for them (its RPC help, and the
result structs of client libraries such as rust-bitcoincore-rpc).

A shape is a dict {key: type}; a key ending in "?" may be absent. Types:
INT (an integer, not a bool), NUM (any number), AMOUNT (a number with a
fraction, as Core writes amounts: Decimal here), HEX64, HEX, STR, BOOL,
[shape] (a list of those), or a nested dict."""

import decimal
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import rpc_interface as ri  # noqa: E402
import txtools as tt  # noqa: E402

INT, NUM, AMOUNT, HEX64, HEX, STR, BOOL = "int", "num", "amount", "hex64", "hex", "str", "bool"


def _is_hex(v):
    return isinstance(v, str) and len(v) % 2 == 0 and all(c in "0123456789abcdef" for c in v)


_CHECKS = {
    INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    NUM: lambda v: isinstance(v, (int, decimal.Decimal)) and not isinstance(v, bool),
    AMOUNT: lambda v: isinstance(v, decimal.Decimal),
    HEX64: lambda v: _is_hex(v) and len(v) == 64,
    HEX: _is_hex,
    STR: lambda v: isinstance(v, str),
    BOOL: lambda v: isinstance(v, bool),
}


def check(value, shape, where):
    """Fails with the path of the first key or value that does not fit."""
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise fw.TestFailure(f"{where}: {value!r} is not a list")
        for i, item in enumerate(value):
            check(item, shape[0], f"{where}[{i}]")
    elif isinstance(shape, dict):
        if not isinstance(value, dict):
            raise fw.TestFailure(f"{where}: {value!r} is not an object")
        for key, sub in shape.items():
            name = key.rstrip("?")
            if name in value:
                check(value[name], sub, f"{where}.{name}")
            elif not key.endswith("?"):
                raise fw.TestFailure(f"{where}: no key {name!r} (has {sorted(value)})")
    elif not _CHECKS[shape](value):
        raise fw.TestFailure(f"{where}: {value!r} is not {shape}")


BLOCKCHAININFO = {"chain": STR, "blocks": INT, "headers": INT, "bestblockhash": HEX64,
                  "difficulty": NUM, "time": INT, "mediantime": INT,
                  "verificationprogress": NUM, "initialblockdownload": BOOL,
                  "chainwork": HEX64, "size_on_disk": INT, "pruned": BOOL,
                  "warnings": [STR], "bits?": HEX, "target?": HEX64}
HEADER = {"hash": HEX64, "confirmations": INT, "height": INT, "version": INT,
          "versionHex": HEX, "merkleroot": HEX64, "time": INT, "mediantime": INT,
          "nonce": INT, "bits": HEX, "difficulty": NUM, "chainwork": HEX64, "nTx": INT,
          "previousblockhash?": HEX64, "nextblockhash?": HEX64, "target?": HEX64}
BLOCK = dict(HEADER, size=INT, strippedsize=INT, weight=INT, tx=[HEX64])
SCRIPT_PUBKEY = {"asm": STR, "hex": HEX, "type": STR, "desc?": STR, "address?": STR}
VIN = {"txid?": HEX64, "vout?": INT, "scriptSig?": {"asm": STR, "hex": HEX},
       "coinbase?": HEX, "txinwitness?": [HEX], "sequence": INT}
VOUT = {"value": AMOUNT, "n": INT, "scriptPubKey": SCRIPT_PUBKEY}
DECODED_TX = {"txid": HEX64, "hash": HEX64, "version": INT, "size": INT, "vsize": INT,
              "weight": INT, "locktime": INT, "vin": [VIN], "vout": [VOUT]}
BLOCK2 = dict(BLOCK, tx=[dict(DECODED_TX, **{"fee?": AMOUNT, "hex?": HEX})])
RAWTX_VERBOSE = dict(DECODED_TX, hex=HEX, **{"blockhash?": HEX64, "confirmations?": INT,
                                             "time?": INT, "blocktime?": INT,
                                             "in_active_chain?": BOOL})
MEMPOOLINFO = {"loaded": BOOL, "size": INT, "bytes": INT, "usage": INT, "total_fee": AMOUNT,
               "maxmempool": INT, "mempoolminfee": AMOUNT, "minrelaytxfee": AMOUNT,
               "incrementalrelayfee?": AMOUNT, "unbroadcastcount?": INT, "fullrbf?": BOOL}
MEMPOOLENTRY = {"vsize": INT, "weight": INT, "time": INT, "height": INT,
                "descendantcount": INT, "descendantsize": INT, "ancestorcount": INT,
                "ancestorsize": INT, "wtxid": HEX64,
                "fees": {"base": AMOUNT, "modified": AMOUNT, "ancestor": AMOUNT,
                         "descendant": AMOUNT},
                "depends": [HEX64], "spentby": [HEX64], "bip125-replaceable": BOOL,
                "unbroadcast?": BOOL}
ACCEPT = {"txid": HEX64, "wtxid": HEX64, "allowed": BOOL, "vsize?": INT,
          "fees?": {"base": AMOUNT, "effective-feerate?": AMOUNT, "effective-includes?": [HEX]},
          "reject-reason?": STR}
CHAINTIP = {"height": INT, "hash": HEX64, "branchlen": INT, "status": STR}
MININGINFO = {"blocks": INT, "difficulty": NUM, "networkhashps": NUM, "pooledtx": INT,
              "chain": STR, "warnings": [STR], "currentblockweight?": INT,
              "currentblocktx?": INT, "bits?": HEX, "target?": HEX64}
RPCINFO = {"active_commands": [{"method": STR, "duration": INT}], "logpath": STR}


def test_result_shapes(t):
    node = t.add_node().start()
    rpc = ri.cookie_proxy(node)
    addr = tt.P2WSH_OP_TRUE_ADDR
    hashes = rpc.call("generatetoaddress", 101, addr)
    check(hashes, [HEX64], "generatetoaddress")
    coinbase = rpc.call("getblock", hashes[0])["tx"][0]
    raw = tt.spend(coinbase, 0, 50 * 10**8)
    accept = rpc.call("testmempoolaccept", [raw])
    check(accept, [ACCEPT], "testmempoolaccept")
    fw.assert_equal(accept[0]["allowed"], True, "allowed")
    check(rpc.call("testmempoolaccept", [tt.spend("11" * 32, 0, 10**8)]), [ACCEPT],
          "testmempoolaccept (rejected)")
    txid = rpc.call("sendrawtransaction", raw)
    check(txid, HEX64, "sendrawtransaction")

    # Mempool views.
    check(rpc.call("getmempoolinfo"), MEMPOOLINFO, "getmempoolinfo")
    check(rpc.call("getrawmempool"), [HEX64], "getrawmempool")
    verbose = rpc.call("getrawmempool", True)
    fw.assert_equal(list(verbose), [txid], "getrawmempool verbose keys")
    check(verbose[txid], MEMPOOLENTRY, "getrawmempool verbose")
    check(rpc.call("getrawmempool", False, True),
          {"txids": [HEX64], "mempool_sequence": INT}, "getrawmempool mempool_sequence")
    check(rpc.call("getmempoolentry", txid), MEMPOOLENTRY, "getmempoolentry")
    check(rpc.call("getrawtransaction", txid), HEX, "getrawtransaction")
    check(rpc.call("getrawtransaction", txid, True), RAWTX_VERBOSE, "getrawtransaction 1")
    check(rpc.call("decoderawtransaction", raw), DECODED_TX, "decoderawtransaction")
    check(rpc.call("getmininginfo"), MININGINFO, "getmininginfo")

    # Blocks, with the transaction confirmed.
    gen = rpc.call("generateblock", addr, [txid])
    check(gen, {"hash": HEX64}, "generateblock")
    check(rpc.call("getblockchaininfo"), BLOCKCHAININFO, "getblockchaininfo")
    check(rpc.call("getblockcount"), INT, "getblockcount")
    check(rpc.call("getbestblockhash"), HEX64, "getbestblockhash")
    check(rpc.call("getblockhash", 1), HEX64, "getblockhash")
    check(rpc.call("getdifficulty"), NUM, "getdifficulty")
    check(rpc.call("getblock", gen["hash"], 0), HEX, "getblock 0")
    check(rpc.call("getblock", gen["hash"]), BLOCK, "getblock 1")
    check(rpc.call("getblock", gen["hash"], 2), BLOCK2, "getblock 2")
    check(rpc.call("getblock", hashes[50]), BLOCK, "getblock inside the chain")
    header = rpc.call("getblockheader", gen["hash"], False)
    check(header, HEX, "getblockheader false")
    fw.assert_equal(len(header), 160, "header hex length")
    check(rpc.call("getblockheader", gen["hash"]), HEADER, "getblockheader")
    check(rpc.call("getrawtransaction", txid, True, gen["hash"]),
          dict(RAWTX_VERBOSE, blockhash=HEX64, confirmations=INT, in_active_chain=BOOL),
          "getrawtransaction in a block")
    check(rpc.call("getchaintips"), [CHAINTIP], "getchaintips")
    fw.assert_equal(rpc.call("submitblock", rpc.call("getblock", gen["hash"], 0)), "duplicate",
                    "submitblock of a known block")

    # Control.
    check(rpc.call("uptime"), INT, "uptime")
    check(rpc.call("getrpcinfo"), RPCINFO, "getrpcinfo")
    check(rpc.call("help"), STR, "help")
    rpc.close()
    fw.assert_equal(node.stop(), 0)


if __name__ == "__main__":
    fw.main([test_result_shapes], timeout=90)
