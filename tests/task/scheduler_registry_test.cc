// Tests for task::SchedulerRegistry (runtime/task/scheduler_registry.h):
// slots are claimed and reused, a task keeps its scheduler's slot alive
// after the Runtime or executor is dropped (a late wake is safe), and
// exhaustion is a clear error from Builder::build() and the executors'
// constructors.

#include "runtime/task/scheduler_registry.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/core/waker.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/scheduler/blocking_pool.h"
#include "runtime/testing/watchdog.h"

namespace magpie::task {
namespace {

using magpie::testing::Watchdog;

// Where ParkForever leaves a clone of the waker of its first poll.
struct ParkedWaker {
  std::mutex mu;
  Waker waker;
  core::Atomic<bool> stored{false};

  Waker take() {
    std::lock_guard<std::mutex> lock(mu);
    return std::move(waker);
  }
};

// Pending forever; its first poll hands a clone of its waker to `parked`.
struct ParkForever {
  using Output = void;
  ParkedWaker* parked;
  Poll<void> poll(Context& cx) {
    std::lock_guard<std::mutex> lock(parked->mu);
    parked->waker = cx.waker();
    // ORDERING: release pairs with the acquire load in wait_stored.
    parked->stored.store(true, std::memory_order_release);
    return Pending;
  }
};

// Ready at its first poll with `value`.
struct ReadyInt {
  using Output = int;
  int value = 0;
  Poll<int> poll(Context&) { return value; }
};

void wait_stored(const ParkedWaker& parked) {
  // ORDERING: acquire pairs with the release store in ParkForever::poll.
  while (!parked.stored.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
}

TEST(SchedulerRegistryTest, SlotsAreDistinctAndReused) {
  const std::size_t before = live_schedulers();
  int a_target = 0, b_target = 0;
  SchedulerIndex a_index;
  {
    SchedulerRegistration a(&a_target);
    SchedulerRegistration b(&b_target);
    EXPECT_NE(a.index(), 0);
    EXPECT_NE(a.index(), b.index());
    EXPECT_EQ(registered_scheduler(a.index()), &a_target);
    EXPECT_EQ(registered_scheduler(b.index()), &b_target);
    EXPECT_EQ(live_schedulers(), before + 2);
    a_index = a.index();
    SchedulerRegistration moved(std::move(a));
    EXPECT_EQ(moved.index(), a_index);
    EXPECT_EQ(a.index(), 0);  // NOLINT: checking the moved-from state
  }
  EXPECT_EQ(live_schedulers(), before);
  EXPECT_EQ(registered_scheduler(a_index), nullptr);
  // The freed slots are the next ones handed out (rule 2).
  SchedulerRegistration again(&a_target);
  EXPECT_LE(again.index(), before + 2);
}

TEST(SchedulerRegistryTest, ManyRuntimesAndExecutorsReuseSlots) {
  Watchdog watchdog("ManyRuntimesAndExecutorsReuseSlots",
                    std::chrono::seconds(120));
  const std::size_t before = live_schedulers();
  constexpr int kExecutors = 2000;  // more than the slots it ever needs
  for (int i = 0; i < kExecutors; ++i) {
    LocalExecutor executor;
    auto handle = executor.spawn(ReadyInt{});
    executor.run_until_stalled();
  }
  constexpr int kRuntimes = 20;
  for (int i = 0; i < kRuntimes; ++i) {
    Runtime rt = Runtime::Builder().worker_threads(1).build();
    EXPECT_EQ(live_schedulers(), before + 2);  // workers + blocking pool
    rt.block_on(rt.spawn(ReadyInt{}));
  }
  EXPECT_EQ(live_schedulers(), before);
  // Reuse: the slots in use never went past the few alive at once.
  SchedulerRegistration probe(&watchdog);
  EXPECT_LE(probe.index(), before + 3);
}

// DESIGN.md §1/§5: a Waker may be woken after its runtime is gone. The
// task keeps its scheduler (and so its registry slot) alive until the
// task is freed; the wake finds the shut-down scheduler, which drops it.
TEST(SchedulerRegistryTest, WakeAfterRuntimeDropFindsItsShutDownScheduler) {
  Watchdog watchdog("WakeAfterRuntimeDropFindsItsShutDownScheduler",
                    std::chrono::seconds(60));
  const std::size_t before = live_schedulers();
  ParkedWaker parked;
  {
    Runtime rt = Runtime::Builder().worker_threads(2).build();
    auto handle = rt.spawn(ParkForever{&parked});
    wait_stored(parked);
  }
  // The waker's task still holds the scheduler's slot.
  EXPECT_EQ(live_schedulers(), before + 1);
  Waker waker = parked.take();
  waker.wake_by_ref();
  Waker clone = waker;
  std::move(clone).wake();
  EXPECT_EQ(live_schedulers(), before + 1);
  waker = Waker();  // the task's last reference: the scheduler goes
  EXPECT_EQ(live_schedulers(), before);
}

TEST(SchedulerRegistryTest, WakeAfterLocalExecutorDropIsSafe) {
  const std::size_t before = live_schedulers();
  ParkedWaker parked;
  {
    LocalExecutor executor;
    auto handle = executor.spawn(ParkForever{&parked});
    executor.run_until_stalled();
    ASSERT_TRUE(parked.stored.load(std::memory_order_acquire));
  }
  EXPECT_EQ(live_schedulers(), before + 1);
  Waker waker = parked.take();
  // From another thread too: any thread may wake.
  std::thread([&waker] { waker.wake_by_ref(); }).join();
  waker = Waker();
  EXPECT_EQ(live_schedulers(), before);
}

// Rule 3: one scheduler too many is an exception naming the cause, from
// every place that makes one; the process carries on and, once slots are
// free again, schedulers can be made as before.
TEST(SchedulerRegistryTest, ExhaustionIsAClearErrorNotACrash) {
  const std::size_t before = live_schedulers();
  int target = 0;
  std::vector<std::unique_ptr<SchedulerRegistration>> fill;
  fill.reserve(kMaxSchedulers - before);
  for (std::size_t i = before; i < kMaxSchedulers; ++i) {
    fill.push_back(std::make_unique<SchedulerRegistration>(&target));
  }
  EXPECT_EQ(live_schedulers(), kMaxSchedulers);
  EXPECT_THROW(SchedulerRegistration{&target}, SchedulerRegistryFull);
  EXPECT_THROW(Runtime::Builder().worker_threads(1).build(),
               SchedulerRegistryFull);
  EXPECT_THROW(LocalExecutor(), SchedulerRegistryFull);
  EXPECT_THROW(scheduler::BlockingPool(scheduler::BlockingPoolConfig{}),
               SchedulerRegistryFull);
  try {
    LocalExecutor executor;
    ADD_FAILURE() << "no error";
  } catch (const SchedulerRegistryFull& error) {
    EXPECT_NE(std::string(error.what()).find("cannot make another scheduler"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(live_schedulers(), kMaxSchedulers);  // nothing leaked a slot

  // A Runtime needs two slots: with one free it still fails cleanly.
  fill.pop_back();
  EXPECT_THROW(Runtime::Builder().worker_threads(1).build(),
               SchedulerRegistryFull);
  EXPECT_EQ(live_schedulers(), kMaxSchedulers - 1);
  fill.pop_back();
  {
    Runtime rt = Runtime::Builder().worker_threads(1).build();
    EXPECT_EQ(rt.block_on(rt.spawn(ReadyInt{7})), 7);
  }
  fill.clear();
  EXPECT_EQ(live_schedulers(), before);
}

}  // namespace
}  // namespace magpie::task
