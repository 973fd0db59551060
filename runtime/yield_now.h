// magpie::yield_now() — a future that answers Pending once (waking its task
// right away) and Ready the next time, so the task goes to the back of its
// worker's queue and lets other work run.
//
//   co_await magpie::yield_now();
//
// Threads: like any future, one poller at a time.

#ifndef MAGPIE_RUNTIME_YIELD_NOW_H_
#define MAGPIE_RUNTIME_YIELD_NOW_H_

#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie {

class YieldNow {
 public:
  using Output = void;
  Poll<void> poll(Context& cx) {
    if (yielded_) return ready();
    yielded_ = true;
    cx.waker().wake_by_ref();
    return Pending;
  }

 private:
  bool yielded_ = false;
};

inline YieldNow yield_now() { return YieldNow(); }

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_YIELD_NOW_H_
