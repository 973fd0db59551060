#include "reactor/signal/registry.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "reactor/sys/error.h"
#include "runtime/core/atomic.h"
#include "runtime/core/mutex.h"

namespace magpie::signal::internal {
namespace {

// Signals 1..kMaxSignal-1 (NSIG covers the real-time signals too).
constexpr int kMaxSignal = NSIG;

// The handler needs lock-free atomics; the static_asserts below prove these
// are.
std::array<core::Atomic<std::uint64_t>, kMaxSignal> generations{};
std::array<core::Atomic<bool>, kMaxSignal> installed{};
core::Atomic<int> write_fd{-1};
core::Atomic<int> read_fd{-1};
core::Mutex install_mutex;

static_assert(core::Atomic<std::uint64_t>::is_always_lock_free);
static_assert(core::Atomic<int>::is_always_lock_free);

void on_signal(int signum) {
  const int saved_errno = errno;
  if (signum > 0 && signum < kMaxSignal) {
    // ORDERING: release pairs with the acquire in generation().
    generations[signum].fetch_add(1, std::memory_order_release);
  }
  // ORDERING: acquire pairs with the release in make_pipe().
  const int fd = write_fd.load(std::memory_order_acquire);
  if (fd >= 0) {
    const char byte = 1;
    // A full pipe (EAGAIN) already rings the bell; nothing else to do.
    (void)!::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

bool forbidden(int signum) {
  return signum <= 0 || signum >= kMaxSignal || signum == SIGKILL ||
         signum == SIGSTOP || signum == SIGSEGV || signum == SIGBUS ||
         signum == SIGILL || signum == SIGFPE;
}

absl::Status make_pipe() {
  // ORDERING: relaxed under install_mutex; the fds are published below.
  if (read_fd.load(std::memory_order_relaxed) >= 0) return absl::OkStatus();
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    return reactor::sys::errno_status(errno, "pipe2 (signal pipe)");
  }
  // ORDERING: release pairs with the acquire in on_signal() and
  // dup_read_end().
  read_fd.store(fds[0], std::memory_order_release);
  write_fd.store(fds[1], std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace

absl::Status install(int signum) {
  if (forbidden(signum)) {
    return absl::InvalidArgumentError("signal " + std::to_string(signum) +
                                      " cannot be listened for");
  }
  // ORDERING: acquire pairs with the release store below (fast path).
  if (installed[signum].load(std::memory_order_acquire)) {
    return absl::OkStatus();
  }
  core::MutexLock lock(&install_mutex);
  if (installed[signum].load(std::memory_order_relaxed)) {
    return absl::OkStatus();
  }
  if (absl::Status s = make_pipe(); !s.ok()) return s;
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (::sigaction(signum, &action, nullptr) != 0) {
    return reactor::sys::errno_status(errno, "sigaction");
  }
  // ORDERING: release pairs with the acquire fast path above.
  installed[signum].store(true, std::memory_order_release);
  return absl::OkStatus();
}

std::uint64_t generation(int signum) {
  if (signum <= 0 || signum >= kMaxSignal) return 0;
  // ORDERING: acquire pairs with the handler's release fetch_add.
  return generations[signum].load(std::memory_order_acquire);
}

absl::StatusOr<int> dup_read_end() {
  // ORDERING: acquire pairs with the release in make_pipe().
  const int fd = read_fd.load(std::memory_order_acquire);
  if (fd < 0) return absl::FailedPreconditionError("no signal installed");
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return reactor::sys::errno_status(errno, "dup (signal pipe)");
  return copy;
}

void drain(int fd) {
  char buf[128];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;  // EAGAIN (empty) or an error: nothing more to read.
  }
}

}  // namespace magpie::signal::internal
