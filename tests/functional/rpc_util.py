#!/usr/bin/env python3
"""Utility and raw-transaction building methods against Bitcoin Core's own
test vectors: validateaddress (rpc_invalid_address_message.py's regtest
addresses with their messages and error positions), decodescript
(test/functional/data/rpc_decodescript.json and rpc_decodescript.py),
verifymessage (rpc_signmessagewithprivkey.py's signature),
createrawtransaction (rawtransaction tests' shapes and errors),
getnodeaddresses over addresses added with addpeeraddress, deriveaddresses
and getdescriptorinfo (rpc_deriveaddresses.py), and createmultisig checked
against deriveaddresses and decodescript."""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

SRCDIR = os.environ.get("HEARSAY_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))

# Bitcoin Core's test/functional/rpc_invalid_address_message.py (regtest).
INVALID = [
    ("bcrt1s0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav25430mtr",
     "Invalid Bech32 address program size (41 bytes)", []),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
     "Invalid or unsupported prefix for Segwit (Bech32) address (expected bcrt, got bc)", []),
    ("bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqdmchcc",
     "Version 1+ witness address must use Bech32m checksum", []),
    ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k35mrzd",
     "Version 0 witness address must use Bech32 checksum", []),
    ("bcrt130xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqynjegk",
     "Invalid Bech32 address witness version", []),
    ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kqqq5k3my",
     "Invalid Bech32 v0 address program size (21 bytes), per BIP141", []),
    ("bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv049edschfnwystcqnsvyfpj23mpsg3jcedq9xv"
     "049edschfnwystcqnsvyfpj23m",
     "Bech32(m) address decoded with error: Bech32 string too long", list(range(90, 108))),
    ("bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv",
     "Bech32(m) address decoded with error: Invalid Bech32 checksum", [9]),
    ("bcrt1qax9suht3qv95sw33xavx8crpxduefdrsvgsklu",
     "Bech32(m) address decoded with error: Invalid Bech32 checksum", [22, 43]),
    ("BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U32RAH7R",
     "Invalid checksum or length of Base58 address (P2PKH or P2SH)", [38]),
    ("bcrtq049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
     "Bech32(m) address decoded with error: Missing separator", []),
    ("bcrt1q04oldschfnwystcqnsvyfpj23mpsg3jcedq9xv", "Address is not valid Base58 or Bech32", [8]),
    ("bcrt1qdg3myrgvzw7ml8q0ejxhlkyxn7vl9r56yzkfgvzclrf4hkpx9yfqhpsuks",
     "Bech32(m) address decoded with error: Invalid Bech32 checksum", [19, 30]),
    ("bcrt1ptmp74ayg7p24uslctssvjm06q5phz4yrxucgnv",
     "Bech32(m) address decoded with error: Invalid Bech32 checksum", [5]),
    ("17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem",
     "Invalid Base58 regtest address. Expected prefix 2, m, or n", []),
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJJfn",
     "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
     [4, 6, 10, 12, 16, 25, 29, 30, 31]),
    ("2VKf7XKMrp4bVNVmuRbyCewkP8FhGLP2E54LHDPakr9Sq5mtU2",
     "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
     [3, 8, 9, 11, 15, 16, 18, 19, 21, 22, 23, 27, 39, 40, 41, 44, 46, 47]),
    ("asfah14i8fajz0123f", "Bech32(m) address decoded with error: Invalid separator position",
     [14]),
    ("1q049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
     "Bech32(m) address decoded with error: Invalid separator position", [0]),
]
VALID = ["bcrt1qtmp74ayg7p24uslctssvjm06q5phz4yrxucgnv", "bcrt1p424qxxyd0r",
         "BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U33RAH7R",
         "bcrt1qdg3myrgvzw7ml9q0ejxhlkyxm7vl9r56yzkfgvzclrf4hkpx9yfqhpsuks",
         "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"]


def test_validateaddress(t):
    node = t.add_node().start()
    for addr, error, locs in INVALID:
        r = node.rpc("validateaddress", addr)
        fw.assert_equal(r, {"isvalid": False, "error_locations": locs, "error": error}, addr)
    for addr in VALID:
        r = node.rpc("validateaddress", addr)
        fw.assert_equal(r["isvalid"], True, addr)
        fw.assert_equal("error" in r or "error_locations" in r, False, addr)
    # The fields of each kind, as Core's DescribeAddress.
    r = node.rpc("validateaddress", "BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U33RAH7R")
    fw.assert_equal(r["address"], "bcrt1qplmtzkc2xharppzdlnpaql78rshj68u33rah7r")
    fw.assert_equal([r["isscript"], r["iswitness"], r["witness_version"]], [False, True, 0])
    fw.assert_equal(r["scriptPubKey"], "0014" + r["witness_program"])
    fw.assert_equal(len(r["witness_program"]), 40)
    r = node.rpc("validateaddress", "bcrt1p424qxxyd0r")
    fw.assert_equal(r, {"isvalid": True, "address": "bcrt1p424qxxyd0r", "scriptPubKey": "5102aaaa",
                        "iswitness": True, "witness_version": 1, "witness_program": "aaaa"})
    r = node.rpc("validateaddress", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn")
    fw.assert_equal([r["scriptPubKey"][:6], r["isscript"], r["iswitness"]], ["76a914", False, False])
    r = node.rpc("validateaddress", tt.P2WSH_OP_TRUE_ADDR)
    fw.assert_equal([r["isscript"], r["iswitness"], r["witness_version"]], [True, True, 0])
    fw.assert_raises_rpc_error(-3, "not of expected type string", node.rpc, "validateaddress", None)


def test_decodescript(t):
    node = t.add_node().start()
    with open(os.path.join(SRCDIR, "tests", "data", "core", "rpc_decodescript.json")) as f:
        vectors = json.load(f)
    for hexscript, want in vectors:
        fw.assert_equal(node.rpc("decodescript", hexscript), want, hexscript)
    # rpc_decodescript.py's standard scripts.
    pub = "03b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb2"
    pkh = "5dd1d3a048119c27b28293056724d9522f26d945"
    upub = ("04b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb25e01fc8fde47"
            "c96c98a4f3a8123e33a38a50cf9025cc8c4494a518f991792bb7")
    r = node.rpc("decodescript", "21" + pub + "ac")
    fw.assert_equal([r["type"], r["asm"], r["segwit"]["asm"]],
                    ["pubkey", pub + " OP_CHECKSIG", "0 " + pkh])
    fw.assert_equal("address" in r, False)
    r = node.rpc("decodescript", "76a914" + pkh + "88ac")
    fw.assert_equal([r["type"], r["segwit"]["type"], r["segwit"]["asm"]],
                    ["pubkeyhash", "witness_v0_keyhash", "0 " + pkh])
    multisig = "52" + ("21" + pub) * 3 + "53ae"
    r = node.rpc("decodescript", multisig)
    fw.assert_equal(r["asm"], "2 " + " ".join([pub] * 3) + " 3 OP_CHECKMULTISIG")
    fw.assert_equal(r["segwit"]["asm"], "0 " + tt.hashlib.sha256(bytes.fromhex(multisig)).hexdigest())
    fw.assert_equal(r["segwit"]["desc"], tt.descsum_create("wsh(multi(2,%s,%s,%s))" % (pub, pub, pub)))
    fw.assert_equal("segwit" in node.rpc("decodescript", "a914" + pkh + "87"), False)
    fw.assert_equal("segwit" in node.rpc("decodescript", "41" + upub + "ac"), False)
    fw.assert_equal("segwit" in node.rpc("decodescript", "52" + "21" + pub + "41" + upub + "52ae"),
                    False)
    cltv = "6321" + pub + "ad670320a107b1756821" + pub + "ac"
    r = node.rpc("decodescript", cltv)
    fw.assert_equal(r["asm"], "OP_IF " + pub + " OP_CHECKSIGVERIFY OP_ELSE 500000 "
                    "OP_CHECKLOCKTIMEVERIFY OP_DROP OP_ENDIF " + pub + " OP_CHECKSIG")
    # The empty script: P2SH of HASH160("") and P2WSH of SHA256("").
    r = node.rpc("decodescript", "")
    fw.assert_equal([r["asm"], r["type"], r["desc"]], ["", "nonstandard", "raw()#58lrscpx"])
    fw.assert_equal(node.rpc("validateaddress", r["p2sh"])["scriptPubKey"],
                    "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87")
    fw.assert_equal(r["segwit"]["hex"], "0020" + tt.hashlib.sha256(b"").hexdigest())
    fw.assert_equal(r["segwit"]["desc"], tt.descsum_create("wsh(raw())"))
    fw.assert_raises_rpc_error(-8, "argument must be hexadecimal string (not 'zz')", node.rpc,
                               "decodescript", "zz")


# rpc_signmessagewithprivkey.py: the key cUeKHd5o... signs this message.
MSG = "This is just a test message"
MSG_ADDR = "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB"
MSG_SIG = "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0="


def test_verifymessage(t):
    node = t.add_node().start()
    fw.assert_equal(node.rpc("verifymessage", MSG_ADDR, MSG_SIG, MSG), True)
    fw.assert_equal(node.rpc("verifymessage", MSG_ADDR, MSG_SIG, MSG + "."), False)
    # Another key's P2PKH address: recovered, but not this one.
    fw.assert_equal(node.rpc("verifymessage", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", MSG_SIG, MSG),
                    False)
    fw.assert_raises_rpc_error(-3, "Address does not refer to key", node.rpc, "verifymessage",
                               tt.P2WSH_OP_TRUE_ADDR, MSG_SIG, MSG)
    fw.assert_raises_rpc_error(-5, "Invalid address", node.rpc, "verifymessage", "invalid_addr",
                               MSG_SIG, MSG)
    fw.assert_raises_rpc_error(-3, "Malformed base64 encoding", node.rpc, "verifymessage",
                               MSG_ADDR, "invalid_sig", MSG)
    # Well-formed base64 of the wrong length recovers nothing.
    fw.assert_equal(node.rpc("verifymessage", MSG_ADDR, "AAAA", MSG), False)


def test_createrawtransaction(t):
    node = t.add_node().start()
    txid = "11" * 32
    addr = tt.P2WSH_OP_TRUE_ADDR
    raw = node.rpc("createrawtransaction", [{"txid": txid, "vout": 3}], {addr: 0.5})
    want = tt.ser_tx(2, [(txid, 3, b"", 0xFFFFFFFD)], [(50000000, tt.P2WSH_OP_TRUE)])
    fw.assert_equal(raw, want.hex())
    # Array form with data, locktime, replaceable false, version 3, sequence.
    raw = node.rpc("createrawtransaction", [{"txid": txid, "vout": 0, "sequence": 7},
                                            {"txid": txid, "vout": 1}],
                   [{"data": "00010203"}, {addr: "0.1"}], 500, False, 3)
    want = tt.ser_tx(3, [(txid, 0, b"", 7), (txid, 1, b"", 0xFFFFFFFE)],
                     [(0, bytes.fromhex("6a0400010203")), (10000000, tt.P2WSH_OP_TRUE)], 500)
    fw.assert_equal(raw, want.hex())
    d = node.rpc("decoderawtransaction", raw)
    fw.assert_equal([d["version"], d["locktime"], d["vout"][0]["scriptPubKey"]["type"]],
                    [3, 500, "nulldata"])
    raw = node.rpc("createrawtransaction", [{"txid": txid, "vout": 0}], {addr: 1}, 0, False)
    fw.assert_equal(node.rpc("decoderawtransaction", raw)["vin"][0]["sequence"], 0xFFFFFFFF)
    fw.assert_equal(node.rpc("createrawtransaction", [], {"data": "ff"}),
                    tt.ser_tx(2, [], [(0, bytes.fromhex("6a01ff"))]).hex())
    errors = [
        (-8, "Invalid parameter, missing vout key", [{"txid": txid}], {addr: 1}),
        (-8, "Invalid parameter, vout cannot be negative", [{"txid": txid, "vout": -1}], {addr: 1}),
        (-8, "txid must be of length 64 (not 2, for 'ab')", [{"txid": "ab", "vout": 0}], {addr: 1}),
        (-8, "Invalid parameter, sequence number is out of range",
         [{"txid": txid, "vout": 0, "sequence": 2**32}], {addr: 1}),
        (-5, "Invalid Bitcoin address: foo", [], {"foo": 1}),
        (-3, "Amount out of range", [], {addr: -1}),
        (-3, "Invalid amount", [], {addr: "x"}),
        (-8, "Invalid parameter, duplicate key: data", [], [{"data": "00"}, {"data": "01"}]),
        (-8, "Invalid parameter, duplicated address: " + addr, [], [{addr: 1}, {addr: 2}]),
        (-8, "Data must be hexadecimal string (not 'zz')", [], {"data": "zz"}),
        (-8, "Invalid parameter, key-value pair must contain exactly one key", [],
         [{addr: 1, "data": "00"}]),
        (-8, "Invalid parameter, key-value pair not an object as expected", [], ["x"]),
    ]
    for code, msg, ins, outs in errors:
        fw.assert_raises_rpc_error(code, msg, node.rpc, "createrawtransaction", ins, outs)
    fw.assert_raises_rpc_error(-8, "Invalid parameter, locktime out of range", node.rpc,
                               "createrawtransaction", [], {addr: 1}, -1)
    fw.assert_raises_rpc_error(-8, "Invalid parameter, version out of range(1~3)", node.rpc,
                               "createrawtransaction", [], {addr: 1}, 0, True, 4)
    fw.assert_raises_rpc_error(-8, "Invalid parameter combination: Sequence number(s) contradict "
                               "replaceable option", node.rpc, "createrawtransaction",
                               [{"txid": txid, "vout": 0, "sequence": 0xFFFFFFFE}], {addr: 1}, 0,
                               True)


def test_getnodeaddresses(t):
    node = t.add_node().start()
    fw.assert_equal(node.rpc("getnodeaddresses"), [])
    added = {("1.2.3.4", 8333), ("5.6.7.8", 18444), ("2a00:1450:4001::1", 8333)}
    for ip, port in added:
        fw.assert_equal(node.rpc("addpeeraddress", ip, port)["success"], True)
    got = node.rpc("getnodeaddresses", 0)
    fw.assert_equal({(a["address"], a["port"]) for a in got}, added)
    now = node.rpc("getblockchaininfo")["time"]  # genesis time; only a lower bound
    for a in got:
        fw.assert_equal(sorted(a), ["address", "network", "port", "services", "time"])
        fw.assert_equal(a["network"], "ipv6" if ":" in a["address"] else "ipv4")
        fw.assert_equal(a["time"] > now, True)
        fw.assert_equal(a["services"] & 1, 1)  # NODE_NETWORK, as addpeeraddress sets
    fw.assert_equal(len(node.rpc("getnodeaddresses")), 1)
    fw.assert_equal(len(node.rpc("getnodeaddresses", 2)), 2)
    fw.assert_equal({a["address"] for a in node.rpc("getnodeaddresses", 0, "ipv4")},
                    {"1.2.3.4", "5.6.7.8"})
    fw.assert_equal([a["address"] for a in node.rpc("getnodeaddresses", 0, "IPv6")],
                    ["2a00:1450:4001::1"])
    fw.assert_equal(node.rpc("getnodeaddresses", 0, "onion"), [])
    fw.assert_raises_rpc_error(-8, "Address count out of range", node.rpc, "getnodeaddresses", -1)
    fw.assert_raises_rpc_error(-8, "Network not recognized: foo", node.rpc, "getnodeaddresses", 1,
                               "foo")


TPRV = ("tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJ"
        "CCRUcMRvmDUjyEmNUWwx8UbK")
TPUB = ("tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhysw"
        "J76uZPStJRJCTKvosUCJZL5B")
ADDR0 = "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5"
ADDR12 = ["bcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq4442dy",
          "bcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv265tvaq"]


def test_descriptors(t):
    """Core's rpc_deriveaddresses.py and rpc_signmessagewithprivkey.py values."""
    node = t.add_node().start()
    fw.assert_raises_rpc_error(-5, "Missing checksum", node.rpc, "deriveaddresses", "a")
    desc = f"wpkh({TPRV}/1/1/0)#t6wfjs64"
    fw.assert_equal(node.rpc("deriveaddresses", desc), [ADDR0])
    fw.assert_raises_rpc_error(-5, "Missing checksum", node.rpc, "deriveaddresses", desc[:-9])
    fw.assert_equal(node.rpc("deriveaddresses", f"wpkh({TPUB}/1/1/0)#s9ga3alw"), [ADDR0])
    ranged = f"wpkh({TPRV}/1/1/*)#kft60nuy"
    fw.assert_equal(node.rpc("deriveaddresses", ranged, [1, 2]), ADDR12)
    fw.assert_equal(node.rpc("deriveaddresses", ranged, 2), [ADDR0] + ADDR12)
    unranged = tt.descsum_create(f"wpkh({TPRV}/1/1/0)")
    ranged = tt.descsum_create(f"wpkh({TPRV}/1/1/*)")
    for code, msg, d, r in [
            (-8, "Range should not be specified for an un-ranged descriptor", unranged, [0, 2]),
            (-8, "End of range is too high", ranged, 10000000000),
            (-8, "Range is too large", ranged, [1000000000, 2000000000]),
            (-8, "Range specified as [begin,end] must not have begin after end", ranged, [2, 0]),
            (-8, "Range should be greater or equal than 0", ranged, [-1, 0])]:
        fw.assert_raises_rpc_error(code, msg, node.rpc, "deriveaddresses", d, r)
    fw.assert_raises_rpc_error(-8, "Range must be specified for a ranged descriptor", node.rpc,
                               "deriveaddresses", ranged)
    # combo: P2PKH, P2WPKH and P2SH-P2WPKH (its P2PK has no address).
    fw.assert_equal(node.rpc("deriveaddresses", tt.descsum_create(f"combo({TPRV}/1/1/0)")),
                    ["mtfUoUax9L4tzXARpw1oTGxWyoogp52KhJ", ADDR0,
                     "2NDvEwGfpEqJWfybzpKPHF2XH3jwoQV3D7x"])
    fw.assert_raises_rpc_error(-5, "Cannot derive script without private keys", node.rpc,
                               "deriveaddresses", tt.descsum_create(f"wpkh({TPUB}/1'/1/0)"))
    fw.assert_raises_rpc_error(-5, "Descriptor does not have a corresponding address", node.rpc,
                               "deriveaddresses",
                               tt.descsum_create(f"multi(1,{TPUB}/1/1/0,{TPUB}/1/1/1)"))
    wif = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N"
    fw.assert_equal(node.rpc("deriveaddresses", tt.descsum_create(f"pkh({wif})")), [MSG_ADDR])
    info = node.rpc("getdescriptorinfo", f"wpkh({TPRV}/1/1/0)")
    fw.assert_equal(info, {"descriptor": f"wpkh({TPUB}/1/1/0)#s9ga3alw", "checksum": "t6wfjs64",
                           "isrange": False, "issolvable": True, "hasprivatekeys": True})
    info = node.rpc("getdescriptorinfo", f"wpkh({TPUB}/1/1/*)")
    fw.assert_equal([info["isrange"], info["hasprivatekeys"]], [True, False])
    info = node.rpc("getdescriptorinfo", f"addr({tt.P2WSH_OP_TRUE_ADDR})")
    fw.assert_equal([info["issolvable"], info["descriptor"]],
                    [False, tt.descsum_create(f"addr({tt.P2WSH_OP_TRUE_ADDR})")])
    fw.assert_raises_rpc_error(-5, "Provided checksum 'aaaaaaaa' does not match computed "
                               "checksum", node.rpc, "getdescriptorinfo", "raw(00)#aaaaaaaa")
    fw.assert_raises_rpc_error(-5, "'foo(1)' is not a valid descriptor function", node.rpc,
                               "getdescriptorinfo", "foo(1)")


PUBS = ["03789ed0bb717d88f7d321a368d905e7430207ebbd82bd342cf11ae157a7ace5fd",
        "03dbc6764b8884a92e871274b87583e6d5c2a58819473e17e107ef3f6aa5a61626"]
UNCOMPRESSED = ("04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0"
                "fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235")


def test_createmultisig(t):
    node = t.add_node().start()
    redeem = "52" + "".join("21" + k for k in PUBS) + "52ae"
    for kind, wrap in [("legacy", "sh(multi(2,%s,%s))"), ("p2sh-segwit", "sh(wsh(multi(2,%s,%s)))"),
                       ("bech32", "wsh(multi(2,%s,%s))")]:
        r = node.rpc("createmultisig", 2, PUBS, kind)
        fw.assert_equal(r["redeemScript"], redeem)
        fw.assert_equal(r["descriptor"], tt.descsum_create(wrap % tuple(PUBS)))
        # The address is the descriptor's, and decodescript agrees.
        fw.assert_equal(node.rpc("deriveaddresses", r["descriptor"]), [r["address"]])
        d = node.rpc("decodescript", redeem)
        want = {"legacy": d["p2sh"], "p2sh-segwit": d["segwit"]["p2sh-segwit"],
                "bech32": d["segwit"]["address"]}[kind]
        fw.assert_equal(r["address"], want)
        fw.assert_equal("warnings" in r, False)
    fw.assert_equal(node.rpc("createmultisig", 2, PUBS), node.rpc("createmultisig", 2, PUBS,
                                                                   "legacy"))
    # An uncompressed key forces legacy, with Core's warning.
    r = node.rpc("createmultisig", 1, [PUBS[0], UNCOMPRESSED], "bech32")
    fw.assert_equal(r["descriptor"][:3], "sh(")
    fw.assert_equal(r["warnings"], ["Unable to make chosen address type, please ensure no "
                                    "uncompressed public keys are present."])
    for code, msg, args in [
            (-8, "a multisignature address must require at least one key to redeem", (0, PUBS)),
            (-8, "not enough keys supplied (got 2 keys, but need at least 3 to redeem)", (3, PUBS)),
            (-5, 'Pubkey "zz" must be a hex string', (1, ["zz"])),
            (-5, 'Pubkey "0102" must have a length of either 33 or 65 bytes', (1, ["0102"])),
            (-5, "must be cryptographically valid.", (1, ["02" + "00" * 32])),
            (-5, "Unknown address type 'foo'", (1, PUBS, "foo")),
            (-5, "createmultisig cannot create bech32m multisig addresses", (1, PUBS, "bech32m")),
            (-8, "redeemScript exceeds size limit: 547 > 520", (1, [PUBS[0]] * 16))]:
        fw.assert_raises_rpc_error(code, msg, node.rpc, "createmultisig", *args)
    # Sixteen keys fit in P2WSH.
    r = node.rpc("createmultisig", 1, [PUBS[0]] * 16, "bech32")
    fw.assert_equal(node.rpc("deriveaddresses", r["descriptor"]), [r["address"]])


if __name__ == "__main__":
    fw.main([test_validateaddress, test_decodescript, test_verifymessage,
             test_createrawtransaction, test_getnodeaddresses, test_descriptors,
             test_createmultisig])
