"""Regression: the runtime-comparison scripts met a user's mistake with a
Python traceback, or ran on with it. Found by trying echo_counts.py as a
new user: a --bin or --load path that does not exist, --rounds 0,
--workers two, a duplicate --bin name (silently merged), and in run.py a
negative --reps/--samples/--scale or zero --connections. Each is now a
usage error (exit status 2) that names the argument, before any server or
peer build starts."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "..", "..", "bench", "compare")


def run(script, *argv):
    return subprocess.run([sys.executable, os.path.join(COMPARE, script)] +
                          list(argv), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


class EchoScriptsTest(unittest.TestCase):
    SCRIPTS = ("echo_ab.py", "echo_overhead.py", "echo_counts.py")

    def setUp(self):
        # Executables that would pass the checks; nothing is run, since
        # every case below fails before the first server starts.
        self.dir = tempfile.mkdtemp()
        self.exe = os.path.join(self.dir, "peer")
        with open(self.exe, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(self.exe, 0o755)

    def check(self, expected, *argv):
        for script in self.SCRIPTS:
            out = run(script, *argv)
            self.assertEqual(out.returncode, 2, f"{script}: {out.stderr}")
            self.assertNotIn("Traceback", out.stderr, script)
            self.assertIn(expected, out.stderr, script)

    def test_bin_that_does_not_exist(self):
        self.check("/nonexistent/peer is not an executable file",
                   "--bin", "a=/nonexistent/peer", "--load", self.exe)

    def test_load_that_does_not_exist(self):
        self.check("--load: /nonexistent/load is not an executable file",
                   "--bin", f"a={self.exe}", "--load", "/nonexistent/load")

    def test_zero_rounds(self):
        self.check("--rounds: must be at least 1",
                   "--bin", f"a={self.exe}", "--load", self.exe,
                   "--rounds", "0")

    def test_workers_not_a_number(self):
        self.check("--workers 'two': expected numbers",
                   "--bin", f"a={self.exe}", "--load", self.exe,
                   "--workers", "two")

    def test_same_name_twice(self):
        self.check("the name 'a' is given twice",
                   "--bin", f"a={self.exe}", "--bin", f"a={self.exe}",
                   "--load", self.exe)


class RunPyTest(unittest.TestCase):
    def test_counts_below_one(self):
        for flag, value, expected in (
                ("--reps", "-1", "--reps: must be at least 1"),
                ("--samples", "-2", "--samples: must be at least 1"),
                ("--scale", "-1", "--scale: must be above 0"),
                ("--connections", "0", "--connections: must be at least 1"),
                ("--load-workers", "0", "--load-workers: must be at least 1"),
                ("--echo-messages", "-5",
                 "--echo-messages: must be at least 1")):
            out = run("run.py", "--no-install", "--no-build", flag, value)
            self.assertEqual(out.returncode, 2, f"{flag}: {out.stderr}")
            self.assertNotIn("Traceback", out.stderr, flag)
            self.assertIn(expected, out.stderr, flag)


if __name__ == "__main__":
    unittest.main()
