// Regression (issue 7, item 2): `timeout(1ms, f)` never fired when f spent
// the coop budget (e.g. `while (true) co_await sleep(0ms);`): the inner
// future used up the budget, so the timeout's own Sleep found it spent and
// never looked at its deadline. Timeout now checks its deadline
// unconstrained (coop rule 2). The same holds for a select whose second
// branch is the deadline (it keeps a unit in Reserve for it), and under
// block_on, which now budgets each poll as a worker does (coop rule 3):
// without a budget there the body never answered Pending at all.

#include <chrono>
#include <variant>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "reactor/time/sleep.h"
#include "reactor/time/timeout.h"
#include "runtime/core/coop.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Watchdog;

// A leaf that is always Ready and spends a unit each time, like a channel
// that always has a message.
struct AlwaysReady {
  using Output = void;
  Poll<void> poll(Context& cx) {
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    coop->made_progress();
    return ready();
  }
};

// Never finishes; every await is Ready until the budget is spent.
Task<void> SleepZeroForever() {
  while (true) {
    auto nap = sleep(milliseconds(0));  // named: see HELPERS.md on g++ 12
    co_await nap;
  }
}

Task<void> AlwaysReadyForever() {
  while (true) {
    AlwaysReady leaf;
    co_await leaf;
  }
}

class TimeoutWhenBodySpendsBudgetTest : public ::testing::Test {
 protected:
  Runtime rt_ = Runtime::Builder().worker_threads(1).build();
};

TEST_F(TimeoutWhenBodySpendsBudgetTest, SleepZeroLoopTimesOutOnAWorker) {
  Watchdog dog("timeout(1ms, sleep(0ms) loop) on a worker", seconds(20));
  JoinHandle<absl::Status> handle =
      rt_.spawn(timeout(milliseconds(1), SleepZeroForever()));
  EXPECT_EQ(rt_.block_on(std::move(handle)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(TimeoutWhenBodySpendsBudgetTest, AlwaysReadyLoopTimesOutOnAWorker) {
  Watchdog dog("timeout(1ms, always-ready loop) on a worker", seconds(20));
  JoinHandle<absl::Status> handle =
      rt_.spawn(timeout(milliseconds(1), AlwaysReadyForever()));
  EXPECT_EQ(rt_.block_on(std::move(handle)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(TimeoutWhenBodySpendsBudgetTest, SleepZeroLoopTimesOutUnderBlockOn) {
  Watchdog dog("timeout(1ms, sleep(0ms) loop) under block_on", seconds(20));
  EXPECT_EQ(rt_.block_on(timeout(milliseconds(1), SleepZeroForever())).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(TimeoutWhenBodySpendsBudgetTest, AlwaysReadyLoopTimesOutUnderBlockOn) {
  Watchdog dog("timeout(1ms, always-ready loop) under block_on", seconds(20));
  EXPECT_EQ(rt_.block_on(timeout(milliseconds(1), AlwaysReadyForever())).code(),
            absl::StatusCode::kDeadlineExceeded);
}

// select(work, sleep(d)) is a hand-written timeout: the sleep must win.
TEST_F(TimeoutWhenBodySpendsBudgetTest, SelectAgainstASleepLetsTheSleepWin) {
  Watchdog dog("select(always-ready loop, sleep(1ms))", seconds(20));
  auto raced = rt_.spawn(select(AlwaysReadyForever(), sleep(milliseconds(1))));
  EXPECT_EQ(rt_.block_on(std::move(raced)).index(), 1u);
  EXPECT_EQ(
      rt_.block_on(select(SleepZeroForever(), sleep(milliseconds(1)))).index(),
      1u);
}

}  // namespace
}  // namespace magpie
