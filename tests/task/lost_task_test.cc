// Tests for the lost-task verdict (runtime/task/lost_task.h, state rule 5):
// the user's broken leaf futures are reported the moment they become lost,
// naming the task and its spawn site; a correct future never is; a wake
// that reaches a completed task is counted (RuntimeMetrics::stale_wakes).
//
// The verdict is made inside the state transition that makes it true, on
// the thread that made it (the worker whose poll returned Pending, or the
// thread dropping the last Waker), so the report is synchronous: the tests
// wait for it under a Watchdog instead of a timed assertion.

#include "runtime/task/lost_task.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/core/poll_fn.h"
#include "runtime/local_executor.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Watchdog;

constexpr const char* kThisFile = "lost_task_test.cc";

// Collects lost-task reports (the handler runs on a runtime thread).
class Reports {
 public:
  task::LostTaskHandler handler() {
    return [this](const task::LostTask& lost) {
      std::lock_guard<std::mutex> lock(mu_);
      reports_.push_back(lost);
      cv_.notify_all();
    };
  }
  // Waits for the report of task `id` (the Watchdog bounds the wait).
  task::LostTask wait_for(std::uint64_t id) {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      for (const task::LostTask& lost : reports_) {
        if (lost.id == id) return lost;
      }
      cv_.wait(lock);
    }
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return reports_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<task::LostTask> reports_;
};

void ExpectNamesTask(const task::LostTask& lost, std::uint64_t id, int line) {
  EXPECT_EQ(lost.id, id);
  ASSERT_NE(lost.spawn_site.file, nullptr);
  EXPECT_TRUE(absl::EndsWith(lost.spawn_site.file, kThisFile))
      << lost.spawn_site.file;
  EXPECT_EQ(lost.spawn_site.line, static_cast<std::uint32_t>(line));
  EXPECT_TRUE(absl::StartsWith(lost.description, absl::StrCat("task ", id)))
      << lost.description;
  EXPECT_TRUE(absl::StrContains(
      lost.description,
      absl::StrCat("spawned at ", lost.spawn_site.file, ":", line)))
      << lost.description;
  EXPECT_TRUE(absl::StrContains(lost.description, "no live Waker"))
      << lost.description;
}

// Broken (b): answers Pending without handing the waker to anyone.
struct PendingWithoutWaker {
  using Output = void;
  Poll<void> poll(Context&) { return Pending; }
};

TEST(LostTaskTest, PendingWithoutStoringTheWakerIsLost) {
  Watchdog watchdog("PendingWithoutStoringTheWakerIsLost", seconds(30));
  Reports reports;
  auto rt = Runtime::Builder()
                .worker_threads(2)
                .on_lost_task(reports.handler())
                .build();
  const int line = __LINE__ + 1;
  JoinHandle<void> h = rt.spawn(PendingWithoutWaker{});
  const task::LostTask lost = reports.wait_for(h.id());
  ExpectNamesTask(lost, h.id(), line);
  // The report and the dump both name the leaf it is parked on.
  EXPECT_TRUE(absl::StrContains(lost.description, "parked on "))
      << lost.description;
  EXPECT_TRUE(absl::StrContains(lost.description, "PendingWithoutWaker"))
      << lost.description;
  bool found = false;
  for (const TaskDump& t : rt.handle().dump_tasks()) {
    if (t.id != h.id()) continue;
    found = true;
    const std::string text = t.to_string();
    EXPECT_EQ(t.wakers, 0u) << text;
    EXPECT_TRUE(t.lost) << text;
    EXPECT_TRUE(absl::StrContains(text, "wakers=0, LOST")) << text;
    EXPECT_TRUE(absl::StrContains(text, "PendingWithoutWaker")) << text;
  }
  EXPECT_TRUE(found);
  h.abort();  // a lost task can still be aborted
  EXPECT_THROW(rt.block_on(std::move(h)), TaskCancelled);
  EXPECT_EQ(reports.count(), 1u);
}

// Broken (a): keeps the waker of its first poll and ignores every later
// one. It fires when the test sets `event`.
struct FirstWakerOnly {
  struct Slot {
    std::mutex mu;
    std::optional<Waker> waker;
    std::atomic<bool> event{false};
  };
  using Output = void;
  std::shared_ptr<Slot> slot = std::make_shared<Slot>();

  Poll<void> poll(Context& cx) {
    if (slot->event.load(std::memory_order_acquire)) return ready();
    std::lock_guard<std::mutex> lock(slot->mu);
    if (!slot->waker) slot->waker = cx.waker();  // the bug: first one only
    return Pending;
  }
  // The event source: wakes the stored waker (by value).
  static void fire(const std::shared_ptr<Slot>& slot) {
    slot->event.store(true, std::memory_order_release);
    std::optional<Waker> waker;
    {
      std::lock_guard<std::mutex> lock(slot->mu);
      waker.swap(slot->waker);
    }
    if (waker) std::move(*waker).wake();
  }
};

TEST(LostTaskTest, LeafMovedToAnotherTaskKeepsTheOldWakerAndIsLost) {
  Watchdog watchdog("LeafMovedToAnotherTaskKeepsTheOldWakerAndIsLost",
                    seconds(30));
  Reports reports;
  auto rt = Runtime::Builder()
                .worker_threads(2)
                .on_lost_task(reports.handler())
                .build();
  FirstWakerOnly leaf;
  std::shared_ptr<FirstWakerOnly::Slot> slot = leaf.slot;
  auto mailbox = std::make_shared<std::optional<FirstWakerOnly>>();

  // Task 1 polls the leaf once (it keeps task 1's waker), then hands the
  // leaf over and finishes.
  auto first = poll_fn(
      [leaf = std::move(leaf), mailbox](Context& cx) mutable -> Poll<void> {
        EXPECT_TRUE(leaf.poll(cx).is_pending());
        mailbox->emplace(std::move(leaf));
        return ready();
      });
  JoinHandle<void> h1 = rt.spawn(std::move(first));
  const std::uint64_t first_id = h1.id();
  rt.block_on(std::move(h1));

  // Task 2 polls the same leaf: it ignores task 2's waker, so task 2 is
  // idle with no live Waker the moment its poll returns Pending.
  auto second = poll_fn(
      [mailbox](Context& cx) -> Poll<void> { return (*mailbox)->poll(cx); });
  const int line = __LINE__ + 1;
  JoinHandle<void> h2 = rt.spawn(std::move(second));
  ExpectNamesTask(reports.wait_for(h2.id()), h2.id(), line);
  EXPECT_EQ(reports.count(), 1u);  // task 1 completed: never lost

  // The event fires: it wakes task 1, which completed long ago.
  const std::uint64_t stale_before = rt.metrics().stale_wakes;
  FirstWakerOnly::fire(slot);
  EXPECT_EQ(rt.metrics().stale_wakes, stale_before + 1);
  (void)first_id;

  h2.abort();
  EXPECT_THROW(rt.block_on(std::move(h2)), TaskCancelled);
  EXPECT_EQ(reports.count(), 1u);
}

// A leaf that stores its waker, and a test thread that drops it unwoken:
// the task is lost when the last Waker goes, reported by the dropping
// thread.
TEST(LostTaskTest, LastWakerDroppedUnwokenIsLost) {
  Watchdog watchdog("LastWakerDroppedUnwokenIsLost", seconds(30));
  Reports reports;
  auto rt = Runtime::Builder()
                .worker_threads(2)
                .on_lost_task(reports.handler())
                .build();
  FirstWakerOnly leaf;
  std::shared_ptr<FirstWakerOnly::Slot> slot = leaf.slot;
  const int line = __LINE__ + 1;
  JoinHandle<void> h = rt.spawn(std::move(leaf));
  // Wait until the leaf registered; no report yet: a Waker is alive.
  while (true) {
    std::lock_guard<std::mutex> lock(slot->mu);
    if (slot->waker) break;
  }
  std::optional<Waker> dropped;
  {
    std::lock_guard<std::mutex> lock(slot->mu);
    dropped.swap(slot->waker);
  }
  // The task may still be finishing its poll (RUNNING): then the poll's
  // own transition makes the verdict. Either way, exactly one report.
  dropped.reset();
  ExpectNamesTask(reports.wait_for(h.id()), h.id(), line);
  h.abort();
  EXPECT_THROW(rt.block_on(std::move(h)), TaskCancelled);
  EXPECT_EQ(reports.count(), 1u);
}

// Correct: stores the waker of every Pending poll (replacing it unless it
// will_wake the same task), then re-checks; fired from another thread.
struct CorrectLeaf {
  struct Slot {
    std::mutex mu;
    Waker waker;
    std::atomic<bool> event{false};
  };
  using Output = void;
  std::shared_ptr<Slot> slot = std::make_shared<Slot>();

  Poll<void> poll(Context& cx) {
    if (slot->event.load(std::memory_order_acquire)) return ready();
    {
      std::lock_guard<std::mutex> lock(slot->mu);
      slot->waker = cx.waker();
    }
    if (slot->event.load(std::memory_order_acquire)) return ready();
    return Pending;
  }
  static void fire(const std::shared_ptr<Slot>& slot) {
    slot->event.store(true, std::memory_order_release);
    Waker waker;
    {
      std::lock_guard<std::mutex> lock(slot->mu);
      waker.swap(slot->waker);
    }
    std::move(waker).wake();
  }
};

TEST(LostTaskTest, CorrectLeafIsNeverLost) {
  Watchdog watchdog("CorrectLeafIsNeverLost", seconds(120));
  constexpr int kRounds = 300;
  constexpr int kTasks = 16;
  Reports reports;
  auto rt = Runtime::Builder()
                .worker_threads(2)
                .on_lost_task(reports.handler())
                .build();
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::shared_ptr<CorrectLeaf::Slot>> slots;
    std::vector<JoinHandle<void>> handles;
    for (int i = 0; i < kTasks; ++i) {
      CorrectLeaf leaf;
      slots.push_back(leaf.slot);
      // Moved between tasks' polls: each poll re-registers, and a spurious
      // self-wake now and then makes it poll on another worker.
      auto body = poll_fn(
          [leaf = std::move(leaf), n = 0](Context& cx) mutable -> Poll<void> {
            if (++n % 3 == 0) cx.waker().wake_by_ref();
            return leaf.poll(cx);
          });
      handles.push_back(rt.spawn(std::move(body)));
    }
    std::thread firer([&slots] {
      for (auto& slot : slots) CorrectLeaf::fire(slot);
    });
    for (auto& h : handles) rt.block_on(std::move(h));
    firer.join();
  }
  EXPECT_EQ(reports.count(), 0u);
}

// Wakes of a completed task are counted, whatever the kind of wake.
TEST(LostTaskTest, StaleWakesAreCounted) {
  Watchdog watchdog("StaleWakesAreCounted", seconds(30));
  auto rt = Runtime::Builder().worker_threads(2).build();
  auto kept = std::make_shared<std::optional<Waker>>();
  auto body = poll_fn([kept](Context& cx) -> Poll<int> {
    kept->emplace(cx.waker());
    return 7;
  });
  EXPECT_EQ(rt.block_on(rt.spawn(std::move(body))), 7);
  const std::uint64_t before = rt.metrics().stale_wakes;
  (*kept)->wake_by_ref();
  std::move(**kept).wake();
  EXPECT_EQ(rt.metrics().stale_wakes, before + 2);
}

// A LocalExecutor task is judged too; its own handler hears of it.
TEST(LostTaskTest, LocalExecutorReportsToItsHandler) {
  Reports reports;
  LocalExecutor ex;
  ex.on_lost_task(reports.handler());
  const int line = __LINE__ + 1;
  JoinHandle<void> h = ex.spawn(PendingWithoutWaker{});
  ex.run_until_stalled();
  ASSERT_EQ(reports.count(), 1u);
  ExpectNamesTask(reports.wait_for(h.id()), h.id(), line);
  h.abort();
  ex.run_until_stalled();
  EXPECT_THROW(ex.block_on(std::move(h)), TaskCancelled);
}

// Shutdown drops futures, and with them other tasks' Wakers: no report.
TEST(LostTaskTest, ShutdownReportsNothing) {
  Reports reports;
  {
    auto rt = Runtime::Builder()
                  .worker_threads(2)
                  .on_lost_task(reports.handler())
                  .build();
    for (int i = 0; i < 32; ++i) {
      CorrectLeaf leaf;
      rt.spawn(std::move(leaf));
    }
  }
  EXPECT_EQ(reports.count(), 0u);
}

}  // namespace
}  // namespace magpie
