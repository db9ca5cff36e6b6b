#!/usr/bin/env python3
"""Sums the BIP330 reconciliation counters (getgossipinfo's
txreconciliation) over every node of a regtest-net network and prints
them with the rates that tune reconciliation: decode failures and
extensions per round, differences per round, sketch bytes per difference.
Usage: rnrecon.py DIR"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rnlib  # noqa: E402


def main(directory):
    net = rnlib.Network.load(directory)
    total = {}
    for i in range(len(net.nodes)):
        rec = net.rpc(i).call("getgossipinfo").get("txreconciliation") or {}
        for k, v in rec.items():
            total[k] = total.get(k, 0) + v
    if not total:
        print("no node reconciles")
        return
    rounds = total["rounds"] / 2 or 1  # both ends count a round
    print("reconciliation: " + ", ".join(f"{k} {v}" for k, v in total.items()))
    print(f"per round: {total['decode_failures'] / rounds:.3f} decode failures, "
          f"{total['extensions'] / 2 / rounds:.3f} extensions, "
          f"{total['fallbacks'] / 2 / rounds:.3f} fallbacks, "
          f"{total['differences'] / rounds:.2f} differences, "
          f"{total['sketch_bytes_sent'] / rounds:.1f} sketch bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "regtest-net")
