"""Tests for bench/compare/echo_cli.py: the echo scripts' shared command
line is checked before anything runs, and a load run that fails says why
instead of raising."""

import argparse
import contextlib
import io
import os
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bench", "compare"))
import echo_cli  # noqa: E402


def write_script(directory, name, body):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.server = write_script(self.dir, "server", "exit 0")
        self.load = write_script(self.dir, "load", "exit 0")
        self.plain_file = os.path.join(self.dir, "not_executable")
        open(self.plain_file, "w").close()

    def parse(self, *argv):
        parser = argparse.ArgumentParser(prog="echo_x")
        echo_cli.add_arguments(parser, workers="2,1", rounds=4)
        return echo_cli.parse(parser, parser.parse_args(list(argv)))

    def usage_error(self, *argv):
        """The message of the usage error argv makes (exit status 2)."""
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            with self.assertRaises(SystemExit) as raised:
                self.parse(*argv)
        self.assertEqual(raised.exception.code, 2)
        return err.getvalue()

    def test_good_arguments_and_defaults(self):
        bins, workers = self.parse("--bin", f"a={self.server}",
                                   "--bin", f"b={self.server}",
                                   "--load", self.load)
        self.assertEqual(bins, [("a", self.server), ("b", self.server)])
        self.assertEqual(workers, [2, 1])

    def test_bin_without_a_name(self):
        self.assertIn("expected NAME=PATH",
                      self.usage_error("--bin", self.server,
                                       "--load", self.load))
        self.assertIn("expected NAME=PATH",
                      self.usage_error("--bin", f"={self.server}",
                                       "--load", self.load))

    def test_same_name_twice(self):
        self.assertIn("given twice",
                      self.usage_error("--bin", f"a={self.server}",
                                       "--bin", f"a={self.server}",
                                       "--load", self.load))

    def test_bin_that_is_not_an_executable_file(self):
        for path in ("/nonexistent/peer", self.plain_file, self.dir):
            self.assertIn("is not an executable file",
                          self.usage_error("--bin", f"a={path}",
                                           "--load", self.load))

    def test_load_that_is_not_an_executable_file(self):
        self.assertIn("--load: /nonexistent/echo_load is not an executable",
                      self.usage_error("--bin", f"a={self.server}",
                                       "--load", "/nonexistent/echo_load"))

    def test_workers_that_are_not_numbers(self):
        self.assertIn("expected numbers",
                      self.usage_error("--bin", f"a={self.server}",
                                       "--load", self.load,
                                       "--workers", "two"))

    def test_counts_below_one(self):
        base = ["--bin", f"a={self.server}", "--load", self.load]
        for flag, value in (("--workers", "2,0"), ("--rounds", "0"),
                            ("--connections", "0"), ("--messages", "0"),
                            ("--load-workers", "-1")):
            self.assertIn(f"{flag}: must be at least 1",
                          self.usage_error(*base, flag, value))


class LoadOutputTest(unittest.TestCase):
    OUTPUT = ("echo_load: 100 connections x 2000 messages x 64 bytes -> "
              "127.0.0.1:4000\n"
              "requests: 200000  errors: 0  elapsed: 2.541 s  "
              "requests/s: 78703\n"
              "rtt us: p50 1305.1  p99 5125.4  p99.9 7432.7  max 12931.6\n")

    def test_a_good_run(self):
        result = echo_cli.parse_load_output(0, self.OUTPUT)
        self.assertTrue(result)
        self.assertEqual(result.requests, 200000)
        self.assertEqual(result.rps, 78703.0)
        self.assertEqual(result.p99_us, 5125.4)

    def test_a_failed_run_keeps_the_generators_last_word(self):
        result = echo_cli.parse_load_output(
            1, "", "connect: Connection refused\nconnect 127.0.0.1:1 failed")
        self.assertFalse(result)
        self.assertIn("exited 1: connect 127.0.0.1:1 failed", result.failure)

    def test_no_requests_is_a_failure_even_with_status_0(self):
        self.assertFalse(echo_cli.parse_load_output(0, "nothing here\n"))


class RunLoadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.args = argparse.Namespace(connections=3, load_workers=1)

    def test_runs_the_generator_with_the_shared_command_line(self):
        argv_file = os.path.join(self.dir, "argv")
        self.args.load = write_script(
            self.dir, "load",
            f'echo "$*" > {argv_file}; echo "requests: 30  requests/s: 100"')
        result = echo_cli.run_load(self.args, 4321, 10)
        self.assertTrue(result, result.failure)
        self.assertEqual((result.requests, result.rps), (30, 100.0))
        with open(argv_file) as f:
            self.assertEqual(f.read().split(), [
                "--address=127.0.0.1:4321", "--connections=3",
                "--messages=10", "--size=64", "--workers=1"])

    def test_a_prefix_goes_in_front(self):
        self.args.load = write_script(self.dir, "load", "exit 0")
        result = echo_cli.run_load(self.args, 4321, 10,
                                   prefix=["/nonexistent/taskset"])
        self.assertIn("could not run the load generator", result.failure)

    def test_unreadable_output_is_a_failed_run(self):
        self.assertIn("unreadable", echo_cli.parse_load_output(
            0, "requests: many\n").failure)

    def test_a_generator_that_hangs_is_a_failed_run(self):
        self.args.load = write_script(self.dir, "load", "sleep 30")
        saved = echo_cli.LOAD_TIMEOUT_S
        echo_cli.LOAD_TIMEOUT_S = 0.3
        try:
            result = echo_cli.run_load(self.args, 4321, 10)
        finally:
            echo_cli.LOAD_TIMEOUT_S = saved
        self.assertFalse(result)
        self.assertIn("does the server answer", result.failure)

    def test_a_generator_that_cannot_start_is_a_failed_run(self):
        self.args.load = os.path.join(self.dir, "missing")
        result = echo_cli.run_load(self.args, 4321, 10)
        self.assertFalse(result)
        self.assertIn("could not run the load generator", result.failure)


class RoundsTest(unittest.TestCase):
    def test_interleaves_and_reverses_every_other_round(self):
        calls = []

        def run_one(path, workers):
            calls.append((path, workers))
            if path == "b" and workers == 1:
                return None, "b fails at 1 worker"
            return len(calls), None

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            runs = echo_cli.run_rounds([("A", "a"), ("B", "b")], [2, 1], 2,
                                       run_one, lambda v: f"value {v}")
        self.assertEqual(calls, [("a", 2), ("b", 2), ("a", 1), ("b", 1),
                                 ("b", 2), ("a", 2), ("b", 1), ("a", 1)])
        self.assertEqual(runs, {("A", 2): [1, 6], ("B", 2): [2, 5],
                                ("A", 1): [3, 8], ("B", 1): [None, None]})
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "round 0 A 2w: value 1")
        self.assertEqual(lines[3], "round 0 B 1w: failed: b fails at 1 worker")


class EchoServerTest(unittest.TestCase):
    def test_a_server_without_a_port_line_is_reaped(self):
        directory = tempfile.mkdtemp()
        server_path = write_script(directory, "server", "sleep 30")
        saved = echo_cli.start_echo_server

        def quick_start(command, workers):  # no 10 s wait for a port line
            return subprocess.Popen(command + ["echo", str(workers)]), None

        echo_cli.start_echo_server = quick_start
        try:
            with echo_cli.echo_server([server_path], 2) as (server, port):
                self.assertIsNone(port)
                self.assertIsNone(server.poll())
        finally:
            echo_cli.start_echo_server = saved
        self.assertIsNotNone(server.returncode)

    def test_warmed_server_says_why_not(self):
        directory = tempfile.mkdtemp()
        server_path = write_script(directory, "server", "sleep 30")
        args = argparse.Namespace(
            load=write_script(directory, "load", "echo refused >&2; exit 3"),
            connections=1, messages=20, load_workers=1)
        saved = echo_cli.start_echo_server
        port = [None]
        echo_cli.start_echo_server = lambda command, workers: (
            subprocess.Popen(command + ["echo", str(workers)]), port[0])
        try:
            with echo_cli.warmed_server([server_path], 1, args) as (
                    server, _, failure):
                self.assertEqual(failure, echo_cli.NO_PORT)
            self.assertIsNotNone(server.returncode)
            port[0] = 4321  # a port, but the warm-up load run fails
            with echo_cli.warmed_server([server_path], 1, args) as (
                    server, _, failure):
                self.assertEqual(failure, "load generator exited 3: refused")
            self.assertIsNotNone(server.returncode)
        finally:
            echo_cli.start_echo_server = saved


if __name__ == "__main__":
    unittest.main()
