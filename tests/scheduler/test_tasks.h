// magpie::scheduler::testing::TaskSet — real task cells for run-queue tests,
// with the bookkeeping to check conservation: every task that goes into a
// queue comes out exactly once, and every cell is freed.
//
//   TaskSet tasks(100);
//   queue.push_back(tasks.make(), inject);    // or tasks.take(i) ...
//   tasks.consume(queue.pop());               // records the id, runs or drops
//   tasks.expect_each_consumed_once();
//
// Each task is a task::Cell whose future is ready at its first poll and
// whose scheduler drops whatever it is given (no OwnedTasks list, no
// JoinHandle: their references are dropped at creation), so the Notified a
// TaskSet hands out holds the task's only reference.
//
// Threads: construct, take() and the expect_* checks on one thread;
// consume() and index_of() from any thread.

#ifndef MAGPIE_TESTS_SCHEDULER_TEST_TASKS_H_
#define MAGPIE_TESTS_SCHEDULER_TEST_TASKS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/task/cell.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/raw_task.h"
#include "runtime/task/scheduler_registry.h"

namespace magpie::scheduler::testing {

// The registered state behind DropSchedule: one for the process, never
// freed (test tasks may outlive any one test).
struct DropShared {
  task::SchedulerRegistration registration;
};

// The Schedule of a test task: nothing re-queues it.
struct DropSchedule : task::RegisteredScheduler<DropShared> {
  using RegisteredScheduler::RegisteredScheduler;
  DropSchedule() : RegisteredScheduler(state()) {}
  void schedule(task::Notified) {}
  void yield_now(task::Notified) {}
  bool release(task::Header*) { return false; }

 private:
  static const Arc<DropShared>& state() {
    static const auto* shared =
        new Arc<DropShared>(task::make_registered_arc<DropShared>());
    return *shared;
  }
};

// Ready at the first poll; counts its destruction (the cell's future is
// destroyed when it completes or when the cell is freed un-run).
class CountedFuture {
 public:
  using Output = void;
  explicit CountedFuture(core::Atomic<std::int64_t>* destroyed)
      : destroyed_(destroyed) {}
  CountedFuture(CountedFuture&& other) noexcept
      : destroyed_(std::exchange(other.destroyed_, nullptr)) {}
  CountedFuture& operator=(CountedFuture&&) = delete;
  ~CountedFuture() {
    if (destroyed_ != nullptr) {
      destroyed_->fetch_add(1, std::memory_order_relaxed);
    }
  }
  Poll<void> poll(Context&) { return ready(); }

 private:
  core::Atomic<std::int64_t>* destroyed_;
};

class TaskSet {
 public:
  explicit TaskSet(std::size_t n) : consumed_(n) {
    pending_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      task::Header* header = task::Cell<CountedFuture, DropSchedule>::allocate(
          CountedFuture(&destroyed_), DropSchedule{});
      { auto join = JoinHandle<void>::from_raw(header); }  // detach
      task::drop_reference(header);  // no OwnedTasks list here
      index_.emplace(header->id, i);
      ids_.push_back(header->id);
      pending_.push_back(task::Notified::from_raw(header));
    }
  }
  TaskSet(const TaskSet&) = delete;
  TaskSet& operator=(const TaskSet&) = delete;
  ~TaskSet() { pending_.clear(); }

  std::size_t size() const { return ids_.size(); }

  // The Notified of task i (each may be taken once).
  task::Notified take(std::size_t i) {
    EXPECT_TRUE(pending_[i]) << "task " << i << " taken twice";
    return std::move(pending_[i]);
  }

  // Task i's id.
  std::uint64_t id(std::size_t i) const { return ids_[i]; }

  // The index of a task of this set, or size() if it is not one of ours.
  std::size_t index_of(const task::Notified& task) const {
    auto it = index_.find(task.header()->id);
    return it == index_.end() ? size() : it->second;
  }

  // Records that `task` came out of a queue, then runs it (run = true) or
  // drops it. Returns its index. Thread-safe.
  std::size_t consume(task::Notified task, bool run = false) {
    EXPECT_TRUE(task) << "consume of an empty Notified";
    if (!task) return size();
    const std::size_t i = index_of(task);
    EXPECT_LT(i, size()) << "a task that is not ours";
    if (i >= size()) return i;
    consumed_[i].fetch_add(1, std::memory_order_relaxed);
    total_.fetch_add(1, std::memory_order_relaxed);
    if (run) {
      std::move(task).run();
    } else {
      task.reset();
    }
    return i;
  }

  // Records that task i's reference was dropped elsewhere (e.g. by a push to
  // a closed Inject queue).
  void mark_dropped(std::size_t i) {
    consumed_[i].fetch_add(1, std::memory_order_relaxed);
    total_.fetch_add(1, std::memory_order_relaxed);
  }

  // How many consume()/mark_dropped() calls so far.
  std::size_t total() const {
    return static_cast<std::size_t>(total_.load(std::memory_order_relaxed));
  }

  // How many of the set's futures have been destroyed (run to completion, or
  // freed un-run when their last reference went).
  std::int64_t destroyed() const {
    return destroyed_.load(std::memory_order_relaxed);
  }

  // No task consumed twice (some may have left another way, e.g. dropped by
  // a queue's drain()).
  void expect_none_consumed_twice() const {
    for (std::size_t i = 0; i < size(); ++i) {
      EXPECT_LE(consumed_[i].load(std::memory_order_relaxed), 1)
          << "task " << i << " (id " << ids_[i] << ")";
    }
  }

  // Every task consumed exactly once, and every cell freed.
  void expect_each_consumed_once() const {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < size(); ++i) {
      const int n = consumed_[i].load(std::memory_order_relaxed);
      if (n != 1 && ++bad <= 10) {
        ADD_FAILURE() << "task " << i << " (id " << ids_[i] << ") came out "
                      << n << " times";
      }
    }
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(destroyed_.load(std::memory_order_relaxed),
              static_cast<std::int64_t>(size()))
        << "futures destroyed (cells freed or run)";
  }

 private:
  core::Atomic<std::int64_t> destroyed_{0};
  std::vector<core::Atomic<int>> consumed_;
  core::Atomic<std::uint64_t> total_{0};
  std::vector<std::uint64_t> ids_;
  std::unordered_map<std::uint64_t, std::size_t> index_;
  std::vector<task::Notified> pending_;
};

}  // namespace magpie::scheduler::testing

#endif  // MAGPIE_TESTS_SCHEDULER_TEST_TASKS_H_
