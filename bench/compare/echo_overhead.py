#!/usr/bin/env python3
"""Each echo server's own CPU per request beyond the kernel's TCP work, from
perf profiles, interleaved: a comparison that stays steady on a noisy
machine where req/s and CPU seconds swing 2-3x between runs.

    bench/compare/echo_overhead.py \\
        --bin tokio=bench/compare/tokio/target/release/tokio_peer \\
        --bin magpie=bazel-out/k8-opt/bin/bench/compare/magpie_peer \\
        --load bazel-out/k8-opt/bin/bench/echo_load --workers 2 --rounds 8

For each round, each binary in turn (order reversed every other round): a
fresh server (`BIN echo WORKERS`), one warm-up load run, then one load run
of CONNECTIONS x MESSAGES under `perf record -g -p PID`. The samples are
split (bench/compare/perf_split.py) into the TCP stack's work, the same for
every server doing one recv and one send per request, and the rest: user
space, syscall entry/exit, epoll, futexes, scheduling. A server's overhead
is the rest per TCP sample; two servers' CPU per request compare as
(1 + overhead_a) / (1 + overhead_b). Prints per (binary, workers) the median
overhead and category shares, and for every binary against the first the
median of the per-round estimated CPU ratios with a 95% confidence interval
(>= 6 rounds) and the /proc CPU-per-request ratio for comparison.

Needs `perf` (Debian: linux-perf) and permission to profile the server
(root, or kernel.perf_event_paranoid <= 1).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paired  # noqa: E402
import perf_split  # noqa: E402
from run import (cpu_seconds, echo_load_command, finish_profile,  # noqa: E402
                 perf_usable, start_echo_server, start_profile,
                 PERF_FREQUENCY_HZ)


def one(binary, workers, args, scratch):
    """(overhead, category counts, CPU s per 200k requests) of one server
    run, or None on failure."""
    server, port = start_echo_server([binary], workers)
    data = os.path.join(scratch, "perf.data")
    try:
        if port is None:
            return None

        def load(messages):
            cmd = echo_load_command(args.load, port, messages, args)
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                                 timeout=300)
            for line in out.stdout.splitlines():
                if line.startswith("requests:"):
                    return int(line.split()[1])
            return None

        if load(max(1, args.messages // 10)) is None:
            return None
        perf = start_profile(server.pid, data, args.frequency)
        if perf is None:
            sys.stderr.write("perf record could not attach to the server\n")
            return None
        before = cpu_seconds(server.pid)
        requests = load(args.messages)
        used = cpu_seconds(server.pid) - before
        counts = finish_profile(perf, data)
        ov = counts and perf_split.overhead(counts)
        if not requests or ov is None:
            sys.stderr.write(f"{binary}: no load run or no TCP samples\n")
            return None
        return ov, counts, used * 200000.0 / requests
    finally:
        server.kill()
        server.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", action="append", required=True,
                   help="name=path; the first is the reference")
    p.add_argument("--load", required=True, help="bench/echo_load binary")
    p.add_argument("--workers", default="2")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--load-workers", type=int, default=2)
    p.add_argument("--frequency", type=int, default=PERF_FREQUENCY_HZ,
                   help="perf samples per second per thread")
    args = p.parse_args()
    problem = perf_usable()
    if problem:
        p.error(problem)
    bins = [b.split("=", 1) for b in args.bin]
    if any(len(b) != 2 for b in bins):
        p.error("--bin takes name=path")
    workers = [int(w) for w in args.workers.split(",")]
    runs = {}  # (name, w) -> one result or None per round
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            order = bins if r % 2 == 0 else list(reversed(bins))
            for w in workers:
                for name, path in order:
                    v = one(path, w, args, scratch)
                    shown = ("failed" if v is None else
                             f"overhead {v[0]:.3f}, {sum(v[1].values())} "
                             f"samples, CPU {v[2]:.3f} s/200k")
                    print(f"round {r} {name} {w}w: {shown}", flush=True)
                    runs.setdefault((name, w), []).append(v)
    ref = bins[0][0]
    for w in workers:
        print(f"\n{w} worker(s): median over rounds; shares of all samples")
        for name, _ in bins:
            ok = [v for v in runs[(name, w)] if v]
            if not ok:
                print(f"  {name}: no successful run")
                continue
            shares = {c: statistics.median(
                v[1][c] / sum(v[1].values()) for v in ok)
                for c in perf_split.CATEGORIES}
            print(f"  {name:8s} overhead {statistics.median(v[0] for v in ok):.3f}"
                  f"  CPU {statistics.median(v[2] for v in ok):.3f} s/200k  " +
                  "  ".join(f"{c} {100 * s:.1f}%" for c, s in shares.items()) +
                  f"  (n={len(ok)})")
        for name, _ in bins:
            if name == ref:
                continue
            pairs = [(a, b) for a, b in zip(runs[(name, w)], runs[(ref, w)])
                     if a and b]
            est = [perf_split.cpu_ratio(a[0], b[0]) for a, b in pairs]
            proc = [a[2] / b[2] for a, b in pairs]
            for label, xs in (("estimated CPU/request (perf split)", est),
                              ("CPU/request from /proc", proc)):
                ci = paired.median_ci(xs)
                if ci is not None:
                    print(f"  {name}/{ref} {label}: "
                          f"{paired.describe(ci, 'rounds')}")


if __name__ == "__main__":
    main()
