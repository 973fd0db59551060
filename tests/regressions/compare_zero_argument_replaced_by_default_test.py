"""Regression: bench/compare/run.py read `--reps 0`, `--samples 0`,
`--scale 0` and `--echo-messages 0` as "not given" (`args.reps or 3`) and
ran with the mode's default, 3 reps for `--reps 0`, while `--reps -3` was
refused. Found by trying run.py as a new user. Only an absent flag takes
the default now; an explicit 0 is a usage error (exit status 2) naming the
flag, before anything is installed or built. The same check covers the
other faults of that trial: `--workers 0` and an unknown peer or workload
each get an error that names the flag."""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_PY = os.path.join(HERE, "..", "..", "bench", "compare", "run.py")


def run_py(*argv):
    return subprocess.run([sys.executable, RUN_PY, "--no-install",
                           "--no-build"] + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)


class ZeroIsNotDefaultTest(unittest.TestCase):
    def check(self, expected, *argv):
        out = run_py(*argv)
        self.assertEqual(out.returncode, 2, f"{argv}: {out.stderr}")
        self.assertNotIn("Traceback", out.stderr, argv)
        self.assertIn(expected, out.stderr, argv)
        # Refused before any peer ran: no "[rep" progress line.
        self.assertNotIn("[rep", out.stdout + out.stderr, argv)

    def test_zero_counts(self):
        for flag, expected in (
                ("--reps", "--reps: must be at least 1"),
                ("--samples", "--samples: must be at least 1"),
                ("--echo-messages", "--echo-messages: must be at least 1"),
                ("--scale", "--scale: must be above 0"),
                ("--workers", "--workers: must be at least 1")):
            with self.subTest(flag=flag):
                self.check(expected, flag, "0")

    def test_zero_with_a_mode(self):
        # The modes' defaults are what a 0 fell back to.
        self.check("--reps: must be at least 1", "--quick", "--reps", "0")
        self.check("--samples: must be at least 1", "--smoke",
                   "--samples", "0")

    def test_unknown_names_are_named(self):
        self.check("--peers: unknown rust", "--peers", "magpie,rust")
        self.check("--peers: must include magpie", "--peers", "tokio")
        self.check("--workloads: unknown nope", "--workloads", "nope")


if __name__ == "__main__":
    unittest.main()
