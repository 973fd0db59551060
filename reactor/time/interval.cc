#include "reactor/time/interval.h"

#include <cassert>

#include "reactor/reactor_error.h"

namespace magpie {

Interval::Interval(Clock::time_point start, Clock::duration period,
                   MissedTickBehavior behavior)
    : sleep_(start), period_(period), behavior_(behavior) {
  assert(period > Clock::duration::zero());
}

Interval::Clock::time_point Interval::next_after_missed(
    Clock::time_point due, Clock::time_point now) const {
  switch (behavior_) {
    case MissedTickBehavior::kBurst:
      return due + period_;
    case MissedTickBehavior::kDelay:
      return now + period_;
    case MissedTickBehavior::kSkip:
      return now + period_ - (now - due) % period_;
  }
  return due + period_;
}

Poll<Interval::Clock::time_point> Interval::poll_tick(Context& cx) {
  Poll<absl::Status> fired = sleep_.poll_status(cx);
  if (fired.is_pending()) return Pending;
  if (!fired.value().ok()) throw reactor::ReactorError(fired.value());
  const Clock::time_point due = sleep_.deadline();
  const Clock::time_point now = Clock::now();
  const Clock::time_point next = now > due + kMissedTolerance
                                     ? next_after_missed(due, now)
                                     : due + period_;
  sleep_.reset(next);
  return due;
}

void Interval::reset() { sleep_.reset(Clock::now() + period_); }

Interval interval(Interval::Clock::duration period) {
  return Interval(Interval::Clock::now(), period);
}

Interval interval_at(Interval::Clock::time_point start,
                     Interval::Clock::duration period) {
  return Interval(start, period);
}

}  // namespace magpie
