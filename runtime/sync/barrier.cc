#include "runtime/sync/barrier.h"

#include <cassert>
#include <utility>

#include "runtime/core/coop.h"

namespace magpie::sync {

Barrier::Wait Barrier::wait() { return Wait(this); }

Barrier::Wait::Wait(Wait&& other) noexcept
    : barrier_(other.barrier_), state_(other.state_) {
  assert(other.state_ != State::kWaiting && "Barrier::Wait moved after poll");
  other.state_ = State::kDone;
}

Barrier::Wait::~Wait() {
  if (state_ != State::kWaiting) return;
  Waker stale;
  core::MutexLock lock(&barrier_->mu_);
  if (node_.linked) {  // still waiting: withdraw the arrival
    barrier_->waiters_.remove(&node_);
    --barrier_->arrived_;
  }
  stale = std::move(node_.waker);
}

Poll<BarrierWaitResult> Barrier::Wait::poll(Context& cx) {
  assert(state_ != State::kDone && "Barrier::Wait polled after completion");
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;
  internal::WakeList wake;
  Waker stale;
  core::MutexLock lock(&barrier_->mu_);
  if (state_ == State::kInit) {
    if (++barrier_->arrived_ == barrier_->n_) {
      // The leader: release the generation, start the next.
      barrier_->arrived_ = 0;
      while (Node* node = barrier_->waiters_.pop_front()) {
        wake.push(std::move(node->waker));
      }
      state_ = State::kDone;
      coop->made_progress();
      return BarrierWaitResult(true);
    }
    node_.waker = cx.waker();
    barrier_->waiters_.push_back(&node_);
    state_ = State::kWaiting;
    return Pending;
  }
  if (!node_.linked) {
    state_ = State::kDone;
    coop->made_progress();
    return BarrierWaitResult(false);
  }
  if (!node_.waker.will_wake(cx.waker())) {
    stale = std::exchange(node_.waker, cx.waker());
  }
  return Pending;
}

}  // namespace magpie::sync
