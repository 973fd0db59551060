// Tests for Sleep, timeout and Interval on a real reactor: never early,
// ordered, dropped sleeps leave nothing behind, a far-future sleep and an
// idle reactor burn no CPU, and the failure modes (no reactor, shutdown).

#include "reactor/time/sleep.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/reactor_error.h"
#include "reactor/time/interval.h"
#include "reactor/time/timeout.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/poll_fn.h"
#include "tests/reactor/test_support.h"

namespace magpie {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using magpie::testing::kSanitized;
using magpie::testing::poll_once;
using magpie::testing::process_cpu_time;
using magpie::testing::wait_until;
using magpie::testing::WakeCounter;

class SleepTest : public magpie::testing::ReactorTest {};

TEST_F(SleepTest, NeverEarlyFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kSleepsPerThread = kSanitized ? 15 : 40;
  std::vector<std::thread> threads;
  core::Atomic<int> early{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      reactor::EnterGuard guard(reactor_->handle());
      std::mt19937 rng(t);
      for (int i = 0; i < kSleepsPerThread; ++i) {
        const auto deadline =
            Clock::now() + std::chrono::microseconds(rng() % 8000);
        block_on(sleep_until(deadline));
        if (Clock::now() < deadline)
          early.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(early.load(std::memory_order_relaxed), 0);
}

TEST_F(SleepTest, PastDeadlineIsReadyAtOnce) {
  Sleep sleep = sleep_until(Clock::now() - 1s);
  EXPECT_TRUE(poll_once(sleep, noop_waker()).is_ready());
  EXPECT_EQ(driver().timer_count(), 0u);
}

// Records the order in which sleeps are woken, and when.
struct OrderLog {
  std::mutex mutex;
  std::vector<std::pair<int, Clock::time_point>> woken;
};

struct OrderWaker {
  OrderLog* log;
  int id;
  void wake_by_ref() {
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(log->mutex);
    log->woken.emplace_back(id, now);
  }
};

TEST_F(SleepTest, ManyTimersFireInDeadlineOrder) {
  constexpr int kTimers = 200;
  const auto base = Clock::now() + 30ms;
  std::vector<int> order(kTimers);
  for (int i = 0; i < kTimers; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  OrderLog log;
  // Whole milliseconds apart, so each lands in its own wheel tick.
  std::vector<Sleep> sleeps;
  sleeps.reserve(kTimers);
  for (int i = 0; i < kTimers; ++i) {
    sleeps.emplace_back(base + std::chrono::milliseconds(i));
  }
  for (int id : order) {
    Waker waker = waker_from(make_arc<OrderWaker>(OrderWaker{&log, id}));
    ASSERT_TRUE(poll_once(sleeps[id], waker).is_pending());
  }
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(log.mutex);
        return log.woken.size() == kTimers;
      },
      10s));
  std::lock_guard<std::mutex> lock(log.mutex);
  for (int i = 0; i < kTimers; ++i) {
    EXPECT_EQ(log.woken[i].first, i) << "position " << i;
    EXPECT_GE(log.woken[i].second, sleeps[log.woken[i].first].deadline());
  }
  for (Sleep& sleep : sleeps) {
    EXPECT_TRUE(poll_once(sleep, noop_waker()).is_ready());
  }
}

TEST_F(SleepTest, DroppedSleepRemovesItsEntry) {
  constexpr int kSleeps = 1000;
  {
    std::vector<Sleep> sleeps;
    sleeps.reserve(kSleeps);
    for (int i = 0; i < kSleeps; ++i) sleeps.push_back(sleep(1h + i * 1ms));
    for (Sleep& s : sleeps)
      ASSERT_TRUE(poll_once(s, noop_waker()).is_pending());
    EXPECT_EQ(driver().timer_count(), static_cast<std::size_t>(kSleeps));
  }
  EXPECT_EQ(driver().timer_count(), 0u);
}

TEST_F(SleepTest, DropRacesWithFiring) {
  // Sleeps dropped right around their deadline while the reactor fires
  // them: ASan/TSan check that neither side touches a freed entry.
  constexpr int kRounds = kSanitized ? 200 : 2000;
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  std::mt19937 rng(11);
  for (int i = 0; i < kRounds; ++i) {
    auto s = std::make_unique<Sleep>(Clock::now() +
                                     std::chrono::microseconds(rng() % 2000));
    (void)poll_once(*s, waker);
    if (rng() % 2 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1500));
    }
    s.reset();
  }
  EXPECT_TRUE(wait_until([&] { return driver().timer_count() == 0; }, 5s));
}

TEST_F(SleepTest, FarFutureSleepDoesNotSpin) {
  Sleep far = sleep(72h);
  ASSERT_TRUE(poll_once(far, noop_waker()).is_pending());
  std::this_thread::sleep_for(50ms);  // Let the reactor settle.
  const std::uint64_t turns_before = driver().turns();
  const auto cpu_before = process_cpu_time();
  std::this_thread::sleep_for(500ms);
  const auto cpu = process_cpu_time() - cpu_before;
  EXPECT_LE(driver().turns() - turns_before, 1u);
  // A few percent of 500 ms (sanitizer runtimes have threads of their own).
  EXPECT_LT(cpu, kSanitized ? 50ms : 25ms);
}

TEST_F(SleepTest, IdleReactorUsesNoCpu) {
  std::this_thread::sleep_for(50ms);
  const std::uint64_t turns_before = driver().turns();
  const auto cpu_before = process_cpu_time();
  std::this_thread::sleep_for(500ms);
  const auto cpu = process_cpu_time() - cpu_before;
  EXPECT_EQ(driver().turns() - turns_before, 0u);
  EXPECT_LT(cpu, kSanitized ? 50ms : 25ms);
}

TEST_F(SleepTest, EarlierTimerWakesSleepingReactor) {
  Sleep far = sleep(1h);
  ASSERT_TRUE(poll_once(far, noop_waker()).is_pending());
  std::this_thread::sleep_for(20ms);  // The reactor now sleeps for an hour.
  const auto start = Clock::now();
  block_on(sleep(20ms));
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(SleepTest, MillionConcurrentSleeps) {
  const std::size_t kSleeps = kSanitized ? 100'000 : 1'000'000;
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  std::vector<Sleep> sleeps;
  sleeps.reserve(kSleeps);
  for (std::size_t i = 0; i < kSleeps; ++i) {
    sleeps.push_back(sleep(std::chrono::milliseconds(100 + i % 200)));
  }
  // A sleep can be fired (and woken) between its insertion and its re-check
  // and then answer Ready on that same poll, so only the sleeps that
  // answered Pending are owed a wake: exactly one each.
  std::vector<Sleep*> pending;
  for (Sleep& s : sleeps) {
    if (poll_once(s, waker).is_pending()) pending.push_back(&s);
  }
  ASSERT_TRUE(wait_until(
      [&] {
        return static_cast<std::size_t>(counter->count()) >= pending.size();
      },
      60s))
      << counter->count() << " wakes for " << pending.size() << " pending";
  // Polled again (the entry's state only, not the clock), each has fired.
  for (Sleep* s : pending) ASSERT_TRUE(poll_once(*s, noop_waker()).is_ready());
  const auto now = Clock::now();
  for (Sleep& s : sleeps) ASSERT_GE(now, s.deadline());
  EXPECT_EQ(driver().timer_count(), 0u);
}

TEST_F(SleepTest, TimeoutElapses) {
  absl::Status timed_out = block_on(timeout(10ms, sleep(1h)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(timed_out)) << timed_out;
  absl::Status in_time = block_on(timeout(1h, sleep(1ms)));
  EXPECT_TRUE(in_time.ok()) << in_time;
  EXPECT_EQ(driver().timer_count(), 0u);
}

TEST_F(SleepTest, TimeoutWrapsValuesAndFlattensStatuses) {
  auto never = poll_fn([](Context&) -> Poll<int> { return Pending; });
  absl::StatusOr<int> late = block_on(timeout(5ms, never));
  EXPECT_TRUE(absl::IsDeadlineExceeded(late.status()));
  auto seven = poll_fn([](Context&) -> Poll<int> { return 7; });
  absl::StatusOr<int> value = block_on(timeout(1s, seven));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  auto failing = poll_fn([](Context&) -> Poll<absl::StatusOr<int>> {
    return absl::StatusOr<int>(absl::NotFoundError("inner"));
  });
  absl::StatusOr<int> inner = block_on(timeout(1s, failing));
  EXPECT_TRUE(absl::IsNotFound(inner.status()));
}

TEST_F(SleepTest, TimeoutBorrowsANamedFutureAndLeavesIt) {
  // A named future is borrowed (Sleep cannot be copied or moved once
  // polled): after the timeout it is still there, and finishes when polled.
  Sleep slow = sleep(1s);
  absl::Status first = block_on(timeout(1ms, slow));
  EXPECT_TRUE(absl::IsDeadlineExceeded(first)) << first;
  absl::Status second = block_on(timeout(1h, slow));
  EXPECT_TRUE(second.ok()) << second;
  EXPECT_TRUE(slow.is_elapsed());
  EXPECT_EQ(driver().timer_count(), 0u);
}

TEST_F(SleepTest, IntervalTicksOnSchedule) {
  const auto start = Clock::now();
  Interval every = interval_at(start, 10ms);
  for (int i = 0; i < 5; ++i) {
    const auto due = block_on(every.tick());
    EXPECT_EQ(due, start + i * 10ms);
    EXPECT_GE(Clock::now(), due);
  }
}

TEST_F(SleepTest, IntervalMissedTickBehaviors) {
  {
    const auto start = Clock::now();
    Interval burst = interval_at(start, 10ms);
    (void)block_on(burst.tick());
    std::this_thread::sleep_for(45ms);
    // Burst: the missed ticks come back to back, on the original schedule.
    EXPECT_EQ(block_on(burst.tick()), start + 10ms);
    EXPECT_EQ(block_on(burst.tick()), start + 20ms);
    EXPECT_EQ(block_on(burst.tick()), start + 30ms);
  }
  {
    const auto start = Clock::now();
    Interval delay = interval_at(start, 10ms);
    delay.set_missed_tick_behavior(MissedTickBehavior::kDelay);
    (void)block_on(delay.tick());
    std::this_thread::sleep_for(45ms);
    const auto late = block_on(delay.tick());
    EXPECT_EQ(late, start + 10ms);
    const auto seen = Clock::now();
    // Delay: the next tick is a full period after the late one was seen.
    EXPECT_GE(block_on(delay.tick()), seen + 10ms - 1ms);
  }
  {
    const auto start = Clock::now();
    Interval skip = interval_at(start, 10ms);
    skip.set_missed_tick_behavior(MissedTickBehavior::kSkip);
    (void)block_on(skip.tick());
    std::this_thread::sleep_for(45ms);
    EXPECT_EQ(block_on(skip.tick()), start + 10ms);
    // Skip: the next tick stays on the 10 ms grid, past now.
    const auto next = block_on(skip.tick());
    EXPECT_EQ((next - start) % 10ms, Clock::duration::zero());
    EXPECT_GE(next, start + 50ms);
  }
}

TEST(SleepNoReactorTest, FailsWithFailedPrecondition) {
  std::thread bare([] {
    try {
      block_on(sleep(1h));
      ADD_FAILURE() << "sleep without a reactor completed";
    } catch (const reactor::ReactorError& error) {
      EXPECT_TRUE(absl::IsFailedPrecondition(error.status())) << error.what();
    }
    auto never = poll_fn([](Context&) -> Poll<int> { return Pending; });
    absl::StatusOr<int> status = block_on(timeout(1h, never));
    EXPECT_TRUE(absl::IsFailedPrecondition(status.status())) << status.status();
    EXPECT_FALSE(reactor::Handle::current().ok());
  });
  bare.join();
}

TEST(SleepShutdownTest, ShutdownFailsPendingSleep) {
  absl::StatusOr<reactor::Reactor> started = reactor::Reactor::start();
  ASSERT_TRUE(started.ok());
  reactor::Reactor reactor = *std::move(started);
  std::optional<Sleep> pending;
  {
    reactor::EnterGuard guard = reactor.enter();
    pending.emplace(Clock::now() + 1h);
  }
  auto counter = make_arc<WakeCounter>();
  Waker waker = waker_from(counter);
  ASSERT_TRUE(poll_once(*pending, waker).is_pending());
  reactor.shutdown();
  EXPECT_EQ(counter->count(), 1);
  Context cx(waker);
  Poll<absl::Status> after = pending->poll_status(cx);
  ASSERT_TRUE(after.is_ready());
  EXPECT_TRUE(absl::IsCancelled(after.value())) << after.value();
  EXPECT_THROW((void)pending->poll(cx), reactor::ReactorError);
  // New sleeps on the shut-down reactor fail the same way.
  reactor::EnterGuard guard = reactor.enter();
  Sleep late = sleep(1h);
  Poll<absl::Status> refused = late.poll_status(cx);
  ASSERT_TRUE(refused.is_ready());
  EXPECT_TRUE(absl::IsCancelled(refused.value()));
}

}  // namespace
}  // namespace magpie
