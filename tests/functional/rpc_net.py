#!/usr/bin/env python3
"""The network RPC methods against real hearsayd processes on loopback:
getpeerinfo (Bitcoin Core's fields, types and units), getnetworkinfo,
getconnectioncount, getnettotals, addnode/getaddednodeinfo/disconnectnode,
ping, setnetworkactive, setban/listbanned/clearbanned, setmocktime, and
getgossipinfo."""
import time

import framework as fw
import relay_lib as rl
import txtools as tt

PEER_FIELDS = {
    "id": int, "addr": str, "addrbind": str, "network": str, "services": str,
    "servicesnames": list, "relaytxes": bool, "lastsend": int, "lastrecv": int,
    "last_transaction": int, "last_block": int, "bytessent": int, "bytesrecv": int,
    "conntime": int, "timeoffset": int, "version": int, "subver": str, "inbound": bool,
    "bip152_hb_to": bool, "bip152_hb_from": bool, "startingheight": int,
    "presynced_headers": int, "synced_headers": int, "synced_blocks": int, "inflight": list,
    "addr_relay_enabled": bool, "addr_processed": int, "addr_rate_limited": int,
    "permissions": list, "minfeefilter": float, "bytessent_per_msg": dict,
    "bytesrecv_per_msg": dict, "connection_type": str, "transport_protocol_type": str,
    "session_id": str,
}


def endpoint(node):
    return f"127.0.0.1:{node.p2p_port}"


def peers(node):
    return node.rpc("getpeerinfo")


def connected(a, b):
    """a has a handshaked connection to b (b's listening endpoint)."""
    return any(p["addr"] == endpoint(b) for p in peers(a))


# No automatic outbound connections: only the links a test makes.
QUIET = ("-nettick=100", "-maxoutbound=0")


def stop_all(*nodes):
    """Clean exits (the sanitizers report leaks and errors at exit)."""
    for n in nodes:
        fw.assert_equal(n.stop(), 0, f"node{n.index} exit code")


def two_nodes(t, *b_args):
    a, b = t.add_node(), t.add_node()
    a.start(*QUIET)
    b.start(*QUIET, *b_args)
    return a, b


def test_peerinfo_fields(t):
    a, b = two_nodes(t)
    b.rpc("addnode", endpoint(a), "add")
    fw.wait_until(lambda: len(peers(a)) == 1 and len(peers(b)) == 1, 20, what="a link")
    out = peers(b)[0]
    inb = peers(a)[0]
    for p in (out, inb):
        for k, ty in PEER_FIELDS.items():
            fw.assert_in(k, p, "getpeerinfo field")
            fw.assert_equal(type(p[k]), ty, f"type of {k}")
        fw.assert_equal(len(p["services"]), 16)
        fw.assert_in("NETWORK", p["servicesnames"])
        fw.assert_in("WITNESS", p["servicesnames"])
        fw.assert_equal(p["version"], 70016)
        fw.assert_equal(p["subver"], "/hearsay:0.1.0/")
        fw.assert_equal(p["network"], "not_publicly_routable")
        fw.assert_equal(p["transport_protocol_type"], "v1")
        fw.assert_in("version", p["bytessent_per_msg"])
        fw.assert_in("verack", p["bytesrecv_per_msg"])
        fw.assert_equal(abs(p["conntime"] - time.time()) < 60, True, "conntime in seconds")
        fw.assert_equal(abs(p["timeoffset"]) <= 2, True, "timeoffset")
    fw.assert_equal(out["addr"], endpoint(a))
    fw.assert_equal(out["inbound"], False)
    fw.assert_equal(out["connection_type"], "manual")
    fw.assert_equal(inb["inbound"], True)
    fw.assert_equal(inb["connection_type"], "inbound")
    fw.assert_equal(inb["addrbind"], endpoint(a))
    fw.assert_equal(out["addrbind"].startswith("127.0.0.1:"), True, "addrbind")

    # ping: one more ping sent at once (the handshake sent the first), and
    # its round trip measured, in seconds
    fw.wait_until(lambda: "pingtime" in peers(b)[0], 10, what="the first ping's pong")
    sent = peers(b)[0]["bytessent_per_msg"]["ping"]
    b.rpc("ping")
    fw.wait_until(lambda: peers(b)[0]["bytessent_per_msg"]["ping"] == sent + 32, 10,
                  what="a ping sent on request")
    fw.wait_until(lambda: "pingwait" not in peers(b)[0], 10, what="its pong")
    p = peers(b)[0]
    fw.assert_equal(type(p["pingtime"]), float)
    fw.assert_equal(0 <= p["pingtime"] < 5, True, "pingtime in seconds")
    fw.assert_equal(p["minping"] <= p["pingtime"], True, "minping")

    # counts and totals
    fw.assert_equal(a.rpc("getconnectioncount"), 1)
    tot = a.rpc("getnettotals")
    for k in ("totalbytesrecv", "totalbytessent", "timemillis"):
        fw.assert_equal(type(tot[k]), int, k)
    fw.assert_equal(abs(tot["timemillis"] / 1000 - time.time()) < 60, True, "timemillis")
    fw.assert_equal(tot["uploadtarget"]["timeframe"], 86400)
    fw.assert_equal(tot["uploadtarget"]["target_reached"], False)
    b.rpc("ping")
    fw.wait_until(lambda: a.rpc("getnettotals")["totalbytesrecv"] > tot["totalbytesrecv"], 10,
                  what="getnettotals growing")

    info = a.rpc("getnetworkinfo")
    fw.assert_equal(info["protocolversion"], 70016)
    fw.assert_equal(info["subversion"], "/hearsay:0.1.0/")
    fw.assert_equal(type(info["version"]), int)
    fw.assert_equal(len(info["localservices"]), 16)
    fw.assert_in("NETWORK", info["localservicesnames"])
    fw.assert_equal(info["networkactive"], True)
    fw.assert_equal((info["connections"], info["connections_in"], info["connections_out"]),
                    (1, 1, 0))
    fw.assert_equal(info["relayfee"], 0.00001)
    fw.assert_equal(info["incrementalfee"], 0.00001)
    fw.assert_equal([n["name"] for n in info["networks"]][:2], ["ipv4", "ipv6"])
    fw.assert_equal(info["localrelay"], True)
    fw.assert_equal(type(info["warnings"]), list)
    fw.assert_equal(b.rpc("getnetworkinfo")["connections_out"], 1)
    stop_all(a, b)


def test_addnode_disconnect(t):
    a, b = two_nodes(t, "-addnoderetrymax=1")
    c = t.add_node()
    c.start(*QUIET)
    ea = endpoint(a)
    b.rpc("addnode", ea, "add")
    fw.assert_raises_rpc_error(-23, "Error: Node already added", b.rpc, "addnode", ea, "add")
    fw.assert_raises_rpc_error(-24, "Error: Node could not be removed. It has not been added "
                               "previously.", b.rpc, "addnode", endpoint(c), "remove")
    fw.assert_raises_rpc_error(-1, None, b.rpc, "addnode", ea, "bogus")
    fw.assert_raises_rpc_error(-24, "Error: Node has not been added.", b.rpc,
                               "getaddednodeinfo", endpoint(c))
    fw.wait_until(lambda: b.rpc("getaddednodeinfo")[0]["connected"], 20, what="added node up")
    added = b.rpc("getaddednodeinfo", ea)
    fw.assert_equal(added, [{"addednode": ea, "connected": True,
                             "addresses": [{"address": ea, "connected": "outbound"}]}])

    # onetry: one manual connection, not on the added list
    b.rpc("addnode", endpoint(c), "onetry")
    fw.wait_until(lambda: connected(b, c), 20, what="onetry connection")
    fw.assert_equal(len(b.rpc("getaddednodeinfo")), 1)

    # disconnectnode by address and by id; the added node comes back
    fw.assert_raises_rpc_error(-29, "Node not found in connected nodes", b.rpc,
                               "disconnectnode", "127.0.0.1:1")
    fw.assert_raises_rpc_error(-29, "Node not found in connected nodes", b.rpc,
                               "disconnectnode", "", 987654)
    fw.assert_raises_rpc_error(-32602, "Only one of address and nodeid should be provided.",
                               b.rpc, "disconnectnode", ea, 1)
    first = [p["id"] for p in peers(b) if p["addr"] == ea][0]
    b.rpc("disconnectnode", ea)
    fw.wait_until(lambda: all(p["id"] != first for p in peers(b)), 10, what="disconnected")
    fw.wait_until(lambda: connected(b, a), 20, what="the added node reconnected")
    cid = [p["id"] for p in peers(b) if p["addr"] == endpoint(c)][0]
    b.rpc("disconnectnode", "", cid)
    fw.wait_until(lambda: not connected(b, c), 10, what="onetry peer disconnected by id")

    # remove: not redialed after the next disconnect
    b.rpc("addnode", ea, "remove")
    fw.assert_equal(b.rpc("getaddednodeinfo"), [])
    b.rpc("disconnectnode", ea)
    fw.wait_until(lambda: not connected(b, a), 10, what="disconnected for good")
    time.sleep(2)
    fw.assert_equal(connected(b, a), False, "a removed node is not redialed")
    stop_all(a, b, c)


def test_networkactive(t):
    a, b = two_nodes(t, "-addnoderetrymax=1")
    b.rpc("addnode", endpoint(a), "add")
    fw.wait_until(lambda: connected(b, a), 20, what="a link")
    fw.assert_equal(b.rpc("setnetworkactive", False), False)
    fw.assert_equal(b.rpc("getnetworkinfo")["networkactive"], False)
    fw.wait_until(lambda: b.rpc("getconnectioncount") == 0, 10, what="all links closed")
    time.sleep(1.5)
    fw.assert_equal(b.rpc("getconnectioncount"), 0, "no redial while off")
    fw.assert_equal(b.rpc("setnetworkactive", True), True)
    fw.wait_until(lambda: connected(b, a), 20, what="redial once back on")
    stop_all(a, b)


def test_bans(t):
    a, b = two_nodes(t)
    b.rpc("addnode", endpoint(a), "onetry")
    fw.wait_until(lambda: a.rpc("getconnectioncount") == 1, 20, what="a link")
    fw.assert_equal(a.rpc("listbanned"), [])
    fw.assert_raises_rpc_error(-30, "Error: Invalid IP/Subnet", a.rpc, "setban", "1.2.3",
                               "add")
    fw.assert_raises_rpc_error(-30, "Error: Unban failed. Requested address/subnet was not "
                               "previously manually banned.", a.rpc, "setban", "1.2.3.4",
                               "remove")
    a.rpc("setban", "127.0.0.1", "add")
    fw.wait_until(lambda: a.rpc("getconnectioncount") == 0, 10, what="banned peer dropped")
    fw.assert_raises_rpc_error(-23, "Error: IP/Subnet already banned", a.rpc, "setban",
                               "127.0.0.1", "add")
    a.rpc("setban", "192.168.0.0/255.255.0.0", "add", 1000)
    fw.assert_raises_rpc_error(-8, "Error: Absolute timestamp is in the past", a.rpc, "setban",
                               "10.0.0.0/8", "add", 1000, True)
    lst = a.rpc("listbanned")
    fw.assert_equal([e["address"] for e in lst], ["127.0.0.1/32", "192.168.0.0/16"])
    fw.assert_equal(lst[0]["ban_duration"], 86400)
    fw.assert_equal(lst[1]["banned_until"] - lst[1]["ban_created"], 1000)
    for k in ("ban_created", "banned_until", "ban_duration", "time_remaining"):
        fw.assert_equal(type(lst[0][k]), int, k)
    # a banned address cannot connect in
    b.rpc("addnode", endpoint(a), "onetry")
    time.sleep(1.5)
    fw.assert_equal(a.rpc("getconnectioncount"), 0, "banned address refused")
    fw.wait_until(lambda: "dropped (banned)" in a.debug_log(), 10, what="the refusal logged")
    a.rpc("setban", "127.0.0.1", "remove")
    fw.assert_equal([e["address"] for e in a.rpc("listbanned")], ["192.168.0.0/16"])
    # bans expire with the node's clock: mocked past the end, it is gone
    a.rpc("setmocktime", int(time.time()) + 2000)
    fw.assert_equal(a.rpc("listbanned"), [])
    a.rpc("setmocktime", 0)
    # bans survive a restart (banlist.json), ended ones do not come back
    a.rpc("setban", "::1", "add", 600)
    a.rpc("setban", "10.0.0.0/8", "add", int(time.time()) + 1, True)
    before = a.rpc("listbanned")
    fw.assert_equal(len(before), 2)
    fw.assert_equal(a.stop(), 0)
    time.sleep(1.1)
    a.start(*QUIET)
    after = a.rpc("listbanned")
    for e in before + after:
        del e["time_remaining"]
    fw.assert_equal(after, before[:1])
    a.rpc("clearbanned")
    fw.assert_equal(a.rpc("listbanned"), [])
    b.rpc("addnode", endpoint(a), "onetry")
    fw.wait_until(lambda: a.rpc("getconnectioncount") == 1, 20, what="unbanned link")
    stop_all(a, b)


def test_mocktime(t):
    node = t.add_node()
    node.start()
    up = node.rpc("uptime")
    node.rpc("setmocktime", int(time.time()) + 3600)
    fw.assert_equal(node.rpc("uptime") >= up + 3600, True, "uptime follows mocktime")
    fw.assert_raises_rpc_error(-8, "Mocktime must be in the range", node.rpc, "setmocktime", -1)
    fw.assert_raises_rpc_error(-3, None, node.rpc, "setmocktime", "x")
    # Mining and the chain's two-hour rule follow the mock time: a block
    # stamped three hours ahead of the system clock is made and accepted.
    ahead = int(time.time()) + 3 * 3600
    node.rpc("setmocktime", ahead)
    h = node.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)[0]
    fw.assert_equal(node.rpc("getblockheader", h)["time"], ahead)
    node.rpc("setmocktime", 0)
    fw.assert_equal(node.rpc("uptime") < 3600, True, "back to the system clock")
    main = t.add_node(chain="main")
    main.write_conf(extra=["listen=0", "connect=0"])
    main.start()
    fw.assert_raises_rpc_error(-1, "setmocktime is for regression testing (-regtest mode) only",
                               main.rpc, "setmocktime", 1)
    stop_all(node, main)


def test_gossipinfo(t):
    """getgossipinfo and getpeerinfo's gossip counters follow a block's
    announcement from a to b."""
    a, b = two_nodes(t, "-fanout=1", "-gossipstop=counter:2", "-antientropy=7")
    b.rpc("addnode", endpoint(a), "add")
    fw.wait_until(lambda: connected(b, a) and len(peers(a)) == 1, 20, what="a link")
    h = a.rpc("generatetoaddress", 1, tt.P2WSH_OP_TRUE_ADDR)[0]
    fw.wait_until(lambda: b.rpc("getbestblockhash") == h, 20, what="the block at b")
    info = a.rpc("getgossipinfo")
    for k in ("policy", "rumors", "seen", "requests", "memory", "totals", "peer_counters",
              "processing"):
        fw.assert_in(k, info)
    fw.assert_equal(info["policy"]["stop"], "once")
    fw.assert_equal(info["policy"]["fanout"], 0)
    fw.assert_equal(info["policy"]["trickle_in"], 5.0)
    fw.assert_equal(info["policy"]["antientropy"], 30)
    fw.assert_equal(info["rumors"]["started"] >= 1, True, "a block rumor at a")
    announced = info["totals"]["headers_sent"] + info["totals"]["inv_sent"]
    fw.assert_equal(announced >= 1, True, "a announced the block")
    fw.assert_equal(len(info["peer_counters"]), 1)
    fw.assert_equal(info["peer_counters"][0]["id"], peers(a)[0]["id"])
    fw.assert_equal(type(info["seen"]["recent_memory"]), int)
    g = peers(a)[0]["gossip"]
    fw.assert_equal(g["headers_sent"] + g["inv_sent"], announced)
    fw.assert_equal(type(g["reconciles"]), bool)
    bi = b.rpc("getgossipinfo")
    # a served it as a compact block (BIP152, b's request of a lone new
    # block), rebuilt at b without a round trip: no full block payload.
    fw.assert_equal(bi["processing"]["blocks_received"], 0)
    cb = bi["processing"]["compactblocks"]
    fw.assert_equal((cb["received"], cb["reconstructed"], cb["getblocktxn_sent"]), (1, 1, 0))
    fw.assert_equal((bi["policy"]["fanout"], bi["policy"]["stop"], bi["policy"]["antientropy"]),
                    (1, "counter:2", 7))
    fw.assert_equal(type(bi["processing"]["antientropy"]["rounds"]), int)
    proc = bi["processing"]
    for k in ("orphans", "txs_readded", "stallers_dropped", "block_stalls"):
        fw.assert_equal(type(proc[k]), int, k)
    # seconds, a JSON number (whole values print without a fraction)
    fw.assert_equal(type(proc["stalling_timeout"]) in (int, float), True, "stalling_timeout")
    fw.assert_equal(proc["stalling_timeout"], 2.0, "Core's BLOCK_STALLING_TIMEOUT, in seconds")
    for k in ("pulls_sent", "pulls_received"):
        fw.assert_equal(type(bi["totals"][k]), int, k)
    # the policy summary: a announced one block to its one peer, b
    # received one payload it did not have
    sa, sb = info["summary"], bi["summary"]
    for s in (sa, sb):
        for k in ("announcements", "payloads_received", "dup_payloads"):
            fw.assert_equal(type(s[k]), int, f"type of summary {k}")
        for k in ("announcements_per_rumor", "dup_payload_ratio", "push_useless_ratio"):
            fw.assert_equal(type(s[k]) in (int, float), True, f"summary {k} a number")
    fw.assert_equal(sa["announcements"], announced)
    fw.assert_equal(sa["announcements_per_rumor"], announced / info["rumors"]["started"])
    fw.assert_equal((sb["payloads_received"], sb["dup_payloads"], sb["dup_payload_ratio"]),
                    (1, 0, 0.0))
    fw.assert_in("dup_payload_ratio", b.rpc("help", "getgossipinfo"))
    # a's best header, as b knows it: the block a announced
    fw.wait_until(lambda: peers(b)[0]["synced_headers"] == 1, 10, what="synced_headers")
    stop_all(a, b)


def test_peer_relay_times(t):
    """getpeerinfo's last_transaction, last_block (Unix seconds, 0 for
    never), synced_blocks and inflight at the node a tx and a block came to."""
    a, b = two_nodes(t)
    b.rpc("addnode", endpoint(a), "add")
    fw.wait_until(lambda: connected(b, a) and len(peers(a)) == 1, 20, what="a link")
    p = peers(b)[0]
    fw.assert_equal((p["last_transaction"], p["last_block"], p["inflight"]), (0, 0, []),
                    "nothing delivered yet")
    hashes = rl.mine(a, 101)
    fw.wait_until(lambda: b.rpc("getblockcount") == 101, 30, what="the blocks at b")
    fw.assert_equal(peers(b)[0]["last_transaction"], 0, "no transaction yet")
    txid = a.rpc("sendrawtransaction", rl.spend_coinbases(a, hashes[:1])[0])
    fw.wait_until(lambda: txid in b.rpc("getrawmempool"), 30, what="the tx at b")
    rl.mine(a, 1)
    fw.wait_until(lambda: b.rpc("getblockcount") == 102, 30, what="the block at b")
    fw.wait_until(lambda: peers(b)[0]["synced_blocks"] == 102, 10, what="synced_blocks")
    p = peers(b)[0]
    now = time.time()
    for k in ("last_transaction", "last_block"):
        fw.assert_equal(type(p[k]), int, k)
        fw.assert_equal(abs(p[k] - now) < 60, True, f"{k} in Unix seconds")
    fw.assert_equal(p["last_block"] >= p["last_transaction"], True, "the block came last")
    fw.assert_equal(p["inflight"], [], "nothing left in flight")
    q = peers(a)[0]
    fw.assert_equal((q["last_transaction"], q["last_block"]), (0, 0), "b delivered nothing")
    stop_all(a, b)


if __name__ == "__main__":
    fw.main([test_peerinfo_fields, test_addnode_disconnect, test_networkactive, test_bans,
             test_mocktime, test_gossipinfo, test_peer_relay_times])
