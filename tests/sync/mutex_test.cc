// Tests for sync::Mutex: lock/try_lock and guards that unlock, FIFO
// handoff, no lost handoff when a waiter that was handed the lock is dropped
// before it polls, waker replacement, and mutual exclusion under stress on 4
// workers with seeded random cancellation of waiters.

#include "runtime/sync/mutex.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"
#include "tests/sync/test_support.h"

namespace magpie::sync {
namespace {

using magpie::testing::Watchdog;
using std::chrono::seconds;
using sync_test::CountingWaker;

TEST(MutexTest, LockTryLockAndUnlockOnDrop) {
  Mutex<int> m(5);
  {
    auto guard = block_on(m.lock());
    EXPECT_EQ(*guard, 5);
    *guard = 6;
    EXPECT_FALSE(m.try_lock().has_value());
  }
  auto again = m.try_lock();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(**again, 6);
  auto moved = std::move(*again);
  EXPECT_FALSE(m.try_lock().has_value());
}

TEST(MutexTest, HandoffIsFifoAndSurvivesADroppedWaiter) {
  Mutex<int> m;
  CountingWaker wa, wb, wc;
  auto guard = m.try_lock();
  auto b = m.lock();
  auto c = m.lock();
  {
    auto a = m.lock();
    EXPECT_TRUE(a.poll(wa.cx()).is_pending());
    EXPECT_TRUE(b.poll(wb.cx()).is_pending());
    EXPECT_TRUE(c.poll(wc.cx()).is_pending());
    guard.reset();  // handed to a
    EXPECT_EQ(wa.wakes(), 1);
    EXPECT_EQ(wb.wakes(), 0);
    EXPECT_FALSE(m.try_lock().has_value());
  }  // a dropped holding the handoff: it goes to b, not lost
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_EQ(wc.wakes(), 0);
  auto gb = b.poll(wb.cx());
  ASSERT_TRUE(gb.is_ready());
  EXPECT_TRUE(c.poll(wc.cx()).is_pending());
  { auto drop = std::move(gb).value(); }
  EXPECT_EQ(wc.wakes(), 1);
  EXPECT_TRUE(c.poll(wc.cx()).is_ready());
  EXPECT_TRUE(m.try_lock().has_value());
}

TEST(MutexTest, WakesTheWakerOfTheLatestPoll) {
  Mutex<int> m;
  CountingWaker first, second;
  auto guard = m.try_lock();
  auto waiter = m.lock();
  EXPECT_TRUE(waiter.poll(first.cx()).is_pending());
  EXPECT_TRUE(waiter.poll(second.cx()).is_pending());
  guard.reset();
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

// A checked counter: each holder sees nobody else inside, increments a
// plain int (TSan flags any overlap), sometimes yields while holding the
// lock. Some lock() futures are dropped mid-wait (seeded).
TEST(MutexTest, StressMutualExclusionWithRandomCancellation) {
  Watchdog dog("mutex stress", seconds(60));
  const int kTasks = 16;
  const int kRounds = testing::ScaledForSanitizers(2000, 400);
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  struct Guarded {
    int count = 0;
    bool inside = false;
    int overlaps = 0;
  };
  Mutex<Guarded> m;
  core::Atomic<int> locked{0};
  std::vector<JoinHandle<void>> handles;
  for (int t = 0; t < kTasks; ++t) {
    handles.push_back(rt.spawn([](Mutex<Guarded>& m, core::Atomic<int>& locked,
                                  int seed, int rounds) -> Task<void> {
      std::mt19937 rng(seed);
      for (int i = 0; i < rounds; ++i) {
        std::optional<MutexGuard<Guarded>> guard;
        if (rng() % 4 == 0) {
          auto raced = select(m.lock(), yield_now());
          auto r = co_await raced;
          if (r.index() == 0) guard.emplace(std::move(std::get<0>(r)));
        } else {
          guard.emplace(co_await m.lock());
        }
        if (!guard) continue;
        locked.fetch_add(1, std::memory_order_relaxed);
        Guarded& g = **guard;
        if (g.inside) ++g.overlaps;
        g.inside = true;
        ++g.count;
        if (rng() % 3 == 0) co_await yield_now();
        g.inside = false;
      }
    }(m, locked, 100 + t, kRounds)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  auto guard = m.try_lock();
  ASSERT_TRUE(guard.has_value());
  EXPECT_EQ((*guard)->overlaps, 0);
  EXPECT_EQ((*guard)->count, locked.load());
}

}  // namespace
}  // namespace magpie::sync
