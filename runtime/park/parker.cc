#include "runtime/park/parker.h"

#include "runtime/park/futex.h"

namespace magpie::park {

bool Parker::try_consume_notification() {
  std::uint32_t expected = kNotified;
  // ORDERING: acquire pairs with the release exchange in unpark().
  return state_.compare_exchange_strong(
      expected, kEmpty, std::memory_order_acquire, std::memory_order_relaxed);
}

void Parker::park() {
  park_until(std::chrono::steady_clock::time_point::max());
}

bool Parker::park_until(std::chrono::steady_clock::time_point deadline) {
  if (try_consume_notification()) return true;
  std::uint32_t expected = kEmpty;
  // ORDERING: relaxed is enough to announce; the wake-up side is ordered by
  // the acquire CAS in try_consume_notification().
  if (!state_.compare_exchange_strong(expected, kParked,
                                      std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {
    // It became NOTIFIED in between (only the owner ever sets PARKED).
    return try_consume_notification();
  }
  const bool forever = core::is_never(deadline);
  while (true) {
    // Saturating: a deadline centuries away must not wrap to the past.
    const auto remaining =
        forever
            ? std::chrono::nanoseconds(-1)
            : core::saturating_sub(deadline, std::chrono::steady_clock::now());
    if (!forever && remaining.count() <= 0) {
      // Time is up: withdraw the announcement unless an unpark beat us.
      std::uint32_t parked = kParked;
      if (state_.compare_exchange_strong(parked, kEmpty,
                                         std::memory_order_relaxed,
                                         std::memory_order_relaxed)) {
        return false;
      }
      return try_consume_notification();
    }
    futex_wait(&state_, kParked, remaining);
    if (try_consume_notification()) return true;
  }
}

void Parker::unpark() {
  // ORDERING: release pairs with the acquire in try_consume_notification().
  if (state_.exchange(kNotified, std::memory_order_release) == kParked) {
    futex_wake(&state_, 1);
  }
}

}  // namespace magpie::park
