// Tests for CancellationToken and select: cancel wakes every waiter (on any
// worker), a late waiter completes at once, waiters re-register the waker of
// each poll, dropped waiters leave nothing behind, and select returns the
// first ready future's output.

#include "runtime/sync/cancellation_token.h"

#include <thread>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/core/select.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/sync/oneshot.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Watchdog;

struct CountingWaker {
  core::Atomic<int> wakes{0};
  void wake_by_ref() { wakes.fetch_add(1, std::memory_order_relaxed); }
};

TEST(CancellationTokenTest, CancelWakesTheLatestWakerOfEachWaiter) {
  CancellationToken token;
  auto first = make_arc<CountingWaker>();
  auto second = make_arc<CountingWaker>();
  auto cancelled = token.cancelled();
  Waker w1 = waker_from(first);
  Waker w2 = waker_from(second);
  Context cx1(w1);
  Context cx2(w2);
  EXPECT_TRUE(cancelled.poll(cx1).is_pending());
  EXPECT_TRUE(cancelled.poll(cx2).is_pending());  // moved to another poller
  EXPECT_FALSE(token.is_cancelled());
  token.cancel();
  EXPECT_TRUE(token.is_cancelled());
  EXPECT_EQ(first->wakes.load(), 0);   // stale waker: not woken
  EXPECT_EQ(second->wakes.load(), 1);  // the latest one is
  EXPECT_TRUE(cancelled.poll(cx2).is_ready());
  // A waiter created after cancel() is ready at once; cancel is idempotent.
  auto late = token.cancelled();
  EXPECT_TRUE(late.poll(cx1).is_ready());
  token.cancel();
}

TEST(CancellationTokenTest, DroppedWaitersAreNotWoken) {
  CancellationToken token;
  auto counter = make_arc<CountingWaker>();
  Waker w = waker_from(counter);
  Context cx(w);
  {
    auto cancelled = token.cancelled();
    EXPECT_TRUE(cancelled.poll(cx).is_pending());
  }
  token.cancel();
  EXPECT_EQ(counter->wakes.load(), 0);
  EXPECT_EQ(counter.use_count(), 2u);  // ours + w: the token kept none
}

TEST(CancellationTokenTest, CancelFromAnotherThreadStopsTasksOnEveryWorker) {
  Watchdog dog("cancellation across workers", seconds(30));
  constexpr int kTasks = 200;
  Runtime rt = Runtime::Builder().worker_threads(4).build();
  CancellationToken token;
  std::vector<JoinHandle<int>> handles;
  for (int i = 0; i < kTasks; ++i) {
    handles.push_back(rt.spawn([](CancellationToken t, int v) -> Task<int> {
      co_await t.cancelled();
      co_return v;
    }(token, i)));
  }
  std::thread canceller([token] { token.cancel(); });
  int sum = 0;
  for (auto& h : handles) sum += rt.block_on(std::move(h));
  canceller.join();
  EXPECT_EQ(sum, kTasks * (kTasks - 1) / 2);
}

TEST(SelectTest, FirstReadyWinsAndVoidBecomesMonostate) {
  auto [tx, rx] = oneshot::channel<int>();
  CancellationToken token;
  auto both = select(std::move(rx), token.cancelled());
  Waker noop = noop_waker();
  Context cx(noop);
  EXPECT_TRUE(both.poll(cx).is_pending());
  (void)std::move(tx).send(5);
  token.cancel();  // both ready now: the first wins
  auto result = both.poll(cx);
  ASSERT_TRUE(result.is_ready());
  ASSERT_EQ(result.value().index(), 0u);
  EXPECT_EQ(std::get<0>(result.value()), std::optional<int>(5));

  auto [tx2, rx2] = oneshot::channel<int>();
  auto second = select(std::move(rx2), token.cancelled());
  auto r2 = block_on(std::move(second));
  EXPECT_EQ(r2.index(), 1u);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r2));
}

}  // namespace
}  // namespace magpie
