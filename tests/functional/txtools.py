"""Transactions and blocks for functional tests, without a wallet
(Python standard library only).

As in Bitcoin Core's functional tests, coins are mined to P2WSH(OP_TRUE):
the output script is 0x0020 || sha256(0x51) and a spend needs no key, only
the witness stack [0x51]. Mine with

    node.rpc("generatetodescriptor", 101, txtools.P2WSH_OP_TRUE_DESC)
    node.rpc("generatetoaddress", 101, txtools.P2WSH_OP_TRUE_ADDR)

then spend a coinbase output (getblock(hash, 2)["tx"][0]) with spend().

    spend(txid, vout, value)           -> raw transaction hex (fee 1000 sat)
    read_compact(b, pos)               -> (compact size at b[pos], next position)
    descsum_create("raw(51)")          -> "raw(51)#<checksum>" (BIP380)
    make_block(prev, height, t, txs)   -> (block hash, raw block hex), PoW done
    mine_header(prev, root, t)         -> (block hash, header bytes), PoW done
"""

import hashlib
import struct

OP_TRUE = b"\x51"
P2WSH_OP_TRUE = b"\x00\x20" + hashlib.sha256(OP_TRUE).digest()
P2WSH_OP_TRUE_HEX = P2WSH_OP_TRUE.hex()
P2WSH_OP_TRUE_ADDR = "bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85"
P2WSH_OP_TRUE_DESC = f"raw({P2WSH_OP_TRUE_HEX})"
FEE = 1000
REGTEST_BITS = 0x207FFFFF


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def compact(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def read_compact(b, pos):
    """The compact size at b[pos]: (value, position after it)."""
    n = b[pos]
    if n < 0xFD:
        return n, pos + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[n]
    return int.from_bytes(b[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def varbytes(b):
    return compact(len(b)) + b


def ser_tx(version, vin, vout, locktime=0, witness=None):
    """vin: [(txid_hex, vout, script_sig, sequence)], vout: [(sats, script)],
    witness: one stack (list of bytes) per input, or None for a legacy tx."""
    ins = b"".join(bytes.fromhex(t)[::-1] + struct.pack("<I", n) + varbytes(s) +
                   struct.pack("<I", seq) for t, n, s, seq in vin)
    outs = b"".join(struct.pack("<q", v) + varbytes(s) for v, s in vout)
    body = compact(len(vin)) + ins + compact(len(vout)) + outs
    if witness is None:
        return struct.pack("<i", version) + body + struct.pack("<I", locktime)
    wit = b"".join(compact(len(st)) + b"".join(varbytes(i) for i in st) for st in witness)
    return struct.pack("<i", version) + b"\x00\x01" + body + wit + struct.pack("<I", locktime)


def txid_of(raw_legacy):
    return sha256d(raw_legacy)[::-1].hex()


def spend(txid, vout, value, fee=FEE, script=P2WSH_OP_TRUE, sequence=0xFFFFFFFD, version=2):
    """Spends a P2WSH(OP_TRUE) output worth `value` satoshis to `script`,
    paying `fee`. Returns the raw hex (with witness)."""
    vin = [(txid, vout, b"", sequence)]
    return ser_tx(version, vin, [(value - fee, script)], witness=[[OP_TRUE]]).hex()


def script_num(n):
    """CScriptNum push of a non-negative n, as BIP34 heights are written."""
    if 1 <= n <= 16:
        return bytes([0x50 + n])
    if n == 0:
        return b"\x00"
    out = b""
    while n:
        out += bytes([n & 0xFF])
        n >>= 8
    if out[-1] & 0x80:
        out += b"\x00"
    return bytes([len(out)]) + out


def coinbase(height, value, script=P2WSH_OP_TRUE, extra=b"", more_outputs=()):
    """A legacy coinbase (no witness commitment: for blocks without witness
    transactions). `extra` makes two coinbases at one height differ;
    `more_outputs` ([(sats, script)]) follow the first (big blocks)."""
    sig = script_num(height) + b"\x00" + varbytes(extra) if extra else script_num(height) + b"\x00"
    return ser_tx(2, [("00" * 32, 0xFFFFFFFF, sig, 0xFFFFFFFF)],
                  [(value, script)] + list(more_outputs))


def merkle_root(txids_hex):
    level = [bytes.fromhex(t)[::-1] for t in txids_hex]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def make_block(prev_hash, height, time, txs=(), value=50 * 10**8, extra=b"",
               bits=REGTEST_BITS, more_outputs=()):
    """A block on prev_hash (hex) at height with a coinbase paying value to
    P2WSH(OP_TRUE) (and more_outputs) and the legacy raw txs given (bytes),
    nonce ground for regtest. Returns (hash hex, raw hex)."""
    cb = coinbase(height, value, extra=extra, more_outputs=more_outputs)
    all_txs = [cb] + list(txs)
    h, header = mine_header(prev_hash, merkle_root([txid_of(t) for t in all_txs]), time, bits)
    raw = header + compact(len(all_txs)) + b"".join(all_txs)
    return h, raw.hex()


def mine_header(prev_hash, root, time, bits=REGTEST_BITS):
    """A version 0x20000000 header on prev_hash (hex) with merkle root
    `root` (bytes), nonce ground. Returns (hash hex, header bytes)."""
    target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
    for nonce in range(1 << 20):
        header = struct.pack("<i", 0x20000000) + bytes.fromhex(prev_hash)[::-1] + root + \
            struct.pack("<III", time, bits, nonce)
        h = sha256d(header)
        if int.from_bytes(h, "little") <= target:
            break
    return h[::-1].hex(), header


_INPUT_CHARSET = ("0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                  "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ")
_CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)


def _polymod(c, v):
    top = c >> 35
    c = ((c & 0x7FFFFFFFF) << 5) ^ v
    for i in range(5):
        if top >> i & 1:
            c ^= _GEN[i]
    return c


def descsum_create(desc):
    """desc + "#" + its BIP380 checksum."""
    c, group, count = 1, 0, 0
    for ch in desc:
        pos = _INPUT_CHARSET.index(ch)
        c = _polymod(c, pos & 31)
        group, count = group * 3 + (pos >> 5), count + 1
        if count == 3:
            c, group, count = _polymod(c, group), 0, 0
    if count:
        c = _polymod(c, group)
    for _ in range(8):
        c = _polymod(c, 0)
    c ^= 1
    return desc + "#" + "".join(_CHECKSUM_CHARSET[(c >> (5 * (7 - j))) & 31] for j in range(8))
