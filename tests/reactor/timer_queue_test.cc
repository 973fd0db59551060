// Tests for timer::TimerQueue with injected clock values (no sleeping, no
// timed assertions): deadlines map to 16.4 us ticks, never early and at
// most one tick late; park_timeout() answers the exact nanoseconds to the
// earliest due tick; an insert earlier than the recorded sleep asks for a
// reactor wake-up at the finer granularity; absurd deadlines saturate.

#include "reactor/timer/timer_queue.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/timer/entry.h"
#include "runtime/core/waker.h"

namespace magpie::reactor::timer {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using Clock = TimerQueue::Clock;
using InsertResult = TimerQueue::InsertResult;

constexpr nanoseconds kTick = TimerQueue::kTick;

// A fixed origin well inside the clock's range (not now(): nothing here
// depends on the real time).
const Clock::time_point kOrigin = Clock::time_point(hours(1));

bool linked(InsertResult result) {
  return result == InsertResult::kInserted ||
         result == InsertResult::kInsertedWakeReactor;
}

TEST(TimerQueueTest, TickIsSubMillisecond) {
  EXPECT_EQ(kTick, nanoseconds(16'384));
  EXPECT_LT(kTick, microseconds(20));
}

TEST(TimerQueueTest, SubMillisecondDeadlineFiresWithinOneTickNeverEarly) {
  TimerQueue queue(kOrigin);
  TimerEntry entry;
  entry.register_waker(noop_waker());
  const Clock::time_point deadline =
      kOrigin + microseconds(100) + nanoseconds(7);
  ASSERT_TRUE(linked(queue.insert(&entry, deadline)));
  // Not a nanosecond early.
  EXPECT_EQ(queue.process(deadline - nanoseconds(1)), 0u);
  EXPECT_EQ(entry.state(), TimerState::kIdle);
  // The reactor is told to sleep to the tick at or after the deadline:
  // never before it, less than one tick after it.
  const std::optional<nanoseconds> park = queue.park_timeout(kOrigin);
  ASSERT_TRUE(park.has_value());
  EXPECT_GE(kOrigin + *park, deadline);
  EXPECT_LT(kOrigin + *park, deadline + kTick);
  // Waking there fires it.
  EXPECT_EQ(queue.process(kOrigin + *park), 1u);
  EXPECT_EQ(entry.state(), TimerState::kFired);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueueTest, DeadlineOnATickFiresExactlyThere) {
  TimerQueue queue(kOrigin);
  TimerEntry entry;
  entry.register_waker(noop_waker());
  const Clock::time_point deadline = kOrigin + 40 * kTick;
  ASSERT_TRUE(linked(queue.insert(&entry, deadline)));
  EXPECT_EQ(queue.park_timeout(kOrigin), 40 * kTick);
  EXPECT_EQ(queue.process(deadline - nanoseconds(1)), 0u);
  EXPECT_EQ(queue.process(deadline), 1u);
}

// Deadlines a few microseconds apart inside one millisecond fire in their
// own ticks: each park_timeout() names the next one, none fires early, and
// none waits for the end of the millisecond.
TEST(TimerQueueTest, RandomSubMillisecondDeadlinesFireInOrderWithinATick) {
  TimerQueue queue(kOrigin);
  constexpr int kEntries = 200;
  std::vector<TimerEntry> entries(kEntries);
  std::vector<Clock::time_point> deadlines;
  std::mt19937_64 rng(12345);
  for (TimerEntry& entry : entries) {
    entry.register_waker(noop_waker());
    const Clock::time_point deadline =
        kOrigin + nanoseconds(1 + rng() % 5'000'000);  // up to 5 ms
    deadlines.push_back(deadline);
    ASSERT_TRUE(linked(queue.insert(&entry, deadline)));
  }
  Clock::time_point now = kOrigin;
  std::size_t fired = 0;
  while (fired < entries.size()) {
    const std::optional<nanoseconds> park = queue.park_timeout(now);
    ASSERT_TRUE(park.has_value());
    now += *park;
    fired += queue.process(now);
    for (int i = 0; i < kEntries; ++i) {
      const bool due = deadlines[i] <= now;
      const bool is_fired = entries[i].state() == TimerState::kFired;
      // Never early; and once time has passed a deadline's tick, fired.
      ASSERT_TRUE(!is_fired || due) << i;
      if (deadlines[i] + kTick <= now) ASSERT_TRUE(is_fired) << i;
    }
  }
  EXPECT_EQ(queue.size(), 0u);
}

// reactor.h rule 4 at tick granularity: once the reactor recorded the tick
// it sleeps until, an insert due before it asks for a wake-up, even when it
// is only a few microseconds earlier; a later one (or one in the same
// tick) does not.
TEST(TimerQueueTest, InsertEarlierThanTheSleepAsksForAWakeUp) {
  TimerQueue queue(kOrigin);
  TimerEntry far, later, earlier, same_tick;
  ASSERT_TRUE(linked(queue.insert(&far, kOrigin + milliseconds(1))));
  ASSERT_TRUE(queue.park_timeout(kOrigin).has_value());
  // 50 us earlier than the sleep's end: inside the same millisecond.
  EXPECT_EQ(
      queue.insert(&earlier, kOrigin + milliseconds(1) - microseconds(50)),
      InsertResult::kInsertedWakeReactor);
  // The reactor is being woken for `earlier`'s tick: later ones need not.
  EXPECT_EQ(queue.insert(&later, kOrigin + milliseconds(1) - microseconds(20)),
            InsertResult::kInserted);
  EXPECT_EQ(queue.insert(&same_tick, kOrigin + milliseconds(1) -
                                         microseconds(50) + nanoseconds(1)),
            InsertResult::kInserted);
  queue.remove(&far);
  queue.remove(&later);
  queue.remove(&earlier);
  queue.remove(&same_tick);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueueTest, AwakeReactorIsNotWokenAgain) {
  TimerQueue queue(kOrigin);
  TimerEntry entry;
  EXPECT_EQ(queue.process(kOrigin), 0u);  // awake: "sleeping until" is 0
  EXPECT_EQ(queue.insert(&entry, kOrigin + microseconds(30)),
            InsertResult::kInserted);
  queue.remove(&entry);
}

// Absurd deadlines: every value saturates, nothing overflows (UBSan-clean),
// nothing fires early, the far ones never fire within any reasonable time.
TEST(TimerQueueTest, AbsurdDeadlinesSaturate) {
  TimerQueue queue(kOrigin);
  TimerEntry long_ago, before_origin, never, huge, almost_never;
  EXPECT_EQ(queue.insert(&long_ago, Clock::time_point::min()),
            InsertResult::kElapsed);
  EXPECT_EQ(queue.insert(&before_origin, kOrigin - nanoseconds(1)),
            InsertResult::kElapsed);
  EXPECT_EQ(queue.insert(&before_origin, kOrigin), InsertResult::kElapsed);
  for (TimerEntry* entry : {&never, &huge, &almost_never}) {
    entry->register_waker(noop_waker());
  }
  ASSERT_TRUE(linked(queue.insert(&never, Clock::time_point::max())));
  // Past the 2^48-tick limit, but not "never".
  ASSERT_TRUE(linked(queue.insert(&huge, kOrigin + hours(24 * 365 * 200))));
  ASSERT_TRUE(linked(
      queue.insert(&almost_never, Clock::time_point::max() - nanoseconds(1))));
  // The reactor's wait is finite and positive (at most the wheel's span),
  // or unlimited; never negative.
  const std::optional<nanoseconds> park = queue.park_timeout(kOrigin);
  if (park.has_value()) EXPECT_GT(*park, nanoseconds(0));
  EXPECT_EQ(queue.process(kOrigin + hours(24 * 365 * 3)), 0u);
  const std::optional<nanoseconds> later =
      queue.park_timeout(kOrigin + hours(24 * 365 * 3));
  if (later.has_value()) EXPECT_GT(*later, nanoseconds(0));
  EXPECT_EQ(queue.size(), 3u);
  // The clock's very end fires them all (none is early: each deadline is at
  // or before time_point::max()).
  EXPECT_EQ(queue.process(Clock::time_point::max()), 3u);
  EXPECT_EQ(never.state(), TimerState::kFired);
  EXPECT_EQ(huge.state(), TimerState::kFired);
  EXPECT_EQ(queue.size(), 0u);
}

// A busy worker's non-blocking poll (Precision::kBatched) reads now rounded
// down to kBatchTicks: it never fires early and may fire late by up to a
// batch; an exact turn at the same now fires the entry at its tick.
TEST(TimerQueueTest, BatchedTurnsRoundNowDownNeverEarly) {
  using Precision = TimerQueue::Precision;
  constexpr std::uint64_t kBatch = TimerQueue::kBatchTicks;
  TimerQueue queue(kOrigin);
  TimerEntry mid, edge;
  mid.register_waker(noop_waker());
  edge.register_waker(noop_waker());
  // Inside the second batch, and exactly on the third's first tick.
  const Clock::time_point mid_deadline = kOrigin + (kBatch + 5) * kTick;
  const Clock::time_point edge_deadline = kOrigin + 2 * kBatch * kTick;
  ASSERT_TRUE(linked(queue.insert(&mid, mid_deadline)));
  ASSERT_TRUE(linked(queue.insert(&edge, edge_deadline)));
  // Past mid's deadline but in the same batch: a batched turn waits.
  EXPECT_EQ(queue.process(mid_deadline + kTick, Precision::kBatched), 0u);
  EXPECT_EQ(mid.state(), TimerState::kIdle);
  // One nanosecond before the next batch: still nothing (and edge, due
  // there, is not early).
  EXPECT_EQ(queue.process(edge_deadline - nanoseconds(1), Precision::kBatched),
            0u);
  // At the batch boundary both are due.
  EXPECT_EQ(queue.process(edge_deadline, Precision::kBatched), 2u);
  EXPECT_EQ(mid.state(), TimerState::kFired);
  EXPECT_EQ(edge.state(), TimerState::kFired);

  // An exact turn fires at the tick, mid-batch.
  TimerEntry exact;
  exact.register_waker(noop_waker());
  const Clock::time_point exact_deadline = edge_deadline + 7 * kTick;
  ASSERT_TRUE(linked(queue.insert(&exact, exact_deadline)));
  EXPECT_EQ(queue.process(exact_deadline, Precision::kBatched), 0u);
  EXPECT_EQ(queue.process(exact_deadline - nanoseconds(1)), 0u);
  EXPECT_EQ(queue.process(exact_deadline), 1u);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueueTest, NowBeforeOriginFiresNothing) {
  TimerQueue queue(kOrigin);
  TimerEntry entry;
  ASSERT_TRUE(linked(queue.insert(&entry, kOrigin + nanoseconds(1))));
  EXPECT_EQ(queue.process(Clock::time_point::min()), 0u);
  EXPECT_EQ(queue.process(kOrigin), 0u);
  const std::optional<nanoseconds> park = queue.park_timeout(kOrigin);
  ASSERT_TRUE(park.has_value());
  EXPECT_EQ(*park, kTick);
  queue.remove(&entry);
}

}  // namespace
}  // namespace magpie::reactor::timer
