"""Tests for bench/compare/echo_counts.py's parsing and per-request
arithmetic, on text shaped like what perf stat and /proc print."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bench", "compare"))
import echo_counts  # noqa: E402
import run  # noqa: E402

# `perf stat -x, -o FILE` as perf 6.1 writes it: a comment, a blank line,
# then value,unit,event,run time,percentage,... per event.
PERF_STAT = """# started on Wed Dec  2 05:20:11 2026

437411,,raw_syscalls:sys_enter,2501733961,100.00,,
4190,,context-switches,2501739110,100.00,0.002,/sec
200002,,syscalls:sys_enter_recvfrom,2501741000,100.00,,
0,,syscalls:sys_enter_read,2501741000,100.00,,
<not supported>,,syscalls:sys_enter_recvmsg,0,100.00,,
200001,,syscalls:sys_enter_sendto,2501741000,100.00,,
7,,syscalls:sys_enter_write,2501741000,100.00,,
34790,,syscalls:sys_enter_epoll_wait,2501741000,100.00,,
12,,syscalls:sys_enter_epoll_pwait2,2501741000,100.00,,
2011,,syscalls:sys_enter_futex,2501741000,100.00,,
"""

SNMP = """Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 1234
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 532 530 0 2 5 9000123 8999876 0 0 3 0
Udp: InDatagrams NoPorts
Udp: 10 0
"""


class ParseTest(unittest.TestCase):
    def test_perf_stat_counts_and_skips_uncounted(self):
        counts = echo_counts.parse_perf_stat(PERF_STAT)
        self.assertEqual(counts["raw_syscalls:sys_enter"], 437411)
        self.assertEqual(counts["syscalls:sys_enter_sendto"], 200001)
        self.assertNotIn("syscalls:sys_enter_recvmsg", counts)
        self.assertEqual(len(counts), 9)

    def test_groups_sum_the_calls_of_one_job(self):
        grouped = echo_counts.group_syscalls(
            echo_counts.parse_perf_stat(PERF_STAT))
        self.assertEqual(grouped["syscalls"], 437411)
        self.assertEqual(grouped["recv"], 200002)   # recvfrom + read
        self.assertEqual(grouped["send"], 200008)   # sendto + write
        self.assertEqual(grouped["epoll_wait"], 34802)  # wait + pwait2
        self.assertEqual(grouped["futex"], 2011)
        self.assertEqual(grouped["context_switches"], 4190)

    def test_no_tracepoints_no_syscall_columns(self):
        self.assertEqual(echo_counts.group_syscalls(
            {"context-switches": 5.0}), {})

    def test_events_asked_for_cover_every_group(self):
        events = echo_counts.perf_events()
        for calls in echo_counts.SYSCALL_GROUPS.values():
            for call in calls:
                self.assertIn(f"syscalls:sys_enter_{call}", events)
        self.assertIn("raw_syscalls:sys_enter", events)

    def test_tcp_segments_are_in_plus_out(self):
        self.assertEqual(echo_counts.parse_tcp_segments(SNMP),
                         9000123 + 8999876)

    def test_tcp_segments_needs_the_tcp_lines(self):
        with self.assertRaises(ValueError):
            echo_counts.parse_tcp_segments("Ip: a\nIp: 1\n")

    def test_schedstat_is_run_then_wait(self):
        self.assertEqual(run.parse_schedstat("123456 789 42\n"),
                         (123456, 789))

    def test_process_schedstat_of_this_process_grows(self):
        run0, _ = run.process_schedstat(os.getpid())
        sum(i * i for i in range(200000))  # spend some CPU
        run1, _ = run.process_schedstat(os.getpid())
        self.assertGreater(run1, run0)

    def test_process_schedstat_of_no_process_raises(self):
        with self.assertRaises(OSError):
            run.process_schedstat(2 ** 22 + 12345)  # above pid_max


class PerRequestTest(unittest.TestCase):
    def test_divides_every_delta_by_the_requests(self):
        before = (1000, (5_000_000, 100_000), 7_000_000)
        after = (1000 + 8000, (5_000_000 + 21_000_000, 100_000 + 3_000_000),
                 7_000_000 + 30_000_000)
        out = echo_counts.per_request(before, after,
                                      {"syscalls": 4400.0, "recv": 2000.0},
                                      2000)
        self.assertEqual(out, {"syscalls": 2.2, "recv": 1.0,
                               "segments": 4.0, "cpu_ns": 10500.0,
                               "rq_wait_ns": 1500.0, "load_cpu_ns": 15000.0})

    def test_without_syscall_counts_keeps_the_other_columns(self):
        out = echo_counts.per_request((0, (0, 0), 0), (40, (1000, 10), 50),
                                      {}, 10)
        self.assertEqual(set(out), {"segments", "cpu_ns", "rq_wait_ns",
                                    "load_cpu_ns"})

    def test_children_cpu_counts_a_waited_for_child(self):
        before = echo_counts.children_cpu_ns()
        subprocess.run([sys.executable, "-c",
                        "sum(i * i for i in range(3000000))"], check=True)
        self.assertGreater(echo_counts.children_cpu_ns(), before)


if __name__ == "__main__":
    unittest.main()
