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
(>= 6 rounds) and the /proc CPU-per-request ratio of the same profiled
runs for comparison (profiled: for unperturbed req/s, CPU and p99 use
run.py or echo_ab.py).

Needs `perf` (Debian: linux-perf) and permission to profile the server
(root, or kernel.perf_event_paranoid <= 1).
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import echo_cli  # noqa: E402
import perf_split  # noqa: E402
from run import (cpu_seconds, finish_profile, perf_usable,  # noqa: E402
                 start_profile, PERF_FREQUENCY_HZ)


def one(binary, workers, args, scratch):
    """((overhead, category counts, CPU s per 200k requests), None) of one
    server run, or (None, why it failed)."""
    data = os.path.join(scratch, "perf.data")
    with echo_cli.warmed_server([binary], workers, args) as (server, port,
                                                             failure):
        if failure:
            return None, failure
        perf = start_profile(server.pid, data, args.frequency)
        if perf is None:
            return None, "perf record could not attach to the server"
        before = cpu_seconds(server.pid)
        measured = echo_cli.run_load(args, port, args.messages)
        used = cpu_seconds(server.pid) - before
        counts = finish_profile(perf, data)
        if not measured:
            return None, measured.failure
        ov = counts and perf_split.overhead(counts)
        if ov is None:
            return None, "the profile has no TCP samples"
        return (ov, counts, used * 200000.0 / measured.requests), None


def main():
    p = echo_cli.make_parser(__doc__, workers="2", rounds=8)
    p.add_argument("--frequency", type=int, default=PERF_FREQUENCY_HZ,
                   help="perf samples per second per thread")
    args = p.parse_args()
    bins, workers = echo_cli.parse(p, args)
    if args.frequency < 1:
        p.error("--frequency: must be at least 1")
    problem = perf_usable()
    if problem:
        p.error(problem)
    with tempfile.TemporaryDirectory() as scratch:
        runs = echo_cli.run_rounds(
            bins, workers, args.rounds,
            lambda path, w: one(path, w, args, scratch),
            lambda v: (f"overhead {v[0]:.3f}, {sum(v[1].values())} "
                       f"samples, CPU {v[2]:.3f} s/200k"))
    ref = bins[0][0]
    all_ok = True
    for w in workers:
        print(f"\n{w} worker(s): median over rounds; shares of all samples")
        for name, _ in bins:
            ok = [v for v in runs[(name, w)] if v]
            if not ok:
                print(f"  {name}: no successful run")
                all_ok = False
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
            pairs = echo_cli.paired_runs(runs, name, ref, w)
            echo_cli.print_paired(
                f"  {name}/{ref}", "estimated CPU/request (perf split)",
                [perf_split.cpu_ratio(a[0], b[0]) for a, b in pairs])
            echo_cli.print_paired(f"  {name}/{ref}",
                                  "CPU/request from /proc (profiled)",
                                  [a[2] / b[2] for a, b in pairs])
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
