#!/usr/bin/env python3
"""hearsayd as a process: start-up, datadir, lock, signals, errors, -help."""

import os
import signal
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import framework as fw  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402


def test_start_and_sigterm(t):
    node = t.add_node()
    node.start()
    for name in ("debug.log", ".lock", "blocks/blk00000.dat", "blocks/index", "chainstate"):
        assert os.path.exists(os.path.join(node.chaindir, name)), f"{name} missing"
    log = node.debug_log()
    assert_in("hearsay version v", log)
    assert_in("Chain: regtest", log)
    assert_in(f"Using data directory {node.chaindir}", log)
    assert_in(f"Config file: {node.conf_path}", log)
    assert_equal(node.stop(signal.SIGTERM), 0, "exit code after SIGTERM")
    assert_in("Shutdown: done", node.debug_log())
    assert_equal(node.stderr(), "", "stderr")


def test_sigint_and_restart(t):
    node = t.add_node()
    node.start()
    assert_equal(node.stop(signal.SIGINT), 0, "exit code after SIGINT")
    # The lock went with the process: the same datadir starts again.
    node.start()
    assert_equal(node.stop(), 0)
    assert_equal(node.debug_log().count("Shutdown: done"), 2)


def test_second_instance_refused(t):
    node = t.add_node()
    node.start()
    rc, _, err = node.run()
    assert_equal(rc, 1, "second instance's exit code")
    assert_in(f"Cannot obtain a lock on data directory {node.chaindir}", err)
    assert_in("hearsay is probably already running.", err)
    assert node.running(), "the first instance must keep running"
    assert_equal(node.stop(), 0)


def test_sighup_reopens_debug_log(t):
    node = t.add_node()
    node.start()
    rotated = node.debug_log_path() + ".1"
    os.rename(node.debug_log_path(), rotated)
    node.send_signal(signal.SIGHUP)
    fw.wait_until(lambda: "Reopened debug.log" in node.debug_log(), what="a new debug.log")
    assert_equal(node.stop(), 0)
    assert_in("Shutdown: done", node.debug_log())
    assert "Shutdown: done" not in fw._read(rotated)


def test_conf_section_and_console(t):
    """Settings from the [regtest] section apply; -printtoconsole copies the log to stdout."""
    node = t.add_node()
    node.write_conf(extra=["printtoconsole=1", "debug=net", "debugexclude=net", "debug=rpc"])
    node.start()
    assert_equal(node.stop(), 0)
    out = node.stdout()
    assert_in("Chain: regtest", out)
    assert_in("Debug logging: rpc", out)
    assert "Debug logging: net" not in out


def one_line_error(rc, out, err, want):
    assert_equal(rc, 1, f"exit code for {want!r}")
    assert_in(want, err)
    lines = err.strip().splitlines()
    assert_equal(len(lines), 1, f"stderr lines: {lines}")
    assert lines[0].startswith("Error: "), lines[0]


def test_bad_options(t):
    node = t.add_node()
    cases = [
        (["-bogus"], "-bogus: unknown option"),
        (["-printtoconsole=maybe"], "-printtoconsole=maybe: not a boolean"),
        (["-debug=nonsense"], "Unsupported logging category -debug=nonsense."),
        (["-chain=moon"], "-chain=moon: unknown chain"),
        (["-regtest", "-signet"], "Can use at most one"),
        (["-conf=nothere.conf"], "cannot read configuration file"),
        ([f"-datadir={node.datadir}/nothere"], "does not exist"),
        (["stray"], "unexpected argument 'stray'"),
    ]
    for args, want in cases:
        one_line_error(*node.run(*args), want)
    assert not os.path.exists(node.chaindir), "a refused start must not create the chain dir"


def test_bad_conf(t):
    node = t.add_node()
    node.write_conf(extra=["nosuchoption=1"])
    # The framework writes the options of every area present, so find the line.
    with open(node.conf_path) as f:
        lineno = [l.strip() for l in f].index("nosuchoption=1") + 1
    one_line_error(*node.run(), f"{node.conf_path}:{lineno}: nosuchoption=1: unknown option")
    node.write_conf(top=["-printtoconsole=1"])
    one_line_error(*node.run(), "written without the leading -")
    node.write_conf(extra=["[regtest"])
    one_line_error(*node.run(), "malformed section header")
    os.chmod(node.conf_path, 0)
    if os.geteuid() != 0:  # root reads anything
        one_line_error(*node.run(), "cannot read configuration file")
    os.remove(node.conf_path)
    os.mkdir(node.conf_path)  # a directory where the file should be
    one_line_error(*node.run(), "cannot read configuration file")


def test_subsystem_failure(t):
    """A subsystem that cannot start: one-line error, exit 1, the rest stopped."""
    node = t.add_node()
    os.makedirs(node.chaindir)
    with open(os.path.join(node.chaindir, "chainstate"), "w") as f:
        f.write("not a database directory\n")
    one_line_error(*node.run(), "cannot open the chain store")
    log = node.debug_log()
    assert_in("[error] chain: cannot open the chain store", log)
    assert_in("Shutdown: done", log)


def test_help_and_version(t):
    node = t.add_node()
    node.write_conf(extra=["this is not a conf line"])  # -help must not read it
    rc, out, err = node.run("-help")
    assert_equal(rc, 0)
    for want in ("Usage: hearsayd", "-regtest", "-datadir=<dir>", "-debug=<category>",
                 "-printtoconsole", "Debug categories", "net"):
        assert_in(want, out)
    rc, out, err = node.run("-version")
    assert_equal(rc, 0)
    assert out.startswith("hearsay version v"), out


if __name__ == "__main__":
    fw.main([test_start_and_sigterm, test_sigint_and_restart, test_second_instance_refused,
             test_sighup_reopens_debug_log, test_conf_section_and_console, test_bad_options,
             test_bad_conf, test_subsystem_failure, test_help_and_version])
