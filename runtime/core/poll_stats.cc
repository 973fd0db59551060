#include "runtime/core/poll_stats.h"

#include <time.h>

namespace magpie::core {

constinit thread_local Atomic<const std::type_info*>* current_leaf_slot =
    nullptr;
constinit thread_local std::uint32_t current_poll_ms = 0;
constinit thread_local std::uint32_t worker_clock_ms = 0;

std::uint32_t coarse_now_ms() noexcept {
  constexpr std::uint64_t kNanosPerMilli = 1'000'000;
  constexpr std::uint64_t kMillisPerSecond = 1'000;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  const auto ms = static_cast<std::uint32_t>(
      static_cast<std::uint64_t>(ts.tv_sec) * kMillisPerSecond +
      static_cast<std::uint64_t>(ts.tv_nsec) / kNanosPerMilli);
  return ms == 0 ? 1 : ms;  // 0 means "never"
}

}  // namespace magpie::core
