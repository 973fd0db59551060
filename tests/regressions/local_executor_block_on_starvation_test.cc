// Regression: LocalExecutor::block_on polled its own future only after
// run_until_stalled() returned, which never happens while a spawned task
// keeps re-queueing itself: the future starved. It is now polled whenever
// its waker was woken, checked at least every kMainFutureInterval task
// polls.

#include <chrono>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/local_executor.h"
#include "runtime/testing/event_future.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Event;
using testing::EventFuture;
using testing::Watchdog;

// A task that wakes itself on every poll, forever (until dropped).
JoinHandle<int> SpawnSpinner(LocalExecutor& ex, Arc<core::Atomic<int>> polls) {
  return ex.spawn(poll_fn([polls](Context& cx) -> Poll<int> {
    polls->fetch_add(1, std::memory_order_relaxed);
    cx.waker().wake_by_ref();
    return Pending;
  }));
}

TEST(LocalExecutorBlockOnStarvationTest, SelfWokenFutureRunsBesideASpinner) {
  Watchdog dog("block_on beside a self-requeueing task", seconds(60));
  LocalExecutor ex;
  auto spins = make_arc<core::Atomic<int>>(0);
  auto spinner = SpawnSpinner(ex, spins);
  // Ready on its 3rd poll, waking itself each time before.
  int polls = 0;
  int out = ex.block_on(poll_fn([&polls](Context& cx) -> Poll<int> {
    if (++polls == 3) return polls;
    cx.waker().wake_by_ref();
    return Pending;
  }));
  EXPECT_EQ(out, 3);
  EXPECT_FALSE(spinner.is_finished());
}

TEST(LocalExecutorBlockOnStarvationTest, WokenFromAnotherThreadBesideSpinners) {
  Watchdog dog("block_on woken from another thread beside spinners",
               seconds(60));
  LocalExecutor ex;
  auto spins = make_arc<core::Atomic<int>>(0);
  auto a = SpawnSpinner(ex, spins);
  auto b = SpawnSpinner(ex, spins);
  auto event = make_arc<Event>();
  std::thread setter([event, spins] {
    // Once the spinners are running, so the wake lands while they do.
    while (spins->load(std::memory_order_relaxed) < 100) {
      std::this_thread::yield();
    }
    event->set();
  });
  EXPECT_GE(ex.block_on(EventFuture{event}), 1);
  setter.join();
  EXPECT_GE(spins->load(std::memory_order_relaxed), 100);
}

}  // namespace
}  // namespace magpie
