#!/usr/bin/env python3
"""Signed spends across a 3-node network (Python standard library, with
libsecp256k1 through ctypes for the signatures): a P2PKH spend (legacy
sighash, ECDSA), a P2WPKH spend (BIP143, ECDSA) and a P2TR key-path spend
(BIP341, Schnorr with the tweaked key) are accepted and reach every node;
the same spends with one signature byte changed are refused by every node
with Bitcoin Core v30's reason, never announced, and the raw peer that
sent one stays connected. OP_TRUE spends keep working, and the block
that confirms the signed spends connects on every node."""
import ctypes
import ctypes.util
import hashlib
import struct
import time

import framework as fw
import p2p_hostile as raw
import relay_lib as rl
import txtools as tt

COIN = 10**8
FEE = 20000
NULLFAIL = ("mempool-script-verify-flag-failed (Signature must be zero for failed "
            "CHECK(MULTI)SIG operation)")
BAD_SCHNORR = "mempool-script-verify-flag-failed (Invalid Schnorr signature)"


class Secp256k1:
    """The few libsecp256k1 calls a signer needs."""
    CONTEXT_SIGN = (1 << 0) | (1 << 9)
    EC_COMPRESSED = (1 << 1) | (1 << 8)

    def __init__(self):
        path = ctypes.util.find_library("secp256k1") or "libsecp256k1.so.1"
        self.lib = ctypes.CDLL(path)
        self.lib.secp256k1_context_create.restype = ctypes.c_void_p
        self.ctx = ctypes.c_void_p(self.lib.secp256k1_context_create(self.CONTEXT_SIGN))

    def _call(self, name, *args):
        if getattr(self.lib, name)(self.ctx, *args) != 1:
            raise fw.TestFailure(f"secp256k1: {name} failed")

    def pubkey(self, seckey):
        pub = ctypes.create_string_buffer(64)
        self._call("secp256k1_ec_pubkey_create", pub, seckey)
        out = ctypes.create_string_buffer(33)
        n = ctypes.c_size_t(33)
        self._call("secp256k1_ec_pubkey_serialize", out, ctypes.byref(n), pub,
                   ctypes.c_uint(self.EC_COMPRESSED))
        return out.raw[:n.value]

    def sign_ecdsa(self, seckey, msg32):
        """DER signature (low S, as libsecp256k1 makes them)."""
        sig = ctypes.create_string_buffer(64)
        self._call("secp256k1_ecdsa_sign", sig, msg32, seckey, None, None)
        out = ctypes.create_string_buffer(72)
        n = ctypes.c_size_t(72)
        self._call("secp256k1_ecdsa_signature_serialize_der", out, ctypes.byref(n), sig)
        return out.raw[:n.value]

    def _keypair(self, seckey):
        kp = ctypes.create_string_buffer(96)
        self._call("secp256k1_keypair_create", kp, seckey)
        return kp

    def _xonly(self, kp):
        xo = ctypes.create_string_buffer(64)
        self._call("secp256k1_keypair_xonly_pub", xo, None, kp)
        out = ctypes.create_string_buffer(32)
        self._call("secp256k1_xonly_pubkey_serialize", out, xo)
        return out.raw

    def taproot_keypair(self, seckey):
        """BIP341 key path without scripts: the internal key tweaked by
        H_TapTweak(internal). Returns (tweaked keypair, output key)."""
        kp = self._keypair(seckey)
        tweak = tagged_hash("TapTweak", self._xonly(kp))
        self._call("secp256k1_keypair_xonly_tweak_add", kp, tweak)
        return kp, self._xonly(kp)

    def sign_schnorr(self, keypair, msg32):
        sig = ctypes.create_string_buffer(64)
        self._call("secp256k1_schnorrsig_sign32", sig, msg32, keypair, bytes(32))
        return sig.raw


def sha256(b):
    return hashlib.sha256(b).digest()


def hash160(b):
    return hashlib.new("ripemd160", sha256(b)).digest()


def tagged_hash(tag, msg):
    t = sha256(tag.encode())
    return sha256(t + t + msg)


# ---- addresses (regtest) ----

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(payload):
    data = payload + tt.sha256d(payload)[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def segwit_address(hrp, version, program):
    """BIP173 (version 0) or BIP350 bech32m (version 1+)."""
    data, acc, bits = [version], 0, 0
    for b in program:
        acc, bits = (acc << 8) | b, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if version == 0 else 0x2BC830A3
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = bech32_polymod(expanded + data + [0] * 6) ^ const
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data + checksum)


# ---- signature hashes ----

def ser_outpoint(txid, n):
    return bytes.fromhex(txid)[::-1] + struct.pack("<I", n)


def ser_outputs(vout):
    return b"".join(struct.pack("<q", v) + tt.varbytes(s) for v, s in vout)


def sighash_legacy(vin, vout, index, script_code, version=2, locktime=0):
    """SIGHASH_ALL: the spent script in the signed input, others empty."""
    ins = [(t, n, script_code if i == index else b"", seq)
           for i, (t, n, _, seq) in enumerate(vin)]
    body = tt.ser_tx(version, ins, vout, locktime)
    return tt.sha256d(body + struct.pack("<I", 1))


def sighash_bip143(vin, vout, index, script_code, amount, version=2, locktime=0):
    prevouts = b"".join(ser_outpoint(t, n) for t, n, _, _ in vin)
    sequences = b"".join(struct.pack("<I", seq) for _, _, _, seq in vin)
    t, n, _, seq = vin[index]
    pre = (struct.pack("<i", version) + tt.sha256d(prevouts) + tt.sha256d(sequences)
           + ser_outpoint(t, n) + tt.varbytes(script_code) + struct.pack("<q", amount)
           + struct.pack("<I", seq) + tt.sha256d(ser_outputs(vout))
           + struct.pack("<I", locktime) + struct.pack("<I", 1))
    return tt.sha256d(pre)


def sighash_taproot(vin, vout, index, spent, version=2, locktime=0):
    """BIP341 key path, SIGHASH_DEFAULT, no annex; spent: [(amount, script)]."""
    msg = (b"\x00" + struct.pack("<i", version) + struct.pack("<I", locktime)
           + sha256(b"".join(ser_outpoint(t, n) for t, n, _, _ in vin))
           + sha256(b"".join(struct.pack("<q", v) for v, _ in spent))
           + sha256(b"".join(tt.varbytes(s) for _, s in spent))
           + sha256(b"".join(struct.pack("<I", seq) for _, _, _, seq in vin))
           + sha256(ser_outputs(vout)) + b"\x00" + struct.pack("<I", index))
    return tagged_hash("TapSighash", b"\x00" + msg)


# ---- the three signed spends ----

class Wallet:
    def __init__(self):
        self.secp = Secp256k1()
        self.k_pkh = sha256(b"hearsay p2pkh key")
        self.k_wpkh = sha256(b"hearsay p2wpkh key")
        self.k_tr = sha256(b"hearsay p2tr key")
        self.pub_pkh = self.secp.pubkey(self.k_pkh)
        self.pub_wpkh = self.secp.pubkey(self.k_wpkh)
        self.tr_keypair, self.tr_output = self.secp.taproot_keypair(self.k_tr)
        h_pkh, h_wpkh = hash160(self.pub_pkh), hash160(self.pub_wpkh)
        self.spk_pkh = b"\x76\xa9\x14" + h_pkh + b"\x88\xac"
        self.spk_wpkh = b"\x00\x14" + h_wpkh
        self.spk_tr = b"\x51\x20" + self.tr_output
        self.addr = {"p2pkh": base58check(b"\x6f" + h_pkh),
                     "p2wpkh": segwit_address("bcrt", 0, h_wpkh),
                     "p2tr": segwit_address("bcrt", 1, self.tr_output)}

    def spend(self, kind, txid, amount, corrupt=False):
        """(raw hex, txid, wtxid) spending txid:0 to P2WSH(OP_TRUE); with
        corrupt, one byte of the signature is changed after signing."""
        vin = [(txid, 0, b"", 0xFFFFFFFD)]
        vout = [(amount - FEE, tt.P2WSH_OP_TRUE)]

        def bad(sig, at):
            return sig[:at] + bytes([sig[at] ^ 0x01]) + sig[at + 1:] if corrupt else sig
        witness = None
        if kind == "p2pkh":
            sig = self.secp.sign_ecdsa(self.k_pkh, sighash_legacy(vin, vout, 0, self.spk_pkh))
            script_sig = tt.varbytes(bad(sig, 10) + b"\x01") + tt.varbytes(self.pub_pkh)
            vin = [(txid, 0, script_sig, 0xFFFFFFFD)]
        elif kind == "p2wpkh":
            code = b"\x76\xa9\x14" + hash160(self.pub_wpkh) + b"\x88\xac"
            sig = self.secp.sign_ecdsa(self.k_wpkh, sighash_bip143(vin, vout, 0, code, amount))
            witness = [[bad(sig, 10) + b"\x01", self.pub_wpkh]]
        else:
            msg = sighash_taproot(vin, vout, 0, [(amount, self.spk_tr)])
            witness = [[bad(self.secp.sign_schnorr(self.tr_keypair, msg), 5)]]
        full = tt.ser_tx(2, vin, vout, witness=witness)
        legacy = tt.ser_tx(2, vin, vout)
        return full.hex(), tt.txid_of(legacy), tt.sha256d(full)[::-1].hex()


def coinbase_txid(node, block_hash):
    return node.rpc("getblock", block_hash)["tx"][0]


def assert_refused(node, raw_hex, reason):
    got = node.rpc("testmempoolaccept", [raw_hex])[0]
    fw.assert_equal(got["allowed"], False, "testmempoolaccept allowed")
    fw.assert_equal(got["reject-reason"], reason, "reject-reason")
    fw.assert_raises_rpc_error(-26, reason, node.rpc, "sendrawtransaction", raw_hex)


def relay_announced(node, *hashes):
    """Whether the node's relay core pushed a rumor named by one of these
    (rumors are logged under the txid)."""
    log = node.debug_log()
    return any(f"relay: {h} round" in log for h in hashes)


def test_signed_spends(t):
    nodes = rl.start_network(t, 3, rl.ring(3), "-debug=relay", "-debug=mempoolrej")
    w = Wallet()
    miner = nodes[0]
    coins = {}
    for kind in ("p2pkh", "p2wpkh", "p2tr"):
        block = miner.rpc("generatetoaddress", 1, w.addr[kind])[0]
        coins[kind] = coinbase_txid(miner, block)
        fw.assert_equal(miner.rpc("getblock", block, 2)["tx"][0]["vout"][0]["scriptPubKey"]["hex"],
                        getattr(w, "spk_" + kind.replace("p2", "")).hex(), f"{kind} payout")
    opt_block = rl.mine(miner, 100)[0]
    rl.same_tip(nodes)
    value = 50 * COIN

    good = {k: w.spend(k, coins[k], value) for k in coins}
    bad = {k: w.spend(k, coins[k], value, corrupt=True) for k in coins}
    fw.assert_equal(good["p2wpkh"][1], bad["p2wpkh"][1], "a witness change keeps the txid")
    reasons = {"p2pkh": NULLFAIL, "p2wpkh": NULLFAIL, "p2tr": BAD_SCHNORR}

    # Every node refuses the corrupted spends with Core v30's reason.
    for node in nodes:
        for kind, (raw_hex, _, _) in bad.items():
            assert_refused(node, raw_hex, reasons[kind])

    # A raw peer hands node 1 the corrupted spends: refused, logged with
    # their wtxid and reason, the peer neither punished nor disconnected.
    mentions = [sum(nd.debug_log().count(b[2]) for b in bad.values()) for nd in nodes]
    peer = raw.handshake(nodes[1])
    for kind, (raw_hex, _, wtxid) in bad.items():
        peer.sendall(raw.frame("tx", bytes.fromhex(raw_hex)))
        nodes[1].wait_for_log(f"tx {wtxid} rejected from peer=", timeout=10)
        fw.assert_in(reasons[kind], nodes[1].debug_log())
    raw.ping(peer)
    fw.assert_equal("misbehaving" in nodes[1].debug_log(), False, "peer punished")

    # The genuine spends, entered at different nodes, reach every mempool.
    nodes[0].rpc("sendrawtransaction", good["p2pkh"][0])
    nodes[2].rpc("sendrawtransaction", good["p2tr"][0])
    # Same txid as the refused copy: the reject filter holds wtxids.
    peer.sendall(raw.frame("tx", bytes.fromhex(good["p2wpkh"][0])))
    txids = [g[1] for g in good.values()]
    rl.all_have(nodes, txids)
    # OP_TRUE coins still spend as before.
    optrue = tt.spend(coinbase_txid(miner, opt_block), 0, value)
    txids.append(nodes[1].rpc("sendrawtransaction", optrue))
    rl.all_have(nodes, txids)
    raw.ping(peer)
    fw.assert_equal(len(nodes[1].rpc("getpeerinfo")), 3, "peers of node 1 (2 nodes + raw)")

    # Announced: the genuine ones; never the corrupted ones, by anyone.
    fw.wait_until(lambda: any(relay_announced(nd, *good["p2tr"][1:]) for nd in nodes), 10,
                  what="the genuine P2TR spend announced")
    # A witness change keeps the txid, under which rumors are logged: only
    # the corrupted P2PKH spend has its own. The others would show as
    # node 0 or 2 hearing of their wtxid after node 1 got them.
    fw.assert_equal(any(relay_announced(nd, *bad["p2pkh"][1:]) for nd in nodes), False,
                    "corrupted P2PKH spend announced")
    for i in (0, 2):
        fw.assert_equal(sum(nodes[i].debug_log().count(b[2]) for b in bad.values()),
                        mentions[i], f"node {i} heard of a corrupted spend")
    for node in nodes:
        fw.assert_equal(bad["p2pkh"][1] in node.rpc("getrawmempool"), False, "P2PKH in mempool")

    # The block confirming them connects everywhere (scripts verified or
    # found in the execution cache).
    block = rl.mine(miner, 1)[0]
    fw.assert_equal(len(miner.rpc("getblock", block)["tx"]), 5, "block transactions")
    rl.same_tip(nodes)
    for node in nodes:
        fw.assert_equal(node.rpc("getrawmempool"), [], "mempool after the block")
    peer.close()


def test_block_with_bad_signature(t):
    """A block spending a coin with a corrupted signature is invalid with
    Core's reason, the log names the input; the chain stays where it was."""
    node = t.add_node().start()
    w = Wallet()
    block = node.rpc("generatetoaddress", 1, w.addr["p2pkh"])[0]
    coin = coinbase_txid(node, block)
    rl.mine(node, 100)
    tip = node.rpc("getbestblockhash")
    height = node.rpc("getblockcount")
    raw_hex, txid, _ = w.spend("p2pkh", coin, 50 * COIN, corrupt=True)
    hdr = node.rpc("getblockheader", tip)
    _, block_hex = tt.make_block(tip, height + 1, hdr["time"] + 1, [bytes.fromhex(raw_hex)],
                                 extra=b"bad")
    # Consensus flags have no NULLFAIL: the failed CHECKSIG leaves false.
    fw.assert_equal(node.rpc("submitblock", block_hex),
                    "block-script-verify-flag-failed (Script evaluated without error but "
                    "finished with a false/empty top stack element)", "submitblock")
    fw.assert_equal(node.rpc("getbestblockhash"), tip, "tip after the bad block")
    node.wait_for_log(f"input 0 of {txid}", timeout=5)
    # From a peer, such a block costs the peer its connection (Core's
    # MaybePunishNodeForBlock), unlike a bad transaction.
    peer = raw.handshake(node)
    _, block_hex = tt.make_block(tip, height + 1, hdr["time"] + 2, [bytes.fromhex(raw_hex)],
                                 extra=b"bad again")
    peer.sendall(raw.frame("block", bytes.fromhex(block_hex)))
    fw.assert_equal(raw.closed_by_node(peer), True, "peer dropped after a bad block")
    fw.assert_equal(node.rpc("getbestblockhash"), tip, "tip after the peer's bad block")


if __name__ == "__main__":
    fw.main([test_signed_spends, test_block_with_bad_signature], timeout=240)
