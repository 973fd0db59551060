// Regression (issue 7, item 2): a task waiting on more than 128 pending
// things spun at 100% CPU. Each Pending poll of a JoinHandle or a oneshot
// receiver spent a unit of the coop budget; the 129th found it spent and
// woke the task, which was polled again at once, and again, forever (a
// loop over 200 pending JoinHandles was re-polled hundreds of thousands of
// times a second). A Pending poll now gives its unit back
// (coop::RestoreOnPending), so a waiting task is polled once and then not
// again until something it waits on completes.

#include <chrono>
#include <cstddef>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/core/atomic.h"
#include "runtime/core/coop.h"
#include "runtime/runtime.h"
#include "runtime/sync/cancellation_token.h"
#include "runtime/sync/oneshot.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

constexpr std::size_t kWaitedOn = 200;  // more than coop::kPollBudget

// Polls every unfinished future on each of its polls (a join_all) and counts
// its own polls. Ready with how many completed.
template <class F>
class CountingJoinAll {
 public:
  using Output = std::size_t;
  CountingJoinAll(std::vector<F> futures, core::Atomic<int>* polls)
      : futures_(std::move(futures)),
        done_(futures_.size(), false),
        polls_(polls) {}

  Poll<std::size_t> poll(Context& cx) {
    polls_->fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < futures_.size(); ++i) {
      if (done_[i]) continue;
      if (futures_[i].poll(cx).is_ready()) {
        done_[i] = true;
        ++finished_;
      }
    }
    if (finished_ == futures_.size()) return finished_;
    return Pending;
  }

 private:
  std::vector<F> futures_;
  std::vector<bool> done_;
  std::size_t finished_ = 0;
  core::Atomic<int>* polls_;
};

// Waits until the waiter was polled at least once, then gives a spinning
// waiter time to show itself; returns the polls counted by then. A correct
// waiter is polled exactly once: nothing it waits on has completed.
int PollsWhileWaiting(const core::Atomic<int>& polls) {
  while (polls.load(std::memory_order_relaxed) == 0) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  // Not a speed bound: a count. A spinning task is polled thousands of
  // times in this pause (even under sanitizers), a waiting one never.
  std::this_thread::sleep_for(milliseconds(50));
  return polls.load(std::memory_order_relaxed);
}

TEST(CoopWaitingOnManyPendingTest,
     TwoHundredPendingJoinHandlesPollTheWaiterOnce) {
  Watchdog dog("waiter on 200 pending JoinHandles", seconds(20));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  CancellationToken release;
  std::vector<JoinHandle<void>> handles;
  for (std::size_t i = 0; i < kWaitedOn; ++i) {
    handles.push_back(rt.spawn(release.cancelled()));
  }
  core::Atomic<int> polls{0};
  JoinHandle<std::size_t> waiter =
      rt.spawn(CountingJoinAll<JoinHandle<void>>(std::move(handles), &polls));

  EXPECT_EQ(PollsWhileWaiting(polls), 1);

  release.cancel();
  EXPECT_EQ(rt.block_on(std::move(waiter)), kWaitedOn);
  // After the release: at most one poll per completion (wakes coalesce),
  // plus budget yields (each gives 128 completions), plus the first poll.
  EXPECT_LE(
      polls.load(std::memory_order_relaxed),
      static_cast<int>(1 + kWaitedOn + kWaitedOn / coop::kPollBudget + 1));
}

TEST(CoopWaitingOnManyPendingTest,
     TwoHundredPendingReceiversPollTheWaiterOnce) {
  Watchdog dog("waiter on 200 pending oneshot receivers", seconds(20));
  Runtime rt = Runtime::Builder().worker_threads(1).build();
  dog.describe_with(
      [h = rt.handle()] { return describe_tasks(h.dump_tasks()); });
  std::vector<oneshot::Sender<int>> senders;
  std::vector<oneshot::Receiver<int>> receivers;
  for (std::size_t i = 0; i < kWaitedOn; ++i) {
    auto [tx, rx] = oneshot::channel<int>();
    senders.push_back(std::move(tx));
    receivers.push_back(std::move(rx));
  }
  core::Atomic<int> polls{0};
  JoinHandle<std::size_t> waiter = rt.spawn(
      CountingJoinAll<oneshot::Receiver<int>>(std::move(receivers), &polls));

  EXPECT_EQ(PollsWhileWaiting(polls), 1);

  for (std::size_t i = 0; i < kWaitedOn; ++i) {
    EXPECT_FALSE(std::move(senders[i]).send(static_cast<int>(i)).has_value());
  }
  EXPECT_EQ(rt.block_on(std::move(waiter)), kWaitedOn);
  EXPECT_LE(
      polls.load(std::memory_order_relaxed),
      static_cast<int>(1 + kWaitedOn + kWaitedOn / coop::kPollBudget + 1));
}

}  // namespace
}  // namespace magpie
