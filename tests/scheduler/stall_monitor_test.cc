// Stuck-poll detection (runtime/scheduler/stall_monitor.h): a poll that
// blocks its worker is reported while it is still running, naming the
// worker, the task and its spawn site; a correct workload is not reported.

#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"
#include "runtime/yield_now.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

struct Reports {
  std::mutex mu;
  std::vector<StuckPoll> seen;
  core::Atomic<int> count{0};

  StuckPollHandler handler() {
    return [this](const StuckPoll& stuck) {
      {
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back(stuck);
      }
      count.fetch_add(1, std::memory_order_release);
    };
  }
};

TEST(StallMonitorTest, ReportsABlockingPollWhileItRuns) {
  Watchdog dog("stuck poll report", seconds(60));
  Reports reports;
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .stuck_poll_threshold(milliseconds(50))
                   .on_stuck_poll(reports.handler())
                   .build();
  // How many reports the task saw before its poll returned.
  core::Atomic<int> seen_inside{-1};
  const int spawn_line = __LINE__ + 1;
  auto handle = rt.spawn(poll_fn([&](Context&) -> Poll<void> {
    // A blocking call on a worker: exactly what the monitor is for.
    std::this_thread::sleep_for(milliseconds(200));
    // A loaded machine may run the monitor late: wait for it (bounded),
    // still inside the poll.
    for (int i = 0;
         i < 1000 && reports.count.load(std::memory_order_acquire) == 0; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    seen_inside.store(reports.count.load(std::memory_order_acquire),
                      std::memory_order_relaxed);
    return ready();
  }));
  const std::uint64_t id = handle.id();
  rt.block_on(std::move(handle));
  rt.shutdown();
  EXPECT_GE(seen_inside.load(), 1) << "not reported before the poll returned";
  std::lock_guard<std::mutex> lock(reports.mu);
  ASSERT_EQ(reports.seen.size(), 1u) << "one report per stuck poll";
  const StuckPoll& stuck = reports.seen[0];
  EXPECT_EQ(stuck.task_id, id);
  EXPECT_LT(stuck.worker, 2u);
  ASSERT_NE(stuck.spawn_site.file, nullptr);
  EXPECT_NE(std::strstr(stuck.spawn_site.file, "stall_monitor_test.cc"),
            nullptr);
  EXPECT_EQ(stuck.spawn_site.line, static_cast<std::uint32_t>(spawn_line));
  EXPECT_GE(stuck.running_for, milliseconds(50));
  EXPECT_EQ(stuck.threshold, milliseconds(50));
  EXPECT_NE(stuck.description.find("task " + std::to_string(id)),
            std::string::npos)
      << stuck.description;
}

Task<void> Busy(int yields) {
  for (int i = 0; i < yields; ++i) co_await yield_now();
}

TEST(StallMonitorTest, ACorrectWorkloadIsNotReported) {
  Watchdog dog("no stuck poll", seconds(60));
  Reports reports;
  // Generous: only a poll that blocks, not a preempted one, should be seen.
  Runtime rt = Runtime::Builder()
                   .worker_threads(2)
                   .stuck_poll_threshold(seconds(2))
                   .on_stuck_poll(reports.handler())
                   .build();
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < 64; ++i) {
    handles.push_back(rt.spawn(Busy(testing::ScaledForSanitizers(200, 40))));
  }
  for (auto& h : handles) rt.block_on(std::move(h));
  rt.shutdown();
  EXPECT_EQ(reports.count.load(), 0);
}

TEST(StallMonitorTest, OffByDefaultAndDescribeNamesTheTask) {
  StuckPoll stuck;
  stuck.worker = 3;
  stuck.task_id = 17;
  stuck.spawn_site = SpawnSite{"server.cc", 42};
  stuck.running_for = milliseconds(212);
  stuck.threshold = milliseconds(100);
  EXPECT_EQ(scheduler::StallMonitor::describe(stuck),
            "magpie: worker 3 has been polling task 17 (spawned at "
            "server.cc:42) for 212 ms (stuck_poll_threshold 100 ms): a "
            "blocking call on a worker?");
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  rt.block_on(rt.spawn(Busy(3)));
}

}  // namespace
}  // namespace magpie
