#include "reactor/time/interval.h"

#include <stdexcept>

#include "reactor/reactor_error.h"

namespace magpie {

Interval::Interval(Clock::time_point start, Clock::duration period,
                   MissedTickBehavior behavior)
    : sleep_(start), period_(checked_period(period)), behavior_(behavior) {}

void Interval::throw_non_positive_period() {
  throw std::invalid_argument("magpie::Interval: period must be > 0");
}

// Every instant below is a user's start or period plus more time: each sum
// saturates at time_point::max() ("never"; core/saturating_time.h).
Interval::Clock::time_point Interval::next_after_missed(
    Clock::time_point due, Clock::time_point now) const {
  switch (behavior_) {
    case MissedTickBehavior::kBurst:
      return core::saturating_add(due, period_);
    case MissedTickBehavior::kDelay:
      return core::saturating_add(now, period_);
    case MissedTickBehavior::kSkip: {
      // How far into the current period `now` is: in [0, period).
      const Clock::duration into = core::saturating_sub(now, due) % period_;
      return core::saturating_add(now, period_ - into);
    }
  }
  return core::saturating_add(due, period_);
}

Poll<Interval::Clock::time_point> Interval::poll_tick(Context& cx) {
  Poll<absl::Status> fired = sleep_.poll_status(cx);
  if (fired.is_pending()) return Pending;
  if (!fired.value().ok()) throw reactor::ReactorError(fired.value());
  const Clock::time_point due = sleep_.deadline();
  const Clock::time_point now = Clock::now();
  const Clock::time_point next =
      now > core::saturating_add(due, kMissedTolerance)
          ? next_after_missed(due, now)
          : core::saturating_add(due, period_);
  sleep_.reset(next);
  return due;
}

void Interval::reset() { sleep_.reset(core::deadline_after(period_)); }

}  // namespace magpie
