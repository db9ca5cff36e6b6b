#!/usr/bin/env python3
"""Sums the BIP330 reconciliation counters (getgossipinfo's
txreconciliation) over every node of a regtest-net network and prints
them with the rates that tune reconciliation: decode failures and
extensions per round, differences per round, sketch bytes per difference,
and where the reconciliation bytes go.
Usage: rnrecon.py DIR [--save FILE | --since FILE]
--save keeps the sums in FILE (JSON); --since prints what changed since
the sums saved there (a load's share)."""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rnlib  # noqa: E402


def sums(directory):
    net = rnlib.Network.load(directory)
    total = {}
    for i in range(len(net.nodes)):
        rec = net.rpc(i).call("getgossipinfo").get("txreconciliation") or {}
        for k, v in rec.items():
            total[k] = total.get(k, 0) + v
    return total


def main():
    ap = argparse.ArgumentParser(description="BIP330 counters of a regtest-net network")
    ap.add_argument("dir", nargs="?", default="regtest-net")
    ap.add_argument("--save", metavar="FILE")
    ap.add_argument("--since", metavar="FILE")
    args = ap.parse_args()
    total = sums(args.dir)
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(total, f)
        return
    if args.since:
        with open(args.since, encoding="utf-8") as f:
            before = json.load(f)
        total = {k: v - before.get(k, 0) for k, v in total.items()}
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
    # Where the bytes go: the messages' fixed parts (24-byte header, then
    # reqrecon's 4 bytes, sketch's and reconcildiff's count and flag),
    # sketch elements against the differences they carried, asked ids.
    elements = total["sketch_bytes_sent"] / 4
    fixed = rounds * (24 + 4) + total["sketches_sent"] * (24 + 1) \
        + total["extensions"] / 2 * 24 + rounds * (24 + 2)
    print(f"bytes: {fixed / rounds:.1f} per round in message headers and fixed fields, "
          f"sketch elements {elements:.0f} for {total['differences']} differences "
          f"({100 * total['differences'] / (elements or 1):.0f}% used), "
          f"asked ids {4 * total['asked']} B, "
          f"{total['announced']} wtxids announced after rounds")


if __name__ == "__main__":
    main()
