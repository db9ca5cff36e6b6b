#!/usr/bin/env python3
"""Peer discovery as Bitcoin Core: DNS seeds (answered by a local test DNS
server, tests/functional/dnsserver.py), fixed seeds when DNS gives nothing
within 60 s (moved on with setmocktime), -seednode addr-fetch connections,
and no seed lookups at all on regtest. Loopback only: the seed names exist
only in the test server, and the seed lists are the test's own."""
import random
import time

import framework as fw
from dnsserver import DNSServer

SEED = "seed.hearsay.test"
REGTEST_PORT = 18444  # DNS answers carry no port: the chain's default


def private_loopback():
    """A loopback address no other test uses, to listen on the default port."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def peers(node):
    return {p["addr"]: p for p in node.rpc("getpeerinfo")}


def wait_peer(node, addr, what):
    fw.wait_until(lambda: addr in peers(node), 20, what=what)


def seeded(node, dns, *extra):
    node.start("-dnsseed=1", f"-dnsseedhost={SEED}", f"-dnsserver={dns.address}",
               "-nettick=200", *extra)


def test_dns_seed_fills_addrman_and_connects(t):
    ip = private_loopback()
    target = t.add_node()
    target.start(f"-bind={ip}:{REGTEST_PORT}")
    silent = ip.rsplit(".", 1)[0] + (".1" if not ip.endswith(".1") else ".3")  # nobody there
    dns = DNSServer({f"x9.{SEED}": [ip, silent]})
    try:
        node = t.add_node()
        seeded(node, dns)
        node.wait_for_log(f"Loading addresses from DNS seed {SEED}", since_start=True)
        want = f"{ip}:{REGTEST_PORT}"
        wait_peer(node, want, "a connection to the seed's answer")
        fw.assert_equal(peers(node)[want]["connection_type"], "outbound-full-relay")
        # Core asks for the service-bit subdomain (x9: NODE_NETWORK | NODE_WITNESS).
        fw.assert_in(f"x9.{SEED}", dns.queries)
        node.wait_for_log("2 addresses found from DNS seeds", since_start=True)
        # The answers are stored. Loopback addresses all share one network
        # group, so both land in the same new bucket, and as in Core's
        # addrman the second is dropped when its slot is taken (1 run in 64):
        # ask for at least the one we connected to.
        fw.assert_equal(node.rpc("getaddrmaninfo")["ipv4"]["total"] >= 1, True, "addresses")
        fw.assert_equal(node.stop(), 0)
    finally:
        dns.close()
    fw.assert_equal(target.stop(), 0)


def test_fixed_seeds_when_dns_is_silent(t):
    target = t.add_node()
    target.start()
    dns = DNSServer(drop=True)
    try:
        node = t.add_node()
        seeded(node, dns, "-fixedseeds=1", f"-fixedseed=127.0.0.1:{target.p2p_port}")
        fw.wait_until(lambda: dns.queries, 10, what="the seed lookup")
        time.sleep(1.5)
        fw.assert_equal(node.rpc("getconnectioncount"), 0)
        fw.assert_equal(node.rpc("getaddrmaninfo")["all_networks"]["total"], 0)
        # Core waits 60 s for DNS before the fixed seeds: move the clock on.
        node.rpc("setmocktime", int(time.time()) + 61)
        node.wait_for_log("Adding fixed seeds as 60 seconds have passed", since_start=True)
        wait_peer(node, f"127.0.0.1:{target.p2p_port}", "a connection to the fixed seed")
        fw.assert_equal(node.stop(), 0)
    finally:
        dns.close()
    fw.assert_equal(target.stop(), 0)


def test_fixed_seeds_at_once_without_other_sources(t):
    target = t.add_node()
    target.start()
    node = t.add_node()
    node.start("-dnsseed=0", "-fixedseeds=1", f"-fixedseed=127.0.0.1:{target.p2p_port}",
               "-nettick=200")
    node.wait_for_log("Adding fixed seeds as -dnsseed=0", since_start=True)
    wait_peer(node, f"127.0.0.1:{target.p2p_port}", "a connection to the fixed seed")
    fw.assert_equal(node.stop(), 0)
    fw.assert_equal(target.stop(), 0)


def test_seednode_fetches_and_disconnects(t):
    source = t.add_node()
    source.start("-maxoutbound=0")
    for i in range(20):  # enough that 23% of them is more than one address
        source.rpc("addpeeraddress", f"127.0.{i + 1}.9", 8333)
    node = t.add_node()
    node.start(f"-seednode=127.0.0.1:{source.p2p_port}", "-maxoutbound=0", "-nettick=200")
    node.wait_for_log(f"addr-fetch connection to 127.0.0.1:{source.p2p_port}", since_start=True)
    node.wait_for_log("addrfetch connection completed", since_start=True, timeout=20)
    fw.wait_until(lambda: node.rpc("getaddrmaninfo")["ipv4"]["total"] >= 2, 10,
                  what="addresses from the seed node")
    fw.wait_until(lambda: not node.rpc("getpeerinfo"), 10, what="the seed node disconnected")
    fw.assert_equal(node.stop(), 0)
    fw.assert_equal(source.stop(), 0)


def test_no_seed_lookups_on_regtest(t):
    dns = DNSServer({f"x9.{SEED}": ["127.0.0.1"]})
    try:
        node = t.add_node()
        # DNS seeding on, pointed at a server, but regtest has no seed names.
        node.start("-dnsseed=1", "-fixedseeds=1", f"-dnsserver={dns.address}", "-nettick=200")
        node.wait_for_log("0 addresses found from DNS seeds", since_start=True)
        log = node.debug_log()[node.log_offset:]
        fw.assert_equal("Loading addresses from DNS seed" in log, False, "a seed lookup")
        time.sleep(1)
        fw.assert_equal(dns.queries, [], "queries sent")
        fw.assert_equal(node.stop(), 0)
    finally:
        dns.close()


def test_dnsseed_option_interaction(t):
    """As Core: -connect turns DNS seeding off unless -dnsseed=1 says
    otherwise, and -forcednsseed contradicts -dnsseed=0."""
    node = t.add_node()
    node.start("-connect=127.0.0.1:1", "-forcednsseed=0")
    node.wait_for_log("DNS seeding disabled", since_start=True)
    fw.assert_equal(node.stop(), 0)
    rc, _, err = node.run("-forcednsseed=1", "-dnsseed=0")
    fw.assert_equal(rc != 0, True, "exit code")
    fw.assert_in("Cannot set -forcednsseed to true when setting -dnsseed to false.", err)


if __name__ == "__main__":
    fw.main([test_dns_seed_fills_addrman_and_connects, test_fixed_seeds_when_dns_is_silent,
             test_fixed_seeds_at_once_without_other_sources,
             test_seednode_fetches_and_disconnects, test_no_seed_lookups_on_regtest,
             test_dnsseed_option_interaction])
