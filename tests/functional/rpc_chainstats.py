#!/usr/bin/env python3
"""Chain statistics: gettxoutsetinfo (hash_serialized_3, muhash, none),
getblockstats, getchaintxstats and getdeploymentinfo, each checked against
values recomputed here from the blocks themselves (getblock verbosity 2),
with Bitcoin Core's definitions: the UTXO set hashes of
kernel/coinstats.cpp and MuHash3072 (a Python model of Core's
test_framework/crypto/muhash.py), and getblockstats' fee and size rules."""

import hashlib
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

ZERO = "00" * 32
MUHASH_PRIME = 2**3072 - 1103717


def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def chacha20_block(key, counter):
    """RFC 8439 block function with a zero nonce."""
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574] + \
        list(struct.unpack("<8I", key)) + [counter, 0, 0, 0]
    x = list(state)
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            x[a] = (x[a] + x[b]) & 0xFFFFFFFF
            x[d] = _rotl(x[d] ^ x[a], 16)
            x[c] = (x[c] + x[d]) & 0xFFFFFFFF
            x[b] = _rotl(x[b] ^ x[c], 12)
            x[a] = (x[a] + x[b]) & 0xFFFFFFFF
            x[d] = _rotl(x[d] ^ x[a], 8)
            x[c] = (x[c] + x[d]) & 0xFFFFFFFF
            x[b] = _rotl(x[b] ^ x[c], 7)
    return struct.pack("<16I", *((x[i] + state[i]) & 0xFFFFFFFF for i in range(16)))


def muhash(elements):
    """MuHash3072 of a set: the product of each element's ChaCha20 expansion
    modulo the prime, SHA-256 of it in 384 little-endian bytes."""
    acc = 1
    for data in elements:
        key = hashlib.sha256(data).digest()
        num = int.from_bytes(b"".join(chacha20_block(key, i) for i in range(6)), "little")
        acc = acc * num % MUHASH_PRIME
    return hashlib.sha256(acc.to_bytes(384, "little")).digest()[::-1].hex()


def sats(btc):
    return int(round(btc * 10**8))


def utxo_set(node):
    """The coins at the tip from every block: {(txid, n): (value, script, height, coinbase)}."""
    coins = {}
    for height in range(1, node.rpc("getblockcount") + 1):
        block = node.rpc("getblock", node.rpc("getblockhash", height), 2)
        for tx in block["tx"]:
            cb = "coinbase" in tx["vin"][0]
            for vin in tx["vin"]:
                if "coinbase" not in vin:
                    del coins[(vin["txid"], vin["vout"])]
            for out in tx["vout"]:
                script = bytes.fromhex(out["scriptPubKey"]["hex"])
                if (script[:1] == b"\x6a") or len(script) > 10000:
                    continue  # unspendable: never in the set
                coins[(tx["txid"], out["n"])] = (sats(out["value"]), script, height, cb)
    return coins


def coin_ser(key, coin):
    """Core's TxOutSer: outpoint, height * 2 + coinbase, output."""
    (txid, n), (value, script, height, cb) = key, coin
    return bytes.fromhex(txid)[::-1] + struct.pack("<II", n, height * 2 + cb) + \
        struct.pack("<q", value) + tt.varbytes(script)


def mine_with_spends(node):
    """110 blocks to P2WSH(OP_TRUE); then a block with three spends of
    different fees (one with an OP_RETURN output), so fees and the UTXO set
    have something to show."""
    hashes = node.rpc("generatetoaddress", 110, tt.P2WSH_OP_TRUE_ADDR)
    txids = []
    for i, fee in enumerate((1000, 5000, 20000)):
        cb = node.rpc("getblock", hashes[i], 2)["tx"][0]
        value = sats(cb["vout"][0]["value"])
        vout = [(value - fee - 1000, tt.P2WSH_OP_TRUE)]
        if i == 2:
            vout.append((0, b"\x6a\x04data"))
        else:
            vout.append((1000, tt.P2WSH_OP_TRUE))
        raw = tt.ser_tx(2, [(cb["txid"], 0, b"", 0xFFFFFFFD)], vout, witness=[[tt.OP_TRUE]])
        txids.append(node.rpc("sendrawtransaction", raw.hex()))
    node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(node.rpc("getmempoolinfo")["size"], 0)
    return txids


def test_gettxoutsetinfo(t):
    node = t.add_node().start()
    empty = node.rpc("gettxoutsetinfo")
    fw.assert_equal(empty["height"], 0)
    fw.assert_equal(empty["txouts"], 0)
    fw.assert_equal(empty["total_amount"], 0)
    # SHA256d of nothing.
    fw.assert_equal(empty["hash_serialized_3"], tt.sha256d(b"")[::-1].hex())
    fw.assert_equal(node.rpc("gettxoutsetinfo", "muhash")["muhash"], muhash([]))

    mine_with_spends(node)
    coins = utxo_set(node)
    keys = sorted(coins, key=lambda k: (bytes.fromhex(k[0])[::-1], k[1]))
    info = node.rpc("gettxoutsetinfo")
    fw.assert_equal(list(info), ["height", "bestblock", "txouts", "bogosize", "hash_serialized_3",
                                 "total_amount", "transactions", "disk_size"])
    fw.assert_equal(info["height"], 111)
    fw.assert_equal(info["bestblock"], node.rpc("getbestblockhash"))
    fw.assert_equal(info["txouts"], len(coins))
    fw.assert_equal(info["transactions"], len({k[0] for k in coins}))
    fw.assert_equal(sats(info["total_amount"]), sum(c[0] for c in coins.values()))
    fw.assert_equal(info["bogosize"], sum(50 + len(c[1]) for c in coins.values()))
    want = tt.sha256d(b"".join(coin_ser(k, coins[k]) for k in keys))[::-1].hex()
    fw.assert_equal(info["hash_serialized_3"], want, "hash_serialized_3")
    mu = node.rpc("gettxoutsetinfo", "muhash")
    fw.assert_equal(mu["muhash"], muhash(coin_ser(k, coins[k]) for k in keys), "muhash")
    fw.assert_equal("hash_serialized_3" in mu, False)
    none = node.rpc("gettxoutsetinfo", "none")
    fw.assert_equal("muhash" in none or "hash_serialized_3" in none, False)
    fw.assert_equal(none["txouts"], info["txouts"])
    # Named arguments, and Core's errors.
    fw.assert_equal(node.rpc("gettxoutsetinfo", "muhash", None, False)["muhash"], mu["muhash"])
    fw.assert_raises_rpc_error(-8, "'sha256' is not a valid hash_type", node.rpc,
                               "gettxoutsetinfo", "sha256")
    fw.assert_raises_rpc_error(-8, "Querying specific block heights requires coinstatsindex",
                               node.rpc, "gettxoutsetinfo", "muhash", 5)
    fw.assert_raises_rpc_error(-3, None, node.rpc, "gettxoutsetinfo", 1)

    # The set follows a reorg: invalidating the last block brings back the
    # coins it spent (and the hash they had).
    before = node.rpc("gettxoutsetinfo", "muhash")
    node.rpc("invalidateblock", node.rpc("getbestblockhash"))
    node.rpc("reconsiderblock", before["bestblock"])
    fw.assert_equal(node.rpc("gettxoutsetinfo", "muhash")["muhash"], before["muhash"])
    # The set survives a restart with the same hash.
    node.stop()
    node.start()
    fw.assert_equal(node.rpc("gettxoutsetinfo")["hash_serialized_3"], want)


def all_outputs(node):
    """Every output of the active chain: {(txid, n): vout entry}."""
    outs = {}
    for height in range(node.rpc("getblockcount") + 1):
        for tx in node.rpc("getblock", node.rpc("getblockhash", height), 2)["tx"]:
            for out in tx["vout"]:
                outs[(tx["txid"], out["n"])] = out
    return outs


def expected_stats(node, blockhash):
    """getblockstats recomputed from the block and the coins it spent."""
    block = node.rpc("getblock", blockhash, 2)
    outputs = all_outputs(node)
    fees, sizes, rates = [], [], []
    s = dict(ins=0, outs=0, total_out=0, total_size=0, total_weight=0, swtxs=0,
             swtotal_size=0, swtotal_weight=0, utxo_size_inc=0, utxo_size_inc_actual=0)
    utxos = 0
    for tx in block["tx"]:
        s["outs"] += len(tx["vout"])
        out_total = 0
        for out in tx["vout"]:
            script = bytes.fromhex(out["scriptPubKey"]["hex"])
            size = 8 + len(tt.compact(len(script))) + len(script) + 41
            out_total += sats(out["value"])
            s["utxo_size_inc"] += size
            if script[:1] != b"\x6a":
                utxos += 1
                s["utxo_size_inc_actual"] += size
        if "coinbase" in tx["vin"][0]:
            continue
        value_in = 0
        for vin in tx["vin"]:
            prev = outputs[(vin["txid"], vin["vout"])]
            script = bytes.fromhex(prev["scriptPubKey"]["hex"])
            value_in += sats(prev["value"])
            size = 8 + len(tt.compact(len(script))) + len(script) + 41
            s["utxo_size_inc"] -= size
            s["utxo_size_inc_actual"] -= size
        fee = value_in - out_total
        s["ins"] += len(tx["vin"])
        s["total_out"] += out_total
        s["total_size"] += tx["size"]
        s["total_weight"] += tx["weight"]
        if any("txinwitness" in vin for vin in tx["vin"]):
            s["swtxs"] += 1
            s["swtotal_size"] += tx["size"]
            s["swtotal_weight"] += tx["weight"]
        fees.append(fee)
        sizes.append(tx["size"])
        rates.append((fee * 4 // tx["weight"], tx["weight"]))
    n = len(fees)
    s["totalfee"] = sum(fees)
    s["txs"] = len(block["tx"])
    s["avgfee"] = s["totalfee"] // n if n else 0
    s["avgfeerate"] = s["totalfee"] * 4 // s["total_weight"] if s["total_weight"] else 0
    s["maxfee"], s["minfee"] = (max(fees), min(fees)) if n else (0, 0)
    s["maxfeerate"] = max(r for r, _ in rates) if n else 0
    s["minfeerate"] = min(r for r, _ in rates) if n else 0
    s["utxo_increase"] = s["outs"] - s["ins"]
    s["utxo_increase_actual"] = utxos - s["ins"]
    s["subsidy"] = 50 * 10**8
    s["height"] = block["height"]
    s["blockhash"] = blockhash
    s["time"] = block["time"]
    s["mediantime"] = block["mediantime"]
    return s, sorted(fees), sorted(sizes), sorted(rates)


def test_getblockstats(t):
    node = t.add_node().start()
    mine_with_spends(node)
    tip = node.rpc("getbestblockhash")
    stats = node.rpc("getblockstats", tip)
    want, fees, sizes, rates = expected_stats(node, tip)
    for key, value in want.items():
        fw.assert_equal(stats[key], value, key)
    fw.assert_equal(stats["medianfee"], fees[1])
    fw.assert_equal(stats["mediantxsize"], sizes[1])
    fw.assert_equal(stats["mintxsize"], sizes[0])
    fw.assert_equal(stats["maxtxsize"], sizes[-1])
    fw.assert_equal(stats["avgtxsize"], want["total_size"] // 3)
    # Percentiles by weight: the three spends weigh about the same, so the
    # 10th and 25th percentile are the lowest feerate, the 90th the highest.
    fw.assert_equal(stats["feerate_percentiles"][0], rates[0][0])
    fw.assert_equal(stats["feerate_percentiles"][4], rates[-1][0])
    fw.assert_equal(sorted(stats), sorted(list(want) + [
        "medianfee", "mediantxsize", "mintxsize", "maxtxsize", "avgtxsize",
        "feerate_percentiles"]))
    # By height, filtered (sorted as Core's std::set), and errors.
    fw.assert_equal(node.rpc("getblockstats", 111, ["txs", "minfee", "txs"]),
                    {"minfee": want["minfee"], "txs": 4})
    fw.assert_equal(node.rpc("getblockstats", 111), stats)
    genesis = node.rpc("getblockstats", 0)
    fw.assert_equal((genesis["txs"], genesis["ins"], genesis["utxo_increase_actual"]), (1, 0, 0))
    fw.assert_equal(node.rpc("getblockstats", 5)["totalfee"], 0)
    fw.assert_raises_rpc_error(-8, "Invalid selected statistic 'nope'", node.rpc,
                               "getblockstats", 111, ["nope"])
    fw.assert_raises_rpc_error(-8, "Target block height 112 after current tip 111", node.rpc,
                               "getblockstats", 112)
    fw.assert_raises_rpc_error(-8, "Target block height -1 is negative", node.rpc,
                               "getblockstats", -1)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "getblockstats", ZERO)
    fw.assert_raises_rpc_error(-8, "must be of length 64", node.rpc, "getblockstats", "00")


def test_getchaintxstats(t):
    node = t.add_node().start()
    mine_with_spends(node)
    tip = node.rpc("getblockheader", node.rpc("getbestblockhash"))
    s = node.rpc("getchaintxstats")
    # 111 coinbases, 3 spends; the default window is the whole chain but
    # genesis and the first block (one month is longer).
    fw.assert_equal(s["txcount"], 1 + 111 + 3)
    fw.assert_equal(s["window_final_block_hash"], tip["hash"])
    fw.assert_equal(s["window_final_block_height"], 111)
    fw.assert_equal(s["window_block_count"], 110)
    first = node.rpc("getblockheader", node.rpc("getblockhash", 1))
    fw.assert_equal(s["window_interval"], tip["mediantime"] - first["mediantime"])
    fw.assert_equal(s["window_tx_count"], 113)
    if s["window_interval"] > 0:
        fw.assert_equal(abs(s["txrate"] - 113 / s["window_interval"]) < 1e-9, True)
    at = node.rpc("getchaintxstats", 10, node.rpc("getblockhash", 50))
    fw.assert_equal((at["txcount"], at["window_block_count"], at["window_tx_count"]), (51, 10, 10))
    zero = node.rpc("getchaintxstats", 0)
    fw.assert_equal("window_interval" in zero or "txrate" in zero, False)
    fw.assert_raises_rpc_error(-8, "Invalid block count: should be between 0 and the block's "
                               "height - 1", node.rpc, "getchaintxstats", 111)
    fw.assert_raises_rpc_error(-8, "Invalid block count", node.rpc, "getchaintxstats", -1)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "getchaintxstats", 1, ZERO)
    # A block off the main chain is refused.
    node.rpc("invalidateblock", tip["hash"])
    # Another output script, so the new block is not the invalidated one.
    node.rpc("generatetodescriptor", 1, tt.descsum_create("raw(51)"))
    fw.assert_raises_rpc_error(-8, "Block is not in main chain", node.rpc, "getchaintxstats", 1,
                               tip["hash"])
    # The count follows the new chain: the spends went back to the mempool
    # and into the replacement block.
    fw.assert_equal(node.rpc("getchaintxstats")["txcount"], 1 + 111 + 3)


# Bitcoin Core's feature_utxo_set_hash.py: MiniWallet's P2TR(OP_TRUE)
# address, node 0's deterministic P2PKH address (test_node.py PRIV_KEYS[0])
# and the hashes Core reports for the chain that test builds.
# bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka
CORE_P2TR_OP_TRUE = bytes.fromhex(
    "5120" "2913b252fe537830f843bfdc5fa7d20ba48639a87c86ff837b92d083c55ad7c1")
# mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z
CORE_NODE0_P2PKH = bytes.fromhex("76a914" "2b4569203694fc997e13f2c0a1383b9e16c77a0d" "88ac")
CORE_HASH_SERIALIZED_3 = "396058cfd7f3b4c05dcdfaf360be9986d859d2c8315082d3aadda6d2d16add25"
CORE_MUHASH = "97f341d4226cb4451dd9da2856759fb97659cfc238a0b8d5452e64af6032bd3d"


def core_coinbase(height, script, wtxids):
    """A coinbase as Core's miner writes it: the height (and OP_0 up to
    height 16, for the 2-byte minimum), nSequence 0xfffffffe, nLockTime
    height - 1, 50 BTC (generateblock claims no fees), then the BIP141
    commitment. Returns (legacy bytes, witness bytes)."""
    level = [b"\x00" * 32] + wtxids
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [tt.sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    commit = b"\x6a\x24\xaa\x21\xa9\xed" + tt.sha256d(level[0] + b"\x00" * 32)
    sig = tt.script_num(height) + (b"\x00" if height <= 16 else b"")
    args = (2, [(ZERO, 0xFFFFFFFF, sig, 0xFFFFFFFE)], [(50 * 10**8, script), (0, commit)])
    return (tt.ser_tx(*args, locktime=height - 1),
            tt.ser_tx(*args, locktime=height - 1, witness=[[b"\x00" * 32]]))


def test_core_utxo_hashes(t):
    """The chain of Core's feature_utxo_set_hash.py, block by block: one
    block to MiniWallet, 99 to node 0's address, then generateblock with
    MiniWallet's self-transfer of the first coinbase (fee 0.000312 BTC, its
    taproot script-path witness). gettxoutsetinfo must give Core's hashes."""
    node = t.add_node().start()
    prev = node.rpc("getblockhash", 0)
    when = node.rpc("getblockheader", prev)["time"] + 1
    first_coinbase = None
    for height in range(1, 102):
        txs = []
        if height == 101:
            vin = [(first_coinbase, 0, b"", 0)]
            vout = [(50 * 10**8 - 31200, CORE_P2TR_OP_TRUE)]
            control = bytes([0xC0]) + (1).to_bytes(32, "big")
            txs.append((tt.ser_tx(2, vin, vout), tt.ser_tx(2, vin, vout, witness=[[b"\x51", control]])))
        script = CORE_NODE0_P2PKH if 1 < height < 101 else CORE_P2TR_OP_TRUE
        cb = core_coinbase(height, script, [tt.sha256d(full) for _, full in txs])
        if height == 1:
            first_coinbase = tt.txid_of(cb[0])
        txs.insert(0, cb)
        root = tt.merkle_root([tt.txid_of(legacy) for legacy, _ in txs])
        h, header = tt.mine_header(prev, root, when + height)
        raw = header + tt.compact(len(txs)) + b"".join(full for _, full in txs)
        fw.assert_equal(node.rpc("submitblock", raw.hex()), None, f"block {height}")
        prev = h
    fw.assert_equal(node.rpc("getblockcount"), 101)
    fw.assert_equal(node.rpc("gettxoutsetinfo")["hash_serialized_3"], CORE_HASH_SERIALIZED_3)
    fw.assert_equal(node.rpc("gettxoutsetinfo", "muhash")["muhash"], CORE_MUHASH)


def test_getdeploymentinfo(t):
    node = t.add_node().start()
    info = node.rpc("getdeploymentinfo")
    fw.assert_equal(info["height"], 0)
    fw.assert_equal(info["hash"], node.rpc("getblockhash", 0))
    deps = info["deployments"]
    # Core's regtest heights: bip34 at 1, bip66 at 1, bip65 at 1, csv at 1,
    # segwit at 0; active from the block before.
    fw.assert_equal(deps["bip34"], {"type": "buried", "active": True, "height": 1})
    fw.assert_equal(deps["segwit"], {"type": "buried", "active": True, "height": 0})
    for name in ("bip66", "bip65", "csv"):
        fw.assert_equal(deps[name]["type"], "buried", name)
    fw.assert_equal(deps["taproot"]["type"], "bip9")
    fw.assert_equal(deps["taproot"]["active"], True)
    fw.assert_equal(deps["taproot"]["bip9"]["status"], "active")
    h = node.rpc("generatetoaddress", 2, tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal(node.rpc("getdeploymentinfo", h[0])["height"], 1)
    fw.assert_raises_rpc_error(-5, "Block not found", node.rpc, "getdeploymentinfo", ZERO)


if __name__ == "__main__":
    fw.main([test_gettxoutsetinfo, test_core_utxo_hashes, test_getblockstats,
             test_getchaintxstats, test_getdeploymentinfo])
