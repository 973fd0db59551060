// Tests for sync::Barrier: the n-th arrival releases the group and is its
// only leader, the barrier is reusable, a waiter dropped mid-wait withdraws
// its arrival, and exactly one leader per generation under stress.

#include "runtime/sync/barrier.h"

#include <vector>

#include "gtest/gtest.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "tests/sync/test_support.h"

namespace magpie::sync {
namespace {

using magpie::testing::Watchdog;
using std::chrono::seconds;
using sync_test::CountingWaker;

TEST(BarrierTest, NthArrivalReleasesTheGroupAndLeads) {
  Barrier barrier(3);
  for (int generation = 0; generation < 2; ++generation) {
    CountingWaker wa, wb, wc;
    auto a = barrier.wait();
    auto b = barrier.wait();
    auto c = barrier.wait();
    EXPECT_TRUE(a.poll(wa.cx()).is_pending());
    EXPECT_TRUE(b.poll(wb.cx()).is_pending());
    auto rc = c.poll(wc.cx());
    ASSERT_TRUE(rc.is_ready());
    EXPECT_TRUE(rc.value().is_leader());
    EXPECT_EQ(wa.wakes(), 1);
    EXPECT_EQ(wb.wakes(), 1);
    auto ra = a.poll(wa.cx());
    auto rb = b.poll(wb.cx());
    ASSERT_TRUE(ra.is_ready() && rb.is_ready());
    EXPECT_FALSE(ra.value().is_leader());
    EXPECT_FALSE(rb.value().is_leader());
  }
  Barrier zero(0);  // as Barrier(1)
  CountingWaker w;
  auto solo = zero.wait();
  EXPECT_TRUE(solo.poll(w.cx()).value().is_leader());
}

TEST(BarrierTest, DroppedWaiterWithdrawsItsArrival) {
  Barrier barrier(2);
  CountingWaker wa, wb;
  {
    auto gone = barrier.wait();
    EXPECT_TRUE(gone.poll(wa.cx()).is_pending());
  }
  auto a = barrier.wait();
  EXPECT_TRUE(a.poll(wa.cx()).is_pending());  // not released by a ghost
  auto b = barrier.wait();
  EXPECT_TRUE(b.poll(wb.cx()).value().is_leader());
  EXPECT_TRUE(a.poll(wa.cx()).is_ready());
}

TEST(BarrierTest, WakesTheWakerOfTheLatestPoll) {
  Barrier barrier(2);
  CountingWaker first, second, leader;
  auto waiter = barrier.wait();
  EXPECT_TRUE(waiter.poll(first.cx()).is_pending());
  EXPECT_TRUE(waiter.poll(second.cx()).is_pending());
  auto last = barrier.wait();
  EXPECT_TRUE(last.poll(leader.cx()).value().is_leader());
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
  EXPECT_FALSE(waiter.poll(second.cx()).value().is_leader());
}

TEST(BarrierTest, StressOneLeaderPerGeneration) {
  Watchdog dog("barrier stress", seconds(60));
  constexpr int kTasks = 8;
  const int kRounds = testing::ScaledForSanitizers(2000, 400);
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  Barrier barrier(kTasks);
  core::Atomic<int> leaders{0};
  std::vector<JoinHandle<void>> handles;
  for (int t = 0; t < kTasks; ++t) {
    handles.push_back(rt.spawn([](Barrier& barrier, core::Atomic<int>& leaders,
                                  int rounds) -> Task<void> {
      for (int i = 0; i < rounds; ++i) {
        BarrierWaitResult r = co_await barrier.wait();
        if (r.is_leader()) leaders.fetch_add(1, std::memory_order_relaxed);
      }
    }(barrier, leaders, kRounds)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  EXPECT_EQ(leaders.load(), kRounds);
}

}  // namespace
}  // namespace magpie::sync
