#!/usr/bin/env python3
"""Version bits (BIP9) on regtest, as Bitcoin Core: the miner signals
testdummy (bit 28, period 144, threshold 108) while it is started or locked
in, so mining 144 x 3 blocks takes it defined -> started -> locked_in ->
active. getdeploymentinfo is compared whole with the objects Core gives
(its rpc_blockchain.py expects the same at height 200), at the tip and at
earlier blocks; getblocktemplate's version, rules and vbavailable follow;
-vbparams (Core's hidden regtest option) moves or disables a deployment and
rejects malformed values with Core's messages."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework as fw  # noqa: E402
import txtools as tt  # noqa: E402

NO_TIMEOUT = 2**63 - 1
TOP = 0x20000000
RULES = {"rules": ["segwit"]}


def mine_to(node, height):
    n = height - node.rpc("getblockcount")
    return node.rpc("generatetoaddress", n, tt.P2WSH_OP_TRUE_ADDR) if n > 0 else []


def testdummy(status, since, status_next, stats=None, signalling=None, height=None,
              start=0, timeout=NO_TIMEOUT, min_height=0):
    """Core's getdeploymentinfo entry for testdummy."""
    bip9 = {}
    if stats is not None:
        bip9["bit"] = 28
    bip9.update({"start_time": start, "timeout": timeout, "min_activation_height": min_height,
                 "status": status, "since": since, "status_next": status_next})
    if stats is not None:
        bip9["statistics"] = stats
        bip9["signalling"] = signalling
    entry = {"type": "bip9"}
    if height is not None:
        entry["height"] = height
    entry.update({"active": status_next == "active", "bip9": bip9})
    return entry


def started_stats(elapsed, count):
    return {"period": 144, "threshold": 108, "elapsed": elapsed, "count": count,
            "possible": 144 - 108 >= elapsed - count}


def deployments(node, blockhash=None):
    info = node.rpc("getdeploymentinfo", *([blockhash] if blockhash else []))
    return info["deployments"]


def test_activation(t):
    node = t.add_node().start()
    deps = deployments(node)
    fw.assert_equal(deps["testdummy"], testdummy("defined", 0, "defined"))
    fw.assert_equal(deps["taproot"], {
        "type": "bip9", "height": 0, "active": True,
        "bip9": {"start_time": -1, "timeout": NO_TIMEOUT, "min_activation_height": 0,
                 "status": "active", "since": 0, "status_next": "active"}})
    fw.assert_equal(list(deps), ["bip34", "bip66", "bip65", "csv", "segwit", "testdummy",
                                 "taproot"])

    mine_to(node, 143)
    fw.assert_equal(deployments(node)["testdummy"], testdummy("defined", 0, "started"))
    tmpl = node.rpc("getblocktemplate", RULES)
    fw.assert_equal([tmpl["version"], tmpl["vbavailable"]], [TOP | 1 << 28, {"testdummy": 28}])
    fw.assert_equal(tmpl["rules"], ["csv", "!segwit", "taproot"])

    hashes = mine_to(node, 200)
    fw.assert_equal(node.rpc("getblock", hashes[0])["version"], TOP | 1 << 28)
    at200 = testdummy("started", 144, "started", started_stats(57, 57), "#" * 57)
    fw.assert_equal(deployments(node)["testdummy"], at200)

    mine_to(node, 287)
    fw.assert_equal(deployments(node)["testdummy"],
                    testdummy("started", 144, "locked_in", started_stats(144, 144), "#" * 144))
    mine_to(node, 288)
    locked = {"period": 144, "elapsed": 1, "count": 1}  # Core drops threshold and possible
    fw.assert_equal(deployments(node)["testdummy"],
                    testdummy("locked_in", 288, "locked_in", locked, "#"))
    tmpl = node.rpc("getblocktemplate", RULES)
    fw.assert_equal([tmpl["version"], tmpl["vbavailable"]], [TOP | 1 << 28, {"testdummy": 28}])

    mine_to(node, 431)
    locked = {"period": 144, "elapsed": 144, "count": 144}
    fw.assert_equal(deployments(node)["testdummy"],
                    testdummy("locked_in", 288, "active", locked, "#" * 144, height=432))
    last = mine_to(node, 432)[-1]
    fw.assert_equal(deployments(node)["testdummy"],
                    testdummy("active", 432, "active", height=432))
    fw.assert_equal(node.rpc("getblock", last)["version"], TOP)  # no longer signalled
    tmpl = node.rpc("getblocktemplate", RULES)
    fw.assert_equal([tmpl["version"], tmpl["vbavailable"]], [TOP, {}])
    # Core lists active deployments in its order: testdummy, then taproot.
    fw.assert_equal(tmpl["rules"], ["csv", "!segwit", "testdummy", "taproot"])

    # Any block: the answer describes that block, whatever the tip.
    fw.assert_equal(deployments(node, node.rpc("getblockhash", 200))["testdummy"], at200)
    genesis = node.rpc("getdeploymentinfo", node.rpc("getblockhash", 0))
    fw.assert_equal(genesis["height"], 0)
    fw.assert_equal(genesis["deployments"]["testdummy"], testdummy("defined", 0, "defined"))


def test_vbparams(t):
    # A start time no block reaches: defined forever, and no bit signalled.
    node = t.add_node().start("-vbparams=testdummy:4000000000:4000000001:600")
    mine_to(node, 150)
    fw.assert_equal(deployments(node)["testdummy"],
                    testdummy("defined", 0, "defined", start=4000000000, timeout=4000000001,
                              min_height=600))
    fw.assert_equal(node.rpc("getblocktemplate", RULES)["version"], TOP)
    node.stop()
    # Never active: left out, as Core's DeploymentEnabled.
    node.start("-vbparams=testdummy:-2:-1", "-vbparams=taproot:-1:-1")
    deps = deployments(node)
    fw.assert_equal("testdummy" in deps, False)
    fw.assert_equal(deps["taproot"]["bip9"]["timeout"], -1)
    node.stop()
    # A minimum activation height keeps it locked in past the next period.
    node.start("-vbparams=testdummy:0:9223372036854775807:500")
    mine_to(node, 432)
    dep = deployments(node)["testdummy"]
    fw.assert_equal([dep["bip9"]["status"], dep["bip9"]["status_next"], dep["active"]],
                    ["locked_in", "locked_in", False])
    mine_to(node, 431 + 144)
    dep = deployments(node)["testdummy"]
    fw.assert_equal([dep["bip9"]["status"], dep["bip9"]["status_next"], dep["height"]],
                    ["locked_in", "active", 576])
    node.stop()
    for value, msg in [("testdummy:1", "Version bits parameters malformed, expecting "
                        "deployment:start:end[:min_activation_height]"),
                       ("testdummy:x:1", "Invalid nStartTime (x)"),
                       ("testdummy:0:1:y", "Invalid min_activation_height (y)"),
                       ("segwit:0:1", "Invalid deployment (segwit)")]:
        rc, _, err = node.run(f"-vbparams={value}")
        fw.assert_equal(rc != 0, True, value)
        fw.assert_equal(msg in err, True, f"{value}: {err}")


if __name__ == "__main__":
    fw.main([test_activation, test_vbparams])
