#!/usr/bin/env python3
"""Compares two builds' benchmark programs in one run, interleaved: A, B, A, B, ...

    python3 apps/bench/ab.py OLD_BUILD_DIR NEW_BUILD_DIR [--rounds 3] [--program NAME ...]

Each program prints name=value lines; for every name both builds print, this prints the
median of each build, new/old, and whether higher is better for it (a name ending in _ms,
_us or _ns is a time: lower is better). A benchmark never fails: the exit status is 0 unless a
program could not run at all.
"""
import argparse
import os
import statistics
import subprocess
import sys


def run(program):
    out = subprocess.run([program], capture_output=True, text=True, timeout=1800)
    values = {}
    for line in out.stdout.splitlines():
        name, sep, value = line.partition("=")
        if not sep:
            continue
        try:
            values[name.strip()] = float(value)
        except ValueError:
            pass
    return values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--program", action="append", default=None)
    args = ap.parse_args()
    programs = args.program or ["prun_bench_pool", "prun_bench_logging"]
    for prog in programs:
        a_path = os.path.join(args.old, "apps", prog)
        b_path = os.path.join(args.new, "apps", prog)
        a, b = {}, {}
        for r in range(args.rounds):
            for path, acc in ((a_path, a), (b_path, b)):
                for k, v in run(path).items():
                    acc.setdefault(k, []).append(v)
        print(f"# {prog}: median of {args.rounds} interleaved runs each")
        print(f"{'name':34} {'old':>11} {'new':>11} {'new/old':>8}  better  old range / new range")
        for k in a:
            if k not in b:
                continue
            old, new = statistics.median(a[k]), statistics.median(b[k])
            lower = k.endswith(("_ms", "_us", "_ns"))
            ratio = new / old if old else float("nan")
            print(f"{k:34} {old:11.4g} {new:11.4g} {ratio:8.3f}  {'lower ' if lower else 'higher'}"
                  f"  {min(a[k]):.4g}-{max(a[k]):.4g} / {min(b[k]):.4g}-{max(b[k]):.4g}")
        for k in b:
            if k not in a:
                print(f"{k:34} {'-':>11} {statistics.median(b[k]):11.4g}           "
                      f"{'lower ' if k.endswith(('_ms', '_us', '_ns')) else 'higher'}  {min(b[k]):.4g}-{max(b[k]):.4g}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
