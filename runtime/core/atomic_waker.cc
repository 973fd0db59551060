#include "runtime/core/atomic_waker.h"

#include <utility>

#include "runtime/core/chaos_point.h"

namespace magpie {

void AtomicWaker::register_waker(const Waker& waker) {
  chaos_point(core::ChaosPoint::kAtomicWakerRegister);
  std::uint32_t expected = kWaiting;
  // ORDERING: acquire pairs with the release that last returned the slot to
  // WAITING (a registration or a take), so waker_ is ours to touch.
  if (state_.compare_exchange_strong(expected, kRegistering,
                                     std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
    if (!waker_.will_wake(waker)) waker_ = waker;
    chaos_point(core::ChaosPoint::kAtomicWakerRegister);
    std::uint32_t registering = kRegistering;
    // ORDERING: release publishes waker_ to the next take().
    if (state_.compare_exchange_strong(registering, kWaiting,
                                       std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return;
    }
    // A wake() arrived while we held the slot (state is
    // REGISTERING|WAKING): it could not take the waker, so we wake for it.
    Waker owed = std::move(waker_);
    // ORDERING: release hands the (now empty) slot back.
    state_.exchange(kWaiting, std::memory_order_acq_rel);
    std::move(owed).wake();
    return;
  }
  if (expected == kWaking) {
    // A wake is in progress and may have taken the previous waker before we
    // got here: wake the new one so the event is not lost.
    waker.wake_by_ref();
  }
  // expected == REGISTERING(|WAKING): a concurrent register_waker() breaks
  // the one-registerer rule; nothing safe to do but let the other win.
}

Waker AtomicWaker::take() {
  chaos_point(core::ChaosPoint::kAtomicWakerWake);
  // ORDERING: acquire pairs with the release in register_waker() that
  // published waker_.
  const std::uint32_t prev =
      state_.fetch_or(kWaking, std::memory_order_acq_rel);
  if (prev != kWaiting) return Waker();
  Waker taken = std::move(waker_);
  // ORDERING: release hands the slot back to the next registerer.
  state_.fetch_and(~kWaking, std::memory_order_release);
  return taken;
}

void AtomicWaker::wake() {
  Waker taken = take();
  std::move(taken).wake();
}

}  // namespace magpie
