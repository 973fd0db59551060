// Tests for magpie::Runtime: spawning from inside and outside, block_on,
// Handle and the free functions, errors (spawn after shutdown, outside a
// runtime, a throwing task), shutdown freeing every task, spawn_blocking,
// Builder hooks and metrics.

#include "runtime/runtime.h"

#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll_fn.h"
#include "runtime/sync/oneshot.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

Runtime MakeRuntime(std::size_t workers) {
  return Runtime::Builder().worker_threads(workers).build();
}

using testing::DropCounter;

TEST(RuntimeTest, SpawnFromOutsideAndBlockOn) {
  Watchdog dog("spawn and block_on", seconds(30));
  Runtime rt = MakeRuntime(2);
  auto h = rt.spawn(poll_fn([](Context&) -> Poll<int> { return 42; }));
  EXPECT_EQ(rt.block_on(std::move(h)), 42);
  EXPECT_EQ(rt.num_workers(), 2u);
}

TEST(RuntimeTest, DefaultRuntimeUsesCoreCount) {
  Runtime rt;
  EXPECT_EQ(rt.num_workers(),
            std::max(1u, std::thread::hardware_concurrency()));
}

TEST(RuntimeTest, TasksSpawnTasksThroughTheFreeFunction) {
  Watchdog dog("nested spawn", seconds(30));
  Runtime rt = MakeRuntime(2);
  constexpr int kChildren = 1000;
  core::Atomic<int> done{0};
  auto parent = rt.spawn(poll_fn([&, children = std::vector<JoinHandle<int>>(),
                                  next = std::size_t{0},
                                  sum = 0](Context& cx) mutable -> Poll<int> {
    if (children.empty()) {
      for (int i = 0; i < kChildren; ++i) {
        children.push_back(spawn(poll_fn([&, i](Context&) -> Poll<int> {
          done.fetch_add(1, std::memory_order_relaxed);
          return i;
        })));
      }
    }
    // Each child is polled until Ready exactly once, its value kept.
    while (next < children.size()) {
      Poll<int> p = children[next].poll(cx);
      if (p.is_pending()) return Pending;
      sum += p.value();
      ++next;
    }
    return sum;
  }));
  EXPECT_EQ(rt.block_on(std::move(parent)), kChildren * (kChildren - 1) / 2);
  EXPECT_EQ(done.load(), kChildren);
}

TEST(RuntimeTest, HandleCurrentInsideTasksAndEnter) {
  Runtime rt = MakeRuntime(2);
  EXPECT_FALSE(Handle::try_current().has_value());
  EXPECT_THROW(Handle::current(), NoCurrentRuntime);
  EXPECT_THROW(spawn(poll_fn([](Context&) -> Poll<int> { return 1; })),
               NoCurrentRuntime);
  auto same = rt.spawn(poll_fn([&](Context&) -> Poll<bool> {
    return Handle::current() == rt.handle();
  }));
  EXPECT_TRUE(rt.block_on(std::move(same)));
  {
    auto guard = rt.handle().enter();
    EXPECT_TRUE(Handle::current() == rt.handle());
    auto h = spawn(poll_fn([](Context&) -> Poll<int> { return 3; }));
    EXPECT_EQ(block_on(std::move(h)), 3);
  }
  EXPECT_FALSE(Handle::try_current().has_value());
}

TEST(RuntimeTest, HandleWorksFromOtherThreads) {
  Runtime rt = MakeRuntime(2);
  Handle handle = rt.handle();
  std::vector<std::thread> threads;
  core::Atomic<int> sum{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, handle, t] {
      for (int i = 0; i < 100; ++i) {
        auto h =
            handle.spawn(poll_fn([=](Context&) -> Poll<int> { return t; }));
        sum.fetch_add(block_on(std::move(h)), std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sum.load(), 100 * (0 + 1 + 2 + 3));
}

TEST(RuntimeTest, ThrowingTaskDoesNotKillItsWorker) {
  Runtime rt = MakeRuntime(1);
  auto bad = rt.spawn(poll_fn(
      [](Context&) -> Poll<int> { throw std::runtime_error("task threw"); }));
  try {
    rt.block_on(std::move(bad));
    FAIL() << "expected the task's exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "task threw");
  }
  // The one worker is still alive and serving.
  for (int i = 0; i < 10; ++i) {
    auto good = rt.spawn(poll_fn([=](Context&) -> Poll<int> { return i; }));
    EXPECT_EQ(rt.block_on(std::move(good)), i);
  }
}

TEST(RuntimeTest, SpawnAfterShutdownReturnsCancelledHandleAndHandleSurvives) {
  Runtime rt = MakeRuntime(2);
  Handle handle = rt.handle();
  rt.shutdown();
  rt.shutdown();  // idempotent
  auto a = rt.spawn(poll_fn([](Context&) -> Poll<int> { return 1; }));
  auto b = handle.spawn(poll_fn([](Context&) -> Poll<int> { return 1; }));
  auto c = handle.spawn_blocking([] { return 1; });
  EXPECT_TRUE(a.is_finished());
  EXPECT_THROW(block_on(std::move(a)), TaskCancelled);
  EXPECT_THROW(block_on(std::move(b)), TaskCancelled);
  EXPECT_THROW(block_on(std::move(c)), TaskCancelled);
}

TEST(RuntimeTest, BlockOnAndShutdownFromAWorkerAreErrors) {
  Runtime rt = MakeRuntime(1);
  auto h = rt.spawn(poll_fn([&](Context&) -> Poll<int> {
    int errors = 0;
    try {
      rt.block_on(poll_fn([](Context&) -> Poll<int> { return 1; }));
    } catch (const std::logic_error&) {
      ++errors;
    }
    try {
      rt.shutdown();
    } catch (const std::logic_error&) {
      ++errors;
    }
    return errors;
  }));
  EXPECT_EQ(rt.block_on(std::move(h)), 2);
}

TEST(RuntimeTest, DroppingRuntimeWithThousandsOfPendingTasksFreesThemAll) {
  constexpr int kTasks = 5000;
  core::Atomic<int> drops{0};
  std::vector<JoinHandle<int>> handles;
  std::vector<oneshot::Sender<int>> senders;  // never sent: tasks stay pending
  {
    Runtime rt = MakeRuntime(2);
    for (int i = 0; i < kTasks; ++i) {
      auto [tx, rx] = oneshot::channel<int>();
      senders.push_back(std::move(tx));
      handles.push_back(
          rt.spawn(poll_fn([counter = DropCounter(&drops), rx = std::move(rx)](
                               Context& cx) mutable -> Poll<int> {
            auto p = rx.poll(cx);
            if (p.is_pending()) return Pending;
            return p.value().value_or(-1);
          })));
    }
    // Half are detached; the rest keep their handles.
    handles.erase(handles.begin() + kTasks / 2, handles.end());
  }
  EXPECT_EQ(drops.load(), kTasks);
  for (auto& h : handles) {
    EXPECT_TRUE(h.is_finished());
    EXPECT_THROW(block_on(std::move(h)), TaskCancelled);
  }
  senders.clear();  // waking completed tasks after shutdown: nothing happens
}

TEST(RuntimeTest, AbortCancelsOnARuntimeThread) {
  Runtime rt = MakeRuntime(2);
  core::Atomic<int> drops{0};
  auto [tx, rx] = oneshot::channel<int>();
  auto h = rt.spawn(poll_fn([counter = DropCounter(&drops), rx = std::move(rx)](
                                Context& cx) mutable -> Poll<int> {
    auto p = rx.poll(cx);
    if (p.is_pending()) return Pending;
    return 1;
  }));
  h.abort();
  EXPECT_THROW(rt.block_on(std::move(h)), TaskCancelled);
  EXPECT_EQ(drops.load(), 1);
}

TEST(RuntimeTest, SpawnBlockingRunsOffTheWorkers) {
  Watchdog dog("spawn_blocking", seconds(30));
  Runtime rt = MakeRuntime(1);
  auto worker_id =
      rt.block_on(rt.spawn(poll_fn([](Context&) -> Poll<std::thread::id> {
        return std::this_thread::get_id();
      })));
  auto blocking_id = rt.block_on(rt.spawn_blocking([] {
    std::this_thread::sleep_for(milliseconds(5));
    return std::this_thread::get_id();
  }));
  EXPECT_NE(worker_id, blocking_id);
  // A blocking job that throws reports through its JoinHandle.
  auto bad = rt.spawn_blocking([]() -> int { throw std::runtime_error("io"); });
  EXPECT_THROW(rt.block_on(std::move(bad)), std::runtime_error);
  // From inside a task, via the free function; the worker is not blocked.
  auto nested = rt.spawn(poll_fn(
      [h = std::optional<JoinHandle<int>>()](Context& cx) mutable -> Poll<int> {
        if (!h) h.emplace(spawn_blocking([] { return 9; }));
        return h->poll(cx);
      }));
  EXPECT_EQ(rt.block_on(std::move(nested)), 9);
}

TEST(RuntimeTest, BlockingPoolRespectsItsCap) {
  Watchdog dog("blocking cap", seconds(30));
  Runtime rt =
      Runtime::Builder().worker_threads(1).max_blocking_threads(2).build();
  core::Atomic<int> running{0};
  core::Atomic<int> max_running{0};
  std::vector<JoinHandle<void>> jobs;
  for (int i = 0; i < 8; ++i) {
    jobs.push_back(rt.spawn_blocking([&] {
      int now = running.fetch_add(1, std::memory_order_acq_rel) + 1;
      int seen = max_running.load(std::memory_order_relaxed);
      while (now > seen && !max_running.compare_exchange_weak(
                               seen, now, std::memory_order_relaxed)) {
      }
      std::this_thread::sleep_for(milliseconds(10));
      running.fetch_sub(1, std::memory_order_acq_rel);
    }));
  }
  for (auto& job : jobs) rt.block_on(std::move(job));
  EXPECT_LE(max_running.load(), 2);
  EXPECT_GE(max_running.load(), 1);
  EXPECT_LE(rt.metrics().blocking_threads, 2u);
}

TEST(RuntimeTest, ShutdownTimeoutGivesUpOnSlowBlockingJobs) {
  Runtime rt = MakeRuntime(1);
  core::Atomic<bool> release{false};
  core::Atomic<bool> started{false};
  auto slow = rt.spawn_blocking([&] {
    started.store(true, std::memory_order_release);
    while (!release.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  // Wait until it runs: a job that never started would just be cancelled.
  while (!started.load(std::memory_order_acquire)) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(rt.shutdown_timeout(milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
  release.store(true, std::memory_order_release);
  block_on(std::move(slow));  // it still finishes on its own
}

TEST(RuntimeTest, ThreadHooksAndNames) {
  core::Atomic<int> started{0};
  core::Atomic<int> stopped{0};
  {
    Runtime rt = Runtime::Builder()
                     .worker_threads(3)
                     .thread_name("hooked")
                     .on_thread_start([&] { started.fetch_add(1); })
                     .on_thread_stop([&] { stopped.fetch_add(1); })
                     .build();
    auto name = rt.block_on(rt.spawn(poll_fn([](Context&) -> Poll<std::string> {
      char buf[16] = {};
      pthread_getname_np(pthread_self(), buf, sizeof(buf));
      return std::string(buf);
    })));
    EXPECT_EQ(name.rfind("hooked-", 0), 0u) << name;
  }
  EXPECT_EQ(started.load(), 3);
  EXPECT_EQ(stopped.load(), 3);
}

TEST(RuntimeTest, YieldNowLetsOthersRun) {
  Runtime rt = MakeRuntime(1);
  std::vector<int> order;
  core::Mutex mu;
  auto record = [&](int v) {
    core::MutexLock lock(&mu);
    order.push_back(v);
  };
  auto gate = rt.spawn(poll_fn(
      [&, y = YieldNow(), started = false](Context& cx) mutable -> Poll<void> {
        if (!started) {
          started = true;
          record(1);
          // A second task queued behind us must run before we resume.
          auto other = spawn(poll_fn([&](Context&) -> Poll<void> {
            record(2);
            return ready();
          }));
          (void)other;
        }
        if (y.poll(cx).is_pending()) return Pending;
        record(3);
        return ready();
      }));
  rt.block_on(std::move(gate));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(RuntimeTest, DumpTasksNamesLiveTasksAndWhichAreIdle) {
  Runtime rt = MakeRuntime(2);
  EXPECT_TRUE(rt.handle().dump_tasks().empty());
  EXPECT_EQ(describe_tasks({}), "(no live tasks)");
  auto [tx, rx] = oneshot::channel<int>();
  const int spawn_line = __LINE__ + 2;
  auto waiting =
      rt.spawn(poll_fn([rx = std::move(rx)](Context& cx) mutable -> Poll<int> {
        auto p = rx.poll(cx);
        if (p.is_pending()) return Pending;
        return p.value().value_or(-1);
      }));
  // Wait until its first poll has parked it (idle: waiting for a wake).
  std::vector<TaskDump> dump;
  for (int i = 0; i < 10000; ++i) {
    dump = rt.handle().dump_tasks();
    if (dump.size() == 1 && dump[0].is_idle()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(dump[0].id, waiting.id());
  EXPECT_TRUE(dump[0].is_idle());
  EXPECT_TRUE(dump[0].join_interested);
  EXPECT_GE(dump[0].references, 2u);  // the list's and the JoinHandle's
  ASSERT_NE(dump[0].spawn_file, nullptr);
  EXPECT_NE(std::string(dump[0].spawn_file).find("runtime_test.cc"),
            std::string::npos);
  EXPECT_EQ(dump[0].spawn_line, static_cast<std::uint32_t>(spawn_line));
  EXPECT_NE(
      dump[0].to_string().find("spawned at " + std::string(dump[0].spawn_file) +
                               ":" + std::to_string(spawn_line)),
      std::string::npos)
      << dump[0].to_string();
  EXPECT_NE(describe_tasks(dump).find("task " + std::to_string(waiting.id()) +
                                      ": idle"),
            std::string::npos);
  (void)std::move(tx).send(4);
  EXPECT_EQ(rt.block_on(std::move(waiting)), 4);
  // The JoinHandle sees COMPLETE just before the worker takes the task off
  // the list: until then it shows as complete; then it leaves.
  for (const TaskDump& t : rt.handle().dump_tasks()) EXPECT_TRUE(t.complete);
  for (int i = 0; i < 10000 && !rt.handle().dump_tasks().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  EXPECT_TRUE(rt.handle().dump_tasks().empty());
}

TEST(RuntimeTest, MetricsCountPolls) {
  Runtime rt = MakeRuntime(2);
  for (int i = 0; i < 100; ++i) {
    rt.block_on(rt.spawn(poll_fn([](Context&) -> Poll<int> { return 1; })));
  }
  RuntimeMetrics m = rt.metrics();
  EXPECT_EQ(m.workers.size(), 2u);
  EXPECT_GE(m.total_polls(), 100u);
}

}  // namespace
}  // namespace magpie
