#include "runtime/sync/notify.h"

#include <cassert>
#include <utility>

#include "runtime/core/coop.h"

namespace magpie::sync {

Notify::Notified Notify::notified() {
  // ORDERING: acquire pairs with the release store in notify_waiters().
  return Notified(this, waiters_calls_.load(std::memory_order_acquire));
}

void Notify::notify_locked(Notification how, internal::WakeList& wake) {
  Node* node =
      how == Notification::kLast ? waiters_.pop_back() : waiters_.pop_front();
  if (node == nullptr) {
    permit_ = true;
    return;
  }
  node->notification = how;
  wake.push(std::move(node->waker));
}

void Notify::notify_one() {
  internal::WakeList wake;
  core::MutexLock lock(&mu_);
  notify_locked(Notification::kOne, wake);
}

void Notify::notify_last() {
  internal::WakeList wake;
  core::MutexLock lock(&mu_);
  notify_locked(Notification::kLast, wake);
}

void Notify::notify_waiters() {
  internal::WakeList wake;
  core::MutexLock lock(&mu_);
  // ORDERING: release pairs with the acquire load in notified(). Under mu_,
  // so a Notified in Init compares against it consistently under the lock.
  waiters_calls_.store(waiters_calls_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_release);
  while (Node* node = waiters_.pop_front()) {
    node->notification = Notification::kAll;
    wake.push(std::move(node->waker));
  }
}

Notify::Notified::Notified(Notified&& other) noexcept
    : notify_(other.notify_),
      waiters_calls_(other.waiters_calls_),
      state_(other.state_) {
  assert(other.state_ != State::kWaiting && "Notified moved after its poll");
  other.state_ = State::kDone;
}

Notify::Notified::~Notified() {
  if (state_ != State::kWaiting) return;
  internal::WakeList wake;
  Waker stale;
  core::MutexLock lock(&notify_->mu_);
  if (node_.linked) {
    notify_->waiters_.remove(&node_);
  } else if (node_.notification == Notification::kOne ||
             node_.notification == Notification::kLast) {
    // Notify rule 1: a notification chosen for us but never taken passes on.
    notify_->notify_locked(node_.notification, wake);
  }
  stale = std::move(node_.waker);
}

Poll<void> Notify::Notified::poll(Context& cx) {
  assert(state_ != State::kDone && "Notified polled after completion");
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;
  Waker stale;
  core::MutexLock lock(&notify_->mu_);
  if (state_ == State::kInit) {
    // ORDERING: relaxed under mu_, which notify_waiters() holds to write.
    if (notify_->waiters_calls_.load(std::memory_order_relaxed) !=
        waiters_calls_) {
      state_ = State::kDone;
      coop->made_progress();
      return ready();
    }
    if (notify_->permit_) {
      notify_->permit_ = false;
      state_ = State::kDone;
      coop->made_progress();
      return ready();
    }
    node_.waker = cx.waker();
    notify_->waiters_.push_back(&node_);
    state_ = State::kWaiting;
    return Pending;
  }
  // kWaiting (waiter rule 3: check and register in one lock hold).
  if (!node_.linked) {
    state_ = State::kDone;
    coop->made_progress();
    return ready();
  }
  if (!node_.waker.will_wake(cx.waker())) {
    stale = std::exchange(node_.waker, cx.waker());
  }
  return Pending;
}

}  // namespace magpie::sync
