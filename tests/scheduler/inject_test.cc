// Tests for Inject: order and count on one thread, push_batch, conservation
// with concurrent producers and consumers, the count never under-reporting
// once pushes are done (the pre-park check of DESIGN.md §3), and close()
// racing with pushers (every task dequeued, drained or dropped by the closed
// push: never lost, never leaked). Items are real task cells (test_tasks.h).

#include "runtime/scheduler/inject.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "tests/scheduler/test_tasks.h"
#include "runtime/testing/watchdog.h"

namespace magpie::scheduler {
namespace {

using magpie::testing::ScaledForSanitizers;
using magpie::testing::Watchdog;
using testing::TaskSet;

TEST(InjectTest, StartsEmptyAndOpen) {
  Inject inject;
  EXPECT_TRUE(inject.is_empty());
  EXPECT_EQ(inject.len(), 0u);
  EXPECT_FALSE(inject.pop());
  EXPECT_FALSE(inject.is_closed());
}

TEST(InjectTest, OneThreadPopsInPushOrder) {
  Inject inject;
  TaskSet tasks(100);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_TRUE(inject.push(tasks.take(i)));
    EXPECT_EQ(inject.len(), i + 1);
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    task::Notified t = inject.pop();
    ASSERT_TRUE(t);
    EXPECT_EQ(tasks.index_of(t), i);
    tasks.consume(std::move(t), /*run=*/i % 2 == 0);
    EXPECT_EQ(inject.len(), tasks.size() - i - 1);
  }
  EXPECT_FALSE(inject.pop());
  tasks.expect_each_consumed_once();
}

TEST(InjectTest, PushBatchKeepsOrderAndCounts) {
  Inject inject;
  TaskSet tasks(40);
  std::vector<task::Header*> batch;
  for (std::size_t i = 0; i < 30; ++i) {
    batch.push_back(std::move(tasks.take(i)).into_raw());
  }
  EXPECT_TRUE(inject.push(tasks.take(30)));
  EXPECT_TRUE(inject.push_batch(batch.data(), batch.size()));
  EXPECT_TRUE(inject.push_batch(batch.data(), 0));
  EXPECT_EQ(inject.len(), 31u);
  std::vector<std::size_t> order;
  while (task::Notified t = inject.pop()) {
    order.push_back(tasks.consume(std::move(t)));
  }
  ASSERT_EQ(order.size(), 31u);
  EXPECT_EQ(order[0], 30u);
  for (std::size_t i = 0; i < 30; ++i) EXPECT_EQ(order[i + 1], i);
  for (std::size_t i = 31; i < 40; ++i) tasks.consume(tasks.take(i));
  tasks.expect_each_consumed_once();
}

TEST(InjectTest, PopBatchTakesUpToMaxInPushOrder) {
  Inject inject;
  TaskSet tasks(50);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_TRUE(inject.push(tasks.take(i)));
  }
  std::vector<task::Header*> out(64, nullptr);
  EXPECT_EQ(inject.pop_batch(out.data(), 0), 0u);
  EXPECT_EQ(inject.len(), 50u);
  std::vector<std::size_t> order;
  std::size_t n = inject.pop_batch(out.data(), 20);
  ASSERT_EQ(n, 20u);
  EXPECT_EQ(inject.len(), 30u);
  for (std::size_t i = 0; i < n; ++i) {
    order.push_back(tasks.consume(task::Notified::from_raw(out[i])));
  }
  n = inject.pop_batch(out.data(), out.size());
  ASSERT_EQ(n, 30u);
  EXPECT_EQ(inject.len(), 0u);
  for (std::size_t i = 0; i < n; ++i) {
    order.push_back(tasks.consume(task::Notified::from_raw(out[i]),
                                  /*run=*/i % 2 == 0));
  }
  EXPECT_EQ(inject.pop_batch(out.data(), out.size()), 0u);
  ASSERT_EQ(order.size(), 50u);
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
  tasks.expect_each_consumed_once();
}

TEST(InjectTest, CloseDropsLaterPushesAndDrainEmpties) {
  Inject inject;
  TaskSet tasks(10);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(inject.push(tasks.take(i)));
    tasks.mark_dropped(i);  // drained below
  }
  inject.close();
  EXPECT_TRUE(inject.is_closed());
  inject.close();  // idempotent
  EXPECT_FALSE(inject.push(tasks.take(5)));
  tasks.mark_dropped(5);
  std::vector<task::Header*> batch;
  for (std::size_t i = 6; i < 10; ++i) {
    batch.push_back(std::move(tasks.take(i)).into_raw());
    tasks.mark_dropped(i);
  }
  EXPECT_FALSE(inject.push_batch(batch.data(), batch.size()));
  EXPECT_EQ(inject.len(), 5u);
  inject.drain();
  EXPECT_TRUE(inject.is_empty());
  EXPECT_FALSE(inject.pop());
  tasks.expect_each_consumed_once();  // every cell freed
}

// Pushes tasks [first, last) of `tasks`, alternating single pushes and
// batches of up to 8.
void PushRange(Inject& inject, TaskSet& tasks, std::size_t first,
               std::size_t last, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<task::Header*> batch;
  std::size_t i = first;
  while (i < last) {
    if (rng() % 2 == 0) {
      EXPECT_TRUE(inject.push(tasks.take(i++)));
      continue;
    }
    batch.clear();
    const std::size_t n = rng() % 8 + 1;
    for (std::size_t j = 0; j < n && i < last; ++j) {
      batch.push_back(std::move(tasks.take(i++)).into_raw());
    }
    EXPECT_TRUE(inject.push_batch(batch.data(), batch.size()));
  }
}

// Producers push everything; consumers pop until producers are done AND
// len() says 0 — the decision a worker makes before it parks. If len() ever
// under-counted once pushes were over, a consumer would leave tasks behind.
TEST(InjectTest, ConcurrentProducersAndConsumersConserveTasks) {
  const int rounds = ScaledForSanitizers(10, 3);
  const std::size_t num_tasks = ScaledForSanitizers(40000, 4000);
  for (int round = 0; round < rounds; ++round) {
    for (int producers = 1; producers <= 3; ++producers) {
      for (int consumers = 1; consumers <= 3; consumers += 2) {
        const std::string what = "inject conservation, round " +
                                 std::to_string(round) + ", " +
                                 std::to_string(producers) + " producers, " +
                                 std::to_string(consumers) + " consumers";
        SCOPED_TRACE(what);
        Watchdog dog(what, std::chrono::seconds(60));
        Inject inject;
        TaskSet tasks(num_tasks);
        core::Atomic<bool> producers_done{false};
        std::vector<std::thread> consumer_threads;
        for (int c = 0; c < consumers; ++c) {
          consumer_threads.emplace_back([&, c] {
            // With three consumers, the middle one takes batches (as a
            // worker whose queue ran dry does) beside two single pops.
            std::vector<task::Header*> batch(c == 1 ? 16 : 0);
            while (true) {
              if (c == 1) {
                const std::size_t n =
                    inject.pop_batch(batch.data(), batch.size());
                for (std::size_t i = 0; i < n; ++i) {
                  tasks.consume(task::Notified::from_raw(batch[i]));
                }
                if (n > 0) continue;
              } else if (task::Notified t = inject.pop()) {
                tasks.consume(std::move(t), /*run=*/c % 2 == 0);
                continue;
              }
              // ORDERING: acquire pairs with the release store below, so
              // every push has completed when we read len().
              if (producers_done.load(std::memory_order_acquire) &&
                  inject.len() == 0) {
                return;
              }
              std::this_thread::yield();
            }
          });
        }
        std::vector<std::thread> producer_threads;
        for (int p = 0; p < producers; ++p) {
          const std::size_t first = num_tasks * p / producers;
          const std::size_t last = num_tasks * (p + 1) / producers;
          producer_threads.emplace_back([&, first, last, p] {
            PushRange(inject, tasks, first, last,
                      static_cast<std::uint64_t>(round * 10 + p));
          });
        }
        for (std::thread& t : producer_threads) t.join();
        producers_done.store(true, std::memory_order_release);
        for (std::thread& t : consumer_threads) t.join();
        EXPECT_EQ(tasks.total(), num_tasks) << "a consumer parked on a "
                                               "non-empty queue";
        EXPECT_TRUE(inject.is_empty());
        tasks.expect_each_consumed_once();
        if (HasFailure()) return;
      }
    }
  }
}

// Many more pushing threads than producer stripes (inject rule 5): every
// stripe is shared and some pushers wait for a lock. Still every task comes
// out exactly once, and once they are done len() is exact.
TEST(InjectTest, ManyPusherThreadsConserveTasks) {
  const int rounds = ScaledForSanitizers(4, 2);
  const std::size_t num_pushers = ScaledForSanitizers(64, 16);
  const std::size_t num_tasks = ScaledForSanitizers(32000, 4000);
  for (int round = 0; round < rounds; ++round) {
    const std::string what =
        "inject many pushers, round " + std::to_string(round);
    SCOPED_TRACE(what);
    Watchdog dog(what, std::chrono::seconds(60));
    Inject inject;
    TaskSet tasks(num_tasks);
    core::Atomic<bool> pushers_done{false};
    std::vector<std::thread> consumers;
    for (int c = 0; c < 2; ++c) {
      consumers.emplace_back([&, c] {
        while (true) {
          if (task::Notified t = inject.pop()) {
            tasks.consume(std::move(t), /*run=*/c == 0);
            continue;
          }
          // ORDERING: acquire pairs with the release store below.
          if (pushers_done.load(std::memory_order_acquire) &&
              inject.len() == 0) {
            return;
          }
          std::this_thread::yield();
        }
      });
    }
    std::vector<std::thread> pushers;
    for (std::size_t p = 0; p < num_pushers; ++p) {
      const std::size_t first = num_tasks * p / num_pushers;
      const std::size_t last = num_tasks * (p + 1) / num_pushers;
      pushers.emplace_back([&, first, last, p] {
        PushRange(inject, tasks, first, last,
                  static_cast<std::uint64_t>(round * 1000 + p));
      });
    }
    for (std::thread& t : pushers) t.join();
    pushers_done.store(true, std::memory_order_release);
    for (std::thread& t : consumers) t.join();
    EXPECT_EQ(tasks.total(), num_tasks);
    EXPECT_TRUE(inject.is_empty());
    tasks.expect_each_consumed_once();
    if (HasFailure()) return;
  }
}

// Once concurrent pushes are over, len() is exact and a lone consumer that
// sees len() > 0 gets a task from pop() every time (rule 1's retries cover
// moodycamel's non-linearizable dequeue).
TEST(InjectTest, QuiescentLenIsExactAndEveryPopSucceeds) {
  const int rounds = ScaledForSanitizers(20, 4);
  const std::size_t num_tasks = ScaledForSanitizers(20000, 3000);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Watchdog dog("inject quiescent len", std::chrono::seconds(60));
    Inject inject;
    TaskSet tasks(num_tasks);
    std::vector<std::thread> producers;
    constexpr int kProducers = 3;
    for (int p = 0; p < kProducers; ++p) {
      const std::size_t first = num_tasks * p / kProducers;
      const std::size_t last = num_tasks * (p + 1) / kProducers;
      producers.emplace_back([&, first, last, p] {
        PushRange(inject, tasks, first, last,
                  static_cast<std::uint64_t>(round * 10 + p));
      });
    }
    for (std::thread& t : producers) t.join();
    ASSERT_EQ(inject.len(), num_tasks);
    while (inject.len() > 0) {
      task::Notified t = inject.pop();
      ASSERT_TRUE(t) << "pop failed with len() = " << inject.len();
      tasks.consume(std::move(t));
    }
    EXPECT_FALSE(inject.pop());
    tasks.expect_each_consumed_once();
  }
}

// close() races with pushers and a consumer. Every push that returned true
// is dequeued by the consumer or by drain(); every push that returned false
// dropped its task; a push that started after close() returned fails. In the
// end every cell is freed exactly once (the destroyed count and LSan) and no
// task was dequeued twice.
//
// Both sides of the race are reached by construction, not by luck of
// timing (under a loaded machine the pushers used to finish before close()
// in every round): each pusher pushes half its tasks, waits until close()
// is about to start, pushes the rest of its tasks but one while close()
// runs (the race), and pushes its last task only once close() returned, so
// that push must be refused.
TEST(InjectTest, CloseRacingWithPushersLosesAndLeaksNothing) {
  const int rounds = ScaledForSanitizers(40, 8);
  const std::size_t per_pusher = ScaledForSanitizers(5000, 800);
  constexpr int kPushers = 3;
  std::size_t total_dropped = 0;
  std::size_t total_drained = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string what =
        "inject close race, round " + std::to_string(round);
    SCOPED_TRACE(what);
    Watchdog dog(what, std::chrono::seconds(60));
    const std::size_t num_tasks = per_pusher * kPushers + 1;
    Inject inject;
    TaskSet tasks(num_tasks);
    core::Atomic<bool> close_returned{false};
    core::Atomic<bool> stop_consumer{false};
    core::Atomic<std::size_t> pushed{0};
    core::Atomic<std::size_t> dropped{0};
    core::Atomic<std::size_t> late_successes{0};
    core::Atomic<int> at_hold_point{0};
    core::Atomic<bool> closing{false};

    std::thread consumer([&] {
      // ORDERING: acquire pairs with the release store of stop_consumer.
      while (!stop_consumer.load(std::memory_order_acquire)) {
        if (task::Notified t = inject.pop()) {
          tasks.consume(std::move(t), /*run=*/true);
        } else {
          std::this_thread::yield();
        }
      }
    });
    std::vector<std::thread> pushers;
    for (int p = 0; p < kPushers; ++p) {
      pushers.emplace_back([&, p] {
        std::mt19937_64 rng(static_cast<std::uint64_t>(round * 10 + p));
        const std::size_t first = per_pusher * p;
        const std::size_t hold = first + per_pusher / 2;
        const std::size_t last = first + per_pusher - 1;
        for (std::size_t i = first; i < first + per_pusher;) {
          if (i == hold) {
            // ORDERING: seq_cst; the closer waits for every pusher here.
            at_hold_point.fetch_add(1, std::memory_order_seq_cst);
            while (!closing.load(std::memory_order_seq_cst)) {
              std::this_thread::yield();
            }
          }
          if (i == last) {
            while (!close_returned.load(std::memory_order_seq_cst)) {
              std::this_thread::yield();
            }
          }
          // ORDERING: seq_cst, read before the push: if close() had
          // returned, the push must fail (inject rule 3).
          const bool after_close =
              close_returned.load(std::memory_order_seq_cst);
          std::vector<std::size_t> indices;
          std::vector<task::Header*> batch;
          // A batch never crosses the hold point or the last task.
          const std::size_t stop = i < hold ? hold : (i < last ? last : i + 1);
          const std::size_t n =
              std::min<std::size_t>(rng() % 4 + 1, stop - i);
          bool ok;
          if (n == 1) {
            indices.push_back(i);
            ok = inject.push(tasks.take(i++));
          } else {
            for (std::size_t j = 0; j < n; ++j) {
              indices.push_back(i);
              batch.push_back(std::move(tasks.take(i++)).into_raw());
            }
            ok = inject.push_batch(batch.data(), batch.size());
          }
          if (ok) {
            pushed.fetch_add(n, std::memory_order_relaxed);
            if (after_close) {
              late_successes.fetch_add(1, std::memory_order_relaxed);
            }
          } else {
            for (std::size_t index : indices) tasks.mark_dropped(index);
            dropped.fetch_add(n, std::memory_order_relaxed);
          }
        }
      });
    }
    // Close while the pushers push their second halves.
    while (at_hold_point.load(std::memory_order_seq_cst) < kPushers) {
      std::this_thread::yield();
    }
    closing.store(true, std::memory_order_seq_cst);
    inject.close();
    close_returned.store(true, std::memory_order_seq_cst);
    EXPECT_FALSE(inject.push(tasks.take(num_tasks - 1)));
    tasks.mark_dropped(num_tasks - 1);
    for (std::thread& t : pushers) t.join();
    stop_consumer.store(true, std::memory_order_release);
    consumer.join();

    EXPECT_EQ(late_successes.load(), 0u) << "a push after close() succeeded";
    // Everything still queued goes now; nothing can arrive any more.
    const std::size_t queued = inject.len();
    EXPECT_EQ(tasks.total() + queued, num_tasks)
        << "a successful push is neither dequeued nor counted";
    inject.drain();
    EXPECT_TRUE(inject.is_empty());
    // Each task came out (or was dropped) at most once, and every cell was
    // freed exactly once: consumed, drained or dropped by a closed push.
    tasks.expect_none_consumed_twice();
    EXPECT_EQ(tasks.destroyed(), static_cast<std::int64_t>(num_tasks));
    total_dropped += dropped.load();
    total_drained += queued;
    if (HasFailure()) return;
  }
  // The refused side was reached in every round (each pusher's last push).
  EXPECT_GE(total_dropped, static_cast<std::size_t>(rounds * kPushers));
  std::printf("close race: %zu tasks dropped by closed pushes, %zu drained\n",
              total_dropped, total_drained);
}

}  // namespace
}  // namespace magpie::scheduler
