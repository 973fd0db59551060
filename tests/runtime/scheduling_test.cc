// Scheduling properties of the Runtime: the coop budget and the LIFO cap keep
// one task (or two waking each other) from starving the rest; an idle
// runtime burns no CPU and still picks up a burst after a gap; a flooded
// worker gets its tasks stolen.

#include <sys/resource.h>

#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll_fn.h"
#include "runtime/core/sanitizers.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

std::chrono::microseconds ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto tv = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) +
           std::chrono::microseconds(t.tv_usec);
  };
  return tv(usage.ru_utime) + tv(usage.ru_stime);
}

// A leaf that is always Ready but spends coop budget, like a channel that
// always has a message.
struct AlwaysReady {
  using Output = void;
  Poll<void> poll(Context& cx) {
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    coop->made_progress();
    return ready();
  }
};

TEST(SchedulingTest, CoopBudgetStopsABusyTaskFromStarvingOthers) {
  Watchdog dog("coop budget fairness", seconds(30));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  core::Atomic<bool> stop{false};
  core::Atomic<long> hog_iterations{0};
  auto hog = rt.spawn(
      [](core::Atomic<bool>* stop, core::Atomic<long>* n) -> Task<void> {
        // Never Pending on its own: without a budget it would hold the worker.
        AlwaysReady leaf;
        while (!stop->load(std::memory_order_acquire)) {
          co_await leaf;
          n->fetch_add(1, std::memory_order_relaxed);
        }
      }(&stop, &hog_iterations));
  auto other = rt.spawn(poll_fn([&](Context&) -> Poll<void> {
    stop.store(true, std::memory_order_release);
    return ready();
  }));
  rt.block_on(std::move(other));
  rt.block_on(std::move(hog));
  EXPECT_GE(hog_iterations.load(), 1);
}

TEST(SchedulingTest, LifoCapStopsTwoTasksWakingEachOtherFromStarvingTheQueue) {
  Watchdog dog("LIFO cap fairness", seconds(30));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  core::Atomic<bool> stop{false};
  struct PingPong {
    Waker partner;  // set once both exist
  };
  auto a_state = std::make_shared<PingPong>();
  auto b_state = std::make_shared<PingPong>();
  auto make = [&](std::shared_ptr<PingPong> self,
                  std::shared_ptr<PingPong> other) {
    return poll_fn([&stop, self, other](Context& cx) -> Poll<void> {
      if (stop.load(std::memory_order_acquire)) return ready();
      self->partner = cx.waker();
      // Wake the partner from inside our poll: it goes to the LIFO slot,
      // and it wakes us back. Without the cap these two would run forever.
      if (!other->partner.is_empty()) other->partner.wake_by_ref();
      return Pending;
    });
  };
  // Spawned from inside a task, so they run on the worker's own queues.
  auto starter = rt.spawn(poll_fn([&](Context&) -> Poll<void> {
    auto a = spawn(make(a_state, b_state));
    auto b = spawn(make(b_state, a_state));
    auto victim = spawn(poll_fn([&](Context&) -> Poll<void> {
      stop.store(true, std::memory_order_release);
      return ready();
    }));
    (void)a;
    (void)b;
    (void)victim;
    return ready();
  }));
  rt.block_on(std::move(starter));
  while (!stop.load(std::memory_order_acquire)) std::this_thread::yield();
  EXPECT_GT(rt.metrics().workers[0].lifo_hits, 0u);
  rt.shutdown();
  a_state->partner = Waker();
  b_state->partner = Waker();
}

TEST(SchedulingTest, IdleRuntimeBurnsNoCpuAndPicksUpABurstAfterAGap) {
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  // Some work first, so every worker has run and then gone idle.
  for (int i = 0; i < 100; ++i) {
    rt.block_on(rt.spawn(poll_fn([](Context&) -> Poll<int> { return 1; })));
  }
  std::this_thread::sleep_for(milliseconds(50));
  const auto cpu_before = ProcessCpuTime();
  const auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(seconds(1));
  const auto cpu_used = ProcessCpuTime() - cpu_before;
  const auto wall = std::chrono::steady_clock::now() - wall_before;
  // Under 2% of one core (sanitizer runtimes have background threads of
  // their own, so they get more room).
  constexpr double kMaxShare = core::kUnderSanitizer ? 0.10 : 0.02;
  EXPECT_LT(std::chrono::duration<double>(cpu_used).count(),
            kMaxShare * std::chrono::duration<double>(wall).count())
      << "idle runtime used " << cpu_used.count() << " us of CPU";

  // A burst after the gap is picked up (a liveness bound, not a speed
  // target: a lost unpark would never finish).
  Watchdog dog("burst after idle gap", seconds(10));
  std::vector<JoinHandle<int>> burst;
  for (int i = 0; i < 64; ++i) {
    burst.push_back(rt.spawn(poll_fn([](Context&) -> Poll<int> { return 2; })));
  }
  for (auto& h : burst) EXPECT_EQ(rt.block_on(std::move(h)), 2);
}

TEST(SchedulingTest, FloodedWorkerGetsItsTasksStolen) {
  Watchdog dog("stealing", seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  constexpr int kTasks = 10000;
  constexpr int kBatch = 128;  // fits a local queue: no overflow to inject
  auto flood = rt.spawn([]() -> Task<long> {
    long sum = 0;
    for (int first = 0; first < kTasks; first += kBatch) {
      std::vector<JoinHandle<long>> children;
      for (int i = first; i < first + kBatch && i < kTasks; ++i) {
        // Spawned from one worker: they sit in its local queue, and the
        // idle workers it notifies must steal them.
        children.push_back(spawn(poll_fn([i](Context&) -> Poll<long> {
          for (int spin = 0; spin < 20000; ++spin) {
            asm volatile("" ::: "memory");
          }
          return i;
        })));
      }
      for (auto& child : children) sum += co_await child;
    }
    co_return sum;
  }());
  EXPECT_EQ(rt.block_on(std::move(flood)), long{kTasks} * (kTasks - 1) / 2);
  RuntimeMetrics m = rt.metrics();
  std::uint64_t steals = 0;
  std::uint64_t stolen = 0;
  int workers_that_polled = 0;
  for (const auto& w : m.workers) {
    steals += w.steals;
    stolen += w.tasks_stolen;
    if (w.polls > 0) ++workers_that_polled;
  }
  EXPECT_GT(steals, 0u);
  EXPECT_GE(stolen, steals);
  EXPECT_GE(workers_that_polled, 2);
}

}  // namespace
}  // namespace magpie
