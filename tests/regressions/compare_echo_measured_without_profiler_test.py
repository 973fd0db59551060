"""Regression: run.py measured the echo rows (req/s, server CPU, p99) with
`perf record -g` attached to the server, for the CPU split. Sampling at
999 Hz with call graphs costs each server in proportion to its CPU and
changes how the OS schedules it against the load generator: it roughly
doubled Asio's 2-worker p99 lead over magpie in one run
(bench/RESULTS.md). The measured load runs now come first with no
profiler attached; the split gets as many load runs again, and a failure
there (perf not starting, a failed run) costs only the split.

The test runs run.run_echo against a stand-in server and load generator
(shell scripts) and records, in order, every load run and the profiler's
start and stop."""

import os
import shutil
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "compare"))
import run  # noqa: E402

SERVER = """#!/bin/sh
echo "port 1"
exec sleep 60
"""

# Prints what bench/echo_load prints; logs "load MESSAGES". Fails (exit 1)
# while the file "fail" exists next to the log.
LOAD = """#!/bin/sh
for a in "$@"; do
  case "$a" in --messages=*) m="${a#--messages=}" ;; esac
done
echo "load $m" >> "%(log)s"
[ -e "%(dir)s/fail" ] && exit 1
echo "requests: 1000  errors: 0  elapsed: 0.010 s  requests/s: 100000"
echo "rtt us: p50 9.0  p99 20.0  p99.9 30.0  max 40.0"
"""


class EchoMeasuredWithoutProfilerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = os.path.join(self.dir, "events")
        server = os.path.join(self.dir, "server")
        load = os.path.join(self.dir, "load")
        load_text = LOAD % {"log": self.log, "dir": self.dir}
        for path, text in ((server, SERVER), (load, load_text)):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
        self.saved = (run.peer_command, run.echo_load_binary,
                      run.start_profile, run.finish_profile, run.cpu_vs_tcp)
        run.peer_command = lambda peer: [server]
        run.echo_load_binary = lambda: load

        self.perf_starts = True  # False: start_profile fails (None)
        self.profiled_runs_fail = False

        def start_profile(pid, data, frequency=None):
            self.event("profile start")
            if self.profiled_runs_fail:
                open(os.path.join(self.dir, "fail"), "w").close()
            return "perf" if self.perf_starts else None

        def finish_profile(perf, data):
            if perf is None:  # perf never started: only its file goes
                self.event("profile cleanup")
                return None
            self.assertEqual(perf, "perf")
            self.event("profile stop")
            return {"samples": 1}

        run.start_profile = start_profile
        run.finish_profile = finish_profile
        run.cpu_vs_tcp = lambda counts: 1.5

    def tearDown(self):
        (run.peer_command, run.echo_load_binary, run.start_profile,
         run.finish_profile, run.cpu_vs_tcp) = self.saved

    def event(self, what):
        with open(self.log, "a") as f:
            f.write(what + "\n")

    def events(self):
        with open(self.log) as f:
            return f.read().split("\n")[:-1]

    def args(self, perf):
        return types.SimpleNamespace(perf=perf, out=self.dir, echo_messages=50,
                                     connections=4, load_workers=1)

    def test_measured_runs_have_no_profiler_attached(self):
        result = run.run_echo("magpie", 2, 3, self.args(perf=True))
        self.assertEqual(self.events(), [
            "load 5",  # warm-up
            "load 50", "load 50", "load 50",  # the three measured samples
            # the split's own runs, as many again
            "profile start", "load 50", "load 50", "load 50", "profile stop",
        ])
        rps, cpu, p99, over_tcp = result
        self.assertEqual(rps, 100000.0)
        self.assertEqual(p99, 20.0)
        self.assertGreaterEqual(cpu, 0.0)
        self.assertEqual(over_tcp, 1.5)

    def test_without_perf_nothing_is_profiled(self):
        result = run.run_echo("magpie", 1, 2, self.args(perf=False))
        self.assertEqual(self.events(), ["load 5", "load 50", "load 50"])
        self.assertIsNone(result[3])

    def test_a_failed_profiled_run_keeps_the_measured_rows(self):
        self.profiled_runs_fail = True
        result = run.run_echo("magpie", 2, 2, self.args(perf=True))
        # perf is stopped after the first failed run; the rows stand.
        self.assertEqual(self.events(), [
            "load 5", "load 50", "load 50",
            "profile start", "load 50", "profile stop",
        ])
        self.assertEqual(result[0], 100000.0)
        self.assertEqual(result[2], 20.0)
        self.assertIsNone(result[3])

    def test_perf_that_does_not_start_costs_no_load_run(self):
        self.perf_starts = False
        result = run.run_echo("magpie", 2, 2, self.args(perf=True))
        self.assertEqual(self.events(), [
            "load 5", "load 50", "load 50", "profile start",
            "profile cleanup",
        ])
        self.assertEqual(result[0], 100000.0)
        self.assertIsNone(result[3])


if __name__ == "__main__":
    unittest.main()
