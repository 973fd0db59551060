#include "reactor/time/sleep.h"

#include <cassert>

#include "reactor/reactor_error.h"
#include "runtime/core/coop.h"

namespace magpie {

using reactor::timer::TimerQueue;
using reactor::timer::TimerState;

Sleep::Sleep(Clock::time_point deadline) : deadline_(deadline) {
  absl::StatusOr<reactor::Handle> handle = reactor::Handle::current();
  if (handle.ok()) handle_ = *std::move(handle);
}

Sleep::Sleep(Sleep&& other) noexcept
    : deadline_(other.deadline_),
      handle_(std::move(other.handle_)),
      done_(other.done_) {
  assert(!other.linked_ && "a Sleep must not be moved once polled");
}

Sleep::~Sleep() {
  // Unlinked under the timer lock: afterwards the reactor never touches
  // entry_ again, and its waker is dropped by ~TimerEntry with no lock held.
  if (linked_) handle_.driver().timers().remove(&entry_);
}

bool Sleep::is_elapsed() const {
  return done_ || entry_.state() == TimerState::kFired ||
         Clock::now() >= deadline_;
}

void Sleep::reset(Clock::time_point deadline) {
  if (linked_) {
    handle_.driver().timers().remove(&entry_);
    linked_ = false;
  }
  entry_.reset_state();
  deadline_ = deadline;
  done_ = false;
}

Poll<absl::Status> Sleep::poll_status(Context& cx) {
  if (done_) return absl::OkStatus();
  // Coop budget (runtime/core/coop.h), like every runtime leaf future: a
  // Pending answer gives the unit back (coop rule 1).
  auto coop = coop::poll_proceed(cx);
  if (!coop) return Pending;
  Poll<absl::Status> result = poll_timer(cx);
  if (result.is_ready()) coop->made_progress();
  return result;
}

Poll<absl::Status> Sleep::poll_timer(Context& cx) {
  if (!linked_) {
    if (Clock::now() >= deadline_) {
      done_ = true;
      return absl::OkStatus();
    }
    if (!handle_) {
      absl::StatusOr<reactor::Handle> handle = reactor::Handle::current();
      if (!handle.ok()) return handle.status();
      handle_ = *std::move(handle);
    }
    // Register first, then link: the reactor may fire the moment it is
    // linked, and must find this poll's waker.
    entry_.register_waker(cx.waker());
    switch (handle_.driver().timers().insert(&entry_, deadline_)) {
      case TimerQueue::InsertResult::kInserted:
        break;
      case TimerQueue::InsertResult::kInsertedWakeReactor:
        handle_.driver().unpark();
        break;
      case TimerQueue::InsertResult::kElapsed:
        done_ = true;
        return absl::OkStatus();
      case TimerQueue::InsertResult::kShutdown:
        return reactor::reactor_shutdown_status();
    }
    linked_ = true;
  } else {
    if (entry_.state() == TimerState::kIdle) {
      entry_.register_waker(cx.waker());
    }
  }
  // Re-check after registering (rule 5; entry.h "Memory ordering").
  switch (entry_.state()) {
    case TimerState::kIdle:
      return Pending;
    case TimerState::kFired:
      done_ = true;
      return absl::OkStatus();
    case TimerState::kShutdown:
      return reactor::reactor_shutdown_status();
  }
  return Pending;
}

Poll<void> Sleep::poll(Context& cx) {
  Poll<absl::Status> status = poll_status(cx);
  if (status.is_pending()) return Pending;
  if (!status.value().ok()) throw reactor::ReactorError(status.value());
  return ready();
}

}  // namespace magpie
