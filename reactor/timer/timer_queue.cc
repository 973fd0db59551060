#include "reactor/timer/timer_queue.h"

#include <algorithm>
#include <array>
#include <utility>

#include "runtime/core/saturating_time.h"

namespace magpie::reactor::timer {
// Deadlines are users' values (time_point::max() for "never", min() for
// "long ago"): the differences and sums below saturate
// (core/saturating_time.h) instead of overflowing.
std::uint64_t TimerQueue::deadline_tick(Clock::time_point deadline) const {
  if (deadline <= origin_) return 0;
  // Positive here; saturated at nanoseconds::max() ("never").
  const auto ns = static_cast<std::uint64_t>(
      core::saturating_sub(deadline, origin_).count());
  // Rounded up without adding first (ns may be near 2^63).
  const std::uint64_t ticks =
      (ns >> kTickShift) +
      ((ns & ((std::uint64_t{1} << kTickShift) - 1)) != 0 ? 1 : 0);
  return std::min(ticks, kTickLimit);
}

std::uint64_t TimerQueue::now_tick(Clock::time_point now) const {
  if (now <= origin_) return 0;
  return static_cast<std::uint64_t>(
             core::saturating_sub(now, origin_).count()) >>
         kTickShift;
}

TimerQueue::InsertResult TimerQueue::insert(TimerEntry* entry,
                                            Clock::time_point deadline) {
  const std::uint64_t when = deadline_tick(deadline);
  core::MutexLock lock(&mutex_);
  if (shutdown_) return InsertResult::kShutdown;
  if (wheel_.insert(entry, when) == Wheel::InsertResult::kElapsed) {
    return InsertResult::kElapsed;
  }
  if (when < sleeping_until_) {
    // The reactor sleeps past this deadline: it must be woken. Record the
    // earlier tick so the inserts right behind this one need not.
    sleeping_until_ = when;
    return InsertResult::kInsertedWakeReactor;
  }
  return InsertResult::kInserted;
}

void TimerQueue::remove(TimerEntry* entry) {
  core::MutexLock lock(&mutex_);
  if (entry->linked_) wheel_.remove(entry);
}

std::size_t TimerQueue::size() const {
  core::MutexLock lock(&mutex_);
  return wheel_.size();
}

std::optional<std::chrono::nanoseconds> TimerQueue::park_timeout(
    Clock::time_point now) {
  core::MutexLock lock(&mutex_);
  const std::optional<std::uint64_t> next = wheel_.next_expiration();
  if (!next.has_value()) {
    sleeping_until_ = kNever;
    return std::nullopt;
  }
  sleeping_until_ = *next;
  // *next <= kTickLimit: fits int64 nanoseconds, though origin_ plus it can
  // pass the clock's range (saturating_add says "never" then).
  const Clock::time_point wake_at = core::saturating_add(
      origin_, std::chrono::nanoseconds(static_cast<std::int64_t>(
                   std::min<std::uint64_t>(*next, kTickLimit) << kTickShift)));
  if (core::is_never(wake_at)) return std::nullopt;  // sleep without limit
  if (wake_at <= now) return std::chrono::nanoseconds(0);
  return wake_at - now;
}

std::size_t TimerQueue::process(Clock::time_point now, Precision precision) {
  std::uint64_t tick = now_tick(now);
  // Rounded down: later, never earlier ("Busy turns").
  if (precision == Precision::kBatched) tick &= ~(kBatchTicks - 1);
  std::size_t fired = 0;
  std::array<Waker, kWakeBatch> batch;
  while (true) {
    std::size_t count = 0;
    bool drained = false;
    {
      core::MutexLock lock(&mutex_);
      sleeping_until_ = 0;  // Awake: park_timeout() runs before sleeping.
      while (count < kWakeBatch) {
        TimerEntry* entry = wheel_.poll(tick);
        if (entry == nullptr) {
          drained = true;
          break;
        }
        batch[count++] = entry->fire(TimerState::kFired);
      }
    }
    // Rule 3: wake with no lock held.
    for (std::size_t i = 0; i < count; ++i) std::move(batch[i]).wake();
    fired += count;
    if (drained) return fired;
  }
}

void TimerQueue::shutdown() {
  std::array<Waker, kWakeBatch> batch;
  while (true) {
    std::size_t count = 0;
    bool drained = false;
    {
      core::MutexLock lock(&mutex_);
      shutdown_ = true;
      while (count < kWakeBatch) {
        TimerEntry* entry = wheel_.pop_any();
        if (entry == nullptr) {
          drained = true;
          break;
        }
        batch[count++] = entry->fire(TimerState::kShutdown);
      }
    }
    for (std::size_t i = 0; i < count; ++i) std::move(batch[i]).wake();
    if (drained) return;
  }
}

}  // namespace magpie::reactor::timer
