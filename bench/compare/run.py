#!/usr/bin/env python3
"""magpie side by side with Tokio, Go and Asio: the same workloads, each
runtime in its own process, interleaved, with the same number of workers.

    bench/compare/run.py --quick          # a few minutes
    bench/compare/run.py                  # the full run (3 reps x 5 samples)
    bench/compare/run.py --smoke          # one tiny sample each (CI)

Steps (each idempotent):
  1. install the peers from Debian's packages (apt-get install -y
     librust-tokio-dev cargo golang-go libasio-dev), unless --no-install;
  2. build: magpie's peer and the load generator with Bazel (--config=opt),
     Tokio with cargo --release --offline against /usr/share/cargo/registry
     (tokio/.cargo/config.toml), Go with GOPROXY=off (stdlib only), Asio with
     g++ -std=c++20 -O2 (header-only);
  3. run: for each rep, for each workload, each peer in turn, the order
     reversed every other rep (magpie tokio go asio, asio go tokio magpie,
     ...) so no peer always runs first; a rep's value is the median of
     --samples samples (after one warm-up) in a fresh process;
  4. echo: each peer's echo server on 127.0.0.1, driven by the same closed-
     loop load generator (bench/echo_load: 100 connections x 64 B): req/s,
     and the server's CPU seconds (from /proc) for the same
     number of requests; with --workers workers and with 1; with perf (not
     --no-perf), also each server's CPU per request in units of the
     kernel's TCP work per request, from a profile of as many load runs
     again after the measured ones (no profiler is attached while req/s,
     CPU and p99 are measured);
  5. write results.md, results.csv and ratios.svg (magpie / peer per
     workload) into --out. results.md also gives, per workload and peer, the
     median of the per-rep ratios (a rep's peers ran back to back, so the
     ratio cancels most of the machine's drift) with a 95% confidence
     interval and a verdict: ahead, behind, or level (the interval spans
     1). That needs >= 6 reps (bench/compare/paired.py).

Echo over loopback is ~75% the kernel's TCP work (~90% kernel), so its req/s
and CPU rows swing with the machine's load; bench/compare/echo_overhead.py
compares the servers' own CPU per request beyond that work from perf
profiles, which stays steady (bench/compare/perf_split.py).

Every peer speaks the command line of bench/compare/magpie_peer.cc:
    PEER bench WORKLOAD WORKERS SAMPLES [SCALE]  -> "sample <value>" lines
    PEER echo WORKERS                            -> "port <n>", then serves
"""

import argparse
import csv
import datetime
import math
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paired  # noqa: E402  (bench/compare/paired.py, beside this file)
import perf_split  # noqa: E402  (bench/compare/perf_split.py)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(HERE, "build")  # Go and Asio binaries (git-ignored).
# magpie's binaries from the --config=opt build (-c opt). Not bazel-bin: that
# link follows the last Bazel command's compilation mode, so after a plain
# `bazel test` it names -O1 builds with asserts (a --no-build run once
# measured those by mistake).
OPT_BIN = os.path.join(ROOT, "bazel-out/k8-opt/bin")

# linux-perf: the echo rows' perf split (skipped with --no-perf, or when
# perf may not profile here).
PACKAGES = ["librust-tokio-dev", "cargo", "golang-go", "libasio-dev",
            "linux-perf"]
PEERS = ["magpie", "tokio", "go", "asio"]
# Selectable with --peers, not run by default.
EXTRA_PEERS = ["magpie-workers", "magpie-reactor"]

# name, unit, what one sample is. Lower is better for all of them.
WORKLOADS = [
    ("spawn_many", "ms", "a task spawns 10,000 empty tasks, awaits them"),
    ("spawn_remote", "ms", "10,000 empty tasks spawned from outside"),
    ("yield_many", "ms", "200 tasks x 1,000 yields"),
    ("ping_pong", "ms", "1,000 ping/pong pairs over oneshot channels"),
    ("chained_spawn", "ms", "each task spawns the next, depth 1,000"),
    ("timers_100k", "ms", "100,000 tasks sleep 1-10 ms, wall time"),
    ("timer_lateness_p99", "us", "1,000 sleeps of 1-50 ms, p99 lateness"),
]

PROCESS_TIMEOUT_S = 300  # One peer process (a warm-up and its samples).
# perf record needs a moment to attach to a server's threads before load.
PERF_ATTACH_S = 0.5
PERF_FREQUENCY_HZ = 999
SERVER_START_TIMEOUT_S = 30

MODES = {
    #         reps samples scale echo_messages
    "full": (3, 5, 1.0, 1000),
    "quick": (1, 3, 1.0, 200),
    "smoke": (1, 1, 0.02, 10),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, cwd=None, env=None, capture=False):
    """Runs cmd; raises on failure. Returns stdout when capture is set."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    log("+ " + " ".join(cmd))
    out = subprocess.run(cmd, cwd=cwd, env=full_env, check=True,
                         stdout=subprocess.PIPE if capture else None,
                         text=True)
    return out.stdout if capture else None


def installed(package):
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    return result.returncode == 0 and "install ok installed" in result.stdout


def install():
    missing = [p for p in PACKAGES if not installed(p)]
    if not missing:
        log("peers installed: " + " ".join(PACKAGES))
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    sh(sudo + ["apt-get", "install", "-y"] + missing, env=env)


def peer_command(peer):
    return {
        "magpie": [os.path.join(OPT_BIN, "bench/compare/magpie_peer")],
        # The same binary with workers driving epoll and the timers
        # (IoDriver::kWorkers, now magpie's default); not in the default set.
        "magpie-workers": ["env", "MAGPIE_IO_DRIVER=workers",
                           os.path.join(OPT_BIN, "bench/compare/magpie_peer")],
        # The same binary with a dedicated reactor thread
        # (IoDriver::kReactorThread); not in the default set.
        "magpie-reactor": ["env", "MAGPIE_IO_DRIVER=reactor",
                           os.path.join(OPT_BIN, "bench/compare/magpie_peer")],
        "tokio": [os.path.join(HERE, "tokio/target/release/tokio_peer")],
        "go": [os.path.join(BUILD, "go_peer")],
        "asio": [os.path.join(BUILD, "asio_peer")],
    }[peer]


def check_magpie_build(cmd):
    """None if `cmd` (a magpie peer) is an optimized NDEBUG build, else why
    not: a --no-build run once measured an -O1 build with asserts."""
    try:
        out = subprocess.run(cmd + ["build"], stdout=subprocess.PIPE,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{' '.join(cmd)}: {e}"
    if out.returncode != 0 or "optimized=1 ndebug=1" not in out.stdout:
        return (f"{' '.join(cmd)} is not an optimized NDEBUG build "
                f"({out.stdout.strip() or 'no answer'}); build it with "
                f"bazel build --config=opt //bench/compare:magpie_peer")
    return None


def echo_load_binary():
    return os.path.join(OPT_BIN, "bench/echo_load")


def build(peers):
    os.makedirs(BUILD, exist_ok=True)
    # magpie's peer, and the load generator every echo server is measured
    # with (bench/echo_load, itself a magpie program).
    sh(["bazel", "build", "--config=opt", "//bench/compare:magpie_peer",
            "//bench:echo_load"], cwd=ROOT)
    if "tokio" in peers:
        # Debian's cargo and rustc, not a rustup toolchain that may be first
        # on PATH; the source replacement is in tokio/.cargo/config.toml.
        sh(["/usr/bin/cargo", "build", "--release", "--offline"],
           cwd=os.path.join(HERE, "tokio"), env={"RUSTC": "/usr/bin/rustc"})
    if "go" in peers:
        sh(["/usr/bin/go", "build", "-o", os.path.join(BUILD, "go_peer"), "."],
           cwd=os.path.join(HERE, "go"),
           env={"GOPROXY": "off", "GOFLAGS": "-mod=mod", "GO111MODULE": "on",
                "GOCACHE": os.path.join(BUILD, "go-cache")})
    if "asio" in peers:
        sh(["g++", "-std=c++20", "-O2", "-DNDEBUG", "-march=native",
            "-pthread", os.path.join(HERE, "asio/peer.cc"), "-o",
            os.path.join(BUILD, "asio_peer")])


def versions():
    def first_line(cmd):
        try:
            out = subprocess.run(cmd, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            return out.stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    def deb(package):
        return first_line(["dpkg-query", "-W", "-f=${Version}", package])

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    return {
        "magpie": f"git {commit}, g++ -O2 -march=native (bazel --config=opt)",
        "magpie-workers": f"the same, MAGPIE_IO_DRIVER=workers "
                          f"(IoDriver::kWorkers)",
        "magpie-reactor": f"the same, MAGPIE_IO_DRIVER=reactor "
                          f"(IoDriver::kReactorThread)",
        "tokio": f"tokio {deb('librust-tokio-dev')} (librust-tokio-dev), "
                 f"{first_line(['/usr/bin/rustc', '--version'])}",
        "go": f"{first_line(['/usr/bin/go', 'version'])} (golang-go {deb('golang-go')})",
        "asio": f"asio {deb('libasio-dev')} (libasio-dev), "
                f"{first_line(['g++', '--version'])}",
        "machine": f"{os.cpu_count()} cores, {cpu}, {platform.platform()}",
    }


def run_bench(peer, workload, workers, samples, scale):
    """One process: returns the median of its samples, or None on failure."""
    cmd = peer_command(peer) + ["bench", workload, str(workers), str(samples),
                                repr(scale)]
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                             timeout=PROCESS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log(f"  {peer} {workload}: timed out after {PROCESS_TIMEOUT_S} s")
        return None
    values = [float(line.split()[1]) for line in out.stdout.splitlines()
              if line.startswith("sample ")]
    if out.returncode != 0 or len(values) != samples:
        log(f"  {peer} {workload}: failed (exit {out.returncode})")
        return None
    return statistics.median(values)


def parse_schedstat(text):
    """A /proc/.../schedstat line -> (ns on a CPU, ns waiting to run)."""
    run_ns, wait_ns = text.split()[:2]
    return int(run_ns), int(wait_ns)


def process_schedstat(pid):
    """Sum over the threads of pid of /proc/PID/task/TID/schedstat: (ns on
    a CPU, ns waiting on a run queue). A thread that exits between the
    listing and the read is left out. Raises OSError when no thread's
    schedstat could be read (a kernel without schedstats)."""
    run_total = wait_total = read = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns, wait_ns = parse_schedstat(f.read())
        except FileNotFoundError:
            continue  # the thread exited
        except ValueError as e:
            raise OSError(f"unreadable schedstat of thread {tid}: {e}")
        run_total += run_ns
        wait_total += wait_ns
        read += 1
    if read == 0:
        raise OSError(f"no schedstat for process {pid}")
    return run_total, wait_total


def cpu_seconds(pid):
    """CPU time of a process so far: the sum over its threads of
    /proc/PID/task/TID/schedstat (nanoseconds on a CPU), or utime + stime
    from /proc/PID/stat (clock ticks) where schedstat is missing."""
    try:
        return process_schedstat(pid)[0] / 1e9
    except OSError:
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the ")" that closes comm: fields[11] is utime, fields[12] stime.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def perf_usable():
    """None if `perf record` can profile a process here, else why not."""
    if shutil.which("perf") is None:
        return "perf not found (Debian: linux-perf)"
    probe = subprocess.run(["perf", "record", "-q", "-o", os.devnull, "--",
                            "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        return ("perf record failed (run as root, or lower "
                f"kernel.perf_event_paranoid): {probe.stderr.strip()[:200]}")
    return None


def start_profile(pid, data, frequency=PERF_FREQUENCY_HZ):
    """perf record -g of pid into data at `frequency` samples/s per thread,
    attached; None if it failed."""
    perf = subprocess.Popen(
        ["perf", "record", "-q", "-F", str(frequency), "-g", "-p",
         str(pid), "-o", data], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    time.sleep(PERF_ATTACH_S)
    return perf if perf.poll() is None else None


def finish_profile(perf, data):
    """Stops start_profile()'s perf and returns the profile's samples split
    by perf_split.split(), or None. Removes `data` either way, also when
    perf never started (None)."""
    if perf is None:
        if os.path.exists(data):
            os.remove(data)
        return None
    perf.send_signal(signal.SIGINT)
    try:
        perf.wait(timeout=60)
        text = subprocess.run(
            ["perf", "script", "-i", data, "-F", "ip,sym,dso"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            timeout=PROCESS_TIMEOUT_S).stdout
    except subprocess.TimeoutExpired:
        perf.kill()
        return None
    finally:
        if os.path.exists(data):
            os.remove(data)
    return perf_split.split(text)


def cpu_vs_tcp(counts):
    """A server's CPU per request in units of the kernel's TCP work per
    request (1 + perf_split's overhead) from finish_profile()'s split, or
    None."""
    overhead = counts and perf_split.overhead(counts)
    return None if overhead is None else 1 + overhead


def start_echo_server(command, workers):
    """Starts `command echo WORKERS` (magpie_peer's echo command line) and
    reads the port it prints: (server Popen, port), port None if it did not
    print one within SERVER_START_TIMEOUT_S. The caller kills the server."""
    server = subprocess.Popen(command + ["echo", str(workers)],
                              stdout=subprocess.PIPE)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    # Raw reads behind select(), never a blocking readline(): a server that
    # prints nothing and keeps running must not hold the caller past the
    # deadline.
    fd = server.stdout.fileno()
    pending = b""
    while True:
        *lines, pending = pending.split(b"\n")
        for line in lines:
            words = line.split()
            if len(words) == 2 and words[0] == b"port" and words[1].isdigit():
                return server, int(words[1])
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return server, None
        chunk = os.read(fd, 4096)
        if not chunk:  # the server closed stdout (or exited) without one
            return server, None
        pending += chunk


def echo_load_command(load_binary, port, messages, args):
    """The load generator's command line: args.connections connections x
    `messages` round trips of 64 B to 127.0.0.1:port, args.load_workers
    workers."""
    return [load_binary, f"--address=127.0.0.1:{port}",
            f"--connections={args.connections}", f"--messages={messages}",
            "--size=64", f"--workers={args.load_workers}"]


def profiled_cpu_vs_tcp(server, load, samples, args):
    """The CPU split's own load runs, after the measured ones: `samples`
    runs of the measured size under start_profile(), then cpu_vs_tcp() of
    the profile; None (logged) if perf did not start or a run failed. A
    failure here never costs the measured rows."""
    data = os.path.join(args.out, f".perf-{os.getpid()}.data")
    perf = start_profile(server.pid, data)
    if perf is None:
        finish_profile(perf, data)  # removes what a dying perf wrote
        log("  perf record did not start; no CPU split for this server")
        return None
    ok = False
    try:
        ok = all(load(args.echo_messages) for _ in range(samples))
    except (subprocess.TimeoutExpired, OSError, ValueError) as e:
        log(f"  profiled load run: {e}")
    finally:
        counts = finish_profile(perf, data)  # stops perf, removes data
    if not ok:
        log("  a profiled load run failed; no CPU split for this server")
        return None
    return cpu_vs_tcp(counts)


def run_echo(peer, workers, samples, args):
    """One server process, samples load runs: medians (req/s, server CPU s,
    round-trip p99 us) and, with args.perf, the server's CPU per request
    over the kernel's TCP work from as many profiled load runs, made after
    the measured ones (profiled_cpu_vs_tcp; else None); or None on
    failure."""
    server, port = start_echo_server(peer_command(peer), workers)
    try:
        if port is None:
            log(f"  {peer} echo server did not start")
            return None

        def load(messages):
            cmd = echo_load_command(echo_load_binary(), port, messages, args)
            before = cpu_seconds(server.pid)
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                                 timeout=PROCESS_TIMEOUT_S)
            used = cpu_seconds(server.pid) - before
            if out.returncode != 0:
                return None
            rps = p99 = None
            for line in out.stdout.splitlines():
                if line.startswith("requests:"):
                    rps = float(line.split("requests/s:")[1])
                elif line.startswith("rtt us:"):
                    # "rtt us: p50 A  p99 B  p99.9 C  max D"
                    words = line.split()
                    p99 = float(words[words.index("p99") + 1])
            if rps is None or p99 is None:
                return None
            return rps, used, p99

        load(max(1, args.echo_messages // 10))  # Warm-up.
        # The measured runs have no profiler attached. perf record -g at
        # 999 Hz costs each server in proportion to its CPU and changes how
        # the OS schedules its threads against the load generator's; it
        # once doubled Asio's 2-worker p99 lead (bench/RESULTS.md).
        results = [load(args.echo_messages) for _ in range(samples)]
        if any(r is None for r in results):
            log(f"  {peer} echo: a load run failed")
            return None
        medians = tuple(statistics.median(r[i] for r in results)
                        for i in range(3))
        return medians + (profiled_cpu_vs_tcp(server, load, samples, args)
                          if args.perf else None,)
    except (subprocess.TimeoutExpired, OSError, ValueError) as e:
        log(f"  {peer} echo: {e}")
        return None
    finally:
        server.kill()
        server.wait()


def measure(args, peers, workloads):
    """rows[(metric, peer)] = [one value per rep]; metric order kept."""
    rows = {}
    metrics = []  # (metric, unit, what, higher_is_better)
    for name, unit, what in WORKLOADS:
        if name in workloads:
            metrics.append((name, unit, what, False))
    echo_workers = [args.workers] + ([1] if args.workers != 1 else [])
    if "echo" in workloads:
        n = args.connections * args.echo_messages
        for w in echo_workers:
            metrics.append((f"echo_{w}w_rps", "req/s",
                            f"echo, {w} worker(s): requests/s "
                            f"({args.connections} conns x 64 B)", True))
            metrics.append((f"echo_{w}w_cpu", "s",
                            f"echo, {w} worker(s): server CPU for {n:,} "
                            f"requests", False))
            metrics.append((f"echo_{w}w_p99", "us",
                            f"echo, {w} worker(s): round-trip p99 (the load "
                            f"generator's)", False))
            if args.perf:
                metrics.append((f"echo_{w}w_cpu_vs_tcp", "x TCP",
                                f"echo, {w} worker(s): server CPU per request "
                                "in units of the kernel's TCP work per request "
                                "(perf samples; bench/compare/perf_split.py). "
                                "The TCP work is the same for every server, so "
                                "this row's ratios stay steady when load "
                                "moves the other echo rows", False))
    for m in metrics:
        for p in peers:
            rows[(m[0], p)] = []

    for rep in range(args.reps):
        # Counterbalanced order: a peer that always ran first (or right after
        # another's teardown) would carry that position's bias in every rep.
        order = peers if rep % 2 == 0 else list(reversed(peers))
        for name, unit, _, _ in metrics:
            if name.startswith("echo_"):
                continue
            for peer in order:
                v = run_bench(peer, name, args.workers, args.samples,
                              args.scale)
                rows[(name, peer)].append(v)
                shown = "failed" if v is None else f"{v:.3f} {unit}"
                log(f"[rep {rep + 1}/{args.reps}] {name:<19} {peer:<6} {shown}")
        if "echo" in workloads:
            for w in echo_workers:
                for peer in order:
                    r = run_echo(peer, w, args.samples, args)
                    rows[(f"echo_{w}w_rps", peer)].append(r and r[0])
                    rows[(f"echo_{w}w_cpu", peer)].append(r and r[1])
                    rows[(f"echo_{w}w_p99", peer)].append(r and r[2])
                    if args.perf:
                        rows[(f"echo_{w}w_cpu_vs_tcp", peer)].append(
                            r and r[3])
                    shown = ("failed" if r is None else
                             f"{r[0]:.0f} req/s, server CPU {r[1]:.2f} s, "
                             f"p99 {r[2]:.0f} us" +
                             (f", {r[3]:.3f}x TCP" if r[3] else ""))
                    log(f"[rep {rep + 1}/{args.reps}] echo {w}w{'':<12} "
                        f"{peer:<6} {shown}")
    return metrics, rows


def summarize(values):
    ok = [v for v in values if v is not None]
    if not ok:
        return None
    return statistics.median(ok), min(ok), max(ok)


def ratio(metric, rows, peer):
    """magpie's cost / the peer's cost (< 1: magpie better), or None."""
    name, _, _, higher_is_better = metric
    m = summarize(rows[(name, "magpie")])
    p = summarize(rows[(name, peer)])
    if not m or not p or m[0] <= 0 or p[0] <= 0:
        return None
    return p[0] / m[0] if higher_is_better else m[0] / p[0]


def paired_ci(metric, rows, peer):
    """paired.median_ci() of the per-rep magpie/peer cost ratios, or None."""
    name, _, _, higher_is_better = metric
    return paired.median_ci(paired.cost_ratios(
        rows[(name, "magpie")], rows[(name, peer)], higher_is_better))


def fmt(x):
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x < 1 else f"{x:.2f}"


def write_csv(path, metrics, rows, peers):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "unit", "peer", "median", "min", "max",
                    "reps", "magpie_cost_over_peer", "paired_median",
                    "paired_ci95_low", "paired_ci95_high", "verdict"])
        for metric in metrics:
            for peer in peers:
                s = summarize(rows[(metric[0], peer)])
                r = ratio(metric, rows, peer) if peer != "magpie" else 1.0
                ci = paired_ci(metric, rows, peer) if peer != "magpie" else None
                w.writerow([metric[0], metric[1], peer] +
                           ([f"{s[0]:.4g}", f"{s[1]:.4g}", f"{s[2]:.4g}"]
                            if s else ["", "", ""]) +
                           [len([v for v in rows[(metric[0], peer)]
                                 if v is not None]),
                            f"{r:.3f}" if r else ""] +
                           ([f"{ci[0]:.3f}"] if ci else [""]) +
                           ([f"{ci[1]:.3f}", f"{ci[2]:.3f}",
                             paired.verdict(ci)]
                            if ci and ci[1] is not None else ["", "", ""]))


def write_markdown(path, metrics, rows, peers, args, info, command):
    others = [p for p in peers if p != "magpie"]
    lines = [
        "# magpie vs Tokio, Go, Asio",
        "",
        f"Command: `{command}`  ",
        f"Date: {info['date']}; {args.workers} workers; {args.reps} rep(s), "
        f"each the median of {args.samples} sample(s) in a fresh process; "
        "peers interleaved.  ",
        f"Machine: {info['machine']}; load average {info['load_before']} "
        f"before, {info['load_after']} after.",
        "",
    ]
    if args.scale != 1:
        # --smoke and --scale shrink every workload: say so beside sizes
        # that the descriptions below give at full scale.
        lines[-1:-1] = [
            "", f"**Scaled: every workload ran at {args.scale:g}x the size "
            "its description below gives**; times this short measure "
            "start-up more than the workload."]
    for p in peers:
        lines.append(f"- {p}: {info[p]}")
    lines += [
        "",
        "Cells: median of the reps (min-max). Lower is better except req/s. "
        "Ratio columns: magpie's cost / the peer's (time, CPU, or 1/req/s): "
        "**below 1 magpie is better**, above 1 it is behind.",
        "",
        "| workload | unit | " + " | ".join(peers) + " | " +
        " | ".join(f"magpie/{p}" for p in others) + " |",
        "|---|---|" + "---|" * (len(peers) + len(others)),
    ]
    for metric in metrics:
        cells = []
        for peer in peers:
            s = summarize(rows[(metric[0], peer)])
            cells.append("failed" if not s else
                         f"{fmt(s[0])} ({fmt(s[1])}-{fmt(s[2])})"
                         if args.reps > 1 else fmt(s[0]))
        ratios = []
        for peer in others:
            r = ratio(metric, rows, peer)
            ratios.append("-" if r is None else f"{r:.2f}")
        lines.append(f"| {metric[0]} | {metric[1]} | " + " | ".join(cells) +
                     " | " + " | ".join(ratios) + " |")
    lines += ["", "Paired ratios: in each rep a workload's peers ran back to "
              "back (order reversed every other rep), so the rep's magpie/peer "
              "cost ratio cancels most of the machine's drift. Cells: median "
              "of the per-rep ratios [95% confidence interval]; **ahead** or "
              "**behind** only when the whole interval is on one side of 1, "
              "else level (within the noise). The interval needs >= "
              f"{paired.MIN_PAIRS_95} reps.",
              "",
              "| workload | " + " | ".join(f"magpie/{p}" for p in others) + " |",
              "|---|" + "---|" * len(others)]
    for metric in metrics:
        cells = []
        for peer in others:
            ci = paired_ci(metric, rows, peer)
            if ci is None:
                cells.append("-")
            elif ci[1] is None:
                cells.append(f"{ci[0]:.2f} [needs >= {paired.MIN_PAIRS_95} reps]")
            else:
                cells.append(f"{ci[0]:.2f} [{ci[1]:.2f}-{ci[2]:.2f}] "
                             f"**{paired.verdict(ci)}**")
        lines.append(f"| {metric[0]} | " + " | ".join(cells) + " |")
    lines += ["", "Workloads:", ""]
    for metric in metrics:
        lines.append(f"- `{metric[0]}`: {metric[2]}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_svg(path, metrics, rows, peers, title):
    """Horizontal bars of magpie/peer cost ratios on a log scale, one group
    per workload; a bar left of 1 means magpie is better."""
    others = [p for p in peers if p != "magpie"]
    colors = {"tokio": "#c0504d", "go": "#4f81bd", "asio": "#9bbb59"}
    lo, hi = 1 / 16, 16  # Ratios beyond are clipped and labelled.
    label_w, plot_w, bar_h, gap = 190, 520, 11, 9
    group_h = bar_h * len(others) + gap
    top = 56
    height = top + group_h * len(metrics) + 50
    width = label_w + plot_w + 70

    def x_of(r):
        r = min(max(r, lo), hi)
        return label_w + plot_w * (math.log(r) - math.log(lo)) / (
            math.log(hi) - math.log(lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" '
           f'font-size="13">{title}</text>',
           f'<text x="{width / 2}" y="34" text-anchor="middle" fill="#555">'
           'magpie cost / peer cost (log scale): left of 1 magpie is better, '
           'right of 1 it is behind</text>']
    for i, p in enumerate(others):
        out.append(f'<rect x="{label_w + i * 90}" y="40" width="10" '
                   f'height="10" fill="{colors.get(p, "#888")}"/>'
                   f'<text x="{label_w + i * 90 + 14}" y="49">{p}</text>')
    bottom = top + group_h * len(metrics)
    for tick in [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16]:
        x = x_of(tick)
        label = f"1/{int(1 / tick)}" if tick < 1 else f"{int(tick)}"
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
                   f'y2="{bottom}" stroke="{"#000" if tick == 1 else "#ddd"}"/>'
                   f'<text x="{x:.1f}" y="{bottom + 14}" '
                   f'text-anchor="middle">{label}</text>')
    for g, metric in enumerate(metrics):
        y0 = top + g * group_h
        out.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2 + 1}" '
                   f'text-anchor="end">{metric[0]}</text>')
        for i, peer in enumerate(others):
            r = ratio(metric, rows, peer)
            y = y0 + i * bar_h
            if r is None:
                out.append(f'<text x="{x_of(1) + 4:.1f}" y="{y + bar_h - 2}" '
                           f'fill="#888">n/a</text>')
                continue
            x1, x2 = sorted([x_of(1), x_of(r)])
            out.append(f'<rect x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 1):.1f}" '
                       f'height="{bar_h - 1}" fill="{colors.get(peer, "#888")}"/>')
            tx = x2 + 3 if r >= 1 else x1 - 3
            anchor = "start" if r >= 1 else "end"
            out.append(f'<text x="{tx:.1f}" y="{y + bar_h - 2}" '
                       f'text-anchor="{anchor}" font-size="9">{r:.2f}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    parser = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n")[0].split()))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="1 rep x 3 samples, 200 echo messages/connection")
    mode.add_argument("--smoke", action="store_true",
                      help="1 sample of each at 2%% size (CI)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int)
    parser.add_argument("--samples", type=int)
    parser.add_argument("--scale", type=float)
    parser.add_argument("--echo-messages", type=int,
                        help="round trips per connection per load run")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--load-workers", type=int, default=2,
                        help="worker threads of the load generator")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="comma-separated, magpie among them; also: "
                        + ", ".join(EXTRA_PEERS))
    parser.add_argument("--workloads",
                        default=",".join([w[0] for w in WORKLOADS] + ["echo"]))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-perf", action="store_true",
                        help="skip the echo rows' perf split")
    args = parser.parse_args()

    reps, samples, scale, messages = MODES[
        "quick" if args.quick else "smoke" if args.smoke else "full"]
    # Only an absent flag takes the mode's default: an explicit 0 is checked
    # below like any other value.
    if args.reps is None:
        args.reps = reps
    if args.samples is None:
        args.samples = samples
    if args.scale is None:
        args.scale = scale
    if args.echo_messages is None:
        args.echo_messages = messages
    peers = args.peers.split(",")
    workloads = args.workloads.split(",")
    known = [w[0] for w in WORKLOADS] + ["echo"]
    bad_peers = [p for p in peers if p not in PEERS + EXTRA_PEERS]
    if bad_peers:
        parser.error(f"--peers: unknown {', '.join(bad_peers)} (known: "
                     f"{', '.join(PEERS + EXTRA_PEERS)})")
    if "magpie" not in peers:
        parser.error("--peers: must include magpie (the ratios are against it)")
    bad_workloads = [w for w in workloads if w not in known]
    if bad_workloads:
        parser.error(f"--workloads: unknown {', '.join(bad_workloads)} "
                     f"(known: {', '.join(known)})")
    if args.workers < 1:
        parser.error("--workers: must be at least 1")
    for flag, value in (("--reps", args.reps), ("--samples", args.samples),
                        ("--echo-messages", args.echo_messages),
                        ("--connections", args.connections),
                        ("--load-workers", args.load_workers)):
        if value < 1:
            parser.error(f"{flag}: must be at least 1")
    if not args.scale > 0:
        parser.error("--scale: must be above 0")

    if not args.no_install:
        install()
    if not args.no_build:
        build(peers)
    for p in peers:
        if p.startswith("magpie"):
            problem = check_magpie_build(peer_command(p))
            if problem:
                log(f"run.py: {problem}")
                sys.exit(2)
    args.perf = False
    if "echo" in workloads and not args.no_perf:
        problem = perf_usable()
        if problem:
            log(f"run.py: no perf split of the echo servers: {problem}")
        args.perf = problem is None
    os.makedirs(args.out, exist_ok=True)
    info = versions()
    info["date"] = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    info["load_before"] = loadavg()
    started = time.monotonic()
    metrics, rows = measure(args, peers, workloads)
    info["load_after"] = loadavg()
    log(f"measured in {time.monotonic() - started:.0f} s")

    command = "bench/compare/run.py " + " ".join(sys.argv[1:])
    write_csv(os.path.join(args.out, "results.csv"), metrics, rows, peers)
    write_markdown(os.path.join(args.out, "results.md"), metrics, rows, peers,
                   args, info, command.strip())
    write_svg(os.path.join(args.out, "ratios.svg"), metrics, rows, peers,
              f"magpie vs Tokio / Go / Asio, {args.workers} workers "
              f"({info['date']})")
    with open(os.path.join(args.out, "results.md")) as f:
        print(f.read())
    # The perf split is an extra view of the echo rows, not a workload: a
    # profile that failed is logged and left blank, not a failed run.
    failed = [k for k, v in rows.items() if all(x is None for x in v)
              and not k[0].endswith("_cpu_vs_tcp")]
    if failed:
        log(f"failed: {sorted(set(k for k in failed))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
