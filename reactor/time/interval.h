// magpie::Interval — ticks at a fixed period; each tick() future completes
// at the next scheduled instant and yields it.
//
//   magpie::Interval every = magpie::interval(std::chrono::milliseconds(10));
//   while (running) {
//     auto at = magpie::block_on(every.tick());   // first tick: at once
//     ...
//   }
//
// Missed ticks: when a tick is awaited more than 5 ms after it was due
// (the consumer was slow), the next one is scheduled by the Interval's
// MissedTickBehavior (the default is kBurst, as in Tokio):
//
//   behavior | next tick after one due at T, seen at now > T + 5 ms
//   ---------+-------------------------------------------------------------
//   kBurst   | T + period: the missed ticks complete back to back until the
//            | schedule has caught up (the count of ticks is kept)
//   kDelay   | now + period: the schedule shifts, ticks stay `period` apart
//   kSkip    | the next multiple of period after now on the original
//            | schedule: missed ticks are dropped, the phase is kept
//
// A tick seen within 5 ms of its instant always schedules T + period.
//
// Periods: any duration; one too long for the clock saturates, and every
// next-tick instant saturates at time_point::max() ("never"), so
// interval(hours::max()) ticks once, at once, and then never again
// (core/saturating_time.h). A period <= 0 throws std::invalid_argument.
//
// Errors: as Sleep (tick() throws reactor::ReactorError with no reactor or
// after shutdown). Ownership and threads: as Sleep — movable until the
// first tick is polled, one poller at a time, any thread.

#ifndef MAGPIE_REACTOR_TIME_INTERVAL_H_
#define MAGPIE_REACTOR_TIME_INTERVAL_H_

#include <chrono>

#include "reactor/time/sleep.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/core/saturating_time.h"

namespace magpie {

enum class MissedTickBehavior { kBurst, kDelay, kSkip };

class Interval {
 public:
  using Clock = Sleep::Clock;

  // The future tick() returns; borrows the Interval.
  class Tick {
   public:
    using Output = Clock::time_point;
    explicit Tick(Interval& interval) : interval_(&interval) {}
    Poll<Clock::time_point> poll(Context& cx) {
      return interval_->poll_tick(cx);
    }

   private:
    Interval* interval_;
  };

  // Ticks at start, start + period, ... Throws std::invalid_argument unless
  // period > 0.
  Interval(Clock::time_point start, Clock::duration period,
           MissedTickBehavior behavior = MissedTickBehavior::kBurst);
  template <class Rep, class Period>
  Interval(Clock::time_point start, std::chrono::duration<Rep, Period> period,
           MissedTickBehavior behavior = MissedTickBehavior::kBurst)
      : Interval(start, checked_period(period), behavior) {}

  Tick tick() { return Tick(*this); }

  // Ready with the instant the tick was scheduled for.
  Poll<Clock::time_point> poll_tick(Context& cx);

  // The next tick one period from now.
  void reset();

  Clock::duration period() const { return period_; }
  MissedTickBehavior missed_tick_behavior() const { return behavior_; }
  void set_missed_tick_behavior(MissedTickBehavior behavior) {
    behavior_ = behavior;
  }

 private:
  // How late a tick may be seen before it counts as missed.
  static constexpr auto kMissedTolerance = std::chrono::milliseconds(5);

  // `period` in the clock's unit, saturating; throws unless it is > 0.
  template <class Rep, class Period>
  static Clock::duration checked_period(
      std::chrono::duration<Rep, Period> period) {
    if (!(period > std::chrono::duration<Rep, Period>::zero())) {
      throw_non_positive_period();
    }
    return core::saturating_ceil<Clock::duration>(period);
  }
  [[noreturn]] static void throw_non_positive_period();

  Clock::time_point next_after_missed(Clock::time_point due,
                                      Clock::time_point now) const;

  Sleep sleep_;
  Clock::duration period_;
  MissedTickBehavior behavior_;
};

// An Interval whose first tick is now.
template <class Rep, class Period>
Interval interval(std::chrono::duration<Rep, Period> period) {
  return Interval(Interval::Clock::now(), period);
}

// An Interval whose first tick is `start` (a time_point of a coarser
// duration saturates, as in sleep_until).
template <class Duration, class Rep, class Period>
Interval interval_at(std::chrono::time_point<Interval::Clock, Duration> start,
                     std::chrono::duration<Rep, Period> period) {
  return Interval(
      core::saturating_time_point_cast<Interval::Clock::duration>(start),
      period);
}

}  // namespace magpie

#endif  // MAGPIE_REACTOR_TIME_INTERVAL_H_
