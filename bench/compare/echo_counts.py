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
      access, i.e. root; without them these columns are left out). recv
      and send count every read/recv and write/send call, on any fd: an
      eventfd wake-up a runtime writes shows up as a send;
  segments
      TCP segments in + out, from /proc/net/snmp. System-wide: on a quiet
      machine both ends of every connection are the server and the load
      generator, so 4.0 per request is one segment each way, seen by each
      side, with every ACK piggybacked. Each load run opens and closes its
      connections, which adds about 16 / MESSAGES per request;
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
on the first CPU this process may use and the load generator on the others,
for a comparison with the placement held fixed (meant for 1 server worker;
more workers share that CPU).

Prints per (binary, workers) the median of each count over the rounds, and
for every binary against the first the median of the per-round ratios of
cpu_ns, syscalls and load_cpu_ns with a 95% confidence interval (>= 6 rounds,
bench/compare/paired.py).
"""
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import echo_cli  # noqa: E402
from run import (perf_usable, process_schedstat,  # noqa: E402
                 PERF_ATTACH_S)

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


def tracepoints_usable():
    """None if `perf stat` can count the syscall tracepoints here, else
    why not (perf record may work where tracefs is closed to the user)."""
    problem = perf_usable()
    if problem:
        return problem
    probe = subprocess.run(["perf", "stat", "-x,", "-e", ALL_SYSCALLS,
                            "--", "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        said = (probe.stderr.strip().splitlines() or ["failed"])[0]
        return f"perf stat cannot count {ALL_SYSCALLS}: {said[:200]}"
    return None


def pin_cpus():
    """(server CPU, load generator CPUs) for --pin, from the CPUs this
    process may use; None with fewer than 2."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return str(cpus[0]), ",".join(str(c) for c in cpus[1:])


def count_syscalls(server, args, port, requests, scratch, load_prefix):
    """The grouped syscall counts of a second load run under perf stat,
    scaled to `requests`, or ({}, why not)."""
    stat_file = os.path.join(scratch, "perf-stat.csv")
    if os.path.exists(stat_file):
        os.remove(stat_file)
    perf = subprocess.Popen(
        ["perf", "stat", "-x,", "-o", stat_file, "-e",
         ",".join(perf_events()), "-p", str(server.pid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(PERF_ATTACH_S)
    traced = echo_cli.run_load(args, port, args.messages, load_prefix)
    if perf.poll() is None:
        perf.send_signal(signal.SIGINT)
    try:
        perf.wait(timeout=30)
    except subprocess.TimeoutExpired:
        perf.kill()
        perf.wait()
    if not traced:
        return {}, traced.failure
    try:
        with open(stat_file) as f:
            counts = group_syscalls(parse_perf_stat(f.read()))
    except OSError:
        counts = {}
    if not counts:
        return {}, "perf stat counted nothing"
    return {k: v * requests / traced.requests
            for k, v in counts.items()}, None


def one(binary, workers, args, use_perf, scratch):
    """(columns, None) of one server run, or (None, why it failed)."""
    pins = pin_cpus() if args.pin else None
    server_prefix = ["taskset", "-c", pins[0]] if pins else []
    load_prefix = ["taskset", "-c", pins[1]] if pins else []
    command = server_prefix + [binary]
    with echo_cli.warmed_server(command, workers, args,
                                load_prefix) as (server, port, failure):
        if failure:
            return None, failure
        # Times and segments first, from a run perf does not slow down
        # (each traced syscall costs the server time), then the syscalls
        # from a second run of the same size under perf stat.
        try:
            before = (tcp_segments(), process_schedstat(server.pid),
                      children_cpu_ns())
            measured = echo_cli.run_load(args, port, args.messages,
                                         load_prefix)
            after = (tcp_segments(), process_schedstat(server.pid),
                     children_cpu_ns())
        except OSError as e:
            return None, f"could not read the server's counters: {e}"
        if not measured:
            return None, measured.failure
        syscall_counts = {}
        if use_perf:
            syscall_counts, why = count_syscalls(
                server, args, port, measured.requests, scratch, load_prefix)
            if why:
                sys.stderr.write(f"  no syscall counts for this run: {why}\n")
        return per_request(before, after, syscall_counts,
                           measured.requests), None


def main():
    p = echo_cli.make_parser(__doc__, workers="2", rounds=6)
    p.add_argument("--pin", action="store_true",
                   help="server on the first CPU this may use, load "
                        "generator on the others (with more than one "
                        "server worker, the workers share that CPU)")
    p.add_argument("--no-perf", action="store_true",
                   help="skip the syscall counts")
    args = p.parse_args()
    bins, workers = echo_cli.parse(p, args)
    if args.pin:
        if pin_cpus() is None:
            p.error("--pin needs at least 2 CPUs")
        if shutil.which("taskset") is None:
            p.error("--pin needs taskset (Debian: util-linux)")
    use_perf = not args.no_perf
    if use_perf:
        problem = tracepoints_usable()
        if problem:
            sys.stderr.write(f"no syscall counts: {problem}\n")
            use_perf = False
    with tempfile.TemporaryDirectory() as scratch:
        runs = echo_cli.run_rounds(
            bins, workers, args.rounds,
            lambda path, w: one(path, w, args, use_perf, scratch),
            lambda v: "  ".join(f"{c} {v[c]:.3f}" for c in COLUMNS if c in v))
    ref = bins[0][0]
    all_ok = True
    for w in workers:
        print(f"\n{w} worker(s): per request, median over rounds"
              f"{' (pinned)' if args.pin else ''}")
        for name, _ in bins:
            ok = [v for v in runs[(name, w)] if v]
            if not ok:
                print(f"  {name}: no successful run")
                all_ok = False
                continue
            shown = [c for c in COLUMNS if all(c in v for v in ok)]
            print(f"  {name:8s} " + "  ".join(
                f"{c} {statistics.median(v[c] for v in ok):.3f}"
                for c in shown) + f"  (n={len(ok)})")
        for name, _ in bins:
            if name == ref:
                continue
            pairs = echo_cli.paired_runs(runs, name, ref, w)
            for column in ("cpu_ns", "syscalls", "load_cpu_ns"):
                echo_cli.print_paired(
                    f"  {name}/{ref}", column,
                    [a[column] / b[column] for a, b in pairs
                     if column in a and column in b and b[column] > 0])
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
