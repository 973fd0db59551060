#include "runtime/park/worker_parker.h"

#include <chrono>

#include "runtime/park/futex.h"

namespace magpie::park {

bool WorkerParker::try_consume_notification() {
  std::uint32_t expected = kNotified;
  // ORDERING: acquire pairs with the release exchange in unpark().
  return state_.compare_exchange_strong(
      expected, kEmpty, std::memory_order_acquire, std::memory_order_relaxed);
}

void WorkerParker::park() {
  if (try_consume_notification()) return;
  // Rule 3: take the driver first, announce after.
  if (driver_ != nullptr && driver_->try_lock()) {
    park_in_driver();
    return;
  }
  park_on_futex();
}

void WorkerParker::park_in_driver() {
  std::uint32_t expected = kEmpty;
  // ORDERING: relaxed is enough to announce; the wake-up side is ordered by
  // the acquire exchange below.
  if (state_.compare_exchange_strong(expected, kParkedDriver,
                                     std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
    driver_->turn(std::nullopt);
    // Rule 2: back after one turn. Consumes a NOTIFIED that arrived.
    // ORDERING: acquire pairs with the release exchange in unpark().
    (void)state_.exchange(kEmpty, std::memory_order_acquire);
  } else {
    // It became NOTIFIED in between (only the owner sets a PARKED state).
    (void)try_consume_notification();
  }
  driver_->unlock();  // rule 3: after the state is reset
}

void WorkerParker::park_on_futex() {
  std::uint32_t expected = kEmpty;
  if (!state_.compare_exchange_strong(expected, kParkedFutex,
                                      std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {
    (void)try_consume_notification();
    return;
  }
  while (true) {
    futex_wait(&state_, kParkedFutex);
    if (try_consume_notification()) return;
  }
}

void WorkerParker::unpark() {
  // ORDERING: release pairs with the acquire in park().
  switch (state_.exchange(kNotified, std::memory_order_release)) {
    case kParkedFutex:
      futex_wake(&state_, 1);
      break;
    case kParkedDriver:
      driver_->unpark();
      break;
    default:
      break;
  }
}

bool WorkerParker::poll_driver() {
  if (driver_ == nullptr || !driver_->try_lock()) return false;
  driver_->turn(std::chrono::nanoseconds(0));
  driver_->unlock();
  return true;
}

}  // namespace magpie::park
