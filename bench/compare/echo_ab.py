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
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import echo_cli  # noqa: E402
import paired  # noqa: E402
from run import cpu_seconds  # noqa: E402


def one(binary, workers, args):
    """((req/s, server CPU s per 200k requests, RTT p99 us), None) of one
    server run, or (None, why it failed)."""
    with echo_cli.warmed_server([binary], workers, args) as (server, port,
                                                             failure):
        if failure:
            return None, failure
        before = cpu_seconds(server.pid)
        measured = echo_cli.run_load(args, port, args.messages)
        used = cpu_seconds(server.pid) - before
        if not measured:
            return None, measured.failure
        if measured.rps is None or measured.p99_us is None:
            return None, "the load generator printed no req/s or p99"
        return (measured.rps, used * 200000.0 / measured.requests,
                measured.p99_us), None


def main():
    p = echo_cli.make_parser(__doc__, workers="1,2", rounds=3)
    args = p.parse_args()
    bins, workers = echo_cli.parse(p, args)
    by_round = echo_cli.run_rounds(  # (name, w) -> a value or None per round
        bins, workers, args.rounds, lambda path, w: one(path, w, args),
        lambda v: (f"req/s {v[0]:.0f}  cpu s/200k {v[1]:.3f}  "
                   f"p99 us {v[2]:.1f}"))
    res = {key: [v for v in values if v] for key, values in by_round.items()}
    ref = bins[0][0]
    all_ok = True
    for w in workers:
        med = {}
        for name, _ in bins:
            vals = res.get((name, w), [])
            if not vals:
                print(f"{w}w {name:8s} no successful run")
                all_ok = False
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
                    echo_cli.print_paired(
                        f"{w}w {name}/{ref} paired", label,
                        paired.cost_ratios(xs, refs, higher))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
