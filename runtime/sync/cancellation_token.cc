#include "runtime/sync/cancellation_token.h"

#include <utility>
#include <vector>

namespace magpie {

void CancellationToken::cancel() const {
  std::vector<Waker> to_wake;
  {
    core::MutexLock lock(&state_->mu);
    // ORDERING: release pairs with the acquire loads in is_cancelled() and
    // Cancelled::poll; under the lock so no registration slips in between.
    state_->cancelled.store(true, std::memory_order_release);
    to_wake.reserve(state_->waiters.size());
    for (auto& [id, waker] : state_->waiters)
      to_wake.push_back(std::move(waker));
    state_->waiters.clear();
  }
  for (Waker& waker : to_wake) std::move(waker).wake();  // unlocked (STYLE 8)
}

CancellationToken::Cancelled CancellationToken::cancelled() const {
  return Cancelled(state_);
}

Poll<void> CancellationToken::Cancelled::poll(Context& cx) {
  // ORDERING: acquire pairs with the release store in cancel().
  if (state_->cancelled.load(std::memory_order_acquire)) {
    unregister();
    return ready();
  }
  Waker stale;  // a replaced waker is dropped after unlocking
  {
    core::MutexLock lock(&state_->mu);
    if (state_->cancelled.load(std::memory_order_acquire)) {
      // Re-check under the lock: cancel() already took the wakers.
      registered_ = false;
      return ready();
    }
    if (!registered_) {
      id_ = state_->next_id++;
      registered_ = true;
      state_->waiters.emplace(id_, cx.waker());
    } else {
      Waker& slot = state_->waiters[id_];
      if (!slot.will_wake(cx.waker())) {
        stale = std::exchange(slot, cx.waker());
      }
    }
  }
  return Pending;
}

void CancellationToken::Cancelled::unregister() {
  if (!registered_) return;
  registered_ = false;
  Waker removed;
  {
    core::MutexLock lock(&state_->mu);
    auto it = state_->waiters.find(id_);
    if (it != state_->waiters.end()) {
      removed = std::move(it->second);
      state_->waiters.erase(it);
    }
  }
}

}  // namespace magpie
