// magpie::reactor::timer::TimerEntry — one timer as the wheel sees it: an
// intrusive list node plus the state and waker its Sleep polls.
//
// Owner: embedded in a Sleep (no allocation per timer). A Sleep is not moved
// after its first poll (future.h rule 3), which is when the entry is linked,
// so the wheel may keep pointers to it; the Sleep unlinks it (O(1), under
// the TimerQueue lock) before it is destroyed or re-armed.
//
// Fields and who may touch them:
//   prev_, next_, when_, level_, linked_
//       only under TimerQueue::mutex_ (the Wheel's links and the tick the
//       entry is due at)
//   state_
//       written under TimerQueue::mutex_ by the reactor (FIRED, SHUTDOWN),
//       reset by the owning Sleep only while unlinked; read by the Sleep
//       without the lock
//   waker_
//       registered by the polling thread, taken by the reactor when firing
//       (AtomicWaker's protocol)
//
// State (state_); "-" means the event cannot happen in that state:
//
//   state     | inserted | reactor fires | reactor shuts down | re-armed
//   ----------+----------+---------------+--------------------+----------
//   IDLE      | IDLE     | -> FIRED      | -> SHUTDOWN        | IDLE
//   FIRED     | -        | -             | -                  | -> IDLE
//   SHUTDOWN  | refused  | -             | -                  | -> IDLE
//
// (Only a linked entry fires or is shut down; firing unlinks it. Re-arming
// means the owning Sleep unlinked it and calls reset_state().)
//
// Memory ordering: the reactor stores FIRED / SHUTDOWN with release before
// it takes the waker; the Sleep registers its waker, then loads state_ with
// acquire. Either the take finds the new waker, or the registration saw the
// take's release (AtomicWaker) and so the load sees FIRED: never both miss.

#ifndef MAGPIE_REACTOR_TIMER_ENTRY_H_
#define MAGPIE_REACTOR_TIMER_ENTRY_H_

#include <cstdint>

#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/waker.h"

namespace magpie::reactor::timer {

class Wheel;
class TimerQueue;

enum class TimerState : std::uint32_t { kIdle = 0, kFired = 1, kShutdown = 2 };

class TimerEntry {
 public:
  TimerEntry() = default;
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;

  // The polling side: store the waker of this poll (then re-read state()).
  void register_waker(const Waker& waker) { waker_.register_waker(waker); }

  TimerState state() const {
    // ORDERING: acquire pairs with the release store in fire().
    return static_cast<TimerState>(state_.load(std::memory_order_acquire));
  }

  // The owner re-arms an entry it has unlinked (TimerQueue::remove()).
  void reset_state() {
    // ORDERING: relaxed: the entry is unlinked, so only the owner sees it;
    // the next insert publishes it under the TimerQueue lock.
    state_.store(static_cast<std::uint32_t>(TimerState::kIdle),
                 std::memory_order_relaxed);
  }

 private:
  friend class Wheel;
  friend class TimerQueue;

  // Reactor side, under the TimerQueue lock: marks the entry and hands back
  // its waker, to be woken once the lock is released.
  Waker fire(TimerState state) {
    // ORDERING: release pairs with the acquire in state(); see above.
    state_.store(static_cast<std::uint32_t>(state), std::memory_order_release);
    return waker_.take();
  }

  // Layout: the one-byte fields come last, so an owner that declares the
  // entry [[no_unique_address]] may put its own small fields in the tail
  // padding (Sleep does: 72 bytes, not 80).
  TimerEntry* prev_ = nullptr;
  TimerEntry* next_ = nullptr;
  std::uint64_t when_ = 0;  // Tick (TimerQueue::kTick steps) it is due.
  AtomicWaker waker_;
  core::Atomic<std::uint32_t> state_{
      static_cast<std::uint32_t>(TimerState::kIdle)};
  // The wheel level it is linked at; its slot there follows from when_
  // (wheel.h).
  std::uint8_t level_ = 0;
  bool linked_ = false;
};

static_assert(sizeof(TimerEntry) == 56,
              "links 16, when 8, waker 24, state 4, level/linked 2 + 2");

}  // namespace magpie::reactor::timer

#endif  // MAGPIE_REACTOR_TIMER_ENTRY_H_
