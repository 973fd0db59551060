#include "runtime/park/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/sanitizers.h"

namespace magpie::park {
namespace {

// ThreadSanitizer runs a signal handler only when the receiving thread is
// in, or next enters, a call it intercepts; a raw futex wait is neither, and
// with SA_RESTART the kernel resumes the wait after TSan's stub returns. A
// signal the kernel hands to a parked thread would then wait for its next
// unpark, however long (futex.h, "Signals"). So under TSan a wait sleeps at
// most this long and then makes one intercepted call, which runs any
// handler TSan deferred: a signal is seen within one slice.
constexpr auto kTsanSignalSlice = std::chrono::milliseconds(20);
using core::kUnderTsan;

}  // namespace

static_assert(sizeof(core::Atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "futex needs a plain 32-bit word");

void futex_wait(core::Atomic<std::uint32_t>* word, std::uint32_t expected,
                std::chrono::nanoseconds timeout) {
  if (kUnderTsan && (timeout.count() < 0 || timeout > kTsanSignalSlice)) {
    timeout = kTsanSignalSlice;  // a spurious return, which callers allow
  }
  struct timespec ts;
  struct timespec* ts_ptr = nullptr;
  if (timeout.count() >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    ts_ptr = &ts;
  }
  // EAGAIN (word changed), EINTR and ETIMEDOUT all mean "go and re-check".
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE,
          expected, ts_ptr, nullptr, 0);
  if (kUnderTsan) {
    // Intercepted: TSan runs the handlers it deferred on this thread.
    struct timespec now;
    (void)::clock_gettime(CLOCK_MONOTONIC, &now);
  }
}

void futex_wake(core::Atomic<std::uint32_t>* word, int count) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE,
          count, nullptr, nullptr, 0);
}

}  // namespace magpie::park
