// Tests for BasicLocalQueue: the owner's FIFO order across ring laps,
// overflow of half the queue into Inject, the size of a steal and its refusal
// when dst is over half full, drain, and conservation under concurrent
// stealing. Every item is a real task cell (test_tasks.h); every test checks
// that each task came out exactly once and that every cell was freed
// (ASan/LSan catch the rest). Capacities 2..256 reach the edges.

#include "runtime/scheduler/local_queue.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/scheduler/inject.h"
#include "tests/scheduler/test_tasks.h"
#include "runtime/testing/watchdog.h"

namespace magpie::scheduler {
namespace {

using magpie::testing::ScaledForSanitizers;
using magpie::testing::Watchdog;
using testing::TaskSet;

template <class Q>
class LocalQueueTest : public ::testing::Test {};

using Capacities = ::testing::Types<BasicLocalQueue<2>, BasicLocalQueue<4>,
                                    BasicLocalQueue<16>, BasicLocalQueue<256>>;
TYPED_TEST_SUITE(LocalQueueTest, Capacities);

// Pops `count` tasks from `q`, expecting the indices first, first + 1, ...,
// then (unless told otherwise) an empty queue.
template <class Q>
void ExpectPopsInOrder(Q& q, TaskSet& tasks, std::size_t first,
                       std::size_t count, bool then_empty = true) {
  for (std::size_t i = 0; i < count; ++i) {
    task::Notified t = q.pop();
    ASSERT_TRUE(t) << "missing task " << first + i;
    EXPECT_EQ(tasks.index_of(t), first + i);
    tasks.consume(std::move(t), /*run=*/true);
  }
  if (then_empty) {
    EXPECT_FALSE(q.pop());
    EXPECT_TRUE(q.is_empty());
  }
}

TYPED_TEST(LocalQueueTest, OwnerPopsInFifoOrderAcrossLaps) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  constexpr std::size_t kLaps = 3;
  Q q;
  Inject inject;
  TaskSet tasks(kCap * kLaps + 3 * kCap);
  std::size_t next = 0;

  EXPECT_TRUE(q.is_empty());
  EXPECT_FALSE(q.pop());
  // Fill to the brim and empty it, several times round the ring.
  for (std::size_t lap = 0; lap < kLaps; ++lap) {
    const std::size_t first = next;
    for (std::size_t i = 0; i < kCap; ++i) {
      ASSERT_EQ(q.push_back(tasks.take(next++), inject), PushResult::kPushed);
      EXPECT_EQ(q.len(), i + 1);
    }
    ExpectPopsInOrder(q, tasks, first, kCap);
  }
  // Interleaved: push two, pop one, so the head chases the tail round the
  // ring at an offset.
  std::size_t popped = next;
  for (std::size_t i = 0; i < kCap; ++i) {
    if (q.len() + 2 > kCap) {
      ExpectPopsInOrder(q, tasks, popped, q.len());
      popped = next;
    }
    ASSERT_EQ(q.push_back(tasks.take(next++), inject), PushResult::kPushed);
    ASSERT_EQ(q.push_back(tasks.take(next++), inject), PushResult::kPushed);
    task::Notified t = q.pop();
    ASSERT_TRUE(t);
    EXPECT_EQ(tasks.index_of(t), popped++);
    tasks.consume(std::move(t));
  }
  ExpectPopsInOrder(q, tasks, popped, next - popped);
  while (next < tasks.size()) {
    ASSERT_EQ(q.push_back(tasks.take(next), inject), PushResult::kPushed);
    ExpectPopsInOrder(q, tasks, next++, 1);
  }
  EXPECT_TRUE(inject.is_empty());
  tasks.expect_each_consumed_once();
}

TYPED_TEST(LocalQueueTest, OverflowMovesHalfPlusTheNewTaskToInjectInOrder) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  constexpr std::size_t kHalf = kCap / 2;
  Q q;
  Inject inject;
  TaskSet tasks(kCap + 1 + kHalf);
  for (std::size_t i = 0; i < kCap; ++i) {
    ASSERT_EQ(q.push_back(tasks.take(i), inject), PushResult::kPushed);
  }
  EXPECT_EQ(q.len(), kCap);
  EXPECT_EQ(q.push_back(tasks.take(kCap), inject), PushResult::kOverflowed);
  EXPECT_EQ(q.len(), kHalf);
  ASSERT_EQ(inject.len(), kHalf + 1);
  // The oldest half, then the new task.
  for (std::size_t i = 0; i < kHalf; ++i) {
    task::Notified t = inject.pop();
    ASSERT_TRUE(t);
    EXPECT_EQ(tasks.index_of(t), i);
    tasks.consume(std::move(t), /*run=*/true);
  }
  task::Notified last = inject.pop();
  ASSERT_TRUE(last);
  EXPECT_EQ(tasks.index_of(last), kCap);
  tasks.consume(std::move(last));
  EXPECT_TRUE(inject.is_empty());
  // The next half fits locally again.
  for (std::size_t i = 0; i < kHalf; ++i) {
    ASSERT_EQ(q.push_back(tasks.take(kCap + 1 + i), inject),
              PushResult::kPushed);
  }
  EXPECT_TRUE(inject.is_empty());
  // The newer half of the first fill, then the later pushes.
  ExpectPopsInOrder(q, tasks, kHalf, kHalf, /*then_empty=*/false);
  ExpectPopsInOrder(q, tasks, kCap + 1, kHalf);
  tasks.expect_each_consumed_once();
}

// Overflow keeps working round after round (the claim CAS moves both halves
// of head; positions keep running).
TYPED_TEST(LocalQueueTest, RepeatedOverflowConservesTasks) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  Q q;
  Inject inject;
  TaskSet tasks(kCap * 10);
  std::size_t overflows = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (q.push_back(tasks.take(i), inject) == PushResult::kOverflowed) {
      ++overflows;
    }
  }
  EXPECT_GT(overflows, 0u);
  EXPECT_EQ(q.len() + inject.len(), tasks.size());
  while (task::Notified t = q.pop()) tasks.consume(std::move(t));
  while (task::Notified t = inject.pop()) tasks.consume(std::move(t));
  tasks.expect_each_consumed_once();
}

TYPED_TEST(LocalQueueTest, StealTakesHalfRoundedUpAndReturnsTheLast) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{2},
                        std::size_t{3}, kCap / 2, kCap - 1, kCap}) {
    if (k > kCap) continue;
    SCOPED_TRACE("src holds " + std::to_string(k));
    Q src;
    Q dst;
    Inject inject;
    TaskSet tasks(k);
    for (std::size_t i = 0; i < k; ++i) {
      ASSERT_EQ(src.push_back(tasks.take(i), inject), PushResult::kPushed);
    }
    const std::size_t n = k - k / 2;
    std::uint32_t taken = 99;
    task::Notified got = src.steal_into(dst, kCap, &taken);
    EXPECT_EQ(taken, n) << "taken counts the returned task too";
    if (n == 0) {
      EXPECT_FALSE(got);
    } else {
      ASSERT_TRUE(got);
      EXPECT_EQ(tasks.index_of(got), n - 1);
      tasks.consume(std::move(got), /*run=*/true);
    }
    EXPECT_EQ(dst.len(), n == 0 ? 0 : n - 1);
    EXPECT_EQ(src.len(), k - n);
    ExpectPopsInOrder(dst, tasks, 0, n == 0 ? 0 : n - 1);
    ExpectPopsInOrder(src, tasks, n, k - n);
    tasks.expect_each_consumed_once();
  }
}

TYPED_TEST(LocalQueueTest, StealRefusesWhenDstIsMoreThanHalfFull) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  constexpr std::size_t kHalf = kCap / 2;
  Q src;
  Q dst;
  Inject inject;
  TaskSet tasks(kCap + kHalf + 1);
  for (std::size_t i = 0; i < kCap; ++i) {
    ASSERT_EQ(src.push_back(tasks.take(i), inject), PushResult::kPushed);
  }
  for (std::size_t i = 0; i <= kHalf; ++i) {
    ASSERT_EQ(dst.push_back(tasks.take(kCap + i), inject), PushResult::kPushed);
  }
  // dst holds half + 1: refused, nothing moves.
  std::uint32_t taken = 99;
  EXPECT_FALSE(src.steal_into(dst, kCap, &taken));
  EXPECT_EQ(taken, 0u);
  EXPECT_EQ(src.len(), kCap);
  EXPECT_EQ(dst.len(), kHalf + 1);
  // dst holds exactly half: allowed; takes half of src (one returned).
  tasks.consume(dst.pop());
  task::Notified got = src.steal_into(dst);
  ASSERT_TRUE(got);
  EXPECT_EQ(tasks.index_of(got), kHalf - 1);
  tasks.consume(std::move(got));
  EXPECT_EQ(dst.len(), kHalf + kHalf - 1);
  EXPECT_EQ(src.len(), kCap - kHalf);
  EXPECT_TRUE(inject.is_empty());
  ExpectPopsInOrder(src, tasks, kHalf, kCap - kHalf);
  ExpectPopsInOrder(dst, tasks, kCap + 1, kHalf, /*then_empty=*/false);
  ExpectPopsInOrder(dst, tasks, 0, kHalf - 1);
  tasks.expect_each_consumed_once();
}

TYPED_TEST(LocalQueueTest, StolenTasksGoToTheBackOfDst) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  if (kCap < 4) GTEST_SKIP() << "needs room for two tasks in dst";
  Q src;
  Q dst;
  Inject inject;
  TaskSet tasks(2 + 4);
  ASSERT_EQ(dst.push_back(tasks.take(0), inject), PushResult::kPushed);
  ASSERT_EQ(dst.push_back(tasks.take(1), inject), PushResult::kPushed);
  for (std::size_t i = 2; i < 6; ++i) {
    ASSERT_EQ(src.push_back(tasks.take(i), inject), PushResult::kPushed);
  }
  task::Notified got = src.steal_into(dst);  // takes 2, 3; returns 3
  ASSERT_TRUE(got);
  EXPECT_EQ(tasks.index_of(got), 3u);
  tasks.consume(std::move(got));
  ExpectPopsInOrder(dst, tasks, 0, 3);
  ExpectPopsInOrder(src, tasks, 4, 2);
  tasks.expect_each_consumed_once();
}

TYPED_TEST(LocalQueueTest, DrainDropsEveryReference) {
  using Q = TypeParam;
  constexpr std::size_t kCap = Q::kCapacity;
  Q q;
  Inject inject;
  TaskSet tasks(kCap);
  for (std::size_t i = 0; i < kCap; ++i) {
    ASSERT_EQ(q.push_back(tasks.take(i), inject), PushResult::kPushed);
    tasks.mark_dropped(i);
  }
  q.drain();
  EXPECT_TRUE(q.is_empty());
  EXPECT_FALSE(q.pop());
  q.drain();                          // idempotent
  tasks.expect_each_consumed_once();  // every cell freed by drain
}

// One owner pushing (in bursts that overflow), popping and re-pushing;
// `thieves` threads each owning a queue, popping it, stealing from any other
// queue into it, re-pushing some; everyone falls back to the Inject queue.
// Every task must come out exactly once.
template <class Q>
struct StealStressResult {
  std::size_t steals = 0;
  std::size_t overflows = 0;
};

template <class Q>
StealStressResult<Q> RunStealStress(int thieves, std::size_t num_tasks,
                                    std::uint64_t seed) {
  constexpr std::size_t kCap = Q::kCapacity;
  TaskSet tasks(num_tasks);
  Inject inject;
  std::vector<std::unique_ptr<Q>> queues;
  for (int i = 0; i <= thieves; ++i) queues.push_back(std::make_unique<Q>());
  std::vector<task::Notified> owner_tasks;
  for (std::size_t i = 0; i < num_tasks; ++i) {
    owner_tasks.push_back(tasks.take(i));
  }
  core::Atomic<std::size_t> steals{0};
  core::Atomic<std::size_t> overflows{0};
  auto done = [&] { return tasks.total() == num_tasks; };

  // Runs, drops or re-queues a task the worker `self` holds.
  auto handle = [&](std::mt19937_64& rng, Q& self, task::Notified t) {
    if (rng() % 4 == 0) {
      if (self.push_back(std::move(t), inject) == PushResult::kOverflowed) {
        overflows.fetch_add(1, std::memory_order_relaxed);
      }
    } else {
      tasks.consume(std::move(t), /*run=*/rng() % 2 == 0);
    }
  };

  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    std::mt19937_64 rng(seed);
    Q& self = *queues[0];
    std::size_t next = 0;
    while (!done()) {
      const std::size_t burst = rng() % (2 * kCap) + 1;
      for (std::size_t j = 0; j < burst && next < owner_tasks.size(); ++j) {
        if (self.push_back(std::move(owner_tasks[next++]), inject) ==
            PushResult::kOverflowed) {
          overflows.fetch_add(1, std::memory_order_relaxed);
        }
      }
      // Leave thieves a window now and then: spin (a thief on the other
      // core races us) or yield (a thief waiting for a core gets it).
      switch (rng() % 4) {
        case 0:
          for (int spin = 0; spin < 200; ++spin) {
            (void)self.len();
          }
          break;
        case 1:
          std::this_thread::yield();
          break;
        default:
          break;
      }
      const std::size_t pops = rng() % (kCap / 2 + 1) + 1;
      for (std::size_t j = 0; j < pops; ++j) {
        task::Notified t = self.pop();
        if (!t) t = inject.pop();
        if (!t) break;
        handle(rng, self, std::move(t));
      }
      if (next == owner_tasks.size() && self.is_empty()) {
        std::this_thread::yield();
      }
    }
  });
  for (int k = 1; k <= thieves; ++k) {
    threads.emplace_back([&, k] {
      std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(k));
      Q& self = *queues[k];
      while (!done()) {
        task::Notified t = self.pop();
        if (!t) {
          std::size_t victim = rng() % static_cast<std::size_t>(thieves);
          if (victim >= static_cast<std::size_t>(k)) ++victim;  // not self
          t = queues[victim]->steal_into(self);
          if (t) steals.fetch_add(1, std::memory_order_relaxed);
        }
        if (!t) t = inject.pop();
        if (!t) {
          std::this_thread::yield();
          continue;
        }
        handle(rng, self, std::move(t));
      }
    });
  }
  for (std::thread& t : threads) t.join();

  for (auto& q : queues) EXPECT_TRUE(q->is_empty());
  EXPECT_TRUE(inject.is_empty());
  tasks.expect_each_consumed_once();
  return {steals.load(std::memory_order_relaxed),
          overflows.load(std::memory_order_relaxed)};
}

TYPED_TEST(LocalQueueTest, ConcurrentOwnerAndThievesConserveEveryTask) {
  using Q = TypeParam;
  const int rounds = ScaledForSanitizers(6, 3);
  const std::size_t num_tasks = ScaledForSanitizers(20000, 6000);
  std::size_t steals = 0;
  std::size_t overflows = 0;
  for (int thieves = 1; thieves <= 3; ++thieves) {
    for (int round = 0; round < rounds; ++round) {
      const std::uint64_t seed =
          static_cast<std::uint64_t>(thieves * 1000 + round);
      const std::string what =
          "steal stress, capacity " + std::to_string(Q::kCapacity) + ", " +
          std::to_string(thieves) + " thieves, seed " + std::to_string(seed);
      SCOPED_TRACE(what);
      Watchdog dog(what, std::chrono::seconds(60));
      const auto result = RunStealStress<Q>(thieves, num_tasks, seed);
      steals += result.steals;
      overflows += result.overflows;
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::printf("capacity %u: %zu steals, %zu overflows\n", Q::kCapacity, steals,
              overflows);
  // The test must have exercised what it is about.
  EXPECT_GT(steals, 0u);
  EXPECT_GT(overflows, 0u);
}

}  // namespace
}  // namespace magpie::scheduler
