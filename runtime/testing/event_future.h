// magpie::testing::Event / EventFuture — a one-shot event set from any
// thread, and a movable leaf future that waits for it while keeping the
// Future contract (register the waker of this poll, then re-check). Used by
// the lost-wakeup scenarios: because EventFuture holds its event through an
// Arc, it can be moved to another thread or task between polls.
//
// Threads: Event::set() from any thread; an EventFuture is polled by one
// thread at a time, possibly a different one each poll.

#ifndef MAGPIE_RUNTIME_TESTING_EVENT_FUTURE_H_
#define MAGPIE_RUNTIME_TESTING_EVENT_FUTURE_H_

#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie::testing {

struct Event {
  core::Atomic<bool> fired{false};
  AtomicWaker waker;

  void set() {
    // ORDERING: release pairs with the acquire loads in EventFuture::poll.
    fired.store(true, std::memory_order_release);
    waker.wake();
  }
};

// Output: how many polls it took (>= 1).
struct EventFuture {
  using Output = int;

  Arc<Event> event;
  int polls = 0;

  Poll<int> poll(Context& cx) {
    ++polls;
    if (event->fired.load(std::memory_order_acquire)) return polls;
    event->waker.register_waker(cx.waker());
    if (event->fired.load(std::memory_order_acquire)) return polls;
    return Pending;
  }
};

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_EVENT_FUTURE_H_
