// magpie::testing::Gate / WakeCounter — test tools for combinators.
//
// Gate: a leaf future that answers `value` once its Event (event_future.h)
// is set, counting its polls in *polls and (if given) its destruction in a
// DropCounter. It keeps the Future contract (registers this poll's waker,
// then re-checks), so a combinator's child wakers are what it stores.
//
// WakeCounter: a waker target that counts wakes; `waker_from(counter)`
// gives the Waker.
//
// Threads: Event::set() from any thread; a Gate is polled by one thread at
// a time. Counters are relaxed atomics: read them after joining.

#ifndef MAGPIE_RUNTIME_TESTING_GATE_H_
#define MAGPIE_RUNTIME_TESTING_GATE_H_

#include <optional>
#include <utility>

#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/event_future.h"

namespace magpie::testing {

struct WakeCounter {
  core::Atomic<int> wakes{0};
  void wake_by_ref() { wakes.fetch_add(1, std::memory_order_relaxed); }
  int count() const { return wakes.load(std::memory_order_relaxed); }
};

class Gate {
 public:
  using Output = int;

  Gate(Arc<Event> event, int value, core::Atomic<int>* polls = nullptr,
       core::Atomic<int>* drops = nullptr)
      : event_(std::move(event)), value_(value), polls_(polls) {
    if (drops != nullptr) drop_.emplace(drops);
  }

  Poll<int> poll(Context& cx) {
    if (polls_ != nullptr) polls_->fetch_add(1, std::memory_order_relaxed);
    // ORDERING: acquire pairs with Event::set's release store.
    if (event_->fired.load(std::memory_order_acquire)) return value_;
    event_->waker.register_waker(cx.waker());
    if (event_->fired.load(std::memory_order_acquire)) return value_;
    return Pending;
  }

 private:
  Arc<Event> event_;
  int value_;
  core::Atomic<int>* polls_;
  std::optional<DropCounter> drop_;
};

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_GATE_H_
