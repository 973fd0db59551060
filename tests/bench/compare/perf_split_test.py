"""Tests for bench/compare/perf_split.py on `perf script -F ip,sym,dso`
text shaped like a real echo server's profile."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bench", "compare"))
import perf_split  # noqa: E402

K = "([kernel.kallsyms])"
BIN = "(/opt/bench/compare/magpie_peer)"
LIBC = "(/usr/lib/x86_64-linux-gnu/libc.so.6)"

# One sample per block, innermost frame first, as perf script prints them.
PROFILE = f"""
magpie_peer  6127
\tffffffff8134a221 __virt_addr_valid {K}
\tffffffff816cb86c __check_object_size {K}
\tffffffff8206cfe5 tcp_sendmsg_locked {K}
\tffffffff8206d66b tcp_sendmsg {K}
\tffffffff81e7f039 __sys_sendto {K}
\tffffffff81e7f080 __x64_sys_sendto {K}
\tffffffff8225a101 do_syscall_64 {K}
\t          101829 syscall {LIBC}
\t           1cc9f magpie::reactor::IoSource::poll_io_impl<(anonymous namespace)::f> {BIN}

\tffffffff82071234 tcp_recvmsg_locked {K}
\tffffffff82071300 tcp_recvmsg {K}
\tffffffff81e7f500 __x64_sys_recvfrom {K}
\t          101829 syscall {LIBC}

\tffffffff81e7aa00 fdget {K}
\tffffffff81e7f039 __sys_sendto {K}
\tffffffff81e7f080 __x64_sys_sendto {K}
\t          101829 syscall {LIBC}

\tffffffff81500000 ep_send_events {K}
\tffffffff81500100 do_epoll_wait {K}
\tffffffff81500200 __x64_sys_epoll_pwait2 {K}
\t           12345 epoll_pwait2 {LIBC}

\tffffffff81100000 finish_task_switch.isra.0 {K}
\tffffffff81100100 __schedule {K}
\tffffffff81200000 futex_wait {K}
\tffffffff81200100 __x64_sys_futex {K}
\t           23456 magpie::park::WorkerParker::park_on_futex {BIN}

\tffffffff81300000 do_tcp_setsockopt {K}
\tffffffff81300100 __x64_sys_setsockopt {K}

\tffffffff81400000 asm_sysvec_apic_timer_interrupt {K}

\t           2ab89 magpie::task::Notified::run {BIN}
\t           24157 magpie::scheduler::Worker::run_task {BIN}

\t           989d7 malloc {LIBC}
\t               0 [unknown] ([unknown])
"""


class PerfSplitTest(unittest.TestCase):
    def test_parse_keeps_frames_innermost_first(self):
        samples = perf_split.parse(PROFILE)
        self.assertEqual(len(samples), 9)
        self.assertEqual(samples[0][0], ("__virt_addr_valid", "[kernel.kallsyms]"))
        self.assertEqual(samples[0][-1][0],
                         "magpie::reactor::IoSource::poll_io_impl<"
                         "(anonymous namespace)::f>")
        self.assertEqual(samples[8], [("malloc", LIBC[1:-1]),
                                      ("[unknown]", "[unknown]")])

    def test_each_sample_lands_in_its_category(self):
        got = [perf_split.classify(s) for s in perf_split.parse(PROFILE)]
        self.assertEqual(got, ["tcp", "tcp", "io syscalls", "epoll", "futex",
                               "other syscalls", "other kernel", "user",
                               "user"])

    def test_scheduler_symbols_in_user_space_are_not_kernel_scheduling(self):
        # A user frame named ...scheduler... below a user top frame is user
        # time, and a magpie frame below a futex is still futex time.
        frames = [("magpie::scheduler::Worker::run", BIN[1:-1])]
        self.assertEqual(perf_split.classify(frames), "user")

    def test_split_overhead_and_ratio(self):
        counts = perf_split.split(PROFILE)
        self.assertEqual(counts["tcp"], 2)
        self.assertEqual(sum(counts.values()), 9)
        self.assertEqual(set(counts), set(perf_split.CATEGORIES))
        self.assertAlmostEqual(perf_split.overhead(counts), 7 / 2)
        self.assertAlmostEqual(perf_split.cpu_ratio(0.25, 0.5), 1.25 / 1.5)

    def test_no_tcp_samples_has_no_overhead(self):
        counts = perf_split.split("\n\t 2ab89 f (/bin/x)\n")
        self.assertEqual(counts["user"], 1)
        self.assertIsNone(perf_split.overhead(counts))
        self.assertEqual(perf_split.split(""), perf_split.split("\n\n"))


if __name__ == "__main__":
    unittest.main()
