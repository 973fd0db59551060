"""Regression: an echo server that started but never printed its
"port N" line hung bench/compare's echo scripts (run.py, echo_ab.py,
echo_overhead.py, echo_counts.py) for ever: run.start_echo_server checked
its deadline only between blocking readline() calls. Found by trying
echo_ab.py as a new user with a server that just sleeps. It now waits at
most SERVER_START_TIMEOUT_S and answers port None, which every caller
reports as a failed run."""

import os
import stat
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "compare"))
import run  # noqa: E402


def script(body):
    fd, path = tempfile.mkstemp(suffix=".sh")
    with os.fdopen(fd, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, stat.S_IRWXU)
    return path


class SilentServerTest(unittest.TestCase):
    def setUp(self):
        self.saved = run.SERVER_START_TIMEOUT_S
        run.SERVER_START_TIMEOUT_S = 1

    def tearDown(self):
        run.SERVER_START_TIMEOUT_S = self.saved

    def start(self, body):
        began = time.monotonic()
        server, port = run.start_echo_server([script(body)], 2)
        took = time.monotonic() - began
        server.kill()
        server.wait()
        server.stdout.close()
        return port, took

    def test_silent_server_times_out(self):
        port, took = self.start("exec sleep 30")
        self.assertIsNone(port)
        self.assertLess(took, 10)

    def test_partial_line_then_silence_times_out(self):
        # A line without its newline is not a port yet.
        port, took = self.start("printf 'port 4'; exec sleep 30")
        self.assertIsNone(port)
        self.assertLess(took, 10)

    def test_port_after_other_output(self):
        port, _ = self.start("echo starting; echo 'port 4242'; "
                             "exec sleep 30")
        self.assertEqual(port, 4242)

    def test_port_printed_in_pieces(self):
        port, _ = self.start("printf 'po'; sleep 0.2; printf 'rt 77\\n'; "
                             "exec sleep 30")
        self.assertEqual(port, 77)

    def test_server_that_exits_without_a_port(self):
        port, took = self.start("echo nothing here")
        self.assertIsNone(port)
        self.assertLess(took, 10)


if __name__ == "__main__":
    unittest.main()
