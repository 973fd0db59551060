#!/usr/bin/env python3
"""What each echo server asks of the kernel per request, counted exactly
rather than sampled, interleaved: system calls by kind, context switches,
TCP segments, and the server threads' CPU time and run-queue wait.

    bench/compare/echo_counts.py \\
        --bin tokio=bench/compare/tokio/target/release/tokio_peer \\
        --bin magpie=bazel-out/k8-opt/bin/bench/compare/magpie_peer \\
        --load bazel-out/k8-opt/bin/bench/echo_load --workers 2,1 --rounds 6

For each round, each binary in turn (order reversed every other round): a
fresh server (`BIN echo WORKERS`), one warm-up load run, then one load run
of CONNECTIONS x MESSAGES with the counters read before and after. Every
count is divided by the run's requests:

  syscalls, recv, send, epoll_wait, futex, context switches
      `perf stat` on the server's process with the kernel's syscall
      tracepoints, in a second load run of the same size (tracing slows
      the server, so the times come from the first; needs perf and tracefs
      access, i.e. root; without them these columns are left out);
  segments
      TCP segments in + out, from /proc/net/snmp. System-wide: on a quiet
      machine both ends of every connection are the server and the load
      generator, so 4.0 per request is one segment each way per request
      each side sees, with every ACK piggybacked;
  cpu_ns, rq_wait_ns
      the server threads' time on a CPU and waiting on a run queue
      (/proc/PID/task/*/schedstat, nanoseconds);
  load_cpu_ns
      the load generator's CPU time (user + system, from its rusage). The
      same program drives every server, so a difference here is the
      server's answering pattern (how its replies batch) showing up on the
      client's side, which a closed loop feeds back into req/s.

Counts explain a difference that echo_overhead.py's CPU split or run.py's
req/s shows (or fails to show); they do not depend on the sampling rate or
on how a profile attributes kernel frames. cpu_ns swings with where the OS
places the server's and the load generator's threads: --pin puts the server
on CPU 0 and the load generator on the other CPUs, for a comparison with
the placement held fixed (with 1 server worker; more workers share CPU 0).

Prints per (binary, workers) the median of each count over the rounds, and
for every binary against the first the median of the per-round ratios of
cpu_ns, syscalls and load_cpu_ns with a 95% confidence interval (>= 6 rounds,
bench/compare/paired.py).
"""
import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paired  # noqa: E402
from run import (echo_load_command, perf_usable,  # noqa: E402
                 start_echo_server, PERF_ATTACH_S)

# The syscall tracepoints counted, by the column each adds to. Several
# calls do one job (recv: recvfrom/read/recvmsg; the epoll waits); a server
# uses whichever its I/O layer chose, so they are summed.
SYSCALL_GROUPS = {
    "recv": ("recvfrom", "read", "recvmsg", "readv"),
    "send": ("sendto", "write", "sendmsg", "writev"),
    "epoll_wait": ("epoll_wait", "epoll_pwait", "epoll_pwait2"),
    "futex": ("futex",),
}
ALL_SYSCALLS = "raw_syscalls:sys_enter"
CONTEXT_SWITCHES = "context-switches"
COLUMNS = (["syscalls"] + list(SYSCALL_GROUPS) +
           ["context_switches", "segments", "cpu_ns", "rq_wait_ns",
            "load_cpu_ns"])


def perf_events():
    """The `perf stat -e` event list: every syscall tracepoint counted."""
    names = [ALL_SYSCALLS, CONTEXT_SWITCHES]
    for calls in SYSCALL_GROUPS.values():
        names += [f"syscalls:sys_enter_{c}" for c in calls]
    return names


def parse_perf_stat(text):
    """`perf stat -x,` output -> {event: count}. Lines of events perf could
    not count ("<not supported>", "<not counted>") are left out."""
    counts = {}
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) < 3 or line.startswith("#"):
            continue
        try:
            counts[fields[2]] = float(fields[0])
        except ValueError:
            continue
    return counts


def group_syscalls(counts):
    """{event: count} from parse_perf_stat -> the syscall columns, or {} if
    the tracepoints were not counted."""
    if ALL_SYSCALLS not in counts:
        return {}
    out = {"syscalls": counts[ALL_SYSCALLS],
           "context_switches": counts.get(CONTEXT_SWITCHES, 0.0)}
    for group, calls in SYSCALL_GROUPS.items():
        out[group] = sum(counts.get(f"syscalls:sys_enter_{c}", 0.0)
                         for c in calls)
    return out


def parse_tcp_segments(snmp_text):
    """/proc/net/snmp -> InSegs + OutSegs of its Tcp lines."""
    lines = [l.split() for l in snmp_text.splitlines() if l.startswith("Tcp:")]
    if len(lines) < 2:
        raise ValueError("no Tcp header and value lines")
    row = dict(zip(lines[0][1:], lines[1][1:]))
    return int(row["InSegs"]) + int(row["OutSegs"])


def parse_schedstat(text):
    """A /proc/.../schedstat line -> (ns on a CPU, ns waiting to run)."""
    run_ns, wait_ns = text.split()[:2]
    return int(run_ns), int(wait_ns)


def process_schedstat(pid):
    """Sum over the threads of pid: (ns on a CPU, ns waiting on a run
    queue). A thread that exits between the listing and the read is left
    out."""
    run_total = wait_total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns, wait_ns = parse_schedstat(f.read())
        except (OSError, ValueError):
            continue
        run_total += run_ns
        wait_total += wait_ns
    return run_total, wait_total


def tcp_segments():
    with open("/proc/net/snmp") as f:
        return parse_tcp_segments(f.read())


def children_cpu_ns():
    """User + system CPU of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * 1e9)


def per_request(before, after, syscall_counts, requests):
    """The columns of one run: (segments, (run_ns, wait_ns), load CPU ns)
    before and after, the grouped syscall counts (possibly {}), and the
    requests."""
    out = {name: value / requests for name, value in syscall_counts.items()}
    out["segments"] = (after[0] - before[0]) / requests
    out["cpu_ns"] = (after[1][0] - before[1][0]) / requests
    out["rq_wait_ns"] = (after[1][1] - before[1][1]) / requests
    out["load_cpu_ns"] = (after[2] - before[2]) / requests
    return out


def one(binary, workers, args, use_perf, scratch):
    """The columns of one server run, or None on failure."""
    command = [binary]
    if args.pin:
        command = ["taskset", "-c", "0"] + command
    server, port = start_echo_server(command, workers)
    try:
        if port is None:
            return None

        def load(messages):
            cmd = echo_load_command(args.load, port, messages, args)
            if args.pin:
                cmd = ["taskset", "-c", f"1-{os.cpu_count() - 1}"] + cmd
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                                 timeout=300)
            for line in out.stdout.splitlines():
                if line.startswith("requests:"):
                    return int(line.split()[1])
            return None

        if load(max(1, args.messages // 10)) is None:
            return None
        # Times and segments first, from a run perf does not slow down
        # (each traced syscall costs the server time), then the syscalls
        # from a second run of the same size under perf stat.
        before = (tcp_segments(), process_schedstat(server.pid),
                  children_cpu_ns())
        requests = load(args.messages)
        after = (tcp_segments(), process_schedstat(server.pid),
                 children_cpu_ns())
        if not requests:
            return None
        syscall_counts = {}
        if use_perf:
            stat_file = os.path.join(scratch, "perf-stat.csv")
            perf = subprocess.Popen(
                ["perf", "stat", "-x,", "-o", stat_file, "-e",
                 ",".join(perf_events()), "-p", str(server.pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(PERF_ATTACH_S)
            traced = load(args.messages)
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=30)
            with open(stat_file) as f:
                syscall_counts = group_syscalls(parse_perf_stat(f.read()))
            if not traced:
                return None
            syscall_counts = {k: v * requests / traced
                              for k, v in syscall_counts.items()}
        return per_request(before, after, syscall_counts, requests)
    finally:
        server.kill()
        server.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", action="append", required=True,
                   help="name=path; the first is the reference")
    p.add_argument("--load", required=True, help="bench/echo_load binary")
    p.add_argument("--workers", default="2")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--load-workers", type=int, default=2)
    p.add_argument("--pin", action="store_true",
                   help="server on CPU 0, load generator on the others")
    p.add_argument("--no-perf", action="store_true",
                   help="skip the syscall counts (no perf here)")
    args = p.parse_args()
    bins = [b.split("=", 1) for b in args.bin]
    if any(len(b) != 2 for b in bins):
        p.error("--bin takes name=path")
    if args.pin and (os.cpu_count() or 1) < 2:
        p.error("--pin needs at least 2 CPUs")
    use_perf = not args.no_perf
    if use_perf and perf_usable():
        sys.stderr.write(f"no syscall counts: {perf_usable()}\n")
        use_perf = False
    workers = [int(w) for w in args.workers.split(",")]
    runs = {}  # (name, w) -> one result or None per round
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            order = bins if r % 2 == 0 else list(reversed(bins))
            for w in workers:
                for name, path in order:
                    v = one(path, w, args, use_perf, scratch)
                    shown = ("failed" if v is None else "  ".join(
                        f"{c} {v[c]:.3f}" for c in COLUMNS if c in v))
                    print(f"round {r} {name} {w}w: {shown}", flush=True)
                    runs.setdefault((name, w), []).append(v)
    ref = bins[0][0]
    for w in workers:
        print(f"\n{w} worker(s): per request, median over rounds"
              f"{' (pinned)' if args.pin else ''}")
        for name, _ in bins:
            ok = [v for v in runs[(name, w)] if v]
            if not ok:
                print(f"  {name}: no successful run")
                continue
            print(f"  {name:8s} " + "  ".join(
                f"{c} {statistics.median(v[c] for v in ok):.3f}"
                for c in COLUMNS if c in ok[0]) + f"  (n={len(ok)})")
        for name, _ in bins:
            if name == ref:
                continue
            pairs = [(a, b) for a, b in zip(runs[(name, w)], runs[(ref, w)])
                     if a and b]
            for column in ("cpu_ns", "syscalls", "load_cpu_ns"):
                xs = [a[column] / b[column] for a, b in pairs
                      if column in a and column in b and b[column] > 0]
                ci = paired.median_ci(xs)
                if ci is not None:
                    print(f"  {name}/{ref} {column}: "
                          f"{paired.describe(ci, 'rounds')}")


if __name__ == "__main__":
    main()
