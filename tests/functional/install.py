#!/usr/bin/env python3
"""make install: programs, manual pages that render and list every option of
-help, the example configuration (current with -help), the systemd unit and the
Grafana dashboard."""

import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import framework as fw  # noqa: E402
from framework import assert_equal, assert_in  # noqa: E402

SRCDIR = os.environ.get("HEARSAY_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
HELPDOC = os.path.join(SRCDIR, "contrib", "gen", "helpdoc.py")


def clean_env():
    # A make started from `make check` must not join the outer jobserver.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["LC_ALL"] = "C"
    env["MANWIDTH"] = "200"  # option names on one line each
    return env


def help_options(program):
    out = subprocess.run([program, "-help"], capture_output=True, text=True, timeout=30).stdout
    return {m.group(1) for m in re.finditer(r"^  (-[a-z0-9]+)", out, re.M)}


def man_text(page):
    """The page as man renders it, or its source when man is missing."""
    if not shutil.which("man"):
        print("  man not installed: the page is checked as source text")
        return open(page, encoding="utf-8").read().replace("\\-", "-")
    out = subprocess.run(["man", "-l", page], capture_output=True, text=True,
                         env=clean_env(), timeout=60, check=True).stdout
    return re.sub(r".\x08", "", out)  # bold and underline overstrikes


def install(t):
    dest = os.path.join(t.tmpdir, "dest")
    prefix = "/usr/local"
    subprocess.run(["make", "-s", "-C", fw.BUILDDIR, "install", f"DESTDIR={dest}",
                    f"prefix={prefix}"], check=True, env=clean_env(),
                   stdout=subprocess.DEVNULL, timeout=600)
    return dest + prefix


def test_layout_and_man_pages(t):
    root = install(t)
    for prog in ("hearsayd", "hearsay-cli"):
        path = os.path.join(root, "bin", prog)
        assert os.access(path, os.X_OK), f"{path} not installed"
        ver = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=30)
        assert_in("v0.", ver.stdout, f"{prog} -version")
        page = os.path.join(root, "share", "man", "man1", prog + ".1")
        assert os.path.isfile(page), f"{page} not installed"
        text = man_text(page)
        assert_in(prog.upper(), text, f"{prog}.1 heading")
        for opt in help_options(path):
            assert re.search(re.escape(opt) + r"\b", text), f"{prog}.1 lacks {opt}"
    examples = os.path.join(root, "share", "doc", "hearsay", "examples")
    for name in ("hearsay.conf.example", "hearsayd.service", "hearsay-dashboard.json"):
        assert os.path.isfile(os.path.join(examples, name)), f"{name} not installed"


def test_conf_example_is_current(t):
    fresh = subprocess.run([sys.executable, HELPDOC, "conf", fw.HEARSAYD], capture_output=True,
                           text=True, timeout=60, check=True).stdout
    with open(os.path.join(SRCDIR, "contrib", "hearsay.conf.example"), encoding="utf-8") as f:
        committed = f.read()
    assert committed == fresh, ("contrib/hearsay.conf.example is out of date with -help: "
                                "run `make conf-example` and commit it")
    # Every option of -help is there, and the file is a valid configuration
    # once uncommented (defaults only: a node starts with it).
    names = {l[1:].split("=", 1)[0] for l in fresh.splitlines() if re.match(r"^#[a-z]", l)}
    for opt in help_options(fw.HEARSAYD) - {"-help", "-version", "-conf", "-datadir"}:
        assert opt[1:] in names, f"{opt} missing from the example"


def test_service_unit(t):
    unit = open(os.path.join(SRCDIR, "contrib", "init", "hearsayd.service"), encoding="utf-8").read()
    for key in ("ExecStart=", "User=hearsay", "NoNewPrivileges=true", "ProtectSystem=full",
                "PrivateTmp=true", "PrivateDevices=true", "MemoryDenyWriteExecute=true"):
        assert_in(key, unit, "hearsayd.service")
    if shutil.which("systemd-analyze"):
        res = subprocess.run(["systemd-analyze", "verify", "--man=no", os.path.join(
            SRCDIR, "contrib", "init", "hearsayd.service")], capture_output=True, text=True,
            timeout=60)
        bad = [l for l in res.stderr.splitlines() if "Unknown key" in l or "Invalid" in l]
        assert_equal(bad, [], "systemd-analyze verify")


if __name__ == "__main__":
    fw.main([test_layout_and_man_pages, test_conf_example_is_current, test_service_unit])
