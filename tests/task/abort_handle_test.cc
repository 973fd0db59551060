// Tests for magpie::AbortHandle (runtime/task/abort_handle.h): it cancels
// like JoinHandle::abort, does nothing to a completed task, holds no join
// interest (a detached task still drops its output at completion), copies
// share one task, and it outlives its executor safely (ASan/LSan check the
// references).

#include "runtime/task/abort_handle.h"

#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/task/errors.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/lost_task.h"
#include "runtime/testing/drop_counter.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::DropCounter;
using testing::Watchdog;

// Answers Pending without keeping the waker: lost by definition (the
// runtime reports it, lost_task.h), until abort() drops it.
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

TEST(AbortHandleTest, AbortCancelsTheTask) {
  LocalExecutor ex;
  core::Atomic<int> lost{0};
  ExpectLost(ex, &lost);
  core::Atomic<int> drops{0};
  auto h = ex.spawn(PendingForever{DropCounter(&drops)});
  AbortHandle stop = h.abort_handle();
  EXPECT_EQ(stop.id(), h.id());
  ex.run_until_stalled();
  EXPECT_FALSE(stop.is_finished());
  stop.abort();
  ex.run_until_stalled();
  EXPECT_EQ(drops.load(), 1);
  EXPECT_TRUE(stop.is_finished());
  EXPECT_TRUE(h.is_finished());
  EXPECT_THROW(ex.block_on(std::move(h)), TaskCancelled);
  EXPECT_EQ(lost.load(), 1);
}

TEST(AbortHandleTest, AbortingACompletedTaskDoesNothing) {
  LocalExecutor ex;
  auto h = ex.spawn(poll_fn([](Context&) -> Poll<int> { return 5; }));
  AbortHandle stop = h.abort_handle();
  ex.run_until_stalled();
  EXPECT_TRUE(stop.is_finished());
  stop.abort();
  stop.abort();
  EXPECT_EQ(ex.run_until_stalled(), 0u);  // nothing was queued
  EXPECT_EQ(ex.block_on(std::move(h)), 5);
}

TEST(AbortHandleTest, CopiesShareOneTask) {
  LocalExecutor ex;
  core::Atomic<int> lost{0};
  ExpectLost(ex, &lost);
  core::Atomic<int> drops{0};
  auto h = ex.spawn(PendingForever{DropCounter(&drops)});
  AbortHandle a = h.abort_handle();
  AbortHandle b = a;
  AbortHandle c = std::move(b);
  a = c;
  EXPECT_EQ(a.id(), c.id());
  ex.run_until_stalled();
  c.abort();
  a.abort();  // twice: still one cancellation
  ex.run_until_stalled();
  EXPECT_EQ(drops.load(), 1);
  EXPECT_TRUE(a.is_finished());
  EXPECT_EQ(lost.load(), 1);
}

TEST(AbortHandleTest, HoldsNoJoinInterest) {
  // With the JoinHandle gone, the completing worker drops the output even
  // though an AbortHandle still references the task (state rule 4).
  LocalExecutor ex;
  core::Atomic<int> drops{0};
  AbortHandle stop = [&] {
    auto h = ex.spawn(poll_fn(
        [&](Context&) -> Poll<DropCounter> { return DropCounter(&drops); }));
    return h.abort_handle();
  }();
  ex.run_until_stalled();
  EXPECT_TRUE(stop.is_finished());
  EXPECT_EQ(drops.load(), 1);
}

TEST(AbortHandleTest, OutlivesItsExecutor) {
  core::Atomic<int> drops{0};
  std::optional<AbortHandle> stop;
  {
    LocalExecutor ex;
    core::Atomic<int> lost{0};
    ExpectLost(ex, &lost);
    auto h = ex.spawn(PendingForever{DropCounter(&drops)});
    stop = h.abort_handle();
    ex.run_until_stalled();
    EXPECT_EQ(lost.load(), 1);
  }  // shutdown drops the future; the cell lives on for the AbortHandle
  EXPECT_EQ(drops.load(), 1);
  EXPECT_TRUE(stop->is_finished());
  stop->abort();  // a no-op on a completed task
  stop.reset();   // frees the cell (LeakSanitizer checks)
}

TEST(AbortHandleTest, AbortFromAnotherThreadWhileTasksRun) {
  Watchdog dog("abort from another thread", seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  const int tasks = testing::ScaledForSanitizers(500, 100);
  std::vector<JoinHandle<int>> handles;
  std::vector<AbortHandle> stops;
  for (int i = 0; i < tasks; ++i) {
    handles.push_back(rt.spawn([]() -> Task<int> {
      while (true) co_await yield_now();
      co_return 0;
    }()));
    stops.push_back(handles.back().abort_handle());
  }
  std::thread aborter([&stops] {
    for (auto& stop : stops) stop.abort();
  });
  aborter.join();
  for (auto& h : handles) {
    EXPECT_THROW(rt.block_on(std::move(h)), TaskCancelled);
  }
  for (auto& stop : stops) EXPECT_TRUE(stop.is_finished());
}

}  // namespace
}  // namespace magpie
