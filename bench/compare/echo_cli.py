"""The command line, the rounds and the load run that the echo comparison
scripts share (echo_ab.py, echo_overhead.py, echo_counts.py): which
servers, which load generator, how many rounds of how much load, checked
before anything runs; the interleaved rounds; a server's lifetime; and one
load run that reports why it failed instead of raising.

Every script takes:
    --bin NAME=PATH   (repeated; the first is the reference)
    --load PATH       (bench/echo_load)
    --workers N[,N]   --rounds N   --connections N   --messages N
    --load-workers N
A mistake in any of them is a usage error (exit status 2) naming the
argument, before a server starts.
"""
import argparse
import contextlib
import os
import subprocess

import paired  # noqa: E402  (beside this file)
from run import echo_load_command, start_echo_server  # noqa: E402

# A load run that takes longer than this is a failed run (a server that
# accepts but never answers), not a hang of the whole comparison.
LOAD_TIMEOUT_S = 300


# Why a run failed when the server never said where it listens.
NO_PORT = ("the server printed no 'port N' line (does it speak "
           "`BIN echo WORKERS`?)")


def make_parser(doc, workers, rounds):
    """An ArgumentParser for a script whose docstring is `doc`, with the
    shared arguments (add_arguments) and the whole docstring as --help."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, workers, rounds)
    return parser


def add_arguments(parser, workers="2", rounds=8):
    """Adds the shared arguments; `workers` and `rounds` are the script's
    defaults."""
    parser.add_argument("--bin", action="append", required=True,
                        metavar="NAME=PATH",
                        help="an echo server (`PATH echo WORKERS` prints "
                             "'port N'); repeat it; the first is the "
                             "reference of every ratio")
    parser.add_argument("--load", required=True, metavar="PATH",
                        help="the load generator (bench/echo_load)")
    parser.add_argument("--workers", default=workers, metavar="N[,N...]",
                        help=f"server worker counts (default {workers})")
    parser.add_argument("--rounds", type=int, default=rounds,
                        help=f"interleaved rounds (default {rounds}; >= 6 "
                             "for a 95%% interval)")
    parser.add_argument("--connections", type=int, default=100,
                        help="load connections (default 100)")
    parser.add_argument("--messages", type=int, default=2000,
                        help="64 B round trips per connection per load run "
                             "(default 2000)")
    parser.add_argument("--load-workers", type=int, default=2,
                        help="load generator threads (default 2)")


def _executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def parse(parser, args):
    """Checks the shared arguments: returns (bins, workers), bins a list of
    (name, path) in the order given, workers a list of ints. Calls
    parser.error() (exit status 2) on the first mistake."""
    bins = []
    for value in args.bin:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            parser.error(f"--bin {value!r}: expected NAME=PATH")
        if any(name == seen for seen, _ in bins):
            parser.error(f"--bin {value!r}: the name {name!r} is given twice")
        if not _executable(path):
            parser.error(f"--bin {value!r}: {path} is not an executable file")
        bins.append((name, path))
    if not _executable(args.load):
        parser.error(f"--load: {args.load} is not an executable file")
    try:
        workers = [int(w) for w in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers {args.workers!r}: expected numbers, "
                     "comma-separated (e.g. 2,1)")
    for flag, values in (("--workers", workers), ("--rounds", [args.rounds]),
                         ("--connections", [args.connections]),
                         ("--messages", [args.messages]),
                         ("--load-workers", [args.load_workers])):
        if any(v < 1 for v in values):
            parser.error(f"{flag}: must be at least 1")
    return bins, workers


class LoadResult:
    """One load run: requests done, req/s and round-trip p99 (us) as the
    load generator printed them, or `failure`, why there are none."""

    def __init__(self, requests=None, rps=None, p99_us=None, failure=None):
        self.requests = requests
        self.rps = rps
        self.p99_us = p99_us
        self.failure = failure

    def __bool__(self):
        return self.failure is None


def parse_load_output(returncode, stdout, stderr=""):
    """A LoadResult from the load generator's exit status and output:
    'requests: N ... requests/s: R' and 'rtt us: ... p99 P ...' lines."""
    requests = rps = p99 = None
    try:
        for line in stdout.splitlines():
            if line.startswith("requests:"):
                requests = int(line.split()[1])
                if "requests/s:" in line:
                    rps = float(line.split("requests/s:")[1].split()[0])
            elif line.startswith("rtt us:") and " p99 " in line:
                p99 = float(line.split(" p99 ")[1].split()[0])
    except (IndexError, ValueError):
        return LoadResult(failure=f"unreadable load generator output: "
                                  f"{line[:200]!r}")
    if returncode != 0 or not requests:
        said = (stderr.strip().splitlines() or ["no output"])[-1]
        return LoadResult(failure=f"load generator exited {returncode}: "
                                  f"{said[:200]}")
    return LoadResult(requests, rps, p99)


def run_load(args, port, messages, prefix=()):
    """One load run of args.connections x `messages` against
    127.0.0.1:port, the command prefixed by `prefix` (e.g. taskset). Never
    raises for a failed run: the result says why."""
    cmd = list(prefix) + echo_load_command(args.load, port, messages, args)
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             timeout=LOAD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return LoadResult(failure=f"load run took over {LOAD_TIMEOUT_S} s "
                                  "(does the server answer?)")
    except OSError as e:
        return LoadResult(failure=f"could not run the load generator: {e}")
    return parse_load_output(out.returncode, out.stdout, out.stderr)


@contextlib.contextmanager
def echo_server(command, workers):
    """`command echo WORKERS` running for the with-block: yields (server
    Popen, port), port None if it printed none (run.start_echo_server);
    killed and reaped on the way out, whatever happened."""
    server, port = start_echo_server(command, workers)
    try:
        yield server, port
    finally:
        server.kill()
        server.wait()


@contextlib.contextmanager
def warmed_server(command, workers, args, load_prefix=()):
    """echo_server(), then one warm-up load run of a tenth of
    args.messages: yields (server, port, failure), failure None when the
    server is listening and answered, else why not."""
    with echo_server(command, workers) as (server, port):
        if port is None:
            yield server, port, NO_PORT
            return
        warm = run_load(args, port, max(1, args.messages // 10), load_prefix)
        yield server, port, warm.failure


def run_rounds(bins, workers, rounds, run_one, show):
    """The interleaved runs: for each round, for each worker count, each
    binary in turn, the order of the binaries reversed every other round.
    run_one(path, workers) -> (value, None) or (None, why); show(value) ->
    the text of one line. Prints 'round R NAME Ww: ...' per run and returns
    {(name, workers): [value or None, one per round]}."""
    runs = {}
    for r in range(rounds):
        order = bins if r % 2 == 0 else list(reversed(bins))
        for w in workers:
            for name, path in order:
                value, why = run_one(path, w)
                shown = f"failed: {why}" if value is None else show(value)
                print(f"round {r} {name} {w}w: {shown}", flush=True)
                runs.setdefault((name, w), []).append(value)
    return runs


def paired_runs(runs, name, ref, workers):
    """(name's value, ref's value) for every round in which both ran."""
    return [(a, b) for a, b in zip(runs[(name, workers)], runs[(ref, workers)])
            if a and b]


def print_paired(prefix, label, ratios):
    """One line: the median of per-round ratios with its 95% interval and
    verdict (paired.py); nothing when there are no ratios."""
    ci = paired.median_ci(ratios)
    if ci is not None:
        print(f"{prefix} {label}: {paired.describe(ci, 'rounds')}")
