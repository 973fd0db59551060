// Tests for the spawned-task harness through LocalExecutor: JoinHandle
// output/exception/abort/detach, reference counting (ASan/LSan free every
// cell), and the lost-wakeup scenarios 1, 2 and 5 of DESIGN.md §6.

#include "runtime/local_executor.h"

#include <atomic>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/poll_fn.h"
#include "runtime/task/lost_task.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/event_future.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::ScaledForSanitizers;
using testing::Watchdog;

using testing::Event;
using testing::EventFuture;

using testing::DropCounter;

// Answers Pending without keeping the waker: lost by definition (the
// executor reports it, lost_task.h), until abort() or shutdown drops it.
struct PendingForever {
  using Output = int;
  DropCounter counter;
  Poll<int> poll(Context&) { return Pending; }
};

// Counts the lost-task reports of `ex` (PendingForever is lost on purpose).
void ExpectLost(LocalExecutor& ex, core::Atomic<int>* reports) {
  ex.on_lost_task([reports](const task::LostTask&) {
    reports->fetch_add(1, std::memory_order_relaxed);
  });
}

TEST(LocalExecutorTest, SpawnAndJoin) {
  LocalExecutor ex;
  auto h = ex.spawn(poll_fn([](Context&) -> Poll<int> { return 41; }));
  auto v = ex.spawn(poll_fn([](Context&) -> Poll<void> { return ready(); }));
  EXPECT_EQ(ex.block_on(std::move(h)), 41);
  ex.block_on(std::move(v));
  EXPECT_EQ(ex.num_tasks(), 0u);
}

TEST(LocalExecutorTest, TasksAreLazyUntilRun) {
  LocalExecutor ex;
  bool ran = false;
  auto h = ex.spawn(poll_fn([&](Context&) -> Poll<int> {
    ran = true;
    return 1;
  }));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(ex.run_until_stalled(), 1u);
  EXPECT_TRUE(ran);
  EXPECT_TRUE(h.is_finished());
}

TEST(LocalExecutorTest, JoinHandleRethrowsTheTasksException) {
  LocalExecutor ex;
  auto h = ex.spawn(poll_fn(
      [](Context&) -> Poll<int> { throw std::runtime_error("task failed"); }));
  ex.run_until_stalled();  // the executor carries on
  EXPECT_THROW(ex.block_on(std::move(h)), std::runtime_error);
  auto ok = ex.spawn(poll_fn([](Context&) -> Poll<int> { return 2; }));
  EXPECT_EQ(ex.block_on(std::move(ok)), 2);
}

TEST(LocalExecutorTest, AbortIdleTaskDropsFutureAndJoinThrowsCancelled) {
  core::Atomic<int> drops{0};
  LocalExecutor ex;
  core::Atomic<int> lost{0};
  ExpectLost(ex, &lost);
  auto h = ex.spawn(PendingForever{DropCounter(&drops)});
  ex.run_until_stalled();  // polled once, now idle
  EXPECT_EQ(drops.load(), 0);
  EXPECT_EQ(lost.load(), 1);
  h.abort();
  ex.run_until_stalled();  // dropped on the executor's thread
  EXPECT_EQ(drops.load(), 1);
  EXPECT_TRUE(h.is_finished());
  EXPECT_THROW(ex.block_on(std::move(h)), TaskCancelled);
}

TEST(LocalExecutorTest, AbortDuringPollCancelsWhenPollEnds) {
  core::Atomic<int> drops{0};
  LocalExecutor ex;
  std::shared_ptr<JoinHandle<int>> self;
  struct SelfAborting {
    using Output = int;
    DropCounter counter;
    std::shared_ptr<JoinHandle<int>>* self;
    Poll<int> poll(Context&) {
      (*self)->abort();  // while RUNNING
      return Pending;
    }
  };
  self = std::make_shared<JoinHandle<int>>(
      ex.spawn(SelfAborting{DropCounter(&drops), &self}));
  ex.run_until_stalled();
  EXPECT_EQ(drops.load(), 1);
  EXPECT_THROW(ex.block_on(std::move(*self)), TaskCancelled);
}

TEST(LocalExecutorTest, DroppedJoinHandleDetachesAndOutputIsDropped) {
  core::Atomic<int> drops{0};
  LocalExecutor ex;
  auto event = make_arc<Event>();
  {
    auto h = ex.spawn(poll_fn([&drops, f = EventFuture{event}](
                                  Context& cx) mutable -> Poll<DropCounter> {
      if (f.poll(cx).is_pending()) return Pending;
      return DropCounter(&drops);
    }));
  }  // detached
  ex.run_until_stalled();
  EXPECT_EQ(ex.num_tasks(), 1u);
  event->set();
  ex.run_until_stalled();
  EXPECT_EQ(ex.num_tasks(), 0u);
  EXPECT_EQ(drops.load(), 1);  // the output nobody joined was dropped
}

TEST(LocalExecutorTest, AwaitingJoinHandleFromAnotherTask) {
  LocalExecutor ex;
  auto event = make_arc<Event>();
  auto inner = std::make_shared<JoinHandle<int>>(ex.spawn(EventFuture{event}));
  auto outer = ex.spawn(poll_fn([inner](Context& cx) -> Poll<int> {
    auto p = inner->poll(cx);
    if (p.is_pending()) return Pending;
    return p.value() * 10;
  }));
  ex.run_until_stalled();
  EXPECT_FALSE(outer.is_finished());
  std::thread setter([&] { event->set(); });
  EXPECT_EQ(ex.block_on(std::move(outer)), 20);  // inner polled twice
  setter.join();
}

TEST(LocalExecutorTest, SpawnAfterShutdownReturnsCancelledHandle) {
  LocalExecutor ex;
  ex.shutdown();
  auto h = ex.spawn(poll_fn([](Context&) -> Poll<int> { return 1; }));
  EXPECT_TRUE(h.is_finished());
  EXPECT_THROW(block_on(std::move(h)), TaskCancelled);
}

TEST(LocalExecutorTest, ShutdownDropsUnfinishedTasksAndWakersStaySafe) {
  constexpr int kTasks = 1000;
  core::Atomic<int> drops{0};
  std::vector<JoinHandle<int>> handles;
  std::vector<Waker> leftover_wakers;
  {
    LocalExecutor ex;
    core::Atomic<int> lost{0};
    ExpectLost(ex, &lost);
    for (int i = 0; i < kTasks; ++i) {
      handles.push_back(ex.spawn(PendingForever{DropCounter(&drops)}));
    }
    // Keep a waker of one task beyond the executor's life.
    auto grab = ex.spawn(poll_fn([&](Context& cx) -> Poll<int> {
      leftover_wakers.push_back(cx.waker());
      return Pending;
    }));
    ex.run_until_stalled();
    // Half were polled: the rest are queued again by a wake.
    for (int i = 0; i < kTasks; i += 2) handles[i].abort();
  }
  EXPECT_EQ(drops.load(), kTasks);
  for (auto& h : handles) {
    EXPECT_TRUE(h.is_finished());
    EXPECT_THROW(block_on(std::move(h)), TaskCancelled);
  }
  leftover_wakers[0].wake_by_ref();  // after shutdown: does nothing
  std::move(leftover_wakers[0]).wake();
}

// DESIGN.md §6 scenario 1: a future polled on thread A (Pending, A's waker
// registered) is moved to thread B and finished there by block_on; the event
// fires; B's waker must be the one woken.
TEST(LostWakeupTest, MigratingFutureIsWokenOnItsNewThread) {
  const int kRounds = ScaledForSanitizers(2000, 300);
  Watchdog dog("migrating future (scenario 1)", seconds(60));
  std::mt19937 rng(1);
  for (int round = 0; round < kRounds; ++round) {
    auto event = make_arc<Event>();
    EventFuture future{event};
    // Thread A: one poll with A's own waker.
    std::thread a([&] {
      auto parker = make_arc<park::Parker>();
      Waker a_waker = waker_from(parker);
      Context cx(a_waker);
      ASSERT_TRUE(future.poll(cx).is_pending());
    });
    a.join();
    const int delay_spins = static_cast<int>(rng() % 2000);
    std::thread firer([&, delay_spins] {
      for (int i = 0; i < delay_spins; ++i) {
        std::atomic_signal_fence(std::memory_order_seq_cst);  // kept loop
      }
      event->set();
    });
    // Thread B: finishes the moved future.
    int polls = 0;
    std::thread b([&, f = std::move(future)]() mutable {
      polls = block_on(std::move(f));
    });
    b.join();
    firer.join();
    EXPECT_GE(polls, 2);
  }
}

// DESIGN.md §6 scenario 2: the event fires from another thread while the
// task is inside poll, after it registered and before it returns Pending.
// The future deliberately does not re-check, so only the executor's
// RUNNING+NOTIFIED handling can save it.
TEST(LostWakeupTest, WakeDuringPollIsNotLost) {
  const int kRounds = ScaledForSanitizers(3000, 300);
  Watchdog dog("wake during poll (scenario 2)", seconds(60));
  LocalExecutor ex;
  for (int round = 0; round < kRounds; ++round) {
    auto event = make_arc<Event>();
    core::Atomic<bool> woken{false};
    std::thread firer;
    auto h = ex.spawn(poll_fn([&](Context& cx) -> Poll<int> {
      if (event->fired.load(std::memory_order_acquire)) return 1;
      event->waker.register_waker(cx.waker());
      if (!firer.joinable()) {
        firer = std::thread([&] {
          event->set();
          woken.store(true, std::memory_order_release);
        });
        // Stay inside poll until the wake has happened.
        while (!woken.load(std::memory_order_acquire))
          std::this_thread::yield();
      }
      return Pending;  // no re-check: the wake landed during this poll
    }));
    EXPECT_EQ(ex.block_on(std::move(h)), 1);
    firer.join();
  }
}

// DESIGN.md §6 scenario 5 against one task: many threads wake it through
// their own clones, before, during and after its completion. It is never
// polled after completing, every wake up to completion is seen, and (under
// ASan/LSan) the cell is freed exactly once.
TEST(LostWakeupTest, CrossThreadWakeFloodOnOneTask) {
  const int kRounds = ScaledForSanitizers(200, 30);
  constexpr int kThreads = 4;
  const int kWakesPerThread = ScaledForSanitizers(2000, 300);
  Watchdog dog("cross-thread wake flood (scenario 5)", seconds(90));
  for (int round = 0; round < kRounds; ++round) {
    LocalExecutor ex;
    core::Atomic<int> total_wakes{0};
    core::Atomic<bool> completed{false};
    core::Atomic<bool> polled_after_complete{false};
    std::vector<Waker> wakers;
    const int target = kThreads * kWakesPerThread / 2;
    auto h = ex.spawn(poll_fn([&](Context& cx) -> Poll<int> {
      if (completed.load(std::memory_order_relaxed)) {
        polled_after_complete.store(true, std::memory_order_relaxed);
      }
      if (wakers.empty()) {
        for (int i = 0; i < kThreads; ++i) wakers.push_back(cx.waker());
        return Pending;
      }
      if (total_wakes.load(std::memory_order_acquire) >= target) {
        completed.store(true, std::memory_order_relaxed);
        return 7;
      }
      return Pending;
    }));
    ex.run_until_stalled();
    ASSERT_EQ(wakers.size(), static_cast<size_t>(kThreads));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, w = std::move(wakers[t]), t]() mutable {
        for (int i = 0; i < kWakesPerThread; ++i) {
          total_wakes.fetch_add(1, std::memory_order_release);
          if ((i + t) % 3 == 0) {
            Waker clone = w;
            std::move(clone).wake();
          } else {
            w.wake_by_ref();
          }
        }
      });
    }
    EXPECT_EQ(ex.block_on(std::move(h)), 7);
    for (auto& t : threads) t.join();
    ex.run_until_stalled();
    EXPECT_FALSE(polled_after_complete.load());
  }
}

}  // namespace
}  // namespace magpie
