"""Splits an echo server's CPU samples into the kernel's TCP work, which is
the same for every runtime serving the same requests, and the rest, which
is the runtime's: user space, syscall entry and exit, epoll, futexes and
scheduling.

Why: on TCP echo over loopback about 75% of a server's CPU is the kernel's
TCP stack (tcp_sendmsg runs the whole loopback delivery, including the
peer's receive path). Two runtimes doing the same recv and send per request
do the same TCP work, so run-to-run noise on a shared machine (2-3x swings
from other tenants) hides a 10% difference in everything else. Measured as
a fraction of the TCP work, a runtime's own cost per request is steady
across load: `overhead = other samples / TCP samples`, and the ratio of two
runtimes' CPU per request is `(1 + overhead_a) / (1 + overhead_b)`, as long
as both do the same TCP work per request (the same syscalls: check with
perf stat).

Input: the text of `perf script -F ip,sym,dso` over a `perf record -g`
profile (one block per sample, frames innermost first, blocks separated by
blank lines). Pure functions; bench/compare/echo_overhead.py runs perf.
tests/bench/compare/perf_split_test.py covers them.
"""

import collections
import re

# A sample whose kernel frames include one of these ran the TCP stack's
# own work: the same per request for every server (the floor).
TCP_FRAMES = ("tcp_sendmsg", "tcp_recvmsg")

# Category of a kernel sample outside the TCP stack, by its syscall entry
# frame (__x64_sys_<name>), checked in order.
SYSCALL_CATEGORIES = [
    ("io syscalls", ("sendto", "sendmsg", "recvfrom", "recvmsg", "read",
                     "write", "readv", "writev")),
    ("epoll", ("epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl")),
    ("futex", ("futex",)),
]

CATEGORIES = ["tcp", "user", "io syscalls", "epoll", "futex",
              "other syscalls", "other kernel"]

_FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$")
_SYSCALL = re.compile(r"^__(?:x64|ia32|se)_sys_(\w+)$")


def parse(text):
    """The samples of `perf script -F ip,sym,dso` text: a list of samples,
    each a list of (symbol, dso) frames, innermost first. Lines that are not
    frames (headers, comm/tid lines) are ignored."""
    samples, frames = [], []
    for line in text.splitlines():
        if not line.strip():
            if frames:
                samples.append(frames)
                frames = []
            continue
        m = _FRAME.match(line)
        if m:
            frames.append((m.group(1), m.group(2)))
    if frames:
        samples.append(frames)
    return samples


def _is_kernel(dso):
    return dso.startswith("[kernel") or dso.endswith(".ko")


def classify(frames):
    """One sample's category (one of CATEGORIES)."""
    if not frames or not _is_kernel(frames[0][1]):
        return "user"
    kernel = [sym for sym, dso in frames if _is_kernel(dso)]
    if any(sym.startswith(TCP_FRAMES) for sym in kernel):
        return "tcp"
    for sym in kernel:
        m = _SYSCALL.match(sym)
        if not m:
            continue
        name = m.group(1)
        for category, names in SYSCALL_CATEGORIES:
            if name in names:
                return category
        return "other syscalls"
    return "other kernel"


def split(text):
    """Counter of CATEGORIES over the samples of perf script text."""
    counts = collections.Counter({c: 0 for c in CATEGORIES})
    for frames in parse(text):
        counts[classify(frames)] += 1
    return counts


def overhead(counts):
    """Samples outside the TCP stack per TCP sample, or None without TCP
    samples (the profile saw no requests)."""
    tcp = counts.get("tcp", 0)
    if tcp == 0:
        return None
    return (sum(counts.values()) - tcp) / tcp


def cpu_ratio(overhead_a, overhead_b):
    """a's CPU per request over b's, from their overheads, for two servers
    doing the same TCP work per request."""
    return (1 + overhead_a) / (1 + overhead_b)
