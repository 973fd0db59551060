// Regression: a by-value wake that reached a completed task counted itself
// as stale through the task's scheduler AFTER its transition had dropped the
// Waker's reference, so another holder could free the cell first (TSan
// caught it in `magpie stress`; clang builds crashed in migrating_task).
// The count is now taken while the Waker still keeps the cell alive.
//
// Each round: a task stores its waker and completes; a thread wakes that
// waker by value while the JoinHandle is dropped on this thread, racing for
// the last reference. Under ASan/TSan the old order is a use-after-free;
// in every config each round must add exactly one stale wake.

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/core/waker.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

// Ready at once, after handing a clone of its waker to `slot`.
struct KeepWakerAndFinish {
  using Output = void;
  std::optional<Waker>* slot;
  Poll<void> poll(Context& cx) {
    *slot = cx.waker();
    return ready();
  }
};

TEST(StaleWakeAfterTaskFreed, CountedWhileTheWakerKeepsTheCellAlive) {
  testing::Watchdog dog("StaleWakeAfterTaskFreed", std::chrono::seconds(120));
  auto rt = Runtime::Builder().worker_threads(2).build();
  constexpr int kRounds = 300;
  const std::uint64_t before = rt.metrics().stale_wakes;
  for (int i = 0; i < kRounds; ++i) {
    std::optional<Waker> slot;
    JoinHandle<void> h = rt.spawn(KeepWakerAndFinish{&slot});
    // Wait for completion without dropping the handle yet.
    while (!h.is_finished()) std::this_thread::yield();
    std::atomic<bool> go{false};
    std::thread waker([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      std::move(*slot).wake();
    });
    go.store(true, std::memory_order_release);
    { JoinHandle<void> drop = std::move(h); }
    waker.join();
  }
  EXPECT_EQ(rt.metrics().stale_wakes, before + kRounds);
}

}  // namespace
}  // namespace magpie
