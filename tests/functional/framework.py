"""A small functional test framework for hearsay (Python standard library only).

A test script lists test functions and hands them to main():

    import framework as fw

    def test_starts(t):
        node = t.add_node()
        node.start()
        fw.assert_equal(node.stop(), 0)

    if __name__ == "__main__":
        fw.main([test_starts])

Each test function gets a TestContext `t` with its own temporary directory.
Nodes get a datadir inside it, a hearsay.conf for regtest and free loopback
ports. When a test fails, main() prints the traceback and every node's
debug.log and stderr; whatever happens, every process the test started is
killed and the temporary directory removed (kept with HEARSAY_KEEP_TMP=1).
The whole script is bounded by a timeout (HEARSAY_TEST_TIMEOUT, seconds).

The build directory comes from HEARSAY_BUILDDIR (set by `make check`),
else the current directory.
"""

import base64
import ctypes
import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True

BUILDDIR = os.environ.get("HEARSAY_BUILDDIR", os.getcwd())
HEARSAYD = os.path.join(BUILDDIR, "hearsayd")
LOOPBACK = "127.0.0.1"
SKIP = 77  # automake's exit code for a skipped test

# Every process any test started, so that nothing outlives the script.
_processes = []
# Ports come from blocks below the kernel's ephemeral range (32768+), so an
# outgoing connection's local port never takes one, and each block is held
# by one test process at a time through a lock file, so tests running in
# parallel never pick the same port.
PORT_BLOCK = 200
PORT_FIRST, PORT_LAST = 20000, 32600
_port_block = None  # (lock file, next port, end)


class TestFailure(AssertionError):
    pass


class RPCError(Exception):
    """A JSON-RPC error reply: code and message as the node sent them."""

    def __init__(self, code, message):
        super().__init__(f"RPC error {code}: {message}")
        self.code = code
        self.message = message


def assert_raises_rpc_error(code, message, fn, *args, **kw):
    """fn(*args) must fail with this RPC error code (None: any) and a
    message containing `message` (None: any)."""
    try:
        fn(*args, **kw)
    except RPCError as e:
        if code is not None and e.code != code:
            raise TestFailure(f"RPC error code {e.code} ({e.message}), want {code}")
        if message is not None and message not in e.message:
            raise TestFailure(f"RPC error message {e.message!r} lacks {message!r}")
        return
    raise TestFailure(f"no RPC error; want code {code}")


def assert_equal(got, want, what=""):
    if got != want:
        raise TestFailure(f"{what + ': ' if what else ''}got {got!r}, want {want!r}")


def assert_in(needle, haystack, what=""):
    if needle not in haystack:
        shown = haystack if len(haystack) < 2000 else haystack[-2000:]
        raise TestFailure(f"{what + ': ' if what else ''}{needle!r} not found in:\n{shown}")


def wait_until(predicate, timeout=10.0, interval=0.05, what=None):
    """Polls predicate() until it is true; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout} s waiting for "
                              f"{what or getattr(predicate, '__name__', 'a condition')}")
        time.sleep(interval)


def _claim_port_block():
    lockdir = os.path.join(tempfile.gettempdir(), "hearsay-test-ports")
    os.makedirs(lockdir, exist_ok=True)
    for base in range(PORT_FIRST, PORT_LAST - PORT_BLOCK + 1, PORT_BLOCK):
        f = open(os.path.join(lockdir, f"{base}.lock"), "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        return [f, base, base + PORT_BLOCK]  # the lock lives as long as this process
    raise TestFailure("no free block of test ports")


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
            return True
        except OSError:
            return False


def free_ports(count):
    """The first of count consecutive loopback TCP ports that this test
    process owns and nobody listens on now."""
    global _port_block
    while True:
        if _port_block is None or _port_block[1] + count > _port_block[2]:
            _port_block = _claim_port_block()  # the old block stays held
        base = _port_block[1]
        _port_block[1] += count
        if all(_bindable(p) for p in range(base, base + count)):
            return base


def free_port():
    """A loopback TCP port that this test process owns and nobody listens on."""
    return free_ports(1)


def _die_with_parent():
    # Linux: the child gets SIGKILL if this script dies, even by SIGKILL.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def spawn(args, stdout, stderr, **kw):
    """Starts a process that the framework will kill at the end."""
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                         preexec_fn=_die_with_parent, **kw)
    _processes.append(p)
    return p


def kill_all(grace=5.0):
    """SIGTERM, then SIGKILL after grace seconds, to every process still running."""
    live = [p for p in _processes if p.poll() is None]
    for p in live:
        p.terminate()
    deadline = time.monotonic() + grace
    for p in live:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    _processes.clear()


_help_options = None


def daemon_options():
    """The option names hearsayd -help lists, so that nodes are configured
    with loopback ports and no outside peers as soon as the options exist."""
    global _help_options
    if _help_options is None:
        out = subprocess.run([HEARSAYD, "-help"], capture_output=True, text=True,
                             timeout=30).stdout
        _help_options = set()
        for line in out.splitlines():
            if line.startswith("  -"):
                _help_options.add(line[3:].split("=")[0].strip())
    return _help_options


class Node:
    def __init__(self, ctx, index, chain="regtest"):
        self.ctx = ctx
        self.index = index
        self.chain = chain
        self.datadir = os.path.join(ctx.tmpdir, f"node{index}")
        self.chaindir = self.datadir if chain == "main" else os.path.join(self.datadir, chain)
        self.conf_path = os.path.join(self.datadir, "hearsay.conf")
        self.p2p_port = free_port()
        self.rpc_port = free_port()
        self.process = None
        self.runs = 0
        self.log_offset = 0
        os.makedirs(self.datadir)
        self.write_conf()

    def default_conf(self):
        """Only loopback, only chosen ports, no peers from DNS or fixed seeds.
        Options are written only once hearsayd declares them."""
        wanted = [("port", self.p2p_port), ("rpcport", self.rpc_port),
                  ("bind", LOOPBACK), ("rpcbind", LOOPBACK), ("rpcallowip", LOOPBACK),
                  ("dnsseed", 0), ("fixedseeds", 0), ("discover", 0), ("listenonion", 0),
                  ("upnp", 0), ("natpmp", 0)]
        known = daemon_options()
        return [f"{k}={v}" for k, v in wanted if k in known]

    def write_conf(self, extra=(), top=()):
        """hearsay.conf: `top` lines before the [chain] section, `extra` inside it."""
        lines = [f"chain={self.chain}"] + list(top) + [f"[{self.chain}]"]
        lines += self.default_conf() + list(extra)
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def _out_paths(self):
        self.runs += 1
        base = os.path.join(self.ctx.tmpdir, f"node{self.index}.run{self.runs}")
        return base + ".stdout", base + ".stderr"

    def args(self, extra):
        return [HEARSAYD, f"-datadir={self.datadir}"] + list(extra)

    def start(self, *extra, wait=True, timeout=30.0):
        """Starts hearsayd; with wait, returns once its log says "Startup: done"."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.stdout_path, self.stderr_path = self._out_paths()
        self.log_offset = len(self.debug_log())  # earlier runs' lines don't count
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = spawn(self.args(extra), out, err)
        if wait:
            self.wait_for_log("Startup: done", timeout=timeout, since_start=True)
        return self

    def run(self, *extra, timeout=30.0):
        """Runs hearsayd on this datadir to completion (error paths, -help):
        returns (exit code, stdout, stderr)."""
        out_path, err_path = self._out_paths()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            p = spawn(self.args(extra), out, err)
            try:
                rc = p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise TestFailure(f"hearsayd {' '.join(extra)} did not exit within {timeout} s")
        return rc, _read(out_path), _read(err_path)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def send_signal(self, sig):
        self.process.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends sig and waits for the exit: returns the exit code."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise TestFailure(f"node{self.index} did not stop within {timeout} s of signal {sig}")

    def rpc(self, method, *params, timeout=30.0):
        """Calls a JSON-RPC method on this node with the credentials of its
        .cookie file (as bitcoin-cli does); returns the result, raises
        RPCError for an error reply."""
        with open(os.path.join(self.chaindir, ".cookie"), encoding="ascii") as f:
            auth = base64.b64encode(f.read().strip().encode()).decode()
        body = json.dumps({"jsonrpc": "1.0", "id": "fw", "method": method,
                           "params": list(params)})
        conn = http.client.HTTPConnection(LOOPBACK, self.rpc_port, timeout=timeout)
        try:
            conn.request("POST", "/", body, {"Authorization": f"Basic {auth}",
                                             "Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            reply = json.loads(data)
        except ValueError:
            raise TestFailure(f"{method}: HTTP {resp.status}, not JSON: {data[:200]!r}")
        if reply.get("error"):
            raise RPCError(reply["error"].get("code"), reply["error"].get("message"))
        return reply.get("result")

    def debug_log_path(self):
        return os.path.join(self.chaindir, "debug.log")

    def debug_log(self):
        return _read(self.debug_log_path())

    def stdout(self):
        return _read(self.stdout_path)

    def stderr(self):
        return _read(self.stderr_path)

    def wait_for_log(self, text, timeout=10.0, since_start=False):
        """Waits for text in debug.log (with since_start, in the lines this
        run wrote); fails early if the node exits."""
        offset = self.log_offset if since_start else 0

        def found():
            if text in self.debug_log()[offset:]:
                return True
            if since_start and not self.running():
                raise TestFailure(f"node{self.index} exited with {self.process.returncode} "
                                  f"before logging {text!r}; stderr:\n{self.stderr()}")
            return False
        wait_until(found, timeout, what=f"{text!r} in node{self.index}'s debug.log")

    def report(self, tail_lines=80):
        """debug.log tail and the output of the last run, for a failure report."""
        parts = [f"----- node{self.index} ({self.datadir}) debug.log, last {tail_lines} lines"]
        parts += self.debug_log().splitlines()[-tail_lines:]
        for label, path in (("stdout", getattr(self, "stdout_path", None)),
                            ("stderr", getattr(self, "stderr_path", None))):
            if path and os.path.exists(path) and os.path.getsize(path):
                parts.append(f"----- node{self.index} {label}")
                parts += _read(path).splitlines()[-tail_lines:]
        return "\n".join(parts)


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class TestContext:
    def __init__(self, name):
        self.name = name
        self.tmpdir = tempfile.mkdtemp(prefix=f"hearsay-{name}-")
        self.nodes = []

    def add_node(self, chain="regtest"):
        node = Node(self, len(self.nodes), chain)
        self.nodes.append(node)
        return node

    def cleanup(self, keep):
        kill_all()
        if keep:
            print(f"  kept {self.tmpdir}")
        else:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _on_term(signum, frame):
    kill_all(grace=1.0)
    sys.exit(1)


def run_one(fn):
    ctx = TestContext(fn.__name__)
    ok = False
    start = time.monotonic()
    try:
        fn(ctx)
        ok = True
    except _Timeout:
        print(f"FAIL {fn.__name__}: the script's timeout expired")
        raise
    except Exception:
        print(f"FAIL {fn.__name__}:")
        traceback.print_exc(file=sys.stdout)
    finally:
        if not ok:
            for node in ctx.nodes:
                print(node.report())
        ctx.cleanup(keep=not ok and os.environ.get("HEARSAY_KEEP_TMP") == "1")
    if ok:
        print(f"PASS {fn.__name__} ({time.monotonic() - start:.2f} s)")
    sys.stdout.flush()
    return ok


def main(tests, timeout=None):
    """Runs the test functions in order; exits 0 when all pass, 1 otherwise
    (77, skipped, when hearsayd has not been built)."""
    if not os.access(HEARSAYD, os.X_OK):
        print(f"SKIP: {HEARSAYD} not found (set HEARSAY_BUILDDIR)")
        sys.exit(SKIP)
    timeout = int(timeout or os.environ.get("HEARSAY_TEST_TIMEOUT", "300"))
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.alarm(timeout)
    passed = 0
    try:
        for fn in tests:
            passed += run_one(fn)
    except _Timeout:
        pass
    finally:
        signal.alarm(0)
        kill_all()
    failed = len(tests) - passed
    print(f"{passed} passed, {failed} failed or not run")
    sys.exit(1 if failed else 0)


SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python modules live with Debian's python


def require_system_module(module, package):
    """Imports module; when this python lacks it, re-runs the script under
    Debian's python (where Debian's python3-* packages install), and when
    that lacks it too, exits as skipped, naming the package."""
    try:
        return __import__(module)
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.access(SYSTEM_PYTHON, os.X_OK) and not os.environ.get("HEARSAY_REEXEC"):
        os.environ["HEARSAY_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print(f"SKIP: the Python module {module} is not installed (Debian package {package})")
    sys.exit(SKIP)
