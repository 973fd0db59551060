// Tests for sync::Semaphore: try_acquire and permits that return on drop,
// FIFO with partial assignment to the head waiter, close, cancellation at
// every point (no permit lost), waker replacement, and permit conservation
// under stress on a 4-worker runtime with seeded random drops of waiters.

#include "runtime/sync/semaphore.h"

#include <random>
#include <stdexcept>
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

TEST(SemaphoreTest, TryAcquireAndPermitsReturnOnDrop) {
  Semaphore sem(3);
  {
    auto two = sem.try_acquire(2);
    ASSERT_TRUE(two.ok());
    EXPECT_EQ(two->num_permits(), 2u);
    EXPECT_EQ(sem.available_permits(), 1u);
    auto more = sem.try_acquire(2);
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.error(), TryAcquireError::kNoPermits);
    auto one = sem.try_acquire(1);
    ASSERT_TRUE(one.ok());
    two->merge(std::move(*one));
    EXPECT_EQ(two->num_permits(), 3u);
    EXPECT_EQ(sem.available_permits(), 0u);
    auto split = two->split(1);
    ASSERT_TRUE(split.has_value());
    EXPECT_FALSE(two->split(5).has_value());
  }
  EXPECT_EQ(sem.available_permits(), 3u);
  {
    auto forgotten = sem.try_acquire(1);
    forgotten->forget();
  }
  EXPECT_EQ(sem.available_permits(), 2u);
  Semaphore other(1);
  auto a = sem.try_acquire(1);
  auto b = other.try_acquire(1);
  EXPECT_THROW(a->merge(std::move(*b)), std::invalid_argument);
  EXPECT_THROW(sem.add_permits(Semaphore::kMaxPermits), std::length_error);
  EXPECT_THROW(Semaphore(Semaphore::kMaxPermits + 1), std::length_error);
}

TEST(SemaphoreTest, HeadWaiterGetsPartialPermitsAndBlocksLaterOnes) {
  Semaphore sem(1);
  CountingWaker wa, wb;
  auto big = sem.acquire(3);
  auto small = sem.acquire(1);
  EXPECT_TRUE(big.poll(wa.cx()).is_pending());  // takes the 1 free permit
  EXPECT_EQ(sem.available_permits(), 0u);
  EXPECT_TRUE(small.poll(wb.cx()).is_pending());
  sem.add_permits(1);  // to the head: 2 of 3 assigned
  EXPECT_EQ(wa.wakes(), 0);
  EXPECT_EQ(wb.wakes(), 0);
  EXPECT_EQ(sem.available_permits(), 0u);
  EXPECT_FALSE(sem.try_acquire(1).ok());  // no overtaking the queue
  sem.add_permits(2);                     // head done, 1 to the next
  EXPECT_EQ(wa.wakes(), 1);
  EXPECT_EQ(wb.wakes(), 1);
  auto p_big = big.poll(wa.cx());
  auto p_small = small.poll(wb.cx());
  ASSERT_TRUE(p_big.is_ready() && p_small.is_ready());
  EXPECT_EQ(p_big.value()->num_permits(), 3u);
  EXPECT_EQ(p_small.value()->num_permits(), 1u);
  EXPECT_EQ(sem.available_permits(), 0u);
}

TEST(SemaphoreTest, DroppedWaiterPassesAssignedPermitsOn) {
  Semaphore sem(0);
  CountingWaker wa, wb;
  auto small = sem.acquire(1);
  {
    auto big = sem.acquire(3);
    EXPECT_TRUE(big.poll(wa.cx()).is_pending());
    EXPECT_TRUE(small.poll(wb.cx()).is_pending());
    sem.add_permits(2);  // both assigned to `big`
    EXPECT_EQ(wb.wakes(), 0);
  }  // dropped: its 2 permits go on, 1 to `small`, 1 to the word
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_EQ(sem.available_permits(), 1u);
  auto p = small.poll(wb.cx());
  ASSERT_TRUE(p.is_ready());
  EXPECT_TRUE(p.value().ok());
}

TEST(SemaphoreTest, WaiterCompletedButNeverPolledGivesPermitsBack) {
  Semaphore sem(0);
  CountingWaker w;
  {
    auto waiter = sem.acquire(2);
    EXPECT_TRUE(waiter.poll(w.cx()).is_pending());
    sem.add_permits(2);
    EXPECT_EQ(w.wakes(), 1);
  }
  EXPECT_EQ(sem.available_permits(), 2u);
}

TEST(SemaphoreTest, CloseFailsWaitersAndReturnsTheirPartialPermits) {
  Semaphore sem(1);
  CountingWaker w;
  auto waiter = sem.acquire(2);
  auto held = sem.try_acquire(0);  // an empty permit is fine
  EXPECT_TRUE(waiter.poll(w.cx()).is_pending());
  sem.close();
  EXPECT_TRUE(sem.is_closed());
  EXPECT_EQ(w.wakes(), 1);
  auto p = waiter.poll(w.cx());
  ASSERT_TRUE(p.is_ready());
  ASSERT_FALSE(p.value().ok());
  EXPECT_EQ(p.value().error(), AcquireError::kClosed);
  EXPECT_EQ(sem.available_permits(), 1u);  // the partial permit came back
  auto late = sem.try_acquire(1);
  EXPECT_EQ(late.error(), TryAcquireError::kClosed);
  auto r = block_on(sem.acquire(1));
  EXPECT_FALSE(r.ok());
}

TEST(SemaphoreTest, WakesTheWakerOfTheLatestPoll) {
  Semaphore sem(0);
  CountingWaker first, second;
  auto waiter = sem.acquire(1);
  EXPECT_TRUE(waiter.poll(first.cx()).is_pending());
  EXPECT_TRUE(waiter.poll(second.cx()).is_pending());
  sem.add_permits(1);
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
  EXPECT_TRUE(waiter.poll(second.cx()).is_ready());
}

// Many tasks on 4 workers take 1..3 of 5 permits; some give up mid-wait
// (select against yield_now, seeded). The number held never passes 5, and
// all 5 are back at the end.
TEST(SemaphoreTest, StressConservesPermitsWithRandomCancellation) {
  Watchdog dog("semaphore stress", seconds(60));
  constexpr std::size_t kPermits = 5;
  const int kTasks = testing::ScaledForSanitizers(64, 32);
  const int kRounds = testing::ScaledForSanitizers(1000, 200);
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  Semaphore sem(kPermits);
  core::Atomic<int> held{0};
  core::Atomic<int> overflow{0};
  core::Atomic<int> acquired{0};
  std::vector<JoinHandle<void>> handles;
  for (int t = 0; t < kTasks; ++t) {
    handles.push_back(rt.spawn(
        [](Semaphore& sem, core::Atomic<int>& held, core::Atomic<int>& overflow,
           core::Atomic<int>& acquired, int seed, int rounds) -> Task<void> {
          std::mt19937 rng(seed);
          for (int i = 0; i < rounds; ++i) {
            const std::uint32_t n = 1 + rng() % 3;
            std::optional<SemaphorePermit> permit;
            if (rng() % 4 == 0) {  // may be dropped mid-wait
              auto raced = select(sem.acquire(n), yield_now());
              auto r = co_await raced;
              if (r.index() == 0) permit = std::move(*std::get<0>(r));
            } else {
              auto r = co_await sem.acquire(n);
              permit = std::move(*r);
            }
            if (!permit) continue;
            acquired.fetch_add(1, std::memory_order_relaxed);
            const int now =
                held.fetch_add(static_cast<int>(n), std::memory_order_acq_rel) +
                n;
            if (now > static_cast<int>(kPermits)) {
              overflow.fetch_add(1, std::memory_order_relaxed);
            }
            if (rng() % 2) co_await yield_now();
            held.fetch_sub(static_cast<int>(n), std::memory_order_acq_rel);
          }
        }(sem, held, overflow, acquired, 1000 + t, kRounds)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  EXPECT_EQ(overflow.load(), 0);
  EXPECT_GT(acquired.load(), 0);
  EXPECT_EQ(sem.available_permits(), kPermits);
}

// Waiters polled once by hand and dropped at random points while another
// thread releases: every permit comes back.
TEST(SemaphoreTest, HandPolledWaitersDroppedAtRandomLoseNothing) {
  const int kIters = testing::ScaledForSanitizers(2000, 300);
  Semaphore sem(2);
  std::mt19937 rng(7);
  std::thread releaser([&sem, n = kIters] {
    std::mt19937 rng(8);
    for (int i = 0; i < n; ++i) {
      auto p = sem.try_acquire(1 + rng() % 2);
      if (!p.ok()) std::this_thread::yield();
    }
  });
  CountingWaker w;
  for (int i = 0; i < kIters; ++i) {
    auto a = sem.acquire(1 + rng() % 2);
    auto b = sem.acquire(1 + rng() % 2);
    auto pa = a.poll(w.cx());
    auto pb = b.poll(w.cx());
    if (rng() % 2 && pa.is_pending()) pa = a.poll(w.cx());
    (void)pb;
  }  // each future and permit dropped at whatever point it reached
  releaser.join();
  EXPECT_EQ(sem.available_permits(), 2u);
}

}  // namespace
}  // namespace magpie::sync
