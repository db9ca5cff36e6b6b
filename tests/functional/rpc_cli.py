#!/usr/bin/env python3
"""hearsay-cli against a running hearsayd: output layout, errors and exit
statuses, -named, -stdin, credentials, -rpcwait, and a node that is not
running."""

import os
import subprocess
import time

import framework as fw

CLI = os.path.join(fw.BUILDDIR, "hearsay-cli")


def cli(node, *args, stdin=None, timeout=30):
    """Runs hearsay-cli on the node's datadir (it reads hearsay.conf there
    for the chain and port, and the cookie): (exit status, stdout, stderr)."""
    p = subprocess.run([CLI, f"-datadir={node.datadir}"] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_output_and_errors(t):
    node = t.add_node().start()
    rc, out, err = cli(node, "uptime")
    fw.assert_equal((rc, out.strip().isdigit(), err), (0, True, ""))
    # Strings raw; JSON indented by two spaces, as bitcoin-cli.
    rc, out, _ = cli(node, "help", "uptime")
    fw.assert_equal(out.startswith("uptime\n\nReturns the total uptime"), True, out)
    rc, out, _ = cli(node, "echo", "text", "12", '{"a":[1,{}]}', "[]", "true", "0.5")
    fw.assert_equal(out, '[\n  "text",\n  12,\n  {\n    "a": [\n      1,\n      {\n      }\n'
                         '    ]\n  },\n  [\n  ],\n  true,\n  0.5\n]\n')
    rc, out, _ = cli(node, "logging", '["rpc"]')
    fw.assert_in('  "rpc": true,\n', out)
    # Errors: stderr, exit status |code| as bitcoin-cli.
    rc, out, err = cli(node, "nosuch")
    fw.assert_equal((rc, out, err), (32601 & 0xff, "",
                                     "error code: -32601\nerror message:\nMethod not found\n"))
    rc, _, err = cli(node, "logging", '["bogus"]')
    fw.assert_equal((rc, err), (8, "error code: -8\nerror message:\n"
                                   "unknown logging category bogus\n"))
    rc, _, err = cli(node, "help", "a", "b")
    fw.assert_equal(rc, 1)
    fw.assert_in('error code: -1\nerror message:\nhelp ( "command" )', err)
    rc, _, err = cli(node)
    fw.assert_equal((rc, err), (1, "error: too few parameters (need at least command)\n"))


def test_named_and_stdin(t):
    node = t.add_node().start()
    rc, out, _ = cli(node, "-named", "echo", "arg2=x", "arg0=5")
    fw.assert_equal((rc, out), (0, '[\n  5,\n  null,\n  "x"\n]\n'))
    rc, out, _ = cli(node, "-named", "help", "command=stop")
    fw.assert_equal(out.startswith("stop\n"), True, out)
    rc, _, err = cli(node, "-named", "help", "stop")
    fw.assert_equal(rc, 1)
    fw.assert_in("No '=' in named argument 'stop'", err)
    rc, _, err = cli(node, "-named", "help", "cmd=stop")
    fw.assert_equal((rc, err), (8, "error code: -8\nerror message:\nUnknown named parameter cmd\n"))
    rc, out, _ = cli(node, "-stdin", "echo", "first", stdin="second line\n{\"k\":1}\n")
    fw.assert_equal(out, '[\n  "first",\n  "second line",\n  {\n    "k": 1\n  }\n]\n')
    rc, out, _ = cli(node, "-stdin", "-named", "echo", stdin="arg1=y\n")
    fw.assert_equal(out, '[\n  null,\n  "y"\n]\n')


def test_credentials(t):
    node = t.add_node()
    node.write_conf(extra=["rpcuser=alice", "rpcpassword=pw"])
    node.start()
    rc, out, _ = cli(node, "uptime")  # from hearsay.conf
    fw.assert_equal(rc, 0)
    rc, _, err = cli(node, "-rpcpassword=wrong", "uptime")
    fw.assert_equal((rc, err), (1, "error: Authorization failed: Incorrect rpcuser or "
                                   "rpcpassword\n"))
    rc, _, _ = cli(node, f"-rpcconnect=127.0.0.1:{node.rpc_port}", "uptime")
    fw.assert_equal(rc, 0)


def test_not_running_and_rpcwait(t):
    node = t.add_node()
    rc, out, err = cli(node, "uptime")
    fw.assert_equal(rc, 1)
    fw.assert_in(f"error: Could not connect to the server 127.0.0.1:{node.rpc_port}\n", err)
    fw.assert_in("Make sure the hearsayd server is running", err)
    start = time.monotonic()
    rc, _, err = cli(node, "-rpcwait", "-rpcwaittimeout=1", "uptime")
    fw.assert_equal(rc, 1)
    fw.assert_in("timeout on transient error: Could not connect", err)
    fw.assert_equal(time.monotonic() - start < 10, True, "-rpcwaittimeout bounds the wait")
    # -rpcwait: the command runs once the node is up (and its cookie written).
    waiter = fw.spawn([CLI, f"-datadir={node.datadir}", "-rpcwait", "-rpcwaittimeout=60",
                       "echo", "up"], subprocess.PIPE, subprocess.PIPE, text=True)
    time.sleep(1.0)
    fw.assert_equal(waiter.poll(), None, "still waiting")
    node.start()
    out, err = waiter.communicate(timeout=30)
    fw.assert_equal((waiter.returncode, out, err), (0, '[\n  "up"\n]\n', ""))
    rc, out, _ = cli(node, "stop")
    fw.assert_equal((rc, out), (0, "hearsay stopping\n"))
    fw.assert_equal(node.process.wait(20), 0)


if __name__ == "__main__":
    if not os.access(CLI, os.X_OK):
        print(f"SKIP: {CLI} not found")
        raise SystemExit(fw.SKIP)
    fw.main([test_output_and_errors, test_named_and_stdin, test_credentials,
             test_not_running_and_rpcwait])
