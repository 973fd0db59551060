// Tests for sync::RwLock: shared readers, exclusive writers, writer
// preference (a waiting writer blocks later readers), a dropped waiting
// writer releasing the readers behind it, and reader/writer exclusion under
// stress on 4 workers with seeded random cancellation.

#include "runtime/sync/rwlock.h"

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

TEST(RwLockTest, ReadersShareWritersExclude) {
  RwLock<int> lock(1);
  {
    auto r1 = block_on(lock.read());
    auto r2 = lock.try_read();
    ASSERT_TRUE(r2.has_value());
    EXPECT_EQ(*r1 + **r2, 2);
    EXPECT_FALSE(lock.try_write().has_value());
  }
  {
    auto w = block_on(lock.write());
    *w = 7;
    EXPECT_FALSE(lock.try_read().has_value());
    EXPECT_FALSE(lock.try_write().has_value());
  }
  EXPECT_EQ(**lock.try_read(), 7);
}

TEST(RwLockTest, WaitingWriterBlocksLaterReaders) {
  RwLock<int> lock;
  CountingWaker ww, wr;
  auto r1 = lock.try_read();
  auto writer = lock.write();
  EXPECT_TRUE(writer.poll(ww.cx()).is_pending());
  EXPECT_FALSE(lock.try_read().has_value());  // writer-preferring
  auto reader = lock.read();
  EXPECT_TRUE(reader.poll(wr.cx()).is_pending());
  r1.reset();
  EXPECT_EQ(ww.wakes(), 1);
  EXPECT_EQ(wr.wakes(), 0);
  {
    auto w = writer.poll(ww.cx());
    ASSERT_TRUE(w.is_ready());
    EXPECT_TRUE(reader.poll(wr.cx()).is_pending());
  }
  EXPECT_EQ(wr.wakes(), 1);
  EXPECT_TRUE(reader.poll(wr.cx()).is_ready());
}

TEST(RwLockTest, DroppedWaitingWriterReleasesReadersBehindIt) {
  RwLock<int> lock;
  CountingWaker ww, wr;
  auto r1 = lock.try_read();
  auto reader = lock.read();
  {
    auto writer = lock.write();
    EXPECT_TRUE(writer.poll(ww.cx()).is_pending());  // holds kMaxReads-1
    EXPECT_TRUE(reader.poll(wr.cx()).is_pending());
  }
  EXPECT_EQ(wr.wakes(), 1);
  EXPECT_TRUE(reader.poll(wr.cx()).is_ready());
}

TEST(RwLockTest, StressReadersAndWritersExclude) {
  Watchdog dog("rwlock stress", seconds(60));
  const int kTasks = 16;
  const int kRounds = testing::ScaledForSanitizers(2000, 400);
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  struct State {
    core::Atomic<int> readers{0};
    core::Atomic<int> writers{0};
    core::Atomic<int> violations{0};
    core::Atomic<int> writes{0};
  };
  RwLock<int> lock(0);
  State state;
  std::vector<JoinHandle<void>> handles;
  for (int t = 0; t < kTasks; ++t) {
    handles.push_back(rt.spawn(
        [](RwLock<int>& lock, State& s, int seed, int rounds) -> Task<void> {
          std::mt19937 rng(seed);
          for (int i = 0; i < rounds; ++i) {
            const bool cancel = rng() % 4 == 0;
            if (rng() % 3 == 0) {
              std::optional<RwLockWriteGuard<int>> w;
              if (cancel) {
                auto raced = select(lock.write(), yield_now());
                auto r = co_await raced;
                if (r.index() == 0) w.emplace(std::move(std::get<0>(r)));
              } else {
                w.emplace(co_await lock.write());
              }
              if (!w) continue;
              if (s.writers.fetch_add(1, std::memory_order_acq_rel) != 0 ||
                  s.readers.load(std::memory_order_acquire) != 0) {
                s.violations.fetch_add(1, std::memory_order_relaxed);
              }
              ++**w;  // plain int: TSan checks the exclusion too
              s.writes.fetch_add(1, std::memory_order_relaxed);
              if (rng() % 2) co_await yield_now();
              s.writers.fetch_sub(1, std::memory_order_acq_rel);
            } else {
              std::optional<RwLockReadGuard<int>> r;
              if (cancel) {
                auto raced = select(lock.read(), yield_now());
                auto res = co_await raced;
                if (res.index() == 0) r.emplace(std::move(std::get<0>(res)));
              } else {
                r.emplace(co_await lock.read());
              }
              if (!r) continue;
              s.readers.fetch_add(1, std::memory_order_acq_rel);
              if (s.writers.load(std::memory_order_acquire) != 0) {
                s.violations.fetch_add(1, std::memory_order_relaxed);
              }
              volatile int seen = **r;
              (void)seen;
              if (rng() % 2) co_await yield_now();
              s.readers.fetch_sub(1, std::memory_order_acq_rel);
            }
          }
        }(lock, state, 200 + t, kRounds)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  EXPECT_EQ(state.violations.load(), 0);
  auto w = lock.try_write();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(**w, state.writes.load());
}

}  // namespace
}  // namespace magpie::sync
