#!/usr/bin/env python3
"""Interleaved A/B echo comparison of echo-server binaries (any peer that
speaks magpie_peer's `PEER echo WORKERS` command line): for each round, for
each worker count, each binary in turn (A B A B ...), one fresh server, one
warm-up load run, then one measured load run of CONNECTIONS x MESSAGES.
The order of the binaries is reversed every other round. Prints one line
per run and, per (binary, workers), the medians of req/s, server CPU seconds
per 200k requests (from /proc, as run.py) and RTT p99, the ratios of every
binary's medians to the first's, and the median of the per-round paired
ratios with its 95% confidence interval and verdict (bench/compare/paired.py;
>= 6 rounds for an interval).

    bench/compare/echo_ab.py --bin old=/tmp/old_peer --bin new=bazel-out/k8-opt/bin/... \
        --load bazel-out/k8-opt/bin/bench/echo_load --workers 1,2 --rounds 3
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paired  # noqa: E402
from run import (cpu_seconds, echo_load_command,  # noqa: E402
                 start_echo_server)


def one(binary, workers, args):
    server, port = start_echo_server([binary], workers)
    try:
        if port is None:
            return None

        def load(messages):
            cmd = echo_load_command(args.load, port, messages, args)
            before = cpu_seconds(server.pid)
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                                 timeout=300)
            used = cpu_seconds(server.pid) - before
            rps = p99 = n = None
            for line in out.stdout.splitlines():
                if line.startswith("requests:"):
                    n = int(line.split()[1])
                    rps = float(line.split("requests/s:")[1])
                if line.startswith("rtt us:"):
                    p99 = float(line.split("p99")[1].split()[0])
            if out.returncode != 0 or rps is None:
                return None
            return rps, used * 200000.0 / n, p99

        load(max(1, args.messages // 10))
        return load(args.messages)
    finally:
        server.kill()
        server.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", action="append", required=True,
                   help="name=path; the first is the reference")
    p.add_argument("--load", required=True)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--load-workers", type=int, default=2)
    args = p.parse_args()
    bins = [b.split("=", 1) for b in args.bin]
    workers = [int(w) for w in args.workers.split(",")]
    res = {}
    by_round = {}  # (name, w) -> one value or None per round, for pairing
    for r in range(args.rounds):
        order = bins if r % 2 == 0 else list(reversed(bins))
        for w in workers:
            for name, path in order:
                v = one(path, w, args)
                print(f"round {r} {name} {w}w: {v}", flush=True)
                by_round.setdefault((name, w), []).append(v)
                if v:
                    res.setdefault((name, w), []).append(v)
    ref = bins[0][0]
    for w in workers:
        med = {}
        for name, _ in bins:
            vals = res.get((name, w), [])
            if not vals:
                continue
            med[name] = [statistics.median(v[i] for v in vals)
                         for i in range(3)]
            print(f"{w}w {name:8s} req/s {med[name][0]:9.0f}  "
                  f"cpu s/200k {med[name][1]:6.3f}  p99 us {med[name][2]:8.1f}"
                  f"  (n={len(vals)})")
        for name, _ in bins:
            if name != ref and name in med and ref in med:
                a, b = med[ref], med[name]
                print(f"{w}w {name}/{ref}: req/s {b[0]/a[0]:.2f}x  "
                      f"cpu/req {b[1]/a[1]:.2f}x  p99 {b[2]/a[2]:.2f}x")
                # Paired: each round's ratio of cost (1/req/s, CPU, p99).
                for i, (label, higher) in enumerate(
                        [("req/s cost", True), ("cpu/req", False),
                         ("p99", False)]):
                    xs = [v and v[i] for v in by_round[(name, w)]]
                    refs = [v and v[i] for v in by_round[(ref, w)]]
                    ci = paired.median_ci(paired.cost_ratios(xs, refs, higher))
                    if ci is not None:
                        print(f"{w}w {name}/{ref} paired {label}: "
                              f"{paired.describe(ci, 'rounds')}")


if __name__ == "__main__":
    main()
