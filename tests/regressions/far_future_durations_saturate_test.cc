// Regression (issue 7, item 3): time arithmetic on a user's duration
// overflowed. sleep(hours::max()) and sleep(seconds::max()) completed at
// once (UBSan: signed overflow in deadline_after, which converted the
// duration to nanoseconds before comparing), and timeout(seconds::max(), f)
// reported DeadlineExceeded on its first poll. Every duration a user passes
// now saturates at "never" through one helper (runtime/core/
// saturating_time.h): sleeps, timeouts, Interval periods and missed ticks,
// the timer wheel's deadline-to-tick conversion, Parker::park_for, the
// blocking pool's keep-alive, Runtime::shutdown_timeout and the Watchdog.
// Under --config=asan (which includes UBSan) these also prove there is no
// overflow on the way.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/reactor.h"
#include "reactor/time/interval.h"
#include "reactor/time/sleep.h"
#include "reactor/time/timeout.h"
#include "reactor/timer/entry.h"
#include "reactor/timer/timer_queue.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/park/parker.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "tests/reactor/test_support.h"

namespace magpie {
namespace {

using std::chrono::duration;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using testing::Watchdog;

// Long enough for a wrongly-due timer to fire on a live reactor (it fires
// within a millisecond or so); not a speed bound.
constexpr milliseconds kSettle{50};

struct NeverReady {
  using Output = void;
  Poll<void> poll(Context&) { return Pending; }
};

// A started reactor, entered on the test thread (tests/reactor/test_support.h).
class FarFutureTest : public magpie::testing::ReactorTest {
 protected:
  template <class F>
  static bool PollIsPending(F& future) {
    Waker waker = noop_waker();
    Context cx(waker);
    return future.poll(cx).is_pending();
  }

  // Pending now, and still Pending after the reactor had time to fire it.
  template <class F>
  static void ExpectStaysPending(F& future, const char* what) {
    EXPECT_TRUE(PollIsPending(future)) << what << ": first poll";
    std::this_thread::sleep_for(kSettle);
    EXPECT_TRUE(PollIsPending(future)) << what << ": after a wait";
  }
};

TEST_F(FarFutureTest, SleepOfMaxDurationsNeverCompletes) {
  Sleep by_hours = sleep(hours::max());
  Sleep by_seconds = sleep(seconds::max());
  Sleep by_millis = sleep(milliseconds::max());
  Sleep by_nanos = sleep(std::chrono::nanoseconds::max());
  Sleep by_double = sleep(duration<double>(1e300));
  for (Sleep* s : {&by_hours, &by_seconds, &by_millis, &by_nanos, &by_double}) {
    EXPECT_EQ(s->deadline(), Clock::time_point::max());
  }
  ExpectStaysPending(by_hours, "sleep(hours::max())");
  ExpectStaysPending(by_seconds, "sleep(seconds::max())");
  ExpectStaysPending(by_millis, "sleep(milliseconds::max())");
  ExpectStaysPending(by_nanos, "sleep(nanoseconds::max())");
  ExpectStaysPending(by_double, "sleep(duration<double>(1e300))");
}

TEST_F(FarFutureTest, SleepUntilTheEndOfACoarseClockNeverCompletes) {
  using SecondsPoint = std::chrono::time_point<Clock, seconds>;
  Sleep end = sleep_until(SecondsPoint::max());
  EXPECT_EQ(end.deadline(), Clock::time_point::max());
  ExpectStaysPending(end, "sleep_until(time_point<seconds>::max())");
  Sleep never = sleep_until(Clock::time_point::max());
  ExpectStaysPending(never, "sleep_until(time_point::max())");
}

TEST_F(FarFutureTest, SleepIntoThePastCompletesAtOnce) {
  Sleep long_ago = sleep_until(Clock::time_point::min());
  EXPECT_FALSE(PollIsPending(long_ago));
  Sleep negative = sleep(hours::min());
  EXPECT_FALSE(PollIsPending(negative));
  Sleep minus_one = sleep(seconds(-1));
  EXPECT_FALSE(PollIsPending(minus_one));
}

TEST_F(FarFutureTest, TimeoutOfMaxDurationIsPendingOnItsFirstPoll) {
  auto by_seconds = timeout(seconds::max(), NeverReady{});
  ExpectStaysPending(by_seconds, "timeout(seconds::max(), pending)");
  auto by_hours = timeout(hours::max(), NeverReady{});
  ExpectStaysPending(by_hours, "timeout(hours::max(), pending)");
  auto by_double = timeout(duration<double>(1e300), NeverReady{});
  ExpectStaysPending(by_double, "timeout(1e300 s, pending)");
}

TEST_F(FarFutureTest, IntervalOfMaxPeriodTicksOnceThenNever) {
  for (MissedTickBehavior behavior :
       {MissedTickBehavior::kBurst, MissedTickBehavior::kDelay,
        MissedTickBehavior::kSkip}) {
    // The first tick is an hour late, so the missed-tick arithmetic runs.
    Interval every = interval_at(Clock::now() - hours(1), hours::max());
    every.set_missed_tick_behavior(behavior);
    EXPECT_EQ(every.period(), Clock::duration::max());
    auto first = every.tick();
    EXPECT_FALSE(PollIsPending(first));
    auto second = every.tick();
    ExpectStaysPending(second, "second tick of interval(hours::max())");
    every.reset();
    auto after_reset = every.tick();
    EXPECT_TRUE(PollIsPending(after_reset)) << "tick after reset()";
  }
}

TEST_F(FarFutureTest, IntervalFromTheBeginningOfTimeSkipsWithoutOverflow) {
  Watchdog dog("interval_at(time_point::min(), 1ms, kSkip)", seconds(30));
  Interval every = interval_at(Clock::time_point::min(), milliseconds(1));
  every.set_missed_tick_behavior(MissedTickBehavior::kSkip);
  EXPECT_EQ(block_on(every.tick()), Clock::time_point::min());
  // The next tick is on the original (1 ms) phase, at most 1 ms away.
  const Clock::time_point next = block_on(every.tick());
  EXPECT_GT(next, Clock::time_point::min());
}

TEST_F(FarFutureTest, NonPositiveIntervalPeriodIsAClearError) {
  EXPECT_THROW(interval(milliseconds(0)), std::invalid_argument);
  EXPECT_THROW(interval(seconds(-1)), std::invalid_argument);
  EXPECT_THROW(interval(hours::min()), std::invalid_argument);
}

TEST(FarFutureTimerQueueTest, NeverDeadlineMapsToAFiniteTickAndParksSanely) {
  const Clock::time_point origin = Clock::now();
  reactor::timer::TimerQueue queue(origin);
  reactor::timer::TimerEntry never;
  const auto inserted = queue.insert(&never, Clock::time_point::max());
  ASSERT_TRUE(
      inserted == reactor::timer::TimerQueue::InsertResult::kInserted ||
      inserted ==
          reactor::timer::TimerQueue::InsertResult::kInsertedWakeReactor);
  const auto now = Clock::now();
  const std::optional<std::chrono::nanoseconds> park = queue.park_timeout(now);
  if (park.has_value()) {
    EXPECT_GT(*park, std::chrono::nanoseconds(0));
  }
  EXPECT_EQ(queue.process(now), 0u);
  // Even a whole wheel span later it has not fired.
  EXPECT_EQ(queue.process(origin + hours(24 * 365 * 3)), 0u);
  queue.remove(&never);
  reactor::timer::TimerEntry long_ago;
  EXPECT_EQ(queue.insert(&long_ago, Clock::time_point::min()),
            reactor::timer::TimerQueue::InsertResult::kElapsed);
}

TEST(FarFutureParkerTest, ParkForMaxWaitsForUnparkAndNegativeDoesNotWait) {
  Watchdog dog("Parker::park_for at the edges", seconds(30));
  auto parker = make_arc<park::Parker>();
  std::thread unparker([parker] {
    std::this_thread::sleep_for(milliseconds(10));
    parker->unpark();
  });
  EXPECT_TRUE(parker->park_for(hours::max()));
  unparker.join();
  std::thread unparker2([parker] {
    std::this_thread::sleep_for(milliseconds(10));
    parker->unpark();
  });
  EXPECT_TRUE(parker->park_for(duration<double>(1e300)));
  unparker2.join();
  // No notification pending: a negative (or zero) timeout returns at once
  // instead of meaning "forever".
  EXPECT_FALSE(parker->park_for(seconds(-1)));
  EXPECT_FALSE(parker->park_for(hours::min()));
  EXPECT_FALSE(parker->park_for(milliseconds(0)));
}

TEST(FarFutureRuntimeTest, ShutdownTimeoutOfMaxOnAnIdleRuntimeReturns) {
  Watchdog dog("shutdown_timeout(hours::max())", seconds(30));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  EXPECT_EQ(rt.block_on(rt.spawn_blocking([] { return 7; })), 7);
  EXPECT_TRUE(rt.shutdown_timeout(hours::max()));
}

TEST(FarFutureRuntimeTest, KeepAliveOfMaxStillShutsDown) {
  Watchdog dog("thread_keep_alive(hours::max()) then shutdown", seconds(30));
  Runtime rt = Runtime::Builder()
                   .worker_threads(1)
                   .thread_keep_alive(hours::max())
                   .build();
  EXPECT_EQ(rt.block_on(rt.spawn_blocking([] { return 7; })), 7);
  // The idle blocking thread lingers "forever" (it did not wrap to the past
  // and exit, nor spin): shutdown wakes it and it exits.
  EXPECT_EQ(rt.metrics().blocking_threads, 1u);
  EXPECT_TRUE(rt.shutdown_timeout(seconds::max()));
}

TEST(FarFutureRuntimeTest, NegativeShutdownTimeoutDoesNotWaitForever) {
  Watchdog dog("shutdown_timeout(-1s) with a running blocking job",
               seconds(30));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  auto release = make_arc<core::Atomic<bool>>(false);
  auto started = make_arc<core::Atomic<bool>>(false);
  auto slow = rt.spawn_blocking([release, started] {
    started->store(true, std::memory_order_release);
    while (!release->load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  while (!started->load(std::memory_order_acquire)) std::this_thread::yield();
  EXPECT_FALSE(rt.shutdown_timeout(seconds(-1)));
  release->store(true, std::memory_order_release);
  block_on(std::move(slow));  // it still finishes on its own
}

TEST(FarFutureWatchdogTest, WatchdogOfMaxNeverFires) {
  Watchdog dog("a watchdog with no limit", hours::max());
  std::this_thread::sleep_for(milliseconds(5));
}

}  // namespace
}  // namespace magpie
