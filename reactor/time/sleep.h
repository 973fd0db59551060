// magpie::Sleep — a future that completes once a deadline has passed;
// magpie::sleep(duration) and magpie::sleep_until(deadline) make one.
//
//   magpie::block_on(magpie::sleep(std::chrono::milliseconds(20)));
//
// Guarantees:
//  - Never early: it completes only once steady_clock::now() >= deadline.
//    It may be late by up to one wheel tick (16.4 us, timer/timer_queue.h
//    "Ticks") plus the OS's wake-up and scheduling delay.
//  - No allocation: the timer entry lives inside the Sleep; the first
//    Pending poll links it into the reactor's wheel (O(1)), dropping the
//    Sleep unlinks it (O(1)), so a dropped Sleep leaves nothing behind.
//  - Polled from any thread, a different waker on each poll: the latest
//    waker is the one woken (reactor.h rule 5).
//
// Output: void. A Sleep that cannot wait — no reactor is current when it is
// first polled (FailedPrecondition), or the reactor shut down while it
// waited (Cancelled) — throws reactor::ReactorError from poll(). Combinators
// that prefer a status call poll_status() instead.
//
// Ownership and threads: a plain future (future.h). It finds its reactor
// through the current handle when created or, failing that, when first
// polled. Movable until its first poll, never after (the wheel points into
// it). One thread polls it at a time.

#ifndef MAGPIE_REACTOR_TIME_SLEEP_H_
#define MAGPIE_REACTOR_TIME_SLEEP_H_

#include <chrono>

#include "absl/status/status.h"
#include "reactor/handle.h"
#include "reactor/timer/entry.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/core/saturating_time.h"

namespace magpie {

class Sleep {
 public:
  using Output = void;
  using Clock = std::chrono::steady_clock;

  explicit Sleep(Clock::time_point deadline);
  // Only before the first poll (asserted).
  Sleep(Sleep&& other) noexcept;
  Sleep& operator=(Sleep&&) = delete;
  Sleep(const Sleep&) = delete;
  Sleep& operator=(const Sleep&) = delete;
  ~Sleep();

  // Ready once the deadline has passed; throws reactor::ReactorError when the
  // sleep cannot wait (see above).
  Poll<void> poll(Context& cx);

  // As poll(), but reports the failure as a status: Ready(OkStatus()) when
  // the deadline passed.
  Poll<absl::Status> poll_status(Context& cx);

  Clock::time_point deadline() const { return deadline_; }

  // True once it fired (or its deadline has passed).
  bool is_elapsed() const;

  // Re-arms with a new deadline (unlinking the entry if it was linked); the
  // next poll registers again. May be called between polls, any number of
  // times.
  void reset(Clock::time_point deadline);

 private:
  // poll_status() without the coop budget.
  Poll<absl::Status> poll_timer(Context& cx);

  // 72 bytes (a spawned Sleep is most of its task; bench/task_memory.cc):
  // deadline 8, handle 8 (empty until a reactor is found), entry 56, whose
  // tail padding holds the two flags ([[no_unique_address]]; entry.h puts
  // its one-byte fields last for this).
  Clock::time_point deadline_;
  reactor::Handle handle_;
  [[no_unique_address]] reactor::timer::TimerEntry entry_;
  bool linked_ : 1 = false;  // The entry was inserted and not yet removed.
  bool done_ : 1 = false;    // Completed (deadline passed or fired).
};

static_assert(sizeof(Sleep) == 72, "deadline 8, handle 8, entry 56 + flags");

// A deadline `duration` from now: any duration (integral or floating),
// saturating at time_point::max() ("never"); zero, negative or NaN is now.
// The one helper for this is core::deadline_after (runtime/core/
// saturating_time.h, which lists the rules).
using core::deadline_after;

// A future that completes `duration` from now; sleep(hours::max()) never
// completes.
template <class Rep, class Period>
Sleep sleep(std::chrono::duration<Rep, Period> duration) {
  return Sleep(deadline_after(duration));
}

// A future that completes at `deadline` (at once if it has passed). A
// time_point of a coarser duration saturates instead of overflowing when
// converted to the clock's nanoseconds.
template <class Duration>
Sleep sleep_until(std::chrono::time_point<Sleep::Clock, Duration> deadline) {
  return Sleep(
      core::saturating_time_point_cast<Sleep::Clock::duration>(deadline));
}

}  // namespace magpie

#endif  // MAGPIE_REACTOR_TIME_SLEEP_H_
