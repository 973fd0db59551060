// Regression: a future polled by block_on that itself called block_on on
// the same thread lost the outer call's wake (one thread-local parker
// served both calls: the inner park consumed it), and the outer call
// parked forever. The same held for LocalExecutor::block_on nested on one
// executor (one parker per executor). Each call now has its own parker (or
// wake flag), so nesting works; every variant must finish.

#include <chrono>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/event_future.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Event;
using testing::EventFuture;
using testing::Watchdog;

// On its first poll: registers for `outer` (and re-checks), then runs
// `inner` to completion through a nested block_on, then answers Pending.
// Another thread fires `outer` while the nested call waits, so the only
// wake-up the outer call gets lands while the inner one is parked. Ready
// (with 7) once `outer` has fired.
template <class BlockOn>
struct NestsBlockOn {
  using Output = int;
  Arc<Event> outer;
  Arc<Event> inner;
  Arc<core::Atomic<bool>> inner_started;
  BlockOn block_on_fn;
  int polls = 0;

  Poll<int> poll(Context& cx) {
    polls += 1;
    if (outer->fired.load(std::memory_order_acquire)) return 7;
    outer->waker.register_waker(cx.waker());
    if (outer->fired.load(std::memory_order_acquire)) return 7;
    if (polls == 1) {
      inner_started->store(true, std::memory_order_release);
      EXPECT_GE(block_on_fn(EventFuture{inner}), 1);
    }
    return Pending;
  }
};

// Fires `outer`, then (a moment later, so the inner call is likely parked
// again) `inner`, once the inner call has started.
std::thread FireBoth(Arc<Event> outer, Arc<Event> inner,
                     Arc<core::Atomic<bool>> inner_started) {
  return std::thread([outer, inner, inner_started] {
    while (!inner_started->load(std::memory_order_acquire)) {
      std::this_thread::yield();
    }
    outer->set();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    inner->set();
  });
}

template <class BlockOn>
NestsBlockOn<BlockOn> MakeNested(BlockOn fn, std::thread* firer) {
  auto outer = make_arc<Event>();
  auto inner = make_arc<Event>();
  auto started = make_arc<core::Atomic<bool>>(false);
  *firer = FireBoth(outer, inner, started);
  return NestsBlockOn<BlockOn>{outer, inner, started, std::move(fn)};
}

constexpr int kRounds = 20;

TEST(NestedBlockOnTest, FreeBlockOnInsideBlockOnKeepsTheOuterWake) {
  Watchdog dog("nested magpie::block_on", seconds(60));
  for (int round = 0; round < kRounds; ++round) {
    std::thread firer;
    auto fut = MakeNested(
        [](EventFuture f) { return magpie::block_on(std::move(f)); }, &firer);
    EXPECT_EQ(magpie::block_on(std::move(fut)), 7);
    firer.join();
  }
}

TEST(NestedBlockOnTest, RuntimeBlockOnInsideRuntimeBlockOnKeepsTheOuterWake) {
  Watchdog dog("nested Runtime::block_on", seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  for (int round = 0; round < kRounds; ++round) {
    std::thread firer;
    auto fut = MakeNested(
        [&rt](EventFuture f) { return rt.block_on(std::move(f)); }, &firer);
    EXPECT_EQ(rt.block_on(std::move(fut)), 7);
    firer.join();
  }
}

TEST(NestedBlockOnTest, LocalExecutorBlockOnNestedOnOneExecutor) {
  Watchdog dog("nested LocalExecutor::block_on", seconds(60));
  LocalExecutor ex;
  for (int round = 0; round < kRounds; ++round) {
    std::thread firer;
    auto fut = MakeNested(
        [&ex](EventFuture f) { return ex.block_on(std::move(f)); }, &firer);
    EXPECT_EQ(ex.block_on(std::move(fut)), 7);
    firer.join();
  }
}

TEST(NestedBlockOnTest, LocalExecutorBlockOnNestedInsideItsOwnTask) {
  // A task of the executor nests a block_on on the same executor while the
  // outer block_on waits for that task's handle.
  Watchdog dog("LocalExecutor::block_on nested in a task", seconds(60));
  LocalExecutor ex;
  for (int round = 0; round < kRounds; ++round) {
    std::thread firer;
    auto fut = MakeNested(
        [&ex](EventFuture f) { return ex.block_on(std::move(f)); }, &firer);
    JoinHandle<int> task = ex.spawn(std::move(fut));
    EXPECT_EQ(ex.block_on(std::move(task)), 7);
    firer.join();
  }
}

}  // namespace
}  // namespace magpie
