"""Regression: run.py measured the echo rows (req/s, server CPU, p99) with
`perf record -g` attached to the server, for the CPU split. Sampling at
999 Hz with call graphs costs each server in proportion to its CPU and
changes how the OS schedules it against the load generator: one run had
Asio's 2-worker p99 at half of magpie's, where unprofiled runs put it at
0.89-0.97 of it. The measured load runs now come first with no profiler
attached; the split gets one more load run of as many requests.

The test runs run.run_echo against a stand-in server and load generator
(shell scripts) and records, in order, every load run and the profiler's
start and stop."""

import os
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

# Prints what bench/echo_load prints; logs "load MESSAGES".
LOAD = """#!/bin/sh
for a in "$@"; do
  case "$a" in --messages=*) m="${a#--messages=}" ;; esac
done
echo "load $m" >> "%(log)s"
echo "requests: 1000  errors: 0  elapsed: 0.010 s  requests/s: 100000"
echo "rtt us: p50 9.0  p99 20.0  p99.9 30.0  max 40.0"
"""


class EchoMeasuredWithoutProfilerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.log = os.path.join(self.dir, "events")
        server = os.path.join(self.dir, "server")
        load = os.path.join(self.dir, "load")
        for path, text in ((server, SERVER), (load, LOAD % {"log": self.log})):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
        self.saved = (run.peer_command, run.echo_load_binary,
                      run.start_profile, run.finish_profile, run.cpu_vs_tcp)
        run.peer_command = lambda peer: [server]
        run.echo_load_binary = lambda: load

        def start_profile(pid, data, frequency=None):
            self.event("profile start")
            return "perf"

        def finish_profile(perf, data):
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
            "profile start", "load 150", "profile stop",  # the split's run
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


if __name__ == "__main__":
    unittest.main()
