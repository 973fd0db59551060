// Helpers for the runtime/sync tests: a waker that counts its wakes, and
// polling a future by hand with it.

#ifndef MAGPIE_TESTS_SYNC_TEST_SUPPORT_H_
#define MAGPIE_TESTS_SYNC_TEST_SUPPORT_H_

#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/waker.h"

namespace magpie::sync_test {

struct Counter {
  core::Atomic<int> wakes{0};
  void wake_by_ref() { wakes.fetch_add(1, std::memory_order_relaxed); }
};

// A waker and its count: `CountingWaker w; fut.poll(w.cx());`
class CountingWaker {
 public:
  CountingWaker()
      : counter_(make_arc<Counter>()), waker_(waker_from(counter_)) {}
  Context& cx() { return cx_; }
  int wakes() const { return counter_->wakes.load(std::memory_order_relaxed); }

 private:
  Arc<Counter> counter_;
  Waker waker_;
  Context cx_{waker_};
};

}  // namespace magpie::sync_test

#endif  // MAGPIE_TESTS_SYNC_TEST_SUPPORT_H_
