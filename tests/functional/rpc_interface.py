#!/usr/bin/env python3
"""JSON-RPC against a running hearsayd, with a client in the style of
python-bitcoinrpc (urllib/http.client, Basic auth, Decimal amounts):
envelopes, batches, status codes, auth (cookie, rpcuser/rpcpassword,
rpcauth, wrong and missing credentials), bad input, and stop."""

import base64
import decimal
import hmac
import http.client
import json
import os
import socket
import stat
import time

import framework as fw


class AuthServiceProxy:
    """What python-bitcoinrpc does: one keep-alive connection, "version":
    "1.1" requests, floats parsed as Decimal."""

    def __init__(self, port, user, password, timeout=30):
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.conn = http.client.HTTPConnection(fw.LOOPBACK, port, timeout=timeout)
        self.next_id = 0

    def post(self, payload):
        self.conn.request("POST", "/", json.dumps(payload),
                          {"Authorization": self.auth, "User-Agent": "AuthServiceProxy/0.1",
                           "Content-type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data, parse_float=decimal.Decimal) if data else None)

    def call(self, method, *params):
        self.next_id += 1
        status, reply = self.post({"version": "1.1", "method": method, "params": list(params),
                                   "id": self.next_id})
        if reply.get("error"):
            raise fw.RPCError(reply["error"]["code"], reply["error"]["message"])
        fw.assert_equal(reply["id"], self.next_id, "id")
        return reply["result"]

    def close(self):
        self.conn.close()


def cookie_proxy(node):
    with open(os.path.join(node.chaindir, ".cookie"), encoding="ascii") as f:
        user, password = f.read().strip().split(":", 1)
    return AuthServiceProxy(node.rpc_port, user, password)


def raw_http(port, data, timeout=10):
    """Sends bytes as they are; returns (status, head, body)."""
    with socket.create_connection((fw.LOOPBACK, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
            head, sep, body = got.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                if len(body) >= length:
                    break
    head, _, body = got.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode(errors="replace"), body


def test_envelopes_and_batches(t):
    node = t.add_node().start()
    rpc = cookie_proxy(node)
    up = rpc.call("uptime")
    fw.assert_equal(type(up), int, "uptime type")
    for _ in range(3):  # the same keep-alive connection
        fw.assert_equal(rpc.call("echo", "a", 1, [True]), ["a", 1, [True]])
    fw.assert_raises_rpc_error(-32601, "Method not found", rpc.call, "nosuch")
    fw.assert_raises_rpc_error(-8, "unknown logging category bogus", rpc.call, "logging",
                               ["bogus"])
    fw.assert_raises_rpc_error(-3, "Wrong type passed", rpc.call, "logging", "net")
    fw.assert_raises_rpc_error(-1, "help ( \"command\" )", rpc.call, "help", "a", "b")

    # HTTP statuses for single legacy requests, and 2.0 replies.
    status, reply = rpc.post({"method": "nosuch", "id": 1})
    fw.assert_equal((status, reply["result"], reply["error"]["code"]), (404, None, -32601))
    status, reply = rpc.post({"id": 1})
    fw.assert_equal((status, reply["error"]["code"]), (400, -32600))
    status, reply = rpc.post({"method": "logging", "params": [["bogus"]], "id": 1})
    fw.assert_equal((status, reply["error"]["code"]), (500, -8))
    status, reply = rpc.post({"jsonrpc": "2.0", "method": "nosuch", "id": 5})
    fw.assert_equal((status, sorted(reply)), (200, ["error", "id", "jsonrpc"]))
    status, reply = rpc.post({"jsonrpc": "2.0", "method": "uptime", "id": 6})
    fw.assert_equal((status, sorted(reply), reply["id"]), (200, ["id", "jsonrpc", "result"], 6))
    status, reply = rpc.post({"jsonrpc": "2.0", "method": "uptime"})
    fw.assert_equal((status, reply), (204, None), "notification")

    # Batches: always 200, one reply per non-notification, in order.
    status, reply = rpc.post([{"method": "echo", "params": [1], "id": 1},
                              {"jsonrpc": "2.0", "method": "uptime"},
                              {"method": "nosuch", "id": 2},
                              "junk",
                              {"jsonrpc": "2.0", "method": "echo", "params": {"arg1": 2},
                               "id": 3}])
    fw.assert_equal(status, 200)
    fw.assert_equal([r.get("id") for r in reply], [1, 2, None, 3])
    fw.assert_equal(reply[0]["result"], [1])
    fw.assert_equal(reply[1]["error"]["code"], -32601)
    fw.assert_equal(reply[2]["error"]["code"], -32600)
    fw.assert_equal(reply[3]["result"], [None, 2])
    fw.assert_equal(rpc.post([]), (200, []))
    fw.assert_equal(rpc.post([{"jsonrpc": "2.0", "method": "uptime"}]), (204, None))

    # Named parameters.
    status, reply = rpc.post({"method": "help", "params": {"command": "uptime"}, "id": 1})
    fw.assert_in("uptime\n\nReturns the total uptime", reply["result"])
    status, reply = rpc.post({"method": "help", "params": {"cmd": "uptime"}, "id": 1})
    fw.assert_equal(reply["error"], {"code": -8, "message": "Unknown named parameter cmd"})

    help_text = rpc.call("help")
    fw.assert_in("== Control ==\n", help_text)
    fw.assert_in("\nuptime", help_text)
    info = rpc.call("getrpcinfo")
    fw.assert_equal(info["active_commands"][0]["method"], "getrpcinfo")
    fw.assert_equal(info["logpath"], node.debug_log_path())
    rpc.close()


def test_bad_input(t):
    node = t.add_node().start()
    rpc = cookie_proxy(node)
    auth = rpc.auth.encode()

    def post_raw(body, extra=b""):
        req = (b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + b"\r\n" + extra +
               b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return raw_http(node.rpc_port, req)

    status, _, body = post_raw(b"{not json")
    fw.assert_equal((status, json.loads(body)["error"]["code"]), (500, -32700))
    status, _, body = post_raw(b"[" * 100000 + b"]" * 100000)
    fw.assert_equal((status, json.loads(body)["error"]["code"]), (500, -32700), "deep nesting")
    status, _, body = post_raw(b"42")
    fw.assert_equal(json.loads(body)["error"]["message"], "Top-level object parse error")
    # Over the 32 MiB cap: 413, answered from the headers alone.
    status, _, _ = raw_http(node.rpc_port, b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                            auth + b"\r\nContent-Length: 40000000\r\n\r\n" + b" " * 100000)
    fw.assert_equal(status, 413)
    status, _, body = raw_http(node.rpc_port, b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                               auth + b"\r\n\r\n")
    fw.assert_equal((status, body), (405, b"JSONRPC server handles only POST requests"))
    # Paths first, as Bitcoin Core: a GET elsewhere (its REST paths, off
    # there by default) is 404 with an empty body, which REST clients (the
    # npm bitcoin-core one shows the body as the message) read as "no REST".
    status, _, body = raw_http(node.rpc_port,
                               b"GET /rest/chaininfo.json HTTP/1.1\r\nHost: x\r\n\r\n")
    fw.assert_equal((status, body), (404, b""), "GET of another path")
    # A client that stops mid-request is dropped after -rpcservertimeout;
    # meanwhile (and afterwards) the node answers others.
    node.stop()
    node.start("-rpcservertimeout=1")
    rpc = cookie_proxy(node)
    with socket.create_connection((fw.LOOPBACK, node.rpc_port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nContent-Le")
        fw.assert_equal(type(rpc.call("uptime")), int)
        start = time.monotonic()
        fw.assert_equal(s.recv(100), b"", "slow client dropped")
        fw.assert_equal(time.monotonic() - start < 5, True, "dropped in time")
    rpc.close()  # idle keep-alive connections time out too: use a new one
    rpc = cookie_proxy(node)
    fw.assert_equal(type(rpc.call("uptime")), int)
    rpc.close()


def rpcauth_line(user, password, salt="c2de44a9f3c5a1d2b6e6e58f7d9ab0f3"):
    digest = hmac.new(salt.encode(), password.encode(), "SHA256").hexdigest()
    return f"rpcauth={user}:{salt}${digest}"


def test_auth(t):
    node = t.add_node().start()
    cookie = os.path.join(node.chaindir, ".cookie")
    fw.assert_equal(stat.S_IMODE(os.stat(cookie).st_mode), 0o600, "cookie mode")
    with open(cookie, encoding="ascii") as f:
        content = f.read()
    fw.assert_equal((content[:11], len(content)), ("__cookie__:", 75))
    fw.assert_equal(os.path.exists(cookie + ".tmp"), False)

    status, head, _ = raw_http(node.rpc_port, b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
    fw.assert_equal(status, 401)
    fw.assert_in('WWW-Authenticate: Basic realm="jsonrpc"', head)
    bad = AuthServiceProxy(node.rpc_port, "__cookie__", "0" * 64)
    start = time.monotonic()
    fw.assert_equal(bad.post({"method": "uptime", "id": 1})[0], 401)
    fw.assert_equal(time.monotonic() - start >= 0.2, True, "wrong password answered after a delay")
    bad.close()
    node.stop()
    fw.assert_equal(os.path.exists(cookie), False, "cookie removed at shutdown")

    # -rpcuser/-rpcpassword and -rpcauth: no cookie then.
    node.write_conf(extra=["rpcuser=alice", "rpcpassword=pw1", rpcauth_line("bob", "pw2")])
    node.start()
    fw.assert_equal(os.path.exists(cookie), False, "no cookie with rpcpassword")
    for user, password, want in (("alice", "pw1", 200), ("bob", "pw2", 200),
                                 ("bob", "pw1", 401), ("alice", "pw2", 401),
                                 ("__cookie__", content[11:], 401)):
        p = AuthServiceProxy(node.rpc_port, user, password)
        fw.assert_equal(p.post({"method": "uptime", "id": 1})[0], want, f"{user}:{password}")
        p.close()
    node.stop()

    node.write_conf(extra=[rpcauth_line("carol", "pw3")])
    node.start()
    fw.assert_equal(os.path.exists(cookie), False, "no cookie with rpcauth")
    p = AuthServiceProxy(node.rpc_port, "carol", "pw3")
    fw.assert_equal(type(p.call("uptime")), int)
    p.close()
    node.stop()

    node.write_conf(extra=["rpcauth=carol-no-salt"])
    rc, _, err = node.run()
    fw.assert_equal(rc != 0, True, "malformed rpcauth refused")
    fw.assert_in("rpcauth", err)


def test_stop(t):
    node = t.add_node().start()
    rpc = cookie_proxy(node)
    fw.assert_equal(rpc.call("stop"), "hearsay stopping")
    rpc.close()
    fw.assert_equal(node.process.wait(20), 0, "exit status after stop")
    fw.assert_equal(os.path.exists(os.path.join(node.chaindir, ".cookie")), False)


if __name__ == "__main__":
    fw.main([test_envelopes_and_batches, test_bad_input, test_auth, test_stop])
